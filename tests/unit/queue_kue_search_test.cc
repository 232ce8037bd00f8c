// Full-text search over command, args, userdata, log lines and error text,
// combined with state and command filters; Kue-style queries such as
// "test:inserts:data" mean all of their words; entries go with their task.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes/kue_fixture.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::KueFixture;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class QueueKueSearchTest : public KueFixture {
 protected:
  std::vector<int64_t> Find(const Queue& q, const std::string& query,
                            std::optional<TaskState> state = {}, const std::string& command = "",
                            int64_t limit = 100) {
    auto r = q.Search(query, state, command, limit);
    EXPECT_TRUE(r.ok()) << query << ": " << r.status().ToString();
    return r.ok() ? Ids(*r) : std::vector<int64_t>{};
  }
};

TEST_F(QueueKueSearchTest, FindsByCommandArgsUserdataLogsAndErrors) {
  Register("email");
  Register("resize");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t broken = RunOne(*q, "email bob@example.com", Failure("SMTP relay refused"));
  TaskOptions with_user;
  with_user.userdata_json = R"({"customer":"acme","region":"eu-west"})";
  const int64_t mail = Enqueue(*q, "email alice@example.com 'Welcome aboard'", with_user);
  const int64_t img = Enqueue(*q, "resize /srv/photos/cat.png 640");
  ASSERT_TQ_OK(q->Log(img, "thumbnail written to cache"));

  EXPECT_THAT(Find(*q, "email"), UnorderedElementsAre(mail, broken));
  EXPECT_THAT(Find(*q, "alice"), ElementsAre(mail));
  EXPECT_THAT(Find(*q, "Welcome"), ElementsAre(mail));
  EXPECT_THAT(Find(*q, "welcome"), ElementsAre(mail));   // case-insensitive
  EXPECT_THAT(Find(*q, "acme"), ElementsAre(mail));      // userdata values
  EXPECT_THAT(Find(*q, "customer"), ElementsAre(mail));  // and keys
  EXPECT_THAT(Find(*q, "cat"), ElementsAre(img));
  EXPECT_THAT(Find(*q, "thumbnail"), ElementsAre(img));         // log lines
  EXPECT_THAT(Find(*q, "relay refused"), ElementsAre(broken));  // error text
  EXPECT_THAT(Find(*q, "nothing-like-this"), IsEmpty());
  EXPECT_THAT(Find(*q, ""), IsEmpty());
  EXPECT_THAT(Find(*q, "  :: "), IsEmpty());
}

TEST_F(QueueKueSearchTest, KueStyleTokensAreAllRequired) {
  Register("test");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t both = Enqueue(*q, "test inserts data");
  const int64_t one = Enqueue(*q, "test inserts rows");
  const int64_t other = Enqueue(*q, "test deletes data");
  EXPECT_THAT(Find(*q, "test:inserts:data"), ElementsAre(both));
  EXPECT_THAT(Find(*q, "test inserts"), UnorderedElementsAre(both, one));
  EXPECT_THAT(Find(*q, "data"), UnorderedElementsAre(both, other));
  // FTS5 syntax is never interpreted: these are plain words.
  EXPECT_THAT(Find(*q, "inserts OR deletes"), IsEmpty());
  EXPECT_THAT(Find(*q, "NEAR(test data)"), IsEmpty());
  EXPECT_THAT(Find(*q, "text:test"), IsEmpty());
  EXPECT_THAT(Find(*q, "\"test"), UnorderedElementsAre(both, one, other));
  EXPECT_THAT(Find(*q, "dat*"), IsEmpty());
}

TEST_F(QueueKueSearchTest, WordsMayComeFromTheTaskAndItsLog) {
  Register("backup");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t home = Enqueue(*q, "backup /home");
  const int64_t srv = Enqueue(*q, "backup /srv");
  ASSERT_TQ_OK(q->Log(home, "disk full"));
  ASSERT_TQ_OK(q->Log(srv, "copied 10 files"));
  EXPECT_THAT(Find(*q, "backup disk"), ElementsAre(home));
  EXPECT_THAT(Find(*q, "srv files"), ElementsAre(srv));
  EXPECT_THAT(Find(*q, "home files"), IsEmpty());
}

