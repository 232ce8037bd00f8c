// FinishedRun: how one supervised run ended, ready for Queue::FinishTask.
//
// Thread-safety: a plain value.
#ifndef TASKQUEUED_FINISHED_RUN_H_
#define TASKQUEUED_FINISHED_RUN_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "taskqueue/queue.h"

namespace taskqueue::daemon {

struct FinishedRun {
  int64_t task_id = 0;
  pid_t pid = 0;         // the child, 0 for in-process work
  bool adopted = false;  // supervised again after a daemon restart
  RunOutcome outcome;
  std::string label;  // RunLabel(task), for the log
};

// "task 12 (cmd args)": how the log names a run.
inline std::string RunLabel(const Task& task) {
  return "task " + std::to_string(task.id) + " (" + task.full_command() + ")";
}

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_FINISHED_RUN_H_
