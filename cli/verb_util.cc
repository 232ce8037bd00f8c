#include "verb_util.h"

#include <cctype>
#include <limits>

#include "time_spec.h"

namespace taskqueue::cli {

Result<int64_t> ParseId(const std::string& word) {
  std::string ns;
  auto id = ParseTaskId(word, &ns);
  if (!id.ok() || !(ns.empty() || ns == "TaskQueue" || ns == "TaskQueue-Scheduler")) {
    return Status::InvalidArgument("Invalid task id '" + word +
                                   "': use TQ:TaskQueue:<n>, TQ:TaskQueue-Scheduler:<n> or <n>");
  }
  return id;
}

Result<std::vector<int64_t>> ParseIds(const std::vector<std::string>& words) {
  std::vector<int64_t> ids;
  ids.reserve(words.size());
  for (const auto& word : words) {
    auto id = ParseId(word);
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  return ids;
}

std::optional<int64_t> ParseCount(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string Plural(int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

Result<TaskOptions> ParseTaskOptions(const EnqueueFlags& flags) {
  TaskOptions options;
  if (flags.priority) {
    auto p = ParsePriority(*flags.priority);
    if (!p.ok()) {
      return Status::InvalidArgument("Invalid --priority '" + *flags.priority +
                                     "': use an integer or low, normal, medium, high, critical");
    }
    options.priority = *p;
  }
  if (flags.attempts) {
    auto n = ParseCount(*flags.attempts);
    if (!n || *n < 1 || *n > std::numeric_limits<int>::max()) {
      return Status::InvalidArgument("Invalid --attempts '" + *flags.attempts +
                                     "': use a positive integer");
    }
    options.attempts = static_cast<int>(*n);
  }
  if (flags.backoff) {
    auto b = Backoff::Parse(*flags.backoff);
    if (!b.ok() || b->empty()) {
      return Status::InvalidArgument("Invalid --backoff '" + *flags.backoff +
                                     "': use fixed:SECS or exponential:SECS");
    }
    options.backoff = *b;
  }
  if (flags.timeout) {
    auto secs = ParseDelay(*flags.timeout);
    if (!secs.ok() || *secs <= 0) {
      return Status::InvalidArgument("Invalid --timeout '" + *flags.timeout +
                                     "': use a positive number of seconds (or 10m, 2h)");
    }
    options.timeout = *secs;
  }
  if (flags.userdata) {
    auto u = ValidateUserdata(*flags.userdata);
    if (!u.ok()) {
      return Status::InvalidArgument("Invalid --userdata: " + u.status().message());
    }
    options.userdata_json = *u;
  }
  return options;
}

}  // namespace taskqueue::cli