TEST_F(QueueKueSearchTest, CombinesWithStateCommandAndLimit) {
  Register("sync");
  Register("index");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t ok = RunOne(*q, "sync shared one", Success());
  const int64_t bad = RunOne(*q, "sync other two", Failure("shared volume offline"));
  const int64_t idx = RunOne(*q, "index shared", Success());
  const int64_t waiting = Enqueue(*q, "sync shared three");
  EXPECT_THAT(Find(*q, "shared"), ElementsAre(waiting, idx, bad, ok));  // newest first
  EXPECT_THAT(Find(*q, "shared", TaskState::kComplete), ElementsAre(idx, ok));
  EXPECT_THAT(Find(*q, "shared", TaskState::kComplete, "sync"), ElementsAre(ok));
  EXPECT_THAT(Find(*q, "shared", std::nullopt, "sync"), ElementsAre(waiting, bad, ok));
  EXPECT_THAT(Find(*q, "offline", TaskState::kFailed), ElementsAre(bad));
  EXPECT_THAT(Find(*q, "offline", TaskState::kComplete), IsEmpty());
  EXPECT_THAT(Find(*q, "sync", std::nullopt, "", 2), ElementsAre(waiting, bad));
}

TEST_F(QueueKueSearchTest, EntriesGoWithTheTask) {
  Register("job");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  const int64_t a = Enqueue(*q, "job findme");
  ASSERT_TQ_OK(q->Log(a, "loggedword"));
  EXPECT_THAT(Find(*q, "findme"), ElementsAre(a));
  ASSERT_TQ_OK(q->UnqueueTask(a));
  EXPECT_THAT(Find(*q, "findme"), IsEmpty());
  EXPECT_THAT(Find(*q, "loggedword"), IsEmpty());

  // A retried task is no longer found by the error it has forgotten.
  const int64_t b = RunOne(*q, "job second", Failure("transient glitch"));
  EXPECT_THAT(Find(*q, "glitch"), ElementsAre(b));
  ASSERT_TQ_OK(q->Retry(b));
  EXPECT_THAT(Find(*q, "glitch"), IsEmpty());
  EXPECT_THAT(Find(*q, "second"), ElementsAre(b));
}

// Text is indexed in batches behind the scenes; whatever the batch
// boundaries, a search sees every task and log line written before it.
TEST_F(QueueKueSearchTest, SeesEverythingWrittenBeforeItAcrossIndexingBatches) {
  Register("job");
  auto q = OpenKue();
  ASSERT_NE(q, nullptr);
  std::vector<int64_t> ids;
  for (int i = 0; i < 1100; ++i) ids.push_back(Enqueue(*q, "job word" + std::to_string(i)));
  for (int i = 0; i < 1100; ++i) ASSERT_TQ_OK(q->Log(ids[7], "line" + std::to_string(i)));
  EXPECT_THAT(Find(*q, "word0"), ElementsAre(ids[0]));
  EXPECT_THAT(Find(*q, "word700"), ElementsAre(ids[700]));
  EXPECT_THAT(Find(*q, "word1099"), ElementsAre(ids[1099]));
  EXPECT_THAT(Find(*q, "line0"), ElementsAre(ids[7]));
  EXPECT_THAT(Find(*q, "line1099"), ElementsAre(ids[7]));

  // Removed before its text was ever indexed: never found.
  const int64_t gone = Enqueue(*q, "job ephemeral");
  ASSERT_TQ_OK(q->UnqueueTask(gone));
  EXPECT_THAT(Find(*q, "ephemeral"), IsEmpty());
  EXPECT_EQ(Find(*q, "job", std::nullopt, "", 2000).size(), 1100u);
}

}  // namespace
}  // namespace taskqueue
