// Finding the daemon that serves a queue. taskqueued writes its pid into
// <state_dir>/<name>.daemon.lock and holds an fcntl (Boost file_lock) lock on
// that file while it runs.
//
// Thread-safety: a pure query of the file system and /proc.
#ifndef TASKQUEUE_CLI_DAEMON_PROBE_H_
#define TASKQUEUE_CLI_DAEMON_PROBE_H_

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace taskqueue::cli {

// The lock file's path for a queue.
std::filesystem::path DaemonLockPath(const std::filesystem::path& state_dir,
                                     const std::string& name);

// The pid of the running daemon, or nullopt. The holder of the lock when
// fcntl reports one; otherwise the pid written in the file, if that process
// is alive and is a taskqueued (/proc/<pid>/comm). A file left by a dead
// daemon never counts.
std::optional<pid_t> FindDaemonPid(const std::filesystem::path& state_dir, const std::string& name);

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_DAEMON_PROBE_H_
