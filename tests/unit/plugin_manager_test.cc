// PluginManager: search path, loading JSON and C++ plugins, failures (bad
// files skipped and reported, double registration, unsafe permissions), and
// a real C++ plugin from tests/plugins/ loaded with its hooks called.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fakes/test_util.h"
#include "taskqueue/plugin.h"

#ifndef TQ_TEST_PLUGIN_DIR
#error "TQ_TEST_PLUGIN_DIR must name the directory of the test plugins (tests/plugins)"
#endif

namespace taskqueue {
namespace {

namespace fs = std::filesystem;
using ::taskqueue::testing::MakeTask;
using ::taskqueue::testing::ScopedEnv;
using ::taskqueue::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class FakeContext : public TaskContext {
 public:
  explicit FakeContext(Task t) : task_(std::move(t)) {}
  const Task& task() const override { return task_; }
  void Progress(int64_t done, int64_t total, const std::string&) override {
    progress.emplace_back(done, total);
  }
  void Log(const std::string& line) override { lines.push_back(line); }
  std::vector<std::pair<int64_t, int64_t>> progress;
  std::vector<std::string> lines;

 private:
  Task task_;
};

std::string Json(const std::string& command) {
  return R"({"processors": [{"command": ")" + command + R"(", "exec": ["/bin/true"]}]})";
}

class PluginManagerTest : public ::testing::Test {
 protected:
  fs::path Dir(const std::string& name) {
    fs::path p = root_.path() / name;
    fs::create_directories(p);
    ::chmod(p.c_str(), 0755);
    return p;
  }
  fs::path Write(const fs::path& dir, const std::string& name, const std::string& text) {
    fs::path p = dir / name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), 0644);
    return p;
  }
  // Copies test plugin tq_test_<variant>.so into `dir` as <as>.
  fs::path CopyPlugin(const std::string& variant, const fs::path& dir, std::string as = "") {
    if (as.empty()) as = "tq_test_" + variant + ".so";
    fs::path from = fs::path(TQ_TEST_PLUGIN_DIR) / ("tq_test_" + variant + ".so");
    fs::path to = dir / as;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    ::chmod(to.c_str(), 0755);
    return to;
  }
  std::unique_ptr<PluginManager> Manager(const std::vector<fs::path>& dirs) {
    std::vector<PluginDirectory> search;
    for (const fs::path& d : dirs) search.push_back({d, PluginDirectory::Origin::kCommandLine});
    return std::make_unique<PluginManager>(registry_, search);
  }

  TempDir root_;
  std::shared_ptr<ProcessorRegistry> registry_ = std::make_shared<ProcessorRegistry>();
};

// --- search path ---------------------------------------------------------------

TEST(PluginSearchPathTest, CommandLineThenEnvironmentThenDefault) {
  ScopedEnv env("TASKQUEUE_PLUGIN_PATH", "/env/a::/env/b:/cli/one/:/env/a");
  std::vector<PluginDirectory> path = PluginSearchPath({"/cli/one", "/cli/two"});
  ASSERT_THAT(path, SizeIs(5));
  EXPECT_EQ(path[0].path, "/cli/one");
  EXPECT_EQ(path[0].origin, PluginDirectory::Origin::kCommandLine);
  EXPECT_EQ(path[1].path, "/cli/two");
  EXPECT_EQ(path[2].path, "/env/a");
  EXPECT_EQ(path[2].origin, PluginDirectory::Origin::kEnvironment);
  EXPECT_EQ(path[3].path, "/env/b");
  EXPECT_EQ(path[4].path, DefaultPluginDirectory());
  EXPECT_EQ(path[4].origin, PluginDirectory::Origin::kDefault);
  EXPECT_FALSE(DefaultPluginDirectory().empty());
  EXPECT_TRUE(DefaultPluginDirectory().is_absolute());
}

TEST(PluginSearchPathTest, WithoutEnvironmentOrDefault) {
  ScopedEnv env("TASKQUEUE_PLUGIN_PATH", nullptr);
  std::vector<PluginDirectory> path = PluginSearchPath({"/x"}, /*include_default=*/false);
  ASSERT_THAT(path, SizeIs(1));
  EXPECT_EQ(path[0].path, "/x");
}

