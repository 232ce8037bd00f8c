// Server-Sent Events: GET /api/v1/events streams the queue's durable event
// log, resumable from Last-Event-ID (or ?since=ID).
//
// EventWatcher is the one thread that notices new events: it watches the
// state directory with inotify (the database's WAL changes on every commit,
// by any process) and checks the event log then (and 5, 50 and 500 ms
// later, for a commit not yet visible), and every 30 s as a backstop; every
// `fallback_poll` where inotify is not to be had. Streams wait on it
// instead of polling the database each.
//
// Thread-safety: EventWatcher's methods are safe from any thread.
#ifndef TASKQUEUED_HTTP_SSE_H_
#define TASKQUEUED_HTTP_SSE_H_

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "server_context.h"

namespace taskqueue::http {

class EventWatcher {
 public:
  // Starts watching `queue`'s state dir. `queue` must outlive the watcher.
  explicit EventWatcher(Queue& queue,
                        std::chrono::milliseconds fallback_poll = std::chrono::milliseconds(500));
  ~EventWatcher();  // stops and joins the thread
  EventWatcher(const EventWatcher&) = delete;
  EventWatcher& operator=(const EventWatcher&) = delete;

  // The id of the newest event seen so far.
  int64_t latest() const { return latest_.load(); }
  // Waits until an event newer than `since` exists, Stop() is called, or
  // `timeout` passes. Returns latest().
  int64_t WaitNewer(int64_t since, std::chrono::milliseconds timeout);
  // Wakes every waiter and makes WaitNewer return at once from now on.
  void Stop();

 private:
  void Run();
  void Refresh();

  Queue& queue_;
  const std::chrono::milliseconds fallback_poll_;
  std::atomic<int64_t> latest_{0};
  std::atomic<bool> stopped_{false};
  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd written by Stop()
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

// Registers GET /api/v1/events: SSE when the client accepts
// text/event-stream (or ?stream=1), else one JSON page {"events", "last_id"}.
void RegisterEventRoutes(httplib::Server& server, ServerContext& ctx);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_SSE_H_
