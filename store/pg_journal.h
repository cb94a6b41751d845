// The PostgreSQL journal: the store's implementation of the core Journal port. The engine
// appends records (never waiting on the database); a writer thread commits them in batches, one
// transaction per batch, into the tables of schema/ (orders upserted as current state,
// order_events / executions / session_events appended; bulk rows go by COPY), then runs the
// afterCommit callbacks whose records are durable. On a database error the batch is kept and
// retried after reconnecting with backoff: records are never dropped. Records the database refuses
// outright (a data error such as a duplicate exec_id) are written, readable, to journal_rejects
// instead. With cfg.pipeline (the default) the next batch is written on a second connection
// while the previous COMMIT is in flight; commits, and so callbacks, still happen strictly in
// append order. Each batch goes as one simple-query script (BEGIN, its rows by COPY, the prepared
// merge, and COMMIT when no other is in flight): the writer waits only where a COPY asks for its
// rows (docs/performance.md, "Session 7: pgtxn").
//
// Thread-safety: append(), afterCommit(), flush() and stats() may be called from any thread
// (the engine calls them from its own). afterCommit callbacks run on the journal's notifier thread
// (one thread, in registration order, each only once every record appended before it is
// committed) and must not call flush() or stop(). start()/stop() from one owning thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/journal.h"

namespace fixgw::store {

struct PgJournalConfig {
  std::string conninfo;  // libpq conninfo or URI; may carry a password, which is never logged
  // Most records in one transaction. Batches only grow this large under load (the writer takes
  // what queued up during the previous commit); then fewer, larger commits pay the WAL flush
  // less often (see docs/performance-journal.md).
  size_t maxBatch = 10000;
  // Longest the idle writer sleeps before re-checking; an append wakes it at once, so batches
  // form by themselves while a commit is in flight (group commit) without adding latency.
  int64_t flushIntervalNanos = 2'000'000;
  // Write batch N+1 on a second connection while batch N's COMMIT (the WAL flush) is in flight;
  // N+1's COMMIT is sent only after N's succeeded, so batches commit in order and afterCommit
  // callbacks run in order. Under load the writer then keeps the server busy instead of idling
  // through every flush, and durable acknowledgements stop waiting for one commit at a time.
  // Off: one connection, one batch at a time (as before).
  bool pipeline = true;
  // While a COMMIT is in flight, a next batch is written behind it only once this many records
  // are waiting; fewer wait for the COMMIT and go into the batch after it. Every transaction costs
  // the server a fixed ~0.3 ms of CPU, and with durable acknowledgements the records arrive in
  // trickles (clients send on each ack), so writing every trickle at once made batches of one or
  // two orders (median 8 records at W=100) and spent the CPU on transactions. An idle writer
  // (nothing in flight) still writes at once: a lone order waits for no one. 0: write whatever
  // is there (the previous behaviour). While an afterCommit callback (a durable acknowledgement)
  // waits, the minimum is maxBatch instead: with durable acks the client's window bounds the
  // orders in the system, and a transaction behind the flush only split them in two.
  size_t pipelineMinRecords = 256;
};

class PgJournal final : public Journal {
 public:
  explicit PgJournal(PgJournalConfig cfg);
  ~PgJournal() override;  // stop()

  // Connects and checks the schema is migrated (throws std::runtime_error with a clear message if
  // not), then starts the writer thread.
  void start();
  // Drains everything queued (retrying while the database is unreachable), commits, runs the
  // remaining callbacks, joins the writer. start() may be called again afterwards.
  void stop();

  void append(JournalRecord r) override;
  void afterCommit(std::function<void()> cb) override;
  // Blocks until every record appended before the call is committed. Throws std::logic_error if
  // records are pending and the journal is not running.
  void flush() override;

  struct Stats {
    uint64_t records = 0;   // committed records
    uint64_t batches = 0;   // committed transactions
    uint64_t failures = 0;  // failed attempts (each retried)
    uint64_t rejected = 0;  // records the database refused, kept in journal_rejects
    // Where the writer's time went on the bulk path, summed over all attempts (for benchmarks
    // and tuning): rendering rows, sending them and running the statements, and COMMIT (the
    // WAL flush: synchronous_commit stays on).
    uint64_t buildNanos = 0;
    uint64_t writeNanos = 0;
    uint64_t commitNanos = 0;  // from sending COMMIT to its answer (overlaps writes when pipelined)
    uint64_t commitWaitNanos = 0;  // of which the writer had nothing else to do but wait
    uint64_t pipelined = 0;  // batches written while the previous batch's COMMIT was in flight
    // Times the writer waited for the server's answer (a send, then a blocking receive), over
    // all attempts and connections: divided by batches, the round trips per transaction.
    uint64_t roundTrips = 0;
  };
  Stats stats() const;
  // Records appended but not yet committed (the admin API's /metrics).
  uint64_t queueDepth() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// conninfo with any password replaced by "***" (key=value and URI forms), for logs and errors.
std::string redactConninfo(std::string_view conninfo);

}  // namespace fixgw::store
