// The FIX venue adapter against the FIX broker emulator over real QuickFIX
// sessions on loopback: order flow, tag mapping per profile, FIX 4.2 vs 4.4
// reports, sequence-gap recovery without double booking, and reconciliation.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "venue_adapters/fix/broker_emulator.h"
#include "venue_adapters/fix/fix_venue.h"
#include "venue_adapters/registry.h"

namespace fixgw::fixvenue {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 20s;

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Waits on a condition with a generous timeout; never a timing assertion.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = kWait) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

class EventLog final : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent e) override {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  std::optional<VenueEvent> waitFor(const std::function<bool(const VenueEvent&)>& pred,
                                    std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lk(mu_);
    std::optional<VenueEvent> found;
    cv_.wait_for(lk, timeout, [&] {
      for (const auto& e : events_)
        if (pred(e)) {
          found = e;
          return true;
        }
      return false;
    });
    return found;
  }
  std::optional<VenueEvent> waitKind(VenueEventKind k, const std::string& child) {
    return waitFor([&](const VenueEvent& e) { return e.kind == k && e.childId.str() == child; });
  }
  std::vector<VenueEvent> of(VenueEventKind k, const std::string& child = "") const {
    std::lock_guard lk(mu_);
    std::vector<VenueEvent> out;
    for (const auto& e : events_)
      if (e.kind == k && (child.empty() || e.childId.str() == child)) out.push_back(e);
    return out;
  }
  bool waitCount(VenueEventKind k, const std::string& child, size_t n) {
    return eventually([&] { return of(k, child).size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<VenueEvent> events_;
};

InstrumentMaster instruments() {
  InstrumentMaster im;
  Instrument brk;
  brk.symbol = Symbol("BRK.B");
  brk.venueSymbols["ibkr"] = "BRK B";
  im.add(brk);
  Instrument sap;
  sap.symbol = Symbol("SAP");
  sap.currency = "EUR";
  sap.venueSymbols["ibkr"] = "SAP";
  im.add(sap);
  Instrument aapl;
  aapl.symbol = Symbol("AAPL");
  im.add(aapl);
  return im;
}

VenueNewOrder order(const std::string& child, const std::string& symbol, Side side,
                    const std::string& qty, std::optional<std::string> px) {
  VenueNewOrder o;
  o.childId = ChildOrderId(child);
  o.symbol = Symbol(symbol);
  o.side = side;
  o.ordType = px ? OrdType::Limit : OrdType::Market;
  o.qty = Qty::of(qty);
  if (px) o.price = Price::of(*px);
  return o;
}

std::string get(const FixFields& f, int tag) {
  auto it = f.find(tag);
  return it == f.end() ? "<absent>" : it->second;
}

// One adapter and one emulator speaking a profile to each other.
struct Pair {
  Pair(venues::VenueParams params, const std::string& venueName, const std::string& beginString,
       const std::string& brokerId, const std::string& clientId, std::string emuStore = "",
       int port = 0, const std::function<void(BrokerEmulatorConfig&)>& tweak = {})
      : port(port ? port : freePort()), im(instruments()) {
    BrokerEmulatorConfig ec;
    ec.port = this->port;
    ec.beginString = beginString;
    ec.senderCompId = brokerId;
    ec.targetCompId = clientId;
    ec.storePath = std::move(emuStore);
    if (tweak) tweak(ec);
    emu = std::make_unique<BrokerEmulator>(ec);
    emu->start();
    params["port"] = std::to_string(this->port);
    params["sender_comp_id"] = clientId;
    params["reconnect_interval_s"] = "1";
    venues::ParamReader r(params, "venues[0].params");
    cfg = readFixVenueConfig(r, "venues[0].params");
    r.finish();
    name = venueName;
    venue = std::make_unique<FixVenue>(VenueId(venueName), cfg, im, SystemClock::instance());
  }
  ~Pair() {
    if (venue) venue->stop();
    if (emu) emu->stop();
  }
  bool connect() {
    venue->start(log);
    return eventually([&] { return venue->isLoggedOn() && emu->isLoggedOn(); });
  }

  int port;
  InstrumentMaster im;
  FixVenueConfig cfg;
  std::string name;
  EventLog log;
  std::unique_ptr<BrokerEmulator> emu;
  std::unique_ptr<FixVenue> venue;
};

std::string tmpDir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("fixvenue-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

TEST(FixVenueSession, CtciPlaceAckPartialFillThenFillWithProfileTags) {
  Pair p({{"profile", "ibkr_ctci"}, {"add_tags", "1=U123456;6207=SUBACC1;204=0"}}, "ibkr",
         "FIX.4.2", "IB", "FIXGW_IB");
  ASSERT_TRUE(p.connect());
  EXPECT_EQ(p.venue->sessionKey(), "FIX.4.2:FIXGW_IB->IB");
  p.venue->submit(order("C1", "BRK.B", Side::Buy, "100", "101.25"));

  auto acc = p.log.waitKind(VenueEventKind::Accepted, "C1");
  ASSERT_TRUE(acc);
  EXPECT_FALSE(acc->venueOrderId.empty());
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, "C1", 2));
  auto fills = p.log.of(VenueEventKind::Fill, "C1");
  ASSERT_EQ(fills.size(), 2u);
  // FIX 4.2: the partial is ExecType 1, the rest ExecType 2 (LastShares 32).
  EXPECT_EQ(fills[0].lastQty, Qty::of("50"));
  EXPECT_EQ(fills[0].lastPx, Price::of("100"));
  EXPECT_EQ(fills[0].cumQty, Qty::of("50"));
  EXPECT_EQ(fills[0].leavesQty, Qty::of("50"));
  EXPECT_EQ(fills[1].lastQty, Qty::of("50"));
  EXPECT_EQ(fills[1].cumQty, Qty::of("100"));
  EXPECT_TRUE(fills[1].leavesQty.isZero());
  EXPECT_NE(fills[0].venueExecId, fills[1].venueExecId);
  EXPECT_FALSE(fills[0].venueExecId.empty());

  auto ds = p.emu->received("D");
  ASSERT_EQ(ds.size(), 1u);
  const auto& d = ds[0];
  EXPECT_EQ(get(d, 55), "BRK B");  // Instrument::venueSymbols["ibkr"]
  EXPECT_EQ(get(d, 1), "U123456");
  EXPECT_EQ(get(d, 21), "2");
  EXPECT_EQ(get(d, 100), "SMART");
  EXPECT_EQ(get(d, 6207), "SUBACC1");
  EXPECT_EQ(get(d, 204), "0");
  EXPECT_EQ(get(d, 15), "USD");
  EXPECT_EQ(get(d, 11), "C1.0");
  EXPECT_EQ(get(d, 38), "100");
  EXPECT_EQ(get(d, 44), "101.25");
  EXPECT_EQ(get(d, 40), "2");
  EXPECT_EQ(get(d, 54), "1");
  EXPECT_EQ(get(d, 59), "0");
  EXPECT_EQ(get(d, 8), "FIX.4.2");
  EXPECT_EQ(get(d, 49), "FIXGW_IB");
  EXPECT_EQ(get(d, 56), "IB");
}

TEST(FixVenueSession, GenericFix44PlaceFillWithTradeExecTypeAndOnlyConfiguredTags) {
  Pair p({{"target_comp_id", "BRK44"}, {"add_tags", "1=ACC44;100=XNAS"}}, "broker44", "FIX.4.4",
         "BRK44", "GW44A");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("G1", "SAP", Side::Sell, "7", std::nullopt));  // market
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, "G1", 2));
  auto fills = p.log.of(VenueEventKind::Fill, "G1");
  EXPECT_EQ(fills[0].lastQty, Qty::of("3"));
  EXPECT_EQ(fills[1].lastQty, Qty::of("4"));
  EXPECT_EQ(fills[1].cumQty, Qty::of("7"));
  EXPECT_EQ(p.log.of(VenueEventKind::Accepted, "G1").size(), 1u);

  auto d = p.emu->received("D").at(0);
  EXPECT_EQ(get(d, 8), "FIX.4.4");
  EXPECT_EQ(get(d, 55), "SAP");  // no venue symbol for broker44: master symbol
  EXPECT_EQ(get(d, 1), "ACC44");
  EXPECT_EQ(get(d, 100), "XNAS");
  EXPECT_EQ(get(d, 21), "<absent>");
  EXPECT_EQ(get(d, 15), "<absent>");
  EXPECT_EQ(get(d, 40), "1");
  EXPECT_EQ(get(d, 44), "<absent>");
  EXPECT_EQ(get(d, 54), "2");
}

