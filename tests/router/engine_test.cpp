// Scenario tests of the order state machine. The venue is a recording fake
// (the unit test's edge); the engine loop is driven by hand with runDue().
#include "tests/router/engine_fixture.h"

TEST_F(EngineTest, NewOrderIsRoutedAndAcknowledgedAfterTheVenueAccepts) {
  newOrder("A1", "100");
  ASSERT_EQ(venue.submits.size(), 1u);
  EXPECT_EQ(venue.submits[0].qty, Qty::of("100"));
  EXPECT_TRUE(reports.all.empty()) << "no report before the venue answers";
  ack();
  ASSERT_EQ(reports.all.size(), 1u);
  const ExecReport& r = reports.er(0);
  EXPECT_EQ(r.execType, ExecType::New);
  EXPECT_EQ(r.ordStatus, OrdStatus::New);
  EXPECT_EQ(r.clOrdId, ClOrdId("A1"));
  EXPECT_EQ(r.leavesQty, Qty::of("100"));
  EXPECT_EQ(r.cumQty, Qty{});
  EXPECT_FALSE(r.orderId.empty());
  EXPECT_FALSE(r.execId.empty());
  // A direct order's ROUTED has no record (schema 0021): readers build it from RECEIVED's.
  EXPECT_EQ(eventTypes(), (std::vector<std::string>{"RECEIVED", "NEW"}));
}

// Schema 0020: a direct order's one child has no orders record of its own. Its id is the parent's
// with "-C" before the number, and every record of the parent carries the child's state.
TEST_F(EngineTest, DirectOrdersChildIsJournaledInItsParentsRecord) {
  newOrder("A1", "100", "101.00");
  ack();
  fill("40", "100.00");
  ASSERT_EQ(venue.submits.size(), 1u);
  const ParentOrder* p = engine.find(kSess, ClOrdId("A1"));
  ASSERT_TRUE(p);
  const std::string& id = p->orderId.str();
  const std::string childId = id.substr(0, id.rfind('-') + 1) + "C" + id.substr(id.rfind('-') + 1);
  EXPECT_EQ(venue.submits[0].childId, ChildOrderId(childId));
  ASSERT_TRUE(engine.child(ChildOrderId(childId)));
  EXPECT_TRUE(engine.child(ChildOrderId(childId))->direct);
  std::vector<const OrderRec*> recs;
  for (const auto& r : journal.records)
    if (auto* o = std::get_if<OrderRec>(&r)) {
      EXPECT_FALSE(o->parentOrderId) << "a child record: " << o->orderId.str();
      EXPECT_EQ(o->orderId, p->orderId);
      recs.push_back(o);
    }
  ASSERT_FALSE(recs.empty());
  EXPECT_FALSE(recs.front()->childStatus) << "before the child exists";
  const OrderRec& last = *recs.back();
  EXPECT_EQ(last.childStatus, OrdStatus::PartiallyFilled);
  EXPECT_EQ(last.venueOrderId, VenueOrderId("V1"));
  EXPECT_FALSE(last.childCumQty) << "same as the parent's";
  EXPECT_FALSE(last.childQty);
  EXPECT_FALSE(last.childPrice);
  EXPECT_EQ(last.cumQty, Qty::of("40"));
  // Events and fills still name the child.
  for (const auto& r : journal.records) {
    if (auto* x = std::get_if<ExecutionRec>(&r)) {
      EXPECT_EQ(x->childOrderId, OrderId(childId));
    }
  }
  // An algo's children (and the next direct order's) never take that number.
  newOrder("A2", "10", "101.00");
  EXPECT_NE(venue.submits.at(1).childId, venue.submits.at(0).childId);
}

namespace {
std::vector<const OrderEventRec*> eventsOf(const MemoryJournal& j, const OrderId& id) {
  std::vector<const OrderEventRec*> out;
  for (const auto& r : j.records)
    if (auto* e = recordIf<OrderEventRec>(&r); e && e->orderId == id) out.push_back(e);
  return out;
}
}  // namespace

