// SOR parents in the engine, in virtual time: a plain order routed to "SOR"
// is split across two venues at the best all-in price, the remainder is
// re-routed, rested or cancelled by policy, a venue that is down is left out,
// a child reject moves the rest elsewhere, and an algo's slices go through the
// SOR. The venues are the fixture's recording fakes (the test's edge) playing
// books through their market-data sink.
#include <map>
#include <gtest/gtest.h>

#include "tests/router/engine_fixture.h"

namespace {

// The fixture's recording venue, but with every market-data subscriber kept:
// an algo routed through the SOR has two on each venue (the SOR's books and
// the algorithm's relay).
struct SorFakeVenue final : VenueAdapter {
  VenueId vid;
  std::vector<VenueNewOrder> submits;
  std::vector<VenueCancel> cancels;
  std::vector<MarketDataSink*> sinks;
  MarketDataSink* mdSink = nullptr;  // the first (the SOR's)
  const VenueId& id() const override { return vid; }
  void start(VenueEventSink&) override {}
  void stop() override {}
  void submit(const VenueNewOrder& o) override { submits.push_back(o); }
  void cancel(const VenueCancel& c) override { cancels.push_back(c); }
  void replace(const VenueReplace&) override {}
  MarketDataStatus subscribeMarketData(const Symbol&, MarketDataSink& sink, size_t) override {
    sinks.push_back(&sink);
    if (!mdSink) mdSink = &sink;
    return MarketDataStatus{true, {}};
  }
};

class SorEngineTest : public ::testing::Test {
 protected:
  SorEngineTest() {
    venueA.vid = VenueId("SIMA");
    venueB.vid = VenueId("SIMB");
    SorConfig cfg;
    // SIMA: 3 bps taker, -0.2 maker (a rebate); SIMB: 0.5 taker, 0.1 maker.
    cfg.venues = {{VenueId("SIMA"), {algos::Bps::of("3"), algos::Bps::of("-0.2")}},
                  {VenueId("SIMB"), {algos::Bps::of("0.5"), algos::Bps::of("0.1")}}};
    cfg.bookWaitNanos = 500'000'000;
    engine.configureSor(cfg);
  }

  ManualClock clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = master();
  risk::RiskEngine risk{riskCfg(), instruments};
  SorFakeVenue venueA, venueB;
  MemoryJournal journal;
  Reports reports;
  Engine engine{loop,
                clock,
                risk,
                RoutingTable(RoutingConfig{{}, VenueId("SOR")}, {VenueId("SIMA"), VenueId("SIMB")}),
                {{VenueId("SIMA"), &venueA}, {VenueId("SIMB"), &venueB}},
                journal,
                reports,
                "t"};

  void run() { loop.runDue(); }
  WallNanos bookSeq = 0;
  SorFakeVenue& v(const char* name) { return std::string(name) == "SIMA" ? venueA : venueB; }