TEST(FixVenueSession, CancelRestingOrder) {
  Pair p({{"target_comp_id", "BRKC"}, {"add_tags", "1=ACCC"}}, "brk", "FIX.4.4", "BRKC", "GWC");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("K1", "AAPL", Side::Buy, "100", "90"));
  auto acc = p.log.waitKind(VenueEventKind::Accepted, "K1");
  ASSERT_TRUE(acc);
  VenueCancel c;
  c.childId = ChildOrderId("K1");
  c.venueOrderId = acc->venueOrderId;
  c.symbol = Symbol("AAPL");
  p.venue->cancel(c);
  auto canceled = p.log.waitKind(VenueEventKind::Canceled, "K1");
  ASSERT_TRUE(canceled);
  EXPECT_EQ(canceled->venueOrderId, acc->venueOrderId);
  auto f = p.emu->received("F").at(0);
  EXPECT_EQ(get(f, 41), "K1.0");
  EXPECT_EQ(get(f, 11), "K1.1");
  EXPECT_EQ(get(f, 37), acc->venueOrderId.str());
  EXPECT_EQ(get(f, 1), "ACCC");
  EXPECT_FALSE(p.emu->order("K1.0")->open);

  // A second cancel is refused by the adapter itself: the order is done.
  p.venue->cancel(c);
  auto rej = p.log.waitKind(VenueEventKind::CancelRejected, "K1");
  ASSERT_TRUE(rej);
  EXPECT_NE(rej->text.find("no longer open"), std::string::npos) << rej->text;
}

