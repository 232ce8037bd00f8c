// SystemdNotifier: sd_notify(3) without libsystemd. When the service manager
// sets $NOTIFY_SOCKET, state lines ("READY=1", "STOPPING=1", "STATUS=...")
// are sent as datagrams to that AF_UNIX socket (a leading '@' names an
// abstract socket); otherwise every call is a no-op.
//
// Thread-safety: Notify() may be called from any thread.
#ifndef TASKQUEUED_SYSTEMD_NOTIFY_H_
#define TASKQUEUED_SYSTEMD_NOTIFY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "unique_fd.h"

namespace taskqueue::daemon {

class SystemdNotifier {
 public:
  // Reads $NOTIFY_SOCKET now.
  SystemdNotifier();
  bool enabled() const { return !address_.empty(); }
  // Sends `state` (one or more newline-separated assignments) without ever
  // blocking. Returns false when disabled or when the send fails (e.g. the
  // manager's queue is full: the line is then lost).
  bool Notify(std::string_view state) const;

  // How often to send "WATCHDOG=1": half of $WATCHDOG_USEC (in ms), or 0
  // when the manager set no watchdog for this process ($WATCHDOG_PID names
  // another one) or notifications are disabled.
  int64_t watchdog_interval_ms() const { return watchdog_interval_ms_; }

 private:
  std::string address_;
  UniqueFd socket_;
  int64_t watchdog_interval_ms_ = 0;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_SYSTEMD_NOTIFY_H_
