// Algo parents across a crash and restart (issue 10, docs/algos.md "Crash and
// restart"), in virtual time. A first engine works a parent and "crashes"
// (its loop is never run again); what it journaled is read back as
// store/recovery.cpp would (the last orders row of every order, its details
// through the orders.details JSON, the executions, the events) into a second
// engine on the same clock, which reconciles with the venue and resumes the
// parent. The venues are the fixture's recording fakes (the unit's edge).
#include <map>

#include "store/order_details_json.h"
#include "tests/router/engine_fixture.h"

namespace {

constexpr int64_t kSec = 1'000'000'000LL;
const VenueId kSim("SIM");

// What store/recovery.cpp loads, from an in-memory journal.
RecoveredState recoveredFrom(const MemoryJournal& j) {
  std::vector<std::string> ids;  // orders in the order they were first journaled
  std::map<std::string, OrderRec> last;
  for (const auto& r : j.records)
    if (auto* o = recordIf<OrderRec>(&r)) {
      if (!last.count(o->orderId.str())) ids.push_back(o->orderId.str());
      last[o->orderId.str()] = *o;
    }
  RecoveredState st;
  std::map<std::string, size_t> parentAt;
  for (const std::string& id : ids) {
    const OrderRec& o = last[id];
    if (o.parentOrderId) continue;
    ParentOrder p;
    p.orderId = o.orderId;
    p.session = o.session;
    p.clOrdId = o.clOrdId;
    p.origClOrdId = o.origClOrdId;
    p.account = o.account;
    p.symbol = o.symbol;
    p.side = o.side;
    p.ordType = o.ordType;
    p.tif = o.tif;
    p.qty = o.qty;
    p.price = o.price;
    p.stopPx = o.stopPx;
    p.cumQty = o.cumQty;
    p.avgPx = o.avgPx;
    // A pending cancel/replace does not survive a restart (as recovery.cpp).
    p.baseStatus = o.status == OrdStatus::PendingCancel || o.status == OrdStatus::PendingReplace
                       ? (o.cumQty.isPositive() ? OrdStatus::PartiallyFilled : OrdStatus::New)
                       : o.status;
    p.venue = o.venue.value_or(VenueId());
    p.createdAt = o.createdAt;
    // Through the JSON of orders.details, as the store keeps it.
    p.details = store::detailsFromJson(store::detailsToJson(o.details.get()));
    parentAt[id] = st.parents.size();
    st.parents.push_back(std::move(p));
  }
  for (const std::string& id : ids) {
    const OrderRec& o = last[id];
    if (!o.parentOrderId) continue;
    ParentOrder& p = st.parents[parentAt.at(o.parentOrderId->str())];
    if (!p.isOpen()) continue;
    ChildOrder c;
    c.id = ChildOrderId(id);
    c.parent = p.orderId;
    c.venue = o.venue.value_or(VenueId());
    if (o.venueOrderId) c.venueOrderId = *o.venueOrderId;
    c.qty = o.qty;
    c.price = o.price;
    c.cumQty = o.cumQty;
    c.status = o.status;
    c.acked = !c.venueOrderId.empty();
    p.children.push_back(c.id);
    st.children.push_back(std::move(c));
  }
  std::map<std::string, std::string> lastPause;
  std::map<std::string, const OrderEventRec*> lastCancel;
  for (const auto& r : j.records) {
    if (auto* x = recordIf<ExecutionRec>(&r)) {
      if (x->childOrderId && x->venueExecId)
        st.bookedFills.emplace_back(ChildOrderId(x->childOrderId->str()), *x->venueExecId);
      if (auto it = parentAt.find(x->orderId.str()); it != parentAt.end())
        st.parents[it->second].rawNotional += rawProduct(x->lastPx, x->lastQty);
    } else if (auto* e = recordIf<OrderEventRec>(&r)) {
      st.maxEventSeq = std::max(st.maxEventSeq, e->seq);
      if (e->eventType == "ALGO_PAUSED") lastPause[e->orderId.str()] = e->text;
      if (e->eventType == "ALGO_RESUMED") lastPause.erase(e->orderId.str());
      if (e->eventType == "CANCEL_REQUESTED" || e->eventType == "MASS_CANCEL_REQUESTED" ||
          e->eventType == "RISK_CANCEL_REQUESTED" || e->eventType == "DISCONNECT_CANCEL_REQUESTED")
        lastCancel[e->orderId.str()] = e;
      if (e->orderId.str() != "NONE") st.clOrdIds.emplace_back(e->session, e->clOrdId, e->orderId);
    }
  }
  for (auto& p : st.parents)
    if (p.rawNotional != 0) p.avgPx = averageFromRaw(p.rawNotional, p.cumQty);
  for (const auto& [id, e] : lastCancel)
    if (last[id].status == OrdStatus::PendingCancel)
      st.pendingCancels.push_back({e->orderId, e->clOrdId, e->origClOrdId.value_or(ClOrdId()),
                                   e->eventType == "CANCEL_REQUESTED"});
  for (const auto& [id, text] : lastPause)
    if (st.parents[parentAt.at(id)].isOpen()) st.algoPauses.emplace_back(OrderId(id), text);
  return st;
}

// The gateway after the restart: its own loop, risk, venue, journal and
// reports, on the same (virtual) clock.
struct Restarted {
  explicit Restarted(ManualClock& c) : clock(c) {}
  ManualClock& clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = master();
  risk::RiskEngine risk{riskCfg(), instruments};
  FakeVenue venue;
  MemoryJournal journal;
  Reports reports;
  Engine engine{
      loop,    clock,   risk, RoutingTable(RoutingConfig{{}, kSim}, {kSim}), {{kSim, &venue}},
      journal, reports, "u"};
  void run() { loop.runDue(); }
};

class AlgoRestoreTest : public EngineTest {
 protected:
  void algoOrder(const char* clOrdId, const char* qty, AlgoOrderFields a) {
    NewOrder n;
    n.hdr.session = kSess;
    n.hdr.receivedAt = clock.wallNow();
    n.clOrdId = ClOrdId(clOrdId);
    n.account = Account("ACC1");
    n.symbol = Symbol("AAPL");
    n.side = Side::Buy;
    n.ordType = OrdType::Limit;
    n.qty = Qty::of(qty);
    n.price = Price::of("100.00");
    auto d = std::make_shared<OrderDetails>();
    a.price = "100.00";
    d->algo = std::move(a);
    n.details = d;
    engine.submit(n);
    run();
  }
  AlgoOrderFields twap(int windowSec, int sliceSec) {
    AlgoOrderFields a;
    a.targetStrategy = "TWAP";
    a.expireTime = formatFixTimestamp(clock.wallNow() + windowSec * kSec);
    a.strategyParameters.push_back({"SliceInterval", "1", std::to_string(sliceSec)});
    return a;
  }
  static VenueEvent venueEvent(VenueEventKind k, const ChildOrderId& child) {
    VenueEvent e;
    e.kind = k;
    e.venue = kSim;
    e.childId = child;
    e.venueOrderId = VenueOrderId("V-" + child.str());
    return e;
  }
  // Plays the venue of an engine: acks, fills (with the venue's exec id).
  static void ackOn(Engine& en, EventLoop& lp, const ChildOrderId& child) {
    en.onVenueEvent(venueEvent(VenueEventKind::Accepted, child));
    lp.runDue();
  }
  static void fillOn(Engine& en, EventLoop& lp, const ChildOrderId& child, const char* qty,
                     const std::string& execId) {
    VenueEvent e = venueEvent(VenueEventKind::Fill, child);
    e.lastQty = Qty::of(qty);
    e.lastPx = Price::of("100.00");
    e.venueExecId = VenueExecId(execId);
    en.onVenueEvent(e);
    lp.runDue();
  }
  void ack1(size_t i) { ackOn(engine, loop, venue.submits.at(i).childId); }
  void fill1(size_t i, const char* qty, const std::string& execId) {
    fillOn(engine, loop, venue.submits.at(i).childId, qty, execId);
  }
  void advance(int64_t sec) {
    clock.advance(sec * kSec);
    run();
  }
  // The restarted gateway, loaded from the first one's journal, its venue
  // asked to reconcile.
  std::unique_ptr<Restarted> restart(bool marketData = false) {
    auto r = std::make_unique<Restarted>(clock);
    r->venue.hasMarketData = marketData;
    r->engine.restore(recoveredFrom(journal));
    r->engine.reconcileAll(0);
    r->run();
    return r;
  }
  static VenueOrderState openAtVenue(const ChildOrderId& id, const char* qty, const char* cum) {
    VenueOrderState o;
    o.childId = id;
    o.venueOrderId = VenueOrderId("V-" + id.str());
    o.symbol = Symbol("AAPL");
    o.qty = Qty::of(qty);
    o.cumQty = Qty::of(cum);
    o.price = Price::of("100.00");
    return o;
  }
  static VenueFill venueFill(const ChildOrderId& id, const char* qty, const std::string& execId) {
    VenueFill f;
    f.childId = id;
    f.venueOrderId = VenueOrderId("V-" + id.str());
    f.venueExecId = VenueExecId(execId);
    f.symbol = Symbol("AAPL");
    f.qty = Qty::of(qty);
    f.px = Price::of("100.00");
    return f;
  }
  static Qty submitted(const FakeVenue& v) {
    Qty q;
    for (const auto& s : v.submits) q += s.qty;
    return q;
  }
  static std::vector<const OrderEventRec*> eventsOf(const MemoryJournal& j,
                                                    const std::string& type) {
    std::vector<const OrderEventRec*> out;
    for (const auto& r : j.records)
      if (auto* e = recordIf<OrderEventRec>(&r); e && e->eventType == type) out.push_back(e);
    return out;
  }
  static std::vector<const ExecutionRec*> executions(const MemoryJournal& j) {
    std::vector<const ExecutionRec*> out;
    for (const auto& r : j.records)
      if (auto* x = recordIf<ExecutionRec>(&r)) out.push_back(x);
    return out;
  }
  // The parent rule after every step: filled + open live children <= qty.
  static void expectWithinLeaves(const Engine& en, const OrderId& id) {
    const algos::AlgoRunner* r = en.algoRunner(id);
    if (!r) return;
    Qty live;
    for (const auto& c : r->live()) live += c.open();
    EXPECT_LE(r->cum() + live, r->parentOrder().qty)
        << "cum " << r->cum().str() << " + live " << live.str();
  }
};

TEST_F(AlgoRestoreTest, TwapResumesMidScheduleFromTheJournalAndTheVenueWithoutOverSending) {
  // 600 over 60 s, a slice every 10 s: 100 due per slice.
  algoOrder("T1", "600", twap(60, 10));
  const OrderId pid = engine.find(kSess, ClOrdId("T1"))->orderId;
  ack1(0);
  fill1(0, "100", "F0");
  advance(10);
  ack1(1);
  fill1(1, "100", "F1");
  advance(10);
  ASSERT_EQ(venue.submits.size(), 3u);
  ack1(2);
  fill1(2, "40", "F2a");
  advance(10);  // t = 30: slice 4's child goes out, and the gateway dies before its ack
  ASSERT_EQ(venue.submits.size(), 4u);
  EXPECT_EQ(venue.submits[3].qty, Qty::of("100"));
  const ChildOrderId c2 = venue.submits[2].childId, c3 = venue.submits[3].childId;

  // ---- crash; 15 s later the gateway is back. Meanwhile the venue filled 30
  // more of child 2; child 3 never reached it.
  clock.advance(15 * kSec);  // t = 45: slice 5 (due 500) is the current one
  auto g = restart();
  ASSERT_EQ(g->venue.calls, (std::vector<std::string>{"adopt", "snapshot"}));
  EXPECT_EQ(g->engine.algoRunner(pid), nullptr) << "no runner before the venue has reconciled";
  EXPECT_TRUE(g->venue.submits.empty());

  VenueSnapshot snap;
  snap.ok = true;
  snap.orders = {openAtVenue(c2, "100", "70")};
  snap.fills = {venueFill(c2, "40", "F2a"), venueFill(c2, "30", "F2b")};  // F2a is booked
  g->engine.reconcile(kSim, snap);
  g->run();

  // Booked once: only the outage's fill is new, and the parent rolled it up.
  auto xs = executions(g->journal);
  ASSERT_EQ(xs.size(), 1u);
  EXPECT_EQ(xs[0]->venueExecId, VenueExecId("F2b"));
  const ParentOrder* p = g->engine.find(pid);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cumQty, Qty::of("270"));
  EXPECT_TRUE(p->isOpen()) << "a child the venue does not have cancels the child, not the parent";
  EXPECT_TRUE(eventsOf(g->journal, "CANCELED").empty());
  ASSERT_EQ(eventsOf(g->journal, "RECONCILE_CHILD_CANCELED").size(), 1u);
  EXPECT_EQ(eventsOf(g->journal, "RECONCILE_CHILD_CANCELED")[0]->childOrderId, OrderId(c3.str()));