// --- JSON files -------------------------------------------------------------

TEST_F(PluginManagerTest, LoadsEveryFileInDirectoryOrderThenNameOrder) {
  fs::path d1 = Dir("one"), d2 = Dir("two");
  Write(d1, "b.json", Json("bee"));
  Write(d1, "a.json", Json("ay"));
  Write(d2, "c.json", Json("sea"));
  Write(d2, "notes.txt", "not a plugin");
  Write(d2, ".hidden.json", "{ broken");
  auto m = Manager({d1, d2});
  ASSERT_TQ_OK(m->LoadAll());
  ASSERT_THAT(m->loaded(), SizeIs(3));
  EXPECT_EQ(m->loaded()[0].file, (d1 / "a.json").string());
  EXPECT_EQ(m->loaded()[0].name, "a");
  EXPECT_EQ(m->loaded()[0].kind, LoadedPlugin::Kind::kJson);
  EXPECT_EQ(m->loaded()[1].file, (d1 / "b.json").string());
  EXPECT_EQ(m->loaded()[2].file, (d2 / "c.json").string());
  EXPECT_THAT(m->failures(), IsEmpty());
  EXPECT_EQ(registry_->SourceOf("sea"), (d2 / "c.json").string());
  EXPECT_THAT(registry_->Commands(), ElementsAre("ay", "bee", "noop", "sea"));
  EXPECT_EQ(m->PluginsHash().at((d1 / "b.json").string()), std::vector<std::string>{"bee"});

  // Loading again changes nothing (the original's case 65).
  ASSERT_TQ_OK(m->LoadAll());
  EXPECT_THAT(m->loaded(), SizeIs(3));
}

TEST_F(PluginManagerTest, BadFilesAreSkippedAndReportedWhileOthersLoad) {
  fs::path d = Dir("p");
  Write(d, "1good.json", Json("good"));
  Write(d, "2broken.json",
        R"({"processors": [{"command": "brk", "exec": ["/bin/true"], "colour": "red"}]})");
  Write(d, "3garbage.so", "this is not an ELF file");
  Write(d, "4notjson.json", "{ nope");
  Write(d, "5good.json", Json("good2"));
  auto m = Manager({d});
  Status s = m->LoadAll();
  ASSERT_TRUE(s.IsConfig());
  EXPECT_THAT(s.message(), HasSubstr("3 plugin files failed to load"));
  EXPECT_THAT(registry_->Commands(), ElementsAre("good", "good2", "noop"));
  ASSERT_THAT(m->failures(), SizeIs(3));
  EXPECT_EQ(m->failures()[0].file, (d / "2broken.json").string());
  EXPECT_EQ(m->failures()[0].reason, "processors[0].colour: unknown field");
  EXPECT_EQ(m->failures()[0].ToString(),
            (d / "2broken.json").string() + ": processors[0].colour: unknown field");
  EXPECT_THAT(m->failures()[1].reason, HasSubstr("cannot load the shared object"));
  EXPECT_THAT(m->failures()[2].reason, HasSubstr("not valid JSON"));
  // Queueing `brk` can name the file that failed to define it.
  EXPECT_EQ(registry_->FailedDefinition("brk"),
            (d / "2broken.json").string() + ": processors[0].colour: unknown field");
  EXPECT_EQ(registry_->FailedDefinition("elsewhere"), std::nullopt);
}

TEST_F(PluginManagerTest, RegisteringACommandTwiceFailsTheLaterFileNamingBoth) {
  fs::path d1 = Dir("one"), d2 = Dir("two");
  Write(d1, "a.json", Json("dup"));
  Write(d2, "b.json", R"({"processors": [{"command": "other", "exec": ["/bin/true"]},
                                         {"command": "dup", "exec": ["/bin/true"]}]})");
  auto m = Manager({d1, d2});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(1));
  EXPECT_EQ(m->failures()[0].file, (d2 / "b.json").string());
  EXPECT_THAT(m->failures()[0].reason, HasSubstr((d1 / "a.json").string()));
  EXPECT_THAT(m->failures()[0].reason, HasSubstr((d2 / "b.json").string()));
  EXPECT_EQ(registry_->SourceOf("dup"), (d1 / "a.json").string());
  EXPECT_EQ(registry_->Find("other"), nullptr);  // nothing of the failed file stays
  EXPECT_THAT(*registry_->FailedDefinition("other"), HasSubstr("b.json"));
}

