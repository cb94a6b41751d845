// PgJournal's pipelined writer against a real PostgreSQL (FIXGW_TEST_DB): batch N+1 is written on
// a second connection while batch N's COMMIT is in flight. These tests pin what must not change
// because of it: commits, and so afterCommit callbacks, happen in append order (what another
// connection sees is always a prefix of what was appended); a COMMIT lost with the next batch
// already written behind it is retried first and nothing is lost or duplicated; a refused batch
// written behind a commit is still salvaged into journal_rejects. And migration 0005 keeps the
// audit lookups indexed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/journal.h"
#include "store/migrate.h"
#include "store/pg_journal.h"
#include "tests/support/pg_test_env.h"

namespace fixgw::store {
namespace {

using fixgw::testing::PgTestSchema;
using fixgw::testing::schemaDir;
using Rows = std::vector<std::vector<std::string>>;

constexpr WallNanos kT0 = 1'700'000'000'000'000'000LL;
const std::string kSession = "FIX.4.4:FIXGW->CLIENT1";

std::string name(const char* prefix, int64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

std::string one(const PgTestSchema& db, const std::string& sql) {
  const Rows r = db.query(sql);
  if (r.size() != 1 || r[0].size() != 1) {
    ADD_FAILURE() << "expected one value from: " << sql;
    return "";
  }
  return r[0][0];
}

OrderEventRec event(int64_t seq, const std::string& orderId, const std::string& type) {
  OrderEventRec e;
  e.seq = seq;
  e.orderId = OrderId(orderId);
  e.session = SessionKey(kSession);
  e.clOrdId = ClOrdId("CL-" + orderId);
  e.eventType = type;
  e.status = OrdStatus::New;
  e.qty = Qty::of("10");
  e.price = Price::of("99.5");
  e.leavesQty = Qty::of("10");
  e.ts = kT0 + seq * 1000;
  return e;
}

OrderRec order(const std::string& id, int64_t seq) {
  OrderRec o;
  o.orderId = OrderId(id);
  o.session = SessionKey(kSession);
  o.clOrdId = ClOrdId("CL-" + id);
  o.account = Account("ACC1");
  o.symbol = Symbol("AAPL");
  o.qty = Qty::of("10");
  o.price = Price::of("99.5");
  o.status = OrdStatus::New;
  o.leavesQty = o.qty;
  o.createdAt = o.updatedAt = kT0 + seq * 1000;
  return o;
}

ExecutionRec fill(const std::string& execId, const std::string& orderId) {
  ExecutionRec x;
  x.execId = ExecId(execId);
  x.orderId = OrderId(orderId);
  x.session = SessionKey(kSession);
  x.clOrdId = ClOrdId("CL-" + orderId);
  x.account = Account("ACC1");
  x.symbol = Symbol("AAPL");
  x.side = Side::Buy;
  x.lastQty = Qty::of("1");
  x.lastPx = Price::of("99.5");
  x.cumQty = Qty::of("1");
  x.leavesQty = Qty::of("9");
  x.avgPx = Price::of("99.5");
  x.ts = kT0;
  return x;
}

// Watches order_events from a connection of its own while the journal writes: every snapshot must
// hold events 1..n and nothing else (each event has its own seq, appended in seq order), i.e. a
// prefix of the append order. A batch committing before the one ahead of it shows up as a gap.
class PrefixObserver {
 public:
  explicit PrefixObserver(const PgTestSchema& db) : db_(db), thread_([this] { run(); }) {}
  ~PrefixObserver() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int snapshots() const { return snapshots_; }
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  void run() {
    while (!stop_) {
      const Rows r = db_.query("SELECT count(*), coalesce(max(seq), 0) FROM order_events");
      ++snapshots_;
      if (r[0][0] != r[0][1]) violations_.push_back(r[0][0] + " rows, max seq " + r[0][1]);
    }
  }
  const PgTestSchema& db_;
  std::atomic<bool> stop_{false};
  std::atomic<int> snapshots_{0};
  std::vector<std::string> violations_;  // read after stop()
  std::thread thread_;
};

// Callbacks registered after each record; records what each saw and in which order they ran.
struct CallbackLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int64_t, int64_t>> seen;  // (records appended before it, rows visible)

  void add(int64_t expected, int64_t visible) {
    std::lock_guard lk(mu);
    seen.emplace_back(expected, visible);
    cv.notify_all();
  }
  bool waitFor(size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(60), [&] { return seen.size() >= n; });
  }
};

class JournalPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override { migrate(db.conninfo(), schemaDir()); }
  PgJournalConfig config(size_t maxBatch, bool pipeline = true) {
    PgJournalConfig c;
    c.conninfo = db.conninfo();
    c.maxBatch = maxBatch;
    c.pipeline = pipeline;
    c.pipelineMinRecords = 0;  // these tests drive the write-behind path with tiny batches
    return c;
  }
  // Appends events 1..n, each followed by a callback that counts the rows it can see.
  void appendWithCallbacks(PgJournal& j, CallbackLog& log, int64_t from, int64_t to,
                           const std::string& markerAt = "", int64_t markerSeq = -1) {
    for (int64_t s = from; s <= to; ++s) {
      j.append(event(s, name("O", s % 13), s == markerSeq ? markerAt : "FILL"));
      j.afterCommit([this, &log, s] {
        log.add(s, std::stoll(one(db, "SELECT count(*) FROM order_events")));
      });
    }
  }
  static void expectInOrderAndDurable(const CallbackLog& log, size_t n) {
    ASSERT_EQ(log.seen.size(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(log.seen[i].first, static_cast<int64_t>(i + 1))
          << "callbacks out of order at " << i;
      EXPECT_GE(log.seen[i].second, log.seen[i].first)
          << "callback " << i << " ran before its records were committed";
    }
  }
  PgTestSchema db;
};

TEST_F(JournalPipelineTest, BatchesWrittenBehindACommitCommitInOrderAndCallbacksFollow) {
  constexpr int64_t kN = 400;
  PgJournal j(config(/*maxBatch=*/7));
  CallbackLog log;
  // Queued before start: the writer always has the next batch ready while a COMMIT is in flight.
  appendWithCallbacks(j, log, 1, kN);
  PrefixObserver observer(db);
  j.start();
  ASSERT_TRUE(log.waitFor(kN));
  j.flush();
  observer.stop();

  expectInOrderAndDurable(log, kN);
  EXPECT_TRUE(observer.violations().empty())
      << observer.violations().size()
      << " non-prefix snapshots, first: " << observer.violations().front();
  EXPECT_GT(observer.snapshots(), 0);
  const PgJournal::Stats st = j.stats();
  EXPECT_GT(st.pipelined, 0u) << "no batch was written behind a commit";
  EXPECT_EQ(st.records, static_cast<uint64_t>(kN));
  EXPECT_EQ(st.failures, 0u);
  EXPECT_EQ(one(db, "SELECT count(DISTINCT seq) FROM order_events"), std::to_string(kN));
  EXPECT_EQ(one(db, "SELECT sum(records) FROM journal_batches"), std::to_string(kN));
  EXPECT_EQ(one(db, "SELECT count(*) FROM journal_batches"), std::to_string(st.batches));
}

TEST_F(JournalPipelineTest, WithoutPipeliningTheSameGuaranteesHoldOnOneConnection) {
  constexpr int64_t kN = 100;
  PgJournal j(config(/*maxBatch=*/7, /*pipeline=*/false));
  CallbackLog log;
  appendWithCallbacks(j, log, 1, kN);
  j.start();
  ASSERT_TRUE(log.waitFor(kN));
  expectInOrderAndDurable(log, kN);
  EXPECT_EQ(j.stats().pipelined, 0u);
  EXPECT_EQ(one(db, "SELECT count(DISTINCT seq) FROM order_events"), std::to_string(kN));
}

// The connection of an in-flight COMMIT dies while the next batch is already written (open) on
// the other connection. A deferred constraint trigger kills its own backend at COMMIT time, once.
TEST_F(JournalPipelineTest, AConnectionLostDuringAnInFlightCommitIsRetriedBeforeTheBatchBehindIt) {
  db.exec(
      "CREATE SEQUENCE kill_at_commit_count;"
      "CREATE FUNCTION kill_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      "  IF nextval('kill_at_commit_count') = 1 THEN"
      "    PERFORM pg_terminate_backend(pg_backend_pid());"
      "    PERFORM pg_sleep(5);"  // the termination interrupts this sleep
      "  END IF;"
      "  RETURN NULL; END $$;"
      "CREATE CONSTRAINT TRIGGER kill_at_commit AFTER INSERT ON order_events"
      "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
      "  WHEN (NEW.event_type = 'KILL_AT_COMMIT') EXECUTE FUNCTION kill_at_commit()");
  constexpr int64_t kN = 200;
  PgJournal j(config(/*maxBatch=*/10));
  CallbackLog log;
  // Event 25 is in the third batch; batches behind it are queued, so one is written behind it.
  appendWithCallbacks(j, log, 1, kN, "KILL_AT_COMMIT", 25);
  PrefixObserver observer(db);
  j.start();
  ASSERT_TRUE(log.waitFor(kN));
  j.flush();
  observer.stop();

  EXPECT_EQ(one(db, "SELECT last_value FROM kill_at_commit_count"), "2")
      << "the marked batch should have been committed once more after the kill";
  expectInOrderAndDurable(log, kN);
  EXPECT_TRUE(observer.violations().empty())
      << observer.violations().size()
      << " non-prefix snapshots, first: " << observer.violations().front();
  const PgJournal::Stats st = j.stats();
  EXPECT_GE(st.failures, 1u);
  EXPECT_GT(st.pipelined, 0u);
  EXPECT_EQ(st.records, static_cast<uint64_t>(kN));
  // Exactly once: no event lost, none duplicated by the retry.
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), std::to_string(kN));
  EXPECT_EQ(one(db, "SELECT count(DISTINCT seq) FROM order_events"), std::to_string(kN));
  EXPECT_EQ(one(db, "SELECT sum(records) FROM journal_batches"), std::to_string(kN));
}

