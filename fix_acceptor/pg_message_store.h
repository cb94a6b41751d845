// FIX session state in PostgreSQL: a QuickFIX MessageStore (and its factory)
// that keeps each session's next sender/target sequence numbers, creation
// time and every sent message in the tables of schema/0002_fix_session_store.sql
// (fix_sessions, fix_messages), so sequence numbers and resends survive a
// gateway restart and can later move with a session to another node.
//
// Semantics, as QuickFIX expects of a store:
//  * set() is durable (committed) before it returns; QuickFIX calls it before
//    the message goes on the wire. It also records next_sender_seq =
//    seq + 1 in the same statement when seq is the current next sender
//    number, so the incrNextSenderMsgSeqNum() that QuickFIX always calls
//    right after it costs no round trip: one round trip per message sent.
//  * Sequence numbers and creation time are served from memory; every change
//    is written through before the call returns. refresh() reloads them.
//  * A database error throws FIX::IOException naming the session and the
//    operation (QuickFIX then refuses the send or drops the connection);
//    after a failed write the next call reloads the state from the database,
//    which stays the source of truth. A broken connection is reopened and the
//    (idempotent) statement retried once.
//  * Construction failures (cannot connect, tables missing) throw
//    FIX::ConfigError, as QuickFIX's FileStore does for unopenable files.
//  * The conninfo's password never appears in a message: see redactConninfo().
//
// Not for modules that avoid QuickFIX: this header includes QuickFIX's
// MessageStore.h (only fix_acceptor.cpp and tests include it).
//
// Thread-safety: each PgMessageStore has its own connection and a mutex, so
// stores of different sessions run in parallel on their session threads and
// one store may be called from any thread. The factory is thread-safe.
#pragma once

#include <quickfix/MessageStore.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fixgw::fix {

// conninfo with the value of every password=... (key=value or URI query
// form) and the password of a postgresql://user:secret@host URI replaced by
// "***". Also used on driver error texts before they reach a message.
std::string redactConninfo(std::string_view conninfo);

class PgMessageStore final : public FIX::MessageStore {
 public:
  // Connects, creates the session's row (sequence numbers 1/1, creation time
  // now) unless it exists, and loads it. Throws FIX::ConfigError.
  PgMessageStore(const std::string& conninfo, const FIX::SessionID& id);
  ~PgMessageStore() override;
  PgMessageStore(const PgMessageStore&) = delete;
  PgMessageStore& operator=(const PgMessageStore&) = delete;

  // The fix_sessions/fix_messages key: id.toString(), e.g.
  // "FIX.4.4:FIXGW->CLIENT1" (":qualifier" appended if any).
  static std::string sessionKey(const FIX::SessionID& id);

  // Stores (or replaces) the message sent with this MsgSeqNum.
  bool set(int msgSeqNum, const std::string& message) override;
  // Appends the stored messages with begin <= MsgSeqNum <= end, in order.
  void get(int begin, int end, std::vector<std::string>& out) const override;

  int getNextSenderMsgSeqNum() const override;
  int getNextTargetMsgSeqNum() const override;
  void setNextSenderMsgSeqNum(int value) override;
  void setNextTargetMsgSeqNum(int value) override;
  void incrNextSenderMsgSeqNum() override;
  void incrNextTargetMsgSeqNum() override;

  FIX::UtcTimeStamp getCreationTime() const override;

  // Deletes the session's messages, sets both sequence numbers to 1 and the
  // creation time to now, in one statement.
  void reset() override;
  // Reloads sequence numbers and creation time from the database.
  void refresh() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class PgMessageStoreFactory final : public FIX::MessageStoreFactory {
 public:
  // Checks at once that the database is reachable and that the migration
  // creating fix_sessions/fix_messages was applied, so a gateway fails at
  // start-up rather than at the first logon. Throws FIX::ConfigError naming
  // the problem (conninfo shown redacted).
  explicit PgMessageStoreFactory(std::string conninfo);

  // One store (and one connection) per session. Throws FIX::ConfigError.
  FIX::MessageStore* create(const FIX::SessionID& id) override;
  void destroy(FIX::MessageStore* store) override;

 private:
  std::string conninfo_;
};

}  // namespace fixgw::fix
