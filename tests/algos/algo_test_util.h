// The fake at the edge of the algos unit: an AlgoHost standing in for the
// router, with a virtual clock and one timer, that records what the runner
// sends and cancels and lets a scenario play the venue (accept, fill, reject,
// cancel). Nothing here is real trading logic; the runner and the algorithms
// under test are.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "algos/algo.h"

namespace fixgw::algos::testing {

// 2026-12-03 14:00:00 UTC, the start of most scenarios.
inline WallNanos at(const char* fixTime) { return *parseFixUtcTimestamp(fixTime); }
inline constexpr int64_t kSecond = 1'000'000'000;
inline constexpr int64_t kMinute = 60 * kSecond;

struct SentChild {
  ChildOrderId id;
  ChildOrder order;
  WallNanos time = 0;
};

class FakeHost final : public AlgoHost {
 public:
  explicit FakeHost(WallNanos start) : clock(start) {}

  WallNanos now() const override { return clock; }
  void setTimer(WallNanos t) override { timer = t; }
  SendResult sendChild(const ChildOrder& c) override {
    SendResult r;
    if (!refuseWith.empty()) {
      r.error = refuseWith;
      return r;
    }
    std::string id = "C";  // (not "C" + to_string: GCC 12 warns -Wrestrict on that)
    id += std::to_string(++nextId);
    r.id = ChildOrderId(id);
    sent.push_back(SentChild{r.id, c, clock});
    return r;
  }
  void cancelChild(const ChildOrderId& id) override { cancels.push_back(id); }
  bool venueHasNativeDisplay(const std::optional<VenueId>& v) const override {
    return v && nativeDisplay.count(*v) > 0;
  }
  void onParentDone(ParentOutcome o, const std::string& reason) override {
    ++doneCount;
    outcome = o;
    outcomeReason = reason;
  }
  void onAlgoPaused(const std::string& reason) override { pauses.push_back(reason); }
  void onAlgoResumed() override { ++resumes; }

  WallNanos clock;
  std::optional<WallNanos> timer;
  std::vector<SentChild> sent;
  std::vector<ChildOrderId> cancels;
  std::set<VenueId> nativeDisplay;
  std::string refuseWith;
  int doneCount = 0;
  std::optional<ParentOutcome> outcome;
  std::string outcomeReason;
  std::vector<std::string> pauses;
  int resumes = 0;
  int nextId = 0;
};

// A runner, its fake host and the venue's side of the conversation.
class AlgoScenario : public ::testing::Test {
 protected:
  static constexpr const char* kStart = "20261203-14:00:00";

  AlgoScenario() : host(at(kStart)) {}

  static ParentOrder parentOf(const char* qty, Side side = Side::Buy) {
    ParentOrder p;
    p.orderId = OrderId("P1");
    p.symbol = Symbol("AAPL");
    p.side = side;
    p.qty = Qty::of(qty);
    return p;
  }
  AlgoParams twap(const char* endTime, int64_t intervalSeconds = 60) const {
    AlgoParams p;
    p.strategy = Strategy::Twap;
    p.start = at(kStart);
    p.end = at(endTime);
    p.sliceIntervalNanos = intervalSeconds * kSecond;
    return p;
  }

  // Creates and starts the runner; fails the test on bad parameters.
  void run(const AlgoParams& params, const char* qty = "1000", Side side = Side::Buy) {
    AlgoError e;
    runner = AlgoRunner::create(parentOf(qty, side), params, host, &e);
    ASSERT_TRUE(runner) << "tag " << e.tag << ": " << e.text;
    runner->start();
    checkInvariant();
  }
  void restore(const AlgoParams& params, const AlgoRestoreState& st, const char* qty = "1000") {
    AlgoError e;
    runner = AlgoRunner::create(parentOf(qty), params, host, &e);
    ASSERT_TRUE(runner) << "tag " << e.tag << ": " << e.text;
    runner->restore(st);
    checkInvariant();
  }

  // Moves virtual time to t, firing the runner's timer whenever it is due.
  void advanceTo(WallNanos t) {
    while (host.timer && *host.timer <= t) {
      host.clock = std::max(host.clock, *host.timer);
      host.timer.reset();
      runner->onTimer();
      checkInvariant();
    }
    host.clock = t;
  }
  void advanceBy(int64_t nanos) { advanceTo(host.clock + nanos); }

  // The venue's answers.
  void fill(const ChildOrderId& id, const char* qty, const char* px = "100.00") {
    runner->onChildFill(id, Qty::of(qty), Price::of(px));
    checkInvariant();
  }
  // Fills every live child completely.
  void fillAllLive(const char* px = "100.00") {
    for (const auto& c : std::vector<LiveChild>(runner->live())) {
      runner->onChildFill(c.id, c.open(), Price::of(px));
      checkInvariant();
    }
  }
  void rejectChild(const ChildOrderId& id, const std::string& text) {
    runner->onChildRejected(id, text);
    checkInvariant();
  }
  void confirmCancels() {
    for (const auto& id : std::vector<ChildOrderId>(host.cancels)) runner->onChildCanceled(id);
    checkInvariant();
  }
  void trade(const char* qty, const char* px = "100.00") {
    Trade t;
    t.venue = VenueId("SIM");
    t.symbol = Symbol("AAPL");
    t.qty = Qty::of(qty);
    t.price = Price::of(px);
    t.time = host.clock;
    runner->onTrade(t);
    checkInvariant();
  }

  const SentChild& lastSent() const { return host.sent.back(); }
  Qty sentQty(size_t i) const { return host.sent.at(i).order.qty; }
  Qty totalSent() const {
    Qty q;
    for (const auto& s : host.sent) q += s.order.qty;
    return q;
  }

  // The invariant every algorithm must keep, checked after every event: live
  // children never exceed the parent's leaves. A child being cancelled (after
  // a replace lowered the order) is on its way out and no longer counts; if
  // it fills before the cancel lands, the fill counts.
  void checkInvariant() {
    if (!runner) return;
    Qty live;
    for (const auto& c : runner->live())
      if (!c.cancelPending) live += c.open();
    const Qty leaves = runner->parentOrder().qty - runner->cum();
    EXPECT_LE(live, leaves.isPositive() ? leaves : Qty())
        << "live " << live.str() << " over the leaves: order " << runner->parentOrder().qty.str()
        << ", cum " << runner->cum().str();
  }

  FakeHost host;
  std::unique_ptr<AlgoRunner> runner;
};

}  // namespace fixgw::algos::testing