// Schema 0021: a direct order routed as received writes no ROUTED record. Its line is built from
// the RECEIVED record (same state) and the order's record (venue, child), at RECEIVED's seq + 1,
// which the engine keeps unused; the parent's record names the venue and carries the child.
TEST_F(EngineTest, DirectOrdersRoutedLineIsKeptInItsReceivedEventAndOrderRecord) {
  newOrder("A1", "100", "101.00");
  const ParentOrder* p = engine.find(kSess, ClOrdId("A1"));
  ASSERT_TRUE(p);
  auto evs = eventsOf(journal, p->orderId);
  ASSERT_EQ(evs.size(), 1u);
  const OrderEventRec received = *evs[0];
  EXPECT_EQ(received.eventType, "RECEIVED");
  EXPECT_EQ(received.qty, Qty::of("100"));
  EXPECT_EQ(received.price, Price::of("101.00"));
  EXPECT_EQ(received.status, OrdStatus::PendingNew);  // the ROUTED line's status too
  const OrderRec* last = nullptr;
  for (const auto& r : journal.records)
    if (auto* o = std::get_if<OrderRec>(&r)) last = o;
  ASSERT_TRUE(last);
  EXPECT_EQ(last->venue, VenueId("SIM"));
  EXPECT_EQ(last->childStatus, OrdStatus::PendingNew);
  ack();
  evs = eventsOf(journal, p->orderId);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[1]->eventType, "NEW");
  EXPECT_EQ(evs[1]->seq, received.seq + 2) << "seq + 1 is the ROUTED line's";
  // The next order's events never take that number either.
  newOrder("A2", "10", "101.00");
  const ParentOrder* p2 = engine.find(kSess, ClOrdId("A2"));
  ASSERT_TRUE(p2);
  EXPECT_GT(eventsOf(journal, p2->orderId).at(0)->seq, evs[1]->seq);
}

// When risk rounds a direct order (tick / lot), the routed order differs from the one received:
// the ROUTED record is written as before, at RECEIVED's seq + 1, with the rounded price.
TEST_F(EngineTest, DirectOrderRoundedByRiskKeepsItsRoutedRecord) {
  risk::RiskConfig cfg = riskCfg();
  cfg.instruments[Symbol("ESZ7")].roundToTick = true;
  risk::RiskEngine rounding{cfg, instruments};
  FakeVenue v;
  MemoryJournal j;
  Reports rep;
  Engine e{loop, clock, rounding, RoutingTable(RoutingConfig{{}, VenueId("SIM")}, {VenueId("SIM")}),
           {{VenueId("SIM"), &v}}, j, rep, "r"};
  NewOrder n;
  n.hdr.session = kSess;
  n.hdr.rawFix = std::string("8=FIX.4.4\x01" "35=D\x01" "11=R1\x01");
  n.clOrdId = ClOrdId("R1");
  n.account = Account("ACC1");
  n.symbol = Symbol("ESZ7");
  n.side = Side::Buy;
  n.ordType = OrdType::Limit;
  n.tif = TimeInForce::Day;
  n.qty = Qty::of("2");
  n.price = Price::of("5000.10");
  e.submit(n);
  run();
  ASSERT_EQ(v.submits.size(), 1u);
  EXPECT_EQ(v.submits[0].price, Price::of("5000.00"));
  const ParentOrder* p = e.find(kSess, ClOrdId("R1"));
  ASSERT_TRUE(p);
  auto evs = eventsOf(j, p->orderId);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0]->eventType, "RECEIVED");
  EXPECT_EQ(evs[0]->price, Price::of("5000.10"));
  EXPECT_EQ(evs[1]->eventType, "ROUTED");
  EXPECT_EQ(evs[1]->seq, evs[0]->seq + 1);
  EXPECT_EQ(evs[1]->price, Price::of("5000.00"));
  EXPECT_EQ(evs[1]->text, "to SIM");
  EXPECT_EQ(evs[1]->childOrderId, OrderId::sharing(v.submits[0].childId));
}

