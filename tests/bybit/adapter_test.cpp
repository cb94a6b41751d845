// The Bybit adapter against the Bybit emulator over real HTTPS and a real
// private WebSocket on loopback: spot and linear orders, fills with fees once
// per execId (a replayed execution is ignored), lost submit answers (server
// error after acting, HTTP 502) looked up by orderLinkId and never resent,
// retCode rejects, rate limits (local, 10006, Bybit's headers in
// rateLimits()), a skewed clock (10002) resynced, stream drop with REST
// polling and reconnect, garbled answers and stream text, native amend,
// cancel, reconciliation (adopt + snapshot), auth refused for a wrong secret,
// the op ping. Adapter and emulator share a manual clock, so windows and
// timers are driven by the test, not by waiting.
#include "venue_adapters/bybit/adapter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "tests/bybit/test_data.h"
#include "venue_adapters/bybit/emulator.h"

using namespace fixgw;
using namespace fixgw::bybit;

namespace {

constexpr const char* kKey = "emulator-api-key";
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
  size_t bookCount() {
    std::lock_guard lk(mu);
    return books.size();
  }
  size_t tradeCount() {
    std::lock_guard lk(mu);
    return trades.size();
  }
  TopOfBook lastBook() {
    std::lock_guard lk(mu);
    return books.back();
  }
  std::mutex mu;
  std::vector<TopOfBook> books;
  std::vector<Trade> trades;
};

class BybitVenueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EmulatorOptions eo;
    eo.apiKey = kKey;
    eo.secret = kSecret;
    eo.instrumentsSpotJson = bybitTestData("instruments_spot.json");
    eo.instrumentsLinearJson = bybitTestData("instruments_linear.json");
    eo.clock = &clock;
    emu = std::make_unique<BybitEmulator>(eo);
    emu->start();
    emu->setLastPrice("spot", "BTCUSDT", Price::of("30000"));
    emu->setLastPrice("linear", "BTCUSDT", Price::of("30000"));
    Instrument spot;
    spot.symbol = Symbol("BTC/USDT");
    spot.currency = "USDT";
    im.add(spot);
    Instrument perp;
    perp.symbol = Symbol("BTC-PERP");
    perp.currency = "USDT";
    perp.marginMode = "cross";
    perp.settleCurrency = "USDT";
    perp.venueSymbols["bybit"] = "BTCUSDT";
    im.add(perp);
    cfg.restHost = "127.0.0.1";
    cfg.restPort = emu->port();
    cfg.wsHost = cfg.restHost;
    cfg.wsPort = cfg.restPort;
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

  void startVenue(const std::string& secret = kSecret, bool expectStream = true) {
    venue = makeBybitVenue(VenueId("bybit"), cfg, Credentials{kKey, secret}, im, clock);
    venue->start(sink);
    if (expectStream) {
      ASSERT_TRUE(waitFor([&] { return emu->authenticatedStreams() == 1; }))
          << "the private stream authenticates and subscribes";
    }
  }

  // Waits for pred, advancing the shared clock 10 ms per step; gives up after 1000 steps.
  template <class P>
  bool waitFor(P pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      clock.advance(10'000'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  VenueNewOrder order(const std::string& id, const char* symbol, OrdType t, const char* qty,
                      const char* px = nullptr, Side side = Side::Buy,
                      TimeInForce tif = TimeInForce::Gtc) {
    VenueNewOrder o;
    o.childId = ChildOrderId(id);
    o.symbol = Symbol(symbol);
    o.side = side;
    o.ordType = t;
    o.tif = tif;
    o.qty = Qty::of(qty);
    if (px) o.price = Price::of(px);
    return o;
  }

  bool has(const std::string& child, VenueEventKind k, size_t n = 1) {
    return waitFor([&] { return sink.count(child, k) >= n; });
  }

  ManualClock clock{SystemClock::instance().wallNow()};
  std::unique_ptr<BybitEmulator> emu;
  InstrumentMaster im;
  BybitConfig cfg;
  std::unique_ptr<VenueAdapter> venue;
  Sink sink;
};

TEST_F(BybitVenueTest, LinearLimitRestsThenFillsFromTheStreamWithFeeInTheSettleCoin) {
  startVenue();
  venue->submit(order("c1", "BTC-PERP", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("c1", VenueEventKind::Accepted));
  EXPECT_EQ(emu->lastCreateBody(),
            R"({"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit",)"
            R"("qty":"0.01","price":"29000","timeInForce":"GTC","positionIdx":0,)"
            R"("orderLinkId":"c1"})");
  EXPECT_FALSE(sink.of("c1", VenueEventKind::Accepted)[0].venueOrderId.empty());
  emu->trade("linear", "BTCUSDT", Price::of("28900"));
  ASSERT_TRUE(has("c1", VenueEventKind::Fill));
  auto f = sink.of("c1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastQty, Qty::of("0.01"));
  EXPECT_EQ(f.lastPx, Price::of("29000"));
  EXPECT_EQ(f.leavesQty, Qty());
  ASSERT_TRUE(f.fee.has_value());
  EXPECT_EQ(*f.fee, Qty::of("0.058"));  // 0.02% maker of 290 USDT
  EXPECT_EQ(f.feeCurrency, "USDT");
  EXPECT_EQ(emu->signatureFailures(), 0);
  EXPECT_EQ(emu->timestampFailures(), 0);
}

TEST_F(BybitVenueTest, SpotMarketBuyFillsInPartsFeeInBaseCoinAndAReplayedExecutionIsIgnored) {
  startVenue();
  emu->fillInParts(3);
  venue->submit(
      order("m1", "BTC/USDT", OrdType::Market, "0.03", nullptr, Side::Buy, TimeInForce::Day));
  ASSERT_TRUE(has("m1", VenueEventKind::Fill, 3));
  EXPECT_NE(emu->lastCreateBody().find(R"("marketUnit":"baseCoin")"), std::string::npos);
  auto fills = sink.of("m1", VenueEventKind::Fill);
  EXPECT_EQ(fills[0].lastQty, Qty::of("0.01"));
  EXPECT_EQ(fills[2].cumQty, Qty::of("0.03"));
  EXPECT_EQ(*fills[0].fee, Qty::of("0.00001"));  // 0.1% of 0.01 BTC, in BTC
  EXPECT_EQ(fills[0].feeCurrency, "BTC");
  emu->replayLastExecution();
  emu->trade("spot", "BTCUSDT", Price::of("30000"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sink.count("m1", VenueEventKind::Fill), 3u) << "booked once per execId";
}

TEST_F(BybitVenueTest, ASpotSellPaysItsFeeInTheQuoteCoin) {
  startVenue();
  venue->submit(order("s1", "BTC/USDT", OrdType::Limit, "0.01", "29000", Side::Sell));
  ASSERT_TRUE(has("s1", VenueEventKind::Fill));  // crosses the last price of 30000
  auto f = sink.of("s1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastPx, Price::of("30000"));
  EXPECT_EQ(*f.fee, Qty::of("0.3"));
  EXPECT_EQ(f.feeCurrency, "USDT");
}

TEST_F(BybitVenueTest, ALostSubmitAnswerIsLookedUpByOrderLinkIdNeverResent) {
  startVenue();
  emu->failNext(10016, "Internal server error");  // acted, answer lost
  venue->submit(order("u1", "BTC-PERP", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("u1", VenueEventKind::Accepted));
  emu->httpFailNext(502);
  venue->submit(order("u2", "BTC-PERP", OrdType::Limit, "0.02", "29000"));
  ASSERT_TRUE(has("u2", VenueEventKind::Accepted));
  EXPECT_EQ(emu->requests("/v5/order/create"), 2) << "never resent";
  EXPECT_EQ(sink.countKind(VenueEventKind::Rejected), 0u);
  emu->trade("linear", "BTCUSDT", Price::of("28000"));
  ASSERT_TRUE(has("u1", VenueEventKind::Fill));
  ASSERT_TRUE(has("u2", VenueEventKind::Fill));
}

TEST_F(BybitVenueTest, ASubmitThatNeverReachedBybitIsRejectedAfterLookUps) {
  startVenue();
  emu->garbleNext(1);                    // the create answer is unreadable ...
  emu->failNext(10001, "params error");  // ... and it was never placed
  venue->submit(order("g1", "BTC-PERP", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("g1", VenueEventKind::Rejected));
  EXPECT_EQ(emu->requests("/v5/order/create"), 1);
}

TEST_F(BybitVenueTest, AGarbledCreateAnswerIsResolvedByTheLookUp) {
  startVenue();
  emu->garbleNext(1);
  venue->submit(order("g2", "BTC-PERP", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("g2", VenueEventKind::Accepted));
  EXPECT_EQ(emu->requests("/v5/order/create"), 1);
  EXPECT_EQ(emu->orderStatus("g2"), "New");
}

TEST_F(BybitVenueTest, BybitsRejectTextReachesTheEvent) {
  startVenue();
  emu->failNext(170131, "Insufficient balance.");
  venue->submit(order("r1", "BTC/USDT", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("r1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("r1", VenueEventKind::Rejected)[0].text,
            "bybit retCode 170131: Insufficient balance.");
}

TEST_F(BybitVenueTest, AFilterIsCheckedBeforeTheOrderLeaves) {
  startVenue();
  venue->submit(order("f1", "BTC-PERP", OrdType::Limit, "0.0015", "29000"));
  ASSERT_TRUE(has("f1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("f1", VenueEventKind::Rejected)[0].text,
            "qtyStep: qty 0.0015 is not a multiple of qtyStep 0.001");
  EXPECT_EQ(emu->requests("/v5/order/create"), 0);
}

TEST_F(BybitVenueTest, RateLimitsAreKeptLocallyHonouredFromBybitAndReported) {
  startVenue();
  // A burst over the local limit (8/s, Bybit's 10/s): queued, none refused.
  for (int i = 0; i < 12; ++i) {
    std::string id = "b";
    id += std::to_string(i);  // (not "b" + ...: GCC 12 warns -Wrestrict on it)
    venue->submit(order(id, "BTC-PERP", OrdType::Limit, "0.001", "29000"));
  }
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Accepted) == 12; }));
  EXPECT_EQ(emu->rateLimitErrors(), 0);
  bool venueCreate = false, localOrders = false;
  for (const auto& l : venue->rateLimits()) {
    if (l.name == "/v5/order/create" && l.source == "venue" && l.limit == 10) venueCreate = true;
    if (l.name == "orders_1s" && l.source == "local" && l.limit == 8) localOrders = true;
  }
  EXPECT_TRUE(venueCreate) << "X-Bapi-Limit headers are reported";
  EXPECT_TRUE(localOrders);
  // Bybit's 10006: the order is refused with its text, nothing is resent.
  emu->failNext(10006, "Too many visits!");
  venue->submit(order("rl", "BTC-PERP", OrdType::Limit, "0.001", "29000"));
  ASSERT_TRUE(has("rl", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("rl", VenueEventKind::Rejected)[0].text.find("10006"), std::string::npos);
  EXPECT_EQ(emu->requests("/v5/order/create"), 13);
}

TEST_F(BybitVenueTest, AClockSkewIsMeasuredAndA10002IsResyncedAndResentOnce) {
  emu->skewClockMs(20'000);  // Bybit's clock 20 s ahead of ours
  startVenue();
  venue->submit(order("t1", "BTC-PERP", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("t1", VenueEventKind::Accepted));
  EXPECT_EQ(emu->timestampFailures(), 0) << "measured at start";
  emu->skewClockMs(-30'000);
  venue->submit(order("t2", "BTC-PERP", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("t2", VenueEventKind::Accepted));
  EXPECT_GE(emu->timestampFailures(), 1);
  EXPECT_EQ(emu->orderStatus("t2"), "New");
}

TEST_F(BybitVenueTest, StreamDropPollsRestBooksGapFillsOnceAndReconnects) {
  startVenue();
  venue->submit(order("d1", "BTC-PERP", OrdType::Limit, "0.02", "29000"));
  ASSERT_TRUE(has("d1", VenueEventKind::Accepted));
  emu->refuseStreams(true);
  emu->dropStreams();
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Disconnected) == 1; }));
  ASSERT_TRUE(emu->fill("d1", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(emu->fill("d1", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(has("d1", VenueEventKind::Fill, 2)) << "found by the REST poll";
  emu->refuseStreams(false);
  ASSERT_TRUE(waitFor([&] { return emu->authenticatedStreams() == 1; }));
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Reconnected) == 1; }));
  ASSERT_TRUE(emu->fill("d1", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(has("d1", VenueEventKind::Fill, 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto fills = sink.of("d1", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 3u) << "each execution booked once";
  EXPECT_EQ(fills[2].cumQty, Qty::of("0.02"));
}

TEST_F(BybitVenueTest, GarbledStreamTextIsSkippedAndTheStreamStaysUp) {
  startVenue();
  venue->submit(order("j1", "BTC-PERP", OrdType::Limit, "0.02", "29000"));
  ASSERT_TRUE(has("j1", VenueEventKind::Accepted));
  emu->sendOnPrivateStreams(R"({"topic":"execution","data":[{"execId":)");
  ASSERT_TRUE(emu->fill("j1", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(has("j1", VenueEventKind::Fill));
  EXPECT_EQ(sink.countKind(VenueEventKind::Disconnected), 0u);
  EXPECT_EQ(sink.count("j1", VenueEventKind::Fill), 1u);
}

TEST_F(BybitVenueTest, NativeAmendThenCancel) {
  startVenue();
  venue->submit(order("a1", "BTC/USDT", OrdType::Limit, "0.02", "29000"));
  ASSERT_TRUE(has("a1", VenueEventKind::Accepted));
  ASSERT_TRUE(emu->fill("a1", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(has("a1", VenueEventKind::Fill));
  const VenueOrderId vid = sink.of("a1", VenueEventKind::Accepted)[0].venueOrderId;
  VenueReplace r;
  r.childId = ChildOrderId("a1");
  r.venueOrderId = vid;
  r.symbol = Symbol("BTC/USDT");
  r.newQty = Qty::of("0.03");
  r.newPrice = Price::of("29100");
  venue->replace(r);
  ASSERT_TRUE(has("a1", VenueEventKind::Replaced));
  auto rep = sink.of("a1", VenueEventKind::Replaced)[0];
  EXPECT_EQ(rep.newQty, Qty::of("0.03"));
  EXPECT_EQ(rep.leavesQty, Qty::of("0.025"));
  r.newQty = Qty::of("0.004");  // below what filled
  venue->replace(r);
  ASSERT_TRUE(has("a1", VenueEventKind::ReplaceRejected));
  EXPECT_EQ(emu->requests("/v5/order/amend"), 1) << "refused before it left";
  VenueCancel c;
  c.childId = ChildOrderId("a1");
  c.venueOrderId = vid;
  venue->cancel(c);
  ASSERT_TRUE(has("a1", VenueEventKind::Canceled));
  EXPECT_EQ(emu->orderStatus("a1"), "PartiallyFilledCanceled");
  EXPECT_EQ(sink.count("a1", VenueEventKind::Canceled), 1u);
}

TEST_F(BybitVenueTest, IocRemainderExpiresAndPostOnlyThatWouldTakeExpires) {
  startVenue();
  venue->submit(
      order("i1", "BTC-PERP", OrdType::Limit, "0.01", "29000", Side::Buy, TimeInForce::Ioc));
  ASSERT_TRUE(has("i1", VenueEventKind::Expired));
  auto po = order("p1", "BTC-PERP", OrdType::Limit, "0.01", "31000");
  po.attrs.postOnly = true;
  venue->submit(po);
  ASSERT_TRUE(has("p1", VenueEventKind::Expired));
  EXPECT_NE(sink.of("p1", VenueEventKind::Expired)[0].text.find("EC_PostOnlyWillTakeLiquidity"),
            std::string::npos);
}

TEST_F(BybitVenueTest, AdoptedOrdersAreReconciledByTheSnapshotAndStayTradeable) {
  startVenue();
  venue->submit(order("x1", "BTC-PERP", OrdType::Limit, "0.02", "29000"));
  ASSERT_TRUE(has("x1", VenueEventKind::Accepted));
  ASSERT_TRUE(emu->fill("x1", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(has("x1", VenueEventKind::Fill));
  const VenueOrderId vid = sink.of("x1", VenueEventKind::Accepted)[0].venueOrderId;
  venue->stop();
  venue.reset();
  ASSERT_TRUE(emu->fill("x1", Qty::of("0.005"), Price::of("29000")));  // while we were away

  Sink fresh;
  venue = makeBybitVenue(VenueId("bybit"), cfg, Credentials{kKey, kSecret}, im, clock);
  VenueOrderState st;
  st.childId = ChildOrderId("x1");
  st.venueOrderId = vid;
  st.symbol = Symbol("BTC-PERP");
  st.qty = Qty::of("0.02");
  st.cumQty = Qty::of("0.005");
  st.price = Price::of("29000");
  venue->adoptOpenOrders({st});
  std::optional<VenueSnapshot> snap;
  std::mutex m;
  venue->requestSnapshot(0, [&](VenueSnapshot s) {
    std::lock_guard lk(m);
    snap = std::move(s);
  });
  venue->start(fresh);
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(m);
    return snap.has_value();
  }));
  ASSERT_TRUE(snap->ok) << snap->error;
  ASSERT_EQ(snap->orders.size(), 1u);
  EXPECT_EQ(snap->orders[0].childId.str(), "x1");
  EXPECT_EQ(snap->orders[0].symbol.str(), "BTC-PERP");
  EXPECT_EQ(snap->orders[0].cumQty, Qty::of("0.01"));
  ASSERT_EQ(snap->fills.size(), 2u);
  for (const auto& f : snap->fills) EXPECT_EQ(f.childId.str(), "x1");
  VenueCancel c;
  c.childId = ChildOrderId("x1");
  c.venueOrderId = vid;
  venue->cancel(c);
  ASSERT_TRUE(waitFor([&] { return fresh.count("x1", VenueEventKind::Canceled) == 1; }));
  EXPECT_EQ(emu->orderStatus("x1"), "PartiallyFilledCanceled");
}

TEST_F(BybitVenueTest, AWrongSecretIsRefusedTheVenuesWay) {
  startVenue("not-the-secret", false);
  venue->submit(order("w1", "BTC-PERP", OrdType::Limit, "0.01", "29000"));
  ASSERT_TRUE(has("w1", VenueEventKind::Rejected));
  const std::string text = sink.of("w1", VenueEventKind::Rejected)[0].text;
  EXPECT_NE(text.find("10004"), std::string::npos) << text;
  EXPECT_EQ(text.find(kKey), std::string::npos)
      << "Bybit echoes the signed string; the API key is redacted: " << text;
  EXPECT_NE(text.find("<redacted>"), std::string::npos) << text;
  EXPECT_TRUE(waitFor([&] { return emu->signatureFailures() >= 2; }))
      << "REST and the WebSocket auth both refused";
  EXPECT_EQ(emu->authenticatedStreams(), 0);
}

TEST_F(BybitVenueTest, TheStreamIsKeptAliveWithTheOpPing) {
  cfg.pingIntervalMs = 2'000;
  startVenue();
  const int before = emu->pingsReceived();
  ASSERT_TRUE(waitFor([&] { return emu->pingsReceived() > before; }))
      << "a ping every ping_interval_ms (of the manual clock)";
}

TEST_F(BybitVenueTest, AContractSizeOtherThanOneIsRefusedAtStartOrNotTradable) {
  Instrument other;  // another venue's swap in the shared master: not tradable here
  other.symbol = Symbol("ETH-SWAP");
  other.marginMode = "cross";
  other.contractSize = Qty::of("0.1");
  im.add(other);
  startVenue();
  venue->submit(order("e1", "ETH-SWAP", OrdType::Limit, "1", "2000"));
  ASSERT_TRUE(has("e1", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("e1", VenueEventKind::Rejected)[0].text.find("contract_size 0.1"),
            std::string::npos);
  Instrument odd;  // names this venue: a start-up error
  odd.symbol = Symbol("ETH-PERP");
  odd.marginMode = "isolated";
  odd.contractSize = Qty::of("0.01");
  odd.venueSymbols["bybit"] = "ETHUSDT";
  im.add(odd);
  try {
    makeBybitVenue(VenueId("bybit"), cfg, Credentials{kKey, kSecret}, im, clock);
    ADD_FAILURE() << "a contract size Bybit does not have is a start-up error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ETH-PERP: contract_size 0.01"), std::string::npos)
        << e.what();
  }
}

TEST_F(BybitVenueTest, MarketDataBookSnapshotDeltasAndTradesPerCategory) {
  startVenue();
  MdSink perp, spot;
  EXPECT_FALSE(venue->subscribeMarketData(Symbol("ETH/USDT"), perp, 0).ok);
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC-PERP"), perp, 2).ok);
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC/USDT"), spot, 0).ok);
  ASSERT_TRUE(waitFor([&] { return perp.bookCount() >= 1 && spot.bookCount() >= 1; }));
  TopOfBook b = perp.lastBook();
  EXPECT_EQ(b.symbol.str(), "BTC-PERP");
  EXPECT_EQ(*b.bidPx, Price::of("29999.9"));
  EXPECT_EQ(b.bidQty, Qty::of("1.5"));
  EXPECT_EQ(*b.askPx, Price::of("30000.1"));
  ASSERT_EQ(b.bids.size(), 2u);
  EXPECT_EQ(b.bids[1].price, Price::of("29999.8"));
  EXPECT_TRUE(spot.lastBook().bids.empty()) << "top only when no depth was asked";
  emu->trade("linear", "BTCUSDT", Price::of("30100"));
  ASSERT_TRUE(waitFor([&] { return perp.tradeCount() >= 1 && perp.bookCount() >= 2; }));
  {
    std::lock_guard lk(perp.mu);
    EXPECT_EQ(perp.trades[0].price, Price::of("30100"));
    EXPECT_EQ(perp.trades[0].symbol.str(), "BTC-PERP");
  }
  b = perp.lastBook();
  EXPECT_EQ(*b.bidPx, Price::of("30099.9")) << "the delta replaced the old levels";
  ASSERT_EQ(b.bids.size(), 2u);
  EXPECT_EQ(b.asks[1].price, Price::of("30100.2"));
  EXPECT_EQ(spot.tradeCount(), 0u) << "another category's print";
  EXPECT_EQ(*venue->referencePrice(Symbol("BTC-PERP")), Price::of("30100"));

  // A dropped public connection is reopened and resubscribed: a new snapshot.
  const size_t before = perp.bookCount();
  emu->dropPublicStreams();
  ASSERT_TRUE(waitFor([&] { return perp.bookCount() > before; }));
  EXPECT_EQ(*perp.lastBook().bidPx, Price::of("30099.9"));
  EXPECT_EQ(sink.countKind(VenueEventKind::Disconnected), 0u) << "the private stream stayed up";

  emu->sendOnPublicStreams(R"({"topic":"orderbook.50.BTCUSDT","type":"delta","data":{"s":)");
  venue->unsubscribeMarketData(Symbol("BTC-PERP"), perp);
  const size_t books = perp.bookCount(), trades = perp.tradeCount();
  emu->trade("linear", "BTCUSDT", Price::of("30200"));
  ASSERT_TRUE(
      waitFor([&] { return *venue->referencePrice(Symbol("BTC-PERP")) == Price::of("30200"); }));
  EXPECT_EQ(perp.bookCount(), books) << "not called after unsubscribe";
  EXPECT_EQ(perp.tradeCount(), trades);
}

}  // namespace
