#include "inprocess_runner.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "unique_fd.h"
#include "waker.h"

namespace taskqueue::daemon {

struct InProcessRunner::Shared {
  UniqueFd event;
  std::mutex mu;
  std::vector<FinishedRun> done;  // guarded by mu
  std::atomic<int64_t> busy{0};
};

namespace {

// What an in-process processor gets while it runs.
class Context : public TaskContext {
 public:
  Context(std::shared_ptr<Queue> queue, Task task)
      : queue_(std::move(queue)), task_(std::move(task)) {}
  const Task& task() const override { return task_; }
  void Progress(int64_t done, int64_t total, const std::string& data) override {
    (void)queue_->Progress(task_.id, done, total, data);
  }
  void Log(const std::string& line) override { (void)queue_->Log(task_.id, line); }

 private:
  std::shared_ptr<Queue> queue_;
  Task task_;
};

}  // namespace

Result<std::unique_ptr<InProcessRunner>> InProcessRunner::Create(std::shared_ptr<Queue> queue) {
  auto shared = std::make_shared<Shared>();
  shared->event = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!shared->event.valid()) {
    return Status::IOError(std::string("eventfd failed: ") + std::strerror(errno));
  }
  return std::unique_ptr<InProcessRunner>(new InProcessRunner(std::move(queue), shared));
}

InProcessRunner::InProcessRunner(std::shared_ptr<Queue> queue, std::shared_ptr<Shared> shared)
    : queue_(std::move(queue)), shared_(std::move(shared)) {}

InProcessRunner::~InProcessRunner() = default;

int InProcessRunner::fd() const { return shared_->event.get(); }

int64_t InProcessRunner::busy_threads() const { return shared_->busy.load(); }

FinishedRun InProcessRunner::RunInline(const Task& task, const Processor& processor) {
  Context context(queue_, task);
  return FinishedRun{task.id, 0, false,
                     RunOutcome::OfResult(ProcessTaskCatching(processor, context)), RunLabel(task)};
}

void InProcessRunner::Start(const Task& task, std::shared_ptr<const Processor> processor,
                            int64_t timeout_seconds) {
  Run run;
  run.label = RunLabel(task);
  run.timeout_seconds = timeout_seconds;
  run.deadline_ms = SteadyMillis() + timeout_seconds * 1000;
  runs_[task.id] = run;
  shared_->busy += 1;
  // The worker owns what it uses (the queue, the processor, the shared
  // state), so it may safely outlive a run the loop gave up on.
  auto work = [shared = shared_, queue = queue_, processor = std::move(processor), task,
               label = run.label]() {
    Context context(queue, task);
    FinishedRun done{task.id, 0, false,
                     RunOutcome::OfResult(ProcessTaskCatching(*processor, context)), label};
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->done.push_back(std::move(done));
    }
    const uint64_t one = 1;
    (void)!::write(shared->event.get(), &one, sizeof one);
    shared->busy -= 1;
  };
  try {
    std::thread(std::move(work)).detach();
  } catch (const std::system_error& e) {
    // No thread: the run ends at once, reported like any other.
    shared_->busy -= 1;
    FinishedRun done;
    done.task_id = task.id;
    done.label = run.label;
    done.outcome.kind = RunOutcome::Kind::kFailure;
    done.outcome.error = std::string("cannot start a worker thread: ") + e.what();
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      shared_->done.push_back(std::move(done));
    }
    const uint64_t one = 1;
    (void)!::write(shared_->event.get(), &one, sizeof one);
  }
}

std::vector<FinishedRun> InProcessRunner::Collect() {
  uint64_t count;
  (void)!::read(shared_->event.get(), &count, sizeof count);
  std::vector<FinishedRun> done;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    done.swap(shared_->done);
  }
  std::vector<FinishedRun> out;
  for (auto& d : done) {
    // A run given up on (timeout, shutdown) was recorded already.
    if (runs_.erase(d.task_id) == 0) continue;
    out.push_back(std::move(d));
  }
  return out;
}

FinishedRun InProcessRunner::GiveUp(int64_t id, const Run& run, RunOutcome::Kind kind,
                                    std::string error) {
  FinishedRun done;
  done.task_id = id;
  done.label = run.label;
  done.outcome.kind = kind;
  done.outcome.error = std::move(error);
  return done;
}

std::vector<FinishedRun> InProcessRunner::Tick(int64_t now) {
  std::vector<FinishedRun> out;
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (now >= it->second.deadline_ms) {
      out.push_back(GiveUp(it->first, it->second, RunOutcome::Kind::kTimeout,
                           "timed out after " + std::to_string(it->second.timeout_seconds) +
                               " s (in-process work cannot be stopped; its thread was left "
                               "to finish and its result ignored)"));
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::optional<int64_t> InProcessRunner::NextDeadline() const {
  std::optional<int64_t> next;
  for (const auto& [id, run] : runs_) {
    if (!next || run.deadline_ms < *next) next = run.deadline_ms;
  }
  return next;
}

std::vector<FinishedRun> InProcessRunner::AbortAll() {
  std::vector<FinishedRun> out;
  for (const auto& [id, run] : runs_) {
    out.push_back(GiveUp(id, run, RunOutcome::Kind::kAborted,
                         "stopped by a daemon shutdown; it runs again after the restart"));
  }
  runs_.clear();
  return out;
}

}  // namespace taskqueue::daemon
