// The Alpaca adapter against the Alpaca emulator over real HTTPS and a real
// WebSocket on loopback: acks, cancels, fills once per execution id
// (replayed deliveries ignored), Alpaca's rejects, pre-checks (fractional,
// sub-penny, market hours), lost answers looked up not resent, 429s and the
// rate-limit headers, stream drop with REST polling and reconnect, native
// replace (a new order id), reconciliation, and a wrong key.
#include "venue_adapters/alpaca/adapter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "tests/alpaca/test_data.h"
#include "venue_adapters/alpaca/emulator.h"

using namespace fixgw;
using namespace fixgw::alpaca;

namespace {

constexpr const char* kKey = "PKEMULATORKEY0001";
constexpr const char* kSecret = "emulator-secret-for-tests-only";

class Sink : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent e) override {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(e));
  }
  std::vector<VenueEvent> of(const std::string& child, VenueEventKind k) const {
    std::lock_guard lk(mu_);
    std::vector<VenueEvent> out;
    for (const auto& e : events_)
      if (e.childId.str() == child && e.kind == k) out.push_back(e);
    return out;
  }
  size_t count(const std::string& child, VenueEventKind k) const { return of(child, k).size(); }
  size_t countKind(VenueEventKind k) const {
    std::lock_guard lk(mu_);
    size_t n = 0;
    for (const auto& e : events_) n += e.kind == k;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<VenueEvent> events_;
};

template <class P>
bool waitFor(P pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class AlpacaVenueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EmulatorOptions eo;
    eo.apiKey = kKey;
    eo.secret = kSecret;
    std::string whole = alpacaTestData("asset_aapl.json");
    whole.replace(whole.find("\"AAPL\""), 6, "\"WHOLE\"");
    whole.replace(whole.find("\"fractionable\": true"), 20, "\"fractionable\": false");
    eo.assetsJson = {alpacaTestData("asset_aapl.json"), whole};
    emu = std::make_unique<AlpacaEmulator>(eo);
    emu->start();
    emu->setLastPrice("AAPL", Price::of("150"));
    emu->setLastPrice("WHOLE", Price::of("20"));
    for (const char* s : {"AAPL", "WHOLE", "FUT"}) {
      Instrument i;
      i.symbol = Symbol(s);
      i.currency = "USD";
      if (std::string(s) == "FUT") i.contractSize = Qty::of("100");
      im.add(i);
    }
    cfg.host = "127.0.0.1";
    cfg.port = emu->port();
    cfg.serverName = "localhost";
    cfg.caPem = emu->certPem();
    cfg.pollIntervalMs = 50;
    cfg.reconnectMs = 50;
    cfg.readTimeoutMs = 5000;
  }
  void TearDown() override {
    if (venue) venue->stop();
    emu->stop();
  }

  void startVenue(const std::string& secret = kSecret, bool waitStream = true) {
    venue = makeAlpacaVenue(VenueId("ALPACA"), cfg, Credentials{kKey, secret}, im,
                            SystemClock::instance());
    venue->start(sink);
    if (!waitStream) return;
    ASSERT_TRUE(waitFor([&] { return emu->tradeUpdateListeners() == 1; }))
        << "the trade_updates stream listens";
  }

  VenueNewOrder order(const std::string& id, OrdType t, TimeInForce tif, const char* qty,
                      const char* px = nullptr, const char* symbol = "AAPL") {
    VenueNewOrder o;
    o.childId = ChildOrderId(id);
    o.symbol = Symbol(symbol);
    o.side = Side::Buy;
    o.ordType = t;
    o.tif = tif;
    o.qty = Qty::of(qty);
    if (px) o.price = Price::of(px);
    return o;
  }

  bool has(const std::string& child, VenueEventKind k, size_t n = 1) {
    return waitFor([&] { return sink.count(child, k) >= n; });
  }

  std::unique_ptr<AlpacaEmulator> emu;
  InstrumentMaster im;
  AlpacaConfig cfg;
  Sink sink;
  std::unique_ptr<VenueAdapter> venue;
};