TEST(FixVenueSession, ReplaceRestingOrderThenReplaceIntoTheMarketFills) {
  Pair p({{"profile", "ibkr_ctci"}, {"add_tags", "1=U9;6207=S9"}}, "ibkr", "FIX.4.2", "IB",
         "FIXGW_IBR");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("R1", "AAPL", Side::Buy, "100", "90"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "R1"));

  VenueReplace r;
  r.childId = ChildOrderId("R1");
  r.symbol = Symbol("AAPL");
  r.newQty = Qty::of("200");
  r.newPrice = Price::of("95.5");
  p.venue->replace(r);
  auto rep = p.log.waitKind(VenueEventKind::Replaced, "R1");
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->newQty, Qty::of("200"));
  ASSERT_TRUE(rep->newPrice);
  EXPECT_EQ(*rep->newPrice, Price::of("95.5"));
  auto g = p.emu->received("G").at(0);
  EXPECT_EQ(get(g, 41), "R1.0");
  EXPECT_EQ(get(g, 11), "R1.1");
  EXPECT_EQ(get(g, 38), "200");
  EXPECT_EQ(get(g, 44), "95.5");
  EXPECT_EQ(get(g, 6207), "S9");  // profile tags ride on replaces too
  EXPECT_EQ(get(g, 21), "2");

  r.newPrice = Price::of("100.5");  // now through the 100 reference: fills
  p.venue->replace(r);
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Replaced, "R1", 2));
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, "R1", 2));
  auto fills = p.log.of(VenueEventKind::Fill, "R1");
  EXPECT_EQ(fills[0].lastQty + fills[1].lastQty, Qty::of("200"));
  EXPECT_EQ(get(p.emu->received("G").at(1), 41), "R1.1");  // chain follows the live ClOrdID
}

TEST(FixVenueSession, CtciStopLimitAtTheOpeningCarriesStopPxAndItsReplaceTriggersIt) {
  Pair p({{"profile", "ibkr_ctci"}}, "ibkr", "FIX.4.2", "IB", "FIXGW_IBS");
  ASSERT_TRUE(p.connect());
  // Reference 100: a buy stop-limit triggering at 105 waits.
  VenueNewOrder o = order("S1", "AAPL", Side::Buy, "100", "106");
  o.ordType = OrdType::StopLimit;
  o.stopPx = Price::of("105");
  o.tif = TimeInForce::AtTheOpening;
  p.venue->submit(o);
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "S1"));
  auto d = p.emu->received("D").at(0);
  EXPECT_EQ(get(d, 40), "4");
  EXPECT_EQ(get(d, 44), "106");
  EXPECT_EQ(get(d, 99), "105");
  EXPECT_EQ(get(d, 59), "2");
  EXPECT_TRUE(p.log.of(VenueEventKind::Fill, "S1").empty());

  // Replace the trigger to 99.5 (the market is above it): it triggers and fills.
  VenueReplace r;
  r.childId = ChildOrderId("S1");
  r.symbol = Symbol("AAPL");
  r.newQty = Qty::of("100");
  r.newStopPx = Price::of("99.5");
  p.venue->replace(r);
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Replaced, "S1"));
  auto g = p.emu->received("G").at(0);
  EXPECT_EQ(get(g, 40), "4");
  EXPECT_EQ(get(g, 99), "99.5");
  EXPECT_EQ(get(g, 44), "106");
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Fill, "S1"));

  // A plain stop sends StopPx and no Price.
  VenueNewOrder s = order("S2", "AAPL", Side::Sell, "10", std::nullopt);
  s.ordType = OrdType::Stop;
  s.stopPx = Price::of("90");
  p.venue->submit(s);
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "S2"));
  auto d2 = p.emu->received("D").at(1);
  EXPECT_EQ(get(d2, 40), "3");
  EXPECT_EQ(get(d2, 99), "90");
  EXPECT_EQ(get(d2, 44), "<absent>");
}

TEST(FixVenueSession, ReplaceBelowFilledIsRejectedByTheBrokerWithItsText) {
  Pair p({{"target_comp_id", "BRKX"}}, "brk", "FIX.4.4", "BRKX", "GWX");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("X1", "AAPL", Side::Buy, "100", "90"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "X1"));
  ASSERT_FALSE(p.emu->fill("X1.0", Qty::of("60"), Price::of("90")).empty());
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Fill, "X1"));
  VenueReplace r;
  r.childId = ChildOrderId("X1");
  r.newQty = Qty::of("50");
  p.venue->replace(r);
  auto rej = p.log.waitKind(VenueEventKind::ReplaceRejected, "X1");
  ASSERT_TRUE(rej);
  EXPECT_NE(rej->text.find("must exceed filled 60"), std::string::npos) << rej->text;
}