  // The runner is back with the journal's cum and the live child 2 (30
  // open); the schedule's slice 5 wants 500: it sends 500 - 270 - 30 = 200.
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cum(), Qty::of("270"));
  ASSERT_EQ(r->live().size(), 2u);  // child 2 and the new slice
  EXPECT_EQ(r->live()[0].id, c2);
  ASSERT_EQ(g->venue.submits.size(), 1u);
  EXPECT_EQ(g->venue.submits[0].qty, Qty::of("200"));
  EXPECT_EQ(g->venue.submits[0].price, Price::of("100.00"));
  expectWithinLeaves(g->engine, pid);
  auto restored = eventsOf(g->journal, "ALGO_RESTORED");
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_NE(restored[0]->text.find("TWAP resumed after a restart: filled 270 of 600"),
            std::string::npos)
      << restored[0]->text;
  auto routed = eventsOf(g->journal, "ROUTED");
  ASSERT_EQ(routed.size(), 1u);
  EXPECT_NE(routed[0]->text.find("TWAP slice 5/6"), std::string::npos) << routed[0]->text;

  // The schedule goes on to the end: the rest of child 2, the new child, and
  // the last slice; the parent fills exactly.
  ackOn(g->engine, g->loop, g->venue.submits[0].childId);
  fillOn(g->engine, g->loop, c2, "30", "F2c");
  fillOn(g->engine, g->loop, g->venue.submits[0].childId, "200", "G0");
  expectWithinLeaves(g->engine, pid);
  clock.advance(5 * kSec);  // t = 50: the last slice
  g->run();
  ASSERT_EQ(g->venue.submits.size(), 2u);
  EXPECT_EQ(g->venue.submits[1].qty, Qty::of("100"));
  ackOn(g->engine, g->loop, g->venue.submits[1].childId);
  fillOn(g->engine, g->loop, g->venue.submits[1].childId, "100", "G1");
  EXPECT_EQ(p->cumQty, Qty::of("600"));
  EXPECT_EQ(p->status(), OrdStatus::Filled);
  EXPECT_EQ(p->avgPx, Price::of("100.00"));
  // Sent over both lives: 100+100+100 (child 3 died unseen) + 200 + 100 = the
  // order plus the child the venue never had.
  EXPECT_EQ(submitted(venue) + submitted(g->venue) - Qty::of("100"), Qty::of("600"));
  Qty filled;
  for (const auto& rec : journal.records)
    if (auto* x = recordIf<ExecutionRec>(&rec)) filled += x->lastQty;
  for (const auto* x : executions(g->journal)) filled += x->lastQty;
  EXPECT_EQ(filled, Qty::of("600"));
  auto done = eventsOf(g->journal, "ALGO_DONE");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]->reasonCode, "FILLED");
}

