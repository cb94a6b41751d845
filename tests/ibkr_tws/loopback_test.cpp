// The TWS venue adapter against the TWS API emulator over loopback, at two
// server versions: order life cycles, error-code rejects, a disconnect with
// fills happening while away (each booked exactly once after reconnect), and
// order ids never reused across an adapter restart. No timing assertions:
// every wait is on a condition with a generous timeout.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "venue_adapters/ibkr_tws/adapter.h"
#include "venue_adapters/ibkr_tws/codec.h"
#include "venue_adapters/ibkr_tws/emulator.h"

namespace fixgw::tws {
namespace {

constexpr auto kWait = std::chrono::seconds(20);

class Sink : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent e) override {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  // Waits until pred holds over the events so far.
  bool waitFor(const std::function<bool(const std::vector<VenueEvent>&)>& pred) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kWait, [&] { return pred(events_); });
  }
  std::vector<VenueEvent> events() {
    std::lock_guard lk(mu_);
    return events_;
  }
  size_t count(VenueEventKind k, const std::string& child = "") {
    std::lock_guard lk(mu_);
    size_t n = 0;
    for (auto& e : events_) n += e.kind == k && (child.empty() || e.childId.str() == child);
    return n;
  }
  bool waitCount(VenueEventKind k, size_t n, const std::string& child = "") {
    return waitFor([&](const std::vector<VenueEvent>& evs) {
      size_t c = 0;
      for (auto& e : evs) c += e.kind == k && (child.empty() || e.childId.str() == child);
      return c >= n;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<VenueEvent> events_;
};

// Polls a condition on another component (emulator or adapter state).
bool eventually(const std::function<bool()>& cond) {
  auto until = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

class TwsLoopback : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    EmulatorConfig ec;
    ec.serverVersion = GetParam();
    ec.autoFill = true;
    emu = std::make_unique<TwsEmulator>(ec);
    emu->start();
    emu->setPrice("AAPL", Price::of("160"));
    Instrument aapl;
    aapl.symbol = Symbol("AAPL");
    aapl.venueSymbols["ib"] = "STK:AAPL:SMART:NASDAQ:USD";
    instruments.add(aapl);
    Instrument msft;
    msft.symbol = Symbol("MSFT");
    instruments.add(msft);  // no spec: STK:MSFT:SMART::USD
    dir = std::filesystem::temp_directory_path() /
          ("tws_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override {
    venue.reset();
    emu->stop();
    std::filesystem::remove_all(dir);
  }

  TwsConfig config(int64_t clientId = 7) {
    TwsConfig c;
    c.port = emu->port();
    c.clientId = clientId;
    c.account = "DU1234567";
    c.pacingMsgsPerSec = 1000;
    c.reconnectMinMs = 20;
    c.reconnectMaxMs = 200;
    c.heartbeatSec = 30;
    c.connectTimeoutMs = 5000;
    return c;
  }

  std::unique_ptr<TwsVenue> makeVenue(TwsConfig c, Sink& s) {
    auto v = std::make_unique<TwsVenue>(
        VenueId("ib"), c, instruments, SystemClock::instance(),
        std::make_unique<FileOrderIdStore>((dir / "order_ids").string()));
    v->start(s);
    return v;
  }

  void startDefault() {
    venue = makeVenue(config(), sink);
    ASSERT_TRUE(eventually([&] { return venue->connected(); }));
    ASSERT_TRUE(eventually([&] { return venue->syncsCompleted() >= 1; }));
    EXPECT_EQ(venue->serverVersion(), GetParam());
  }

  static VenueNewOrder limit(const std::string& child, Side side, int64_t qty, const char* px,
                             const char* sym = "AAPL") {
    VenueNewOrder o;
    o.childId = ChildOrderId(child);
    o.symbol = Symbol(sym);
    o.side = side;
    o.ordType = OrdType::Limit;
    o.tif = TimeInForce::Day;
    o.qty = Qty::fromInt(qty);
    o.price = Price::of(px);
    o.account = Account("DU1234567");
    return o;
  }

  int64_t ibIdOf(const std::string& child) {
    std::optional<int64_t> id;
    EXPECT_TRUE(
        eventually([&] { return (id = venue->twsOrderId(ChildOrderId(child))).has_value(); }));
    return id.value_or(-1);
  }

  std::vector<VenueEvent> fillsOf(const std::string& child) {
    std::vector<VenueEvent> out;
    for (auto& e : sink.events())
      if (e.kind == VenueEventKind::Fill && e.childId.str() == child) out.push_back(e);
    return out;
  }

  std::unique_ptr<TwsEmulator> emu;
  InstrumentMaster instruments;
  std::filesystem::path dir;
  Sink sink;
  std::unique_ptr<TwsVenue> venue;
};

TEST_P(TwsLoopback, PlaceAckPartialFillThenFillWithCommission) {
  emu->setAutoFill(false);
  startDefault();
  venue->submit(limit("C1", Side::Buy, 100, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "C1"));
  int64_t id = ibIdOf("C1");
  auto ack = sink.events();
  EXPECT_EQ(ack.back().venueOrderId.str(), std::to_string(id));
  EXPECT_EQ(ack.back().leavesQty, Qty::fromInt(100));
  auto seen = emu->order(id);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->orderRef, "C1") << "orderRef carries our child id";
  EXPECT_EQ(seen->lmtPrice, Price::of("150"));

  ASSERT_TRUE(emu->fillOrder(id, Qty::fromInt(40), Price::of("149.5")));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 1, "C1"));
  ASSERT_TRUE(emu->fillOrder(id, Qty::fromInt(60), Price::of("149.75")));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 2, "C1"));
  auto fills = fillsOf("C1");
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].lastQty, Qty::fromInt(40));
  EXPECT_EQ(fills[0].lastPx, Price::of("149.5"));
  EXPECT_EQ(fills[0].cumQty, Qty::fromInt(40));
  EXPECT_EQ(fills[0].leavesQty, Qty::fromInt(60));
  EXPECT_EQ(fills[1].lastQty, Qty::fromInt(60));
  EXPECT_EQ(fills[1].lastPx, Price::of("149.75"));
  EXPECT_EQ(fills[1].cumQty, Qty::fromInt(100));
  EXPECT_TRUE(fills[1].leavesQty.isZero());
  EXPECT_NE(fills[0].venueExecId, fills[1].venueExecId);
  // 60 shares at $0.005 is $0.30, under the $1 minimum.
  std::optional<Commission> c;
  ASSERT_TRUE(
      eventually([&] { return (c = venue->commission(fills[1].venueExecId)).has_value(); }));
  EXPECT_EQ(c->amount, Price::of("1"));
  EXPECT_EQ(c->currency, "USD");
}

