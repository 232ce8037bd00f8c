// list, find, status, info and search: the verbs that only read.

#include <iostream>
#include <nlohmann/json.hpp>

#include "daemon_probe.h"
#include "output.h"
#include "task_format.h"
#include "verb_util.h"
#include "verbs.h"

namespace taskqueue::cli {
namespace {

// Prints tasks as a table, as verbose records (with their log lines) or as
// a JSON array of task objects.
int PrintTasks(Context& ctx, Queue& queue, const std::vector<Task>& tasks, bool verbose) {
  if (ctx.json()) {
    nlohmann::json doc = nlohmann::json::array();
    for (const auto& task : tasks) {
      if (verbose) {
        auto logs = queue.Logs(task.id);
        if (!logs.ok()) return ctx.Fail(logs.status());
        doc.push_back(TaskToJson(task, &*logs));
      } else {
        doc.push_back(TaskToJson(task));
      }
    }
    PrintJson(doc);
    return kExitOk;
  }
  if (verbose) {
    for (size_t i = 0; i < tasks.size(); ++i) {
      auto logs = queue.Logs(tasks[i].id);
      if (!logs.ok()) return ctx.Fail(logs.status());
      if (i > 0) std::cout << "\n";
      PrintTaskRecord(std::cout, tasks[i], *logs);
    }
    return kExitOk;
  }
  if (tasks.empty()) return kExitOk;
  Table table = TaskTable();
  for (const auto& task : tasks) AddTaskRow(table, task);
  table.Print(std::cout);
  return kExitOk;
}

void PrintKeyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [key, value] : rows) width = std::max(width, key.size());
  for (const auto& [key, value] : rows) {
    std::cout << key << ":" << std::string(width - key.size() + 2, ' ') << value << "\n";
  }
}

// The task with this number, in the queue, its history or the scheduler.
Result<std::optional<Task>> FindAnywhere(Queue& queue, Scheduler& scheduler, int64_t id) {
  auto in_queue = queue.FindTask(id);
  if (!in_queue.ok() || in_queue->has_value()) return in_queue;
  return scheduler.IsTaskScheduled(id);
}

}  // namespace

int RunList(Context& ctx) {
  bool verbose = false;
  std::optional<TaskState> state;
  for (const auto& word : ctx.args()) {
    if (word == "verbose" && !verbose) {
      verbose = true;
    } else if (auto s = ParseTaskState(word); s && !state) {
      state = s;
    } else {
      return ctx.Usage("list: unexpected '" + word +
                       "'; use: list [verbose] "
                       "[active|deferred|waiting|scheduled|complete|failed]");
    }
  }
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  std::vector<Task> tasks;
  // Without a state: cPanel's view of the work still to do, in the order it
  // will happen. History is listed by asking for complete or failed.
  const std::vector<TaskState> states =
      state ? std::vector<TaskState>{*state}
            : std::vector<TaskState>{TaskState::kProcessing, TaskState::kWaiting,
                                     TaskState::kDeferred, TaskState::kScheduled};
  for (TaskState s : states) {
    auto some = (*queue)->TasksInState(s);
    if (!some.ok()) return ctx.Fail(some.status());
    tasks.insert(tasks.end(), some->begin(), some->end());
  }
  return PrintTasks(ctx, **queue, tasks, verbose);
}

int RunFind(Context& ctx) {
  const auto& words = ctx.args();
  if (words.size() != 2 || (words[0] != "task" && words[0] != "command")) {
    return ctx.Usage("find: use 'find task ID' or 'find command NAME'");
  }
  std::optional<int64_t> id;
  if (words[0] == "task") {
    auto parsed = ParseId(words[1]);
    if (!parsed.ok()) return ctx.Usage(parsed.status().message());
    id = *parsed;
  }
  auto scheduler = ctx.OpenScheduler(false);
  if (!scheduler.ok()) return ctx.Fail(scheduler.status());
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());

  std::optional<Task> found;
  if (id) {
    auto task = FindAnywhere(**queue, **scheduler, *id);
    if (!task.ok()) return ctx.Fail(task.status());
    found = *task;
  } else {
    // The exact command name, as the original did (its help promised a
    // substring): the first waiting, deferred or processing task, else the
    // first scheduled one.
    auto task = (*queue)->FindCommand(words[1]);
    if (!task.ok()) return ctx.Fail(task.status());
    found = *task;
    if (!found) {
      auto scheduled = (*scheduler)->SnapshotTaskSchedule();
      if (!scheduled.ok()) return ctx.Fail(scheduled.status());
      for (const auto& t : *scheduled) {
        if (t.command == words[1]) {
          found = t;
          break;
        }
      }
    }
  }
  std::vector<Task> tasks;
  if (found) tasks.push_back(*found);
  int code = PrintTasks(ctx, **queue, tasks, /*verbose=*/true);
  if (code != kExitOk) return code;
  return found ? kExitOk : kExitFailure;
}

