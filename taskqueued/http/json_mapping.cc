// Task <-> JSON for Kue's API and /api/v1 (see json_mapping.h).
#include "json_mapping.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace taskqueue::http {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

std::string MillisString(int64_t ms) { return std::to_string(ms); }

// A stored text that may hold JSON (a result or progress data): the JSON
// value when it parses, else the text itself.
ordered_json JsonOrText(const std::string& text) {
  ordered_json parsed = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return text;
  return parsed;
}

json OptionalSeconds(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return *ms / 1000;
}
json OptionalMillis(const std::optional<int64_t>& ms) {
  if (!ms) return nullptr;
  return *ms;
}

// A non-negative integer from a JSON number or a numeric string, as Kue's
// parseInt would read it; nullopt for anything else.
std::optional<int64_t> IntegerFrom(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!std::isfinite(d) || d < -9e15 || d > 9e15) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18) return std::nullopt;
    size_t i = (s[0] == '-') ? 1 : 0;
    if (i == s.size()) return std::nullopt;
    for (size_t j = i; j < s.size(); ++j) {
      if (s[j] < '0' || s[j] > '9') return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

// Kue's option setters ignore falsy values (`if (options.x) ...`).
bool Falsy(const json& value) {
  return value.is_null() || (value.is_boolean() && !value.get<bool>()) ||
         (value.is_number() && value.get<double>() == 0) ||
         (value.is_string() && value.get_ref<const std::string&>().empty());
}

// Milliseconds to whole seconds, rounding up so a delay is never shortened.
int64_t CeilSeconds(int64_t ms) { return (ms + 999) / 1000; }

Result<Backoff> ParseKueBackoff(const json& value, int64_t delay_ms) {
  if (value.is_boolean()) {
    // Kue: `backoff: true` retries after the job's own delay.
    return Backoff{Backoff::Kind::kFixed, std::max<int64_t>(1, CeilSeconds(delay_ms))};
  }
  if (value.is_string()) {
    Result<Backoff> parsed = Backoff::Parse(value.get<std::string>());
    if (!parsed.ok()) {
      return Status::InvalidArgument("options.backoff: " + parsed.status().message());
    }
    return parsed;
  }
  if (!value.is_object()) {
    return Status::InvalidArgument(
        "options.backoff must be true, {\"type\": \"fixed\"|\"exponential\", \"delay\": ms} "
        "or \"fixed:SECS\"");
  }
  auto type = value.find("type");
  if (type == value.end() || !type->is_string()) {
    return Status::InvalidArgument("options.backoff.type must be \"fixed\" or \"exponential\"");
  }
  Backoff backoff;
  if (*type == "fixed") {
    backoff.kind = Backoff::Kind::kFixed;
  } else if (*type == "exponential") {
    backoff.kind = Backoff::Kind::kExponential;
  } else {
    return Status::InvalidArgument(
        "options.backoff.type must be \"fixed\" or \"exponential\", not \"" +
        type->get<std::string>() + "\"");
  }
  int64_t ms = delay_ms;
  if (auto d = value.find("delay"); d != value.end() && !d->is_null()) {
    std::optional<int64_t> parsed = IntegerFrom(*d);
    if (!parsed || *parsed < 0) {
      return Status::InvalidArgument("options.backoff.delay must be a number of milliseconds");
    }
    ms = *parsed;
  }
  backoff.seconds = std::max<int64_t>(1, CeilSeconds(ms));
  return backoff;
}

}  // namespace

const char* KueStateName(TaskState state) {
  switch (state) {
    case TaskState::kScheduled:
      return "delayed";
    case TaskState::kWaiting:
    case TaskState::kDeferred:
      return "inactive";
    case TaskState::kProcessing:
      return "active";
    case TaskState::kComplete:
      return "complete";
    case TaskState::kFailed:
      return "failed";
  }
  return "inactive";
}