TEST(FixVenueSession, RejectsCarryTheBrokersText) {
  Pair p({{"profile", "ibkr_ctci"}, {"add_tags", "1=U1"}}, "ibkr", "FIX.4.2", "IB", "FIXGW_IBJ");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("J1", "REJECT", Side::Buy, "10", "1"));
  auto r1 = p.log.waitKind(VenueEventKind::Rejected, "J1");
  ASSERT_TRUE(r1);
  EXPECT_NE(r1->text.find("REJECT"), std::string::npos) << r1->text;

  p.emu->rejectNext("insufficient buying power");
  p.venue->submit(order("J2", "AAPL", Side::Buy, "10", "1"));
  auto r2 = p.log.waitKind(VenueEventKind::Rejected, "J2");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->text, "insufficient buying power");
  EXPECT_TRUE(p.log.of(VenueEventKind::Accepted).empty());
}

// The broker fills while the adapter is away; on logon the broker's higher
// MsgSeqNum makes the adapter send a ResendRequest, the fills come back with
// PossDupFlag=Y and each is booked exactly once.
TEST(FixVenueSession, FillsMissedWhileDisconnectedAreRecoveredByResendAndBookedOnce) {
  const std::string dir = tmpDir("gap");
  Pair p({{"profile", "ibkr_ctci"}, {"add_tags", "1=U5"}, {"store_path", dir + "/adapter"}}, "ibkr",
         "FIX.4.2", "IB", "FIXGW_IBG", dir + "/emulator");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("W1", "AAPL", Side::Buy, "100", "90"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "W1"));
  const size_t resendRequestsBefore = p.emu->receivedAdmin("2").size();

  p.emu->setAcceptLogons(false);
  p.emu->disconnect();
  ASSERT_TRUE(
      p.log.waitFor([](const VenueEvent& e) { return e.kind == VenueEventKind::Disconnected; }));
  ASSERT_FALSE(p.venue->isLoggedOn());

  const std::string e1 = p.emu->fill("W1.0", Qty::of("30"), Price::of("90"));
  const std::string e2 = p.emu->fill("W1.0", Qty::of("70"), Price::of("89.5"));
  ASSERT_FALSE(e1.empty());
  ASSERT_FALSE(e2.empty());
  EXPECT_TRUE(p.log.of(VenueEventKind::Fill, "W1").empty());

  p.emu->setAcceptLogons(true);
  ASSERT_TRUE(
      p.log.waitFor([](const VenueEvent& e) { return e.kind == VenueEventKind::Reconnected; }));
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, "W1", 2));
  EXPECT_GT(p.emu->receivedAdmin("2").size(), resendRequestsBefore) << "no ResendRequest sent";

  // The same report again, flagged PossDup as after a broker failover, must
  // not be booked. The ack of a later order on the same session proves it
  // was processed before we count.
  ASSERT_TRUE(p.emu->resendAsPossDup(e1));
  ASSERT_TRUE(p.emu->resendAsPossDup(e2));
  p.venue->submit(order("W2", "AAPL", Side::Buy, "1", "80"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "W2"));

  auto fills = p.log.of(VenueEventKind::Fill, "W1");
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].venueExecId.str(), e1);
  EXPECT_EQ(fills[0].lastQty, Qty::of("30"));
  EXPECT_EQ(fills[0].lastPx, Price::of("90"));
  EXPECT_EQ(fills[1].venueExecId.str(), e2);
  EXPECT_EQ(fills[1].lastQty, Qty::of("70"));
  EXPECT_EQ(fills[1].lastPx, Price::of("89.5"));
  EXPECT_EQ(fills[1].cumQty, Qty::of("100"));
  p.venue->stop();
  p.emu->stop();
  std::filesystem::remove_all(dir);
}

