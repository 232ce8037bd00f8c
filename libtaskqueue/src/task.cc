// Task values: state names, priorities, backoff, ids and userdata.
// (Command-string parsing lives in command_string.cc.)
#include "taskqueue/task.h"

#include <charconv>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace taskqueue {
namespace {

struct StateName {
  TaskState state;
  const char* name;
};

// Our names first (TaskStateName uses them), then the aliases: Kue's
// delayed/inactive/active, "active" also being cPanel's word for processing.
constexpr StateName kStateNames[] = {
    {TaskState::kScheduled, "scheduled"}, {TaskState::kWaiting, "waiting"},
    {TaskState::kDeferred, "deferred"},   {TaskState::kProcessing, "processing"},
    {TaskState::kComplete, "complete"},   {TaskState::kFailed, "failed"},
    {TaskState::kScheduled, "delayed"},   {TaskState::kWaiting, "inactive"},
    {TaskState::kProcessing, "active"},
};

struct PriorityName {
  const char* name;
  int value;
};
constexpr PriorityName kPriorityNames[] = {
    {"low", 10}, {"normal", 0}, {"medium", -5}, {"high", -10}, {"critical", -15},
};

// Whole-string decimal integer with an optional sign.
template <typename T>
bool ParseInteger(std::string_view text, T* out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  *out = value;
  return true;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

const char* JsonTypeName(const nlohmann::json& v) {
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  if (v.is_binary()) return "binary data";
  return "a value of an unsupported type";
}

}  // namespace

const char* TaskStateName(TaskState state) {
  for (const StateName& s : kStateNames) {
    if (s.state == state) return s.name;
  }
  return "unknown";
}

std::optional<TaskState> ParseTaskState(std::string_view name) {
  for (const StateName& s : kStateNames) {
    if (name == s.name) return s.state;
  }
  return std::nullopt;
}

Result<int> ParsePriority(std::string_view text) {
  for (const PriorityName& p : kPriorityNames) {
    if (text == p.name) return p.value;
  }
  int value = 0;
  if (ParseInteger(text, &value)) return value;
  return Status::InvalidArgument("Invalid priority '" + std::string(text) +
                                 "': use an integer or one of low (10), normal (0), "
                                 "medium (-5), high (-10), critical (-15).");
}

Result<Backoff> Backoff::Parse(std::string_view text) {
  if (text.empty()) return Backoff{};
  auto invalid = [&] {
    return Status::InvalidArgument("Invalid backoff '" + std::string(text) +
                                   "': use fixed:SECONDS or exponential:SECONDS with "
                                   "SECONDS a positive integer.");
  };
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return invalid();
  std::string_view kind = text.substr(0, colon);
  std::string_view secs = text.substr(colon + 1);
  Backoff b;
  if (kind == "fixed") {
    b.kind = Kind::kFixed;
  } else if (kind == "exponential") {
    b.kind = Kind::kExponential;
  } else {
    return invalid();
  }
  if (!AllDigits(secs) || !ParseInteger(secs, &b.seconds) || b.seconds <= 0) return invalid();
  return b;
}

std::string Backoff::ToString() const {
  switch (kind) {
    case Kind::kNone:
      return "";
    case Kind::kFixed:
      return "fixed:" + std::to_string(seconds);
    case Kind::kExponential:
      return "exponential:" + std::to_string(seconds);
  }
  return "";
}

int64_t Backoff::DelaySeconds(int next_attempt) const {
  switch (kind) {
    case Kind::kNone:
      return 0;
    case Kind::kFixed:
      return seconds;
    case Kind::kExponential: {
      int doublings = next_attempt < 2 ? 0 : next_attempt - 2;
      int64_t delay = seconds;
      // Saturate instead of overflowing: a delay of centuries is as good as
      // "never" and must not wrap around to a negative number.
      for (int i = 0; i < doublings; ++i) {
        if (delay > std::numeric_limits<int64_t>::max() / 2) {
          return std::numeric_limits<int64_t>::max();
        }
        delay *= 2;
      }
      return delay;
    }
  }
  return 0;
}

std::string Task::uuid() const { return "TQ:" + ns + ":" + std::to_string(id); }

std::string Task::full_command() const {
  if (argstring.empty()) return command;
  return command + " " + argstring;
}

Result<int64_t> ParseTaskId(std::string_view text, std::string* ns) {
  auto invalid = [&] {
    return Status::InvalidArgument("Invalid task id '" + std::string(text) +
                                   "': expected TQ:TaskQueue:<n>, TQ:TaskQueue-Scheduler:<n> "
                                   "or a positive number.");
  };
  std::string_view number = text;
  std::string_view space;
  if (text.substr(0, 3) == "TQ:") {
    std::string_view rest = text.substr(3);
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0) return invalid();
    space = rest.substr(0, colon);
    number = rest.substr(colon + 1);
  }
  int64_t id = 0;
  if (!AllDigits(number) || !ParseInteger(number, &id) || id <= 0) return invalid();
  if (ns != nullptr) *ns = std::string(space);
  return id;
}

Result<std::string> ValidateUserdata(std::string_view json) {
  if (json.empty()) return std::string("{}");
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::InvalidArgument("userdata is not valid JSON: " +
                                   std::string(json.substr(0, 80)));
  }
  if (!parsed.is_object()) {
    return Status::InvalidArgument("userdata must be a JSON object, got " +
                                   std::string(parsed.type_name()));
  }
  // List every offending key at once (sorted, as the original did), so a
  // user fixes them in one go.
  std::map<std::string, std::string> bad;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    const nlohmann::json& v = it.value();
    if (!(v.is_string() || v.is_number() || v.is_boolean() || v.is_null())) {
      bad[it.key()] = JsonTypeName(v);
    }
  }
  if (!bad.empty()) {
    std::string msg = "userdata must be a flat object (strings, numbers, booleans, null); ";
    bool first = true;
    for (const auto& [key, what] : bad) {
      msg += first ? "" : ", ";
      msg += "'" + key + "' holds " + what;
      first = false;
    }
    return Status::InvalidArgument(msg);
  }
  return parsed.dump();
}

}  // namespace taskqueue