std::vector<TaskState> StatesForName(const std::string& name) {
  if (name == "inactive") return {TaskState::kWaiting, TaskState::kDeferred};
  if (name == "active" || name == "processing") return {TaskState::kProcessing};
  if (name == "delayed" || name == "scheduled") return {TaskState::kScheduled};
  if (name == "waiting") return {TaskState::kWaiting};
  if (name == "deferred") return {TaskState::kDeferred};
  if (name == "complete") return {TaskState::kComplete};
  if (name == "failed") return {TaskState::kFailed};
  return {};
}

ordered_json KueJobJson(const Task& task) {
  ordered_json data = ordered_json::object();
  if (!task.args.empty()) data["args"] = task.args;
  ordered_json userdata =
      ordered_json::parse(task.userdata_json.empty() ? "{}" : task.userdata_json, nullptr, false);
  if (userdata.is_object()) {
    for (auto& [key, value] : userdata.items()) {
      if (key != "args") data[key] = value;
    }
  }
  int64_t updated = task.created_at;
  for (const auto& t : {task.run_at, task.started_at, task.finished_at}) {
    if (t && *t > updated) updated = *t;
  }

  ordered_json job;
  job["id"] = std::to_string(task.id);
  job["type"] = task.command;
  job["data"] = std::move(data);
  if (!task.result.empty()) job["result"] = JsonOrText(task.result);
  job["priority"] = task.priority;
  // Kue stores progress as text once set and reports a number 0 before.
  if (task.progress > 0) {
    job["progress"] = std::to_string(task.progress);
  } else {
    job["progress"] = 0;
  }
  if (!task.progress_data.empty()) job["progress_data"] = JsonOrText(task.progress_data);
  job["state"] = KueStateName(task.state);
  if (!task.error.empty()) job["error"] = task.error;
  job["created_at"] = MillisString(task.created_at);
  job["promote_at"] = MillisString(task.run_at.value_or(task.created_at));
  job["updated_at"] = MillisString(updated);
  if (task.state == TaskState::kFailed && task.finished_at) {
    job["failed_at"] = MillisString(*task.finished_at);
  }
  if (task.started_at) job["started_at"] = MillisString(*task.started_at);
  if (task.state == TaskState::kComplete && task.started_at && task.finished_at) {
    job["duration"] = MillisString(*task.finished_at - *task.started_at);
  }
  if (task.state == TaskState::kScheduled && task.run_at && *task.run_at > task.created_at) {
    job["delay"] = MillisString(*task.run_at - task.created_at);
  }
  if (task.state == TaskState::kProcessing && task.runner_pid > 0) {
    job["workerId"] = "taskqueued:" + std::to_string(task.runner_pid);
  }
  if (task.timeout > 0) job["ttl"] = MillisString(task.timeout * 1000);
  job["attempts"] = {{"made", task.attempts_made},
                     {"remaining", task.attempts_remaining()},
                     {"max", task.attempts_max}};
  return job;
}

Result<int> ParsePriorityJson(const json& value, const std::string& field) {
  if (value.is_number_integer()) {
    int64_t n = value.get<int64_t>();
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
      return Status::InvalidArgument(field + " is out of range");
    }
    return static_cast<int>(n);
  }
  if (value.is_string()) {
    Result<int> parsed = ParsePriority(value.get<std::string>());
    if (!parsed.ok()) {
      return Status::InvalidArgument(field + ": invalid priority '" + value.get<std::string>() +
                                     "' (a number, or low, normal, medium, high, critical)");
    }
    return parsed;
  }
  return Status::InvalidArgument(field +
                                 " must be a number or one of low, normal, medium, high, critical");
}

