// Finding a connection's socket by address (see connection_sockets.h).
#include "connection_sockets.h"

#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

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

// The numeric form of a peer's address, as httplib writes remote_addr.
std::string NumericHost(const sockaddr_storage& peer) {
  char host[NI_MAXHOST];
  const socklen_t len = peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&peer), len, host, sizeof(host), nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    return "";
  }
  return host;
}

}  // namespace

std::vector<AcceptedConnection> ConnectionsOnPort(int local_port) {
  std::vector<AcceptedConnection> out;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  const int dir_fd = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long number = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || number == dir_fd) continue;
    const int fd = static_cast<int>(number);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int type = 0, listening = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
    len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening != 0) {
      continue;
    }
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        PortOf(local) != local_port ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
      continue;
    }
    out.push_back({fd, NumericHost(peer), PortOf(peer)});
  }
  closedir(dir);
  return out;
}

bool ShutdownConnection(const AcceptedConnection& c, int how) {
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof(peer);
  if (getpeername(c.fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
      PortOf(peer) != c.peer_port || NumericHost(peer) != c.peer_address) {
    return false;
  }
  return shutdown(c.fd, how) == 0;
}

int ShutdownConnectionsOnPort(int local_port) {
  int count = 0;
  for (const auto& c : ConnectionsOnPort(local_port)) {
    if (ShutdownConnection(c, SHUT_RDWR)) ++count;
  }
  return count;
}

bool ShutdownReadingFrom(int local_port, const std::string& peer_address, int peer_port) {
  for (const auto& c : ConnectionsOnPort(local_port)) {
    if (c.peer_port == peer_port && c.peer_address == peer_address) {
      return ShutdownConnection(c, SHUT_RD);
    }
  }
  return false;
}

}  // namespace taskqueue::http
