// Bad input at the library boundary: corrupt and foreign state files (the
// original's cases 56-57), unusable state dirs (case 58), bad settings, empty
// and malformed commands, huge commands. Each must give a clear error naming
// what is wrong, and nothing already stored may be lost: every test starts
// from a queue holding tasks and checks they are all still there after.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fakes/sqlite_file.h"
#include "fakes/test_processors.h"
#include "fakes/test_util.h"
#include "taskqueue/queue.h"
#include "taskqueue/scheduler.h"

namespace taskqueue {
namespace {

using ::taskqueue::testing::ExecSql;
using ::taskqueue::testing::FullCommands;
using ::taskqueue::testing::QueryText;
using ::taskqueue::testing::ReadFile;
using ::taskqueue::testing::TempDir;
using ::taskqueue::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

const char kGarbage[] = "Bad Storable file.\n\x01\x02 not a database at all \xff\xfe";

class QueueBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto q = Queue::Open(Options());
    ASSERT_TQ_OK(q);
    for (const char* t : {"noop one", "noop 'two words'", "noop three"}) {
      ASSERT_TQ_OK((*q)->QueueTask(t));
    }
    auto s = Scheduler::ForQueue(**q);
    ScheduleOptions later;
    later.delay_seconds = 3600;
    ASSERT_TQ_OK(s->ScheduleTask("noop later", later));
  }
  fs::path StateDir() const { return dir_.path() / "state"; }
  QueueOptions Options(const std::string& name = "tasks") const {
    QueueOptions o;
    o.state_dir = StateDir();
    o.name = name;
    return o;
  }
  // The tasks SetUp stored are all there, in order, and nothing else.
  void ExpectNothingLost(bool with_scheduled = true) {
    auto q = Queue::Open(Options());
    ASSERT_TQ_OK(q);
    auto waiting = (*q)->TasksInState(TaskState::kWaiting);
    ASSERT_TQ_OK(waiting);
    EXPECT_THAT(FullCommands(*waiting), ElementsAre("noop one", "noop 'two words'", "noop three"));
    if (!with_scheduled) return;
    auto scheduled = (*q)->TasksInState(TaskState::kScheduled);
    ASSERT_TQ_OK(scheduled);
    EXPECT_THAT(FullCommands(*scheduled), ElementsAre("noop later"));
    auto settings = (*q)->Settings();
    ASSERT_TQ_OK(settings);
    EXPECT_EQ(settings->max_running, 2);
    EXPECT_EQ(settings->default_timeout, 60);
  }
  // Makes an SQLite database of another application at `path`.
  static void MakeForeignDatabase(const fs::path& path) {
    ExecSql(path,
            "CREATE TABLE contacts(name TEXT, phone TEXT);"
            "INSERT INTO contacts VALUES ('Bianca', '555');");
  }

  TempDir dir_;
};

// A queue file written by schema version 1 (search text indexed at every
// write, an index on event time) is upgraded in place on open, keeping
// every task, log line and event, and its old text stays searchable.
TEST_F(QueueBadInputTest, AVersion1QueueFileIsUpgradedInPlace) {
  size_t events_before = 0;
  {
    auto q = Queue::Open(Options());
    ASSERT_TQ_OK(q);
    auto waiting = (*q)->TasksInState(TaskState::kWaiting);
    ASSERT_TQ_OK(waiting);
    ASSERT_FALSE(waiting->empty());
    ASSERT_TQ_OK((*q)->Log(waiting->front().id, "legacy line"));
    // Let the text reach the index, as version 1 would have written it.
    ASSERT_TQ_OK((*q)->Search("legacy"));
    auto events = (*q)->Events(0, 0);
    ASSERT_TQ_OK(events);
    events_before = events->size();
  }
  ExecSql(StateDir() / "tasks_queue.db",
          "DROP TABLE text_pending;"
          "DELETE FROM meta WHERE key = 'log_text_upto';"
          "CREATE INDEX events_time ON events(time);"
          "PRAGMA user_version=1;");
  auto q = Queue::Open(Options());
  ASSERT_TQ_OK(q);
  ExpectNothingLost();
  auto found = (*q)->Search("legacy");
  ASSERT_TQ_OK(found);
  EXPECT_EQ(found->size(), 1u);
  ASSERT_TQ_OK((*q)->QueueTask("noop four"));
  auto four = (*q)->Search("four");
  ASSERT_TQ_OK(four);
  EXPECT_EQ(four->size(), 1u);
  auto events = (*q)->Events(0, 0);
  ASSERT_TQ_OK(events);
  EXPECT_EQ(events->size(), events_before + 1);
}

