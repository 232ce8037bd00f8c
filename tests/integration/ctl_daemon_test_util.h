// CtlDaemonTest: a fixture for tests that drive taskqueuectl and a real
// taskqueued together on one queue, as a user does: the CLI queues and
// inspects, the daemon runs. It is CliTest (temporary state and plugin
// directories, the real taskqueuectl with a clean environment) plus
// starting and stopping the daemon by pid on the same directories, with an
// empty configuration file so that nothing from the machine leaks in.
//
// Nothing here sleeps for a fixed time: waits poll a condition until a
// deadline.
//
// Thread-safety: one fixture per test, as gtest makes them.
#ifndef TASKQUEUE_TESTS_INTEGRATION_CTL_DAEMON_TEST_UTIL_H_
#define TASKQUEUE_TESTS_INTEGRATION_CTL_DAEMON_TEST_UTIL_H_

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/cli_test_util.h"
#include "integration/daemon_test_util.h"

namespace taskqueue::testing {

class CtlDaemonTest : public CliTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(plugin_dir());
    ::chmod(plugin_dir().c_str(), 0755);
    std::ofstream(tmp() / "none.conf") << "";
  }
  // The test's daemons are gone by now; their children may not be.
  void TearDown() override { KillTasksLeftRunning(state_dir()); }

  // Starts taskqueued on this test's queue and plugins with `extra` args
  // and waits for its READY=1. Null (and a test failure) if it did not get
  // ready.
  std::unique_ptr<DaemonProcess> StartDaemon(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--state-dir",  state_dir().string(),
                                     "--plugin-dir", plugin_dir().string(),
                                     "--config",     (tmp() / "none.conf").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return StartReadyDaemon(args, tmp(), ++daemons_started_);
  }

  // SIGTERM to the daemon's pid; expects a clean exit 0.
  static void StopDaemon(DaemonProcess& daemon) {
    daemon.Signal(SIGTERM);
    auto status = daemon.WaitExit(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << "taskqueued ignored SIGTERM; its log:\n" << daemon.Log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << daemon.Log();
  }

  // `taskqueuectl --json status`'s counts object (null if the call failed).
  nlohmann::json Counts() const {
    ProcessResult r = Ctl({"--json", "status"});
    if (r.exit_code != 0) return nullptr;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_object() && j.contains("counts") ? j["counts"] : nlohmann::json(nullptr);
  }

  // Polls `status --json` until `done(counts)` holds or `timeout` passes.
  bool WaitForCounts(const std::function<bool(const nlohmann::json&)>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    return WaitUntil(
        [&] {
          auto c = Counts();
          return c.is_object() && done(c);
        },
        timeout);
  }

  // Until nothing waits, is deferred, runs or is scheduled, and `complete`
  // tasks have finished successfully.
  bool WaitForComplete(int complete,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) const {
    return WaitForCounts(
        [&](const nlohmann::json& c) {
          return c["waiting"] == 0 && c["deferred"] == 0 && c["processing"] == 0 &&
                 c["scheduled"] == 0 && c["complete"] == complete;
        },
        timeout);
  }

  // The objects of JSON Lines output, complete lines only: a line a
  // stopped writer left half-written is not an event it printed.
  static std::vector<nlohmann::json> JsonLines(const std::string& out) {
    std::vector<nlohmann::json> lines;
    size_t begin = 0;
    for (size_t end; (end = out.find('\n', begin)) != std::string::npos; begin = end + 1) {
      auto j = nlohmann::json::parse(out.substr(begin, end - begin), nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << "not JSON: " << out.substr(begin, end - begin);
      if (!j.is_discarded()) lines.push_back(std::move(j));
    }
    return lines;
  }

  // The whole event log, from the start, as `taskqueuectl --json events`
  // prints it.
  std::vector<nlohmann::json> AllEvents() const {
    ProcessResult r = Ctl({"--json", "events"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return JsonLines(r.out);
  }

  // The argv of `taskqueuectl --state-dir ... --plugin-dir ... ARGS`, for a
  // BackgroundProcess.
  std::vector<std::string> CtlArgv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {TASKQUEUECTL_PATH, "--state-dir", state_dir().string(),
                                     "--plugin-dir", plugin_dir().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

 private:
  int daemons_started_ = 0;
};

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_INTEGRATION_CTL_DAEMON_TEST_UTIL_H_
