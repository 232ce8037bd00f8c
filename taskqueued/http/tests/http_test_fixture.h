// Test fixture for the HTTP server: a temporary queue with a few processors,
// the server on a free loopback port, and helpers to call it.
#ifndef TASKQUEUED_HTTP_TESTS_HTTP_TEST_FIXTURE_H_
#define TASKQUEUED_HTTP_TESTS_HTTP_TEST_FIXTURE_H_

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fakes/test_util.h"
#include "http_server.h"
#include "taskqueue/processor.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

namespace taskqueue::http::testing {

using nlohmann::json;

// Like Kue: jobs of this type are never duplicates of each other.
class NoDupes : public Processor {
 public:
  bool HasCustomIsDupe() const override { return true; }
  bool IsDupe(const Task&, const Task&) const override { return false; }
  Result<std::string> ProcessTask(TaskContext&) const override { return std::string("ok"); }
};

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<ProcessorRegistry>();
    auto ok = [](TaskContext& ctx) -> Result<std::string> {
      ctx.Log("working on " + ctx.task().command);
      ctx.Progress(1, 2);
      return std::string("done");
    };
    auto fail = [](TaskContext&) -> Result<std::string> { return Status::IOError("it broke"); };
    // Kue had no dedupe: a processor that never calls a task a duplicate.
    ASSERT_TRUE(registry_->Register("test:inserts", std::make_shared<NoDupes>()).ok());
    ASSERT_TRUE(registry_->RegisterFunction("email", ok).ok());
    ASSERT_TRUE(registry_->RegisterFunction("fail", fail).ok());
    queue_options_.state_dir = dir_.path();
    queue_options_.registry = registry_;
    queue_options_.durability = Durability::kNormal;
  }
  void TearDown() override { StopServer(); }

  void StartServer(HttpOptions options = {}) {
    auto server = HttpServer::Start(queue_options_, options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  void StopServer() {
    client_.reset();
    server_.reset();
  }

  // A second handle on the same queue, as the daemon or the CLI would hold.
  Queue& queue() {
    if (!queue_) {
      auto q = Queue::Open(queue_options_);
      EXPECT_TRUE(q.ok()) << q.status().ToString();
      queue_ = std::move(*q);
    }
    return *queue_;
  }
  // Runs waiting tasks to completion (in-process processors), as the daemon.
  void ProcessAll() {
    for (int i = 0; i < 100; ++i) {
      auto more = queue().HasWorkToDo();
      ASSERT_TRUE(more.ok());
      if (!*more) break;
      ASSERT_TRUE(queue().ProcessNextTask().ok());
    }
  }

  static json Body(const httplib::Result& r) {
    if (!r) return json("<no response>");
    return json::parse(r->body, nullptr, false);
  }

  // A new connection to the server; -1 if it failed. The caller closes it.
  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  // Sends `request` as written (httplib's client always adds a
  // Content-Length) on a new connection and returns everything the server
  // answers until it closes; "" if nothing came within 5 seconds.
  std::string RawRequest(const std::string& request) {
    int fd = Connect();
    if (fd < 0) return "";
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::string out;
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return out;
  }

  httplib::Result PostJson(const std::string& path, const json& body) {
    return client_->Post(path.c_str(), body.dump(), "application/json");
  }

  taskqueue::testing::TempDir dir_;
  std::shared_ptr<ProcessorRegistry> registry_;
  QueueOptions queue_options_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::unique_ptr<Queue> queue_;
};

}  // namespace taskqueue::http::testing

#endif  // TASKQUEUED_HTTP_TESTS_HTTP_TEST_FIXTURE_H_