TEST_F(AlpacaVenueTest, LimitOrderRestsThenIsCanceled) {
  startVenue();
  venue->submit(order("C1", OrdType::Limit, TimeInForce::Day, "10", "149.5"));
  ASSERT_TRUE(has("C1", VenueEventKind::Accepted));
  EXPECT_EQ(emu->lastOrderBody(),
            R"({"symbol":"AAPL","qty":"10","side":"buy","type":"limit","time_in_force":"day",)"
            R"("limit_price":"149.5","client_order_id":"C1"})");
  EXPECT_FALSE(sink.of("C1", VenueEventKind::Accepted)[0].venueOrderId.str().empty());
  EXPECT_EQ(emu->orderStatus("C1"), "new");
  VenueCancel c;
  c.childId = ChildOrderId("C1");
  c.venueOrderId = sink.of("C1", VenueEventKind::Accepted)[0].venueOrderId;
  venue->cancel(c);
  ASSERT_TRUE(has("C1", VenueEventKind::Canceled));
  EXPECT_EQ(emu->orderStatus("C1"), "canceled");
  EXPECT_EQ(sink.count("C1", VenueEventKind::Canceled), 1u);
  EXPECT_EQ(emu->authFailures(), 0);
}

TEST_F(AlpacaVenueTest, FillsInPartsAreBookedOnceEachWithoutFees) {
  startVenue();
  emu->fillInParts(3);
  venue->submit(order("C2", OrdType::Limit, TimeInForce::Gtc, "30", "150.5"));  // crosses 150
  ASSERT_TRUE(has("C2", VenueEventKind::Fill, 3));
  emu->replayLastFill();  // a duplicate delivery of the same execution_id
  emu->replayLastFill();
  venue->submit(order("C2b", OrdType::Limit, TimeInForce::Day, "1", "100"));  // a marker behind it
  ASSERT_TRUE(has("C2b", VenueEventKind::Accepted));
  auto fills = sink.of("C2", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 3u) << "each execution once";
  for (const auto& f : fills) {
    EXPECT_EQ(f.lastQty, Qty::of("10"));
    EXPECT_EQ(f.lastPx, Price::of("150"));
    EXPECT_FALSE(f.fee) << "Alpaca reports no commission on equities: no fee is booked";
  }
  EXPECT_EQ(fills[2].cumQty, Qty::of("30"));
  EXPECT_TRUE(fills[2].leavesQty.isZero());
  EXPECT_EQ(venue->referencePrice(Symbol("AAPL")), Price::of("150"));
}

TEST_F(AlpacaVenueTest, AlpacasRejectTextReachesTheEvent) {
  startVenue();
  emu->failNext(403, 40310000, "insufficient buying power");
  venue->submit(order("C3", OrdType::Limit, TimeInForce::Day, "10", "149"));
  ASSERT_TRUE(has("C3", VenueEventKind::Rejected));
  const std::string t = sink.of("C3", VenueEventKind::Rejected)[0].text;
  EXPECT_NE(t.find("40310000"), std::string::npos) << t;
  EXPECT_NE(t.find("insufficient buying power"), std::string::npos) << t;
}

