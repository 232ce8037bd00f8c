// How the tasks table stores a list of strings (a task's args, its deferral
// tags): a JSON array, written and read by EncodeStrings/DecodeStrings
// (state/sqlite_util.cc). What must hold: every list reads back as it was
// written, whatever its strings hold; plain lists are the JSON that
// nlohmann_json writes for them, so older files read the same; and text that
// is not such an array reads as what JSON makes of it.
#include "state/sqlite_util.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace taskqueue::state {
namespace {

using Strings = std::vector<std::string>;

std::string NlohmannJson(const Strings& strings) {
  return nlohmann::json(strings).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const Strings kLists[] = {
    {},
    {""},
    {"", ""},
    {"1"},
    {"fred", "wake up"},
    {"user:{0}", "a,b", "[x]", "  spaced  "},
    {"say \"hi\"", "back\\slash", "tab\there", "new\nline"},
    {"caf\xc3\xa9", "\xe2\x82\xac 5"},  // UTF-8
    {"\x01\x1f", "\x7f"},               // control characters and DEL
    {"\"", "\\", "\\\"", ","},
};

TEST(StringListCodecTest, ListsAreWrittenAsNlohmannJsonWritesThem) {
  for (const Strings& list : kLists) EXPECT_EQ(EncodeStrings(list), NlohmannJson(list));
}

TEST(StringListCodecTest, EveryListReadsBackAsWritten) {
  for (const Strings& list : kLists) {
    EXPECT_EQ(DecodeStrings(EncodeStrings(list)), list) << EncodeStrings(list);
  }
}

TEST(StringListCodecTest, InvalidUtf8IsReplacedAsBefore) {
  const Strings list = {"ok", "bad \xff byte"};
  EXPECT_EQ(EncodeStrings(list), NlohmannJson(list));
  EXPECT_EQ(DecodeStrings(EncodeStrings(list)), (Strings{"ok", "bad \xef\xbf\xbd byte"}));
}

TEST(StringListCodecTest, ReadsJsonWrittenOtherwise) {
  EXPECT_EQ(DecodeStrings(R"([ "a" , "b" ])"), (Strings{"a", "b"}));
  EXPECT_EQ(DecodeStrings(R"(["\u0041\t"])"), (Strings{"A\t"}));
  EXPECT_EQ(DecodeStrings(R"(["a", 1, null, "b"])"), (Strings{"a", "b"}));
}

TEST(StringListCodecTest, TextThatIsNoArrayReadsAsNothing) {
  for (const char* text : {"", "[", "]", "[\"a\"", "[\"a\",]", "[\"a\"]]", "[\"a\"]x",
                           "[\"a\" \"b\"]", "{}", "\"a\"", "[\"unterminated]", "[a]"}) {
    EXPECT_EQ(DecodeStrings(text), Strings{}) << text;
  }
}

}  // namespace
}  // namespace taskqueue::state
