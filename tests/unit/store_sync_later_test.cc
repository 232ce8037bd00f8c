// Store::WithQueueSyncLater: a write transaction whose commit returns before
// it is on disk, for the records a restart repairs (taskqueued's claims,
// pids and ends). What must hold: the commit is there for every other
// connection when the call returns; with durability full the WAL file is
// synced in the background soon after (and at the latest when the store
// closes); a background sync that failed is reported, not swallowed, and
// costs no later transaction; with durability normal nothing changes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/test_util.h"
#include "state/state_vfs.h"
#include "state/store.h"

namespace taskqueue::state {
namespace {

using ::taskqueue::testing::TempDir;

// Records which files the store syncs, and fails the syncs it is told to.
struct SyncRecorder {
  std::mutex mu;
  std::vector<std::string> synced;  // the files' paths, in order
  std::atomic<int> fail_next{0};    // this many syncs fail with EIO

  int Sync(int fd) {
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char target[4096];
    const ssize_t n = ::readlink(link, target, sizeof target - 1);
    {
      std::lock_guard<std::mutex> lock(mu);
      synced.emplace_back(n > 0 ? std::string(target, static_cast<size_t>(n)) : "?");
    }
    if (fail_next > 0) {
      --fail_next;
      return EIO;
    }
    return ::fdatasync(fd) == 0 ? 0 : errno;
  }
  std::vector<std::string> Synced() {
    std::lock_guard<std::mutex> lock(mu);
    return synced;
  }
};

class StoreSyncLaterTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(Durability durability) {
    StoreOptions options;
    options.state_dir = dir_.path();
    options.name = "q";
    options.durability = durability;
    options.sync_file = [this](int fd) { return recorder_.Sync(fd); };
    auto store = Store::OpenSqlite(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static Status SetLater(Store& store, const std::string& key, const std::string& value) {
    return store.WithQueueSyncLater([&](QueueTxn& txn) {
      txn.SetMeta(key, value);
      return Status::OK();
    });
  }

  // An ordinary write: a change a caller asked for.
  static Status SetNow(Store& store, const std::string& key, const std::string& value) {
    return store.WithQueue(true, [&](QueueTxn& txn) {
      txn.SetMeta(key, value);
      return Status::OK();
    });
  }

  static std::string Read(Store& store, const std::string& key) {
    std::string value = "(none)";
    EXPECT_TRUE(store
                    .WithQueue(false,
                               [&](QueueTxn& txn) {
                                 value = txn.GetMeta(key).value_or("(none)");
                                 return Status::OK();
                               })
                    .ok());
    return value;
  }

  std::string WalPath() const { return (dir_.path() / "q_queue.db-wal").string(); }

  TempDir dir_;
  SyncRecorder recorder_;
};

TEST_F(StoreSyncLaterTest, ACommitIsVisibleToOtherConnectionsWhenTheCallReturns) {
  auto writer = Open(Durability::kFull);
  auto reader = Open(Durability::kFull);
  ASSERT_TRUE(writer && reader);
  ASSERT_TRUE(SetLater(*writer, "k", "v1").ok());
  EXPECT_EQ(Read(*reader, "k"), "v1");
}

TEST_F(StoreSyncLaterTest, WithDurabilityFullTheWalIsSyncedInTheBackground) {
  auto store = Open(Durability::kFull);
  ASSERT_TRUE(store);
  ASSERT_TRUE(SetLater(*store, "k", "v1").ok());
  ASSERT_TRUE(store->WaitSynced().ok());
  const auto synced = recorder_.Synced();
  ASSERT_FALSE(synced.empty());
  EXPECT_EQ(synced.back(), WalPath());
}

TEST_F(StoreSyncLaterTest, OnlyTheDeferredCommitsSkipSQLitesOwnSync) {
  auto store = Open(Durability::kFull);
  ASSERT_TRUE(store);
  ASSERT_TRUE(SetLater(*store, "k", "v0").ok());  // sets the connection up
  const uint64_t before = StateVfsWalSyncs();
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(SetLater(*store, "k", "v" + std::to_string(i)).ok());
  EXPECT_EQ(StateVfsWalSyncs(), before);

  // A caller's own change is on disk when the call returns, even between
  // deferred commits on the same connection.
  ASSERT_TRUE(SetNow(*store, "k", "asked for").ok());
  const uint64_t after_ordinary = StateVfsWalSyncs();
  EXPECT_GT(after_ordinary, before);

  ASSERT_TRUE(SetLater(*store, "k", "v4").ok());
  EXPECT_EQ(StateVfsWalSyncs(), after_ordinary);
}

TEST_F(StoreSyncLaterTest, ClosingTheStoreSyncsWhatIsPending) {
  auto store = Open(Durability::kFull);
  ASSERT_TRUE(store);
  ASSERT_TRUE(SetLater(*store, "k", "v1").ok());
  store.reset();  // no WaitSynced: the destructor must still sync
  const auto synced = recorder_.Synced();
  ASSERT_FALSE(synced.empty());
  EXPECT_EQ(synced.back(), WalPath());
}

TEST_F(StoreSyncLaterTest, AFailedBackgroundSyncIsReportedAndTheNextCallRunsNothing) {
  auto store = Open(Durability::kFull);
  ASSERT_TRUE(store);
  recorder_.fail_next = 1;
  ASSERT_TRUE(SetLater(*store, "k", "v1").ok());
  Status waited = store->WaitSynced();
  EXPECT_EQ(waited.code(), Status::Code::kIOError);
  EXPECT_NE(waited.message().find(WalPath()), std::string::npos) << waited.message();

  Status next = SetLater(*store, "k", "v2");
  EXPECT_EQ(next.code(), Status::Code::kIOError) << next.ToString();
  EXPECT_NE(next.message().find("to disk failed"), std::string::npos) << next.message();
  EXPECT_EQ(Read(*store, "k"), "v1");  // the refused call changed nothing

  // Reported once: the store goes on as usual.
  ASSERT_TRUE(SetLater(*store, "k", "v3").ok());
  EXPECT_TRUE(store->WaitSynced().ok());
  EXPECT_EQ(Read(*store, "k"), "v3");
}

TEST_F(StoreSyncLaterTest, AFailedTransactionCommitsNothing) {
  auto store = Open(Durability::kFull);
  ASSERT_TRUE(store);
  Status failed = store->WithQueueSyncLater([](QueueTxn& txn) {
    txn.SetMeta("k", "half");
    return Status::InvalidArgument("changed my mind");
  });
  EXPECT_EQ(failed.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Read(*store, "k"), "(none)");
  // An ordinary write transaction afterwards works as before.
  ASSERT_TRUE(SetNow(*store, "k", "full").ok());
  EXPECT_EQ(Read(*store, "k"), "full");
}

TEST_F(StoreSyncLaterTest, WithDurabilityNormalNothingIsSyncedInTheBackground) {
  auto store = Open(Durability::kNormal);
  ASSERT_TRUE(store);
  ASSERT_TRUE(SetLater(*store, "k", "v1").ok());
  EXPECT_TRUE(store->WaitSynced().ok());
  store.reset();
  EXPECT_TRUE(recorder_.Synced().empty());
}

}  // namespace
}  // namespace taskqueue::state
