#include "run_limits.h"

#include <algorithm>

namespace taskqueue::daemon {

ChildLimits ChildLimitsFor(const Task& task, const ChildProcessor* processor,
                           const QueueSettings& settings) {
  ChildLimits limits;
  if (task.timeout > 0) {
    limits.timeout_seconds = task.timeout;
  } else if (processor && processor->Timeout() > 0) {
    limits.timeout_seconds = processor->Timeout();
  } else {
    limits.timeout_seconds = settings.default_child_timeout;
  }
  limits.max_output_bytes = settings.max_output_bytes;
  return limits;
}

int64_t InProcessTimeoutSeconds(const Task& task, const Processor& processor,
                                const QueueSettings& settings) {
  int64_t timeout = task.timeout > 0          ? task.timeout
                    : processor.Timeout() > 0 ? processor.Timeout()
                                              : settings.default_timeout;
  return std::min(timeout, settings.max_timeout);
}

}  // namespace taskqueue::daemon
