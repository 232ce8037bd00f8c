// Declarative (JSON) processors, SPEC §4.1: every field's behaviour and every
// load error, argv expansion with hostile args.
#include "declarative_processor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fakes/test_util.h"
#include "taskqueue/queue.h"

namespace taskqueue {
namespace {

namespace fs = std::filesystem;
using ::taskqueue::testing::MakeTask;
using ::taskqueue::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses a file holding one processor entry; the entry's "exec" defaults to
// /bin/echo so each test writes only the fields it is about.
class DeclarativeTest : public ::testing::Test {
 protected:
  std::string file() const { return (dir_.path() / "procs.json").string(); }

  Result<DeclarativeFile> ParseText(const std::string& text) {
    return ParseDeclarativeFile(file(), text);
  }

  std::shared_ptr<DeclarativeProcessor> One(const std::string& fields) {
    std::string entry = fields.find("\"exec\"") == std::string::npos
                            ? "\"exec\": [\"/bin/echo\", \"{args}\"], " + fields
                            : fields;
    Result<DeclarativeFile> f = ParseText("{\"processors\": [{" + entry + "}]}");
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    if (!f.ok() || f->processors.size() != 1) return nullptr;
    return f->processors[0];
  }

  // The error for an entry, which must name the file.
  std::string ErrorFor(const std::string& fields) {
    std::string entry = fields.find("\"exec\"") == std::string::npos
                            ? "\"exec\": [\"/bin/echo\", \"{args}\"], " + fields
                            : fields;
    return ErrorForText("{\"processors\": [{" + entry + "}]}");
  }

  std::string ErrorForText(const std::string& text) {
    Result<DeclarativeFile> f = ParseText(text);
    EXPECT_FALSE(f.ok()) << "expected a load error for: " << text;
    if (f.ok()) return "";
    EXPECT_TRUE(f.status().IsConfig()) << f.status().ToString();
    EXPECT_THAT(f.status().message(), StartsWith(file() + ": "));
    return f.status().message().substr(file().size() + 2);
  }

  TempDir dir_;
};

TEST_F(DeclarativeTest, TheSpecExampleLoadsWithEveryField) {
  auto p = One(R"("command": "notify", "exec": ["/bin/echo", "{args}"],
      "min_args": 2, "max_args": 2, "arg_pattern": "^[-\\w ]+$",
      "dupe_args": [0, 1], "dupe_commands": ["email"],
      "overrides": [ { "command": "notify", "when_arg": { "0": "ALL" }, "match_args": [1] } ],
      "deferral_tags": ["user:{0}"],
      "timeout": 600, "reschedule_delay": 300, "attempts": 3, "backoff": "exponential:30",
      "concurrency": 1, "remove_on_complete": true)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind(), Processor::Kind::kChild);
  EXPECT_EQ(p->Timeout(), 600);
  EXPECT_EQ(p->RescheduleDelay(), 300);
  EXPECT_EQ(p->DefaultAttempts(), 3);
  EXPECT_EQ(p->DefaultBackoff().ToString(), "exponential:30");
  EXPECT_EQ(p->Concurrency(), 1);
  EXPECT_TRUE(p->RemoveOnComplete());
  EXPECT_TRUE(p->HasCustomIsDupe());
  EXPECT_TRUE(p->HasOverrides());
}

TEST_F(DeclarativeTest, DefaultsOfOptionalFields) {
  auto p = One(R"("command": "x")");
  ASSERT_NE(p, nullptr);
  Task t = MakeTask("x a b");
  EXPECT_TRUE(p->IsValidArgs(t));
  EXPECT_TRUE(p->IsValidArgs(MakeTask("x")));
  EXPECT_FALSE(p->HasCustomIsDupe());
  EXPECT_FALSE(p->HasOverrides());
  EXPECT_TRUE(p->DeferralTags(t).empty());
  EXPECT_EQ(p->Timeout(), 0);
  EXPECT_EQ(p->RescheduleDelay(), 900);
  EXPECT_EQ(p->DefaultAttempts(), 1);
  EXPECT_TRUE(p->DefaultBackoff().empty());
  EXPECT_EQ(p->Concurrency(), 0);
  EXPECT_FALSE(p->RemoveOnComplete());
}

TEST_F(DeclarativeTest, SeveralProcessorsInOneFile) {
  Result<DeclarativeFile> f = ParseText(R"({"processors": [
      {"command": "a", "exec": ["/bin/true"]},
      {"command": "b", "exec": ["/bin/false"]}]})");
  ASSERT_TQ_OK(f);
  ASSERT_EQ(f->processors.size(), 2u);
  EXPECT_EQ(f->processors[1]->spec().command, "b");
}

