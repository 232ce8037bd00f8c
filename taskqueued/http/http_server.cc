// HttpServer: wiring of the routes, the security checks and the threads
// (see http_server.h).
#include "http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "api_v1_routes.h"
#include "connection_sockets.h"
#include "kue_routes.h"
#include "security.h"
#include "server_context.h"
#include "slow_request_guard.h"
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
  SlowRequestGuard guard_{ctx_->options.request_deadline};  // outlives server_'s pool
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> listen_ended_{false};  // set when thread_ is about to end
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

// Refuses, before httplib reads a body, the framings it would read without
// a bound or read wrongly; false with `res` set to the error. cpp-httplib
// 0.11 applies the body limit to Content-Length only: a chunked body (or
// any other transfer coding) was read whole into memory, however large
// (measured: 20 MB sent chunked took the daemon from 78 to 504 MB). Clients
// of this API send JSON with a Content-Length (curl -d, Kue's clients), so
// a transfer coding gets 411, which asks for one. A Content-Length that is
// not a whole number, or two that differ, is a malformed request (RFC 9112
// §6.3); httplib took "-5" for 2^64 - 5 (413) and used the first of two.
bool CheckBodyFraming(const httplib::Request& req, httplib::Response& res) {
  if (req.has_header("Transfer-Encoding")) {
    SendJson(res, 411,
             ErrorObject("length_required",
                         "Send the request body with a Content-Length: a Transfer-Encoding "
                         "(chunked) body is not accepted."));
    return false;
  }
  const size_t lengths = req.get_header_value_count("Content-Length");
  for (size_t i = 0; i < lengths; ++i) {
    const std::string value = req.get_header_value("Content-Length", i);
    const bool whole_number = !value.empty() && value.size() <= 18 &&
                              value.find_first_not_of("0123456789") == std::string::npos;
    if (!whole_number || value != req.get_header_value("Content-Length", 0)) {
      SendJson(res, 400,
               ErrorObject("bad_request",
                           whole_number
                               ? "The request has two different Content-Length "
                                 "headers."
                               : "Content-Length '" + value + "' is not a whole number of bytes."));
      return false;
    }
  }
  return true;
}

// httplib's worker pool, with each connection's job tracked by the guard.
class GuardedPool : public httplib::TaskQueue {
 public:
  GuardedPool(size_t threads, SlowRequestGuard& guard) : pool_(threads), guard_(guard) {}
  void enqueue(std::function<void()> job) override { pool_.enqueue(guard_.Track(std::move(job))); }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  SlowRequestGuard& guard_;
};

// Set by the pre-routing hook for a request refused with its body unread;
// a worker thread handles one request at a time, start to end.
thread_local bool stop_reading_after_answer = false;

}  // namespace

void HttpServer::Impl::Configure() {
  const HttpOptions& options = ctx_->options;
  // Event streams hold a thread each for as long as they are open.
  const size_t threads = static_cast<size_t>(std::max(1, options.max_event_streams)) + 16;
  server_.new_task_queue = [this, threads] { return new GuardedPool(threads, guard_); };
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
    guard_.HeadersRead(req.remote_addr, req.remote_port,
                       req.get_header_value("Content-Length") != "0");
    if (!CheckBodyFraming(req, res)) {
      // The body is left unread, and nothing after it on this connection is
      // a request: httplib would parse it line by line (a 20 MB line held
      // whole) as requests. It reads no more of it once the answer is
      // written (httplib writes nothing to a socket it cannot read).
      res.set_header("Connection", "close");
      stop_reading_after_answer = true;
      return httplib::Server::HandlerResponse::Handled;
    }
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
  // Called on the request's worker thread once its answer is written.
  server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("http: {} {} {} -> {}", req.remote_addr, req.method, req.path, res.status);
    guard_.Answered(req.remote_addr, req.remote_port);
    if (stop_reading_after_answer) {
      stop_reading_after_answer = false;
      ShutdownReadingFrom(port_, req.remote_addr, req.remote_port);
    }
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
  guard_.Start(port_);
  thread_ = std::thread([this] {
    if (!server_.listen_after_bind()) spdlog::error("http: the server stopped with an error");
    listen_ended_ = true;
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
  // httplib's stop() waits for every worker, and a worker reading a request
  // waits for its client: one that trickles a header a second would hold
  // the daemon's exit (and its lock) for as long as it likes. Reads of the
  // connections still open are ended until the workers are gone.
  if (thread_.joinable()) {
    while (!listen_ended_) {
      ShutdownConnectionsOnPort(port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    thread_.join();
  }
  guard_.Stop();
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
