// Market data for the algorithms, from the venues' threads to the engine's:
// the engine subscribes this relay (a MarketDataSink) on a venue for each
// symbol an algo parent trades, and attaches the parent's AlgoRunner. The
// relay keeps the latest book per symbol (a runner attached later gets it at
// once) and learns each symbol's volume profile from its trades, for VWAP
// parents without a configured one.
//
// Thread-safety: onBook/onTrade may be called from any thread; they post to
// the engine executor. Everything else, and every runner call, is on the
// engine thread. The relay must outlive the tasks it posted (drain the
// executor before destroying it) and a runner must be detached before it is
// destroyed.
#pragma once

#include <map>
#include <vector>

#include "algos/algo.h"
#include "algos/volume_profile.h"
#include "core/executor.h"
#include "core/market_data.h"

namespace fixgw::algos {

class MarketDataRelay final : public MarketDataSink {
 public:
  explicit MarketDataRelay(Executor& engine, int32_t profileBucketMinutes = 30);

  // MarketDataSink (any thread).
  void onBook(const TopOfBook& book) override;
  void onTrade(const Trade& trade) override;

  // Engine thread.
  void attach(AlgoRunner& runner);
  void detach(AlgoRunner& runner);
  const TopOfBook* latestBook(const Symbol& symbol) const;
  // The profile learned so far for symbol (empty if no trade came).
  std::vector<ProfileBucket> learnedProfile(const Symbol& symbol) const;

 private:
  void deliverBook(const TopOfBook& book);
  void deliverTrade(const Trade& trade);

  Executor& engine_;
  int32_t bucketMinutes_;
  std::map<Symbol, TopOfBook> books_;
  std::map<Symbol, VolumeProfileLearner> learners_;
  std::map<Symbol, std::vector<AlgoRunner*>> runners_;
};

}  // namespace fixgw::algos
