// Scenario tests of what the engine does with the standard order fields of
// issue 14, in virtual time: GTD expiry (and after a restart), GTC across
// days, echo of the client's ids and parties, instrument resolution, order
// attributes passed to the venue, and OrderMassStatusRequest.
#include "tests/router/engine_fixture.h"

namespace {

constexpr int64_t kSecond = 1'000'000'000LL;

OrderDetailsPtr gtd(WallNanos at) {
  OrderDetails d;
  d.attrs.expireTime = at;
  return std::make_shared<const OrderDetails>(d);
}

class EngineOrderFields : public EngineTest {
 protected:
  void submitNew(NewOrder n) {
    n.hdr.session = kSess;
    if (n.account.empty()) n.account = Account("ACC1");
    if (n.symbol.empty()) n.symbol = Symbol("AAPL");
    if (!n.qty.isPositive()) n.qty = Qty::of("100");
    if (!n.price) n.price = Price::of("100.00");
    engine.submit(n);
    run();
  }
  NewOrder order(const char* clOrdId) {
    NewOrder n;
    n.clOrdId = ClOrdId(clOrdId);
    return n;
  }
  void massStatus(int type, std::optional<Symbol> sym = std::nullopt,
                  std::optional<std::string> party = std::nullopt) {
    MassStatusRequest m;
    m.hdr.session = kSess;
    m.massStatusReqId = "MS1";
    m.reqType = type;
    m.symbol = sym;
    m.partyId = party;
    engine.submit(m);
    run();
  }
  size_t countEvents(const std::string& type) const {
    auto t = eventTypes();
    return static_cast<size_t>(std::count(t.begin(), t.end(), type));
  }
};

}  // namespace

TEST_F(EngineOrderFields, GtdOrderExpiresAtItsExpireTimeAndIsReportedExpired) {
  NewOrder n = order("G1");
  n.tif = TimeInForce::GoodTillDate;
  n.details = gtd(clock.wallNow() + 3600 * kSecond);
  submitNew(n);
  ack();
  ASSERT_EQ(reports.lastEr().ordStatus, OrdStatus::New);
  EXPECT_EQ(venue.submits.at(0).attrs.expireTime, n.details->attrs.expireTime)
      << "the venue is told the expiry too";

  clock.advance(3599 * kSecond);
  run();
  EXPECT_TRUE(venue.cancels.empty()) << "one second before its expiry the order still works";

  clock.advance(1 * kSecond);
  run();
  ASSERT_EQ(venue.cancels.size(), 1u) << "at its ExpireTime the gateway cancels it at the venue";
  EXPECT_EQ(countEvents("EXPIRY_DUE"), 1u);
  venueSays(VenueEventKind::Canceled);
  const ExecReport& r = reports.lastEr();
  EXPECT_EQ(r.execType, ExecType::Expired);
  EXPECT_EQ(r.ordStatus, OrdStatus::Expired);
  EXPECT_EQ(r.clOrdId, ClOrdId("G1"));
  EXPECT_NE(r.text.find("ExpireTime"), std::string::npos) << r.text;
  EXPECT_EQ(countEvents("EXPIRED"), 1u);
}

TEST_F(EngineOrderFields, GtdOrderFilledBeforeItsExpiryIsNotTouched) {
  NewOrder n = order("G2");
  n.tif = TimeInForce::GoodTillDate;
  n.details = gtd(clock.wallNow() + 60 * kSecond);
  submitNew(n);
  ack();
  fill("100", "100.00");
  clock.advance(120 * kSecond);
  run();
  EXPECT_TRUE(venue.cancels.empty());
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Filled);
}

TEST_F(EngineOrderFields, GtdExpiryWaitsForAPendingClientCancelToSettle) {
  NewOrder n = order("G3");
  n.tif = TimeInForce::GoodTillDate;
  n.details = gtd(clock.wallNow() + 10 * kSecond);
  submitNew(n);
  ack();
  cancel("G3c", "G3");
  ASSERT_EQ(venue.cancels.size(), 1u);
  clock.advance(11 * kSecond);
  run();
  EXPECT_EQ(venue.cancels.size(), 1u) << "no second cancel while the client's is in flight";
  venueSays(VenueEventKind::Canceled);
  EXPECT_EQ(reports.lastEr().execType, ExecType::Canceled) << "the client's cancel wins";
  clock.advance(1 * kSecond);
  run();
  EXPECT_EQ(venue.cancels.size(), 1u);
  EXPECT_EQ(countEvents("EXPIRY_DUE"), 0u);
}

