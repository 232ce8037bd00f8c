// Per-command concurrency under the daemon (SPEC §4.1 `concurrency`): a
// command's `concurrency` caps how many of its tasks run at once, on top of
// max_running. The cap never makes the daemon idle: while the capped
// command's tasks wait at the head of the queue, tasks of another command
// queued behind them take the slots max_running still has.

#include <map>

#include "integration/ctl_daemon_test_util.h"

namespace taskqueue::testing {
namespace {

class DaemonConcurrencyTest : public CtlDaemonTest {
 protected:
  // The ids ("TQ:TaskQueue:<n>") of the tasks queued by one `queue` call,
  // in order.
  std::vector<std::string> Queue(const std::vector<std::string>& commands) const {
    std::vector<std::string> args = {"queue"};
    args.insert(args.end(), commands.begin(), commands.end());
    std::vector<std::string> ids;
    for (const auto& o : CtlJson(args)) {
      EXPECT_EQ(o["result"], "queued") << o.dump();
      if (o["id"].is_string()) ids.push_back(o["id"]);
    }
    return ids;
  }
};

TEST_F(DaemonConcurrencyTest, CommandConcurrencyCapsItsTasksWhileOthersUseMaxRunning) {
  constexpr int kMaxRunning = 4;
  constexpr int kCap = 2;
  constexpr int kCapped = 12;
  constexpr int kOthers = 6;
  const auto records = tmp() / "records";
  const auto go = tmp() / "go";
  // Each run records its start, waits for the go file (so the test can look
  // at what runs at once), works a little and records its end.
  const std::string work = RecordCommand(records, "start") + "; while [ ! -e " + go.string() +
                           " ]; do sleep 0.02; done; sleep 0.1; " + RecordCommand(records, "end");
  WriteShellPlugin("capped", work, nlohmann::json{{"concurrency", kCap}}.dump());
  WriteShellPlugin("other", work);

  auto daemon = StartDaemon({"--max-running", std::to_string(kMaxRunning)});
  ASSERT_TRUE(daemon);
  // The capped tasks first: the others queue behind ten waiting ones.
  std::vector<std::string> capped_cmds, other_cmds;
  for (int i = 0; i < kCapped; ++i) capped_cmds.push_back("capped " + std::to_string(i));
  for (int i = 0; i < kOthers; ++i) other_cmds.push_back("other " + std::to_string(i));
  std::map<std::string, std::string> command_of;
  for (const auto& id : Queue(capped_cmds)) command_of[id] = "capped";
  for (const auto& id : Queue(other_cmds)) command_of[id] = "other";
  ASSERT_EQ(command_of.size(), size_t(kCapped + kOthers));

  auto started = [&](const std::string& command) {
    int n = 0;
    for (const auto& r : ReadRecords(records)) {
      n += r.event == "start" && command_of[r.task] == command ? 1 : 0;
    }
    return n;
  };
  // Every slot gets busy: two capped tasks (the cap) and two others, which
  // were queued behind the waiting capped ones.
  ASSERT_TRUE(WaitUntil([&] { return started("capped") + started("other") >= kMaxRunning; },
                        std::chrono::seconds(30)))
      << "only " << started("capped") << " capped and " << started("other")
      << " other tasks started: max_running is not used in full\n"
      << daemon->Log();
  EXPECT_EQ(started("capped"), kCap) << "capped tasks running at once";
  EXPECT_EQ(started("other"), kMaxRunning - kCap) << "other tasks running at once";
  auto counts = Counts();
  EXPECT_EQ(counts["processing"], kMaxRunning) << counts.dump();
  EXPECT_EQ(counts["waiting"], kCapped + kOthers - kMaxRunning) << counts.dump();

  std::ofstream(go) << "";
  ASSERT_TRUE(WaitForComplete(kCapped + kOthers)) << Counts().dump() << daemon->Log();
  StopDaemon(*daemon);

  auto all = ReadRecords(records);
  std::map<std::string, int> starts, ends;
  for (const auto& r : all) (r.event == "start" ? starts : ends)[r.task]++;
  for (const auto& [id, command] : command_of) {
    EXPECT_EQ(starts[id], 1) << id;
    EXPECT_EQ(ends[id], 1) << id;
  }
  const auto only = [&](const std::string& command) {
    std::vector<Record> out;
    for (const auto& r : all) {
      if (command_of[r.task] == command) out.push_back(r);
    }
    return out;
  };
  // The cap held throughout, also once the others were done and slots were
  // free; and it was reached.
  EXPECT_EQ(MaxOverlap(only("capped"), WallNanos()), kCap);
  // All together, max_running was used in full and never exceeded.
  EXPECT_EQ(MaxOverlap(all, WallNanos()), kMaxRunning);
}

}  // namespace
}  // namespace taskqueue::testing
