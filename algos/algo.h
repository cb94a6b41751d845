// Execution algorithms (TWAP, VWAP, POV, Iceberg): the one interface of the
// algos/ module.
//
// An algorithm decides *when and how much* of a parent order to send as child
// orders. It never touches a venue or the journal: it sees the parent, the
// time, one timer, market data and a child-order port (AlgoContext), and
// emits child requests with the reason for each. The router owns parents and
// children; for each algo parent it creates an AlgoRunner, implements an
// AlgoHost for it (time, timers, sending and cancelling children, hearing the
// outcome) and feeds it the parent's events. The runner enforces what must
// hold for every algorithm, so no single algorithm can break it:
//   * cum qty + open qty of live children never exceeds the parent's qty;
//   * every child respects the parent's limit (Price 44) and MinQty (110);
//   * a parent cancel cancels every live child, and the parent is reported
//     Canceled only once none is live;
//   * a venue reject or disconnect on a child is handled by policy
//     (pause, retry elsewhere, or finish the parent with a reason), never
//     silently;
//   * the start (EffectiveTime 168) and end (ExpireTime 126) of the schedule.
// An algorithm keeps no state that cannot be rebuilt from its parameters, the
// parent's cum qty, its live children and the time, so after a crash the
// router re-creates it (AlgoRunner::restore) and it carries on its schedule
// without over-sending.
//
// Deterministic: all time comes from the host, randomisation is a function of
// the seed and the slice (no std::random_device, no hidden generator state).
//
// Thread-safety: none. Everything runs on the engine thread (the router's),
// or a test's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "algos/sor.h"
#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/market_data.h"
#include "core/types.h"

namespace fixgw::algos {

// A fraction as a fixed-point number: 1 = fromInt(1), 0.25 = 25%.
// ParticipationRate (849) arrives as a FIX Percentage, 0.1 meaning 10%.
using Ratio = Fixed<struct RatioTag>;

// Sor: smart order routing (algos/sor.h) — where, not when: the parent is
// split across venues at the best all-in price at once.
enum class Strategy : uint8_t { Twap, Vwap, Pov, Iceberg, Sor };
std::string_view toString(Strategy s);  // "TWAP", "VWAP", "POV", "ICEBERG", "SOR"
// Case-insensitive: "twap", "TWAP", ...; nullopt for anything else.
std::optional<Strategy> strategyFromName(std::string_view name);

// What to do when a venue rejects a child or drops the connection its live
// children are on.
enum class Policy : uint8_t {
  Pause,           // send nothing more until resumed (reconnect, replace or AlgoRunner::resume)
  RetryElsewhere,  // send what is left to the next venue (AlgoParams::venues), avoiding this one
  Finish,          // cancel what is live and finish the parent, naming the cause
};
std::string_view toString(Policy p);

// One bucket of an intraday volume profile: from minuteOfDay (UTC, 0..1439)
// until the next bucket's minute (the last one runs to midnight, and times
// before the first bucket belong to the last), the market trades at a rate of
// `weight` per minute, relative to the other buckets.
struct ProfileBucket {
  int32_t minuteOfDay = 0;
  int64_t weight = 0;
  bool operator==(const ProfileBucket&) const = default;
};

// A bad parameter: the FIX tag it came in (168, 126, 849, 111, 44, 110, 847,
// 957, 958, 959, 960, or 38 for the order quantity) and why.
struct AlgoError {
  int tag = 0;
  std::string text;
};

struct AlgoParams {
  Strategy strategy = Strategy::Twap;
  WallNanos start = 0;                     // EffectiveTime (168); 0 = when the order arrives
  WallNanos end = 0;                       // ExpireTime (126); 0 = none (TWAP and VWAP need one)
  std::optional<Ratio> participationRate;  // ParticipationRate (849), POV: (0, 1]
  std::optional<Qty> displayQty;           // MaxFloor (111), Iceberg: what is shown
  std::optional<Price> limit;              // Price (44): on every child, never through it
  std::optional<Qty> minQty;               // MinQty (110): no child smaller, but the last
  // StrategyParameters (957 group, 958 name / 959 type / 960 value):
  uint64_t seed = 0;    // "Seed": randomisation is a function of it
  Ratio randomizeSize;  // "RandomizeSize": +/- this share of a slice, [0, 0.5]
  Ratio randomizeTime;  // "RandomizeTime": slice time moved by up to this share
                        // of the interval, [0, 1)
  int64_t sliceIntervalNanos = 60'000'000'000;  // "SliceInterval" (seconds): TWAP/VWAP
  std::optional<Qty> minSlice;                  // "MinSlice": POV's smallest child
  std::optional<Qty> maxSlice;                  // "MaxSlice": no child larger (catch-up included)
  Qty maxAhead;                              // "MaxAhead": POV may run this far ahead of its target
  Qty completionTolerance;                   // "Tolerance": a shortfall at the end time this small
                                             // counts as complete
  std::vector<ProfileBucket> volumeProfile;  // VWAP ("Profile" "0930:5,1000:3,..."),
                                             // empty = the router's learned profile, or flat
  std::vector<VenueId> venues;      // "Venues" "SIM,IBKR": first preferred; empty = router picks
  Policy onReject = Policy::Pause;  // "OnReject": pause|retry|finish
  Policy onDisconnect = Policy::Pause;  // "OnDisconnect": pause|retry|finish
  // SOR (set by the router from its config and the parent's TimeInForce):
  SorRemainder sorRemainder = SorRemainder::Rest;  // what the books cannot fill now
  int sorMaxSweeps = 3;                            // sweeps before the remainder policy applies
  int sorMaxRecentRejects = 3;  // a venue with this many recent rejects is left out
  // How long the first decision waits for every connected venue's book
  // (subscribing takes a moment); then it routes on the books it has.
  int64_t sorBookWaitNanos = 1'000'000'000;

