// The built-in algorithms (private to algos/; created through makeAlgo) and
// the arithmetic they share.
#pragma once

#include <cstdint>
#include <string>

#include "algos/algo.h"

namespace fixgw::algos::detail {

// splitmix64 of (seed, k): the randomisation of slice k is a function of the
// seed and k alone, so a rebuilt algorithm makes the same choices.
uint64_t mix(uint64_t seed, uint64_t k);
// A value in [-1e6, 1e6] (parts per million) for (seed, k).
int64_t signedPpm(uint64_t seed, uint64_t k);
// A value in [0, 1e6) for (seed, k).
int64_t unsignedPpm(uint64_t seed, uint64_t k);

// floor(q * num / den) in quantity units, at least 0.
Qty scaled(Qty q, __int128 num, __int128 den);
Qty roundDownToLot(Qty q, Qty lot);
// q * ratio * ppm / 1e6, signed.
Qty jitter(Qty q, Ratio ratio, int64_t ppm);
std::string fmtTime(WallNanos t);

// TWAP and VWAP: a schedule of slices over [start, end], each slice bringing
// what is filled or live up to the share of the order due by the end of it.
class ScheduledAlgo : public Algo {
 public:
  using Algo::Algo;
  void onStart() override { decide(); }
  void onTimer() override { decide(); }
  void onChildRejected(const ChildOrderId&, std::string_view) override { decide(); }
  void onChildCanceled(const ChildOrderId&) override { decide(); }
  void onParentReplace(const AlgoParams&, Qty) override { decide(); }
  void onResume() override { decide(); }

  int sliceCount() const;
  WallNanos sliceTime(int i) const;
  // Cumulative quantity due by the end of slice i (the last slice: all of it).
  Qty target(int i) const;

 protected:
  // Share of the order due by `t` (start <= t <= end) as num/den.
  virtual void dueShare(WallNanos t, __int128& num, __int128& den, bool& flat) const = 0;
  void decide();
};

class Twap final : public ScheduledAlgo {
 public:
  using ScheduledAlgo::ScheduledAlgo;
  Strategy strategy() const override { return Strategy::Twap; }

 protected:
  void dueShare(WallNanos t, __int128& num, __int128& den, bool& flat) const override;
};

class Vwap final : public ScheduledAlgo {
 public:
  using ScheduledAlgo::ScheduledAlgo;
  Strategy strategy() const override { return Strategy::Vwap; }

 protected:
  void dueShare(WallNanos t, __int128& num, __int128& den, bool& flat) const override;
};

// POV: fills (and live children) follow rate x market volume seen.
class Pov final : public Algo {
 public:
  using Algo::Algo;
  Strategy strategy() const override { return Strategy::Pov; }
  void onStart() override { decide(); }
  void onTrade(const Trade&) override { decide(); }
  void onChildRejected(const ChildOrderId&, std::string_view) override { decide(); }
  void onChildCanceled(const ChildOrderId&) override { decide(); }
  void onParentReplace(const AlgoParams&, Qty) override { decide(); }
  void onResume() override { decide(); }
  Qty target() const;

 private:
  void decide();
};

// Iceberg: shows MaxFloor at a time and replenishes when the shown part is
// done; or one child with the venue's own display size where it has one.
class Iceberg final : public Algo {
 public:
  using Algo::Algo;
  Strategy strategy() const override { return Strategy::Iceberg; }
  void onStart() override { decide(); }
  void onChildFill(const ChildOrderId&, Qty, Price) override { decide(); }
  void onChildRejected(const ChildOrderId&, std::string_view) override { decide(); }
  void onChildCanceled(const ChildOrderId&) override { decide(); }
  void onParentReplace(const AlgoParams&, Qty) override { decide(); }
  void onResume() override { decide(); }
  // The display size for the next gateway-worked child.
  Qty showSize() const;

 private:
  void decide();
};

// Smart order routing (algos/sor.cpp).
std::unique_ptr<Algo> makeSorAlgo(AlgoContext& ctx);

}  // namespace fixgw::algos::detail
