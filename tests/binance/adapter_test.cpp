// The Binance adapter against the Binance emulator over real HTTPS and a
// real WebSocket on loopback: order types, the fill stream, dedupe, rate
// limits, failure handling, stream loss with REST fallback, reconciliation.
// Adapter and emulator share a manual clock, so rate-limit windows and
// keep-alive timers are driven by the test, not by waiting.
#include "venue_adapters/binance/adapter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "tests/binance/test_data.h"
#include "venue_adapters/binance/emulator.h"

using namespace fixgw;
using namespace fixgw::binance;

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

 private:
  mutable std::mutex mu_;
  std::vector<VenueEvent> events_;
};

class BinanceVenueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emu = std::make_unique<BinanceEmulator>(
        EmulatorOptions{kKey, kSecret, binanceTestData("exchange_info.json"), &clock});
    emu->start();
    emu->setLastPrice("BTCUSDT", Price::of("60000"));
    Instrument btc;
    btc.symbol = Symbol("BTC/USDT");
    btc.currency = "USDT";
    im.add(btc);
    cfg.restHost = "127.0.0.1";
    cfg.restPort = emu->port();
    cfg.serverName = "localhost";
    cfg.caPem = emu->certPem();
    cfg.wsHost = cfg.restHost;
    cfg.wsPort = cfg.restPort;
    cfg.pollIntervalMs = 50;
    cfg.reconnectMs = 50;
    cfg.readTimeoutMs = 5000;
  }
  void TearDown() override {
    if (venue) venue->stop();
    emu->stop();
  }

  void startVenue(const std::string& secret = kSecret) {
    venue = makeBinanceVenue(VenueId("binance"), cfg, Credentials{kKey, secret}, im, clock);
    venue->start(sink);
    ASSERT_TRUE(waitFor([&] { return emu->openStreams() == 1; })) << "user data stream connects";
  }

  // Waits for pred, advancing the shared clock 10 ms per step (timers fire in
  // virtual time); gives up after 1000 steps. Never asserts on time.
  template <class P>
  bool waitFor(P pred, bool advance = true) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      if (advance) clock.advance(10'000'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  VenueNewOrder order(const std::string& id, OrdType t, TimeInForce tif, const char* qty,
                      const char* px = nullptr, const char* stop = nullptr, Side side = Side::Buy) {
    VenueNewOrder o;
    o.childId = ChildOrderId(id);
    o.symbol = Symbol("BTC/USDT");
    o.side = side;
    o.ordType = t;
    o.tif = tif;
    o.qty = Qty::of(qty);
    if (px) o.price = Price::of(px);
    if (stop) o.stopPx = Price::of(stop);
    return o;
  }

  bool has(const std::string& child, VenueEventKind k, size_t n = 1) {
    return waitFor([&] { return sink.count(child, k) >= n; });
  }

  // Starts on a whole minute, so the venue's per-minute weight window does
  // not turn over in the middle of a test by chance.
  ManualClock clock{SystemClock::instance().wallNow() / 60'000'000'000LL * 60'000'000'000LL};
  std::unique_ptr<BinanceEmulator> emu;
  InstrumentMaster im;
  BinanceConfig cfg;
  std::unique_ptr<VenueAdapter> venue;
  Sink sink;
};