// The gateway restarts while an order is working at the broker: the new
// adapter knows nothing of it until the engine hands it the journal's open
// orders. Then the fill the broker sent meanwhile is booked, the status
// snapshot lists the order, and it can still be canceled.
TEST(FixVenueSession, AdoptedOrdersFromBeforeARestartKeepWorking) {
  const std::string dir = tmpDir("adopt");
  Pair p({{"profile", "ibkr_ctci"}, {"store_path", dir + "/adapter"}}, "ibkr", "FIX.4.2", "IB",
         "FIXGW_IBA", dir + "/emulator");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("A1", "AAPL", Side::Buy, "100", "90"));
  auto acc = p.log.waitKind(VenueEventKind::Accepted, "A1");
  ASSERT_TRUE(acc);
  p.venue->stop();
  p.venue.reset();  // the gateway process is gone

  ASSERT_FALSE(p.emu->fill("A1.0", Qty::of("30"), Price::of("90")).empty());

  EventLog log2;
  p.venue = std::make_unique<FixVenue>(VenueId(p.name), p.cfg, p.im, SystemClock::instance());
  VenueOrderState st;
  st.childId = ChildOrderId("A1");
  st.venueOrderId = acc->venueOrderId;
  st.symbol = Symbol("AAPL");
  st.side = Side::Buy;
  st.qty = Qty::of("100");
  st.price = Price::of("90");
  st.attrs.positionEffect = 'C';  // sent with the order before the restart
  p.venue->adoptOpenOrders({st});
  p.venue->start(log2);
  // The engine reconciles at once, while the session is still logging on.
  std::promise<VenueSnapshot> snap;
  p.venue->requestSnapshot(0, [&](VenueSnapshot s) { snap.set_value(std::move(s)); });
  auto fut = snap.get_future();
  ASSERT_TRUE(eventually([&] { return p.venue->isLoggedOn(); }));

  // The fill sent while no adapter was there comes in by resend and is booked.
  ASSERT_TRUE(log2.waitCount(VenueEventKind::Fill, "A1", 1));
  auto fill = log2.of(VenueEventKind::Fill, "A1").at(0);
  EXPECT_EQ(fill.lastQty, Qty::of("30"));
  EXPECT_EQ(fill.venueOrderId, acc->venueOrderId);

  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  VenueSnapshot s = fut.get();
  ASSERT_TRUE(s.ok) << s.error;
  ASSERT_EQ(s.orders.size(), 1u);
  EXPECT_EQ(s.orders[0].childId, ChildOrderId("A1"));
  EXPECT_TRUE(s.orders[0].open);
  EXPECT_EQ(s.orders[0].cumQty, Qty::of("30"));

  // A replace of the adopted order carries the attributes it was sent with.
  VenueReplace r;
  r.childId = ChildOrderId("A1");
  r.venueOrderId = acc->venueOrderId;
  r.symbol = Symbol("AAPL");
  r.side = Side::Buy;
  r.newQty = Qty::of("100");
  r.newPrice = Price::of("89");
  p.venue->replace(r);
  ASSERT_TRUE(log2.waitKind(VenueEventKind::Replaced, "A1"));
  const FixFields g = p.emu->received("G").back();
  EXPECT_EQ(get(g, 77), "C");
  EXPECT_EQ(get(g, 41), "A1.0");  // the live ClOrdID, learnt from the fill
  const std::string live = get(g, 11);

  VenueCancel c;
  c.childId = ChildOrderId("A1");
  c.symbol = Symbol("AAPL");
  p.venue->cancel(c);
  ASSERT_TRUE(log2.waitKind(VenueEventKind::Canceled, "A1"));
  auto f = p.emu->received("F").back();
  EXPECT_EQ(get(f, 41), live);  // the replace's id, now the live one
  EXPECT_EQ(get(f, 37), acc->venueOrderId.str());
  EXPECT_NE(get(g, 11), "A1.1") << "never re-uses an id the previous process may have sent";
  EXPECT_NE(get(f, 11), "A1.1") << "never re-uses an id the previous process may have sent";
  auto done = p.emu->order(live);
  ASSERT_TRUE(done);
  EXPECT_FALSE(done->open);
  p.venue->stop();
  p.emu->stop();
  std::filesystem::remove_all(dir);
}

// A broker restart with a file store keeps its sequence numbers: the adapter
// logs on again without a reset and keeps trading.
TEST(FixVenueSession, BrokerRestartWithFileStoreKeepsSequenceNumbers) {
  const std::string dir = tmpDir("restart");
  Pair p({{"target_comp_id", "BRKS"}, {"store_path", dir + "/adapter"}}, "brk", "FIX.4.4", "BRKS",
         "GWS", dir + "/emulator");
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("S1", "AAPL", Side::Buy, "10", "90"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "S1"));
  p.emu->stop();
  ASSERT_TRUE(
      p.log.waitFor([](const VenueEvent& e) { return e.kind == VenueEventKind::Disconnected; }));

  BrokerEmulatorConfig ec;
  ec.port = p.port;
  ec.beginString = "FIX.4.4";
  ec.senderCompId = "BRKS";
  ec.targetCompId = "GWS";
  ec.storePath = dir + "/emulator";
  p.emu = std::make_unique<BrokerEmulator>(ec);
  p.emu->start();
  ASSERT_TRUE(
      p.log.waitFor([](const VenueEvent& e) { return e.kind == VenueEventKind::Reconnected; }));
  auto logons = p.emu->receivedAdmin("A");
  ASSERT_FALSE(logons.empty());
  EXPECT_GT(std::stoi(get(logons.back(), 34)), 1);  // no reset: the sequence goes on
  EXPECT_EQ(get(logons.back(), 141), "<absent>");
  // An order sent the moment the session is back can land in the broker's own
  // gap recovery (a logon attempt the broker never saw used a sequence
  // number); it is then answered "not delivered" rather than lost, and the
  // next one goes through.
  p.venue->submit(order("S2", "AAPL", Side::Buy, "10", "101"));
  auto s2 = p.log.waitFor([](const VenueEvent& e) {
    return e.childId.str() == "S2" &&
           (e.kind == VenueEventKind::Fill || e.kind == VenueEventKind::Rejected);
  });
  ASSERT_TRUE(s2);
  const std::string next = s2->kind == VenueEventKind::Fill ? "S2" : "S3";
  if (next == "S3") {
    EXPECT_NE(s2->text.find("not delivered"), std::string::npos) << s2->text;
    p.venue->submit(order("S3", "AAPL", Side::Buy, "10", "101"));
  }
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, next, 2));
  p.venue->stop();
  p.emu->stop();
  std::filesystem::remove_all(dir);
}

