// example_plugin: a C++ taskqueue plugin built outside the taskqueue tree.
//
// It registers two processors:
//   shout WORD...   in-process: its result is the words in capitals.
//   count N         a child process (sh) that prints 1..N; it refuses a
//                   non-numeric N at enqueue time.
#include <taskqueue/plugin.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

namespace {

class CountProcessor : public taskqueue::ChildProcessor {
 public:
  bool IsValidArgs(const taskqueue::Task& task) const override {
    return task.args.size() == 1 && !task.args[0].empty() &&
           std::all_of(task.args[0].begin(), task.args[0].end(),
                       [](unsigned char c) { return std::isdigit(c); });
  }
  std::vector<std::string> Argv(const taskqueue::Task& task) const override {
    // The count is passed as $1, never spliced into the script.
    return {"/bin/sh", "-c", "i=1; while [ $i -le \"$1\" ]; do echo $i; i=$((i+1)); done", "count",
            task.args[0]};
  }
  int64_t Timeout() const override { return 60; }
};

taskqueue::Status Init(taskqueue::PluginRegistrar& registrar) {
  TQ_RETURN_IF_ERROR(registrar.RegisterFunction(
      "shout", [](taskqueue::TaskContext& context) -> taskqueue::Result<std::string> {
        std::string text = context.task().argstring;
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        return text;
      }));
  return registrar.Register("count", std::make_shared<CountProcessor>());
}

}  // namespace

TASKQUEUE_PLUGIN(Init);