// Each fill is booked with its commission (fee + currency from commissionReport,
// which TWS sends after execDetails): 40 shares at $0.005 is $0.20, so the $1
// minimum; 300 shares is $1.50.
TEST_P(TwsLoopback, FillsAreBookedWithTheirCommission) {
  emu->setAutoFill(false);
  startDefault();
  venue->submit(limit("F1", Side::Buy, 340, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "F1"));
  const int64_t id = ibIdOf("F1");
  ASSERT_TRUE(emu->fillOrder(id, Qty::fromInt(40), Price::of("149.5")));
  ASSERT_TRUE(emu->fillOrder(id, Qty::fromInt(300), Price::of("149.75")));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 2, "F1"));
  auto fills = fillsOf("F1");
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].lastQty, Qty::fromInt(40));
  EXPECT_EQ(fills[0].fee, Qty::of("1"));
  EXPECT_EQ(fills[0].feeCurrency, "USD");
  EXPECT_EQ(fills[1].lastQty, Qty::fromInt(300));
  EXPECT_EQ(fills[1].fee, Qty::of("1.5"));
  EXPECT_EQ(fills[1].feeCurrency, "USD");
}

// A TWS that never sends the commissionReport: the fill is booked without a
// fee once commission_wait_ms has passed, and the order's later events (a
// cancel sent meanwhile) come after it, never before.
TEST_P(TwsLoopback, AFillWithoutCommissionIsBookedAfterTheWaitAndKeepsItsOrder) {
  emu->stop();
  EmulatorConfig ec;
  ec.serverVersion = GetParam();
  ec.autoFill = false;
  ec.sendCommissionReports = false;
  emu = std::make_unique<TwsEmulator>(ec);
  emu->start();
  emu->setPrice("AAPL", Price::of("160"));
  TwsConfig c = config();
  c.commissionWaitMs = 300;
  venue = makeVenue(c, sink);
  ASSERT_TRUE(eventually([&] { return venue->connected(); }));
  ASSERT_TRUE(eventually([&] { return venue->syncsCompleted() >= 1; }));
  venue->submit(limit("N1", Side::Buy, 100, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "N1"));
  const int64_t id = ibIdOf("N1");
  ASSERT_TRUE(emu->fillOrder(id, Qty::fromInt(10), Price::of("149.5")));
  venue->cancel(
      VenueCancel{ChildOrderId("N1"), VenueOrderId(std::to_string(id)), Symbol("AAPL"), Side::Buy});
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Canceled, 1, "N1"));
  ASSERT_EQ(sink.count(VenueEventKind::Fill, "N1"), 1u);
  size_t fillAt = 0, cancelAt = 0;
  auto evs = sink.events();
  for (size_t i = 0; i < evs.size(); ++i) {
    if (evs[i].childId.str() != "N1") continue;
    if (evs[i].kind == VenueEventKind::Fill) fillAt = i;
    if (evs[i].kind == VenueEventKind::Canceled) cancelAt = i;
  }
  EXPECT_LT(fillAt, cancelAt);
  EXPECT_FALSE(evs[fillAt].fee);
  EXPECT_EQ(evs[fillAt].lastQty, Qty::fromInt(10));
}

