// InProcessRunner: runs tasks of in-process processors
// (Processor::kind() == kInProcess) on worker threads, one thread per task
// (at most max_running at once, since each is a claimed task), and hands
// their endings to the main loop through an eventfd. Processors whose
// RunsInline() is true run on the loop's own thread instead (RunInline).
//
// A thread cannot be stopped safely, so a task that outlives its timeout
// (min(task timeout, else processor Timeout(), else default_timeout;
// max_timeout)) is recorded as timed out and its thread left to finish on
// its own, its result ignored. Work that must be stoppable belongs in a
// ChildProcessor.
//
// Thread-safety: the methods are for the main loop's thread; the workers
// only touch the shared completion list (under its mutex) and the Queue
// (which is thread-safe).
#ifndef TASKQUEUED_INPROCESS_RUNNER_H_
#define TASKQUEUED_INPROCESS_RUNNER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "finished_run.h"
#include "taskqueue/processor.h"
#include "taskqueue/queue.h"

namespace taskqueue::daemon {

class InProcessRunner {
 public:
  // IOError if the eventfd cannot be made.
  static Result<std::unique_ptr<InProcessRunner>> Create(std::shared_ptr<Queue> queue);
  ~InProcessRunner();
  InProcessRunner(const InProcessRunner&) = delete;
  InProcessRunner& operator=(const InProcessRunner&) = delete;

  // Readable when a worker finished (then call Collect()).
  int fd() const;

  // Runs the claimed `task` on a new thread, with a timeout in seconds.
  void Start(const Task& task, std::shared_ptr<const Processor> processor, int64_t timeout_seconds);
  // Runs the claimed `task` of a processor whose RunsInline() is true on
  // this thread, to its end, with no timeout, and returns how it ended.
  FinishedRun RunInline(const Task& task, const Processor& processor);
  // The runs that ended since the last call.
  std::vector<FinishedRun> Collect();
  // Runs past their timeout at `now` (SteadyMillis): ended as kTimeout.
  std::vector<FinishedRun> Tick(int64_t now);
  std::optional<int64_t> NextDeadline() const;
  // Shutdown: every run still going ends as kAborted (its thread is left
  // running; the process exits soon after).
  std::vector<FinishedRun> AbortAll();

  size_t size() const { return runs_.size(); }
  bool empty() const { return runs_.empty(); }
  // Threads still working, including those whose run was given up.
  int64_t busy_threads() const;

  struct Shared;  // the state workers share with the runner

 private:
  struct Run {
    std::string label;
    int64_t deadline_ms = 0;
    int64_t timeout_seconds = 0;
  };
  explicit InProcessRunner(std::shared_ptr<Queue> queue, std::shared_ptr<Shared> shared);
  FinishedRun GiveUp(int64_t id, const Run& run, RunOutcome::Kind kind, std::string error);

  std::shared_ptr<Queue> queue_;
  std::shared_ptr<Shared> shared_;
  std::map<int64_t, Run> runs_;  // by task id
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_INPROCESS_RUNNER_H_