// A batch the database refuses (duplicate exec_id), written behind another batch's COMMIT, is
// salvaged record by record as before; the batches around it commit in order.
TEST_F(JournalPipelineTest, ARefusedBatchBehindACommitIsSalvagedIntoJournalRejects) {
  PgJournal j(config(/*maxBatch=*/2));
  j.append(event(1, "O1", "RECEIVED"));
  j.append(event(2, "O1", "NEW"));
  j.append(fill("E1", "O1"));
  j.append(fill("E1", "O1"));  // duplicate exec_id: an engine bug, refused by the database
  j.append(event(3, "O1", "FILL"));
  j.append(event(4, "O1", "FILL"));
  j.start();
  j.flush();
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "4");
  EXPECT_EQ(one(db, "SELECT count(*) FROM executions"), "1");
  EXPECT_EQ(db.query("SELECT record_type FROM journal_rejects"), (Rows{{"ExecutionRec"}}));
  EXPECT_EQ(j.stats().rejected, 1u);
  EXPECT_EQ(j.stats().records, 6u);
}

// Records appended while the last COMMIT is in flight (and nothing else is queued) wake the
// writer; stop() drains everything, and the journal restarts on fresh connections.
TEST_F(JournalPipelineTest, StopDrainsAPipelinedJournalAndItRestarts) {
  {
    PgJournal j(config(/*maxBatch=*/50));
    j.start();
    std::thread producer([&] {
      for (int64_t s = 1; s <= 2000; ++s) j.append(event(s, name("O", s % 7), "FILL"));
    });
    producer.join();
    j.stop();
    EXPECT_EQ(j.stats().records, 2000u);
    EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "2000");
    j.start();
    j.append(event(2001, "O1", "FILL"));
  }
  EXPECT_EQ(one(db, "SELECT count(DISTINCT seq) FROM order_events"), "2001");
}

