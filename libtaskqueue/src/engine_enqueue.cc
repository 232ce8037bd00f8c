// Enqueue: parsing, the processor's enqueue-time hooks (is_valid_args,
// overrides, is_dupe) and insertion, all inside one transaction per batch.

#include <nlohmann/json.hpp>

#include "engine.h"

namespace taskqueue {
namespace {

Status UnknownProcessor(const ProcessorRegistry& registry, const std::string& command) {
  if (auto failed = registry.FailedDefinition(command)) {
    return Status::Config("Command '" + command + "' is defined by a plugin that failed to load: " +
                          *failed);
  }
  return Status::NotSupported("No known processor for '" + command + "'.");
}

nlohmann::json EventData(const Task& t) {
  return {{"command", t.full_command()}, {"priority", t.priority}};
}

}  // namespace

Result<Task> Engine::BuildTask(std::string_view command, const TaskOptions& options,
                               const Processor** processor_out) const {
  bool blank = true;
  for (char c : command) {
    if (!isspace(static_cast<unsigned char>(c))) blank = false;
  }
  if (blank) return Status::InvalidArgument("Cannot queue an empty command.");
  auto parsed = ParseCommandString(command);
  if (!parsed.ok()) return parsed.status();
  auto processor = registry_->Find(parsed->command);
  if (!processor) return UnknownProcessor(*registry_, parsed->command);
  auto userdata = ValidateUserdata(options.userdata_json);
  if (!userdata.ok()) return userdata.status();
  if (options.attempts < 0) {
    return Status::InvalidArgument("Invalid value for attempts: " +
                                   std::to_string(options.attempts));
  }
  if (options.timeout < 0) {
    return Status::InvalidArgument("Invalid value for timeout: " + std::to_string(options.timeout));
  }
  Task t;
  t.command = std::move(parsed->command);
  t.argstring = std::move(parsed->argstring);
  t.args = std::move(parsed->args);
  t.priority = options.priority;
  t.attempts_max = options.attempts > 0 ? options.attempts : processor->DefaultAttempts();
  if (t.attempts_max <= 0) t.attempts_max = 1;
  t.backoff = options.backoff.empty() ? processor->DefaultBackoff() : options.backoff;
  t.timeout = options.timeout;
  t.userdata_json = *userdata;
  t.remove_on_complete = options.remove_on_complete || processor->RemoveOnComplete();
  t.created_at = Now();
  if (processor_out) *processor_out = processor.get();
  return t;
}

// The hooks, in cPanel's order: validity, overrides, then the dupe check
// (against waiting and deferred tasks). Returns the outcome; on success the
// task is inserted.
static EnqueueOutcome ApplyHooksAndInsert(Engine& engine, state::QueueTxn& txn,
                                          const Processor& processor, Task& task) {
  EnqueueOutcome out;
  if (!processor.IsValidArgs(task)) {
    out.status = Status::InvalidArgument("Requested command [" + task.full_command() +
                                         "] has invalid arguments.");
    return out;
  }
  // A new task's number is taken only once it is valid: a refused command
  // leaves no gap in the ids.
  if (task.id == 0) task.id = txn.AllocateId();
  if (processor.HasOverrides()) {
    for (const auto& old : txn.PendingOfCommands(processor.OverrideScope(task))) {
      if (old.id == task.id || !processor.Overrides(task, old)) continue;
      txn.DeleteWithHistory(old.id);
      engine.Emit(txn, "remove", old.id, nlohmann::json{{"reason", "overridden"}, {"by", task.id}});
    }
  }
  const std::string key = DupeKey(task.command, task.args);
  bool dupe = false;
  if (processor.HasCustomIsDupe()) {
    for (const auto& old : txn.PendingOfCommands(processor.DupeScope(task))) {
      if (old.id != task.id && processor.IsDupe(task, old)) {
        dupe = true;
        break;
      }
    }
  } else {
    dupe = txn.FindPendingByDupeKey(key).has_value();
  }
  if (dupe) {
    out.duplicate = true;
    return out;
  }
  task.state = TaskState::kWaiting;
  task.seq = txn.AllocateSeq();
  task.run_at = engine.Now();
  txn.Insert(task, key);
  txn.IndexText(task.id, Engine::SearchText(task));
  out.id = task.id;
  out.uuid = task.uuid();
  return out;
}

Result<std::vector<EnqueueOutcome>> Engine::Enqueue(const std::vector<std::string>& commands,
                                                    const TaskOptions& options) {
  // Parse and validate outside the transaction: nothing there needs the lock.
  struct Prepared {
    Result<Task> task;
    const Processor* processor = nullptr;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(commands.size());
  for (const auto& command : commands) {
    const Processor* p = nullptr;
    auto t = BuildTask(command, options, &p);
    prepared.push_back({std::move(t), p});
  }
  std::vector<EnqueueOutcome> outcomes;
  Status st = store_->WithQueue(true, [&](state::QueueTxn& txn) {
    outcomes.clear();
    for (auto& p : prepared) {
      if (!p.task.ok()) {
        EnqueueOutcome o;
        o.status = p.task.status();
        outcomes.push_back(o);
        continue;
      }
      Task task = *p.task;  // a copy: a retried transaction starts afresh
      task.id = 0;
      task.ns = "TaskQueue";
      auto o = ApplyHooksAndInsert(*this, txn, *p.processor, task);
      if (o.status.ok() && !o.duplicate) Emit(txn, "enqueue", task.id, EventData(task));
      outcomes.push_back(o);
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return outcomes;
}

EnqueueOutcome Engine::EnqueueExisting(state::QueueTxn& txn, Task task) {
  auto processor = registry_->Find(task.command);
  EnqueueOutcome out;
  if (processor) {
    out = ApplyHooksAndInsert(*this, txn, *processor, task);
    if (out.status.ok()) {
      if (!out.duplicate) {
        Emit(txn, "promotion", task.id, EventData(task));
      } else {
        Emit(txn, "remove", task.id, nlohmann::json{{"reason", "duplicate"}});
      }
      return out;
    }
  } else if (registry_->FailedDefinition(task.command)) {
    // Its plugin failed to load: it waits in the queue, unchecked (the hooks
    // are the plugin's), until the plugin is mended; claims pass it over.
    task.state = TaskState::kWaiting;
    task.seq = txn.AllocateSeq();
    task.run_at = Now();
    txn.Insert(task, DupeKey(task.command, task.args));
    txn.IndexText(task.id, SearchText(task));
    Emit(txn, "promotion", task.id, EventData(task));
    out.id = task.id;
    out.uuid = task.uuid();
    return out;
  } else {
    out.status = UnknownProcessor(*registry_, task.command);
  }
  // Refused when it came due: keep it as a failed task in history so that
  // it is visible, and never let it block the schedule (cPanel's poison pill).
  task.state = TaskState::kFailed;
  task.seq = txn.AllocateSeq();
  task.finished_at = Now();
  task.error = processor ? out.status.message()
                         : "No processor found for '" + task.full_command() + "'.";
  txn.Insert(task, DupeKey(task.command, task.args));
  txn.IndexText(task.id, SearchText(task));
  Emit(txn, "failed", task.id, nlohmann::json{{"error", task.error}});
  return out;
}

}  // namespace taskqueue