TEST_F(AlgoRestoreTest, AReplaceBeforeTheCrashIsWhatTheRestoredRunnerWorksWith) {
  algoOrder("R1", "600", twap(60, 10));
  const OrderId pid = engine.find(kSess, ClOrdId("R1"))->orderId;
  ack1(0);
  fill1(0, "100", "F0");
  // Down to 400 with a later end and a new SliceInterval; the start (not
  // restated) stays the arrival time.
  const WallNanos start = clock.wallNow();
  ReplaceOrder rq;
  rq.hdr.session = kSess;
  rq.clOrdId = ClOrdId("R2");
  rq.origClOrdId = ClOrdId("R1");
  rq.symbol = Symbol("AAPL");
  rq.side = Side::Buy;
  rq.ordType = OrdType::Limit;
  rq.qty = Qty::of("400");
  rq.price = Price::of("99.50");
  auto d = std::make_shared<OrderDetails>();
  d->algo = twap(120, 20);
  d->algo->price = "99.50";
  rq.details = d;
  clock.advance(5 * kSec);
  engine.submit(rq);
  run();
  ASSERT_EQ(engine.find(pid)->qty, Qty::of("400"));
  const algos::AlgoParams before = engine.algoRunner(pid)->algoParams();
  EXPECT_EQ(before.start, start);

  clock.advance(10 * kSec);
  auto g = restart();
  VenueSnapshot snap;
  snap.ok = true;
  g->engine.reconcile(kSim, snap);
  g->run();
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->parentOrder().qty, Qty::of("400"));
  const algos::AlgoParams& after = r->algoParams();
  EXPECT_EQ(after.start, before.start);
  EXPECT_EQ(after.end, before.end);
  EXPECT_EQ(after.sliceIntervalNanos, 20 * kSec);
  EXPECT_EQ(after.limit, Price::of("99.50"));
  EXPECT_EQ(r->cum(), Qty::of("100"));
  for (const auto& s : g->venue.submits) EXPECT_EQ(s.price, Price::of("99.50"));
  expectWithinLeaves(g->engine, pid);
}

