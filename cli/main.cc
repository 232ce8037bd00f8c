// taskqueuectl: queue, schedule and inspect tasks from the shell (SPEC §5).

#include <exception>
#include <iostream>
#include <variant>

#include "context.h"
#include "output.h"
#include "parser.h"
#include "verbs.h"

namespace taskqueue::cli {

VerbFunction FindVerb(const std::string& verb) {
  static const std::pair<const char*, VerbFunction> kTable[] = {
      {"queue", RunQueue},
      {"unqueue", RunUnqueue},
      {"schedule", RunSchedule},
      {"unschedule", RunUnschedule},
      {"list", RunList},
      {"find", RunFind},
      {"plugins", RunPlugins},
      {"commands", RunCommands},
      {"status", RunStatus},
      {"info", RunInfo},
      {"pause", RunPause},
      {"resume", RunResume},
      {"process", RunProcess},
      {"flush_scheduled_tasks", RunFlushScheduledTasks},
      {"delete_unprocessed_tasks", RunDeleteUnprocessedTasks},
      {"set", RunSet},
      {"wait", RunWait},
      {"log", RunLog},
      {"retry", RunRetry},
      {"progress", RunProgress},
      {"log-line", RunLogLine},
      {"events", RunEvents},
      {"search", RunSearch},
  };
  for (const auto& [name, fn] : kTable) {
    if (verb == name) return fn;
  }
  return nullptr;
}

}  // namespace taskqueue::cli

int main(int argc, char** argv) {
  using namespace taskqueue::cli;
  std::ios::sync_with_stdio(false);
  auto parsed = ParseCommandLine(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  Invocation& inv = std::get<Invocation>(parsed);
  const bool json = inv.global.json;
  VerbFunction run = FindVerb(inv.verb);
  if (run == nullptr) {
    PrintUsageError(json, "Unknown verb '" + inv.verb + "'");
    return kExitUsage;
  }
  int code = kExitFailure;
  try {
    Context ctx(std::move(inv));
    code = run(ctx);
  } catch (const std::exception& e) {
    // The library reports through Status; this is a bug or out of memory.
    PrintError(json, "internal", std::string("internal error: ") + e.what());
    return kExitFailure;
  }
  std::cout.flush();
  if (!std::cout) {
    PrintError(json, "io_error", "cannot write to standard output");
    return kExitFailure;
  }
  return code;
}
