#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "unique_fd.h"

namespace taskqueue::daemon {
namespace {

constexpr int64_t kResultWindow = 64 * 1024;
constexpr std::string_view kResultPrefix = "RESULT: ";

int64_t FileSize(const std::filesystem::path& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

}  // namespace

bool TruncateOutput(const std::filesystem::path& file, int64_t limit) {
  if (limit <= 0 || FileSize(file) <= limit) return false;
  return ::truncate(file.c_str(), limit) == 0;
}

void FinalizeOutput(const std::filesystem::path& file, int64_t limit, bool was_truncated) {
  bool cut = TruncateOutput(file, limit) || was_truncated;
  if (!cut) return;
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd.valid()) return;
  const std::string note = "\n[taskqueued: output cut at max_output_bytes=" +
                           std::to_string(limit) + "]\n";
  (void)!::write(fd.get(), note.data(), note.size());
}

std::string ResultLine(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || st.st_size == 0) return "";
  const int64_t size = static_cast<int64_t>(st.st_size);
  const int64_t start = size > kResultWindow ? size - kResultWindow : 0;
  std::string buf(static_cast<size_t>(size - start), '\0');
  ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), start);
  if (n <= 0) return "";
  buf.resize(static_cast<size_t>(n));
  std::string_view text(buf);
  // Walk the lines backwards; the first (partial) line of a window that
  // does not start at offset 0 is not a whole line and is skipped.
  size_t end = text.size();
  while (end > 0) {
    size_t nl = text.rfind('\n', end - 1);
    size_t begin = nl == std::string_view::npos ? 0 : nl + 1;
    if (nl == std::string_view::npos && start > 0) break;
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (line.substr(0, kResultPrefix.size()) == kResultPrefix) {
      return std::string(line.substr(kResultPrefix.size()));
    }
    if (nl == std::string_view::npos) break;
    end = nl;
  }
  return "";
}

}  // namespace taskqueue::daemon