Result<KueJobRequest> ParseKueJob(const json& item) {
  if (!item.is_object()) return Status::InvalidArgument("Must provide job type");
  auto type = item.find("type");
  if (type == item.end() || Falsy(*type)) return Status::InvalidArgument("Must provide job type");
  if (!type->is_string()) return Status::InvalidArgument("Job type must be a string");
  const std::string& command = type->get_ref<const std::string&>();
  for (char c : command) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      return Status::InvalidArgument("Invalid job type '" + command +
                                     "': a type is a command name and has no spaces");
    }
  }

  KueJobRequest request;
  request.command = command;
  json userdata = json::object();
  if (auto data = item.find("data"); data != item.end() && !data->is_null()) {
    if (!data->is_object()) return Status::InvalidArgument("Job data must be an object");
    for (auto& [key, value] : data->items()) {
      if (key != "args") {
        userdata[key] = value;
        continue;
      }
      if (!value.is_array())
        return Status::InvalidArgument("data.args must be an array of strings");
      for (const json& arg : value) {
        if (!arg.is_string()) {
          return Status::InvalidArgument("data.args must be an array of strings, not " +
                                         arg.dump());
        }
        request.command += ' ';
        request.command += QuoteArg(arg.get<std::string>());
      }
    }
  }
  Result<std::string> canonical = ValidateUserdata(userdata.dump());
  if (!canonical.ok()) {
    return Status::InvalidArgument("Job data: " + canonical.status().message());
  }
  request.options.userdata_json = *canonical;

  auto options_it = item.find("options");
  if (options_it == item.end() || options_it->is_null()) return request;
  const json& options = *options_it;
  if (!options.is_object()) return Status::InvalidArgument("Job options must be an object");

  if (auto v = options.find("delay"); v != options.end() && !Falsy(*v)) {
    std::optional<int64_t> ms = IntegerFrom(*v);
    if (!ms || *ms < 0) {
      return Status::InvalidArgument("options.delay must be a number of milliseconds");
    }
    request.delay_ms = *ms;
  }
  if (auto v = options.find("attempts"); v != options.end() && !Falsy(*v)) {
    std::optional<int64_t> n = IntegerFrom(*v);
    if (!n || *n < 1 || *n > 1'000'000) {
      return Status::InvalidArgument("options.attempts must be a positive integer");
    }
    request.options.attempts = static_cast<int>(*n);
  }
  if (auto v = options.find("priority"); v != options.end() && !Falsy(*v)) {
    Result<int> priority = ParsePriorityJson(*v, "options.priority");
    if (!priority.ok()) return priority.status();
    request.options.priority = *priority;
  }
  if (auto v = options.find("backoff"); v != options.end() && !Falsy(*v)) {
    Result<Backoff> backoff = ParseKueBackoff(*v, request.delay_ms);
    if (!backoff.ok()) return backoff.status();
    request.options.backoff = *backoff;
  }
  if (auto v = options.find("ttl"); v != options.end() && !Falsy(*v)) {
    std::optional<int64_t> ms = IntegerFrom(*v);
    if (!ms || *ms < 1)
      return Status::InvalidArgument("options.ttl must be a number of milliseconds");
    request.options.timeout = CeilSeconds(*ms);
  }
  if (auto v = options.find("removeOnComplete"); v != options.end()) {
    request.options.remove_on_complete = !Falsy(*v);
  }
  // searchKeys is accepted and ignored: everything is indexed for search.
  return request;
}

