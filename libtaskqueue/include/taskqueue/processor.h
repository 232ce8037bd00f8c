// Processor: what runs a task, registered under a command name, with the
// hooks that decide at enqueue time whether a task is valid, a duplicate or
// replaces older tasks, and at start time whether it must wait (deferral).
//
// ChildProcessor runs each task in a forked child in its own process group;
// a plain Processor runs it in the calling process.
//
// ProcessorRegistry maps command names to processors.
//
// Thread-safety: hooks may be called from several threads at once and must
// not change shared state without their own locking. ProcessorRegistry is
// safe for concurrent use.
#ifndef TASKQUEUE_PROCESSOR_H_
#define TASKQUEUE_PROCESSOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "taskqueue/export.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue {

// Handed to an in-process processor while it runs one task.
class TASKQUEUE_EXPORT TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual const Task& task() const = 0;
  // Records progress: done of total (0..100 stored), with optional data.
  virtual void Progress(int64_t done, int64_t total, const std::string& data = "") = 0;
  // Appends a line to the task's log.
  virtual void Log(const std::string& line) = 0;
};

class TASKQUEUE_EXPORT Processor {
 public:
  enum class Kind { kInProcess, kChild };
  virtual ~Processor() = default;
  virtual Kind kind() const { return Kind::kInProcess; }

  // --- Enqueue-time hooks -------------------------------------------------
  // False refuses the task: "Requested command [<cmd>] has invalid arguments."
  virtual bool IsValidArgs(const Task& task) const;

  // True when `new_task` duplicates the waiting or deferred `old_task`; the
  // new task is then not queued. Default: same command and equal args.
  // The default is answered by an index lookup, never a scan. A processor that
  // overrides IsDupe must return true from HasCustomIsDupe() and is asked only
  // about pending tasks whose command is in DupeScope().
  virtual bool IsDupe(const Task& new_task, const Task& old_task) const;
  virtual bool HasCustomIsDupe() const { return false; }
  virtual std::vector<std::string> DupeScope(const Task& new_task) const {
    return {new_task.command};
  }

  // True when `new_task` replaces the waiting `old_task` (which is removed).
  // Runs before the dupe check. Only asked when HasOverrides() is true, and
  // only about pending tasks whose command is in OverrideScope().
  virtual bool Overrides(const Task& new_task, const Task& old_task) const;
  virtual bool HasOverrides() const { return false; }
  virtual std::vector<std::string> OverrideScope(const Task& new_task) const {
    return {new_task.command};
  }

  // --- Start-time hooks ---------------------------------------------------
  // Tags held while the task runs; another task whose IsTaskDeferred() sees
  // them waits (state deferred) until they are released. Default: none.
  virtual std::vector<std::string> DeferralTags(const Task& task) const;
  // Default: true when any of DeferralTags(task) is in active_tags.
  virtual bool IsTaskDeferred(const Task& task, const std::set<std::string>& active_tags) const;

  // --- Policy -------------------------------------------------------------
  // Most tasks of this command running at once across the daemon; 0 = no cap.
  virtual int Concurrency() const { return 0; }
  // Total runs for a task queued without --attempts. Default 1.
  virtual int DefaultAttempts() const { return 1; }
  // Backoff for a task queued without one; empty = RescheduleDelay().
  virtual Backoff DefaultBackoff() const { return {}; }
  // Seconds before a retry when the task has no backoff. Default 900.
  virtual int64_t RescheduleDelay() const { return 900; }
  // Seconds a run may take; 0 = the queue's default (default_timeout for
  // in-process work, default_child_timeout for children).
  virtual int64_t Timeout() const { return 0; }
  // Delete complete tasks instead of keeping them as history.
  virtual bool RemoveOnComplete() const { return false; }
  // True when ProcessTask always returns promptly (it does not wait on
  // anything that can hang). It then runs on the thread that started the
  // task, with no timeout, which saves handing it to a worker thread and
  // back: about a quarter of Queue::ProcessNextTask's cost for a trivial
  // task. Default false: the work runs on a worker thread, and whoever
  // started it gets control back when the timeout passes. The built-in
  // `noop` runs inline. Child processors ignore this.
  virtual bool RunsInline() const { return false; }

  // --- Work ---------------------------------------------------------------
  // In-process work. Returns the task's result text, or an error (the task
  // then fails, or is retried if attempts remain).
  virtual Result<std::string> ProcessTask(TaskContext& context) const;
};

class TASKQUEUE_EXPORT ChildProcessor : public Processor {
 public:
  Kind kind() const override { return Kind::kChild; }
  // cPanel's default reschedule delay and child timeout.
  int64_t RescheduleDelay() const override { return 900; }

  // The program to run for `task`, with no shell. When empty, RunInChild()
  // is called in the forked child instead.
  virtual std::vector<std::string> Argv(const Task& task) const;
  // Runs in the forked child (own process group, stdin /dev/null, stdout and
  // stderr to the task's output file). Returns the exit status. Never called
  // when Argv() is non-empty.
  virtual int RunInChild(const Task& task) const;
  // Whether a non-zero exit may be retried. Default: yes.
  virtual bool RetryOnFailure(int exit_status) const {
    (void)exit_status;
    return true;
  }
  // Child processors run work in children, never in-process.
  Result<std::string> ProcessTask(TaskContext& context) const override;
};

// Calls processor.ProcessTask(context) for a runner of in-process work; an
// exception it throws becomes an Aborted error naming it.
TASKQUEUE_EXPORT Result<std::string> ProcessTaskCatching(const Processor& processor,
                                                         TaskContext& context) noexcept;

// The type of a plain callable processor: runs in-process.
using ProcessFunction = std::function<Result<std::string>(TaskContext&)>;

class TASKQUEUE_EXPORT ProcessorRegistry {
 public:
  // A registry holding only the built-in `noop`.
  ProcessorRegistry();

  // Registers `processor` for `command`. `source` names where it came from
  // (a plugin file), for messages. Fails with InvalidArgument if the command
  // is empty or contains whitespace, and if it is already registered (the
  // message names both sources).
  Status Register(const std::string& command, std::shared_ptr<Processor> processor,
                  const std::string& source = "");
  Status RegisterFunction(const std::string& command, ProcessFunction fn,
                          const std::string& source = "");
  // NotFound if `command` is not registered.
  Status Unregister(const std::string& command);

  // The processor for `command`, or null.
  std::shared_ptr<const Processor> Find(const std::string& command) const;
  std::vector<std::string> Commands() const;
  // Where `command` was registered from ("" when built in or unknown).
  std::string SourceOf(const std::string& command) const;

  // A plugin file that failed to load and the commands it defines, so that
  // queueing one of them can name the file.
  void RecordFailedFile(const std::string& file, const std::string& reason,
                        const std::vector<std::string>& commands);
  // For a command defined only by a failed file: "<file>: <reason>".
  std::optional<std::string> FailedDefinition(const std::string& command) const;
  // Every command defined only by failed files (their tasks wait for them).
  std::vector<std::string> FailedCommands() const;

 private:
  struct Entry {
    std::shared_ptr<Processor> processor;
    std::string source;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> failed_;  // command -> "<file>: <reason>"
};

}  // namespace taskqueue

#endif  // TASKQUEUE_PROCESSOR_H_
