// HttpFrontend: the daemon's handle on the HTTP API (taskqueued/http, built
// when TASKQUEUE_BUILD_HTTP is on). Without it, Start() refuses --http.
//
// Thread-safety: create and destroy on one thread; the server serves on its
// own threads.
#ifndef TASKQUEUED_HTTP_FRONTEND_H_
#define TASKQUEUED_HTTP_FRONTEND_H_

#include <memory>

#include "http_listen.h"
#include "taskqueue/options.h"
#include "taskqueue/status.h"

namespace taskqueue::daemon {

class HttpFrontend {
 public:
  // Whether this build includes the HTTP API.
  static bool Available();
  // Binds and serves. Config if `listen` is not loopback and has no token,
  // or if the HTTP API was not built in; otherwise the server's error.
  static Result<std::unique_ptr<HttpFrontend>> Start(const QueueOptions& queue,
                                                     const HttpListen& listen);
  ~HttpFrontend();
  HttpFrontend(const HttpFrontend&) = delete;
  HttpFrontend& operator=(const HttpFrontend&) = delete;

  int port() const;

  class Impl;

 private:
  explicit HttpFrontend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_HTTP_FRONTEND_H_
