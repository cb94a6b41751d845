// The engine: the order state machine and routing core. It owns every parent
// and child order and runs on ONE thread (the Executor given to it): FIX
// session threads and venue threads only post() into it, so risk, router and
// (later) algos need no locks.
//
// Commands come in through CommandSink (from the FIX acceptor); venue events
// through VenueEventSink (from adapters). Every state change is appended to
// the Journal before the matching report goes to the ReportSink, so every
// ExecutionReport the gateway sends can be re-derived from the journal.
//
// Thread-safety: submit(), onVenueEvent(), sessionLoggedOn/Out() are safe
// from any thread (they post). Everything else runs on the engine thread,
// or on a thread holding the engine loop's token: submit() runs the command
// on its caller's thread when the loop allows it and is idle
// (EventLoop::setInline, config fix.engine_inline).
#pragma once

#include <atomic>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "algos/algo.h"
#include "algos/market_data_relay.h"
#include "core/clock.h"
#include "core/commands.h"
#include "core/executor.h"
#include "core/journal.h"
#include "core/reports.h"
#include "core/venue.h"
#include "risk/risk.h"
#include "router/handoff_queue.h"
#include "router/order.h"
#include "router/recovery.h"
#include "router/routing.h"
#include "router/tca.h"
#include "router/sor.h"

namespace fixgw::router {

// Ids unique across restarts: a prefix from the start time (base 36 ms) and a
// counter. OrderIds are short enough for any FIX client's tag 37.
class IdGenerator {
 public:
  explicit IdGenerator(std::string prefix) : prefix_(std::move(prefix)) {}
  static std::string prefixFromTime(WallNanos now) { return prefixFromMs(now / 1'000'000); }
  static std::string prefixFromMs(int64_t ms);
  // The ms value of an id's prefix ("abc-12" -> base 36 "abc"), or -1.
  static int64_t prefixMsOf(const std::string& id);
  void setPrefix(std::string p) { prefix_ = std::move(p); }
  const std::string& prefix() const { return prefix_; }
  OrderId nextOrderId() { return OrderId(compose("-", ++orders_)); }
  ExecId nextExecId() { return ExecId(compose("-X", ++execs_)); }
  // Children count on the parents' counter: a direct order's child takes its parent's number
  // (directChildIdOf), so no other child may.
  ChildOrderId nextChildId() { return ChildOrderId(compose("-C", ++orders_)); }
  // "<prefix>-<n>" -> "<prefix>-C<n>" (schema 0020's fixgw_direct_child_id), or nullopt for an
  // id of another shape.
  static std::optional<ChildOrderId> directChildIdOf(const OrderId& parent);

 private:
  // prefix + sep + n, built in a buffer of ours (no temporary strings); the
  // view is valid until the next call.
  std::string_view compose(std::string_view sep, uint64_t n) {
    buf_.assign(prefix_).append(sep);
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, n);
    buf_.append(digits, r.ptr);
    return buf_;
  }
  std::string prefix_;
  std::string buf_;  // compose()'s; keeps its capacity
  uint64_t orders_ = 0, execs_ = 0;
};

// Durable: a report reaches the client only after the journal has committed
// the events behind it, so nothing a client saw acknowledged can be lost in a
// crash. Async: reports go out at once and the journal follows (faster; a
// crash can lose the last few milliseconds of acknowledged events).
enum class AckMode : uint8_t { Durable, Async };

struct EngineStats {
  uint64_t commands = 0, venueEvents = 0, reports = 0, riskRejects = 0, unknownVenueEvents = 0;
};

class Engine final : public CommandSink, public VenueEventSink {
 public:
  Engine(Executor& loop, const Clock& clock, risk::RiskEngine& risk, RoutingTable routing,
         std::map<VenueId, VenueAdapter*> venues, Journal& journal, ReportSink& reports,
         std::string idPrefix);
  ~Engine() override;

  // CommandSink / VenueEventSink: post to the engine thread.
  void submit(Command c) override;
  void sessionLoggedOn(const SessionKey& s) override;
  void sessionLoggedOut(const SessionKey& s) override;
  void onVenueEvent(VenueEvent e) override;

  // Before the engine thread starts: load what the journal knows. Open
  // orders are then reconciled with their venues (reconcileAll).
  void restore(RecoveredState st);
  // Asks every venue with open children for its snapshot and resolves
  // differences: unbooked fills are booked; orders the venue no longer has
  // are canceled with an explicit report and audit event. Engine thread.
  void reconcileAll(WallNanos since);
  void reconcile(const VenueId& v, const VenueSnapshot& snap);

