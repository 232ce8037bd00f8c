// Invocation: what the command line asked for, as plain values. parser.cc
// fills it from argv (the only file that includes CLI11); the verbs read it.
//
// Thread-safety: a plain value.
#ifndef TASKQUEUE_CLI_INVOCATION_H_
#define TASKQUEUE_CLI_INVOCATION_H_

#include <optional>
#include <string>
#include <vector>

namespace taskqueue::cli {

// Exit statuses of SPEC §5 (sysexits.h names in brackets).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // the operation failed
inline constexpr int kExitUsage = 2;         // bad command line
inline constexpr int kExitUnavailable = 69;  // daemon needed but not running [EX_UNAVAILABLE]
inline constexpr int kExitTempFail = 75;     // busy or locked, retry later [EX_TEMPFAIL]
inline constexpr int kExitConfig = 78;       // bad configuration or plugin [EX_CONFIG]

struct GlobalOptions {
  std::optional<std::string> state_dir;     // --state-dir
  std::optional<std::string> name;          // --name
  std::vector<std::string> plugin_dirs;     // --plugin-dir, in order given
  bool json = false;                        // --json
  bool recover = false;                     // --recover
  std::optional<std::string> busy_timeout;  // --busy-timeout MS
};

// Options of queue and schedule, kept as text so that each verb can say
// exactly which value is wrong.
struct EnqueueFlags {
  std::optional<std::string> priority;
  std::optional<std::string> attempts;
  std::optional<std::string> backoff;
  std::optional<std::string> timeout;
  std::optional<std::string> userdata;
};

struct Invocation {
  GlobalOptions global;
  std::string verb;                  // e.g. "queue", "log-line"
  std::vector<std::string> args;     // the verb's positional words
  EnqueueFlags enqueue;              // queue, schedule
  bool follow = false;               // events --follow
  std::optional<std::string> since;  // events --since ID
  std::optional<std::string> state;  // search --state S
};

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_INVOCATION_H_