// --- exec -------------------------------------------------------------------

TEST_F(DeclarativeTest, ArgvExpandsArgsAsSeparateEntriesUnchanged) {
  auto p = One(R"("command": "run", "exec": ["/bin/echo", "--", "{args}", "end"])");
  ASSERT_NE(p, nullptr);
  Task t = MakeTask(R"(run 'two words' "it's" '; rm -rf x' '$(id)' ''  plain)");
  EXPECT_THAT(p->Argv(t), ElementsAre("/bin/echo", "--", "two words", "it's", "; rm -rf x", "$(id)",
                                      "", "plain", "end"));
}

TEST_F(DeclarativeTest, ArgvPlaceholdersInsideStrings) {
  auto p = One(R"("command": "greet", "max_args": 2,
      "exec": ["/bin/echo", "--user={0}", "{command}:{1}", "{{literal}}", "{1}{0}"])");
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(
      p->Argv(MakeTask("greet fred 'hi there'")),
      ElementsAre("/bin/echo", "--user=fred", "greet:hi there", "{literal}", "hi therefred"));
}

TEST_F(DeclarativeTest, NoArgsExpandToNothing) {
  auto p = One(R"("command": "bare", "exec": ["/bin/echo", "{args}"])");
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->Argv(MakeTask("bare")), ElementsAre("/bin/echo"));
}

TEST_F(DeclarativeTest, ProgramIsResolvedInPathAndRelativeToTheFile) {
  auto from_path = One(R"("command": "e", "exec": ["echo", "{args}"])");
  ASSERT_NE(from_path, nullptr);
  std::string program = from_path->Argv(MakeTask("e"))[0];
  EXPECT_EQ(program.front(), '/');
  EXPECT_THAT(program, HasSubstr("/echo"));

  std::filesystem::create_directory(dir_.path() / "scripts");
  std::string script = (dir_.path() / "scripts" / "go.sh").string();
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  ::chmod(script.c_str(), 0755);
  auto relative = One(R"("command": "go", "exec": ["scripts/go.sh", "{args}"])");
  ASSERT_NE(relative, nullptr);
  EXPECT_EQ(relative->Argv(MakeTask("go"))[0], script);

  // A file named by a relative path still yields an absolute program path,
  // so a daemon that changes directory finds it.
  fs::path cwd = fs::current_path();
  fs::current_path(dir_.path());
  Result<DeclarativeFile> from_relative = ParseDeclarativeFile(
      "procs.json", R"({"processors": [{"command": "go", "exec": ["scripts/go.sh"]}]})");
  fs::current_path(cwd);
  ASSERT_TQ_OK(from_relative);
  EXPECT_EQ(from_relative->processors[0]->Argv(MakeTask("go"))[0], script);
}

// The argv reaches the program byte for byte: no shell sees it.
TEST_F(DeclarativeTest, HostileArgsReachTheProgramAsSeparateArgvEntries) {
  std::string out = (dir_.path() / "argv.txt").string();
  std::string script = (dir_.path() / "dump.sh").string();
  std::ofstream(script) << "#!/bin/sh\nout=\"$1\"; shift\nfor a in \"$@\"; do printf '<%s>\\n' "
                           "\"$a\" >> \"$out\"; done\n";
  ::chmod(script.c_str(), 0755);
  auto p = One(R"("command": "dump", "exec": ["./dump.sh", ")" + out + R"(", "{args}"])");
  ASSERT_NE(p, nullptr);
  std::filesystem::path victim = dir_.path() / "x";
  std::filesystem::create_directory(victim);

  std::vector<std::string> argv =
      p->Argv(MakeTask(R"(dump '; rm -rf x' "a b" '$(touch y)' 'q\'s')"));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(dir_.path().c_str()) != 0) _exit(126);
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(out);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "<; rm -rf x>\n<a b>\n<$(touch y)>\n<q's>\n");
  EXPECT_TRUE(std::filesystem::exists(victim));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "y"));
}