TEST_F(EngineTest, PartialFillsRollUpIntoCumQtyAvgPxAndLeaves) {
  newOrder("A1", "100", "101.00");
  ack();
  fill("40", "100.00");
  const ExecReport& p = reports.lastEr();
  EXPECT_EQ(p.execType, ExecType::Trade);
  EXPECT_EQ(p.ordStatus, OrdStatus::PartiallyFilled);
  EXPECT_EQ(p.lastQty, Qty::of("40"));
  EXPECT_EQ(p.lastPx, Price::of("100.00"));
  EXPECT_EQ(p.cumQty, Qty::of("40"));
  EXPECT_EQ(p.leavesQty, Qty::of("60"));
  EXPECT_EQ(p.avgPx, Price::of("100"));
  fill("60", "100.50");
  const ExecReport& f = reports.lastEr();
  EXPECT_EQ(f.ordStatus, OrdStatus::Filled);
  EXPECT_EQ(f.cumQty, Qty::of("100"));
  EXPECT_EQ(f.leavesQty, Qty{});
  EXPECT_EQ(f.avgPx, Price::of("100.3"));  // (40*100 + 60*100.5) / 100
  EXPECT_NE(reports.er(1).execId, f.execId);
  size_t execs = 0;
  for (const auto& r : journal.records) execs += recordHolds<ExecutionRec>(r);
  EXPECT_EQ(execs, 2u);
}

TEST_F(EngineTest, CancelGoesPendingThenCanceledWithBothClOrdIds) {
  newOrder("A1", "100");
  ack();
  cancel("C1", "A1");
  ASSERT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingCancel);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::PendingCancel);
  EXPECT_EQ(reports.lastEr().clOrdId, ClOrdId("C1"));
  EXPECT_EQ(*reports.lastEr().origClOrdId, ClOrdId("A1"));
  venueSays(VenueEventKind::Canceled);
  const ExecReport& c = reports.lastEr();
  EXPECT_EQ(c.execType, ExecType::Canceled);
  EXPECT_EQ(c.ordStatus, OrdStatus::Canceled);
  EXPECT_EQ(c.clOrdId, ClOrdId("C1"));
  EXPECT_EQ(*c.origClOrdId, ClOrdId("A1"));
  EXPECT_EQ(c.leavesQty, Qty{});
  EXPECT_EQ(engine.openOrders(), 0u);
}

TEST_F(EngineTest, CancelOfUnknownOrderIsRejectedAsUnknown) {
  cancel("C1", "NOPE");
  const CancelReject& r = reports.lastCxlRej();
  EXPECT_EQ(r.cxlRejReason, 1);
  EXPECT_FALSE(r.responseToReplace);
  EXPECT_FALSE(r.orderId.has_value());
  EXPECT_NE(r.text.find("NOPE"), std::string::npos);
  EXPECT_EQ(eventTypes(), (std::vector<std::string>{"CANCEL_REJECT"}));
}

TEST_F(EngineTest, CancelOfFilledOrderIsTooLate) {
  newOrder("A1", "10");
  ack();
  fill("10", "100.00");
  cancel("C1", "A1");
  const CancelReject& r = reports.lastCxlRej();
  EXPECT_EQ(r.cxlRejReason, 0);
  EXPECT_EQ(r.ordStatus, OrdStatus::Filled);
  EXPECT_TRUE(venue.cancels.empty());
}

TEST_F(EngineTest, SecondCancelWhilePendingIsRejectedAsPending) {
  newOrder("A1", "10");
  ack();
  cancel("C1", "A1");
  cancel("C2", "A1");
  EXPECT_EQ(reports.lastCxlRej().cxlRejReason, 3);
  EXPECT_EQ(venue.cancels.size(), 1u);
}

TEST_F(EngineTest, CancelOfAnOrderTheVenueHasNotAckedWaitsForTheAck) {
  newOrder("A1", "10");
  cancel("C1", "A1");
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingCancel);
  EXPECT_TRUE(venue.cancels.empty()) << "nothing to cancel at the venue yet";
  ack();
  EXPECT_EQ(reports.lastEr().execType, ExecType::New);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::PendingCancel);
  ASSERT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(venue.cancels[0].venueOrderId, VenueOrderId("V1"));
  venueSays(VenueEventKind::Canceled);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Canceled);
}

TEST_F(EngineTest, VenueCancelRejectAfterAFillAnswersTooLate) {
  newOrder("A1", "10");
  ack();
  cancel("C1", "A1");
  fill("10", "100.00");
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Filled);
  venueSays(VenueEventKind::CancelRejected, "order already filled");
  const CancelReject& r = reports.lastCxlRej();
  EXPECT_EQ(r.cxlRejReason, 0);
  EXPECT_EQ(r.clOrdId, ClOrdId("C1"));
  EXPECT_EQ(r.ordStatus, OrdStatus::Filled);
}

