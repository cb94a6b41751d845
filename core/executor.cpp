#include "core/executor.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <future>

#include "core/output_cork.h"

namespace fixgw {

EventLoop::~EventLoop() { stop(); }

void EventLoop::post(Task t) {
  bool wake;
  {
    std::lock_guard lk(mu_);
    tasks_.push_back(std::move(t));
    posted_.fetch_add(1, std::memory_order_release);
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
    runBatch(batch);
    total += batch.size();
  }
}

namespace {
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace

void EventLoop::runLoop() {
  std::deque<Task> batch;
  bool spin = false;  // a batch just ran: poll a while before parking
  for (;;) {
    {
      std::unique_lock lk(mu_);
      for (;;) {
        if (takeReady(batch) > 0) break;
        if (stopping_) return;
        if (spin && spinNanos_ > 0) {
          // Poll without the lock: posters see waiting_ false and skip the futex wake.
          spin = false;
          const uint64_t seen = posted_.load(std::memory_order_acquire);
          lk.unlock();
          const auto until =
              std::chrono::steady_clock::now() + std::chrono::nanoseconds(spinNanos_);
          unsigned n = 0;
          while (posted_.load(std::memory_order_acquire) == seen) {
            cpuRelax();
            if ((++n & 63) == 0) {
              if (std::chrono::steady_clock::now() >= until) break;
              // On a box with fewer cores than busy threads the poll must not keep the
              // thread that will post (fix-io, the client) off the core: give it up
              // while polling; it costs a syscall, not a futex wait/wake pair.
              sched_yield();
            }
          }
          lk.lock();
          continue;
        }
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
    runBatch(batch);
    batch.clear();
    spin = true;
  }
}

void EventLoop::runBatch(std::deque<Task>& batch) {
  // One output round per batch, flushed every corkTasks_ tasks so the first
  // report of a long batch does not wait for the last.
  cork::Round round;
  size_t n = 0;
  for (auto& t : batch) {
    t();
    if (++n == corkTasks_) {
      n = 0;
      cork::flush();
    }
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
