// DaemonOptions: everything taskqueued runs with, after the command line and
// the configuration file have been merged (see main.cc).
//
// Thread-safety: a plain value.
#ifndef TASKQUEUED_DAEMON_OPTIONS_H_
#define TASKQUEUED_DAEMON_OPTIONS_H_

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_listen.h"
#include "taskqueue/options.h"

namespace taskqueue::daemon {

struct DaemonOptions {
  // The queue: state_dir, name, durability, recover, and the settings to
  // store when opening (max_running, timeouts).
  QueueOptions queue;
  // Further settings to store with the queue (QueueSettings keys that
  // QueueOptions has no field for: keep_*, max_output_bytes), in order.
  std::vector<std::pair<std::string, std::string>> settings;
  // --plugin-dir, in order; $TASKQUEUE_PLUGIN_PATH and the installed
  // default are searched after them.
  std::vector<std::filesystem::path> plugin_dirs;
  // Serve the HTTP API when set.
  std::optional<HttpListen> http;

  // How long running tasks get to finish after SIGTERM/SIGINT before their
  // process groups are stopped. Default: 30 s.
  std::chrono::milliseconds shutdown_grace{30000};
  // Between SIGTERM and SIGKILL when stopping a child (timeout, shutdown).
  // Default: 5 s.
  std::chrono::milliseconds kill_grace{5000};
  // The backstop: the loop looks at the queue this often even if no change
  // was noticed. Default: 30 s.
  std::chrono::milliseconds safety_poll{30000};
  // How often finished tasks are pruned by the retention settings.
  // Default: 1 h.
  std::chrono::milliseconds prune_interval{3600000};
};

}  // namespace taskqueue::daemon

#endif  // TASKQUEUED_DAEMON_OPTIONS_H_
