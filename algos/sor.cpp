// The SOR policy (decideSor, algos/sor.h) and the SOR strategy that drives it
// from an AlgoRunner.
#include "algos/sor.h"

#include <algorithm>
#include <map>
#include <string>

#include "algos/strategies.h"

namespace fixgw::algos {

namespace {

constexpr __int128 kBpsOne = static_cast<__int128>(10'000) * kOne;  // 1 (100%) in fee mantissa

// One book level that may be taken, with what it costs all-in.
struct Level {
  size_t venue = 0;  // index into the venues given
  Price px;
  Qty qty;
  __int128 allIn = 0;
};

Qty roundDown(Qty q, Qty lot) {
  if (!lot.isPositive() || !q.isPositive()) return q.isPositive() ? q : Qty();
  return Qty::fromMantissa(q.mantissa() / lot.mantissa() * lot.mantissa());
}

bool withinLimit(Side side, Price px, const std::optional<Price>& limit) {
  if (!limit) return true;
  return isBuy(side) ? px <= *limit : px >= *limit;
}

// Health and name order: the tie-break after price.
bool healthBefore(const SorVenue& a, const SorVenue& b) {
  if (a.health.ackLatencyMicros != b.health.ackLatencyMicros)
    return a.health.ackLatencyMicros < b.health.ackLatencyMicros;
  if (a.health.recentRejects != b.health.recentRejects)
    return a.health.recentRejects < b.health.recentRejects;
  return a.venue < b.venue;
}

std::string bpsText(Bps b) { return b.str() + " bps"; }

}  // namespace

std::string_view toString(SorRemainder r) {
  switch (r) {
    case SorRemainder::Rest:
      return "rest";
    case SorRemainder::Reroute:
      return "reroute";
    case SorRemainder::Cancel:
      return "cancel";
  }
  return "?";
}

std::optional<SorRemainder> sorRemainderFromName(std::string_view n) {
  if (n == "rest") return SorRemainder::Rest;
  if (n == "reroute") return SorRemainder::Reroute;
  if (n == "cancel") return SorRemainder::Cancel;
  return std::nullopt;
}

__int128 sorAllInRaw(Side side, Price px, Bps fee) {
  const __int128 factor = isBuy(side) ? kBpsOne + fee.mantissa() : kBpsOne - fee.mantissa();
  return static_cast<__int128>(px.mantissa()) * factor;
}

Price sorAllInPrice(Side side, Price px, Bps fee) {
  const __int128 raw = sorAllInRaw(side, px, fee);
  const __int128 half = kBpsOne / 2;
  const __int128 q = raw >= 0 ? (raw + half) / kBpsOne : (raw - half) / kBpsOne;
  return Price::fromMantissa(static_cast<int64_t>(q));
}

SorDecision decideSor(const SorRequest& req, const std::vector<SorVenue>& venues,
                      const SorPolicyConfig& cfg) {
  SorDecision d;
  const bool buy = isBuy(req.side);
  std::vector<bool> usable(venues.size(), false);
  std::vector<Level> levels;
  for (size_t i = 0; i < venues.size(); ++i) {
    const SorVenue& v = venues[i];
    const std::string name = v.venue.str();
    if (std::find(req.avoid.begin(), req.avoid.end(), v.venue) != req.avoid.end()) {
      d.excluded.push_back(name + ": avoided (rejected this order's child)");
      continue;
    }
    if (!v.health.connected) {
      d.excluded.push_back(name + ": disconnected");
      continue;
    }
    if (cfg.maxRecentRejects > 0 && v.health.recentRejects >= cfg.maxRecentRejects) {
      d.excluded.push_back(name + ": " + std::to_string(v.health.recentRejects) +
                           " recent rejects (limit " + std::to_string(cfg.maxRecentRejects) + ")");
      continue;
    }
    if (cfg.maxAckLatencyMicros > 0 && v.health.ackLatencyMicros > cfg.maxAckLatencyMicros) {
      d.excluded.push_back(name + ": ack latency " + std::to_string(v.health.ackLatencyMicros) +
                           " us over " + std::to_string(cfg.maxAckLatencyMicros) + " us");
      continue;
    }
    usable[i] = true;
    if (!v.book) {
      d.excluded.push_back(name + ": no book yet");
      continue;
    }
    // Depth when the feed has it, else the top alone.
    const std::vector<BookLevel>& depth = buy ? v.book->asks : v.book->bids;
    std::vector<BookLevel> top;
    if (depth.empty()) {
      const auto& px = buy ? v.book->askPx : v.book->bidPx;
      const Qty q = buy ? v.book->askQty : v.book->bidQty;
      if (px) top.push_back({*px, q});
    }
    size_t taken = 0;
    for (const BookLevel& l : depth.empty() ? top : depth) {
      if (!l.qty.isPositive() || !l.price.isPositive()) continue;
      if (!withinLimit(req.side, l.price, req.limit)) break;  // best first: the rest are worse
      levels.push_back({i, l.price, l.qty, sorAllInRaw(req.side, l.price, v.fees.taker)});
      ++taken;
    }
    if (taken == 0)
      d.excluded.push_back(name + (depth.empty() && top.empty()
                                       ? ": no " + std::string(buy ? "offers" : "bids")
                                       : ": nothing within the limit " +
                                             (req.limit ? req.limit->str() : std::string())));
  }

  // Best all-in first (a buy pays less, a sell receives more), then health
  // and name, then the venue's own level order (price).
  std::stable_sort(levels.begin(), levels.end(), [&](const Level& a, const Level& b) {
    if (a.allIn != b.allIn) return buy ? a.allIn < b.allIn : a.allIn > b.allIn;
    if (a.venue != b.venue) return healthBefore(venues[a.venue], venues[b.venue]);
    return buy ? a.px < b.px : a.px > b.px;
  });

  struct Acc {
    Qty qty;
    Price worst, best;
    int levels = 0;
    std::string taken;  // "100.02 x 300, 100.03 x 200"
    size_t order = 0;   // rank of its first level
  };
  std::map<size_t, Acc> acc;
  Qty left = req.qty;
  size_t rank = 0;
  for (const Level& l : levels) {
    if (!left.isPositive()) break;
    const Qty take = minQty(l.qty, left);
    auto [it, fresh] = acc.try_emplace(l.venue);
    Acc& a = it->second;
    if (fresh) {
      a.best = l.px;
      a.order = rank++;
    }
    a.qty += take;
    a.worst = l.px;
    ++a.levels;
    if (!a.taken.empty()) a.taken += ", ";
    a.taken += take.str() + " @ " + l.px.str();
    left -= take;
  }

  // Whole lots per venue (the coarser of the order's and the venue's step).
  std::vector<std::pair<size_t, Acc>> ordered(acc.begin(), acc.end());
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
  for (auto& [vi, a] : ordered) {
    const SorVenue& v = venues[vi];
    Qty lot = req.lotSize;
    if (v.lotSize > lot && v.lotSize.isMultipleOf(req.lotSize)) lot = v.lotSize;
    const Qty q = roundDown(a.qty, lot);
    if (!q.isPositive()) continue;
    SorAllocation al;
    al.venue = v.venue;
    al.qty = q;
    al.limit = a.worst;
    al.bestPx = a.best;
    al.takerFee = v.fees.taker;
    al.allInWorst = sorAllInPrice(req.side, a.worst, v.fees.taker);
    al.levels = a.levels;
    al.reason = "SOR: " + q.str() + " on " + v.venue.str() + " (" + a.taken + "; taker fee " +
                bpsText(v.fees.taker) + ", all-in up to " + al.allInWorst.str() + ")";
    if (q != a.qty) al.reason += ", rounded down to lots of " + lot.str();
    d.allocated += q;
    d.allocations.push_back(std::move(al));
  }
  d.remainder = req.qty - d.allocated;

  // Resting: the cheapest venue to be filled passively at, among the usable.
  std::optional<size_t> rest;
  for (size_t i = 0; i < venues.size(); ++i) {
    if (!usable[i]) continue;
    if (!rest) {
      rest = i;
      continue;
    }
    const SorVenue& a = venues[i];
    const SorVenue& b = venues[*rest];
    if (a.fees.maker != b.fees.maker ? a.fees.maker < b.fees.maker : healthBefore(a, b)) rest = i;
  }
  if (rest) {
    d.restVenue = venues[*rest].venue;
    d.restReason = venues[*rest].venue.str() + " has the lowest maker fee (" +
                   bpsText(venues[*rest].fees.maker) + ") of the usable venues";
  }

  std::string s = "SOR " + std::string(buy ? "buy " : "sell ") + req.qty.str() +
                  (req.limit ? " limit " + req.limit->str() : std::string(" at market")) + ": ";
  if (d.allocations.empty()) {
    s += "nothing marketable";
  } else {
    for (size_t i = 0; i < d.allocations.size(); ++i) {
      if (i) s += ", ";
      s += d.allocations[i].qty.str() + " " + d.allocations[i].venue.str() + " up to " +
           d.allocations[i].limit.str();
    }
  }
  if (d.remainder.isPositive()) s += "; remainder " + d.remainder.str();
  if (!d.excluded.empty()) {
    s += "; left out: ";
    for (size_t i = 0; i < d.excluded.size(); ++i) s += (i ? "; " : "") + d.excluded[i];
  }
  d.summary = std::move(s);
  return d;
}

// ---------------------------------------------------------------- the strategy

namespace detail {

namespace {

// Sweeps the books with one IOC child per venue of the allocation; when the
// sweep is done (every child filled, or its IOC remainder expired) it decides
// again on the books as they are then: sweep again (up to MaxSweeps), or
// handle the remainder by policy — rest a limit remainder at the best venue
// for resting, wait for the books to change (reroute), or finish the parent
// with the remainder unfilled (cancel).
class Sor final : public Algo {
 public:
  using Algo::Algo;
  Strategy strategy() const override { return Strategy::Sor; }
  void onStart() override { decide(); }
  void onTimer() override { decide(); }
  void onBook(const TopOfBook&) override {
    // Only a waiting reroute needs the books' changes; a sweep or a rest in
    // flight decides when it is done.
    if (waiting_) decide();
  }
  void onChildFill(const ChildOrderId&, Qty, Price) override { decide(); }
  void onChildRejected(const ChildOrderId& id, std::string_view) override {
    if (auto it = childVenue_.find(id); it != childVenue_.end()) {
      if (std::find(avoid_.begin(), avoid_.end(), it->second) == avoid_.end())
        avoid_.push_back(it->second);
    }
    decide();
  }
  void onChildCanceled(const ChildOrderId&) override { decide(); }
  void onParentReplace(const AlgoParams&, Qty) override {
    sweeps_ = 0;
    // A resting remainder was sized and priced for the old order: pull it
    // back; its cancel re-plans with the new quantity and limit.
    if (restChild_) {
      for (const LiveChild& c : ctx_.liveChildren())
        if (c.id == *restChild_ && !c.cancelPending) ctx_.cancelChild(c.id);
    }
    decide();
  }
  void onResume() override { decide(); }