  // Engine thread.
  void handle(Command& c);
  void handleVenueEvent(const VenueEvent& e);
  const ParentOrder* find(const SessionKey& s, const ClOrdId& id) const;
  const ParentOrder* find(const OrderId& id) const;
  size_t openOrders() const;
  const EngineStats& stats() const { return stats_; }
  void setAckMode(AckMode m) { ackMode_ = m; }
  // Kill switch (engine thread; the admin listener posts here): sets the
  // trading state of a scope and, for HALTED with cancelOpenOrders, cancels
  // every open order in it. Journaled by risk with who and why.
  risk::StateChange setTradingState(risk::ScopeKind scope, const std::string& key,
                                    risk::TradingState st, const std::string& who,
                                    const std::string& why, bool cancelOpenOrders);
  // Cancel-all without a state change (admin cancel_all with halt=false):
  // asks every open order of the scope to cancel, as a halt with cancel
  // would, but new orders keep being accepted. Returns how many orders were
  // asked (pending ones settle first and are not counted). Engine thread.
  size_t cancelOpenOrdersInScope(risk::ScopeKind scope, const std::string& key,
                                 const std::string& why);
  risk::RiskEngine& risk() { return risk_; }
  // Sessions whose open orders are canceled when they log out or drop.
  void setCancelOnDisconnect(std::unordered_set<SessionKey> s) {
    cancelOnDisconnect_ = std::move(s);
  }
  AckMode ackMode() const { return ackMode_; }
  // The runner of a working algo parent (engine thread), or null.
  const algos::AlgoRunner* algoRunner(const OrderId& id) const;
  // After a restart, how long a recovered algo parent waits for the venues
  // of its open children to reconcile before it resumes anyway.
  static constexpr int64_t kAlgoRestoreWaitNanos = 15'000'000'000;
  // TCA (router/tca.h). A direct order subscribes its venue's market data
  // for its symbol once (not per order) so later orders have an arrival mid;
  // off: direct orders use only books an algo subscribed, else the reference price.
  void setTcaMarketData(bool subscribeForDirectOrders) {
    tcaMarketData_ = subscribeForDirectOrders;
  }
  const TcaTracker& tca() const { return tca_; }
  // How long after a parent completes its TCA figures are taken (and
  // journaled): the prints of its last fills reach the engine after the
  // fills. 0: at completion.
  void setTcaPrintGrace(int64_t nanos) { tcaPrintGrace_ = nanos; }
  // Smart order routing (router/sor.h, docs/sor.md): before the engine
  // thread starts. Without it a route to "SOR" is refused (NO_ROUTE).
  void configureSor(SorConfig cfg);
  const SorRouter* sor() const { return sor_.get(); }
  // Read access for the admin API (engine thread): every parent order this
  // process knows (restored and new), and a child by id (null when unknown).
  const ParentMap& parents() const { return orders_; }
  const ChildOrder* child(const ChildOrderId& id) const {
    auto it = children_.find(id);
    return it == children_.end() ? nullptr : &it->second;
  }
  // Journals at once the TCA of parents still in their print grace (shutdown).
  void flushTca();

 private:
  // ---- metrics (core/metrics.h), recorded where the events happen.
  void metricsReject(const std::string& rule);
  void metricsRiskCheck(int64_t nanos);
  void metricsVenueEvent(const VenueEvent& e, ChildOrder* c);

  // ---- execution algorithms (docs/algos.md): one AlgoRunner per algo
  // parent, its AlgoHost backed by this engine.
  struct AlgoSlot;
  friend struct AlgoSlot;
  // Converts the order's strategy fields; nullopt and *error (tag, text)
  // when one is bad.
  std::optional<algos::AlgoParams> algoParams(const ParentOrder& p, const OrderDetails& d, Qty qty,
                                              WallNanos defaultStart,
                                              algos::AlgoError& error) const;
  // Creates and starts the runner of an accepted algo parent.
  void startAlgo(ParentOrder& p, algos::AlgoParams params);
  void algoSetTimer(AlgoSlot& s, WallNanos at);
  algos::SendResult algoSendChild(AlgoSlot& s, const algos::ChildOrder& c);
  void algoCancelChild(AlgoSlot& s, const ChildOrderId& id);
  void algoParentDone(AlgoSlot& s, algos::ParentOutcome outcome, const std::string& reason);
  void algoPaused(AlgoSlot& s, const std::string& reason, bool paused);
  void algoDispatchPending(ParentOrder& p);
  void algoChildEvent(ParentOrder& p, ChildOrder& c, const VenueEvent& e);
  void sendChildCancel(const ParentOrder& p, ChildOrder& c);
  // Books a venue fill of child c into the parent and reports it.
  void bookFill(ParentOrder& p, ChildOrder& c, const VenueEvent& e);
  AlgoSlot* algoSlot(const OrderId& id);
  void subscribeMarketData(const VenueId& v, const Symbol& s, const OrderId& parent);