TEST_F(AlpacaVenueTest, PreChecksRefuseBeforeTheOrderLeaves) {
  startVenue();
  venue->submit(order("F1", OrdType::Market, TimeInForce::Day, "0.5", nullptr, "WHOLE"));
  venue->submit(order("F2", OrdType::Limit, TimeInForce::Day, "0.5", "149"));
  venue->submit(order("F3", OrdType::Limit, TimeInForce::Day, "1", "149.001"));
  auto gtd = order("F4", OrdType::Limit, TimeInForce::GoodTillDate, "1", "149");
  venue->submit(gtd);
  venue->submit(order("F6", OrdType::Limit, TimeInForce::Day, "1", "149", "FUT"));
  for (const char* id : {"F1", "F2", "F3", "F4", "F6"})
    ASSERT_TRUE(has(id, VenueEventKind::Rejected));
  EXPECT_NE(sink.of("F6", VenueEventKind::Rejected)[0].text.find("contract_size 100"),
            std::string::npos);
  EXPECT_NE(sink.of("F1", VenueEventKind::Rejected)[0].text.find("not fractionable"),
            std::string::npos);
  EXPECT_NE(sink.of("F2", VenueEventKind::Rejected)[0].text.find("market DAY"), std::string::npos);
  EXPECT_NE(sink.of("F3", VenueEventKind::Rejected)[0].text.find("sub-penny"), std::string::npos);
  EXPECT_NE(sink.of("F4", VenueEventKind::Rejected)[0].text.find("GTD"), std::string::npos);
  EXPECT_EQ(emu->requests("POST /v2/orders"), 0) << "nothing refused here reached Alpaca";
  // A fractional market DAY order on a fractionable asset goes.
  venue->submit(order("F5", OrdType::Market, TimeInForce::Day, "0.5"));
  ASSERT_TRUE(has("F5", VenueEventKind::Fill));
  EXPECT_EQ(sink.of("F5", VenueEventKind::Fill)[0].lastQty, Qty::of("0.5"));
}

TEST_F(AlpacaVenueTest, LostOrGarbledSubmitAnswersAreLookedUpNeverResent) {
  startVenue();
  emu->failAfterActing(503);
  venue->submit(order("L1", OrdType::Limit, TimeInForce::Day, "5", "149"));
  ASSERT_TRUE(has("L1", VenueEventKind::Accepted));
  emu->garbleNext();
  venue->submit(order("L2", OrdType::Limit, TimeInForce::Day, "5", "149"));
  ASSERT_TRUE(has("L2", VenueEventKind::Accepted));
  EXPECT_EQ(emu->requests("POST /v2/orders"), 2) << "each sent once";
  EXPECT_GE(emu->requests("GET /v2/orders:by_client_order_id"), 2);
  EXPECT_EQ(sink.countKind(VenueEventKind::Rejected), 0u);
  // A submit refused before acting, answer lost: never placed, found out by look-ups.
  emu->failNext(504, 0, "gateway timeout");
  venue->submit(order("L3", OrdType::Limit, TimeInForce::Day, "5", "149"));
  ASSERT_TRUE(has("L3", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("L3", VenueEventKind::Rejected)[0].text.find("not placed"), std::string::npos);
  EXPECT_EQ(emu->requests("POST /v2/orders"), 3);
}

TEST_F(AlpacaVenueTest, RateLimitAnswersAreHonouredAndReported) {
  startVenue();
  venue->submit(order("R0", OrdType::Limit, TimeInForce::Day, "1", "149"));
  ASSERT_TRUE(has("R0", VenueEventKind::Accepted));
  bool fromVenue = false;
  for (const auto& l : venue->rateLimits())
    if (l.source == "venue") {
      fromVenue = true;
      EXPECT_EQ(l.limit, 200);
      EXPECT_GT(l.used, 0);
      EXPECT_EQ(l.windowMs, 60'000);
    }
  EXPECT_TRUE(fromVenue) << "X-RateLimit-* headers feed rateLimits()";
  emu->rateLimitNext(1, 1);
  venue->submit(order("R1", OrdType::Limit, TimeInForce::Day, "1", "149"));
  ASSERT_TRUE(has("R1", VenueEventKind::Rejected));
  const std::string t = sink.of("R1", VenueEventKind::Rejected)[0].text;
  EXPECT_NE(t.find("429"), std::string::npos) << t;
  EXPECT_NE(t.find("not executed"), std::string::npos) << t;
  EXPECT_EQ(emu->rateLimitErrors(), 1);
  // Until X-RateLimit-Reset nothing is sent; after it, orders go again.
  ASSERT_TRUE(waitFor([&] {
    venue->submit(order("R2-" + std::to_string(sink.countKind(VenueEventKind::Rejected)),
                        OrdType::Limit, TimeInForce::Day, "1", "149"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return sink.countKind(VenueEventKind::Accepted) >= 2;
  }));
  EXPECT_EQ(emu->rateLimitErrors(), 1) << "no call was sent into the block";
}

TEST_F(AlpacaVenueTest, StreamDropFallsBackToPollingAndBooksGapFillsOnce) {
  startVenue();
  venue->submit(order("S1", OrdType::Limit, TimeInForce::Gtc, "20", "149"));
  ASSERT_TRUE(has("S1", VenueEventKind::Accepted));
  emu->refuseStreams(true);
  emu->dropStreams();
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Disconnected) == 1; }));
  ASSERT_TRUE(emu->fill("S1", Qty::of("5"), Price::of("149")));
  ASSERT_TRUE(emu->fill("S1", Qty::of("5"), Price::of("149")));
  ASSERT_TRUE(has("S1", VenueEventKind::Fill, 2)) << "found by the REST poll";
  EXPECT_GE(emu->requests("GET /v2/account/activities/FILL"), 1);
  emu->refuseStreams(false);
  ASSERT_TRUE(waitFor([&] { return emu->tradeUpdateListeners() == 1; }));
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Reconnected) == 1; }));
  ASSERT_TRUE(emu->fill("S1", Qty::of("10"), Price::of("149")));
  ASSERT_TRUE(has("S1", VenueEventKind::Fill, 3));
  emu->replayLastFill();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto fills = sink.of("S1", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 3u) << "each execution booked once";
  EXPECT_EQ(fills[2].cumQty, Qty::of("20"));
}