TEST_P(TwsLoopback, MarketableOrderFillsInPartialChunksFromThePriceModel) {
  emu->setMaxFillQty(Qty::fromInt(30));
  startDefault();
  venue->submit(limit("C2", Side::Sell, 100, "155"));  // price 160 >= 155: marketable
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 4, "C2"));
  auto fills = fillsOf("C2");
  ASSERT_EQ(fills.size(), 4u);
  EXPECT_EQ(fills[0].lastQty, Qty::fromInt(30));
  EXPECT_EQ(fills[3].lastQty, Qty::fromInt(10));
  EXPECT_EQ(fills[3].cumQty, Qty::fromInt(100));
  for (auto& f : fills) EXPECT_EQ(f.lastPx, Price::of("160"));
  EXPECT_EQ(sink.count(VenueEventKind::Accepted, "C2"), 1u);
}

TEST_P(TwsLoopback, CancelWorkingOrder) {
  startDefault();
  venue->submit(limit("C3", Side::Buy, 10, "150"));  // below 160: rests
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "C3"));
  VenueCancel c;
  c.childId = ChildOrderId("C3");
  venue->cancel(c);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Canceled, 1, "C3"));
  int64_t id = ibIdOf("C3");
  EXPECT_EQ(emu->order(id)->status, "Cancelled");
  // orderStatus Cancelled and error 202 both arrive: one event only. A later
  // request proves both were processed.
  venue->submit(limit("C3b", Side::Buy, 1, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "C3b"));
  EXPECT_EQ(sink.count(VenueEventKind::Canceled, "C3"), 1u);
  // Cancelling again is refused locally: the order is done.
  venue->cancel(c);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::CancelRejected, 1, "C3"));
}

TEST_P(TwsLoopback, ModifyIsPlaceOrderWithTheSameId) {
  startDefault();
  venue->submit(limit("C4", Side::Buy, 100, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "C4"));
  int64_t id = ibIdOf("C4");
  VenueReplace r;
  r.childId = ChildOrderId("C4");
  r.newQty = Qty::fromInt(200);
  r.newPrice = Price::of("151");
  venue->replace(r);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Replaced, 1, "C4"));
  auto evs = sink.events();
  auto it = std::find_if(evs.begin(), evs.end(),
                         [](auto& e) { return e.kind == VenueEventKind::Replaced; });
  EXPECT_EQ(it->newQty, Qty::fromInt(200));
  EXPECT_EQ(it->newPrice, Price::of("151"));
  EXPECT_EQ(it->leavesQty, Qty::fromInt(200));
  auto o = emu->order(id);
  EXPECT_EQ(o->qty, Qty::fromInt(200));
  EXPECT_EQ(o->lmtPrice, Price::of("151"));
  EXPECT_EQ(emu->newOrderIds(), std::vector<int64_t>{id});
  // A modify the venue refuses is a ReplaceRejected with its text.
  emu->rejectNextOrder(110, "The price does not conform to the minimum price variation");
  r.newPrice = Price::of("151.001");
  venue->replace(r);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::ReplaceRejected, 1, "C4"));
  EXPECT_NE(sink.events().back().text.find("110"), std::string::npos);
}

