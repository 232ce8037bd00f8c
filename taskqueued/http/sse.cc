// The event watcher and GET /api/v1/events (see sse.h).
#include "sse.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <vector>

#include "json_mapping.h"

namespace taskqueue::http {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kKeepAlive(15000);
constexpr milliseconds kStatsInterval(250);
constexpr int64_t kBatch = 200;

json CountsJson(const QueueCounts& c) {
  return {{"waiting", c.waiting},     {"deferred", c.deferred}, {"processing", c.processing},
          {"scheduled", c.scheduled}, {"complete", c.complete}, {"failed", c.failed}};
}

// The "stats" SSE event: counts and pause state, sent after events so a
// dashboard never has to poll for them.
std::string StatsFrame(ServerContext& ctx) {
  Result<QueueCounts> counts = ctx.queue->Counts();
  Result<bool> paused = ctx.queue->IsPaused();
  if (!counts.ok()) return "";
  json body = {{"counts", CountsJson(*counts)},
               {"paused", paused.ok() ? json(*paused) : json(nullptr)},
               {"last_event_id", ctx.watcher->latest()}};
  return "event: stats\ndata: " + body.dump() + "\n\n";
}

std::string EventFrame(const Event& event) {
  return "id: " + std::to_string(event.id) + "\ndata: " + EventJson(event).dump() + "\n\n";
}

bool WantsStream(const httplib::Request& req) {
  if (req.get_param_value("stream") == "1") return true;
  return req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
}

// Where a stream starts: Last-Event-ID, else ?since=, else "from now".
std::optional<int64_t> StartId(const httplib::Request& req, int64_t now_latest, bool* bad) {
  *bad = false;
  std::string text = req.get_header_value("Last-Event-ID");
  if (text.empty()) text = req.get_param_value("since");
  if (text.empty()) return now_latest;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < 0) {
    *bad = true;
    return std::nullopt;
  }
  return v;
}

struct StreamState {
  int64_t since = 0;
  bool started = false;
  bool stats_dirty = false;
  Clock::time_point last_stats{};
};

}  // namespace

EventWatcher::EventWatcher(Queue& queue, milliseconds fallback_poll)
    : queue_(queue), fallback_poll_(fallback_poll) {
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ >= 0 &&
      inotify_add_watch(inotify_fd_, queue.state_dir().c_str(),
                        IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) < 0) {
    spdlog::warn("http: cannot watch {} ({}); checking for events every {} ms",
                 queue.state_dir().string(), std::strerror(errno), fallback_poll.count());
    close(inotify_fd_);
    inotify_fd_ = -1;
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  Refresh();
  thread_ = std::thread([this] { Run(); });
}

EventWatcher::~EventWatcher() {
  Stop();
  if (thread_.joinable()) thread_.join();
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void EventWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof one);
    (void)ignored;
  }
}

void EventWatcher::Refresh() {
  int64_t since = latest_.load();
  // Walk to the newest event; usually one small query.
  for (;;) {
    Result<std::vector<Event>> events = queue_.Events(since, 1000);
    if (!events.ok() || events->empty()) break;
    since = events->back().id;
    if (events->size() < 1000) break;
  }
  if (since > latest_.load()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      latest_ = since;
    }
    cv_.notify_all();
  }
}

void EventWatcher::Run() {
  // inotify reports a commit's write to the WAL before readers can see the
  // commit (SQLite publishes it after its fsync): after a change, look
  // again a little later, as taskqueued's loop does. Otherwise sleep: with
  // inotify the poll is only a backstop.
  constexpr milliseconds kRechecks[] = {milliseconds(5), milliseconds(50), milliseconds(500)};
  constexpr milliseconds kBackstop = std::chrono::seconds(30);
  std::vector<Clock::time_point> rechecks;  // the earliest last
  char buf[4096];
  while (!stopped_) {
    milliseconds wait = inotify_fd_ >= 0 ? std::max(kBackstop, fallback_poll_) : fallback_poll_;
    if (!rechecks.empty()) {
      wait = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                           rechecks.back() - Clock::now() + milliseconds(1)));
    }
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    int n = poll(fds, inotify_fd_ >= 0 ? 2 : 1, static_cast<int>(wait.count()));
    if (stopped_) break;
    const Clock::time_point now = Clock::now();
    if (n > 0 && (fds[1].revents & POLLIN)) {
      // Drain; the content does not matter, only that something changed.
      while (read(inotify_fd_, buf, sizeof buf) > 0) {
      }
      rechecks.clear();
      for (auto it = std::rbegin(kRechecks); it != std::rend(kRechecks); ++it) {
        rechecks.push_back(now + *it);
      }
    }
    while (!rechecks.empty() && now >= rechecks.back()) rechecks.pop_back();
    Refresh();
  }
}