TEST_F(AlpacaVenueTest, GarbledStreamTextIsIgnoredAndRecoveredByAPoll) {
  startVenue();
  venue->submit(order("G1", OrdType::Limit, TimeInForce::Gtc, "4", "149"));
  ASSERT_TRUE(has("G1", VenueEventKind::Accepted));
  emu->sendOnStreams("{\"stream\":\"trade_updates\",\"data\":{\"event\":\"fill\"");
  emu->sendOnStreams("not json at all");
  ASSERT_TRUE(emu->fill("G1", Qty::of("4"), Price::of("149")));
  ASSERT_TRUE(has("G1", VenueEventKind::Fill));
  EXPECT_EQ(sink.count("G1", VenueEventKind::Fill), 1u);
  EXPECT_EQ(emu->tradeUpdateListeners(), 1) << "the stream stayed up";
}

TEST_F(AlpacaVenueTest, ReplaceIsAlpacasPatchANewOrderIdForTheSameChild) {
  startVenue();
  venue->submit(order("P1", OrdType::Limit, TimeInForce::Gtc, "10", "149"));
  ASSERT_TRUE(has("P1", VenueEventKind::Accepted));
  const auto firstId = sink.of("P1", VenueEventKind::Accepted)[0].venueOrderId;
  ASSERT_TRUE(emu->fill("P1", Qty::of("4"), Price::of("149")));
  ASSERT_TRUE(has("P1", VenueEventKind::Fill));
  VenueReplace r;
  r.childId = ChildOrderId("P1");
  r.venueOrderId = firstId;
  r.newQty = Qty::of("12");
  r.newPrice = Price::of("148.5");
  venue->replace(r);
  ASSERT_TRUE(has("P1", VenueEventKind::Replaced));
  auto rep = sink.of("P1", VenueEventKind::Replaced)[0];
  EXPECT_NE(rep.venueOrderId, firstId) << "Alpaca's replacement is a new order";
  EXPECT_EQ(rep.newQty, Qty::of("12"));
  EXPECT_EQ(rep.newPrice, Price::of("148.5"));
  EXPECT_EQ(rep.leavesQty, Qty::of("8"));
  EXPECT_EQ(emu->orderStatus("P1"), "replaced");
  // The replacement trades the 8 left; its fills land on the same child.
  ASSERT_TRUE(emu->fill("P1", Qty::of("8"), Price::of("148.5")));
  ASSERT_TRUE(has("P1", VenueEventKind::Fill, 2));
  auto fills = sink.of("P1", VenueEventKind::Fill);
  EXPECT_EQ(fills[1].cumQty, Qty::of("12"));
  EXPECT_TRUE(fills[1].leavesQty.isZero());
  EXPECT_EQ(fills[1].venueOrderId, rep.venueOrderId);
}

