// Processor defaults (cPanel's), ChildProcessor defaults and the registry
// (cPanel case 66 adapted), the is_dupe matrix and deferral (case 40).
#include "taskqueue/processor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fakes/test_util.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::MakeTask;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A minimal TaskContext for calling ProcessTask directly.
class RecordingContext : public TaskContext {
 public:
  explicit RecordingContext(Task task) : task_(std::move(task)) {}
  const Task& task() const override { return task_; }
  void Progress(int64_t done, int64_t total, const std::string&) override {
    progress_.emplace_back(done, total);
  }
  void Log(const std::string& line) override { lines_.push_back(line); }
  std::vector<std::pair<int64_t, int64_t>> progress_;
  std::vector<std::string> lines_;

 private:
  Task task_;
};

class TaggedProcessor : public Processor {
 public:
  std::vector<std::string> DeferralTags(const Task&) const override {
    return {"tag1", "tag2", "tag3"};
  }
};

TEST(ProcessorTest, DefaultHooks) {
  Processor p;
  Task t = MakeTask("noop a b");
  EXPECT_EQ(p.kind(), Processor::Kind::kInProcess);
  EXPECT_TRUE(p.IsValidArgs(t));
  EXPECT_FALSE(p.Overrides(t, t));
  EXPECT_FALSE(p.HasOverrides());
  EXPECT_FALSE(p.HasCustomIsDupe());
  EXPECT_THAT(p.DupeScope(t), ElementsAre("noop"));
  EXPECT_TRUE(p.DeferralTags(t).empty());
  EXPECT_EQ(p.Concurrency(), 0);
  EXPECT_EQ(p.DefaultAttempts(), 1);
  EXPECT_TRUE(p.DefaultBackoff().empty());
  EXPECT_EQ(p.RescheduleDelay(), 900);
  EXPECT_EQ(p.Timeout(), 0);
  EXPECT_FALSE(p.RemoveOnComplete());
}

TEST(ProcessorTest, DefaultProcessTaskIsNotSupported) {
  Processor p;
  RecordingContext ctx(MakeTask("thing 1"));
  Result<std::string> r = p.ProcessTask(ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotSupported());
  EXPECT_THAT(r.status().message(), HasSubstr("'thing'"));
}

// The original's is_dupe matrix: same command and equal args, whatever the
// spacing or quoting; anything else differs.
TEST(ProcessorTest, IsDupeMatrix) {
  Processor p;
  struct Row {
    const char* a;
    const char* b;
    bool dupe;
  };
  const Row rows[] = {
      {"noop a 2 c", "noop a 2 c", true},
      {"noop a 2 c", "noop  a   2   c", true},
      {"noop a 2 c", "noop a '2' c", true},
      {"noop a 2 c", "noop a \"2\" c", true},
      {"noop a 2 c", "noop a b 3", false},
      {"noop a 2 c", "noop a 2", false},
      {"noop a 2 c", "noop a 2 c d", false},
      {"noop a 2 c", "other a 2 c", false},
      {"noop", "noop", true},
      {"noop ''", "noop", false},
      {"noop 'a b'", "noop a b", false},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(p.IsDupe(MakeTask(row.a), MakeTask(row.b)), row.dupe) << row.a << " vs " << row.b;
    EXPECT_EQ(p.IsDupe(MakeTask(row.b), MakeTask(row.a)), row.dupe) << row.b << " vs " << row.a;
  }
}

// Case 40.
TEST(ProcessorTest, DeferralByTags) {
  TaggedProcessor tagged;
  Task t = MakeTask("test x");
  EXPECT_FALSE(tagged.IsTaskDeferred(t, {}));
  EXPECT_FALSE(tagged.IsTaskDeferred(t, {"fred"}));
  EXPECT_TRUE(tagged.IsTaskDeferred(t, {"tag1"}));
  EXPECT_TRUE(tagged.IsTaskDeferred(t, {"tag1", "tag2"}));
  EXPECT_TRUE(tagged.IsTaskDeferred(t, {"fred", "tag3"}));

  Processor plain;  // the default processor is never deferred
  EXPECT_FALSE(plain.IsTaskDeferred(t, {"tag1", "tag2", "tag3", ""}));
}

TEST(ChildProcessorTest, Defaults) {
  ChildProcessor c;
  Task t = MakeTask("sleep 2");
  EXPECT_EQ(c.kind(), Processor::Kind::kChild);
  EXPECT_EQ(c.RescheduleDelay(), 900);  // case 41
  EXPECT_EQ(c.Timeout(), 0);            // the queue's default_child_timeout applies
  EXPECT_TRUE(c.Argv(t).empty());
  EXPECT_TRUE(c.RetryOnFailure(1));

  RecordingContext ctx(t);
  Result<std::string> r = c.ProcessTask(ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotSupported());
}

TEST(ChildProcessorTest, DefaultRunInChildFailsWithAMessage) {
  ChildProcessor c;
  ::testing::internal::CaptureStderr();
  int status = c.RunInChild(MakeTask("sleep 2"));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, 1);
  EXPECT_THAT(err, HasSubstr("'sleep' defines neither Argv() nor RunInChild()"));
}

TEST(ProcessorRegistryTest, NoopIsBuiltInAndSucceeds) {
  ProcessorRegistry reg;
  EXPECT_THAT(reg.Commands(), ElementsAre("noop"));
  std::shared_ptr<const Processor> noop = reg.Find("noop");
  ASSERT_NE(noop, nullptr);
  EXPECT_EQ(noop->kind(), Processor::Kind::kInProcess);
  EXPECT_EQ(reg.SourceOf("noop"), "");
  RecordingContext ctx(MakeTask("noop 1 2"));
  Result<std::string> r = std::const_pointer_cast<Processor>(noop)->ProcessTask(ctx);
  ASSERT_TQ_OK(r);
  EXPECT_EQ(*r, "");
}