// pipelineMinRecords: while a COMMIT is in flight, fewer records than that wait for it instead of
// making a transaction of their own behind it. Records trickling in (one append at a time, as
// durable acknowledgements make them) are never written behind a commit, and all still commit,
// in order, with their callbacks.
TEST_F(JournalPipelineTest, RecordsBelowTheMinimumWaitForTheInFlightCommitInsteadOfABatchBehindIt) {
  PgJournalConfig c = config(/*maxBatch=*/1000);
  c.pipelineMinRecords = 100'000;
  PgJournal j(c);
  j.start();
  CallbackLog log;
  for (int64_t s = 1; s <= 300; ++s) {
    appendWithCallbacks(j, log, s, s);
    if (s % 10 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(log.waitFor(300));
  j.flush();
  expectInOrderAndDurable(log, 300);
  const PgJournal::Stats st = j.stats();
  EXPECT_EQ(st.pipelined, 0u);
  EXPECT_EQ(st.records, 300u);
  EXPECT_EQ(one(db, "SELECT count(DISTINCT seq) FROM order_events"), "300");
}

// An order upserted in consecutive batches (its row locked by the batch whose COMMIT is in
// flight) ends in its last state: the batch behind waits for that COMMIT, never overtakes it.
TEST_F(JournalPipelineTest, AnOrderUpdatedInConsecutiveBatchesEndsInItsLastState) {
  PgJournal j(config(/*maxBatch=*/3));
  for (int64_t s = 1; s <= 60; ++s) {
    OrderRec o = order("O1", 1);
    o.cumQty = Qty::fromInt(s);
    o.updatedAt = kT0 + s * 1000;
    j.append(o);
    j.append(event(s, "O1", "FILL"));
    j.append(order(name("P", s), s));
  }
  j.start();
  j.flush();
  EXPECT_GT(j.stats().pipelined, 0u);
  EXPECT_EQ(one(db, "SELECT trim_scale(cum_qty)::text FROM orders WHERE order_id = 'O1'"), "60");
  EXPECT_EQ(one(db, "SELECT count(*) FROM orders"), "61");
}

// An order whose first record (OrderRec::created) is in the batch is copied straight into orders;
// later batches upsert it. A wrong "first record" flag on an order that already has a row is
// refused by the primary key and the batch is written record by record: the row still ends in its
// last state and nothing goes to journal_rejects.
TEST_F(JournalPipelineTest, OrdersFirstSeenInABatchAreCopiedAndLaterBatchesUpsertThem) {
  PgJournal j(config(/*maxBatch=*/100));
  OrderRec first = order("N1", 1);
  first.created = true;
  first.rawFix = "8=FIX.4.4\x01" "35=D\x01";
  j.append(first);
  OrderRec same = order("N1", 2);  // same batch: coalesced into the copied row
  same.cumQty = Qty::fromInt(5);
  j.append(same);
  OrderRec child = order("N1-C1", 2);
  child.parentOrderId = OrderId("N1");
  child.created = true;
  j.append(child);
  j.start();
  j.flush();
  EXPECT_EQ(one(db, "SELECT count(*) FROM orders"), "2");
  EXPECT_EQ(one(db, "SELECT trim_scale(cum_qty)::text || ' ' || (raw_fix IS NOT NULL)::text || "
                    "' ' || (created_at < updated_at)::text FROM orders WHERE order_id = 'N1'"),
            "5 true true");
  EXPECT_EQ(one(db, "SELECT parent_order_id FROM orders WHERE order_id = 'N1-C1'"), "N1");

  OrderRec later = order("N1", 3);
  later.cumQty = Qty::fromInt(7);
  j.append(later);
  j.flush();
  EXPECT_EQ(one(db, "SELECT trim_scale(cum_qty)::text FROM orders WHERE order_id = 'N1'"), "7");

  OrderRec wrong = order("N1", 4);
  wrong.cumQty = Qty::fromInt(9);
  wrong.created = true;
  j.append(wrong);
  j.append(event(4, "N1", "FILL"));
  j.flush();
  EXPECT_EQ(one(db, "SELECT trim_scale(cum_qty)::text || ' ' || (raw_fix IS NOT NULL)::text "
                    "FROM orders WHERE order_id = 'N1'"),
            "9 true");
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events WHERE seq = 4"), "1");
  EXPECT_EQ(one(db, "SELECT count(*) FROM journal_rejects"), "0");
  EXPECT_EQ(one(db, "SELECT count(*) FROM orders"), "2");
}

// Migration 0008: a batch's raw FIX messages are one fix_message_chunks row per session, and
// v_fix_messages gives them back one per row, byte for byte (SOH, backslash, newline and tab kept;
// the chunk separators STX/ETX and bytes that are not UTF-8 shown as \xNN), with logged_at to the
// microsecond and in order.
TEST_F(JournalPipelineTest, FixMessagesAreChunkedPerSessionAndReadBackOnePerRow) {
  auto msg = [](const char* session, bool in, std::string type, int seq, std::string raw,
                WallNanos ts) {
    FixMessageRec m;
    m.session = SessionKey(session);
    m.inbound = in;
    m.msgType = std::move(type);
    m.msgSeqNum = seq;
    m.raw = std::move(raw);
    m.ts = ts;
    return m;
  };
  const std::string d = std::string("8=FIX.4.4\x01" "35=D\x01" "58=a\\b\nc\td\x01");
  const std::string odd = std::string("58=x\x02y\x03z\xff\x01", 10);
  PgJournal j(config(/*maxBatch=*/100));
  j.append(msg("FIX.4.4:FIXGW->A", true, "D", 2, d, kT0 + 1'234'567));
  j.append(msg("FIX.4.4:FIXGW->B", true, "A", 1, "8=FIX.4.4\x01" "35=A\x01", kT0 + 2'000'000));
  j.append(msg("FIX.4.4:FIXGW->A", false, "8", 3, odd, kT0 + 3'000'999));
  j.append(msg("FIX.4.4:FIXGW->A", false, "", 4, "garbage", kT0 + 4'000'000));
  j.start();
  j.flush();

  EXPECT_EQ(one(db, "SELECT count(*) FROM fix_message_chunks"), "2");
  EXPECT_EQ(one(db, "SELECT sum(n) FROM fix_message_chunks"), "4");
  EXPECT_EQ(one(db, "SELECT count(*) FROM fix_message_log"), "0");
  const Rows a = db.query(
      "SELECT direction, coalesce(msg_type, '<null>'), msg_seq_num, message, "
      "(extract(epoch from logged_at) * 1000000)::bigint - 1700000000000000 "
      "FROM v_fix_messages WHERE session_key = 'FIX.4.4:FIXGW->A' "
      "ORDER BY logged_at, chunk_id, ord");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0], (std::vector<std::string>{"IN", "D", "2", d, "1234"}));
  EXPECT_EQ(a[1], (std::vector<std::string>{"OUT", "8", "3", "58=x\\x02y\\x03z\\xFF\x01",
                                            "3000"}));
  EXPECT_EQ(a[2], (std::vector<std::string>{"OUT", "<null>", "4", "garbage", "4000"}));
  EXPECT_EQ(one(db, "SELECT first_at = '2023-11-14 22:13:20.001234+00' AND last_at = "
                    "'2023-11-14 22:13:20.004+00' FROM fix_message_chunks "
                    "WHERE session_key = 'FIX.4.4:FIXGW->A'"),
            "t");
  EXPECT_THROW(db.exec("DELETE FROM fix_message_chunks"), std::exception);
  EXPECT_THROW(db.exec("UPDATE fix_message_chunks SET n = 1"), std::exception);
}

