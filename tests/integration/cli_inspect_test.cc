// taskqueuectl list, find, status, info, search, events and log: human
// tables, --json shapes and exit codes.

#include <fcntl.h>
#include <unistd.h>

#include "integration/cli_test_util.h"

namespace taskqueue::testing {
namespace {

using ::testing::HasSubstr;

class CliInspectTest : public CliTest {
 protected:
  // Keys every task object carries (SPEC §5).
  static void ExpectTaskObject(const nlohmann::json& t) {
    for (const char* key :
         {"id", "command", "args", "state", "priority", "attempts_made", "attempts_max",
          "created_at", "run_at", "started_at", "finished_at", "exit_status", "error"}) {
      EXPECT_TRUE(t.contains(key)) << key << " missing in " << t.dump();
    }
    EXPECT_TRUE(t["args"].is_array());
    EXPECT_TRUE(t["created_at"].is_number_integer());
    // Seconds, not milliseconds.
    EXPECT_LT(t["created_at"].get<int64_t>(), 100000000000LL);
  }
};

TEST_F(CliInspectTest, ListShowsAnAlignedTableOfPendingWork) {
  CtlJson({"queue", "noop first", "noop 'second arg'"});
  CtlJson({"schedule", "after", "1h", "noop later"});
  auto r = Ctl({"list"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < r.out.size();) {
    size_t end = r.out.find('\n', pos);
    lines.push_back(r.out.substr(pos, end - pos));
    pos = end + 1;
  }
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_THAT(lines[0], ::testing::StartsWith("ID"));
  const size_t command_col = lines[0].find("COMMAND");
  ASSERT_NE(command_col, std::string::npos);
  EXPECT_EQ(lines[1].substr(command_col), "noop first");
  EXPECT_EQ(lines[2].substr(command_col), "noop 'second arg'");
  EXPECT_EQ(lines[3].substr(command_col), "noop later");
  EXPECT_THAT(lines[3], HasSubstr("scheduled"));
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << "no colour off a tty";
}

TEST_F(CliInspectTest, ListJsonAndStates) {
  CtlJson({"queue", "noop a b"});
  CtlJson({"schedule", "after", "1h", "noop later"});
  auto all = CtlJson({"list"});
  ASSERT_EQ(all.size(), 2u);
  for (const auto& t : all) ExpectTaskObject(t);
  EXPECT_EQ(all[0]["command"], "noop");
  EXPECT_EQ(all[0]["args"], nlohmann::json::array({"a", "b"}));
  EXPECT_EQ(all[0]["state"], "waiting");
  EXPECT_EQ(all[1]["state"], "scheduled");
  EXPECT_TRUE(all[0]["started_at"].is_null());
  EXPECT_EQ(CtlJson({"list", "waiting"}).size(), 1u);
  EXPECT_EQ(CtlJson({"list", "scheduled"}).size(), 1u);
  EXPECT_EQ(CtlJson({"list", "active"}).size(), 0u);
  EXPECT_EQ(CtlJson({"list", "complete"}).size(), 0u);
  EXPECT_EQ(CtlJson({"list", "verbose", "failed"}).size(), 0u);
  auto verbose = CtlJson({"list", "verbose"});
  EXPECT_TRUE(verbose[0].contains("logs"));
  EXPECT_EQ(Ctl({"list", "bogus"}).exit_code, 2);
  EXPECT_EQ(Ctl({"list", "waiting", "failed"}).exit_code, 2);
}

TEST_F(CliInspectTest, ListVerboseShowsEveryField) {
  CtlJson({"queue", "--priority", "5", "--attempts", "2", "noop x"});
  auto r = Ctl({"list", "verbose"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("command      noop x"));
  EXPECT_THAT(r.out, HasSubstr("priority     5"));
  EXPECT_THAT(r.out, HasSubstr("attempts     0/2"));
}

TEST_F(CliInspectTest, FindTaskAndCommand) {
  auto q = CtlJson({"queue", "noop alpha", "noop beta"});
  auto s = CtlJson({"schedule", "after", "1h", "noop gamma"});
  auto found = CtlJson({"find", "task", q[1]["id"]});
  ASSERT_EQ(found.size(), 1u);
  ExpectTaskObject(found[0]);
  EXPECT_EQ(found[0]["args"][0], "beta");
  found = CtlJson({"find", "task", s[0]["id"]});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["state"], "scheduled");
  // Exact name only: the first pending task of that command.
  found = CtlJson({"find", "command", "noop"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["args"][0], "alpha");
  EXPECT_EQ(CtlJson({"find", "command", "no"}, 1), nlohmann::json::array());

  auto r = Ctl({"find", "task", "424242"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  r = Ctl({"find", "task", q[0]["id"]});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr(q[0]["id"].get<std::string>()));
  EXPECT_EQ(Ctl({"find", "task", "x1"}).exit_code, 2);
  EXPECT_EQ(Ctl({"find", "thing", "1"}).exit_code, 2);
  EXPECT_EQ(Ctl({"find", "task"}).exit_code, 2);
}

TEST_F(CliInspectTest, StatusCountsPausedAndNoDaemon) {
  CtlJson({"queue", "noop 1", "noop 2"});
  CtlJson({"schedule", "after", "1h", "noop 3"});
  auto j = CtlJson({"status"});
  EXPECT_EQ(j["counts"]["waiting"], 2);
  EXPECT_EQ(j["counts"]["scheduled"], 1);
  for (const char* k : {"deferred", "processing", "complete", "failed"}) {
    EXPECT_EQ(j["counts"][k], 0) << k;
  }
  EXPECT_EQ(j["paused"], false);
  EXPECT_TRUE(j["daemon_pid"].is_null());
  auto r = Ctl({"status"});
  EXPECT_THAT(r.out, HasSubstr("not running"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("Waiting: +2"));
  EXPECT_EQ(Ctl({"status", "extra"}).exit_code, 2);
}

TEST_F(CliInspectTest, StatusNamesTheProcessHoldingTheDaemonLock) {
  ASSERT_EQ(Ctl({"status"}).exit_code, 0);  // creates the state dir
  const auto lock_path = state_dir() / "tasks.daemon.lock";
  // This test process stands in for taskqueued: it holds the fcntl lock.
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(fcntl(fd, F_SETLK, &fl), 0);
  auto j = CtlJson({"status"});
  EXPECT_EQ(j["daemon_pid"], getpid());
  close(fd);  // releases the lock
  j = CtlJson({"status"});
  EXPECT_TRUE(j["daemon_pid"].is_null());
}

TEST_F(CliInspectTest, StatusTrustsTheWrittenPidOnlyForALiveTaskqueued) {
  ASSERT_EQ(Ctl({"status"}).exit_code, 0);
  const auto lock_path = state_dir() / "tasks.daemon.lock";
  // A process named taskqueued (a copy of sleep) with its pid in the file.
  const auto fake = tmp() / "taskqueued";
  std::filesystem::copy_file("/bin/sleep", fake);
  BackgroundProcess sleeper;
  ASSERT_TRUE(sleeper.Start({fake.string(), "60"}));
  std::ofstream(lock_path) << sleeper.pid() << "\n";
  EXPECT_EQ(CtlJson({"status"})["daemon_pid"], sleeper.pid());
  sleeper.Stop(SIGKILL, std::chrono::milliseconds(5000));
  EXPECT_TRUE(CtlJson({"status"})["daemon_pid"].is_null()) << "a dead pid never counts";
  // A live process that is not taskqueued does not count either.
  std::ofstream(lock_path) << getpid() << "\n";
  EXPECT_TRUE(CtlJson({"status"})["daemon_pid"].is_null());
}

TEST_F(CliInspectTest, InfoIsOneFlatObject) {
  ASSERT_EQ(Ctl({"set", "max_running", "5"}).exit_code, 0);
  auto j = CtlJson({"info"});
  ASSERT_TRUE(j.is_object());
  for (auto& [key, value] : j.items()) {
    EXPECT_FALSE(value.is_object() || value.is_array()) << key;
  }
  EXPECT_EQ(j["max_running"], 5);
  EXPECT_EQ(j["default_timeout"], 60);
  EXPECT_EQ(j["max_timeout"], 300);
  EXPECT_EQ(j["default_child_timeout"], 3600);
  EXPECT_EQ(j["state_dir"], state_dir().string());
  EXPECT_EQ(j["name"], "tasks");
  auto r = Ctl({"info"});
  EXPECT_THAT(r.out, ::testing::ContainsRegex("max_running: +5"));
}

TEST_F(CliInspectTest, SearchFindsByArgsAndFiltersByState) {
  CtlJson({"queue", "noop deploy web", "noop backup db"});
  auto j = CtlJson({"search", "deploy"});
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["args"][0], "deploy");
  EXPECT_EQ(CtlJson({"search", "deploy", "--state", "complete"}).size(), 0u);
  EXPECT_EQ(CtlJson({"search", "backup", "--state", "waiting"}).size(), 1u);
  EXPECT_EQ(CtlJson({"search", "nothinglikethis"}).size(), 0u);
  auto r = Ctl({"search", "backup"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("noop backup db"));
  EXPECT_EQ(Ctl({"search", "x", "--state", "sleeping"}).exit_code, 2);
  EXPECT_EQ(Ctl({"search"}).exit_code, 2);
}

TEST_F(CliInspectTest, EventsAsLinesAndJsonLinesWithSince) {
  CtlJson({"queue", "noop a", "noop b"});
  auto r = Ctl({"--json", "events"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  std::vector<nlohmann::json> events;
  for (size_t pos = 0; pos < r.out.size();) {
    size_t end = r.out.find('\n', pos);
    events.push_back(nlohmann::json::parse(r.out.substr(pos, end - pos)));
    pos = end + 1;
  }
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) {
    EXPECT_TRUE(e["id"].is_number_integer());
    EXPECT_EQ(e["type"], "enqueue");
    EXPECT_TRUE(e["task_id"].is_number_integer());
    EXPECT_LT(e["time"].get<int64_t>(), 100000000000LL);
  }
  const int64_t first = events[0]["id"];
  r = Ctl({"--json", "events", "--since", std::to_string(first)});
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  r = Ctl({"events"});
  EXPECT_THAT(r.out, HasSubstr("enqueue"));
  EXPECT_EQ(Ctl({"events", "--since", "x"}).exit_code, 2);
}

TEST_F(CliInspectTest, EventsFollowPrintsNewEventsAsTheyHappen) {
  CtlJson({"queue", "noop before"});
  BackgroundProcess follower;
  ASSERT_TRUE(follower.Start(
      {TASKQUEUECTL_PATH, "--state-dir", state_dir().string(), "--json", "events", "--follow"},
      Options()));
  auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  ASSERT_TRUE(follower.ReadUntil([&](const std::string& out) { return lines(out) >= 1; },
                                 std::chrono::seconds(20)));
  CtlJson({"queue", "noop after"});
  ASSERT_TRUE(follower.ReadUntil([&](const std::string& out) { return lines(out) >= 2; },
                                 std::chrono::seconds(20)))
      << follower.result().out;
  follower.Stop(SIGTERM, std::chrono::seconds(10));
  const auto& out = follower.result().out;
  auto second = nlohmann::json::parse(
      out.substr(out.find('\n') + 1, out.find('\n', out.find('\n') + 1) - out.find('\n') - 1));
  EXPECT_EQ(second["type"], "enqueue");
}

TEST_F(CliInspectTest, LogOfATaskWithoutOutput) {
  auto q = CtlJson({"queue", "noop"});
  auto j = CtlJson({"log", q[0]["id"]});
  EXPECT_EQ(j["id"], q[0]["id"]);
  EXPECT_EQ(j["logs"], nlohmann::json::array());
  EXPECT_EQ(j["output"], "");
  // No progress message: null, as in the task object.
  EXPECT_EQ(j["progress_data"], nullptr);
  EXPECT_EQ(CtlJson({"find", "task", q[0]["id"]})[0]["progress_data"], nullptr);
  EXPECT_EQ(Ctl({"log", "777"}).exit_code, 1);
  EXPECT_EQ(Ctl({"log", "bad-id"}).exit_code, 2);
  EXPECT_EQ(Ctl({"log"}).exit_code, 2);
}

}  // namespace
}  // namespace taskqueue::testing
