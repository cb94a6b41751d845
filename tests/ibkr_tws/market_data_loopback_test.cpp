// TWS market data end to end (issue 10): the adapter subscribes over
// loopback to the TWS emulator at two server versions, receives a top of
// book, sees a trade print after an order fills, stops receiving after it
// unsubscribes, and reports a symbol nobody knows. No timing assertions:
// every wait is on a condition with a generous timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "venue_adapters/ibkr_tws/adapter.h"
#include "venue_adapters/ibkr_tws/codec.h"
#include "venue_adapters/ibkr_tws/emulator.h"

namespace fixgw::tws {
namespace {

constexpr auto kWait = std::chrono::seconds(20);

bool eventually(const std::function<bool()>& cond) {
  auto until = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

class Events : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent e) override {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  bool waitCount(VenueEventKind k, size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kWait, [&] {
      size_t c = 0;
      for (auto& e : events_) c += e.kind == k;
      return c >= n;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<VenueEvent> events_;
};

// Records what the adapter delivers and on which threads.
class Feed : public MarketDataSink {
 public:
  void onBook(const TopOfBook& b) override {
    std::lock_guard lk(mu_);
    books_.push_back(b);
    threads_.insert(std::this_thread::get_id());
    cv_.notify_all();
  }
  void onTrade(const Trade& t) override {
    std::lock_guard lk(mu_);
    trades_.push_back(t);
    threads_.insert(std::this_thread::get_id());
    cv_.notify_all();
  }
  bool waitBook(const std::function<bool(const TopOfBook&)>& pred) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kWait, [&] {
      for (auto& b : books_)
        if (pred(b)) return true;
      return false;
    });
  }
  bool waitTrades(size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kWait, [&] { return trades_.size() >= n; });
  }
  std::vector<TopOfBook> books() {
    std::lock_guard lk(mu_);
    return books_;
  }
  std::vector<Trade> trades() {
    std::lock_guard lk(mu_);
    return trades_;
  }
  std::set<std::thread::id> threads() {
    std::lock_guard lk(mu_);
    return threads_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<TopOfBook> books_;
  std::vector<Trade> trades_;
  std::set<std::thread::id> threads_;
};

auto quote(const char* bid, int64_t bidQty, const char* ask, int64_t askQty) {
  return [=](const TopOfBook& b) {
    return b.bidPx == Price::of(bid) && b.bidQty == Qty::fromInt(bidQty) &&
           b.askPx == Price::of(ask) && b.askQty == Qty::fromInt(askQty);
  };
}

class TwsMarketData : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    EmulatorConfig ec;
    ec.serverVersion = GetParam();
    emu = std::make_unique<TwsEmulator>(ec);
    emu->start();
    emu->setPrice("AAPL", Price::of("160"));  // what tws_emulator --price AAPL=160 does
    Instrument aapl;
    aapl.symbol = Symbol("AAPL");
    aapl.venueSymbols["ib"] = "STK:AAPL:SMART:NASDAQ:USD";
    instruments.add(aapl);
    Instrument msft;  // in our master, unknown to this TWS (no price)
    msft.symbol = Symbol("MSFT");
    instruments.add(msft);
    TwsConfig c;
    c.port = emu->port();
    c.clientId = 9;
    c.account = "DU1234567";
    c.pacingMsgsPerSec = 1000;
    c.reconnectMinMs = 20;
    c.reconnectMaxMs = 200;
    c.heartbeatSec = 30;
    c.connectTimeoutMs = 5000;
    venue = std::make_unique<TwsVenue>(VenueId("ib"), c, instruments, SystemClock::instance(),
                                       std::make_unique<MemoryOrderIdStore>());
    venue->start(events);
    ASSERT_TRUE(eventually([&] { return venue->connected(); }));
    ASSERT_EQ(venue->serverVersion(), GetParam());
  }
  void TearDown() override {
    venue.reset();
    emu->stop();
  }