TEST_P(TwsLoopback, StopLimitAtTheOpeningGoesOutAsStpLmtOpgAndItsTriggerCanMove) {
  startDefault();
  // The emulator's AAPL is 160: a sell stop at 155 waits.
  VenueNewOrder o = limit("C9", Side::Sell, 50, "154");
  o.ordType = OrdType::StopLimit;
  o.stopPx = Price::of("155");
  o.tif = TimeInForce::AtTheOpening;
  venue->submit(o);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "C9"));
  int64_t id = ibIdOf("C9");
  auto seen = emu->order(id);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->orderType, "STP LMT");
  EXPECT_EQ(seen->tif, "OPG");
  EXPECT_EQ(seen->lmtPrice, Price::of("154"));
  EXPECT_EQ(seen->auxPrice, Price::of("155"));
  EXPECT_EQ(seen->filled, Qty{});

  // Moving the trigger to 165 (above the market) triggers it: it fills at the market.
  VenueReplace r;
  r.childId = ChildOrderId("C9");
  r.newQty = Qty::fromInt(50);
  r.newStopPx = Price::of("165");
  venue->replace(r);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Replaced, 1, "C9"));
  EXPECT_EQ(emu->order(id)->auxPrice, Price::of("165"));
  EXPECT_EQ(emu->order(id)->lmtPrice, Price::of("154"));
  // OPG is not DAY: triggered or not, the order waits for the opening auction.
  EXPECT_EQ(emu->order(id)->status, "PreSubmitted");
  EXPECT_TRUE(fillsOf("C9").empty());
  EXPECT_EQ(emu->openAuction(), 1u);
  ASSERT_TRUE(eventually([&] {
    auto f = fillsOf("C9");
    return !f.empty() && f.back().cumQty == Qty::fromInt(50);
  }));
  EXPECT_EQ(fillsOf("C9").front().lastPx, Price::of("160"));

  // A plain stop carries only auxPrice.
  VenueNewOrder s = limit("C10", Side::Buy, 5, "1");
  s.ordType = OrdType::Stop;
  s.price.reset();
  s.stopPx = Price::of("170");
  venue->submit(s);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "C10"));
  auto stp = emu->order(ibIdOf("C10"));
  ASSERT_TRUE(stp);
  EXPECT_EQ(stp->orderType, "STP");
  EXPECT_FALSE(stp->lmtPrice);
  EXPECT_EQ(stp->auxPrice, Price::of("170"));
  EXPECT_TRUE(fillsOf("C10").empty());
}

// An OPG limit the open does not reach is cancelled at the open, not carried
// into the day; one placed after the auction waits for the next one.
TEST_P(TwsLoopback, OpgOrdersTradeOnlyInTheOpeningAuction) {
  startDefault();
  VenueNewOrder buy = limit("O1", Side::Buy, 10, "161");  // marketable at 160
  buy.tif = TimeInForce::AtTheOpening;
  VenueNewOrder low = limit("O2", Side::Buy, 10, "150");  // not reached by the open
  low.tif = TimeInForce::AtTheOpening;
  venue->submit(buy);
  venue->submit(low);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "O1"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "O2"));
  EXPECT_TRUE(fillsOf("O1").empty()) << "a marketable OPG order must not trade before the open";
  EXPECT_EQ(emu->order(ibIdOf("O1"))->status, "PreSubmitted");

  EXPECT_EQ(emu->openAuction(), 1u);
  ASSERT_TRUE(eventually([&] { return fillsOf("O1").size() == 1; }));
  EXPECT_EQ(fillsOf("O1").front().lastQty, Qty::fromInt(10));
  EXPECT_EQ(fillsOf("O1").front().lastPx, Price::of("160"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Expired, 1, "O2"));
  EXPECT_EQ(sink.count(VenueEventKind::Canceled, "O2"), 0u) << "nobody asked to cancel it";
  EXPECT_EQ(emu->order(ibIdOf("O2"))->status, "Cancelled");

  VenueNewOrder late = limit("O3", Side::Buy, 5, "170");
  late.tif = TimeInForce::AtTheOpening;
  venue->submit(late);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "O3"));
  EXPECT_TRUE(fillsOf("O3").empty());
  EXPECT_EQ(emu->openAuction(), 1u);
  ASSERT_TRUE(eventually([&] { return fillsOf("O3").size() == 1; }));
}

