// Finding a connection's socket by address (see connection_sockets.h).
#include "connection_sockets.h"

#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <functional>

namespace taskqueue::http {
namespace {

int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return -1;
}

// Calls `each` with every accepted TCP connection's descriptor whose local
// port is `local_port`, and its peer's address; stops when it returns false.
void ForEachConnection(int local_port,
                       const std::function<bool(int fd, const sockaddr_storage& peer)>& each) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  const int dir_fd = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dir_fd) continue;
    struct stat st;
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int type = 0, listening = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_STREAM) {
      continue;
    }
    len = sizeof(listening);
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        listening != 0) {
      continue;
    }
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        PortOf(local) != local_port ||
        getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
      continue;
    }
    if (!each(static_cast<int>(fd), peer)) break;
  }
  closedir(dir);
}

}  // namespace

int ShutdownConnectionsOnPort(int local_port) {
  int count = 0;
  ForEachConnection(local_port, [&](int fd, const sockaddr_storage&) {
    if (shutdown(fd, SHUT_RDWR) == 0) ++count;
    return true;
  });
  return count;
}

bool ShutdownReadingFrom(int local_port, const std::string& peer_address, int peer_port) {
  bool found = false;
  ForEachConnection(local_port, [&](int fd, const sockaddr_storage& peer) {
    if (PortOf(peer) != peer_port) return true;
    // Numeric, as httplib writes Request::remote_addr.
    char host[NI_MAXHOST];
    const socklen_t len = peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&peer), len, host, sizeof(host), nullptr, 0,
                    NI_NUMERICHOST) != 0 ||
        peer_address != host) {
      return true;
    }
    found = shutdown(fd, SHUT_RD) == 0;
    return false;
  });
  return found;
}

}  // namespace taskqueue::http