// Migration 0005: the ClOrdID lookup every audit question starts with ("cl_ord_id = X OR
// orig_cl_ord_id = X") is answered through indexes, and time ranges through the BRIN index.
TEST_F(JournalPipelineTest, AuditLookupsUseIndexesAfterTheSlimMigration) {
  PgJournal j(config(/*maxBatch=*/5000));
  j.start();
  for (int64_t s = 1; s <= 3000; ++s) {
    j.append(order(name("O", s), s));
    j.append(event(s, name("O", s), "RECEIVED"));
  }
  OrderEventRec replaced = event(3001, "O7", "REPLACED");
  replaced.clOrdId = ClOrdId("CL-O7b");
  replaced.origClOrdId = ClOrdId("CL-O7");
  j.append(replaced);
  j.flush();
  db.exec("ANALYZE order_events; ANALYZE orders");
  // With sequential scans priced out, the plan shows whether an index can answer at all (on a
  // table this small the planner would rightly prefer a sequential scan). Before 0005 the OR
  // lookup stayed a sequential scan even so: orig_cl_ord_id had no index.
  auto plan = [&](const std::string& sql) {
    std::string text;
    for (const auto& row : db.query("SET enable_seqscan = off; EXPLAIN (COSTS OFF) " + sql))
      text += row[0] + "\n";
    db.exec("RESET enable_seqscan");
    return text;
  };
  // The lookup as `fixgw audit` and docs/audit.md write it since 0019, whose partial ClOrdID
  // indexes need their predicates repeated in the query.
  const std::string lookup =
      "SELECT e.order_id FROM order_events e WHERE ((e.cl_ord_id = 'CL-O7' AND e.event_type NOT "
      "IN ('ROUTED', 'NEW', 'FILL')) OR e.orig_cl_ord_id = 'CL-O7') AND e.session_key = '" +
      kSession +
      "' UNION SELECT coalesce(o.parent_order_id, o.order_id) FROM orders o WHERE ((o.cl_ord_id "
      "= 'CL-O7' AND o.parent_order_id IS NULL) OR (o.order_id = 'CL-O7' AND o.parent_order_id IS "
      "NOT NULL) OR o.orig_cl_ord_id = 'CL-O7') AND o.session_key = '" +
      kSession + "'";
  const std::string byClOrdId = plan(lookup);
  EXPECT_EQ(byClOrdId.find("Seq Scan"), std::string::npos) << byClOrdId;
  EXPECT_NE(byClOrdId.find("order_events_by_orig_cl_ord_id"), std::string::npos) << byClOrdId;
  EXPECT_NE(byClOrdId.find("orders_by_orig_cl_ord_id"), std::string::npos) << byClOrdId;
  EXPECT_NE(byClOrdId.find("order_events_by_cl_ord_id"), std::string::npos) << byClOrdId;
  EXPECT_NE(byClOrdId.find("orders_by_cl_ord_id"), std::string::npos) << byClOrdId;
  EXPECT_EQ(db.query(lookup), (Rows{{"O7"}}));
  // The drop copy's reader (store/drop_copy_store.cpp) after 0019 replaced order_events_pkey.
  const std::string dropCopy = plan(
      "SELECT e.event_id FROM order_events e WHERE e.event_id > 2990 AND e.exec_id IS NOT NULL "
      "ORDER BY e.event_id LIMIT 50");
  EXPECT_EQ(dropCopy.find("Seq Scan"), std::string::npos) << dropCopy;
  EXPECT_NE(dropCopy.find("order_events_by_event_id_brin"), std::string::npos) << dropCopy;
  const std::string byTime = plan(
      "SELECT * FROM order_events WHERE event_time >= '2023-11-14 22:13:20.5+00' AND "
      "event_time < '2023-11-14 22:13:20.6+00'");
  EXPECT_NE(byTime.find("order_events_by_time_brin"), std::string::npos) << byTime;
  EXPECT_EQ(one(db,
                "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND "
                "indexname IN ('order_events_by_time', 'orders_by_symbol_time', "
                "'executions_by_cl_ord_id')"),
            "0");
}

}  // namespace
}  // namespace fixgw::store
