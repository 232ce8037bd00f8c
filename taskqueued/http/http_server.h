// HttpServer: taskqueued's HTTP front end. It serves Kue's JSON API
// (byte-compatible routes), the versioned /api/v1 API with its Server-Sent
// Events stream, and the web dashboard at "/", from its own Queue and
// Scheduler on the queue named by QueueOptions.
//
// Thread-safety: Start() and Stop() may be called from any thread; Stop() is
// idempotent and is also called by the destructor. port() is safe at any
// time. Requests are served on the server's own threads.
#ifndef TASKQUEUED_HTTP_HTTP_SERVER_H_
#define TASKQUEUED_HTTP_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "taskqueue/options.h"
#include "taskqueue/status.h"

namespace taskqueue::http {

struct HttpOptions {
  // Address to bind. Anything but a loopback address requires `token`.
  std::string address = "127.0.0.1";
  // TCP port; 0 binds any free port (see HttpServer::port()).
  int port = 0;
  // When non-empty, every API request needs "Authorization: Bearer <token>".
  std::string token;
  // When non-empty, this token is also accepted, for GET and HEAD only.
  std::string read_only_token;
  // Largest request body accepted; bigger bodies get 413.
  size_t max_body_bytes = 1 << 20;

  // Per-client rate limit (token bucket): requests per second and burst.
  // 0 disables it. Loopback clients are exempt unless rate_limit_loopback,
  // because they are the local user (and benchmarks run there).
  double rate_limit_per_second = 50;
  double rate_limit_burst = 200;
  bool rate_limit_loopback = false;
  // Most event streams (SSE) open at once; more get 503.
  int max_event_streams = 32;
  // Time a client has to send a whole request (headers and body), from
  // opening its connection or from the last answer on it; a connection past
  // it is closed (slow_request_guard.h).
  std::chrono::milliseconds request_deadline{10000};
};

class HttpServer {
 public:
  // Opens its own Queue and Scheduler from `queue_options` (the registry in
  // it is shared with the caller), binds options.address:options.port and
  // serves on background threads. Returns once the socket listens.
  // Errors: InvalidArgument (bad address or port, a non-loopback address
  // without a token), IOError (cannot bind), or whatever Queue::Open returns.
  static Result<std::unique_ptr<HttpServer>> Start(const QueueOptions& queue_options,
                                                   const HttpOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually bound (useful with port 0).
  int port() const;
  // Stops accepting, ends open event streams and joins the server threads.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_HTTP_SERVER_H_