TEST_F(AlgoRestoreTest, PovCountsOnlyTheVolumeAfterTheRestartOnTopOfItsCum) {
  venue.hasMarketData = true;
  AlgoOrderFields a;
  a.targetStrategy = "POV";
  a.participationRate = "0.2";
  a.expireTime = formatFixTimestamp(clock.wallNow() + 600 * kSec);
  algoOrder("P1", "1000", a);
  const OrderId pid = engine.find(kSess, ClOrdId("P1"))->orderId;
  ASSERT_TRUE(venue.mdSink);
  venue.mdSink->onTrade(
      Trade{kSim, Symbol("AAPL"), Price::of("100.00"), Qty::of("500"), clock.wallNow()});
  run();
  ASSERT_EQ(venue.submits.size(), 1u);
  EXPECT_EQ(venue.submits[0].qty, Qty::of("100"));
  ack1(0);
  fill1(0, "60", "F0");

  // ---- crash at t = 10; the venue fills 40 more in the outage (the child is
  // done there), and the market trades volume the gateway never sees.
  clock.advance(30 * kSec);
  auto g = restart(/*marketData=*/true);
  VenueSnapshot snap;
  snap.ok = true;
  snap.fills = {venueFill(venue.submits[0].childId, "40", "F1")};
  g->engine.reconcile(kSim, snap);
  g->run();
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cum(), Qty::of("100"));
  EXPECT_TRUE(r->live().empty()) << "the child filled during the outage is done";
  EXPECT_TRUE(g->venue.submits.empty()) << "no volume since the restart: nothing due";
  ASSERT_TRUE(g->venue.mdSink) << "the restored parent subscribes its market data again";

  // 1000 trade after the restart: target = 100 (cum at restart) + 20% = 300.
  g->venue.mdSink->onTrade(
      Trade{kSim, Symbol("AAPL"), Price::of("100.00"), Qty::of("1000"), clock.wallNow()});
  g->run();
  ASSERT_EQ(g->venue.submits.size(), 1u);
  EXPECT_EQ(g->venue.submits[0].qty, Qty::of("200"));
  expectWithinLeaves(g->engine, pid);
  EXPECT_EQ(g->engine.find(pid)->cumQty, Qty::of("100"));
  EXPECT_EQ(executions(g->journal).size(), 1u) << "the outage's fill, booked once";
}

