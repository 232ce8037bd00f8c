// Processor defaults (cPanel's), ChildProcessor defaults and the registry.
#include "taskqueue/processor.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <utility>

namespace taskqueue {
namespace {

bool HasWhitespace(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

std::string DescribeSource(const std::string& source) {
  return source.empty() ? "built in" : source;
}

// The built-in `noop`: does nothing, in-process, successfully.
class NoopProcessor final : public Processor {
 public:
  bool RunsInline() const override { return true; }
  Result<std::string> ProcessTask(TaskContext&) const override { return std::string(); }
};

// Adapts a plain callable to the Processor interface.
class FunctionProcessor final : public Processor {
 public:
  explicit FunctionProcessor(ProcessFunction fn) : fn_(std::move(fn)) {}
  Result<std::string> ProcessTask(TaskContext& context) const override { return fn_(context); }

 private:
  ProcessFunction fn_;
};

}  // namespace

Result<std::string> ProcessTaskCatching(const Processor& processor, TaskContext& context) noexcept {
  try {
    return processor.ProcessTask(context);
  } catch (const std::exception& e) {
    return Status::Aborted(std::string("processor threw: ") + e.what());
  } catch (...) {
    return Status::Aborted("processor threw an unknown exception");
  }
}

bool Processor::IsValidArgs(const Task&) const { return true; }

bool Processor::IsDupe(const Task& new_task, const Task& old_task) const {
  return new_task.command == old_task.command && new_task.args == old_task.args;
}

bool Processor::Overrides(const Task&, const Task&) const { return false; }

std::vector<std::string> Processor::DeferralTags(const Task&) const { return {}; }

bool Processor::IsTaskDeferred(const Task& task, const std::set<std::string>& active_tags) const {
  if (active_tags.empty()) return false;
  for (const std::string& tag : DeferralTags(task)) {
    if (active_tags.count(tag) != 0) return true;
  }
  return false;
}

Result<std::string> Processor::ProcessTask(TaskContext& context) const {
  return Status::NotSupported("The processor for '" + context.task().command +
                              "' does not implement ProcessTask().");
}

std::vector<std::string> ChildProcessor::Argv(const Task&) const { return {}; }

int ChildProcessor::RunInChild(const Task& task) const {
  // Runs in a forked child: use write(2), not iostreams, which may hold
  // buffers or locks inherited from the parent.
  std::string msg = "taskqueue: the child processor for '" + task.command +
                    "' defines neither Argv() nor RunInChild()\n";
  ssize_t ignored = ::write(STDERR_FILENO, msg.data(), msg.size());
  (void)ignored;
  return 1;
}

Result<std::string> ChildProcessor::ProcessTask(TaskContext& context) const {
  return Status::NotSupported("'" + context.task().command +
                              "' is run by a child processor, not in-process.");
}

ProcessorRegistry::ProcessorRegistry() {
  entries_["noop"] = Entry{std::make_shared<NoopProcessor>(), ""};
}

Status ProcessorRegistry::Register(const std::string& command, std::shared_ptr<Processor> processor,
                                   const std::string& source) {
  if (command.empty()) return Status::InvalidArgument("Missing command name.");
  if (HasWhitespace(command)) {
    return Status::InvalidArgument("Command name '" + command + "' contains whitespace.");
  }
  if (processor == nullptr) {
    return Status::InvalidArgument("Missing task processor for '" + command + "'.");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(command);
  if (it != entries_.end()) {
    return Status::InvalidArgument(
        "Command '" + command + "' already has a processor (" + DescribeSource(it->second.source) +
        "); cannot register it again from " + DescribeSource(source) + ".");
  }
  entries_[command] = Entry{std::move(processor), source};
  return Status::OK();
}

Status ProcessorRegistry::RegisterFunction(const std::string& command, ProcessFunction fn,
                                           const std::string& source) {
  if (!fn) return Status::InvalidArgument("Missing task processor for '" + command + "'.");
  return Register(command, std::make_shared<FunctionProcessor>(std::move(fn)), source);
}

Status ProcessorRegistry::Unregister(const std::string& command) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.erase(command) == 0) {
    return Status::NotFound("'" + command + "' is not registered.");
  }
  return Status::OK();
}

std::shared_ptr<const Processor> ProcessorRegistry::Find(const std::string& command) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(command);
  if (it == entries_.end()) return nullptr;
  return it->second.processor;
}

std::vector<std::string> ProcessorRegistry::Commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [command, entry] : entries_) out.push_back(command);
  return out;
}

std::string ProcessorRegistry::SourceOf(const std::string& command) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(command);
  return it == entries_.end() ? std::string() : it->second.source;
}

void ProcessorRegistry::RecordFailedFile(const std::string& file, const std::string& reason,
                                         const std::vector<std::string>& commands) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& command : commands) {
    // The first failure explains a command best; later ones add nothing.
    failed_.emplace(command, file + ": " + reason);
  }
}

std::optional<std::string> ProcessorRegistry::FailedDefinition(const std::string& command) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.count(command) != 0) return std::nullopt;  // it loaded from elsewhere
  auto it = failed_.find(command);
  if (it == failed_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ProcessorRegistry::FailedCommands() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [command, why] : failed_) {
    if (entries_.count(command) == 0) out.push_back(command);
  }
  return out;
}

}  // namespace taskqueue
