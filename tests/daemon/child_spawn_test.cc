// How taskqueued starts a child program: the child notes itself in the spawn
// journal before its program runs, runs nothing when it cannot, and starts
// as a fresh session with the task's environment and default signals.
#include "child_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/test_util.h"
#include "process_info.h"
#include "spawn_journal.h"
#include "taskqueue/task.h"

namespace taskqueue::daemon {
namespace {

using ::taskqueue::testing::TempDir;
using ::testing::HasSubstr;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for `pid` and returns its wait status.
int Wait(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

class SpawnChildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    output_ =
        UniqueFd(::open(OutputPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    ASSERT_TRUE(output_.valid());
    auto journal = SpawnJournal::Open(JournalPath());
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    journal_ = std::move(journal).value();
    task_.id = 42;
    task_.command = "run";
    task_.attempts_made = 2;
    task_.seq = 17;
  }

  std::filesystem::path OutputPath() const { return dir_.path() / "output"; }
  std::filesystem::path JournalPath() const { return dir_.path() / "journal"; }
  ChildLaunch Launch() const { return {dir_.path(), "tasks", output_.get()}; }

  TempDir dir_;
  UniqueFd output_;
  std::unique_ptr<SpawnJournal> journal_;
  Task task_;
};

TEST_F(SpawnChildTest, TheChildNotesItselfInTheJournalBeforeItsProgramRuns) {
  // The program prints the journal as it finds it when it starts.
  auto child = SpawnChild(task_, {"/bin/cat", JournalPath().string()}, Launch(), journal_->fd());
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  // Its start time is the one the kernel reports for it.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(child->start_time, ProcessStartTime(child->pid));
  EXPECT_GT(child->start_time, 0);
  const int status = Wait(child->pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // The note names the attempt and the run-order seq of the claim.
  const std::string note =
      "42 2 17 " + std::to_string(child->pid) + " " + std::to_string(child->start_time) + " ";
  EXPECT_THAT(ReadFile(OutputPath()), HasSubstr(note));
  // And a daemon restarted after a crash reads it back.
  auto leftovers = SpawnJournal::ReadLeftovers(JournalPath());
  ASSERT_EQ(leftovers.count(42), 1u);
  EXPECT_EQ(leftovers[42].pid, child->pid);
  EXPECT_EQ(leftovers[42].start_time, child->start_time);
  EXPECT_EQ(leftovers[42].attempt, 2);
  EXPECT_EQ(leftovers[42].seq, 17);
}

TEST_F(SpawnChildTest, EveryChildNotesTheStartTimeTheKernelReportsForIt) {
  // The child works its start time out from the clock unless the clone
  // crossed a clock tick; over a few hundred clones some do (ticks are
  // 10 ms), and both ways must give the kernel's figure, which is what a
  // restarted daemon compares against.
  for (int i = 0; i < 300; ++i) {
    auto child = SpawnChild(task_, {"/bin/true"}, Launch(), journal_->fd());
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED | WNOWAIT), 0);
    ASSERT_EQ(child->start_time, ProcessStartTime(child->pid)) << "child " << i;
    Wait(child->pid);
  }
}
TEST_F(SpawnChildTest, AChildThatCannotWriteItsNoteRunsNothing) {
  const auto marker = dir_.path() / "ran";
  UniqueFd read_only(::open(JournalPath().c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(read_only.valid());
  auto child = SpawnChild(task_, {"/bin/touch", marker.string()}, Launch(), read_only.get());
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), Status::Code::kAborted);
  EXPECT_THAT(child.status().message(), HasSubstr("spawn journal"));
  EXPECT_FALSE(std::filesystem::exists(marker));
  // It was reaped: no child of ours is left.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(SpawnChildTest, AProgramThatCannotBeExecutedExits127WithTheReasonInItsOutput) {
  auto child = SpawnChild(task_, {"/nonexistent/program", "x"}, Launch(), journal_->fd());
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  const int status = Wait(child->pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExecFailedExitStatus);
  EXPECT_THAT(ReadFile(OutputPath()),
              HasSubstr("cannot execute /nonexistent/program: No such file or directory"));
}

TEST_F(SpawnChildTest, AProgramIsFoundOnThePath) {
  auto child = SpawnChild(task_, {"echo", "found"}, Launch(), journal_->fd());
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(Wait(child->pid), 0);
  EXPECT_EQ(ReadFile(OutputPath()), "found\n");
}

TEST_F(SpawnChildTest, AScriptWithoutAShebangAndManyArgsRunsThroughTheShell) {
  // execvpe() falls back to /bin/sh for such a script, copying argv's
  // pointers onto the child's stack: 50,000 of them must fit.
  const auto bin = dir_.path() / "bin";
  std::filesystem::create_directory(bin);
  std::ofstream(bin / "count-args") << "echo \"ran with $# args\"\n";
  std::filesystem::permissions(bin / "count-args", std::filesystem::perms::owner_all);
  ::taskqueue::testing::ScopedEnv path("PATH", (bin.string() + ":/usr/bin:/bin").c_str());
  std::vector<std::string> argv = {"count-args"};
  for (int i = 0; i < 50000; ++i) argv.push_back("a" + std::to_string(i));
  auto child = SpawnChild(task_, argv, Launch(), journal_->fd());
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(Wait(child->pid), 0);
  EXPECT_EQ(ReadFile(OutputPath()), "ran with 50000 args\n");
}

TEST_F(SpawnChildTest, TheChildStartsWithDefaultSignalHandling) {
  // The daemon ignores SIGPIPE and blocks the signals it reads from a
  // signalfd; none of that may reach the task.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction saved_pipe {};
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &saved_pipe), 0);
  sigset_t block, saved_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGCHLD);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &saved_mask), 0);

  // The program itself (not a shell, which blocks signals while it forks)
  // shows its signal state.
  auto child = SpawnChild(task_, {"/bin/cat", "/proc/self/status"}, Launch(), journal_->fd());

  // The caller's own signal handling is as it was.
  sigset_t after;
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
  EXPECT_EQ(sigismember(&after, SIGTERM), 1);
  EXPECT_EQ(sigismember(&after, SIGINT), 0);
  struct sigaction pipe_after {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &pipe_after), 0);
  EXPECT_EQ(pipe_after.sa_handler, SIG_IGN);
  ::pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  ::sigaction(SIGPIPE, &saved_pipe, nullptr);

  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(Wait(child->pid), 0);
  const std::string out = ReadFile(OutputPath());
  EXPECT_THAT(out, HasSubstr("SigBlk:\t0000000000000000\n"));
  EXPECT_THAT(out, HasSubstr("SigIgn:\t0000000000000000\n"));
}