int RunStatus(Context& ctx) {
  if (!ctx.args().empty()) return ctx.Usage("status takes no arguments");
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  auto counts = (*queue)->Counts();
  if (!counts.ok()) return ctx.Fail(counts.status());
  auto paused = (*queue)->IsPaused();
  if (!paused.ok()) return ctx.Fail(paused.status());
  auto pid = FindDaemonPid(ctx.state_dir(), ctx.name());
  if (ctx.json()) {
    PrintJson({{"counts",
                {{"waiting", counts->waiting},
                 {"deferred", counts->deferred},
                 {"processing", counts->processing},
                 {"scheduled", counts->scheduled},
                 {"complete", counts->complete},
                 {"failed", counts->failed}}},
               {"paused", *paused},
               {"daemon_pid", pid ? nlohmann::json(*pid) : nlohmann::json(nullptr)}});
    return kExitOk;
  }
  PrintKeyValues({
      {"Queue", ctx.name() + " in " + ctx.state_dir().string()},
      {"Daemon", pid ? "running (pid " + std::to_string(*pid) + ")" : "not running"},
      {"Paused", *paused ? "yes" : "no"},
      {"Waiting", std::to_string(counts->waiting)},
      {"Deferred", std::to_string(counts->deferred)},
      {"Processing", std::to_string(counts->processing)},
      {"Scheduled", std::to_string(counts->scheduled)},
      {"Complete", std::to_string(counts->complete)},
      {"Failed", std::to_string(counts->failed)},
  });
  return kExitOk;
}

int RunInfo(Context& ctx) {
  if (!ctx.args().empty()) return ctx.Usage("info takes no arguments");
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  auto settings = (*queue)->Settings();
  if (!settings.ok()) return ctx.Fail(settings.status());
  auto paused = (*queue)->IsPaused();
  if (!paused.ok()) return ctx.Fail(paused.status());
  const auto sched_file = ctx.state_dir() / (ctx.name() + "_sched.db");
  std::string plugin_path;
  for (const auto& dir : ctx.PluginDirectories()) {
    plugin_path += (plugin_path.empty() ? "" : ":") + dir.path.string();
  }
  if (ctx.json()) {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& key : QueueSettings::Keys()) doc[key] = *settings->Get(key);
    doc["state_dir"] = ctx.state_dir().string();
    doc["name"] = ctx.name();
    doc["queue_file"] = (*queue)->queue_file().string();
    doc["sched_file"] = sched_file.string();
    doc["paused"] = *paused;
    doc["plugin_path"] = plugin_path;
    PrintJson(doc);
    return kExitOk;
  }
  std::vector<std::pair<std::string, std::string>> rows = {
      {"name", ctx.name()},
      {"state_dir", ctx.state_dir().string()},
      {"queue_file", (*queue)->queue_file().string()},
      {"sched_file", sched_file.string()},
      {"paused", *paused ? "yes" : "no"},
      {"plugin_path", plugin_path},
  };
  for (const auto& key : QueueSettings::Keys()) {
    rows.emplace_back(key, std::to_string(*settings->Get(key)));
  }
  PrintKeyValues(rows);
  return kExitOk;
}

int RunSearch(Context& ctx) {
  if (ctx.args().empty()) return ctx.Usage("search needs a query");
  std::string query;
  for (const auto& word : ctx.args()) query += (query.empty() ? "" : " ") + word;
  std::optional<TaskState> state;
  if (ctx.inv().state) {
    state = ParseTaskState(*ctx.inv().state);
    if (!state) {
      return ctx.Usage("Invalid --state '" + *ctx.inv().state +
                       "': use waiting, deferred, processing, scheduled, complete or failed");
    }
  }
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  auto tasks = (*queue)->Search(query, state);
  if (!tasks.ok()) return ctx.Fail(tasks.status());
  return PrintTasks(ctx, **queue, *tasks, /*verbose=*/false);
}

}  // namespace taskqueue::cli
