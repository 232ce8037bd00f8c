#include "http_frontend.h"

#ifdef TASKQUEUED_HAVE_HTTP
#include "http_server.h"
#endif

namespace taskqueue::daemon {

#ifdef TASKQUEUED_HAVE_HTTP
class HttpFrontend::Impl {
 public:
  std::unique_ptr<http::HttpServer> server;
};
bool HttpFrontend::Available() { return true; }
#else
class HttpFrontend::Impl {};
bool HttpFrontend::Available() { return false; }
#endif

HttpFrontend::HttpFrontend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpFrontend::~HttpFrontend() {
#ifdef TASKQUEUED_HAVE_HTTP
  if (impl_ && impl_->server) impl_->server->Stop();
#endif
}

Result<std::unique_ptr<HttpFrontend>> HttpFrontend::Start(const QueueOptions& queue,
                                                          const HttpListen& listen) {
  if (!IsLoopbackAddress(listen.address) && listen.token.empty()) {
    return Status::Config("--http " + listen.address + ":" + std::to_string(listen.port) +
                          " is not a loopback address: give --http-token-file too");
  }
#ifdef TASKQUEUED_HAVE_HTTP
  http::HttpOptions options;
  options.address = listen.address;
  options.port = listen.port;
  options.token = listen.token;
  options.read_only_token = listen.read_only_token;
  auto server = http::HttpServer::Start(queue, options);
  if (!server.ok()) return server.status();
  auto impl = std::make_unique<Impl>();
  impl->server = std::move(server).value();
  return std::unique_ptr<HttpFrontend>(new HttpFrontend(std::move(impl)));
#else
  (void)queue;
  return Status::Config("this taskqueued was built without the HTTP API (--http)");
#endif
}

int HttpFrontend::port() const {
#ifdef TASKQUEUED_HAVE_HTTP
  return impl_->server->port();
#else
  return 0;
#endif
}

}  // namespace taskqueue::daemon