  // Checks the parameters against each other and the order quantity (38).
  // nullopt when good; else the first problem, naming its tag.
  std::optional<AlgoError> validate(Qty orderQty) const;
};

// The FIX fields an algo order carries, as received (strings, tag by tag), so
// the acceptor needs no algo knowledge: it copies them and parseAlgoParams
// does the conversion and checking.
struct StrategyParameter {
  std::string name;   // 958
  std::string type;   // 959 (FIX 4.4 StrategyParameterType: 1 Int, 6 float, 7 Qty,
                      //      8 Price, 11 Percentage, 13 Boolean, 14 String, 19 UTCTimestamp...)
  std::string value;  // 960
};
struct AlgoFixFields {
  std::optional<std::string> targetStrategy;     // 847
  std::optional<std::string> effectiveTime;      // 168, UTCTimestamp
  std::optional<std::string> expireTime;         // 126, UTCTimestamp
  std::optional<std::string> participationRate;  // 849, Percentage
  std::optional<std::string> maxFloor;           // 111
  std::optional<std::string> price;              // 44
  std::optional<std::string> minQty;             // 110
  std::optional<int> noStrategyParameters;       // 957 as sent (must match the entries)
  std::vector<StrategyParameter> strategyParameters;
};
struct ParsedAlgoParams {
  std::optional<AlgoParams> params;  // set when good
  AlgoError error;                   // otherwise
};
// Converts and validates (AlgoParams::validate) in one go. `now` fills in a
// missing EffectiveTime.
ParsedAlgoParams parseAlgoParams(const AlgoFixFields& fields, Qty orderQty, WallNanos now);
// FIX UTCTimestamp "YYYYMMDD-HH:MM:SS" with optional ".sss" (up to 9 digits).
std::optional<WallNanos> parseFixUtcTimestamp(std::string_view s);

// The parent as the algorithm sees it.
struct ParentOrder {
  OrderId orderId;
  Symbol symbol;
  Side side = Side::Buy;
  Qty qty;                        // OrderQty (38); changes on replace
  Qty lotSize = Qty::fromInt(1);  // the instrument's quantity step: children are multiples
};

// What an algorithm asks for.
struct ChildRequest {
  Qty qty;
  std::optional<Price> limit;     // nullopt: the parent's limit, or a market order without one
  std::optional<VenueId> venue;   // hint; nullopt: the runner's current venue
  std::optional<Qty> displayQty;  // venue-native iceberg (only where the venue has it)
  std::string reason;             // why this size, this venue, now: stored with the child
  bool ioc = false;               // Immediate-or-cancel (an SOR sweep); else Day
};

// What the runner hands the router: a checked request with everything resolved.
struct ChildOrder {
  OrderId parentId;
  Symbol symbol;
  Side side = Side::Buy;
  Qty qty;
  std::optional<Price> limit;
  std::optional<VenueId> venue;  // nullopt: the router's smart routing picks
  std::vector<VenueId> avoid;    // venues that rejected or dropped this parent's children
  std::optional<Qty> displayQty;
  std::string reason;
  bool ioc = false;  // Immediate-or-cancel (an SOR sweep); else Day
};

// A child the runner counts as live: sent and not known to be done.
struct LiveChild {
  ChildOrderId id;
  Qty qty;
  Qty cum;
  std::optional<Price> limit;
  std::optional<VenueId> venue;
  std::optional<Qty> displayQty;
  bool accepted = false;
  bool cancelPending = false;
  Qty open() const { return qty - cum; }
};

struct SendResult {
  ChildOrderId id;    // set when sent
  std::string error;  // why not, when id is empty
  bool ok() const { return !id.empty(); }
};

// How a parent ended.
enum class ParentOutcome : uint8_t {
  Filled,    // cum == qty
  Canceled,  // the client asked; every child is done
  Expired,   // the end time came (the reason says whether within tolerance)
  Stopped,   // a policy finished it (a reject, a disconnect); the reason names the cause
};
std::string_view toString(ParentOutcome o);

// The algorithm's view of its parent and the world (implemented by AlgoRunner).
class AlgoContext {
 public:
  virtual ~AlgoContext() = default;
  virtual WallNanos now() const = 0;
  // One timer per algorithm: a later call replaces the earlier; onTimer
  // follows at or after `at`.
  virtual void setTimer(WallNanos at) = 0;
  virtual const AlgoParams& params() const = 0;
  virtual const ParentOrder& parent() const = 0;
  virtual Qty cumQty() const = 0;
  // Cum qty when the algorithm (re)started: 0 for a new parent, the
  // journal's cum after a restart.
  virtual Qty cumAtStart() const = 0;
  virtual Qty liveQty() const = 0;    // open qty of live children
  virtual Qty available() const = 0;  // qty - cum - live: the most a new child may carry
  virtual const std::vector<LiveChild>& liveChildren() const = 0;
  // The latest book of the parent's symbol, if any came.
  virtual const std::optional<TopOfBook>& book() const = 0;
  // Volume of the trades seen since the algorithm (re)started, ours included.
  virtual Qty marketVolume() const = 0;
  virtual const std::deque<Trade>& recentTrades() const = 0;  // the last kRecentTrades
  // Sends a child, or says why not (over the leaves, through the limit, below
  // MinQty, paused, finished, the router refused).
  virtual SendResult sendChild(ChildRequest r) = 0;
  virtual void cancelChild(const ChildOrderId& id) = 0;
  // Whether the venue a child would go to now shows a display size itself.
  virtual bool venueHasNativeDisplay() const = 0;
  // SOR: every routable venue's book, fees and health for the parent's symbol.
  virtual std::vector<SorVenue> sorVenues() const { return {}; }
  // Ends the parent with its leaves unfilled (the SOR's remainder policy):
  // live children are cancelled, onParentDone(outcome) once none is live.
  virtual void finishParent(ParentOutcome outcome, std::string reason) {
    (void)outcome;
    (void)reason;
  }