  void newOrder(const char* id, const char* qty, std::optional<const char*> px,
                TimeInForce tif = TimeInForce::Day) {
    NewOrder n;
    n.hdr.session = kSess;
    n.clOrdId = ClOrdId(id);
    n.account = Account("ACC1");
    n.symbol = Symbol("AAPL");
    n.side = Side::Buy;
    n.ordType = px ? OrdType::Limit : OrdType::Market;
    n.tif = tif;
    n.qty = Qty::of(qty);
    if (px) n.price = Price::of(*px);
    engine.submit(n);
    run();
  }
  // The venue's book (asks only: the tests buy), through the SOR's sink.
  void asks(const char* venue, std::vector<std::pair<const char*, const char*>> levels) {
    SorFakeVenue& f = v(venue);
    ASSERT_NE(f.mdSink, nullptr) << venue << " was not subscribed";
    TopOfBook b;
    b.venue = f.vid;
    b.symbol = Symbol("AAPL");
    b.time = ++bookSeq;  // each book a new state, as a venue stamps it
    for (auto [px, q] : levels) b.asks.push_back({Price::of(px), Qty::of(q)});
    if (!b.asks.empty()) b.askPx = b.asks[0].price, b.askQty = b.asks[0].qty;
    b.bidPx = Price::of("99.90");
    b.bidQty = Qty::of("100");
    b.bids.push_back({*b.bidPx, b.bidQty});
    for (MarketDataSink* s : f.sinks) s->onBook(b);
    run();
  }
  void say(const char* venue, size_t child, VenueEventKind k, const char* qty = nullptr,
           const char* px = nullptr, std::string text = {}) {
    SorFakeVenue& f = v(venue);
    VenueEvent e;
    e.kind = k;
    e.venue = f.vid;
    e.childId = f.submits.at(child).childId;
    e.venueOrderId = VenueOrderId(std::string(venue) + "-" + std::to_string(child));
    if (qty) e.lastQty = Qty::of(qty);
    if (px) e.lastPx = Price::of(px);
    if (k == VenueEventKind::Fill)
      e.venueExecId = VenueExecId(e.venueOrderId.str() + "-" + qty + "@" + px);
    e.text = std::move(text);
    engine.onVenueEvent(e);
    run();
  }
  std::vector<std::string> routedTexts() const {
    std::vector<std::string> out;
    for (const auto& r : journal.records)
      if (auto* e = recordIf<OrderEventRec>(&r); e && e->eventType == "ROUTED")
        out.push_back(e->text);
    return out;
  }
  const ParentOrder* parent(const char* id) const { return engine.find(kSess, ClOrdId(id)); }
};

// Books with hand-worked all-in prices (tests/router/sor_policy_test.cpp):
//   SIMA 100.02 x 300 (all-in 100.050006), 100.03 x 300 (100.060009)
//   SIMB 100.03 x 200 (100.0350015), 100.04 x 500 (100.045002)
// Buy 1000 limit 100.05: SIMB 700 up to 100.04, SIMA 300 up to 100.02, both IOC.
TEST_F(SorEngineTest, SplitsAcrossTwoVenuesAtTheBestAllInPrice) {
  newOrder("S1", "1000", "100.05");
  // Waiting for both books: nothing sent on one book alone.
  asks("SIMA", {{"100.02", "300"}, {"100.03", "300"}});
  EXPECT_TRUE(venueA.submits.empty() && venueB.submits.empty());
  asks("SIMB", {{"100.03", "200"}, {"100.04", "500"}});
  ASSERT_EQ(venueB.submits.size(), 1u);
  ASSERT_EQ(venueA.submits.size(), 1u);
  EXPECT_EQ(venueB.submits[0].qty, Qty::of("700"));
  EXPECT_EQ(venueB.submits[0].price, Price::of("100.04"));
  EXPECT_EQ(venueB.submits[0].tif, TimeInForce::Ioc);
  EXPECT_EQ(venueA.submits[0].qty, Qty::of("300"));
  EXPECT_EQ(venueA.submits[0].price, Price::of("100.02"));
  EXPECT_EQ(venueA.submits[0].tif, TimeInForce::Ioc);
  // The client saw New on the parent only.
  ASSERT_EQ(reports.all.size(), 1u);
  EXPECT_EQ(reports.er(0).execType, ExecType::New);
  // Each child's reason is journaled with it.
  const auto texts = routedTexts();
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_NE(texts[0].find("to SIMB: sweep 1/3 of 1000 left: SOR: 700 on SIMB (200 @ 100.03, 500 @ "
                          "100.04; taker fee 0.5 bps, all-in up to 100.045002)"),
            std::string::npos)
      << texts[0];
  EXPECT_NE(texts[1].find("to SIMA: sweep 1/3"), std::string::npos) << texts[1];

  say("SIMB", 0, VenueEventKind::Accepted);
  say("SIMA", 0, VenueEventKind::Accepted);
  say("SIMB", 0, VenueEventKind::Fill, "200", "100.03");
  say("SIMB", 0, VenueEventKind::Fill, "500", "100.04");
  say("SIMA", 0, VenueEventKind::Fill, "300", "100.02");
  const ExecReport& last = reports.lastEr();
  EXPECT_EQ(last.ordStatus, OrdStatus::Filled);
  EXPECT_EQ(last.cumQty, Qty::of("1000"));
  // (200 x 100.03 + 500 x 100.04 + 300 x 100.02) / 1000 = 100032 / 1000
  EXPECT_EQ(last.avgPx, Price::of("100.032"));
  EXPECT_EQ(last.lastMkt, VenueId("SIMA"));
  EXPECT_EQ(parent("S1")->children.size(), 2u);
  // Each execution is booked with the venue that filled it (not "SOR").
  std::vector<std::string> execVenues;
  for (const auto& r : journal.records)
    if (auto* x = recordIf<ExecutionRec>(&r))
      execVenues.push_back(x->venue ? x->venue->str() : "");
  EXPECT_EQ(execVenues, (std::vector<std::string>{"SIMB", "SIMB", "SIMA"}));
}

// TCA of an SOR parent: its arrival is the mid of the consolidated book (the
// best bid and the best ask over the SOR venues) when the books are known at
// receipt; the first parent, received before any book, has none.
TEST_F(SorEngineTest, TcaArrivalIsTheConsolidatedMidOfTheSorVenues) {
  engine.setTcaPrintGrace(0);
  newOrder("T0", "100", "100.05");  // subscribes both books
  asks("SIMA", {{"100.02", "300"}});
  asks("SIMB", {{"100.03", "200"}});
  ASSERT_EQ(venueB.submits.size(), 1u);  // SIMB: all-in 100.035 beats SIMA's 100.050006
  say("SIMB", 0, VenueEventKind::Accepted);
  say("SIMB", 0, VenueEventKind::Fill, "100", "100.03");
  ASSERT_EQ(parent("T0")->baseStatus, OrdStatus::Filled);

  // Bids 99.90 on both, asks 100.02 (SIMA) and 100.03 (SIMB): mid (99.90 + 100.02) / 2.
  newOrder("T1", "100", "100.05");
  ASSERT_EQ(venueB.submits.size(), 2u);
  say("SIMB", 1, VenueEventKind::Accepted);
  say("SIMB", 1, VenueEventKind::Fill, "100", "100.03");
  ASSERT_EQ(parent("T1")->baseStatus, OrdStatus::Filled);

  std::map<std::string, const TcaRec*> tca;
  for (const auto& r : journal.records)
    if (auto* t = recordIf<TcaRec>(&r)) tca[t->orderId.str()] = t;
  ASSERT_EQ(tca.size(), 2u);
  const TcaRec* t0 = tca.at(parent("T0")->orderId.str());
  const TcaRec* t1 = tca.at(parent("T1")->orderId.str());
  EXPECT_EQ(t0->arrivalSource, "NONE");
  EXPECT_FALSE(t0->arrivalPx);
  EXPECT_EQ(t1->arrivalSource, "MID");
  ASSERT_TRUE(t1->arrivalPx);
  EXPECT_EQ(*t1->arrivalPx, Price::of("99.96"));
  EXPECT_EQ(t1->filledQty, Qty::of("100"));
  EXPECT_EQ(t1->avgPx, Price::of("100.03"));
}

// The IOC on SIMA fills 100 of 300 (the book moved); SIMA now offers 100.04 x
// 1000: the remainder 200 + nothing else -> sweep 2 sends SIMA 200 at 100.04.
TEST_F(SorEngineTest, RemainderIsReroutedOnTheNewBooks) {
  newOrder("S2", "500", "100.05");
  asks("SIMA", {{"100.02", "300"}});
  asks("SIMB", {{"100.03", "200"}});
  ASSERT_EQ(venueA.submits.size(), 1u);
  ASSERT_EQ(venueB.submits.size(), 1u);
  say("SIMB", 0, VenueEventKind::Fill, "200", "100.03");
  say("SIMA", 0, VenueEventKind::Fill, "100", "100.02");
  asks("SIMA", {{"100.04", "1000"}});
  asks("SIMB", {});
  EXPECT_EQ(venueA.submits.size(), 1u);  // the IOC child is still live
  say("SIMA", 0, VenueEventKind::Expired, nullptr, nullptr, "IOC remainder expired");
  ASSERT_EQ(venueA.submits.size(), 2u);
  EXPECT_EQ(venueA.submits[1].qty, Qty::of("200"));
  EXPECT_EQ(venueA.submits[1].price, Price::of("100.04"));
  EXPECT_EQ(venueA.submits[1].tif, TimeInForce::Ioc);
  const auto texts = routedTexts();
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_NE(texts[2].find("sweep 2/3 of 200 left"), std::string::npos) << texts[2];
  EXPECT_NE(texts[2].find("SIMB: no offers"), std::string::npos) << texts[2];
  say("SIMA", 1, VenueEventKind::Fill, "200", "100.04");
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Filled);
  EXPECT_EQ(reports.lastEr().cumQty, Qty::of("500"));
}