TEST_F(PluginManagerTest, SameFileNameInALaterDirectoryIsShadowed) {
  fs::path d1 = Dir("one"), d2 = Dir("two");
  Write(d1, "x.json", Json("first"));
  Write(d2, "x.json", Json("second"));
  auto m = Manager({d1, d2});
  ASSERT_TQ_OK(m->LoadAll());
  EXPECT_NE(registry_->Find("first"), nullptr);
  EXPECT_EQ(registry_->Find("second"), nullptr);
  ASSERT_THAT(m->shadowed(), SizeIs(1));
  EXPECT_EQ(m->shadowed()[0].first, (d2 / "x.json").string());
  EXPECT_EQ(m->shadowed()[0].second, (d1 / "x.json").string());
}

TEST_F(PluginManagerTest, MissingDirectories) {
  std::vector<PluginDirectory> dirs = {
      {root_.path() / "from-env", PluginDirectory::Origin::kEnvironment},
      {root_.path() / "default", PluginDirectory::Origin::kDefault}};
  PluginManager quiet(registry_, dirs);
  EXPECT_TQ_OK(quiet.LoadAll());  // absent env/default dirs are fine

  fs::path file = Write(root_.path(), "plain", "x");
  auto m = Manager({root_.path() / "typo", file});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(2));
  EXPECT_EQ(m->failures()[0].ToString(),
            (root_.path() / "typo").string() + ": no such plugin directory");
  EXPECT_EQ(m->failures()[1].reason, "not a directory");
}

// --- safety --------------------------------------------------------------------

// A file that is not valid JSON (a trailing comma, a cut-off copy) or that
// is refused as unsafe still names its commands: queueing one of them then
// names the file instead of saying no plugin defines it.
TEST_F(PluginManagerTest, FailedFilesThatCannotBeParsedOrAreRefusedStillNameTheirCommands) {
  fs::path d = Dir("p");
  Write(d, "comma.json",
        R"({"processors": [{"command": "job", "exec": ["/bin/true"]},)"
        "\n"
        R"(  {"command" : "report", "exec": ["/bin/true"],}]})");
  Write(d, "cut.json", R"({"processors": [{"command": "half", "exec": ["/bin/tr)");
  fs::path loose = Write(d, "loose.json", Json("loose"));
  ::chmod(loose.c_str(), 0666);
  auto m = Manager({d});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(3));
  ASSERT_TRUE(registry_->FailedDefinition("job").has_value());
  EXPECT_THAT(*registry_->FailedDefinition("job"), HasSubstr((d / "comma.json").string()));
  EXPECT_THAT(*registry_->FailedDefinition("job"), HasSubstr("not valid JSON"));
  ASSERT_TRUE(registry_->FailedDefinition("report").has_value());
  ASSERT_TRUE(registry_->FailedDefinition("half").has_value());
  EXPECT_THAT(*registry_->FailedDefinition("half"), HasSubstr((d / "cut.json").string()));
  ASSERT_TRUE(registry_->FailedDefinition("loose").has_value());
  EXPECT_THAT(*registry_->FailedDefinition("loose"), HasSubstr("writable by group or others"));
  EXPECT_EQ(registry_->Find("loose"), nullptr);  // read for its names, never registered
  EXPECT_EQ(registry_->FailedDefinition("exec"), std::nullopt);
}