TEST_F(EngineTest, ReplaceOfPartiallyFilledOrderKeepsCumQty) {
  newOrder("A1", "100", "100.00");
  ack();
  fill("30", "100.00");
  replace("R1", "A1", "150", "100.50");
  ASSERT_EQ(venue.replaces.size(), 1u);
  EXPECT_EQ(venue.replaces[0].newQty, Qty::of("150"));
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingReplace);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::PendingReplace);
  VenueEvent e = ev(VenueEventKind::Replaced);
  e.newQty = Qty::of("150");
  e.newPrice = Price::of("100.50");
  engine.onVenueEvent(e);
  run();
  const ExecReport& r = reports.lastEr();
  EXPECT_EQ(r.execType, ExecType::Replaced);
  EXPECT_EQ(r.ordStatus, OrdStatus::PartiallyFilled);
  EXPECT_EQ(r.clOrdId, ClOrdId("R1"));
  EXPECT_EQ(*r.origClOrdId, ClOrdId("A1"));
  EXPECT_EQ(r.orderQty, Qty::of("150"));
  EXPECT_EQ(*r.price, Price::of("100.50"));
  EXPECT_EQ(r.cumQty, Qty::of("30"));
  EXPECT_EQ(r.leavesQty, Qty::of("120"));
  // The replaced order is now known by its new ClOrdID.
  cancel("C1", "R1");
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingCancel);
}

TEST_F(EngineTest, ReplaceDownToOrBelowCumQtyIsRejected) {
  newOrder("A1", "100");
  ack();
  fill("30", "100.00");
  replace("R1", "A1", "30", "100.00");
  const CancelReject& r = reports.lastCxlRej();
  EXPECT_TRUE(r.responseToReplace);
  EXPECT_NE(r.text.find("CumQty"), std::string::npos);
  EXPECT_TRUE(venue.replaces.empty());
}

TEST_F(EngineTest, ReplaceIsRiskCheckedAsTheResultingOrder) {
  newOrder("A1", "100");
  ack();
  replace("R1", "A1", "1001", "100.00");
  const CancelReject& r = reports.lastCxlRej();
  EXPECT_TRUE(r.responseToReplace);
  EXPECT_NE(r.text.find("MAX_ORDER_QTY"), std::string::npos);
  EXPECT_TRUE(venue.replaces.empty());
  EXPECT_EQ(engine.find(kSess, ClOrdId("A1"))->qty, Qty::of("100"));
}

TEST_F(EngineTest, RiskRejectIsAnExecutionReportWithTheRuleAndIsJournaled) {
  newOrder("A1", "5000");
  EXPECT_TRUE(venue.submits.empty());
  const ExecReport& r = reports.lastEr();
  EXPECT_EQ(r.execType, ExecType::Rejected);
  EXPECT_EQ(r.ordStatus, OrdStatus::Rejected);
  EXPECT_EQ(*r.ordRejReason, OrdRejReason::OrderExceedsLimit);
  EXPECT_NE(r.text.find("MAX_ORDER_QTY"), std::string::npos);
  bool found = false;
  for (const auto& rec : journal.records)
    if (auto* e = recordIf<OrderEventRec>(&rec))
      found |= e->eventType == "REJECTED" && e->reasonCode == "MAX_ORDER_QTY";
  EXPECT_TRUE(found);
}

TEST_F(EngineTest, DuplicateClOrdIdIsRejectedButPossResendGetsStatus) {
  newOrder("A1", "10");
  ack();
  newOrder("A1", "10");
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Rejected);
  EXPECT_EQ(*reports.lastEr().ordRejReason, OrdRejReason::DuplicateOrder);
  EXPECT_EQ(venue.submits.size(), 1u);
  newOrder("A1", "10", "100.00", TimeInForce::Day, /*possResend=*/true);
  EXPECT_EQ(reports.lastEr().execType, ExecType::OrderStatus);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::New);
  EXPECT_EQ(venue.submits.size(), 1u);
  // The original order is unaffected.
  EXPECT_EQ(engine.find(kSess, ClOrdId("A1"))->status(), OrdStatus::New);
}

TEST_F(EngineTest, VenueRejectBecomesARejectedReportWithTheVenueText) {
  newOrder("A1", "10");
  venueSays(VenueEventKind::Rejected, "price not on tick");
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Rejected);
  EXPECT_NE(reports.lastEr().text.find("price not on tick"), std::string::npos);
}

