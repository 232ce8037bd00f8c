// ServerContext: what every route handler of the HTTP server shares: the
// queue and scheduler it serves, its options, the event watcher, and the
// helpers that write JSON responses.
//
// Thread-safety: Queue and Scheduler serialize their own calls; the other
// members are set before the server starts and only read afterwards.
#ifndef TASKQUEUED_HTTP_SERVER_CONTEXT_H_
#define TASKQUEUED_HTTP_SERVER_CONTEXT_H_

#include <httplib.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http_server.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"
#include "taskqueue/status.h"

namespace taskqueue::http {

class EventWatcher;

struct ServerContext {
  std::unique_ptr<Queue> queue;
  std::unique_ptr<Scheduler> scheduler;
  HttpOptions options;
  std::unique_ptr<EventWatcher> watcher;
  std::atomic<bool> stopping{false};
  std::atomic<int> open_streams{0};
};

// Writes `body` as the JSON response with `status`.
void SendJson(httplib::Response& res, int status, const nlohmann::ordered_json& body);
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);

// The HTTP status that best reports a library error: 404 not found,
// 400 invalid input or unknown processor, 409 a state that forbids the
// operation, 503 busy, 500 anything else.
int HttpStatusFor(const Status& status);

// The /api/v1 error object: {"error": {"code": "...", "message": "..."}}.
nlohmann::json ErrorObject(const std::string& code, const std::string& message);
void SendV1Error(httplib::Response& res, int http_status, const std::string& code,
                 const std::string& message);
void SendV1Error(httplib::Response& res, const Status& status);

// Parses a positive task number from a path segment; nullopt otherwise.
std::optional<int64_t> ParseIdSegment(const std::string& text);

// Finds a task by number in the queue, its history or the schedule.
Result<std::optional<Task>> FindAnyTask(ServerContext& ctx, int64_t id);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_SERVER_CONTEXT_H_
