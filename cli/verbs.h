// The verbs of taskqueuectl (SPEC §5). Each reads its words and options from
// the Context, prints its human or JSON output and returns the exit status.
//
// Thread-safety: called once from main().
#ifndef TASKQUEUE_CLI_VERBS_H_
#define TASKQUEUE_CLI_VERBS_H_

#include <string>

#include "context.h"

namespace taskqueue::cli {

using VerbFunction = int (*)(Context&);

// The function for `verb`, or nullptr.
VerbFunction FindVerb(const std::string& verb);

// verbs_enqueue.cc
int RunQueue(Context& ctx);
int RunUnqueue(Context& ctx);
int RunSchedule(Context& ctx);
int RunUnschedule(Context& ctx);
int RunFlushScheduledTasks(Context& ctx);
int RunDeleteUnprocessedTasks(Context& ctx);

// verbs_inspect.cc
int RunList(Context& ctx);
int RunFind(Context& ctx);
int RunStatus(Context& ctx);
int RunInfo(Context& ctx);
int RunSearch(Context& ctx);

// verbs_control.cc
int RunPause(Context& ctx);
int RunResume(Context& ctx);
int RunSet(Context& ctx);
int RunProcess(Context& ctx);

// verbs_task.cc
int RunWait(Context& ctx);
int RunLog(Context& ctx);
int RunRetry(Context& ctx);
int RunProgress(Context& ctx);
int RunLogLine(Context& ctx);

// verbs_events.cc
int RunEvents(Context& ctx);

// verbs_plugins.cc
int RunPlugins(Context& ctx);
int RunCommands(Context& ctx);

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_VERBS_H_