// --- validation of args ------------------------------------------------------

TEST_F(DeclarativeTest, MinAndMaxArgs) {
  auto p = One(R"("command": "m", "min_args": 1, "max_args": 2)");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->IsValidArgs(MakeTask("m")));
  EXPECT_TRUE(p->IsValidArgs(MakeTask("m a")));
  EXPECT_TRUE(p->IsValidArgs(MakeTask("m a b")));
  EXPECT_FALSE(p->IsValidArgs(MakeTask("m a b c")));
}

TEST_F(DeclarativeTest, TemplatesRaiseTheMinimumArgCount) {
  auto p = One(R"("command": "t", "exec": ["/bin/echo", "{2}"])");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->IsValidArgs(MakeTask("t a b")));
  EXPECT_TRUE(p->IsValidArgs(MakeTask("t a b c")));
  auto tags = One(R"("command": "u", "deferral_tags": ["lock:{1}"])");
  ASSERT_NE(tags, nullptr);
  EXPECT_FALSE(tags->IsValidArgs(MakeTask("u a")));
  EXPECT_TRUE(tags->IsValidArgs(MakeTask("u a b")));
}

TEST_F(DeclarativeTest, ArgPatternMatchesEveryArgWhole) {
  auto p = One(R"("command": "n", "arg_pattern": "^[-\\w ]+$")");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->IsValidArgs(MakeTask("n fred 'hello there' a-b")));
  EXPECT_FALSE(p->IsValidArgs(MakeTask("n fred 'semi;colon'")));
  EXPECT_FALSE(p->IsValidArgs(MakeTask("n ''")));  // + needs one character

  auto unanchored = One(R"("command": "d", "arg_pattern": "[0-9]+")");
  ASSERT_NE(unanchored, nullptr);
  EXPECT_TRUE(unanchored->IsValidArgs(MakeTask("d 123")));
  EXPECT_FALSE(unanchored->IsValidArgs(MakeTask("d 12x")));  // whole string, not a search
  EXPECT_FALSE(unanchored->IsValidArgs(MakeTask("d x12")));
  EXPECT_TRUE(unanchored->IsValidArgs(MakeTask("d")));  // no args: nothing to refuse
}

TEST_F(DeclarativeTest, ArgPatternSurvivesHugeArgs) {
  auto p = One(R"("command": "h", "arg_pattern": "(a|b)*")");
  ASSERT_NE(p, nullptr);
  Task t;
  t.command = "h";
  t.args = {std::string(256 << 10, 'a')};  // std::regex crashed at 16 KiB
  EXPECT_TRUE(p->IsValidArgs(t));
  t.args[0].back() = 'c';
  EXPECT_FALSE(p->IsValidArgs(t));
  auto evil = One(R"("command": "ev", "arg_pattern": "(a+)+$")");
  ASSERT_NE(evil, nullptr);
  t.command = "ev";
  t.args = {std::string(40, 'a') + "!"};
  EXPECT_FALSE(evil->IsValidArgs(t));  // catastrophic backtracking ends in a refusal
}

// --- dupes --------------------------------------------------------------------

TEST_F(DeclarativeTest, DupeArgsCompareOnlyTheListedArgs) {
  auto p = One(R"("command": "n", "dupe_args": [0])");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->IsDupe(MakeTask("n fred hi"), MakeTask("n fred bye")));
  EXPECT_FALSE(p->IsDupe(MakeTask("n fred hi"), MakeTask("n joe hi")));
  EXPECT_FALSE(p->IsDupe(MakeTask("n fred hi"), MakeTask("n")));  // arg 0 missing differs
  EXPECT_THAT(p->DupeScope(MakeTask("n")), ElementsAre("n"));
}