TEST_F(AlgoRestoreTest, IcebergWaitsForItsShownChildThenShowsTheNext) {
  AlgoOrderFields a;
  a.targetStrategy = "ICEBERG";
  a.maxFloor = "100";
  algoOrder("I1", "300", a);
  const OrderId pid = engine.find(kSess, ClOrdId("I1"))->orderId;
  ASSERT_EQ(venue.submits.size(), 1u);
  ack1(0);
  fill1(0, "100", "F0");
  ASSERT_EQ(venue.submits.size(), 2u);
  ack1(1);
  fill1(1, "30", "F1");
  const ChildOrderId shown = venue.submits[1].childId;

  clock.advance(20 * kSec);
  auto g = restart();
  VenueSnapshot snap;
  snap.ok = true;
  snap.orders = {openAtVenue(shown, "100", "30")};
  g->engine.reconcile(kSim, snap);
  g->run();
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cum(), Qty::of("130"));
  ASSERT_EQ(r->live().size(), 1u);
  EXPECT_EQ(r->live()[0].open(), Qty::of("70"));
  EXPECT_TRUE(g->venue.submits.empty()) << "its shown child is still working: nothing more shown";

  // The shown child fills (200 of 300): the last 100 is shown next.
  fillOn(g->engine, g->loop, shown, "70", "F2");
  ASSERT_EQ(g->venue.submits.size(), 1u);
  EXPECT_EQ(g->venue.submits[0].qty, Qty::of("100"));
  expectWithinLeaves(g->engine, pid);
  ackOn(g->engine, g->loop, g->venue.submits[0].childId);
  fillOn(g->engine, g->loop, g->venue.submits[0].childId, "100", "G0");
  EXPECT_EQ(g->venue.submits.size(), 1u);
  EXPECT_EQ(g->engine.find(pid)->status(), OrdStatus::Filled);
  EXPECT_EQ(g->engine.find(pid)->cumQty, Qty::of("300"));
}

