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

Status SpawnJournal::Note(int64_t id, pid_t pid, int64_t start_time) {
  char line[96];
  int n = std::snprintf(line, sizeof line, "%lld %d %lld\n", static_cast<long long>(id),
                        static_cast<int>(pid), static_cast<long long>(start_time));
  // One write() of an O_APPEND file: the note is whole or absent.
  if (::write(fd_.get(), line, static_cast<size_t>(n)) != n) {
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
