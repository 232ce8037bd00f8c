// SlowRequestGuard: closes HTTP connections whose client takes too long to
// send a request. cpp-httplib 0.11 gives each connection a worker thread and
// a read timeout between two bytes only, so a client that sends a header
// line every few seconds holds its worker for ever, and a few dozen of them
// (slowloris) leave no worker for anyone else. The guard gives each request
// `deadline` to arrive whole, from the connection's opening or the last
// answer on it, and shuts down (connection_sockets.h) a connection past it.
// A request whose headers have come and that has no body (an event stream,
// a long poll) is left alone until it is answered.
//
// Thread-safety: every member is thread-safe. It watches only while
// connections are open: an idle server never wakes it.
#ifndef TASKQUEUED_HTTP_SLOW_REQUEST_GUARD_H_
#define TASKQUEUED_HTTP_SLOW_REQUEST_GUARD_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "connection_sockets.h"

namespace taskqueue::http {

class SlowRequestGuard {
 public:
  explicit SlowRequestGuard(std::chrono::milliseconds deadline);
  ~SlowRequestGuard();  // Stop()
  SlowRequestGuard(const SlowRequestGuard&) = delete;
  SlowRequestGuard& operator=(const SlowRequestGuard&) = delete;

  // Starts watching the connections accepted on `port`.
  void Start(int port);
  // Ends the watching thread. Idempotent.
  void Stop();

  // A connection's job for the server's worker pool: runs `job` and counts
  // the connection as open meanwhile.
  std::function<void()> Track(std::function<void()> job);
  // A request's headers have arrived (pre-routing): with no body to read,
  // its time limit stops until it is answered.
  void HeadersRead(const std::string& peer_address, int peer_port, bool has_body);
  // A request was answered (httplib's logger): the next one has `deadline`.
  void Answered(const std::string& peer_address, int peer_port);

 private:
  using Peer = std::pair<std::string, int>;
  struct Waiting {
    bool exempt = false;   // headers read, no body: being handled
    int64_t since_ms = 0;  // when the current request's time began
  };
  void Run();
  // Closes the connections past the deadline; mu_ held.
  void Sweep(const std::vector<AcceptedConnection>& connections, int64_t now_ms);

  const std::chrono::milliseconds deadline_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  int open_ = 0;                   // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::map<Peer, Waiting> peers_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_SLOW_REQUEST_GUARD_H_
