// Clock: the library's only source of wall-clock time, so tests and library
// users can run queues against a fake clock (test mode) and never sleep.
//
// Thread-safety: SystemClock and FakeClock are safe for concurrent use.
#ifndef TASKQUEUE_CLOCK_H_
#define TASKQUEUE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "taskqueue/export.h"

namespace taskqueue {

class TASKQUEUE_EXPORT Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMillis() const = 0;
  int64_t NowSeconds() const { return NowMillis() / 1000; }

  // The process-wide real clock. Never null; never destroyed.
  static Clock* System();
};

// A clock that moves only when told to. Start it at any time; Advance() to
// make delays, backoffs and schedules come due.
class TASKQUEUE_EXPORT FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_millis = 1'700'000'000'000) : now_(start_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  void AdvanceMillis(int64_t ms) { now_ += ms; }
  void AdvanceSeconds(int64_t s) { now_ += s * 1000; }
  void SetMillis(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace taskqueue

#endif  // TASKQUEUE_CLOCK_H_
