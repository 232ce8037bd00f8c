// QueueOptions::sqlite_memory_statistics: SQLite's memory statistics are
// process-wide and can only be turned off before SQLite's first use in the
// process. Each case runs in a process of its own (a "threadsafe" death
// test re-executes this binary for it), where the queue opened is that
// first use; the exit status tells what sqlite3_memory_used() saw.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>

#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::TempDir;

// Opens a queue in `dir` as the process's first use of SQLite, queues a
// task, and exits 0 if SQLite then counts memory in use, 1 if it does not
// (2 if the queue failed).
[[noreturn]] void OpenQueueAndExit(const std::filesystem::path& dir, bool statistics) {
  QueueOptions options;
  options.state_dir = dir;
  options.sqlite_memory_statistics = statistics;
  auto queue = Queue::Open(options);
  if (!queue.ok() || !(*queue)->QueueTask("noop").ok()) std::_Exit(2);
  std::_Exit(sqlite3_memory_used() > 0 ? 0 : 1);
}

class SqliteMemoryStatisticsTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  TempDir dir_;
};

TEST_F(SqliteMemoryStatisticsTest, AreKeptByDefault) {
  EXPECT_EXIT(OpenQueueAndExit(dir_.path(), true), ::testing::ExitedWithCode(0), "");
}

TEST_F(SqliteMemoryStatisticsTest, AreTurnedOffByAFirstOpenThatAsks) {
  EXPECT_EXIT(OpenQueueAndExit(dir_.path(), false), ::testing::ExitedWithCode(1), "");
}

}  // namespace
}  // namespace taskqueue
