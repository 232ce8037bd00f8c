// The process-wide real clock.
#include "taskqueue/clock.h"

#include <chrono>

namespace taskqueue {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    using std::chrono::system_clock;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

Clock* Clock::System() {
  // Leaked on purpose: callers may use it from static destructors and
  // detached threads, so it must never be destroyed.
  static Clock* const clock = new SystemClock();
  return clock;
}

}  // namespace taskqueue
