// Starting one child processor run: a new session (so the task's whole
// process group can be signalled), default signal handling, stdin from
// /dev/null, stdout and stderr appended to the task's output file, the
// environment of SPEC §4 (TASKQUEUE_TASK_ID, TASKQUEUE_STATE_DIR,
// TASKQUEUE_NAME, TASKQUEUE_ATTEMPT; systemd's NOTIFY_SOCKET, LISTEN_* and
// WATCHDOG_* removed), then exec of the processor's Argv() (no shell) or a
// call of its RunInChild().
//
// No child ever runs its task without being on record, so that a daemon
// killed at any moment finds it again after a restart. There are two ways:
//
// - SpawnChild(), for a program (Argv() non-empty): the child shares the
//   daemon's memory until it execs (clone with CLONE_VM | CLONE_VFORK, as
//   posix_spawn does), so no page tables are copied and the daemon takes no
//   copy-on-write faults afterwards. The child itself appends its note (pid
//   and start time) to the spawn journal before exec, then checks that the
//   daemon is still its parent: a child whose daemon died meanwhile exits
//   without running anything.
// - ForkChild() and Release(), for RunInChild(), which needs memory of its
//   own: a fork, with the child waiting on a "go" pipe while the daemon
//   records its pid; a daemon that dies in between leaves it reading
//   end-of-file, and it exits with kNotStartedExitStatus.
//
// Thread-safety: safe to call from one thread while others run (the calling
// thread is suspended until a SpawnChild() child has exec'd; the others go
// on). Before exec, children make only async-signal-safe calls (except on
// the RunInChild() path, which runs the plugin's C++ in the child, as
// cPanel's ChildProcessor ran Perl).
#ifndef TASKQUEUED_CHILD_SPAWN_H_
#define TASKQUEUED_CHILD_SPAWN_H_

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "taskqueue/processor.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

// The exit status of a child whose daemon died before releasing it.
inline constexpr int kNotStartedExitStatus = 125;
// The name (/proc/PID/comm) a child has until it execs or is released: a
// process left with this name by a dead daemon never ran its task.
inline constexpr char kUnreleasedComm[] = "tq-unreleased";
// The name a SpawnChild child takes once its note is written, until it
// execs: it may pass its last check and run, or find its daemon gone and
// exit with kNotStartedExitStatus. Either way it has not run its program.
inline constexpr char kStartingComm[] = "tq-starting";
// The exit status of a child whose program could not be executed.
inline constexpr int kExecFailedExitStatus = 127;

struct ChildLaunch {
  std::filesystem::path state_dir;
  std::string queue_name;
  int output_fd = -1;  // becomes the child's stdout and stderr
};

// A child started by SpawnChild(): it has exec'd (or exited, if exec failed).
struct SpawnedChild {
  pid_t pid = 0;           // also its process group and session id
  int64_t start_time = 0;  // /proc/PID/stat field 22, as the child read it
};

// Runs `argv` (not empty) for `task` in a child that notes itself in the
// spawn journal (`note_fd`, an O_APPEND descriptor; see SpawnJournal) as
// task `task.id` before it execs. Returns once the child has exec'd or
// exited. IOError if no child could be started; Aborted if the child could
// not write its note (it was reaped, and ran nothing).
Result<SpawnedChild> SpawnChild(const Task& task, const std::vector<std::string>& argv,
                                const ChildLaunch& launch, int note_fd);

// A forked child waiting for Release().
struct PendingChild {
  pid_t pid = 0;  // also its process group and session id
  UniqueFd go;    // the write end of the go pipe
};

// Forks the child for `task`, to run `processor.RunInChild(task)` or, when
// `argv` is not empty, to exec it. IOError if fork fails.
Result<PendingChild> ForkChild(const Task& task, const ChildProcessor& processor,
                               const std::vector<std::string>& argv, const ChildLaunch& launch);

// Lets the child run. False if it is already gone.
bool Release(PendingChild& child);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_CHILD_SPAWN_H_