TEST_F(DeclarativeTest, DupeCommandsCountAsTheSame) {
  auto p = One(R"("command": "notify", "dupe_commands": ["email"])");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->HasCustomIsDupe());
  EXPECT_THAT(p->DupeScope(MakeTask("notify")), ElementsAre("notify", "email"));
  EXPECT_TRUE(p->IsDupe(MakeTask("notify fred hi"), MakeTask("email fred hi")));
  EXPECT_TRUE(p->IsDupe(MakeTask("notify fred hi"), MakeTask("notify fred 'hi'")));
  EXPECT_FALSE(p->IsDupe(MakeTask("notify fred hi"), MakeTask("email fred bye")));
  EXPECT_FALSE(p->IsDupe(MakeTask("notify fred hi"), MakeTask("sms fred hi")));
}

TEST_F(DeclarativeTest, DefaultDupeIsTheDefaultIndexLookup) {
  auto p = One(R"("command": "z")");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->HasCustomIsDupe());  // so the queue uses its index
  EXPECT_TRUE(p->IsDupe(MakeTask("z a b"), MakeTask("z  a  'b'")));
  EXPECT_FALSE(p->IsDupe(MakeTask("z a b"), MakeTask("z a")));
}

TEST_F(DeclarativeTest, DedupeFalseMakesNoTaskADuplicate) {
  auto p = One(R"("command": "mail", "dedupe": false)");
  ASSERT_NE(p, nullptr);
  // Custom, so the queue does not fall back to its same-command-and-args index.
  EXPECT_TRUE(p->HasCustomIsDupe());
  EXPECT_FALSE(p->IsDupe(MakeTask("mail"), MakeTask("mail")));
  EXPECT_FALSE(p->IsDupe(MakeTask("mail a b"), MakeTask("mail a b")));
  EXPECT_THAT(p->DupeScope(MakeTask("mail")), ElementsAre("mail"));
}

TEST_F(DeclarativeTest, DedupeTrueIsTheDefault) {
  auto p = One(R"("command": "mail", "dedupe": true)");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->spec().dedupe);
  EXPECT_FALSE(p->HasCustomIsDupe());
  EXPECT_TRUE(p->IsDupe(MakeTask("mail a"), MakeTask("mail a")));
  auto q = One(R"("command": "other")");
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(q->spec().dedupe);
}

TEST_F(DeclarativeTest, DedupeFalseQueuesEveryCopyInARealQueue) {
  auto p = One(R"("command": "mail", "dedupe": false)");
  ASSERT_NE(p, nullptr);
  auto registry = std::make_shared<ProcessorRegistry>();
  ASSERT_TQ_OK(registry->Register("mail", p));
  QueueOptions options;
  options.state_dir = dir_.path() / "state";
  options.registry = registry;
  Result<std::unique_ptr<Queue>> q = Queue::Open(options);
  ASSERT_TQ_OK(q);
  // Kue-style jobs of one type with no args: each one is a new task.
  for (int i = 0; i < 3; ++i) {
    Result<EnqueueOutcome> o = (*q)->QueueTask("mail");
    ASSERT_TQ_OK(o);
    EXPECT_FALSE(o->duplicate);
  }
  Result<std::vector<EnqueueOutcome>> batch = (*q)->QueueTasks({"mail x", "mail x"});
  ASSERT_TQ_OK(batch);
  for (const EnqueueOutcome& o : *batch) EXPECT_FALSE(o.duplicate);
  Result<int64_t> waiting = (*q)->Count(TaskState::kWaiting, "mail");
  ASSERT_TQ_OK(waiting);
  EXPECT_EQ(*waiting, 5);
}

TEST_F(DeclarativeTest, DedupeErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "dedupe": "no")"),
              StartsWith("processors[0].dedupe: expected true or false, got string"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "dedupe": 0)"),
              StartsWith("processors[0].dedupe: expected true or false"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "dedupe": false, "dupe_args": [0])"),
              StartsWith("processors[0].dupe_args: has no effect with \"dedupe\": false"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "dedupe": false, "dupe_commands": ["y"])"),
              StartsWith("processors[0].dupe_commands: has no effect with \"dedupe\": false"));
}

