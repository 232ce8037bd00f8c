// Engine: the queue logic shared by Queue and Scheduler: enqueue with the
// processor hooks, claiming the next task, recording how runs end, retries
// through the scheduler, promotion of due tasks, and Kue's job model. It
// talks to persistence only through state::Store, so it holds no SQL.
//
// Thread-safety: safe for concurrent use; the Store serializes transactions
// and the child table has its own mutex.
#ifndef TASKQUEUE_SRC_ENGINE_H_
#define TASKQUEUE_SRC_ENGINE_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "state/store.h"
#include "taskqueue/options.h"
#include "taskqueue/processor.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"
#include "work_threads.h"

namespace taskqueue {

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  static Result<std::shared_ptr<Engine>> Open(const QueueOptions& options);

  const QueueOptions& options() const { return options_; }
  state::Store& store() { return *store_; }
  ProcessorRegistry& registry() const { return *registry_; }
  Clock& clock() const { return *clock_; }
  int64_t Now() const { return clock_->NowMillis(); }
  std::filesystem::path OutputDir() const;
  std::filesystem::path OutputPath(int64_t id) const;

  // --- Enqueue (engine_enqueue.cc) ----------------------------------------
  Result<std::vector<EnqueueOutcome>> Enqueue(const std::vector<std::string>& commands,
                                              const TaskOptions& options);
  // Queues an already built task (a scheduled one coming due) inside `txn`:
  // unknown commands and invalid args are failed into history instead of
  // being refused, so they never block what comes after them.
  EnqueueOutcome EnqueueExisting(state::QueueTxn& txn, Task task);
  // Builds a Task from a command string and options (no id yet).
  Result<Task> BuildTask(std::string_view command, const TaskOptions& options,
                         const Processor** processor_out = nullptr) const;

  // --- Running (engine_run.cc) ---------------------------------------------
  // `settings`, when given, receives the queue settings the claim saw.
  Result<std::optional<Task>> ClaimNext(const ClaimOptions& options,
                                        QueueSettings* settings = nullptr);
  Status FinishTask(int64_t id, const RunOutcome& outcome);
  Result<std::vector<Task>> FinishAndClaim(const std::vector<FinishedTask>& finished,
                                           const ClaimOptions& options, int64_t max_claims);
  Status SetTaskProcess(int64_t id, int64_t pid, int64_t start_time, const std::string& boot_id);
  Result<Task> ClaimStarted(int64_t id, int64_t seq, int64_t attempts_made,
                            const ClaimOptions& options);
  Result<bool> HasWorkToDo();
  Result<bool> ProcessNextTask();
  Status FinishAllProcessing();

  // --- Kue's job model (queue.cc) -------------------------------------------
  Status Progress(int64_t id, int64_t done, int64_t total, const std::string& data);
  Status Log(int64_t id, const std::string& line);

  // --- Scheduler (engine_schedule.cc) --------------------------------------
  Result<Task> Schedule(std::string_view command, const ScheduleOptions& options);
  Result<int64_t> PromoteDue(Queue& queue);
  Result<std::vector<std::string>> FlushAll();
  // Moves `task`, found in the queue file in state `from`, to the scheduler,
  // due at `run_at`: the scheduler copy is written first and the queue row
  // removed second, under the cross-file lock, and `event` is emitted with
  // `event_data`. If the queue row is no longer in state `from`, it is kept;
  // with `strict` the scheduler copy is then taken back and the result is
  // Aborted naming the state the task is in now.
  Status MoveToScheduler(Task task, int64_t run_at, TaskState from, const std::string& event,
                         const nlohmann::json& event_data, bool strict);

  // --- Settings -------------------------------------------------------------
  Result<QueueSettings> Settings();
  static QueueSettings SettingsFrom(state::QueueTxn& txn);
  static QueueSettings SettingsFrom(const std::map<std::string, std::string>& meta);
  Status SetSetting(const std::string& key, const std::string& value);
  Status SetPaused(bool paused);

