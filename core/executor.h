// A single-threaded task queue with timers: the engine thread, the simulator
// thread and any other "owner" thread run one of these. Other threads post()
// closures to it; everything the loop runs executes on its one thread, so
// state owned by that thread needs no locks.
//
// Timers run against the monotonic clock of the Clock given at construction.
// With a ManualClock, call runDue() after advancing the clock to fire timers
// deterministically (tests never sleep).
//
// Each batch of tasks the loop thread takes is one output round (core/output_cork.h):
// FIX reports written during it are gathered and written once per session at
// its end (or every corkTasks tasks). Before the loop parks on its condition
// variable it may spin for a bounded time (setSpinNanos): a post() that comes
// in meanwhile is then picked up without a futex wake on either side, which
// is most of a hand-off's latency on a virtual machine.
//
// Running work on the posting thread ("inline", issue 15; setInline): the
// right to run the loop's tasks is a token (busy_). The loop thread holds it
// while it runs a batch; a thread that calls tryRunInline() while the loop is
// idle (no batch running, nothing queued) takes it instead, runs its work on
// its own thread, then drains whatever got queued meanwhile (its own posts,
// other threads' posts, due timers) as a batch would, and gives the token
// back. So the loop's tasks still run one at a time and in posting order;
// only the thread differs, and the fix-io -> engine futex wake is gone. Code
// that asks "am I the loop?" must ask runningHere(), not compare thread ids.
//
// Thread-safety: post(), postAfter(), tryRunInline() and stop() are safe from
// any thread; run()/runDue() must be called from one thread only;
// setSpinNanos(), setCorkTasks() and setInline() before start().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/clock.h"

namespace fixgw {

class Executor {
 public:
  using Task = std::function<void()>;
  virtual ~Executor() = default;
  virtual void post(Task t) = 0;
  // Runs t on the executor after delayNanos of the executor's clock.
  virtual void postAfter(int64_t delayNanos, Task t) = 0;
  // Runs f() now on the calling thread as one of the executor's tasks, if the
  // executor allows it and is idle; returns false (f not run) otherwise, and
  // the caller posts as usual. Never from inside one of the executor's tasks
  // (returns false there, so a task's work stays behind it).
  template <class F>
  bool tryRunInline(F&& f) {
    return tryRunInlineRaw([](void* p) { (*static_cast<std::remove_reference_t<F>*>(p))(); },
                           static_cast<void*>(&f));
  }

 protected:
  virtual bool tryRunInlineRaw(void (*)(void*), void*) { return false; }
};

class EventLoop final : public Executor {
 public:
  explicit EventLoop(const Clock& clock = SystemClock::instance()) : clock_(clock) {}
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void post(Task t) override;
  void postAfter(int64_t delayNanos, Task t) override;

  // Starts a thread running the loop until stop(). The loop drains tasks
  // already posted before it exits.
  void start(const char* threadName = "loop");
  void stop();
  bool inLoopThread() const { return std::this_thread::get_id() == threadId_.load(); }
  // True while the calling thread runs this loop's tasks: the loop thread in a
  // batch, runDue(), or a thread that took the token in tryRunInline().
  bool runningHere() const noexcept;

  // How long the loop thread polls for new tasks after a batch before it
  // parks (0: park at once, the default). Costs up to that much CPU per idle
  // period; saves a futex wait/wake pair when work comes back within it.
  void setSpinNanos(int64_t ns) { spinNanos_ = ns > 0 ? ns : 0; }
  // Corked output is flushed after every n tasks of a batch and at its end
  // (n >= 1; 1 writes after every task, as without corking).
  void setCorkTasks(size_t n) { corkTasks_ = n > 0 ? n : 1; }
  static constexpr size_t kDefaultCorkTasks = 16;
  // Lets tryRunInline() run work on the caller's thread when the loop is idle
  // (config fix.engine_inline). Off by default: tryRunInline() returns false.
  void setInline(bool on) { inline_.store(on, std::memory_order_relaxed); }
  bool inlineEnabled() const { return inline_.load(std::memory_order_relaxed); }
  // An inline runner drains at most this many queued tasks after its own
  // work; what is left goes back to the loop thread (the posting thread is a
  // FIX I/O thread with other sessions to read).
  static constexpr size_t kMaxInlineDrain = 64;
  // Set by a thread that has more input waiting behind the work it is about
  // to hand over (a FIX I/O thread with further bytes buffered): while one is
  // open on the calling thread, tryRunInline() declines, so under load the
  // reading thread keeps reading while the loop thread works (a pipeline of
  // two threads), and only the last message of a read runs inline.
  class MoreInputScope {
   public:
    explicit MoreInputScope(bool more) noexcept;
    ~MoreInputScope();
    MoreInputScope(const MoreInputScope&) = delete;
    MoreInputScope& operator=(const MoreInputScope&) = delete;

   private:
    bool prev_;
  };

  // Runs every ready task and every due timer on the calling thread, then
  // returns the number run. For tests driving a loop without a thread.
  size_t runDue();
  // Posts a task and waits until the loop has run it (from inside one of the
  // loop's tasks it runs t at once).
  void sync(Task t);

 protected:
  bool tryRunInlineRaw(void (*fn)(void*), void* arg) override;

 private:
  struct Timer {
    MonoNanos due;
    uint64_t seq;
    Task task;
    bool operator>(const Timer& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  void runLoop();
  void runBatch(std::deque<Task>& batch);
  size_t takeReady(std::deque<Task>& out);
  // With mu_ held: waits until no other thread holds the token, then takes it.
  void acquireToken(std::unique_lock<std::mutex>& lk);
  // Gives the token back (takes mu_); wakes the loop thread if it has work.
  void releaseToken();

  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t timerSeq_ = 0;
  bool stopping_ = false;
  bool waiting_ = false;  // the loop thread sleeps on cv_ (guarded by mu_)
  // The token (guarded by mu_): someone runs the loop's tasks right now.
  bool busy_ = false;
  // A thread waits on cv_ for the token (the loop thread with a due timer, runDue()).
  bool tokenWaiter_ = false;
  // An inline runner added the earliest timer: the parked loop thread must re-arm its wait.
  bool rearm_ = false;
  std::atomic<bool> inline_{false};
  std::deque<Task> inlineBatch_;  // reused by the token holder in tryRunInline()
  // Bumped by every post() (under mu_); read without mu_ by the spinning loop thread.
  std::atomic<uint64_t> posted_{0};
  int64_t spinNanos_ = 0;
  size_t corkTasks_ = kDefaultCorkTasks;
  std::thread thread_;
  std::atomic<std::thread::id> threadId_{};
};

}  // namespace fixgw