TEST_F(PluginManagerTest, GroupOrWorldWritableFilesAndDirectoriesAreRefused) {
  fs::path d = Dir("p");
  fs::path ok = Write(d, "ok.json", Json("ok"));
  EXPECT_TQ_OK(CheckPluginFileSafety(ok));

  fs::path loose = Write(d, "loose.json", Json("loose"));
  ::chmod(loose.c_str(), 0664);
  Status s = CheckPluginFileSafety(loose);
  ASSERT_TRUE(s.IsConfig());
  EXPECT_THAT(s.message(), HasSubstr("writable by group or others (mode 0664)"));
  EXPECT_THAT(s.message(), HasSubstr("chmod go-w " + loose.string()));

  auto m = Manager({d});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  EXPECT_NE(registry_->Find("ok"), nullptr);
  EXPECT_EQ(registry_->Find("loose"), nullptr);
  ASSERT_THAT(m->failures(), SizeIs(1));
  EXPECT_THAT(m->failures()[0].reason, HasSubstr("refused"));

  fs::path open_dir = Dir("open");
  fs::path inside = Write(open_dir, "in.json", Json("in"));
  ::chmod(open_dir.c_str(), 0777);
  Status dir_status = CheckPluginFileSafety(inside);
  ASSERT_TRUE(dir_status.IsConfig());
  EXPECT_THAT(dir_status.message(), HasSubstr("directory " + open_dir.string()));
  EXPECT_THAT(dir_status.message(), HasSubstr("mode 0777"));
}

TEST_F(PluginManagerTest, SymlinkIntoAnUnsafeDirectoryIsRefused) {
  fs::path open_dir = Dir("open");
  fs::path target = Write(open_dir, "t.json", Json("t"));
  ::chmod(open_dir.c_str(), 0777);
  fs::path d = Dir("p");
  fs::create_symlink(target, d / "t.json");
  Status s = CheckPluginFileSafety(d / "t.json");
  ASSERT_TRUE(s.IsConfig());
  EXPECT_THAT(s.message(), HasSubstr(open_dir.string()));
}

TEST_F(PluginManagerTest, FilesOwnedBySomeoneElseAreRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  fs::path d = Dir("p");
  fs::path theirs = Write(d, "theirs.json", Json("theirs"));
  ASSERT_EQ(::chown(theirs.c_str(), 12345, static_cast<gid_t>(-1)), 0);
  Status s = CheckPluginFileSafety(theirs);
  ASSERT_TRUE(s.IsConfig());
  EXPECT_THAT(s.message(), HasSubstr("owned by uid 12345"));

  fs::path their_dir = Dir("q");
  fs::path mine = Write(their_dir, "mine.json", Json("mine"));
  ASSERT_EQ(::chown(their_dir.c_str(), 12345, static_cast<gid_t>(-1)), 0);
  EXPECT_THAT(CheckPluginFileSafety(mine).message(), HasSubstr("owned by uid 12345"));
}

// --- C++ plugins ---------------------------------------------------------------

