#include "child_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace taskqueue {

Result<pid_t> SpawnChild(const Task& task, const ChildProcessor& processor,
                         const ChildEnvironment& env) {
  std::error_code ec;
  std::filesystem::create_directories(env.output_file.parent_path(), ec);
  int out = ::open(env.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (out < 0) {
    return Status::IOError("Cannot open output file '" + env.output_file.string() +
                           "': " + std::strerror(errno));
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls until exec.
  std::vector<std::string> argv_strings = processor.Argv(task);
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (strncmp(*e, "TASKQUEUE_", 10) == 0) continue;
    env_strings.emplace_back(*e);
  }
  env_strings.push_back("TASKQUEUE_TASK_ID=" + task.uuid());
  env_strings.push_back("TASKQUEUE_STATE_DIR=" + env.state_dir.string());
  env_strings.push_back("TASKQUEUE_NAME=" + env.queue_name);
  env_strings.push_back("TASKQUEUE_ATTEMPT=" + std::to_string(task.attempts_made));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    ::close(out);
    return Status::IOError(std::string("fork failed: ") + std::strerror(err));
  }
  if (pid == 0) {
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    if (!argv_strings.empty()) {
      execve(argv[0], argv.data(), envp.data());
      // Not a path: search PATH as a shell would.
      if (strchr(argv[0], '/') == nullptr) execvpe(argv[0], argv.data(), envp.data());
      const char* msg = "taskqueue: cannot execute ";
      (void)!write(2, msg, strlen(msg));
      (void)!write(2, argv[0], strlen(argv[0]));
      (void)!write(2, ": ", 2);
      const char* why = strerror(errno);
      (void)!write(2, why, strlen(why));
      (void)!write(2, "\n", 1);
      _exit(127);
    }
    for (auto& s : env_strings) putenv(s.data());
    int status = processor.RunInChild(task);
    fflush(nullptr);
    _exit(status & 0xff);
  }
  ::close(out);
  return pid;
}

}  // namespace taskqueue