// --- overrides (the original's cases 16-17 expressed as a rule) ---------------

TEST_F(DeclarativeTest, OverridesRule) {
  // Case 16's rule: old is mock && (new.arg0 == 'all' || new.arg0 == old.arg0).
  auto p = One(R"("command": "mock", "overrides": [
      {"when_arg": {"0": "all"}},
      {"command": "mock", "match_args": [0]}])");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->HasOverrides());
  EXPECT_THAT(p->OverrideScope(MakeTask("mock")), ElementsAre("mock"));
  EXPECT_TRUE(p->Overrides(MakeTask("mock all off"), MakeTask("mock 1 on")));
  EXPECT_TRUE(p->Overrides(MakeTask("mock 2 off"), MakeTask("mock 2 on")));
  EXPECT_FALSE(p->Overrides(MakeTask("mock 2 off"), MakeTask("mock 1 on")));
  EXPECT_FALSE(p->Overrides(MakeTask("mock all off"), MakeTask("other 1 on")));
}

TEST_F(DeclarativeTest, OverridesRuleNeedsEveryConditionAndCanNameAnotherCommand) {
  auto p = One(R"("command": "notify", "overrides": [
      {"command": "notify", "when_arg": {"0": "ALL"}, "match_args": [1]},
      {"command": "email", "when_arg": {"0": "ALL", "2": "urgent"}}])");
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->OverrideScope(MakeTask("notify")), ElementsAre("notify", "email"));
  EXPECT_TRUE(p->Overrides(MakeTask("notify ALL hi"), MakeTask("notify fred hi")));
  EXPECT_FALSE(p->Overrides(MakeTask("notify ALL hi"), MakeTask("notify fred bye")));
  EXPECT_FALSE(p->Overrides(MakeTask("notify fred hi"), MakeTask("notify joe hi")));
  EXPECT_TRUE(p->Overrides(MakeTask("notify ALL x urgent"), MakeTask("email a b")));
  EXPECT_FALSE(p->Overrides(MakeTask("notify ALL x"), MakeTask("email a b")));
}

// --- deferral -----------------------------------------------------------------

TEST_F(DeclarativeTest, DeferralTagsAreTemplatesOverTheArgs) {
  auto p = One(R"("command": "backup", "deferral_tags": ["disk:{0}", "{command}", "all"])");
  ASSERT_NE(p, nullptr);
  Task t = MakeTask("backup /home extra");
  EXPECT_THAT(p->DeferralTags(t), ElementsAre("disk:/home", "backup", "all"));
  EXPECT_TRUE(p->IsTaskDeferred(t, {"disk:/home"}));
  EXPECT_FALSE(p->IsTaskDeferred(t, {"disk:/srv"}));
  EXPECT_TRUE(p->IsTaskDeferred(MakeTask("backup /srv"), {"all"}));
}

// --- load errors: each names the file and the field ----------------------------

TEST_F(DeclarativeTest, InvalidJson) {
  EXPECT_THAT(ErrorForText("{\"processors\": [}"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ErrorForText(""), HasSubstr("not valid JSON"));
}

TEST_F(DeclarativeTest, TopLevelErrors) {
  EXPECT_THAT(ErrorForText("[]"), HasSubstr("expected an object"));
  EXPECT_THAT(ErrorForText("{}"), StartsWith("processors: missing"));
  EXPECT_THAT(ErrorForText(R"({"processors": {}})"), StartsWith("processors: expected an array"));
  EXPECT_THAT(ErrorForText(R"({"processors": [], "extra": 1})"),
              StartsWith("extra: unknown field"));
  EXPECT_THAT(ErrorForText(R"({"processors": [5]})"),
              StartsWith("processors[0]: expected an object"));
}

// nlohmann keeps the last of two equal keys; the loader refuses the file.
TEST_F(DeclarativeTest, AFieldTwiceInOneObjectIsRefused) {
  EXPECT_THAT(ErrorFor(R"("command": "badcmd", "command": "other")"),
              HasSubstr("field \"command\" appears twice in one object"));
  EXPECT_THAT(ErrorForText(R"({"processors": [], "processors": []})"),
              HasSubstr("field \"processors\" appears twice"));
  // The same key in different objects is fine.
  Result<DeclarativeFile> two =
      ParseText(R"({"processors": [{"command": "a", "exec": ["/bin/true"]},
                                              {"command": "b", "exec": ["/bin/true"]}]})");
  ASSERT_TQ_OK(two);
  EXPECT_EQ(two->processors.size(), 2u);
}

