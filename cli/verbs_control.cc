// pause, resume, set and process: the verbs that steer processing.

#include <iostream>
#include <nlohmann/json.hpp>

#include "output.h"
#include "task_format.h"
#include "verb_util.h"
#include "verbs.h"

namespace taskqueue::cli {
namespace {

int SetPaused(Context& ctx, bool paused) {
  if (!ctx.args().empty())
    return ctx.Usage(std::string(paused ? "pause" : "resume") + " takes no arguments");
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  Status st = paused ? (*queue)->Pause() : (*queue)->Resume();
  if (!st.ok()) return ctx.Fail(st);
  if (ctx.json()) {
    PrintJson({{"paused", paused}});
  } else {
    std::cout << (paused ? "Queue paused: no new task will start.\n"
                         : "Queue resumed: tasks start again.\n");
  }
  return kExitOk;
}

}  // namespace

int RunPause(Context& ctx) { return SetPaused(ctx, true); }
int RunResume(Context& ctx) { return SetPaused(ctx, false); }

int RunSet(Context& ctx) {
  if (ctx.args().size() != 2) return ctx.Usage("set: use 'set KEY VALUE'");
  const std::string& key = ctx.args()[0];
  const std::string& value = ctx.args()[1];
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  Status st = (*queue)->SetSetting(key, value);
  if (!st.ok()) return ctx.Fail(st);
  auto settings = (*queue)->Settings();
  if (!settings.ok()) return ctx.Fail(settings.status());
  const int64_t stored = settings->Get(key).value_or(0);
  if (ctx.json()) {
    PrintJson({{"key", key}, {"value", stored}});
  } else {
    std::cout << key << " = " << stored << "\n";
  }
  return kExitOk;
}

int RunProcess(Context& ctx) {
  bool verbose = false, scheduled = true, waiting = true, which_given = false;
  for (const auto& word : ctx.args()) {
    if (word == "verbose" && !verbose) {
      verbose = true;
    } else if ((word == "scheduled" || word == "waiting") && !which_given) {
      which_given = true;
      scheduled = word == "scheduled";
      waiting = word == "waiting";
    } else {
      return ctx.Usage("process: unexpected '" + word +
                       "'; use: process [verbose] [scheduled|waiting]");
    }
  }
  // Promotion and running apply the processors' hooks: load the plugins.
  auto scheduler = ctx.OpenScheduler(/*with_plugins=*/true);
  if (!scheduler.ok()) return ctx.Fail(scheduler.status());
  Queue& queue = **ctx.OpenQueue(true);

  int64_t promoted = 0;
  if (scheduled) {
    auto n = (*scheduler)->ProcessReadyTasks(queue);
    if (!n.ok()) return ctx.Fail(n.status());
    promoted = *n;
    if (verbose && !ctx.json()) {
      std::cout << Plural(promoted, "scheduled task") << " queued\n";
    }
  }

  std::optional<Task> ran;
  std::string idle_reason;
  if (waiting) {
    auto has_work = queue.HasWorkToDo();
    if (!has_work.ok()) return ctx.Fail(has_work.status());
    if (*has_work) {
      // The task about to start. ProcessNextTask may pick another one if a
      // deferral tag holds this back; the report then names the one peeked.
      auto next = queue.PeekNextTask();
      if (!next.ok()) return ctx.Fail(next.status());
      if (verbose && !ctx.json() && *next) {
        std::cout << "Processing " << (*next)->uuid() << ": " << (*next)->full_command() << "\n";
      }
      std::cout.flush();
      auto done = queue.ProcessNextTask();
      if (!done.ok()) return ctx.Fail(done.status());
      Status finished = queue.FinishAllProcessing();
      if (!finished.ok()) return ctx.Fail(finished);
      if (*next) {
        auto after = queue.FindTask((*next)->id);
        if (!after.ok()) return ctx.Fail(after.status());
        if (!*after) {
          // A failed attempt with attempts left waits in the scheduler.
          after = (*scheduler)->IsTaskScheduled((*next)->id);
          if (!after.ok()) return ctx.Fail(after.status());
        }
        if (*after && (*after)->state != TaskState::kWaiting) ran = **after;
      }
    } else {
      auto paused = queue.IsPaused();
      if (!paused.ok()) return ctx.Fail(paused.status());
      idle_reason = *paused ? "Queue is paused: nothing started."
                            : "No task ready to run (none waiting, or max_running reached).";
    }
  }

  if (ctx.json()) {
    PrintJson({{"promoted", promoted}, {"task", ran ? TaskToJson(*ran) : nlohmann::json(nullptr)}});
  } else if (ran) {
    std::cout << DescribeOutcome(*ran) << "\n";
  } else if (verbose && waiting) {
    std::cout << idle_reason << "\n";
  }
  return kExitOk;
}

}  // namespace taskqueue::cli
