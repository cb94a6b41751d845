// JournalRecord's in-memory form (issue 15, session 8): the rare, large RiskEventRec is boxed so
// the variant is sized by the records the engine writes per order; recordIf / recordHolds /
// recordGet read any kind, boxed or not.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "core/journal.h"

namespace fixgw {
namespace {

TEST(JournalRecord, SizedByTheRecordsOfEveryOrderNotByTheRareLargeOne) {
  // The largest per-order record sets the size; the boxed risk event does not.
  EXPECT_LT(sizeof(JournalRecord), sizeof(RiskEventRec));
  EXPECT_LE(sizeof(JournalRecord), sizeof(OrderRec) + alignof(JournalRecord));
  // 608 before session 8. jrec's boxing and packing took it to 520; pgdirect's direct-child
  // fields on OrderRec (child status, qty, cum qty, price, stop price) took most of that back.
  EXPECT_LE(sizeof(JournalRecord), 592u);
  // Packing: the one-byte fields share a word instead of padding one each.
  EXPECT_LE(sizeof(OrderRec), 584u);
  EXPECT_LE(sizeof(OrderEventRec), 464u);
}

RiskEventRec sampleRisk() {
  RiskEventRec e;
  e.eventType = "REJECT";
  e.rule = "MAX_NOTIONAL";
  e.scope = "ACCOUNT";
  e.scopeKey = "ACC-1";
  e.account = Account("ACC-1");
  e.clOrdId = ClOrdId("a-client-order-id-longer-than-inline");
  e.limit = "1000000";
  e.value = "2500000";
  e.ts = 42;
  return e;
}

TEST(JournalRecord, RiskEventIsReadThroughItsBoxByKind) {
  JournalRecord r = sampleRisk();  // converts implicitly, as journal.append(std::move(e)) does
  EXPECT_TRUE(recordHolds<RiskEventRec>(r));
  EXPECT_FALSE(recordHolds<OrderRec>(r));
  const RiskEventRec* k = recordIf<RiskEventRec>(&r);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->rule, "MAX_NOTIONAL");
  EXPECT_EQ(k->clOrdId->str(), "a-client-order-id-longer-than-inline");
  EXPECT_EQ(recordGet<RiskEventRec>(r).value, "2500000");
  EXPECT_EQ(recordIf<OrderRec>(&r), nullptr);
  EXPECT_EQ(recordIf<TcaRec>(&r), nullptr);
  recordGet<RiskEventRec>(r).text = "changed in place";
  EXPECT_EQ(recordIf<RiskEventRec>(&r)->text, "changed in place");
}

TEST(JournalRecord, InlineKindsReadAsBefore) {
  OrderRec o;
  o.orderId = OrderId("O-1");
  o.status = OrdStatus::New;
  o.created = true;
  o.qty = Qty::fromInt(100);
  JournalRecord r = std::move(o);
  EXPECT_TRUE(recordHolds<OrderRec>(r));
  ASSERT_NE(recordIf<OrderRec>(&r), nullptr);
  EXPECT_EQ(recordIf<OrderRec>(&r)->orderId.str(), "O-1");
  EXPECT_TRUE(recordGet<OrderRec>(r).created);
  EXPECT_EQ(recordGet<OrderRec>(r).status, OrdStatus::New);
  EXPECT_EQ(recordGet<OrderRec>(r).qty, Qty::fromInt(100));
  EXPECT_EQ(recordIf<RiskEventRec>(&r), nullptr);
  const JournalRecord& cr = r;
  EXPECT_EQ(recordIf<OrderRec>(&cr)->orderId.str(), "O-1");
}

TEST(JournalRecord, CopyIsDeepAndMoveKeepsTheRecord) {
  JournalRecord a = sampleRisk();
  JournalRecord b = a;  // MemoryJournal's records may be copied by tests
  recordGet<RiskEventRec>(b).rule = "THROTTLE_ACCOUNT_ORDERS";
  EXPECT_EQ(recordGet<RiskEventRec>(a).rule, "MAX_NOTIONAL");
  EXPECT_NE(recordIf<RiskEventRec>(&a), recordIf<RiskEventRec>(&b));
  const RiskEventRec* before = recordIf<RiskEventRec>(&a);
  std::vector<JournalRecord> queue;
  queue.push_back(std::move(a));  // the writer's queue: the box moves, the record does not
  EXPECT_EQ(recordIf<RiskEventRec>(&queue.back()), before);
  EXPECT_EQ(recordGet<RiskEventRec>(queue.back()).ts, 42);
  b = queue.back();  // copy-assign over another boxed record
  EXPECT_EQ(recordGet<RiskEventRec>(b).rule, "MAX_NOTIONAL");
}

TEST(JournalRecord, MemoryJournalKeepsAppendedRiskEvents) {
  MemoryJournal j;
  RiskEventRec e = sampleRisk();
  j.append(std::move(e));
  j.append(SessionEventRec{SessionKey("FIX.4.4:FIXGW->LOAD44"), "LOGON", 1});
  ASSERT_EQ(j.records.size(), 2u);
  ASSERT_NE(recordIf<RiskEventRec>(&j.records[0]), nullptr);
  EXPECT_EQ(recordIf<RiskEventRec>(&j.records[0])->eventType, "REJECT");
  ASSERT_NE(recordIf<SessionEventRec>(&j.records[1]), nullptr);
  EXPECT_EQ(recordIf<SessionEventRec>(&j.records[1])->event, "LOGON");
}

}  // namespace
}  // namespace fixgw
