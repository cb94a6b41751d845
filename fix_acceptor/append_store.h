// fixgw's append-only FIX session store ("store": "append"): a QuickFIX
// MessageStore that keeps a session's sequence numbers, creation time and
// sent messages in ONE file per session, written only by appending.
//
// Why: QuickFIX's FileStore keeps four files per session and, per message
// sent, seeks and rewrites the sequence-number file and appends to a body and
// a header file through stdio: about ten system calls per outbound message and
// two per inbound one (measured with strace, docs/performance.md). This store
// does one write() per message sent (the message with its MsgSeqNum, which
// also records the next sender number) and one per message received (the next
// target number): same durability as FileStore (the page cache, no fsync:
// it survives a crash of the gateway process, not of the machine).
//
// File format (docs/fix_session_store.md), records in order:
//   "FIXGW-SESSION-LOG 1\n"           once, first
//   "C <micros since epoch>\n"         creation time (after the header)
//   "M <seq> <len>\n" <len bytes> "\n" a message sent with MsgSeqNum seq; the
//                                      next sender number becomes at least seq+1
//   "S <n>\n"                          next sender MsgSeqNum set to n
//   "T <n>\n"                          next target MsgSeqNum set to n
// reset() truncates the file and writes the header and a new creation time.
// Opening replays the file. A record cut short at the end (a torn write when
// the machine went down) is dropped and the file truncated to the last whole
// record; anything else that does not parse is a FIX::ConfigError naming the
// file and byte offset, and the file is left as it is for an operator.
//
// Corked output (core/output_cork.h): a message set() by a thread inside an
// output round (the engine loop's batch, the journal notifier's release) is
// kept in a pending buffer and appended, with the other messages of the round,
// in one write() when the round flushes, before the socket write of the same
// messages. Anything that reads the file (get(), refresh()) or writes without
// a round writes the pending records first, so the file keeps call order.
//
// Thread-safety: QuickFIX calls a session's store under the session state's
// lock; the round's flush comes from outside it, so the store guards its own
// state with a mutex of its own (uncontended in the normal case).
#pragma once

#include <quickfix/MessageStore.h>

#include <memory>
#include <string>
#include <vector>

namespace fixgw::fix {

class AppendFileStore final : public FIX::MessageStore {
 public:
  // Opens (creating if needed) <dir>/<file name for id>. Throws FIX::ConfigError.
  // corkable: set() inside an output round is deferred to the round's flush.
  // Only with a transport that corks its socket writes the same way (the
  // gateway's own, transport.h); QuickFIX's socket connections write at once,
  // and a message must be on the store before it is on the wire.
  AppendFileStore(const std::string& dir, const FIX::SessionID& id, bool corkable = false);
  ~AppendFileStore() override;
  AppendFileStore(const AppendFileStore&) = delete;
  AppendFileStore& operator=(const AppendFileStore&) = delete;

  // "FIX.4.4-FIXGW-CLIENT1.fixlog" (qualifier appended with '-'); characters
  // other than letters, digits, '.', '_' and '-' become '_'.
  static std::string fileName(const FIX::SessionID& id);
  const std::string& path() const;

  bool set(int msgSeqNum, const std::string& message) override;
  void get(int begin, int end, std::vector<std::string>& out) const override;

  int getNextSenderMsgSeqNum() const override;
  int getNextTargetMsgSeqNum() const override;
  void setNextSenderMsgSeqNum(int value) override;
  void setNextTargetMsgSeqNum(int value) override;
  void incrNextSenderMsgSeqNum() override;
  void incrNextTargetMsgSeqNum() override;

  FIX::UtcTimeStamp getCreationTime() const override;
  void reset() override;
  void refresh() override;

 private:
  void setSenderLocked(int value);  // needs impl_->mu

  struct Impl;
  // Shared: a corked round holds the Impl until it flushes.
  std::shared_ptr<Impl> impl_;
};

class AppendFileStoreFactory final : public FIX::MessageStoreFactory {
 public:
  // Creates dir if needed. Throws FIX::ConfigError if it cannot.
  explicit AppendFileStoreFactory(std::string dir, bool corkable = false);
  FIX::MessageStore* create(const FIX::SessionID& id) override;
  void destroy(FIX::MessageStore* store) override;

 private:
  std::string dir_;
  bool corkable_;
};

}  // namespace fixgw::fix
