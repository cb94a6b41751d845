// PgJournal's transaction protocol against a real PostgreSQL (FIXGW_TEST_DB): each batch is one
// simple-query script (BEGIN, the batch row, its COPYs, the merge and, when no other COMMIT is in
// flight, COMMIT itself), and the writer stops waiting once the last COPY's rows are out. These
// tests pin what that must not change: an afterCommit callback (a durable acknowledgement) runs
// only once its records are committed, even when the COMMIT at the end of such a script fails
// after every row went out; nothing is lost or duplicated then; and a batch costs few round trips.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "core/journal.h"
#include "core/output_cork.h"
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

// "O" + std::to_string(n) trips GCC 12's -Wrestrict false positive; appending does not.
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

OrderEventRec event(int64_t seq) {
  OrderEventRec e;
  e.seq = seq;
  e.orderId = OrderId(name("O", seq % 7));
  e.session = SessionKey(kSession);
  e.clOrdId = ClOrdId(name("CL-", seq));
  e.eventType = "FILL";
  e.status = OrdStatus::New;
  e.qty = Qty::of("10");
  e.price = Price::of("99.5");
  e.leavesQty = Qty::of("10");
  e.ts = kT0 + seq * 1000;
  return e;
}

// (records appended before the callback, order_events rows another connection saw when it ran)
struct AckLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int64_t, int64_t>> seen;
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

class JournalCommitAckTest : public ::testing::Test {
 protected:
  void SetUp() override { migrate(db.conninfo(), schemaDir()); }
  PgJournalConfig config() {
    PgJournalConfig c;
    c.conninfo = db.conninfo();
    return c;
  }
  void appendAcked(PgJournal& j, AckLog& log, int64_t seq) {
    j.append(event(seq));
    j.afterCommit([this, &log, seq] {
      log.add(seq, std::stoll(one(db, "SELECT count(*) FROM order_events")));
    });
  }
  // Makes the first `failures` COMMITs of journal batches fail at COMMIT time, after every row of
  // the batch was sent and accepted: a deferred constraint trigger runs only at COMMIT, and a
  // sequence (not rolled back with the failed transaction) counts the attempts.
  void failFirstCommits(int failures) {
    db.exec("CREATE SEQUENCE commit_attempts");
    db.exec(
        "CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF nextval('commit_attempts') <= " +
        std::to_string(failures) +
        " THEN RAISE EXCEPTION 'injected failure at COMMIT' USING ERRCODE = '40001'; END IF; "
        "RETURN NULL; END $$");
    db.exec(
        "CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON journal_batches "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit()");
  }
  PgTestSchema db;
};

TEST_F(JournalCommitAckTest, ALoneBatchWhoseCommitFailsAcksNothingUntilItsRetryCommits) {
  failFirstCommits(2);
  PgJournal j(config());
  j.start();
  AckLog log;
  // Nothing in flight: the batch's script ends with COMMIT, and the writer does not wait for it
  // before taking more work. The COMMIT fails twice; the ack must wait for the third attempt.
  appendAcked(j, log, 1);
  ASSERT_TRUE(log.waitFor(1));
  j.flush();
  ASSERT_EQ(log.seen.size(), 1u);
  EXPECT_EQ(log.seen[0].second, 1) << "the ack ran before its record was committed";
  EXPECT_GE(j.stats().failures, 2u);
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), "1");
  EXPECT_EQ(one(db, "SELECT count(*) FROM journal_batches"), "1");
  j.stop();
}

TEST_F(JournalCommitAckTest, FailedCommitsUnderLoadLoseNothingAndAcksFollowCommits) {
  failFirstCommits(3);
  PgJournal j(config());
  AckLog log;
  constexpr int64_t kN = 300;
  j.start();
  for (int64_t s = 1; s <= kN; ++s) appendAcked(j, log, s);
  ASSERT_TRUE(log.waitFor(kN));
  j.flush();
  ASSERT_EQ(log.seen.size(), static_cast<size_t>(kN));
  for (size_t i = 0; i < log.seen.size(); ++i) {
    EXPECT_EQ(log.seen[i].first, static_cast<int64_t>(i + 1)) << "acks out of order at " << i;
    EXPECT_GE(log.seen[i].second, log.seen[i].first)
        << "ack " << i << " ran before its record was committed";
  }
  EXPECT_GE(j.stats().failures, 3u);
  EXPECT_EQ(one(db, "SELECT count(DISTINCT seq) FROM order_events"), std::to_string(kN));
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), std::to_string(kN));
  EXPECT_EQ(one(db, "SELECT sum(records) FROM journal_batches"), std::to_string(kN));
  j.stop();
}

// Appends and afterCommit callbacks made inside an output round (an engine batch, inline work
// on a FIX thread) wake the writer when the round ends, after its reports are out, instead of
// each at once. The writer's idle wait is made far longer than the test's bound here, so every
// ack that arrives was woken by a round's end: a round that forgot to wake the writer fails the
// bounded wait.
TEST_F(JournalCommitAckTest, AppendsInsideAnOutputRoundWakeTheWriterWhenTheRoundEnds) {
  PgJournalConfig c = config();
  c.flushIntervalNanos = int64_t{3600} * 1'000'000'000;
  PgJournal j(c);
  j.start();
  AckLog log;
  int64_t seq = 0;
  for (int round = 0; round < 50; ++round) {
    {
      cork::Round r;
      for (int k = 0; k < 1 + round % 3; ++k) appendAcked(j, log, ++seq);
    }
    // One order in flight at a time: nothing after the round would wake the writer.
    ASSERT_TRUE(log.waitFor(static_cast<size_t>(seq))) << "round " << round << " never woke the writer";
  }
  ASSERT_EQ(log.seen.size(), static_cast<size_t>(seq));
  for (size_t i = 0; i < log.seen.size(); ++i)
    EXPECT_GE(log.seen[i].second, log.seen[i].first) << "ack " << i << " before its commit";
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), std::to_string(seq));
  j.stop();
}

TEST_F(JournalCommitAckTest, ABatchOfOneTableCostsAtMostThreeRoundTrips) {
  PgJournal j(config());
  j.start();
  // One batch at a time (each flushed): BEGIN + batch row + COPY in one script (the COPY's data
  // needs one answer first), COMMIT at its end read with the rest of the answers. Before the
  // script, the same batch took four: the head, the COPY, its data, COMMIT.
  constexpr int kBatches = 20;
  const uint64_t before = j.stats().roundTrips;
  for (int64_t s = 1; s <= kBatches; ++s) {
    j.append(event(s));
    j.flush();
  }
  const PgJournal::Stats st = j.stats();
  EXPECT_EQ(st.failures, 0u);
  EXPECT_EQ(st.batches, static_cast<uint64_t>(kBatches));
  EXPECT_GT(st.roundTrips - before, 0u);
  EXPECT_LE(st.roundTrips - before, 3u * kBatches);
  EXPECT_EQ(one(db, "SELECT count(*) FROM order_events"), std::to_string(kBatches));
  j.stop();
}

}  // namespace
}  // namespace fixgw::store
