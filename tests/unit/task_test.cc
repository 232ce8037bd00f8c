// Task values: parsing (SPEC §3 and the original's table), quoting, ids,
// states, priorities, backoff and userdata. cPanel cases 20-22 adapted.
#include "taskqueue/task.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "fakes/test_util.h"

namespace taskqueue {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Args = std::vector<std::string>;

Args ArgsOf(std::string_view text) {
  Result<ParsedCommand> r = ParseCommandString(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? r->args : Args{};
}

std::string ErrorOf(std::string_view text) {
  Result<ParsedCommand> r = ParseCommandString(text);
  EXPECT_FALSE(r.ok()) << "expected an error for: " << text;
  if (r.ok()) return "";
  EXPECT_TRUE(r.status().IsInvalidArgument());
  return r.status().message();
}

// Case 20: a bare command.
TEST(ParseCommandStringTest, BareCommandHasNoArgs) {
  Result<ParsedCommand> r = ParseCommandString("noop");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->command, "noop");
  EXPECT_EQ(r->argstring, "");
  EXPECT_TRUE(r->args.empty());
}

// Rows 1, 2 and 5 of the original's table, verbatim.
TEST(ParseCommandStringTest, OriginalTableRow1QuotedWords) {
  EXPECT_THAT(ArgsOf("noop  'a b'   \"c d\"  e"), ElementsAre("a b", "c d", "e"));
}

TEST(ParseCommandStringTest, OriginalTableRow2EscapedQuotes) {
  EXPECT_THAT(ArgsOf(R"(noop  'a \'b\''   "\"c \" d"  e)"), ElementsAre("a 'b'", "\"c \" d", "e"));
}

TEST(ParseCommandStringTest, OriginalTableRow5EmptyQuotedArg) {
  EXPECT_THAT(ArgsOf("noop ''"), ElementsAre(""));
  EXPECT_THAT(ArgsOf("noop \"\" x"), ElementsAre("", "x"));
}

TEST(ParseCommandStringTest, BackslashOutsideQuotesIsLiteral) {
  EXPECT_THAT(ArgsOf(R"(noop a\ b)"), ElementsAre("a\\", "b"));
  EXPECT_THAT(ArgsOf(R"(noop C:\dir\file)"), ElementsAre(R"(C:\dir\file)"));
}

TEST(ParseCommandStringTest, BackslashesInsideQuotesNotBeforeAQuoteAreLiteral) {
  EXPECT_THAT(ArgsOf(R"(noop 'C:\\dir\n')"), ElementsAre(R"(C:\\dir\n)"));
}

TEST(ParseCommandStringTest, OtherQuoteKindInsideQuotesIsLiteral) {
  EXPECT_THAT(ArgsOf(R"(noop "it's" 'say "hi"')"), ElementsAre("it's", "say \"hi\""));
}

TEST(ParseCommandStringTest, ArgstringKeepsSpacingAndQuotesVerbatim) {
  Result<ParsedCommand> r = ParseCommandString("noop   a  'b  c'  ");
  ASSERT_TQ_OK(r);
  EXPECT_EQ(r->command, "noop");
  EXPECT_EQ(r->argstring, "a  'b  c'  ");
  EXPECT_THAT(r->args, ElementsAre("a", "b  c"));
}

TEST(ParseCommandStringTest, AnyWhitespaceSeparates) {
  EXPECT_THAT(ArgsOf("noop\ta\nb\r\fc\vd"), ElementsAre("a", "b", "c", "d"));
}

// Case 9: spacing and quoting do not change the args.
TEST(ParseCommandStringTest, SpacingAndQuotingGiveEqualArgs) {
  Args expected{"a", "2", "c"};
  EXPECT_EQ(ArgsOf("noop a 2 c"), expected);
  EXPECT_EQ(ArgsOf("noop  a   2   c"), expected);
  EXPECT_EQ(ArgsOf("noop a '2' c"), expected);
  EXPECT_EQ(ArgsOf("noop a \"2\" c"), expected);
}

TEST(ParseCommandStringTest, EmptyAndBlankAreRefusedAsInTheOriginal) {
  EXPECT_EQ(ErrorOf(""), "Cannot queue an empty command.");
  EXPECT_EQ(ErrorOf("   "), "Cannot queue an empty command.");
  EXPECT_EQ(ErrorOf("\t\n"), "Cannot queue an empty command.");
}

