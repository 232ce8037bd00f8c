// Event: one entry of a queue's durable, ordered event log (Kue's job and
// queue events). Ids increase strictly; a reader that remembers the last id
// it saw can follow the log across restarts without missing or repeating one.
//
// Thread-safety: plain values.
#ifndef TASKQUEUE_EVENT_H_
#define TASKQUEUE_EVENT_H_

#include <cstdint>
#include <string>

#include "taskqueue/export.h"

namespace taskqueue {

struct TASKQUEUE_EXPORT Event {
  int64_t id = 0;
  // enqueue, schedule, promotion, start, progress, failed_attempt, failed,
  // complete, remove, deferred, resumed, retry, interrupted (a run stopped by
  // a shutdown, back to waiting), paused, unpaused. Log lines are not events.
  std::string type;
  int64_t task_id = 0;  // 0 for queue-wide events (paused, unpaused)
  int64_t time = 0;     // milliseconds since the epoch
  std::string data_json = "{}";  // type-specific details
};

// One line of a task's log.
struct TASKQUEUE_EXPORT LogLine {
  int64_t time = 0;  // milliseconds since the epoch
  std::string line;
};

}  // namespace taskqueue

#endif  // TASKQUEUE_EVENT_H_
