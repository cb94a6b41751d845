// AlgoRunner: the parent-side rules every algorithm shares (algos/algo.h).
#include <algorithm>
#include <string>

#include "algos/algo.h"

namespace fixgw::algos {

namespace {

bool throughLimit(Side side, Price childLimit, Price parentLimit) {
  return isBuy(side) ? childLimit > parentLimit : childLimit < parentLimit;
}

}  // namespace

AlgoRunner::AlgoRunner(ParentOrder parent, AlgoParams params, AlgoHost& host)
    : parent_(std::move(parent)), params_(std::move(params)), host_(host) {}

std::unique_ptr<AlgoRunner> AlgoRunner::create(ParentOrder parent, AlgoParams params,
                                               AlgoHost& host, AlgoError* error) {
  if (auto e = params.validate(parent.qty)) {
    if (error) *error = std::move(*e);
    return nullptr;
  }
  if (!parent.lotSize.isPositive()) parent.lotSize = Qty::fromMantissa(1);
  std::unique_ptr<AlgoRunner> r(new AlgoRunner(std::move(parent), std::move(params), host));
  r->algo_ = makeAlgo(r->params_.strategy, *r);
  return r;
}

void AlgoRunner::start() {
  cumAtStart_ = cum_;
  onTimer();
}

void AlgoRunner::restore(const AlgoRestoreState& st) {
  cum_ = st.cumQty;
  cumAtStart_ = cum_;
  notionalRaw_ = rawProduct(st.avgPx, st.cumQty);
  live_.clear();
  for (const auto& c : st.liveChildren)
    if (c.open().isPositive()) live_.push_back(c);
  if (st.paused) {
    pauseReason_ = st.pauseReason;
    restorePaused_ = true;
  }
  if (cum_ >= parent_.qty) {
    finish(ParentOutcome::Filled, "filled before the restart");
    return;
  }
  // A replace just before the crash may have left children through the new
  // limit or over the new qty whose cancels never got out (or never came
  // back): they go now, as the replace would have had them go.
  if (params_.limit) {
    for (const auto& c : std::vector<LiveChild>(live_)) {
      if (c.limit && throughLimit(parent_.side, *c.limit, *params_.limit)) cancelChild(c.id);
    }
  }
  trimToQty();
  onTimer();
}

void AlgoRunner::begin() {
  state_ = restorePaused_ ? State::Paused : State::Working;
  restorePaused_ = false;
  volume_ = Qty();
  trades_.clear();
  algo_->onStart();
}

void AlgoRunner::onTimer() {
  armedAt_.reset();
  const WallNanos t = now();
  if (state_ == State::Waiting && t >= params_.start) {
    if (params_.end != 0 && t >= params_.end) {
      state_ = State::Working;  // restored after its end: finish below, send nothing
    } else {
      begin();
    }
  }
  if (active() && params_.end != 0 && t >= params_.end && !ended_) {
    ended_ = true;
    const Qty leaves = parent_.qty - cum_;
    std::string why = "end time " + formatFixTimestamp(params_.end) + " reached: filled " +
                      cum_.str() + " of " + parent_.qty.str();
    if (leaves <= params_.completionTolerance) {
      why += ", short " + leaves.str() + " within the tolerance of " +
             params_.completionTolerance.str();
    } else {
      why += ", " + leaves.str() + " unfilled";
    }
    finish(ParentOutcome::Expired, std::move(why));
  }
  if (active() && algoTimer_ && t >= *algoTimer_) {
    algoTimer_.reset();
    algo_->onTimer();
  }
  armTimer();
}

void AlgoRunner::armTimer() {
  std::optional<WallNanos> next;
  auto consider = [&](WallNanos at) {
    if (!next || at < *next) next = at;
  };
  if (state_ == State::Waiting) consider(params_.start);
  if (active()) {
    if (params_.end != 0 && !ended_) consider(params_.end);
    if (algoTimer_) consider(*algoTimer_);
  }
  if (!next || (armedAt_ && *armedAt_ == *next)) return;
  armedAt_ = next;
  host_.setTimer(*next);
}

void AlgoRunner::setTimer(WallNanos at) {
  algoTimer_ = at;
  armTimer();
}

Qty AlgoRunner::liveQty() const {
  Qty q;
  for (const auto& c : live_) q += c.open();
  return q;
}

Qty AlgoRunner::available() const {
  const Qty a = parent_.qty - cum_ - liveQty();
  return a.isPositive() ? a : Qty();
}

std::optional<VenueId> AlgoRunner::currentVenue() const {
  if (params_.venues.empty()) return std::nullopt;
  return params_.venues[std::min(venueIndex_, params_.venues.size() - 1)];
}

bool AlgoRunner::venueHasNativeDisplay() const {
  return host_.venueHasNativeDisplay(currentVenue());
}

SendResult AlgoRunner::sendChild(ChildRequest r) {
  SendResult res;
  auto refuse = [&](std::string why) {
    res.error = std::move(why);
    return res;
  };
  if (state_ == State::Paused) return refuse("paused: " + pauseReason_);
  if (state_ != State::Working) return refuse("the parent is not working");
  if (!r.qty.isPositive() || !r.qty.isMultipleOf(parent_.lotSize)) {
    return refuse("child qty " + r.qty.str() + " is not a positive multiple of the lot size " +
                  parent_.lotSize.str());
  }
  const Qty avail = available();
  if (r.qty > avail) {
    return refuse("child qty " + r.qty.str() + " exceeds what is left to send, " + avail.str() +
                  " (order " + parent_.qty.str() + ", filled " + cum_.str() + ", live " +
                  liveQty().str() + ")");
  }
  if (params_.limit) {
    if (!r.limit) {
      r.limit = params_.limit;
    } else if (throughLimit(parent_.side, *r.limit, *params_.limit)) {
      return refuse("child limit " + r.limit->str() + " is through the parent's limit " +
                    params_.limit->str());
    }
  }
  if (params_.minQty && r.qty < *params_.minQty && r.qty != avail) {
    return refuse("child qty " + r.qty.str() + " is below MinQty (110) " + params_.minQty->str() +
                  " and not the last of the order");
  }
  if (r.displayQty && (!r.displayQty->isPositive() || *r.displayQty > r.qty)) {
    return refuse("display qty " + r.displayQty->str() + " must be positive and at most the " +
                  "child qty " + r.qty.str());
  }
  ChildOrder c;
  c.parentId = parent_.orderId;
  c.symbol = parent_.symbol;
  c.side = parent_.side;
  c.qty = r.qty;
  c.limit = r.limit;
  c.venue = r.venue ? r.venue : currentVenue();
  c.avoid = avoid_;
  c.displayQty = r.displayQty;
  c.ioc = r.ioc;
  c.reason = std::move(r.reason);
  c.reason += c.venue ? "; venue " + c.venue->str() : std::string("; venue: the router's choice");
  if (!avoid_.empty()) {
    c.reason += ", avoiding";
    for (const auto& v : avoid_) c.reason += " " + v.str();
  }
  res = host_.sendChild(c);
  if (!res.ok()) return res;
  LiveChild l;
  l.id = res.id;
  l.qty = c.qty;
  l.limit = c.limit;
  l.venue = c.venue;
  l.displayQty = c.displayQty;
  live_.push_back(std::move(l));
  return res;
}

void AlgoRunner::cancelChild(const ChildOrderId& id) {
  LiveChild* c = findLive(id);
  if (!c || c->cancelPending) return;
  c->cancelPending = true;
  host_.cancelChild(id);
}

LiveChild* AlgoRunner::findLive(const ChildOrderId& id) {
  for (auto& c : live_)
    if (c.id == id) return &c;
  return nullptr;
}

void AlgoRunner::removeLive(const ChildOrderId& id) {
  std::erase_if(live_, [&](const LiveChild& c) { return c.id == id; });
}

void AlgoRunner::trimToQty() {
  Qty kept;
  for (const auto& c : live_)
    if (!c.cancelPending) kept += c.open();
  for (auto it = live_.rbegin(); it != live_.rend() && cum_ + kept > parent_.qty; ++it) {
    if (it->cancelPending) continue;
    kept -= it->open();
    cancelChild(it->id);  // only flags it: live_ does not change under the loop
  }
}

void AlgoRunner::onBook(const TopOfBook& b) {
  if (b.symbol != parent_.symbol) return;
  book_ = b;
  if (active()) algo_->onBook(b);
}

void AlgoRunner::onTrade(const Trade& t) {
  if (t.symbol != parent_.symbol || !active()) return;
  volume_ += t.qty;
  trades_.push_back(t);
  if (trades_.size() > kRecentTrades) trades_.pop_front();
  algo_->onTrade(t);
}

void AlgoRunner::onChildAccepted(const ChildOrderId& id) {
  LiveChild* c = findLive(id);
  if (!c) return;
  c->accepted = true;
  if (active()) algo_->onChildAccepted(id);
}

void AlgoRunner::onChildFill(const ChildOrderId& id, Qty qty, Price px) {
  // A fill counts for the parent even for a child we no longer track (it was
  // reported done, or reconciliation missed it): cum must be the truth.
  cum_ += qty;
  notionalRaw_ += rawProduct(px, qty);
  if (LiveChild* c = findLive(id)) {
    c->cum += qty;
    if (!c->open().isPositive()) removeLive(id);
  }
  if (cum_ >= parent_.qty && state_ != State::Done) {
    finish(ParentOutcome::Filled, "filled");
    return;
  }
  // A child being cancelled after a downward replace can still fill: then
  // the others must make room.
  trimToQty();
  if (active()) algo_->onChildFill(id, qty, px);
  checkDone();
}

void AlgoRunner::onChildRejected(const ChildOrderId& id, const std::string& reason) {
  LiveChild* c = findLive(id);
  if (!c) return;
  const std::optional<VenueId> venue = c->venue;
  removeLive(id);
  if (active()) {
    applyPolicy(params_.onReject, venue,
                "child " + id.str() + " rejected" +
                    (venue ? " by " + venue->str() : std::string()) + ": " + reason);
  }
  if (active()) algo_->onChildRejected(id, reason);
  checkDone();
}

void AlgoRunner::onChildCanceled(const ChildOrderId& id) {
  if (!findLive(id)) return;
  removeLive(id);
  if (active()) algo_->onChildCanceled(id);
  checkDone();
}

void AlgoRunner::onVenueDisconnected(const VenueId& venue) {
  if (!active()) return;
  size_t n = 0;
  for (const auto& c : live_)
    if (c.venue == venue) ++n;
  if (n == 0 && currentVenue() != venue) return;
  // Children there stay live (their state is unknown until the venue is
  // back), so they keep counting against the parent's leaves.
  applyPolicy(
      params_.onDisconnect, venue,
      "venue " + venue.str() + " disconnected with " + std::to_string(n) + " live child(ren)");
  if (state_ == State::Paused) pausedFor_ = venue;
}

void AlgoRunner::onVenueReconnected(const VenueId& venue) {
  if (state_ == State::Paused && pausedFor_ == venue) resume();
}

void AlgoRunner::applyPolicy(Policy p, const std::optional<VenueId>& venue,
                             const std::string& cause) {
  switch (p) {
    case Policy::Pause:
      pause(cause + "; paused by policy (resumes on reconnect, replace or operator)");
      return;
    case Policy::RetryElsewhere: {
      if (venue && std::find(avoid_.begin(), avoid_.end(), *venue) == avoid_.end()) {
        avoid_.push_back(*venue);
      }
      if (params_.venues.empty()) return;  // the router routes around avoid_
      for (size_t i = 0; i < params_.venues.size(); ++i) {
        if (std::find(avoid_.begin(), avoid_.end(), params_.venues[i]) == avoid_.end()) {
          venueIndex_ = i;
          return;
        }
      }
      finish(ParentOutcome::Stopped, cause + "; no other venue to retry on");
      return;
    }
    case Policy::Finish:
      finish(ParentOutcome::Stopped, cause);
      return;
  }
}

void AlgoRunner::pause(std::string reason) {
  if (state_ != State::Working) return;
  state_ = State::Paused;
  pauseReason_ = std::move(reason);
  host_.onAlgoPaused(pauseReason_);
}

void AlgoRunner::resume() {
  if (state_ != State::Paused) return;
  state_ = State::Working;
  pauseReason_.clear();
  pausedFor_.reset();
  host_.onAlgoResumed();
  algo_->onResume();
  armTimer();
}

void AlgoRunner::finish(ParentOutcome outcome, std::string reason) {
  if (state_ == State::Done) return;
  if (state_ == State::Finishing) {
    // Already on the way out; a completed fill still wins.
    if (outcome == ParentOutcome::Filled) {
      outcome_ = outcome;
      outcomeReason_ = std::move(reason);
    }
    checkDone();
    return;
  }
  state_ = State::Finishing;
  outcome_ = outcome;
  outcomeReason_ = std::move(reason);
  const std::vector<LiveChild> live = live_;
  for (const auto& c : live) cancelChild(c.id);
  checkDone();
}

void AlgoRunner::checkDone() {
  if (state_ != State::Finishing || !live_.empty()) return;
  state_ = State::Done;
  if (cum_ >= parent_.qty && outcome_ != ParentOutcome::Filled) {
    outcome_ = ParentOutcome::Filled;
    outcomeReason_ = "filled";
  }
  host_.onParentDone(outcome_, outcomeReason_);
}

std::optional<AlgoError> AlgoRunner::replace(const AlgoParams& p, Qty newQty) {
  if (state_ == State::Finishing || state_ == State::Done) {
    return AlgoError{0, "the order is " +
                            std::string(state_ == State::Done ? "done" : "finishing") + ": " +
                            outcomeReason_};
  }
  if (p.strategy != params_.strategy) {
    return AlgoError{847, "TargetStrategy (847) cannot change on a replace (" +
                              std::string(toString(params_.strategy)) + " to " +
                              std::string(toString(p.strategy)) + ")"};
  }
  if (newQty < cum_) {
    return AlgoError{38, "OrderQty (38) " + newQty.str() +
                             " is below the quantity already filled, " + cum_.str()};
  }
  if (auto e = p.validate(newQty)) return e;
  params_ = p;
  parent_.qty = newQty;
  venueIndex_ = std::min(venueIndex_, params_.venues.empty() ? 0 : params_.venues.size() - 1);
  if (params_.end == 0 || now() < params_.end) ended_ = false;
  // Children through the new limit go; then, newest first, whatever would
  // take cum + live over the new qty.
  if (params_.limit) {
    for (const auto& c : std::vector<LiveChild>(live_)) {
      if (!c.limit || throughLimit(parent_.side, *c.limit, *params_.limit)) cancelChild(c.id);
    }
  }
  trimToQty();
  if (cum_ >= newQty) {
    finish(ParentOutcome::Filled, "filled: the replace lowered the quantity to what is filled");
    return std::nullopt;
  }
  if (state_ == State::Paused && !pausedFor_) resume();
  if (active()) algo_->onParentReplace(params_, newQty);
  armTimer();
  return std::nullopt;
}

void AlgoRunner::cancel() {
  if (state_ == State::Done || state_ == State::Finishing) return;
  if (active()) algo_->onParentCancel();
  finish(ParentOutcome::Canceled, "canceled by the client");
}

}  // namespace fixgw::algos