TEST_F(AlgoRestoreTest, AParentRestoredAfterItsEndTimeFinishesExpired) {
  algoOrder("E1", "600", twap(60, 10));
  const OrderId pid = engine.find(kSess, ClOrdId("E1"))->orderId;
  ack1(0);
  fill1(0, "100", "F0");
  advance(10);
  ack1(1);
  const ChildOrderId c1 = venue.submits[1].childId;

  clock.advance(120 * kSec);  // back well after the end time
  auto g = restart();
  VenueSnapshot snap;
  snap.ok = true;
  snap.orders = {openAtVenue(c1, "100", "0")};
  g->engine.reconcile(kSim, snap);
  g->run();
  EXPECT_TRUE(g->venue.submits.empty()) << "nothing is sent after the end time";
  ASSERT_EQ(g->venue.cancels.size(), 1u) << "the live child is cancelled";
  EXPECT_EQ(g->venue.cancels[0].childId, c1);
  EXPECT_TRUE(g->engine.find(pid)->isOpen()) << "done once the child is";
  g->engine.onVenueEvent(venueEvent(VenueEventKind::Canceled, c1));
  g->run();
  const ParentOrder* p = g->engine.find(pid);
  EXPECT_EQ(p->status(), OrdStatus::Expired);
  const ExecReport& last = g->reports.lastEr();
  EXPECT_EQ(last.execType, ExecType::Expired);
  EXPECT_NE(last.text.find("filled 100 of 600"), std::string::npos) << last.text;
}