// Issue 14: the order attributes IB takes arrive in the emulator's parsed
// placeOrder with the right values, at both server versions.
TEST_P(TwsLoopback, OrderAttributesArriveInPlaceOrder) {
  startDefault();
  VenueNewOrder o = limit("A1", Side::Sell, 100, "170");
  o.tif = TimeInForce::GoodTillDate;
  o.attrs.orderCapacity = 'A';
  o.attrs.positionEffect = 'C';
  o.attrs.minQty = Qty::fromInt(10);
  o.attrs.maxFloor = Qty::fromInt(20);
  o.attrs.locateReqd = true;                          // accepted, not passed on
  o.attrs.expireTime = 1800046800LL * 1'000'000'000;  // 2027-01-15 21:00:00 UTC
  venue->submit(o);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "A1"));
  auto seen = emu->order(ibIdOf("A1"));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->tif, "GTD");
  EXPECT_EQ(seen->goodTillDate, GetParam() >= 170 ? "20270115-21:00:00" : "20270115 21:00:00 GMT");
  EXPECT_EQ(seen->rule80A, "A");
  EXPECT_EQ(seen->openClose, "C");
  EXPECT_EQ(seen->minQty, 10);
  EXPECT_EQ(seen->displaySize, 20);
  EXPECT_FALSE(seen->cashQty);
  EXPECT_FALSE(seen->duration);
  EXPECT_FALSE(seen->postToAts);
  // The date is the one TWS will hold it to: not before it, at it the order expires.
  EXPECT_EQ(emu->expireGoodTillDate(1800046800 - 1), 0u);
  EXPECT_EQ(emu->expireGoodTillDate(1800046800), 1u);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Expired, 1, "A1"));

  // A FIX 4.2 Rule80A program-trading code goes through as IB's same letter;
  // a modify sends the attributes again (TWS matches them).
  VenueNewOrder k = limit("A2", Side::Buy, 5, "150");
  k.attrs.rule80A = 'K';
  k.attrs.positionEffect = 'O';
  venue->submit(k);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "A2"));
  VenueReplace r;
  r.childId = ChildOrderId("A2");
  r.newQty = Qty::fromInt(6);
  r.newPrice = Price::of("150.5");
  venue->replace(r);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Replaced, 1, "A2"));
  auto k2 = emu->order(ibIdOf("A2"));
  ASSERT_TRUE(k2);
  EXPECT_EQ(k2->qty, Qty::fromInt(6));
  EXPECT_EQ(k2->rule80A, "K");
  EXPECT_EQ(k2->openClose, "O");
  EXPECT_EQ(k2->tif, "DAY");
  EXPECT_EQ(k2->goodTillDate, "");
}

// What IB cannot express is refused before it leaves, naming the FIX field.
TEST_P(TwsLoopback, AttributesIbCannotTakeAreRejectedNamingTheField) {
  startDefault();
  auto rejectText = [&](const std::string& child, const std::function<void(VenueNewOrder&)>& f) {
    VenueNewOrder o = limit(child, Side::Buy, 10, "150");
    f(o);
    venue->submit(o);
    EXPECT_TRUE(sink.waitCount(VenueEventKind::Rejected, 1, child));
    for (auto& e : sink.events())
      if (e.kind == VenueEventKind::Rejected && e.childId.str() == child) return e.text;
    return std::string();
  };
  std::string post = rejectText("R1", [](VenueNewOrder& o) { o.attrs.postOnly = true; });
  EXPECT_NE(post.find("ExecInst (18) value 6"), std::string::npos) << post;
  std::string cap = rejectText("R2", [](VenueNewOrder& o) { o.attrs.orderCapacity = 'P'; });
  EXPECT_NE(cap.find("OrderCapacity (528) value 'P'"), std::string::npos) << cap;
  std::string r80 = rejectText("R3", [](VenueNewOrder& o) { o.attrs.rule80A = 'S'; });
  EXPECT_NE(r80.find("Rule80A (47) value 'S'"), std::string::npos) << r80;
  std::string pe = rejectText("R4", [](VenueNewOrder& o) { o.attrs.positionEffect = 'R'; });
  EXPECT_NE(pe.find("PositionEffect (77)"), std::string::npos) << pe;
  std::string gtd = rejectText("R5", [](VenueNewOrder& o) { o.tif = TimeInForce::GoodTillDate; });
  EXPECT_NE(gtd.find("59=6"), std::string::npos) << gtd;
  std::string mq = rejectText("R6", [](VenueNewOrder& o) { o.attrs.minQty = Qty::of("0.5"); });
  EXPECT_NE(mq.find("MinQty (110)"), std::string::npos) << mq;
  std::string mf = rejectText("R7", [](VenueNewOrder& o) { o.attrs.maxFloor = Qty::of("2.5"); });
  EXPECT_NE(mf.find("MaxFloor (111)"), std::string::npos) << mf;
  EXPECT_TRUE(emu->newOrderIds().empty()) << "nothing refused may reach TWS";
  // The refusals used no ids' worth of harm: the next order still goes out.
  venue->submit(limit("R8", Side::Buy, 1, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "R8"));
}