  static constexpr size_t kRecentTrades = 64;
};

// An execution algorithm. Callbacks come after the runner has updated the
// parent's state (cum, live children); each may send or cancel children.
class Algo {
 public:
  explicit Algo(AlgoContext& ctx) : ctx_(ctx) {}
  virtual ~Algo() = default;
  Algo(const Algo&) = delete;
  Algo& operator=(const Algo&) = delete;

  virtual Strategy strategy() const = 0;
  // The schedule begins: at the start time, or now after a restart, with the
  // parent's cum and live children already in the context.
  virtual void onStart() = 0;
  virtual void onTimer() {}
  virtual void onBook(const TopOfBook& book) { (void)book; }
  virtual void onTrade(const Trade& trade) { (void)trade; }
  virtual void onChildAccepted(const ChildOrderId& id) { (void)id; }
  virtual void onChildFill(const ChildOrderId& id, Qty qty, Price px) {
    (void)id;
    (void)qty;
    (void)px;
  }
  virtual void onChildRejected(const ChildOrderId& id, std::string_view reason) {
    (void)id;
    (void)reason;
  }
  // Canceled or expired at the venue.
  virtual void onChildCanceled(const ChildOrderId& id) { (void)id; }
  // The client replaced the parent: params() and parent().qty are the new
  // ones; children over the new qty or through the new limit are already
  // being cancelled.
  virtual void onParentReplace(const AlgoParams& params, Qty newQty) {
    (void)params;
    (void)newQty;
  }
  // The parent is being cancelled: the runner cancels every live child and
  // refuses new ones; nothing else to do for most algorithms.
  virtual void onParentCancel() {}
  // Sending may go on again after a pause.
  virtual void onResume() {}

