// Scheduler: the public face of the engine for the scheduler file.

#include "taskqueue/scheduler.h"

#include "engine.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

constexpr const char* kTokenVersion = "tqsched1";
constexpr const char* kTokenSep = ":|:";

}  // namespace

Scheduler::Scheduler(std::shared_ptr<Engine> engine) : engine_(std::move(engine)) {}
Scheduler::~Scheduler() = default;

Result<std::unique_ptr<Scheduler>> Scheduler::Open(const QueueOptions& options) {
  if (options.name.empty()) return Status::InvalidArgument("No scheduler name supplied.");
  auto engine = Engine::Open(options);
  if (!engine.ok()) return engine.status();
  // Open the scheduler file now (the store opens it lazily), so that a
  // corrupt or foreign one is reported by Open, naming it (SPEC §2).
  TQ_RETURN_IF_ERROR(
      (*engine)->store().WithSched(false, [](state::SchedTxn&) { return Status::OK(); }));
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(engine).value()));
}

std::unique_ptr<Scheduler> Scheduler::ForQueue(const Queue& queue) {
  return std::unique_ptr<Scheduler>(new Scheduler(queue.engine_));
}

Result<std::unique_ptr<Scheduler>> Scheduler::OpenFromToken(const std::string& token,
                                                            const QueueOptions& base) {
  const Status invalid = Status::InvalidArgument("Invalid token.");
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t at = token.find(kTokenSep, start);
    if (at == std::string::npos) {
      parts.push_back(token.substr(start));
      break;
    }
    parts.push_back(token.substr(start, at - start));
    start = at + 3;
  }
  if (parts.size() != 3 || parts[0] != kTokenVersion || parts[1].empty()) return invalid;
  const std::string suffix = "/" + parts[1] + "_sched.db";
  const std::string& path = parts[2];
  if (path.size() <= suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return invalid;
  }
  QueueOptions options = base;
  options.name = parts[1];
  options.state_dir = std::filesystem::path(path).parent_path();
  return Open(options);
}

std::string Scheduler::GetToken() const {
  return std::string(kTokenVersion) + kTokenSep + engine_->options().name + kTokenSep +
         engine_->store().sched_file().string();
}

Result<Task> Scheduler::ScheduleTask(std::string_view command, const ScheduleOptions& options) {
  return engine_->Schedule(command, options);
}

Result<bool> Scheduler::UnscheduleTask(int64_t id) {
  bool removed = false;
  Status st = engine_->store().WithSched(true, [&](state::SchedTxn& txn) {
    removed = txn.Delete(id);
    return Status::OK();
  });
  if (!st.ok()) return st;
  if (removed) {
    (void)engine_->store().WithQueue(true, [&](state::QueueTxn& txn) {
      // Logs and search text of earlier runs (a retry) go too, unless a
      // promotion interrupted by a crash left the task queued as well.
      if (!txn.Get(id)) txn.DeleteWithHistory(id);
      engine_->Emit(txn, "remove", id, nlohmann::json{{"reason", "unscheduled"}});
      return Status::OK();
    });
  }
  return removed;
}

Result<std::optional<Task>> Scheduler::IsTaskScheduled(int64_t id) const {
  return ReadSched<std::optional<Task>>(*engine_,
                                        [&](state::SchedTxn& txn) { return txn.Get(id); });
}

Result<std::optional<int64_t>> Scheduler::WhenIsTaskScheduled(int64_t id) const {
  auto t = IsTaskScheduled(id);
  if (!t.ok()) return t.status();
  if (!t->has_value()) return std::optional<int64_t>();
  return (*t)->run_at;
}

Result<int64_t> Scheduler::HowManyScheduled() const {
  return ReadSched<int64_t>(*engine_,
                            [](state::SchedTxn& txn) { return txn.Count(std::nullopt, ""); });
}

Result<std::optional<Task>> Scheduler::PeekNextTask() const {
  return ReadSched<std::optional<Task>>(*engine_, [](state::SchedTxn& txn) -> std::optional<Task> {
    auto v = txn.InTimeOrder(1);
    if (v.empty()) return std::nullopt;
    return v.front();
  });
}

Result<std::vector<Task>> Scheduler::SnapshotTaskSchedule() const {
  return ReadSched<std::vector<Task>>(*engine_,
                                      [](state::SchedTxn& txn) { return txn.InTimeOrder(0); });
}

Result<std::optional<int64_t>> Scheduler::MillisUntilNextTask() const {
  auto next = PeekNextTask();
  if (!next.ok()) return next.status();
  if (!next->has_value() || !(*next)->run_at) return std::optional<int64_t>();
  return std::optional<int64_t>(*(*next)->run_at - engine_->Now());
}

Result<int64_t> Scheduler::ProcessReadyTasks(Queue& queue) {
  if (queue.engine_->store().queue_file() != engine_->store().queue_file()) {
    return Status::InvalidArgument(
        "No valid queue supplied: the queue must belong to this scheduler's state dir and name.");
  }
  return engine_->PromoteDue(queue);
}

Result<std::vector<std::string>> Scheduler::FlushAllTasks(Queue& queue) {
  if (queue.engine_->store().queue_file() != engine_->store().queue_file()) {
    return Status::InvalidArgument(
        "No valid queue supplied: the queue must belong to this scheduler's state dir and name.");
  }
  return engine_->FlushAll();
}

Result<int64_t> Scheduler::DeleteAllTasks() {
  int64_t n = 0;
  Status st = engine_->store().WithSched(true, [&](state::SchedTxn& txn) {
    n = txn.DeleteAll();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return n;
}

}  // namespace taskqueue
