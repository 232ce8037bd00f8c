// DeclarativeProcessor: a ChildProcessor defined by one entry of a plugin
// directory's *.json file (SPEC §4.1), for users who write no C++. It runs
// the "exec" argv template with no shell, and answers every hook from the
// entry's fields.
//
// ParseDeclarativeFile() validates a whole file; any problem fails the file
// with a Config status naming the file and the field.
//
// Thread-safety: immutable after construction; hooks are safe to call from
// several threads.
#ifndef TASKQUEUE_SRC_DECLARATIVE_PROCESSOR_H_
#define TASKQUEUE_SRC_DECLARATIVE_PROCESSOR_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "arg_pattern.h"
#include "declarative_template.h"
#include "taskqueue/processor.h"
#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue {

// One "overrides" rule: the new task removes a waiting `command` task when
// every when_arg index of the new task holds the given value and every
// match_args index is equal in both.
struct OverrideRule {
  std::string command;
  std::map<size_t, std::string> when_arg;
  std::vector<size_t> match_args;
};

// Everything one "processors" entry says, validated.
struct DeclarativeSpec {
  std::string command;
  std::vector<ArgTemplate> exec;
  std::optional<size_t> min_args;
  std::optional<size_t> max_args;
  std::shared_ptr<const ArgPattern> arg_pattern;  // null: any arg
  std::optional<std::vector<size_t>> dupe_args;   // nullopt: all args
  std::vector<std::string> dupe_commands;
  std::vector<OverrideRule> overrides;
  std::vector<ArgTemplate> deferral_tags;
  int64_t timeout = 0;             // 0: the queue's default_child_timeout
  int64_t reschedule_delay = 900;  // cPanel's default
  int attempts = 1;
  Backoff backoff;
  int concurrency = 0;  // 0: no cap
  bool remove_on_complete = false;
  // false: no task of this command is ever a duplicate (Kue has no dedupe).
  bool dedupe = true;
};

class DeclarativeProcessor final : public ChildProcessor {
 public:
  explicit DeclarativeProcessor(DeclarativeSpec spec);
  const DeclarativeSpec& spec() const { return spec_; }

  // Args fit min_args/max_args (and the highest {N} the templates use) and
  // every arg matches arg_pattern as a whole.
  bool IsValidArgs(const Task& task) const override;

  bool IsDupe(const Task& new_task, const Task& old_task) const override;
  bool HasCustomIsDupe() const override;
  std::vector<std::string> DupeScope(const Task& new_task) const override;

  bool Overrides(const Task& new_task, const Task& old_task) const override;
  bool HasOverrides() const override { return !spec_.overrides.empty(); }
  std::vector<std::string> OverrideScope(const Task& new_task) const override;

  std::vector<std::string> DeferralTags(const Task& task) const override;

  int Concurrency() const override { return spec_.concurrency; }
  int DefaultAttempts() const override { return spec_.attempts; }
  Backoff DefaultBackoff() const override { return spec_.backoff; }
  int64_t RescheduleDelay() const override { return spec_.reschedule_delay; }
  int64_t Timeout() const override { return spec_.timeout; }
  bool RemoveOnComplete() const override { return spec_.remove_on_complete; }

  // The exec template expanded over the task's args: never empty.
  std::vector<std::string> Argv(const Task& task) const override;

 private:
  DeclarativeSpec spec_;
  size_t required_args_ = 0;  // at least min_args and 1 + the highest {N}
};

// A validated declarative file.
struct DeclarativeFile {
  std::vector<std::shared_ptr<DeclarativeProcessor>> processors;
};

// Parses the JSON text of `file` (the path, for messages and to resolve a
// relative exec program against its directory). On failure: Config
// "<file>: <field>: <problem>", and *commands (if given) receives the command
// names the file defines as far as they could be read.
Result<DeclarativeFile> ParseDeclarativeFile(const std::filesystem::path& file,
                                             std::string_view text,
                                             std::vector<std::string>* commands = nullptr);

// Reads and parses `file`.
Result<DeclarativeFile> LoadDeclarativeFile(const std::filesystem::path& file,
                                            std::vector<std::string>* commands = nullptr);

}  // namespace taskqueue

#endif  // TASKQUEUE_SRC_DECLARATIVE_PROCESSOR_H_
