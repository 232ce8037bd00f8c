// Queue: the waiting, deferred and processing tasks of one named queue, plus
// the history of finished ones, persisted in <state_dir>/<name>_queue.db.
//
// Any number of processes may open the same queue at once. Every mutation is
// one SQLite transaction: a committed enqueue survives kill -9 of any process.
//
// Thread-safety: a Queue may be used from several threads; calls are
// serialized internally.
#ifndef TASKQUEUE_QUEUE_H_
#define TASKQUEUE_QUEUE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "taskqueue/event.h"
#include "taskqueue/export.h"
#include "taskqueue/options.h"
#include "taskqueue/processor.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue {

class Engine;

// What happened to one command string given to QueueTask(s).
struct TASKQUEUE_EXPORT EnqueueOutcome {
  Status status;          // not OK: refused (no processor, invalid args, ...)
  bool duplicate = false;  // OK but not queued: a pending task is the same
  int64_t id = 0;          // the new task's number when queued
  std::string uuid;        // "TQ:TaskQueue:<n>" when queued
};

struct TASKQUEUE_EXPORT QueueCounts {
  int64_t waiting = 0, deferred = 0, processing = 0, scheduled = 0, complete = 0, failed = 0;
  int64_t total() const {
    return waiting + deferred + processing + scheduled + complete + failed;
  }
};

// How one run ended, reported to FinishTask.
struct TASKQUEUE_EXPORT RunOutcome {
  enum class Kind {
    kSuccess,  // completed
    kFailure,  // returned an error or exited non-zero
    kTimeout,  // killed after its timeout
    kSignal,   // killed by a signal
    kLost,     // its process vanished and its status cannot be known
    kAborted,  // stopped by a daemon shutdown: runs again, attempt not counted
  };
  Kind kind = Kind::kSuccess;
  std::optional<int> exit_status;
  std::optional<int> term_signal;
  std::string error;
  std::string result;
  bool retryable = true;  // false: fail now even if attempts remain

  // How in-process work that returned `result` ended: kSuccess with its
  // text, or kFailure with its error's message.
  static RunOutcome OfResult(const Result<std::string>& result);
};

// One run that ended, for FinishAndClaim.
struct TASKQUEUE_EXPORT FinishedTask {
  int64_t id = 0;
  RunOutcome outcome;
};

// A page of tasks, Kue style: by state and/or command, in id order.
struct TASKQUEUE_EXPORT ListQuery {
  std::optional<TaskState> state;  // any state when unset (scheduled included)
  std::string command;             // any command when empty
  int64_t offset = 0;
  int64_t limit = 50;  // 0 = no limit
  bool descending = false;
  int64_t after_id = 0;  // cursor: only ids greater (asc) or smaller (desc); 0 = none
};

// Who is about to run a claimed task.
struct TASKQUEUE_EXPORT ClaimOptions {
  int64_t runner_pid = 0;  // the supervising process; default getpid()
  // Extra cap on processing tasks for this claim; 0 = the queue's max_running.
  int64_t max_running = 0;
  // FinishAndClaim only: called with the claimed tasks (if any) inside the
  // transaction, before its commit, so that a supervisor can start them
  // while the commit (and its fsync) is under way. Must not use this Queue;
  // if it throws, the whole transaction is rolled back and FinishAndClaim
  // returns the error. The claims are not durable yet: if FinishAndClaim
  // then fails, they are rolled back and whatever was started must be stopped;
  // after a crash in between, the tasks are still waiting in the file, and
  // only the caller's own records (taskqueued's spawn journal) know that
  // they started.
  std::function<void(const std::vector<Task>&)> start_before_commit;
  // FinishAndClaim only: return once the commit is safe from a crash of any
  // process, without waiting for it to reach the disk, which happens in the
  // background within a few milliseconds (with durability full: one
  // fdatasync for all the commits made meanwhile). A power loss in those
  // milliseconds may undo the commit: its claims then wait again, and its
  // runs are found processing after the reboot and retried or failed by
  // their policy, so a task may run once more but is never lost. For a
  // supervisor whose next runs should not wait for the disk (taskqueued).
  bool sync_in_background = false;
};

