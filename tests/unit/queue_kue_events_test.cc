// The durable event log: every event type is written by the call that
// causes it (and only then), ids increase strictly, and a reader that
// follows from the last id it saw misses and repeats nothing, across a
// reopen of the queue, across pruning, and while other processes write.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "fakes/fork_util.h"
#include "fakes/kue_fixture.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ForkChild;
using ::taskqueue::testing::KueFixture;
using ::taskqueue::testing::KueProcessor;
using ::taskqueue::testing::WaitExit;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class QueueKueEventsTest : public KueFixture {
 protected:
  // The events written since the last call, as "type:task_id".
  std::vector<std::string> Next(const Queue& q) {
    auto events = EventsSince(q, seen_);
    for (const auto& e : events) {
      EXPECT_GT(e.id, seen_) << "ids must increase";
      EXPECT_EQ(e.time, clock_.NowMillis()) << e.type;
      EXPECT_TRUE(nlohmann::json::parse(e.data_json, nullptr, false).is_object())
          << e.type << ": " << e.data_json;
      seen_ = e.id;
      last_ = e;
    }
    return Describe(events);
  }
  nlohmann::json LastData() const { return nlohmann::json::parse(last_.data_json); }
  std::string T(const char* type, int64_t id) {
    return std::string(type) + ":" + std::to_string(id);
  }

  int64_t seen_ = 0;
  Event last_;
};

