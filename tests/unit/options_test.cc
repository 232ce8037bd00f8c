// QueueSettings by name and the default state directory.
#include "taskqueue/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>

#include "fakes/test_util.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ScopedEnv;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(QueueSettingsTest, KeysCoverEveryFieldInOrder) {
  EXPECT_THAT(QueueSettings::Keys(),
              ElementsAre("max_running", "default_timeout", "max_timeout", "default_child_timeout",
                          "keep_finished_seconds", "keep_complete_count", "keep_failed_count",
                          "keep_events_seconds", "max_output_bytes"));
}

TEST(QueueSettingsTest, DefaultsAreCpanels) {
  QueueSettings s;
  EXPECT_EQ(s.Get("max_running"), 2);
  EXPECT_EQ(s.Get("default_timeout"), 60);
  EXPECT_EQ(s.Get("max_timeout"), 300);
  EXPECT_EQ(s.Get("default_child_timeout"), 3600);
  EXPECT_EQ(s.Get("bogus"), std::nullopt);
}

TEST(QueueSettingsTest, SetEveryKey) {
  QueueSettings s;
  int64_t v = 10;
  for (const std::string& key : QueueSettings::Keys()) {
    ASSERT_TRUE(s.Set(key, std::to_string(v)).ok()) << key;
    EXPECT_EQ(s.Get(key), v) << key;
    ++v;
  }
  EXPECT_EQ(s.max_running, 10);
  EXPECT_EQ(s.max_output_bytes, 18);
}

TEST(QueueSettingsTest, RefusesBadValuesNamingTheKey) {
  QueueSettings s;
  for (const char* bad : {"0", "-1", "", "abc", "1.5", " 3", "3 ", "99999999999999999999"}) {
    Status st = s.Set("max_running", bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_TRUE(st.IsInvalidArgument());
    EXPECT_THAT(st.message(), HasSubstr("'max_running'"));
    EXPECT_THAT(st.message(), HasSubstr("positive integer"));
  }
  EXPECT_EQ(s.max_running, 2);  // unchanged
}

TEST(QueueSettingsTest, RefusesUnknownKeysListingTheKnownOnes) {
  QueueSettings s;
  Status st = s.Set("max_runing", "3");
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("Unknown setting 'max_runing'"));
  EXPECT_THAT(st.message(), HasSubstr("max_running"));
}

TEST(DefaultStateDirTest, PrecedenceOfTheEnvironment) {
  ScopedEnv home("HOME", "/home/u");
  {
    ScopedEnv tq("TASKQUEUE_STATE_DIR", "/srv/tq");
    ScopedEnv xdg("XDG_STATE_HOME", "/x");
    EXPECT_EQ(DefaultStateDir(), "/srv/tq");
  }
  {
    ScopedEnv tq("TASKQUEUE_STATE_DIR", "");
    ScopedEnv xdg("XDG_STATE_HOME", "/x");
    EXPECT_EQ(DefaultStateDir(), "/x/taskqueue");
  }
  {
    ScopedEnv tq("TASKQUEUE_STATE_DIR", nullptr);
    ScopedEnv xdg("XDG_STATE_HOME", "relative/ignored");
    EXPECT_EQ(DefaultStateDir(), "/home/u/.local/state/taskqueue");
  }
}

}  // namespace
}  // namespace taskqueue
