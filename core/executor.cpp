#include "core/executor.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <future>

#include "core/output_cork.h"

namespace fixgw {

namespace {
// The loop whose tasks the calling thread runs now (runningHere()).
thread_local const EventLoop* tlsRunning = nullptr;
// EventLoop::MoreInputScope: the calling thread has more input waiting.
thread_local bool tlsMoreInput = false;

struct RunningScope {
  explicit RunningScope(const EventLoop* l) noexcept : prev(tlsRunning) { tlsRunning = l; }
  ~RunningScope() { tlsRunning = prev; }
  const EventLoop* prev;
};
}  // namespace

EventLoop::~EventLoop() { stop(); }

bool EventLoop::runningHere() const noexcept { return tlsRunning == this; }

EventLoop::MoreInputScope::MoreInputScope(bool more) noexcept : prev_(tlsMoreInput) {
  tlsMoreInput = more;
}
EventLoop::MoreInputScope::~MoreInputScope() { tlsMoreInput = prev_; }

void EventLoop::post(Task t) {
  bool wake;
  {
    std::lock_guard lk(mu_);
    tasks_.push_back(std::move(t));
    posted_.fetch_add(1, std::memory_order_release);
    // A futex wake is a syscall on the poster's thread: skip it while the loop
    // is busy (it takes everything queued before it sleeps again) and while an
    // inline runner holds the token (it drains the queue, or wakes the loop
    // thread when it gives the token back with work left).
    wake = waiting_ && !busy_;
  }
  if (wake) cv_.notify_one();
}

void EventLoop::postAfter(int64_t delayNanos, Task t) {
  if (delayNanos <= 0) {
    post(std::move(t));
    return;
  }
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    timers_.push(Timer{clock_.monoNow() + delayNanos, timerSeq_++, std::move(t)});
    // Only a parked loop thread waits for a timer, and only a new earliest
    // timer changes its wait; while an inline runner holds the token, the
    // runner wakes it when it gives the token back.
    if (waiting_ && timers_.top().seq == timerSeq_ - 1) {
      if (busy_)
        rearm_ = true;
      else
        wake = true;
    }
  }
  if (wake) cv_.notify_one();
}

void EventLoop::acquireToken(std::unique_lock<std::mutex>& lk) {
  while (busy_) {
    tokenWaiter_ = true;
    cv_.wait(lk);
  }
  busy_ = true;
}

void EventLoop::releaseToken() {
  bool wake;
  {
    std::lock_guard lk(mu_);
    busy_ = false;
    wake = tokenWaiter_ || rearm_ || (waiting_ && !tasks_.empty());
    tokenWaiter_ = false;
    rearm_ = false;
  }
  if (wake) cv_.notify_all();
}

bool EventLoop::tryRunInlineRaw(void (*fn)(void*), void* arg) {
  if (!inline_.load(std::memory_order_relaxed) || tlsRunning == this || tlsMoreInput) return false;
  {
    std::lock_guard lk(mu_);
    // Idle only: no batch running, nothing queued (so every earlier post has run).
    if (busy_ || stopping_ || !tasks_.empty()) return false;
    busy_ = true;
    // Timers already due run right after fn and before what fn posts, as in the
    // batch the loop thread would have taken: [fn's task, due timers], then fn's posts.
    inlineBatch_.clear();
    if (!timers_.empty() && timers_.top().due <= clock_.monoNow()) takeReady(inlineBatch_);
  }
  struct Release {
    EventLoop* l;
    ~Release() { l->releaseToken(); }
  } release{this};
  RunningScope running(this);
  {
    // fn (with the timers that were due) is the batch the loop thread would
    // have run: one output round, its reports out when it ends, before what it
    // posted (the venue's answer, say) runs.
    cork::Round round;
    fn(arg);
    if (!inlineBatch_.empty()) {
      runBatch(inlineBatch_);
      inlineBatch_.clear();
    }
  }
  // Then what got queued meanwhile, batch by batch as the loop thread would.
  for (size_t drained = 0; drained < kMaxInlineDrain;) {
    {
      std::lock_guard lk(mu_);
      if (takeReady(inlineBatch_) == 0) break;
    }
    runBatch(inlineBatch_);
    drained += inlineBatch_.size();
    inlineBatch_.clear();
  }
  return true;
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
      std::unique_lock lk(mu_);
      acquireToken(lk);
      if (takeReady(batch) == 0) {
        busy_ = false;
        bool wake = tokenWaiter_;
        tokenWaiter_ = false;
        lk.unlock();
        if (wake) cv_.notify_all();
        return total;
      }
    }
    {
      RunningScope running(this);
      runBatch(batch);
    }
    releaseToken();
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
  bool mine = false;  // this thread holds the token (from its last batch)
  for (;;) {
    {
      std::unique_lock lk(mu_);
      if (mine) {
        // Between batches the token is free: an inline runner may take it.
        busy_ = false;
        mine = false;
        if (tokenWaiter_) {
          tokenWaiter_ = false;
          cv_.notify_all();
        }
      }
      for (;;) {
        if (busy_) {
          // An inline runner holds the token: it drains the queue; wait until it gives
          // the token back (it wakes us then).
          if (stopping_ && tasks_.empty()) return;
          tokenWaiter_ = true;
          waiting_ = true;
          cv_.wait(lk);
          waiting_ = false;
          continue;
        }
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
      busy_ = true;
      mine = true;
    }
    {
      RunningScope running(this);
      runBatch(batch);
    }
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
  if (runningHere()) {
    t();
    return;
  }
  std::promise<void> done;
  auto fut = done.get_future();
  post([&] {
    t();
    done.set_value();
  });
  fut.wait();
}

}  // namespace fixgw