// OK when `name` may name a queue: letters, digits, '_', '-' and '.', not
// starting with '.', at most 200 characters (it becomes part of file names
// in the state dir). InvalidArgument naming it otherwise.
TASKQUEUE_EXPORT Status CheckQueueName(const std::string& name);

class TASKQUEUE_EXPORT Queue {
 public:
  // Opens (creating if needed) the queue named options.name in
  // options.state_dir, storing any settings given. Errors: InvalidArgument
  // (bad name or setting), IOError (cannot create or open, naming the file),
  // Corruption (a state file that is not ours, unless options.recover).
  static Result<std::unique_ptr<Queue>> Open(const QueueOptions& options);
  ~Queue();
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  const std::string& name() const;
  const std::filesystem::path& state_dir() const;
  std::filesystem::path queue_file() const;
  ProcessorRegistry& registry() const;
  Clock& clock() const;

  // --- Enqueue ------------------------------------------------------------
  // Parses `command` and queues it: refuses unknown commands ("No known
  // processor for '<cmd>'.") and invalid args; removes the pending tasks it
  // overrides; returns duplicate=true instead of queueing a dupe.
  Result<EnqueueOutcome> QueueTask(std::string_view command, const TaskOptions& options = {});
  // Queues each string in one transaction; one outcome per string, in order.
  // Refused items do not stop the others.
  Result<std::vector<EnqueueOutcome>> QueueTasks(const std::vector<std::string>& commands,
                                                 const TaskOptions& options = {});
  // Removes a waiting or deferred task. False if no such pending task.
  Result<bool> UnqueueTask(int64_t id);
  // Deletes every waiting and deferred task; returns how many.
  Result<int64_t> DeleteAllUnprocessedTasks();

  // --- Inspection ---------------------------------------------------------
  // The task with this number in the queue or its history (not scheduled).
  Result<std::optional<Task>> FindTask(int64_t id) const;
  // The first pending or processing task of `command` (waiting, then
  // deferred, then processing), or all of them.
  Result<std::optional<Task>> FindCommand(const std::string& command) const;
  Result<std::vector<Task>> FindCommands(const std::string& command) const;
  Result<std::optional<Task>> PeekNextTask() const;
  Result<QueueCounts> Counts() const;  // scheduled included
  // Tasks of one state in run order (waiting: priority then FIFO).
  Result<std::vector<Task>> TasksInState(TaskState state, int64_t limit = 0) const;
  Result<std::vector<Task>> List(const ListQuery& query) const;
  Result<int64_t> Count(std::optional<TaskState> state, const std::string& command = "") const;
  // Commands with tasks in the queue or its history.
  Result<std::vector<std::string>> CommandNames() const;
  // Total milliseconds spent by finished runs (Kue's workTime).
  Result<int64_t> WorkTimeMillis() const;
  // Full-text search over command, args, userdata, log lines and errors.
  Result<std::vector<Task>> Search(const std::string& query, std::optional<TaskState> state = {},
                                   const std::string& command = "", int64_t limit = 100) const;
  Result<std::vector<LogLine>> Logs(int64_t id) const;
  // Events with id > since_id, oldest first, at most `limit`.
  Result<std::vector<Event>> Events(int64_t since_id, int64_t limit = 1000) const;
  // Where a child's output for task `id` is kept.
  std::filesystem::path OutputPath(int64_t id) const;

  // --- Settings and pause -------------------------------------------------
  Result<QueueSettings> Settings() const;
  Status SetSetting(const std::string& key, const std::string& value);
  Status Pause();
  Status Resume();
  Result<bool> IsPaused() const;

  // --- Processing (cPanel's loop) -----------------------------------------
  // True when not paused, fewer than max_running are processing and a task
  // waits. Never blocks.
  Result<bool> HasWorkToDo() const;
  // Starts the next task: in-process processors run to completion here;
  // child processors are forked and left running (see FinishAllProcessing).
  // Returns true when nothing is left running by this call.
  Result<bool> ProcessNextTask();
  // Waits for every child this Queue started and records how each ended.
  Status FinishAllProcessing();

