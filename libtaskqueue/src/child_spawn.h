// Starting a child processor's work: fork, a new session (so the whole
// process group can be signalled), stdin from /dev/null, stdout and stderr to
// the task's output file, the TASKQUEUE_* environment, then exec of the
// processor's argv (no shell) or its RunInChild(). Internal header.
//
// Thread-safety: safe; the child only calls async-signal-safe functions
// before exec, except in the RunInChild path, which runs C++ in the child as
// cPanel's ChildProcessor did.
#ifndef TASKQUEUE_SRC_CHILD_SPAWN_H_
#define TASKQUEUE_SRC_CHILD_SPAWN_H_

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "taskqueue/processor.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue {

struct ChildEnvironment {
  std::filesystem::path state_dir;
  std::string queue_name;
  std::filesystem::path output_file;
};

// Returns the child's pid (also its process group id).
Result<pid_t> SpawnChild(const Task& task, const ChildProcessor& processor,
                         const ChildEnvironment& env);

}  // namespace taskqueue

#endif  // TASKQUEUE_SRC_CHILD_SPAWN_H_
