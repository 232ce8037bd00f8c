// queue, unqueue, schedule, unschedule, flush_scheduled_tasks and
// delete_unprocessed_tasks: the verbs that add or remove pending tasks.

#include <iostream>
#include <nlohmann/json.hpp>

#include "output.h"
#include "time_spec.h"
#include "verb_util.h"
#include "verbs.h"

namespace taskqueue::cli {
namespace {

nlohmann::json ErrorJson(const Status& status) {
  return {{"code", status.CodeName()}, {"message", status.message()}};
}

// unqueue and unschedule: remove what can be removed, then exit 1 if any id
// named nothing removable.
template <typename RemoveFn>
int RemoveIds(Context& ctx, const char* verb, const char* done_word, const char* what,
              RemoveFn remove) {
  if (ctx.args().empty()) return ctx.Usage(std::string(verb) + " needs at least one task id");
  auto ids = ParseIds(ctx.args());
  if (!ids.ok()) return ctx.Usage(ids.status().message());
  int64_t count = 0;
  std::vector<std::string> missing;
  for (size_t i = 0; i < ids->size(); ++i) {
    Result<bool> removed = remove((*ids)[i]);
    if (!removed.ok()) {
      if (count > 0 && !ctx.json()) std::cout << count << " tasks " << done_word << "\n";
      return ctx.Fail(removed.status());
    }
    if (*removed) {
      ++count;
    } else {
      missing.push_back(ctx.args()[i]);
    }
  }
  if (ctx.json()) {
    PrintJson({{"count", count}});
  } else {
    std::cout << count << " tasks " << done_word << "\n";
  }
  for (const auto& word : missing) {
    PrintError(ctx.json(), "not_found", "No " + std::string(what) + " task " + word);
  }
  return missing.empty() ? kExitOk : kExitFailure;
}

}  // namespace

int RunQueue(Context& ctx) {
  if (ctx.args().empty()) return ctx.Usage("queue needs at least one command string");
  auto options = ParseTaskOptions(ctx.inv().enqueue);
  if (!options.ok()) return ctx.Usage(options.status().message());
  auto queue = ctx.OpenQueue(/*with_plugins=*/true);
  if (!queue.ok()) return ctx.Fail(queue.status());
  auto outcomes = (*queue)->QueueTasks(ctx.args(), *options);
  if (!outcomes.ok()) return ctx.Fail(outcomes.status());

  int exit_code = kExitOk;
  nlohmann::json doc = nlohmann::json::array();
  for (size_t i = 0; i < outcomes->size(); ++i) {
    const EnqueueOutcome& out = (*outcomes)[i];
    const std::string& command = ctx.args()[i];
    if (!out.status.ok()) {
      if (exit_code == kExitOk) exit_code = ExitCodeFor(out.status);
      doc.push_back({{"command", command},
                     {"id", nullptr},
                     {"result", "error"},
                     {"error", ErrorJson(out.status)}});
      if (!ctx.json()) ctx.Fail(out.status);
    } else if (out.duplicate) {
      doc.push_back({{"command", command}, {"id", nullptr}, {"result", "duplicate"}});
      if (!ctx.json()) std::cout << "Duplicate: " << command << "\n";
    } else {
      doc.push_back({{"command", command}, {"id", out.uuid}, {"result", "queued"}});
      if (!ctx.json()) std::cout << "Id: " << out.uuid << "\n";
    }
  }
  if (ctx.json()) {
    PrintJson(doc);
    for (const auto& out : *outcomes) {
      if (!out.status.ok()) ctx.Fail(out.status);
    }
  }
  return exit_code;
}

int RunSchedule(Context& ctx) {
  const auto& words = ctx.args();
  ScheduleOptions schedule;
  size_t first = 0;
  if (!words.empty() && (words[0] == "at" || words[0] == "after")) {
    if (words.size() < 2) return ctx.Usage("schedule " + words[0] + " needs a time");
    if (words[0] == "at") {
      auto at = ParseAbsoluteTime(words[1]);
      if (!at.ok()) return ctx.Usage(at.status().message());
      schedule.at_millis = *at;
    } else {
      auto delay = ParseDelay(words[1]);
      if (!delay.ok()) return ctx.Usage(delay.status().message());
      schedule.delay_seconds = *delay;
    }
    first = 2;
  }
  if (first >= words.size()) return ctx.Usage("schedule needs at least one command string");
  auto options = ParseTaskOptions(ctx.inv().enqueue);
  if (!options.ok()) return ctx.Usage(options.status().message());
  schedule.task = *options;
  auto scheduler = ctx.OpenScheduler(/*with_plugins=*/true);
  if (!scheduler.ok()) return ctx.Fail(scheduler.status());

  int exit_code = kExitOk;
  nlohmann::json doc = nlohmann::json::array();
  std::vector<Status> errors;
  for (size_t i = first; i < words.size(); ++i) {
    auto task = (*scheduler)->ScheduleTask(words[i], schedule);
    if (!task.ok()) {
      if (exit_code == kExitOk) exit_code = ExitCodeFor(task.status());
      doc.push_back({{"command", words[i]},
                     {"id", nullptr},
                     {"result", "error"},
                     {"error", ErrorJson(task.status())}});
      if (ctx.json()) {
        errors.push_back(task.status());
      } else {
        ctx.Fail(task.status());
      }
      continue;
    }
    doc.push_back({{"command", words[i]}, {"id", task->uuid()}, {"result", "scheduled"}});
    if (!ctx.json()) std::cout << "Id: " << task->uuid() << "\n";
  }
  if (ctx.json()) {
    PrintJson(doc);
    for (const auto& status : errors) ctx.Fail(status);
  }
  return exit_code;
}

int RunUnqueue(Context& ctx) {
  Queue* queue = nullptr;
  return RemoveIds(ctx, "unqueue", "unqueued", "waiting or deferred",
                   [&](int64_t id) -> Result<bool> {
                     if (queue == nullptr) {
                       auto q = ctx.OpenQueue(false);
                       if (!q.ok()) return q.status();
                       queue = *q;
                     }
                     return queue->UnqueueTask(id);
                   });
}

int RunUnschedule(Context& ctx) {
  Scheduler* scheduler = nullptr;
  return RemoveIds(ctx, "unschedule", "unscheduled", "scheduled", [&](int64_t id) -> Result<bool> {
    if (scheduler == nullptr) {
      auto s = ctx.OpenScheduler(false);
      if (!s.ok()) return s.status();
      scheduler = *s;
    }
    return scheduler->UnscheduleTask(id);
  });
}

int RunFlushScheduledTasks(Context& ctx) {
  if (!ctx.args().empty()) return ctx.Usage("flush_scheduled_tasks takes no arguments");
  // Promotion runs the enqueue hooks, so the processors must be known.
  auto scheduler = ctx.OpenScheduler(/*with_plugins=*/true);
  if (!scheduler.ok()) return ctx.Fail(scheduler.status());
  auto queue = ctx.OpenQueue(true);
  if (!queue.ok()) return ctx.Fail(queue.status());
  auto ids = (*scheduler)->FlushAllTasks(**queue);
  if (!ids.ok()) return ctx.Fail(ids.status());
  if (ctx.json()) {
    PrintJson({{"ids", *ids}});
  } else {
    for (const auto& id : *ids) std::cout << id << "\n";
  }
  return kExitOk;
}

int RunDeleteUnprocessedTasks(Context& ctx) {
  bool waiting = true, scheduled = true;
  if (ctx.args().size() > 1) {
    return ctx.Usage("delete_unprocessed_tasks takes at most one of: scheduled, waiting");
  }
  if (ctx.args().size() == 1) {
    const std::string& which = ctx.args()[0];
    if (which == "scheduled") {
      waiting = false;
    } else if (which == "waiting") {
      scheduled = false;
    } else {
      return ctx.Usage("delete_unprocessed_tasks: unknown kind '" + which +
                       "'; use scheduled or waiting");
    }
  }
  int64_t count = 0;
  if (waiting) {
    auto queue = ctx.OpenQueue(false);
    if (!queue.ok()) return ctx.Fail(queue.status());
    auto n = (*queue)->DeleteAllUnprocessedTasks();
    if (!n.ok()) return ctx.Fail(n.status());
    count += *n;
  }
  if (scheduled) {
    auto scheduler = ctx.OpenScheduler(false);
    if (!scheduler.ok()) return ctx.Fail(scheduler.status());
    auto n = (*scheduler)->DeleteAllTasks();
    if (!n.ok()) return ctx.Fail(n.status());
    count += *n;
  }
  if (ctx.json()) {
    PrintJson({{"count", count}});
  } else {
    std::cout << count << " tasks deleted\n";
  }
  return kExitOk;
}

}  // namespace taskqueue::cli
