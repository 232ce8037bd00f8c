// WorkThreads runs in-process work with a timeout on threads kept between
// tasks; a thread whose work timed out is abandoned, never reused.
#include "work_threads.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include "fakes/fork_util.h"

namespace taskqueue {
namespace {

using std::chrono::milliseconds;
using ::taskqueue::testing::ForkChild;
using ::taskqueue::testing::WaitExit;
constexpr milliseconds kLong{60'000};  // never reached when all is well

TEST(WorkThreadsTest, ReturnsTheWorksResultOrError) {
  WorkThreads threads;
  auto ok = threads.Run([] { return Result<std::string>("done"); }, kLong);
  ASSERT_TRUE(ok.has_value());
  ASSERT_TRUE(ok->ok());
  EXPECT_EQ(**ok, "done");

  auto failed = threads.Run([] { return Result<std::string>(Status::IOError("disk")); }, kLong);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status().message(), "disk");
}

TEST(WorkThreadsTest, AnExceptionBecomesAnAbortedResult) {
  WorkThreads threads;
  auto r = threads.Run([]() -> Result<std::string> { throw std::runtime_error("boom"); }, kLong);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), Status::Code::kAborted);
  EXPECT_EQ(r->status().message(), "processor threw: boom");
}

TEST(WorkThreadsTest, KeepsItsThreadBetweenRuns) {
  WorkThreads threads;
  std::thread::id first, second;
  threads.Run(
      [&] {
        first = std::this_thread::get_id();
        return Result<std::string>("");
      },
      kLong);
  threads.Run(
      [&] {
        second = std::this_thread::get_id();
        return Result<std::string>("");
      },
      kLong);
  EXPECT_NE(first, std::this_thread::get_id());
  EXPECT_EQ(first, second);
}

TEST(WorkThreadsTest, TimedOutWorkIsAbandonedAndItsThreadNeverReused) {
  WorkThreads threads;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<std::thread::id> stuck_id;
  auto r = threads.Run(
      [&stuck_id, released] {
        stuck_id.set_value(std::this_thread::get_id());
        released.wait();
        return Result<std::string>("late");
      },
      milliseconds(1));
  EXPECT_FALSE(r.has_value());
  const std::thread::id stuck = stuck_id.get_future().get();

  std::thread::id next;
  auto r2 = threads.Run(
      [&] {
        next = std::this_thread::get_id();
        return Result<std::string>("next");
      },
      kLong);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(**r2, "next");
  EXPECT_NE(next, stuck);
  release.set_value();  // the abandoned thread finishes and exits on its own
}

TEST(WorkThreadsTest, ConcurrentCallersRunAtTheSameTime) {
  WorkThreads threads;
  // Each work waits for the other to have started: they can only both
  // finish if they run on two threads at once.
  std::promise<void> a_started, b_started;
  auto a_seen = a_started.get_future().share();
  auto b_seen = b_started.get_future().share();
  auto other = std::async(std::launch::async, [&] {
    return threads.Run(
        [&] {
          b_started.set_value();
          a_seen.wait();
          return Result<std::string>("b");
        },
        kLong);
  });
  auto mine = threads.Run(
      [&] {
        a_started.set_value();
        b_seen.wait();
        return Result<std::string>("a");
      },
      kLong);
  auto theirs = other.get();
  ASSERT_TRUE(mine.has_value());
  ASSERT_TRUE(theirs.has_value());
  EXPECT_EQ(**mine, "a");
  EXPECT_EQ(**theirs, "b");
}

// A program may open a queue, process a task, then fork workers that go on
// using it: a child has none of its parent's threads and must not wait for
// them.
TEST(WorkThreadsTest, AForkedChildRunsWorkOnThreadsOfItsOwn) {
  WorkThreads threads;
  ASSERT_TRUE(threads.Run([] { return Result<std::string>("parent"); }, kLong).has_value());
  const pid_t child = ForkChild([&threads] {
    auto r = threads.Run([] { return Result<std::string>("child"); }, milliseconds(5000));
    return r.has_value() && r->ok() && **r == "child" ? 0 : 1;
  });
  ASSERT_GT(child, 0);
  EXPECT_EQ(WaitExit(child), 0);
}

}  // namespace
}  // namespace taskqueue