// A queue file written by schema version 2 (events numbered with
// AUTOINCREMENT, every task in the run-order index) is upgraded in place:
// tasks keep their order, and event ids keep going up from the old sequence
// even when every event had been pruned (a reader following with "id > last
// seen" must not miss new events).
TEST_F(QueueBadInputTest, AVersion2QueueFileIsUpgradedInPlace) {
  const fs::path file = StateDir() / "tasks_queue.db";
  ExecSql(file,
          "CREATE TABLE events_v2(id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL,"
          " task_id INTEGER NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);"
          "INSERT INTO events_v2 SELECT * FROM events;"
          "DROP TABLE events;"
          "ALTER TABLE events_v2 RENAME TO events;"
          "DELETE FROM events;"  // pruned, after 500 events were written
          "UPDATE sqlite_sequence SET seq = 500 WHERE name = 'events';"
          "DROP INDEX tasks_run_order;"
          "CREATE INDEX tasks_run_order ON tasks(state, priority, seq);"
          "DELETE FROM meta WHERE key = 'events_floor';"
          "PRAGMA user_version=2;");
  {
    auto q = Queue::Open(Options());
    ASSERT_TQ_OK(q);
    ExpectNothingLost();
    ASSERT_TQ_OK((*q)->QueueTask("noop four"));
    auto events = (*q)->Events(0, 0);
    ASSERT_TQ_OK(events);
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ(events->front().id, 501);
    // The run order still holds: the oldest waiting task is claimed first.
    auto claimed = (*q)->ClaimNext();
    ASSERT_TQ_OK(claimed);
    ASSERT_TRUE(claimed->has_value());
    EXPECT_EQ((*claimed)->full_command(), "noop one");
  }
  const std::string schema = QueryText(file,
                                       "SELECT group_concat(sql, ';') FROM sqlite_master "
                                       "WHERE name IN ('events', 'tasks_run_order')");
  EXPECT_THAT(schema, Not(HasSubstr("AUTOINCREMENT")));
  EXPECT_THAT(schema, HasSubstr("WHERE state IN (1, 2)"));
}

// Case 56. SPEC §2 differs: a corrupt file is never silently replaced (the
// original moved it to .broken and started empty); the open fails naming
// the file, and only an explicit recover moves it aside.
TEST_F(QueueBadInputTest, Case56GarbageQueueFileIsRefusedNamingIt) {
  const fs::path file = StateDir() / "other_queue.db";
  WriteFile(file, kGarbage);
  auto q = Queue::Open(Options("other"));
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(q.status().IsCorruption()) << q.status().ToString();
  EXPECT_THAT(q.status().message(), HasSubstr(file.string()));
  EXPECT_TRUE(ReadFile(file) == kGarbage) << "file changed";
  EXPECT_FALSE(fs::exists(file.string() + ".broken"));

  QueueOptions recover = Options("other");
  recover.recover = true;
  std::vector<std::string> moved;
  recover.on_moved_aside = [&moved](const std::string& f) { moved.push_back(f); };
  auto r = Queue::Open(recover);
  ASSERT_TQ_OK(r);
  EXPECT_EQ((*r)->Counts()->total(), 0);
  EXPECT_TRUE(ReadFile(file.string() + ".broken") == kGarbage) << "the .broken file differs";
  EXPECT_THAT(moved, ElementsAre(file.string()));
  ExpectNothingLost();
}

