// taskqueuectl queue, unqueue, schedule, unschedule, flush_scheduled_tasks
// and delete_unprocessed_tasks: output, --json shapes, options, exit codes.

#include <time.h>

#include "integration/cli_test_util.h"

namespace taskqueue::testing {
namespace {

using ::testing::HasSubstr;

class CliQueueTest : public CliTest {};

TEST_F(CliQueueTest, QueuePrintsIdsAndDuplicates) {
  auto r = Ctl({"queue", "noop", "noop a 'b c'", "noop a 'b c'"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("Id: TQ:TaskQueue:[0-9]+\nId: TQ:TaskQueue:[0-9]+\n"
                                             "Duplicate: noop a 'b c'\n"));
  auto q = OpenQueue();
  auto waiting = q->TasksInState(TaskState::kWaiting);
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 2u);
  EXPECT_EQ((*waiting)[1].args, (std::vector<std::string>{"a", "b c"}));
}

TEST_F(CliQueueTest, QueueJsonHasOneObjectPerCommandInOrder) {
  auto j = CtlJson({"queue", "noop 1", "noop 2", "noop 1"});
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["command"], "noop 1");
  EXPECT_EQ(j[0]["result"], "queued");
  EXPECT_THAT(j[0]["id"].get<std::string>(), HasSubstr("TQ:TaskQueue:"));
  EXPECT_EQ(j[1]["command"], "noop 2");
  EXPECT_EQ(j[2]["result"], "duplicate");
  EXPECT_TRUE(j[2]["id"].is_null());
}

TEST_F(CliQueueTest, QueueOptionsAreStored) {
  auto r = Ctl({"queue", "--priority", "high", "--attempts", "3", "--backoff", "exponential:30",
                "--timeout", "2m", "--userdata", R"({"owner":"ops"})", "noop x"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto j = CtlJson({"list", "waiting"});
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["priority"], -10);
  EXPECT_EQ(j[0]["attempts_max"], 3);
  EXPECT_EQ(j[0]["backoff"], "exponential:30");
  EXPECT_EQ(j[0]["timeout"], 120);
  EXPECT_EQ(j[0]["userdata"]["owner"], "ops");
  EXPECT_EQ(Ctl({"queue", "--priority", "-3", "noop y"}).exit_code, 0);
}

TEST_F(CliQueueTest, BadQueueOptionsAreUsageErrorsAndQueueNothing) {
  ASSERT_EQ(Ctl({"queue", "noop keep"}).exit_code, 0);
  const std::string before = Snapshot();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"queue", "--priority", "urgent", "noop"},
           {"queue", "--attempts", "0", "noop"},
           {"queue", "--attempts", "x", "noop"},
           {"queue", "--backoff", "linear:3", "noop"},
           {"queue", "--timeout", "-1", "noop"},
           {"queue", "--timeout", "soon", "noop"},
           {"queue", "--userdata", "[1]", "noop"},
           {"queue"},
       }) {
    auto r = Ctl(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << ": " << Describe(r);
    EXPECT_FALSE(r.err.empty());
  }
  auto r = Ctl({"queue", "--attempts", "zero", "noop"});
  EXPECT_THAT(r.err, HasSubstr("--attempts 'zero'"));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CliQueueTest, UnknownCommandExits1WithTheOriginalMessage) {
  ASSERT_EQ(Ctl({"queue", "noop keep"}).exit_code, 0);
  const std::string before = Snapshot();
  auto r = Ctl({"queue", "xyzzy a b"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("No known processor for 'xyzzy'."));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Snapshot(), before);

  r = Ctl({"--json", "queue", "xyzzy"});
  EXPECT_EQ(r.exit_code, 1);
  auto err = JsonError(r);
  EXPECT_EQ(err["error"]["code"], "not_supported");
  EXPECT_EQ(err["error"]["message"], "No known processor for 'xyzzy'.");
  auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out[0]["result"], "error");
  EXPECT_TRUE(out[0]["id"].is_null());
}

TEST_F(CliQueueTest, MalformedCommandStringNamesThePosition) {
  auto r = Ctl({"queue", "noop 'unterminated"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, ::testing::ContainsRegex("[0-9]"));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("position|column|character"));
  EXPECT_EQ(Snapshot().find("TQ:"), std::string::npos);
}