TEST_F(QueueKueEventsTest, EachTypeIsWrittenWhenItHappens) {
  KueProcessor::Config flaky;
  flaky.attempts = 2;
  flaky.backoff = *Backoff::Parse("fixed:30");
  Register("flaky", flaky);
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  auto sched = Scheduler::ForQueue(*q);
  EXPECT_THAT(Next(*q), IsEmpty());  // opening writes nothing

  const int64_t a = Enqueue(*q, "work a");
  EXPECT_THAT(Next(*q), ElementsAre(T("enqueue", a)));
  EXPECT_EQ(LastData()["command"], "work a");

  // A duplicate is not queued and writes nothing.
  auto dupe = q->QueueTask("work a");
  ASSERT_TQ_OK(dupe);
  EXPECT_TRUE(dupe->duplicate);
  EXPECT_THAT(Next(*q), IsEmpty());

  ASSERT_EQ(Claim(*q), a);
  EXPECT_THAT(Next(*q), ElementsAre(T("start", a)));
  EXPECT_EQ(LastData()["attempt"], 1);

  ASSERT_TQ_OK(q->Progress(a, 1, 2, "half"));
  EXPECT_THAT(Next(*q), ElementsAre(T("progress", a)));
  EXPECT_EQ(LastData()["progress"], 50);
  EXPECT_EQ(LastData()["data"], "half");

  ASSERT_TQ_OK(q->Log(a, "log lines are not events"));
  EXPECT_THAT(Next(*q), IsEmpty());

  clock_.AdvanceMillis(5);
  ASSERT_TQ_OK(q->FinishTask(a, Success("fine")));
  EXPECT_THAT(Next(*q), ElementsAre(T("complete", a)));
  EXPECT_EQ(LastData()["result"], "fine");

  // Schedule, then promotion only once the fake clock says it is due.
  ScheduleOptions later;
  later.delay_seconds = 60;
  auto s = sched->ScheduleTask("work s", later);
  ASSERT_TQ_OK(s);
  EXPECT_THAT(Next(*q), ElementsAre(T("schedule", s->id)));
  ASSERT_TQ_OK(sched->ProcessReadyTasks(*q));
  EXPECT_THAT(Next(*q), IsEmpty());
  clock_.AdvanceSeconds(60);
  ASSERT_TQ_OK(sched->ProcessReadyTasks(*q));
  EXPECT_THAT(Next(*q), ElementsAre(T("promotion", s->id)));

  // A failed attempt with attempts left, then the final failure.
  ASSERT_TQ_OK(q->UnqueueTask(s->id));
  EXPECT_THAT(Next(*q), ElementsAre(T("remove", s->id)));
  const int64_t f = Enqueue(*q, "flaky x");
  Next(*q);
  ASSERT_EQ(Claim(*q), f);
  Next(*q);
  ASSERT_TQ_OK(q->FinishTask(f, Failure("first try")));
  EXPECT_THAT(Next(*q), ElementsAre(T("failed_attempt", f)));
  EXPECT_EQ(LastData()["error"], "first try");
  EXPECT_EQ(LastData()["retry_at"], clock_.NowMillis() + 30'000);
  clock_.AdvanceSeconds(30);
  ASSERT_TQ_OK(sched->ProcessReadyTasks(*q));
  EXPECT_THAT(Next(*q), ElementsAre(T("promotion", f)));
  ASSERT_EQ(Claim(*q), f);
  EXPECT_THAT(Next(*q), ElementsAre(T("start", f)));
  EXPECT_EQ(LastData()["attempt"], 2);
  ASSERT_TQ_OK(q->FinishTask(f, Failure("second try", 3)));
  EXPECT_THAT(Next(*q), ElementsAre(T("failed", f)));
  EXPECT_EQ(LastData()["error"], "second try");
  EXPECT_EQ(LastData()["exit_status"], 3);

  ASSERT_TQ_OK(q->Retry(f));
  EXPECT_THAT(Next(*q), ElementsAre(T("retry", f)));

  // A run stopped by a shutdown goes back to waiting.
  ASSERT_EQ(Claim(*q), f);
  Next(*q);
  RunOutcome aborted;
  aborted.kind = RunOutcome::Kind::kAborted;
  aborted.error = "daemon stopping";
  ASSERT_TQ_OK(q->FinishTask(f, aborted));
  EXPECT_THAT(Next(*q), ElementsAre(T("interrupted", f)));

  auto removed = q->Remove(f);
  ASSERT_TQ_OK(removed);
  EXPECT_TRUE(*removed);
  EXPECT_THAT(Next(*q), ElementsAre(T("remove", f)));

  ASSERT_TQ_OK(q->Pause());
  EXPECT_THAT(Next(*q), ElementsAre("paused:0"));
  ASSERT_TQ_OK(q->Resume());
  EXPECT_THAT(Next(*q), ElementsAre("unpaused:0"));
}

// A result or error that is not UTF-8 (a plugin's bytes) is recorded with
// U+FFFD in the event's JSON; it must not fail the run's recording, which a
// daemon would retry for ever.
TEST_F(QueueKueEventsTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t a = Enqueue(*q, "work a");
  const int64_t b = Enqueue(*q, "work b");
  ASSERT_EQ(Claim(*q), a);
  ASSERT_EQ(Claim(*q), b);
  Next(*q);
  ASSERT_TQ_OK(q->FinishTask(a, Success("caf\xc3 \xff")));
  EXPECT_THAT(Next(*q), ElementsAre(T("complete", a)));
  EXPECT_EQ(LastData()["result"], "caf\xef\xbf\xbd \xef\xbf\xbd");
  RunOutcome failed;
  failed.kind = RunOutcome::Kind::kFailure;
  failed.retryable = false;
  failed.error = "cannot execute /opt/\xfe";
  ASSERT_TQ_OK(q->FinishTask(b, failed));
  EXPECT_THAT(Next(*q), ElementsAre(T("failed", b)));
  EXPECT_EQ(LastData()["error"], "cannot execute /opt/\xef\xbf\xbd");
}

TEST_F(QueueKueEventsTest, DeferredAndResumed) {
  KueProcessor::Config tagged;
  tagged.tags_from_args = true;
  Register("lock", tagged);
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t first = Enqueue(*q, "lock user1 a");
  const int64_t second = Enqueue(*q, "lock user1 b");  // shares tag user1: waits
  ASSERT_NE(second, 0);
  Next(*q);
  ASSERT_EQ(Claim(*q), first);
  EXPECT_THAT(Next(*q), ElementsAre(T("start", first)));
  EXPECT_EQ(Claim(*q), 0);
  EXPECT_THAT(Next(*q), ElementsAre(T("deferred", second)));
  // Asking again while it is deferred writes nothing more.
  EXPECT_EQ(Claim(*q), 0);
  EXPECT_THAT(Next(*q), IsEmpty());
  ASSERT_TQ_OK(q->FinishTask(first, Success()));
  EXPECT_THAT(Next(*q), ElementsAre(T("complete", first), T("resumed", second)));
  EXPECT_EQ(Claim(*q), second);
}

TEST_F(QueueKueEventsTest, UnscheduleAndRemoveOfAScheduledTaskWriteRemove) {
  Register("work");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  auto sched = Scheduler::ForQueue(*q);
  ScheduleOptions later;
  later.delay_seconds = 600;
  auto a = sched->ScheduleTask("work a", later);
  auto b = sched->ScheduleTask("work b", later);
  ASSERT_TQ_OK(a);
  ASSERT_TQ_OK(b);
  Next(*q);
  ASSERT_TQ_OK(sched->UnscheduleTask(a->id));
  EXPECT_THAT(Next(*q), ElementsAre(T("remove", a->id)));
  auto removed = q->Remove(b->id);
  ASSERT_TQ_OK(removed);
  EXPECT_TRUE(*removed);
  EXPECT_THAT(Next(*q), ElementsAre(T("remove", b->id)));
}

TEST_F(QueueKueEventsTest, ReaderFollowsAcrossReopenWithoutMissingOrRepeating) {
  Register("work");
  std::vector<int64_t> all_ids;  // every event id the reader saw, in order
  int64_t cursor = 0;
  auto read_some = [&](const Queue& q, int64_t limit) {
    auto r = q.Events(cursor, limit);
    EXPECT_TRUE(r.ok());
    for (const auto& e : *r) {
      all_ids.push_back(e.id);
      cursor = e.id;
    }
    return r->size();
  };
  int64_t written = 0;
  for (int round = 0; round < 3; ++round) {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
    for (int i = 0; i < 25; ++i) {
      Enqueue(*q, "work r" + std::to_string(round) + "_" + std::to_string(i));
      ++written;
    }
    // Read only part of it in small pages before closing.
    for (int page = 0; page < 2; ++page) read_some(*q, 7);
  }
  // Pruning every event must not let ids be reused: a reader at the old
  // cursor would miss the new ones.
  clock_.AdvanceSeconds(8 * 24 * 3600);
  {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
    while (read_some(*q, 10) > 0) {
    }
    ASSERT_TQ_OK(q->PruneHistory());
    EXPECT_THAT(EventsSince(*q, 0), IsEmpty());
  }
  {
    auto q = OpenKue();
    ASSERT_NE(q, nullptr);
    for (int i = 0; i < 5; ++i) Enqueue(*q, "work after_prune" + std::to_string(i));
    written += 5;
  }
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  while (read_some(*q, 3) > 0) {
  }
  ASSERT_EQ(static_cast<int64_t>(all_ids.size()), written);
  for (size_t i = 1; i < all_ids.size(); ++i) {
    EXPECT_EQ(all_ids[i], all_ids[i - 1] + 1) << "at " << i;
  }
}

TEST_F(QueueKueEventsTest, ReaderFollowsWhileOtherProcessesWrite) {
  constexpr int kWriters = 3;
  constexpr int kPerWriter = 60;
  auto q = Open();  // the real clock: the writers use it too
  ASSERT_NE(q, nullptr);
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pids.push_back(ForkChild([&, w]() -> int {
      auto mine = Queue::Open(Options());
      if (!mine.ok()) return 1;
      for (int i = 0; i < kPerWriter; ++i) {
        auto r = (*mine)->QueueTask("noop w" + std::to_string(w) + "_" + std::to_string(i));
        if (!r.ok() || r->duplicate) return 2;
      }
      return 0;
    }));
  }
  std::set<int64_t> task_ids;
  int64_t cursor = 0, previous = 0;
  bool gap = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (task_ids.size() < kWriters * kPerWriter && std::chrono::steady_clock::now() < deadline) {
    auto r = q->Events(cursor, 17);
    ASSERT_TQ_OK(r);
    for (const auto& e : *r) {
      if (previous != 0 && e.id != previous + 1) gap = true;
      previous = cursor = e.id;
      EXPECT_EQ(e.type, "enqueue");
      EXPECT_TRUE(task_ids.insert(e.task_id).second) << "repeated task " << e.task_id;
    }
    if (r->empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (pid_t pid : pids) EXPECT_EQ(WaitExit(pid), 0);
  EXPECT_EQ(task_ids.size(), static_cast<size_t>(kWriters * kPerWriter));
  EXPECT_FALSE(gap) << "a reader saw a later id before an earlier one";
  EXPECT_THAT(EventsSince(*q, cursor), IsEmpty());
}

}  // namespace
}  // namespace taskqueue
