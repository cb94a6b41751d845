#include "core/executor.h"

#include <pthread.h>

#include <chrono>
#include <future>

namespace fixgw {

EventLoop::~EventLoop() { stop(); }

void EventLoop::post(Task t) {
  bool wake;
  {
    std::lock_guard lk(mu_);
    tasks_.push_back(std::move(t));
    wake = waiting_;
  }
  // A futex wake is a syscall on the poster's thread: skip it while the loop
  // is busy (it takes everything queued before it sleeps again).
  if (wake) cv_.notify_one();
}

void EventLoop::postAfter(int64_t delayNanos, Task t) {
  if (delayNanos <= 0) {
    post(std::move(t));
    return;
  }
  {
    std::lock_guard lk(mu_);
    timers_.push(Timer{clock_.monoNow() + delayNanos, timerSeq_++, std::move(t)});
  }
  cv_.notify_one();  // the new timer may be due before the one the loop waits for
}

void EventLoop::start(const char* threadName) {
  std::string name(threadName);
  thread_ = std::thread([this, name] {
    threadId_.store(std::this_thread::get_id());
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    runLoop();
  });
}

void EventLoop::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

size_t EventLoop::takeReady(std::deque<Task>& out) {
  // Called with mu_ held.
  MonoNanos now = clock_.monoNow();
  while (!timers_.empty() && timers_.top().due <= now) {
    tasks_.push_back(std::move(const_cast<Timer&>(timers_.top()).task));
    timers_.pop();
  }
  out.swap(tasks_);
  return out.size();
}

size_t EventLoop::runDue() {
  size_t total = 0;
  for (;;) {
    std::deque<Task> batch;
    {
      std::lock_guard lk(mu_);
      if (takeReady(batch) == 0) return total;
    }
    for (auto& t : batch) t();
    total += batch.size();
  }
}

void EventLoop::runLoop() {
  std::deque<Task> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      for (;;) {
        if (takeReady(batch) > 0) break;
        if (stopping_) return;
        waiting_ = true;
        if (timers_.empty()) {
          cv_.wait(lk);
        } else {
          auto wait = timers_.top().due - clock_.monoNow();
          if (wait > 0) cv_.wait_for(lk, std::chrono::nanoseconds(wait));
        }
        waiting_ = false;
      }
    }
    for (auto& t : batch) t();
    batch.clear();
  }
}

void EventLoop::sync(Task t) {
  std::promise<void> done;
  auto fut = done.get_future();
  post([&] {
    t();
    done.set_value();
  });
  fut.wait();
}

}  // namespace fixgw
