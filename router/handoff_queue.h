// A FIFO that hands values (commands, venue events) from any thread to the
// engine thread without a heap allocation per value (issue 15).
//
// Posting a lambda that captures a Command or a VenueEvent allocates: both are
// far larger than std::function's small buffer. Instead the producer pushes
// the value here, which numbers it and posts a task that captures only a
// pointer and that number (16 bytes, stored inline in std::function);
// the task takes its own value by number. So every value is handled at
// exactly the place in the loop's order its own posted lambda had before, and
// a value whose task never ran (a loop stopped with work queued drops it) is
// dropped too, when a later task takes a later value: never handed to the
// wrong task.
//
// The vector is reused: taking the last value clears it (capacity kept), so
// in the steady state pushes do not allocate.
//
// Thread-safety: push() and take() from any threads (a mutex, held for a move).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace fixgw::router {

template <class T>
class HandoffQueue {
 public:
  // Queues v and calls post(seq), which posts the task that will take(seq).
  // post runs under the queue's lock, so tasks are posted in number order even
  // when several threads push at once (take() relies on it); it must not call
  // back into this queue (a loop's post() only queues).
  template <class Post>
  void push(T v, Post&& post) {
    std::lock_guard lk(mu_);
    q_.emplace_back(++pushed_, std::move(v));
    post(pushed_);
  }
  // Queues v for a task posted by the caller after this returns; for a single
  // producer thread, whose posting order is then the numbering order. For a
  // consumer that may run the task inline (MemoryJournal::afterCommit), which
  // push() would deadlock.
  uint64_t enqueue(T v) {
    std::lock_guard lk(mu_);
    q_.emplace_back(++pushed_, std::move(v));
    return pushed_;
  }
  // The value pushed as `seq`, dropping older ones still queued (their tasks
  // were dropped); nullopt if it is not queued (already taken).
  std::optional<T> take(uint64_t seq) {
    std::lock_guard lk(mu_);
    while (head_ < q_.size() && q_[head_].first < seq) ++head_;
    std::optional<T> v;
    if (head_ < q_.size() && q_[head_].first == seq) v.emplace(std::move(q_[head_++].second));
    if (head_ == q_.size()) {
      q_.clear();
      head_ = 0;
    } else if (head_ >= kCompactAfter && head_ * 2 >= q_.size()) {
      // Never empty under sustained load: drop the taken prefix now and then.
      q_.erase(q_.begin(), q_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return v;
  }
  size_t size() const {
    std::lock_guard lk(mu_);
    return q_.size() - head_;
  }

 private:
  static constexpr size_t kCompactAfter = 1024;
  mutable std::mutex mu_;
  std::vector<std::pair<uint64_t, T>> q_;
  size_t head_ = 0;
  uint64_t pushed_ = 0;
};

}  // namespace fixgw::router
