// WorkThreads: runs in-process processors' work with a timeout on threads
// that are kept between tasks. Internal to libtaskqueue.
//
// Why not a new std::thread per task: creating one (clone, a stack mapping,
// its teardown) was about a seventh of ProcessNextTask's time for a no-op
// task. A thread whose work timed out cannot be stopped safely, so it is
// abandoned: it finishes the work on its own, its result is dropped, and it
// exits instead of taking more.
//
// Thread-safety: Run may be called from several threads at once; each call
// gets a thread of its own. Fork-safe: in a forked child (which has none of
// its parent's threads) Run starts threads of its own.
#ifndef TASKQUEUE_SRC_WORK_THREADS_H_
#define TASKQUEUE_SRC_WORK_THREADS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "taskqueue/status.h"

namespace taskqueue {

class WorkThreads {
 public:
  using Work = std::function<Result<std::string>()>;

  WorkThreads();
  WorkThreads(const WorkThreads&) = delete;
  WorkThreads& operator=(const WorkThreads&) = delete;
  // Tells the idle threads to exit (they are detached: nothing waits for
  // them). Abandoned ones are left to finish.
  ~WorkThreads();

  // Runs `work` on an idle thread (or a new one) and waits up to `timeout`
  // for it. Returns its result, or nullopt if it did not finish in time.
  // Exceptions thrown by `work` become Aborted results.
  std::optional<Result<std::string>> Run(Work work, std::chrono::milliseconds timeout);

 private:
  struct Worker;
  // After a fork, drops (leaks) the parent's idle workers. True if it did.
  // REQUIRES: mu_ held.
  bool ForgetThreadsOfParent();

  std::mutex mu_;
  pid_t owner_pid_;  // the process whose threads idle_ holds
  std::vector<std::shared_ptr<Worker>> idle_;
};

}  // namespace taskqueue

#endif  // TASKQUEUE_SRC_WORK_THREADS_H_
