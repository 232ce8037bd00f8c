// Parsing the times `schedule` accepts: `after SECS` or a delay with units
// (90s, 10m, 2h, 1d, 1w, combined as 1h30m), and `at EPOCH` or an ISO 8601
// date and time (2026-12-01T09:00, 2026-12-01 09:00:00, local time unless it
// ends in Z or a ±HH:MM offset; a bare date means local midnight).
//
// Thread-safety: pure functions (mktime reads the process's time zone).
#ifndef TASKQUEUE_CLI_TIME_SPEC_H_
#define TASKQUEUE_CLI_TIME_SPEC_H_

#include <cstdint>
#include <string_view>

#include "taskqueue/status.h"

namespace taskqueue::cli {

// Seconds from now. InvalidArgument naming the text when it is not a
// non-negative delay.
Result<int64_t> ParseDelay(std::string_view text);

// Milliseconds since the epoch. InvalidArgument naming the text when it is
// neither an epoch in seconds nor a valid date and time.
Result<int64_t> ParseAbsoluteTime(std::string_view text);

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_TIME_SPEC_H_