// The broker asks again, after a gap, for an order it never processed: the
// adapter does not resend a late order but answers it as not delivered, so it
// cannot wait forever for an acknowledgement.
TEST(FixVenueSession, AnOrderTheBrokerAsksForAgainAfterAGapIsRejectedNotLost) {
  Pair p({{"target_comp_id", "BRKU"}}, "brk", "FIX.4.4", "BRKU", "GWU");
  ASSERT_TRUE(p.connect());
  p.emu->setSilent(true);  // the broker takes the order in, and loses it
  p.venue->submit(order("U1", "AAPL", Side::Buy, "10", "101"));
  ASSERT_TRUE(eventually([&] { return !p.emu->received("D").empty(); }));
  const int seq = std::stoi(get(p.emu->received("D").at(0), 34));
  EXPECT_TRUE(p.log.of(VenueEventKind::Accepted, "U1").empty());
  p.emu->setSilent(false);

  ASSERT_TRUE(p.emu->requestResend(seq));
  auto rej = p.log.waitKind(VenueEventKind::Rejected, "U1");
  ASSERT_TRUE(rej);
  EXPECT_NE(rej->text.find("not delivered"), std::string::npos) << rej->text;
  // Gap-filled, not resent: the broker saw the order request once only.
  p.venue->submit(order("U2", "AAPL", Side::Buy, "10", "101"));
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, "U2", 2));
  EXPECT_EQ(p.emu->received("D").size(), 2u);  // U1 once, U2
}

struct SnapshotWaiter {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<VenueSnapshot> snap;
  std::function<void(VenueSnapshot)> cb() {
    return [this](VenueSnapshot s) {
      std::lock_guard lk(mu);
      snap = std::move(s);
      cv.notify_all();
    };
  }
  std::optional<VenueSnapshot> wait() {
    std::unique_lock lk(mu);
    cv.wait_for(lk, kWait, [&] { return snap.has_value(); });
    return snap;
  }
};

const VenueOrderState* findState(const VenueSnapshot& s, const std::string& child) {
  for (const auto& o : s.orders)
    if (o.childId.str() == child) return &o;
  return nullptr;
}

void snapshotReturnsOpenOrders(const std::string& beginString) {
  const bool v42 = beginString == "FIX.4.2";
  const std::string client = v42 ? "GWQ42" : "GWQ44";
  Pair p({{"target_comp_id", "BRKQ"}, {"begin_string", beginString}}, "brk", beginString, "BRKQ",
         client);
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("Q1", "AAPL", Side::Buy, "100", "90"));
  p.venue->submit(order("Q2", "AAPL", Side::Sell, "50", "110"));
  p.venue->submit(order("Q3", "AAPL", Side::Buy, "10", "100"));  // fills at once
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "Q1"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "Q2"));
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, "Q3", 2));
  ASSERT_FALSE(p.emu->fill("Q1.0", Qty::of("40"), Price::of("90")).empty());
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Fill, "Q1"));

  SnapshotWaiter w;
  p.venue->requestSnapshot(0, w.cb());
  auto s = w.wait();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->ok) << s->error;
  ASSERT_EQ(s->orders.size(), 2u);
  const auto* q1 = findState(*s, "Q1");
  const auto* q2 = findState(*s, "Q2");
  ASSERT_TRUE(q1 && q2);
  EXPECT_EQ(q1->qty, Qty::of("100"));
  EXPECT_EQ(q1->cumQty, Qty::of("40"));
  EXPECT_TRUE(q1->open);
  EXPECT_EQ(q1->symbol, Symbol("AAPL"));
  EXPECT_FALSE(q1->venueOrderId.empty());
  EXPECT_EQ(q2->side, Side::Sell);
  EXPECT_TRUE(q2->cumQty.isZero());
  ASSERT_TRUE(q2->price);
  EXPECT_EQ(*q2->price, Price::of("110"));
  EXPECT_EQ(s->fills.size(), 3u);  // Q3's two and Q1's one
  EXPECT_EQ(p.emu->received("H").size(), 2u);

  // Status replies (4.2: ExecTransType 3 with ExecType 1) are not fills.
  p.venue->submit(order("Q4", "AAPL", Side::Buy, "1", "80"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "Q4"));
  EXPECT_EQ(p.log.of(VenueEventKind::Fill, "Q1").size(), 1u);
  EXPECT_EQ(p.log.of(VenueEventKind::Fill).size(), 3u);
}