// Nothing left within the limit: a Day limit's remainder rests, at its limit,
// on the venue with the lowest maker fee (SIMA, -0.2 bps), as a Day order.
TEST_F(SorEngineTest, LimitRemainderRestsAtTheCheapestVenueForResting) {
  newOrder("S3", "800", "100.05");
  asks("SIMA", {{"100.02", "300"}});
  asks("SIMB", {{"100.03", "200"}, {"100.09", "900"}});
  say("SIMB", 0, VenueEventKind::Fill, "200", "100.03");
  // The books moved away before SIMA's IOC landed.
  asks("SIMA", {{"100.10", "300"}});
  asks("SIMB", {{"100.09", "900"}});
  say("SIMA", 0, VenueEventKind::Expired, nullptr, nullptr, "IOC remainder expired");
  ASSERT_EQ(venueA.submits.size(), 2u);
  EXPECT_EQ(venueA.submits[1].qty, Qty::of("600"));
  EXPECT_EQ(venueA.submits[1].price, Price::of("100.05"));
  EXPECT_EQ(venueA.submits[1].tif, TimeInForce::Day);
  const auto texts = routedTexts();
  EXPECT_NE(texts.back().find("SOR rest: 600 at the limit 100.05 on SIMA (SIMA has the lowest "
                              "maker fee (-0.2 bps) of the usable venues); nothing marketable"),
            std::string::npos)
      << texts.back();
  EXPECT_EQ(parent("S3")->cumQty, Qty::of("200"));
}

