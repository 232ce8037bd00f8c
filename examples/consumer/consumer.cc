// taskqueue_consumer: a program that embeds libtaskqueue. It opens a queue in
// the state directory given, registers a processor of its own, optionally
// loads plugins from a directory, queues a task for every processor, runs
// them all in-process (no daemon involved) and reports how each ended.
//
// Usage: taskqueue_consumer STATE_DIR [PLUGIN_DIR COMMAND...]
// Exits 0 when every task completed, 1 otherwise.
#include <taskqueue/plugin.h>
#include <taskqueue/queue.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

int Fail(const std::string& what, const taskqueue::Status& status) {
  std::cerr << "taskqueue_consumer: " << what << ": " << status.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: taskqueue_consumer STATE_DIR [PLUGIN_DIR COMMAND...]\n";
    return 2;
  }
  auto registry = std::make_shared<taskqueue::ProcessorRegistry>();

  // A processor of the program's own: runs in this process.
  taskqueue::Status registered = registry->RegisterFunction(
      "greet", [](taskqueue::TaskContext& context) -> taskqueue::Result<std::string> {
        context.Log("greeting " + context.task().argstring);
        return "hello, " + context.task().argstring;
      });
  if (!registered.ok()) return Fail("registering greet", registered);

  // Plugins, as the daemon would load them. The manager must outlive the
  // queue's use of the processors it loaded.
  std::unique_ptr<taskqueue::PluginManager> plugins;
  std::vector<std::string> commands = {"greet world"};
  if (argc >= 3) {
    plugins = std::make_unique<taskqueue::PluginManager>(
        registry, std::vector<taskqueue::PluginDirectory>{
                      {argv[2], taskqueue::PluginDirectory::Origin::kCommandLine}});
    taskqueue::Status loaded = plugins->LoadAll();
    if (!loaded.ok()) return Fail("loading plugins from " + std::string(argv[2]), loaded);
    for (int i = 3; i < argc; ++i) commands.emplace_back(argv[i]);
  }

  taskqueue::QueueOptions options;
  options.state_dir = argv[1];
  options.registry = registry;
  auto queue = taskqueue::Queue::Open(options);
  if (!queue.ok()) return Fail("opening the queue", queue.status());

  std::vector<int64_t> ids;
  for (const std::string& command : commands) {
    auto outcome = (*queue)->QueueTask(command);
    if (!outcome.ok()) return Fail("queueing '" + command + "'", outcome.status());
    if (!outcome->status.ok()) return Fail("queueing '" + command + "'", outcome->status);
    std::cout << "queued " << outcome->uuid << ": " << command << "\n";
    ids.push_back(outcome->id);
  }

  // cPanel's processing loop: start what may start, then wait for children.
  for (;;) {
    auto has_work = (*queue)->HasWorkToDo();
    if (!has_work.ok()) return Fail("checking for work", has_work.status());
    if (!*has_work) break;
    auto processed = (*queue)->ProcessNextTask();
    if (!processed.ok()) return Fail("processing", processed.status());
    taskqueue::Status finished = (*queue)->FinishAllProcessing();
    if (!finished.ok()) return Fail("waiting for children", finished);
  }

  int exit_code = 0;
  for (int64_t id : ids) {
    auto task = (*queue)->FindTask(id);
    if (!task.ok()) return Fail("finding task " + std::to_string(id), task.status());
    if (!task->has_value()) {
      std::cerr << "taskqueue_consumer: task " << id << " vanished\n";
      return 1;
    }
    const taskqueue::Task& t = **task;
    std::string shown = t.state == taskqueue::TaskState::kComplete ? t.result : t.error;
    if (shown.empty()) {
      // A child's stdout and stderr are kept in its output file.
      std::ifstream output((*queue)->OutputPath(id));
      std::ostringstream text;
      text << output.rdbuf();
      shown = text.str();
      while (!shown.empty() && shown.back() == '\n') shown.pop_back();
      std::replace(shown.begin(), shown.end(), '\n', ' ');
    }
    std::cout << t.uuid() << " " << taskqueue::TaskStateName(t.state) << ": " << shown << "\n";
    if (t.state != taskqueue::TaskState::kComplete) exit_code = 1;
  }
  return exit_code;
}
