// The OKX adapter against the OKX emulator over real HTTPS and a real
// WebSocket on loopback: spot and swap orders (contracts, tdMode), the
// orders channel with fees, fills once per trade id (replayed pushes), a lost
// or garbled submit answer resolved by clOrdId (never resent), OKX's rejects,
// 50011 and the local per-instrument limit, a stale clock resynced from
// /public/time, a wrong secret, stream loss with REST fallback, native amend,
// reconciliation, text ping/pong. Adapter and emulator share a manual clock,
// so windows and timers are driven by the test, not by waiting.
#include "venue_adapters/okx/adapter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "tests/okx/test_data.h"
#include "venue_adapters/okx/emulator.h"
#include "venue_adapters/okx/parse.h"

using namespace fixgw;
using namespace fixgw::okx;

namespace {

constexpr const char* kKey = "emulator-api-key";
constexpr const char* kSecret = "emulator-secret-for-tests-only";
constexpr const char* kPass = "emulator passphrase";

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

class OkxVenueTest : public ::testing::Test {
 protected:
  void SetUp() override { makeEmulator(&clock); }
  void TearDown() override {
    if (venue) venue->stop();
    emu->stop();
  }

  void makeEmulator(const Clock* emuClock, bool demo = false) {
    EmulatorOptions eo;
    eo.demo = demo;
    eo.apiKey = kKey;
    eo.secret = kSecret;
    eo.passphrase = kPass;
    eo.instrumentsJson = {okxTestData("instruments_spot.json"),
                          okxTestData("instruments_swap.json")};
    eo.clock = emuClock;
    emu = std::make_unique<OkxEmulator>(eo);
    emu->start();
    emu->setLastPrice("BTC-USDT", Price::of("30000"));
    emu->setLastPrice("BTC-USDT-SWAP", Price::of("30000"));
    Instrument btc;
    btc.symbol = Symbol("BTC/USDT");
    btc.currency = "USDT";
    im.add(btc);
    Instrument perp;
    perp.symbol = Symbol("BTC-PERP");
    perp.currency = "USDT";
    perp.venueSymbols["okx"] = "BTC-USDT-SWAP";
    perp.contractSize = Qty::of("0.01");
    perp.marginMode = "cross";
    perp.settleCurrency = "USDT";
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

  void startVenue(const std::string& secret = kSecret, bool waitStream = true) {
    venue = makeOkxVenue(VenueId("okx"), cfg, Credentials{kKey, secret, kPass}, im, clock);
    venue->start(sink);
    if (waitStream) {
      ASSERT_TRUE(waitFor([&] { return emu->ordersSubscribers() == 1; }))
          << "the orders channel is subscribed after login";
    }
  }

  // Waits for pred, advancing the shared clock 10 ms per step.
  template <class P>
  bool waitFor(P pred, bool advance = true) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      if (advance) clock.advance(10'000'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  VenueNewOrder order(const std::string& id, const char* qty, const char* px,
                      const char* sym = "BTC/USDT", TimeInForce tif = TimeInForce::Gtc) {
    VenueNewOrder o;
    o.childId = ChildOrderId(id);
    o.symbol = Symbol(sym);
    o.side = Side::Buy;
    o.ordType = px ? OrdType::Limit : OrdType::Market;
    o.tif = tif;
    o.qty = Qty::of(qty);
    if (px) o.price = Price::of(px);
    return o;
  }

  bool has(const std::string& body, const std::string& part) {
    return body.find(part) != std::string::npos;
  }

  ManualClock clock;
  std::unique_ptr<OkxEmulator> emu;
  InstrumentMaster im;
  OkxConfig cfg;
  Sink sink;
  std::unique_ptr<VenueAdapter> venue;
};

TEST_F(OkxVenueTest, SpotLimitRestsThenIsCanceled) {
  startVenue();
  venue->submit(order("C1", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C1", VenueEventKind::Accepted) == 1; }));
  const std::string body = emu->lastOrderBody();
  EXPECT_TRUE(has(body, R"("instId":"BTC-USDT","tdMode":"cash","clOrdId":"C1","side":"buy")"))
      << body;
  EXPECT_TRUE(has(body, R"("ordType":"limit","sz":"0.01","px":"29000")")) << body;
  EXPECT_EQ(emu->orderState("C1"), "live");
  VenueCancel c;
  c.childId = ChildOrderId("C1");
  c.symbol = Symbol("BTC/USDT");
  venue->cancel(c);
  ASSERT_TRUE(waitFor([&] { return sink.count("C1", VenueEventKind::Canceled) == 1; }));
  EXPECT_EQ(emu->orderState("C1"), "canceled");
}

TEST_F(OkxVenueTest, MarketableOrderFillsInPartsWithFeesBookedOncePerTradeId) {
  startVenue();
  emu->fillInParts(3);
  venue->submit(order("C2", "0.03", "30100"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C2", VenueEventKind::Fill) == 3; }));
  emu->replayLastFill();  // a duplicate delivery of the last fill
  auto fills = sink.of("C2", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 3u);
  for (const auto& f : fills) {
    EXPECT_EQ(f.lastQty, Qty::of("0.01"));
    EXPECT_EQ(f.lastPx, Price::of("30000"));
    ASSERT_TRUE(f.fee);
    EXPECT_EQ(*f.fee, Qty::of("0.3")) << "0.1% taker of 300 USDT, charged (positive here)";
    EXPECT_EQ(f.feeCurrency, "USDT");
  }
  EXPECT_EQ(fills[2].cumQty, Qty::of("0.03"));
  EXPECT_TRUE(fills[2].leavesQty.isZero());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sink.count("C2", VenueEventKind::Fill), 3u) << "the replayed push is not booked again";
}

TEST_F(OkxVenueTest, SwapOrderIsInContractsWithTheInstrumentsMarginMode) {
  startVenue();
  venue->submit(order("S1", "2", "30100", "BTC-PERP"));
  ASSERT_TRUE(waitFor([&] { return sink.count("S1", VenueEventKind::Fill) == 1; }));
  const std::string body = emu->lastOrderBody();
  EXPECT_TRUE(has(body, R"("instId":"BTC-USDT-SWAP","tdMode":"cross")")) << body;
  EXPECT_TRUE(has(body, R"("sz":"2")")) << body;
  auto f = sink.of("S1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastQty, Qty::of("2")) << "contracts, as sent";
  ASSERT_TRUE(f.fee);
  EXPECT_EQ(*f.fee, Qty::of("0.6")) << "0.1% of 2 x 0.01 BTC x 30000";
}

TEST_F(OkxVenueTest, ContractSizeDifferentFromCtValIsRefusedNamingIt) {
  Instrument bad;
  bad.symbol = Symbol("BTC-PERP-X");
  bad.venueSymbols["okx"] = "BTC-USDT-SWAP";
  bad.contractSize = Qty::of("0.001");
  bad.marginMode = "isolated";
  im.add(bad);
  startVenue();
  venue->submit(order("S2", "1", "29000", "BTC-PERP-X"));
  ASSERT_TRUE(waitFor([&] { return sink.count("S2", VenueEventKind::Rejected) == 1; }));
  const auto t = sink.of("S2", VenueEventKind::Rejected)[0].text;
  EXPECT_NE(t.find("contract_size 0.001 differs from OKX ctVal 0.01"), std::string::npos) << t;
  EXPECT_EQ(emu->placeRequests(), 0) << "refused before it left";
}

TEST_F(OkxVenueTest, FilterBreakIsRejectedBeforeItLeaves) {
  startVenue();
  venue->submit(order("C3", "0.01", "29000.05"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C3", VenueEventKind::Rejected) == 1; }));
  EXPECT_NE(sink.of("C3", VenueEventKind::Rejected)[0].text.find("tickSz"), std::string::npos);
  venue->submit(order("C3b", "0.000001", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C3b", VenueEventKind::Rejected) == 1; }));
  EXPECT_NE(sink.of("C3b", VenueEventKind::Rejected)[0].text.find("minSz"), std::string::npos);
  EXPECT_EQ(emu->placeRequests(), 0);
}

TEST_F(OkxVenueTest, OkxsRejectCarriesItsSCodeAndWords) {
  startVenue();
  emu->failNext("51008", "Order failed. Insufficient USDT balance in account.");
  venue->submit(order("C4", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C4", VenueEventKind::Rejected) == 1; }));
  const auto t = sink.of("C4", VenueEventKind::Rejected)[0].text;
  EXPECT_NE(t.find("51008"), std::string::npos) << t;
  EXPECT_NE(t.find("Insufficient USDT balance"), std::string::npos) << t;
}

TEST_F(OkxVenueTest, LostSubmitAnswerIsLookedUpByClOrdIdNeverResent) {
  startVenue();
  emu->loseNextAnswers(1);
  venue->submit(order("C5", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C5", VenueEventKind::Accepted) == 1; }));
  EXPECT_EQ(emu->placeRequests(), 1) << "placed once, then looked up by GET, never resent";
  EXPECT_GE(emu->requests("/api/v5/trade/order"), 2);
  EXPECT_EQ(sink.count("C5", VenueEventKind::Rejected), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(sink.count("C5", VenueEventKind::Accepted), 1u);
}

TEST_F(OkxVenueTest, GarbledSubmitAnswerIsLookedUpToo) {
  startVenue();
  emu->garbleNext(1);
  venue->submit(order("C6", "0.01", "30100"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C6", VenueEventKind::Fill) == 1; }));
  EXPECT_EQ(sink.count("C6", VenueEventKind::Accepted), 1u);
  EXPECT_EQ(sink.count("C6", VenueEventKind::Rejected), 0u);
}

TEST_F(OkxVenueTest, LostSubmitThatNeverLandedIsRejectedAfterLookups) {
  startVenue();
  emu->failNextCode("50013", "Systems are busy. Please try again later.");
  venue->submit(order("C7", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C7", VenueEventKind::Rejected) == 1; }));
  EXPECT_NE(sink.of("C7", VenueEventKind::Rejected)[0].text.find("does not know clOrdId C7"),
            std::string::npos);
  EXPECT_EQ(emu->orderState("C7"), std::nullopt);
}

TEST_F(OkxVenueTest, RateLimitAnswerRejectsAndStopsCalls) {
  startVenue();
  emu->failNextCode("50011", "Too Many Requests");
  venue->submit(order("C8", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C8", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_NE(sink.of("C8", VenueEventKind::Rejected)[0].text.find("50011"), std::string::npos);
  venue->submit(order("C8b", "0.01", "29000"));  // within the backoff: not sent
  ASSERT_TRUE(waitFor([&] { return sink.count("C8b", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_NE(sink.of("C8b", VenueEventKind::Rejected)[0].text.find("backing off"),
            std::string::npos);
  EXPECT_EQ(emu->rateLimitErrors(), 1);
}

TEST_F(OkxVenueTest, LocalPerInstrumentLimitRefusesBeforeOkxWouldAndIsReported) {
  cfg.placeLimit = 2;
  cfg.maxQueueMs = 0;
  startVenue();
  for (int i = 0; i < 3; ++i) venue->submit(order("L" + std::to_string(i), "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("L2", VenueEventKind::Rejected) == 1; }, false));
  EXPECT_NE(sink.of("L2", VenueEventKind::Rejected)[0].text.find("refused locally"),
            std::string::npos);
  EXPECT_EQ(sink.count("L0", VenueEventKind::Accepted), 1u);
  EXPECT_EQ(emu->rateLimitErrors(), 0);
  bool found = false;
  for (const auto& l : venue->rateLimits())
    if (l.name == "place:BTC-USDT") {
      found = true;
      EXPECT_EQ(l.limit, 2);
      EXPECT_EQ(l.used, 2);
      EXPECT_EQ(l.windowMs, 2000);
      EXPECT_EQ(l.source, "local");
    }
  EXPECT_TRUE(found);
  // Once the window slides, orders go again.
  clock.advance(2'100'000'000);
  venue->submit(order("L3", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("L3", VenueEventKind::Accepted) == 1; }));
}

TEST_F(OkxVenueTest, WrongSecretIsRefusedWithInvalidSign) {
  startVenue("not-the-secret", false);
  venue->submit(order("C9", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C9", VenueEventKind::Rejected) == 1; }));
  EXPECT_NE(sink.of("C9", VenueEventKind::Rejected)[0].text.find("50113"), std::string::npos);
  EXPECT_GE(emu->authFailures(), 1);
  EXPECT_EQ(emu->loginsOk(), 0) << "the WebSocket login is refused too";
}

TEST_F(OkxVenueTest, StaleClockIsResyncedFromPublicTimeAndTheOrderGoes) {
  emu->stop();
  ManualClock venueClock(clock.wallNow() + 90'000'000'000LL);  // OKX is 90 s ahead
  makeEmulator(&venueClock);
  startVenue(kSecret, false);
  venue->submit(order("C10", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C10", VenueEventKind::Accepted) == 1; }));
  EXPECT_GE(emu->authFailures(), 1) << "the first try was refused 50102";
  ASSERT_TRUE(waitFor([&] { return emu->ordersSubscribers() == 1; }))
      << "the WebSocket login uses the learned offset";
}

TEST_F(OkxVenueTest, DemoTradingSendsTheSimulatedTradingHeader) {
  emu->stop();
  makeEmulator(&clock, true);  // a demo-trading key: OKX wants the header
  cfg.demo = false;
  startVenue(kSecret, false);
  venue->submit(order("D1", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("D1", VenueEventKind::Rejected) == 1; }));
  EXPECT_NE(sink.of("D1", VenueEventKind::Rejected)[0].text.find("50101"), std::string::npos);
  venue->stop();
  venue.reset();
  cfg.demo = true;
  startVenue(kSecret, false);
  venue->submit(order("D2", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("D2", VenueEventKind::Accepted) == 1; }));
}

TEST_F(OkxVenueTest, StreamDropFillsArePolledOnceThenStreamResumes) {
  startVenue();
  venue->submit(order("C11", "0.04", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C11", VenueEventKind::Accepted) == 1; }));
  emu->refuseStreams(true);
  emu->dropStreams();
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Disconnected) == 1; }));
  ASSERT_TRUE(emu->fill("C11", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(emu->fill("C11", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(waitFor([&] { return sink.count("C11", VenueEventKind::Fill) == 2; }));
  emu->refuseStreams(false);
  ASSERT_TRUE(waitFor([&] { return emu->ordersSubscribers() == 1; }));
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Reconnected) == 1; }));
  ASSERT_TRUE(emu->fill("C11", Qty::of("0.02"), Price::of("29000")));
  ASSERT_TRUE(waitFor([&] { return sink.count("C11", VenueEventKind::Fill) == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto fills = sink.of("C11", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 3u) << "each fill once";
  EXPECT_EQ(fills[2].cumQty, Qty::of("0.04"));
  ASSERT_TRUE(fills[0].fee) << "fees come with polled fills too";
}

TEST_F(OkxVenueTest, GarbledStreamMessageIsIgnoredAndThePollRecovers) {
  startVenue();
  venue->submit(order("C12", "0.02", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C12", VenueEventKind::Accepted) == 1; }));
  emu->sendOnStreams("{\"arg\":{\"channel\":\"orders\"},\"data\":[{\"ordId\":");
  ASSERT_TRUE(emu->fill("C12", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(waitFor([&] { return sink.count("C12", VenueEventKind::Fill) == 1; }));
  EXPECT_EQ(emu->ordersSubscribers(), 1) << "the stream stays up";
}

TEST_F(OkxVenueTest, ReplaceUsesNativeAmendKeepingTheOrderId) {
  startVenue();
  venue->submit(order("C13", "0.02", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C13", VenueEventKind::Accepted) == 1; }));
  const auto ordId = sink.of("C13", VenueEventKind::Accepted)[0].venueOrderId;
  ASSERT_TRUE(emu->fill("C13", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(waitFor([&] { return sink.count("C13", VenueEventKind::Fill) == 1; }));
  VenueReplace r;
  r.childId = ChildOrderId("C13");
  r.symbol = Symbol("BTC/USDT");
  r.newQty = Qty::of("0.03");
  r.newPrice = Price::of("29100");
  venue->replace(r);
  ASSERT_TRUE(waitFor([&] { return sink.count("C13", VenueEventKind::Replaced) == 1; }));
  auto rep = sink.of("C13", VenueEventKind::Replaced)[0];
  EXPECT_EQ(rep.venueOrderId, ordId);
  EXPECT_EQ(rep.leavesQty, Qty::of("0.025"));
  EXPECT_TRUE(has(emu->lastAmendBody(), R"("newSz":"0.03","newPx":"29100")"))
      << emu->lastAmendBody();
  r.newQty = Qty::of("0.005");  // not above what filled
  venue->replace(r);
  ASSERT_TRUE(waitFor([&] { return sink.count("C13", VenueEventKind::ReplaceRejected) == 1; }));
  venue->replace(r = VenueReplace{ChildOrderId("C13"),
                                  {},
                                  Symbol("BTC/USDT"),
                                  Side::Buy,
                                  Qty::of("0.03"),
                                  Price::of("29100"),
                                  std::nullopt});
  ASSERT_TRUE(waitFor([&] { return sink.count("C13", VenueEventKind::ReplaceRejected) == 2; }));
  EXPECT_NE(sink.of("C13", VenueEventKind::ReplaceRejected)[1].text.find("nothing to amend"),
            std::string::npos);
}

TEST_F(OkxVenueTest, CancelOfAFilledOrderIsRejectedWithOkxsCode) {
  startVenue();
  venue->submit(order("C14", "0.01", "30100"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C14", VenueEventKind::Fill) == 1; }));
  VenueCancel c;
  c.childId = ChildOrderId("C14");
  venue->cancel(c);
  ASSERT_TRUE(waitFor([&] { return sink.count("C14", VenueEventKind::CancelRejected) == 1; }));
}

TEST_F(OkxVenueTest, SnapshotAfterAdoptReportsOpenOrdersAndFillsSince) {
  startVenue();
  const WallNanos since = clock.wallNow();
  venue->submit(order("C15", "0.02", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("C15", VenueEventKind::Accepted) == 1; }));
  const auto ordId = sink.of("C15", VenueEventKind::Accepted)[0].venueOrderId;
  venue->stop();
  venue.reset();
  ASSERT_TRUE(emu->fill("C15", Qty::of("0.005"), Price::of("29000")));  // while we are down
  startVenue();
  VenueOrderState st;
  st.childId = ChildOrderId("C15");
  st.venueOrderId = ordId;
  st.symbol = Symbol("BTC/USDT");
  st.qty = Qty::of("0.02");
  st.price = Price::of("29000");
  venue->adoptOpenOrders({st});
  std::optional<VenueSnapshot> snap;
  std::mutex m;
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
  EXPECT_EQ(snap->orders[0].childId.str(), "C15");
  EXPECT_EQ(snap->orders[0].cumQty, Qty::of("0.005"));
  ASSERT_EQ(snap->fills.size(), 1u);
  EXPECT_EQ(snap->fills[0].childId.str(), "C15");
  EXPECT_EQ(snap->fills[0].qty, Qty::of("0.005"));
  // The adopted order is still tradeable.
  VenueCancel c;
  c.childId = ChildOrderId("C15");
  venue->cancel(c);
  ASSERT_TRUE(waitFor([&] { return sink.count("C15", VenueEventKind::Canceled) == 1; }));
}

TEST_F(OkxVenueTest, TextPingKeepsThePrivateStreamAlive) {
  cfg.pingIntervalMs = 100;
  startVenue();
  ASSERT_TRUE(waitFor([&] { return emu->pingsReceived() >= 3; }));
  EXPECT_EQ(sink.countKind(VenueEventKind::Disconnected), 0u) << "every ping was answered";
}

TEST_F(OkxVenueTest, MarketDataFromBooks5AndTradesWithDepth) {
  startVenue();
  MdSink md;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC-PERP"), md, 3).ok);
  EXPECT_FALSE(venue->subscribeMarketData(Symbol("NOPE"), md, 0).ok);
  ASSERT_TRUE(waitFor([&] { return md.nBooks() >= 1; })) << "the first book follows";
  {
    std::lock_guard lk(md.mu);
    const TopOfBook& b = md.books[0];
    EXPECT_EQ(b.symbol.str(), "BTC-PERP");
    EXPECT_EQ(b.bidPx, Price::of("29999.9"));
    EXPECT_EQ(b.askPx, Price::of("30000.1"));
    EXPECT_EQ(b.bids.size(), 3u);
    EXPECT_EQ(b.asks[2].price, Price::of("30000.3"));
  }
  emu->trade("BTC-USDT-SWAP", Price::of("30100"));
  ASSERT_TRUE(waitFor([&] { return md.nTrades() == 1 && md.nBooks() >= 2; }));
  {
    std::lock_guard lk(md.mu);
    EXPECT_EQ(md.trades[0].price, Price::of("30100"));
    EXPECT_EQ(md.trades[0].symbol.str(), "BTC-PERP");
    EXPECT_EQ(md.books.back().bidPx, Price::of("30099.9"));
  }
  EXPECT_EQ(venue->referencePrice(Symbol("BTC-PERP")), Price::of("30100"));
  venue->unsubscribeMarketData(Symbol("BTC-PERP"), md);
  const size_t before = md.nTrades();
  emu->trade("BTC-USDT-SWAP", Price::of("30200"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(md.nTrades(), before) << "no calls after unsubscribe";
}

TEST_F(OkxVenueTest, ChildIdsOkxCannotTakeTravelAsAStableDerivedClOrdId) {
  startVenue();
  venue->submit(order("ORD-1.2", "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink.count("ORD-1.2", VenueEventKind::Accepted) == 1; }));
  EXPECT_EQ(emu->orderState(clientOrderIdFor("ORD-1.2")), "live");
}

}  // namespace