// Malformed input the original mangles: refused, naming the 1-based position.
TEST(ParseCommandStringTest, LeadingWhitespaceIsRefused) {
  EXPECT_THAT(ErrorOf(" noop"), HasSubstr("position 1"));
  EXPECT_THAT(ErrorOf(" noop"), HasSubstr("whitespace before the command"));
}

TEST(ParseCommandStringTest, UnterminatedSingleQuoteNamesItsPosition) {
  EXPECT_EQ(ErrorOf("noop 'unterminated x"), "unterminated single quote starting at position 6");
}

TEST(ParseCommandStringTest, MismatchedQuotesAreUnterminated) {
  EXPECT_EQ(ErrorOf("noop 'a\""), "unterminated single quote starting at position 6");
  EXPECT_EQ(ErrorOf("noop x \"a'"), "unterminated double quote starting at position 8");
}

TEST(ParseCommandStringTest, EscapedClosingQuoteLeavesTheQuoteOpen) {
  EXPECT_EQ(ErrorOf(R"(noop 'a\')"), "unterminated single quote starting at position 6");
}

TEST(ParseCommandStringTest, QuoteOpeningInsideAWordIsRefused) {
  EXPECT_THAT(ErrorOf("noop a'b c'"), HasSubstr("quote opening inside a word at position 7"));
  EXPECT_THAT(ErrorOf("noop ab\"c"), HasSubstr("position 8"));
}

TEST(ParseCommandStringTest, TextGluedAfterAClosingQuoteIsRefused) {
  EXPECT_THAT(ErrorOf("noop 'a'b"), HasSubstr("after the closing quote at position 9"));
}

TEST(ParseCommandStringTest, QuoteInTheCommandNameIsRefused) {
  EXPECT_THAT(ErrorOf("'noop' a"), HasSubstr("command name at position 1"));
  EXPECT_THAT(ErrorOf("no\"op"), HasSubstr("position 3"));
}

TEST(ParseCommandStringTest, PositionsCountBytesFromOne) {
  // The error's position must point at the opening quote itself.
  std::string text = "cmd aa bb 'cc";
  ASSERT_EQ(text[11 - 1], '\'');
  EXPECT_THAT(ErrorOf(text), HasSubstr("position 11"));
}

TEST(ParseCommandStringTest, HugeCommandParsesInLinearTime) {
  std::string big(1 << 20, 'x');
  Result<ParsedCommand> r = ParseCommandString("noop " + big + " '" + big + "'");
  ASSERT_TQ_OK(r);
  ASSERT_EQ(r->args.size(), 2u);
  EXPECT_EQ(r->args[0].size(), big.size());
  EXPECT_EQ(r->args[1], big);
}

// --- QuoteArg ---------------------------------------------------------------

std::string RoundTrip(const std::string& arg) {
  Result<ParsedCommand> r = ParseCommandString("noop " + QuoteArg(arg));
  EXPECT_TRUE(r.ok()) << "arg <" << arg << "> quoted as <" << QuoteArg(arg)
                      << ">: " << r.status().ToString();
  if (!r.ok() || r->args.size() != 1) {
    ADD_FAILURE() << "arg <" << arg << "> did not come back as one arg";
    return "<missing>";
  }
  return r->args[0];
}

TEST(QuoteArgTest, PlainWordsStayBare) {
  EXPECT_EQ(QuoteArg("abc"), "abc");
  EXPECT_EQ(QuoteArg(R"(a\b)"), R"(a\b)");
}

TEST(QuoteArgTest, RoundTripsTrickyArgs) {
  const std::vector<std::string> cases = {
      "",         " ",         "a b",   "it's",        "\"",         "'",
      "\\",       "a\\",       "a b\\", "\\'",         "\\\"",       "\\\\'",
      "'\"'\"",   "x\\\\",     "\t\n",  "; rm -rf x",  "$(id) `id`", "a'b c'",
      "'a \\'b'", "end\\\\\\", "\\ \\", "\"\\\"\\\\\""};
  for (const std::string& arg : cases) EXPECT_EQ(RoundTrip(arg), arg) << QuoteArg(arg);
}

TEST(QuoteArgTest, RoundTripsRandomStringsOverTheSpecialCharacters) {
  std::mt19937 rng(42);
  const std::string alphabet = "ab '\"\\\t";
  for (int n = 0; n < 2000; ++n) {
    std::string arg;
    int len = static_cast<int>(rng() % 12);
    for (int i = 0; i < len; ++i) arg.push_back(alphabet[rng() % alphabet.size()]);
    ASSERT_EQ(RoundTrip(arg), arg) << "quoted as <" << QuoteArg(arg) << ">";
  }
}