TEST_F(SpawnChildTest, TheChildIsASessionWithTheTaskEnvironmentAndNoInput) {
  ::setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  auto child = SpawnChild(task_,
                          {"/bin/sh", "-c",
                           "echo \"id=$TASKQUEUE_TASK_ID attempt=$TASKQUEUE_ATTEMPT "
                           "name=$TASKQUEUE_NAME notify=${NOTIFY_SOCKET:-unset}\"; "
                           "echo \"pid=$$ session=$(cut -d' ' -f6 /proc/$$/stat)\"; "
                           "read line || echo stdin-empty"},
                          Launch(), journal_->fd());
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(Wait(child->pid), 0);
  const std::string out = ReadFile(OutputPath());
  EXPECT_THAT(out, HasSubstr("id=TQ:TaskQueue:42 attempt=2 name=tasks notify=unset\n"));
  const std::string pid = std::to_string(child->pid);
  EXPECT_THAT(out, HasSubstr("pid=" + pid + " session=" + pid + "\n"));
  EXPECT_THAT(out, HasSubstr("stdin-empty\n"));
}

TEST(SpawnJournalTest, FormatNoteWritesWhatReadLeftoversReads) {
  TempDir dir;
  const auto path = dir.path() / "journal";
  auto journal = SpawnJournal::Open(path);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  ASSERT_TRUE((*journal)->Note(7, {1234, 99, 1, 5}).ok());
  char line[SpawnJournal::kNoteSize];
  SpawnJournal::FormatNote(line, INT64_MAX, {2147483647, INT64_MAX, INT64_MAX, INT64_MAX});
  const std::string text(line, sizeof line);
  EXPECT_EQ(text.substr(0, text.find_last_not_of(' ', sizeof line - 2) + 1),
            "9223372036854775807 9223372036854775807 9223372036854775807 2147483647 "
            "9223372036854775807");
  EXPECT_EQ(text.back(), '\n');
  ASSERT_EQ(::write((*journal)->fd(), line, sizeof line), static_cast<ssize_t>(sizeof line));
  auto leftovers = SpawnJournal::ReadLeftovers(path);
  ASSERT_EQ(leftovers.size(), 2u);
  EXPECT_EQ(leftovers[7].pid, 1234);
  EXPECT_EQ(leftovers[7].start_time, 99);
  EXPECT_EQ(leftovers[7].attempt, 1);
  EXPECT_EQ(leftovers[7].seq, 5);
  EXPECT_EQ(leftovers[INT64_MAX].pid, 2147483647);
}

