// ChildSupervisor: the child processes running tasks for the daemon. It
// starts children (recording pid, start time and boot id before letting them
// run), reaps them on SIGCHLD, enforces timeouts on the whole process group
// (SIGTERM, then SIGKILL after a grace period), keeps their output within
// bounds, stops them at shutdown, and supervises again, through a pidfd, the
// children a killed daemon left running. It turns each ending into a
// FinishedRun; the caller records it with Queue::FinishTask.
//
// When a child ends, anything left in its process group is killed: a task
// owns its group, and no process of it outlives it.
//
// Thread-safety: not thread-safe; the daemon's main loop owns it. It waits
// only for the children it started, by pid.
#ifndef TASKQUEUED_CHILD_SUPERVISOR_H_
#define TASKQUEUED_CHILD_SUPERVISOR_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "finished_run.h"
#include "output_file.h"
#include "spawn_journal.h"
#include "taskqueue/processor.h"
#include "taskqueue/queue.h"
#include "unique_fd.h"
#include "waker.h"

namespace taskqueue::daemon {

// What bounds one run.
struct ChildLimits {
  int64_t timeout_seconds = 3600;  // > 0
  int64_t max_output_bytes = 1 << 20;
};

class ChildSupervisor {
 public:
  // Tags of the pidfds it adds to `waker` are IsPidfdTag(). `journal`
  // notes each child before it runs (see spawn_journal.h).
  ChildSupervisor(Queue& queue, Waker& waker, SpawnJournal& journal,
                  std::chrono::milliseconds kill_grace);
  // Leaves running children alone: a daemon restarted later adopts them.
  ~ChildSupervisor();
  ChildSupervisor(const ChildSupervisor&) = delete;
  ChildSupervisor& operator=(const ChildSupervisor&) = delete;

  // Runs the claimed (processing) `task` in a child. Its output goes to
  // Queue::OutputPath (truncated on the first attempt, appended to on
  // retries). The child's pid is noted in the journal before it may run;
  // RecordPids() commits it to the database later. On error nothing runs
  // and the task is left processing for the caller to finish.
  // With `before_commit` (the claim is not committed yet, see
  // ClaimOptions::start_before_commit), the database is not touched: a child
  // that cannot note itself in the journal is not started (Aborted).
  Status Start(const Task& task, std::shared_ptr<const ChildProcessor> processor,
               const ChildLimits& limits, bool before_commit = false);

  // The claim of `task_id`, started before its commit, was rolled back: its
  // child's group is killed and reaped, and the run forgotten without an
  // outcome (the task still waits in the file).
  void Discard(int64_t task_id);

  // Supervises `task`'s child again after a daemon restart. The caller has
  // checked that the recorded pid is the same process; NotFound if it is
  // gone by now. `deadline_ms` (SteadyMillis) is when its timeout expires;
  // `processor` may be null (its plugin is gone).
  Status Adopt(const Task& task, std::shared_ptr<const ChildProcessor> processor,
               const ChildLimits& limits, int64_t deadline_ms);

  static bool IsPidfdTag(uint64_t tag);

  // Commits (Queue::SetTaskProcess) the pids that only the journal holds
  // of children that have run for a little while (kPidRecordDelayMillis),
  // then drops from the journal the notes no longer needed. A child that
  // ends sooner never costs a commit: its journal note covers a crash
  // meanwhile until its end is committed (the daemon then calls
  // SpawnJournal::Forget). Call before the loop sleeps; its time is part of
  // NextDeadline().
  void RecordPids();

  // Collects the children that exited (call when SIGCHLD arrives).
  std::vector<FinishedRun> Reap();
  // An adopted child's pidfd became readable: it ended.
  std::vector<FinishedRun> OnPidfd(uint64_t tag);
  // Acts on what is due at `now` (SteadyMillis): timeouts, SIGKILL after
  // the grace period, output bounds, adopted children whose status is late.
  std::vector<FinishedRun> Tick(int64_t now);
  // The next time Tick() has something to do, if any.
  std::optional<int64_t> NextDeadline() const;

  // Shutdown: asks every running child's group to stop (SIGTERM, SIGKILL
  // after the grace period; SIGKILL at once with `kill_now`). Runs stopped
  // this way end as RunOutcome::kAborted, to run again after a restart.
  void StopAll(bool kill_now);

  size_t size() const { return runs_.size(); }
  bool empty() const { return runs_.empty(); }

 private:
  enum class Stop { kNone, kTimeout, kShutdown };
  struct Run {
    int64_t task_id = 0;
    std::string label;
    pid_t pid = 0;
    int64_t start_time = 0;
    bool adopted = false;
    UniqueFd pidfd;  // adopted only
    std::shared_ptr<const ChildProcessor> processor;
    int64_t timeout_seconds = 0;
    int64_t deadline_ms = 0;
    std::optional<int64_t> kill_at_ms;
    Stop stop = Stop::kNone;
    OutputFile output;
    int64_t output_limit = 0;
    // Adopted, exited, and its status not readable yet: retried until then.
    std::optional<int64_t> status_wait_until_ms;
    // Its pid is committed to the database (else only in the journal).
    bool pid_recorded = true;
    int64_t started_ms = 0;  // SteadyMillis() at Start
  };

  // Enough for the runs one pass of the loop ends at a usual max_running;
  // more are closed.
  static constexpr size_t kSpareOutputFiles = 8;

  FinishedRun Finish(Run& run, std::optional<int> wait_status);
  void Signal(Run& run, int sig);

  Queue& queue_;
  Waker& waker_;
  SpawnJournal& journal_;
  const std::chrono::milliseconds kill_grace_;
  std::map<int64_t, Run> runs_;                // by task id
  std::unordered_map<pid_t, int64_t> by_pid_;  // our own children
  // Empty output files of ended runs, for the next ones (output_file.h).
  SpareOutputFiles spare_outputs_{kSpareOutputFiles};
  int64_t next_output_check_ms_ = 0;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_CHILD_SUPERVISOR_H_