TEST_F(DeclarativeTest, UnknownFieldIsNamed) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "timout": 5)"),
              StartsWith("processors[0].timout: unknown field"));
}

TEST_F(DeclarativeTest, CommandErrors) {
  EXPECT_THAT(ErrorFor(R"("min_args": 1)"), StartsWith("processors[0].command: missing"));
  EXPECT_THAT(ErrorFor(R"("command": 5)"), StartsWith("processors[0].command: expected a string"));
  EXPECT_THAT(ErrorFor(R"("command": "")"), StartsWith("processors[0].command: must not be empty"));
  EXPECT_THAT(ErrorFor(R"("command": "two words")"), HasSubstr("whitespace"));
  EXPECT_THAT(ErrorForText(R"({"processors": [{"command": "a", "exec": ["/bin/true"]},
                                              {"command": "a", "exec": ["/bin/true"]}]})"),
              StartsWith("processors[1].command: 'a' is defined twice"));
}

TEST_F(DeclarativeTest, ExecErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": [])"),
              StartsWith("processors[0].exec: expected a non-empty array"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": "/bin/echo")"),
              StartsWith("processors[0].exec: expected"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["/bin/echo", 3])"),
              StartsWith("processors[0].exec[1]: expected a string"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["/bin/echo", "{foo}"])"),
              StartsWith("processors[0].exec[1]: unknown placeholder {foo}"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["/bin/echo", "{0"])"),
              StartsWith("processors[0].exec[1]: unclosed '{'"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["/bin/echo", "a}"])"),
              StartsWith("processors[0].exec[1]: lone '}'"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["/bin/echo", "--x={args}"])"),
              StartsWith("processors[0].exec[1]: {args} must be a whole exec element"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "max_args": 2, "exec": ["/bin/echo", "{7}"])"),
              StartsWith("processors[0].exec[1] {7}: arg 7 is beyond max_args 2"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["{0}"])"),
              StartsWith("processors[0].exec[0]: the program may not come from the task's args"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["/nonexistent/prog"])"),
              StartsWith("processors[0].exec[0]: '/nonexistent/prog' is not an executable file"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "exec": ["no-such-program-tq"])"),
              StartsWith("processors[0].exec[0]: program 'no-such-program-tq' not found in $PATH"));
}

TEST_F(DeclarativeTest, ExecMissing) {
  EXPECT_THAT(ErrorForText(R"({"processors": [{"command": "x"}]})"),
              StartsWith("processors[0].exec: missing"));
}

TEST_F(DeclarativeTest, ArgCountErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "min_args": "2")"),
              StartsWith("processors[0].min_args: expected an integer"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "max_args": -1)"),
              StartsWith("processors[0].max_args: must be between 0"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "max_args": 1.5)"),
              StartsWith("processors[0].max_args: expected an integer"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "min_args": 3, "max_args": 2)"),
              StartsWith("processors[0].min_args: 3 is greater than max_args 2"));
}

TEST_F(DeclarativeTest, ArgPatternErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "arg_pattern": "([a-z")"),
              StartsWith("processors[0].arg_pattern: invalid regular expression '([a-z'"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "arg_pattern": ["a"])"),
              StartsWith("processors[0].arg_pattern: expected a string"));
}