TEST(FixVenueSession, SnapshotReturnsOpenOrdersFix44) { snapshotReturnsOpenOrders("FIX.4.4"); }
TEST(FixVenueSession, SnapshotReturnsOpenOrdersFix42) { snapshotReturnsOpenOrders("FIX.4.2"); }

// ---- order attributes (issue 14) ----

constexpr WallNanos kExpiry = 1800046800LL * 1'000'000'000;  // 2027-01-15 21:00:00 UTC

VenueNewOrder withAttributes(VenueNewOrder o) {
  o.tif = TimeInForce::GoodTillDate;
  o.attrs.positionEffect = 'C';
  o.attrs.locateReqd = true;
  o.attrs.minQty = Qty::of("10");
  o.attrs.maxFloor = Qty::of("20");
  o.attrs.expireTime = kExpiry;
  return o;
}

// Generic FIX 4.4: OrderCapacity 528, post-only as 18=6, GTD with ExpireTime;
// the broker records them on the NewOrderSingle and again on the replace.
TEST(FixVenueSession, GenericFix44OrderAttributesArriveOnNewOrderAndReplace) {
  Pair p({{"target_comp_id", "BRKA"}}, "brk", "FIX.4.4", "BRKA", "GWA44");
  ASSERT_TRUE(p.connect());
  VenueNewOrder o = withAttributes(order("T1", "AAPL", Side::Sell, "100", "120"));
  o.attrs.orderCapacity = 'P';
  o.attrs.postOnly = true;
  p.venue->submit(o);
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "T1"));
  auto d = p.emu->received("D").at(0);
  EXPECT_EQ(get(d, 528), "P");
  EXPECT_EQ(get(d, 47), "<absent>");
  EXPECT_EQ(get(d, 77), "C");
  EXPECT_EQ(get(d, 114), "Y");
  EXPECT_EQ(get(d, 110), "10");
  EXPECT_EQ(get(d, 111), "20");
  EXPECT_EQ(get(d, 18), "6");
  EXPECT_EQ(get(d, 59), "6");
  EXPECT_EQ(get(d, 126), "20270115-21:00:00.000");
  EXPECT_EQ(get(d, 432), "<absent>");

  VenueReplace r;
  r.childId = ChildOrderId("T1");
  r.newQty = Qty::of("90");
  r.newPrice = Price::of("121");
  p.venue->replace(r);
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Replaced, "T1"));
  auto g = p.emu->received("G").at(0);
  for (int tag : {528, 77, 114, 110, 111, 18, 59, 126}) EXPECT_EQ(get(g, tag), get(d, tag)) << tag;
}

// IBKR CTCI (FIX 4.2): capacity as Rule80A (47), GTD with ExpireTime, and no
// post-only: that order is refused before it leaves, naming ExecInst.
TEST(FixVenueSession, CtciFix42OrderAttributesAsRule80AAndPostOnlyRefused) {
  Pair p({{"profile", "ibkr_ctci"}, {"add_tags", "1=U7"}}, "ibkr", "FIX.4.2", "IB", "FIXGW_IBA");
  ASSERT_TRUE(p.connect());
  VenueNewOrder o = withAttributes(order("T2", "AAPL", Side::Buy, "100", "90"));
  o.attrs.orderCapacity = 'A';
  p.venue->submit(o);
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "T2"));
  auto d = p.emu->received("D").at(0);
  EXPECT_EQ(get(d, 47), "A");
  EXPECT_EQ(get(d, 528), "<absent>");
  EXPECT_EQ(get(d, 77), "C");
  EXPECT_EQ(get(d, 114), "Y");
  EXPECT_EQ(get(d, 110), "10");
  EXPECT_EQ(get(d, 111), "20");
  EXPECT_EQ(get(d, 59), "6");
  EXPECT_EQ(get(d, 126), "20270115-21:00:00.000");
  EXPECT_EQ(get(d, 18), "<absent>");

  VenueNewOrder post = order("T3", "AAPL", Side::Buy, "10", "90");
  post.attrs.postOnly = true;
  p.venue->submit(post);
  auto rej = p.log.waitKind(VenueEventKind::Rejected, "T3");
  ASSERT_TRUE(rej);
  EXPECT_NE(rej->text.find("ExecInst (18) value 6"), std::string::npos) << rej->text;
  EXPECT_EQ(p.emu->received("D").size(), 1u) << "the refused order never left";

  // The broker refuses what it cannot take, with its text: MaxFloor above OrderQty.
  VenueNewOrder big = order("T4", "AAPL", Side::Buy, "10", "90");
  big.attrs.maxFloor = Qty::of("50");
  p.venue->submit(big);
  auto br = p.log.waitKind(VenueEventKind::Rejected, "T4");
  ASSERT_TRUE(br);
  EXPECT_NE(br->text.find("MaxFloor (111)"), std::string::npos) << br->text;
}