TEST_F(AlpacaVenueTest, ALostReplaceAnswerIsResolvedByItsClientOrderId) {
  startVenue();
  venue->submit(order("P2", OrdType::Limit, TimeInForce::Gtc, "10", "149"));
  ASSERT_TRUE(has("P2", VenueEventKind::Accepted));
  emu->failAfterActing(500);
  VenueReplace r;
  r.childId = ChildOrderId("P2");
  r.venueOrderId = sink.of("P2", VenueEventKind::Accepted)[0].venueOrderId;
  r.newQty = Qty::of("6");
  venue->replace(r);
  ASSERT_TRUE(has("P2", VenueEventKind::Replaced));
  EXPECT_EQ(sink.count("P2", VenueEventKind::ReplaceRejected), 0u);
  EXPECT_EQ(emu->requests("PATCH /v2/orders"), 1) << "never resent";
  // Alpaca refuses a replace of a done order: the text reaches the event.
  venue->submit(order("P3", OrdType::Limit, TimeInForce::Gtc, "1", "151"));  // fills at once
  ASSERT_TRUE(has("P3", VenueEventKind::Fill));
  r.childId = ChildOrderId("P3");
  venue->replace(r);
  ASSERT_TRUE(has("P3", VenueEventKind::ReplaceRejected));
}

