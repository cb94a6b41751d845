// Time as an interface. Wall clock (UTC nanoseconds since the epoch) stamps
// reports and journal rows; the monotonic clock measures intervals (throttle
// windows, simulator latency, algo schedules). Tests use ManualClock and
// advance it by hand.
//
// Thread-safety: SystemClock is stateless. ManualClock is safe to read from
// any thread and to advance from one.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fixgw {

using WallNanos = int64_t;  // UTC ns since 1970-01-01
using MonoNanos = int64_t;  // monotonic ns, arbitrary origin

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallNanos wallNow() const = 0;
  virtual MonoNanos monoNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallNanos wallNow() const override;
  MonoNanos monoNow() const override;
  static SystemClock& instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallNanos startWall = 1'700'000'000'000'000'000LL) : wall_(startWall) {}
  WallNanos wallNow() const override { return wall_.load(); }
  MonoNanos monoNow() const override { return mono_.load(); }
  void advance(int64_t nanos) {
    wall_ += nanos;
    mono_ += nanos;
  }

 private:
  std::atomic<WallNanos> wall_;
  std::atomic<MonoNanos> mono_{0};
};

// "YYYYMMDD-HH:MM:SS.mmm" (FIX UTCTimestamp with milliseconds).
std::string formatFixTimestamp(WallNanos t);
// ISO 8601 with microseconds, "2026-01-02T03:04:05.123456Z".
std::string formatIsoTimestamp(WallNanos t);
// FIX UTCTimestamp "YYYYMMDD-HH:MM:SS" with an optional fraction of 1 to 9
// digits; nullopt when malformed or out of range (month 13, Feb 30, second 61).
std::optional<WallNanos> parseFixTimestamp(std::string_view s);
// FIX date "YYYYMMDD" (UTCDateOnly, LocalMktDate): midnight UTC of that day.
std::optional<WallNanos> parseFixDate(std::string_view s);

}  // namespace fixgw
