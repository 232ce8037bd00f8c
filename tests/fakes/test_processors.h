// Test processors for the ported cPanel::TaskQueue cases, and the helpers
// that wait for real child processes on events (flag files, process exit)
// with a deadline instead of fixed sleeps.
//
// FlagChildProcessor: a ChildProcessor whose child blocks until the test
// creates a flag file, so a test decides exactly when each child ends.
// TwoArgsProcessor: is_valid_args requires exactly two args (case 13).
// OverridingProcessor: cPanel's override rule of cases 16-17.
// TaggedChildProcessor: FlagChildProcessor whose deferral tags are its args.
// ThreadRecordingProcessor: in-process, inline or not; notes the thread it
// ran on.
//
// Thread-safety: the processors hold only immutable configuration; the
// helpers are free functions. RunInChild runs in a forked child of a
// possibly multi-threaded process, so it uses stack buffers and plain
// system calls only (no allocation).
#ifndef TASKQUEUE_TESTS_FAKES_TEST_PROCESSORS_H_
#define TASKQUEUE_TESTS_FAKES_TEST_PROCESSORS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "taskqueue/processor.h"
#include "taskqueue/queue.h"
#include "taskqueue/task.h"

namespace taskqueue::testing {

// Polls `done` every 2 ms until it returns true or `limit` passes. Returns
// whether it became true. For events with no notification (a child exiting
// in another process group), this is the bounded wait the tests use.
template <typename Pred>
bool WaitUntil(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline void Touch(const std::filesystem::path& path) { std::ofstream(path).put('\n'); }

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// True once `pid` has exited: it is a zombie waiting to be reaped, or gone.
inline bool ProcessExited(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (stat.empty()) return true;
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

// A child processor whose child waits until `<flag_dir>/go.<task id>` or
// `<flag_dir>/go.all` exists, then exits with `exit_code`. With
// wait_for_flag false it exits at once. A child left waiting gives up after
// 60 s (exit 99) so that a failed test never leaves processes behind.
class FlagChildProcessor : public ChildProcessor {
 public:
  struct Config {
    std::filesystem::path flag_dir;
    bool wait_for_flag = true;
    int exit_code = 0;
    bool tags_from_args = false;  // deferral tags = the task's args
    int64_t reschedule_delay = 900;
    int64_t timeout = 0;
  };
  explicit FlagChildProcessor(Config config)
      : config_(std::move(config)), dir_(config_.flag_dir.string()) {}

  int64_t RescheduleDelay() const override { return config_.reschedule_delay; }
  int64_t Timeout() const override { return config_.timeout; }
  std::vector<std::string> DeferralTags(const Task& task) const override {
    if (!config_.tags_from_args) return {};
    return task.args;
  }

  int RunInChild(const Task& task) const override {
    if (config_.wait_for_flag) {
      char mine[4096], all[4096];
      std::snprintf(mine, sizeof mine, "%s/go.%lld", dir_.c_str(), static_cast<long long>(task.id));
      std::snprintf(all, sizeof all, "%s/go.all", dir_.c_str());
      const struct timespec tick = {0, 2'000'000};
      for (int i = 0; access(mine, F_OK) != 0 && access(all, F_OK) != 0; ++i) {
        if (i > 30'000) return 99;  // 60 s: the test is gone or broken
        nanosleep(&tick, nullptr);
      }
    }
    return config_.exit_code;
  }

  // Lets the child of task `id` finish.
  void Release(int64_t id) const { Touch(config_.flag_dir / ("go." + std::to_string(id))); }
  void ReleaseAll() const { Touch(config_.flag_dir / "go.all"); }

 private:
  Config config_;
  std::string dir_;  // flag_dir as a plain string, built before any fork
};

// Waits until the child running task `id` of `queue` has exited (it may still
// need reaping by the queue). False if the task has no child or it is still
// running at the deadline.
inline bool WaitForTaskChildExit(const Queue& queue, int64_t id) {
  auto t = queue.FindTask(id);
  if (!t.ok() || !t->has_value() || (*t)->pid <= 0) return false;
  const pid_t pid = static_cast<pid_t>((*t)->pid);
  return WaitUntil([pid] { return ProcessExited(pid); });
}

// Case 13: valid only with exactly two args.
class TwoArgsProcessor : public Processor {
 public:
  bool IsValidArgs(const Task& task) const override { return task.args.size() == 2; }
  Result<std::string> ProcessTask(TaskContext&) const override { return std::string(); }
};

// Cases 16-17: a new `mock` task replaces every waiting or deferred `mock`
// task when its first arg is "all" or equals the old task's first arg.
class OverridingProcessor : public Processor {
 public:
  bool HasOverrides() const override { return true; }
  std::vector<std::string> OverrideScope(const Task&) const override { return {"mock"}; }
  bool Overrides(const Task& new_task, const Task& old_task) const override {
    if (old_task.command != "mock" || new_task.args.empty() || old_task.args.empty()) {
      return false;
    }
    return new_task.args[0] == "all" || new_task.args[0] == old_task.args[0];
  }
  Result<std::string> ProcessTask(TaskContext&) const override { return std::string(); }
};

// The full commands of `tasks`, in order.
inline std::vector<std::string> FullCommands(const std::vector<Task>& tasks) {
  std::vector<std::string> out;
  for (const auto& t : tasks) out.push_back(t.full_command());
  return out;
}

// In-process work that notes the thread it ran on and returns "ran <cmd>",
// or throws std::runtime_error("boom"). RunsInline() as constructed.
class ThreadRecordingProcessor : public Processor {
 public:
  ThreadRecordingProcessor(bool runs_inline, bool throws)
      : runs_inline_(runs_inline), throws_(throws) {}
  bool RunsInline() const override { return runs_inline_; }
  Result<std::string> ProcessTask(TaskContext& context) const override {
    ran_on_ = std::this_thread::get_id();
    if (throws_) throw std::runtime_error("boom");
    return "ran " + context.task().command;
  }
  // Read it only after the run has ended (its end is the synchronization).
  std::thread::id ran_on() const { return ran_on_; }

 private:
  const bool runs_inline_;
  const bool throws_;
  mutable std::thread::id ran_on_;  // one run per test
};

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_FAKES_TEST_PROCESSORS_H_