// A raw client on the socket, to send the emulator what the adapter never would.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { ::close(fd_); }
  bool ok() const { return ok_; }
  void send(const std::string& bytes) {
    ok_ = ok_ && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                     static_cast<ssize_t>(bytes.size());
  }
  // The next payload, or nullopt on timeout or close.
  std::optional<std::string> next() {
    std::string payload, err;
    for (;;) {
      auto st = frames_.next(payload, err);
      if (st == FrameDecoder::Status::Message) return payload;
      if (st == FrameDecoder::Status::Error) return std::nullopt;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      frames_.feed(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  FrameDecoder frames_;
};

std::string joinFields(const std::vector<std::string>& f) {
  std::string out;
  for (auto& s : f) {
    out += s;
    out.push_back('\0');
  }
  return out;
}

// Issue 16: the emulator applies the official client's rule when it parses.
// The same order with an empty field where the official client sends a
// sentinel (cashQty's UNSET_DOUBLE at 176; strike's 0.0 at 100) is refused
// with error 320 naming the field; with the sentinel it is accepted.
TEST_P(TwsLoopback, EmulatorRefusesAnEmptyFieldWhereTheClientSendsASentinel) {
  const int v = GetParam();
  RawClient c(emu->port());
  ASSERT_TRUE(c.ok());
  c.send(encodeClientHello(kMinClientVersion, kMaxClientVersion));
  auto hello = c.next();
  ASSERT_TRUE(hello);
  auto h = decodeServerHello(*hello);
  ASSERT_TRUE(h) << h.error();
  ASSERT_EQ(h.value().serverVersion, v);
  c.send(frame(encodeStartApi(v, 99, "")));

  OrderRequest o;
  o.orderId = 500;
  o.contract.symbol = "AAPL";
  o.contract.secType = "STK";
  o.contract.exchange = "SMART";
  o.contract.currency = "USD";
  o.action = "BUY";
  o.totalQuantity = Qty::fromInt(1);
  o.orderType = "LMT";
  o.lmtPrice = Price::of("99.5");
  o.tif = "DAY";
  auto good = encodePlaceOrder(v, o);
  ASSERT_TRUE(good) << good.error();
  auto fields = splitFields(good.value());
  const char* name = v >= sv::kCashQty ? "cashQty" : "strike";
  const size_t at = v >= sv::kCashQty ? 101 : 7;
  ASSERT_EQ(fields[at], v >= sv::kCashQty ? "1.7976931348623157e+308" : "0.0");
  auto bad = fields;
  bad[at] = "";
  c.send(frame(joinFields(bad)));

  std::optional<ErrorMsg> refused;
  while (!refused) {
    auto p = c.next();
    ASSERT_TRUE(p) << "no error 320 from the emulator";
    auto m = decodeIncoming(v, *p);
    ASSERT_TRUE(m) << m.error();
    if (auto* e = std::get_if<ErrorMsg>(&m.value()); e && e->code == err::kServerReadError)
      refused = *e;
  }
  EXPECT_NE(refused->text.find(std::string("field ") + name + ": empty"), std::string::npos)
      << refused->text;
  EXPECT_TRUE(emu->newOrderIds().empty());
  EXPECT_GE(emu->badRequests(), 1u);

  c.send(frame(good.value()));
  bool opened = false;
  while (!opened) {
    auto p = c.next();
    ASSERT_TRUE(p) << "no openOrder for the well-formed order";
    auto m = decodeIncoming(v, *p);
    ASSERT_TRUE(m) << m.error();
    if (auto* oo = std::get_if<OpenOrderMsg>(&m.value())) opened = oo->orderId == 500;
  }
  EXPECT_EQ(emu->newOrderIds(), (std::vector<int64_t>{500}));
  // The sentinels arrived as "unset", not as numbers.
  auto seen = emu->order(500);
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->cashQty);
  EXPECT_FALSE(seen->duration);
  EXPECT_FALSE(seen->postToAts);
  EXPECT_FALSE(seen->minQty);
  EXPECT_EQ(seen->lmtPrice, Price::of("99.5"));

  // And values where the version has the field arrive as those values.
  if (v >= sv::kPostToAts) {
    OrderRequest withValues = o;
    withValues.orderId = 501;
    withValues.cashQty = Price::of("2500");
    withValues.duration = 30;
    withValues.postToAts = 1;
    withValues.minQty = 1;
    auto enc = encodePlaceOrder(v, withValues);
    ASSERT_TRUE(enc) << enc.error();
    c.send(frame(enc.value()));
    ASSERT_TRUE(eventually([&] { return emu->order(501).has_value(); }));
    auto w = emu->order(501);
    EXPECT_EQ(w->cashQty, Price::of("2500"));
    EXPECT_EQ(w->duration, 30);
    EXPECT_EQ(w->postToAts, 1);
    EXPECT_EQ(w->minQty, 1);
  }
}

TEST_P(TwsLoopback, RejectWithErrorCodeKeepsTheText) {
  startDefault();
  emu->rejectNextOrder(201, "Order rejected - reason:Insufficient margin");
  venue->submit(limit("C5", Side::Buy, 10, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Rejected, 1, "C5"));
  auto evs = sink.events();
  auto it = std::find_if(evs.begin(), evs.end(),
                         [](auto& e) { return e.kind == VenueEventKind::Rejected; });
  EXPECT_NE(it->text.find("201"), std::string::npos);
  EXPECT_NE(it->text.find("Insufficient margin"), std::string::npos);
  venue->submit(limit("C5b", Side::Buy, 1, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "C5b"));
  EXPECT_EQ(sink.count(VenueEventKind::Accepted, "C5"), 0u);
  EXPECT_EQ(sink.count(VenueEventKind::Rejected, "C5"), 1u);
  // An order for a symbol outside the instrument master never leaves.
  venue->submit(limit("C5c", Side::Buy, 1, "150", "NOPE"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Rejected, 1, "C5c"));
}

TEST_P(TwsLoopback, FillsWhileDisconnectedAreBookedOnceAfterReconnect) {
  emu->setAutoFill(false);
  startDefault();
  venue->submit(limit("A", Side::Buy, 100, "150"));
  venue->submit(limit("B", Side::Buy, 50, "150", "MSFT"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "A"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "B"));
  int64_t a = ibIdOf("A"), b = ibIdOf("B");
  ASSERT_TRUE(emu->fillOrder(b, Qty::fromInt(10)));  // a live fill before the outage
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 1, "B"));

  emu->setAcceptConnections(false);
  emu->dropConnections();
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Disconnected, 1));
  // While the adapter is away the orders keep trading.
  ASSERT_TRUE(emu->fillOrder(a, Qty::fromInt(100)));
  ASSERT_TRUE(emu->fillOrder(b, Qty::fromInt(20)));
  uint64_t syncs = venue->syncsCompleted();
  emu->setAcceptConnections(true);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Reconnected, 1));
  ASSERT_TRUE(eventually([&] { return venue->syncsCompleted() > syncs; }));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 1, "A"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 2, "B"));
  auto fa = fillsOf("A");
  ASSERT_EQ(fa.size(), 1u);
  EXPECT_EQ(fa[0].lastQty, Qty::fromInt(100));
  EXPECT_TRUE(fa[0].leavesQty.isZero());
  auto fb = fillsOf("B");
  ASSERT_EQ(fb.size(), 2u);
  EXPECT_EQ(fb[1].lastQty, Qty::fromInt(20));
  EXPECT_EQ(fb[1].cumQty, Qty::fromInt(30));

  // B still works after the reconnect, and a second outage replays nothing.
  ASSERT_TRUE(emu->fillOrder(b, Qty::fromInt(5)));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Fill, 3, "B"));
  syncs = venue->syncsCompleted();
  emu->dropConnections();
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Reconnected, 2));
  ASSERT_TRUE(eventually([&] { return venue->syncsCompleted() > syncs; }));
  EXPECT_EQ(fillsOf("A").size(), 1u);
  EXPECT_EQ(fillsOf("B").size(), 3u);
  std::set<std::string> execIds;
  for (auto& e : sink.events())
    if (e.kind == VenueEventKind::Fill) {
      EXPECT_TRUE(execIds.insert(e.venueExecId.str()).second);
    }
  EXPECT_EQ(sink.count(VenueEventKind::Canceled), 0u);
}

