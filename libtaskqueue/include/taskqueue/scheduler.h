// Scheduler: tasks waiting for their time, persisted in
// <state_dir>/<name>_sched.db, moved into the Queue when due.
//
// Scheduled tasks take their numbers from the same counter as the queue's and
// keep them when promoted and when retried.
//
// Thread-safety: safe for use from several threads; calls are serialized.
#ifndef TASKQUEUE_SCHEDULER_H_
#define TASKQUEUE_SCHEDULER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskqueue/export.h"
#include "taskqueue/options.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue {

class Engine;
class Queue;

struct TASKQUEUE_EXPORT ScheduleOptions {
  // When to run, in milliseconds since the epoch. Wins over delay_seconds.
  std::optional<int64_t> at_millis;
  // Seconds from now (may be negative). Default 0: due at once.
  int64_t delay_seconds = 0;
  TaskOptions task;
};

class TASKQUEUE_EXPORT Scheduler {
 public:
  static Result<std::unique_ptr<Scheduler>> Open(const QueueOptions& options);
  // Opens the scheduler a token from GetToken() names.
  // InvalidArgument("Invalid token.") for anything else.
  static Result<std::unique_ptr<Scheduler>> OpenFromToken(const std::string& token,
                                                          const QueueOptions& base = {});
  // A scheduler sharing `queue`'s state (files, registry and clock).
  static std::unique_ptr<Scheduler> ForQueue(const Queue& queue);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Parses and stores the command for later. Returns the task (uuid
  // TQ:TaskQueue-Scheduler:<n>). The command's processor is checked when it
  // comes due, not now (as in cPanel), unless it is unknown to this registry
  // and no plugin failure explains it: then NotSupported.
  Result<Task> ScheduleTask(std::string_view command, const ScheduleOptions& options = {});
  Result<bool> UnscheduleTask(int64_t id);
  Result<std::optional<Task>> IsTaskScheduled(int64_t id) const;
  // When the task is due (ms since the epoch), or nullopt if not scheduled.
  Result<std::optional<int64_t>> WhenIsTaskScheduled(int64_t id) const;
  Result<int64_t> HowManyScheduled() const;
  Result<std::optional<Task>> PeekNextTask() const;
  Result<std::vector<Task>> SnapshotTaskSchedule() const;
  // Milliseconds until the next task is due (<= 0 when one is due now), or
  // nullopt when nothing is scheduled.
  Result<std::optional<int64_t>> MillisUntilNextTask() const;

  // Moves every due task into `queue` (dupes dropped, unknown commands failed
  // into history; neither blocks the tasks behind it). A command that a
  // plugin which failed to load defines joins the queue unchecked, to wait
  // there for the plugin. Returns how many left the schedule.
  Result<int64_t> ProcessReadyTasks(Queue& queue);
  // Queues every scheduled task now; returns the uuids actually queued.
  Result<std::vector<std::string>> FlushAllTasks(Queue& queue);
  Result<int64_t> DeleteAllTasks();

  // "tqsched1:|:<name>:|:<path of the sched file>".
  std::string GetToken() const;

 private:
  explicit Scheduler(std::shared_ptr<Engine> engine);
  std::shared_ptr<Engine> engine_;
};

}  // namespace taskqueue

#endif  // TASKQUEUE_SCHEDULER_H_