TEST_F(PluginManagerTest, CppPluginLoadsAndItsHooksAreCalled) {
  fs::path d = Dir("so");
  fs::path so = CopyPlugin("good", d);
  auto m = Manager({d});
  ASSERT_TQ_OK(m->LoadAll());
  ASSERT_THAT(m->loaded(), SizeIs(1));
  EXPECT_EQ(m->loaded()[0].kind, LoadedPlugin::Kind::kSharedObject);
  EXPECT_EQ(m->loaded()[0].name, "tq_test_good");
  EXPECT_THAT(m->loaded()[0].commands, ElementsAre("tp_echo", "tp_child", "tp_fn"));
  EXPECT_EQ(registry_->SourceOf("tp_echo"), so.string());

  std::shared_ptr<const Processor> echo = registry_->Find("tp_echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->kind(), Processor::Kind::kInProcess);
  EXPECT_TRUE(echo->IsValidArgs(MakeTask("tp_echo a b c")));
  EXPECT_FALSE(echo->IsValidArgs(MakeTask("tp_echo a b c d")));
  EXPECT_TRUE(echo->HasCustomIsDupe());
  EXPECT_TRUE(echo->IsDupe(MakeTask("tp_echo a 1"), MakeTask("tp_echo a 2")));
  EXPECT_FALSE(echo->IsDupe(MakeTask("tp_echo a 1"), MakeTask("tp_echo b 1")));
  EXPECT_TRUE(echo->HasOverrides());
  EXPECT_TRUE(echo->Overrides(MakeTask("tp_echo all"), MakeTask("tp_echo x")));
  EXPECT_FALSE(echo->Overrides(MakeTask("tp_echo x"), MakeTask("tp_echo y")));
  EXPECT_THAT(echo->DeferralTags(MakeTask("tp_echo db")), ElementsAre("tp:db"));
  EXPECT_TRUE(echo->IsTaskDeferred(MakeTask("tp_echo db"), {"tp:db"}));  // base-class default
  EXPECT_EQ(echo->Concurrency(), 2);
  EXPECT_EQ(echo->DefaultAttempts(), 4);
  FakeContext ctx(MakeTask("tp_echo 'a b' c"));
  Result<std::string> out = echo->ProcessTask(ctx);
  ASSERT_TQ_OK(out);
  EXPECT_EQ(*out, "echo:[a b][c]");
  EXPECT_THAT(ctx.lines, ElementsAre("echoing"));

  std::shared_ptr<const Processor> fn = registry_->Find("tp_fn");
  ASSERT_NE(fn, nullptr);
  FakeContext fn_ctx(MakeTask("tp_fn hello"));
  Result<std::string> fn_out = fn->ProcessTask(fn_ctx);
  ASSERT_TQ_OK(fn_out);
  EXPECT_EQ(*fn_out, "fn:hello from " + so.string());
  FakeContext fail_ctx(MakeTask("tp_fn fail"));
  EXPECT_EQ(fn->ProcessTask(fail_ctx).status().message(), "asked to fail");
}

TEST_F(PluginManagerTest, CppChildProcessorRunsInAForkedChild) {
  fs::path d = Dir("so");
  CopyPlugin("good", d);
  auto m = Manager({d});
  ASSERT_TQ_OK(m->LoadAll());
  auto child = std::dynamic_pointer_cast<const ChildProcessor>(registry_->Find("tp_child"));
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->kind(), Processor::Kind::kChild);
  EXPECT_EQ(child->RescheduleDelay(), 5);
  EXPECT_FALSE(child->RetryOnFailure(3));
  EXPECT_TRUE(child->RetryOnFailure(1));
  EXPECT_TRUE(child->Argv(MakeTask("tp_child")).empty());

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  Task task = MakeTask("tp_child a b");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::_exit(child->RunInChild(task));
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_EQ(out, "child saw 2 args\n");
}

TEST_F(PluginManagerTest, ProcessorsKeepTheirLibraryLoadedAfterTheManagerIsGone) {
  fs::path d = Dir("so");
  CopyPlugin("good", d);
  std::shared_ptr<const Processor> echo;
  {
    auto registry = std::make_shared<ProcessorRegistry>();
    PluginManager m(registry, {{d, PluginDirectory::Origin::kCommandLine}});
    ASSERT_TQ_OK(m.LoadAll());
    echo = registry->Find("tp_echo");
  }
  ASSERT_NE(echo, nullptr);
  FakeContext ctx(MakeTask("tp_echo still"));
  Result<std::string> out = echo->ProcessTask(ctx);
  ASSERT_TQ_OK(out);
  EXPECT_EQ(*out, "echo:[still]");
  echo.reset();  // unloads the library: must not crash
}

TEST_F(PluginManagerTest, ReloadIntoAFreshRegistryWhileOldProcessorsLive) {
  fs::path d = Dir("so");
  CopyPlugin("good", d);
  Write(d, "j.json", Json("jay"));
  auto first = Manager({d});
  ASSERT_TQ_OK(first->LoadAll());
  std::shared_ptr<const Processor> old_echo = registry_->Find("tp_echo");

  auto fresh = std::make_shared<ProcessorRegistry>();
  PluginManager second(fresh, first->directories());
  ASSERT_TQ_OK(second.LoadAll());
  EXPECT_THAT(fresh->Commands(), ElementsAre("jay", "noop", "tp_child", "tp_echo", "tp_fn"));
  first.reset();
  registry_.reset();
  FakeContext ctx(MakeTask("tp_echo x"));
  EXPECT_TQ_OK(old_echo->ProcessTask(ctx));
  EXPECT_TQ_OK(fresh->Find("tp_echo")->ProcessTask(ctx));
}

TEST_F(PluginManagerTest, PluginForAnotherApiVersionIsRefused) {
  fs::path d = Dir("so");
  CopyPlugin("bad_version", d);
  auto m = Manager({d});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(1));
  EXPECT_THAT(m->failures()[0].reason,
              HasSubstr("built for another plugin API version (this taskqueue speaks version 1)"));
}

