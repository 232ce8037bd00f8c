// wait, log, retry, progress and log-line: the verbs scripts use around one
// task (pueue's and task-spooler's vocabulary, Kue's job model).

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon_probe.h"
#include "output.h"
#include "task_format.h"
#include "verb_util.h"
#include "verbs.h"

namespace taskqueue::cli {
namespace {

void SleepMillis(int64_t ms) {
  struct timespec ts = {static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

int64_t MonotonicMillis() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// The task wherever it is. A task moving between the queue and the
// scheduler (a retry, a promotion) is looked for in the queue again, so that
// it is never missed between the two reads.
Result<std::optional<Task>> Lookup(Queue& queue, Scheduler& scheduler, int64_t id) {
  auto t = queue.FindTask(id);
  if (!t.ok() || t->has_value()) return t;
  t = scheduler.IsTaskScheduled(id);
  if (!t.ok() || t->has_value()) return t;
  return queue.FindTask(id);
}

// The exit status `wait` reports for a finished task.
int WaitStatus(const Task& task) {
  if (task.state == TaskState::kComplete) return 0;
  if (task.term_signal) return std::min(128 + *task.term_signal, 255);
  if (task.exit_status && *task.exit_status != 0) {
    int code = *task.exit_status & 0xff;
    return code == 0 ? 1 : code;
  }
  return 1;
}

// The id of the running task from $TASKQUEUE_TASK_ID, which the daemon sets
// for its children.
Result<int64_t> CurrentTaskId() {
  const char* env = getenv("TASKQUEUE_TASK_ID");
  if (env == nullptr || *env == '\0') {
    return Status::InvalidArgument(
        "$TASKQUEUE_TASK_ID is not set: this verb works from inside a running task");
  }
  auto id = ParseId(env);
  if (!id.ok()) {
    return Status::InvalidArgument("$TASKQUEUE_TASK_ID: " + id.status().message());
  }
  return id;
}

std::string Join(const std::vector<std::string>& words, size_t first) {
  std::string out;
  for (size_t i = first; i < words.size(); ++i) out += (i == first ? "" : " ") + words[i];
  return out;
}

}  // namespace

int RunWait(Context& ctx) {
  if (ctx.args().empty()) return ctx.Usage("wait needs at least one task id");
  auto ids = ParseIds(ctx.args());
  if (!ids.ok()) return ctx.Usage(ids.status().message());
  auto scheduler = ctx.OpenScheduler(false);
  if (!scheduler.ok()) return ctx.Fail(scheduler.status());
  Queue& queue = **ctx.OpenQueue(false);

  std::vector<Task> finished;
  for (size_t i = 0; i < ids->size(); ++i) {
    const int64_t id = (*ids)[i];
    const std::string& word = ctx.args()[i];
    int64_t delay_ms = 2;
    int64_t next_daemon_check = 0;
    std::optional<Task> last_seen;
    for (;;) {
      auto task = Lookup(queue, **scheduler, id);
      if (!task.ok()) return ctx.Fail(task.status());
      if (!*task) {
        // A task that completes with remove_on_complete goes away.
        if (last_seen && last_seen->remove_on_complete) {
          last_seen->state = TaskState::kComplete;
          finished.push_back(*last_seen);
          break;
        }
        return ctx.FailWith(
            kExitFailure, "not_found",
            last_seen ? "Task " + word + " was removed before it finished" : "No task " + word);
      }
      if ((*task)->finished()) {
        finished.push_back(**task);
        break;
      }
      last_seen = *task;
      const int64_t now = MonotonicMillis();
      if (now >= next_daemon_check) {
        if (!FindDaemonPid(ctx.state_dir(), ctx.name())) {
          return ctx.FailWith(kExitUnavailable, "unavailable",
                              "Task " + (*task)->uuid() + " is " + TaskStateName((*task)->state) +
                                  " and no taskqueued runs for queue '" + ctx.name() + "' in " +
                                  ctx.state_dir().string() +
                                  " (start it, or run 'taskqueuectl process')");
        }
        next_daemon_check = now + 500;
      }
      SleepMillis(delay_ms);
      delay_ms = std::min<int64_t>(delay_ms * 2, 100);
    }
  }

  int exit_code = kExitOk;
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& task : finished) {
    if (exit_code == kExitOk) exit_code = WaitStatus(task);
    if (ctx.json()) {
      doc.push_back(TaskToJson(task));
    } else {
      std::cout << DescribeOutcome(task) << "\n";
    }
  }
  if (ctx.json()) PrintJson(doc);
  return exit_code;
}

int RunLog(Context& ctx) {
  if (ctx.args().size() != 1) return ctx.Usage("log: use 'log ID'");
  auto id = ParseId(ctx.args()[0]);
  if (!id.ok()) return ctx.Usage(id.status().message());
  auto scheduler = ctx.OpenScheduler(false);
  if (!scheduler.ok()) return ctx.Fail(scheduler.status());
  Queue& queue = **ctx.OpenQueue(false);
  auto task = Lookup(queue, **scheduler, *id);
  if (!task.ok()) return ctx.Fail(task.status());
  if (!*task) return ctx.FailWith(kExitFailure, "not_found", "No task " + ctx.args()[0]);
  auto logs = queue.Logs(*id);
  if (!logs.ok()) return ctx.Fail(logs.status());
  std::string output;
  {
    const auto path = queue.OutputPath(*id);
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream buf;
      buf << in.rdbuf();
      output = buf.str();
    }
  }
  if (ctx.json()) {
    // No progress message is null, as in the task objects of find and list.
    const auto& message = (*task)->progress_data;
    nlohmann::json doc = {
        {"id", (*task)->uuid()},
        {"state", TaskStateName((*task)->state)},
        {"progress", (*task)->progress},
        {"progress_data", message.empty() ? nlohmann::json() : nlohmann::json(message)},
        {"logs", nlohmann::json::array()},
        {"output", output}};
    for (const auto& line : *logs) doc["logs"].push_back(LogLineToJson(line));
    PrintJson(doc);
    return kExitOk;
  }
  for (const auto& line : *logs) {
    std::cout << FormatLocalTime(line.time) << "  " << line.line << "\n";
  }
  if (!logs->empty() && !output.empty()) std::cout << "--- output ---\n";
  std::cout << output;
  if (!output.empty() && output.back() != '\n') std::cout << "\n";
  return kExitOk;
}

int RunRetry(Context& ctx) {
  if (ctx.args().empty()) return ctx.Usage("retry needs at least one task id");
  auto ids = ParseIds(ctx.args());
  if (!ids.ok()) return ctx.Usage(ids.status().message());
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  nlohmann::json done = nlohmann::json::array();
  int exit_code = kExitOk;
  for (size_t i = 0; i < ids->size(); ++i) {
    Status st = (*queue)->Retry((*ids)[i]);
    if (!st.ok()) {
      if (st.IsNotFound()) st = Status::NotFound("No task " + ctx.args()[i]);
      if (exit_code == kExitOk) exit_code = ExitCodeFor(st);
      ctx.Fail(st);
      continue;
    }
    // The task's id as every other verb shows it, in either file (a retry
    // waiting in the scheduler keeps the id it was queued with).
    auto task = (*queue)->FindTask((*ids)[i]);
    if (task.ok() && !*task) {
      auto scheduler = ctx.OpenScheduler(false);
      if (scheduler.ok()) task = (*scheduler)->IsTaskScheduled((*ids)[i]);
    }
    const std::string uuid = task.ok() && *task ? (*task)->uuid() : ctx.args()[i];
    done.push_back(uuid);
    if (!ctx.json()) std::cout << uuid << " will run again\n";
  }
  if (ctx.json()) PrintJson({{"ids", done}});
  return exit_code;
}

int RunProgress(Context& ctx) {
  const auto& words = ctx.args();
  if (words.size() < 2) return ctx.Usage("progress: use 'progress DONE TOTAL [MSG]'");
  auto done = ParseCount(words[0]);
  auto total = ParseCount(words[1]);
  if (!done || !total) {
    return ctx.Usage("progress: DONE and TOTAL must be non-negative integers, got '" + words[0] +
                     "' and '" + words[1] + "'");
  }
  auto id = CurrentTaskId();
  if (!id.ok()) return ctx.Usage(id.status().message());
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  const std::string message = Join(words, 2);
  Status st = (*queue)->Progress(*id, *done, *total, message);
  if (!st.ok()) return ctx.Fail(st);
  if (ctx.json())
    PrintJson({{"id", *id}, {"done", *done}, {"total", *total}, {"message", message}});
  return kExitOk;
}

int RunLogLine(Context& ctx) {
  if (ctx.args().empty()) return ctx.Usage("log-line: use 'log-line MSG'");
  auto id = CurrentTaskId();
  if (!id.ok()) return ctx.Usage(id.status().message());
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  const std::string line = Join(ctx.args(), 0);
  Status st = (*queue)->Log(*id, line);
  if (!st.ok()) return ctx.Fail(st);
  if (ctx.json()) PrintJson({{"id", *id}, {"line", line}});
  return kExitOk;
}

}  // namespace taskqueue::cli
