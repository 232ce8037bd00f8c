// The write-ahead log of a queue that only short-lived processes use (a
// shell script calling `taskqueuectl queue` with no daemon running) stays
// bounded. Connections skip SQLite's checkpoint on close, and a process that
// opens a file nobody else holds open rebuilds the WAL index by reading the
// whole WAL; without a bound every call read everything every earlier call
// wrote (measured: 7 calls/s at 100,000 queued tasks).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>

#include "fakes/test_util.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

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

// A long-lived opener (a daemon, a producer looping in one process) never
// closes, so only the automatic checkpoint bounds its WAL: at about 4 MiB,
// whatever the page size, after which the WAL is reused from its start.
TEST(QueueWalTest, ALongLivedOpenerCheckpointsAtAboutFourMebibytes) {
  TempDir dir;
  QueueOptions options;
  options.state_dir = dir.path();
  options.durability = Durability::kNormal;
  const auto wal = dir.path() / "tasks_queue.db-wal";
  auto q = Queue::Open(options);
  ASSERT_TQ_OK(q);
  // About 10 frames of 1 KiB each: unbounded, the WAL would reach 30 MiB.
  std::uintmax_t largest = 0;
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TQ_OK((*q)->QueueTask("noop l" + std::to_string(i)));
    largest = std::max(largest, std::filesystem::file_size(wal));
  }
  EXPECT_GT(largest, 3u << 20) << "checkpointed more often than every 4 MiB";
  EXPECT_LT(largest, 5u << 20) << "the WAL grew past its checkpoint threshold";
  EXPECT_GT(std::filesystem::file_size(dir.path() / "tasks_queue.db"), 512u << 10)
      << "no checkpoint copied the tasks into the database file";
}

// Trimming never waits: while another process reads (here a raw SQLite
// reader holding a snapshot), a closing connection leaves the WAL as it is
// and closes at once instead of waiting out the busy timeout.
TEST(QueueWalTest, ClosingNeverWaitsForAnotherReader) {
  TempDir dir;
  QueueOptions options;
  options.state_dir = dir.path();
  options.durability = Durability::kNormal;
  options.busy_timeout = std::chrono::seconds(10);
  {
    auto q = Queue::Open(options);  // creates the file
    ASSERT_TQ_OK(q);
  }
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "tasks_queue.db").c_str(), &reader), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM tasks;", nullptr, nullptr, nullptr),
            SQLITE_OK);

  auto q = Queue::Open(options);
  ASSERT_TQ_OK(q);
  for (int i = 0; i < 60; ++i) {  // well past the trimming threshold
    ASSERT_TQ_OK((*q)->QueueTask("noop r" + std::to_string(i)));
  }
  const auto start = std::chrono::steady_clock::now();
  q->reset();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_GT(std::filesystem::file_size(dir.path() / "tasks_queue.db-wal"), 0u);

  sqlite3_exec(reader, "COMMIT;", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
  auto again = Queue::Open(options);
  ASSERT_TQ_OK(again);
  auto waiting = (*again)->Count(TaskState::kWaiting);
  ASSERT_TQ_OK(waiting);
  EXPECT_EQ(*waiting, 60);
}

// The page size of a state file, read with a raw SQLite connection.
int PageSize(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr), SQLITE_OK);
  int size = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) size = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return size;
}

// New state files use 1 KiB pages: a task's commit rewrites whole pages
// (each index entry it touches costs one), and smaller pages cost less to
// checksum, copy and write. A file made with SQLite's default 4 KiB pages
// (every file before this change) keeps them and works as before.
TEST(QueueWalTest, NewStateFilesUseSmallPagesAndOlderFilesKeepTheirs) {
  TempDir dir;
  QueueOptions options;
  options.state_dir = dir.path();
  options.durability = Durability::kNormal;
  {
    auto q = Queue::Open(options);
    ASSERT_TQ_OK(q);
    ASSERT_TQ_OK((*q)->QueueTask("noop before"));
    auto s = Scheduler::Open(options);
    ASSERT_TQ_OK(s);
    ScheduleOptions later;
    later.delay_seconds = 3600;
    ASSERT_TQ_OK((*s)->ScheduleTask("noop later", later));
  }
  const auto queue_file = dir.path() / "tasks_queue.db";
  EXPECT_EQ(PageSize(queue_file), 1024);
  EXPECT_EQ(PageSize(dir.path() / "tasks_sched.db"), 1024);

  // Rebuild the queue file with 4 KiB pages, as older versions made it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(queue_file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM; "
                         "PRAGMA journal_mode=WAL;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_EQ(PageSize(queue_file), 4096);

  auto q = Queue::Open(options);
  ASSERT_TQ_OK(q);
  ASSERT_TQ_OK((*q)->QueueTask("noop after"));
  for (const char* expected : {"noop before", "noop after"}) {
    auto claimed = (*q)->ClaimNext();
    ASSERT_TQ_OK(claimed);
    ASSERT_TRUE(claimed->has_value());
    EXPECT_EQ((*claimed)->full_command(), expected);
  }
  EXPECT_EQ(PageSize(queue_file), 4096);
}

}  // namespace
}  // namespace taskqueue
