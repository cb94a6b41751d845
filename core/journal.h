// The journal port: every state change the engine makes is appended here as
// a record, and the store projects it into PostgreSQL (see store/ and
// schema/). The engine never waits on the database: append() only queues.
//
// Thread-safety: append() and afterCommit() are called from the engine
// thread; implementations hand records to their own writer thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/order_details.h"
#include "core/shared_text.h"
#include "core/types.h"

namespace fixgw {

// A FIX session came up or went down.
struct SessionEventRec {
  SessionKey session;
  std::string event;  // "LOGON", "LOGOUT"
  WallNanos ts = 0;
};

// Current state of a parent order (what the client sent) or a child order
// (what went to a venue): an upsert keyed by orderId.
struct OrderRec {
  OrderId orderId;                       // parent: tag 37; child: the ChildOrderId's text
  std::optional<OrderId> parentOrderId;  // set on child rows
  SessionKey session;
  ClOrdId clOrdId;                       // current ClOrdID (changes on replace)
  std::optional<ClOrdId> origClOrdId;
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  // (status and created sit beside the one-byte enums above: no padding word each)
  OrdStatus status = OrdStatus::PendingNew;
  // The order's first record: no row of it exists yet, so the journal may insert it without an
  // upsert. Only an optimisation: false is always safe, and a wrong true is caught by the primary
  // key and the batch written record by record.
  bool created = false;
  Qty qty;
  std::optional<Price> price;
  std::optional<Price> stopPx;  // Stop, StopLimit
  Qty cumQty;
  Qty leavesQty;
  Price avgPx;
  std::optional<VenueId> venue;
  std::optional<VenueOrderId> venueOrderId;  // a parent's: its direct child's (schema 0020)
  // A direct order's one child, carried by the parent's record (schema 0020: orders.child_*; it
  // has no record of its own). childStatus set: the parent has such a child. The others are set
  // only where the child's value differs from the parent's.
  std::optional<OrdStatus> childStatus;
  std::optional<Qty> childQty, childCumQty;
  std::optional<Price> childPrice, childStopPx;
  SharedText rawFix;        // the inbound message that created it (parents); empty on updates
  OrderDetailsPtr details;  // parents: 526, 583, parties, instrument, attributes (orders.details)
  WallNanos createdAt = 0;
  WallNanos updatedAt = 0;
};

// One append-only audit event in an order's life.
struct OrderEventRec {
  int64_t seq = 0;  // engine-assigned, strictly increasing over the process life
  OrderId orderId;
  std::optional<OrderId> childOrderId;  // when the event is about a child
  SessionKey session;
  ClOrdId clOrdId;
  std::optional<ClOrdId> origClOrdId;
  // RECEIVED, RISK_REJECT, ROUTED, VENUE_ACK, VENUE_REJECT, FILL,
  // CANCEL_REQUESTED, CANCELED, CANCEL_REJECT, REPLACE_REQUESTED, REPLACED,
  // REPLACE_REJECT, EXPIRED, STATUS_REQUEST, REPORT_SENT ...
  std::string eventType;
  std::optional<ExecType> execType;          // when a report was sent for this event
  OrdStatus status = OrdStatus::PendingNew;  // order status after the event
  std::optional<ExecId> execId;
  Qty qty;
  std::optional<Price> price;
  Qty cumQty;
  Qty leavesQty;
  Price avgPx;
  Qty lastQty;
  Price lastPx;
  std::string reasonCode;  // risk rule / reject reason, machine-readable
  std::string text;
  SharedText rawFix;  // inbound message that caused it, if any
  WallNanos ts = 0;
};

// One fill, as booked against a parent (and its child).
struct ExecutionRec {
  ExecId execId;
  OrderId orderId;
  std::optional<OrderId> childOrderId;
  SessionKey session;
  ClOrdId clOrdId;
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  Qty lastQty;
  Price lastPx;
  Qty cumQty;
  Qty leavesQty;
  Price avgPx;
  std::optional<VenueId> venue;
  std::optional<VenueExecId> venueExecId;
  WallNanos ts = 0;
  // Fee or commission the venue charged for this fill, in feeCurrency (issue 10/11).
  std::optional<Qty> fee;
  std::string feeCurrency;
  // The instrument's contract size when the fill was booked (issue 12): a
  // derivative's lastQty counts contracts, its value is qty x size x px.
  Qty contractSize = Qty::fromInt(1);
};

// A risk event (append-only, table risk_events): a pre-trade reject or
// warning with its rule, limit and value, or a trading-state change (kill
// switch) with who asked and why.
struct RiskEventRec {
  std::string eventType;  // REJECT, WARN, STATE_CHANGE, CONFIG_RELOAD
  std::string rule;       // MAX_NOTIONAL, THROTTLE_ACCOUNT_ORDERS, DAILY_LOSS_LIMIT, ...
  std::string scope;      // GLOBAL, ACCOUNT, SESSION (state changes)
  std::string scopeKey;   // the account or session key; empty for GLOBAL
  std::string fromState, toState;  // ACTIVE, REDUCING, HALTED
  std::string who;        // operator, or "risk" for automatic changes
  std::string reason;
  std::optional<Account> account;
  std::optional<Symbol> symbol;
  std::optional<SessionKey> session;
  std::optional<ClOrdId> clOrdId;
  std::optional<OrderId> orderId;
  std::string limit;  // the configured limit, as text
  std::string value;  // the order's / account's value that met it
  std::string text;
  WallNanos ts = 0;
};

// One raw FIX message in or out of a session (fix_message_chunks; view v_fix_messages).
struct FixMessageRec {
  SessionKey session;
  bool inbound = true;
  std::string msgType;  // tag 35
  int msgSeqNum = 0;    // tag 34
  SharedText raw;       // as on the wire, SOH kept (inbound: the buffer the command holds too)
  WallNanos ts = 0;
};

// Transaction cost analysis of one parent order, written once when it
// completes (router/tca.h computes it; table tca, migration 0011). Fees and
// per-venue fill share are not here: view v_tca derives them from executions.
// Sign convention: slippage is positive when it cost the client (bought above
// / sold below the benchmark), for both sides.
struct BpsTag {};
struct RatioTag {};
using Bps = Fixed<BpsTag>;      // basis points, 8 decimals
using Ratio = Fixed<RatioTag>;  // a fraction (0.25 = 25%), 8 decimals

struct TcaRec {
  OrderId orderId;
  SessionKey session;
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  std::optional<VenueId> venue;  // where the parent was routed
  std::string strategy;          // the algo (TWAP, POV ...); empty for a direct order
  OrdStatus finalStatus = OrdStatus::Filled;
  WallNanos arrivalTime = 0;  // receipt of the order
  WallNanos completedAt = 0;  // when it reached its final status
  std::optional<Price> arrivalPx;
  std::string arrivalSource;  // MID (book at receipt), REFERENCE (venue reference price), NONE
  Qty orderQty;
  Qty filledQty;
  std::optional<Price> avgPx;
  Qty marketVolume;  // market trades seen between arrival and completion (our fills included)
  int64_t marketTrades = 0;
  std::optional<Price> intervalVwap;
  std::optional<Bps> slippageArrivalBps;
  std::optional<Bps> slippageVwapBps;
  std::optional<Ratio> participation;  // filledQty / marketVolume
  Ratio fillRate;                      // filledQty / orderQty
};

// A record kind kept on the heap inside JournalRecord: a variant is as large as its largest
// alternative, and every record of every order is moved into the writer's queue (issue 15,
// session 8). RiskEventRec (600 bytes) is rare — a reject, a warning, a state change — so it is
// boxed, and the variant is sized by OrderRec, which the engine writes several times per order.
// Converts implicitly from the record, so `journal.append(std::move(riskEvent))` is unchanged.
// Copying deep-copies; a moved-from box is empty and is only destroyed or assigned.
template <class T>
class Boxed {
 public:
  Boxed(T v) : p_(std::make_unique<T>(std::move(v))) {}  // NOLINT: implicit on purpose
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  T* get() { return p_.get(); }
  const T* get() const { return p_.get(); }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<T> p_;
};

using JournalRecord = std::variant<SessionEventRec, OrderRec, OrderEventRec, ExecutionRec,
                                   Boxed<RiskEventRec>, FixMessageRec, TcaRec>;

// The alternative that holds a T in a JournalRecord: T itself, or Boxed<T> for a boxed kind.
template <class T>
inline constexpr bool kBoxedRecord = std::is_same_v<T, RiskEventRec>;
template <class T>
using RecordSlot = std::conditional_t<kBoxedRecord<T>, Boxed<T>, T>;

// std::get_if / holds_alternative / get for journal records, looking through a box: read a
// record by its kind without knowing how the variant stores it.
template <class T>
T* recordIf(JournalRecord* r) {
  auto* v = std::get_if<RecordSlot<T>>(r);
  if constexpr (kBoxedRecord<T>)
    return v ? v->get() : nullptr;
  else
    return v;
}
template <class T>
const T* recordIf(const JournalRecord* r) {
  const auto* v = std::get_if<RecordSlot<T>>(r);
  if constexpr (kBoxedRecord<T>)
    return v ? v->get() : nullptr;
  else
    return v;
}
template <class T>
bool recordHolds(const JournalRecord& r) {
  return std::holds_alternative<RecordSlot<T>>(r);
}
template <class T>
const T& recordGet(const JournalRecord& r) {
  if constexpr (kBoxedRecord<T>)
    return *std::get<RecordSlot<T>>(r);
  else
    return std::get<T>(r);
}
template <class T>
T& recordGet(JournalRecord& r) {
  if constexpr (kBoxedRecord<T>)
    return *std::get<RecordSlot<T>>(r);
  else
    return std::get<T>(r);
}

class Journal {
 public:
  virtual ~Journal() = default;
  virtual void append(JournalRecord r) = 0;
  // Runs cb (on the journal's thread) once every record appended before this
  // call is committed. The hook for durable acknowledgement.
  virtual void afterCommit(std::function<void()> cb) = 0;
  // Blocks until everything appended so far is committed (shutdown, tests).
  virtual void flush() = 0;
};

// Keeps records in memory; for unit tests of the engine.
class MemoryJournal final : public Journal {
 public:
  void append(JournalRecord r) override { records.push_back(std::move(r)); }
  void afterCommit(std::function<void()> cb) override { cb(); }
  void flush() override {}
  std::vector<JournalRecord> records;
};

}  // namespace fixgw