  // ---- algo parents across a restart (docs/algos.md, "Crash and restart").
  // Keeps in the order's details what rebuilding its parameters needs: the
  // strategy fields (those of `earlier` when a replace did not restate them),
  // the resolved start and a learned VWAP profile.
  void algoRememberParams(ParentOrder& p, const algos::AlgoParams& ps,
                          const std::optional<AlgoOrderFields>& earlier);
  // restore(): flags the open parents with strategy fields as algo parents
  // and keeps the pauses the journal had for them.
  void algoNoteRecovered(const std::vector<std::pair<OrderId, std::string>>& pauses,
                         const std::vector<RecoveredState::PendingCancel>& cancels);
  // reconcileAll(): each recovered algo parent gets its runner back once the
  // venues of its open children (`asked` for a snapshot) have reconciled, or
  // after kAlgoRestoreWaitNanos if one never answers.
  void algoRestoreAfterReconcile(const std::set<VenueId>& asked);
  void algoVenueReconciled(const VenueId& v);
  void restoreAlgo(ParentOrder& p);
  void algoRestoreFailed(ParentOrder& p, const std::string& why);
  // reconcile(): a child of an algo parent the venue no longer has is done
  // (canceled); the parent goes on and its algorithm re-sends what it lost.
  void algoChildGoneOnReconcile(ParentOrder& p, ChildOrder& c, const VenueId& v);

  void onNew(NewOrder& n);
  void onCancel(CancelOrder& c);
  ParentOrder* admitAmend(const CommandHeader& h, const ClOrdId& clOrdId, const ClOrdId& orig,
                          bool replace);
  void startPending(ParentOrder& p, PendingRequest pr, ExecType et, const char* eventType);
  void onReplace(ReplaceOrder& r);
  void onStatus(StatusRequest& s);
  void onMassCancel(MassCancel& m);
  void onMassStatus(MassStatusRequest& m);
  // GTD: a timer at the order's expiry; when it fires on a working order the
  // venue is asked to cancel and the order is reported Expired.
  void armExpiry(const ParentOrder& p);
  void expireIfDue(const OrderId& id);
  // Puts a cancel on every open order of the session that has none pending
  // (optionally one symbol/side); returns how many. eventType names why.
  int cancelAllOf(const SessionKey& s, const std::optional<Symbol>& symbol,
                  const std::optional<Side>& side, const char* eventType, const SharedText& rawFix);
  void onInvalid(InvalidRequest& r);
  void send(ClientReport r);
  void flushOutbox();
  // Risk-initiated cancels (halt with cancel, self-trade prevention).
  void riskCancel(ParentOrder& p, const std::string& rule, const std::string& text);
  void processRiskCancels();

  ParentOrder* lookup(const SessionKey& s, const ClOrdId& id);
  void index(const SessionKey& s, const ClOrdId& id, const OrderId& o);
  bool clOrdIdUsed(const SessionKey& s, const ClOrdId& id) const;

  void rejectNew(ParentOrder& p, const std::string& rule, OrdRejReason reason,
                 const std::string& text);
  void dispatchPending(ParentOrder& p);
  void cancelReject(const SessionKey& s, const ParentOrder* p, const ClOrdId& clOrdId,
                    const ClOrdId& origClOrdId, bool replace, int reason, const std::string& text,
                    const std::string& rule, const SharedText& rawFix);
  ChildOrder* openChild(ParentOrder& p);

  // Builds a report from the parent's current state with a fresh ExecID.
  ExecReport report(const ParentOrder& p, ExecType et);
  // Journals the order row, the event, and sends the report.
  void emit(ParentOrder& p, ExecReport&& r, const char* eventType, const std::string& reasonCode,
            const SharedText& rawFix, const ChildOrder* child = nullptr);
  // created: the order's first record (OrderRec::created).
  void journalOrder(const ParentOrder& p, const SharedText& rawFix = {}, bool created = false);
  void journalChild(const ChildOrder& c, const ParentOrder& p, bool created = false);
  void journalEvent(const ParentOrder& p, const char* eventType, const ExecReport* r,
                    const std::string& reasonCode, const std::string& text,
                    const SharedText& rawFix, const ChildOrder* child);
  // Derivatives (issue 12): books the instrument's contract size with the fill.
  void setExecContractSize(ExecutionRec& x) const;

  Executor& loop_;
  const Clock& clock_;
  risk::RiskEngine& risk_;
  RoutingTable routing_;
  std::map<VenueId, VenueAdapter*> venues_;
  Journal& journal_;
  ReportSink& reports_;
  IdGenerator ids_;
  int64_t eventSeq_ = 0;

