// Producer and daemon agree (SPEC §4, §4.1, §5): validation runs where a
// task is queued, so a task that taskqueuectl refuses (invalid args, an
// unknown command, a command whose plugin the producer did not load) exits
// 1 with a clear message and is never stored. A running daemon never sees
// it: nothing lists it, no event names it, it never runs, while the valid
// task queued after it runs and leaves its mark.

#include <set>

#include "integration/ctl_daemon_test_util.h"

namespace taskqueue::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ProducerDaemonAgreeTest : public CtlDaemonTest {
 protected:
  void SetUp() override {
    CtlDaemonTest::SetUp();
    // stamp WORD: exactly one lowercase word; a run appends
    // "<task id> <word>" to the marks file.
    WriteShellPlugin("stamp",
                     "printf '%s %s\\n' \"$TASKQUEUE_TASK_ID\" \"$1\" >> " + marks().string(),
                     R"({"min_args": 1, "max_args": 1, "arg_pattern": "^[a-z0-9]+$"})");
  }

  std::filesystem::path marks() const { return tmp() / "marks"; }

  std::vector<std::string> Marks() const {
    std::vector<std::string> lines;
    std::ifstream in(marks());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // Every task id that any event names (queue-wide events name none).
  std::set<int64_t> TasksInEvents() const {
    std::set<int64_t> ids;
    for (const auto& e : AllEvents()) {
      if (!e["task_id"].is_null()) ids.insert(e["task_id"].get<int64_t>());
    }
    return ids;
  }

  // Every task the CLI lists, pending or finished, as "<id> <command>".
  std::set<std::string> Listed() const {
    std::set<std::string> out;
    for (const char* state : {"waiting", "deferred", "active", "scheduled", "complete", "failed"}) {
      for (const auto& t : CtlJson({"list", state})) {
        std::string line = t["id"].get<std::string>() + " " + t["command"].get<std::string>();
        for (const auto& a : t["args"]) line += " " + a.get<std::string>();
        out.insert(line);
      }
    }
    return out;
  }

  // Expects `queue COMMAND` (and `--json queue COMMAND`, and `schedule`) to
  // be refused with exit 1 and a message containing `message`.
  void ExpectRefused(const std::string& command, const std::string& message,
                     const std::string& code) {
    SCOPED_TRACE("queue \"" + command + "\"");
    ProcessResult r = Ctl({"queue", command});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_THAT(r.out, Not(HasSubstr("Id:")));

    r = Ctl({"--json", "queue", command});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(doc.is_array() && doc.size() == 1) << Describe(r);
    EXPECT_EQ(doc[0]["command"], command);
    EXPECT_TRUE(doc[0]["id"].is_null());
    EXPECT_EQ(doc[0]["result"], "error");
    auto err = JsonError(r);
    EXPECT_EQ(err["error"]["code"], code);
    EXPECT_THAT(err["error"]["message"].get<std::string>(), HasSubstr(message));

    // Scheduling is queueing later: the same check, the same refusal.
    r = Ctl({"schedule", "after", "1", command});
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr(message));
  }
};

TEST_F(ProducerDaemonAgreeTest, TaskWithInvalidArgsIsNeverQueuedAndNeverRun) {
  auto daemon = StartDaemon({"--max-running", "2"});
  ASSERT_TRUE(daemon);

  // Each breaks one rule of the plugin: the pattern, min_args, max_args.
  for (const std::string bad :
       {"stamp Upper", "stamp semi;colon", "stamp 'two words'", "stamp", "stamp one two"}) {
    ExpectRefused(bad, "Requested command [" + bad + "] has invalid arguments.",
                  "invalid_argument");
  }
  // In a batch, only the bad string is refused; the call still exits 1.
  ProcessResult r = Ctl({"--json", "queue", "stamp first", "stamp Bad!", "stamp second"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  auto batch = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(batch.is_array() && batch.size() == 3) << Describe(r);
  EXPECT_EQ(batch[0]["result"], "queued");
  EXPECT_EQ(batch[1]["result"], "error");
  EXPECT_TRUE(batch[1]["id"].is_null());
  EXPECT_EQ(batch[2]["result"], "queued");

  // The valid task queued after all the refusals.
  auto last = CtlJson({"queue", "stamp last"});
  ASSERT_EQ(last.size(), 1u);
  ASSERT_EQ(last[0]["result"], "queued");

  ASSERT_TRUE(WaitForComplete(3)) << "counts " << Counts().dump() << "\n" << daemon->Log();
  EXPECT_EQ(Counts()["failed"], 0);

  // The daemon ran exactly the three accepted tasks, each once.
  const std::string first = batch[0]["id"], second = batch[2]["id"], last_id = last[0]["id"];
  EXPECT_THAT(Marks(), ::testing::UnorderedElementsAre(first + " first", second + " second",
                                                       last_id + " last"));
  // Nothing else is listed, in any state, and no event names another task.
  EXPECT_EQ(Listed(), (std::set<std::string>{first + " stamp first", second + " stamp second",
                                             last_id + " stamp last"}));
  std::set<int64_t> accepted;
  for (const std::string& id : {first, second, last_id}) {
    accepted.insert(std::stoll(id.substr(id.rfind(':') + 1)));
  }
  EXPECT_EQ(TasksInEvents(), accepted);
  for (const auto& e : AllEvents()) {
    EXPECT_THAT(e.dump(), Not(::testing::AnyOf(HasSubstr("Upper"), HasSubstr("semi"),
                                               HasSubstr("Bad!"), HasSubstr("two words"))))
        << "an event about a refused task";
  }
  StopDaemon(*daemon);
}

TEST_F(ProducerDaemonAgreeTest, UnknownCommandIsRefusedAndNotStored) {
  auto daemon = StartDaemon();
  ASSERT_TRUE(daemon);
  const std::string before = Snapshot();

  ExpectRefused("nosuch arg", "No known processor for 'nosuch'.", "not_supported");
  // A producer that did not load the daemon's plugins knows no 'stamp':
  // it refuses rather than queueing what it cannot validate.
  ProcessResult r = CtlRaw({"--state-dir", state_dir().string(), "queue", "stamp blind"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("No known processor for 'stamp'."));

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(CtlJson({"list"}), nlohmann::json::array());
  EXPECT_EQ(AllEvents().size(), 0u);

  // The daemon is alive and runs what was queued properly; the refused
  // tasks never ran.
  auto ok = CtlJson({"queue", "stamp known"});
  ASSERT_EQ(ok[0]["result"], "queued");
  ASSERT_TRUE(WaitForComplete(1)) << "counts " << Counts().dump() << "\n" << daemon->Log();
  EXPECT_EQ(Marks(), std::vector<std::string>{ok[0]["id"].get<std::string>() + " known"});
  auto counts = Counts();
  EXPECT_EQ(counts["failed"], 0);
  EXPECT_EQ(counts["scheduled"], 0);
  StopDaemon(*daemon);
}

}  // namespace
}  // namespace taskqueue::testing