  void buy(const std::string& child, int64_t qty, const char* px) {
    VenueNewOrder o;
    o.childId = ChildOrderId(child);
    o.symbol = Symbol("AAPL");
    o.side = Side::Buy;
    o.ordType = OrdType::Limit;
    o.qty = Qty::fromInt(qty);
    o.price = Price::of(px);
    o.account = Account("DU1234567");
    venue->submit(o);
  }

  std::unique_ptr<TwsEmulator> emu;
  InstrumentMaster instruments;
  Events events;
  std::unique_ptr<TwsVenue> venue;
};

TEST_P(TwsMarketData, SubscribeGetsTopOfBookWithSizesFromTheIoThread) {
  Feed feed;
  auto st = venue->subscribeMarketData(Symbol("AAPL"), feed, 0);
  ASSERT_TRUE(st.ok) << st.error;
  ASSERT_TRUE(feed.waitBook(quote("159.99", 100, "160.01", 100)));
  auto b = feed.books().back();
  EXPECT_EQ(b.venue.str(), "ib");
  EXPECT_EQ(b.symbol.str(), "AAPL");
  EXPECT_TRUE(b.bids.empty());  // top of book only
  EXPECT_GT(b.time, 0);
  EXPECT_TRUE(venue->marketDataStatus(Symbol("AAPL")).ok);
  EXPECT_EQ(emu->marketDataSubscriptions(), 1u);
  EXPECT_EQ(emu->requestsReceived(out::kReqMktData), 1u);
  // A size-only change arrives as tickSize, a price move as tickPrice.
  emu->setQuote("AAPL", Price::of("159.99"), Qty::fromInt(300), Price::of("160.01"),
                Qty::fromInt(100));
  ASSERT_TRUE(feed.waitBook(quote("159.99", 300, "160.01", 100)));
  emu->setQuote("AAPL", Price::of("159.98"), Qty::fromInt(500), Price::of("160.02"),
                Qty::fromInt(200));
  ASSERT_TRUE(feed.waitBook(quote("159.98", 500, "160.02", 200)));
  // An empty side (TWS sends price -1, size 0) is nullopt, not a price.
  emu->setQuote("AAPL", std::nullopt, Qty(), Price::of("160.02"), Qty::fromInt(200));
  ASSERT_TRUE(feed.waitBook([](const TopOfBook& x) { return !x.bidPx && x.bidQty.isZero(); }));
  // So is a price of 0 with size 0 (this subscription is ticker 1000000001).
  std::string zeroAsk;
  for (const char* f : {"1", "6", "1000000001", "2", "0", "0", "0"}) {
    zeroAsk += f;
    zeroAsk.push_back('\0');
  }
  emu->sendRaw(zeroAsk);
  ASSERT_TRUE(feed.waitBook([](const TopOfBook& x) { return !x.bidPx && !x.askPx; }));
  // Every call came from one thread, the adapter's, not this one.
  auto threads = feed.threads();
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_FALSE(threads.count(std::this_thread::get_id()));
  venue->unsubscribeMarketData(Symbol("AAPL"), feed);
}