TEST_F(DeclarativeTest, DupeFieldErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "dupe_args": 0)"),
              StartsWith("processors[0].dupe_args: expected an array"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "dupe_args": ["0"])"),
              StartsWith("processors[0].dupe_args[0]: expected an integer"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "max_args": 1, "dupe_args": [0, 3])"),
              StartsWith("processors[0].dupe_args[1]: arg 3 is beyond max_args 1"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "dupe_commands": "email")"),
              StartsWith("processors[0].dupe_commands: expected an array"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "dupe_commands": [""])"),
              StartsWith("processors[0].dupe_commands[0]: must not be empty"));
}

TEST_F(DeclarativeTest, OverrideErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "overrides": {})"),
              StartsWith("processors[0].overrides: expected an array"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "overrides": [1])"),
              StartsWith("processors[0].overrides[0]: expected an object"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "overrides": [{"when": {}}])"),
              StartsWith("processors[0].overrides[0].when: unknown field"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "overrides": [{"when_arg": {"first": "a"}}])"),
              StartsWith("processors[0].overrides[0].when_arg.first: keys must be arg indexes"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "overrides": [{"when_arg": {"0": 1}}])"),
              StartsWith("processors[0].overrides[0].when_arg.0: expected a string"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "max_args": 1, "overrides": [{"match_args": [1]}])"),
              StartsWith("processors[0].overrides[0].match_args[0]: arg 1 is beyond max_args 1"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "overrides": [{"command": 3}])"),
              StartsWith("processors[0].overrides[0].command: expected a string"));
}

TEST_F(DeclarativeTest, DeferralTagErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "deferral_tags": "a")"),
              StartsWith("processors[0].deferral_tags: expected an array"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "deferral_tags": ["{args}"])"),
              StartsWith("processors[0].deferral_tags[0]: {args} cannot be used in a tag"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "deferral_tags": ["user:{name}"])"),
              StartsWith("processors[0].deferral_tags[0]: unknown placeholder {name}"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "max_args": 1, "deferral_tags": ["u:{4}"])"),
              HasSubstr("arg 4 is beyond max_args 1"));
}

TEST_F(DeclarativeTest, PolicyFieldErrors) {
  EXPECT_THAT(ErrorFor(R"("command": "x", "timeout": 0)"),
              StartsWith("processors[0].timeout: must be between 1"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "timeout": "60")"),
              StartsWith("processors[0].timeout: expected an integer"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "reschedule_delay": -5)"),
              StartsWith("processors[0].reschedule_delay: must be between 0"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "attempts": 0)"),
              StartsWith("processors[0].attempts: must be between 1"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "attempts": true)"),
              StartsWith("processors[0].attempts: expected an integer"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "concurrency": 0)"),
              StartsWith("processors[0].concurrency: must be between 1"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "concurrency": 18446744073709551615)"),
              StartsWith("processors[0].concurrency: must be at most"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "backoff": "linear:5")"),
              StartsWith("processors[0].backoff: Invalid backoff 'linear:5'"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "backoff": 5)"),
              StartsWith("processors[0].backoff: expected a string"));
  EXPECT_THAT(ErrorFor(R"("command": "x", "remove_on_complete": "yes")"),
              StartsWith("processors[0].remove_on_complete: expected true or false"));
}

TEST_F(DeclarativeTest, FailedFilesStillReportTheirCommands) {
  std::vector<std::string> commands;
  Result<DeclarativeFile> f =
      ParseDeclarativeFile(file(), R"({"processors": [{"command": "good", "exec": ["/bin/true"]},
                                 {"command": "bad", "exec": ["/bin/true"], "timeout": "x"}]})",
                           &commands);
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(commands, ElementsAre("good", "bad"));
}

TEST_F(DeclarativeTest, LoadFromDisk) {
  std::ofstream(file()) << R"({"processors": [{"command": "d", "exec": ["/bin/true"]}]})";
  Result<DeclarativeFile> f = LoadDeclarativeFile(file());
  ASSERT_TQ_OK(f);
  EXPECT_EQ(f->processors.size(), 1u);
  Result<DeclarativeFile> missing = LoadDeclarativeFile(dir_.path() / "none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("none.json: cannot be read"));
}

}  // namespace
}  // namespace taskqueue