json TaskJson(const Task& task) {
  json userdata =
      json::parse(task.userdata_json.empty() ? "{}" : task.userdata_json, nullptr, false);
  if (userdata.is_discarded()) userdata = json::object();
  json out = {
      {"id", task.id},
      {"uuid", task.uuid()},
      {"command", task.command},
      {"args", task.args},
      {"argstring", task.argstring},
      {"state", TaskStateName(task.state)},
      {"priority", task.priority},
      {"attempts_made", task.attempts_made},
      {"attempts_max", task.attempts_max},
      {"attempts_remaining", task.attempts_remaining()},
      {"backoff", task.backoff.empty() ? json(nullptr) : json(task.backoff.ToString())},
      {"timeout", task.timeout},
      {"userdata", userdata},
      {"remove_on_complete", task.remove_on_complete},
      {"created_at", task.created_at / 1000},
      {"run_at", OptionalSeconds(task.run_at)},
      {"started_at", OptionalSeconds(task.started_at)},
      {"finished_at", OptionalSeconds(task.finished_at)},
      {"created_at_ms", task.created_at},
      {"run_at_ms", OptionalMillis(task.run_at)},
      {"started_at_ms", OptionalMillis(task.started_at)},
      {"finished_at_ms", OptionalMillis(task.finished_at)},
      {"duration_ms", (task.started_at && task.finished_at)
                          ? json(*task.finished_at - *task.started_at)
                          : json(nullptr)},
      {"exit_status", task.exit_status ? json(*task.exit_status) : json(nullptr)},
      {"term_signal", task.term_signal ? json(*task.term_signal) : json(nullptr)},
      {"error", task.error},
      {"result", task.result},
      {"progress", task.progress},
      {"progress_data", task.progress_data},
      {"pid", task.pid},
      {"deferral_tags", task.deferral_tags},
  };
  return out;
}

Result<TaskOptions> ParseTaskOptionsJson(const json& options) {
  TaskOptions out;
  if (options.is_null()) return out;
  if (!options.is_object()) return Status::InvalidArgument("options must be an object");
  for (auto& [key, value] : options.items()) {
    if (key == "priority") {
      Result<int> p = ParsePriorityJson(value, "priority");
      if (!p.ok()) return p.status();
      out.priority = *p;
    } else if (key == "attempts") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > 1'000'000) {
        return Status::InvalidArgument("attempts must be a positive integer");
      }
      out.attempts = value.get<int>();
    } else if (key == "backoff") {
      if (value.is_null()) continue;
      if (!value.is_string()) {
        return Status::InvalidArgument("backoff must be \"fixed:SECS\" or \"exponential:SECS\"");
      }
      Result<Backoff> b = Backoff::Parse(value.get<std::string>());
      if (!b.ok()) return Status::InvalidArgument("backoff: " + b.status().message());
      out.backoff = *b;
    } else if (key == "timeout") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1) {
        return Status::InvalidArgument("timeout must be a positive number of seconds");
      }
      out.timeout = value.get<int64_t>();
    } else if (key == "userdata") {
      if (value.is_null()) continue;
      if (!value.is_object()) return Status::InvalidArgument("userdata must be a JSON object");
      Result<std::string> canonical = ValidateUserdata(value.dump());
      if (!canonical.ok())
        return Status::InvalidArgument("userdata: " + canonical.status().message());
      out.userdata_json = *canonical;
    } else if (key == "remove_on_complete") {
      if (!value.is_boolean())
        return Status::InvalidArgument("remove_on_complete must be true or false");
      out.remove_on_complete = value.get<bool>();
    } else {
      return Status::InvalidArgument("unknown option '" + key +
                                     "' (known: priority, attempts, backoff, timeout, userdata, "
                                     "remove_on_complete)");
    }
  }
  return out;
}

json EventJson(const Event& event) {
  json data = json::parse(event.data_json.empty() ? "{}" : event.data_json, nullptr, false);
  if (data.is_discarded()) data = event.data_json;
  return {{"id", event.id},
          {"type", event.type},
          {"task_id", event.task_id},
          {"time", event.time},
          {"data", std::move(data)}};
}

bool SameTaskOptions(const TaskOptions& a, const TaskOptions& b) {
  return a.priority == b.priority && a.attempts == b.attempts && a.backoff.kind == b.backoff.kind &&
         a.backoff.seconds == b.backoff.seconds && a.timeout == b.timeout &&
         a.userdata_json == b.userdata_json && a.remove_on_complete == b.remove_on_complete;
}

}  // namespace taskqueue::http
