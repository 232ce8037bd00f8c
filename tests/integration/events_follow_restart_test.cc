// Events followed across a daemon restart (SPEC §5 `events`, the durable
// event log): `taskqueuectl --json events --follow` keeps printing while
// tasks run, while the daemon is stopped (SIGTERM, by pid) and a run is
// interrupted, while the CLI queues tasks with no daemon running, and after
// the daemon starts again. It prints every event exactly once, ids strictly
// increasing, none missing: the same lines as `events --json` read from 0
// at the end. A follower that is stopped and resumed with `--since ID` of
// the last line it printed gets the rest, again with nothing missing or
// repeated.

#include <algorithm>
#include <map>

#include "integration/ctl_daemon_test_util.h"

namespace taskqueue::testing {
namespace {

using std::chrono::seconds;

class EventsFollowRestartTest : public CtlDaemonTest {
 protected:
  // `taskqueuectl --json events --follow [--since ID]` in the background.
  void StartFollower(BackgroundProcess& p, int64_t since = 0) const {
    std::vector<std::string> args = {"--json", "events", "--follow"};
    if (since > 0) {
      args.push_back("--since");
      args.push_back(std::to_string(since));
    }
    ASSERT_TRUE(p.Start(CtlArgv(args), Options())) << p.result().err;
  }

  static int64_t LastId(const std::vector<nlohmann::json>& events) {
    return events.empty() ? 0 : events.back()["id"].get<int64_t>();
  }

  // Reads the follower's output until it has printed event `id`.
  static bool ReadUpTo(BackgroundProcess& p, int64_t id) {
    return p.ReadUntil([&](const std::string& out) { return LastId(JsonLines(out)) >= id; },
                       std::chrono::seconds(30));
  }

  static std::vector<int64_t> Ids(const std::vector<nlohmann::json>& events) {
    std::vector<int64_t> ids;
    for (const auto& e : events) ids.push_back(e["id"].get<int64_t>());
    return ids;
  }

  // Queues each string, expecting each to be queued; their numeric ids.
  std::vector<int64_t> Queue(const std::vector<std::string>& commands) const {
    std::vector<std::string> args = {"queue"};
    args.insert(args.end(), commands.begin(), commands.end());
    std::vector<int64_t> ids;
    for (const auto& o : CtlJson(args)) {
      EXPECT_EQ(o["result"], "queued") << o.dump();
      if (!o["id"].is_string()) continue;
      const std::string id = o["id"];
      ids.push_back(std::stoll(id.substr(id.rfind(':') + 1)));
    }
    return ids;
  }
};

TEST_F(EventsFollowRestartTest, FollowerSeesEveryEventOnceAcrossADaemonRestart) {
  const auto go = tmp() / "go";
  WriteShellPlugin("step", "exit 0");
  // hold: runs until the test creates the go file.
  WriteShellPlugin("hold", "while [ ! -e " + go.string() + " ]; do sleep 0.02; done");

  // Two followers from the very beginning, before the queue exists: one
  // throughout, one stopped while the daemon is down.
  BackgroundProcess whole, early;
  StartFollower(whole);
  StartFollower(early);

  // 1. A daemon runs three tasks, and one that is still running when it is
  //    stopped: that run is interrupted.
  auto daemon = StartDaemon({"--max-running", "2", "--shutdown-grace", "0", "--kill-grace", "1"});
  ASSERT_TRUE(daemon);
  const auto held = Queue({"hold"});
  const auto first = Queue({"step 1", "step 2", "step 3"});
  ASSERT_TRUE(WaitForCounts([](const nlohmann::json& c) {
    return c["complete"] == 3 && c["processing"] == 1;
  })) << Counts().dump()
      << daemon->Log();
  StopDaemon(*daemon);
  daemon.reset();

  // 2. No daemon: the CLI queues, pauses and resumes. These are events too,
  //    and the followers print them while no daemon runs.
  auto status = CtlJson({"status"});
  EXPECT_TRUE(status["daemon_pid"].is_null()) << status.dump();
  EXPECT_EQ(status["counts"]["waiting"], 1) << "the interrupted task waits to run again";
  const auto while_down = Queue({"step 4", "step 5", "step 6"});
  ASSERT_EQ(Ctl({"pause"}).exit_code, 0);
  ASSERT_EQ(Ctl({"resume"}).exit_code, 0);
  const auto down_events = AllEvents();
  ASSERT_TRUE(ReadUpTo(whole, LastId(down_events))) << Describe(whole.result());
  ASSERT_TRUE(ReadUpTo(early, LastId(down_events))) << Describe(early.result());
  const ProcessResult& stopped = early.Stop(SIGTERM, seconds(10));
  EXPECT_FALSE(stopped.timed_out);
  const auto early_part = JsonLines(stopped.out);

  // 3. The daemon again: the interrupted task runs again, then the ones
  //    queued while it was down, then more.
  std::ofstream(go) << "";
  daemon = StartDaemon({"--max-running", "2"});
  ASSERT_TRUE(daemon);
  ASSERT_TRUE(WaitForComplete(7)) << Counts().dump() << daemon->Log();
  const auto after = Queue({"step 7", "step 8", "step 9"});
  ASSERT_TRUE(WaitForComplete(10)) << Counts().dump() << daemon->Log();
  StopDaemon(*daemon);

  // The whole log, read from 0 at the end.
  const auto all = AllEvents();
  ASSERT_FALSE(all.empty());
  const auto ids = Ids(all);
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<int64_t>()) ==
              ids.end())
      << "event ids are not strictly increasing";

