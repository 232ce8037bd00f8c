// Waker: what the daemon's loop sleeps on. One epoll set holding
//  - an inotify watch on the state directory, reporting writes to the queue's
//    and scheduler's SQLite files (a commit by any process appends to the
//    -wal file), so a task queued elsewhere is seen within milliseconds;
//  - a timerfd armed for the next deadline (a scheduled task coming due, a
//    child's timeout, the safety poll), so nothing is polled at idle;
//  - any other descriptors the caller adds (signalfd, pidfds, eventfds).
// Writes to other files in the directory (lock, output) never end a wait.
//
// Thread-safety: not thread-safe; used by the daemon's main loop only.
#ifndef TASKQUEUED_WAKER_H_
#define TASKQUEUED_WAKER_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskqueue/status.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

// Milliseconds on CLOCK_MONOTONIC: all of the daemon's deadlines.
int64_t SteadyMillis();

class Waker {
 public:
  // Which watched file changed.
  enum FileChange : unsigned { kQueueFile = 1, kSchedFile = 2 };

  struct Wakeup {
    unsigned changed = 0;        // FileChange bits
    bool deadline = false;       // the deadline passed
    std::vector<uint64_t> tags;  // the caller's descriptors that are readable
  };

  // Watches `<state_dir>/<name>_queue.db*` and `<name>_sched.db*`.
  static Result<std::unique_ptr<Waker>> Create(const std::filesystem::path& state_dir,
                                               const std::string& name);

  // Reports `fd` in Wakeup::tags as `tag` while it is readable (level
  // triggered). The caller keeps ownership and calls Remove() before closing.
  Status Add(int fd, uint64_t tag);
  void Remove(int fd);

  // Blocks until a watched file changes, an added descriptor is readable,
  // or `deadline_ms` (SteadyMillis) passes; with no deadline, only the
  // first two end the wait. Returns at once if a deadline already passed.
  Result<Wakeup> Wait(std::optional<int64_t> deadline_ms);

 private:
  Waker(UniqueFd epoll, UniqueFd inotify, UniqueFd timer, std::string name)
      : epoll_(std::move(epoll)),
        inotify_(std::move(inotify)),
        timer_(std::move(timer)),
        name_(std::move(name)) {}
  unsigned DrainInotify();
  void ArmTimer(std::optional<int64_t> deadline_ms);

  UniqueFd epoll_;
  UniqueFd inotify_;
  UniqueFd timer_;
  std::string name_;
  std::optional<int64_t> armed_;  // the deadline the timer holds
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_WAKER_H_
