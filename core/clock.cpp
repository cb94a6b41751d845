#include "core/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fixgw {

WallNanos SystemClock::wallNow() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
MonoNanos SystemClock::monoNow() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
SystemClock& SystemClock::instance() {
  static SystemClock c;
  return c;
}

namespace {
void splitTime(WallNanos t, std::tm& tm, int64_t& subNanos) {
  int64_t secs = t / 1'000'000'000;
  subNanos = t % 1'000'000'000;
  if (subNanos < 0) {
    subNanos += 1'000'000'000;
    --secs;
  }
  time_t tt = static_cast<time_t>(secs);
  gmtime_r(&tt, &tm);
}
}  // namespace

std::string formatFixTimestamp(WallNanos t) {
  std::tm tm{};
  int64_t sub = 0;
  splitTime(t, tm, sub);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(sub / 1'000'000));
  return buf;
}

std::string formatIsoTimestamp(WallNanos t) {
  std::tm tm{};
  int64_t sub = 0;
  splitTime(t, tm, sub);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(sub / 1000));
  return buf;
}

}  // namespace fixgw