TEST_F(EngineOrderFields, GtdOrderRestoredAfterARestartStillExpiresOnTime) {
  ParentOrder p;
  p.orderId = OrderId("t-1");
  p.session = kSess;
  p.clOrdId = ClOrdId("R1");
  p.account = Account("ACC1");
  p.symbol = Symbol("AAPL");
  p.tif = TimeInForce::GoodTillDate;
  p.qty = Qty::of("100");
  p.price = Price::of("100.00");
  p.baseStatus = OrdStatus::New;
  p.venue = VenueId("SIM");
  p.details = gtd(clock.wallNow() + 30 * kSecond);
  ChildOrder c;
  c.id = ChildOrderId("t-C1");
  c.parent = p.orderId;
  c.venue = VenueId("SIM");
  c.venueOrderId = VenueOrderId("V9");
  c.qty = p.qty;
  c.status = OrdStatus::New;
  c.acked = true;
  p.children.push_back(c.id);
  RecoveredState st;
  st.parents.push_back(p);
  st.children.push_back(c);
  engine.restore(std::move(st));
  run();
  EXPECT_TRUE(venue.cancels.empty());
  clock.advance(30 * kSecond);
  run();
  ASSERT_EQ(venue.cancels.size(), 1u) << "the restored order's expiry timer was armed again";
  EXPECT_EQ(venue.cancels[0].venueOrderId, VenueOrderId("V9"));
}

