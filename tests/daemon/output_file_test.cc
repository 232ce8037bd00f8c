// OutputFile and SpareOutputFiles: a run's output starts unnamed and is
// named only if the task printed something; a file a run left empty serves
// the next run, but only once no process of the earlier run holds it.
#include "output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fakes/fork_util.h"
#include "fakes/test_processors.h"
#include "fakes/test_util.h"

namespace taskqueue::daemon {
namespace {

using ::taskqueue::testing::ForkChild;
using ::taskqueue::testing::ReadFile;
using ::taskqueue::testing::TempDir;
using ::taskqueue::testing::WaitExit;

// Starts `argv` with `fd` as its stdout and stderr, as the daemon gives a
// child its output; returns its pid.
pid_t StartWithOutput(const std::vector<std::string>& argv, int fd) {
  return ForkChild([&] {
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    return 127;
  });
}

// Runs `argv` to its end with `file`'s child descriptor as its output.
void RunToEnd(OutputFile& file, const std::vector<std::string>& argv) {
  auto child_fd = file.ForChild();
  ASSERT_TQ_OK(child_fd);
  const pid_t pid = StartWithOutput(argv, child_fd->get());
  ASSERT_GT(pid, 0);
  ASSERT_EQ(WaitExit(pid), 0);
}

ino_t InodeOf(const OutputFile& file) {
  struct stat st;
  return fstat(file.fd(), &st) == 0 ? st.st_ino : 0;
}

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Only unnamed files are kept, and leases are what tell that no one
    // holds one any more; without either (some file systems,
    // fs.leases-enable=0) nothing is kept.
    const int fd = open(dir_.path().c_str(), O_TMPFILE | O_RDWR, 0600);
    if (fd < 0) GTEST_SKIP() << "no O_TMPFILE in " << dir_.str();
    const bool leases = fcntl(fd, F_SETLEASE, F_WRLCK) == 0;
    close(fd);
    if (!leases) GTEST_SKIP() << "no write leases on " << dir_.str();
  }
  std::filesystem::path OutputPath(int id) const {
    return dir_.path() / (std::to_string(id) + ".log");
  }

  TempDir dir_;
  SpareOutputFiles spares_{4};
};

TEST_F(OutputFileTest, ARunThatPrintsNothingLeavesNoFileAndItsFileServesTheNextRun) {
  auto first = OutputFile::Open(OutputPath(1), /*truncate=*/true, &spares_);
  ASSERT_TQ_OK(first);
  RunToEnd(*first, {"/bin/true"});
  first->Finish(1024);
  const ino_t inode = InodeOf(*first);
  spares_.Offer(std::move(*first));
  EXPECT_FALSE(std::filesystem::exists(OutputPath(1)));
  ASSERT_EQ(spares_.size(), 1u);

  auto second = OutputFile::Open(OutputPath(2), /*truncate=*/true, &spares_);
  ASSERT_TQ_OK(second);
  EXPECT_EQ(spares_.size(), 0u);
  EXPECT_EQ(InodeOf(*second), inode);
  RunToEnd(*second, {"/bin/echo", "second run"});
  second->Finish(1024);

  EXPECT_EQ(ReadFile(OutputPath(2)), "second run\n");
  EXPECT_FALSE(std::filesystem::exists(OutputPath(1)));
}

TEST_F(OutputFileTest, AFileAProcessOfTheRunStillHoldsIsNotKept) {
  auto file = OutputFile::Open(OutputPath(1), /*truncate=*/true, &spares_);
  ASSERT_TQ_OK(file);
  // As a process that left the task's group would: it outlives the run
  // with the output still open.
  auto child_fd = file->ForChild();
  ASSERT_TQ_OK(child_fd);
  const pid_t escaped = StartWithOutput({"/bin/sleep", "30"}, child_fd->get());
  ASSERT_GT(escaped, 0);
  child_fd->Reset();
  file->Finish(1024);

  spares_.Offer(std::move(*file));
  EXPECT_EQ(spares_.size(), 0u);

  kill(escaped, SIGKILL);
  WaitExit(escaped);
}

TEST_F(OutputFileTest, AFileWithOutputIsNamedAndNotKept) {
  auto file = OutputFile::Open(OutputPath(1), /*truncate=*/true, &spares_);
  ASSERT_TQ_OK(file);
  RunToEnd(*file, {"/bin/echo", "hello"});
  file->Finish(1024);
  spares_.Offer(std::move(*file));

  EXPECT_EQ(spares_.size(), 0u);
  EXPECT_EQ(ReadFile(OutputPath(1)), "hello\n");
}

TEST_F(OutputFileTest, AFileNeverGivenToAChildThroughForChildIsNotKept) {
  // Whoever wrote to it shared the daemon's own description: a lease
  // could not tell whether they still hold it.
  auto file = OutputFile::Open(OutputPath(1), /*truncate=*/true, &spares_);
  ASSERT_TQ_OK(file);
  const pid_t pid = StartWithOutput({"/bin/true"}, file->fd());
  ASSERT_GT(pid, 0);
  WaitExit(pid);
  file->Finish(1024);
  spares_.Offer(std::move(*file));

  EXPECT_EQ(spares_.size(), 0u);
}

TEST_F(OutputFileTest, SparesAreKeptUpToTheirCapacity) {
  std::vector<OutputFile> files;
  for (int id = 1; id <= 6; ++id) {
    auto file = OutputFile::Open(OutputPath(id), /*truncate=*/true);
    ASSERT_TQ_OK(file);
    RunToEnd(*file, {"/bin/true"});
    file->Finish(1024);
    files.push_back(std::move(*file));
  }
  for (auto& file : files) spares_.Offer(std::move(file));

  EXPECT_EQ(spares_.size(), 4u);
}

TEST_F(OutputFileTest, ARetryAppendsToTheNamedFileOfTheEarlierAttemptNotToASpare) {
  auto spare = OutputFile::Open(OutputPath(9), /*truncate=*/true);
  ASSERT_TQ_OK(spare);
  RunToEnd(*spare, {"/bin/true"});
  spare->Finish(1024);
  spares_.Offer(std::move(*spare));
  ASSERT_EQ(spares_.size(), 1u);
  auto first = OutputFile::Open(OutputPath(1), /*truncate=*/true);
  ASSERT_TQ_OK(first);
  RunToEnd(*first, {"/bin/echo", "attempt 1"});
  first->Finish(1024);

  auto retry = OutputFile::Open(OutputPath(1), /*truncate=*/false, &spares_);
  ASSERT_TQ_OK(retry);
  RunToEnd(*retry, {"/bin/echo", "attempt 2"});
  retry->Finish(1024);

  EXPECT_EQ(ReadFile(OutputPath(1)), "attempt 1\nattempt 2\n");
  EXPECT_EQ(spares_.size(), 1u);
}

}  // namespace
}  // namespace taskqueue::daemon
