// GET /api/v1/events: Server-Sent Events, resumable from Last-Event-ID
// without loss, and the JSON form.
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "http_test_fixture.h"

namespace taskqueue::http::testing {
namespace {

using std::chrono::steady_clock;

struct Frame {
  std::string id, event, data;
};

// Reads an SSE stream on a thread, parsing frames, until told to stop.
class SseReader {
 public:
  SseReader(int port, const std::string& last_event_id) : client_("127.0.0.1", port) {
    client_.set_read_timeout(30, 0);
    thread_ = std::thread([this, last_event_id] {
      httplib::Headers headers = {{"Accept", "text/event-stream"}};
      if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
      client_.Get("/api/v1/events", headers, [this](const char* data, size_t n) {
        std::lock_guard<std::mutex> lock(mu_);
        buffer_.append(data, n);
        size_t cut;
        while ((cut = buffer_.find("\n\n")) != std::string::npos) {
          Parse(buffer_.substr(0, cut));
          buffer_.erase(0, cut + 2);
        }
        return !stop_;
      });
    });
  }
  ~SseReader() {
    stop_ = true;
    client_.stop();
    thread_.join();
  }
  // Waits (deadline 10 s) until `pred(frames)` holds.
  template <typename Pred>
  bool WaitFor(Pred pred) {
    auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (pred(frames_)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  std::vector<Frame> frames() {
    std::lock_guard<std::mutex> lock(mu_);
    return frames_;
  }

 private:
  void Parse(const std::string& text) {
    Frame f;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? text.size() : end + 1;
      if (line.rfind("id: ", 0) == 0) f.id = line.substr(4);
      if (line.rfind("event: ", 0) == 0) f.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) f.data = line.substr(6);
    }
    if (!f.data.empty()) frames_.push_back(f);
  }

  httplib::Client client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string buffer_;
  std::vector<Frame> frames_;
};

std::vector<int64_t> EventIds(const std::vector<Frame>& frames) {
  std::vector<int64_t> ids;
  for (const Frame& f : frames) {
    if (f.event.empty() && !f.id.empty()) ids.push_back(std::stoll(f.id));
  }
  return ids;
}

class SseTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    StartServer();
  }
  std::vector<int64_t> AllEventIds() {
    auto events = queue().Events(0, 100000);
    EXPECT_TRUE(events.ok());
    std::vector<int64_t> ids;
    for (const Event& e : *events) ids.push_back(e.id);
    return ids;
  }
};

TEST_F(SseTest, StreamsNewEventsAndStats) {
  SseReader reader(server_->port(), "");
  // The stream opens with a stats frame.
  ASSERT_TRUE(reader.WaitFor(
      [](const std::vector<Frame>& f) { return !f.empty() && f[0].event == "stats"; }));
  // Another process queues: the stream sees it within moments.
  auto queued = queue().QueueTask("email live");
  ASSERT_TRUE(queued.ok());
  int64_t id = queued->id;
  ASSERT_TRUE(reader.WaitFor([id](const std::vector<Frame>& frames) {
    for (const Frame& f : frames) {
      if (f.event.empty() && json::parse(f.data)["task_id"] == id) return true;
    }
    return false;
  }));
  ASSERT_TRUE(reader.WaitFor([](const std::vector<Frame>& frames) {
    for (const Frame& f : frames) {
      if (f.event == "stats" && json::parse(f.data)["counts"]["waiting"] == 1) return true;
    }
    return false;
  }));
  json event;
  for (const Frame& f : reader.frames()) {
    if (f.event.empty()) event = json::parse(f.data);
  }
  EXPECT_EQ(event["type"], "enqueue");
  EXPECT_TRUE(event.contains("time"));
  EXPECT_TRUE(event.contains("data"));
}

TEST_F(SseTest, ResumesFromLastEventIdWithoutLoss) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue().QueueTask("email a" + std::to_string(i)).ok());
  std::vector<int64_t> before = AllEventIds();
  ASSERT_GE(before.size(), 3u);
  int64_t resume_from = before[0];
  {
    SseReader first(server_->port(), "0");
    ASSERT_TRUE(first.WaitFor([&](const std::vector<Frame>& f) { return EventIds(f) == before; }));
  }
  // Events happen while nobody listens, then a client resumes mid-way.
  for (int i = 0; i < 250; ++i) {
    ASSERT_TRUE(queue().QueueTask("email b" + std::to_string(i)).ok());
  }
  ProcessAll();
  std::vector<int64_t> all = AllEventIds();
  std::vector<int64_t> expected(all.begin() + 1, all.end());  // everything after before[0]
  SseReader second(server_->port(), std::to_string(resume_from));
  ASSERT_TRUE(second.WaitFor([&](const std::vector<Frame>& f) {
    return EventIds(f).size() >= expected.size();
  })) << EventIds(second.frames()).size()
      << " of " << expected.size();
  EXPECT_EQ(EventIds(second.frames()), expected);  // in order, none missing, none repeated
}

TEST_F(SseTest, JsonFormAndBadIds) {
  ASSERT_TRUE(queue().QueueTask("email x").ok());
  json page = Body(client_->Get("/api/v1/events?since=0"));
  ASSERT_FALSE(page["events"].empty());
  EXPECT_EQ(page["last_id"], page["events"].back()["id"]);
  json rest = Body(client_->Get(("/api/v1/events?since=" + page["last_id"].dump()).c_str()));
  EXPECT_TRUE(rest["events"].empty());
  auto r = client_->Get("/api/v1/events", {{"Last-Event-ID", "abc"}});
  EXPECT_EQ(r->status, 400);
  r = client_->Get("/api/v1/events?since=-4");
  EXPECT_EQ(r->status, 400);
}

TEST_F(SseTest, StopEndsOpenStreams) {
  auto reader = std::make_unique<SseReader>(server_->port(), "");
  ASSERT_TRUE(reader->WaitFor([](const std::vector<Frame>& f) { return !f.empty(); }));
  auto start = steady_clock::now();
  StopServer();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
  reader.reset();
}

}  // namespace
}  // namespace taskqueue::http::testing
