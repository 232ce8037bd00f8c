// CliTest: a fixture for the taskqueuectl integration tests. Each test gets
// its own temporary state directory and plugin directory, runs the real
// binary (TASKQUEUECTL_PATH) with a clean environment (no TASKQUEUE_*
// variables from the outer shell) and can look at what was stored through
// the library.
//
// Thread-safety: one fixture per test, as gtest makes them.
#ifndef TASKQUEUE_TESTS_INTEGRATION_CLI_TEST_UTIL_H_
#define TASKQUEUE_TESTS_INTEGRATION_CLI_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/test_util.h"
#include "integration/run_process.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

namespace taskqueue::testing {

// Prints a process's output when an expectation about it fails.
inline std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) +
         (r.term_signal ? " signal " + std::to_string(r.term_signal) : "") +
         (r.timed_out ? " (timed out)" : "") + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" +
         r.err;
}

class CliTest : public ::testing::Test {
 protected:
  std::filesystem::path state_dir() const { return tmp_.path() / "state"; }
  std::filesystem::path plugin_dir() const { return tmp_.path() / "plugins"; }
  const std::filesystem::path& tmp() const { return tmp_.path(); }

  // The environment every call starts from: nothing inherited that could
  // point the program at another queue or other plugins.
  RunOptions Options() const {
    RunOptions o;
    o.unset = {"TASKQUEUE_*", "NO_COLOR", "XDG_STATE_HOME"};
    o.timeout = std::chrono::milliseconds(60000);
    return o;
  }

  // taskqueuectl ARGS... without --state-dir.
  ProcessResult CtlRaw(const std::vector<std::string>& args, RunOptions options) const {
    std::vector<std::string> argv = {TASKQUEUECTL_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, options);
  }
  ProcessResult CtlRaw(const std::vector<std::string>& args) const {
    return CtlRaw(args, Options());
  }

  // taskqueuectl --state-dir <temp>/state ARGS...
  ProcessResult Ctl(const std::vector<std::string>& args, RunOptions options) const {
    std::vector<std::string> all = {"--state-dir", state_dir().string()};
    if (std::filesystem::exists(plugin_dir())) {
      all.push_back("--plugin-dir");
      all.push_back(plugin_dir().string());
    }
    all.insert(all.end(), args.begin(), args.end());
    return CtlRaw(all, options);
  }
  ProcessResult Ctl(const std::vector<std::string>& args) const { return Ctl(args, Options()); }

  // Runs with --json, expects `exit_code` and returns stdout parsed.
  nlohmann::json CtlJson(const std::vector<std::string>& args, int exit_code = 0) const {
    std::vector<std::string> all = {"--json"};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult r = Ctl(all);
    EXPECT_EQ(r.exit_code, exit_code) << Describe(r);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON: " << Describe(r);
    return j;
  }

  // The stderr of a --json call as the {"error":{...}} object.
  static nlohmann::json JsonError(const ProcessResult& r) {
    std::string first = r.err.substr(0, r.err.find('\n'));
    auto j = nlohmann::json::parse(first, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error"))
        << "stderr is not a JSON error: " << Describe(r);
    return j;
  }

  // The queue through the library, to arrange and inspect state directly.
  std::unique_ptr<Queue> OpenQueue() const {
    QueueOptions o;
    o.state_dir = state_dir();
    auto q = Queue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(q).value() : nullptr;
  }

  // Every stored task, one line each, to prove that a failed call changed
  // nothing.
  std::string Snapshot() const {
    auto q = OpenQueue();
    if (!q) return "";
    ListQuery all;
    all.limit = 0;
    auto tasks = q->List(all);
    EXPECT_TRUE(tasks.ok());
    std::string out;
    for (const auto& t : *tasks) {
      out += t.uuid() + " " + TaskStateName(t.state) + " p" + std::to_string(t.priority) + " a" +
             std::to_string(t.attempts_made) + "/" + std::to_string(t.attempts_max) + " " +
             t.full_command() + "\n";
    }
    auto settings = q->Settings();
    if (settings.ok()) {
      for (const auto& key : QueueSettings::Keys()) {
        out += key + "=" + std::to_string(*settings->Get(key)) + "\n";
      }
    }
    return out;
  }

  // Writes a plugin file into plugin_dir() (created 0755 on first use, so
  // that Ctl() passes --plugin-dir from then on).
  void WritePlugin(const std::string& file_name, const std::string& content) const {
    std::filesystem::create_directories(plugin_dir());
    chmod(plugin_dir().c_str(), 0755);
    const auto path = plugin_dir() / file_name;
    std::ofstream(path) << content;
    chmod(path.c_str(), 0644);
  }

  // A JSON plugin with a child processor for `command` that runs `script`
  // with /bin/sh, the task's args as $1, $2, ...
  void WriteShellPlugin(const std::string& command, const std::string& script,
                        const std::string& extra_fields = "") const {
    nlohmann::json p = {{"command", command},
                        {"exec", {"/bin/sh", "-c", script, command, "{args}"}}};
    if (!extra_fields.empty()) p.update(nlohmann::json::parse(extra_fields));
    WritePlugin(command + ".json", nlohmann::json{{"processors", {p}}}.dump(2));
  }

 private:
  TempDir tmp_;
};

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_INTEGRATION_CLI_TEST_UTIL_H_
