// The sockets of the HTTP server's open connections, found by their local
// port. cpp-httplib 0.11 gives neither its handlers nor its owner the socket
// of a connection, and a worker thread blocked reading a request cannot be
// told to stop. Shutting a socket down (never closing it: the worker still
// owns the descriptor) ends that read at once, and the worker then closes
// the connection as if the client had.
//
// Thread-safety: the functions are thread-safe; they read /proc/self/fd.
#ifndef TASKQUEUED_HTTP_CONNECTION_SOCKETS_H_
#define TASKQUEUED_HTTP_CONNECTION_SOCKETS_H_

#include <string>
#include <vector>

namespace taskqueue::http {

// An open connection this process accepted.
struct AcceptedConnection {
  int fd = -1;
  std::string peer_address;  // numeric, as httplib's Request::remote_addr
  int peer_port = 0;
};

// The TCP connections this process accepted on `local_port` and still has
// open (not the listening socket).
std::vector<AcceptedConnection> ConnectionsOnPort(int local_port);

// Shuts `c` down (`how`: SHUT_RD, SHUT_RDWR) if its descriptor still holds
// that connection: a descriptor closed since the listing may have been
// reused for another. Returns whether it did.
bool ShutdownConnection(const AcceptedConnection& c, int how);

// Shuts down reading and writing on every TCP connection this process
// accepted on `local_port` (the listening socket itself is left alone).
// Returns how many it shut down.
int ShutdownConnectionsOnPort(int local_port);

// Shuts down reading on the connection accepted on `local_port` from
// `peer_address` (numeric, as httplib's Request::remote_addr) and
// `peer_port`: what the client sends after this is not read, and once the
// answer is written the worker sees the end of the stream and closes the
// connection. Returns false if no such connection was found.
bool ShutdownReadingFrom(int local_port, const std::string& peer_address, int peer_port);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_CONNECTION_SOCKETS_H_
