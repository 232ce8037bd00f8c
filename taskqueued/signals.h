// SignalChannel: the daemon's signals (SIGTERM, SIGINT, SIGHUP, SIGCHLD)
// delivered as readable data on a signalfd instead of to handlers, so that
// all the work they call for happens in the main loop. SIGPIPE is ignored.
//
// The signals are blocked in the calling thread, and threads started later
// inherit the mask: create the channel in main() before any thread starts.
// Children must restore the default mask and dispositions (ResetForChild).
//
// Thread-safety: Create() once from the main thread before other threads;
// ReadPending() from one thread.
#ifndef TASKQUEUED_SIGNALS_H_
#define TASKQUEUED_SIGNALS_H_

#include <memory>
#include <vector>

#include "taskqueue/status.h"
#include "unique_fd.h"

namespace taskqueue::daemon {

class SignalChannel {
 public:
  static Result<std::unique_ptr<SignalChannel>> Create();
  // Unblocks the signals again.
  ~SignalChannel();
  SignalChannel(const SignalChannel&) = delete;
  SignalChannel& operator=(const SignalChannel&) = delete;

  // The signalfd, readable when a signal is pending.
  int fd() const { return fd_.get(); }
  // The signals received since the last call, in order (several of one
  // kind may have been merged into one by the kernel). Never blocks.
  std::vector<int> ReadPending();

  // For a child, before exec: every signal's default disposition and an
  // empty signal mask. Async-signal-safe, and writes no memory of the
  // process (a SpawnChild() child shares the daemon's).
  static void ResetForChild();

 private:
  explicit SignalChannel(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_SIGNALS_H_