TEST(ProcessorRegistryTest, RegisterFindAndUnregister) {
  ProcessorRegistry reg;
  auto p = std::make_shared<ChildProcessor>();
  ASSERT_TQ_OK(reg.Register("sleep", p, "/etc/x.json"));
  EXPECT_EQ(reg.Find("sleep"), p);
  EXPECT_EQ(reg.SourceOf("sleep"), "/etc/x.json");
  EXPECT_THAT(reg.Commands(), ElementsAre("noop", "sleep"));
  ASSERT_TQ_OK(reg.Unregister("sleep"));
  EXPECT_EQ(reg.Find("sleep"), nullptr);
  EXPECT_EQ(reg.SourceOf("sleep"), "");
}

TEST(ProcessorRegistryTest, RegisterFunctionRunsTheCallable) {
  ProcessorRegistry reg;
  ASSERT_TQ_OK(reg.RegisterFunction("doit", [](TaskContext& ctx) -> Result<std::string> {
    ctx.Log("running");
    ctx.Progress(1, 2);
    std::string joined;
    for (const std::string& a : ctx.task().args) joined += "[" + a + "]";
    return joined;
  }));
  auto p = std::const_pointer_cast<Processor>(reg.Find("doit"));
  ASSERT_NE(p, nullptr);
  RecordingContext ctx(MakeTask("argsee 'a b' c"));  // case 25's args
  Result<std::string> r = p->ProcessTask(ctx);
  ASSERT_TQ_OK(r);
  EXPECT_EQ(*r, "[a b][c]");
  EXPECT_THAT(ctx.lines_, ElementsAre("running"));
  ASSERT_EQ(ctx.progress_.size(), 1u);
}

// Case 66 adapted.
TEST(ProcessorRegistryTest, RegisterErrors) {
  ProcessorRegistry reg;
  auto p = std::make_shared<Processor>();
  Status empty = reg.Register("", p);
  EXPECT_TRUE(empty.IsInvalidArgument());
  EXPECT_THAT(empty.message(), HasSubstr("Missing command"));

  Status spaced = reg.Register("do it", p);
  EXPECT_TRUE(spaced.IsInvalidArgument());
  EXPECT_THAT(spaced.message(), HasSubstr("'do it' contains whitespace"));
  EXPECT_FALSE(reg.Register("tab\there", p).ok());

  Status null = reg.Register("doit", nullptr);
  EXPECT_TRUE(null.IsInvalidArgument());
  EXPECT_THAT(null.message(), HasSubstr("Missing task processor for 'doit'"));
  EXPECT_FALSE(reg.RegisterFunction("doit", nullptr).ok());

  Status builtin = reg.Register("noop", p, "/plugins/b.json");
  EXPECT_TRUE(builtin.IsInvalidArgument());
  EXPECT_THAT(builtin.message(), HasSubstr("'noop' already has a processor (built in)"));
  EXPECT_THAT(builtin.message(), HasSubstr("from /plugins/b.json"));

  ASSERT_TQ_OK(reg.Register("mock", p, "/plugins/a.so"));
  Status twice = reg.Register("mock", p, "/plugins/b.json");
  EXPECT_THAT(twice.message(), HasSubstr("/plugins/a.so"));
  EXPECT_THAT(twice.message(), HasSubstr("/plugins/b.json"));
  EXPECT_EQ(reg.SourceOf("mock"), "/plugins/a.so");  // the first one stays

  Status missing = reg.Unregister("xyzzy");
  EXPECT_TRUE(missing.IsNotFound());
  EXPECT_EQ(missing.message(), "'xyzzy' is not registered.");
}

TEST(ProcessorRegistryTest, FailedFilesExplainOnlyUnregisteredCommands) {
  ProcessorRegistry reg;
  reg.RecordFailedFile("/p/broken.json", "processors[0].min_args: expected an integer",
                       {"backup", "noop"});
  EXPECT_EQ(reg.FailedDefinition("backup"),
            "/p/broken.json: processors[0].min_args: expected an integer");
  EXPECT_EQ(reg.FailedDefinition("noop"), std::nullopt);  // registered anyway
  EXPECT_EQ(reg.FailedDefinition("other"), std::nullopt);
  EXPECT_EQ(reg.Find("backup"), nullptr);

  reg.RecordFailedFile("/p/later.so", "boom", {"backup"});
  EXPECT_THAT(*reg.FailedDefinition("backup"), HasSubstr("/p/broken.json"));

  ASSERT_TQ_OK(reg.Register("backup", std::make_shared<ChildProcessor>(), "/q/ok.json"));
  EXPECT_EQ(reg.FailedDefinition("backup"), std::nullopt);
}

TEST(ProcessorRegistryTest, ConcurrentRegistrationAndLookup) {
  ProcessorRegistry reg;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&reg, t] {
      for (int i = 0; i < 200; ++i) {
        std::string cmd = "c" + std::to_string(t) + "_" + std::to_string(i);
        EXPECT_TRUE(reg.Register(cmd, std::make_shared<Processor>()).ok());
        EXPECT_NE(reg.Find(cmd), nullptr);
        EXPECT_NE(reg.Find("noop"), nullptr);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(reg.Commands().size(), 801u);
}

}  // namespace
}  // namespace taskqueue