TEST(SpawnJournalTest, ANoteIsKeptUntilForgottenAndSynced) {
  TempDir dir;
  const auto path = dir.path() / "journal";
  auto journal = SpawnJournal::Open(path);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  ASSERT_TRUE((*journal)->Note(1, {100, 10, 1, 1}).ok());
  ASSERT_TRUE((*journal)->Note(2, {200, 20, 1, 2}).ok());
  // Forgetting a run of another pid (a later run of the task) keeps it.
  (*journal)->Forget(1, 999);
  (*journal)->Forget(2, 200);
  EXPECT_EQ(SpawnJournal::ReadLeftovers(path).size(), 2u) << "the file changes at Sync only";
  (*journal)->Sync();
  auto left = SpawnJournal::ReadLeftovers(path);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[1].pid, 100);
  EXPECT_EQ(std::filesystem::file_size(path),
            ("boot " + BootId() + "\n").size() + SpawnJournal::kNoteSize);
  (*journal)->Forget(1, 100);
  (*journal)->Sync();
  EXPECT_TRUE(SpawnJournal::ReadLeftovers(path).empty());
}

TEST(SpawnJournalTest, CompactRewritesTheFileOnlyOnceEnoughNotesAreForgotten) {
  TempDir dir;
  const auto path = dir.path() / "journal";
  auto journal = SpawnJournal::Open(path);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  const auto header = ("boot " + BootId() + "\n").size();
  ASSERT_TRUE((*journal)->Note(1, {100, 10, 1, 1}).ok());  // still running
  const int64_t forgotten = SpawnJournal::kCompactAfter;
  for (int64_t id = 2; id < 1 + forgotten; ++id) {
    ASSERT_TRUE((*journal)->Note(id, {static_cast<pid_t>(100 + id), 10, 1, id}).ok());
    (*journal)->Forget(id, static_cast<pid_t>(100 + id));
    (*journal)->Compact();
  }
  // One short of the threshold: the forgotten notes are still in the file.
  EXPECT_EQ(std::filesystem::file_size(path),
            header + static_cast<size_t>(forgotten) * SpawnJournal::kNoteSize);
  ASSERT_TRUE((*journal)->Note(99, {199, 10, 1, 99}).ok());
  (*journal)->Forget(99, 199);
  (*journal)->Compact();
  auto left = SpawnJournal::ReadLeftovers(path);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[1].pid, 100);
  EXPECT_EQ(std::filesystem::file_size(path), header + SpawnJournal::kNoteSize);
}

TEST(SpawnJournalTest, ADaemonRestartedKeepsTheNotesItWasLeftUntilItsFirstSync) {
  TempDir dir;
  const auto path = dir.path() / "journal";
  {
    auto crashed = SpawnJournal::Open(path);
    ASSERT_TRUE(crashed.ok()) << crashed.status().ToString();
    ASSERT_TRUE((*crashed)->Note(3, {300, 30, 2, 9}).ok());
  }
  auto restarted = SpawnJournal::Open(path);
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  ASSERT_EQ((*restarted)->leftovers().count(3), 1u);
  EXPECT_EQ((*restarted)->leftovers().at(3).attempt, 2);
  // Recovery could be cut short too: the notes are still in the file.
  EXPECT_EQ(SpawnJournal::ReadLeftovers(path).size(), 1u);
  (*restarted)->Sync();
  EXPECT_TRUE(SpawnJournal::ReadLeftovers(path).empty());
}

TEST(SpawnJournalTest, OfSeveralNotesOfATaskTheLatestAttemptCounts) {
  TempDir dir;
  const auto path = dir.path() / "journal";
  auto journal = SpawnJournal::Open(path);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  ASSERT_TRUE((*journal)->Note(4, {402, 40, 2, 7}).ok());
  ASSERT_TRUE((*journal)->Note(4, {401, 40, 1, 6}).ok());
  EXPECT_EQ(SpawnJournal::ReadLeftovers(path).at(4).pid, 402);
}

}  // namespace
}  // namespace taskqueue::daemon