 private:
  void decide();
  void send(const VenueId& v, Qty q, std::optional<Price> limit, bool ioc, std::string reason);

  int sweeps_ = 0;                          // sweeps since the last rest (or replace)
  bool waiting_ = false;                    // waiting for the books (to come, or to change)
  std::optional<WallNanos> booksDeadline_;  // the first decision waits for books until then
  // After a sweep: the book time of each venue swept. The next decision
  // waits (until refreshDeadline_) for those venues to publish the books our
  // own fills left, so it does not chase liquidity it already took.
  std::map<VenueId, WallNanos> sweptBooks_;
  WallNanos refreshDeadline_ = 0;
  std::vector<VenueId> avoid_;  // venues that rejected a child of this parent
  std::map<ChildOrderId, VenueId> childVenue_;
  std::optional<ChildOrderId> restChild_;  // the resting remainder, if any
};

void Sor::send(const VenueId& v, Qty q, std::optional<Price> limit, bool ioc, std::string reason) {
  ChildRequest r;
  r.qty = q;
  r.limit = limit;
  r.venue = v;
  r.ioc = ioc;
  r.reason = std::move(reason);
  SendResult res = ctx_.sendChild(std::move(r));
  if (!res.ok()) return;
  childVenue_[res.id] = v;
  if (!ioc) restChild_ = res.id;
}

void Sor::decide() {
  // One step at a time: a sweep (or a resting remainder) in flight decides
  // again when it is done.
  if (!ctx_.liveChildren().empty()) return;
  restChild_.reset();
  const AlgoParams& p = ctx_.params();
  const ParentOrder& parent = ctx_.parent();
  const Qty avail = ctx_.available();
  if (avail < parent.lotSize) return;
  waiting_ = false;

  const std::vector<SorVenue> venues = ctx_.sorVenues();
  // Right after subscribing, a venue's first book may not be here yet:
  // routing without it would send everything to the others.
  const bool missing = std::any_of(venues.begin(), venues.end(), [&](const SorVenue& v) {
    return v.health.connected && !v.book &&
           std::find(avoid_.begin(), avoid_.end(), v.venue) == avoid_.end();
  });
  if (missing) {
    if (!booksDeadline_) {
      booksDeadline_ = ctx_.now() + p.sorBookWaitNanos;
      ctx_.setTimer(*booksDeadline_);
    }
    if (ctx_.now() < *booksDeadline_) {
      waiting_ = true;
      return;
    }
  }
  if (!sweptBooks_.empty()) {
    const bool stale = std::any_of(venues.begin(), venues.end(), [&](const SorVenue& v) {
      auto it = sweptBooks_.find(v.venue);
      return it != sweptBooks_.end() && v.health.connected && v.book &&
             v.book->time == it->second &&
             std::find(avoid_.begin(), avoid_.end(), v.venue) == avoid_.end();
    });
    if (stale && ctx_.now() < refreshDeadline_) {
      waiting_ = true;
      return;
    }
    sweptBooks_.clear();
  }

  SorRequest req;
  req.side = parent.side;
  req.qty = avail;
  req.limit = p.limit;
  req.lotSize = parent.lotSize;
  req.avoid = avoid_;
  SorPolicyConfig pc;
  pc.maxRecentRejects = p.sorMaxRecentRejects;
  const SorDecision d = decideSor(req, venues, pc);

  if (!d.allocations.empty() && sweeps_ < p.sorMaxSweeps) {
    ++sweeps_;
    const std::string head = "sweep " + std::to_string(sweeps_) + "/" +
                             std::to_string(p.sorMaxSweeps) + " of " + avail.str() + " left: ";
    for (const SorAllocation& a : d.allocations) {
      for (const SorVenue& v : venues)
        if (v.venue == a.venue && v.book) sweptBooks_[a.venue] = v.book->time;
      send(a.venue, a.qty, a.limit, /*ioc=*/true, head + a.reason + " | " + d.summary);
    }
    refreshDeadline_ = ctx_.now() + p.sorBookWaitNanos;
    ctx_.setTimer(refreshDeadline_);
    return;
  }

  const std::string why =
      d.allocations.empty() ? "nothing marketable (" + d.summary + ")"
                            : std::to_string(p.sorMaxSweeps) + " sweep(s) done (" + d.summary + ")";
  SorRemainder policy = p.sorRemainder;
  if (policy == SorRemainder::Rest && !p.limit) policy = SorRemainder::Cancel;  // market: no price
  switch (policy) {
    case SorRemainder::Rest:
      if (!d.restVenue) {
        ctx_.finishParent(ParentOutcome::Stopped,
                          "SOR: no venue to rest the remainder " + avail.str() + " on; " + why);
        return;
      }
      sweeps_ = 0;
      send(*d.restVenue, avail, p.limit, /*ioc=*/false,
           "SOR rest: " + avail.str() + " at the limit " + p.limit->str() + " on " +
               d.restVenue->str() + " (" + d.restReason + "); " + why);
      return;
    case SorRemainder::Reroute:
      if (d.allocations.empty()) {
        waiting_ = true;  // the next book decides again
        sweeps_ = 0;
        return;
      }
      ctx_.finishParent(ParentOutcome::Stopped,
                        "SOR: remainder " + avail.str() + " unfilled after " + why);
      return;
    case SorRemainder::Cancel:
      ctx_.finishParent(ParentOutcome::Canceled,
                        "SOR: remainder " + avail.str() + " canceled; " + why);
      return;
  }
}

}  // namespace

std::unique_ptr<Algo> makeSorAlgo(AlgoContext& ctx) { return std::make_unique<Sor>(ctx); }

}  // namespace detail

}  // namespace fixgw::algos
