// Mapping between taskqueue's Task and the JSON the HTTP APIs speak: Kue's
// job object and job request (SPEC §6), and the /api/v1 task and event
// objects.
//
// Kue's model maps onto ours as: type = command name, data.args = args,
// the rest of data = userdata (a flat object), options.attempts/priority/
// backoff/ttl/removeOnComplete = the task options, options.delay = a
// schedule. States: inactive = waiting (and deferred), active = processing,
// delayed = scheduled, complete, failed.
//
// Thread-safety: free functions over values.
#ifndef TASKQUEUED_HTTP_JSON_MAPPING_H_
#define TASKQUEUED_HTTP_JSON_MAPPING_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "taskqueue/event.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue::http {

// Kue's name for a state: inactive, active, delayed, complete, failed.
const char* KueStateName(TaskState state);
// Our states for a Kue state name (inactive = waiting and deferred), or for
// one of our own names; empty for anything else.
std::vector<TaskState> StatesForName(const std::string& name);

// Kue's Job#toJSON for `task`, with Kue's key order and types: timestamps as
// ms-epoch strings, absent fields left out, id a string.
nlohmann::ordered_json KueJobJson(const Task& task);

// One item of Kue's POST /job, translated.
struct KueJobRequest {
  std::string command;  // "type 'arg 1' arg2", ready for Queue::QueueTask
  TaskOptions options;
  int64_t delay_ms = 0;  // > 0: schedule instead of queue
};
// Translates one POST /job item. InvalidArgument with a message for a
// person on anything malformed ("Must provide job type" when type is
// missing, as Kue says).
Result<KueJobRequest> ParseKueJob(const nlohmann::json& item);

// Kue-style priority: an integer or a name (low, normal, medium, high,
// critical), as a JSON number or string.
Result<int> ParsePriorityJson(const nlohmann::json& value, const std::string& field);

// The /api/v1 task object: the CLI's task object (times in Unix seconds)
// plus millisecond times and the rest of the record.
nlohmann::json TaskJson(const Task& task);
// Options of POST /api/v1/tasks: priority, attempts, backoff ("fixed:SECS"),
// timeout, userdata (object), remove_on_complete. Unknown keys are errors.
Result<TaskOptions> ParseTaskOptionsJson(const nlohmann::json& options);

// {"id", "type", "task_id", "time" (ms), "data"}.
nlohmann::json EventJson(const Event& event);

// Equality of the options that QueueTasks applies to a whole batch.
bool SameTaskOptions(const TaskOptions& a, const TaskOptions& b);

}  // namespace taskqueue::http

#endif  // TASKQUEUED_HTTP_JSON_MAPPING_H_