// Damage inside a file that still opens (pages overwritten after the
// first) is found only by the queries that reach it. An explicit recover
// checks every page, and moves such a file aside too.
TEST_F(QueueBadInputTest, RecoverMovesAsideAFileDamagedInside) {
  {
    auto q = Queue::Open(Options());
    ASSERT_TQ_OK(q);
    std::vector<std::string> many;
    for (int i = 0; i < 200; ++i) many.push_back("noop many " + std::to_string(i));
    ASSERT_TQ_OK((*q)->QueueTasks(many));
  }
  const fs::path file = StateDir() / "tasks_queue.db";
  ExecSql(file, "PRAGMA wal_checkpoint(TRUNCATE)");
  fs::remove(file.string() + "-wal");
  fs::remove(file.string() + "-shm");
  std::string bytes = ReadFile(file);
  ASSERT_GT(bytes.size(), 40000u + 4096u);
  for (size_t i = 40000; i < 40000 + 4096; ++i) bytes[i] = '\xab';
  WriteFile(file, bytes);
  {
    // It opens, and fails only where a query reaches the damage.
    auto q = Queue::Open(Options());
    ASSERT_TQ_OK(q);
    auto all = (*q)->TasksInState(TaskState::kWaiting);
    ASSERT_FALSE(all.ok());
    EXPECT_TRUE(all.status().IsCorruption()) << all.status().ToString();
  }

  QueueOptions recover = Options();
  recover.recover = true;
  auto q = Queue::Open(recover);
  ASSERT_TQ_OK(q);
  auto counts = (*q)->Counts();
  ASSERT_TQ_OK(counts);
  EXPECT_EQ(counts->waiting, 0);
  EXPECT_TRUE(ReadFile(file.string() + ".broken") == bytes) << "the .broken file differs";
  // The scheduler's file was sound, and keeps its task.
  auto scheduled = (*q)->TasksInState(TaskState::kScheduled);
  ASSERT_TQ_OK(scheduled);
  EXPECT_THAT(FullCommands(*scheduled), ElementsAre("noop later"));
}

// A queue file recovered (or emptied) beside a scheduler file that holds
// tasks: ids are shared by both files, so new tasks must not take a
// scheduled task's id, and promoting it later must not replace them.
TEST_F(QueueBadInputTest, RecoveredQueueFileCountsIdsOnFromTheScheduler) {
  int64_t scheduled_id = 0;
  {
    auto q = Queue::Open(Options());
    ASSERT_TQ_OK(q);
    auto scheduled = (*q)->TasksInState(TaskState::kScheduled);
    ASSERT_TQ_OK(scheduled);
    ASSERT_EQ(scheduled->size(), 1u);
    scheduled_id = (*scheduled)[0].id;
  }
  const fs::path file = StateDir() / "tasks_queue.db";
  fs::remove(file.string() + "-wal");
  fs::remove(file.string() + "-shm");
  WriteFile(file, kGarbage);
  QueueOptions recover = Options();
  recover.recover = true;
  auto q = Queue::Open(recover);
  ASSERT_TQ_OK(q);
  std::vector<int64_t> ids;
  for (const char* t : {"noop a", "noop b", "noop c", "noop d", "noop e"}) {
    auto id = (*q)->QueueTask(t);
    ASSERT_TQ_OK(id);
    EXPECT_GT(id->id, scheduled_id) << t;
    ids.push_back(id->id);
  }
  // Queued now, it must join the five, not replace one of them.
  auto s = Scheduler::ForQueue(**q);
  auto flushed = s->FlushAllTasks(**q);
  ASSERT_TQ_OK(flushed);
  EXPECT_EQ(flushed->size(), 1u);
  auto waiting = (*q)->TasksInState(TaskState::kWaiting);
  ASSERT_TQ_OK(waiting);
  EXPECT_THAT(FullCommands(*waiting),
              ElementsAre("noop a", "noop b", "noop c", "noop d", "noop e", "noop later"));
}

// The same for an emptied queue file, which SQLite opens as a new database.
TEST_F(QueueBadInputTest, EmptiedQueueFileCountsIdsOnFromTheScheduler) {
  const fs::path file = StateDir() / "tasks_queue.db";
  fs::remove(file.string() + "-wal");
  fs::remove(file.string() + "-shm");
  WriteFile(file, "");
  auto q = Queue::Open(Options());
  ASSERT_TQ_OK(q);
  auto scheduled = (*q)->TasksInState(TaskState::kScheduled);
  ASSERT_TQ_OK(scheduled);
  ASSERT_EQ(scheduled->size(), 1u);
  auto id = (*q)->QueueTask("noop new");
  ASSERT_TQ_OK(id);
  EXPECT_GT(id->id, (*scheduled)[0].id);
}

