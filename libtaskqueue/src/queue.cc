// Queue: the public face of the engine for the queue file.

#include "taskqueue/queue.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine.h"

namespace taskqueue {
namespace {

// Turns what a person types into FTS5 terms, one quoted word each: every
// word must match, and FTS5's own syntax (column filters, operators) is
// never interpreted, so "test:inserts:data" means the three words.
std::vector<std::string> ToFtsTerms(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    out.push_back('"' + word + '"');
    word.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c >= 0x80) {
      word += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  // The same word twice asks nothing more, and each term costs a subquery.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

RunOutcome RunOutcome::OfResult(const Result<std::string>& result) {
  RunOutcome outcome;
  if (result.ok()) {
    outcome.kind = Kind::kSuccess;
    outcome.result = *result;
  } else {
    outcome.kind = Kind::kFailure;
    outcome.error = result.status().message();
  }
  return outcome;
}

Queue::Queue(std::shared_ptr<Engine> engine) : engine_(std::move(engine)) {}
Queue::~Queue() = default;

Result<std::unique_ptr<Queue>> Queue::Open(const QueueOptions& options) {
  auto engine = Engine::Open(options);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<Queue>(new Queue(std::move(engine).value()));
}

const std::string& Queue::name() const { return engine_->options().name; }
const std::filesystem::path& Queue::state_dir() const { return engine_->options().state_dir; }
std::filesystem::path Queue::queue_file() const { return engine_->store().queue_file(); }
ProcessorRegistry& Queue::registry() const { return engine_->registry(); }
Clock& Queue::clock() const { return engine_->clock(); }
std::filesystem::path Queue::OutputPath(int64_t id) const { return engine_->OutputPath(id); }

// --- Enqueue -----------------------------------------------------------------

Result<EnqueueOutcome> Queue::QueueTask(std::string_view command, const TaskOptions& options) {
  auto all = engine_->Enqueue({std::string(command)}, options);
  if (!all.ok()) return all.status();
  EnqueueOutcome& o = all->front();
  if (!o.status.ok()) return o.status;
  return o;
}

Result<std::vector<EnqueueOutcome>> Queue::QueueTasks(const std::vector<std::string>& commands,
                                                      const TaskOptions& options) {
  return engine_->Enqueue(commands, options);
}

Result<bool> Queue::UnqueueTask(int64_t id) {
  bool removed = false;
  Status st = engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
    auto t = txn.Get(id);
    removed = t && (t->state == TaskState::kWaiting || t->state == TaskState::kDeferred);
    if (removed) {
      txn.DeleteWithHistory(id);
      engine_->Emit(txn, "remove", id, nlohmann::json{{"reason", "unqueued"}});
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return removed;
}

Result<int64_t> Queue::DeleteAllUnprocessedTasks() {
  int64_t n = 0;
  Status st = engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
    n = 0;
    for (TaskState s : {TaskState::kWaiting, TaskState::kDeferred}) {
      for (int64_t id : txn.DeleteAllInState(s)) {
        engine_->Emit(txn, "remove", id, nlohmann::json{{"reason", "deleted"}});
        ++n;
      }
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return n;
}

// --- Inspection ----------------------------------------------------------------

Result<std::optional<Task>> Queue::FindTask(int64_t id) const {
  return ReadQueue<std::optional<Task>>(*engine_,
                                        [&](state::QueueTxn& txn) { return txn.Get(id); });
}

Result<std::vector<Task>> Queue::FindCommands(const std::string& command) const {
  return ReadQueue<std::vector<Task>>(*engine_, [&](state::QueueTxn& txn) {
    auto out = txn.PendingOfCommands({command});
    state::TaskFilter f;
    f.state = TaskState::kProcessing;
    f.command = command;
    auto running = txn.List(f);
    out.insert(out.end(), running.begin(), running.end());
    return out;
  });
}

Result<std::optional<Task>> Queue::FindCommand(const std::string& command) const {
  auto all = FindCommands(command);
  if (!all.ok()) return all.status();
  if (all->empty()) return std::optional<Task>();
  return std::optional<Task>(all->front());
}

Result<std::optional<Task>> Queue::PeekNextTask() const {
  return ReadQueue<std::optional<Task>>(*engine_, [&](state::QueueTxn& txn) -> std::optional<Task> {
    auto v = txn.WaitingInOrder(std::nullopt, 1);
    if (v.empty()) return std::nullopt;
    return v.front();
  });
}

Result<QueueCounts> Queue::Counts() const {
  auto counts = ReadQueue<QueueCounts>(*engine_, [&](state::QueueTxn& txn) {
    QueueCounts c;
    for (auto [state, n] : txn.CountsByState()) {
      // clang-format off
      switch (state) {
        case TaskState::kWaiting: c.waiting = n; break;
        case TaskState::kDeferred: c.deferred = n; break;
        case TaskState::kProcessing: c.processing = n; break;
        case TaskState::kComplete: c.complete = n; break;
        case TaskState::kFailed: c.failed = n; break;
        case TaskState::kScheduled: break;
      }
      // clang-format on
    }
    return c;
  });
  if (!counts.ok()) return counts;
  auto scheduled = ReadSched<int64_t>(
      *engine_, [](state::SchedTxn& txn) { return txn.Count(std::nullopt, ""); });
  if (!scheduled.ok()) return scheduled.status();
  counts->scheduled = *scheduled;
  return counts;
}

Result<std::vector<Task>> Queue::TasksInState(TaskState state, int64_t limit) const {
  if (state == TaskState::kScheduled) {
    return ReadSched<std::vector<Task>>(
        *engine_, [&](state::SchedTxn& txn) { return txn.InTimeOrder(limit); });
  }
  if (state == TaskState::kProcessing) {
    // Few (at most max_running per supervisor): all read, shown by start.
    auto tasks = ReadQueue<std::vector<Task>>(
        *engine_, [&](state::QueueTxn& txn) { return txn.InState(state, 0); });
    if (!tasks.ok()) return tasks;
    std::stable_sort(tasks->begin(), tasks->end(), [](const Task& a, const Task& b) {
      return a.started_at.value_or(0) < b.started_at.value_or(0);
    });
    if (limit > 0 && static_cast<int64_t>(tasks->size()) > limit) tasks->resize(limit);
    return tasks;
  }
  return ReadQueue<std::vector<Task>>(
      *engine_, [&](state::QueueTxn& txn) { return txn.InState(state, limit); });
}

Result<std::vector<Task>> Queue::List(const ListQuery& q) const {
  state::TaskFilter f;
  f.state = q.state;
  f.command = q.command;
  f.descending = q.descending;
  f.after_id = q.after_id;
  f.offset = q.offset;
  f.limit = q.limit;
  if (q.state == TaskState::kScheduled) {
    return ReadSched<std::vector<Task>>(*engine_,
                                        [&](state::SchedTxn& txn) { return txn.List(f); });
  }
  if (q.state) {
    return ReadQueue<std::vector<Task>>(*engine_,
                                        [&](state::QueueTxn& txn) { return txn.List(f); });
  }
  // Every state: both files, merged by id, then paged.
  f.offset = 0;
  f.limit = q.limit > 0 ? q.offset + q.limit : 0;
  auto a =
      ReadQueue<std::vector<Task>>(*engine_, [&](state::QueueTxn& txn) { return txn.List(f); });
  if (!a.ok()) return a;
  auto b =
      ReadSched<std::vector<Task>>(*engine_, [&](state::SchedTxn& txn) { return txn.List(f); });
  if (!b.ok()) return b;
  std::vector<Task> all = std::move(a).value();
  all.insert(all.end(), b->begin(), b->end());
  std::sort(all.begin(), all.end(),
            [&](const Task& x, const Task& y) { return q.descending ? x.id > y.id : x.id < y.id; });
  std::vector<Task> page;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(q.offset, 0)); i < all.size(); ++i) {
    if (q.limit > 0 && static_cast<int64_t>(page.size()) >= q.limit) break;
    page.push_back(std::move(all[i]));
  }
  return page;
}

Result<int64_t> Queue::Count(std::optional<TaskState> state, const std::string& command) const {
  int64_t n = 0;
  if (state != TaskState::kScheduled) {
    auto q = ReadQueue<int64_t>(*engine_,
                                [&](state::QueueTxn& txn) { return txn.Count(state, command); });
    if (!q.ok()) return q;
    n += *q;
  }
  if (!state || state == TaskState::kScheduled) {
    auto s = ReadSched<int64_t>(
        *engine_, [&](state::SchedTxn& txn) { return txn.Count(std::nullopt, command); });
    if (!s.ok()) return s;
    n += *s;
  }
  return n;
}

Result<std::vector<std::string>> Queue::CommandNames() const {
  auto names = ReadQueue<std::vector<std::string>>(
      *engine_, [](state::QueueTxn& txn) { return txn.CommandNames(); });
  if (!names.ok()) return names;
  // The scheduler file keeps the same counts table: its commands count too.
  auto all = ReadSched<std::vector<Task>>(*engine_,
                                          [](state::SchedTxn& txn) { return txn.InTimeOrder(0); });
  if (!all.ok()) return all.status();
  for (const auto& t : *all) names->push_back(t.command);
  std::sort(names->begin(), names->end());
  names->erase(std::unique(names->begin(), names->end()), names->end());
  return names;
}

Result<int64_t> Queue::WorkTimeMillis() const {
  return ReadQueue<int64_t>(*engine_, [](state::QueueTxn& txn) { return txn.WorkTimeMillis(); });
}

Result<std::vector<Task>> Queue::Search(const std::string& query, std::optional<TaskState> state,
                                        const std::string& command, int64_t limit) const {
  const std::vector<std::string> fts = ToFtsTerms(query);
  if (fts.empty()) return std::vector<Task>();
  // Recent text waits to be indexed in batches: index it now. Without write
  // access (a read-only state dir) the search covers what is indexed.
  auto pending =
      ReadQueue<bool>(*engine_, [](state::QueueTxn& txn) { return txn.HasUnindexedText(); });
  if (pending.ok() && *pending) {
    (void)engine_->store().WithQueue(true, [](state::QueueTxn& txn) {
      txn.FlushSearchText();
      return Status::OK();
    });
  }
  return ReadQueue<std::vector<Task>>(*engine_, [&](state::QueueTxn& txn) {
    std::vector<Task> out;
    for (int64_t id : txn.Search(fts, state, command, limit)) {
      if (auto t = txn.Get(id)) out.push_back(*t);
    }
    return out;
  });
}

Result<std::vector<LogLine>> Queue::Logs(int64_t id) const {
  return ReadQueue<std::vector<LogLine>>(*engine_,
                                         [&](state::QueueTxn& txn) { return txn.Logs(id); });
}

Result<std::vector<Event>> Queue::Events(int64_t since_id, int64_t limit) const {
  return ReadQueue<std::vector<Event>>(
      *engine_, [&](state::QueueTxn& txn) { return txn.Events(since_id, limit); });
}

// --- Settings and pause --------------------------------------------------------

Result<QueueSettings> Queue::Settings() const { return engine_->Settings(); }
Status Queue::SetSetting(const std::string& key, const std::string& value) {
  return engine_->SetSetting(key, value);
}
Status Queue::Pause() { return engine_->SetPaused(true); }
Status Queue::Resume() { return engine_->SetPaused(false); }
Result<bool> Queue::IsPaused() const {
  return ReadQueue<bool>(
      *engine_, [](state::QueueTxn& txn) { return txn.GetMeta("paused").value_or("0") == "1"; });
}

// --- Processing ----------------------------------------------------------------

Result<bool> Queue::HasWorkToDo() const { return engine_->HasWorkToDo(); }
Result<bool> Queue::ProcessNextTask() { return engine_->ProcessNextTask(); }
Status Queue::FinishAllProcessing() { return engine_->FinishAllProcessing(); }
Result<std::optional<Task>> Queue::ClaimNext(const ClaimOptions& options) {
  return engine_->ClaimNext(options);
}
Status Queue::SetTaskProcess(int64_t id, int64_t pid, int64_t start, const std::string& boot) {
  return engine_->SetTaskProcess(id, pid, start, boot);
}
Status Queue::FinishTask(int64_t id, const RunOutcome& outcome) {
  return engine_->FinishTask(id, outcome);
}
Result<Task> Queue::ClaimStarted(int64_t id, int64_t seq, int64_t attempts_made,
                                 const ClaimOptions& options) {
  return engine_->ClaimStarted(id, seq, attempts_made, options);
}

Result<std::vector<Task>> Queue::FinishAndClaim(const std::vector<FinishedTask>& finished,
                                                const ClaimOptions& options, int64_t max_claims) {
  return engine_->FinishAndClaim(finished, options, max_claims);
}
Result<std::vector<Task>> Queue::ProcessingTasks() const {
  return TasksInState(TaskState::kProcessing);
}

// --- Kue's job model -----------------------------------------------------------

Status Engine::Progress(int64_t id, int64_t done, int64_t total, const std::string& data) {
  if (done < 0 || total < 0) return Status::InvalidArgument("progress must not be negative");
  return store().WithQueue(true, [&](state::QueueTxn& txn) {
    auto t = txn.Get(id);
    if (!t) return Status::NotFound("No task " + std::to_string(id));
    // Progress belongs to a run: a finished task's history stays as it ended.
    if (t->state != TaskState::kProcessing) {
      return Status::Aborted("Task " + t->uuid() + " is not running (it is " +
                             TaskStateName(t->state) + "): progress is for a running task");
    }
    int64_t pct = total > 0 ? std::min<int64_t>(100, done * 100 / total) : (done > 0 ? 100 : 0);
    t->progress = static_cast<int>(pct);
    t->progress_data = data;
    txn.Update(*t);
    Emit(txn, "progress", id, nlohmann::json{{"progress", pct}, {"data", data}});
    return Status::OK();
  });
}

Status Engine::Log(int64_t id, const std::string& line) {
  return store().WithQueue(true, [&](state::QueueTxn& txn) {
    if (!txn.Get(id)) return Status::NotFound("No task " + std::to_string(id));
    txn.AddLog(id, Now(), line);
    return Status::OK();
  });
}

Status Queue::Progress(int64_t id, int64_t done, int64_t total, const std::string& data) {
  return engine_->Progress(id, done, total, data);
}
Status Queue::Log(int64_t id, const std::string& line) { return engine_->Log(id, line); }

Status Queue::Retry(int64_t id) {
  bool in_queue = false;
  TQ_RETURN_IF_ERROR(engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
    auto t = txn.Get(id);
    if (!t) return Status::OK();
    in_queue = true;
    if (t->state == TaskState::kProcessing) {
      return Status::Aborted("Task " + t->uuid() + " is running; it cannot be retried.");
    }
    if (!t->finished()) {
      return Status::Aborted("Task " + t->uuid() + " is " + TaskStateName(t->state) +
                             ", not finished: there is nothing to retry.");
    }
    t->state = TaskState::kWaiting;
    t->attempts_made = 0;
    t->error.clear();
    t->exit_status.reset();
    t->term_signal.reset();
    t->started_at.reset();
    t->finished_at.reset();
    t->progress = 0;
    t->seq = txn.AllocateSeq();
    t->run_at = engine_->Now();
    txn.Update(*t);
    // The forgotten error must no longer find the task.
    txn.IndexText(id, Engine::SearchText(*t));
    engine_->Emit(txn, "retry", id);
    return Status::OK();
  }));
  if (in_queue) return Status::OK();
  // A retry waiting in the scheduler: make it due now. A task that has not
  // run yet keeps its time (it did not fail).
  bool found = false;
  TQ_RETURN_IF_ERROR(engine_->store().WithSched(true, [&](state::SchedTxn& txn) {
    auto t = txn.Get(id);
    if (!t) return Status::OK();
    found = true;
    if (t->attempts_made == 0) {
      return Status::Aborted("Task " + t->uuid() +
                             " is scheduled and has not run yet: there is nothing to retry.");
    }
    t->run_at = engine_->Now();
    txn.Update(*t);
    return Status::OK();
  }));
  if (!found) return Status::NotFound("No task " + std::to_string(id));
  return Status::OK();
}

Result<bool> Queue::Remove(int64_t id) {
  bool removed = false, in_queue = false;
  Status st = engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
    auto t = txn.Get(id);
    if (!t) return Status::OK();
    in_queue = true;
    if (t->state == TaskState::kProcessing) {
      return Status::InvalidArgument("Task " + t->uuid() + " is running; it cannot be removed");
    }
    removed = txn.DeleteWithHistory(id);
    engine_->Emit(txn, "remove", id, nlohmann::json{{"reason", "removed"}});
    return Status::OK();
  });
  if (!st.ok()) return st;
  if (in_queue) {
    std::error_code ec;
    std::filesystem::remove(engine_->OutputPath(id), ec);
    return removed;
  }
  st = engine_->store().WithSched(true, [&](state::SchedTxn& txn) {
    removed = txn.Delete(id);
    return Status::OK();
  });
  if (!st.ok()) return st;
  if (!removed) return false;
  // A scheduled task (a retry among them) may have logs and search text in
  // the queue file from earlier runs: they go with it, and followers learn
  // of the removal as for any other task.
  st = engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
    txn.DeleteWithHistory(id);
    engine_->Emit(txn, "remove", id, nlohmann::json{{"reason", "removed"}});
    return Status::OK();
  });
  if (!st.ok()) return st;
  std::error_code ec;
  std::filesystem::remove(engine_->OutputPath(id), ec);
  return true;
}

