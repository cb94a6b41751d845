// The Coinbase adapter against the Coinbase emulator over real HTTPS and real
// WebSockets on loopback: JWT auth (and its refusal), order types, fills
// driven by the user channel with fees, dedupe, native edit, cancel, rate
// limits (own queue, 429 stop), a lost submit answer, stream loss with REST
// fallback, restart adoption, reconciliation and market data. Adapter and
// emulator share a manual clock, so JWT times, rate windows and retry-after
// are driven by the test, not by waiting.
#include "venue_adapters/coinbase/adapter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "tests/coinbase/test_data.h"
#include "venue_adapters/coinbase/auth.h"
#include "venue_adapters/coinbase/emulator.h"

using namespace fixgw;
using namespace fixgw::coinbase;

namespace {

const std::string kKeyName = "organizations/org-test/apiKeys/key-test";

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
  size_t count(VenueEventKind k) const {
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
  std::mutex mu;
  std::vector<TopOfBook> books;
  std::vector<Trade> trades;
};

class CoinbaseVenueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pem = generateEcPrivateKeyPem();
    std::string err;
    auto signer = Es256Signer::fromPem(pem, err);
    ASSERT_TRUE(signer) << err;
    EmulatorOptions eo;
    eo.keyName = kKeyName;
    eo.publicKeyPem = signer->publicKeyPem();
    eo.productsJson = coinbaseTestData("products.json");
    eo.clock = &clock;
    emu = std::make_unique<CoinbaseEmulator>(eo);
    emu->start();
    emu->setLastPrice("BTC-USD", Price::of("60000"));
    Instrument btc;
    btc.symbol = Symbol("BTC/USD");
    btc.currency = "USD";
    im.add(btc);
    cfg.restHost = "127.0.0.1";
    cfg.restPort = emu->port();
    cfg.serverName = "localhost";
    cfg.uriHost = "localhost";
    cfg.caPem = emu->certPem();
    cfg.wsHost = cfg.mdWsHost = cfg.restHost;
    cfg.wsPort = cfg.mdWsPort = cfg.restPort;
    cfg.pollIntervalMs = 50;
    cfg.reconnectMs = 50;
    cfg.readTimeoutMs = 5000;
    cfg.backoffBaseMs = 5;
  }
  void TearDown() override {
    if (venue) venue->stop();
    emu->stop();
  }

  void startVenue(bool waitForStream = true) {
    venue = makeCoinbaseVenue(VenueId("COINBASE"), cfg, Credentials{kKeyName, pem}, im, clock);
    venue->start(sink);
    if (waitForStream) {
      ASSERT_TRUE(waitFor([&] { return emu->userSubscriptions() >= 1; }))
          << "user channel subscribed (" << emu->lastAuthFailure() << ")";
    }
  }

  // Waits for pred, advancing the shared clock 10 ms per step; gives up after
  // 1000 steps. Never asserts on time.
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
    o.symbol = Symbol("BTC/USD");
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

  ManualClock clock{SystemClock::instance().wallNow()};
  std::string pem;
  std::unique_ptr<CoinbaseEmulator> emu;
  InstrumentMaster im;
  CoinbaseConfig cfg;
  std::unique_ptr<VenueAdapter> venue;
  Sink sink;
};