  // --- Processing (building blocks for a supervisor) ----------------------
  // Atomically picks the next task that may start (priority, FIFO, pause,
  // max_running, deferral tags, per-command concurrency) and marks it
  // processing. nullopt when nothing may start now. Tasks whose command has
  // no processor are failed on the way, never blocking the rest, unless a
  // plugin that failed to load defines it: those wait for it to be mended.
  Result<std::optional<Task>> ClaimNext(const ClaimOptions& options = {});
  // Records the child process running a claimed task. The record survives
  // a crash of any process when this returns, and reaches the disk in the
  // background (see ClaimOptions::sync_in_background): after a power loss
  // the child is gone anyway.
  Status SetTaskProcess(int64_t id, int64_t pid, int64_t pid_start_time,
                        const std::string& boot_id);
  // Records how a run ended: complete, retried later through the scheduler
  // (keeping the id), or failed. Releases its deferral tags.
  Status FinishTask(int64_t id, const RunOutcome& outcome);
  // Records every run in `finished` (as FinishTask) and then claims up to
  // `max_claims` tasks (as repeated ClaimNext calls would), in one
  // transaction: a supervisor pays one commit for all the runs that ended
  // and all the tasks that start at one turn of its loop. Returns the
  // claimed tasks in the order they should start. On error nothing is
  // claimed; the runs are recorded unless the transaction itself failed
  // (recording them again is harmless). A retry that cannot be moved to the
  // scheduler after the commit is reported only when nothing was claimed.
  Result<std::vector<Task>> FinishAndClaim(const std::vector<FinishedTask>& finished,
                                           const ClaimOptions& options, int64_t max_claims);
  // Claims the waiting task `id` for a run that had already started when its
  // claim was lost, whatever max_running, pause and deferral say: a
  // supervisor that started a child before its claim's commit
  // (ClaimOptions::start_before_commit) and died before the commit claims
  // the task again at restart. `seq` and `attempts_made` are the task's as
  // the lost claim found it; NotFound if the task is no longer so (the run
  // belonged to an earlier state of it).
  Result<Task> ClaimStarted(int64_t id, int64_t seq, int64_t attempts_made,
                            const ClaimOptions& options = {});
  // Processing tasks (for crash recovery by a supervisor).
  Result<std::vector<Task>> ProcessingTasks() const;

  // --- Kue's job model ----------------------------------------------------
  // Records a running task's progress (done of total, with a message).
  // Aborted if the task is not processing; NotFound if there is none.
  Status Progress(int64_t id, int64_t done, int64_t total, const std::string& data = "");
  Status Log(int64_t id, const std::string& line);
  // A failed (or complete) task runs again: back to waiting, attempts reset.
  // A retry waiting in the scheduler (a run failed, attempts remain) is made
  // due now. Aborted for a task in any other state (nothing failed);
  // NotFound if there is none.
  Status Retry(int64_t id);
  // Deletes a task in any state but processing (and its logs and output).
  Result<bool> Remove(int64_t id);
  Status SetPriority(int64_t id, int priority);
  // Moves a task that is not running to `state` by hand (Kue's
  // PUT /job/:id/state/:state). Nothing runs because of it:
  //  - kWaiting: a finished task runs again (attempts reset, like Retry); a
  //    scheduled one is queued now, as if it had come due; waiting or
  //    deferred: unchanged.
  //  - kProcessing: only the daemon starts runs, so the task goes to the head
  //    of the waiting tasks (a finished one reset first): it starts as soon
  //    as a slot is free, unless the queue is paused or its deferral tags are
  //    busy. Its priority becomes the head's when that one runs earlier.
  //  - kComplete / kFailed: finished now without a run and kept in history
  //    (remove_on_complete is not applied); a task set failed with no error
  //    gets one saying so.
  //  - kScheduled: moved to the scheduler due now (the queue keeps no delay
  //    once a task is queued); a finished task is reset to run again.
  // Setting the state a task has changes nothing. Events: retry, promotion,
  // complete, failed or schedule. Errors: NotFound (no such task),
  // InvalidArgument (the task is processing, or kDeferred: only the queue
  // defers), Aborted (it changed state meanwhile, e.g. a run started).
  Status SetState(int64_t id, TaskState state);
  // Applies the retention settings now; returns how many tasks were pruned.
  Result<int64_t> PruneHistory();

 private:
  explicit Queue(std::shared_ptr<Engine> engine);
  std::shared_ptr<Engine> engine_;
  friend class Scheduler;
};

}  // namespace taskqueue

#endif  // TASKQUEUE_QUEUE_H_
