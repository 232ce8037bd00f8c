// The example plugins shipped in plugins/ load from their build directory
// and do what docs/plugins.md says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fakes/test_util.h"
#include "taskqueue/plugin.h"

#ifndef TQ_EXAMPLE_PLUGIN_DIR
#error "TQ_EXAMPLE_PLUGIN_DIR must name the build directory of plugins/"
#endif

namespace taskqueue {
namespace {

namespace fs = std::filesystem;
using ::taskqueue::testing::MakeTask;
using ::taskqueue::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct RunResult {
  int exit_status = -1;
  std::string out;
};

// Runs argv (no shell) with stdout+stderr captured and extra environment.
RunResult RunProgram(const std::vector<std::string>& argv,
                     const std::vector<std::string>& env = {}) {
  RunResult r;
  int fds[2];
  if (::pipe(fds) != 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    for (const std::string& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) r.out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class ExamplePluginsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_ = std::make_unique<PluginManager>(
        registry_, std::vector<PluginDirectory>{
                       {TQ_EXAMPLE_PLUGIN_DIR, PluginDirectory::Origin::kCommandLine}});
    Status s = manager_->LoadAll();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::shared_ptr<const Processor> Get(const std::string& command) {
    auto p = registry_->Find(command);
    EXPECT_NE(p, nullptr) << command;
    return p;
  }

  std::shared_ptr<ProcessorRegistry> registry_ = std::make_shared<ProcessorRegistry>();
  std::unique_ptr<PluginManager> manager_;
};

TEST_F(ExamplePluginsTest, EverythingLoads) {
  EXPECT_THAT(manager_->failures(), IsEmpty());
  EXPECT_THAT(registry_->Commands(), ElementsAre("backup", "count", "email", "flaky", "hello",
                                                 "noop", "notify", "report", "sleep_echo"));
}

TEST_F(ExamplePluginsTest, NotifyHooks) {
  auto notify = Get("notify");
  ASSERT_NE(notify, nullptr);
  EXPECT_TRUE(notify->IsValidArgs(MakeTask("notify fred 'Hi, Fred!'")));
  EXPECT_TRUE(notify->IsValidArgs(MakeTask("notify ALL 'Hi all'")));
  EXPECT_FALSE(notify->IsValidArgs(MakeTask("notify fred")));
  EXPECT_FALSE(notify->IsValidArgs(MakeTask("notify 'fr ed' hi")));
  EXPECT_FALSE(notify->IsValidArgs(MakeTask("notify fred ''")));
  auto email = Get("email");
  ASSERT_NE(email, nullptr);
  EXPECT_TRUE(email->IsValidArgs(MakeTask("email fred@example.org hi")));
  EXPECT_FALSE(email->IsValidArgs(MakeTask("email fred hi")));

  // Dupes across notify and email (the recipe).
  EXPECT_THAT(notify->DupeScope(MakeTask("notify a b")), ElementsAre("notify", "email"));
  EXPECT_TRUE(notify->IsDupe(MakeTask("notify fred hi"), MakeTask("email fred hi")));
  EXPECT_FALSE(notify->IsDupe(MakeTask("notify fred hi"), MakeTask("email fred bye")));

  // ALL overrides the same message to one user.
  EXPECT_TRUE(notify->Overrides(MakeTask("notify ALL hi"), MakeTask("notify fred hi")));
  EXPECT_FALSE(notify->Overrides(MakeTask("notify ALL hi"), MakeTask("notify fred bye")));
  EXPECT_FALSE(notify->Overrides(MakeTask("notify fred hi"), MakeTask("notify joe hi")));

  // Deferral: one message per user; ALL waits for everyone and everyone for ALL.
  EXPECT_THAT(notify->DeferralTags(MakeTask("notify fred hi")), ElementsAre("user:fred"));
  EXPECT_TRUE(notify->IsTaskDeferred(MakeTask("notify fred x"), {"user:fred"}));
  EXPECT_FALSE(notify->IsTaskDeferred(MakeTask("notify fred x"), {"user:joe"}));
  EXPECT_TRUE(notify->IsTaskDeferred(MakeTask("notify ALL x"), {"user:joe"}));
  EXPECT_TRUE(notify->IsTaskDeferred(MakeTask("notify joe x"), {"user:ALL"}));
  EXPECT_FALSE(notify->IsTaskDeferred(MakeTask("notify ALL x"), {"disk:/x"}));
}

TEST_F(ExamplePluginsTest, NotifyWritesItsMessageInAChild) {
  auto notify = std::dynamic_pointer_cast<const ChildProcessor>(Get("notify"));
  ASSERT_NE(notify, nullptr);
  EXPECT_TRUE(notify->Argv(MakeTask("notify fred hi")).empty());  // RunInChild does the work
  TempDir dir;
  fs::path log = dir.path() / "notify.log";
  Task task = MakeTask("notify fred 'Wake up, Fred.'");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("TASKQUEUE_NOTIFY_LOG", log.c_str(), 1);
    ::_exit(notify->RunInChild(task));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "notify fred: Wake up, Fred.\n");
}

TEST_F(ExamplePluginsTest, HelloIsAnInProcessCallable) {
  auto hello = Get("hello");
  ASSERT_NE(hello, nullptr);
  struct Ctx : TaskContext {
    Task t = MakeTask("hello big world");
    std::vector<std::string> lines;
    const Task& task() const override { return t; }
    void Progress(int64_t, int64_t, const std::string&) override {}
    void Log(const std::string& line) override { lines.push_back(line); }
  } ctx;
  Result<std::string> r = hello->ProcessTask(ctx);
  ASSERT_TQ_OK(r);
  EXPECT_EQ(*r, "Hello, big world!");
  EXPECT_THAT(ctx.lines, ElementsAre("greeting big world"));
}

TEST_F(ExamplePluginsTest, SleepEchoRunsItsScript) {
  auto p = Get("sleep_echo");
  ASSERT_NE(p, nullptr);
  Task task = MakeTask("sleep_echo 0 'hello; rm -rf /'");
  ASSERT_TRUE(p->IsValidArgs(task));
  EXPECT_FALSE(p->IsValidArgs(MakeTask("sleep_echo 1")));
  auto child = std::dynamic_pointer_cast<const ChildProcessor>(p);
  ASSERT_NE(child, nullptr);
  RunResult r = RunProgram(child->Argv(task));
  EXPECT_EQ(r.exit_status, 0) << r.out;
  EXPECT_EQ(r.out, "hello; rm -rf /\n");
  RunResult bad = RunProgram(child->Argv(MakeTask("sleep_echo soon hi")));
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_THAT(bad.out, HasSubstr("SECONDS must be a whole number"));
}

TEST_F(ExamplePluginsTest, FlakyFailsFirstThenSucceeds) {
  auto child = std::dynamic_pointer_cast<const ChildProcessor>(Get("flaky"));
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->DefaultAttempts(), 3);
  EXPECT_EQ(child->DefaultBackoff().ToString(), "fixed:1");
  std::vector<std::string> argv = child->Argv(MakeTask("flaky"));
  EXPECT_EQ(RunProgram(argv, {"TASKQUEUE_ATTEMPT=1"}).exit_status, 1);
  EXPECT_EQ(RunProgram(argv, {"TASKQUEUE_ATTEMPT=2"}).exit_status, 0);
}

TEST_F(ExamplePluginsTest, ReportAndBackup) {
  auto report = Get("report");
  ASSERT_NE(report, nullptr);
  EXPECT_TRUE(report->IsValidArgs(MakeTask("report daily")));
  EXPECT_TRUE(report->IsValidArgs(MakeTask("report daily full")));
  EXPECT_FALSE(report->IsValidArgs(MakeTask("report 'da ily'")));
  EXPECT_TRUE(report->Overrides(MakeTask("report daily full"), MakeTask("report daily")));
  EXPECT_FALSE(report->Overrides(MakeTask("report daily"), MakeTask("report daily full")));
  EXPECT_THAT(report->DeferralTags(MakeTask("report daily")), ElementsAre("report:daily"));
  RunResult r = RunProgram(
      std::dynamic_pointer_cast<const ChildProcessor>(report)->Argv(MakeTask("report daily full")));
  EXPECT_EQ(r.exit_status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("report daily (full)"));

  auto backup = std::dynamic_pointer_cast<const ChildProcessor>(Get("backup"));
  ASSERT_NE(backup, nullptr);
  EXPECT_EQ(backup->Concurrency(), 1);
  EXPECT_TRUE(backup->IsDupe(MakeTask("backup /etc /b1"), MakeTask("backup /etc /b2")));
  EXPECT_FALSE(backup->IsValidArgs(MakeTask("backup etc /b")));
  TempDir dir;
  fs::create_directory(dir.path() / "src");
  std::ofstream(dir.path() / "src" / "file.txt") << "data";
  std::string text =
      "backup " + (dir.path() / "src").string() + " " + (dir.path() / "out").string();
  Task task = MakeTask(text);
  ASSERT_TRUE(backup->IsValidArgs(task)) << text;
  RunResult b = RunProgram(backup->Argv(task));
  EXPECT_EQ(b.exit_status, 0) << b.out;
  EXPECT_THAT(b.out, HasSubstr("backup: wrote"));
  int archives = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "out")) {
    if (e.path().string().find(".tar.gz") != std::string::npos) ++archives;
  }
  EXPECT_EQ(archives, 1);
}

}  // namespace
}  // namespace taskqueue
