// CrossFileLock: the interprocess lock taken around a move of a task between
// the queue file and the scheduler file, which no single SQLite transaction
// can cover. Built on a Boost.Interprocess file_lock (fcntl), which the
// kernel releases when the holder dies, so a dead holder never blocks anyone.
//
// Thread-safety: safe. fcntl locks do not exclude threads of one process
// (and closing any descriptor of the file would drop them), so each lock file
// is opened once per process and paired with an in-process mutex.
#ifndef TASKQUEUE_STATE_CROSS_FILE_LOCK_H_
#define TASKQUEUE_STATE_CROSS_FILE_LOCK_H_

#include <chrono>
#include <filesystem>
#include <functional>

#include "taskqueue/status.h"

namespace taskqueue::state {

// Runs `fn` holding the lock on `lock_path` (created if missing). Waits at
// most `timeout` for another holder, then returns Busy.
Status WithFileLock(const std::filesystem::path& lock_path, std::chrono::milliseconds timeout,
                    const std::function<Status()>& fn);

}  // namespace taskqueue::state

#endif  // TASKQUEUE_STATE_CROSS_FILE_LOCK_H_
