// Task: one command string queued or scheduled for processing, with its
// options, its state and the record of what happened when it ran.
//
// A task is a value: copying it copies everything. The queue and scheduler
// hand out copies; changing a copy changes nothing stored.
//
// Thread-safety: a Task is a plain value with no internal synchronization.
#ifndef TASKQUEUE_TASK_H_
#define TASKQUEUE_TASK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taskqueue/export.h"
#include "taskqueue/status.h"

namespace taskqueue {

// The life of a task. Kue's names in brackets.
enum class TaskState {
  kScheduled,   // waiting for its time in the scheduler (delayed)
  kWaiting,     // ready to run, in priority then FIFO order (inactive)
  kDeferred,    // ready, but held back by an active deferral tag
  kProcessing,  // running now (active)
  kComplete,    // finished successfully
  kFailed,      // finished unsuccessfully with no attempts left
};

TASKQUEUE_EXPORT const char* TaskStateName(TaskState state);
// Accepts our names and Kue's (delayed, inactive, active) and "active" as
// cPanel's name for processing.
TASKQUEUE_EXPORT std::optional<TaskState> ParseTaskState(std::string_view name);

// Kue's priority names: low 10, normal 0, medium -5, high -10, critical -15.
// Lower numbers run first. Accepts a name or an integer.
TASKQUEUE_EXPORT Result<int> ParsePriority(std::string_view text);

// How long to wait before the next attempt after a failed one.
struct TASKQUEUE_EXPORT Backoff {
  enum class Kind { kNone, kFixed, kExponential };
  Kind kind = Kind::kNone;
  int64_t seconds = 0;

  // "fixed:SECS" or "exponential:SECS" (SECS a positive integer); "" is none.
  static Result<Backoff> Parse(std::string_view text);
  std::string ToString() const;  // "" for none
  bool empty() const { return kind == Kind::kNone; }
  // Delay before attempt `next_attempt` (2 for the first retry).
  // Fixed: always `seconds`; exponential: seconds * 2^(next_attempt-2).
  int64_t DelaySeconds(int next_attempt) const;
};

// A command string split into command and args.
struct TASKQUEUE_EXPORT ParsedCommand {
  std::string command;
  std::string argstring;  // everything after the command, as given
  std::vector<std::string> args;
};

// Splits "cmd arg1 'arg 2'" as the Perl original does for well-formed input
// (words on whitespace; a word in matching single or double quotes is one arg
// without them; \' and \" stand for the quote inside quotes; '' is an empty
// arg; a backslash outside quotes is literal). Refuses empty input, leading
// whitespace, unterminated or mismatched quotes and quotes opening inside a
// bare word, with an InvalidArgument status naming the 1-based position.
TASKQUEUE_EXPORT Result<ParsedCommand> ParseCommandString(std::string_view text);

// Quotes one arg so that ParseCommandString gives it back unchanged.
TASKQUEUE_EXPORT std::string QuoteArg(std::string_view arg);

// Per-task options chosen by whoever queues or schedules the task.
struct TASKQUEUE_EXPORT TaskOptions {
  // Lower runs first; Kue's names map to 10, 0, -5, -10, -15.
  int priority = 0;
  // Total runs allowed, the first included. 0 means "the processor's default"
  // (1 unless the processor says otherwise).
  int attempts = 0;
  // Delay between attempts; empty means the processor's reschedule_delay.
  Backoff backoff;
  // Seconds a run may take; 0 means the processor's or queue's default.
  int64_t timeout = 0;
  // A flat JSON object (values: string, number, bool, null). "" means {}.
  std::string userdata_json;
  // Delete the task when it completes instead of keeping it as history.
  bool remove_on_complete = false;
};

// The full record of a task.
struct TASKQUEUE_EXPORT Task {
  int64_t id = 0;                // the number; unique per queue, never reused
  std::string ns = "TaskQueue";  // "TaskQueue" or "TaskQueue-Scheduler"
  std::string command;
  std::string argstring;
  std::vector<std::string> args;
  TaskState state = TaskState::kWaiting;

  int priority = 0;
  int64_t seq = 0;        // FIFO order among equal priorities (set by the store)
  int attempts_made = 0;  // runs started so far
  int attempts_max = 1;   // total runs allowed
  Backoff backoff;
  int64_t timeout = 0;  // seconds; 0 = default
  std::string userdata_json = "{}";
  bool remove_on_complete = false;

  // Times in milliseconds since the epoch; nullopt when not (yet) known.
  int64_t created_at = 0;
  std::optional<int64_t> run_at;  // when due (scheduled) or queued
  std::optional<int64_t> started_at;
  std::optional<int64_t> finished_at;

  // Outcome of the last run.
  std::optional<int> exit_status;  // a child's exit code
  std::optional<int> term_signal;  // the signal that killed it
  std::string error;               // why it failed, for a person
  std::string result;              // a processor's return or a child's result line

  int progress = 0;  // 0..100
  std::string progress_data;

  // While processing: who runs it. pid is 0 for in-process work.
  int64_t pid = 0;
  int64_t pid_start_time = 0;  // /proc/PID/stat field 22
  std::string boot_id;
  int64_t runner_pid = 0;  // the process supervising the run
  std::vector<std::string> deferral_tags;

  // "TQ:<ns>:<id>".
  std::string uuid() const;
  // "command argstring" (no trailing space when there are no args).
  std::string full_command() const;
  bool finished() const {
    return state == TaskState::kComplete || state == TaskState::kFailed;
  }
  int attempts_remaining() const {
    return attempts_max > attempts_made ? attempts_max - attempts_made : 0;
  }
};

// Parses "TQ:<ns>:<n>" or a bare "<n>" into n (> 0). With a full uuid the
// namespace is returned in *ns (if given); a bare number leaves it empty.
TASKQUEUE_EXPORT Result<int64_t> ParseTaskId(std::string_view text, std::string* ns = nullptr);

// Checks that `json` is a flat JSON object; "" counts as {}. Returns the
// canonical text ("{}" for empty).
TASKQUEUE_EXPORT Result<std::string> ValidateUserdata(std::string_view json);

}  // namespace taskqueue

#endif  // TASKQUEUE_TASK_H_
