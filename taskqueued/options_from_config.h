// Turning the merged configuration (config file, overridden by flags) into
// DaemonOptions: defaults filled in, HTTP address parsed, token files read.
//
// Thread-safety: pure functions (they read token files).
#ifndef TASKQUEUED_OPTIONS_FROM_CONFIG_H_
#define TASKQUEUED_OPTIONS_FROM_CONFIG_H_

#include "config.h"
#include "daemon_options.h"
#include "taskqueue/status.h"

namespace taskqueue::daemon {

// Config errors name the option or file at fault.
Result<DaemonOptions> OptionsFromConfig(const DaemonConfig& config);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_OPTIONS_FROM_CONFIG_H_
