#include "systemd_notify.h"

#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace taskqueue::daemon {

SystemdNotifier::SystemdNotifier() {
  const char* env = ::getenv("NOTIFY_SOCKET");
  if (env == nullptr || (env[0] != '/' && env[0] != '@')) return;
  if (std::strlen(env) >= sizeof(sockaddr_un{}.sun_path)) return;
  // Non-blocking: a manager that reads slowly (or a full queue) must cost a
  // lost status line, never a stalled daemon.
  socket_ = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket_.valid()) return;
  address_ = env;
  // As sd_watchdog_enabled(3): the watchdog is ours unless WATCHDOG_PID
  // names another process.
  const char* usec = ::getenv("WATCHDOG_USEC");
  const char* pid = ::getenv("WATCHDOG_PID");
  if (usec == nullptr) return;
  if (pid != nullptr && std::strtoll(pid, nullptr, 10) != ::getpid()) return;
  char* end = nullptr;
  const long long us = std::strtoll(usec, &end, 10);
  if (end == usec || *end != '\0' || us <= 0) return;
  watchdog_interval_ms_ = std::max<int64_t>(1, us / 2000);
}

bool SystemdNotifier::Notify(std::string_view state) const {
  if (!enabled()) return false;
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  ssize_t sent = ::sendto(socket_.get(), state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                          reinterpret_cast<const sockaddr*>(&addr), len);
  return sent == static_cast<ssize_t>(state.size());
}

}  // namespace taskqueue::daemon
