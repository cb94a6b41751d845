// The engine test fixture: a recording fake venue (the unit test's edge), a
// manual clock and an event loop driven by hand with runDue(), the in-memory
// journal. Shared by the engine's scenario tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>

#include "core/executor.h"
#include "core/journal.h"
#include "router/engine.h"

using namespace fixgw;
using namespace fixgw::router;

namespace {

struct FakeVenue final : VenueAdapter {
  VenueId vid{"SIM"};
  std::vector<VenueNewOrder> submits;
  std::vector<VenueCancel> cancels;
  std::vector<VenueReplace> replaces;
  const VenueId& id() const override { return vid; }
  void start(VenueEventSink&) override {}
  void stop() override {}
  void submit(const VenueNewOrder& o) override { submits.push_back(o); }
  void cancel(const VenueCancel& c) override { cancels.push_back(c); }
  void replace(const VenueReplace& r) override { replaces.push_back(r); }
  // Market data: the fake has a feed when a test turns it on; the test then
  // plays the venue through mdSink.
  bool hasMarketData = false;
  MarketDataSink* mdSink = nullptr;
  std::vector<Symbol> mdSymbols;
  MarketDataStatus subscribeMarketData(const Symbol& s, MarketDataSink& sink,
                                       size_t depth) override {
    if (!hasMarketData) return VenueAdapter::subscribeMarketData(s, sink, depth);
    mdSink = &sink;
    mdSymbols.push_back(s);
    return MarketDataStatus{true, {}};
  }
  std::vector<std::string> calls;  // adopt / snapshot, in order
  std::vector<VenueOrderState> adopted;
  void adoptOpenOrders(const std::vector<VenueOrderState>& o) override {
    calls.push_back("adopt");
    adopted = o;
  }
  void requestSnapshot(WallNanos, std::function<void(VenueSnapshot)>) override {
    calls.push_back("snapshot");
  }
};

struct Reports final : ReportSink {
  std::vector<ClientReport> all;
  void deliver(const ClientReport& r) override { all.push_back(r); }
  const ExecReport& er(size_t i) const { return std::get<ExecReport>(all.at(i)); }
  const ExecReport& lastEr() const { return std::get<ExecReport>(all.back()); }
  const CancelReject& lastCxlRej() const { return std::get<CancelReject>(all.back()); }
};

InstrumentMaster master() {
  InstrumentMaster m;
  Instrument a;
  a.symbol = Symbol("AAPL");
  a.referencePrice = Price::of("100.00");
  m.add(a);
  // Two E-mini futures named by their underlying and maturity (issue 14).
  for (auto [sym, mmy] : {std::pair{"ESZ7", "202712"}, std::pair{"ESH8", "202803"}}) {
    Instrument f;
    f.symbol = Symbol(sym);
    f.underlying = "ES";
    f.securityType = "FUT";
    f.maturityMonthYear = mmy;
    f.tickSize = Price::of("0.25");
    f.referencePrice = Price::of("5000.00");
    m.add(f);
  }
  return m;
}

risk::RiskConfig riskCfg() {
  risk::RiskConfig c;
  c.defaults.maxOrderQty = Qty::of("1000");
  c.defaults.priceBandPct = Price::of("10");
  return c;
}

const SessionKey kSess("FIX.4.4:FIXGW->CLIENT1");

class EngineTest : public ::testing::Test {
 protected:
  ManualClock clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = master();
  risk::RiskEngine risk{riskCfg(), instruments};
  FakeVenue venue;
  MemoryJournal journal;
  Reports reports;
  Engine engine{loop,
                clock,
                risk,
                RoutingTable(RoutingConfig{{}, VenueId("SIM")}, {VenueId("SIM")}),
                {{VenueId("SIM"), &venue}},
                journal,
                reports,
                "t"};

  void run() { loop.runDue(); }

  void newOrder(const char* clOrdId, const char* qty, std::optional<const char*> px = "100.00",
                TimeInForce tif = TimeInForce::Day, bool possResend = false) {
    NewOrder n;
    n.hdr.session = kSess;
    n.hdr.rawFix = std::string(
                       "8=FIX.4.4\x01"
                       "35=D\x01"
                       "11=") +
                   clOrdId + "\x01";
    n.clOrdId = ClOrdId(clOrdId);
    n.account = Account("ACC1");
    n.symbol = Symbol("AAPL");
    n.side = Side::Buy;
    n.ordType = px ? OrdType::Limit : OrdType::Market;
    n.tif = tif;
    n.qty = Qty::of(qty);
    if (px) n.price = Price::of(*px);
    n.possResend = possResend;
    engine.submit(n);
    run();
  }
  void cancel(const char* id, const char* orig) {
    CancelOrder c;
    c.hdr.session = kSess;
    c.clOrdId = ClOrdId(id);
    c.origClOrdId = ClOrdId(orig);
    c.symbol = Symbol("AAPL");
    engine.submit(c);
    run();
  }
  void replace(const char* id, const char* orig, const char* qty, const char* px) {
    ReplaceOrder r;
    r.hdr.session = kSess;
    r.clOrdId = ClOrdId(id);
    r.origClOrdId = ClOrdId(orig);
    r.symbol = Symbol("AAPL");
    r.side = Side::Buy;
    r.ordType = OrdType::Limit;
    r.qty = Qty::of(qty);
    r.price = Price::of(px);
    engine.submit(r);
    run();
  }
  VenueEvent ev(VenueEventKind k, size_t child = 0) {
    VenueEvent e;
    e.kind = k;
    e.venue = VenueId("SIM");
    e.childId = venue.submits.at(child).childId;
    e.venueOrderId = VenueOrderId("V1");
    return e;
  }
  void ack(size_t child = 0) {
    engine.onVenueEvent(ev(VenueEventKind::Accepted, child));
    run();
  }
  void fill(const char* qty, const char* px, size_t child = 0) {
    VenueEvent e = ev(VenueEventKind::Fill, child);
    e.lastQty = Qty::of(qty);
    e.lastPx = Price::of(px);
    engine.onVenueEvent(e);
    run();
  }
  void venueSays(VenueEventKind k, std::string text = {}, size_t child = 0) {
    VenueEvent e = ev(k, child);
    e.text = std::move(text);
    engine.onVenueEvent(e);
    run();
  }
  std::vector<std::string> eventTypes() const {
    std::vector<std::string> out;
    for (const auto& r : journal.records)
      if (auto* e = recordIf<OrderEventRec>(&r)) out.push_back(e->eventType);
    return out;
  }
};

}  // namespace
