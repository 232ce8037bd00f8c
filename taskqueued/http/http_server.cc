// HttpServer: wiring of the routes, the security checks and the threads
// (see http_server.h).
#include "http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "api_v1_routes.h"
#include "kue_routes.h"
#include "security.h"
#include "server_context.h"
#include "sse.h"
#include "static_assets.h"

namespace taskqueue::http {

class HttpServer::Impl {
 public:
  Impl(std::unique_ptr<ServerContext> ctx) : ctx_(std::move(ctx)), security_(ctx_->options) {}
  ~Impl() { Stop(); }

  Status Listen();
  void Stop();
  int port() const { return port_; }

 private:
  void Configure();

  std::unique_ptr<ServerContext> ctx_;
  SecurityPolicy security_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
};

namespace {

// "[::1]" -> "::1": httplib wants the bare address.
std::string BareAddress(std::string address) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    return address.substr(1, address.size() - 2);
  }
  return address;
}

// RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding
// has an empty body. cpp-httplib 0.11 instead reads a POST, PUT, PATCH or
// DELETE body until the connection closes, so `curl -X POST .../job` (no -d)
// waited for the read timeout and got a 400 instead of Kue's 204. Declaring
// the length before routing makes httplib read nothing. The Request is
// httplib's own non-const object, handed to the pre-routing hook as const.
void DeclareMissingBodyEmpty(const httplib::Request& req) {
  if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) return;
  const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
}

}  // namespace

void HttpServer::Impl::Configure() {
  const HttpOptions& options = ctx_->options;
  // Event streams hold a thread each for as long as they are open.
  const size_t threads = static_cast<size_t>(std::max(1, options.max_event_streams)) + 16;
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_payload_max_length(options.max_body_bytes);
  server_.set_keep_alive_timeout(2);
  server_.set_read_timeout(10);
  server_.set_write_timeout(10);
  server_.set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT, which would let a second server
  // bind the same port and steal half the connections: SO_REUSEADDR only.
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    DeclareMissingBodyEmpty(req);
    return security_.Check(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                     : httplib::Server::HandlerResponse::Handled;
  });
  server_.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                        httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    switch (res.status) {
      case 404:
        SendJson(res, 404, ErrorObject("not_found", "No route for " + req.method + " " + req.path));
        break;
      case 413:
        SendJson(
            res, 413,
            ErrorObject("too_large", "The request body is larger than " +
                                         std::to_string(ctx_->options.max_body_bytes) + " bytes."));
        break;
      default:
        SendJson(
            res, res.status,
            ErrorObject("http_" + std::to_string(res.status),
                        "The request failed with HTTP status " + std::to_string(res.status) + "."));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("http: {} {}: {}", req.method, req.path, what);
        SendJson(res, 500, ErrorObject("internal", "Internal error: " + what));
      });
  server_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("http: {} {} {} -> {}", req.remote_addr, req.method, req.path, res.status);
  });

  RegisterStaticRoutes(server_);
  RegisterKueRoutes(server_, *ctx_);
  RegisterEventRoutes(server_, *ctx_);
  RegisterApiV1Routes(server_, *ctx_, security_);
}

Status HttpServer::Impl::Listen() {
  Configure();
  const std::string address = BareAddress(ctx_->options.address);
  if (ctx_->options.port == 0) {
    port_ = server_.bind_to_any_port(address);
    if (port_ < 0) return Status::IOError("Cannot bind an HTTP port on " + address);
  } else {
    if (!server_.bind_to_port(address, ctx_->options.port)) {
      return Status::IOError("Cannot bind HTTP to " + ctx_->options.address + ":" +
                             std::to_string(ctx_->options.port) +
                             " (in use, or not an address of this machine)");
    }
    port_ = ctx_->options.port;
  }
  thread_ = std::thread([this] {
    if (!server_.listen_after_bind()) spdlog::error("http: the server stopped with an error");
  });
  // listen_after_bind has no "ready" callback: wait until it runs.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      Stop();
      return Status::IOError("The HTTP server did not start listening");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("http: listening on http://{}:{}/", ctx_->options.address, port_);
  return Status::OK();
}

void HttpServer::Impl::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  ctx_->stopping = true;
  if (ctx_->watcher) ctx_->watcher->Stop();  // ends open event streams
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const QueueOptions& queue_options,
                                                      const HttpOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidArgument("Invalid HTTP port " + std::to_string(options.port));
  }
  if (options.address.empty()) return Status::InvalidArgument("No HTTP address given");
  if (!IsLoopbackAddress(BareAddress(options.address)) && options.token.empty()) {
    return Status::InvalidArgument("Refusing to serve HTTP on " + options.address +
                                   " without a token: a non-loopback address needs "
                                   "--http-token-file");
  }
  if (options.max_body_bytes == 0) return Status::InvalidArgument("max_body_bytes must be > 0");

  auto ctx = std::make_unique<ServerContext>();
  ctx->options = options;
  Result<std::unique_ptr<Queue>> queue = Queue::Open(queue_options);
  if (!queue.ok()) return queue.status();
  ctx->queue = std::move(*queue);
  ctx->scheduler = Scheduler::ForQueue(*ctx->queue);
  ctx->watcher = std::make_unique<EventWatcher>(*ctx->queue);

  auto impl = std::make_unique<Impl>(std::move(ctx));
  Status st = impl->Listen();
  if (!st.ok()) return st;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop() {
  if (impl_) impl_->Stop();
}

}  // namespace taskqueue::http