// A replace of a resting SOR parent (qty up, limit up) pulls the rest back and
// re-plans: SIMB's 100.06 x 900 is now within the limit 100.10 -> one IOC on
// SIMB for all 900 left. Then a client cancel cancels the live child and the
// parent is Canceled once the venue confirms.
TEST_F(SorEngineTest, ReplaceAndCancelOfARestingParent) {
  newOrder("R1", "400", "100.05");
  asks("SIMA", {{"100.20", "300"}});
  asks("SIMB", {{"100.06", "900"}});
  ASSERT_EQ(venueA.submits.size(), 1u);  // nothing marketable: rests on SIMA (maker -0.2)
  EXPECT_EQ(venueA.submits[0].tif, TimeInForce::Day);
  say("SIMA", 0, VenueEventKind::Accepted);
  ReplaceOrder r;
  r.hdr.session = kSess;
  r.clOrdId = ClOrdId("R2");
  r.origClOrdId = ClOrdId("R1");
  r.symbol = Symbol("AAPL");
  r.side = Side::Buy;
  r.ordType = OrdType::Limit;
  r.qty = Qty::of("900");
  r.price = Price::of("100.10");
  engine.submit(r);
  run();
  ASSERT_EQ(venueA.cancels.size(), 1u);  // the rest is pulled back
  EXPECT_EQ(reports.lastEr().execType, ExecType::Replaced);
  say("SIMA", 0, VenueEventKind::Canceled);
  ASSERT_EQ(venueB.submits.size(), 1u);
  EXPECT_EQ(venueB.submits[0].qty, Qty::of("900"));
  EXPECT_EQ(venueB.submits[0].price, Price::of("100.06"));
  EXPECT_EQ(venueB.submits[0].tif, TimeInForce::Ioc);
  say("SIMB", 0, VenueEventKind::Accepted);
  CancelOrder c;
  c.hdr.session = kSess;
  c.clOrdId = ClOrdId("R3");
  c.origClOrdId = ClOrdId("R2");
  c.symbol = Symbol("AAPL");
  engine.submit(c);
  run();
  ASSERT_EQ(venueB.cancels.size(), 1u);
  EXPECT_NE(reports.lastEr().ordStatus, OrdStatus::Canceled);  // not before the venue confirms
  say("SIMB", 0, VenueEventKind::Canceled);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Canceled);
  EXPECT_EQ(reports.lastEr().clOrdId, ClOrdId("R3"));
}