TEST(QuoteArgTest, RoundTripsAOneMebibyteArg) {
  std::string arg;
  arg.reserve(1 << 20);
  const std::string pattern = "a b'c\"d\\e\\'f ";
  while (arg.size() < (1u << 20)) arg += pattern;
  EXPECT_EQ(RoundTrip(arg), arg);
}

TEST(QuoteArgTest, JoinedQuotedArgsRebuildTheArgList) {
  Args args{"one", "two words", "", "it's \"x\"", "back\\slash\\"};
  std::string text = "cmd";
  for (const std::string& a : args) text += " " + QuoteArg(a);
  EXPECT_EQ(ArgsOf(text), args);
}

// --- Task -------------------------------------------------------------------

TEST(TaskTest, UuidAndFullCommand) {
  Task t;
  t.id = 7;
  t.command = "noop";
  EXPECT_EQ(t.uuid(), "TQ:TaskQueue:7");
  EXPECT_EQ(t.full_command(), "noop");  // no trailing space, unlike the original
  t.argstring = "a  'b c'";
  EXPECT_EQ(t.full_command(), "noop a  'b c'");
  t.ns = "TaskQueue-Scheduler";
  EXPECT_EQ(t.uuid(), "TQ:TaskQueue-Scheduler:7");
}

TEST(TaskTest, DefaultsMatchTheOriginal) {
  Task t;
  EXPECT_EQ(t.attempts_max, 1);
  EXPECT_EQ(t.attempts_remaining(), 1);
  EXPECT_EQ(t.userdata_json, "{}");
  EXPECT_FALSE(t.finished());
}

// Case 22 adapted: attempts count down and floor at zero.
TEST(TaskTest, AttemptsRemainingFloorsAtZero) {
  Task t;
  t.attempts_max = 3;
  for (int made = 0; made <= 5; ++made) {
    t.attempts_made = made;
    EXPECT_EQ(t.attempts_remaining(), made < 3 ? 3 - made : 0);
  }
}

// Task values are copies: the original's clone keeps args and uuid.
TEST(TaskTest, CopiesAreIndependent) {
  Task a;
  a.id = 3;
  a.command = "noop";
  a.args = {"x"};
  Task b = a;
  b.args.push_back("y");
  EXPECT_EQ(a.args.size(), 1u);
  EXPECT_EQ(b.uuid(), a.uuid());
}

TEST(TaskStateTest, NamesRoundTripAndAliasesParse) {
  for (TaskState s : {TaskState::kScheduled, TaskState::kWaiting, TaskState::kDeferred,
                      TaskState::kProcessing, TaskState::kComplete, TaskState::kFailed}) {
    EXPECT_EQ(ParseTaskState(TaskStateName(s)), s);
  }
  EXPECT_STREQ(TaskStateName(TaskState::kProcessing), "processing");
  EXPECT_EQ(ParseTaskState("delayed"), TaskState::kScheduled);
  EXPECT_EQ(ParseTaskState("inactive"), TaskState::kWaiting);
  EXPECT_EQ(ParseTaskState("active"), TaskState::kProcessing);
  EXPECT_EQ(ParseTaskState("bogus"), std::nullopt);
  EXPECT_EQ(ParseTaskState(""), std::nullopt);
}

TEST(ParsePriorityTest, KueNamesAndNumbers) {
  EXPECT_EQ(*ParsePriority("low"), 10);
  EXPECT_EQ(*ParsePriority("normal"), 0);
  EXPECT_EQ(*ParsePriority("medium"), -5);
  EXPECT_EQ(*ParsePriority("high"), -10);
  EXPECT_EQ(*ParsePriority("critical"), -15);
  EXPECT_EQ(*ParsePriority("42"), 42);
  EXPECT_EQ(*ParsePriority("-3"), -3);
  EXPECT_EQ(*ParsePriority("+3"), 3);
}

