// WalSyncer: the background fdatasync behind Store::WithQueueSyncLater. What
// must hold: a request made long after the last sync is synced at once;
// requests made sooner than the interval share one sync; stopping syncs what
// is pending without waiting out the interval; a WAL that does not exist
// (not made yet, or checkpointed away) is nothing to sync.
#include "state/wal_syncer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <vector>

#include "fakes/test_util.h"

namespace taskqueue::state {
namespace {

using std::chrono::milliseconds;
using ::taskqueue::testing::TempDir;

class WalSyncerTest : public ::testing::Test {
 protected:
  WalSyncerTest() { std::ofstream(wal_) << "frames"; }

  WalSyncer::SyncFn Counting() {
    return [this](int) {
      ++syncs_;
      return 0;
    };
  }

  TempDir dir_;
  const std::filesystem::path wal_ = dir_.path() / "q_queue.db-wal";
  std::atomic<int> syncs_{0};
};

TEST_F(WalSyncerTest, TheFirstRequestIsSyncedAtOnce) {
  // An interval far longer than the test: only "at once" can pass.
  WalSyncer syncer(wal_, Counting(), milliseconds(600'000));
  syncer.Request();
  EXPECT_TRUE(syncer.WaitSynced().ok());
  EXPECT_EQ(syncs_, 1);
}

TEST_F(WalSyncerTest, RequestsWithinTheIntervalShareOneSyncStartedWhenItEnds) {
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> starts;  // written by the syncer's thread
  // Long enough that the five requests below cannot straddle it on a busy
  // machine (with 50 ms, a preempted test thread once made three syncs).
  const milliseconds interval(300);
  WalSyncer syncer(
      wal_,
      [&](int) {
        starts.push_back(Clock::now());
        return 0;
      },
      interval);
  syncer.Request();
  ASSERT_TRUE(syncer.WaitSynced().ok());
  for (int i = 0; i < 5; ++i) syncer.Request();
  ASSERT_TRUE(syncer.WaitSynced().ok());  // happens-after every sync so far
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_GE(starts[1] - starts[0], interval);
}

TEST_F(WalSyncerTest, AStopSyncsWhatIsPendingWithoutWaitingOutTheInterval) {
  {
    WalSyncer syncer(wal_, Counting(), milliseconds(600'000));
    syncer.Request();
    ASSERT_TRUE(syncer.WaitSynced().ok());
    for (int i = 0; i < 5; ++i) syncer.Request();
  }  // the destructor returns long before ten minutes
  EXPECT_EQ(syncs_, 2);
}

TEST_F(WalSyncerTest, WithoutAnIntervalEveryRequestIsCoveredBeforeWaitSyncedReturns) {
  WalSyncer syncer(wal_, Counting());
  for (int i = 0; i < 20; ++i) {
    syncer.Request();
    ASSERT_TRUE(syncer.WaitSynced().ok());
    EXPECT_EQ(syncs_, i + 1);
  }
}

TEST_F(WalSyncerTest, AMissingWalIsNothingToSync) {
  std::filesystem::remove(wal_);
  WalSyncer syncer(wal_, Counting());
  syncer.Request();
  EXPECT_TRUE(syncer.WaitSynced().ok());
  EXPECT_EQ(syncs_, 0);
  EXPECT_TRUE(syncer.TakeError().ok());
}

TEST_F(WalSyncerTest, AReplacedWalIsOpenedAgain) {
  auto inode = [](const std::filesystem::path& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  };
  ino_t synced = 0;
  WalSyncer syncer(wal_, [&](int fd) {
    struct stat st;
    synced = ::fstat(fd, &st) == 0 ? st.st_ino : 0;
    return 0;
  });
  syncer.Request();
  ASSERT_TRUE(syncer.WaitSynced().ok());
  EXPECT_EQ(synced, inode(wal_));
  // The old file stays open in the syncer, so the new one gets another inode.
  std::filesystem::remove(wal_);
  std::ofstream(wal_) << "a new WAL";
  syncer.Request();
  ASSERT_TRUE(syncer.WaitSynced().ok());
  EXPECT_EQ(synced, inode(wal_));
}

}  // namespace
}  // namespace taskqueue::state