TEST_F(BinanceVenueTest, LimitGtcRestsThenFillsFromTheStreamWithFee) {
  startVenue();
  venue->submit(order("c1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("c1", VenueEventKind::Accepted));
  EXPECT_NE(emu->lastOrderParams().find(
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&"
                "price=59000&newClientOrderId=c1&newOrderRespType=FULL&recvWindow="),
            std::string::npos)
      << emu->lastOrderParams();
  EXPECT_FALSE(sink.of("c1", VenueEventKind::Accepted)[0].venueOrderId.empty());
  EXPECT_EQ(sink.count("c1", VenueEventKind::Fill), 0u);

  emu->trade("BTCUSDT", Price::of("58900"));  // trades through the limit
  ASSERT_TRUE(has("c1", VenueEventKind::Fill));
  auto f = sink.of("c1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastQty, Qty::of("0.001"));
  EXPECT_EQ(f.lastPx, Price::of("59000"));
  EXPECT_EQ(f.cumQty, Qty::of("0.001"));
  EXPECT_EQ(f.leavesQty, Qty());
  ASSERT_TRUE(f.fee.has_value());
  EXPECT_EQ(*f.fee, Qty::of("0.000001"));  // 0.1% of 0.001 BTC, charged in BTC
  EXPECT_EQ(f.feeCurrency, "BTC");
  EXPECT_EQ(f.venueExecId.str().rfind("BTCUSDT:", 0), 0u);
  EXPECT_EQ(emu->signatureFailures(), 0);
  // exchangeInfo, listen key, order: one kept-alive REST connection, plus the stream's.
  EXPECT_EQ(emu->connectionsAccepted(), 2u);
}

TEST_F(BinanceVenueTest, MarketOrderFillsOnceAndADuplicateStreamEventIsIgnored) {
  startVenue();
  venue->submit(order("m1", OrdType::Market, TimeInForce::Day, "0.002"));
  ASSERT_TRUE(has("m1", VenueEventKind::Fill));
  auto f = sink.of("m1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastPx, Price::of("60000"));
  EXPECT_EQ(f.lastQty, Qty::of("0.002"));
  EXPECT_EQ(sink.count("m1", VenueEventKind::Accepted), 1u);

  // The same trade delivered again, then a later event as a marker: once the
  // marker is seen the duplicate has been processed (the stream is ordered).
  venue->submit(order("r1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("r1", VenueEventKind::Accepted));
  emu->replayLastTrade();
  ASSERT_TRUE(emu->fill("r1", Qty::of("0.0005"), Price::of("59000")));
  ASSERT_TRUE(has("r1", VenueEventKind::Fill));
  EXPECT_EQ(sink.count("m1", VenueEventKind::Fill), 1u) << "fills are booked once per trade id";
  EXPECT_EQ(sink.of("r1", VenueEventKind::Fill)[0].leavesQty, Qty::of("0.0005"));
}

TEST_F(BinanceVenueTest, IocThatCannotFillExpiresAndFokThatCanFills) {
  startVenue();
  venue->submit(order("i1", OrdType::Limit, TimeInForce::Ioc, "0.001", "59000"));
  ASSERT_TRUE(has("i1", VenueEventKind::Expired));
  EXPECT_EQ(sink.count("i1", VenueEventKind::Fill), 0u);
  venue->submit(order("f1", OrdType::Limit, TimeInForce::Fok, "0.001", "60100"));
  ASSERT_TRUE(has("f1", VenueEventKind::Fill));
  EXPECT_NE(emu->lastOrderParams().find("timeInForce=FOK"), std::string::npos);
}

TEST_F(BinanceVenueTest, PostOnlyGoesAsLimitMakerAndOneThatWouldTakeIsRejected) {
  startVenue();
  auto po = order("p1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000");
  po.attrs.postOnly = true;
  venue->submit(po);
  ASSERT_TRUE(has("p1", VenueEventKind::Accepted));
  EXPECT_NE(emu->lastOrderParams().find("type=LIMIT_MAKER&quantity=0.001&price=59000"),
            std::string::npos);
  auto taker = order("p2", OrdType::Limit, TimeInForce::Gtc, "0.001", "60000");
  taker.attrs.postOnly = true;
  venue->submit(taker);
  ASSERT_TRUE(has("p2", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("p2", VenueEventKind::Rejected)[0].text,
            "binance -2010: Order would immediately match and take.");
}

TEST_F(BinanceVenueTest, StopAndStopLimitTriggerOnTheTradeThroughTheirStop) {
  startVenue();
  venue->submit(
      order("s1", OrdType::Stop, TimeInForce::Gtc, "0.001", nullptr, "59000", Side::Sell));
  ASSERT_TRUE(has("s1", VenueEventKind::Accepted));
  EXPECT_NE(emu->lastOrderParams().find("type=STOP_LOSS&quantity=0.001&stopPrice=59000"),
            std::string::npos);
  venue->submit(
      order("s2", OrdType::StopLimit, TimeInForce::Gtc, "0.001", "58900", "59000", Side::Sell));
  ASSERT_TRUE(has("s2", VenueEventKind::Accepted));
  EXPECT_NE(
      emu->lastOrderParams().find("type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=0.001&price=58900&"
                                  "stopPrice=59000"),
      std::string::npos);
  emu->trade("BTCUSDT", Price::of("58950"));
  ASSERT_TRUE(has("s1", VenueEventKind::Fill));
  ASSERT_TRUE(has("s2", VenueEventKind::Fill));
  EXPECT_EQ(sink.of("s1", VenueEventKind::Fill)[0].lastPx, Price::of("58950"));
  EXPECT_EQ(sink.of("s2", VenueEventKind::Fill)[0].lastPx, Price::of("58900"));
  // A sell fee is charged in the quote asset: 0.1% of 58.9 USDT.
  EXPECT_EQ(*sink.of("s2", VenueEventKind::Fill)[0].fee, Qty::of("0.0589"));
  EXPECT_EQ(sink.of("s2", VenueEventKind::Fill)[0].feeCurrency, "USDT");
}

TEST_F(BinanceVenueTest, AnOrderBreakingAFilterIsRejectedBeforeItLeaves) {
  startVenue();
  venue->submit(order("x1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000.005"));
  ASSERT_TRUE(has("x1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("x1", VenueEventKind::Rejected)[0].text,
            "PRICE_FILTER: price 59000.005 is not a multiple of tickSize 0.01");
  venue->submit(order("x2", OrdType::Limit, TimeInForce::Gtc, "0.00001", "100"));
  ASSERT_TRUE(has("x2", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("x2", VenueEventKind::Rejected)[0].text,
            "NOTIONAL: price * quantity 0.001 is below minNotional 5");
  venue->submit(order("x3", OrdType::Limit, TimeInForce::Day, "0.001", "59000"));
  ASSERT_TRUE(has("x3", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("x3", VenueEventKind::Rejected)[0].text.find("TimeInForce DAY"),
            std::string::npos);
  EXPECT_EQ(emu->requests("/api/v3/order"), 0) << "nothing was sent";
}

TEST_F(BinanceVenueTest, CancelARestingOrder) {
  startVenue();
  venue->submit(order("k1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("k1", VenueEventKind::Accepted));
  auto acc = sink.of("k1", VenueEventKind::Accepted)[0];
  venue->cancel(VenueCancel{ChildOrderId("k1"), acc.venueOrderId, Symbol("BTC/USDT"), Side::Buy});
  ASSERT_TRUE(has("k1", VenueEventKind::Canceled));
  EXPECT_EQ(emu->orderStatus("k1"), "CANCELED");
  // The stream's own CANCELED report does not make a second one.
  venue->submit(order("k2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("k2", VenueEventKind::Accepted));
  EXPECT_EQ(sink.count("k1", VenueEventKind::Canceled), 1u);
  // Cancelling it again is refused, not sent.
  venue->cancel(VenueCancel{ChildOrderId("k1"), acc.venueOrderId, Symbol("BTC/USDT"), Side::Buy});
  ASSERT_TRUE(has("k1", VenueEventKind::CancelRejected));
}

TEST_F(BinanceVenueTest, ReplaceSizesTheNewOrderFromWhatTheCancelSaysWasFilled) {
  startVenue();
  venue->submit(order("q1", OrdType::Limit, TimeInForce::Gtc, "0.002", "59000"));
  ASSERT_TRUE(has("q1", VenueEventKind::Accepted));
  auto acc = sink.of("q1", VenueEventKind::Accepted)[0];
  // A fill lands just before the replace; the adapter may not have seen it yet.
  ASSERT_TRUE(emu->fill("q1", Qty::of("0.0005"), Price::of("59000")));
  venue->replace(VenueReplace{ChildOrderId("q1"), acc.venueOrderId, Symbol("BTC/USDT"), Side::Buy,
                              Qty::of("0.003"), Price::of("59100"), std::nullopt});
  ASSERT_TRUE(has("q1", VenueEventKind::Replaced));
  auto rep = sink.of("q1", VenueEventKind::Replaced)[0];
  EXPECT_EQ(rep.newQty, Qty::of("0.003"));
  EXPECT_EQ(*rep.newPrice, Price::of("59100"));
  EXPECT_NE(rep.venueOrderId, acc.venueOrderId);
  // New total 0.003 less the 0.0005 filled: 0.0025 sent, never 0.003.
  EXPECT_NE(emu->lastOrderParams().find("quantity=0.0025&price=59100&newClientOrderId=q1"),
            std::string::npos)
      << emu->lastOrderParams();
  ASSERT_TRUE(has("q1", VenueEventKind::Fill));
  EXPECT_EQ(sink.count("q1", VenueEventKind::Canceled), 0u)
      << "the replaced-away order's cancel is not reported";
  // The new order fills; cum spans both Binance orders.
  emu->trade("BTCUSDT", Price::of("59050"));
  ASSERT_TRUE(has("q1", VenueEventKind::Fill, 2));
  auto last = sink.of("q1", VenueEventKind::Fill).back();
  EXPECT_EQ(last.lastQty, Qty::of("0.0025"));
  EXPECT_EQ(last.cumQty, Qty::of("0.003"));
  EXPECT_EQ(last.leavesQty, Qty());
}

TEST_F(BinanceVenueTest, A429IsHonouredForItsRetryAfter) {
  startVenue();
  emu->failNext(429, 1, 5);
  venue->submit(order("h1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("h1", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_NE(sink.of("h1", VenueEventKind::Rejected)[0].text.find("HTTP 429, retry after 5 s"),
            std::string::npos)
      << sink.of("h1", VenueEventKind::Rejected)[0].text;
  const int sent = emu->requests("/api/v3/order");
  EXPECT_EQ(sent, 1);
  // Within the window (the clock does not move): refused without sending.
  venue->submit(order("h2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("h2", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_NE(sink.of("h2", VenueEventKind::Rejected)[0].text.find("not sending for another"),
            std::string::npos);
  EXPECT_EQ(emu->requests("/api/v3/order"), sent);
  // After Retry-After, orders flow again.
  clock.advance(6'000'000'000LL);
  venue->submit(order("h3", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("h3", VenueEventKind::Accepted));
}

TEST_F(BinanceVenueTest, A418BanStopsSendingForItsDefaultTwoMinutes) {
  startVenue();
  emu->failNext(418);  // no Retry-After header: the adapter assumes 120 s
  venue->submit(order("b1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("b1", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_NE(sink.of("b1", VenueEventKind::Rejected)[0].text.find("HTTP 418, retry after 120 s"),
            std::string::npos)
      << sink.of("b1", VenueEventKind::Rejected)[0].text;
  clock.advance(60'000'000'000LL);
  venue->submit(order("b2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("b2", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_EQ(emu->requests("/api/v3/order"), 1) << "nothing sent while banned";
  clock.advance(61'000'000'000LL);
  venue->submit(order("b3", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("b3", VenueEventKind::Accepted));
}

TEST_F(BinanceVenueTest, UsedWeightAtTheConfiguredMaximumStopsSendingUntilTheMinuteTurns) {
  // Start-up costs the server time (1) + exchangeInfo (20) + the listen key
  // (1): the emulator's X-MBX-USED-WEIGHT-1M then reads 22, the configured
  // maximum.
  cfg.maxWeight1m = 22;
  startVenue();
  venue->submit(order("g1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("g1", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_NE(sink.of("g1", VenueEventKind::Rejected)[0].text.find(
                "has reached max_weight_1m 22: not sending until the minute turns"),
            std::string::npos)
      << sink.of("g1", VenueEventKind::Rejected)[0].text;
  EXPECT_EQ(emu->requests("/api/v3/order"), 0);
  clock.advance(60'000'000'000LL);
  venue->submit(order("g2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("g2", VenueEventKind::Accepted));
}

TEST_F(BinanceVenueTest, A5xxOrGarbledAnswerIsLookedUpNotGuessed) {
  startVenue();
  emu->failNext(503);
  venue->submit(order("u1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("u1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("u1", VenueEventKind::Rejected)[0].text,
            "order not placed: HTTP 503 (execution status unknown)");
  emu->garbleNext();
  venue->submit(order("u2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("u2", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("u2", VenueEventKind::Rejected)[0].text,
            "order not placed: unreadable order response");
  EXPECT_GE(emu->requests("/api/v3/order"), 4) << "each was followed by a status query";
}

TEST_F(BinanceVenueTest, StreamDropFallsBackToRestPollingThenReconnects) {
  startVenue();
  venue->submit(order("d1", OrdType::Limit, TimeInForce::Gtc, "0.002", "59000"));
  ASSERT_TRUE(has("d1", VenueEventKind::Accepted));
  emu->refuseStreams(true);
  emu->dropStreams();
  ASSERT_TRUE(waitFor([&] { return emu->openStreams() == 0; }));
  ASSERT_TRUE(has("", VenueEventKind::Disconnected));
  // A fill while the stream is down reaches us by REST (order + myTrades).
  ASSERT_TRUE(emu->fill("d1", Qty::of("0.001"), Price::of("59000")));
  ASSERT_TRUE(has("d1", VenueEventKind::Fill));
  auto f = sink.of("d1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastQty, Qty::of("0.001"));
  EXPECT_EQ(f.feeCurrency, "BTC");
  EXPECT_GT(emu->requests("/api/v3/myTrades"), 0);
  // The stream comes back; the next fill arrives once, by whichever path.
  emu->refuseStreams(false);
  ASSERT_TRUE(waitFor([&] { return emu->openStreams() == 1; }));
  EXPECT_EQ(emu->streamsOpened(), 2);
  ASSERT_TRUE(has("", VenueEventKind::Reconnected));
  EXPECT_EQ(sink.count("", VenueEventKind::Disconnected), 1u);
  ASSERT_TRUE(emu->fill("d1", Qty::of("0.001"), Price::of("59000")));
  ASSERT_TRUE(has("d1", VenueEventKind::Fill, 2));
  EXPECT_EQ(sink.of("d1", VenueEventKind::Fill).back().cumQty, Qty::of("0.002"));
}

TEST_F(BinanceVenueTest, ExpiredListenKeyIsRenewedAndKeptAlive) {
  startVenue();
  emu->expireListenKey();
  ASSERT_TRUE(waitFor([&] { return emu->streamsOpened() == 2 && emu->openStreams() == 1; }));
  // The adapter's side of the reconnect is complete (keep-alive timer set).
  ASSERT_TRUE(has("", VenueEventKind::Reconnected));
  EXPECT_EQ(emu->keepalives(), 0);
  clock.advance(31LL * 60 * 1'000'000'000);
  ASSERT_TRUE(waitFor([&] { return emu->keepalives() == 1; }));
}

TEST_F(BinanceVenueTest, SnapshotListsOpenOrdersAndFillsForReconciliation) {
  startVenue();
  const WallNanos since = clock.wallNow() - 1'000'000'000;
  venue->submit(order("n1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  venue->submit(order("n2", OrdType::Market, TimeInForce::Day, "0.001"));
  ASSERT_TRUE(has("n1", VenueEventKind::Accepted));
  ASSERT_TRUE(has("n2", VenueEventKind::Fill));
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
  EXPECT_EQ(snap->orders[0].childId.str(), "n1");
  EXPECT_EQ(snap->orders[0].symbol.str(), "BTC/USDT");
  EXPECT_EQ(snap->orders[0].qty, Qty::of("0.001"));
  ASSERT_EQ(snap->fills.size(), 1u);
  EXPECT_EQ(snap->fills[0].childId.str(), "n2");
  EXPECT_EQ(snap->fills[0].venueExecId, sink.of("n2", VenueEventKind::Fill)[0].venueExecId);
}

TEST_F(BinanceVenueTest, AdoptedOrderFromBeforeARestartGetsItsNewFillsOnly) {
  startVenue();
  venue->submit(order("a1", OrdType::Limit, TimeInForce::Gtc, "0.003", "59000"));
  ASSERT_TRUE(has("a1", VenueEventKind::Accepted));
  ASSERT_TRUE(emu->fill("a1", Qty::of("0.001"), Price::of("59000")));
  ASSERT_TRUE(has("a1", VenueEventKind::Fill));
  auto acc = sink.of("a1", VenueEventKind::Accepted)[0];
  venue->stop();
  venue.reset();

  // A new adapter instance (gateway restart) adopts what the journal holds.
  emu->refuseStreams(true);  // and must poll: no stream
  Sink sink2;
  auto v2 = makeBinanceVenue(VenueId("binance"), cfg, Credentials{kKey, kSecret}, im, clock);
  VenueOrderState st;
  st.childId = ChildOrderId("a1");
  st.venueOrderId = acc.venueOrderId;
  st.symbol = Symbol("BTC/USDT");
  st.qty = Qty::of("0.003");
  st.cumQty = Qty::of("0.001");
  st.price = Price::of("59000");
  st.ordType = OrdType::Limit;
  st.tif = TimeInForce::Gtc;
  v2->adoptOpenOrders({st});
  v2->start(sink2);
  ASSERT_TRUE(emu->fill("a1", Qty::of("0.0015"), Price::of("59000")));
  ASSERT_TRUE(waitFor([&] { return sink2.count("a1", VenueEventKind::Fill) >= 1; }));
  auto fills = sink2.of("a1", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 1u) << "the fill from before the restart is not booked again";
  EXPECT_EQ(fills[0].lastQty, Qty::of("0.0015"));
  EXPECT_EQ(fills[0].cumQty, Qty::of("0.0025"));
  v2->stop();
}

TEST_F(BinanceVenueTest, AWrongSecretIsRefusedByTheVenuesSignatureCheck) {
  startVenue("not-the-secret");
  venue->submit(order("w1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("w1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("w1", VenueEventKind::Rejected)[0].text,
            "binance -1022: Signature for this request is not valid.");
  EXPECT_GT(emu->signatureFailures(), 0);
}

// ------------------------------------------------------------ clock skew
// The gateway runs on a clock of its own here (gw), the emulator on `clock`,
// so the two can disagree the way a drifting host and Binance do.

TEST_F(BinanceVenueTest, AGatewayClockBehindBinanceIsMeasuredAtStartUp) {
  // 20 s behind: without the measured offset every signed request would be
  // outside the 5 s recvWindow.
  ManualClock gw{clock.wallNow() - 20'000'000'000LL};
  venue = makeBinanceVenue(VenueId("binance"), cfg, Credentials{kKey, kSecret}, im, gw);
  venue->start(sink);
  ASSERT_TRUE(waitFor([&] { return emu->openStreams() == 1; }, false));
  EXPECT_EQ(emu->requests("/api/v3/time"), 1);
  venue->submit(order("k0", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("k0", VenueEventKind::Accepted) >= 1; }, false));
  EXPECT_EQ(sink.count("k0", VenueEventKind::Rejected), 0u);
  EXPECT_EQ(emu->requests("/api/v3/order"), 1) << "accepted at the first try";
  EXPECT_EQ(emu->orderStatus("k0"), "NEW");
}

TEST_F(BinanceVenueTest, MinusTenTwentyOneResyncsTheClockAndTheOrderIsAcceptedOnce) {
  ManualClock gw{clock.wallNow()};
  venue = makeBinanceVenue(VenueId("binance"), cfg, Credentials{kKey, kSecret}, im, gw);
  venue->start(sink);
  ASSERT_TRUE(waitFor([&] { return emu->openStreams() == 1; }, false));
  ASSERT_EQ(emu->requests("/api/v3/time"), 1);
  // The gateway's clock falls 20 s behind after start-up (Binance's moves on).
  clock.advance(20'000'000'000LL);
  venue->submit(order("k1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("k1", VenueEventKind::Accepted) >= 1; }, false));
  EXPECT_EQ(sink.count("k1", VenueEventKind::Rejected), 0u);
  EXPECT_EQ(emu->requests("/api/v3/time"), 2) << "resynced on -1021";
  EXPECT_EQ(emu->requests("/api/v3/order"), 2) << "the refused POST and one retry";
  EXPECT_EQ(emu->orderStatus("k1"), "NEW");
  // The new offset holds: the next order goes through at the first try.
  venue->submit(order("k2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("k2", VenueEventKind::Accepted) >= 1; }, false));
  EXPECT_EQ(emu->requests("/api/v3/order"), 3);
  EXPECT_EQ(emu->requests("/api/v3/time"), 2);
}

TEST_F(BinanceVenueTest, APersistentMinusTenTwentyOneIsAClearRejectNamingTheCause) {
  startVenue();
  emu->rejectTimestamps(-1);
  venue->submit(order("k3", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("k3", VenueEventKind::Rejected));
  const std::string text = sink.of("k3", VenueEventKind::Rejected)[0].text;
  EXPECT_NE(text.find("clock skew"), std::string::npos) << text;
  EXPECT_NE(text.find("-1021"), std::string::npos) << text;
  EXPECT_NE(text.find("Timestamp for this request is outside of the recvWindow."),
            std::string::npos)
      << text;
  EXPECT_EQ(emu->requests("/api/v3/time"), 2) << "one resync, then no retry loop";
  EXPECT_EQ(emu->requests("/api/v3/order"), 2) << "sent once, retried once";
  EXPECT_FALSE(emu->orderStatus("k3").has_value());
  EXPECT_EQ(sink.count("k3", VenueEventKind::Accepted), 0u);
}

}  // namespace

// Rate-limit headroom (admin API): the adapter reports Binance's own counters
// from its answers' X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-* headers against
// exchangeInfo's rateLimits.
TEST_F(BinanceVenueTest, RateLimitsReportTheVenueCountersAgainstExchangeInfo) {
  startVenue();
  auto find = [&](const std::string& name) -> std::optional<VenueRateLimit> {
    for (auto& l : venue->rateLimits())
      if (l.name == name) return l;
    return std::nullopt;
  };
  for (int i = 1; i <= 3; ++i) {
    const std::string id = "rl" + std::to_string(i);
    venue->submit(order(id, OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
    ASSERT_TRUE(waitFor([&] { return sink.count(id, VenueEventKind::Accepted) == 1; }, false));
  }
  // Whatever else the adapter sent meanwhile, its view is the emulator's last header.
  ASSERT_TRUE(waitFor(
      [&] {
        auto w = find("request_weight_1m");
        return w && w->used == emu->usedWeight1m();
      },
      false));
  auto w = find("request_weight_1m");
  EXPECT_EQ(w->limit, 6000);  // exchange_info.json's REQUEST_WEIGHT per 1 MINUTE
  EXPECT_EQ(w->windowMs, 60'000);
  EXPECT_EQ(w->source, "venue");
  EXPECT_GT(w->used, 3);  // the orders plus start-up calls (exchangeInfo weighs 20)
  EXPECT_EQ(w->headroom(), 6000 - w->used);
  EXPECT_GT(w->updatedAt, 0);

  auto o10 = find("orders_10s");
  ASSERT_TRUE(o10);
  EXPECT_EQ(emu->orderCount10s(), 3);
  EXPECT_EQ(o10->used, 3);
  EXPECT_EQ(o10->limit, 100);
  EXPECT_EQ(o10->headroom(), 97);
  EXPECT_EQ(o10->windowMs, 10'000);
  auto o1d = find("orders_1d");
  ASSERT_TRUE(o1d);
  EXPECT_EQ(o1d->used, 3);
  EXPECT_EQ(o1d->limit, 200000);
  // The venue's limit (6000) is above our guard's default: no separate local entry.
  EXPECT_FALSE(find("local_weight_1m"));

  // Binance's 10 s window turns: the count from the last window no longer applies.
  clock.advance(10'000'000'000);
  EXPECT_EQ(find("orders_10s")->used, 0);
  EXPECT_EQ(find("orders_1d")->used, 3);
}

TEST_F(BinanceVenueTest, RateLimitsShowTheLocalWeightGuardWhenItIsTighter) {
  cfg.maxWeight1m = 500;
  startVenue();
  venue->submit(order("lw1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("lw1", VenueEventKind::Accepted));
  std::optional<VenueRateLimit> local;
  ASSERT_TRUE(waitFor(
      [&] {
        for (auto& l : venue->rateLimits())
          if (l.name == "local_weight_1m") local = l;
        return local && local->used == emu->usedWeight1m();
      },
      false));
  EXPECT_EQ(local->limit, 500);
  EXPECT_EQ(local->source, "local");
  EXPECT_EQ(local->headroom(), 500 - emu->usedWeight1m());
}
