#include "work_threads.h"

#include <unistd.h>

#include <condition_variable>
#include <thread>
#include <utility>

namespace taskqueue {

// One kept thread and the hand-over between it and the caller of Run. The
// thread is detached and holds a reference to this, so a worker outlives
// WorkThreads when it must (abandoned after a timeout, or still leaving).
struct WorkThreads::Worker {
  std::mutex mu;
  std::condition_variable cv;
  Work work;  // set by Run, taken by the thread
  bool has_work = false;
  bool done = false;  // the last work's result is in `result`
  bool stop = false;  // exit once idle (shutdown or abandoned)
  Result<std::string> result = Status::Aborted("not run");

  static void Loop(const std::shared_ptr<Worker>& self) {
    std::unique_lock<std::mutex> lock(self->mu);
    for (;;) {
      self->cv.wait(lock, [&] { return self->has_work || self->stop; });
      if (!self->has_work) return;  // stop requested while idle
      Work work = std::move(self->work);
      self->has_work = false;
      lock.unlock();
      Result<std::string> r = RunCatching(work);
      work = nullptr;  // release what the work captured before reporting
      lock.lock();
      self->result = std::move(r);
      self->done = true;
      const bool abandoned = self->stop;
      // Notified after unlocking, so that the caller it wakes does not at
      // once block again on the mutex this thread still holds.
      lock.unlock();
      self->cv.notify_all();
      if (abandoned) return;  // after a timeout: nobody waits for it
      lock.lock();
    }
  }

  static Result<std::string> RunCatching(const Work& work) {
    try {
      return work();
    } catch (const std::exception& e) {
      return Status::Aborted(std::string("processor threw: ") + e.what());
    } catch (...) {
      return Status::Aborted("processor threw an unknown exception");
    }
  }
};

WorkThreads::WorkThreads() : owner_pid_(::getpid()) {}

WorkThreads::~WorkThreads() {
  std::lock_guard<std::mutex> guard(mu_);
  if (ForgetThreadsOfParent()) return;
  for (auto& w : idle_) {
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
  }
}

bool WorkThreads::ForgetThreadsOfParent() {
  if (::getpid() == owner_pid_) return false;
  // A forked child has none of its parent's threads, and their mutexes and
  // condition variables may look held or waited on for ever: they are
  // neither used nor destroyed here, only leaked (once per fork).
  new std::vector<std::shared_ptr<Worker>>(std::move(idle_));
  idle_.clear();
  owner_pid_ = ::getpid();
  return true;
}

std::optional<Result<std::string>> WorkThreads::Run(Work work, std::chrono::milliseconds timeout) {
  std::shared_ptr<Worker> w;
  {
    std::lock_guard<std::mutex> guard(mu_);
    ForgetThreadsOfParent();
    if (!idle_.empty()) {
      w = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!w) {
    w = std::make_shared<Worker>();
    std::thread([w] { Worker::Loop(w); }).detach();
  }
  {
    std::lock_guard<std::mutex> lock(w->mu);
    w->work = std::move(work);
    w->has_work = true;
    w->done = false;
  }
  w->cv.notify_all();  // unlocked, as in Loop
  std::unique_lock<std::mutex> lock(w->mu);
  if (!w->cv.wait_for(lock, timeout, [&] { return w->done; })) {
    w->stop = true;  // abandoned: it exits after the work it cannot be stopped in
    return std::nullopt;
  }
  Result<std::string> result = std::move(w->result);
  w->result = Status::Aborted("not run");
  lock.unlock();
  std::lock_guard<std::mutex> guard(mu_);
  idle_.push_back(std::move(w));
  return result;
}

}  // namespace taskqueue