TEST_P(TwsLoopback, OrderIdsAreNeverReusedAfterAnAdapterRestart) {
  emu->setAutoFill(false);
  startDefault();
  venue->submit(limit("R1", Side::Buy, 10, "150"));
  venue->submit(limit("R2", Side::Buy, 10, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "R2"));
  venue->stop();
  venue.reset();
  // TWS restarted and forgot: it hands out order id 1 again.
  emu->setNextValidId(1);
  Sink sink2;
  auto v2 = makeVenue(config(), sink2);
  ASSERT_TRUE(eventually([&] { return v2->connected(); }));
  // The snapshot maps TWS's open orders back to our child ids via orderRef.
  std::mutex mu;
  std::optional<VenueSnapshot> snap;
  v2->requestSnapshot(0, [&](VenueSnapshot s) {
    std::lock_guard lk(mu);
    snap = std::move(s);
  });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lk(mu);
    return snap.has_value();
  }));
  ASSERT_TRUE(snap->ok) << snap->error;
  std::set<std::string> children;
  for (auto& o : snap->orders) children.insert(o.childId.str());
  EXPECT_EQ(children, (std::set<std::string>{"R1", "R2"}));

  v2->submit(limit("R3", Side::Buy, 10, "150"));
  ASSERT_TRUE(sink2.waitCount(VenueEventKind::Accepted, 1, "R3"));
  auto ids = emu->newOrderIds();
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 3u) << "an id was reused";
  EXPECT_GT(ids[2], ids[1]);
  // The restarted adapter can cancel an order of its previous life.
  VenueCancel c;
  c.childId = ChildOrderId("R1");
  v2->cancel(c);
  ASSERT_TRUE(sink2.waitCount(VenueEventKind::Canceled, 1, "R1"));
  v2->stop();
}

