// Example C++ plugin: the recipes' `notify` and `email` commands, using every
// hook. Copy it as a starting point for your own.
//
//   notify USER MESSAGE    write "notify USER: MESSAGE" (USER may be ALL)
//   email ADDRESS MESSAGE  write "email ADDRESS: MESSAGE"
//   hello [NAME...]        an in-process callable: returns "Hello, NAME!"
//
// Where the message goes: appended to the file named by $TASKQUEUE_NOTIFY_LOG
// in the daemon's environment, else the child's stdout (kept as the task's
// output).
//
//  - is_valid_args: exactly two args, a sane user name or address, a message.
//  - is_dupe: notify and email count as the same when their args are equal.
//  - overrides: `notify ALL msg` replaces every waiting `notify USER msg`.
//  - deferral_tags / is_task_deferred: one message per user at a time, and a
//    message to ALL waits for every per-user message (and vice versa).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "taskqueue/plugin.h"

namespace {

using taskqueue::Task;

constexpr size_t kMaxMessage = 4096;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool IsUserName(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), IsNameChar);
}

bool IsAddress(const std::string& s) {
  size_t at = s.find('@');
  return at != std::string::npos && at > 0 && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string::npos && std::all_of(s.begin(), s.end(), [](char c) {
           return IsNameChar(c) || c == '@' || c == '+';
         });
}

bool IsNotifyOrEmail(const std::string& command) {
  return command == "notify" || command == "email";
}

// write(2) all of `text`; we are in a forked child, so no stdio buffers.
bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

class MessageProcessor : public taskqueue::ChildProcessor {
 public:
  explicit MessageProcessor(std::string command) : command_(std::move(command)) {}

  bool IsValidArgs(const Task& task) const override {
    if (task.args.size() != 2) return false;
    const std::string& who = task.args[0];
    const std::string& message = task.args[1];
    bool who_ok = who == "ALL" || (command_ == "email" ? IsAddress(who) : IsUserName(who));
    return who_ok && !message.empty() && message.size() <= kMaxMessage;
  }

  // The recipe's is_dupe: notify and email are close enough to be the same.
  bool HasCustomIsDupe() const override { return true; }
  std::vector<std::string> DupeScope(const Task&) const override { return {"notify", "email"}; }
  bool IsDupe(const Task& new_task, const Task& old_task) const override {
    return IsNotifyOrEmail(new_task.command) && IsNotifyOrEmail(old_task.command) &&
           new_task.args == old_task.args;
  }

  // The recipe's overrides: a message to ALL replaces the same message to
  // any one user of the same command.
  bool HasOverrides() const override { return true; }
  bool Overrides(const Task& new_task, const Task& old_task) const override {
    return new_task.args.size() == 2 && new_task.args[0] == "ALL" &&
           old_task.command == new_task.command && old_task.args.size() == 2 &&
           old_task.args[0] != "ALL" && old_task.args[1] == new_task.args[1];
  }

  std::vector<std::string> DeferralTags(const Task& task) const override {
    return {"user:" + (task.args.empty() ? std::string() : task.args[0])};
  }
  bool IsTaskDeferred(const Task& task, const std::set<std::string>& active) const override {
    if (active.empty()) return false;
    if (ChildProcessor::IsTaskDeferred(task, active)) return true;  // same user busy
    bool to_all = !task.args.empty() && task.args[0] == "ALL";
    if (!to_all) return active.count("user:ALL") != 0;
    // A broadcast waits for every per-user message in flight.
    return std::any_of(active.begin(), active.end(),
                       [](const std::string& tag) { return tag.rfind("user:", 0) == 0; });
  }

  int64_t Timeout() const override { return 60; }
  int64_t RescheduleDelay() const override { return 30; }
  int DefaultAttempts() const override { return 3; }

  int RunInChild(const Task& task) const override {
    std::string line = command_ + " " + task.args[0] + ": " + task.args[1] + "\n";
    int fd = STDOUT_FILENO;
    const char* log = std::getenv("TASKQUEUE_NOTIFY_LOG");
    if (log != nullptr && *log != '\0') {
      fd = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0) {
        WriteAll(STDERR_FILENO, std::string("cannot open $TASKQUEUE_NOTIFY_LOG ") + log + "\n");
        return 1;
      }
    }
    bool ok = WriteAll(fd, line);
    if (fd != STDOUT_FILENO) ::close(fd);
    return ok ? 0 : 1;
  }

 private:
  std::string command_;
};

taskqueue::Status Init(taskqueue::PluginRegistrar& registrar) {
  TQ_RETURN_IF_ERROR(registrar.Register("notify", std::make_shared<MessageProcessor>("notify")));
  TQ_RETURN_IF_ERROR(registrar.Register("email", std::make_shared<MessageProcessor>("email")));
  return registrar.RegisterFunction(
      "hello", [](taskqueue::TaskContext& context) -> taskqueue::Result<std::string> {
        std::string who;
        for (const std::string& a : context.task().args) who += (who.empty() ? "" : " ") + a;
        context.Log("greeting " + (who.empty() ? std::string("world") : who));
        return "Hello, " + (who.empty() ? std::string("world") : who) + "!";
      });
}

}  // namespace

TASKQUEUE_PLUGIN(Init);