// Case 56 for the scheduler file: the queue's own tasks are unaffected.
TEST_F(QueueBadInputTest, Case56GarbageSchedulerFileIsRefusedNamingIt) {
  const fs::path file = StateDir() / "tasks_sched.db";
  fs::remove(file.string() + "-wal");
  fs::remove(file.string() + "-shm");
  WriteFile(file, kGarbage);
  auto s = Scheduler::Open(Options());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_THAT(s.status().message(), HasSubstr(file.string()));
  EXPECT_TRUE(ReadFile(file) == kGarbage) << "file changed";
  ExpectNothingLost(/*with_scheduled=*/false);

  QueueOptions recover = Options();
  recover.recover = true;
  auto r = Scheduler::Open(recover);
  ASSERT_TQ_OK(r);
  EXPECT_EQ(*(*r)->HowManyScheduled(), 0);
  EXPECT_TRUE(ReadFile(file.string() + ".broken") == kGarbage) << "the .broken file differs";
  ExpectNothingLost(/*with_scheduled=*/false);
}

TEST_F(QueueBadInputTest, ForeignSqliteDatabaseIsRefusedAndUntouched) {
  const fs::path file = StateDir() / "contacts_queue.db";
  MakeForeignDatabase(file);
  const std::string before = ReadFile(file);
  auto q = Queue::Open(Options("contacts"));
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(q.status().IsCorruption()) << q.status().ToString();
  EXPECT_THAT(q.status().message(), HasSubstr(file.string()));
  EXPECT_THAT(q.status().message(), HasSubstr("did not create"));
  EXPECT_TRUE(ReadFile(file) == before) << "file changed";

  QueueOptions recover = Options("contacts");
  recover.recover = true;
  ASSERT_TQ_OK(Queue::Open(recover));
  EXPECT_TRUE(ReadFile(file.string() + ".broken") == before) << "the .broken file differs";
  ExpectNothingLost();
}

// A taskqueue scheduler file where a queue file belongs is foreign too.
TEST_F(QueueBadInputTest, SchedulerFileInPlaceOfAQueueFileIsRefused) {
  {
    auto s = Scheduler::Open(Options("mixed"));
    ASSERT_TQ_OK(s);
    ASSERT_TQ_OK((*s)->ScheduleTask("noop x"));  // creates mixed_sched.db
  }
  // The WAL holds what is not yet checkpointed: copy it along.
  fs::copy_file(StateDir() / "mixed_sched.db", StateDir() / "swapped_queue.db");
  if (fs::exists(StateDir() / "mixed_sched.db-wal")) {
    fs::copy_file(StateDir() / "mixed_sched.db-wal", StateDir() / "swapped_queue.db-wal");
  }
  auto q = Queue::Open(Options("swapped"));
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(q.status().IsCorruption()) << q.status().ToString();
  EXPECT_THAT(q.status().message(), HasSubstr("swapped_queue.db"));
  ExpectNothingLost();
}

// Case 57: a state file that is a directory.
TEST_F(QueueBadInputTest, Case57StateFileThatIsADirectory) {
  fs::create_directories(StateDir() / "dir_queue.db");
  auto q = Queue::Open(Options("dir"));
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("dir_queue.db"));
  EXPECT_THAT(q.status().message(), HasSubstr("Is a directory"));
  ExpectNothingLost();
}

// Case 57: a state file with mode 000. Root reads it anyway.
TEST_F(QueueBadInputTest, Case57UnreadableStateFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  const fs::path file = StateDir() / "tasks_queue.db";
  ASSERT_EQ(chmod(file.c_str(), 0), 0);
  auto q = Queue::Open(Options());
  chmod(file.c_str(), 0600);
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr(file.string()));
  EXPECT_THAT(q.status().message(), HasSubstr("Permission denied"));
  ExpectNothingLost();
}

