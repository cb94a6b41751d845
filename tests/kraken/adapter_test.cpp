// The Kraken adapter against the Kraken emulator over real HTTPS and real
// WebSockets on loopback: order types, the executions stream with fees,
// dedupe, a lost submit answer resolved by cl_ord_id, the call counter and
// rate-limit errors, nonce resync, stream loss with REST fallback, amend,
// reconciliation, market data, and the nonce surviving a restart. Adapter
// and emulator share a manual clock, so counters and timers are driven by
// the test, not by waiting.
#include "venue_adapters/kraken/adapter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "tests/kraken/test_data.h"
#include "venue_adapters/kraken/auth.h"
#include "venue_adapters/kraken/emulator.h"

using namespace fixgw;
using namespace fixgw::kraken;

namespace {

constexpr const char* kKey = "emulator-api-key";
// base64 of "emulator-secret-for-tests-only!!" (Kraken secrets are base64).
const std::string kSecret = base64Encode("emulator-secret-for-tests-only!!");

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
  std::mutex mu;
  std::vector<TopOfBook> books;
  std::vector<Trade> trades;
};

class KrakenVenueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("fixgw-kraken-adapter-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    EmulatorOptions eo;
    eo.apiKey = kKey;
    eo.secret = kSecret;
    eo.assetPairsJson = krakenTestData("asset_pairs.json");
    eo.clock = &clock;
    emu = std::make_unique<KrakenEmulator>(eo);
    emu->start();
    emu->setLastPrice("XBTUSD", Price::of("30000"));
    Instrument btc;
    btc.symbol = Symbol("BTC/USD");
    btc.currency = "USD";
    btc.venueSymbols["kraken"] = "XBTUSD";
    im.add(btc);
    cfg.restHost = "127.0.0.1";
    cfg.restPort = emu->port();
    cfg.wsAuthHost = cfg.wsPublicHost = cfg.restHost;
    cfg.wsAuthPort = cfg.wsPublicPort = cfg.restPort;
    cfg.serverName = "localhost";
    cfg.caPem = emu->certPem();
    cfg.pollIntervalMs = 50;
    cfg.reconnectMs = 50;
    cfg.readTimeoutMs = 5000;
    cfg.nonceFile = (dir / "kraken.nonce").string();
  }
  void TearDown() override {
    if (venue) venue->stop();
    emu->stop();
    std::filesystem::remove_all(dir);
  }

  void startVenue(const std::string& secret = "") {
    venue = makeKrakenVenue(VenueId("kraken"), cfg,
                            Credentials{kKey, secret.empty() ? kSecret : secret}, im, clock);
    venue->start(sink);
    ASSERT_TRUE(waitFor([&] { return emu->executionSubscribers() == 1; }))
        << "the executions stream subscribes";
  }

  // Waits for pred, advancing the shared clock 10 ms per step (counters
  // decay and timers fire in virtual time); gives up after 1000 steps.
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
  std::filesystem::path dir;
  std::unique_ptr<KrakenEmulator> emu;
  InstrumentMaster im;
  KrakenConfig cfg;
  std::unique_ptr<VenueAdapter> venue;
  Sink sink;
};

