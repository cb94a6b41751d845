#include "algos/volume_profile.h"

#include <algorithm>

namespace fixgw::algos {

namespace {

// Weight from midnight up to tod (nanoseconds into the day).
__int128 prefixOfDay(const std::vector<ProfileBucket>& p, WallNanos tod) {
  const WallNanos first = p.front().minuteOfDay * kNanosPerMinute;
  // Before the first bucket the day still runs on the last one.
  __int128 acc = static_cast<__int128>(p.back().weight) * std::min(tod, first);
  for (size_t i = 0; i < p.size(); ++i) {
    const WallNanos b = p[i].minuteOfDay * kNanosPerMinute;
    if (tod <= b) break;
    const WallNanos e = i + 1 < p.size() ? p[i + 1].minuteOfDay * kNanosPerMinute : kNanosPerDay;
    acc += static_cast<__int128>(p[i].weight) * (std::min(tod, e) - b);
  }
  return acc;
}

// Weight from the epoch to t: whole days, then the part of t's day.
__int128 cumulative(const std::vector<ProfileBucket>& p, WallNanos t) {
  const int64_t day = t >= 0 ? t / kNanosPerDay : -((-t + kNanosPerDay - 1) / kNanosPerDay);
  return static_cast<__int128>(day) * prefixOfDay(p, kNanosPerDay) +
         prefixOfDay(p, t - day * kNanosPerDay);
}

}  // namespace

__int128 profileWeight(const std::vector<ProfileBucket>& profile, WallNanos from, WallNanos to) {
  if (profile.empty() || to <= from) return 0;
  return cumulative(profile, to) - cumulative(profile, from);
}

VolumeProfileLearner::VolumeProfileLearner(int32_t bucketMinutes)
    : bucketMinutes_(std::clamp(bucketMinutes, 1, 1440)) {}

void VolumeProfileLearner::add(const Trade& t) {
  if (!t.qty.isPositive()) return;
  const WallNanos tod = ((t.time % kNanosPerDay) + kNanosPerDay) % kNanosPerDay;
  const int32_t minute = static_cast<int32_t>(tod / kNanosPerMinute);
  volumeByBucket_[minute / bucketMinutes_ * bucketMinutes_] += t.qty.mantissa();
  total_ += t.qty;
}

std::vector<ProfileBucket> VolumeProfileLearner::profile() const {
  std::vector<ProfileBucket> v;
  if (!total_.isPositive()) return v;
  const __int128 total = total_.mantissa();
  for (int32_t m = 0; m < 1440; m += bucketMinutes_) {
    auto it = volumeByBucket_.find(m);
    const __int128 vol = it == volumeByBucket_.end() ? 0 : it->second;
    v.push_back(ProfileBucket{m, static_cast<int64_t>(vol * 1'000'000 / total)});
  }
  return v;
}

}  // namespace fixgw::algos
