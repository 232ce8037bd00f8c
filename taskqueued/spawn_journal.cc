#include "spawn_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
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
    int64_t numbers[5];
    int n = 0;
    while (n < 5 && fields >> numbers[n]) ++n;
    Entry e;
    int64_t id = numbers[0];
    if (n == 5) {
      e.attempt = numbers[1];
      e.seq = numbers[2];
      e.pid = static_cast<pid_t>(numbers[3]);
      e.start_time = numbers[4];
    } else if (n == 3) {  // before notes named the attempt
      e.pid = static_cast<pid_t>(numbers[1]);
      e.start_time = numbers[2];
    } else {
      continue;
    }
    if (id <= 0 || e.pid <= 0) continue;
    auto [it, added] = out.emplace(id, e);
    if (!added && e.attempt >= it->second.attempt) it->second = e;
  }
  return out;
}

Result<std::unique_ptr<SpawnJournal>> SpawnJournal::Open(const std::filesystem::path& path) {
  auto leftovers = ReadLeftovers(path);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return Status::IOError("Cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  UniqueFd rewrite(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!rewrite.valid()) {
    return Status::IOError("Cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  const std::string header = "boot " + BootId() + "\n";
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return Status::IOError("Cannot stat '" + path.string() + "': " + std::strerror(errno));
  }
  size_t file_size = static_cast<size_t>(st.st_size);
  if (leftovers.empty()) {
    // Nothing of this boot to keep: start afresh.
    if (::ftruncate(rewrite.get(), 0) != 0 ||
        ::write(fd.get(), header.data(), header.size()) != static_cast<ssize_t>(header.size())) {
      return Status::IOError("Cannot write '" + path.string() + "': " + std::strerror(errno));
    }
    file_size = header.size();
  }
  std::unique_ptr<SpawnJournal> journal(
      new SpawnJournal(std::move(fd), std::move(rewrite), header.size(), file_size));
  journal->leftovers_ = std::move(leftovers);
  return journal;
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

uint64_t NonNegative(int64_t v) noexcept { return static_cast<uint64_t>(v < 0 ? 0 : v); }

}  // namespace

void SpawnJournal::FormatNote(char* buf, int64_t id, const Entry& entry) noexcept {
  // "<id> <attempt> <seq> <pid> <start time>", at most 5 x 20 digits and
  // 4 spaces, padded with spaces to kNoteSize - 1, then a newline.
  static_assert(kNoteSize > 5 * 20 + 4 + 1);
  char* p = AppendDecimal(buf, NonNegative(id));
  *p++ = ' ';
  p = AppendDecimal(p, NonNegative(entry.attempt));
  *p++ = ' ';
  p = AppendDecimal(p, NonNegative(entry.seq));
  *p++ = ' ';
  p = AppendDecimal(p, NonNegative(entry.pid));
  *p++ = ' ';
  p = AppendDecimal(p, NonNegative(entry.start_time));
  while (p < buf + kNoteSize - 1) *p++ = ' ';
  *p = '\n';
}

Status SpawnJournal::Note(int64_t id, const Entry& entry) {
  std::array<char, kNoteSize> note;
  FormatNote(note.data(), id, entry);
  // One write() of an O_APPEND file: the note is whole or absent.
  if (::write(append_fd_.get(), note.data(), note.size()) != static_cast<ssize_t>(note.size())) {
    return Status::IOError(std::string("Cannot write the spawn journal: ") + std::strerror(errno));
  }
  notes_[id] = Kept{entry.pid, note};
  file_size_ += kNoteSize;
  return Status::OK();
}

void SpawnJournal::NotedByChild(int64_t id, const Entry& entry) {
  std::array<char, kNoteSize> note;
  FormatNote(note.data(), id, entry);
  notes_[id] = Kept{entry.pid, note};
  file_size_ += kNoteSize;
}

void SpawnJournal::Forget(int64_t id, pid_t pid) {
  auto it = notes_.find(id);
  if (it != notes_.end() && it->second.pid == pid) notes_.erase(it);
}

void SpawnJournal::Compact() {
  const size_t in_file = (file_size_ - header_size_) / kNoteSize;
  if (in_file >= notes_.size() + kCompactAfter) Sync();
}

void SpawnJournal::Sync() {
  if (file_size_ == header_size_ + notes_.size() * kNoteSize) return;
  // The notes still needed are written over the start of the old ones, and
  // only then is the file cut: a crash in between leaves old notes after
  // them, never fewer notes than are needed.
  std::string kept;
  kept.reserve(notes_.size() * kNoteSize);
  for (const auto& [id, note] : notes_) kept.append(note.text.data(), note.text.size());
  if (!kept.empty() &&
      ::pwrite(rewrite_fd_.get(), kept.data(), kept.size(), static_cast<off_t>(header_size_)) !=
          static_cast<ssize_t>(kept.size())) {
    return;  // the old notes stay; tried again at the next Sync
  }
  if (::ftruncate(rewrite_fd_.get(), static_cast<off_t>(header_size_ + kept.size())) != 0) return;
  file_size_ = header_size_ + kept.size();
}

}  // namespace taskqueue::daemon