TEST_F(AlpacaVenueTest, MarketHoursQueueRefuseOrExtended) {
  emu->setMarketOpen(false);
  cfg.outsideHours = OutsideHours::Refuse;
  startVenue();
  venue->submit(order("H1", OrdType::Limit, TimeInForce::Day, "1", "149"));
  ASSERT_TRUE(has("H1", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("H1", VenueEventKind::Rejected)[0].text.find("next_open"), std::string::npos);
  venue->submit(order("H2", OrdType::Limit, TimeInForce::Gtc, "1", "149"));  // GTC waits at Alpaca
  ASSERT_TRUE(has("H2", VenueEventKind::Accepted));
  venue->stop();
  cfg.outsideHours = OutsideHours::Extended;
  startVenue();
  venue->submit(order("H3", OrdType::Limit, TimeInForce::Day, "1", "151"));
  ASSERT_TRUE(has("H3", VenueEventKind::Fill)) << "extended hours trade";
  EXPECT_NE(emu->lastOrderBody().find("\"extended_hours\":true"), std::string::npos);
  venue->submit(order("H4", OrdType::Market, TimeInForce::Day, "1"));
  ASSERT_TRUE(has("H4", VenueEventKind::Accepted));
  EXPECT_NE(sink.of("H4", VenueEventKind::Accepted)[0].text.find("queued"), std::string::npos);
  EXPECT_EQ(emu->lastOrderBody().find("extended_hours"), std::string::npos);
  EXPECT_EQ(sink.count("H4", VenueEventKind::Fill), 0u);
  emu->setMarketOpen(true);  // the open releases the queued market order
  ASSERT_TRUE(has("H4", VenueEventKind::Fill));
}

TEST_F(AlpacaVenueTest, SnapshotAndAdoptAfterARestart) {
  startVenue();
  const WallNanos since = SystemClock::instance().wallNow();
  venue->submit(order("A1", OrdType::Limit, TimeInForce::Gtc, "10", "149"));
  ASSERT_TRUE(has("A1", VenueEventKind::Accepted));
  const auto oid = sink.of("A1", VenueEventKind::Accepted)[0].venueOrderId;
  ASSERT_TRUE(emu->fill("A1", Qty::of("3"), Price::of("149")));
  ASSERT_TRUE(has("A1", VenueEventKind::Fill));
  venue->stop();
  venue.reset();
  ASSERT_TRUE(emu->fill("A1", Qty::of("2"), Price::of("149")));  // while we are down

  venue = makeAlpacaVenue(VenueId("ALPACA"), cfg, Credentials{kKey, kSecret}, im,
                          SystemClock::instance());
  VenueOrderState st;
  st.childId = ChildOrderId("A1");
  st.venueOrderId = oid;
  st.symbol = Symbol("AAPL");
  st.qty = Qty::of("10");
  st.cumQty = Qty::of("3");
  st.price = Price::of("149");
  st.tif = TimeInForce::Gtc;
  venue->adoptOpenOrders({st});
  Sink sink2;
  venue->start(sink2);
  std::mutex m;
  std::optional<VenueSnapshot> snap;
  venue->requestSnapshot(since, [&](VenueSnapshot s) {
    std::lock_guard lk(m);
    snap = std::move(s);
  });
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(m);
    return snap.has_value();
  }));
  ASSERT_TRUE(snap->ok) << snap->error;
  ASSERT_EQ(snap->orders.size(), 1u);
  EXPECT_EQ(snap->orders[0].childId.str(), "A1");
  EXPECT_EQ(snap->orders[0].cumQty, Qty::of("5"));
  ASSERT_EQ(snap->fills.size(), 2u);
  EXPECT_EQ(snap->fills[1].qty, Qty::of("2"));
  EXPECT_EQ(snap->fills[1].childId.str(), "A1");
  // The adopted order still trades; the old fill is not booked twice.
  ASSERT_TRUE(waitFor([&] { return emu->tradeUpdateListeners() == 1; }));
  ASSERT_TRUE(emu->fill("A1", Qty::of("5"), Price::of("149")));
  ASSERT_TRUE(waitFor([&] {
    auto f = sink2.of("A1", VenueEventKind::Fill);
    return !f.empty() && f.back().cumQty == Qty::of("10");
  }));
  for (const auto& f : sink2.of("A1", VenueEventKind::Fill))
    EXPECT_NE(f.lastQty, Qty::of("3")) << "the fill journaled before the restart is not rebooked";
}

