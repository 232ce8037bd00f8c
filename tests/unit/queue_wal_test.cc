// The write-ahead log of a queue that only short-lived processes use (a
// shell script calling `taskqueuectl queue` with no daemon running) stays
// bounded. Connections skip SQLite's checkpoint on close, and a process that
// opens a file nobody else holds open rebuilds the WAL index by reading the
// whole WAL; without a bound every call read everything every earlier call
// wrote (measured: 7 calls/s at 100,000 queued tasks).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::TempDir;

TEST(QueueWalTest, ShortLivedOpenersKeepTheWalBounded) {
  TempDir dir;
  QueueOptions options;
  options.state_dir = dir.path();
  options.durability = Durability::kNormal;  // the WAL's growth is the same
  const auto wal = dir.path() / "tasks_queue.db-wal";

  // One commit per open, as a CLI call makes: a process that commits again
  // after an automatic checkpoint restarts the WAL from its start itself.
  constexpr int kOpens = 1200;
  constexpr int kTasksPerOpen = 1;  // about 10 WAL frames each
  std::uintmax_t largest = 0;
  for (int open = 0; open < kOpens; ++open) {
    auto q = Queue::Open(options);
    ASSERT_TQ_OK(q);
    for (int i = 0; i < kTasksPerOpen; ++i) {
      auto r = (*q)->QueueTask("noop o" + std::to_string(open) + "-" + std::to_string(i));
      ASSERT_TQ_OK(r);
    }
    q->reset();
    ASSERT_TRUE(std::filesystem::exists(wal));
    largest = std::max(largest, std::filesystem::file_size(wal));
  }
  // Unbounded, the WAL holds every frame ever written: about 50 MiB here,
  // and the test takes ten times as long.
  EXPECT_LT(largest, 4u << 20) << "largest WAL: " << largest << " bytes";

  auto q = Queue::Open(options);
  ASSERT_TQ_OK(q);
  auto waiting = (*q)->Count(TaskState::kWaiting);
  ASSERT_TQ_OK(waiting);
  EXPECT_EQ(*waiting, kOpens * kTasksPerOpen);
}

}  // namespace
}  // namespace taskqueue
