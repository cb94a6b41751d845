// Intraday volume profiles for VWAP: how much of a day's volume trades when,
// as (minute of day, weight) buckets (algos/algo.h ProfileBucket). A profile
// comes from config per instrument, or is learned from the trades a venue
// reports (VolumeProfileLearner), which the router keeps per symbol and hands
// to a VWAP parent in its AlgoParams.
//
// Thread-safety: VolumeProfileLearner is not synchronised; one thread (the
// engine's) feeds and reads it.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "algos/algo.h"
#include "core/market_data.h"

namespace fixgw::algos {

inline constexpr int64_t kNanosPerMinute = 60'000'000'000;
inline constexpr int64_t kNanosPerDay = 1440 * kNanosPerMinute;

// The profile's weight accumulated over [from, to) (weight x nanoseconds), for
// a valid profile (AlgoParams::validate). Empty profile: 0.
__int128 profileWeight(const std::vector<ProfileBucket>& profile, WallNanos from, WallNanos to);

// Learns a profile from trades: the volume traded in each bucket of
// bucketMinutes, over every day it has seen.
class VolumeProfileLearner {
 public:
  explicit VolumeProfileLearner(int32_t bucketMinutes = 30);
  void add(const Trade& t);
  // Buckets in time order with weights in parts per million of the volume
  // seen (a bucket with no volume weighs 0). Empty until a trade came.
  std::vector<ProfileBucket> profile() const;
  Qty totalVolume() const { return total_; }

 private:
  int32_t bucketMinutes_;
  std::map<int32_t, __int128> volumeByBucket_;  // bucket start minute -> qty mantissa
  Qty total_;
};

}  // namespace fixgw::algos
