// Drop copy: read-only FIX sessions (config "role": "drop_copy") that receive
// a copy of every ExecutionReport the gateway sent for the accounts and/or
// client sessions they select, for compliance (docs/drop-copy.md).
//
// The copies are not tapped from the live report path: they are re-derived
// from the journal (order_events rows that carry an exec_id, in event_id
// order), so one mechanism serves the live stream, a client that was
// disconnected and a gateway that restarted. Per drop-copy session a mark in
// PostgreSQL (drop_copy_marks, schema/0016) says up to which journal event the
// copies were handed to the session's QuickFIX store; on logon the pump sends
// every selected report after it. QuickFIX keeps the session layer: its own
// sequence numbers, and the resend (PossDupFlag 43=Y) of what a client missed
// on a connection that dropped.
//
// The journal access is an interface (DropCopySource) implemented in store/
// (store/drop_copy_store.h), so this module needs no database code and a unit
// test can drive the pump with a fake.
//
// Thread-safety: the pump runs one thread of its own. poke() and the
// DropCopyListener calls may come from any thread (engine thread, QuickFIX
// session threads). start()/stop()/setSender() from the owning thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "core/reports.h"

namespace fixgw::fix {

// What a drop-copy session copies: a report is selected when its account is
// listed (or allAccounts) or when it was sent on one of the listed sessions.
struct DropCopySelection {
  bool allAccounts = false;
  std::vector<Account> accounts;
  std::vector<SessionKey> sessions;  // full keys, "FIX.4.4:FIXGW->CLIENT1"
  // The order-entry sessions this gateway runs (holds the lease of). When
  // set, only reports sent on them are copied: with several gateways on one
  // database, another node's reports are neither copied here nor able to
  // make this pump skip ours (its journal's event_ids interleave with ours,
  // but ours alone commit in id order). Empty: every session (one gateway).
  std::vector<SessionKey> ownSessions;
};

// One report as the journal has it: the report rebuilt from order_events +
// orders, the journal position it came from and the session it was sent on.
struct JournaledReport {
  int64_t eventId = 0;
  SessionKey source;
  ExecReport report;
};

struct DropCopyMark {
  int64_t delivered = 0;    // everything selected up to here went to the session's store
  int64_t sendingUpto = 0;  // a batch up to here was being sent (> delivered after a crash)
};

// The journal side. Methods throw std::runtime_error (secrets redacted) when
// the database fails; the pump logs it and retries on its next round.
class DropCopySource {
 public:
  virtual ~DropCopySource() = default;
  virtual DropCopyMark loadMark(const SessionKey& dropCopy) = 0;
  virtual void markSending(const SessionKey& dropCopy, int64_t upto) = 0;
  virtual void markDelivered(const SessionKey& dropCopy, int64_t eventId) = 0;
  // Selected reports with eventId > after, oldest first, at most limit.
  virtual std::vector<JournaledReport> reportsAfter(int64_t after, const DropCopySelection& sel,
                                                    size_t limit) = 0;
};

// The FIX side (the acceptor). sendCopy returns true when QuickFIX took the
// message (sent, and kept in the session's store for a resend); false when
// the session is not logged on or the send failed, so the pump stops there
// and sends it again on the next logon.
class DropCopySender {
 public:
  virtual ~DropCopySender() = default;
  virtual bool sendCopy(const SessionKey& dropCopy, const ExecReport& r,
                        const SessionKey& source) = 0;
};

// Session state changes of drop-copy sessions, from the acceptor.
class DropCopyListener {
 public:
  virtual ~DropCopyListener() = default;
  virtual void dropCopyLoggedOn(const SessionKey& dropCopy) = 0;
  virtual void dropCopyLoggedOut(const SessionKey& dropCopy) = 0;
};

struct DropCopySessionConfig {
  SessionKey session;
  DropCopySelection selection;
};

struct DropCopyConfig {
  std::vector<DropCopySessionConfig> sessions;
  // How often the journal is read when nobody pokes (async acknowledgements
  // report before commit, so a poke can come before the row is visible).
  int pollMs = 200;
  size_t batchSize = 500;
};

class DropCopyPump final : public DropCopyListener {
 public:
  DropCopyPump(DropCopyConfig cfg, DropCopySource& source);
  ~DropCopyPump() override;  // stop()
  DropCopyPump(const DropCopyPump&) = delete;
  DropCopyPump& operator=(const DropCopyPump&) = delete;

  void setSender(DropCopySender* sender);  // before start()
  void start();
  void stop();
  // New reports may be in the journal: read it now rather than at the next poll.
  void poke();

  void dropCopyLoggedOn(const SessionKey& dropCopy) override;
  void dropCopyLoggedOut(const SessionKey& dropCopy) override;

  // For tests and operators: the in-memory delivered mark (0 before the first load).
  int64_t delivered(const SessionKey& dropCopy) const;

 private:
  struct Session {
    DropCopySessionConfig cfg;
    std::atomic<bool> loggedOn{false};
    bool markLoaded = false;     // pump thread only
    int64_t sendingUpto = 0;     // pump thread only
    bool everLoaded = false;     // pump thread only: the first load can find a crash window
    int64_t possResendUpto = 0;  // from the mark found at start: a crash's window
    int64_t sentUpto = 0;        // highest event sent in this life: sending it again is a resend
    std::atomic<int64_t> deliveredId{0};
  };
  void run();
  void drain(Session& s);

  DropCopyConfig cfg_;
  DropCopySource& source_;
  DropCopySender* sender_ = nullptr;
  std::map<std::string, std::unique_ptr<Session>> sessions_;  // fixed at construction

  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;
  std::atomic<bool> pokePending_{false};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fixgw::fix