TEST_P(TwsLoopback, GarbledMessageIsLoggedAndTheSessionGoesOn) {
  startDefault();
  emu->sendRaw(std::string("3\0not-a-number\0Submitted\0", 25));
  ASSERT_TRUE(eventually([&] { return venue->decodeErrors() >= 1; }));
  EXPECT_TRUE(venue->connected());
  venue->submit(limit("G1", Side::Buy, 1, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "G1"));
}

TEST_P(TwsLoopback, ConnectivityCodesBecomeDisconnectedAndReconnected) {
  startDefault();
  emu->sendError(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.");
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Disconnected, 1));
  uint64_t syncs = venue->syncsCompleted();
  emu->sendError(-1, 1102,
                 "Connectivity between IB and Trader Workstation has been restored - data "
                 "maintained.");
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Reconnected, 1));
  ASSERT_TRUE(eventually([&] { return venue->syncsCompleted() > syncs; }));
  EXPECT_NE(sink.events().front().text.find("1100"), std::string::npos);
}

TEST_P(TwsLoopback, IdleLinkIsProbedWithReqCurrentTime) {
  TwsConfig c = config();
  c.heartbeatSec = 1;
  venue = makeVenue(c, sink);
  ASSERT_TRUE(eventually([&] { return emu->requestsReceived(out::kReqCurrentTime) >= 1; }));
  EXPECT_TRUE(venue->connected());
}

TEST_P(TwsLoopback, ClientIdInUseIsReportedAndRetried) {
  startDefault();
  Sink other;
  auto second = makeVenue(config(7), other);
  ASSERT_TRUE(other.waitFor([](const std::vector<VenueEvent>& evs) {
    for (auto& e : evs)
      if (e.kind == VenueEventKind::Disconnected && e.text.find("326") != std::string::npos)
        return true;
    return false;
  }));
  EXPECT_FALSE(second->connected());
  second->stop();
  EXPECT_TRUE(venue->connected());
}

TEST_P(TwsLoopback, RequestsWhileNotConnectedAreRefused) {
  emu->setAcceptConnections(false);
  venue = makeVenue(config(), sink);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Disconnected, 1));
  venue->submit(limit("N1", Side::Buy, 1, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Rejected, 1, "N1"));
  EXPECT_NE(sink.events().back().text.find("not connected"), std::string::npos);
  emu->setAcceptConnections(true);
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Reconnected, 1));
  venue->submit(limit("N2", Side::Buy, 1, "150"));
  ASSERT_TRUE(sink.waitCount(VenueEventKind::Accepted, 1, "N2"));
}

INSTANTIATE_TEST_SUITE_P(ServerVersions, TwsLoopback, ::testing::Values(100, 176),
                         [](const auto& info) { return "v" + std::to_string(info.param); });

TEST(TwsFactory, RegistryParamsAndBadContractSpecsAreNamed) {
  InstrumentMaster im;
  Instrument i;
  i.symbol = Symbol("AAPL");
  i.venueSymbols["ib"] = "STK:AAPL";
  im.add(i);
  venues::VenueContext ctx{VenueId("ib"), im, SystemClock::instance(), "venues[0]", ""};
  venues::VenueParams p{{"port", "4002"}};
  venues::ParamReader r(p, "venues[0].params");
  try {
    makeTwsVenue(ctx, r);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("AAPL"), std::string::npos);
  }
}

}  // namespace
}  // namespace fixgw::tws