// mass_status: one OrderMassStatusRequest answers the snapshot; a broker
// without AF (BusinessMessageReject) gets the per-order requests instead.
void massStatusSnapshot(bool brokerHasAf) {
  Pair p({{"target_comp_id", "BRKM"}, {"mass_status", "true"}}, "brk", "FIX.4.4", "BRKM",
         brokerHasAf ? "GWM1" : "GWM2", "", 0,
         [&](BrokerEmulatorConfig& ec) { ec.massStatus = brokerHasAf; });
  ASSERT_TRUE(p.connect());
  p.venue->submit(order("M1", "AAPL", Side::Buy, "100", "90"));
  p.venue->submit(order("M2", "AAPL", Side::Sell, "50", "110"));
  p.venue->submit(order("M3", "AAPL", Side::Buy, "10", "100"));  // fills at once
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "M1"));
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Accepted, "M2"));
  ASSERT_TRUE(p.log.waitCount(VenueEventKind::Fill, "M3", 2));
  ASSERT_FALSE(p.emu->fill("M1.0", Qty::of("40"), Price::of("90")).empty());
  ASSERT_TRUE(p.log.waitKind(VenueEventKind::Fill, "M1"));

  SnapshotWaiter w;
  p.venue->requestSnapshot(0, w.cb());
  auto s = w.wait();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->ok) << s->error;
  ASSERT_EQ(s->orders.size(), 2u);
  const auto* m1 = findState(*s, "M1");
  ASSERT_TRUE(m1);
  EXPECT_EQ(m1->cumQty, Qty::of("40"));
  EXPECT_TRUE(m1->open);
  ASSERT_TRUE(findState(*s, "M2"));
  auto af = p.emu->received("AF");
  ASSERT_EQ(af.size(), 1u);
  EXPECT_EQ(get(af[0], 585), "7");
  EXPECT_NE(get(af[0], 584), "<absent>");
  EXPECT_EQ(p.emu->received("H").size(), brokerHasAf ? 0u : 2u);
  // Mass status replies are status reports, not fills.
  EXPECT_EQ(p.log.of(VenueEventKind::Fill).size(), 3u);
}

TEST(FixVenueSession, SnapshotByOrderMassStatusRequestWhenTheProfileSaysSo) {
  massStatusSnapshot(true);
}
TEST(FixVenueSession, SnapshotFallsBackToPerOrderStatusWhenTheBrokerRefusesMassStatus) {
  massStatusSnapshot(false);
}

// Orders are refused at once while the session is down; a snapshot waits for
// the logon (start-up reconciliation runs while the session still connects)
// and gives up after snapshot_timeout_ms, saying why.
TEST(FixVenueSession, RequestsWhileNotLoggedOnAreRefusedAndSnapshotsWaitForLogon) {
  const int port = freePort();  // nothing listens here
  venues::VenueParams params{{"target_comp_id", "NOBODY"},
                             {"sender_comp_id", "GWN"},
                             {"port", std::to_string(port)},
                             {"reconnect_interval_s", "1"},
                             {"snapshot_timeout_ms", "300"}};
  venues::ParamReader r(params, "v");
  auto cfg = readFixVenueConfig(r, "v");
  InstrumentMaster im = instruments();
  FixVenue v(VenueId("brk"), cfg, im, SystemClock::instance());
  EventLog log;
  v.start(log);
  v.submit(order("N1", "AAPL", Side::Buy, "1", "1"));
  auto r1 = log.waitKind(VenueEventKind::Rejected, "N1");
  ASSERT_TRUE(r1);
  EXPECT_NE(r1->text.find("not logged on"), std::string::npos) << r1->text;
  SnapshotWaiter w;
  v.requestSnapshot(0, w.cb());
  auto s = w.wait();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->ok);
  EXPECT_NE(s->error.find("did not log on within 300 ms"), std::string::npos) << s->error;
  v.stop();
  SnapshotWaiter stopped;  // and a stopped adapter refuses at once
  v.requestSnapshot(0, stopped.cb());
  auto s2 = stopped.wait();
  ASSERT_TRUE(s2);
  EXPECT_FALSE(s2->ok);
  EXPECT_NE(s2->error.find("not running"), std::string::npos) << s2->error;
}

}  // namespace
}  // namespace fixgw::fixvenue
