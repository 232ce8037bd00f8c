// Where plugins are looked for, and whether a plugin file may be trusted.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <system_error>

#include "taskqueue/plugin.h"
#include "taskqueue_paths.h"

namespace taskqueue {
namespace {

namespace fs = std::filesystem;

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Refuses what sshd's StrictModes and sudo refuse: group/other write, or an
// owner other than root and the user running us.
Status CheckOwnerAndMode(const fs::path& path, bool is_dir) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::Config("cannot check " + path.string() + ": " + std::strerror(errno));
  }
  const char* what = is_dir ? "directory " : "";
  uid_t me = ::geteuid();
  if (st.st_uid != 0 && st.st_uid != me) {
    return Status::Config("refused: " + std::string(what) + path.string() + " is owned by uid " +
                          std::to_string(st.st_uid) + ", not by root or the user running " +
                          "taskqueue (uid " + std::to_string(me) +
                          "); plugins are code the daemon runs");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Status::Config("refused: " + std::string(what) + path.string() +
                          " is writable by group or others (mode " + Octal(st.st_mode) +
                          "); plugins are code the daemon runs (fix: chmod go-w " + path.string() +
                          ")");
  }
  return Status::OK();
}

fs::path DirectoryOf(const fs::path& file) {
  fs::path dir = file.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

}  // namespace

fs::path DefaultPluginDirectory() { return TASKQUEUE_DEFAULT_PLUGIN_DIR; }

std::vector<PluginDirectory> PluginSearchPath(const std::vector<fs::path>& command_line_dirs,
                                              bool include_default) {
  std::vector<PluginDirectory> out;
  std::set<std::string> seen;
  auto add = [&](const fs::path& dir, PluginDirectory::Origin origin) {
    if (dir.empty()) return;
    // Compare spellings after making them absolute and normal, so "./p" and
    // "p/" are the same directory; the directory need not exist.
    std::error_code ec;
    fs::path key = fs::absolute(dir, ec).lexically_normal();
    std::string k = ec ? dir.string() : key.string();
    while (k.size() > 1 && k.back() == '/') k.pop_back();
    if (!seen.insert(k).second) return;
    out.push_back(PluginDirectory{dir, origin});
  };
  for (const fs::path& dir : command_line_dirs) add(dir, PluginDirectory::Origin::kCommandLine);
  if (const char* env = std::getenv("TASKQUEUE_PLUGIN_PATH"); env != nullptr) {
    std::stringstream list(env);
    std::string dir;
    while (std::getline(list, dir, ':')) add(dir, PluginDirectory::Origin::kEnvironment);
  }
  if (include_default) add(DefaultPluginDirectory(), PluginDirectory::Origin::kDefault);
  return out;
}

Status CheckPluginFileSafety(const fs::path& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) {
    return Status::Config("cannot check " + file.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::Config(file.string() + " is not a regular file");
  TQ_RETURN_IF_ERROR(CheckOwnerAndMode(file, /*is_dir=*/false));
  TQ_RETURN_IF_ERROR(CheckOwnerAndMode(DirectoryOf(file), /*is_dir=*/true));
  // Through a symlink, whoever can write the target's directory can swap
  // the target: check that one too.
  std::error_code ec;
  fs::path real = fs::canonical(file, ec);
  if (!ec && DirectoryOf(real) != DirectoryOf(file)) {
    TQ_RETURN_IF_ERROR(CheckOwnerAndMode(DirectoryOf(real), /*is_dir=*/true));
  }
  return Status::OK();
}

std::string PluginFailure::ToString() const { return file + ": " + reason; }

}  // namespace taskqueue