TEST_F(EngineTest, IocRemainderIsCanceled) {
  newOrder("A1", "10", "100.00", TimeInForce::Ioc);
  ack();
  fill("4", "100.00");
  venueSays(VenueEventKind::Expired, "IOC remainder expired");
  const ExecReport& r = reports.lastEr();
  EXPECT_EQ(r.execType, ExecType::Canceled);
  EXPECT_EQ(r.ordStatus, OrdStatus::Canceled);
  EXPECT_EQ(r.cumQty, Qty::of("4"));
  EXPECT_EQ(r.leavesQty, Qty{});
}

TEST_F(EngineTest, StatusRequestForKnownAndUnknownOrders) {
  newOrder("A1", "10");
  ack();
  fill("3", "100.00");
  StatusRequest s;
  s.hdr.session = kSess;
  s.clOrdId = ClOrdId("A1");
  engine.submit(s);
  run();
  EXPECT_EQ(reports.lastEr().execType, ExecType::OrderStatus);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::PartiallyFilled);
  EXPECT_EQ(reports.lastEr().cumQty, Qty::of("3"));
  s.clOrdId = ClOrdId("ZZ");
  engine.submit(s);
  run();
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Rejected);
  EXPECT_EQ(*reports.lastEr().ordRejReason, OrdRejReason::UnknownOrder);
}

TEST_F(EngineTest, MassCancelCancelsEveryOpenOrderOfTheSession) {
  newOrder("A1", "10");
  newOrder("A2", "10");
  newOrder("A3", "10");
  ack(0);
  ack(1);
  ack(2);
  fill("10", "100.00", 2);  // A3 is done: not affected
  MassCancel m;
  m.hdr.session = kSess;
  m.clOrdId = ClOrdId("M1");
  m.requestType = '7';
  engine.submit(m);
  run();
  const auto& rep = std::get<MassCancelReport>(reports.all.back());
  EXPECT_EQ(rep.response, '7');
  EXPECT_EQ(rep.totalAffected, 2);
  EXPECT_EQ(venue.cancels.size(), 2u);
}

TEST_F(EngineTest, CancelOnDisconnectCancelsOnlyThatSessionsOpenOrders) {
  engine.setCancelOnDisconnect({kSess});
  newOrder("A1", "10");
  newOrder("A2", "10");
  ack(0);
  ack(1);
  fill("10", "100.00", 1);  // A2 is done
  engine.sessionLoggedOut(SessionKey("FIX.4.2:FIXGW->OTHER"));
  run();
  EXPECT_TRUE(venue.cancels.empty()) << "another session's logout touches nothing";
  engine.sessionLoggedOut(kSess);
  run();
  ASSERT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(reports.lastEr().execType, ExecType::PendingCancel);
  venueSays(VenueEventKind::Canceled);
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Canceled);
  EXPECT_EQ(reports.lastEr().clOrdId, ClOrdId("A1"));
  auto types = eventTypes();
  EXPECT_NE(std::find(types.begin(), types.end(), "DISCONNECT_CANCEL_REQUESTED"), types.end());
}

TEST_F(EngineTest, WithoutTheOptionALogoutCancelsNothing) {
  newOrder("A1", "10");
  ack();
  engine.sessionLoggedOut(kSess);
  run();
  EXPECT_TRUE(venue.cancels.empty());
}

TEST_F(EngineTest, EventsForUnknownChildOrdersAreIgnoredNotFatal) {
  VenueEvent e;
  e.kind = VenueEventKind::Fill;
  e.childId = ChildOrderId("nope");
  engine.onVenueEvent(e);
  run();
  EXPECT_TRUE(reports.all.empty());
  EXPECT_EQ(engine.stats().unknownVenueEvents, 1u);
}

TEST_F(EngineTest, JournalEventsAreInStrictSequence) {
  newOrder("A1", "10");
  ack();
  fill("5", "100.00");
  cancel("C1", "A1");
  venueSays(VenueEventKind::Canceled);
  int64_t last = 0;
  for (const auto& r : journal.records)
    if (auto* e = recordIf<OrderEventRec>(&r)) {
      EXPECT_GT(e->seq, last);
      last = e->seq;
    }
  EXPECT_EQ(eventTypes(), (std::vector<std::string>{"RECEIVED", "NEW", "FILL",
                                                    "CANCEL_REQUESTED", "CANCELED"}));
}

