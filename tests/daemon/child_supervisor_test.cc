// ChildSupervisor::Discard: a child started inside a claim's transaction
// (before its commit) whose commit then failed must not outlive the claim.
// Its whole process group is killed and reaped, and its journal note is
// dropped, so that neither this daemon nor a restarted one supervises a run
// the database never recorded.
#include "child_supervisor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fakes/test_processors.h"
#include "fakes/test_util.h"
#include "spawn_journal.h"
#include "waker.h"

namespace taskqueue::daemon {
namespace {

using ::taskqueue::testing::ProcessGone;
using ::taskqueue::testing::ReadFile;
using ::taskqueue::testing::TempDir;
using ::taskqueue::testing::WaitUntil;

// Runs a shell script given at construction.
class ScriptProcessor : public ChildProcessor {
 public:
  explicit ScriptProcessor(std::string script) : script_(std::move(script)) {}
  std::vector<std::string> Argv(const Task&) const override { return {"/bin/sh", "-c", script_}; }

 private:
  std::string script_;
};

TEST(ChildSupervisorTest, DiscardKillsTheChildsGroupAndDropsItsJournalNote) {
  TempDir dir;
  QueueOptions options;
  options.state_dir = dir.path();
  options.durability = Durability::kNormal;
  auto queue = Queue::Open(options);
  ASSERT_TQ_OK(queue);
  auto waker = Waker::Create(dir.path(), "tasks");
  ASSERT_TQ_OK(waker);
  const auto journal_path = dir.path() / "tasks.daemon.spawns";
  auto journal = SpawnJournal::Open(journal_path);
  ASSERT_TQ_OK(journal);

  // The child starts a grandchild in its group, writes both pids, and waits.
  const auto pids = dir.path() / "pids";
  auto processor = std::make_shared<ScriptProcessor>(
      "sleep 300 & echo $! > " + pids.string() + ".tmp; echo $$ >> " + pids.string() + ".tmp; mv " +
      pids.string() + ".tmp " + pids.string() + "; wait");
  Task task;
  task.id = 7;
  task.command = "hold";
  task.attempts_made = 1;
  task.seq = 3;
  {
    ChildSupervisor supervisor(**queue, **waker, **journal, std::chrono::milliseconds(100));
    ASSERT_TQ_OK(supervisor.Start(task, processor, ChildLimits{}, /*before_commit=*/true));
    ASSERT_EQ(supervisor.size(), 1u);
    ASSERT_TRUE(WaitUntil([&] { return std::filesystem::exists(pids); }));
    std::vector<pid_t> group;
    std::ifstream in(pids);
    for (pid_t p; in >> p;) group.push_back(p);
    ASSERT_EQ(group.size(), 2u) << ReadFile(pids);
    const pid_t child = group[1];
    const auto noted = SpawnJournal::ReadLeftovers(journal_path);
    ASSERT_EQ(noted.count(task.id), 1u);
    EXPECT_EQ(noted.at(task.id).pid, child);

    supervisor.Discard(task.id);

    EXPECT_EQ(supervisor.size(), 0u);
    // The child itself is reaped, not left a zombie...
    int status = 0;
    EXPECT_EQ(::waitpid(child, &status, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
    // ...and nothing of its group survives.
    for (pid_t p : group) {
      EXPECT_TRUE(WaitUntil([&] { return ProcessGone(p); })) << "pid " << p << " survived";
    }
    // A daemon restarted now would find no note to adopt or count.
    EXPECT_EQ(SpawnJournal::ReadLeftovers(journal_path).count(task.id), 0u);
  }
}

}  // namespace
}  // namespace taskqueue::daemon
