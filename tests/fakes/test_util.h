// Helpers shared by the tests: temporary directories and Status matchers.
#ifndef TASKQUEUE_TESTS_FAKES_TEST_UTIL_H_
#define TASKQUEUE_TESTS_FAKES_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>

#include "taskqueue/status.h"
#include "taskqueue/task.h"

namespace taskqueue::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes away.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tq-test-XXXXXX";
    char* made = mkdtemp(tmpl.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  // TQ_TEST_KEEP_DIRS=1 keeps them, to read a failed test's files.
  ~TempDir() {
    const char* keep = getenv("TQ_TEST_KEEP_DIRS");
    if (keep && std::string(keep) == "1") return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Sets (or, with a null value, unsets) an environment variable, and puts
// back what was there when it goes away.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The fields of /proc/PID/stat from field 3 (the state) on, or "" if there
// is no such process. The command name (field 2) may hold spaces and
// parentheses, so the rest starts two characters past its last ')'.
inline std::string StatAfterCommand(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return "";
  return line.substr(close + 2);
}

// True when `pid` no longer runs (gone, or a zombie nobody reaped).
inline bool ProcessGone(pid_t pid) {
  const std::string rest = StatAfterCommand(pid);
  return rest.empty() || rest[0] == 'Z' || rest[0] == 'X';
}

MATCHER(IsOk, "is OK") {
  *result_listener << arg.status().ToString();
  return arg.ok();
}

}  // namespace taskqueue::testing

#define ASSERT_TQ_OK(expr)                                              \
  do {                                                                  \
    auto&& tq_r_ = (expr);                                              \
    ASSERT_TRUE(tq_r_.ok()) << ::taskqueue::testing::StatusText(tq_r_); \
  } while (0)
#define EXPECT_TQ_OK(expr)                                              \
  do {                                                                  \
    auto&& tq_r_ = (expr);                                              \
    EXPECT_TRUE(tq_r_.ok()) << ::taskqueue::testing::StatusText(tq_r_); \
  } while (0)

namespace taskqueue::testing {

// A task built from a command string as the queue would parse it (no id,
// default options), for calling processor hooks directly.
inline Task MakeTask(const std::string& text) {
  Result<ParsedCommand> parsed = ParseCommandString(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
  Task t;
  if (!parsed.ok()) return t;
  t.command = parsed->command;
  t.argstring = parsed->argstring;
  t.args = parsed->args;
  return t;
}

inline std::string StatusText(const Status& s) { return s.ToString(); }
template <typename T>
std::string StatusText(const Result<T>& r) {
  return r.status().ToString();
}
}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_FAKES_TEST_UTIL_H_