// ---- recovery: restore from the journal, then reconcile with the venue ----

namespace {
RecoveredState oneOpenOrder(const char* clOrdId, const char* cum) {
  RecoveredState st;
  ParentOrder p;
  p.orderId = OrderId("old-1");
  p.session = kSess;
  p.clOrdId = ClOrdId(clOrdId);
  p.account = Account("ACC1");
  p.symbol = Symbol("AAPL");
  p.qty = Qty::of("100");
  p.price = Price::of("100.00");
  p.cumQty = Qty::of(cum);
  p.rawNotional = rawProduct(Price::of("100.00"), Qty::of(cum));
  p.avgPx = p.cumQty.isPositive() ? Price::of("100.00") : Price{};
  p.baseStatus = p.cumQty.isPositive() ? OrdStatus::PartiallyFilled : OrdStatus::New;
  p.venue = VenueId("SIM");
  p.children.push_back(ChildOrderId("old-C1"));
  st.parents.push_back(p);
  ChildOrder c;
  c.id = ChildOrderId("old-C1");
  c.parent = p.orderId;
  c.venue = VenueId("SIM");
  c.venueOrderId = VenueOrderId("SIM-7");
  c.qty = p.qty;
  c.price = p.price;
  c.cumQty = p.cumQty;
  c.status = p.baseStatus;
  c.acked = true;
  st.children.push_back(c);
  st.clOrdIds.emplace_back(kSess, ClOrdId(clOrdId), p.orderId);
  st.bookedFills.emplace_back(ChildOrderId("old-C1"), VenueExecId("X-1"));
  st.maxEventSeq = 500;
  return st;
}
VenueFill venueFill(const char* exec, const char* qty) {
  VenueFill f;
  f.childId = ChildOrderId("old-C1");
  f.venueExecId = VenueExecId(exec);
  f.qty = Qty::of(qty);
  f.px = Price::of("101.00");
  return f;
}
}  // namespace