 protected:
  AlgoContext& ctx_;
};

// Creates the algorithm for a strategy.
std::unique_ptr<Algo> makeAlgo(Strategy s, AlgoContext& ctx);
// By name (TargetStrategy 847); nullptr for an unknown name.
std::unique_ptr<Algo> makeAlgo(std::string_view strategyName, AlgoContext& ctx);

// What the router gives the runner of one parent.
class AlgoHost {
 public:
  virtual ~AlgoHost() = default;
  virtual WallNanos now() const = 0;
  // One timer for this parent: a later call replaces the earlier; the host
  // calls AlgoRunner::onTimer at or after `at` (on the engine thread).
  virtual void setTimer(WallNanos at) = 0;
  // Creates, journals (with its reason) and submits the child; returns its
  // id, or an error if it cannot (risk, no venue). Its venue events come back
  // through AlgoRunner::onChild*.
  virtual SendResult sendChild(const ChildOrder& c) = 0;
  virtual void cancelChild(const ChildOrderId& id) = 0;
  // Whether a venue takes a display size natively (TWS displaySize).
  virtual bool venueHasNativeDisplay(const std::optional<VenueId>& venue) const {
    (void)venue;
    return false;
  }
  // The parent is done; called once, when no child is live any more.
  virtual void onParentDone(ParentOutcome outcome, const std::string& reason) = 0;
  // The algorithm paused (policy) or resumed; for the client's and the
  // operators' information.
  virtual void onAlgoPaused(const std::string& reason) { (void)reason; }
  virtual void onAlgoResumed() {}
  // SOR: the venues that trade symbol, with their books, fees and health
  // (algos/sor.h); empty when the router has no SOR configured.
  virtual std::vector<SorVenue> sorVenues(const Symbol& symbol) const {
    (void)symbol;
    return {};
  }
};

// What the journal knows of a working algo parent after a restart.
struct AlgoRestoreState {
  Qty cumQty;
  Price avgPx;
  std::vector<LiveChild> liveChildren;  // open at the venue after reconciliation
  bool paused = false;
  std::string pauseReason;
};

// The parent-side helper around one algorithm (see the top of this file).
class AlgoRunner final : private AlgoContext {
 public:
  enum class State : uint8_t { Waiting, Working, Paused, Finishing, Done };

  // Validates params against the parent and creates the algorithm; nullptr
  // and *error when the parameters are bad.
  static std::unique_ptr<AlgoRunner> create(ParentOrder parent, AlgoParams params, AlgoHost& host,
                                            AlgoError* error);

  // A new parent: waits for the start time, then starts the algorithm.
  void start();
  // A parent the journal says is working: takes its cum and live children,
  // then starts the algorithm now (or waits for the start time).
  void restore(const AlgoRestoreState& state);