// Case 58: a read-only state dir. The original failed to take its lock
// file. Here the files of an existing queue stay usable (SQLite needs no new
// file to write them), but a queue whose files cannot be created fails
// quickly, naming its file and why; the existing tasks stay readable.
TEST_F(QueueBadInputTest, Case58ReadOnlyStateDir) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  ASSERT_EQ(chmod(StateDir().c_str(), 0500), 0);
  const auto start = std::chrono::steady_clock::now();
  auto fresh = Queue::Open(Options("fresh"));
  const auto took = std::chrono::steady_clock::now() - start;
  auto existing = Queue::Open(Options());
  Result<std::vector<Task>> readable =
      existing.ok() ? (*existing)->TasksInState(TaskState::kWaiting) : existing.status();
  existing = Status::Aborted("closed");
  chmod(StateDir().c_str(), 0700);
  ASSERT_FALSE(fresh.ok());
  EXPECT_TRUE(fresh.status().IsIOError()) << fresh.status().ToString();
  EXPECT_THAT(fresh.status().message(), HasSubstr((StateDir() / "fresh_queue.db").string()));
  EXPECT_THAT(fresh.status().message(), HasSubstr("not writable"));
  EXPECT_LT(took, std::chrono::seconds(2));
  ASSERT_TQ_OK(readable);
  EXPECT_EQ(readable->size(), 3u);
  ExpectNothingLost();
}

// Case 58: a missing state dir under a read-only parent.
TEST_F(QueueBadInputTest, Case58MissingDirUnderReadOnlyParent) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const fs::path parent = dir_.path() / "ro";
  fs::create_directories(parent);
  ASSERT_EQ(chmod(parent.c_str(), 0500), 0);
  QueueOptions o = Options();
  o.state_dir = parent / "state";
  auto q = Queue::Open(o);
  chmod(parent.c_str(), 0700);
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("Cannot create state directory"));
  EXPECT_THAT(q.status().message(), HasSubstr(o.state_dir.string()));
  ExpectNothingLost();
}

TEST_F(QueueBadInputTest, StateDirThatIsAFile) {
  const fs::path file = dir_.path() / "plain_file";
  WriteFile(file, "x");
  QueueOptions o = Options();
  o.state_dir = file;
  auto q = Queue::Open(o);
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(q.status().IsIOError()) << q.status().ToString();
  EXPECT_THAT(q.status().message(), HasSubstr(file.string()));
  EXPECT_THAT(q.status().message(), HasSubstr("not a directory"));
  EXPECT_EQ(ReadFile(file), "x");
  ExpectNothingLost();
}

TEST_F(QueueBadInputTest, BadQueueNamesAreRefused) {
  for (const char* name : {"../escape", "a/b", ".hidden", "sp ace", "semi;colon"}) {
    auto q = Queue::Open(Options(name));
    ASSERT_FALSE(q.ok()) << name;
    EXPECT_TRUE(q.status().IsInvalidArgument()) << name;
    EXPECT_THAT(q.status().message(), HasSubstr(name));
  }
  EXPECT_FALSE(fs::exists(dir_.path() / "escape_queue.db"));
  ExpectNothingLost();
}

// SPEC §2: zero or negative settings are refused naming the setting, and a
// refused open stores none of the settings it was given.
TEST_F(QueueBadInputTest, BadSettingsWhenOpening) {
  struct Bad {
    const char* key;
    std::optional<int64_t> QueueOptions::*field;
    int64_t value;
  };
  const Bad bad[] = {
      {"max_running", &QueueOptions::max_running, 0},
      {"max_running", &QueueOptions::max_running, -3},
      {"default_timeout", &QueueOptions::default_timeout, 0},
      {"max_timeout", &QueueOptions::max_timeout, -1},
      {"default_child_timeout", &QueueOptions::default_child_timeout, -3600},
  };
  for (const Bad& b : bad) {
    QueueOptions o = Options();
    o.default_timeout = 99;  // valid, but must not be stored with the bad one
    o.*(b.field) = b.value;
    auto q = Queue::Open(o);
    ASSERT_FALSE(q.ok()) << b.key << "=" << b.value;
    EXPECT_TRUE(q.status().IsInvalidArgument());
    EXPECT_THAT(q.status().message(), HasSubstr(b.key));
    EXPECT_THAT(q.status().message(), HasSubstr(std::to_string(b.value)));
  }
  ExpectNothingLost();
}

