// One daemon per queue; a killed daemon's lock never blocks; --check and
// --http refusals exit 78.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "integration/daemon_test_util.h"

namespace taskqueue::testing {
namespace {

using std::chrono::seconds;

// A processor with a field the loader does not know: its file fails.
nlohmann::json BadProcessor() {
  nlohmann::json p = ShellProcessor("bad", "true");
  p["bogus"] = 1;
  return p;
}

TEST(DaemonLockTest, SecondDaemonOnTheSameQueueExits75NamingTheHolder) {
  DaemonFixture f;
  auto first = f.StartDaemon();
  ASSERT_TRUE(first);
  DaemonProcess second;
  ASSERT_TRUE(second.Start(f.Args(), f.root() / "second.log", f.root() / "notify-second"));
  auto status = second.WaitExit(seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 75) << second.Log();
  EXPECT_NE(second.Log().find("pid " + std::to_string(first->pid())), std::string::npos)
      << second.Log();
  EXPECT_TRUE(first->running());
  first->Signal(SIGTERM);
  ASSERT_TRUE(first->WaitExit(seconds(10)).has_value());
}

// A queue name is checked before any file is named after it: "../escape"
// must not leave a lock file beside the state dir.
TEST(DaemonLockTest, ABadQueueNameIsRefusedBeforeTheLockIsTaken) {
  DaemonFixture f;
  for (const char* name : {"../escape", "bad/name", ".hidden"}) {
    DaemonProcess daemon;
    ASSERT_TRUE(daemon.Start(f.Args({"--name", name}), f.root() / "bad-name.log",
                             f.root() / "notify-bad-name"));
    auto status = daemon.WaitExit(seconds(10));
    ASSERT_TRUE(status.has_value()) << name;
    EXPECT_TRUE(WIFEXITED(*status)) << name;
    EXPECT_EQ(WEXITSTATUS(*status), 78) << name << ": " << daemon.Log();
    EXPECT_NE(daemon.Log().find(std::string("Invalid queue name '") + name + "'"),
              std::string::npos)
        << daemon.Log();
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(f.root())) {
    EXPECT_EQ(entry.path().string().find("lock"), std::string::npos) << entry.path();
  }
}

// Bad numbers on the command line are usage errors (exit 2) that name the
// option and what it wants.
TEST(DaemonLockTest, BadNumbersOnTheCommandLineExit2SayingWhatIsWanted) {
  DaemonFixture f;
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--max-running", "0"}, "--max-running: expected a whole number of at least 1, got '0'"},
      {{"--max-running", "abc"}, "--max-running: expected a whole number of at least 1, got 'abc'"},
      {{"--kill-grace", "0"}, "--kill-grace: expected a whole number of at least 1, got '0'"},
      {{"--shutdown-grace", "-1"},
       "--shutdown-grace: expected a whole number of at least 0, got '-1'"},
  };
  for (const auto& [args, message] : cases) {
    DaemonProcess daemon;
    ASSERT_TRUE(
        daemon.Start(f.Args(args), f.root() / "bad-number.log", f.root() / "notify-bad-number"));
    auto status = daemon.WaitExit(seconds(10));
    ASSERT_TRUE(status.has_value()) << message;
    EXPECT_TRUE(WIFEXITED(*status)) << message;
    EXPECT_EQ(WEXITSTATUS(*status), 2) << daemon.Log();
    EXPECT_NE(daemon.Log().find(message), std::string::npos) << daemon.Log();
  }
}

// A damaged scheduler file stops the start, naming it, as a damaged queue
// file does (it used to be opened on first use, after READY, and then fail
// every second for ever); --recover moves it aside and the daemon runs.
TEST(DaemonLockTest, ADamagedSchedulerFileStopsTheStartUnlessRecovering) {
  DaemonFixture f;
  {
    auto first = f.StartDaemon();  // makes both files
    ASSERT_TRUE(first);
    first->Signal(SIGTERM);
    ASSERT_TRUE(first->WaitExit(seconds(10)).has_value());
  }
  const std::filesystem::path sched = f.state() / "tasks_sched.db";
  std::filesystem::remove(sched.string() + "-wal");
  std::filesystem::remove(sched.string() + "-shm");
  std::ofstream(sched, std::ios::trunc) << "not a database at all, just some words";
  DaemonProcess daemon;
  ASSERT_TRUE(daemon.Start(f.Args(), f.root() / "damaged.log", f.root() / "notify-damaged"));
  auto status = daemon.WaitExit(seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1) << daemon.Log();
  EXPECT_NE(daemon.Log().find(sched.string()), std::string::npos) << daemon.Log();
  EXPECT_NE(daemon.Log().find("--recover"), std::string::npos) << daemon.Log();

  auto recovered = f.StartDaemon({"--recover"});
  ASSERT_TRUE(recovered) << "--recover did not move the damaged file aside";
  EXPECT_TRUE(std::filesystem::exists(sched.string() + ".broken"));
  EXPECT_NE(recovered->Log().find(sched.string() + " was damaged: moved aside to " +
                                  sched.string() + ".broken"),
            std::string::npos)
      << recovered->Log();
  recovered->Signal(SIGTERM);
  ASSERT_TRUE(recovered->WaitExit(seconds(10)).has_value());
}

TEST(DaemonLockTest, AKilledDaemonsLockDoesNotBlockTheNext) {
  DaemonFixture f;
  auto first = f.StartDaemon();
  ASSERT_TRUE(first);
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->WaitExit(seconds(10)).has_value());
  auto second = f.StartDaemon();
  ASSERT_TRUE(second) << "the lock of a dead daemon blocked a new one";
  second->Signal(SIGTERM);
  auto status = second->WaitExit(seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(DaemonLockTest, CheckReportsPluginFailuresWithExit78) {
  DaemonFixture f;
  f.plugins().Write("good", {ShellProcessor("good", "true")});
  DaemonProcess ok;
  ASSERT_TRUE(ok.Start(f.Args({"--check"}), f.root() / "ok.log", f.root() / "n1"));
  auto status = ok.WaitExit(seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 0) << ok.Log();

  f.plugins().Write("bad", {BadProcessor()});
  DaemonProcess bad;
  ASSERT_TRUE(bad.Start(f.Args({"--check"}), f.root() / "bad.log", f.root() / "n2"));
  status = bad.WaitExit(seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 78) << bad.Log();
  EXPECT_NE(bad.Log().find("bad.json"), std::string::npos) << bad.Log();
}

TEST(DaemonLockTest, DaemonRunsOnWithThePluginsThatLoaded) {
  DaemonFixture f;
  f.plugins().Write("good", {ShellProcessor("good", RecordCommand(f.records(), "start"))});
  f.plugins().Write("bad", {BadProcessor()});
  auto daemon = f.StartDaemon();
  ASSERT_TRUE(daemon);
  f.Enqueue("good");
  ASSERT_TRUE(WaitUntil([&] { return f.AllFinished(); })) << daemon->Log();
  EXPECT_NE(daemon->Log().find("bad.json"), std::string::npos) << daemon->Log();
  daemon->Signal(SIGTERM);
  ASSERT_TRUE(daemon->WaitExit(seconds(10)).has_value());
}

TEST(DaemonLockTest, NonLoopbackHttpWithoutTokenIsRefused) {
  DaemonFixture f;
  DaemonProcess d;
  ASSERT_TRUE(d.Start(f.Args({"--http", "0.0.0.0:0"}), f.root() / "http.log", f.root() / "n"));
  auto status = d.WaitExit(seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 78) << d.Log();
  EXPECT_NE(d.Log().find("token"), std::string::npos) << d.Log();
}

}  // namespace
}  // namespace taskqueue::testing