TEST_F(KrakenVenueTest, LimitGtcRestsThenFillsFromTheStreamWithFee) {
  startVenue();
  venue->submit(order("c1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("c1", VenueEventKind::Accepted));
  EXPECT_EQ(emu->lastOrderParams().substr(emu->lastOrderParams().find("&ordertype")),
            "&ordertype=limit&type=buy&volume=0.01&pair=XBTUSD&price=29000&timeinforce=GTC&"
            "cl_ord_id=c1");
  EXPECT_FALSE(sink.of("c1", VenueEventKind::Accepted)[0].venueOrderId.empty());
  EXPECT_EQ(sink.count("c1", VenueEventKind::Fill), 0u);

  emu->trade("XBTUSD", Price::of("28900"));  // trades through the limit
  ASSERT_TRUE(has("c1", VenueEventKind::Fill));
  auto f = sink.of("c1", VenueEventKind::Fill)[0];
  EXPECT_EQ(f.lastQty, Qty::of("0.01"));
  EXPECT_EQ(f.lastPx, Price::of("29000"));
  EXPECT_EQ(f.leavesQty, Qty());
  ASSERT_TRUE(f.fee.has_value());
  EXPECT_EQ(*f.fee, Qty::of("0.464"));  // 0.16% maker of 290 USD
  EXPECT_EQ(f.feeCurrency, "USD");
  EXPECT_EQ(emu->signatureFailures(), 0);
  EXPECT_EQ(emu->nonceFailures(), 0);
}

TEST_F(KrakenVenueTest, MarketOrderFillsInPartsOnceEachAndADuplicateDeliveryIsIgnored) {
  startVenue();
  emu->fillInParts(3);
  venue->submit(order("m1", OrdType::Market, TimeInForce::Ioc, "0.03"));
  ASSERT_TRUE(has("m1", VenueEventKind::Fill, 3));
  auto fills = sink.of("m1", VenueEventKind::Fill);
  EXPECT_EQ(fills[0].lastQty, Qty::of("0.01"));
  EXPECT_EQ(fills[2].cumQty, Qty::of("0.03"));
  EXPECT_EQ(fills[2].leavesQty, Qty());
  EXPECT_EQ(*fills[0].fee, Qty::of("0.78"));  // 0.26% taker of 300 USD
  emu->replayLastTrade();
  emu->trade("XBTUSD", Price::of("30000"));  // something after it on the stream
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sink.count("m1", VenueEventKind::Fill), 3u) << "booked once per trade id";
}

TEST_F(KrakenVenueTest, MalformedStreamMessagesAreSkippedTheStreamStaysUpNothingIsBookedTwice) {
  startVenue();
  venue->submit(order("j1", OrdType::Limit, TimeInForce::Gtc, "0.02", "29000"));
  ASSERT_TRUE(has("j1", VenueEventKind::Accepted));
  ASSERT_TRUE(emu->fill("j1", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(has("j1", VenueEventKind::Fill));
  const int opened = emu->streamsOpened();
  emu->sendOnExecutionStreams(R"({"channel":"executions","type":"update","data":[{"order_id":)");
  emu->sendOnExecutionStreams(
      R"({"channel":"executions","type":"update","data":[{"order_id":"X","exec_type":"trade","exec_id":"T9","last_qty":"lots","last_price":1}]})");
  emu->sendOnExecutionStreams("not json at all");
  emu->replayLastTrade();  // and the same fill once more
  ASSERT_TRUE(emu->fill("j1", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(has("j1", VenueEventKind::Fill, 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sink.count("j1", VenueEventKind::Fill), 2u);
  EXPECT_EQ(sink.of("j1", VenueEventKind::Fill)[1].cumQty, Qty::of("0.02"));
  EXPECT_EQ(emu->streamsOpened(), opened) << "the stream was kept, not reconnected";
  EXPECT_EQ(sink.countKind(VenueEventKind::Disconnected), 0u);
}

TEST_F(KrakenVenueTest, KrakensRejectReachesTheEventWithItsErrorString) {
  startVenue();
  emu->failNext("EOrder:Insufficient funds");
  venue->submit(order("r1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("r1", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("r1", VenueEventKind::Rejected)[0].text, "kraken: EOrder:Insufficient funds");
}

TEST_F(KrakenVenueTest, FilterBreachesAreRejectedBeforeLeavingNamingTheFilter) {
  startVenue();
  const int before = emu->requests("/0/private/AddOrder");
  venue->submit(order("f1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000.05"));
  venue->submit(order("f2", OrdType::Limit, TimeInForce::Gtc, "0.00001", "29000"));
  venue->submit(order("f3", OrdType::Limit, TimeInForce::Fok, "0.01", "29000"));
  ASSERT_TRUE(has("f3", VenueEventKind::Rejected));
  ASSERT_TRUE(has("f1", VenueEventKind::Rejected));
  ASSERT_TRUE(has("f2", VenueEventKind::Rejected));
  EXPECT_EQ(sink.of("f1", VenueEventKind::Rejected)[0].text.rfind("tick_size:", 0), 0u);
  EXPECT_EQ(sink.of("f2", VenueEventKind::Rejected)[0].text.rfind("ordermin:", 0), 0u);
  EXPECT_NE(sink.of("f3", VenueEventKind::Rejected)[0].text.find("TimeInForce"), std::string::npos);
  EXPECT_EQ(emu->requests("/0/private/AddOrder"), before);
}

TEST_F(KrakenVenueTest, PostOnlyAndStopOrdersGoOutAsKrakenTakesThem) {
  startVenue();
  auto po = order("p1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000");
  po.attrs.postOnly = true;
  venue->submit(po);
  ASSERT_TRUE(has("p1", VenueEventKind::Accepted));
  EXPECT_NE(emu->lastOrderParams().find("&oflags=post"), std::string::npos);
  venue->submit(
      order("s1", OrdType::StopLimit, TimeInForce::Gtc, "0.01", "28000", "28100", Side::Sell));
  ASSERT_TRUE(has("s1", VenueEventKind::Accepted));
  EXPECT_NE(emu->lastOrderParams().find("ordertype=stop-loss-limit&type=sell&volume=0.01&pair="
                                        "XBTUSD&price=28100&price2=28000"),
            std::string::npos)
      << emu->lastOrderParams();
  emu->trade("XBTUSD", Price::of("28050"));  // triggers; limit 28000 rests below
  emu->trade("XBTUSD", Price::of("28000"));
  ASSERT_TRUE(has("s1", VenueEventKind::Fill));
  EXPECT_EQ(sink.of("s1", VenueEventKind::Fill)[0].lastPx, Price::of("28000"));
}

TEST_F(KrakenVenueTest, AnIocRemainderAndATakingPostOnlyOrderExpire) {
  startVenue();
  venue->submit(order("i1", OrdType::Limit, TimeInForce::Ioc, "0.01", "29000"));  // below 30000
  ASSERT_TRUE(has("i1", VenueEventKind::Expired));
  EXPECT_NE(sink.of("i1", VenueEventKind::Expired)[0].text.find("Immediate or cancel"),
            std::string::npos);
  auto po = order("i2", OrdType::Limit, TimeInForce::Gtc, "0.01", "30100");  // would take
  po.attrs.postOnly = true;
  venue->submit(po);
  ASSERT_TRUE(has("i2", VenueEventKind::Expired));
  EXPECT_NE(sink.of("i2", VenueEventKind::Expired)[0].text.find("Post only order"),
            std::string::npos);
  EXPECT_EQ(sink.count("i2", VenueEventKind::Fill), 0u);
}

TEST_F(KrakenVenueTest, CancelIsReportedAfterAnyFillThatRacedIt) {
  startVenue();
  venue->submit(order("x1", OrdType::Limit, TimeInForce::Gtc, "0.02", "29000"));
  ASSERT_TRUE(has("x1", VenueEventKind::Accepted));
  emu->dropStreams();
  emu->refuseStreams(true);  // the fill's stream event never comes
  ASSERT_TRUE(emu->fill("x1", Qty::of("0.005"), Price::of("29000")));
  VenueCancel c;
  c.childId = ChildOrderId("x1");
  venue->cancel(c);
  ASSERT_TRUE(has("x1", VenueEventKind::Canceled));
  ASSERT_EQ(sink.count("x1", VenueEventKind::Fill), 1u) << "the racing fill is booked";
  EXPECT_EQ(sink.of("x1", VenueEventKind::Canceled)[0].cumQty, Qty::of("0.005"));
  EXPECT_EQ(emu->orderStatus("x1"), "canceled");
}

TEST_F(KrakenVenueTest, ReplaceIsANativeAmendKeepingTheTxid) {
  startVenue();
  venue->submit(order("a1", OrdType::Limit, TimeInForce::Gtc, "0.02", "29000"));
  ASSERT_TRUE(has("a1", VenueEventKind::Accepted));
  const auto txid = sink.of("a1", VenueEventKind::Accepted)[0].venueOrderId;
  ASSERT_TRUE(emu->fill("a1", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(has("a1", VenueEventKind::Fill));
  VenueReplace r;
  r.childId = ChildOrderId("a1");
  r.venueOrderId = txid;
  r.newQty = Qty::of("0.03");
  r.newPrice = Price::of("29100");
  venue->replace(r);
  ASSERT_TRUE(has("a1", VenueEventKind::Replaced));
  auto rep = sink.of("a1", VenueEventKind::Replaced)[0];
  EXPECT_EQ(rep.venueOrderId, txid);
  EXPECT_EQ(rep.leavesQty, Qty::of("0.025"));
  EXPECT_EQ(emu->requests("/0/private/AddOrder"), 1) << "no cancel-then-new";
  // Kraken refuses a total at or below what filled; we refuse it first.
  r.newQty = Qty::of("0.005");
  venue->replace(r);
  ASSERT_TRUE(has("a1", VenueEventKind::ReplaceRejected));
}

TEST_F(KrakenVenueTest, ALostSubmitAnswerIsResolvedByClOrdIdNeverResent) {
  cfg.readTimeoutMs = 300;
  startVenue();
  emu->delayNext(1500);  // the AddOrder answer comes after our read timeout
  venue->submit(order("t1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("t1", VenueEventKind::Accepted));
  // The read times out; the adapter looks the order up instead of resending.
  ASSERT_TRUE(waitFor([&] { return emu->requests("/0/private/QueryOrders") >= 1; }, false));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(emu->requests("/0/private/AddOrder"), 1) << "never resent";
  EXPECT_EQ(sink.count("t1", VenueEventKind::Rejected), 0u);

  emu->failNext("EService:Unavailable");  // placed, answer lost
  venue->submit(order("t2", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("t2", VenueEventKind::Accepted));
  EXPECT_EQ(emu->requests("/0/private/AddOrder"), 2);
  EXPECT_EQ(emu->orderStatus("t2"), "open");
}

TEST_F(KrakenVenueTest, TheCallCounterHoldsCallsLocallySoKrakenNeverAnswersRateLimit) {
  // A venue whose call counter allows 4 (decaying 0.33/s), and an adapter
  // configured to match: polling every 50 ms would pass it many times over.
  emu->stop();
  EmulatorOptions eo;
  eo.apiKey = kKey;
  eo.secret = kSecret;
  eo.assetPairsJson = krakenTestData("asset_pairs.json");
  eo.clock = &clock;
  eo.counterMax = 4;
  emu = std::make_unique<KrakenEmulator>(eo);
  emu->start();
  emu->setLastPrice("XBTUSD", Price::of("30000"));
  cfg.restPort = cfg.wsAuthPort = cfg.wsPublicPort = emu->port();
  cfg.caPem = emu->certPem();
  cfg.counterMax = 4;
  cfg.counterDecayMilliPerSec = 330;
  cfg.maxQueueMs = 0;  // refuse rather than wait: the poll tries again later
  startVenue();        // the token costs 1
  venue->submit(order("q1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("q1", VenueEventKind::Accepted));
  emu->refuseStreams(true);
  emu->dropStreams();  // now every round polls (and tries to reconnect)
  // 40 s of virtual time in 100 ms steps: room for ~13 calls, 400 rounds.
  for (int i = 0; i < 400; ++i) {
    clock.advance(100'000'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  const int calls =
      emu->requests("/0/private/QueryOrders") + emu->requests("/0/private/GetWebSocketsToken");
  EXPECT_GT(calls, 4) << "calls kept flowing as the counter decayed";
  EXPECT_EQ(emu->rateLimitErrors(), 0) << "Kraken never had to say no";
  ASSERT_TRUE(emu->fill("q1", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(has("q1", VenueEventKind::Fill)) << "the held-back poll still finds the fill";
  EXPECT_EQ(emu->rateLimitErrors(), 0);
}

TEST_F(KrakenVenueTest, RateLimitErrorStopsAllCallsForABackoff) {
  cfg.backoffMinMs = 2'000;
  startVenue();
  emu->failNext("EAPI:Rate limit exceeded");
  venue->submit(order("b1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("b1", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("b1", VenueEventKind::Rejected)[0].text.find("EAPI:Rate limit exceeded"),
            std::string::npos);
  const int sent = emu->requests("/0/private/AddOrder");
  venue->submit(order("b2", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(waitFor(
      [&] {
        return sink.count("b2", VenueEventKind::Rejected) +
                   sink.count("b2", VenueEventKind::Accepted) >
               0;
      },
      false));
  EXPECT_EQ(sink.count("b2", VenueEventKind::Rejected), 1u) << "refused locally in the backoff";
  EXPECT_EQ(emu->requests("/0/private/AddOrder"), sent) << "nothing sent during the backoff";
  clock.advance(3'000'000'000);
  venue->submit(order("b3", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("b3", VenueEventKind::Accepted)) << "sending again after the backoff";
}

TEST_F(KrakenVenueTest, AnInvalidNonceIsResyncedAndTheOrderStillGoesOnce) {
  startVenue();
  emu->nonceJump(5'000'000);  // another client used a higher nonce with this key
  venue->submit(order("n1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("n1", VenueEventKind::Accepted));
  EXPECT_GE(emu->nonceFailures(), 1);
  EXPECT_EQ(sink.count("n1", VenueEventKind::Rejected), 0u);
  EXPECT_EQ(emu->orderStatus("n1"), "open");
}

TEST_F(KrakenVenueTest, AWrongSecretGetsKrakensSignatureErrorAndNothingIsPlaced) {
  venue =
      makeKrakenVenue(VenueId("kraken"), cfg,
                      Credentials{kKey, base64Encode("some-other-secret-entirely!!")}, im, clock);
  venue->start(sink);
  ASSERT_TRUE(waitFor([&] { return emu->signatureFailures() > 0; }));
  venue->submit(order("w1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("w1", VenueEventKind::Rejected));
  EXPECT_NE(sink.of("w1", VenueEventKind::Rejected)[0].text.find("EAPI:Invalid signature"),
            std::string::npos);
  EXPECT_FALSE(emu->orderStatus("w1").has_value());
}

TEST_F(KrakenVenueTest, FillsDuringAStreamGapArePolledAndBookedOnce) {
  startVenue();
  venue->submit(order("g1", OrdType::Limit, TimeInForce::Gtc, "0.03", "29000"));
  ASSERT_TRUE(has("g1", VenueEventKind::Accepted));
  emu->refuseStreams(true);
  emu->dropStreams();
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Disconnected) == 1; }));
  ASSERT_TRUE(emu->fill("g1", Qty::of("0.01"), Price::of("29000")));
  ASSERT_TRUE(has("g1", VenueEventKind::Fill)) << "polled while the stream is down";
  ASSERT_TRUE(emu->fill("g1", Qty::of("0.01"), Price::of("29000")));
  emu->refuseStreams(false);
  ASSERT_TRUE(waitFor([&] { return sink.countKind(VenueEventKind::Reconnected) == 1; }));
  ASSERT_TRUE(has("g1", VenueEventKind::Fill, 2));
  ASSERT_TRUE(emu->fill("g1", Qty::of("0.01"), Price::of("29000")));  // on the stream again
  ASSERT_TRUE(has("g1", VenueEventKind::Fill, 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto fills = sink.of("g1", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 3u);
  EXPECT_EQ(fills[2].cumQty, Qty::of("0.03"));
  EXPECT_EQ(fills[0].feeCurrency, "USD");
}

TEST_F(KrakenVenueTest, SnapshotListsOpenOrdersAndFillsSince) {
  startVenue();
  venue->submit(order("s1", OrdType::Limit, TimeInForce::Gtc, "0.02", "29000"));
  ASSERT_TRUE(has("s1", VenueEventKind::Accepted));
  ASSERT_TRUE(emu->fill("s1", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(has("s1", VenueEventKind::Fill));
  std::mutex m;
  std::optional<VenueSnapshot> snap;
  venue->requestSnapshot(clock.wallNow() - 60'000'000'000LL, [&](VenueSnapshot s) {
    std::lock_guard lk(m);
    snap = std::move(s);
  });
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(m);
    return snap.has_value();
  }));
  ASSERT_TRUE(snap->ok) << snap->error;
  ASSERT_EQ(snap->orders.size(), 1u);
  EXPECT_EQ(snap->orders[0].childId.str(), "s1");
  EXPECT_EQ(snap->orders[0].symbol.str(), "BTC/USD");
  EXPECT_EQ(snap->orders[0].cumQty, Qty::of("0.005"));
  ASSERT_EQ(snap->fills.size(), 1u);
  EXPECT_EQ(snap->fills[0].childId.str(), "s1");
  EXPECT_EQ(snap->fills[0].venueExecId, sink.of("s1", VenueEventKind::Fill)[0].venueExecId);
}

TEST_F(KrakenVenueTest, SnapshotPagesThroughTradesHistory) {
  startVenue();
  venue->submit(order("pg1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("pg1", VenueEventKind::Accepted));
  for (int i = 0; i < 60; ++i)  // more than Kraken's 50 a page
    ASSERT_TRUE(emu->fill("pg1", Qty::of("0.0001"), Price::of("29000")));
  ASSERT_TRUE(has("pg1", VenueEventKind::Fill, 60));
  std::mutex m;
  std::optional<VenueSnapshot> snap;
  venue->requestSnapshot(clock.wallNow() - 60'000'000'000LL, [&](VenueSnapshot s) {
    std::lock_guard lk(m);
    snap = std::move(s);
  });
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(m);
    return snap.has_value();
  }));
  ASSERT_TRUE(snap->ok) << snap->error;
  EXPECT_EQ(snap->fills.size(), 60u);
  std::set<std::string> ids;
  for (const auto& f : snap->fills) ids.insert(f.venueExecId.str());
  EXPECT_EQ(ids.size(), 60u);
}

TEST_F(KrakenVenueTest, AdoptedOrdersAfterARestartAreTrackedWithoutDoubleBooking) {
  startVenue();
  venue->submit(order("ad1", OrdType::Limit, TimeInForce::Gtc, "0.02", "29000"));
  ASSERT_TRUE(has("ad1", VenueEventKind::Accepted));
  const auto txid = sink.of("ad1", VenueEventKind::Accepted)[0].venueOrderId;
  ASSERT_TRUE(emu->fill("ad1", Qty::of("0.005"), Price::of("29000")));
  ASSERT_TRUE(has("ad1", VenueEventKind::Fill));
  venue->stop();
  venue.reset();
  Sink sink2;
  venue = makeKrakenVenue(VenueId("kraken"), cfg, Credentials{kKey, kSecret}, im, clock);
  VenueOrderState st;
  st.childId = ChildOrderId("ad1");
  st.venueOrderId = txid;
  st.symbol = Symbol("BTC/USD");
  st.qty = Qty::of("0.02");
  st.cumQty = Qty::of("0.005");
  st.price = Price::of("29000");
  st.tif = TimeInForce::Gtc;
  venue->adoptOpenOrders({st});
  venue->start(sink2);
  ASSERT_TRUE(waitFor([&] { return emu->executionSubscribers() == 1; }));
  ASSERT_TRUE(emu->fill("ad1", Qty::of("0.015"), Price::of("29000")));
  ASSERT_TRUE(waitFor([&] { return sink2.count("ad1", VenueEventKind::Fill) >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto fills = sink2.of("ad1", VenueEventKind::Fill);
  ASSERT_EQ(fills.size(), 1u) << "the fill from before the restart is not booked again";
  EXPECT_EQ(fills[0].cumQty, Qty::of("0.02"));
}

TEST_F(KrakenVenueTest, TheNonceSurvivesARestartWithTheClockStandingStill) {
  startVenue();
  venue->submit(order("k1", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(has("k1", VenueEventKind::Accepted));
  venue->stop();
  venue.reset();
  // Same frozen wall clock: a nonce from the clock alone would repeat.
  const uint64_t seen = emu->lastNonce();
  venue = makeKrakenVenue(VenueId("kraken"), cfg, Credentials{kKey, kSecret}, im, clock);
  Sink sink2;
  venue->start(sink2);
  ASSERT_TRUE(waitFor([&] { return emu->executionSubscribers() == 1; }, false));
  venue->submit(order("k2", OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
  ASSERT_TRUE(waitFor([&] { return sink2.count("k2", VenueEventKind::Accepted) == 1; }, false));
  EXPECT_EQ(emu->nonceFailures(), 0) << "no nonce was reused after the restart";
  EXPECT_GT(emu->lastNonce(), seen);
}

TEST_F(KrakenVenueTest, MarketDataFromThePublicBookAndTradeChannels) {
  startVenue();
  MdSink md;
  auto st = venue->subscribeMarketData(Symbol("BTC/USD"), md, 2);
  ASSERT_TRUE(st.ok) << st.error;
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(md.mu);
    return !md.books.empty();
  }));
  {
    std::lock_guard lk(md.mu);
    const auto& b = md.books.back();
    EXPECT_EQ(b.bidPx, Price::of("29999.9"));
    EXPECT_EQ(b.askPx, Price::of("30000.1"));
    EXPECT_EQ(b.bids.size(), 2u);
  }
  emu->trade("XBTUSD", Price::of("30100"), Qty::of("0.25"));
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(md.mu);
    return !md.trades.empty();
  }));
  {
    std::lock_guard lk(md.mu);
    EXPECT_EQ(md.trades.back().price, Price::of("30100"));
    EXPECT_EQ(md.trades.back().qty, Qty::of("0.25"));
    EXPECT_EQ(md.trades.back().symbol.str(), "BTC/USD");
  }
  venue->unsubscribeMarketData(Symbol("BTC/USD"), md);
  EXPECT_FALSE(venue->subscribeMarketData(Symbol("DOGE/USD"), md, 0).ok);
}

}  // namespace

// Rate-limit headroom (admin API): the adapter's call counter and per-pair
// trading counter, as the emulator (which enforces Kraken's) counts them.
TEST_F(KrakenVenueTest, RateLimitsFollowTheCallAndTradingCountersTheEmulatorKeeps) {
  startVenue();
  auto find = [&](const std::string& name) -> std::optional<VenueRateLimit> {
    for (auto& l : venue->rateLimits())
      if (l.name == name) return l;
    return std::nullopt;
  };
  auto emuUsed = [](double v) { return static_cast<int64_t>(std::ceil(v - 1e-9)); };
  for (int i = 1; i <= 3; ++i) {
    const std::string id = "rl" + std::to_string(i);
    venue->submit(order(id, OrdType::Limit, TimeInForce::Gtc, "0.01", "29000"));
    ASSERT_TRUE(waitFor([&] { return sink.count(id, VenueEventKind::Accepted) == 1; }, false));
  }
  // The clock did not move since the orders: no decay between the two views.
  auto t = find("trading_counter_XXBTZUSD");
  ASSERT_TRUE(t) << "a trading counter for the pair the orders went to";
  EXPECT_EQ(t->limit, 60);  // starter tier
  EXPECT_EQ(t->windowMs, 0);
  EXPECT_EQ(t->source, "local");
  EXPECT_EQ(t->used, emuUsed(emu->tradingCounter("XXBTZUSD")));
  EXPECT_GE(t->used, 3);
  EXPECT_EQ(t->headroom(), 60 - t->used);
  EXPECT_GT(t->updatedAt, 0);
  auto c = find("call_counter");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->limit, 15);
  ASSERT_TRUE(
      waitFor([&] { return find("call_counter")->used == emuUsed(emu->callCounter()); }, false));

  // Both decay: 1.5 s takes 1.5 off the trading counter (rounded up here).
  const int64_t before = t->used;
  clock.advance(1'500'000'000);
  t = find("trading_counter_XXBTZUSD");
  EXPECT_EQ(t->used, emuUsed(emu->tradingCounter("XXBTZUSD")));
  EXPECT_EQ(t->used, before - 1);
}
