// DaemonLock: "one daemon per queue". An exclusive Boost.Interprocess
// file_lock (an fcntl lock) on <state_dir>/<name>.daemon.lock, held for the
// daemon's lifetime, with the holder's pid written into the file for
// `taskqueuectl status`. The kernel drops the lock when its holder dies, so a
// lock left by a killed daemon never blocks a new one (the pid it left in
// the file is then stale: readers confirm it with fcntl(F_GETLK)).
//
// fcntl locks belong to the process and vanish when the process closes ANY
// descriptor of the file. So the file is opened exactly twice in this
// process (Boost's handle and ours, for writing the pid) and neither is
// closed before the lock is meant to go.
//
// Thread-safety: not thread-safe; create and destroy it on one thread.
#ifndef TASKQUEUED_DAEMON_LOCK_H_
#define TASKQUEUED_DAEMON_LOCK_H_

#include <sys/types.h>

#include <boost/interprocess/sync/file_lock.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "taskqueue/status.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

class DaemonLock {
 public:
  // The lock file of queue `name` in `state_dir`.
  static std::filesystem::path LockPath(const std::filesystem::path& state_dir,
                                        const std::string& name);

  // Takes the lock without waiting. Busy (naming the holder's pid when it
  // can be found) if another process holds it; IOError if the file cannot
  // be created or locked.
  static Result<std::unique_ptr<DaemonLock>> Acquire(const std::filesystem::path& path);

  // The pid of the process holding the lock on `path`, or nullopt when no
  // one does (or the file does not exist).
  static std::optional<pid_t> Holder(const std::filesystem::path& path);

  // Clears the pid from the file, then releases the lock.
  ~DaemonLock();
  DaemonLock(const DaemonLock&) = delete;
  DaemonLock& operator=(const DaemonLock&) = delete;

 private:
  DaemonLock(UniqueFd fd, boost::interprocess::file_lock lock)
      : fd_(std::move(fd)), lock_(std::move(lock)) {}
  UniqueFd fd_;
  boost::interprocess::file_lock lock_;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_DAEMON_LOCK_H_
