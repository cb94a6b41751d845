// Binance public market data against the emulator over real WSS on
// loopback: top of book from <symbol>@bookTicker, trades from
// <symbol>@trade, partial depth, several symbols and sinks, unsubscribe, a
// dropped stream blanking the book until new data, and malformed payloads
// that are skipped with the stream kept.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "tests/binance/test_data.h"
#include "venue_adapters/binance/adapter.h"
#include "venue_adapters/binance/emulator.h"

using namespace fixgw;
using namespace fixgw::binance;

namespace {

constexpr const char* kKey = "emulator-api-key";
constexpr const char* kSecret = "emulator-secret-for-tests-only";

class NullEvents : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent) override {}
};

class MdSink : public MarketDataSink {
 public:
  void onBook(const TopOfBook& b) override {
    std::lock_guard lk(mu_);
    books_.push_back(b);
  }
  void onTrade(const Trade& t) override {
    std::lock_guard lk(mu_);
    trades_.push_back(t);
  }
  std::vector<TopOfBook> books(const std::string& sym) const {
    std::lock_guard lk(mu_);
    std::vector<TopOfBook> out;
    for (const auto& b : books_)
      if (b.symbol.str() == sym) out.push_back(b);
    return out;
  }
  std::vector<Trade> trades(const std::string& sym) const {
    std::lock_guard lk(mu_);
    std::vector<Trade> out;
    for (const auto& t : trades_)
      if (t.symbol.str() == sym) out.push_back(t);
    return out;
  }
  std::optional<TopOfBook> last(const std::string& sym) const {
    auto b = books(sym);
    if (b.empty()) return std::nullopt;
    return b.back();
  }
  size_t bookCount() const {
    std::lock_guard lk(mu_);
    return books_.size();
  }
  size_t tradeCount() const {
    std::lock_guard lk(mu_);
    return trades_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<TopOfBook> books_;
  std::vector<Trade> trades_;
};

using Levels = std::vector<std::pair<Price, Qty>>;

class BinanceMarketDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emu = std::make_unique<BinanceEmulator>(
        EmulatorOptions{kKey, kSecret, binanceTestData("exchange_info.json"), &clock});
    emu->start();
    emu->setLastPrice("BTCUSDT", Price::of("60000"));
    for (const char* s : {"BTC/USDT", "ETH/BTC"}) {
      Instrument i;
      i.symbol = Symbol(s);
      im.add(i);
    }
    cfg.restPort = emu->port();
    cfg.serverName = "localhost";
    cfg.caPem = emu->certPem();
    cfg.wsHost = "127.0.0.1";
    cfg.wsPort = emu->port();
    cfg.pollIntervalMs = 50;
    cfg.reconnectMs = 50;
    venue = makeBinanceVenue(VenueId("binance"), cfg, Credentials{kKey, kSecret}, im, clock);
    venue->start(events);
    ASSERT_TRUE(waitFor([&] { return emu->openStreams() == 1; }));
  }
  void TearDown() override {
    if (venue) venue->stop();
    emu->stop();
  }

  // Waits for pred, advancing the shared clock 10 ms per step; gives up after
  // 1000 steps. Never asserts on time.
  template <class P>
  bool waitFor(P pred) {
    for (int i = 0; i < 1000; ++i) {
      if (pred()) return true;
      clock.advance(10'000'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  static bool top(const std::optional<TopOfBook>& b, const char* bid, const char* bidQty,
                  const char* ask, const char* askQty) {
    return b && b->bidPx == Price::of(bid) && b->bidQty == Qty::of(bidQty) &&
           b->askPx == Price::of(ask) && b->askQty == Qty::of(askQty);
  }

  ManualClock clock{SystemClock::instance().wallNow() / 60'000'000'000LL * 60'000'000'000LL};
  std::unique_ptr<BinanceEmulator> emu;
  InstrumentMaster im;
  BinanceConfig cfg;
  std::unique_ptr<VenueAdapter> venue;
  NullEvents events;
};

TEST_F(BinanceMarketDataTest, TopOfBookAndTradesWithExactDecimals) {
  emu->setBook("BTCUSDT", Levels{{Price::of("59990.01"), Qty::of("0.5")}},
               Levels{{Price::of("60010.99"), Qty::of("0.00012345")}});
  MdSink sink;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC/USDT"), sink, 0).ok);
  ASSERT_TRUE(waitFor(
      [&] { return top(sink.last("BTC/USDT"), "59990.01", "0.5", "60010.99", "0.00012345"); }));
  EXPECT_EQ(sink.last("BTC/USDT")->venue, VenueId("binance"));
  EXPECT_TRUE(sink.last("BTC/USDT")->bids.empty()) << "top only: no depth asked";
  auto subs = emu->marketSubscriptions();
  EXPECT_NE(std::find(subs.begin(), subs.end(), "btcusdt@bookTicker"), subs.end());
  EXPECT_NE(std::find(subs.begin(), subs.end(), "btcusdt@trade"), subs.end());

  // Our own resting order improves the bid: the book moves.
  VenueNewOrder o;
  o.childId = ChildOrderId("m1");
  o.symbol = Symbol("BTC/USDT");
  o.side = Side::Buy;
  o.ordType = OrdType::Limit;
  o.tif = TimeInForce::Gtc;
  o.qty = Qty::of("0.001");
  o.price = Price::of("59995");
  venue->submit(o);
  ASSERT_TRUE(waitFor(
      [&] { return top(sink.last("BTC/USDT"), "59995", "0.001", "60010.99", "0.00012345"); }));

  // A print by others, then one that fills our order (our fills are prints too).
  emu->trade("BTCUSDT", Price::of("60010.99"), Qty::of("0.00002"));
  ASSERT_TRUE(waitFor([&] { return sink.trades("BTC/USDT").size() == 1; }));
  Trade t = sink.trades("BTC/USDT")[0];
  EXPECT_EQ(t.price, Price::of("60010.99"));
  EXPECT_EQ(t.qty, Qty::of("0.00002"));
  EXPECT_GT(t.time, 0);
  emu->trade("BTCUSDT", Price::of("59994"), Qty::of("0.01"));
  ASSERT_TRUE(waitFor([&] { return sink.trades("BTC/USDT").size() == 3; }));
  EXPECT_EQ(sink.trades("BTC/USDT")[1].price, Price::of("59994"));  // the print
  EXPECT_EQ(sink.trades("BTC/USDT")[1].qty, Qty::of("0.01"));
  EXPECT_EQ(sink.trades("BTC/USDT")[2].price, Price::of("59995"));  // our fill at its limit
  EXPECT_EQ(sink.trades("BTC/USDT")[2].qty, Qty::of("0.001"));
  ASSERT_TRUE(waitFor([&] {
    return top(sink.last("BTC/USDT"), "59990.01", "0.5", "60010.99", "0.00012345");
  })) << "the filled order left the book";
}

TEST_F(BinanceMarketDataTest, PartialDepthWhenLevelsAreAsked) {
  emu->setBook("BTCUSDT",
               Levels{{Price::of("59990"), Qty::of("1")},
                      {Price::of("59980"), Qty::of("2")},
                      {Price::of("59970"), Qty::of("3")},
                      {Price::of("59960"), Qty::of("4")}},
               Levels{{Price::of("60010"), Qty::of("0.1")}, {Price::of("60020"), Qty::of("0.2")}});
  MdSink sink;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC/USDT"), sink, 3).ok);
  ASSERT_TRUE(waitFor([&] {
    auto b = sink.last("BTC/USDT");
    return b && b->bids.size() == 3 && b->asks.size() == 2;
  }));
  auto b = *sink.last("BTC/USDT");
  EXPECT_EQ(b.bids[0], (BookLevel{Price::of("59990"), Qty::of("1")}));
  EXPECT_EQ(b.bids[2], (BookLevel{Price::of("59970"), Qty::of("3")}));
  EXPECT_EQ(b.asks[1], (BookLevel{Price::of("60020"), Qty::of("0.2")}));
  EXPECT_EQ(b.bidPx, Price::of("59990"));
  EXPECT_EQ(b.askPx, Price::of("60010"));
  auto subs = emu->marketSubscriptions();
  EXPECT_NE(std::find(subs.begin(), subs.end(), "btcusdt@depth5@100ms"), subs.end());
}

TEST_F(BinanceMarketDataTest, SeveralSymbolsAndSinksThenUnsubscribe) {
  emu->setBook("BTCUSDT", Levels{{Price::of("59990"), Qty::of("1")}},
               Levels{{Price::of("60010"), Qty::of("1")}});
  emu->setBook("ETHBTC", Levels{{Price::of("0.05"), Qty::of("10")}},
               Levels{{Price::of("0.0501"), Qty::of("12")}});
  MdSink a, b;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC/USDT"), a, 0).ok);
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("ETH/BTC"), a, 0).ok);
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC/USDT"), b, 0).ok);
  ASSERT_TRUE(waitFor([&] {
    return top(a.last("BTC/USDT"), "59990", "1", "60010", "1") &&
           top(a.last("ETH/BTC"), "0.05", "10", "0.0501", "12") &&
           top(b.last("BTC/USDT"), "59990", "1", "60010", "1");
  }));
  EXPECT_TRUE(b.books("ETH/BTC").empty());
  EXPECT_EQ(emu->marketStreamsOpened(), 1) << "one connection for every symbol";

  venue->unsubscribeMarketData(Symbol("BTC/USDT"), b);
  venue->unsubscribeMarketData(Symbol("ETH/BTC"), a);
  ASSERT_TRUE(waitFor([&] {
    auto s = emu->marketSubscriptions();
    return std::find(s.begin(), s.end(), "ethbtc@bookTicker") == s.end();
  })) << "the stream no one reads is unsubscribed";
  const size_t bBooks = b.bookCount();
  const size_t aEth = a.books("ETH/BTC").size();
  emu->setBook("BTCUSDT", Levels{{Price::of("59991"), Qty::of("2")}},
               Levels{{Price::of("60010"), Qty::of("1")}});
  ASSERT_TRUE(waitFor([&] { return top(a.last("BTC/USDT"), "59991", "2", "60010", "1"); }));
  EXPECT_EQ(b.bookCount(), bBooks) << "an unsubscribed sink hears nothing more";
  EXPECT_EQ(a.books("ETH/BTC").size(), aEth);
  EXPECT_FALSE(venue->subscribeMarketData(Symbol("DOGE/USDT"), a, 0).ok);
}

