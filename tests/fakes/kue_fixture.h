// KueFixture: the base of the tests of Kue's job model (progress, logs,
// events, history, retention, inspection, search, backoff, per-command
// concurrency, test mode). A queue in a temporary state dir, run against a
// FakeClock so that timings, retention and backoff are exact and no test
// sleeps; tasks are driven through ClaimNext/FinishTask.
//
// KueProcessor: an in-process processor whose policy (concurrency, attempts,
// backoff, remove_on_complete, deferral tags) and outcome (result or error)
// are set by the test.
//
// Thread-safety: KueProcessor holds only immutable configuration; the
// fixture is used from the test's thread.
#ifndef TASKQUEUE_TESTS_FAKES_KUE_FIXTURE_H_
#define TASKQUEUE_TESTS_FAKES_KUE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fakes/queue_fixture.h"
#include "fakes/test_util.h"
#include "taskqueue/clock.h"
#include "taskqueue/event.h"
#include "taskqueue/processor.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

namespace taskqueue::testing {

class KueProcessor : public Processor {
 public:
  struct Config {
    int concurrency = 0;
    int attempts = 1;
    Backoff backoff;
    int64_t reschedule_delay = 900;
    bool remove_on_complete = false;
    bool tags_from_args = false;  // deferral tags = the task's args
    bool fail = false;            // ProcessTask returns an error
    std::string result = "done";
    std::string error = "it broke";
  };
  KueProcessor() = default;
  explicit KueProcessor(Config config) : config_(std::move(config)) {}

  int Concurrency() const override { return config_.concurrency; }
  int DefaultAttempts() const override { return config_.attempts; }
  Backoff DefaultBackoff() const override { return config_.backoff; }
  int64_t RescheduleDelay() const override { return config_.reschedule_delay; }
  bool RemoveOnComplete() const override { return config_.remove_on_complete; }
  std::vector<std::string> DeferralTags(const Task& task) const override {
    return config_.tags_from_args ? task.args : std::vector<std::string>{};
  }
  Result<std::string> ProcessTask(TaskContext&) const override {
    if (config_.fail) return Status::Aborted(config_.error);
    return config_.result;
  }

 private:
  Config config_;
};

class KueFixture : public QueueFixture {
 protected:
  // The fixture's queue options with the fake clock.
  QueueOptions KueOptions() const {
    QueueOptions o = Options();
    o.clock = &clock_;
    return o;
  }
  std::unique_ptr<Queue> OpenKue() { return Open(KueOptions()); }

  void Register(const std::string& command, KueProcessor::Config config = {}) {
    ASSERT_TQ_OK(registry_->Register(command, std::make_shared<KueProcessor>(std::move(config))));
  }

  // Queues `command` and returns its id (0 on failure, recorded).
  static int64_t Enqueue(Queue& q, const std::string& command, const TaskOptions& options = {}) {
    auto r = q.QueueTask(command, options);
    EXPECT_TRUE(r.ok()) << command << ": " << r.status().ToString();
    if (!r.ok()) return 0;
    EXPECT_FALSE(r->duplicate) << command;
    return r->id;
  }

  // Claims the next task; returns its id, or 0 when nothing may start.
  static int64_t Claim(Queue& q, const ClaimOptions& options = {}) {
    auto r = q.ClaimNext(options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->has_value() ? (*r)->id : 0;
  }

  static RunOutcome Success(const std::string& result = "ok") {
    RunOutcome o;
    o.kind = RunOutcome::Kind::kSuccess;
    o.result = result;
    return o;
  }
  static RunOutcome Failure(const std::string& error, int exit_status = 1) {
    RunOutcome o;
    o.kind = RunOutcome::Kind::kFailure;
    o.error = error;
    o.exit_status = exit_status;
    return o;
  }

  // Queues, claims and finishes one task with `outcome`, `run_ms` of fake
  // time after its start. The task must be the next to run.
  int64_t RunOne(Queue& q, const std::string& command, const RunOutcome& outcome,
                 int64_t run_ms = 10, const TaskOptions& options = {}) {
    const int64_t id = Enqueue(q, command, options);
    EXPECT_EQ(Claim(q), id) << command;
    clock_.AdvanceMillis(run_ms);
    EXPECT_TQ_OK(q.FinishTask(id, outcome));
    return id;
  }

  static std::vector<Event> EventsSince(const Queue& q, int64_t since_id) {
    auto r = q.Events(since_id, 0);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : std::vector<Event>{};
  }
  static int64_t LastEventId(const Queue& q) {
    auto all = EventsSince(q, 0);
    return all.empty() ? 0 : all.back().id;
  }
  // "type:task_id" of each event, in order.
  static std::vector<std::string> Describe(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.type + ":" + std::to_string(e.task_id));
    return out;
  }
  static std::vector<int64_t> Ids(const std::vector<Task>& tasks) {
    std::vector<int64_t> out;
    for (const auto& t : tasks) out.push_back(t.id);
    return out;
  }

  mutable FakeClock clock_;  // mutable: KueOptions() hands out a pointer to it
};

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_FAKES_KUE_FIXTURE_H_