// IOC parent: what the sweep does not fill is cancelled, and the client hears
// Canceled with the reason.
TEST_F(SorEngineTest, IocParentCancelsTheRemainder) {
  newOrder("S4", "600", "100.05", TimeInForce::Ioc);
  asks("SIMA", {{"100.02", "100"}});
  asks("SIMB", {{"100.20", "900"}});
  ASSERT_EQ(venueA.submits.size(), 1u);
  EXPECT_TRUE(venueB.submits.empty());
  asks("SIMA", {{"100.30", "100"}});  // taken: the next offer is over the limit
  say("SIMA", 0, VenueEventKind::Fill, "100", "100.02");
  const ExecReport& last = reports.lastEr();
  EXPECT_EQ(last.ordStatus, OrdStatus::Canceled);
  EXPECT_EQ(last.cumQty, Qty::of("100"));
  EXPECT_NE(last.text.find("SOR: remainder 500 canceled; nothing marketable"), std::string::npos)
      << last.text;
}

// SIMA disconnects before the order: everything goes to SIMB, and the reason
// says why SIMA was left out.
TEST_F(SorEngineTest, VenueDownIsLeftOut) {
  newOrder("S0", "1", "90.00");  // subscribes both venues
  asks("SIMA", {{"100.02", "300"}});
  asks("SIMB", {{"100.03", "200"}, {"100.04", "500"}});
  VenueEvent down;
  down.kind = VenueEventKind::Disconnected;
  down.venue = VenueId("SIMA");
  down.text = "connection lost";
  engine.onVenueEvent(down);
  run();
  const size_t a0 = venueA.submits.size(), b0 = venueB.submits.size();
  newOrder("S5", "600", "100.05");
  EXPECT_EQ(venueA.submits.size(), a0);
  ASSERT_EQ(venueB.submits.size(), b0 + 1);
  EXPECT_EQ(venueB.submits.back().qty, Qty::of("600"));
  EXPECT_EQ(venueB.submits.back().price, Price::of("100.04"));
  EXPECT_NE(routedTexts().back().find("SIMA: disconnected"), std::string::npos)
      << routedTexts().back();
}

// SIMB rejects its child: SIMB is avoided for this parent and the rest is
// swept on SIMA alone.
TEST_F(SorEngineTest, ChildRejectMovesTheRestElsewhere) {
  newOrder("S6", "500", "100.05");
  asks("SIMA", {{"100.02", "300"}, {"100.04", "500"}});
  asks("SIMB", {{"100.01", "200"}});
  ASSERT_EQ(venueB.submits.size(), 1u);
  ASSERT_EQ(venueA.submits.size(), 1u);
  EXPECT_EQ(venueA.submits[0].qty, Qty::of("300"));
  say("SIMB", 0, VenueEventKind::Rejected, nullptr, nullptr, "price outside the band");
  asks("SIMA", {{"100.04", "500"}});  // SIMA's first level is taken
  say("SIMA", 0, VenueEventKind::Fill, "300", "100.02");
  ASSERT_EQ(venueA.submits.size(), 2u);
  EXPECT_EQ(venueA.submits[1].qty, Qty::of("200"));
  EXPECT_EQ(venueA.submits[1].price, Price::of("100.04"));
  EXPECT_EQ(venueB.submits.size(), 1u);
  EXPECT_NE(routedTexts().back().find("SIMB: avoided"), std::string::npos) << routedTexts().back();
}

// A book that never comes: after the wait the SOR routes on what it has.
TEST_F(SorEngineTest, RoutesOnTheBooksItHasAfterTheWait) {
  newOrder("S7", "100", "100.05");
  asks("SIMA", {{"100.02", "300"}});
  EXPECT_TRUE(venueA.submits.empty());
  clock.advance(500'000'000);
  run();
  ASSERT_EQ(venueA.submits.size(), 1u);
  EXPECT_EQ(venueA.submits[0].qty, Qty::of("100"));
  EXPECT_NE(routedTexts().back().find("SIMB: no book yet"), std::string::npos);
}