  // Appends an event with `data` inside `txn`. Bytes of its strings that
  // are not UTF-8 (a plugin's result, a program's error) become U+FFFD
  // instead of failing the transaction that records the event.
  void Emit(state::QueueTxn& txn, const std::string& type, int64_t task_id,
            const nlohmann::json& data = nlohmann::json::object());
  // Not JSON text: it would be stored as one JSON string.
  void Emit(state::QueueTxn&, const std::string&, int64_t, const char*) = delete;
  void Emit(state::QueueTxn&, const std::string&, int64_t, const std::string&) = delete;
  // The text a task is found by in search.
  static std::string SearchText(const Task& task);
  // Moves deferred tasks back to waiting (their tags may have been released).
  void ResumeDeferred(state::QueueTxn& txn);

 private:
  Engine(QueueOptions options, std::unique_ptr<state::Store> store);
  Status MoveToScheduler(Task task, int64_t run_at);
  // What a finish leaves to do once its transaction has committed.
  struct FinishFollowUp {
    std::vector<std::pair<Task, int64_t>> retries;  // to the scheduler, due at
    std::vector<int64_t> removed_output;            // output files to delete
  };
  // Records how run `id` ended, inside `txn`.
  void FinishInTxn(state::QueueTxn& txn, int64_t id, const RunOutcome& outcome,
                   FinishFollowUp* follow_up);
  Status ApplyFollowUp(const FinishFollowUp& follow_up);
  // Claims up to `max_claims` tasks inside `txn`. With `abandoned`, stops
  // without claiming if any processing task has lost its supervisor, and
  // returns those in it.
  std::vector<Task> ClaimInTxn(state::QueueTxn& txn, const ClaimOptions& options, int64_t me,
                               std::vector<Task>* abandoned, QueueSettings* settings,
                               int64_t max_claims);
  // Turns the waiting `t` into a run claimed by `runner_pid` (processor may
  // be null) and records the start event, inside `txn`.
  void MarkClaimed(state::QueueTxn& txn, Task& t, const Processor* processor, int64_t runner_pid);
  // Finishes abandoned runs as lost.
  Status SettleAbandoned(const std::vector<Task>& abandoned);
  Result<bool> RunInProcess(const Task& task, std::shared_ptr<const Processor> processor,
                            const QueueSettings& settings);
  Status ReapChildren(bool block);

  QueueOptions options_;
  // OutputDir() and a '/': an output file's path is this, its id and ".log"
  // (a string: std::filesystem::path's operator/ parsed both paths anew, 4.7k
  // instructions for every run started).
  std::string output_prefix_;
  std::unique_ptr<state::Store> store_;
  std::shared_ptr<ProcessorRegistry> registry_;
  Clock* clock_;

  // Children started by ProcessNextTask in this process.
  struct Child {
    int64_t task_id;
    int64_t deadline_ms;
    bool term_sent = false;
    int64_t kill_at_ms = 0;
  };
  std::mutex children_mu_;
  std::map<pid_t, Child> children_;
  // Threads that run in-process processors' work.
  WorkThreads work_threads_;
};

// The dupe key of the default IsDupe: command and args, unambiguously joined.
std::string DupeKey(const std::string& command, const std::vector<std::string>& args);

// What `fn(txn)` returns, read in one read-only transaction of the queue
// file (ReadQueue) or of the scheduler file (ReadSched).
template <typename T, typename Fn>
Result<T> ReadQueue(Engine& e, Fn fn) {
  T out{};
  TQ_RETURN_IF_ERROR(e.store().WithQueue(false, [&](state::QueueTxn& txn) {
    out = fn(txn);
    return Status::OK();
  }));
  return out;
}
template <typename T, typename Fn>
Result<T> ReadSched(Engine& e, Fn fn) {
  T out{};
  TQ_RETURN_IF_ERROR(e.store().WithSched(false, [&](state::SchedTxn& txn) {
    out = fn(txn);
    return Status::OK();
  }));
  return out;
}

}  // namespace taskqueue

#endif  // TASKQUEUE_SRC_ENGINE_H_
