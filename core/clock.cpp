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

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool validDate(int y, int m, int d) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

}  // namespace

std::optional<WallNanos> parseFixDate(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 8 || !digits(s, 0, 4, y) || !digits(s, 4, 2, m) || !digits(s, 6, 2, d) ||
      !validDate(y, m, d))
    return std::nullopt;
  return daysFromCivil(y, m, d) * 86'400LL * 1'000'000'000LL;
}

std::optional<WallNanos> parseFixTimestamp(std::string_view s) {
  if (s.size() < 17 || s[8] != '-' || s[11] != ':' || s[14] != ':') return std::nullopt;
  auto day = parseFixDate(s.substr(0, 8));
  int hh = 0, mm = 0, ss = 0;
  if (!day || !digits(s, 9, 2, hh) || !digits(s, 12, 2, mm) || !digits(s, 15, 2, ss) || hh > 23 ||
      mm > 59 || ss > 60)
    return std::nullopt;
  int64_t frac = 0;
  if (s.size() > 17) {
    const size_t n = s.size() - 18;
    if (s[17] != '.' || n < 1 || n > 9) return std::nullopt;
    int part = 0;
    if (!digits(s, 18, n, part)) return std::nullopt;
    frac = part;
    for (size_t i = n; i < 9; ++i) frac *= 10;
  }
  return *day + ((hh * 60LL + mm) * 60LL + ss) * 1'000'000'000LL + frac;
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
