// The limits of one run, from the task, its processor and the queue's
// settings (SPEC §2, §4): a child's timeout is the task's, else the
// processor's Timeout(), else default_child_timeout; in-process work gets the
// task's, else the processor's, else default_timeout, capped at max_timeout.
//
// Thread-safety: pure functions.
#ifndef TASKQUEUED_RUN_LIMITS_H_
#define TASKQUEUED_RUN_LIMITS_H_

#include <cstdint>

#include "child_supervisor.h"
#include "taskqueue/options.h"
#include "taskqueue/processor.h"
#include "taskqueue/task.h"

namespace taskqueue::daemon {

// `processor` may be null (its plugin is gone).
ChildLimits ChildLimitsFor(const Task& task, const ChildProcessor* processor,
                           const QueueSettings& settings);

int64_t InProcessTimeoutSeconds(const Task& task, const Processor& processor,
                                const QueueSettings& settings);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_RUN_LIMITS_H_
