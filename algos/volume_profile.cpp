#include "algos/volume_profile.h"

#include <algorithm>

namespace fixgw::algos {

__int128 profileWeight(const std::vector<ProfileBucket>& profile, WallNanos from, WallNanos to) {
  if (profile.empty() || to <= from) return 0;
  __int128 acc = 0;
  WallNanos t = from;
  while (t < to) {
    const WallNanos tod = ((t % kNanosPerDay) + kNanosPerDay) % kNanosPerDay;
    const WallNanos dayStart = t - tod;
    // The bucket holding tod, and where it ends.
    size_t k = profile.size() - 1;
    WallNanos boundary = kNanosPerDay;
    if (tod < profile.front().minuteOfDay * kNanosPerMinute) {
      boundary = profile.front().minuteOfDay * kNanosPerMinute;  // the last bucket wraps
    } else {
      for (size_t i = 0; i < profile.size(); ++i) {
        if (profile[i].minuteOfDay * kNanosPerMinute <= tod) k = i;
      }
      if (k + 1 < profile.size()) boundary = profile[k + 1].minuteOfDay * kNanosPerMinute;
    }
    const WallNanos segEnd = std::min<WallNanos>(to, dayStart + boundary);
    acc += static_cast<__int128>(profile[k].weight) * (segEnd - t);
    t = segEnd;
  }
  return acc;
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