TEST_F(AlpacaVenueTest, AnOrderReplacedBeforeARestartIsFollowedToItsNewestOrder) {
  startVenue();
  venue->submit(order("B1", OrdType::Limit, TimeInForce::Gtc, "10", "149"));
  ASSERT_TRUE(has("B1", VenueEventKind::Accepted));
  const auto firstId = sink.of("B1", VenueEventKind::Accepted)[0].venueOrderId;
  VenueReplace r;
  r.childId = ChildOrderId("B1");
  r.venueOrderId = firstId;
  r.newQty = Qty::of("7");
  venue->replace(r);
  ASSERT_TRUE(has("B1", VenueEventKind::Replaced));
  venue->stop();
  venue.reset();
  // The journal knows the first order id only (the engine keeps the acked one).
  venue = makeAlpacaVenue(VenueId("ALPACA"), cfg, Credentials{kKey, kSecret}, im,
                          SystemClock::instance());
  VenueOrderState st;
  st.childId = ChildOrderId("B1");
  st.venueOrderId = firstId;
  st.symbol = Symbol("AAPL");
  st.qty = Qty::of("7");
  st.price = Price::of("149");
  st.tif = TimeInForce::Gtc;
  venue->adoptOpenOrders({st});
  Sink sink2;
  venue->start(sink2);
  ASSERT_TRUE(waitFor([&] { return emu->tradeUpdateListeners() == 1; }));
  ASSERT_TRUE(waitFor([&] { return emu->requests("GET /v2/orders") >= 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  VenueCancel c;
  c.childId = ChildOrderId("B1");
  c.venueOrderId = firstId;
  venue->cancel(c);
  ASSERT_TRUE(waitFor([&] { return sink2.count("B1", VenueEventKind::Canceled) == 1; }));
  EXPECT_EQ(sink2.count("B1", VenueEventKind::CancelRejected), 0u);
  EXPECT_EQ(emu->orderStatus("B1"), "replaced");
  EXPECT_FALSE(emu->fill("B1", Qty::of("1"), Price::of("149")))
      << "the replacement was canceled: no order of the chain is open";
}

class MdSink : public MarketDataSink {
 public:
  void onBook(const TopOfBook& b) override {
    std::lock_guard lk(mu);
    books.push_back(b);
  }
  void onTrade(const Trade& t) override {
    std::lock_guard lk(mu);
    trades.push_back(t);
  }
  size_t nBooks() {
    std::lock_guard lk(mu);
    return books.size();
  }
  size_t nTrades() {
    std::lock_guard lk(mu);
    return trades.size();
  }
  std::mutex mu;
  std::vector<TopOfBook> books;
  std::vector<Trade> trades;
};

TEST_F(AlpacaVenueTest, MarketDataQuotesAndTradesFromTheDataStream) {
  startVenue();
  MdSink md;
  EXPECT_FALSE(venue->subscribeMarketData(Symbol("NOPE"), md, 0).ok);
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), md, 5).ok);
  ASSERT_TRUE(waitFor([&] { return md.nBooks() >= 1; })) << "the first book follows";
  {
    std::lock_guard lk(md.mu);
    EXPECT_EQ(md.books[0].bidPx, Price::of("149.99"));
    EXPECT_EQ(md.books[0].askPx, Price::of("150.01"));
    EXPECT_EQ(md.books[0].bidQty, Qty::of("100"));
    EXPECT_EQ(md.books[0].symbol, Symbol("AAPL"));
  }
  emu->trade("AAPL", Price::of("150.5"));
  ASSERT_TRUE(waitFor([&] { return md.nTrades() >= 1 && md.nBooks() >= 2; }));
  {
    std::lock_guard lk(md.mu);
    EXPECT_EQ(md.trades[0].price, Price::of("150.5"));
    EXPECT_EQ(md.trades[0].qty, Qty::of("100"));
    EXPECT_EQ(md.books.back().askPx, Price::of("150.51"));
  }
  EXPECT_EQ(venue->referencePrice(Symbol("AAPL")), Price::of("150.5"));
  // A second subscriber gets the book already known at once.
  MdSink md2;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), md2, 0).ok);
  ASSERT_TRUE(waitFor([&] { return md2.nBooks() >= 1; }));
  venue->unsubscribeMarketData(Symbol("AAPL"), md);
  const size_t trades = md.nTrades();
  emu->trade("AAPL", Price::of("151"));
  ASSERT_TRUE(waitFor([&] { return md2.nTrades() >= 1; }));
  EXPECT_EQ(md.nTrades(), trades) << "not called after unsubscribe";
  // The stream comes back after a drop and resubscribes.
  emu->dropStreams();
  ASSERT_TRUE(waitFor([&] { return emu->marketDataSubscribers() == 1; }));
  emu->trade("AAPL", Price::of("152"));
  ASSERT_TRUE(waitFor([&] { return md2.nTrades() >= 2; }));
}

TEST_F(AlpacaVenueTest, AWrongSecretIsRefusedTheAlpacaWay) {
  startVenue("not-the-secret", false);
  venue->submit(order("K1", OrdType::Limit, TimeInForce::Day, "1", "149"));
  ASSERT_TRUE(has("K1", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("K1", VenueEventKind::Rejected)[0].text.find("not authorized"),
            std::string::npos);
  EXPECT_EQ(sink.of("K1", VenueEventKind::Rejected)[0].text.find("not-the-secret"),
            std::string::npos);
  EXPECT_GE(emu->authFailures(), 1);
  EXPECT_EQ(emu->tradeUpdateListeners(), 0) << "the stream refuses the key too";
}

}  // namespace
