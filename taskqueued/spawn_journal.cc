#include "spawn_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "process_info.h"

namespace taskqueue::daemon {

std::filesystem::path SpawnJournal::PathFor(const std::filesystem::path& state_dir,
                                            const std::string& name) {
  return state_dir / (name + ".daemon.spawns");
}

std::map<int64_t, SpawnJournal::Entry> SpawnJournal::ReadLeftovers(
    const std::filesystem::path& path) {
  std::map<int64_t, Entry> out;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line != "boot " + BootId()) return out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int64_t id = 0;
    Entry e;
    if (fields >> id >> e.pid >> e.start_time && id > 0 && e.pid > 0) out[id] = e;
  }
  return out;
}

Result<std::unique_ptr<SpawnJournal>> SpawnJournal::Open(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return Status::IOError("Cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  const std::string header = "boot " + BootId() + "\n";
  if (::write(fd.get(), header.data(), header.size()) != static_cast<ssize_t>(header.size())) {
    return Status::IOError("Cannot write '" + path.string() + "': " + std::strerror(errno));
  }
  return std::unique_ptr<SpawnJournal>(new SpawnJournal(std::move(fd), header.size()));
}

namespace {

// Appends the decimal digits of `v` (>= 0) at `out`; returns the end.
char* AppendDecimal(char* out, uint64_t v) noexcept {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

}  // namespace

size_t SpawnJournal::FormatNote(char* buf, int64_t id, pid_t pid, int64_t start_time) noexcept {
  // "<id> <pid> <start time>\n": at most 20 + 1 + 10 + 1 + 20 + 1 bytes.
  char* p = AppendDecimal(buf, static_cast<uint64_t>(id < 0 ? 0 : id));
  *p++ = ' ';
  p = AppendDecimal(p, static_cast<uint64_t>(pid < 0 ? 0 : pid));
  *p++ = ' ';
  p = AppendDecimal(p, static_cast<uint64_t>(start_time < 0 ? 0 : start_time));
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

Status SpawnJournal::Note(int64_t id, pid_t pid, int64_t start_time) {
  char line[kMaxNoteSize];
  const size_t n = FormatNote(line, id, pid, start_time);
  // One write() of an O_APPEND file: the note is whole or absent.
  if (::write(fd_.get(), line, n) != static_cast<ssize_t>(n)) {
    return Status::IOError(std::string("Cannot write the spawn journal: ") + std::strerror(errno));
  }
  dirty_ = true;
  return Status::OK();
}

void SpawnJournal::Clear() {
  if (!dirty_) return;
  (void)!::ftruncate(fd_.get(), static_cast<off_t>(header_size_));
  dirty_ = false;
}

}  // namespace taskqueue::daemon