TEST_F(BinanceMarketDataTest, ADroppedStreamBlanksTheBookUntilTheNewData) {
  emu->setBook("BTCUSDT", Levels{{Price::of("59990"), Qty::of("1")}},
               Levels{{Price::of("60010"), Qty::of("1")}});
  MdSink sink;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC/USDT"), sink, 0).ok);
  ASSERT_TRUE(waitFor([&] { return top(sink.last("BTC/USDT"), "59990", "1", "60010", "1"); }));
  emu->dropMarketStreams();
  // The market moves while we are cut off.
  emu->setBook("BTCUSDT", Levels{{Price::of("59995"), Qty::of("3")}},
               Levels{{Price::of("60005"), Qty::of("4")}});
  // The book while the stream is down is blank, never the stale one.
  ASSERT_TRUE(waitFor([&] {
    for (const auto& b : sink.books("BTC/USDT"))
      if (!b.bidPx && !b.askPx) return true;
    return false;
  }));
  ASSERT_TRUE(waitFor([&] { return top(sink.last("BTC/USDT"), "59995", "3", "60005", "4"); }))
      << "the reconnected stream's data";
  EXPECT_EQ(emu->marketStreamsOpened(), 2);
  // Blank, then only the new data: the stale 59990 bid never comes back.
  auto books = sink.books("BTC/USDT");
  size_t blank = books.size();
  for (size_t i = 0; i < books.size(); ++i)
    if (!books[i].bidPx && !books[i].askPx) blank = i;
  ASSERT_LT(blank, books.size());
  for (size_t i = blank + 1; i < books.size(); ++i) EXPECT_EQ(books[i].bidPx, Price::of("59995"));
}

