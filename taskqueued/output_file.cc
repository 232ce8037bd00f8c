#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace taskqueue::daemon {
namespace {

constexpr int64_t kResultWindow = 64 * 1024;
constexpr std::string_view kResultPrefix = "RESULT: ";

// Links the unnamed file open as `proc_fd_path` (/proc/.../fd/N) at `path`.
bool LinkAt(const std::string& proc_fd_path, const std::filesystem::path& path) {
  return ::linkat(AT_FDCWD, proc_fd_path.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

// The daemon's /proc/self/fd, opened once (never closed): reopening a
// descriptor through it walks one path component instead of four, which
// was half the cost of the reopen. -1 without /proc. Opened by the daemon's
// process; its children exec or run plugin code, and never reopen outputs.
int OwnFdDir() {
  static const int dir = ::open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return dir;
}

}  // namespace

Result<OutputFile> OutputFile::Open(const std::filesystem::path& path, bool truncate,
                                    SpareOutputFiles* spares) {
  const int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY;
  UniqueFd fd(::open(path.c_str(), flags | (truncate ? O_TRUNC : 0)));
  if (fd.valid()) return OutputFile(std::move(fd), path, /*named=*/true);
  if (errno != ENOENT) {
    return Status::IOError("Cannot open output file '" + path.string() +
                           "': " + std::strerror(errno));
  }
  if (spares != nullptr) {
    // Spares are unnamed files of the same directory: named here later.
    if (auto spare = spares->Take(path)) return std::move(*spare);
  }
  const auto dir = path.parent_path();
  for (int attempt = 0; attempt < 2; ++attempt) {
    fd = UniqueFd(::open(dir.c_str(), O_TMPFILE | flags, 0600));
    if (fd.valid()) return OutputFile(std::move(fd), path, /*named=*/false);
    if (errno == ENOENT && attempt == 0) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      continue;
    }
    break;
  }
  // No O_TMPFILE here (some file systems): a named file from the start.
  fd = UniqueFd(::open(path.c_str(), flags | O_CREAT | O_TRUNC, 0600));
  if (!fd.valid()) {
    return Status::IOError("Cannot open output file '" + path.string() +
                           "': " + std::strerror(errno));
  }
  return OutputFile(std::move(fd), path, /*named=*/true);
}

Result<UniqueFd> OutputFile::ForChild() {
  child_described_ = false;
  const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY;
  const std::string fd_name = std::to_string(fd_.get());
  const int fd_dir = OwnFdDir();
  UniqueFd own(fd_dir >= 0 ? ::openat(fd_dir, fd_name.c_str(), flags)
                           : ::open(("/proc/self/fd/" + fd_name).c_str(), flags));
  if (own.valid()) {
    child_described_ = true;
    return own;
  }
  UniqueFd shared(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!shared.valid()) {
    return Status::IOError("Cannot open output file '" + path_.string() +
                           "' for the child: " + std::strerror(errno));
  }
  return shared;
}

int64_t OutputFile::Size() const {
  struct stat st;
  if (!fd_.valid() || ::fstat(fd_.get(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_size);
}

void OutputFile::Name() {
  if (named_ || !fd_.valid()) return;
  named_ = LinkAt("/proc/self/fd/" + std::to_string(fd_.get()), path_);
}

void OutputFile::Check(int64_t limit) {
  const int64_t size = Size();
  if (size == 0) return;
  Name();
  if (limit > 0 && size > limit && ::ftruncate(fd_.get(), limit) == 0) cut_ = true;
}

void OutputFile::Finish(int64_t limit) {
  const int64_t size = Size();
  if (size == 0 && !cut_) return;  // nothing printed: no file
  if (limit > 0 && size > limit && ::ftruncate(fd_.get(), limit) == 0) cut_ = true;
  if (cut_) {
    const std::string note =
        "\n[taskqueued: output cut at max_output_bytes=" + std::to_string(limit) + "]\n";
    (void)!::write(fd_.get(), note.data(), note.size());
  }
  Name();
}

void SpareOutputFiles::Offer(OutputFile file) {
  if (files_.size() >= capacity_ || !file.fd_.valid() || file.named_ || file.cut_ ||
      !file.child_described_ || file.Size() != 0) {
    return;
  }
  // Granted only if the daemon's own description is the file's only one:
  // every process of the run is gone, and no one can open the unnamed file
  // again. Released at once; no one is there to break it.
  if (::fcntl(file.fd_.get(), F_SETLEASE, F_WRLCK) != 0) return;
  ::fcntl(file.fd_.get(), F_SETLEASE, F_UNLCK);
  file.child_described_ = false;
  files_.push_back(std::move(file));
}

std::optional<OutputFile> SpareOutputFiles::Take(const std::filesystem::path& path) {
  if (files_.empty()) return std::nullopt;
  OutputFile file = std::move(files_.back());
  files_.pop_back();
  file.path_ = path;
  return file;
}

std::string OutputFile::ResultLine() const {
  const int64_t size = Size();
  if (size == 0) return "";
  const int64_t start = size > kResultWindow ? size - kResultWindow : 0;
  std::string buf(static_cast<size_t>(size - start), '\0');
  ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), start);
  if (n <= 0) return "";
  buf.resize(static_cast<size_t>(n));
  std::string_view text(buf);
  // Walk the lines backwards; the first (partial) line of a window that
  // does not start at offset 0 is not a whole line and is skipped.
  size_t end = text.size();
  while (end > 0) {
    size_t nl = text.rfind('\n', end - 1);
    if (nl == std::string_view::npos && start > 0) break;
    size_t begin = nl == std::string_view::npos ? 0 : nl + 1;
    std::string_view line = text.substr(begin, end - begin);
    if (line.substr(0, kResultPrefix.size()) == kResultPrefix) {
      return std::string(line.substr(kResultPrefix.size()));
    }
    if (nl == std::string_view::npos) break;
    end = nl;
  }
  return "";
}

void NameOrphanOutput(pid_t pid, const std::filesystem::path& path) {
  const std::string fd1 = "/proc/" + std::to_string(pid) + "/fd/1";
  char target[4096];
  ssize_t n = ::readlink(fd1.c_str(), target, sizeof target - 1);
  if (n <= 0) return;
  std::string_view t(target, static_cast<size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";
  // An O_TMPFILE shows as "<dir>/#<inode> (deleted)".
  if (t.size() < kDeleted.size() || t.substr(t.size() - kDeleted.size()) != kDeleted) return;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return;
  LinkAt(fd1, path);
}

}  // namespace taskqueue::daemon
