// The daemon's logging: spdlog to stderr. On a terminal, coloured lines with
// timestamps; under systemd ($JOURNAL_STREAM set), lines prefixed with the
// sd-daemon priority ("<3>", "<6>", ...) and no timestamp, which journald
// adds itself.
//
// Thread-safety: call SetUpLogging() once, early in main().
#ifndef TASKQUEUED_LOGGING_H_
#define TASKQUEUED_LOGGING_H_

#include <string>

#include "taskqueue/status.h"

namespace taskqueue::daemon {

// `level`: trace, debug, info, warn, error, critical or off.
Status SetUpLogging(const std::string& level);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_LOGGING_H_