TEST_F(BinanceMarketDataTest, MalformedPayloadsAreSkippedAndTheStreamKept) {
  emu->setBook("BTCUSDT", Levels{{Price::of("59990"), Qty::of("1")}},
               Levels{{Price::of("60010"), Qty::of("1")}});
  MdSink sink;
  ASSERT_TRUE(venue->subscribeMarketData(Symbol("BTC/USDT"), sink, 0).ok);
  ASSERT_TRUE(waitFor([&] { return top(sink.last("BTC/USDT"), "59990", "1", "60010", "1"); }));
  const size_t books = sink.bookCount(), trades = sink.tradeCount();
  // Truncated, not JSON, a float where Binance sends a decimal string with
  // too many places, a trade without its quantity, depth without a name.
  emu->sendMarketRaw(
      R"({"stream":"btcusdt@bookTicker","data":{"u":999999999999,"s":"BTCUSDT","b":"1.0)");
  emu->sendMarketRaw("not json at all");
  emu->sendMarketRaw(
      R"({"stream":"btcusdt@bookTicker","data":{"u":999999999999,"s":"BTCUSDT","b":"1.123456789","B":"1","a":"2","A":"1"}})");
  emu->sendMarketRaw(
      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","T":1}})");
  emu->sendMarketRaw(R"({"data":{"lastUpdateId":1,"bids":[],"asks":[]}})");
  emu->setBook("BTCUSDT", Levels{{Price::of("59992"), Qty::of("1")}},
               Levels{{Price::of("60010"), Qty::of("1")}});
  ASSERT_TRUE(waitFor([&] { return top(sink.last("BTC/USDT"), "59992", "1", "60010", "1"); }))
      << "the stream is alive after the bad payloads";
  EXPECT_EQ(sink.bookCount(), books + 1) << "nothing was made of the bad payloads";
  EXPECT_EQ(sink.tradeCount(), trades);
  EXPECT_EQ(emu->marketStreamsOpened(), 1) << "not dropped and reconnected";
  EXPECT_EQ(emu->openMarketStreams(), 1);
}

}  // namespace