TEST_P(TwsMarketData, AFillPrintsATradeAndUnsubscribeStopsUpdates) {
  Feed a, b;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), a, 0).ok);
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), b, 0).ok);
  ASSERT_TRUE(a.waitBook(quote("159.99", 100, "160.01", 100)));
  ASSERT_TRUE(b.waitBook(quote("159.99", 100, "160.01", 100)));
  // One TWS subscription serves both sinks.
  EXPECT_EQ(emu->requestsReceived(out::kReqMktData), 1u);
  buy("C1", 100, "160.05");  // marketable: fills at the emulator's 160
  ASSERT_TRUE(events.waitCount(VenueEventKind::Fill, 1));
  ASSERT_TRUE(a.waitTrades(1));
  ASSERT_TRUE(b.waitTrades(1));
  Trade t = a.trades().front();
  EXPECT_EQ(t.symbol.str(), "AAPL");
  EXPECT_EQ(t.venue.str(), "ib");
  EXPECT_EQ(t.price, Price::of("160"));
  EXPECT_EQ(t.qty, Qty::fromInt(100));
  EXPECT_GT(t.time, 0);
  EXPECT_EQ(venue->referencePrice(Symbol("AAPL")), Price::of("160"));

  // a leaves; b still gets the next book and trade, a gets neither.
  venue->unsubscribeMarketData(Symbol("AAPL"), a);
  const size_t aBooks = a.books().size(), aTrades = a.trades().size();
  emu->setPrice("AAPL", Price::of("161"));
  ASSERT_TRUE(b.waitBook(quote("160.99", 100, "161.01", 100)));
  buy("C2", 50, "161.05");
  ASSERT_TRUE(b.waitTrades(2));
  EXPECT_EQ(b.trades().back().price, Price::of("161"));
  EXPECT_EQ(b.trades().back().qty, Qty::fromInt(50));
  EXPECT_EQ(a.books().size(), aBooks);
  EXPECT_EQ(a.trades().size(), aTrades);
  EXPECT_EQ(emu->requestsReceived(out::kCancelMktData), 0u);

  // The last sink leaves: cancelMktData reaches TWS, which stops the feed.
  venue->unsubscribeMarketData(Symbol("AAPL"), b);
  ASSERT_TRUE(eventually([&] { return emu->marketDataSubscriptions() == 0; }));
  EXPECT_EQ(emu->requestsReceived(out::kCancelMktData), 1u);
  EXPECT_FALSE(venue->marketDataStatus(Symbol("AAPL")).ok);
  EXPECT_EQ(emu->badRequests(), 0u);
  EXPECT_EQ(venue->decodeErrors(), 0u);
}

TEST_P(TwsMarketData, UnknownSymbolsGetAClearError) {
  Feed f;
  // Not in the instrument master: refused at once.
  auto st = venue->subscribeMarketData(Symbol("ZZZZ"), f, 0);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.error.find("'ZZZZ' is not in the instrument master"), std::string::npos) << st.error;
  // In the master but unknown to TWS: TWS answers error 200 for the ticker.
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("MSFT"), f, 0).ok);
  MarketDataStatus ms;
  ASSERT_TRUE(eventually([&] { return !(ms = venue->marketDataStatus(Symbol("MSFT"))).ok; }));
  EXPECT_NE(ms.error.find("symbol 'MSFT'"), std::string::npos) << ms.error;
  EXPECT_NE(ms.error.find("TWS error 200: No security definition"), std::string::npos) << ms.error;
  // The connection and other symbols are unaffected.
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), f, 0).ok);
  ASSERT_TRUE(f.waitBook(quote("159.99", 100, "160.01", 100)));
  for (auto& b : f.books()) EXPECT_EQ(b.symbol.str(), "AAPL");
  EXPECT_TRUE(venue->connected());
  venue->unsubscribeMarketData(Symbol("AAPL"), f);
}

// Ticker ids start at 1000000001 (docs/ibkr_tws.md): the first subscription.
TEST_P(TwsMarketData, ANoticeKeepsTheSubscriptionAnErrorEndsIt) {
  Feed f;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), f, 0).ok);
  ASSERT_TRUE(f.waitBook(quote("159.99", 100, "160.01", 100)));
  emu->sendError(1000000001, 10090,
                 "Part of requested market data is not subscribed. Subscription-independent "
                 "ticks are still active.");
  emu->setPrice("AAPL", Price::of("165"));
  ASSERT_TRUE(f.waitBook(quote("164.99", 100, "165.01", 100)));
  EXPECT_TRUE(venue->marketDataStatus(Symbol("AAPL")).ok);
  emu->sendError(1000000001, 354, "Requested market data is not subscribed.");
  MarketDataStatus st;
  ASSERT_TRUE(eventually([&] { return !(st = venue->marketDataStatus(Symbol("AAPL"))).ok; }));
  EXPECT_NE(st.error.find("TWS error 354: Requested market data is not subscribed"),
            std::string::npos)
      << st.error;
  // The emulator still streams, but the adapter no longer calls the sink.
  const size_t books = f.books().size();
  emu->setPrice("AAPL", Price::of("166"));
  Feed probe;  // a fresh subscription sees the new book; f does not
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), probe, 0).ok);
  ASSERT_TRUE(probe.waitBook(quote("165.99", 100, "166.01", 100)));
  EXPECT_EQ(f.books().size(), books);
  EXPECT_TRUE(venue->marketDataStatus(Symbol("AAPL")).ok);
  venue->unsubscribeMarketData(Symbol("AAPL"), probe);
}