TEST_F(EngineOrderFields, GtcOrderStaysWorkingAcrossDays) {
  newOrder("C1", "100", "100.00", TimeInForce::Gtc);
  ack();
  clock.advance(3 * 86'400 * kSecond);
  run();
  EXPECT_TRUE(venue.cancels.empty());
  const ParentOrder* p = engine.find(kSess, ClOrdId("C1"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status(), OrdStatus::New);
}

TEST_F(EngineOrderFields, DetailsAreEchoedOnEveryReportAndAttributesGoToTheVenue) {
  OrderDetails d;
  d.secondaryClOrdId = "SEC-1";
  d.clOrdLinkId = "LINK-1";
  d.parties = {Party{"DESK7", 'D', 3}};
  d.attrs.orderCapacity = 'A';
  d.attrs.positionEffect = 'O';
  d.attrs.locateReqd = true;
  d.attrs.minQty = Qty::of("10");
  NewOrder n = order("E1");
  n.details = std::make_shared<const OrderDetails>(d);
  submitNew(n);
  ASSERT_EQ(venue.submits.size(), 1u);
  EXPECT_EQ(venue.submits[0].attrs, d.attrs);
  ack();
  fill("40", "100.00");
  cancel("E1c", "E1");
  venueSays(VenueEventKind::Canceled);
  ASSERT_GE(reports.all.size(), 4u);
  for (const auto& r : reports.all) {
    const auto& er = std::get<ExecReport>(r);
    ASSERT_NE(er.details, nullptr) << toString(er.execType);
    EXPECT_EQ(er.details->secondaryClOrdId, "SEC-1");
    EXPECT_EQ(er.details->clOrdLinkId, "LINK-1");
    EXPECT_EQ(er.details->parties, d.parties);
  }
  bool journaled = false;
  for (const auto& r : journal.records)
    if (auto* o = recordIf<OrderRec>(&r); o && !o->parentOrderId && o->details)
      journaled = journaled || o->details->secondaryClOrdId == "SEC-1";
  EXPECT_TRUE(journaled) << "the order row carries the details";
}

TEST_F(EngineOrderFields, StatusAnswerEchoesOrdStatusReqId) {
  newOrder("S1", "100");
  ack();
  StatusRequest s;
  s.hdr.session = kSess;
  s.clOrdId = ClOrdId("S1");
  s.ordStatusReqId = "Q-77";
  engine.submit(s);
  run();
  EXPECT_EQ(reports.lastEr().execType, ExecType::OrderStatus);
  EXPECT_EQ(reports.lastEr().ordStatusReqId, "Q-77");
  s.clOrdId = ClOrdId("NOPE");
  s.ordStatusReqId = "Q-78";
  engine.submit(s);
  run();
  EXPECT_EQ(reports.lastEr().ordStatusReqId, "Q-78") << "also on the unknown-order answer";
}

TEST_F(EngineOrderFields, FutureNamedByUnderlyingAndMaturityResolvesToOurSymbol) {
  OrderDetails d;
  d.instrument.securityType = "FUT";
  d.instrument.maturityMonthYear = "202803";
  NewOrder n = order("F1");
  n.symbol = Symbol("ES");
  n.price = Price::of("5000.00");
  n.qty = Qty::of("2");
  n.details = std::make_shared<const OrderDetails>(d);
  submitNew(n);
  ASSERT_EQ(venue.submits.size(), 1u);
  EXPECT_EQ(venue.submits[0].symbol, Symbol("ESH8"));
}

TEST_F(EngineOrderFields, AmbiguousContractIsRejectedNamingTheFieldsThatWouldChooseOne) {
  OrderDetails d;
  d.instrument.securityType = "FUT";
  NewOrder n = order("F2");
  n.symbol = Symbol("ES");
  n.price = Price::of("5000.00");
  n.details = std::make_shared<const OrderDetails>(d);
  submitNew(n);
  EXPECT_TRUE(venue.submits.empty());
  const ExecReport& r = reports.lastEr();
  EXPECT_EQ(r.ordStatus, OrdStatus::Rejected);
  EXPECT_EQ(r.ordRejReason, OrdRejReason::UnknownSymbol);
  EXPECT_NE(r.text.find("ambiguous"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("ESH8"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("ESZ7"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("MaturityMonthYear (200)"), std::string::npos) << r.text;
}

TEST_F(EngineOrderFields, UnknownContractIsRejectedNamingWhatDidNotMatch) {
  OrderDetails d;
  d.instrument.securityType = "FUT";
  d.instrument.maturityMonthYear = "202906";
  NewOrder n = order("F3");
  n.symbol = Symbol("ES");
  n.price = Price::of("5000.00");
  n.details = std::make_shared<const OrderDetails>(d);
  submitNew(n);
  EXPECT_TRUE(venue.submits.empty());
  const ExecReport& r = reports.lastEr();
  EXPECT_EQ(r.ordStatus, OrdStatus::Rejected);
  EXPECT_NE(r.text.find("MaturityMonthYear (200) '202906'"), std::string::npos) << r.text;

  OrderDetails opt;
  opt.instrument.putOrCall = '1';
  NewOrder s = order("F4");
  s.details = std::make_shared<const OrderDetails>(opt);
  submitNew(s);
  EXPECT_NE(reports.lastEr().text.find("PutOrCall (201) '1'"), std::string::npos)
      << "a call on a stock: " << reports.lastEr().text;
}

TEST_F(EngineOrderFields, MassStatusReportsEveryOpenOrderAndFlagsTheLast) {
  newOrder("M1", "100");
  ack(0);
  newOrder("M2", "100");
  ack(1);
  newOrder("M3", "100");
  ack(2);
  fill("100", "100.00", 2);  // M3 is done: not reported
  reports.all.clear();
  massStatus(7);
  ASSERT_EQ(reports.all.size(), 2u);
  EXPECT_EQ(reports.er(0).clOrdId, ClOrdId("M1"));
  EXPECT_EQ(reports.er(1).clOrdId, ClOrdId("M2"));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(reports.er(i).execType, ExecType::OrderStatus);
    EXPECT_EQ(reports.er(i).massStatusReqId, "MS1");
    EXPECT_EQ(reports.er(i).totNumReports, 2);
    EXPECT_EQ(reports.er(i).lastRptRequested, i == 1);
  }
  EXPECT_EQ(countEvents("MASS_STATUS_REQUEST"), 2u);
}

TEST_F(EngineOrderFields, MassStatusBySymbolOrPartyAndWithNoMatch) {
  OrderDetails d;
  d.parties = {Party{"DESK7", 0, 3}};
  NewOrder n = order("P1");
  n.details = std::make_shared<const OrderDetails>(d);
  submitNew(n);
  ack(0);
  newOrder("P2", "100");
  ack(1);
  reports.all.clear();
  massStatus(8, std::nullopt, "DESK7");
  ASSERT_EQ(reports.all.size(), 1u);
  EXPECT_EQ(reports.er(0).clOrdId, ClOrdId("P1"));
  reports.all.clear();
  massStatus(1, Symbol("MSFT"));
  ASSERT_EQ(reports.all.size(), 1u) << "nothing matches: one report says so";
  EXPECT_EQ(reports.er(0).totNumReports, 0);
  EXPECT_TRUE(reports.er(0).lastRptRequested);
  EXPECT_EQ(reports.er(0).orderId, OrderId("NONE"));
}

TEST_F(EngineOrderFields, HaltingAPartyRefusesItsNewOrdersAndCancelsItsOpenOnes) {
  OrderDetails d;
  d.parties = {Party{"DESK7", 'D', 3}};
  auto desk7 = std::make_shared<const OrderDetails>(d);
  NewOrder a = order("H1");
  a.details = desk7;
  submitNew(a);
  ack(0);
  newOrder("H2", "100");
  ack(1);
  engine.setTradingState(risk::ScopeKind::Party, "DESK7", risk::TradingState::Halted, "ops",
                         "desk review", /*cancelOpenOrders=*/true);
  run();
  ASSERT_EQ(venue.cancels.size(), 1u) << "only the party's open order is canceled";
  EXPECT_EQ(venue.cancels[0].childId, venue.submits[0].childId);
  NewOrder b = order("H3");
  b.details = desk7;
  submitNew(b);
  EXPECT_EQ(venue.submits.size(), 2u) << "the halted party's new order never reaches the venue";
  EXPECT_EQ(reports.lastEr().ordStatus, OrdStatus::Rejected);
  EXPECT_NE(reports.lastEr().text.find("halted for this party"), std::string::npos)
      << reports.lastEr().text;
  newOrder("H4", "100");
  EXPECT_EQ(venue.submits.size(), 3u) << "orders of other parties still trade";
}

TEST_F(EngineOrderFields, AFillsFeeAndItsCurrencyAreBookedOnTheExecution) {
  newOrder("FE1", "100");
  ack();
  VenueEvent e = ev(VenueEventKind::Fill);
  e.venueExecId = VenueExecId("T-1");
  e.lastQty = Qty::of("100");
  e.lastPx = Price::of("100.00");
  e.fee = Qty::of("0.35");
  e.feeCurrency = "USD";
  engine.onVenueEvent(e);
  run();
  const ExecutionRec* x = nullptr;
  for (const auto& r : journal.records)
    if (auto* p = recordIf<ExecutionRec>(&r)) x = p;
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->fee, Qty::of("0.35"));
  EXPECT_EQ(x->feeCurrency, "USD");
  EXPECT_EQ(x->venueExecId, VenueExecId("T-1"));
}

TEST_F(EngineOrderFields, AdoptedOrdersCarryTheAttributesTheyWereSentWith) {
  OrderDetails d;
  d.attrs.positionEffect = 'C';
  d.attrs.minQty = Qty::of("10");
  ParentOrder p;
  p.orderId = OrderId("t-9");
  p.session = kSess;
  p.clOrdId = ClOrdId("AD1");
  p.symbol = Symbol("AAPL");
  p.qty = Qty::of("100");
  p.price = Price::of("100.00");
  p.baseStatus = OrdStatus::New;
  p.venue = VenueId("SIM");
  p.details = std::make_shared<const OrderDetails>(d);
  ChildOrder c;
  c.id = ChildOrderId("t-C9");
  c.parent = p.orderId;
  c.venue = VenueId("SIM");
  c.qty = p.qty;
  c.status = OrdStatus::New;
  c.acked = true;
  p.children.push_back(c.id);
  RecoveredState st;
  st.parents.push_back(p);
  st.children.push_back(c);
  engine.restore(std::move(st));
  engine.reconcileAll(0);
  ASSERT_EQ(venue.adopted.size(), 1u);
  EXPECT_EQ(venue.adopted[0].attrs, d.attrs);
}