TEST_F(AlgoRestoreTest, APauseForARejectSurvivesTheRestart) {
  algoOrder("Q1", "600", twap(60, 10));
  const OrderId pid = engine.find(kSess, ClOrdId("Q1"))->orderId;
  VenueEvent rej = venueEvent(VenueEventKind::Rejected, venue.submits[0].childId);
  rej.text = "no liquidity";
  engine.onVenueEvent(rej);
  run();
  ASSERT_EQ(engine.algoRunner(pid)->state(), algos::AlgoRunner::State::Paused);

  clock.advance(25 * kSec);
  auto g = restart();  // nothing open at a venue: restored at once
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state(), algos::AlgoRunner::State::Paused);
  EXPECT_NE(r->pauseReason().find("no liquidity"), std::string::npos) << r->pauseReason();
  EXPECT_TRUE(g->venue.submits.empty());
}

TEST_F(AlgoRestoreTest, AChildOverAReplacedQtyWhoseCancelTheCrashCutShortIsCancelledAgain) {
  algoOrder("D1", "600", twap(60, 10));
  const OrderId pid = engine.find(kSess, ClOrdId("D1"))->orderId;
  ack1(0);  // 100 live at the venue
  // Down to 50: the child of 100 no longer fits and is being cancelled when
  // the gateway dies; the venue never confirmed.
  ReplaceOrder rq;
  rq.hdr.session = kSess;
  rq.clOrdId = ClOrdId("D2");
  rq.origClOrdId = ClOrdId("D1");
  rq.symbol = Symbol("AAPL");
  rq.side = Side::Buy;
  rq.ordType = OrdType::Limit;
  rq.qty = Qty::of("50");
  rq.price = Price::of("100.00");
  engine.submit(rq);
  run();
  ASSERT_EQ(venue.cancels.size(), 1u);
  const ChildOrderId c0 = venue.submits[0].childId;

  clock.advance(15 * kSec);
  auto g = restart();
  VenueSnapshot snap;
  snap.ok = true;
  snap.orders = {openAtVenue(c0, "100", "0")};
  g->engine.reconcile(kSim, snap);
  g->run();
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->parentOrder().qty, Qty::of("50"));
  ASSERT_EQ(g->venue.cancels.size(), 1u) << "the restored runner cancels it again";
  EXPECT_EQ(g->venue.cancels[0].childId, c0);
  EXPECT_TRUE(g->venue.submits.empty()) << "nothing new while it may still fill";

  // Confirmed: the schedule of 50 goes on, within the new qty.
  g->engine.onVenueEvent(venueEvent(VenueEventKind::Canceled, c0));
  g->run();
  ASSERT_FALSE(g->venue.submits.empty());
  EXPECT_LE(submitted(g->venue), Qty::of("50"));
  expectWithinLeaves(g->engine, pid);
}

