// Starting one child processor run: fork, a new session (so the task's
// whole process group can be signalled), default signal handling, stdin from
// /dev/null, stdout and stderr appended to the task's output file, the
// environment of SPEC §4 (TASKQUEUE_TASK_ID, TASKQUEUE_STATE_DIR,
// TASKQUEUE_NAME, TASKQUEUE_ATTEMPT; systemd's NOTIFY_SOCKET, LISTEN_* and
// WATCHDOG_* removed), then exec of the processor's Argv() (no shell) or a
// call of its RunInChild().
//
// Two steps, so that no child ever runs without being on record: ForkChild()
// leaves the child waiting on a "go" pipe; the caller records the pid
// durably, then calls Release(). If the daemon dies in between, the child
// reads end-of-file and exits with kNotStartedExitStatus without running
// anything.
//
// Thread-safety: safe to call from one thread while others run; the child
// only makes async-signal-safe calls before exec (except on the
// RunInChild() path, which runs the plugin's C++ in the child, as cPanel's
// ChildProcessor ran Perl).
#ifndef TASKQUEUED_CHILD_SPAWN_H_
#define TASKQUEUED_CHILD_SPAWN_H_

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "taskqueue/processor.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

// The exit status of a child whose daemon died before releasing it.
inline constexpr int kNotStartedExitStatus = 125;
// The name (/proc/PID/comm) a child has until it is released: a process
// left with this name by a dead daemon never ran its task.
inline constexpr char kUnreleasedComm[] = "tq-unreleased";
// The exit status of a child whose program could not be executed.
inline constexpr int kExecFailedExitStatus = 127;

struct ChildLaunch {
  std::filesystem::path state_dir;
  std::string queue_name;
  int output_fd = -1;  // becomes the child's stdout and stderr
};

// A forked child waiting for Release().
struct PendingChild {
  pid_t pid = 0;  // also its process group and session id
  UniqueFd go;    // the write end of the go pipe
};

// Forks the child for `task`. IOError if fork fails.
Result<PendingChild> ForkChild(const Task& task, const ChildProcessor& processor,
                               const ChildLaunch& launch);

// Lets the child run. False if it is already gone.
bool Release(PendingChild& child);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_CHILD_SPAWN_H_