TEST_F(EngineTest, RestoredOrdersKeepTheirClOrdIdsAndState) {
  engine.restore(oneOpenOrder("OLD1", "30"));
  const ParentOrder* p = engine.find(kSess, ClOrdId("OLD1"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cumQty, Qty::of("30"));
  newOrder("OLD1", "10");  // the ClOrdID is still taken after the restart
  EXPECT_EQ(*reports.lastEr().ordRejReason, OrdRejReason::DuplicateOrder);
  newOrder("OLD1", "10", "100.00", TimeInForce::Day, /*possResend=*/true);
  EXPECT_EQ(reports.lastEr().execType, ExecType::OrderStatus);
  EXPECT_EQ(reports.lastEr().orderId, OrderId("old-1"));
  EXPECT_EQ(reports.lastEr().cumQty, Qty::of("30"));
  for (const auto& r : journal.records) {
    if (auto* e = recordIf<OrderEventRec>(&r)) {
      EXPECT_GT(e->seq, 500) << "seq continues";
    }
  }
}

// Schema 0020 after a restart: a direct order's child restored from its parent's row (recovery marks
// it direct) trades on, fills and cancels, and stays journaled in the parent's record.
TEST_F(EngineTest, RestoredDirectChildTradesOnAndStaysInItsParentsRecord) {
  RecoveredState st = oneOpenOrder("OLD1", "30");
  st.children.at(0).direct = true;
  engine.restore(std::move(st));
  journal.records.clear();
  VenueEvent f;
  f.kind = VenueEventKind::Fill;
  f.venue = VenueId("SIM");
  f.childId = ChildOrderId("old-C1");
  f.venueOrderId = VenueOrderId("SIM-7");
  f.venueExecId = VenueExecId("X-5");
  f.lastQty = Qty::of("20");
  f.lastPx = Price::of("100.00");
  engine.onVenueEvent(f);
  run();
  ASSERT_FALSE(reports.all.empty());
  EXPECT_EQ(reports.lastEr().cumQty, Qty::of("50"));
  cancel("C-OLD1", "OLD1");
  ASSERT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(venue.cancels[0].venueOrderId, VenueOrderId("SIM-7"));
  const OrderRec* last = nullptr;
  for (const auto& r : journal.records)
    if (auto* o = std::get_if<OrderRec>(&r)) {
      EXPECT_FALSE(o->parentOrderId) << "a child record after the restart";
      last = o;
    }
  ASSERT_TRUE(last);
  EXPECT_EQ(last->orderId, OrderId("old-1"));
  EXPECT_EQ(last->childStatus, OrdStatus::PartiallyFilled);
  EXPECT_EQ(last->venueOrderId, VenueOrderId("SIM-7"));
  EXPECT_EQ(last->cumQty, Qty::of("50"));
  EXPECT_FALSE(last->childCumQty);
}

TEST_F(EngineTest, ReconcileBooksUnseenFillsOnceAndCancelsWhatTheVenueLost) {
  engine.restore(oneOpenOrder("OLD1", "30"));
  VenueSnapshot snap;
  snap.ok = true;
  snap.fills = {venueFill("X-1", "30"), venueFill("X-2", "20"), venueFill("X-2", "20")};
  VenueFill stray = venueFill("X-9", "5");
  stray.childId = ChildOrderId("nobody");
  snap.fills.push_back(stray);
  engine.reconcile(VenueId("SIM"), snap);  // the order is not in snap.orders: gone
  ASSERT_EQ(reports.all.size(), 2u) << "one booked fill, then the cancel";
  EXPECT_EQ(reports.er(0).execType, ExecType::Trade);
  EXPECT_EQ(reports.er(0).lastQty, Qty::of("20"));
  EXPECT_EQ(reports.er(0).cumQty, Qty::of("50"));
  EXPECT_EQ(reports.er(0).avgPx, Price::of("100.4"));  // (30*100 + 20*101) / 50
  EXPECT_EQ(reports.er(1).execType, ExecType::Canceled);
  EXPECT_NE(reports.er(1).text.find("recovery"), std::string::npos);
  std::vector<std::string> types = eventTypes();
  EXPECT_EQ(types, (std::vector<std::string>{"RECONCILED_FILL", "UNKNOWN_VENUE_FILL",
                                             "RECONCILE_CANCELED"}));
}

TEST_F(EngineTest, ReconcileKeepsOrdersTheVenueStillHas) {
  engine.restore(oneOpenOrder("OLD1", "0"));
  VenueSnapshot snap;
  snap.ok = true;
  VenueOrderState o;
  o.childId = ChildOrderId("old-C1");
  o.open = true;
  snap.orders.push_back(o);
  engine.reconcile(VenueId("SIM"), snap);
  EXPECT_TRUE(reports.all.empty());
  EXPECT_TRUE(engine.find(kSess, ClOrdId("OLD1"))->isOpen());
  cancel("C-OLD1", "OLD1");  // and it still trades normally
  ASSERT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(venue.cancels[0].venueOrderId, VenueOrderId("SIM-7"));
}

TEST_F(EngineTest, ReconcileHandsTheVenueItsJournaledOpenOrdersBeforeAskingForASnapshot) {
  engine.restore(oneOpenOrder("OLD1", "30"));
  engine.reconcileAll(0);
  ASSERT_EQ(venue.calls, (std::vector<std::string>{"adopt", "snapshot"}));
  ASSERT_EQ(venue.adopted.size(), 1u);
  const VenueOrderState& o = venue.adopted[0];
  EXPECT_EQ(o.childId, ChildOrderId("old-C1"));
  EXPECT_EQ(o.venueOrderId, VenueOrderId("SIM-7"));
  EXPECT_EQ(o.symbol, Symbol("AAPL"));
  EXPECT_EQ(o.qty, Qty::of("100"));
  EXPECT_EQ(o.cumQty, Qty::of("30"));
  EXPECT_EQ(o.price, Price::of("100.00"));
  EXPECT_EQ(o.ordType, OrdType::Limit);
}

TEST_F(EngineTest, AVenueThatCannotAnswerLeavesOrdersAsJournaled) {
  engine.restore(oneOpenOrder("OLD1", "0"));
  VenueSnapshot snap;
  snap.error = "down";
  engine.reconcile(VenueId("SIM"), snap);
  EXPECT_TRUE(reports.all.empty());
  EXPECT_TRUE(engine.find(kSess, ClOrdId("OLD1"))->isOpen());
}

TEST_F(EngineTest, AFillReportedTwiceByTheVenueIsBookedOnce) {
  newOrder("A1", "10");
  ack();
  VenueEvent e = ev(VenueEventKind::Fill);
  e.lastQty = Qty::of("4");
  e.lastPx = Price::of("100.00");
  e.venueExecId = VenueExecId("V-X1");
  engine.onVenueEvent(e);
  engine.onVenueEvent(e);
  run();
  EXPECT_EQ(engine.find(kSess, ClOrdId("A1"))->cumQty, Qty::of("4"));
  EXPECT_EQ(reports.all.size(), 2u);  // New + one fill
}

TEST(IdGeneratorRecovery, PrefixRoundTripsAndNeverGoesBackwards) {
  EXPECT_EQ(IdGenerator::prefixMsOf(IdGenerator::prefixFromMs(1'763'790'000'123) + "-42"),
            1'763'790'000'123);
  EXPECT_EQ(IdGenerator::prefixMsOf("NONE"), -1);
  __int128 raw = 0;
  ASSERT_TRUE(parseRawNotional("3020.0000000000000000", raw));
  EXPECT_EQ(averageFromRaw(raw, Qty::of("30")), Price::of("100.66666667"));
  EXPECT_FALSE(parseRawNotional("1e5", raw));
}

// A journal whose commits the test performs by hand.
struct GatedJournal final : Journal {
  std::vector<JournalRecord> pending, committed;
  std::vector<std::pair<size_t, std::function<void()>>> callbacks;  // (records before it, cb)
  void append(JournalRecord r) override { pending.push_back(std::move(r)); }
  void afterCommit(std::function<void()> cb) override {
    callbacks.emplace_back(committed.size() + pending.size(), std::move(cb));
  }
  void flush() override {}
  void commit() {
    for (auto& r : pending) committed.push_back(std::move(r));
    pending.clear();
    auto cbs = std::move(callbacks);
    callbacks.clear();
    for (auto& [n, cb] : cbs) {
      EXPECT_LE(n, committed.size()) << "a report was released before its events were committed";
      cb();
    }
  }
};

TEST(EngineDurableAcks, ReportsAreReleasedOnlyAfterTheirEventsCommit) {
  ManualClock clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = master();
  risk::RiskEngine risk{riskCfg(), instruments};
  FakeVenue venue;
  GatedJournal journal;
  Reports reports;
  Engine engine{loop, clock, risk,
                RoutingTable(RoutingConfig{{}, VenueId("SIM")}, {VenueId("SIM")}),
                {{VenueId("SIM"), &venue}}, journal, reports, "d"};
  ASSERT_EQ(engine.ackMode(), AckMode::Durable) << "durable is the default";
  NewOrder n;
  n.hdr.session = kSess;
  n.clOrdId = ClOrdId("D1");
  n.symbol = Symbol("AAPL");
  n.qty = Qty::of("10");
  n.price = Price::of("100.00");
  engine.submit(n);
  loop.runDue();
  VenueEvent e;
  e.kind = VenueEventKind::Accepted;
  e.childId = venue.submits.at(0).childId;
  engine.onVenueEvent(e);
  loop.runDue();
  EXPECT_TRUE(reports.all.empty()) << "the New report must wait for the commit";
  EXPECT_FALSE(journal.pending.empty());
  journal.commit();
  ASSERT_EQ(reports.all.size(), 1u);
  EXPECT_EQ(reports.er(0).execType, ExecType::New);
  bool newCommitted = false;
  for (const auto& r : journal.committed)
    if (auto* ev = recordIf<OrderEventRec>(&r)) newCommitted |= ev->eventType == "NEW";
  EXPECT_TRUE(newCommitted);

  engine.setAckMode(AckMode::Async);
  StatusRequest s;
  s.hdr.session = kSess;
  s.clOrdId = ClOrdId("D1");
  engine.submit(s);
  loop.runDue();
  EXPECT_EQ(reports.all.size(), 2u) << "async mode sends at once";
}

TEST(IdGenerator, PrefixesDifferAcrossStartsAndIdsAreUnique) {
  EXPECT_NE(IdGenerator::prefixFromTime(1'700'000'000'000'000'000),
            IdGenerator::prefixFromTime(1'700'000'000'001'000'000));
  IdGenerator g("p");
  EXPECT_NE(g.nextOrderId(), g.nextOrderId());
  EXPECT_NE(g.nextExecId().str(), g.nextChildId().str());
}