Status Queue::SetPriority(int64_t id, int priority) {
  bool found = false;
  TQ_RETURN_IF_ERROR(engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
    auto t = txn.Get(id);
    if (!t) return Status::OK();
    found = true;
    t->priority = priority;
    txn.Update(*t);
    return Status::OK();
  }));
  if (found) return Status::OK();
  TQ_RETURN_IF_ERROR(engine_->store().WithSched(true, [&](state::SchedTxn& txn) {
    auto t = txn.Get(id);
    if (!t) return Status::OK();
    found = true;
    t->priority = priority;
    txn.Update(*t);
    return Status::OK();
  }));
  if (!found) return Status::NotFound("No task " + std::to_string(id));
  return Status::OK();
}

Result<int64_t> Queue::PruneHistory() {
  auto settings = Settings();
  if (!settings.ok()) return settings.status();
  std::vector<int64_t> pruned;
  const int64_t now = engine_->Now();
  Status st = engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
    pruned = txn.PrunableFinished(now - settings->keep_finished_seconds * 1000,
                                  settings->keep_complete_count, settings->keep_failed_count);
    for (int64_t id : pruned) txn.DeleteWithHistory(id);
    txn.PruneEvents(now - settings->keep_events_seconds * 1000);
    return Status::OK();
  });
  if (!st.ok()) return st;
  for (int64_t id : pruned) {
    std::error_code ec;
    std::filesystem::remove(engine_->OutputPath(id), ec);
  }
  return static_cast<int64_t>(pruned.size());
}

}  // namespace taskqueue
