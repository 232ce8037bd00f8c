// cPanel's processing loop for library users without a daemon:
// ProcessNextTask runs in-process work to completion (with a timeout) and
// forks children, which FinishAllProcessing (or the next ProcessNextTask
// at max_running) waits for, enforcing their timeouts on the whole process
// group.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "child_spawn.h"
#include "engine.h"
#include "process_info.h"

namespace taskqueue {
namespace {

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kKillGraceMillis = 5000;

// The context handed to an in-process processor. Shared with the worker
// thread, which may outlive the call that started it after a timeout.
class InProcessContext : public TaskContext {
 public:
  InProcessContext(std::shared_ptr<Engine> engine, Task task)
      : engine_(std::move(engine)), task_(std::move(task)) {}
  const Task& task() const override { return task_; }
  void Progress(int64_t done, int64_t total, const std::string& data) override {
    (void)engine_->Progress(task_.id, done, total, data);
  }
  void Log(const std::string& line) override { (void)engine_->Log(task_.id, line); }

 private:
  std::shared_ptr<Engine> engine_;
  Task task_;
};

}  // namespace

Result<bool> Engine::RunInProcess(const Task& task, std::shared_ptr<const Processor> processor,
                                  const QueueSettings& settings) {
  int64_t timeout = processor->Timeout() > 0 ? processor->Timeout() : settings.default_timeout;
  if (task.timeout > 0) timeout = task.timeout;
  if (timeout > settings.max_timeout) timeout = settings.max_timeout;

  auto context = std::make_shared<InProcessContext>(shared_from_this(), task);
  RunOutcome outcome;
  if (processor->RunsInline()) {
    outcome = RunOutcome::OfResult(ProcessTaskCatching(*processor, *context));
  } else {
    // The worker owns what it uses: it may outlive this call.
    auto result = work_threads_.Run(
        [context, processor] { return ProcessTaskCatching(*processor, *context); },
        std::chrono::seconds(timeout));
    if (result) {
      outcome = RunOutcome::OfResult(*result);
    } else {
      // A thread cannot be killed safely: it is left to finish on its own
      // and its result is ignored. Child processors are the answer for work
      // that must be stoppable.
      outcome.kind = RunOutcome::Kind::kTimeout;
      outcome.error = "Task '" + task.full_command() + "' timed out during processing.";
    }
  }
  TQ_RETURN_IF_ERROR(FinishTask(task.id, outcome));
  return true;
}

Status Engine::ReapChildren(bool block) {
  for (;;) {
    bool reaped = false;
    std::vector<std::pair<int64_t, RunOutcome>> finished;
    {
      std::lock_guard<std::mutex> guard(children_mu_);
      const int64_t now = SteadyMillis();
      for (auto it = children_.begin(); it != children_.end();) {
        int status = 0;
        pid_t r = waitpid(it->first, &status, WNOHANG);
        if (r == it->first || (r < 0 && errno == ECHILD)) {
          RunOutcome o;
          if (r < 0) {
            o.kind = RunOutcome::Kind::kLost;
            o.error = "child was reaped elsewhere; exit status unknown";
          } else if (WIFEXITED(status)) {
            o.exit_status = WEXITSTATUS(status);
            o.kind = *o.exit_status == 0 ? RunOutcome::Kind::kSuccess : RunOutcome::Kind::kFailure;
          } else if (WIFSIGNALED(status)) {
            o.term_signal = WTERMSIG(status);
            o.kind = it->second.term_sent ? RunOutcome::Kind::kTimeout : RunOutcome::Kind::kSignal;
            if (it->second.term_sent) o.error = "timed out";
          }
          // The group may hold grandchildren: make sure none outlives the task.
          kill(-it->first, SIGKILL);
          finished.emplace_back(it->second.task_id, o);
          it = children_.erase(it);
          reaped = true;
          continue;
        }
        if (!it->second.term_sent && now >= it->second.deadline_ms) {
          kill(-it->first, SIGTERM);
          it->second.term_sent = true;
          it->second.kill_at_ms = now + kKillGraceMillis;
        } else if (it->second.term_sent && now >= it->second.kill_at_ms) {
          kill(-it->first, SIGKILL);
        }
        ++it;
      }
    }
    for (auto& [id, outcome] : finished) {
      if (outcome.kind == RunOutcome::Kind::kFailure) {
        std::optional<Task> t;
        (void)store_->WithQueue(false, [&](state::QueueTxn& txn) {
          t = txn.Get(id);
          return Status::OK();
        });
        auto p = t ? registry_->Find(t->command) : nullptr;
        if (p && p->kind() == Processor::Kind::kChild) {
          outcome.retryable = static_cast<const ChildProcessor&>(*p).RetryOnFailure(
              outcome.exit_status.value_or(1));
        }
      }
      TQ_RETURN_IF_ERROR(FinishTask(id, outcome));
    }
    bool empty;
    {
      std::lock_guard<std::mutex> guard(children_mu_);
      empty = children_.empty();
    }
    if (!block || reaped || empty) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<bool> Engine::ProcessNextTask() {
  TQ_RETURN_IF_ERROR(ReapChildren(false));
  // cPanel blocks while max_running tasks run; only children this process
  // started can be waited for.
  for (;;) {
    {
      std::lock_guard<std::mutex> guard(children_mu_);
      if (children_.empty()) break;
    }
    int64_t processing = 0, max_running = 0;
    TQ_RETURN_IF_ERROR(store_->WithQueue(false, [&](state::QueueTxn& txn) {
      processing = txn.Count(TaskState::kProcessing, "");
      max_running = SettingsFrom(txn).max_running;
      return Status::OK();
    }));
    if (processing < max_running) break;
    TQ_RETURN_IF_ERROR(ReapChildren(true));
  }
  QueueSettings settings;
  auto claimed = ClaimNext({}, &settings);
  if (!claimed.ok()) return claimed.status();
  if (!claimed->has_value()) return true;
  const Task task = **claimed;
  auto processor = registry_->Find(task.command);
  if (!processor) {
    RunOutcome o;
    o.kind = RunOutcome::Kind::kFailure;
    o.retryable = false;
    o.error = "No processor found for '" + task.full_command() + "'.";
    TQ_RETURN_IF_ERROR(FinishTask(task.id, o));
    return true;
  }
  if (processor->kind() == Processor::Kind::kInProcess) {
    return RunInProcess(task, processor, settings);
  }

  const auto& child = static_cast<const ChildProcessor&>(*processor);
  int64_t timeout = task.timeout > 0 ? task.timeout
                    : child.Timeout() > 0 ? child.Timeout()
                                          : settings.default_child_timeout;
  ChildEnvironment env{options_.state_dir, options_.name, OutputPath(task.id)};
  auto pid = SpawnChild(task, child, env);
  if (!pid.ok()) {
    RunOutcome o;
    o.kind = RunOutcome::Kind::kFailure;
    o.error = pid.status().message();
    TQ_RETURN_IF_ERROR(FinishTask(task.id, o));
    return true;
  }
  {
    std::lock_guard<std::mutex> guard(children_mu_);
    children_[*pid] = Child{task.id, SteadyMillis() + timeout * 1000};
  }
  TQ_RETURN_IF_ERROR(SetTaskProcess(task.id, *pid, ProcessStartTime(*pid), BootId()));
  return false;
}

Status Engine::FinishAllProcessing() {
  for (;;) {
    {
      std::lock_guard<std::mutex> guard(children_mu_);
      if (children_.empty()) return Status::OK();
    }
    TQ_RETURN_IF_ERROR(ReapChildren(true));
  }
}

}  // namespace taskqueue
