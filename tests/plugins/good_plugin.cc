// A test plugin using every hook and every way to register a processor.
#include <unistd.h>

#include <memory>
#include <string>

#include "taskqueue/plugin.h"

namespace {

using taskqueue::Result;
using taskqueue::Status;
using taskqueue::Task;
using taskqueue::TaskContext;

// In-process, with custom hooks the test checks one by one.
class EchoProcessor : public taskqueue::Processor {
 public:
  bool IsValidArgs(const Task& task) const override { return task.args.size() <= 3; }
  bool HasCustomIsDupe() const override { return true; }
  bool IsDupe(const Task& n, const Task& o) const override {
    return !n.args.empty() && !o.args.empty() && n.args[0] == o.args[0];
  }
  bool HasOverrides() const override { return true; }
  bool Overrides(const Task& n, const Task& o) const override {
    return !n.args.empty() && n.args[0] == "all" && o.command == "tp_echo";
  }
  std::vector<std::string> DeferralTags(const Task& task) const override {
    return {"tp:" + (task.args.empty() ? std::string() : task.args[0])};
  }
  int Concurrency() const override { return 2; }
  int DefaultAttempts() const override { return 4; }
  Result<std::string> ProcessTask(TaskContext& context) const override {
    context.Log("echoing");
    context.Progress(1, 1);
    std::string out = "echo:";
    for (const std::string& a : context.task().args) out += "[" + a + "]";
    return out;
  }
};

// Runs in a forked child: exits with the number of args.
class CountingChild : public taskqueue::ChildProcessor {
 public:
  int64_t RescheduleDelay() const override { return 5; }
  bool RetryOnFailure(int exit_status) const override { return exit_status != 3; }
  int RunInChild(const Task& task) const override {
    std::string line = "child saw " + std::to_string(task.args.size()) + " args\n";
    ssize_t ignored = ::write(STDOUT_FILENO, line.data(), line.size());
    (void)ignored;
    return static_cast<int>(task.args.size());
  }
};

Status Init(taskqueue::PluginRegistrar& registrar) {
  TQ_RETURN_IF_ERROR(registrar.Register("tp_echo", std::make_shared<EchoProcessor>()));
  TQ_RETURN_IF_ERROR(registrar.Register("tp_child", std::make_shared<CountingChild>()));
  const std::string path = registrar.plugin_path();
  return registrar.RegisterFunction("tp_fn", [path](TaskContext& context) -> Result<std::string> {
    if (context.task().argstring == "fail") return Status::Aborted("asked to fail");
    return "fn:" + context.task().argstring + " from " + path;
  });
}

}  // namespace

TASKQUEUE_PLUGIN(Init);
