// A sliding-window message throttle: at most `limit` messages in any window
// of `windowNanos` (monotonic time). Keeps the times of the last `limit`
// admitted messages in a ring sized once at configuration, so a check is a
// compare and a store, never an allocation.
//
// Window boundary: a message admitted at t stops counting at exactly
// t + window, i.e. the window is (now - window, now].
//
// Thread-safety: none; the risk engine owns its throttles on the engine thread.
#pragma once

#include <cstdint>
#include <vector>

namespace fixgw::risk {

class SlidingWindowThrottle {
 public:
  SlidingWindowThrottle() = default;
  SlidingWindowThrottle(uint32_t limit, int64_t windowNanos) { configure(limit, windowNanos); }

  // limit 0 disables the throttle. Forgets history when the shape changes.
  void configure(uint32_t limit, int64_t windowNanos) {
    if (limit == limit_ && windowNanos == window_) return;
    limit_ = limit;
    window_ = windowNanos;
    times_.assign(limit, 0);
    next_ = 0;
    count_ = 0;
  }
  bool enabled() const { return limit_ > 0; }
  uint32_t limit() const { return limit_; }
  int64_t windowNanos() const { return window_; }

  // True if one more message at `now` stays within the limit (does not record it).
  bool wouldAdmit(int64_t now) const {
    if (limit_ == 0 || count_ < limit_) return true;
    // The oldest of the last `limit` messages sits at next_ (the ring is full).
    return now - times_[next_] >= window_;
  }
  void record(int64_t now) {
    if (limit_ == 0) return;
    times_[next_] = now;
    next_ = next_ + 1 == limit_ ? 0 : next_ + 1;
    if (count_ < limit_) ++count_;
  }
  // Admits and records, or refuses without recording.
  bool tryAdmit(int64_t now) {
    if (!wouldAdmit(now)) return false;
    record(now);
    return true;
  }
  // Messages inside the window ending at now (for reject texts).
  uint32_t inWindow(int64_t now) const {
    uint32_t n = 0;
    for (uint32_t i = 0; i < count_; ++i)
      if (now - times_[i] < window_) ++n;
    return n;
  }

 private:
  uint32_t limit_ = 0;
  int64_t window_ = 0;
  std::vector<int64_t> times_;
  uint32_t next_ = 0;
  uint32_t count_ = 0;
};

}  // namespace fixgw::risk