  void onTimer();
  void onBook(const TopOfBook& book);
  void onTrade(const Trade& trade);
  void onChildAccepted(const ChildOrderId& id);
  void onChildFill(const ChildOrderId& id, Qty qty, Price px);
  void onChildRejected(const ChildOrderId& id, const std::string& reason);
  void onChildCanceled(const ChildOrderId& id);  // canceled or expired
  void onVenueDisconnected(const VenueId& venue);
  void onVenueReconnected(const VenueId& venue);
  // OrderCancelReplaceRequest: new parameters and qty. An error (naming the
  // tag) leaves everything as it was.
  std::optional<AlgoError> replace(const AlgoParams& params, Qty newQty);
  // OrderCancelRequest: cancels every live child; onParentDone(Canceled)
  // follows once none is live (at once if none is).
  void cancel();
  // Lifts a pause (an operator, or the router after fixing the cause).
  void resume();

  State state() const { return state_; }
  std::string_view pauseReason() const { return pauseReason_; }
  const ParentOrder& parentOrder() const { return parent_; }
  const AlgoParams& algoParams() const { return params_; }
  Qty cum() const { return cum_; }
  Price avgPx() const { return averageFromRaw(notionalRaw_, cum_); }
  const std::vector<LiveChild>& live() const { return live_; }
  Strategy strategy() const { return algo_->strategy(); }

 private:
  AlgoRunner(ParentOrder parent, AlgoParams params, AlgoHost& host);

  // AlgoContext
  WallNanos now() const override { return host_.now(); }
  void setTimer(WallNanos at) override;
  const AlgoParams& params() const override { return params_; }
  const ParentOrder& parent() const override { return parent_; }
  Qty cumQty() const override { return cum_; }
  Qty cumAtStart() const override { return cumAtStart_; }
  Qty liveQty() const override;
  Qty available() const override;
  const std::vector<LiveChild>& liveChildren() const override { return live_; }
  const std::optional<TopOfBook>& book() const override { return book_; }
  Qty marketVolume() const override { return volume_; }
  const std::deque<Trade>& recentTrades() const override { return trades_; }
  SendResult sendChild(ChildRequest r) override;
  void cancelChild(const ChildOrderId& id) override;
  bool venueHasNativeDisplay() const override;
  std::vector<SorVenue> sorVenues() const override { return host_.sorVenues(parent_.symbol); }
  void finishParent(ParentOutcome outcome, std::string reason) override {
    if (active()) finish(outcome, std::move(reason));
  }

  LiveChild* findLive(const ChildOrderId& id);
  void removeLive(const ChildOrderId& id);
  // Cancels the newest live children until cum + live fits the parent's qty.
  void trimToQty();
  std::optional<VenueId> currentVenue() const;
  void begin();
  void armTimer();
  void pause(std::string reason);
  // Cancels every live child and finishes with outcome once none is live.
  void finish(ParentOutcome outcome, std::string reason);
  void checkDone();
  void applyPolicy(Policy p, const std::optional<VenueId>& venue, const std::string& cause);
  bool active() const { return state_ == State::Working || state_ == State::Paused; }

  ParentOrder parent_;
  AlgoParams params_;
  AlgoHost& host_;
  std::unique_ptr<Algo> algo_;
  State state_ = State::Waiting;
  std::string pauseReason_;
  std::optional<VenueId> pausedFor_;  // a pause that a reconnect of this venue lifts
  ParentOutcome outcome_ = ParentOutcome::Filled;
  std::string outcomeReason_;
  Qty cum_;
  Qty cumAtStart_;
  __int128 notionalRaw_ = 0;
  std::vector<LiveChild> live_;
  std::optional<TopOfBook> book_;
  Qty volume_;
  std::deque<Trade> trades_;
  std::optional<WallNanos> algoTimer_;
  std::optional<WallNanos> armedAt_;
  size_t venueIndex_ = 0;
  std::vector<VenueId> avoid_;
  bool ended_ = false;
  bool restorePaused_ = false;
};

}  // namespace fixgw::algos
