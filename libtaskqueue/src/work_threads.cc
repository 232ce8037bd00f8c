#include "work_threads.h"

#include <condition_variable>
#include <thread>
#include <utility>

namespace taskqueue {

// One kept thread and the hand-over between it and the caller of Run. The
// thread holds a reference too, so an abandoned worker outlives WorkThreads.
struct WorkThreads::Worker {
  std::mutex mu;
  std::condition_variable cv;
  Work work;  // set by Run, taken by the thread
  bool has_work = false;
  bool done = false;  // the last work's result is in `result`
  bool stop = false;  // exit once idle (shutdown or abandoned)
  Result<std::string> result = Status::Aborted("not run");
  std::thread thread;

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
      self->cv.notify_all();
      if (self->stop) return;  // abandoned after a timeout
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

WorkThreads::~WorkThreads() {
  std::vector<std::shared_ptr<Worker>> idle;
  {
    std::lock_guard<std::mutex> guard(mu_);
    idle.swap(idle_);
  }
  for (auto& w : idle) {
    {
      std::lock_guard<std::mutex> guard(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
    if (w->thread.joinable()) w->thread.join();
  }
}

std::optional<Result<std::string>> WorkThreads::Run(Work work, std::chrono::milliseconds timeout) {
  std::shared_ptr<Worker> w;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (!idle_.empty()) {
      w = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!w) {
    w = std::make_shared<Worker>();
    w->thread = std::thread([w] { Worker::Loop(w); });
  }
  std::unique_lock<std::mutex> lock(w->mu);
  w->work = std::move(work);
  w->has_work = true;
  w->done = false;
  w->cv.notify_all();
  if (!w->cv.wait_for(lock, timeout, [&] { return w->done; })) {
    // Abandon it: it exits after the work it cannot be stopped in.
    w->stop = true;
    lock.unlock();
    w->thread.detach();
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
