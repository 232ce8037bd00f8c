// DaemonConfig: the contents of taskqueued.conf, the daemon's configuration
// file, and the parser that reads it.
//
// The format is redis.conf's: one `key value` directive per line, `#` starts
// a comment line, blank lines are ignored. `plugin_dir` may be given several
// times; every other key at most once. Every key is optional: an unset field
// means "use the command-line flag, else the built-in default". The shipped
// file (packaging/taskqueued.conf) and taskqueued.conf(5) document each key.
//
// Thread-safety: plain values and free functions without shared state.
#ifndef TASKQUEUE_TASKQUEUED_CONFIG_H_
#define TASKQUEUE_TASKQUEUED_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskqueue/status.h"

namespace taskqueue::daemon {

struct DaemonConfig {
  // Where the queue's files live (--state-dir).
  std::optional<std::string> state_dir;
  // The queue's name (--name): letters, digits, '-', '_' and '.'.
  std::optional<std::string> name;
  // Listen address of the HTTP API, "ADDR:PORT" or "[V6ADDR]:PORT" (--http).
  std::optional<std::string> http;
  // File holding the bearer token for the HTTP API (--http-token-file).
  std::optional<std::string> http_token_file;
  // File holding a token that allows only reads (GET) on the HTTP API.
  std::optional<std::string> http_read_only_token_file;
  // "full" or "normal" (taskqueue::Durability).
  std::optional<std::string> durability;
  // spdlog level: trace, debug, info, warn, error, critical or off.
  std::optional<std::string> log_level;
  // Plugin directories, in the order given (--plugin-dir, repeatable).
  std::vector<std::string> plugin_dirs;

  // Queue settings stored with the queue (taskqueue::QueueSettings); each
  // is a positive integer.
  std::optional<int64_t> max_running;
  std::optional<int64_t> default_timeout;
  std::optional<int64_t> max_timeout;
  std::optional<int64_t> default_child_timeout;
  std::optional<int64_t> keep_finished_seconds;
  std::optional<int64_t> keep_complete_count;
  std::optional<int64_t> keep_failed_count;
  std::optional<int64_t> keep_events_seconds;
  std::optional<int64_t> max_output_bytes;

  // Seconds running children get to finish after SIGTERM/SIGINT before they
  // are stopped.
  std::optional<int64_t> shutdown_grace_seconds;

  bool operator==(const DaemonConfig&) const = default;
};

// Parses the text of a configuration file. `filename` is used only in error
// messages. On error returns Status::Config with the message
// "<filename>:<line>: <key>: <what is wrong>", for: an unknown key, a missing
// value, a number that is not a positive decimal integer (or overflows), a
// durability other than full|normal, a bad log level, queue name or HTTP
// address, and a single-valued key given twice.
Result<DaemonConfig> ParseConfig(std::string_view text, const std::string& filename);

// Reads and parses the file at `path`. Status::NotFound when it does not
// exist (callers reading the default path treat that as "no config"),
// Status::IOError when it cannot be read, Status::Config as ParseConfig.
Result<DaemonConfig> LoadConfig(const std::filesystem::path& path);

// Where the daemon looks when no --config is given: TASKQUEUE_SYSCONF_DIR
// "/taskqueued.conf" (/etc/taskqueue/taskqueued.conf) when running as root,
// else $XDG_CONFIG_HOME/taskqueue/taskqueued.conf, with XDG_CONFIG_HOME
// defaulting to ~/.config (a relative XDG_CONFIG_HOME is ignored, as the XDG
// spec requires).
std::filesystem::path DefaultConfigPath();
// The same, for a system daemon (`system_mode`, what root gets) or a
// per-user one, whoever the caller is.
std::filesystem::path DefaultConfigPath(bool system_mode);

// The configuration in effect when command-line flags override the file:
// every field set in `flags` wins over the one in `file`. Plugin directories
// from the flags, when there are any, replace the file's list as a whole.
DaemonConfig MergeConfig(const DaemonConfig& file, const DaemonConfig& flags);

}  // namespace taskqueue::daemon

#endif  // TASKQUEUE_TASKQUEUED_CONFIG_H_