int64_t EventWatcher::WaitNewer(int64_t since, milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return stopped_.load() || latest_.load() > since; });
  return latest_.load();
}

void RegisterEventRoutes(httplib::Server& server, ServerContext& ctx) {
  server.Get("/api/v1/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    bool bad = false;
    std::optional<int64_t> start = StartId(req, ctx.watcher->latest(), &bad);
    if (bad) {
      SendV1Error(res, 400, "invalid_argument",
                  "Last-Event-ID / since must be a non-negative event id");
      return;
    }
    if (!WantsStream(req)) {
      int64_t limit = 1000;
      if (std::string l = req.get_param_value("limit"); !l.empty()) {
        limit = std::clamp<int64_t>(std::atoll(l.c_str()), 1, 10000);
      }
      int64_t since = req.has_param("since") || req.has_header("Last-Event-ID") ? *start : 0;
      if (std::string w = req.get_param_value("wait"); !w.empty()) {
        int64_t secs = std::clamp<int64_t>(std::atoll(w.c_str()), 0, 30);
        ctx.watcher->WaitNewer(since, milliseconds(secs * 1000));
      }
      Result<std::vector<Event>> events = ctx.queue->Events(since, limit);
      if (!events.ok()) return SendV1Error(res, events.status());
      json list = json::array();
      for (const Event& e : *events) list.push_back(EventJson(e));
      SendJson(res, 200,
               json{{"events", list}, {"last_id", events->empty() ? since : events->back().id}});
      return;
    }
    if (ctx.open_streams.fetch_add(1) >= ctx.options.max_event_streams) {
      ctx.open_streams.fetch_sub(1);
      res.set_header("Retry-After", "5");
      SendV1Error(res, 503, "busy", "Too many open event streams.");
      return;
    }
    auto state = std::make_shared<StreamState>();
    state->since = *start;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [&ctx, state](size_t /*offset*/, httplib::DataSink& sink) {
          auto write = [&sink](const std::string& s) {
            return s.empty() || sink.write(s.data(), s.size());
          };
          if (ctx.stopping) {
            sink.done();
            return true;
          }
          if (!state->started) {
            state->started = true;
            state->last_stats = Clock::now();
            return write("retry: 2000\n\n") && write(StatsFrame(ctx));
          }
          Result<std::vector<Event>> events = ctx.queue->Events(state->since, kBatch);
          if (!events.ok()) {
            spdlog::warn("http: event stream: {}", events.status().ToString());
            return false;  // the client reconnects and resumes
          }
          auto now = Clock::now();
          if (!events->empty()) {
            std::string out;
            for (const Event& e : *events) out += EventFrame(e);
            state->since = events->back().id;
            state->stats_dirty = true;
            if (!write(out)) return false;
          }
          if (state->stats_dirty && now - state->last_stats >= kStatsInterval) {
            state->stats_dirty = false;
            state->last_stats = now;
            if (!write(StatsFrame(ctx))) return false;
          }
          if (!events->empty() && static_cast<int64_t>(events->size()) == kBatch) return true;
          milliseconds wait = kKeepAlive;
          if (state->stats_dirty) {
            wait = std::chrono::duration_cast<milliseconds>(kStatsInterval -
                                                            (now - state->last_stats)) +
                   milliseconds(1);
          }
          int64_t latest = ctx.watcher->WaitNewer(state->since, wait);
          if (ctx.stopping) {
            sink.done();
            return true;
          }
          if (latest <= state->since && !state->stats_dirty) return write(": keep-alive\n\n");
          return true;
        },
        [&ctx](bool /*success*/) { ctx.open_streams.fetch_sub(1); });
  });
}

}  // namespace taskqueue::http