TEST(ParsePriorityTest, RefusesGarbageNamingIt) {
  for (const char* bad : {"", "urgent", "1.5", "3x", " 3", "99999999999"}) {
    Result<int> r = ParsePriority(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_THAT(r.status().message(), HasSubstr("'" + std::string(bad) + "'"));
  }
}

TEST(BackoffTest, ParsesAndPrints) {
  Result<Backoff> none = Backoff::Parse("");
  ASSERT_TQ_OK(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(none->ToString(), "");

  Result<Backoff> fixed = Backoff::Parse("fixed:30");
  ASSERT_TQ_OK(fixed);
  EXPECT_EQ(fixed->kind, Backoff::Kind::kFixed);
  EXPECT_EQ(fixed->seconds, 30);
  EXPECT_EQ(fixed->ToString(), "fixed:30");

  Result<Backoff> exp = Backoff::Parse("exponential:5");
  ASSERT_TQ_OK(exp);
  EXPECT_EQ(exp->ToString(), "exponential:5");
}

TEST(BackoffTest, RefusesBadSpecs) {
  for (const char* bad : {"fixed", "fixed:", "fixed:0", "fixed:-1", "fixed:1.5", "linear:3",
                          "exponential:x", ":5", "fixed:5 ", "fixed:99999999999999999999"}) {
    Result<Backoff> r = Backoff::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_THAT(r.status().message(), HasSubstr("Invalid backoff"));
    }
  }
}

TEST(BackoffTest, Delays) {
  Backoff fixed{Backoff::Kind::kFixed, 30};
  EXPECT_EQ(fixed.DelaySeconds(2), 30);
  EXPECT_EQ(fixed.DelaySeconds(9), 30);
  Backoff exp{Backoff::Kind::kExponential, 5};
  EXPECT_EQ(exp.DelaySeconds(2), 5);
  EXPECT_EQ(exp.DelaySeconds(3), 10);
  EXPECT_EQ(exp.DelaySeconds(4), 20);
  EXPECT_GT(exp.DelaySeconds(200), 0);  // saturates, never wraps negative
  EXPECT_EQ(Backoff{}.DelaySeconds(2), 0);
}

TEST(ParseTaskIdTest, FullAndBareIds) {
  std::string ns = "unchanged";
  EXPECT_EQ(*ParseTaskId("TQ:TaskQueue:12", &ns), 12);
  EXPECT_EQ(ns, "TaskQueue");
  EXPECT_EQ(*ParseTaskId("TQ:TaskQueue-Scheduler:3", &ns), 3);
  EXPECT_EQ(ns, "TaskQueue-Scheduler");
  EXPECT_EQ(*ParseTaskId("TQ:Mine:77", &ns), 77);  // case 18's own namespace
  EXPECT_EQ(*ParseTaskId("41", &ns), 41);
  EXPECT_EQ(ns, "");
  EXPECT_EQ(*ParseTaskId("5"), 5);
}

// Case 15 adapted: bad ids are refused with a clear message.
TEST(ParseTaskIdTest, RefusesBadIds) {
  for (const char* bad :
       {"", "0", "-3", "abc", "TQ:", "TQ:TaskQueue:", "TQ::5", "TQ:TaskQueue:x", "TQ:TaskQueue:0",
        "1 ", "99999999999999999999", "XQ:TaskQueue:1", "TQ:Task:Queue:1"}) {
    Result<int64_t> r = ParseTaskId(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("Invalid task id"));
  }
}

TEST(ValidateUserdataTest, AcceptsFlatObjects) {
  EXPECT_EQ(*ValidateUserdata(""), "{}");
  EXPECT_EQ(*ValidateUserdata("{}"), "{}");
  EXPECT_EQ(*ValidateUserdata(R"( {"b": 1, "a": "x", "c": true, "d": null, "e": 1.5} )"),
            R"({"a":"x","b":1,"c":true,"d":null,"e":1.5})");
}

// Case 22 adapted: every bad key is named at once, sorted.
TEST(ValidateUserdataTest, RefusesNestedValuesNamingEveryKey) {
  Result<std::string> r = ValidateUserdata(R"({"bad_h": {}, "good": 5, "bad_a": []})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "userdata must be a flat object (strings, numbers, booleans, null); "
            "'bad_a' holds an array, 'bad_h' holds an object");
}

TEST(ValidateUserdataTest, RefusesNonObjectsAndBadJson) {
  EXPECT_THAT(ValidateUserdata("[1]").status().message(), HasSubstr("must be a JSON object"));
  EXPECT_THAT(ValidateUserdata("5").status().message(), HasSubstr("must be a JSON object"));
  EXPECT_THAT(ValidateUserdata("{nope").status().message(), HasSubstr("not valid JSON"));
}

}  // namespace
}  // namespace taskqueue