  // Issue 15: the nodes of the per-order maps below (and of each order's
  // children list) come from this pool, not one malloc per order. Engine
  // thread only (and construction/restore before it runs), like the maps.
  // Declared before them: it must outlive them.
  std::pmr::unsynchronized_pool_resource orderPool_;
  ParentMap orders_{&orderPool_};
  std::pmr::unordered_map<ChildOrderId, ChildOrder> children_{&orderPool_};
  // Every ClOrdID a session has used (orders, cancels, replaces) -> its order.
  std::unordered_map<SessionKey, std::pmr::unordered_map<ClOrdId, OrderId>> clOrdIndex_;
  // Commands and venue events on their way to the engine thread (submit(),
  // onVenueEvent()): one posted task per value, capturing no more than `this`.
  HandoffQueue<Command> commandQueue_;
  HandoffQueue<VenueEvent> venueEventQueue_;
  // Venue exec ids booked per child: a fill reported twice is booked once.
  std::unordered_map<ChildOrderId, std::unordered_set<VenueExecId>> bookedFills_;
  EngineStats stats_;
  AckMode ackMode_ = AckMode::Durable;
  bool reconciling_ = false;
  std::unordered_set<SessionKey> cancelOnDisconnect_;
  const VenueEvent* currentFill_ = nullptr;  // the fill being booked, for its ExecutionRec
  std::vector<ClientReport> outbox_;
  // Durable acks (flushOutbox): batches waiting for their commit, and emptied
  // ones handed back by the journal thread for the next outbox to reuse.
  void deliverOutboxBatch(uint64_t seq);
  std::vector<ClientReport> takeSpareOutbox();
  static constexpr size_t kSpareOutboxes = 8;
  HandoffQueue<std::vector<ClientReport>> outboxBatches_;
  std::mutex spareOutboxMu_;
  std::vector<std::vector<ClientReport>> spareOutboxes_;

  // Declared before algos_: runners go first, then the relay they attach to.
  std::unique_ptr<algos::MarketDataRelay> marketData_;
  // What the engine subscribes on venues: hands on to marketData_, then
  // releases the reports a runner's reaction produced.
  struct MarketDataPort;
  std::unique_ptr<MarketDataPort> marketDataPort_;
  std::set<std::pair<VenueId, Symbol>> marketDataSubscribed_;
  std::unordered_map<OrderId, std::unique_ptr<AlgoSlot>> algos_;
  // Recovered algo parents waiting for their venues' reconciliation.
  std::unordered_map<OrderId, std::set<VenueId>> algoAwaitingReconcile_;
  std::unordered_map<OrderId, std::string> algoPausedAtRestart_;
  std::unordered_map<OrderId, RecoveredState::PendingCancel> algoCancelAtRestart_;

  // ---- TCA (router/tca.h): started when a parent is accepted, fed by the
  // market-data port and bookFill, journaled (TcaRec) when it completes.
  void tcaStart(const ParentOrder& p);
  void tcaStartSor(const ParentOrder& p);  // arrival on the consolidated book
  void tcaFill(const ParentOrder& p, const ChildOrder& c, const VenueEvent& e);
  void tcaFinish(const ParentOrder& p);
  void tcaJournal(TcaRec t);
  void tcaSubscribe(const VenueId& v, const Symbol& s);
  TcaTracker tca_;
  bool tcaMarketData_ = true;
  int64_t tcaPrintGrace_ = 1'000'000'000;           // 1 s
  std::set<std::pair<VenueId, Symbol>> tcaNoFeed_;  // venues that refused: not asked again

  // ---- smart order routing (router/sor.h): kept apart from the rest.
  // A new order routed to "SOR": a plain order becomes an SOR parent, an
  // algo order's slices go through the SOR. Returns after answering.
  void sorNewOrder(ParentOrder& po, const risk::OrderIntent& intent, const risk::RiskDecision& d,
                   bool isAlgo);
  // Subscribes the SOR venues' books for the parent's symbol.
  // algoSlices: an algo's slices go through the SOR, so the algorithm's
  // market data (the relay) comes from every SOR venue too.
  void sorStart(const ParentOrder& p, bool algoSlices);
  std::vector<algos::SorVenue> sorVenues(const Symbol& s) const;
  // The SOR config's remainder policy (IOC: cancel), sweeps, reject limit and
  // book wait into an SOR parent's parameters.
  void sorApplyConfig(algos::AlgoParams& params, TimeInForce tif) const;
  // The venue for one slice of an algo parent routed to "SOR"; empty VenueId
  // and *why when none is usable. *why gets the SOR's reason either way.
  VenueId sorSliceVenue(const ParentOrder& p, const algos::ChildOrder& c, std::string& why);
  void sorOnBook(const TopOfBook& b);
  void sorOnChildEvent(const ChildOrder& c, const VenueEvent& e);
  std::unique_ptr<SorRouter> sor_;
  std::unordered_map<OrderId, TcaRec> tcaPending_;  // completed, in their print grace
};

}  // namespace fixgw::router