// A TWAP parent routed to SOR keeps its schedule; each slice goes, whole, to
// the venue the SOR picks for it: the one that fills most of it now. Slice 1
// of 100 at the limit 100.00: SIMB 99.99 x 30 (all-in 99.994999...) and SIMA
// 99.98 x 300 (100.009994): SIMB 30 + SIMA 70 -> SIMA fills most.
TEST_F(SorEngineTest, AlgoSlicesGoThroughTheSor) {
  newOrder("S0", "1", "90.00");  // subscribes the SOR's books on both venues
  asks("SIMA", {{"99.98", "300"}});
  asks("SIMB", {{"99.99", "30"}});
  const size_t a0 = venueA.submits.size(), b0 = venueB.submits.size();
  NewOrder n;
  n.hdr.session = kSess;
  n.clOrdId = ClOrdId("T1");
  n.account = Account("ACC1");
  n.symbol = Symbol("AAPL");
  n.side = Side::Buy;
  n.ordType = OrdType::Limit;
  n.qty = Qty::of("200");
  n.price = Price::of("100.00");
  auto d = std::make_shared<OrderDetails>();
  AlgoOrderFields a;
  a.targetStrategy = "TWAP";
  a.price = "100.00";
  a.expireTime = formatFixTimestamp(clock.wallNow() + 20'000'000'000LL);
  a.strategyParameters.push_back({"SliceInterval", "1", "10"});
  d->algo = std::move(a);
  n.details = d;
  engine.submit(n);
  run();
  ASSERT_EQ(venueA.submits.size(), a0 + 1);
  EXPECT_EQ(venueB.submits.size(), b0);
  EXPECT_EQ(venueA.submits.back().qty, Qty::of("100"));
  EXPECT_EQ(venueA.submits.back().price, Price::of("100.00"));
  EXPECT_EQ(venueA.submits.back().tif, TimeInForce::Day);  // a slice rests until the schedule ends
  const std::string why = routedTexts().back();
  EXPECT_NE(why.find("TWAP slice"), std::string::npos) << why;
  EXPECT_NE(why.find("SOR picked SIMA (SOR buy 100 limit 100: 30 SIMB up to 99.99, 70 SIMA up "
                     "to 99.98)"),
            std::string::npos)
      << why;
  // The algorithm's market data comes from every SOR venue (the relay).
  EXPECT_EQ(venueA.sinks.size(), 2u);
  EXPECT_EQ(venueB.sinks.size(), 2u);
  // Slice 2, after SIMA's book changed: SIMB now fills most of it.
  asks("SIMA", {{"100.05", "300"}});
  asks("SIMB", {{"99.99", "500"}});
  clock.advance(10'000'000'000LL);
  run();
  ASSERT_EQ(venueB.submits.size(), b0 + 1);
  EXPECT_EQ(venueB.submits.back().qty, Qty::of("100"));
  EXPECT_NE(routedTexts().back().find("SOR picked SIMB"), std::string::npos)
      << routedTexts().back();
}

// Without an SOR configuration a route to SOR is refused, naming it.
TEST(SorEngineNoConfig, RouteToSorWithoutVenuesIsRefused) {
  ManualClock clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = master();
  risk::RiskEngine risk{riskCfg(), instruments};
  FakeVenue sim;
  MemoryJournal journal;
  Reports reports;
  Engine engine{loop,
                clock,
                risk,
                RoutingTable(RoutingConfig{{}, VenueId("SOR")}, {VenueId("SIM")}),
                {{VenueId("SIM"), &sim}},
                journal,
                reports,
                "t"};
  NewOrder n;
  n.hdr.session = kSess;
  n.clOrdId = ClOrdId("N1");
  n.account = Account("ACC1");
  n.symbol = Symbol("AAPL");
  n.qty = Qty::of("10");
  n.price = Price::of("100");
  engine.submit(n);
  loop.runDue();
  ASSERT_EQ(reports.all.size(), 1u);
  EXPECT_EQ(reports.er(0).ordStatus, OrdStatus::Rejected);
  EXPECT_NE(reports.er(0).text.find("NO_ROUTE: the route is SOR but no SOR venues are configured"),
            std::string::npos)
      << reports.er(0).text;
}

}  // namespace
