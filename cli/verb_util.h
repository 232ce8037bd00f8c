// Helpers the verbs share: reading task ids and queue/schedule options from
// the command line, with usage errors that say which word is wrong.
//
// Thread-safety: pure functions.
#ifndef TASKQUEUE_CLI_VERB_UTIL_H_
#define TASKQUEUE_CLI_VERB_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "invocation.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue::cli {

// Parses "TQ:TaskQueue:<n>", "TQ:TaskQueue-Scheduler:<n>" or "<n>" into n.
// InvalidArgument naming the word otherwise.
Result<int64_t> ParseId(const std::string& word);
// Every word as an id; the first malformed one is the error.
Result<std::vector<int64_t>> ParseIds(const std::vector<std::string>& words);

// --priority, --attempts, --backoff, --timeout and --userdata as TaskOptions.
// InvalidArgument naming the option for a bad value.
Result<TaskOptions> ParseTaskOptions(const EnqueueFlags& flags);

// A non-negative integer that fits in int64_t, or nullopt.
std::optional<int64_t> ParseCount(const std::string& text);

// "1 task" / "3 tasks".
std::string Plural(int64_t n, const std::string& noun);

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_VERB_UTIL_H_