TEST_F(AlgoRestoreTest, ACancelPendingAtTheCrashIsCarriedOutNotForgotten) {
  algoOrder("K1", "600", twap(60, 10));
  const OrderId pid = engine.find(kSess, ClOrdId("K1"))->orderId;
  ack1(0);
  fill1(0, "40", "F0");
  cancel("K2", "K1");  // PendingCancel; the child's cancel is out, never confirmed
  ASSERT_EQ(reports.lastEr().ordStatus, OrdStatus::PendingCancel);
  ASSERT_EQ(venue.cancels.size(), 1u);
  const ChildOrderId c0 = venue.submits[0].childId;

  clock.advance(25 * kSec);  // slice 3 would be due: nothing may be sent
  auto g = restart();
  VenueSnapshot snap;
  snap.ok = true;
  snap.orders = {openAtVenue(c0, "100", "40")};
  g->engine.reconcile(kSim, snap);
  g->run();
  EXPECT_TRUE(g->venue.submits.empty()) << "a parent being cancelled sends nothing";
  ASSERT_EQ(g->venue.cancels.size(), 1u);
  EXPECT_EQ(g->venue.cancels[0].childId, c0);
  EXPECT_EQ(eventsOf(g->journal, "ALGO_CANCEL_RESUMED").size(), 1u);
  g->engine.onVenueEvent(venueEvent(VenueEventKind::Canceled, c0));
  g->run();
  const ParentOrder* p = g->engine.find(pid);
  EXPECT_EQ(p->status(), OrdStatus::Canceled);
  const ExecReport& last = g->reports.lastEr();
  EXPECT_EQ(last.execType, ExecType::Canceled);
  EXPECT_EQ(last.clOrdId, ClOrdId("K2")) << "Canceled answers the client's cancel";
  EXPECT_EQ(last.origClOrdId, ClOrdId("K1"));
  EXPECT_EQ(last.cumQty, Qty::of("40"));
}

TEST_F(AlgoRestoreTest, AVwapKeepsTheProfileItLearnedAcrossTheRestart) {
  // A first algo parent subscribes the symbol; the market then trades 300 at
  // 09:40 UTC and 100 at 14:10 UTC of some day: the relay learns a profile.
  venue.hasMarketData = true;
  AlgoOrderFields pov;
  pov.targetStrategy = "POV";
  pov.participationRate = "0.1";
  algoOrder("P0", "10", pov);
  ASSERT_TRUE(venue.mdSink);
  const WallNanos day = clock.wallNow() / (86'400 * kSec) * (86'400 * kSec);
  venue.mdSink->onTrade(Trade{kSim, Symbol("AAPL"), Price::of("100.00"), Qty::of("300"),
                              day + (9 * 60 + 40) * 60 * kSec});
  venue.mdSink->onTrade(Trade{kSim, Symbol("AAPL"), Price::of("100.00"), Qty::of("100"),
                              day + (14 * 60 + 10) * 60 * kSec});
  run();
  AlgoOrderFields vwap = twap(600, 60);
  vwap.targetStrategy = "VWAP";  // no Profile: the learned one
  algoOrder("V1", "500", vwap);
  const OrderId pid = engine.find(kSess, ClOrdId("V1"))->orderId;
  const std::vector<algos::ProfileBucket> learned =
      engine.algoRunner(pid)->algoParams().volumeProfile;
  ASSERT_FALSE(learned.empty());
  const ParentOrder* p = engine.find(pid);
  ASSERT_TRUE(p->details && p->details->algo);
  EXPECT_NE(p->details->algo->learnedProfile.find("0930:750000"), std::string::npos)
      << p->details->algo->learnedProfile;

  clock.advance(5 * kSec);
  auto g = restart(/*marketData=*/true);  // its relay has learned nothing
  VenueSnapshot snap;
  snap.ok = true;
  g->engine.reconcile(kSim, snap);
  g->run();
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->algoParams().volumeProfile, learned);
}

TEST_F(AlgoRestoreTest, AVenueThatNeverAnswersItsSnapshotDoesNotHoldTheParentForever) {
  algoOrder("W1", "600", twap(60, 10));
  const OrderId pid = engine.find(kSess, ClOrdId("W1"))->orderId;
  ack1(0);
  clock.advance(5 * kSec);
  auto g = restart();
  EXPECT_EQ(g->engine.algoRunner(pid), nullptr);
  clock.advance(Engine::kAlgoRestoreWaitNanos);
  g->run();
  const algos::AlgoRunner* r = g->engine.algoRunner(pid);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->live().size(), 2u) << "the unreconciled child stays live, and the schedule goes on";
  EXPECT_EQ(r->live()[0].open(), Qty::of("100"));
  expectWithinLeaves(g->engine, pid);
}

}  // namespace
