#include "task_format.h"

#include <string>

namespace taskqueue::cli {
namespace {

constexpr size_t kRecordLogLines = 5;

nlohmann::json OptionalSeconds(const std::optional<int64_t>& millis) {
  if (!millis) return nullptr;
  return MillisToSeconds(*millis);
}

nlohmann::json OptionalInt(const std::optional<int>& v) {
  if (!v) return nullptr;
  return *v;
}

nlohmann::json NonEmpty(const std::string& s) {
  if (s.empty()) return nullptr;
  return s;
}

std::string Attempts(const Task& t) {
  return std::to_string(t.attempts_made) + "/" + std::to_string(t.attempts_max);
}

}  // namespace

nlohmann::json TaskToJson(const Task& task, const std::vector<LogLine>* logs) {
  nlohmann::json j;
  j["id"] = task.uuid();
  j["number"] = task.id;
  j["command"] = task.command;
  j["args"] = task.args;
  j["argstring"] = task.argstring;
  j["state"] = TaskStateName(task.state);
  j["priority"] = task.priority;
  j["attempts_made"] = task.attempts_made;
  j["attempts_max"] = task.attempts_max;
  j["backoff"] = NonEmpty(task.backoff.ToString());
  j["timeout"] = task.timeout > 0 ? nlohmann::json(task.timeout) : nlohmann::json(nullptr);
  j["created_at"] = MillisToSeconds(task.created_at);
  j["run_at"] = OptionalSeconds(task.run_at);
  j["started_at"] = OptionalSeconds(task.started_at);
  j["finished_at"] = OptionalSeconds(task.finished_at);
  j["exit_status"] = OptionalInt(task.exit_status);
  j["term_signal"] = OptionalInt(task.term_signal);
  j["error"] = NonEmpty(task.error);
  j["result"] = NonEmpty(task.result);
  j["progress"] = task.progress;
  j["progress_data"] = NonEmpty(task.progress_data);
  auto userdata =
      nlohmann::json::parse(task.userdata_json.empty() ? "{}" : task.userdata_json, nullptr, false);
  j["userdata"] = userdata.is_discarded() ? nlohmann::json::object() : userdata;
  j["pid"] = task.pid > 0 ? nlohmann::json(task.pid) : nlohmann::json(nullptr);
  if (logs != nullptr) {
    j["logs"] = nlohmann::json::array();
    for (const auto& line : *logs) j["logs"].push_back(LogLineToJson(line));
  }
  return j;
}

nlohmann::json LogLineToJson(const LogLine& line) {
  return {{"time", MillisToSeconds(line.time)}, {"line", line.line}};
}

Color StateColor(TaskState state) {
  switch (state) {
    case TaskState::kScheduled:
      return Color::kBlue;
    case TaskState::kWaiting:
      return Color::kNone;
    case TaskState::kDeferred:
      return Color::kCyan;
    case TaskState::kProcessing:
      return Color::kYellow;
    case TaskState::kComplete:
      return Color::kGreen;
    case TaskState::kFailed:
      return Color::kRed;
  }
  return Color::kNone;
}

Table TaskTable() {
  return Table({"ID", "STATE", "PRI", "ATTEMPTS", "CREATED", "RUN AT", "FINISHED", "COMMAND"});
}

void AddTaskRow(Table& table, const Task& task) {
  table.AddRow({task.uuid(), TaskStateName(task.state), std::to_string(task.priority),
                Attempts(task), FormatLocalTime(task.created_at), FormatLocalTime(task.run_at),
                FormatLocalTime(task.finished_at), task.full_command()},
               {Color::kNone, StateColor(task.state)});
}

std::string DescribeOutcome(const Task& task) {
  std::string s = task.uuid() + " " + TaskStateName(task.state);
  if (task.term_signal) {
    s += " (signal " + std::to_string(*task.term_signal) + ")";
  } else if (task.exit_status && *task.exit_status != 0) {
    s += " (exit status " + std::to_string(*task.exit_status) + ")";
  }
  if (task.state == TaskState::kFailed && !task.error.empty()) s += ": " + task.error;
  return s;
}

void PrintTaskRecord(std::ostream& out, const Task& task, const std::vector<LogLine>& logs) {
  auto field = [&out](const char* name, const std::string& value) {
    std::string label = name;
    label.resize(13, ' ');
    out << "  " << label << value << "\n";
  };
  out << task.uuid() << "\n";
  field("command", task.full_command());
  field("state", Paint(TaskStateName(task.state), StateColor(task.state)));
  field("priority", std::to_string(task.priority));
  field("attempts", Attempts(task));
  if (!task.backoff.empty()) field("backoff", task.backoff.ToString());
  if (task.timeout > 0) field("timeout", std::to_string(task.timeout) + "s");
  field("created", FormatLocalTime(task.created_at));
  field(task.state == TaskState::kScheduled ? "due" : "run at", FormatLocalTime(task.run_at));
  if (task.started_at) field("started", FormatLocalTime(task.started_at));
  if (task.finished_at) field("finished", FormatLocalTime(task.finished_at));
  if (task.exit_status) field("exit status", std::to_string(*task.exit_status));
  if (task.term_signal) field("signal", std::to_string(*task.term_signal));
  if (!task.error.empty()) field("error", task.error);
  if (!task.result.empty()) field("result", task.result);
  if (task.progress > 0 || !task.progress_data.empty()) {
    std::string p = std::to_string(task.progress) + "%";
    if (!task.progress_data.empty()) p += " " + task.progress_data;
    field("progress", p);
  }
  if (!task.userdata_json.empty() && task.userdata_json != "{}") {
    field("userdata", task.userdata_json);
  }
  if (task.pid > 0) field("pid", std::to_string(task.pid));
  if (!task.deferral_tags.empty()) {
    std::string tags;
    for (const auto& tag : task.deferral_tags) tags += (tags.empty() ? "" : " ") + tag;
    field("tags", tags);
  }
  if (!logs.empty()) {
    size_t first = logs.size() > kRecordLogLines ? logs.size() - kRecordLogLines : 0;
    std::string label = "log";
    if (first > 0) {
      label = "log (last " + std::to_string(kRecordLogLines) + " of " +
              std::to_string(logs.size()) + ")";
    }
    out << "  " << label << ":\n";
    for (size_t i = first; i < logs.size(); ++i) {
      out << "    " << FormatLocalTime(logs[i].time) << "  " << logs[i].line << "\n";
    }
  }
}

}  // namespace taskqueue::cli
