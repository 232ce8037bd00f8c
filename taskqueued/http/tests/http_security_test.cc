// Token, read-only token, bind, same-origin (CSRF), Host (DNS rebinding),
// body size and rate limits, static files.
#include <poll.h>

#include <chrono>
#include <sstream>

#include "http_test_fixture.h"

namespace taskqueue::http::testing {
namespace {

class SecurityTest : public HttpTest {
 protected:
  int64_t Total() {
    auto c = queue().Counts();
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->total() : -1;
  }
};

TEST_F(SecurityTest, TokenIsRequiredForTheApiNotForThePage) {
  HttpOptions options;
  options.token = "s3cret-token";
  options.read_only_token = "look-only";
  StartServer(options);

  auto r = client_->Get("/api/v1/stats");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r)["error"]["code"], "unauthorized");
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"taskqueue\"");
  EXPECT_EQ(client_->Get("/stats")->status, 401);
  EXPECT_EQ(client_->Get("/api/v1/stats", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(client_->Get("/api/v1/stats", {{"Authorization", "Basic s3cret-token"}})->status, 401);
  EXPECT_EQ(client_->Get("/api/v1/stats", {{"Authorization", "Bearer s3cret-token"}})->status, 200);
  // The scheme's name in any case, with any number of spaces after it.
  EXPECT_EQ(client_->Get("/api/v1/stats", {{"Authorization", "bearer s3cret-token"}})->status, 200);
  EXPECT_EQ(client_->Get("/api/v1/stats", {{"Authorization", "BEARER  s3cret-token"}})->status,
            200);
  EXPECT_EQ(client_->Get("/api/v1/stats", {{"Authorization", "Bearers3cret-token"}})->status, 401);
  EXPECT_EQ(client_->Get("/api/v1/stats", {{"Authorization", "Bearer "}})->status, 401);
  EXPECT_EQ(client_->Get("/")->status, 200);  // the login page itself
  EXPECT_EQ(client_->Get("/assets/app.js")->status, 200);

  // Read-only: GETs only.
  httplib::Headers ro = {{"Authorization", "Bearer look-only"}};
  EXPECT_EQ(client_->Get("/stats", ro)->status, 200);
  EXPECT_EQ(Body(client_->Get("/api/v1/whoami", ro))["role"], "read-only");
  r = client_->Post("/job", ro, R"({"type": "email"})", "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r)["error"]["code"], "read_only");
  EXPECT_EQ(client_->Post("/api/v1/pause", ro, "", "application/json")->status, 403);
  EXPECT_EQ(client_->Get("/inactive/1", ro)->status, 403);  // Kue's mutating GET
  EXPECT_EQ(Total(), 0);

  httplib::Headers full = {{"Authorization", "Bearer s3cret-token"}};
  r = client_->Post("/job", full, R"({"type": "email"})", "application/json");
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Total(), 1);
}

TEST_F(SecurityTest, MutationsMustBeSameOrigin) {
  StartServer();
  const std::string host = "127.0.0.1:" + std::to_string(server_->port());
  struct Case {
    httplib::Headers headers;
    int status;
  } cases[] = {
      {{{"Origin", "http://evil.example"}}, 403},
      {{{"Origin", "null"}}, 403},
      {{{"Sec-Fetch-Site", "cross-site"}}, 403},
      {{{"Referer", "http://evil.example/page"}}, 403},
      {{{"Origin", "http://" + host}}, 200},
      {{{"Sec-Fetch-Site", "same-origin"}}, 200},
      {{{"Referer", "http://" + host + "/"}}, 200},
      {{}, 200},  // curl, scripts, Kue clients: no browser, no CSRF
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string body = R"({"type": "email", "data": {"args": [")" + std::to_string(n++) + "\"]}}";
    auto r = client_->Post("/job", c.headers, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << r->body;
  }
  EXPECT_EQ(Total(), 4);
  // A cross-site GET cannot restart a job either.
  EXPECT_EQ(client_->Get("/inactive/1", {{"Sec-Fetch-Site", "cross-site"}})->status, 403);
  // Reads are not refused for their origin (the browser will not let the
  // other site read the answer).
  EXPECT_EQ(client_->Get("/stats", {{"Origin", "http://evil.example"}})->status, 200);
  // Other methods are refused.
  EXPECT_EQ(client_->Options("/job")->status, 405);
  EXPECT_EQ(client_->Patch("/job/1", "{}", "application/json")->status, 405);
}

TEST_F(SecurityTest, HostMustBeThisMachineWithoutAToken) {
  StartServer();
  auto r = client_->Get("/stats", {{"Host", "rebind.evil.example"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(client_->Get("/stats", {{"Host", "localhost:1234"}})->status, 200);
}

TEST_F(SecurityTest, NonLoopbackBindNeedsAToken) {
  HttpOptions options;
  options.address = "0.0.0.0";
  auto server = HttpServer::Start(queue_options_, options);
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(server.status().IsInvalidArgument());
  EXPECT_NE(server.status().message().find("without a token"), std::string::npos);

  options.token = "t";
  options.address = "0.0.0.0";
  server = HttpServer::Start(queue_options_, options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_GT((*server)->port(), 0);

  HttpOptions bad;
  bad.port = 70000;
  EXPECT_FALSE(HttpServer::Start(queue_options_, bad).ok());
}

TEST_F(SecurityTest, BindsLoopbackByDefaultAndReportsABusyPort) {
  StartServer();
  HttpOptions same;
  same.port = server_->port();
  auto second = HttpServer::Start(queue_options_, same);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsIOError()) << second.status().ToString();
}

TEST_F(SecurityTest, HugeBodiesGet413AndStoreNothing) {
  HttpOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  std::string big = R"({"type": "email", "data": {"pad": ")" + std::string(4096, 'x') + "\"}}";
  auto r = client_->Post("/job", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Body(r)["error"]["code"], "too_large");
  r = client_->Post("/api/v1/tasks", big, "application/json");
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Total(), 0);
  // The server is still fine.
  EXPECT_EQ(client_->Get("/stats")->status, 200);
}

TEST_F(SecurityTest, BodiesWithoutAWholeContentLengthAreRefusedUnread) {
  StartServer();
  // No Connection: close below: the server must close a connection whose
  // body it did not read (RawRequest reads until then, 5 s at most).
  const auto started = std::chrono::steady_clock::now();
  std::string chunk = R"({"type": "email"})";
  std::string response = RawRequest(
      "POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
      (std::stringstream() << std::hex << chunk.size()).str() + "\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 411", 0), 0u) << response;
  EXPECT_NE(response.find("length_required"), std::string::npos) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;

  response = RawRequest(
      "POST /api/v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: -5\r\n\r\n{}");
  EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Length '-5' is not a whole number"), std::string::npos)
      << response;

  const std::string body = R"({"type": "email"})";
  response = RawRequest(
      "POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0u) << response;
  EXPECT_NE(response.find("two different Content-Length"), std::string::npos) << response;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  EXPECT_EQ(Total(), 0);

  // The same length twice is one length.
  response = RawRequest(
      "POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body);
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  EXPECT_EQ(Total(), 1);
}

TEST_F(SecurityTest, StopDoesNotWaitForAClientStillSendingItsRequest) {
  StartServer();
  const int fd = Connect();
  ASSERT_GE(fd, 0);
  const std::string partial = "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n";  // no end
  ASSERT_EQ(send(fd, partial.data(), partial.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(partial.size()));
  // A complete request answered first: the server is reading the partial one.
  EXPECT_EQ(client_->Get("/stats")->status, 200);
  // The server reads a request for up to 10 s between two bytes (httplib's
  // read timeout); a daemon told to stop must not wait for it.
  const auto started = std::chrono::steady_clock::now();
  StopServer();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  close(fd);
}

TEST_F(SecurityTest, AClientSendingItsRequestTooSlowlyIsCutOff) {
  HttpOptions options;
  options.request_deadline = std::chrono::milliseconds(300);
  StartServer(options);
  const int fd = Connect();
  ASSERT_GE(fd, 0);
  std::string bytes = "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  // A header line every 50 ms, well inside httplib's 10 s between two
  // bytes, until the server closes the connection (or 5 s pass).
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
    if (send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {
      closed = true;
      break;
    }
    bytes = "X-Slow: y\r\n";
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[256];
      closed = recv(fd, buf, sizeof(buf), 0) <= 0;
    }
  }
  close(fd);
  EXPECT_TRUE(closed) << "a request trickled in for 5 s";
  // A request with no body waits in its handler past the deadline and is
  // answered: the limit is on sending the request, not on the answer.
  auto r = client_->Get("/api/v1/events?wait=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(client_->Get("/stats")->status, 200);
}

TEST_F(SecurityTest, RateLimitGives429) {
  HttpOptions options;
  options.rate_limit_per_second = 1;
  options.rate_limit_burst = 5;
  options.rate_limit_loopback = true;
  StartServer(options);
  int ok = 0, limited = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = client_->Get("/stats");
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) {
      ++limited;
      EXPECT_EQ(r->get_header_value("Retry-After"), "1");
    }
  }
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 7);
  EXPECT_EQ(ok + limited, 20);
}

TEST_F(SecurityTest, OnlyEmbeddedAssetsAreServed) {
  StartServer();
  auto r = client_->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r->body.find("/assets/app.js"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(client_->Get("/assets/app.css")->get_header_value("Content-Type"),
            "text/css; charset=utf-8");
  EXPECT_EQ(client_->Get("/failed")->status, 200);  // Kue's UI paths
  for (const char* path : {"/assets/../http_server.cc", "/assets/%2e%2e/%2e%2e/etc/passwd",
                           "/assets/..%2fCMakeLists.txt", "/../../etc/passwd", "/assets/",
                           "/assets/nosuch.js", "/etc/passwd", "/assets/index.html"}) {
    auto bad = client_->Get(path);
    ASSERT_TRUE(bad) << path;
    EXPECT_EQ(bad->status, 404) << path << " -> " << bad->body.substr(0, 80);
  }
}

}  // namespace
}  // namespace taskqueue::http::testing