  // The follower that ran throughout printed exactly that.
  ASSERT_TRUE(ReadUpTo(whole, LastId(all))) << Describe(whole.result());
  const ProcessResult& followed = whole.Stop(SIGTERM, seconds(10));
  EXPECT_FALSE(followed.timed_out);
  EXPECT_EQ(Ids(JsonLines(followed.out)), ids);
  EXPECT_EQ(JsonLines(followed.out), all);

  // The stopped one, resumed from the last id it printed, completes it.
  ASSERT_FALSE(early_part.empty());
  ProcessResult rest = Ctl({"--json", "events", "--since", std::to_string(LastId(early_part))});
  ASSERT_EQ(rest.exit_code, 0) << Describe(rest);
  auto joined = early_part;
  for (auto& e : JsonLines(rest.out)) joined.push_back(std::move(e));
  EXPECT_EQ(joined, all);
  // And so does a new follower from that id, which then waits for more.
  BackgroundProcess resumed;
  StartFollower(resumed, LastId(early_part));
  ASSERT_TRUE(ReadUpTo(resumed, LastId(all))) << Describe(resumed.result());
  joined = early_part;
  for (auto& e : JsonLines(resumed.Stop(SIGTERM, seconds(10)).out)) joined.push_back(std::move(e));
  EXPECT_EQ(joined, all);

  // What the log says happened: each task queued once and completed once;
  // the held one started twice, interrupted by the stop in between; the
  // ones queued while no daemon ran were printed by the follower before it
  // was stopped, during the down time; pause and resume are queue-wide
  // events.
  std::map<int64_t, std::vector<std::string>> by_task;
  std::vector<std::string> queue_wide;
  for (const auto& e : all) {
    EXPECT_TRUE(e.contains("time") && e["time"].is_number_integer()) << e.dump();
    if (e["task_id"].is_null()) {
      queue_wide.push_back(e["type"]);
    } else {
      by_task[e["task_id"].get<int64_t>()].push_back(e["type"]);
    }
  }
  EXPECT_EQ(queue_wide, (std::vector<std::string>{"paused", "unpaused"}));
  using Types = std::vector<std::string>;
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(by_task[held[0]], (Types{"enqueue", "start", "interrupted", "start", "complete"}));
  for (const auto* group : {&first, &while_down, &after}) {
    for (int64_t id : *group) {
      EXPECT_EQ(by_task[id], (Types{"enqueue", "start", "complete"})) << "task " << id;
    }
  }
  EXPECT_EQ(by_task.size(), 10u);
  std::map<int64_t, size_t> position;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i]["type"] == "enqueue") position[all[i]["task_id"].get<int64_t>()] = i;
  }
  for (int64_t id : while_down) {
    EXPECT_LT(position[id], early_part.size()) << "printed by the follower before it stopped";
  }
}

}  // namespace
}  // namespace taskqueue::testing
