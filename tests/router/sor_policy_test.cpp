// The SOR policy (algos/sor.h) against books with known prices and fees. Every
// expected number below is worked by hand in the comment above it.
#include <gtest/gtest.h>

#include "algos/sor.h"

using namespace fixgw;
using namespace fixgw::algos;

namespace {

TopOfBook bookOf(const char* venue, std::vector<std::pair<const char*, const char*>> asks,
                 std::vector<std::pair<const char*, const char*>> bids = {}) {
  TopOfBook b;
  b.venue = VenueId(venue);
  b.symbol = Symbol("AAPL");
  for (auto [px, q] : asks) b.asks.push_back({Price::of(px), Qty::of(q)});
  for (auto [px, q] : bids) b.bids.push_back({Price::of(px), Qty::of(q)});
  if (!b.asks.empty()) b.askPx = b.asks[0].price, b.askQty = b.asks[0].qty;
  if (!b.bids.empty()) b.bidPx = b.bids[0].price, b.bidQty = b.bids[0].qty;
  return b;
}

SorVenue venueOf(const char* name, TopOfBook book, const char* taker, const char* maker = "0") {
  SorVenue v;
  v.venue = VenueId(name);
  v.book = std::move(book);
  v.fees.taker = Bps::of(taker);
  v.fees.maker = Bps::of(maker);
  return v;
}

SorRequest buy(const char* qty, std::optional<const char*> limit) {
  SorRequest r;
  r.side = Side::Buy;
  r.qty = Qty::of(qty);
  if (limit) r.limit = Price::of(*limit);
  return r;
}

// Three venues; the best raw price (SIM 100.01) loses to its 10 bps fee.
//   SIM : 100.01 x 100 at 10 bps  -> 100.01 x 1.001   = 100.11001
//         100.06 x 1000           -> through the limit 100.05
//   SIMA: 100.02 x 300 at 3 bps   -> 100.02 x 1.0003  = 100.050006
//         100.03 x 300            -> 100.060009
//   SIMB: 100.03 x 200 at 0.5 bps -> 100.03 x 1.00005 = 100.0350015
//         100.04 x 500            -> 100.045002
// Buy 1000: SIMB 200 (100.0350015), SIMB 500 (100.045002), SIMA 300
// (100.050006) = 1000. SIMB 700 up to 100.04, SIMA 300 up to 100.02.
std::vector<SorVenue> threeVenues() {
  return {venueOf("SIM", bookOf("SIM", {{"100.01", "100"}, {"100.06", "1000"}}), "10"),
          venueOf("SIMA", bookOf("SIMA", {{"100.02", "300"}, {"100.03", "300"}}), "3", "-0.2"),
          venueOf("SIMB", bookOf("SIMB", {{"100.03", "200"}, {"100.04", "500"}}), "0.5", "0.1")};
}

TEST(SorPolicy, SplitsByAllInPriceNotRawPrice) {
  const SorDecision d = decideSor(buy("1000", "100.05"), threeVenues());
  ASSERT_EQ(d.allocations.size(), 2u) << d.summary;
  EXPECT_EQ(d.allocations[0].venue, VenueId("SIMB"));
  EXPECT_EQ(d.allocations[0].qty, Qty::of("700"));
  EXPECT_EQ(d.allocations[0].limit, Price::of("100.04"));
  EXPECT_EQ(d.allocations[0].bestPx, Price::of("100.03"));
  EXPECT_EQ(d.allocations[0].allInWorst, Price::of("100.045002"));
  EXPECT_EQ(d.allocations[0].levels, 2);
  EXPECT_EQ(d.allocations[1].venue, VenueId("SIMA"));
  EXPECT_EQ(d.allocations[1].qty, Qty::of("300"));
  EXPECT_EQ(d.allocations[1].limit, Price::of("100.02"));
  EXPECT_EQ(d.allocations[1].allInWorst, Price::of("100.050006"));
  EXPECT_EQ(d.allocated, Qty::of("1000"));
  EXPECT_EQ(d.remainder, Qty());
  EXPECT_NE(d.allocations[0].reason.find("200 @ 100.03, 500 @ 100.04"), std::string::npos)
      << d.allocations[0].reason;
  EXPECT_NE(d.allocations[0].reason.find("taker fee 0.5 bps"), std::string::npos);
}

// Without fees the same books are taken by raw price: SIM 100 @ 100.01, SIMA
// 300 @ 100.02, then 100.03 on both SIMA (300) and SIMB (200) — a tie broken
// by the name (SIMA first: equal latency and rejects): SIMA 300, SIMB 200 ->
// 100 + 300 + 300 + 200 = 900, then SIMB 100.04 x 100 = 1000.
TEST(SorPolicy, WithoutFeesRawPriceWinsAndTiesGoByName) {
  auto venues = threeVenues();
  for (auto& v : venues) v.fees = {};
  const SorDecision d = decideSor(buy("1000", "100.05"), venues);
  ASSERT_EQ(d.allocations.size(), 3u) << d.summary;
  EXPECT_EQ(d.allocations[0].venue, VenueId("SIM"));
  EXPECT_EQ(d.allocations[0].qty, Qty::of("100"));
  EXPECT_EQ(d.allocations[1].venue, VenueId("SIMA"));
  EXPECT_EQ(d.allocations[1].qty, Qty::of("600"));
  EXPECT_EQ(d.allocations[1].limit, Price::of("100.03"));
  EXPECT_EQ(d.allocations[2].venue, VenueId("SIMB"));
  EXPECT_EQ(d.allocations[2].qty, Qty::of("300"));
  EXPECT_EQ(d.allocations[2].limit, Price::of("100.04"));
}

// Equal all-in price: the venue that acknowledges faster goes first.
TEST(SorPolicy, TieGoesToLowerLatencyThenFewerRejects) {
  std::vector<SorVenue> v = {venueOf("A", bookOf("A", {{"50", "10"}}), "1"),
                             venueOf("B", bookOf("B", {{"50", "10"}}), "1")};
  v[0].health.ackLatencyMicros = 900;
  v[1].health.ackLatencyMicros = 200;
  SorDecision d = decideSor(buy("15", "50"), v);
  ASSERT_EQ(d.allocations.size(), 2u);
  EXPECT_EQ(d.allocations[0].venue, VenueId("B"));
  EXPECT_EQ(d.allocations[0].qty, Qty::of("10"));
  EXPECT_EQ(d.allocations[1].venue, VenueId("A"));
  EXPECT_EQ(d.allocations[1].qty, Qty::of("5"));
  // Same latency: fewer recent rejects first.
  v[0].health.ackLatencyMicros = v[1].health.ackLatencyMicros = 0;
  v[1].health.recentRejects = 1;
  d = decideSor(buy("15", "50"), v);
  EXPECT_EQ(d.allocations[0].venue, VenueId("A"));
  // The same input decides the same way every time.
  const SorDecision again = decideSor(buy("15", "50"), v);
  EXPECT_EQ(again.summary, d.summary);
}

// A sell receives price x (1 - fee):
//   X: bid 99.99 x 100 at 5 bps -> 99.99 x 0.9995 = 99.940005
//   Y: bid 99.97 x 100 at 0 bps -> 99.97
// Y's lower bid pays more after fees, so it goes first; limit 99.95 keeps
// both. Sell 150: Y 100, X 50.
TEST(SorPolicy, SellSideSubtractsTheFee) {
  std::vector<SorVenue> v = {venueOf("X", bookOf("X", {}, {{"99.99", "100"}}), "5"),
                             venueOf("Y", bookOf("Y", {}, {{"99.97", "100"}}), "0")};
  SorRequest r;
  r.side = Side::Sell;
  r.qty = Qty::of("150");
  r.limit = Price::of("99.95");
  const SorDecision d = decideSor(r, v);
  ASSERT_EQ(d.allocations.size(), 2u) << d.summary;
  EXPECT_EQ(d.allocations[0].venue, VenueId("Y"));
  EXPECT_EQ(d.allocations[0].qty, Qty::of("100"));
  EXPECT_EQ(d.allocations[1].venue, VenueId("X"));
  EXPECT_EQ(d.allocations[1].qty, Qty::of("50"));
  EXPECT_EQ(d.allocations[1].allInWorst, Price::of("99.940005"));
  EXPECT_EQ(sorAllInPrice(Side::Sell, Price::of("99.99"), Bps::of("5")), Price::of("99.940005"));
}

// Unhealthy venues are left out, each with its reason; what they would have
// filled is the remainder, and the remainder's resting venue is the usable
// one with the lowest maker fee.
TEST(SorPolicy, DisconnectedRejectingAndAvoidedVenuesAreLeftOut) {
  auto v = threeVenues();
  v[1].health.connected = false;  // SIMA
  v[2].health.recentRejects = 3;  // SIMB, at the limit of 3
  SorDecision d = decideSor(buy("1000", "100.05"), v);
  // Only SIM is left, and its 100.01 x 100 is within the limit.
  ASSERT_EQ(d.allocations.size(), 1u) << d.summary;
  EXPECT_EQ(d.allocations[0].venue, VenueId("SIM"));
  EXPECT_EQ(d.allocations[0].qty, Qty::of("100"));
  EXPECT_EQ(d.remainder, Qty::of("900"));
  ASSERT_EQ(d.excluded.size(), 2u);
  EXPECT_EQ(d.excluded[0], "SIMA: disconnected");
  EXPECT_EQ(d.excluded[1], "SIMB: 3 recent rejects (limit 3)");
  EXPECT_EQ(d.restVenue, VenueId("SIM"));

  // All healthy again, SIMB avoided: SIMA has the lowest maker fee (-0.2).
  v = threeVenues();
  SorRequest r = buy("1000", "100.05");
  r.avoid = {VenueId("SIMB")};
  d = decideSor(r, v);
  // SIMA 300 @ 100.02 (100.050006) and 300 @ 100.03 (100.060009), then SIM
  // 100 @ 100.01 (100.11001): 700; the limit is on the price, not the all-in.
  EXPECT_EQ(d.allocated, Qty::of("700"));
  EXPECT_EQ(d.allocations[0].venue, VenueId("SIMA"));
  EXPECT_EQ(d.allocations[0].qty, Qty::of("600"));
  EXPECT_EQ(d.allocations[1].venue, VenueId("SIM"));
  EXPECT_EQ(d.remainder, Qty::of("300"));
  EXPECT_EQ(d.restVenue, VenueId("SIMA"));
  EXPECT_NE(d.restReason.find("lowest maker fee (-0.2 bps)"), std::string::npos) << d.restReason;
}

// Lots of 100: SIMA's 150 + 120 = 270 at or under the limit rounds to 200; the
// 70 left over is remainder (re-routed on the next decision).
TEST(SorPolicy, WholeLotsOnly) {
  std::vector<SorVenue> v = {
      venueOf("SIMA", bookOf("SIMA", {{"10.00", "150"}, {"10.01", "120"}, {"10.09", "900"}}), "0")};
  SorRequest r = buy("1000", "10.05");
  r.lotSize = Qty::of("100");
  const SorDecision d = decideSor(r, v);
  ASSERT_EQ(d.allocations.size(), 1u);
  EXPECT_EQ(d.allocations[0].qty, Qty::of("200"));
  EXPECT_EQ(d.remainder, Qty::of("800"));
  EXPECT_NE(d.allocations[0].reason.find("rounded down to lots of 100"), std::string::npos);
}

// A market order takes any price; a top-only feed (no depth) is used as one
// level; a venue with no book yet is left out but can still take a rest.
TEST(SorPolicy, MarketOrderTopOnlyBooksAndMissingBooks) {
  TopOfBook top;
  top.venue = VenueId("T");
  top.symbol = Symbol("AAPL");
  top.askPx = Price::of("101");
  top.askQty = Qty::of("40");
  SorVenue t = venueOf("T", top, "1");
  SorVenue none;
  none.venue = VenueId("N");
  none.fees.maker = Bps::of("-1");
  const SorDecision d = decideSor(buy("100", std::nullopt), {t, none});
  ASSERT_EQ(d.allocations.size(), 1u);
  EXPECT_EQ(d.allocations[0].venue, VenueId("T"));
  EXPECT_EQ(d.allocations[0].qty, Qty::of("40"));
  EXPECT_EQ(d.allocations[0].limit, Price::of("101"));
  EXPECT_EQ(d.remainder, Qty::of("60"));
  ASSERT_EQ(d.excluded.size(), 1u);
  EXPECT_EQ(d.excluded[0], "N: no book yet");
  EXPECT_EQ(d.restVenue, VenueId("N"));
}

// Nothing within the limit: no allocation, and the summary says why.
TEST(SorPolicy, NothingMarketableWithinTheLimit) {
  const SorDecision d = decideSor(buy("100", "99.00"), threeVenues());
  EXPECT_TRUE(d.allocations.empty());
  EXPECT_EQ(d.remainder, Qty::of("100"));
  EXPECT_NE(d.summary.find("nothing marketable"), std::string::npos) << d.summary;
  EXPECT_NE(d.summary.find("SIM: nothing within the limit 99"), std::string::npos) << d.summary;
}

TEST(SorPolicy, RemainderNames) {
  EXPECT_EQ(sorRemainderFromName("rest"), SorRemainder::Rest);
  EXPECT_EQ(sorRemainderFromName("reroute"), SorRemainder::Reroute);
  EXPECT_EQ(sorRemainderFromName("cancel"), SorRemainder::Cancel);
  EXPECT_EQ(sorRemainderFromName("REST"), std::nullopt);
  EXPECT_EQ(toString(SorRemainder::Reroute), "reroute");
}

}  // namespace