TEST_F(QueueBadInputTest, BadSettingsWhenSetting) {
  auto q = Queue::Open(Options());
  ASSERT_TQ_OK(q);
  const std::pair<const char*, const char*> bad[] = {
      {"max_running", "0"},   {"max_running", "-1"},
      {"max_running", "abc"}, {"max_running", ""},
      {"max_running", "2x"},  {"default_timeout", "1e3"},
      {"no_such_key", "5"},   {"max_timeout", "99999999999999999999999"},
  };
  for (const auto& [key, value] : bad) {
    Status st = (*q)->SetSetting(key, value);
    ASSERT_FALSE(st.ok()) << key << "=" << value;
    EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
    EXPECT_THAT(st.message(), HasSubstr(key));
  }
  ExpectNothingLost();
}

TEST_F(QueueBadInputTest, EmptyAndMalformedCommands) {
  auto q = Queue::Open(Options());
  ASSERT_TQ_OK(q);
  for (const char* empty : {"", " ", "\t\n "}) {
    auto r = (*q)->QueueTask(empty);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "Cannot queue an empty command.");
  }
  const std::pair<const char*, const char*> malformed[] = {
      {" noop x", "position 1"},
      {"noop 'open", "position 6"},
      {"noop \"open", "position 6"},
      {"noop a'b c'", "position 7"},
      {"noop 'a'b", "position 9"},
      {"no'op x", "position 3"},
      {"noop 'mismatch\"", "position 6"},
      // Not UTF-8: a lone byte, a cut-off sequence, an overlong '/', a
      // surrogate. Commands are stored as JSON text.
      {"noop \xff", "position 6"},
      {"noop caf\xc3", "position 9"},
      {"noop \xc0\xaf", "position 6"},
      {"noop x \xed\xa0\x80", "position 8"},
  };
  for (const auto& [text, where] : malformed) {
    auto r = (*q)->QueueTask(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << text;
    EXPECT_THAT(r.status().message(), HasSubstr(where)) << text;
  }
  // A NUL byte (JSON and HTTP can carry one): exec would cut the argument
  // there and run something else than the task says.
  const std::string with_nul("noop 2\0; rm -rf /", 17);
  auto nul = (*q)->QueueTask(with_nul);
  ASSERT_FALSE(nul.ok());
  EXPECT_TRUE(nul.status().IsInvalidArgument());
  EXPECT_THAT(nul.status().message(), HasSubstr("NUL byte at position 7"));
  // Well-formed UTF-8 of every length is fine.
  auto utf8 = (*q)->QueueTask("noop caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  ASSERT_TQ_OK(utf8);
  ASSERT_TQ_OK(utf8->status);
  EXPECT_TQ_OK((*q)->UnqueueTask(utf8->id));
  // In a batch, the bad strings are refused one by one and the rest queued.
  auto batch = (*q)->QueueTasks({"noop ok1", "", "noop 'bad", "noop ok2"});
  ASSERT_TQ_OK(batch);
  ASSERT_EQ(batch->size(), 4u);
  EXPECT_TQ_OK((*batch)[0].status);
  EXPECT_FALSE((*batch)[1].status.ok());
  EXPECT_FALSE((*batch)[2].status.ok());
  EXPECT_TQ_OK((*batch)[3].status);
  EXPECT_TQ_OK((*q)->UnqueueTask((*batch)[0].id));
  EXPECT_TQ_OK((*q)->UnqueueTask((*batch)[3].id));
  ExpectNothingLost();
}

// A 1 MiB command is valid input: it is stored and read back byte for byte,
// and a malformed one of the same size is refused quickly, naming where.
TEST_F(QueueBadInputTest, HugeCommands) {
  auto q = Queue::Open(Options());
  ASSERT_TQ_OK(q);
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = ' ';
  big[0] = 'a';
  const std::string command = "noop " + big + " 'quoted tail'";
  auto r = (*q)->QueueTask(command);
  ASSERT_TQ_OK(r);
  auto stored = (*q)->FindTask(r->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->full_command(), command);
  EXPECT_EQ((*stored)->args.back(), "quoted tail");
  auto dupe = (*q)->QueueTask(command);
  ASSERT_TQ_OK(dupe);
  EXPECT_TRUE(dupe->duplicate);

  const auto start = std::chrono::steady_clock::now();
  auto bad = (*q)->QueueTask("noop '" + std::string(1 << 20, 'y'));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("position 6"));
  ASSERT_TQ_OK((*q)->UnqueueTask(r->id));
  ExpectNothingLost();
}

}  // namespace
}  // namespace taskqueue