TEST_F(CoinbaseVenueTest, LimitGtcRestsThenFillsFromTheUserChannelWithFeeInQuote) {
  startVenue();
  venue->submit(order("c1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("c1", VenueEventKind::Accepted));
  EXPECT_EQ(emu->lastOrderBody(),
            R"({"client_order_id":"c1","product_id":"BTC-USD","side":"BUY",)"
            R"("order_configuration":{"limit_limit_gtc":{"base_size":"0.001",)"
            R"("limit_price":"59000","post_only":false}}})");
  EXPECT_FALSE(sink.of("c1", VenueEventKind::Accepted)[0].venueOrderId.empty());
  EXPECT_EQ(sink.count("c1", VenueEventKind::Fill), 0u);

  emu->trade("BTC-USD", Price::of("58900"));  // trades through the limit
  ASSERT_TRUE(has("c1", VenueEventKind::Fill));
  auto f = sink.of("c1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastQty, Qty::of("0.001"));
  EXPECT_EQ(f.lastPx, Price::of("59000"));
  EXPECT_EQ(f.cumQty, Qty::of("0.001"));
  EXPECT_EQ(f.leavesQty, Qty());
  ASSERT_TRUE(f.fee.has_value());
  EXPECT_EQ(*f.fee, Qty::of("0.236"));  // maker 0.40% of 59 USD
  EXPECT_EQ(f.feeCurrency, "USD");
  EXPECT_EQ(f.venueExecId.str().rfind("BTC-USD:", 0), 0u);
  EXPECT_EQ(emu->authFailures(), 0) << emu->lastAuthFailure();

  // A duplicate delivery of the update books nothing twice.
  emu->replayLastUpdate();
  venue->submit(order("c1b", OrdType::Limit, TimeInForce::Gtc, "0.001", "50000"));
  ASSERT_TRUE(has("c1b", VenueEventKind::Accepted));
  EXPECT_EQ(sink.count("c1", VenueEventKind::Fill), 1u);
}

TEST_F(CoinbaseVenueTest, MarketOrderFillsInPartsWithTakerFees) {
  startVenue();
  emu->setFillParts(3);
  venue->submit(order("m1", OrdType::Market, TimeInForce::Ioc, "0.003"));
  ASSERT_TRUE(has("m1", VenueEventKind::Fill, 3));
  auto fills = sink.of("m1", VenueEventKind::Fill);
  EXPECT_NE(emu->lastOrderBody().find(R"("market_market_ioc":{"base_size":"0.003"})"),
            std::string::npos)
      << emu->lastOrderBody();
  Qty total;
  for (const auto& f : fills) {
    EXPECT_EQ(f.lastQty, Qty::of("0.001"));
    EXPECT_EQ(*f.fee, Qty::of("0.36"));  // taker 0.60% of 60 USD
    total += f.lastQty;
  }
  EXPECT_EQ(total, Qty::of("0.003"));
  EXPECT_EQ(fills.back().cumQty, Qty::of("0.003"));
  EXPECT_EQ(fills.back().leavesQty, Qty());
  EXPECT_EQ(sink.count("m1", VenueEventKind::Expired), 0u);
}

TEST_F(CoinbaseVenueTest, CoinbaseRejectCarriesItsErrorCodes) {
  startVenue();
  emu->rejectNextOrder("INSUFFICIENT_FUND", "Insufficient balance in source account",
                       "PREVIEW_INSUFFICIENT_FUND");
  venue->submit(order("r1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("r1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("r1", VenueEventKind::Rejected)[0].text,
            "coinbase: INSUFFICIENT_FUND / PREVIEW_INSUFFICIENT_FUND: Insufficient balance in "
            "source account");
  // A post-only order that would cross is refused by Coinbase with its code.
  auto po = order("r2", OrdType::Limit, TimeInForce::Gtc, "0.001", "61000");
  po.attrs.postOnly = true;
  venue->submit(po);
  ASSERT_TRUE(has("r2", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("r2", VenueEventKind::Rejected)[0].text.find("INVALID_LIMIT_PRICE_POST_ONLY"),
            std::string::npos);
}

TEST_F(CoinbaseVenueTest, AnOrderBreakingAProductRuleIsRejectedBeforeItLeaves) {
  startVenue();
  venue->submit(order("f1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000.005"));
  venue->submit(order("f2", OrdType::Limit, TimeInForce::Gtc, "0.00001", "59000"));
  venue->submit(order("f3", OrdType::Stop, TimeInForce::Gtc, "0.001", nullptr, "59000"));
  ASSERT_TRUE(has("f3", VenueEventKind::Rejected));
  ASSERT_TRUE(has("f2", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("f1", VenueEventKind::Rejected)[0].text,
            "quote_increment: limit_price 59000.005 is not a multiple of 0.01");
  EXPECT_EQ(sink.of("f2", VenueEventKind::Rejected)[0].text,
            "quote_min_size: notional 0.59 is below 1");
  EXPECT_NE(sink.of("f3", VenueEventKind::Rejected)[0].text.find("stop-market"), std::string::npos);
  EXPECT_EQ(emu->createRequests(), 0) << "nothing left the gateway";
}

TEST_F(CoinbaseVenueTest, EditIsNativeAndSizedAsATotalThenCancel) {
  startVenue();
  venue->submit(order("e1", OrdType::Limit, TimeInForce::Gtc, "0.002", "59000"));
  ASSERT_TRUE(has("e1", VenueEventKind::Accepted));
  ASSERT_TRUE(emu->fill("e1", Qty::of("0.0005"), Price::of("59000")));
  ASSERT_TRUE(has("e1", VenueEventKind::Fill));

  VenueReplace r;
  r.childId = ChildOrderId("e1");
  r.symbol = Symbol("BTC/USD");
  r.newQty = Qty::of("0.003");
  r.newPrice = Price::of("59100");
  venue->replace(r);
  ASSERT_TRUE(has("e1", VenueEventKind::Replaced));
  auto rep = sink.of("e1", VenueEventKind::Replaced)[0];
  EXPECT_EQ(rep.newQty, Qty::of("0.003"));
  EXPECT_EQ(rep.cumQty, Qty::of("0.0005"));
  EXPECT_EQ(rep.leavesQty, Qty::of("0.0025"));
  EXPECT_NE(emu->lastEditBody().find(R"("price":"59100","size":"0.003")"), std::string::npos)
      << emu->lastEditBody();
  EXPECT_EQ(emu->createRequests(), 1) << "an edit, not cancel-then-new";

  r.newQty = Qty::of("0.0004");  // below what filled
  venue->replace(r);
  ASSERT_TRUE(has("e1", VenueEventKind::ReplaceRejected));
  EXPECT_NE(sink.of("e1", VenueEventKind::ReplaceRejected)[0].text.find("does not exceed filled"),
            std::string::npos);

  VenueCancel c;
  c.childId = ChildOrderId("e1");
  venue->cancel(c);
  ASSERT_TRUE(has("e1", VenueEventKind::Canceled));
  EXPECT_EQ(sink.of("e1", VenueEventKind::Canceled)[0].cumQty, Qty::of("0.0005"));
  EXPECT_EQ(emu->orderStatus("e1"), "CANCELLED");
}

TEST_F(CoinbaseVenueTest, AStopLimitIsReplacedByCancelThenNewSizedByWhatFilled) {
  startVenue();
  venue->submit(order("s1", OrdType::StopLimit, TimeInForce::Gtc, "0.002", "61100", "61000"));
  ASSERT_TRUE(has("s1", VenueEventKind::Accepted));
  EXPECT_NE(emu->lastOrderBody().find(
                R"("stop_price":"61000","stop_direction":"STOP_DIRECTION_STOP_UP")"),
            std::string::npos);
  ASSERT_TRUE(emu->fill("s1", Qty::of("0.0005"), Price::of("61100")));
  ASSERT_TRUE(has("s1", VenueEventKind::Fill));
  VenueReplace r;
  r.childId = ChildOrderId("s1");
  r.newQty = Qty::of("0.003");
  r.newPrice = Price::of("61200");
  venue->replace(r);
  ASSERT_TRUE(has("s1", VenueEventKind::Replaced));
  auto rep = sink.of("s1", VenueEventKind::Replaced)[0];
  EXPECT_EQ(rep.newQty, Qty::of("0.003"));
  EXPECT_EQ(rep.cumQty, Qty::of("0.0005"));
  EXPECT_EQ(rep.leavesQty, Qty::of("0.0025"));
  EXPECT_EQ(emu->orderStatus("s1"), "CANCELLED");
  EXPECT_EQ(emu->orderStatus("s1:r1"), "OPEN");
  // The new order is for what is left, never the full new total.
  EXPECT_NE(emu->lastOrderBody().find(R"("client_order_id":"s1:r1")"), std::string::npos);
  EXPECT_NE(emu->lastOrderBody().find(R"("base_size":"0.0025","limit_price":"61200")"),
            std::string::npos)
      << emu->lastOrderBody();
  emu->trade("BTC-USD", Price::of("61050"));  // triggers the new stop, fills at its limit
  ASSERT_TRUE(has("s1", VenueEventKind::Fill, 2));
  auto fills = sink.of("s1", VenueEventKind::Fill);
  EXPECT_EQ(fills.back().lastQty, Qty::of("0.0025"));
  EXPECT_EQ(fills.back().cumQty, Qty::of("0.003"));
  EXPECT_EQ(fills.back().leavesQty, Qty());
  EXPECT_EQ(sink.count("s1", VenueEventKind::Canceled), 0u)
      << "the old order's cancel does not end the child";
}

TEST_F(CoinbaseVenueTest, AnImmediateOrderCannotBeReplaced) {
  startVenue();
  emu->setLastPrice("BTC-USD", Price::of("65000"));
  venue->submit(order("i1", OrdType::Limit, TimeInForce::Fok, "0.001", "60000"));
  ASSERT_TRUE(has("i1", VenueEventKind::Expired)) << "a FOK that cannot fill expires";
  VenueReplace r;
  r.childId = ChildOrderId("i1");
  r.newQty = Qty::of("0.002");
  venue->replace(r);
  ASSERT_TRUE(has("i1", VenueEventKind::ReplaceRejected));
  EXPECT_EQ(sink.of("i1", VenueEventKind::ReplaceRejected)[0].text, "order is already done");
}

TEST_F(CoinbaseVenueTest,
       WrongKeyExpiredTokenAndWrongUriGetCoinbasesUnauthorizedClockSyncFixesSkew) {
  // A key Coinbase does not know: every private call gets 401 "Unauthorized".
  const std::string realPem = pem;
  pem = generateEcPrivateKeyPem();
  startVenue(false);
  venue->submit(order("a1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("a1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("a1", VenueEventKind::Rejected)[0].text, "coinbase HTTP 401: Unauthorized");
  EXPECT_EQ(emu->lastAuthFailure(), "invalid signature");
  EXPECT_EQ(emu->userSubscriptions(), 0) << "the user channel refuses the JWT too";
  venue->stop();
  venue.reset();

  // A uri claim naming another host.
  pem = realPem;
  cfg.uriHost = "api.other.invalid";
  startVenue(false);
  venue->submit(order("a2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("a2", VenueEventKind::Rejected));
  EXPECT_NE(emu->lastAuthFailure().find("uri mismatch"), std::string::npos)
      << emu->lastAuthFailure();
  venue->stop();
  venue.reset();

  // The emulator's clock 5 minutes ahead: the adapter's tokens are expired.
  ManualClock late{clock.wallNow() + 300'000'000'000LL};
  std::string err;
  EmulatorOptions eo;
  eo.keyName = kKeyName;
  eo.publicKeyPem = Es256Signer::fromPem(pem, err)->publicKeyPem();
  eo.productsJson = coinbaseTestData("products.json");
  eo.clock = &late;
  CoinbaseEmulator lateEmu(eo);
  lateEmu.start();
  cfg.uriHost = "localhost";
  cfg.restPort = cfg.wsPort = cfg.mdWsPort = lateEmu.port();
  cfg.caPem = lateEmu.certPem();
  cfg.clockSync = false;
  startVenue(false);
  venue->submit(order("a3", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("a3", VenueEventKind::Rejected));
  EXPECT_EQ(lateEmu.lastAuthFailure(), "token expired");
  venue->stop();
  venue.reset();
  // With clock_sync (the default) JWTs are dated by Coinbase's clock: accepted.
  cfg.clockSync = true;
  const int failures = lateEmu.authFailures();
  startVenue(false);
  venue->submit(order("a4", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("a4", VenueEventKind::Accepted)) << lateEmu.lastAuthFailure();
  EXPECT_EQ(lateEmu.authFailures(), failures);
  venue->stop();
  venue.reset();
  lateEmu.stop();
}

TEST_F(CoinbaseVenueTest, StreamDropWithFillsDuringTheGapIsRecoveredOnce) {
  startVenue();
  venue->submit(order("g1", OrdType::Limit, TimeInForce::Gtc, "0.002", "59000"));
  ASSERT_TRUE(has("g1", VenueEventKind::Accepted));
  emu->refuseStreams(true);
  emu->dropStreams();
  ASSERT_TRUE(waitFor([&] { return sink.count(VenueEventKind::Disconnected) >= 1; }));
  ASSERT_TRUE(emu->fill("g1", Qty::of("0.0007"), Price::of("59000")));  // during the gap
  ASSERT_TRUE(has("g1", VenueEventKind::Fill)) << "REST polling books the gap's fill";
  EXPECT_EQ(sink.of("g1", VenueEventKind::Fill)[0].lastQty, Qty::of("0.0007"));
  ASSERT_TRUE(emu->fill("g1", Qty::of("0.0003"), Price::of("59000")));
  emu->refuseStreams(false);
  ASSERT_TRUE(waitFor([&] { return sink.count(VenueEventKind::Reconnected) >= 1; }));
  ASSERT_TRUE(has("g1", VenueEventKind::Fill, 2));
  emu->replayLastUpdate();
  ASSERT_TRUE(emu->fill("g1", Qty::of("0.001"), Price::of("59000")));
  ASSERT_TRUE(has("g1", VenueEventKind::Fill, 3));
  auto fills = sink.of("g1", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 3u) << "each Coinbase trade booked exactly once";
  EXPECT_EQ(fills.back().cumQty, Qty::of("0.002"));
}

TEST_F(CoinbaseVenueTest, A429StopsAllSendingForItsRetryAfterWithoutABan) {
  startVenue();
  emu->failNext(429, 1, 2);
  venue->submit(order("l1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("l1", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("l1", VenueEventKind::Rejected)[0].text.find(
                "rate limited by Coinbase (HTTP 429, retry after 2000 ms)"),
            std::string::npos)
      << sink.of("l1", VenueEventKind::Rejected)[0].text;
  const int creates = emu->createRequests();
  venue->submit(order("l2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("l2", VenueEventKind::Rejected, 1));
  EXPECT_NE(sink.of("l2", VenueEventKind::Rejected)[0].text.find("not sending"), std::string::npos);
  EXPECT_EQ(emu->createRequests(), creates) << "nothing sent while stopped";
  clock.advance(2'100'000'000);
  venue->submit(order("l3", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("l3", VenueEventKind::Accepted)) << "sending resumes after Retry-After";
}

TEST_F(CoinbaseVenueTest, OwnPerSecondLimitHoldsOrdersLocallySoCoinbaseNeverAnswers429) {
  cfg.maxPrivatePerSec = 3;
  startVenue();
  for (int i = 0; i < 8; ++i)
    venue->submit(order(std::string("q").append(std::to_string(i)), OrdType::Limit,
                        TimeInForce::Gtc, "0.001", "59000"));
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(has(std::string("q").append(std::to_string(i)), VenueEventKind::Accepted)) << i;
  EXPECT_EQ(emu->rateLimited(), 0);
  EXPECT_EQ(emu->createRequests(), 8);
}

TEST_F(CoinbaseVenueTest, ALostSubmitAnswerIsResolvedByClientOrderIdNeverResent) {
  cfg.readTimeoutMs = 300;
  startVenue();
  emu->delayNextOrderAnswer(1500);
  venue->submit(order("t1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("t1", VenueEventKind::Accepted));
  EXPECT_EQ(emu->createRequests(), 1) << "looked up, never sent again";
  EXPECT_EQ(emu->ordersWithClientId("t1"), 1);
  EXPECT_GE(emu->requests("/api/v3/brokerage/orders/historical/batch"), 1);
}

TEST_F(CoinbaseVenueTest, OnlyIdempotentCallsAreRetriedAnUnknownSubmitIsLookedUp) {
  cfg.readTimeoutMs = 300;
  startVenue();
  // A 503 on a create: not retried; the lookup finds no such order, so it was not placed.
  emu->failNext(503, 1);
  venue->submit(order("u1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("u1", VenueEventKind::Rejected));
  EXPECT_EQ(emu->createRequests(), 1) << "a create is never retried";
  EXPECT_EQ(sink.of("u1", VenueEventKind::Rejected)[0].text,
            "order not placed (Coinbase does not list client_order_id u1)");
  // A garbled answer (the emulator garbles before executing): looked up, not
  // found, so not placed — and never sent twice.
  emu->garbleNext(1);
  venue->submit(order("u2", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("u2", VenueEventKind::Rejected));
  EXPECT_EQ(emu->createRequests(), 2);
  EXPECT_EQ(emu->ordersWithClientId("u2"), 0);
  // A 503 on a cancel (idempotent): retried with backoff, then canceled.
  venue->submit(order("u3", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("u3", VenueEventKind::Accepted));
  const int cancels = emu->requests("/api/v3/brokerage/orders/batch_cancel");
  emu->failNext(503, 1);
  VenueCancel c;
  c.childId = ChildOrderId("u3");
  venue->cancel(c);
  ASSERT_TRUE(has("u3", VenueEventKind::Canceled));
  EXPECT_EQ(emu->requests("/api/v3/brokerage/orders/batch_cancel"), cancels + 2);
}

TEST_F(CoinbaseVenueTest, SnapshotListsOpenOrdersAndFillsSince) {
  startVenue();
  const WallNanos since = clock.wallNow();
  venue->submit(order("n1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  venue->submit(order("n2", OrdType::Market, TimeInForce::Ioc, "0.002"));
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
  EXPECT_EQ(snap->orders[0].symbol.str(), "BTC/USD");
  EXPECT_EQ(snap->orders[0].qty, Qty::of("0.001"));
  ASSERT_EQ(snap->fills.size(), 1u);
  EXPECT_EQ(snap->fills[0].childId.str(), "n2");
  EXPECT_EQ(snap->fills[0].qty, Qty::of("0.002"));
  EXPECT_EQ(snap->fills[0].venueExecId, sink.of("n2", VenueEventKind::Fill)[0].venueExecId);
}

TEST_F(CoinbaseVenueTest, AfterARestartAnAdoptedOrderBooksOnlyTheFillsItMissed) {
  startVenue();
  venue->submit(order("p1", OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
  ASSERT_TRUE(has("p1", VenueEventKind::Accepted));
  ASSERT_TRUE(emu->fill("p1", Qty::of("0.0004"), Price::of("59000")));
  ASSERT_TRUE(has("p1", VenueEventKind::Fill));
  const std::string venueOrderId = sink.of("p1", VenueEventKind::Accepted)[0].venueOrderId.str();
  venue->stop();
  venue.reset();
  // While we were down: less than what was journaled, so matching by size alone would miss it.
  ASSERT_TRUE(emu->fill("p1", Qty::of("0.0002"), Price::of("59000")));

  Sink after;
  venue = makeCoinbaseVenue(VenueId("COINBASE"), cfg, Credentials{kKeyName, pem}, im, clock);
  VenueOrderState st;
  st.childId = ChildOrderId("p1");
  st.venueOrderId = VenueOrderId(venueOrderId);
  st.symbol = Symbol("BTC/USD");
  st.qty = Qty::of("0.001");
  st.cumQty = Qty::of("0.0004");
  st.price = Price::of("59000");
  st.ordType = OrdType::Limit;
  st.tif = TimeInForce::Gtc;
  venue->adoptOpenOrders({st});
  venue->start(after);
  ASSERT_TRUE(waitFor([&] { return after.count("p1", VenueEventKind::Fill) >= 1; }));
  for (int i = 0; i < 30; ++i) {  // a few poll rounds, for any duplicate to surface
    clock.advance(10'000'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto fills = after.of("p1", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].lastQty, Qty::of("0.0002"));
  EXPECT_EQ(fills[0].cumQty, Qty::of("0.0006"));
}

TEST_F(CoinbaseVenueTest, MarketDataFromLevel2AndMarketTrades) {
  startVenue();
  MdSink md;
  auto st = venue->subscribeMarketData(Symbol("BTC/USD"), md, 2);
  ASSERT_TRUE(st.ok) << st.error;
  EXPECT_FALSE(venue->subscribeMarketData(Symbol("DOGE/USD"), md, 0).ok);
  ASSERT_TRUE(waitFor([&] { return emu->openStreams() >= 2; }));
  waitFor([&] {
    std::lock_guard lk(md.mu);
    return !md.books.empty();
  });
  emu->setLevel("BTC-USD", true, Price::of("59990"), Qty::of("1.5"));
  emu->setLevel("BTC-USD", true, Price::of("59980"), Qty::of("2"));
  emu->setLevel("BTC-USD", false, Price::of("60010"), Qty::of("0.7"));
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(md.mu);
    return !md.books.empty() && md.books.back().askPx.has_value() &&
           md.books.back().bids.size() == 2;
  }));
  {
    std::lock_guard lk(md.mu);
    const auto& b = md.books.back();
    EXPECT_EQ(*b.bidPx, Price::of("59990"));
    EXPECT_EQ(b.bidQty, Qty::of("1.5"));
    EXPECT_EQ(*b.askPx, Price::of("60010"));
    EXPECT_EQ(b.bids[1].price, Price::of("59980"));
    EXPECT_EQ(b.symbol.str(), "BTC/USD");
  }
  emu->trade("BTC-USD", Price::of("60005"));
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(md.mu);
    return !md.trades.empty();
  }));
  {
    std::lock_guard lk(md.mu);
    EXPECT_EQ(md.trades.back().price, Price::of("60005"));
  }
  EXPECT_EQ(venue->referencePrice(Symbol("BTC/USD")), Price::of("60005"));
  venue->unsubscribeMarketData(Symbol("BTC/USD"), md);
}

}  // namespace

// Rate-limit headroom (admin API): the adapter's private and public windows;
// the private one counts what the emulator's own rate window counts.
TEST_F(CoinbaseVenueTest, RateLimitsReportThePerSecondWindowsTheEmulatorCounts) {
  startVenue();
  auto find = [&](const std::string& name) -> std::optional<VenueRateLimit> {
    for (auto& l : venue->rateLimits())
      if (l.name == name) return l;
    return std::nullopt;
  };
  clock.advance(2'000'000'000);  // start-up's calls leave the window
  for (int i = 1; i <= 3; ++i) {
    const std::string id = "rl" + std::to_string(i);
    venue->submit(order(id, OrdType::Limit, TimeInForce::Gtc, "0.001", "59000"));
    ASSERT_TRUE(waitFor([&] { return sink.count(id, VenueEventKind::Accepted) == 1; }, false));
  }
  // The clock stands still: both count every private call since the advance.
  ASSERT_TRUE(
      waitFor([&] { return find("private_rest_1s")->used == emu->privateInLastSecond(); }, false));
  auto p = find("private_rest_1s");
  EXPECT_GE(p->used, 3);
  EXPECT_EQ(p->limit, 25);
  EXPECT_EQ(p->headroom(), 25 - p->used);
  EXPECT_EQ(p->windowMs, 1'000);
  EXPECT_EQ(p->source, "local");
  EXPECT_GT(p->updatedAt, 0);
  auto pub = find("public_rest_1s");
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->limit, 8);

  // The rolling second passes: the orders' calls leave both windows (a poll
  // made meanwhile counts in both).
  clock.advance(1'100'000'000);
  ASSERT_TRUE(
      waitFor([&] { return find("private_rest_1s")->used == emu->privateInLastSecond(); }, false));
  EXPECT_LT(find("private_rest_1s")->used, p->used);
}