TEST_F(CliQueueTest, AGoodCommandIsQueuedNextToARefusedOne) {
  auto r = Ctl({"queue", "noop good", "nosuch", "noop also"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("Id: TQ:TaskQueue:"));
  auto q = OpenQueue();
  EXPECT_EQ(*q->Count(TaskState::kWaiting), 2);
}

TEST_F(CliQueueTest, InvalidArgsFromAPluginExit1) {
  WriteShellPlugin("two", "exit 0", R"({"min_args": 2, "max_args": 2})");
  EXPECT_EQ(Ctl({"queue", "two a b"}).exit_code, 0);
  auto r = Ctl({"queue", "two a"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("invalid arguments"));
}

TEST_F(CliQueueTest, UnqueueCountsAndAcceptsEveryIdForm) {
  auto j = CtlJson({"queue", "noop 1", "noop 2", "noop 3", "noop 4"});
  const std::string id1 = j[0]["id"], id2 = j[1]["id"];
  const std::string bare3 =
      j[2]["id"].get<std::string>().substr(std::string("TQ:TaskQueue:").size());
  auto r = Ctl({"unqueue", id1, bare3});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "2 tasks unqueued\n");
  // The scheduler's namespace names the same number.
  const std::string bare2 = id2.substr(std::string("TQ:TaskQueue:").size());
  r = Ctl({"unqueue", "TQ:TaskQueue-Scheduler:" + bare2});
  EXPECT_EQ(r.out, "1 tasks unqueued\n");
  EXPECT_EQ(*OpenQueue()->Count(TaskState::kWaiting), 1);
}

TEST_F(CliQueueTest, UnqueueOfAMissingIdRemovesTheRestAndExits1) {
  auto j = CtlJson({"queue", "noop 1", "noop 2"});
  auto r = Ctl({"unqueue", j[0]["id"], "999"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_EQ(r.out, "1 tasks unqueued\n");
  EXPECT_THAT(r.err, HasSubstr("999"));
  auto jr = Ctl({"--json", "unqueue", "998"});
  EXPECT_EQ(jr.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(jr.out)["count"], 0);
  EXPECT_EQ(JsonError(jr)["error"]["code"], "not_found");
}

TEST_F(CliQueueTest, MalformedIdsAreUsageErrorsAndRemoveNothing) {
  auto j = CtlJson({"queue", "noop 1"});
  const std::string before = Snapshot();
  for (const std::string bad : {"abc", "TQ:TaskQueue:", "TQ:Other:1", "-1", "0", "1x", ""}) {
    auto r = Ctl({"unqueue", j[0]["id"], bad});
    EXPECT_EQ(r.exit_code, 2) << "'" << bad << "': " << Describe(r);
    EXPECT_THAT(r.err, HasSubstr("Invalid task id"));
  }
  EXPECT_EQ(Ctl({"unqueue"}).exit_code, 2);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CliQueueTest, ScheduleAfterAndAtInEveryForm) {
  const int64_t now = time(nullptr);
  auto j = CtlJson({"schedule", "after", "10m", "noop a", "noop b"});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["result"], "scheduled");
  EXPECT_THAT(j[0]["id"].get<std::string>(), HasSubstr("TQ:TaskQueue-Scheduler:"));
  auto listed = CtlJson({"list", "scheduled"});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_NEAR(listed[0]["run_at"].get<int64_t>(), now + 600, 5);

  struct Case {
    std::vector<std::string> when;
    int64_t expect;  // Unix seconds; 0: only check it parsed
  };
  const std::vector<Case> cases = {
      {{"after", "90"}, now + 90},
      {{"after", "2h"}, now + 7200},
      {{"after", "1d"}, now + 86400},
      {{"after", "1h30m"}, now + 5400},
      {{"at", "4102444800"}, 4102444800},
      {{"at", "2100-01-01T00:00:00Z"}, 4102444800},
      {{"at", "2100-01-01T01:00+01:00"}, 4102444800},
      {{"at", "2100-01-01T09:00"}, 0},
      {{"at", "2100-01-01 09:00:30"}, 0},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> args = {"schedule"};
    args.insert(args.end(), cases[i].when.begin(), cases[i].when.end());
    args.push_back("noop case" + std::to_string(i));
    auto out = CtlJson(args);
    ASSERT_EQ(out.size(), 1u) << cases[i].when[1];
    auto found = CtlJson({"find", "task", out[0]["id"]});
    ASSERT_EQ(found.size(), 1u);
    if (cases[i].expect != 0) {
      EXPECT_NEAR(found[0]["run_at"].get<int64_t>(), cases[i].expect, 5) << cases[i].when[1];
    }
  }
  // Local time: the same wall-clock time as mktime gives.
  struct tm tm = {};
  tm.tm_year = 200;
  tm.tm_mon = 0;
  tm.tm_mday = 1;
  tm.tm_hour = 9;
  tm.tm_isdst = -1;
  const int64_t local = mktime(&tm);
  auto out = CtlJson({"schedule", "at", "2100-01-01T09:00", "noop local"});
  auto found = CtlJson({"find", "task", out[0]["id"]});
  EXPECT_EQ(found[0]["run_at"].get<int64_t>(), local);
}

TEST_F(CliQueueTest, ScheduleWithoutATimeIsDueNowAndHumanOutputGivesIds) {
  auto r = Ctl({"schedule", "noop now"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("Id: TQ:TaskQueue-Scheduler:[0-9]+\n"));
}

TEST_F(CliQueueTest, BadTimesAreUsageErrorsNamingTheText) {
  const std::string before = Snapshot();
  for (const auto& when : std::vector<std::vector<std::string>>{{"after", "soon"},
                                                                {"after", "10x"},
                                                                {"after", "1h30"},
                                                                {"after", "-5"},
                                                                {"at", "tomorrow"},
                                                                {"at", "2026-13-01T09:00"},
                                                                {"at", "2026-02-30"},
                                                                {"at", "2026-12-01T25:00"},
                                                                {"at", "2026-12-01T09:00Q"},
                                                                {"at"},
                                                                {"after"}}) {
    std::vector<std::string> args = {"schedule"};
    args.insert(args.end(), when.begin(), when.end());
    if (when.size() == 2) args.push_back("noop");
    auto r = Ctl(args);
    EXPECT_EQ(r.exit_code, 2) << when.back() << ": " << Describe(r);
    if (when.size() == 2 && when[1] != "-5") {
      EXPECT_THAT(r.err, HasSubstr("'" + when[1] + "'"));
    }
  }
  EXPECT_EQ(Ctl({"schedule", "after", "10"}).exit_code, 2);  // no command
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CliQueueTest, ScheduleOfAnUnknownCommandFails) {
  auto r = Ctl({"schedule", "after", "60", "xyzzy"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("xyzzy"));
}

TEST_F(CliQueueTest, UnscheduleRemovesScheduledTasksOnly) {
  auto s = CtlJson({"schedule", "after", "1h", "noop s1", "noop s2"});
  auto q = CtlJson({"queue", "noop q1"});
  auto r = Ctl({"unschedule", s[0]["id"], q[0]["id"]});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_EQ(r.out, "1 tasks unscheduled\n");
  auto j = CtlJson({"unschedule", s[1]["id"]});
  EXPECT_EQ(j["count"], 1);
  EXPECT_EQ(*OpenQueue()->Count(TaskState::kWaiting), 1);
  EXPECT_EQ(Ctl({"unschedule", "nope"}).exit_code, 2);
  EXPECT_EQ(Ctl({"unschedule"}).exit_code, 2);
}

TEST_F(CliQueueTest, FlushScheduledTasksQueuesEverythingNow) {
  auto s = CtlJson({"schedule", "after", "1d", "noop s1", "noop s2"});
  auto j = CtlJson({"flush_scheduled_tasks"});
  ASSERT_TRUE(j["ids"].is_array());
  EXPECT_EQ(j["ids"].size(), 2u);
  auto counts = CtlJson({"status"})["counts"];
  EXPECT_EQ(counts["scheduled"], 0);
  EXPECT_EQ(counts["waiting"], 2);
  auto r = Ctl({"flush_scheduled_tasks"});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Ctl({"flush_scheduled_tasks", "extra"}).exit_code, 2);
}

TEST_F(CliQueueTest, DeleteUnprocessedTasksByKind) {
  CtlJson({"schedule", "after", "1d", "noop s1", "noop s2"});
  CtlJson({"queue", "noop q1", "noop q2", "noop q3"});
  auto r = Ctl({"delete_unprocessed_tasks", "waiting"});
  EXPECT_EQ(r.out, "3 tasks deleted\n") << Describe(r);
  EXPECT_EQ(CtlJson({"delete_unprocessed_tasks", "scheduled"})["count"], 2);
  CtlJson({"schedule", "after", "1d", "noop s3"});
  CtlJson({"queue", "noop q4"});
  EXPECT_EQ(CtlJson({"delete_unprocessed_tasks"})["count"], 2);
  EXPECT_EQ(Ctl({"delete_unprocessed_tasks", "all"}).exit_code, 2);
  EXPECT_EQ(Ctl({"delete_unprocessed_tasks", "waiting", "scheduled"}).exit_code, 2);
}

}  // namespace
}  // namespace taskqueue::testing