TEST_F(PluginManagerTest, SharedObjectWithoutEntryPointIsRefused) {
  fs::path d = Dir("so");
  CopyPlugin("no_entry", d);
  auto m = Manager({d});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(1));
  EXPECT_THAT(m->failures()[0].reason,
              HasSubstr("not a taskqueue plugin: it does not export taskqueue_plugin_init"));
}

TEST_F(PluginManagerTest, CppPluginRegisteringATakenCommandRegistersNothing) {
  fs::path d = Dir("so");
  fs::path so = CopyPlugin("conflict", d);
  auto m = Manager({d});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(1));
  EXPECT_THAT(m->failures()[0].reason, HasSubstr("'noop' is already registered (built in)"));
  EXPECT_THAT(m->failures()[0].commands, ElementsAre("tp_conflict_fresh", "noop"));
  EXPECT_EQ(registry_->Find("tp_conflict_fresh"), nullptr);
  EXPECT_THAT(*registry_->FailedDefinition("tp_conflict_fresh"), HasSubstr(so.string()));
}

TEST_F(PluginManagerTest, CppPluginWhoseInitFailsIsReportedWithItsReason) {
  fs::path d = Dir("so");
  CopyPlugin("init_fails", d);
  auto m = Manager({d});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(1));
  EXPECT_EQ(m->failures()[0].reason, "missing setting 'endpoint' in /etc/tp.conf");
  EXPECT_EQ(registry_->Find("tp_half"), nullptr);
  EXPECT_TRUE(registry_->FailedDefinition("tp_half").has_value());
}

TEST_F(PluginManagerTest, CppPluginWhoseInitThrowsIsReported) {
  ScopedEnv env("TQ_TEST_PLUGIN_THROW", "1");
  fs::path d = Dir("so");
  CopyPlugin("init_fails", d, "thrower.so");
  auto m = Manager({d});
  EXPECT_TRUE(m->LoadAll().IsConfig());
  ASSERT_THAT(m->failures(), SizeIs(1));
  EXPECT_EQ(m->failures()[0].reason, "init threw: cannot read /etc/tp.conf");
}

// --- load by name ----------------------------------------------------------------

TEST_F(PluginManagerTest, LoadPluginByName) {
  fs::path d1 = Dir("one"), d2 = Dir("two");
  Write(d1, "alpha.json", Json("alpha"));
  Write(d2, "beta.json", Json("beta"));
  Write(d2, "bad.json", "[]");
  CopyPlugin("good", d2, "gamma.so");
  auto m = Manager({d1, d2});
  ASSERT_TQ_OK(m->LoadPluginByName("beta"));
  EXPECT_NE(registry_->Find("beta"), nullptr);
  EXPECT_EQ(registry_->Find("alpha"), nullptr);
  ASSERT_TQ_OK(m->LoadPluginByName("beta.json"));  // already loaded: OK, no change
  EXPECT_THAT(m->loaded(), SizeIs(1));
  ASSERT_TQ_OK(m->LoadPluginByName("gamma"));
  EXPECT_NE(registry_->Find("tp_echo"), nullptr);
  ASSERT_TQ_OK(m->LoadPluginByName((d1 / "alpha.json").string()));
  EXPECT_NE(registry_->Find("alpha"), nullptr);

  Status missing = m->LoadPluginByName("delta");
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_THAT(missing.message(), HasSubstr("no plugin named 'delta'"));
  EXPECT_THAT(missing.message(), HasSubstr(d1.string()));
  Status bad = m->LoadPluginByName("bad");
  EXPECT_TRUE(bad.IsConfig());
  EXPECT_THAT(bad.message(), HasSubstr("bad.json: (top level): expected an object"));
  EXPECT_TRUE(m->LoadPluginByName("bad").IsConfig());  // reported again, recorded once
  EXPECT_THAT(m->failures(), SizeIs(1));

  // LoadAll afterwards loads only what is left.
  EXPECT_TRUE(m->LoadAll().IsConfig() || m->failures().size() == 1);
  EXPECT_THAT(m->loaded(), SizeIs(3));
}

}  // namespace
}  // namespace taskqueue