TEST_P(TwsMarketData, SubscriptionsAreRequestedAgainAfterAReconnect) {
  Feed f;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), f, 0).ok);
  ASSERT_TRUE(f.waitBook(quote("159.99", 100, "160.01", 100)));
  emu->dropConnections();
  // While away the market is unknown: an empty book, not a stale one.
  ASSERT_TRUE(f.waitBook([](const TopOfBook& b) { return !b.bidPx && !b.askPx; }));
  ASSERT_TRUE(events.waitCount(VenueEventKind::Reconnected, 1));
  ASSERT_TRUE(eventually([&] { return emu->marketDataSubscriptions() == 1; }));
  EXPECT_EQ(emu->requestsReceived(out::kReqMktData), 2u);
  emu->setPrice("AAPL", Price::of("162"));
  ASSERT_TRUE(f.waitBook(quote("161.99", 100, "162.01", 100)));
  venue->unsubscribeMarketData(Symbol("AAPL"), f);
}

TEST_P(TwsMarketData, ASubscriptionMadeWhileStoppedIsRequestedOnStart) {
  venue->stop();
  ASSERT_TRUE(eventually([&] { return emu->connectedClients() == 0; }));
  Feed f;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), f, 0).ok);
  EXPECT_EQ(emu->requestsReceived(out::kReqMktData), 0u);
  venue->start(events);
  ASSERT_TRUE(f.waitBook(quote("159.99", 100, "160.01", 100)));
  // And again after a stop/start with the subscription kept.
  venue->stop();
  ASSERT_TRUE(eventually([&] { return emu->marketDataSubscriptions() == 0; }));
  venue->start(events);
  ASSERT_TRUE(eventually([&] { return emu->marketDataSubscriptions() == 1; }));
  emu->setPrice("AAPL", Price::of("164"));
  ASSERT_TRUE(f.waitBook(quote("163.99", 100, "164.01", 100)));
  EXPECT_EQ(emu->requestsReceived(out::kReqMktData), 2u);
  venue->unsubscribeMarketData(Symbol("AAPL"), f);
}

TEST_P(TwsMarketData, AGarbledTickIsCountedAndTheFeedGoesOn) {
  Feed f;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("AAPL"), f, 0).ok);
  ASSERT_TRUE(f.waitBook(quote("159.99", 100, "160.01", 100)));
  std::string garbled;
  for (const char* s : {"1", "6", "1000000001", "1", "abc", "100", "1"}) {
    garbled += s;
    garbled.push_back('\0');
  }
  emu->sendRaw(garbled);
  ASSERT_TRUE(eventually([&] { return venue->decodeErrors() == 1; }));
  emu->setPrice("AAPL", Price::of("163"));
  ASSERT_TRUE(f.waitBook(quote("162.99", 100, "163.01", 100)));
  EXPECT_TRUE(venue->connected());
  venue->unsubscribeMarketData(Symbol("AAPL"), f);
}

INSTANTIATE_TEST_SUITE_P(ServerVersions, TwsMarketData, ::testing::Values(100, 176),
                         [](const auto& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace fixgw::tws
