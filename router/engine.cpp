#include "router/engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "core/log.h"
#include "core/metrics.h"

namespace fixgw::router {

namespace {
const ClOrdId kNone("NONE");

// The order fields of an engine log line (core/log.h): with logging.format
// json they are fields of the line (session, cl_ord_id, order_id, and for a
// child's line child_id and venue), not just words in its text.
std::string orderLog(const ParentOrder& p) {
  return log::orderFields(p.session.str(), p.clOrdId.str(), p.orderId.str());
}
std::string orderLog(const ParentOrder& p, const ChildOrder& c) {
  return log::orderFields(p.session.str(), p.clOrdId.str(), p.orderId.str(), c.id.str(),
                          c.venue.str());
}
// For a line that has only the OrderID at hand: the order's fields when the
// engine knows it, else just the id.
std::string orderLog(const ParentMap& orders, const OrderId& id) {
  auto it = orders.find(id);
  return it != orders.end() ? orderLog(it->second) : log::orderFields("", "", id.str());
}
}  // namespace

std::string IdGenerator::prefixFromMs(int64_t msSigned) {
  uint64_t ms = static_cast<uint64_t>(msSigned < 0 ? 0 : msSigned);
  static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s.insert(s.begin(), digits[ms % 36]);
    ms /= 36;
  } while (ms);
  return s;
}

int64_t IdGenerator::prefixMsOf(const std::string& id) {
  auto dash = id.find('-');
  if (dash == std::string::npos || dash == 0 || dash > 12) return -1;
  int64_t v = 0;
  for (size_t i = 0; i < dash; ++i) {
    char c = id[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v * 36 + d;
  }
  return v;
}

std::optional<ChildOrderId> IdGenerator::directChildIdOf(const OrderId& parent) {
  const std::string& id = parent.str();
  const auto dash = id.rfind('-');
  if (dash == std::string::npos || dash + 1 == id.size()) return std::nullopt;
  for (size_t i = dash + 1; i < id.size(); ++i)
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
  std::string child;
  child.reserve(id.size() + 1);
  child.append(id, 0, dash + 1).append(1, 'C').append(id, dash + 1);
  return ChildOrderId(std::move(child));
}

bool parseRawNotional(const std::string& text, __int128& out) {
  if (text.empty()) return false;
  size_t i = 0;
  bool neg = text[0] == '-';
  if (neg) i = 1;
  __int128 v = 0;
  int frac = -1;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (frac >= 0) return false;
      frac = 0;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (frac >= 0) {
      if (frac == 16) {
        if (c != '0') return false;  // finer than the scale we keep
        continue;
      }
      ++frac;
    }
    v = v * 10 + (c - '0');
  }
  for (int k = frac < 0 ? 0 : frac; k < 16; ++k) v *= 10;
  out = neg ? -v : v;
  return true;
}

// The host side of one algo parent's runner (algos/algo.h): the engine's
// clock and timers, its child orders, its journal.
struct Engine::AlgoSlot final : algos::AlgoHost {
  AlgoSlot(Engine& en, OrderId o) : e(en), id(std::move(o)) {}
  WallNanos now() const override { return e.clock_.wallNow(); }
  void setTimer(WallNanos at) override { e.algoSetTimer(*this, at); }
  algos::SendResult sendChild(const algos::ChildOrder& c) override {
    return e.algoSendChild(*this, c);
  }
  void cancelChild(const ChildOrderId& child) override { e.algoCancelChild(*this, child); }
  void onParentDone(algos::ParentOutcome outcome, const std::string& reason) override {
    e.algoParentDone(*this, outcome, reason);
  }
  void onAlgoPaused(const std::string& reason) override { e.algoPaused(*this, reason, true); }
  void onAlgoResumed() override { e.algoPaused(*this, {}, false); }
  std::vector<algos::SorVenue> sorVenues(const Symbol& s) const override { return e.sorVenues(s); }

  Engine& e;
  OrderId id;
  std::unique_ptr<algos::AlgoRunner> runner;
  uint64_t timerGen = 0;  // a later setTimer replaces the earlier
  bool done = false;      // onParentDone came; the slot goes at the next turn of the loop
};

struct Engine::MarketDataPort final : MarketDataSink {
  explicit MarketDataPort(Engine& en) : e(en) {}
  void onBook(const TopOfBook& b) override {
    e.marketData_->onBook(b);
    // TCA's arrival mids, per venue: only the top goes along, not the depth.
    e.loop_.post([en = &e, v = b.venue, s = b.symbol, bid = b.bidPx, ask = b.askPx] {
      en->tca_.onQuote(v, s, bid, ask);
      en->flushOutbox();
    });
  }
  void onTrade(const Trade& t) override {
    e.marketData_->onTrade(t);
    e.loop_.post([en = &e, t] {
      en->tca_.onTrade(t, en->clock_.wallNow());  // TCA's interval volume and VWAP
      en->flushOutbox();
    });
  }
  Engine& e;
};

Engine::Engine(Executor& loop, const Clock& clock, risk::RiskEngine& risk, RoutingTable routing,
               std::map<VenueId, VenueAdapter*> venues, Journal& journal, ReportSink& reports,
               std::string idPrefix)
    : loop_(loop),
      clock_(clock),
      risk_(risk),
      routing_(std::move(routing)),
      venues_(std::move(venues)),
      journal_(journal),
      reports_(reports),
      ids_(std::move(idPrefix)) {
  // A trading day's orders without rehashing on the engine thread (a rehash
  // of 100k+ entries is a latency spike for whoever is waiting behind it).
  orders_.reserve(1 << 18);
  children_.reserve(1 << 18);
  marketData_ = std::make_unique<algos::MarketDataRelay>(loop_);
  marketDataPort_ = std::make_unique<MarketDataPort>(*this);
}

Engine::~Engine() {
  for (auto& [id, slot] : algos_)
    if (slot->runner) marketData_->detach(*slot->runner);
  if (sor_) sor_->unsubscribeAll(venues_);
}

// ---------------------------------------------------------------- ports

void Engine::submit(Command c) {
  // fix.engine_inline (core/executor.h): with the engine loop idle, handled
  // right here on the caller's thread, holding the loop's token, as a task of
  // the loop would be: no hand-off, no wake of the engine thread.
  if (loop_.tryRunInline([this, &c] { handle(c); })) return;
  // Through commandQueue_ (router/handoff_queue.h): the posted task holds no Command.
  commandQueue_.push(std::move(c), [this](uint64_t seq) {
    loop_.post([this, seq] {
      if (std::optional<Command> cmd = commandQueue_.take(seq)) handle(*cmd);
    });
  });
}

void Engine::sessionLoggedOn(const SessionKey& s) {
  loop_.post([this, s] { journal_.append(SessionEventRec{s, "LOGON", clock_.wallNow()}); });
}

void Engine::sessionLoggedOut(const SessionKey& s) {
  loop_.post([this, s] {
    journal_.append(SessionEventRec{s, "LOGOUT", clock_.wallNow()});
    if (!cancelOnDisconnect_.count(s)) return;
    int n = cancelAllOf(s, std::nullopt, std::nullopt, "DISCONNECT_CANCEL_REQUESTED", {});
    spdlog::info("session {} disconnected: cancel on disconnect for {} open order(s)", s.str(), n);
    flushOutbox();
  });
}

void Engine::onVenueEvent(VenueEvent e) {
  // Through venueEventQueue_ (router/handoff_queue.h): the posted task holds no VenueEvent.
  venueEventQueue_.push(std::move(e), [this](uint64_t seq) {
    loop_.post([this, seq] {
      if (const std::optional<VenueEvent> ev = venueEventQueue_.take(seq)) handleVenueEvent(*ev);
    });
  });
}

void Engine::send(ClientReport r) {
  ++stats_.reports;
  if (ackMode_ == AckMode::Async) {
    reports_.deliver(r);
  } else {
    outbox_.push_back(std::move(r));
  }
}

void Engine::flushOutbox() {
  if (risk_.hasCancelScopes()) processRiskCancels();  // halts with cancel, automatic halts
  if (outbox_.empty()) return;
  // Released by the journal thread once everything appended so far, which
  // includes the events behind these reports, is committed.
  // The batch waits in outboxBatches_ and the callback carries only its number,
  // so neither the callback nor the next outbox allocates (issue 15).
  const uint64_t seq = outboxBatches_.enqueue(std::move(outbox_));
  outbox_ = takeSpareOutbox();
  journal_.afterCommit([this, seq] { deliverOutboxBatch(seq); });
}

// Journal thread (after the commit), or the engine thread with a journal that
// runs callbacks at once.
void Engine::deliverOutboxBatch(uint64_t seq) {
  std::optional<std::vector<ClientReport>> batch = outboxBatches_.take(seq);
  if (!batch) return;
  for (const auto& r : *batch) reports_.deliver(r);
  batch->clear();
  std::lock_guard lk(spareOutboxMu_);
  if (spareOutboxes_.size() < kSpareOutboxes) spareOutboxes_.push_back(std::move(*batch));
}

std::vector<ClientReport> Engine::takeSpareOutbox() {
  std::vector<ClientReport> v;
  std::lock_guard lk(spareOutboxMu_);
  if (!spareOutboxes_.empty()) {
    v = std::move(spareOutboxes_.back());
    spareOutboxes_.pop_back();
  }
  return v;
}

void Engine::handle(Command& c) {
  ++stats_.commands;
  struct Flush {
    Engine* e;
    ~Flush() { e->flushOutbox(); }
  } flush{this};
  std::visit(
      [this](auto& cmd) {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, NewOrder>)
          onNew(cmd);
        else if constexpr (std::is_same_v<T, CancelOrder>)
          onCancel(cmd);
        else if constexpr (std::is_same_v<T, ReplaceOrder>)
          onReplace(cmd);
        else if constexpr (std::is_same_v<T, StatusRequest>)
          onStatus(cmd);
        else if constexpr (std::is_same_v<T, MassCancel>)
          onMassCancel(cmd);
        else if constexpr (std::is_same_v<T, MassStatusRequest>)
          onMassStatus(cmd);
        else
          onInvalid(cmd);
      },
      c);
}

// ---------------------------------------------------------------- index

ParentOrder* Engine::lookup(const SessionKey& s, const ClOrdId& id) {
  auto si = clOrdIndex_.find(s);
  if (si == clOrdIndex_.end()) return nullptr;
  auto it = si->second.find(id);
  if (it == si->second.end()) return nullptr;
  auto oi = orders_.find(it->second);
  return oi == orders_.end() ? nullptr : &oi->second;
}

const ParentOrder* Engine::find(const SessionKey& s, const ClOrdId& id) const {
  return const_cast<Engine*>(this)->lookup(s, id);
}

const ParentOrder* Engine::find(const OrderId& id) const {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

size_t Engine::openOrders() const {
  size_t n = 0;
  for (const auto& [id, p] : orders_) n += p.isOpen() ? 1 : 0;
  return n;
}

void Engine::index(const SessionKey& s, const ClOrdId& id, const OrderId& o) {
  // A session's index takes its nodes from the engine's pool (issue 15).
  auto si = clOrdIndex_.find(s);
  if (si == clOrdIndex_.end()) si = clOrdIndex_.try_emplace(s, &orderPool_).first;
  si->second.emplace(id, o);
}

bool Engine::clOrdIdUsed(const SessionKey& s, const ClOrdId& id) const {
  auto si = clOrdIndex_.find(s);
  return si != clOrdIndex_.end() && si->second.count(id) > 0;
}

ChildOrder* Engine::openChild(ParentOrder& p) {
  for (auto it = p.children.rbegin(); it != p.children.rend(); ++it) {
    auto ci = children_.find(*it);
    if (ci != children_.end() && !isTerminal(ci->second.status)) return &ci->second;
  }
  return nullptr;
}

// ---------------------------------------------------------------- journal + reports

ExecReport Engine::report(const ParentOrder& p, ExecType et) {
  ExecReport r;
  r.session = p.session;
  r.orderId = p.orderId;
  r.execId = ids_.nextExecId();
  r.clOrdId = p.clOrdId;
  r.origClOrdId = p.origClOrdId;
  r.execType = et;
  r.receivedAt = p.createdAt;  // metrics: ack latency
  r.ordStatus = p.status();
  r.account = p.account;
  r.symbol = p.symbol;
  r.side = p.side;
  r.ordType = p.ordType;
  r.tif = p.tif;
  r.orderQty = p.qty;
  r.price = p.price;
  r.stopPx = p.stopPx;
  r.leavesQty = p.leavesQty();
  r.cumQty = p.cumQty;
  r.avgPx = p.avgPx;
  r.transactTime = clock_.wallNow();
  r.details = p.details;
  return r;
}

void Engine::journalOrder(const ParentOrder& p, const SharedText& rawFix, bool created) {
  OrderRec o;
  o.orderId = p.orderId;
  o.session = p.session;
  o.clOrdId = p.clOrdId;
  o.origClOrdId = p.origClOrdId;
  o.account = p.account;
  o.symbol = p.symbol;
  o.side = p.side;
  o.ordType = p.ordType;
  o.tif = p.tif;
  o.qty = p.qty;
  o.price = p.price;
  o.stopPx = p.stopPx;
  o.status = p.status();
  o.cumQty = p.cumQty;
  o.leavesQty = p.leavesQty();
  o.avgPx = p.avgPx;
  if (!p.venue.empty()) o.venue = p.venue;
  o.rawFix = rawFix;
  o.createdAt = p.createdAt;
  o.updatedAt = clock_.wallNow();
  o.created = created;
  o.details = p.details;
  // A direct order's child rides in this row (schema 0020); every record of the parent carries it.
  if (p.children.size() == 1)
    if (const ChildOrder* c = child(p.children.front()); c && c->direct) {
      o.childStatus = c->status;
      if (!c->venueOrderId.empty()) o.venueOrderId = c->venueOrderId;
      if (c->qty != p.qty) o.childQty = c->qty;
      if (c->cumQty != p.cumQty) o.childCumQty = c->cumQty;
      if (c->price && c->price != p.price) o.childPrice = c->price;
      if (c->stopPx && c->stopPx != p.stopPx) o.childStopPx = c->stopPx;
    }
  journal_.append(std::move(o));
}

void Engine::journalChild(const ChildOrder& c, const ParentOrder& p, bool created) {
  if (c.direct) {  // no row of its own: the parent's row carries it
    journalOrder(p);
    return;
  }
  OrderRec o;
  o.orderId = OrderId::sharing(c.id);
  o.parentOrderId = p.orderId;
  o.session = p.session;
  o.clOrdId = ClOrdId::sharing(c.id);
  o.account = p.account;
  o.symbol = p.symbol;
  o.side = p.side;
  o.ordType = p.ordType;
  o.tif = p.tif;
  o.qty = c.qty;
  o.price = c.price;
  o.stopPx = c.stopPx;
  o.status = c.status;
  o.cumQty = c.cumQty;
  o.leavesQty = isTerminal(c.status) ? Qty{} : c.qty - c.cumQty;
  o.venue = c.venue;
  if (!c.venueOrderId.empty()) o.venueOrderId = c.venueOrderId;
  o.createdAt = p.createdAt;
  o.updatedAt = clock_.wallNow();
  o.created = created;
  journal_.append(std::move(o));
}

void Engine::journalEvent(const ParentOrder& p, const char* eventType, const ExecReport* r,
                          const std::string& reasonCode, const std::string& text,
                          const SharedText& rawFix, const ChildOrder* child) {
  OrderEventRec e;
  e.seq = ++eventSeq_;
  e.orderId = p.orderId;
  if (child) e.childOrderId = OrderId::sharing(child->id);
  e.session = p.session;
  e.clOrdId = r ? r->clOrdId : p.clOrdId;
  e.origClOrdId = r ? r->origClOrdId : p.origClOrdId;
  e.eventType = eventType;
  if (r) {
    e.execType = r->execType;
    e.execId = r->execId;
    e.lastQty = r->lastQty;
    e.lastPx = r->lastPx;
  }
  e.status = r ? r->ordStatus : p.status();
  e.qty = p.qty;
  e.price = p.price;
  e.cumQty = p.cumQty;
  e.leavesQty = p.leavesQty();
  e.avgPx = p.avgPx;
  e.reasonCode = reasonCode;
  e.text = text;
  e.rawFix = rawFix;
  e.ts = r ? r->transactTime : clock_.wallNow();
  journal_.append(std::move(e));
}

void Engine::emit(ParentOrder& p, ExecReport&& r, const char* eventType,
                  const std::string& reasonCode, const SharedText& rawFix,
                  const ChildOrder* child) {
  journalOrder(p);
  journalEvent(p, eventType, &r, reasonCode, r.text, rawFix, child);
  if (r.execType == ExecType::Trade) {
    ExecutionRec x;
    x.execId = r.execId;
    x.orderId = p.orderId;
    if (child) x.childOrderId = OrderId::sharing(child->id);
    x.session = p.session;
    x.clOrdId = r.clOrdId;
    x.account = p.account;
    x.symbol = p.symbol;
    x.side = p.side;
    x.lastQty = r.lastQty;
    x.lastPx = r.lastPx;
    x.cumQty = r.cumQty;
    x.leavesQty = r.leavesQty;
    x.avgPx = r.avgPx;
    // The venue that filled: the child's (an SOR or algo parent's children
    // are on several venues; the parent's may be the pseudo-venue "SOR").
    if (child && !child->venue.empty())
      x.venue = child->venue;
    else if (!p.venue.empty())
      x.venue = p.venue;
    if (currentFill_) {
      if (!currentFill_->venueExecId.empty()) x.venueExecId = currentFill_->venueExecId;
      x.fee = currentFill_->fee;
      x.feeCurrency = currentFill_->feeCurrency;
    }
    x.ts = r.transactTime;
    setExecContractSize(x);
    journal_.append(std::move(x));
  }
  if (!p.isOpen()) {
    risk_.onOrderClosed(p.orderId);  // open-order limits stop counting it
    tcaFinish(p);
  }
  send(std::move(r));  // the report's strings move into the outbox, not copied
}

// ---------------------------------------------------------------- new order

void Engine::rejectNew(ParentOrder& p, const std::string& rule, OrdRejReason reason,
                       const std::string& text) {
  p.baseStatus = OrdStatus::Rejected;
  ExecReport r = report(p, ExecType::Rejected);
  r.ordRejReason = reason;
  r.text = text;
  ++stats_.riskRejects;
  metricsReject(rule);
  emit(p, std::move(r), "REJECTED", rule, {});
}

void Engine::onNew(NewOrder& n) {
  const SessionKey& s = n.hdr.session;
  if (ParentOrder* existing = lookup(s, n.clOrdId)) {
    if (n.possResend) {
      // A resend of an order we already have: answer with its status, never a second order.
      ExecReport r = report(*existing, ExecType::OrderStatus);
      r.possResend = true;
      r.text = "PossResend: order already received";
      journalEvent(*existing, "POSS_RESEND_DUPLICATE", &r, {}, r.text, n.hdr.rawFix, nullptr);
      send(r);
      return;
    }
  }

  ParentOrder p(&orderPool_);
  p.orderId = ids_.nextOrderId();
  p.session = s;
  p.clOrdId = n.clOrdId;
  p.account = n.account;
  p.symbol = n.symbol;
  p.side = n.side;
  p.ordType = n.ordType;
  p.tif = n.tif;
  p.qty = n.qty;
  p.price = n.price;
  p.stopPx = n.stopPx;
  p.createdAt = n.hdr.receivedAt ? n.hdr.receivedAt : clock_.wallNow();
  p.details = std::move(n.details);

  const bool duplicate = clOrdIdUsed(s, n.clOrdId);
  auto [it, inserted] = orders_.emplace(p.orderId, std::move(p));
  ParentOrder& po = it->second;
  journalOrder(po, n.hdr.rawFix, /*created=*/inserted);
  journalEvent(po, "RECEIVED", nullptr, {}, {}, n.hdr.rawFix, nullptr);
  // What a direct order's ROUTED line is built from (schema 0021): this event, as received.
  const int64_t receivedSeq = eventSeq_;
  const Qty receivedQty = po.qty;
  const std::optional<Price> receivedPrice = po.price;

  if (duplicate) {
    // The index keeps pointing at the first order with this ClOrdID.
    rejectNew(po, "DUPLICATE_CLORDID", OrdRejReason::DuplicateOrder,
              fmt::format("DUPLICATE_CLORDID: ClOrdID (11) '{}' was already used in this session",
                          n.clOrdId.str()));
    return;
  }
  index(s, n.clOrdId, po.orderId);

  // Instrument fields (167, 200, 201, 202, 15, 207) name the contract: resolved
  // against the instrument master before risk sees the order.
  if (po.details && !po.details->instrument.empty()) {
    std::string why;
    const Instrument* inst = risk_.instruments().resolve(po.symbol, po.details->instrument, why);
    if (!inst) {
      rejectNew(po, "UNKNOWN_CONTRACT", OrdRejReason::UnknownSymbol, "UNKNOWN_CONTRACT: " + why);
      return;
    }
    po.symbol = inst->symbol;
  }

  const bool isAlgo = po.details && po.details->algo;
  if (isAlgo && hasStopPrice(po.ordType)) {
    rejectNew(po, "INVALID_ALGO_PARAMETER", OrdRejReason::Other,
              "INVALID_ALGO_PARAMETER: a stop order (OrdType (40) " +
                  std::string(toString(po.ordType)) + ") cannot carry a TargetStrategy");
    return;
  }
  if (isAlgo) {
    // Checked before risk so a bad parameter is answered naming its tag; the
    // risk check below then takes the parent's whole quantity and notional.
    algos::AlgoError err;
    if (!algoParams(po, *po.details, po.qty, po.createdAt, err)) {
      rejectNew(po, "INVALID_ALGO_PARAMETER", OrdRejReason::Other,
                "INVALID_ALGO_PARAMETER: " + err.text);
      return;
    }
  }

  risk::OrderIntent intent{po.account, po.symbol, po.side,    po.ordType, po.qty, po.price,
                           po.tif,     s,         po.orderId, po.clOrdId, Qty{},  po.stopPx};
  if (po.details) intent.parties = &po.details->parties;
  const MonoNanos riskT0 = clock_.monoNow();
  risk::RiskDecision d = risk_.checkNew(intent);
  metricsRiskCheck(clock_.monoNow() - riskT0);
  if (!d.accepted) {
    rejectNew(po, d.rule, d.reason, d.text);
    return;
  }
  // Risk may round to tick / lot (per instrument config): the order goes on as rounded.
  if (d.adjustedQty) po.qty = intent.qty = *d.adjustedQty;
  if (d.adjustedPrice) po.price = intent.price = *d.adjustedPrice;

  RouteResult route = routing_.route(po.symbol, po.account, n.exDestination,
                                     po.details ? &po.details->parties : nullptr);
  VenueAdapter* venue = nullptr;
  if (route.venue) {
    auto vi = venues_.find(*route.venue);
    if (vi != venues_.end())
      venue = vi->second;
    else
      route.error = "routing names venue '" + route.venue->str() + "' which is not running";
  }
  if (route.venue && isSorRoute(*route.venue)) {
    sorNewOrder(po, intent, d, isAlgo);
    return;
  }
  if (!venue) {
    rejectNew(po, "NO_ROUTE", OrdRejReason::BrokerOption, "NO_ROUTE: " + route.error);
    return;
  }

  po.venue = *route.venue;
  tcaStart(po);
  if (isAlgo) {
    // Parameters again, after risk's rounding of qty and price.
    algos::AlgoError err;
    auto params = algoParams(po, *po.details, po.qty, po.createdAt, err);
    if (!params) {
      rejectNew(po, "INVALID_ALGO_PARAMETER", OrdRejReason::Other,
                "INVALID_ALGO_PARAMETER: " + err.text);
      return;
    }
    risk_.onOrderOpen(po.orderId, intent);
    for (const OrderId& rid : d.cancelResting)
      if (auto it = orders_.find(rid); it != orders_.end())
        riskCancel(
            it->second, "SELF_TRADE",
            "canceled by self-trade prevention: order " + po.orderId.str() + " would cross it");
    startAlgo(po, std::move(*params));
    return;
  }
  ChildOrder c;
  // A direct order's one child is journaled in the parent's row (schema 0020), under an id
  // derived from the parent's.
  if (auto id = IdGenerator::directChildIdOf(po.orderId)) {
    c.id = std::move(*id);
    c.direct = true;
  } else {
    c.id = ids_.nextChildId();
  }
  c.parent = po.orderId;
  c.venue = po.venue;
  c.qty = po.qty;
  c.price = po.price;
  c.stopPx = po.stopPx;
  po.children.push_back(c.id);
  auto [ci, cins] = children_.emplace(c.id, std::move(c));
  ChildOrder& child = ci->second;
  journalChild(child, po, /*created=*/cins);
  if (child.direct && eventSeq_ == receivedSeq && po.qty == receivedQty &&
      po.price == receivedPrice) {
    // A direct order routed in the step that received it, as received: no ROUTED row. Readers
    // (v_order_lifecycle, schema 0021) show its line from the RECEIVED row and the order's row
    // (venue, child id), at the sequence number kept for it here.
    ++eventSeq_;
  } else {
    journalEvent(po, "ROUTED", nullptr, {}, "to " + po.venue.str(), {}, &child);
  }

  VenueNewOrder vo;
  vo.childId = child.id;
  vo.symbol = po.symbol;
  vo.side = po.side;
  vo.ordType = po.ordType;
  vo.tif = po.tif;
  vo.qty = child.qty;
  vo.price = child.price;
  vo.stopPx = child.stopPx;
  vo.account = po.account;
  if (po.details) vo.attrs = po.details->attrs;
  risk_.onOrderOpen(po.orderId, intent);
  // Self-trade prevention (cancel resting): the account's crossing orders go first.
  for (const OrderId& rid : d.cancelResting)
    if (auto it = orders_.find(rid); it != orders_.end())
      riskCancel(
          it->second, "SELF_TRADE",
          "canceled by self-trade prevention: order " + po.orderId.str() + " would cross it");
  child.sentAt = clock_.monoNow();  // metrics: venue round trip
  venue->submit(vo);
  armExpiry(po);
}

// ---------------------------------------------------------------- GTD expiry

void Engine::armExpiry(const ParentOrder& p) {
  const WallNanos at = p.expireTime();
  if (at == 0 || !p.isOpen() || p.algo) return;  // an algo's runner ends it at ExpireTime
  const int64_t delay = std::max<int64_t>(0, at - clock_.wallNow());
  loop_.postAfter(delay, [this, id = p.orderId] {
    expireIfDue(id);
    flushOutbox();
  });
}

void Engine::expireIfDue(const OrderId& id) {
  auto it = orders_.find(id);
  if (it == orders_.end()) return;
  ParentOrder& p = it->second;
  const WallNanos at = p.expireTime();
  // A replace may have moved the expiry: an earlier timer finds it not due and
  // the replace armed the new one.
  if (at == 0 || !p.isOpen() || at > clock_.wallNow()) return;
  if (p.pending) {
    // A client cancel or replace is in flight: look again once it has settled.
    loop_.postAfter(100'000'000, [this, id] {
      expireIfDue(id);
      flushOutbox();
    });
    return;
  }
  PendingRequest pr;
  pr.kind = PendingRequest::Kind::Cancel;
  pr.clOrdId = p.clOrdId;
  pr.origClOrdId = p.clOrdId;
  pr.massCancel = true;  // no client ClOrdID of its own
  pr.expiry = true;
  p.pending = std::move(pr);
  journalOrder(p);
  journalEvent(p, "EXPIRY_DUE", nullptr, "GTD",
               "ExpireTime " + formatFixTimestamp(at) + " reached: canceling at the venue", {},
               nullptr);
  dispatchPending(p);
}

// ---------------------------------------------------------------- cancel / replace

void Engine::cancelReject(const SessionKey& s, const ParentOrder* p, const ClOrdId& clOrdId,
                          const ClOrdId& origClOrdId, bool replace, int reason,
                          const std::string& text, const std::string& rule,
                          const SharedText& rawFix) {
  CancelReject cr;
  cr.session = s;
  if (p) cr.orderId = p->orderId;
  cr.clOrdId = clOrdId;
  cr.origClOrdId = origClOrdId;
  cr.ordStatus = p ? p->status() : OrdStatus::Rejected;
  cr.responseToReplace = replace;
  cr.cxlRejReason = reason;
  cr.text = text;
  cr.transactTime = clock_.wallNow();
  const char* ev = replace ? "REPLACE_REJECT" : "CANCEL_REJECT";
  if (p) {
    journalEvent(*p, ev, nullptr, rule, text, rawFix, nullptr);
  } else {
    // No order to hang it on; the audit trail still records the attempt.
    OrderEventRec e;
    e.seq = ++eventSeq_;
    e.orderId = OrderId("NONE");
    e.session = s;
    e.clOrdId = clOrdId;
    e.origClOrdId = origClOrdId;
    e.eventType = ev;
    e.status = OrdStatus::Rejected;
    e.reasonCode = rule;
    e.text = text;
    e.rawFix = rawFix;
    e.ts = cr.transactTime;
    journal_.append(std::move(e));
  }
  send(cr);
}

// The checks a cancel and a replace share: the order exists, the request's
// ClOrdID is new, the order is still working and has nothing pending. A
// refused request is answered (35=9) here and nullptr returned.
ParentOrder* Engine::admitAmend(const CommandHeader& h, const ClOrdId& clOrdId, const ClOrdId& orig,
                                bool replace) {
  const SessionKey& s = h.session;
  ParentOrder* p = lookup(s, orig);
  auto reject = [&](int reason, const std::string& text, const std::string& rule) {
    cancelReject(s, p, clOrdId, orig, replace, reason, text, rule, h.rawFix);
    return nullptr;
  };
  if (!p)
    return reject(1, fmt::format("Unknown order: OrigClOrdID (41) '{}'", orig.str()),
                  "UNKNOWN_ORDER");
  if (clOrdIdUsed(s, clOrdId))
    return reject(6, fmt::format("Duplicate ClOrdID (11) '{}'", clOrdId.str()),
                  "DUPLICATE_CLORDID");
  index(s, clOrdId, p->orderId);
  if (!replace) risk_.onCancelRequest(s, p->account);  // counted for throttles; never blocks
  if (!p->isOpen())
    return reject(0,
                  fmt::format("Too late to {}: order is {}", replace ? "replace" : "cancel",
                              toString(p->baseStatus)),
                  "TOO_LATE");
  if (p->pending)
    return reject(
        3,
        fmt::format("Order already has a pending {} (ClOrdID '{}')",
                    p->pending->kind == PendingRequest::Kind::Cancel ? "cancel" : "replace",
                    p->pending->clOrdId.str()),
        "PENDING");
  return p;
}

// Marks the request pending, answers PendingCancel/PendingReplace under the
// request's ClOrdID, and sends it to the venue (or waits for the venue's ack).
void Engine::startPending(ParentOrder& p, PendingRequest pr, ExecType et, const char* eventType) {
  pr.origClOrdId = p.clOrdId;
  const ClOrdId clOrdId = pr.clOrdId;
  const SharedText rawFix = pr.rawFix;  // a reference count, not a copy of the bytes
  p.pending = std::move(pr);
  ExecReport r = report(p, et);
  r.clOrdId = clOrdId;
  r.origClOrdId = p.clOrdId;
  emit(p, std::move(r), eventType, {}, rawFix);
  dispatchPending(p);
}

void Engine::onCancel(CancelOrder& c) {
  ParentOrder* p = admitAmend(c.hdr, c.clOrdId, c.origClOrdId, false);
  if (!p) return;
  PendingRequest pr;
  pr.kind = PendingRequest::Kind::Cancel;
  pr.clOrdId = c.clOrdId;
  pr.rawFix = c.hdr.rawFix;
  startPending(*p, std::move(pr), ExecType::PendingCancel, "CANCEL_REQUESTED");
}

void Engine::onReplace(ReplaceOrder& rq) {
  const SessionKey& s = rq.hdr.session;
  ParentOrder* p = admitAmend(rq.hdr, rq.clOrdId, rq.origClOrdId, true);
  if (!p) return;
  auto reject = [&](int reason, const std::string& text, const std::string& rule) {
    cancelReject(s, p, rq.clOrdId, rq.origClOrdId, true, reason, text, rule, rq.hdr.rawFix);
  };
  // A replace may name the contract by its Instrument fields, as the order did.
  if (rq.details && !rq.details->instrument.empty()) {
    std::string why;
    if (const Instrument* inst =
            risk_.instruments().resolve(rq.symbol, rq.details->instrument, why))
      rq.symbol = inst->symbol;
    else {
      reject(99, "UNKNOWN_CONTRACT: " + why, "UNKNOWN_CONTRACT");
      return;
    }
  }
  if (rq.symbol != p->symbol) {
    reject(99,
           fmt::format("Symbol (55) cannot change on replace ('{}' -> '{}')", p->symbol.str(),
                       rq.symbol.str()),
           "UNSUPPORTED_CHANGE");
    return;
  }
  if (rq.side != p->side) {
    reject(99, "Side (54) cannot change on replace", "UNSUPPORTED_CHANGE");
    return;
  }
  if (rq.ordType != p->ordType) {
    reject(99, "OrdType (40) cannot change on replace", "UNSUPPORTED_CHANGE");
    return;
  }
  if (rq.qty <= p->cumQty) {
    reject(99, fmt::format("OrderQty (38) {} must exceed CumQty {}", rq.qty.str(), p->cumQty.str()),
           "QTY_NOT_ABOVE_CUM");
    return;
  }
  std::optional<Price> newPrice = hasLimitPrice(p->ordType) ? rq.price : std::nullopt;
  std::optional<Price> newStopPx = hasStopPrice(p->ordType) ? rq.stopPx : std::nullopt;
  risk::OrderIntent intent{p->account, p->symbol, p->side,    p->ordType, rq.qty,    newPrice,
                           p->tif,     s,         p->orderId, rq.clOrdId, p->cumQty, newStopPx};
  if (rq.details) intent.parties = &rq.details->parties;
  risk::RiskDecision d = risk_.checkReplace(intent);
  if (!d.accepted) {
    ++stats_.riskRejects;
    reject(99, d.text, d.rule);
    return;
  }
  if (d.adjustedQty) rq.qty = *d.adjustedQty;
  if (d.adjustedPrice) newPrice = *d.adjustedPrice;
  std::shared_ptr<const algos::AlgoParams> newAlgo;
  if (p->algo) {
    AlgoSlot* slot = algoSlot(p->orderId);
    if (!slot) {
      reject(0, "Too late to replace: the algo order is finishing", "TOO_LATE");
      return;
    }
    algos::AlgoParams np = slot->runner->algoParams();
    if (rq.details && rq.details->algo) {
      // A replace restates the strategy; a start it omits stays as it was.
      algos::AlgoError err;
      auto parsed = algoParams(*p, *rq.details, rq.qty, np.start, err);
      if (!parsed) {
        reject(99, "INVALID_ALGO_PARAMETER: " + err.text, "INVALID_ALGO_PARAMETER");
        return;
      }
      np = std::move(*parsed);
    }
    np.limit = newPrice;  // Price (44) of the replace is the children's limit from now on
    newAlgo = std::make_shared<const algos::AlgoParams>(std::move(np));
  } else if (rq.details && rq.details->algo) {
    reject(99, "TargetStrategy (847) cannot be added on replace: send a new order",
           "UNSUPPORTED_CHANGE");
    return;
  }
  PendingRequest pr;
  pr.kind = PendingRequest::Kind::Replace;
  pr.clOrdId = rq.clOrdId;
  pr.newQty = rq.qty;
  pr.newPrice = newPrice;
  pr.newStopPx = newStopPx;
  pr.newDetails = rq.details;
  pr.rawFix = rq.hdr.rawFix;
  pr.newAlgoParams = std::move(newAlgo);
  startPending(*p, std::move(pr), ExecType::PendingReplace, "REPLACE_REQUESTED");
}

void Engine::dispatchPending(ParentOrder& p) {
  if (p.algo) {
    algoDispatchPending(p);
    return;
  }
  if (!p.pending || p.pending->sentToVenue) return;
  ChildOrder* c = openChild(p);
  if (!c) return;
  if (!c->acked) return;  // sent when the venue acknowledges the order
  auto vi = venues_.find(c->venue);
  if (vi == venues_.end()) return;
  p.pending->sentToVenue = true;
  if (p.pending->kind == PendingRequest::Kind::Cancel) {
    vi->second->cancel(VenueCancel{c->id, c->venueOrderId, p.symbol, p.side});
  } else {
    VenueReplace vr;
    vr.childId = c->id;
    vr.venueOrderId = c->venueOrderId;
    vr.symbol = p.symbol;
    vr.side = p.side;
    // Direct routing: the child carries the whole parent quantity.
    vr.newQty = p.pending->newQty - p.cumQty + c->cumQty;
    vr.newPrice = p.pending->newPrice;
    vr.newStopPx = p.pending->newStopPx;
    vi->second->replace(vr);
  }
}

// ---------------------------------------------------------------- status / mass cancel

void Engine::onStatus(StatusRequest& sr) {
  const SessionKey& s = sr.hdr.session;
  ParentOrder* p = lookup(s, sr.clOrdId);
  if (!p && sr.orderId) {
    auto it = orders_.find(*sr.orderId);
    if (it != orders_.end() && it->second.session == s) p = &it->second;
  }
  if (!p) {
    ExecReport r;
    r.session = s;
    r.orderId = OrderId("NONE");
    r.execId = ids_.nextExecId();
    r.clOrdId = sr.clOrdId;
    r.execType = ExecType::OrderStatus;
    r.ordStatus = OrdStatus::Rejected;
    r.symbol = sr.symbol;
    r.side = sr.side;
    r.ordRejReason = OrdRejReason::UnknownOrder;
    r.text = fmt::format("Unknown order: ClOrdID (11) '{}'", sr.clOrdId.str());
    r.transactTime = clock_.wallNow();
    r.ordStatusReqId = sr.ordStatusReqId;
    send(r);
    return;
  }
  ExecReport r = report(*p, ExecType::OrderStatus);
  r.ordStatusReqId = sr.ordStatusReqId;
  journalEvent(*p, "STATUS_REQUEST", &r, {}, {}, sr.hdr.rawFix, nullptr);
  send(r);
}

void Engine::onMassCancel(MassCancel& m) {
  const SessionKey& s = m.hdr.session;
  MassCancelReport rep;
  rep.session = s;
  rep.clOrdId = m.clOrdId;
  rep.orderId = ids_.nextOrderId();
  rep.requestType = m.requestType;
  rep.symbol = m.symbol;
  rep.transactTime = clock_.wallNow();
  if (m.requestType != '1' && m.requestType != '7') {
    rep.response = '0';
    rep.rejectReason = 99;
    rep.text = fmt::format("MassCancelRequestType (530) '{}' is not supported (use 1 or 7)",
                           m.requestType);
    send(rep);
    return;
  }
  if (m.requestType == '1' && !m.symbol) {
    rep.response = '0';
    rep.rejectReason = 99;
    rep.text = "Symbol (55) is required for MassCancelRequestType (530) 1";
    send(rep);
    return;
  }
  int affected = cancelAllOf(s, m.requestType == '1' ? m.symbol : std::nullopt, m.side,
                             "MASS_CANCEL_REQUESTED", m.hdr.rawFix);
  rep.response = m.requestType;
  rep.totalAffected = affected;
  send(rep);
}

void Engine::onMassStatus(MassStatusRequest& m) {
  const SessionKey& s = m.hdr.session;
  std::vector<ParentOrder*> match;
  for (auto& [id, p] : orders_) {
    if (p.session != s || !p.isOpen()) continue;
    if (m.reqType == 1 && m.symbol && p.symbol != *m.symbol) {
      // By symbol also finds the orders on contracts of that underlying.
      const Instrument* inst = risk_.instruments().find(p.symbol);
      if (!inst || inst->underlying != m.symbol->str()) continue;
    }
    if (m.reqType == 9 && m.account && p.account != *m.account) continue;
    if (m.reqType == 8) {
      bool has = false;
      if (p.details)
        for (const Party& pt : p.details->parties) has = has || pt.id == *m.partyId;
      if (!has) continue;
    }
    match.push_back(&p);
  }
  // Oldest first, so a client sees its orders in the order it sent them.
  std::sort(match.begin(), match.end(), [](const ParentOrder* a, const ParentOrder* b) {
    return a->createdAt != b->createdAt ? a->createdAt < b->createdAt : a->orderId < b->orderId;
  });
  if (match.empty()) {
    // One report says there is nothing to report (OrdStatus Rejected, no order).
    ExecReport r;
    r.session = s;
    r.orderId = OrderId("NONE");
    r.execId = ids_.nextExecId();
    r.clOrdId = ClOrdId("NONE");
    r.execType = ExecType::OrderStatus;
    r.ordStatus = OrdStatus::Rejected;
    r.symbol = m.symbol.value_or(Symbol("[N/A]"));
    r.text = "OrderMassStatusRequest " + m.massStatusReqId + ": no open orders match";
    r.transactTime = clock_.wallNow();
    r.massStatusReqId = m.massStatusReqId;
    r.totNumReports = 0;
    r.lastRptRequested = true;
    OrderEventRec e;
    e.seq = ++eventSeq_;
    e.orderId = OrderId("NONE");
    e.session = s;
    e.clOrdId = r.clOrdId;
    e.eventType = "MASS_STATUS_REQUEST";
    e.status = OrdStatus::Rejected;
    e.text = r.text;
    e.rawFix = m.hdr.rawFix;
    e.ts = r.transactTime;
    journal_.append(std::move(e));
    send(r);
    return;
  }
  const int n = static_cast<int>(match.size());
  for (int i = 0; i < n; ++i) {
    ExecReport r = report(*match[i], ExecType::OrderStatus);
    r.massStatusReqId = m.massStatusReqId;
    r.totNumReports = n;
    r.lastRptRequested = i == n - 1;
    // The request's raw message is kept once, on the first order's event.
    journalEvent(*match[i], "MASS_STATUS_REQUEST", &r, {}, "MassStatusReqID " + m.massStatusReqId,
                 i == 0 ? m.hdr.rawFix : SharedText(), nullptr);
    send(r);
  }
}

// ---------------------------------------------------------------- risk: kill switch

void Engine::riskCancel(ParentOrder& p, const std::string& rule, const std::string& text) {
  if (!p.isOpen() || p.pending) return;  // a pending cancel/replace settles it first
  PendingRequest pr;
  pr.kind = PendingRequest::Kind::Cancel;
  pr.clOrdId = p.clOrdId;
  pr.origClOrdId = p.clOrdId;
  pr.massCancel = true;  // no client ClOrdID of its own
  p.pending = std::move(pr);
  ExecReport r = report(p, ExecType::PendingCancel);
  r.text = text;
  emit(p, std::move(r), "RISK_CANCEL_REQUESTED", rule, {});
  dispatchPending(p);
}

void Engine::processRiskCancels() {
  for (const risk::CancelScope& sc : risk_.takeCancelScopes()) {
    std::vector<ParentOrder*> targets;
    for (auto& [id, p] : orders_) {
      if (!p.isOpen()) continue;
      if (sc.scope == risk::ScopeKind::Account && p.account.str() != sc.key) continue;
      if (sc.scope == risk::ScopeKind::Session && p.session.str() != sc.key) continue;
      if (sc.scope == risk::ScopeKind::Party) {
        bool has = false;
        if (p.details)
          for (const Party& pt : p.details->parties) has = has || pt.id == sc.key;
        if (!has) continue;
      }
      targets.push_back(&p);
    }
    spdlog::warn("risk: canceling {} open orders ({} {}): {}", targets.size(),
                 risk::toString(sc.scope), sc.key, sc.reason);
    for (ParentOrder* p : targets)
      riskCancel(*p, "HALTED", "Canceled: trading halted (" + sc.reason + ")");
  }
}

risk::StateChange Engine::setTradingState(risk::ScopeKind scope, const std::string& key,
                                          risk::TradingState st, const std::string& who,
                                          const std::string& why, bool cancelOpenOrders) {
  risk::StateChange c = risk_.setTradingState(scope, key, st, who, why, cancelOpenOrders);
  flushOutbox();  // runs the cancels and releases their reports
  return c;
}

// Admin cancel-all without halting (ops13): the scope filter of
// processRiskCancels, kept apart so that function stays as it is.
size_t Engine::cancelOpenOrdersInScope(risk::ScopeKind scope, const std::string& key,
                                       const std::string& why) {
  std::vector<ParentOrder*> targets;
  for (auto& [id, p] : orders_) {
    if (!p.isOpen() || p.pending) continue;
    if (scope == risk::ScopeKind::Account && p.account.str() != key) continue;
    if (scope == risk::ScopeKind::Session && p.session.str() != key) continue;
    if (scope == risk::ScopeKind::Party) {
      bool has = false;
      if (p.details)
        for (const Party& pt : p.details->parties) has = has || pt.id == key;
      if (!has) continue;
    }
    targets.push_back(&p);
  }
  spdlog::warn("admin: canceling {} open orders ({} {}) without halting: {}", targets.size(),
               risk::toString(scope), key, why);
  for (ParentOrder* p : targets) riskCancel(*p, "ADMIN_CANCEL_ALL", "Canceled: " + why);
  flushOutbox();
  return targets.size();
}

// ---------------------------------------------------------------- recovery

void Engine::restore(RecoveredState st) {
  for (auto& p : st.parents) {
    OrderId id = p.orderId;
    orders_[id] = std::move(p);
  }
  for (auto& c : st.children) {
    ChildOrderId id = c.id;
    children_[id] = std::move(c);
  }
  algoNoteRecovered(st.algoPauses, st.pendingCancels);
  for (auto& [s, cl, o] : st.clOrdIds) index(s, cl, o);
  for (auto& [c, x] : st.bookedFills) bookedFills_[c].insert(x);
  eventSeq_ = std::max(eventSeq_, st.maxEventSeq);
  // Risk: positions from every fill in time order, trading states, open orders.
  risk_.restore(st.riskFills, st.tradingStates);
  for (const auto& [id, p] : orders_)
    if (p.isOpen())
      risk_.onOrderOpen(
          id, risk::OrderIntent{p.account, p.symbol, p.side, p.ordType, p.qty, p.price, p.tif,
                                p.session, id, p.clOrdId, p.cumQty, p.stopPx});
  for (const auto& [id, p] : orders_) armExpiry(p);  // GTD orders expire on time after a restart
  int64_t nowMs = clock_.wallNow() / 1'000'000;
  int64_t curMs = IdGenerator::prefixMsOf(ids_.prefix() + "-");
  int64_t ms = std::max({nowMs, curMs, st.maxIdPrefixMs + 1});
  if (curMs >= 0) ids_.setPrefix(IdGenerator::prefixFromMs(ms));
  spdlog::info("recovered {} orders ({} open), {} child orders, {} ClOrdIDs; event seq {}",
               orders_.size(), openOrders(), children_.size(), st.clOrdIds.size(), eventSeq_);
}

void Engine::reconcileAll(WallNanos since) {
  std::set<VenueId> withOpen, asked;
  for (const auto& [id, c] : children_)
    if (!isTerminal(c.status)) withOpen.insert(c.venue);
  for (const VenueId& v : withOpen) {
    auto vi = venues_.find(v);
    if (vi == venues_.end()) {
      spdlog::error(
          "recovery: open child orders at venue {} which is not configured; they stay "
          "open until it is",
          v.str());
      continue;
    }
    std::vector<VenueOrderState> open;
    for (const auto& [id, c] : children_) {
      if (c.venue != v || isTerminal(c.status)) continue;
      auto pi = orders_.find(c.parent);
      if (pi == orders_.end()) continue;
      const ParentOrder& p = pi->second;
      VenueOrderState st;
      st.childId = id;
      st.venueOrderId = c.venueOrderId;
      st.symbol = p.symbol;
      st.side = p.side;
      st.qty = c.qty;
      st.cumQty = c.cumQty;
      st.price = c.price;
      st.stopPx = c.stopPx;
      st.ordType = p.ordType;
      st.tif = p.tif;
      if (p.details) st.attrs = p.details->attrs;
      open.push_back(std::move(st));
    }
    vi->second->adoptOpenOrders(open);
    spdlog::info("recovery: reconciling {} open order(s) with venue {}", open.size(), v.str());
    asked.insert(v);
    vi->second->requestSnapshot(since, [this, v](VenueSnapshot snap) {
      loop_.post([this, v, snap = std::move(snap)] { reconcile(v, snap); });
    });
  }
  algoRestoreAfterReconcile(asked);
}

void Engine::reconcile(const VenueId& v, const VenueSnapshot& snap) {
  if (!snap.ok) {
    spdlog::error("recovery: venue {} could not reconcile ({}); its open orders stay as journaled",
                  v.str(), snap.error);
    algoVenueReconciled(v);
    return;
  }
  reconciling_ = true;
  size_t booked = 0, resolved = 0, unknown = 0;
  for (const VenueFill& f : snap.fills) {
    auto ci = children_.find(f.childId);
    if (ci == children_.end()) {
      ++unknown;
      OrderEventRec e;
      e.seq = ++eventSeq_;
      e.orderId = OrderId("NONE");
      e.childOrderId = OrderId::sharing(f.childId);
      e.eventType = "UNKNOWN_VENUE_FILL";
      e.lastQty = f.qty;
      e.lastPx = f.px;
      e.text = "venue " + v.str() + " reports fill " + f.venueExecId.str() + " on order '" +
               f.childId.str() + "' the gateway does not know";
      e.reasonCode = "RECONCILE";
      e.ts = clock_.wallNow();
      journal_.append(std::move(e));
      continue;
    }
    if (bookedFills_[f.childId].count(f.venueExecId)) continue;
    VenueEvent e;
    e.kind = VenueEventKind::Fill;
    e.venue = v;
    e.childId = f.childId;
    e.venueOrderId = f.venueOrderId;
    e.venueExecId = f.venueExecId;
    e.lastQty = f.qty;
    e.lastPx = f.px;
    e.venueTime = f.time;
    handleVenueEvent(e);
    ++booked;
  }
  std::unordered_map<ChildOrderId, const VenueOrderState*> atVenue;
  for (const auto& o : snap.orders)
    if (o.open) atVenue[o.childId] = &o;
  std::vector<ChildOrderId> gone;
  for (auto& [id, c] : children_) {
    if (c.venue != v || isTerminal(c.status)) continue;
    auto it = atVenue.find(id);
    if (it == atVenue.end()) {
      gone.push_back(id);
    } else if (!c.acked) {
      VenueEvent e;
      e.kind = VenueEventKind::Accepted;
      e.venue = v;
      e.childId = id;
      e.venueOrderId = it->second->venueOrderId;
      handleVenueEvent(e);
    }
  }
  for (const ChildOrderId& id : gone) {
    ChildOrder& c = children_[id];
    c.status = OrdStatus::Canceled;
    auto pi = orders_.find(c.parent);
    if (pi == orders_.end()) continue;
    ParentOrder& p = pi->second;
    if (p.algo) {
      algoChildGoneOnReconcile(p, c, v);
      continue;
    }
    journalChild(c, p);
    if (!p.isOpen()) continue;
    p.pending.reset();
    p.baseStatus = OrdStatus::Canceled;
    ExecReport r = report(p, ExecType::Canceled);
    r.text =
        "Canceled by the gateway on recovery: venue " + v.str() + " no longer has this order open";
    emit(p, std::move(r), "RECONCILE_CANCELED", "RECONCILE", {}, &c);
    ++resolved;
  }
  reconciling_ = false;
  algoVenueReconciled(v);
  flushOutbox();
  spdlog::info(
      "recovery: venue {}: {} fills booked, {} orders resolved as canceled, {} unknown "
      "fills recorded",
      v.str(), booked, resolved, unknown);
}

// ---------------------------------------------------------------- invalid requests

void Engine::onInvalid(InvalidRequest& iv) {
  const SessionKey& s = iv.hdr.session;
  const std::string rule = "INVALID_FIELD_" + std::to_string(iv.refTag);
  if (iv.msgType == "D") {
    // Kept as a rejected order so the audit trail shows it by its ClOrdID,
    // but not indexed: the client may resend a corrected order with it.
    ParentOrder p;
    p.orderId = ids_.nextOrderId();
    p.session = s;
    p.clOrdId = iv.clOrdId;
    p.account = iv.account;
    p.symbol = iv.symbol;
    p.side = iv.side.value_or(Side::Buy);
    p.ordType = iv.ordType.value_or(OrdType::Limit);
    p.tif = iv.tif.value_or(TimeInForce::Day);
    p.qty = iv.qty.value_or(Qty{});
    p.price = iv.price;
    p.stopPx = iv.stopPx;
    p.createdAt = iv.hdr.receivedAt ? iv.hdr.receivedAt : clock_.wallNow();
    auto [it, ins] = orders_.emplace(p.orderId, std::move(p));
    ParentOrder& po = it->second;
    journalOrder(po, iv.hdr.rawFix, /*created=*/ins);
    journalEvent(po, "RECEIVED", nullptr, {}, {}, iv.hdr.rawFix, nullptr);
    po.baseStatus = OrdStatus::Rejected;
    ExecReport r = report(po, ExecType::Rejected);
    r.ordRejReason = OrdRejReason::Other;
    r.text = iv.text;
    emit(po, std::move(r), "REJECTED", rule, {});
    return;
  }
  if (iv.msgType == "F" || iv.msgType == "G") {
    ParentOrder* p = iv.origClOrdId ? lookup(s, *iv.origClOrdId) : nullptr;
    cancelReject(s, p, iv.clOrdId, iv.origClOrdId.value_or(ClOrdId("NONE")), iv.msgType == "G", 99,
                 iv.text, rule, iv.hdr.rawFix);
    return;
  }
  BusinessReject br;
  br.session = s;
  br.refSeqNum = iv.hdr.msgSeqNum;
  br.refMsgType = iv.msgType;
  br.businessRejectRefId = iv.clOrdId.str();
  br.reason = iv.businessRejectReason;
  br.text = iv.text;
  OrderEventRec e;
  e.seq = ++eventSeq_;
  ParentOrder* p = lookup(s, iv.clOrdId);
  e.orderId = p ? p->orderId : OrderId("NONE");
  e.session = s;
  e.clOrdId = iv.clOrdId;
  e.eventType = "BUSINESS_REJECT";
  e.status = p ? p->status() : OrdStatus::Rejected;
  e.reasonCode = rule;
  e.text = iv.text;
  e.rawFix = iv.hdr.rawFix;
  e.ts = clock_.wallNow();
  journal_.append(std::move(e));
  send(br);
}

int Engine::cancelAllOf(const SessionKey& s, const std::optional<Symbol>& symbol,
                        const std::optional<Side>& side, const char* eventType,
                        const SharedText& rawFix) {
  std::vector<ParentOrder*> targets;
  for (auto& [id, p] : orders_) {
    if (p.session != s || !p.isOpen() || p.pending) continue;
    if (symbol && p.symbol != *symbol) continue;
    if (side && p.side != *side) continue;
    targets.push_back(&p);
  }
  for (ParentOrder* p : targets) {
    PendingRequest pr;
    pr.kind = PendingRequest::Kind::Cancel;
    pr.clOrdId = p->clOrdId;
    pr.origClOrdId = p->clOrdId;
    pr.massCancel = true;
    pr.rawFix = rawFix;
    p->pending = std::move(pr);
    ExecReport r = report(*p, ExecType::PendingCancel);
    emit(*p, std::move(r), eventType, {}, rawFix);
    dispatchPending(*p);
  }
  return static_cast<int>(targets.size());
}

// ---------------------------------------------------------------- venue events

void Engine::bookFill(ParentOrder& p, ChildOrder& c, const VenueEvent& e) {
  currentFill_ = &e;
  c.cumQty += e.lastQty;
  if (c.cumQty >= c.qty)
    c.status = OrdStatus::Filled;
  else
    c.status = OrdStatus::PartiallyFilled;
  journalChild(c, p);
  if (p.cumQty + e.lastQty > p.qty)
    spdlog::error("{}overfill on order {}: cum {} + last {} > qty {} (venue {}); booking it",
                  orderLog(p, c), p.orderId.str(), p.cumQty.str(), e.lastQty.str(), p.qty.str(),
                  c.venue.str());
  p.cumQty += e.lastQty;
  p.rawNotional += rawProduct(e.lastPx, e.lastQty);
  p.avgPx = averageFromRaw(p.rawNotional, p.cumQty);
  p.baseStatus = p.cumQty >= p.qty ? OrdStatus::Filled : OrdStatus::PartiallyFilled;
  risk_.onFill(p.orderId, p.account, p.symbol, p.side, e.lastQty, e.lastPx, clock_.wallNow());
  ExecReport r = report(p, ExecType::Trade);
  r.lastQty = e.lastQty;
  r.lastPx = e.lastPx;
  r.lastMkt = c.venue;
  tcaFill(p, c, e);  // before emit: a completing fill closes the TCA there
  emit(p, std::move(r), reconciling_ ? "RECONCILED_FILL" : "FILL", {}, {}, &c);
  currentFill_ = nullptr;
}

void Engine::handleVenueEvent(const VenueEvent& e) {
  ++stats_.venueEvents;
  struct Flush {
    Engine* en;
    ~Flush() { en->flushOutbox(); }
  } flush{this};
  if (sor_ && (e.kind == VenueEventKind::Disconnected || e.kind == VenueEventKind::Reconnected))
    sor_->onConnection(e.venue, e.kind == VenueEventKind::Reconnected);
  if (e.kind == VenueEventKind::Disconnected || e.kind == VenueEventKind::Reconnected) {
    // Every algo parent hears it: its policy decides (pause, retry, finish).
    std::vector<OrderId> ids;
    for (const auto& [id, slot] : algos_)
      if (!slot->done) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (const OrderId& id : ids)
      if (AlgoSlot* slot = algoSlot(id)) {
        if (e.kind == VenueEventKind::Disconnected)
          slot->runner->onVenueDisconnected(e.venue);
        else
          slot->runner->onVenueReconnected(e.venue);
      }
  }
  auto ci = children_.find(e.childId);
  if (ci == children_.end()) {
    metricsVenueEvent(e, nullptr);
    ++stats_.unknownVenueEvents;
    if (e.kind != VenueEventKind::Disconnected && e.kind != VenueEventKind::Reconnected)
      spdlog::warn("{}venue {} sent {} for unknown child order '{}'",
                   log::orderFields("", "", "", e.childId.str(), e.venue.str()), e.venue.str(),
                   toString(e.kind), e.childId.str());
    else
      spdlog::info("venue {} {}: {}", e.venue.str(), toString(e.kind), e.text);
    return;
  }
  ChildOrder& c = ci->second;
  metricsVenueEvent(e, &c);
  auto pi = orders_.find(c.parent);
  if (pi == orders_.end()) return;
  ParentOrder& p = pi->second;
  if (p.algo) {
    algoChildEvent(p, c, e);
    return;
  }

  switch (e.kind) {
    case VenueEventKind::Accepted: {
      c.acked = true;
      c.venueOrderId = e.venueOrderId;
      if (c.status == OrdStatus::PendingNew) c.status = OrdStatus::New;
      journalChild(c, p);
      if (p.baseStatus == OrdStatus::PendingNew) {
        p.baseStatus = OrdStatus::New;
        emit(p, report(p, ExecType::New), "NEW", {}, {}, &c);
      }
      dispatchPending(p);
      break;
    }
    case VenueEventKind::Rejected: {
      c.status = OrdStatus::Rejected;
      journalChild(c, p);
      std::optional<PendingRequest> pend = std::move(p.pending);
      p.pending.reset();
      p.baseStatus = OrdStatus::Rejected;
      ExecReport r = report(p, ExecType::Rejected);
      r.ordRejReason = OrdRejReason::BrokerOption;
      r.text = "Venue " + c.venue.str() + " rejected: " + e.text;
      spdlog::warn("{}venue {} rejected child {}: {}", orderLog(p, c), c.venue.str(), c.id.str(),
                   e.text);
      emit(p, std::move(r), "VENUE_REJECT", "VENUE_REJECT", {}, &c);
      if (pend && !pend->massCancel)
        cancelReject(p.session, &p, pend->clOrdId, pend->origClOrdId,
                     pend->kind == PendingRequest::Kind::Replace, 0,
                     "Too late: order was rejected by the venue", "TOO_LATE", {});
      break;
    }
    case VenueEventKind::Fill: {
      if (!e.venueExecId.empty() && !bookedFills_[c.id].insert(e.venueExecId).second) {
        spdlog::warn("{}venue {} reported fill {} on child {} again; already booked, ignored",
                     orderLog(p, c), c.venue.str(), e.venueExecId.str(), c.id.str());
        break;
      }
      bookFill(p, c, e);
      break;
    }
    case VenueEventKind::Canceled:
    case VenueEventKind::Expired: {
      c.status = e.kind == VenueEventKind::Expired ? OrdStatus::Expired : OrdStatus::Canceled;
      journalChild(c, p);
      std::optional<PendingRequest> pend = std::move(p.pending);
      p.pending.reset();
      if (pend && pend->kind == PendingRequest::Kind::Replace)
        cancelReject(p.session, &p, pend->clOrdId, pend->origClOrdId, true, 0,
                     "Too late to replace: the venue canceled the order", "TOO_LATE", {});
      // IOC/FOK remainders and requested cancels report as Canceled; a venue
      // expiry of a resting order (end of day) reports as Expired.
      const bool expired =
          (pend && pend->expiry) ||
          (e.kind == VenueEventKind::Expired && !pend && p.tif != TimeInForce::Ioc &&
           p.tif != TimeInForce::Fok && p.ordType != OrdType::Market);
      p.baseStatus = expired ? OrdStatus::Expired : OrdStatus::Canceled;
      ExecReport r = report(p, expired ? ExecType::Expired : ExecType::Canceled);
      if (pend && pend->expiry) {
        r.text = "Expired: ExpireTime " + formatFixTimestamp(p.expireTime()) + " reached";
      } else if (pend && pend->kind == PendingRequest::Kind::Cancel) {
        r.clOrdId = pend->clOrdId;
        r.origClOrdId = pend->origClOrdId;
        if (!pend->massCancel) {
          p.origClOrdId = pend->origClOrdId;
          p.clOrdId = pend->clOrdId;
        }
      } else {
        r.text = e.text;
      }
      emit(p, std::move(r), expired ? "EXPIRED" : "CANCELED", {}, {}, &c);
      break;
    }
    case VenueEventKind::Replaced: {
      c.qty = e.newQty.isPositive() ? e.newQty : c.qty;
      if (e.newPrice) c.price = e.newPrice;
      if (p.pending && p.pending->kind == PendingRequest::Kind::Replace && p.pending->newStopPx)
        c.stopPx = p.pending->newStopPx;
      journalChild(c, p);
      if (!p.pending || p.pending->kind != PendingRequest::Kind::Replace) {
        spdlog::warn("{}venue {} replaced child {} with no replace pending", orderLog(p, c),
                     c.venue.str(), c.id.str());
        break;
      }
      PendingRequest pend = std::move(*p.pending);
      p.pending.reset();
      p.origClOrdId = p.clOrdId;
      p.clOrdId = pend.clOrdId;
      p.qty = pend.newQty;
      if (pend.newPrice) p.price = pend.newPrice;
      if (pend.newStopPx) p.stopPx = pend.newStopPx;
      p.details = std::move(pend.newDetails);  // a replace restates the order
      risk_.onReplaced(p.orderId, p.qty, p.price ? p.price : p.stopPx);
      p.baseStatus = p.cumQty >= p.qty       ? OrdStatus::Filled
                     : p.cumQty.isPositive() ? OrdStatus::PartiallyFilled
                                             : OrdStatus::New;
      emit(p, report(p, ExecType::Replaced), "REPLACED", {}, {}, &c);
      armExpiry(p);
      break;
    }
    case VenueEventKind::CancelRejected:
    case VenueEventKind::ReplaceRejected: {
      if (!p.pending) break;
      PendingRequest pend = std::move(*p.pending);
      p.pending.reset();
      journalOrder(p);
      const bool replace = pend.kind == PendingRequest::Kind::Replace;
      if (pend.massCancel) {
        journalEvent(p, "CANCEL_REJECT", nullptr, "VENUE_CANCEL_REJECT", e.text, {}, &c);
        break;
      }
      cancelReject(p.session, &p, pend.clOrdId, pend.origClOrdId, replace, p.isOpen() ? 99 : 0,
                   "Venue " + c.venue.str() + ": " + e.text,
                   replace ? "VENUE_REPLACE_REJECT" : "VENUE_CANCEL_REJECT", {});
      break;
    }
    case VenueEventKind::Disconnected:
    case VenueEventKind::Reconnected:
      break;
  }
}

// ---------------------------------------------------------------- execution algorithms

namespace {

// FIX 4.2 sends the strategy fields in user-defined tags (8847, 8849,
// 8957-8960): an error names the tag the client sent.
void toFix42Tags(algos::AlgoError& e) {
  std::string out;
  out.reserve(e.text.size() + 16);
  // "(847)" -> "(8847)", ... : the 4.4 tag numbers in parentheses get 4.2's.
  for (size_t i = 0; i < e.text.size(); ++i) {
    out += e.text[i];
    if (e.text[i] != '(' || i + 4 >= e.text.size() || e.text[i + 4] != ')') continue;
    const std::string_view num(e.text.data() + i + 1, 3);
    if (num == "847" || num == "849" || num == "957" || num == "958" || num == "959" ||
        num == "960")
      out += '8', out.append(num);
    else
      out.append(num);
    out += ')';
    i += 4;
  }
  e.text = std::move(out);
  for (int t : {847, 849, 957, 958, 959, 960})
    if (e.tag == t) e.tag = 8000 + t;
}

bool isFix42(const SessionKey& s) { return s.str().rfind("FIX.4.2:", 0) == 0; }

}  // namespace

const algos::AlgoRunner* Engine::algoRunner(const OrderId& id) const {
  auto it = algos_.find(id);
  return it == algos_.end() || it->second->done ? nullptr : it->second->runner.get();
}

Engine::AlgoSlot* Engine::algoSlot(const OrderId& id) {
  auto it = algos_.find(id);
  return it == algos_.end() || it->second->done ? nullptr : it->second.get();
}

std::optional<algos::AlgoParams> Engine::algoParams(const ParentOrder& p, const OrderDetails& d,
                                                    Qty qty, WallNanos defaultStart,
                                                    algos::AlgoError& error) const {
  const AlgoOrderFields& a = *d.algo;
  algos::AlgoFixFields f;
  f.targetStrategy = a.targetStrategy;
  f.effectiveTime = a.effectiveTime;
  f.expireTime = a.expireTime;
  f.participationRate = a.participationRate;
  f.maxFloor = a.maxFloor;
  f.price = a.price;
  f.minQty = a.minQty;
  f.noStrategyParameters = a.noStrategyParameters;
  for (const StrategyParam& sp : a.strategyParameters)
    f.strategyParameters.push_back({sp.name, sp.type, sp.value});
  algos::ParsedAlgoParams r = algos::parseAlgoParams(f, qty, defaultStart);
  const bool v42 = isFix42(p.session);
  if (!r.params) {
    error = std::move(r.error);
    if (v42) toFix42Tags(error);
    // Named with the strategy it was for, so the client sees which order.
    error.text = fmt::format("{} (TargetStrategy ({}) '{}')", error.text, v42 ? 8847 : 847,
                             a.targetStrategy);
    return std::nullopt;
  }
  if (hasLimitPrice(p.ordType) && p.price) r.params->limit = p.price;  // as risk rounded it
  // TargetStrategy SOR: the configured SOR policy (docs/sor.md).
  if (r.params->strategy == algos::Strategy::Sor) sorApplyConfig(*r.params, p.tif);
  if (r.params->strategy == algos::Strategy::Vwap && r.params->volumeProfile.empty())
    r.params->volumeProfile = marketData_->learnedProfile(p.symbol);
  return r.params;
}

void Engine::startAlgo(ParentOrder& p, algos::AlgoParams params) {
  p.algo = true;
  algos::ParentOrder ap;
  ap.orderId = p.orderId;
  ap.symbol = p.symbol;
  ap.side = p.side;
  ap.qty = p.qty;
  if (const Instrument* inst = risk_.instruments().find(p.symbol);
      inst && inst->lotSize.isPositive())
    ap.lotSize = inst->lotSize;
  auto slot = std::make_unique<AlgoSlot>(*this, p.orderId);
  algos::AlgoError err;
  std::unique_ptr<algos::AlgoRunner> runner = algos::AlgoRunner::create(ap, params, *slot, &err);
  if (!runner) {
    if (isFix42(p.session)) toFix42Tags(err);
    rejectNew(p, "INVALID_ALGO_PARAMETER", OrdRejReason::Other,
              "INVALID_ALGO_PARAMETER: " + err.text);
    return;
  }
  slot->runner = std::move(runner);
  AlgoSlot& s = *algos_.emplace(p.orderId, std::move(slot)).first->second;
  algoRememberParams(p, s.runner->algoParams(), std::nullopt);
  p.baseStatus = OrdStatus::New;
  emit(p, report(p, ExecType::New), "NEW", {}, {});
  const algos::AlgoParams& ps = s.runner->algoParams();
  std::string what = fmt::format("{} on {}: start {}", algos::toString(ps.strategy), p.venue.str(),
                                 formatFixTimestamp(ps.start));
  if (ps.end) what += ", end " + formatFixTimestamp(ps.end);
  if (ps.participationRate) what += ", rate " + ps.participationRate->str();
  if (ps.displayQty) what += ", MaxFloor " + ps.displayQty->str();
  if (ps.limit) what += ", limit " + ps.limit->str();
  if (ps.strategy == algos::Strategy::Twap || ps.strategy == algos::Strategy::Vwap)
    what += fmt::format(", slice interval {}s", ps.sliceIntervalNanos / 1'000'000'000);
  journalEvent(p, "ALGO_STARTED", nullptr, "ALGO", what, {}, nullptr);
  if (isSorRoute(p.venue) || ps.strategy == algos::Strategy::Sor)
    sorStart(p, ps.strategy != algos::Strategy::Sor);  // the SOR's books, with depth
  if (!isSorRoute(p.venue)) subscribeMarketData(p.venue, p.symbol, p.orderId);
  for (const VenueId& v : ps.venues) subscribeMarketData(v, p.symbol, p.orderId);
  s.runner->start();
  if (!s.done) marketData_->attach(*s.runner);
}

void Engine::subscribeMarketData(const VenueId& v, const Symbol& s, const OrderId& parent) {
  if (!marketDataSubscribed_.emplace(v, s).second) return;
  auto vi = venues_.find(v);
  MarketDataStatus st;
  if (vi == venues_.end())
    st.error = "venue '" + v.str() + "' is not running";
  else
    st = vi->second->subscribeMarketData(s, *marketDataPort_, 1);
  if (st.ok) return;
  marketDataSubscribed_.erase({v, s});  // the next algo parent tries again
  spdlog::warn("{}algo {}: no market data for {} from {}: {}", orderLog(orders_, parent),
               parent.str(), s.str(), v.str(), st.error);
  if (auto it = orders_.find(parent); it != orders_.end())
    journalEvent(it->second, "MARKET_DATA_UNAVAILABLE", nullptr, "ALGO", st.error, {}, nullptr);
}

void Engine::algoSetTimer(AlgoSlot& s, WallNanos at) {
  const uint64_t gen = ++s.timerGen;
  const int64_t delay = std::max<int64_t>(0, at - clock_.wallNow());
  loop_.postAfter(delay, [this, id = s.id, gen] {
    AlgoSlot* slot = algoSlot(id);
    if (!slot || slot->timerGen != gen) return;  // finished, or the timer was moved
    slot->runner->onTimer();
    flushOutbox();
  });
}

algos::SendResult Engine::algoSendChild(AlgoSlot& s, const algos::ChildOrder& c) {
  algos::SendResult res;
  auto pi = orders_.find(s.id);
  if (pi == orders_.end()) {
    res.error = "parent " + s.id.str() + " is unknown";
    return res;
  }
  ParentOrder& p = pi->second;
  // Risk on every child: the parent's whole quantity and notional passed on
  // arrival; a halt since then stops the children.
  if (risk_.effectiveState(p.account, p.session) == risk::TradingState::Halted) {
    res.error = "HALTED: trading is halted for account " + p.account.str() + " / session " +
                p.session.str();
    return res;
  }
  auto avoided = [&](const VenueId& v) {
    return std::find(c.avoid.begin(), c.avoid.end(), v) != c.avoid.end();
  };
  std::string sorWhy;  // an algo slice routed by the SOR: its reason
  const VenueId vid = c.venue               ? *c.venue
                      : isSorRoute(p.venue) ? sorSliceVenue(p, c, sorWhy)
                                            : p.venue;
  if (vid.empty()) {
    res.error = "NO_ROUTE: " + sorWhy;
    return res;
  }
  if (!c.venue && avoided(vid)) {
    res.error =
        "NO_ROUTE: venue " + vid.str() + " is avoided for this parent and no other is named";
    return res;
  }
  auto vi = venues_.find(vid);
  if (vi == venues_.end()) {
    res.error = "NO_ROUTE: venue '" + vid.str() + "' is not running";
    return res;
  }
  ChildOrder ch;
  ch.id = ids_.nextChildId();
  ch.parent = p.orderId;
  ch.venue = vid;
  ch.qty = c.qty;
  ch.price = c.limit;
  p.children.push_back(ch.id);
  auto [ci, inserted] = children_.emplace(ch.id, std::move(ch));
  ChildOrder& child = ci->second;
  journalChild(child, p, /*created=*/inserted);
  // The algorithm's reason goes with the child: the ROUTED event's text.
  journalEvent(p, "ROUTED", nullptr, "ALGO", "to " + vid.str() + ": " + c.reason + sorWhy, {},
               &child);

  VenueNewOrder vo;
  vo.childId = child.id;
  vo.symbol = p.symbol;
  vo.side = p.side;
  vo.ordType = child.price ? OrdType::Limit : OrdType::Market;
  // The runner ends the schedule, so children rest until then; an SOR
  // sweep takes what is there now and no more.
  vo.tif = c.ioc ? TimeInForce::Ioc : TimeInForce::Day;
  vo.qty = child.qty;
  vo.price = child.price;
  vo.account = p.account;
  if (p.details) vo.attrs = p.details->attrs;
  // MinQty, MaxFloor and ExpireTime are the algorithm's, not the child's.
  vo.attrs.minQty.reset();
  vo.attrs.maxFloor = c.displayQty;
  vo.attrs.expireTime = 0;
  if (sor_) sor_->onChildSent(child.id, vid);
  child.sentAt = clock_.monoNow();  // metrics: venue round trip
  vi->second->submit(vo);
  res.id = child.id;
  return res;
}

void Engine::sendChildCancel(const ParentOrder& p, ChildOrder& c) {
  if (c.cancelSent || isTerminal(c.status)) return;
  auto vi = venues_.find(c.venue);
  if (vi == venues_.end()) return;
  c.cancelSent = true;
  vi->second->cancel(VenueCancel{c.id, c.venueOrderId, p.symbol, p.side});
}

void Engine::algoCancelChild(AlgoSlot& s, const ChildOrderId& id) {
  auto ci = children_.find(id);
  auto pi = orders_.find(s.id);
  if (ci == children_.end() || pi == orders_.end()) return;
  ChildOrder& c = ci->second;
  if (isTerminal(c.status) || c.cancelWanted) return;
  c.cancelWanted = true;
  journalEvent(pi->second, "CHILD_CANCEL_REQUESTED", nullptr, "ALGO", "cancel " + c.id.str(), {},
               &c);
  if (c.acked) sendChildCancel(pi->second, c);  // else once the venue acks it
}

void Engine::algoPaused(AlgoSlot& s, const std::string& reason, bool paused) {
  auto pi = orders_.find(s.id);
  if (pi == orders_.end()) return;
  spdlog::warn("{}algo {} {}{}", orderLog(pi->second), s.id.str(), paused ? "paused: " : "resumed",
               reason);
  journalEvent(pi->second, paused ? "ALGO_PAUSED" : "ALGO_RESUMED", nullptr, "ALGO", reason, {},
               nullptr);
}

void Engine::algoParentDone(AlgoSlot& s, algos::ParentOutcome outcome, const std::string& reason) {
  s.done = true;
  if (s.runner) marketData_->detach(*s.runner);
  // The runner is still on the stack: it goes at the next turn of the loop.
  loop_.post([this, id = s.id] { algos_.erase(id); });
  auto pi = orders_.find(s.id);
  if (pi == orders_.end()) return;
  ParentOrder& p = pi->second;
  journalEvent(p, "ALGO_DONE", nullptr, std::string(algos::toString(outcome)), reason, {}, nullptr);
  std::optional<PendingRequest> pend = std::move(p.pending);
  p.pending.reset();
  const bool clientCancel = pend && pend->kind == PendingRequest::Kind::Cancel && !pend->expiry;
  if (outcome == algos::ParentOutcome::Filled || !p.isOpen()) {
    // The last fill reported it Filled; a cancel that raced it is too late.
    journalOrder(p);
    if (pend && !pend->massCancel)
      cancelReject(p.session, &p, pend->clOrdId, pend->origClOrdId,
                   pend->kind == PendingRequest::Kind::Replace, 0,
                   fmt::format("Too late to {}: order is {}",
                               pend->kind == PendingRequest::Kind::Replace ? "replace" : "cancel",
                               toString(p.baseStatus)),
                   "TOO_LATE", {});
    return;
  }
  const bool expired =
      !clientCancel && (outcome == algos::ParentOutcome::Expired || (pend && pend->expiry));
  p.baseStatus = expired ? OrdStatus::Expired : OrdStatus::Canceled;
  ExecReport r = report(p, expired ? ExecType::Expired : ExecType::Canceled);
  if (clientCancel) {
    r.clOrdId = pend->clOrdId;
    r.origClOrdId = pend->origClOrdId;
    if (!pend->massCancel) {
      p.origClOrdId = pend->origClOrdId;
      p.clOrdId = pend->clOrdId;
    }
    if (outcome != algos::ParentOutcome::Canceled) r.text = reason;
  } else {
    r.text = (outcome == algos::ParentOutcome::Expired   ? "Expired: "
              : outcome == algos::ParentOutcome::Stopped ? "Stopped by the algo: "
                                                         : "Canceled: ") +
             reason;
  }
  if (pend && pend->kind == PendingRequest::Kind::Replace)
    cancelReject(p.session, &p, pend->clOrdId, pend->origClOrdId, true, 0,
                 "Too late to replace: the algo order finished", "TOO_LATE", {});
  emit(p, std::move(r), expired ? "EXPIRED" : "CANCELED", "ALGO", {});
}

void Engine::algoDispatchPending(ParentOrder& p) {
  if (!p.pending || p.pending->sentToVenue) return;
  AlgoSlot* s = algoSlot(p.orderId);
  if (!s) return;  // finishing: its outcome answers the request
  p.pending->sentToVenue = true;
  if (p.pending->kind == PendingRequest::Kind::Cancel) {
    s->runner->cancel();  // every live child; onParentDone once none is live
    return;
  }
  std::optional<algos::AlgoError> err;
  if (!p.pending->newAlgoParams)
    err = algos::AlgoError{0, "no parameters for the replace"};
  else
    err = s->runner->replace(*p.pending->newAlgoParams, p.pending->newQty);
  PendingRequest pend = std::move(*p.pending);
  p.pending.reset();
  if (err) {
    journalOrder(p);
    if (isFix42(p.session)) toFix42Tags(*err);
    cancelReject(p.session, &p, pend.clOrdId, pend.origClOrdId, true, err->tag == 0 ? 0 : 99,
                 err->tag == 0 ? "Too late to replace: " + err->text
                               : "INVALID_ALGO_PARAMETER: " + err->text,
                 err->tag == 0 ? "TOO_LATE" : "INVALID_ALGO_PARAMETER", {});
    return;
  }
  p.origClOrdId = p.clOrdId;
  p.clOrdId = pend.clOrdId;
  p.qty = pend.newQty;
  p.price = pend.newPrice;
  std::optional<AlgoOrderFields> earlier = p.details ? p.details->algo : std::nullopt;
  p.details = std::move(pend.newDetails);  // a replace restates the order
  algoRememberParams(p, s->runner->algoParams(), earlier);
  risk_.onReplaced(p.orderId, p.qty, p.price);
  p.baseStatus = p.cumQty >= p.qty       ? OrdStatus::Filled
                 : p.cumQty.isPositive() ? OrdStatus::PartiallyFilled
                                         : OrdStatus::New;
  emit(p, report(p, ExecType::Replaced), "REPLACED", {}, {});
}

void Engine::algoChildEvent(ParentOrder& p, ChildOrder& c, const VenueEvent& e) {
  sorOnChildEvent(c, e);
  AlgoSlot* s = algoSlot(p.orderId);
  algos::AlgoRunner* runner = s ? s->runner.get() : nullptr;
  switch (e.kind) {
    case VenueEventKind::Accepted:
      c.acked = true;
      c.venueOrderId = e.venueOrderId;
      if (c.status == OrdStatus::PendingNew) c.status = OrdStatus::New;
      journalChild(c, p);
      if (runner) runner->onChildAccepted(c.id);
      if (c.cancelWanted) sendChildCancel(p, c);
      break;
    case VenueEventKind::Rejected:
      c.status = OrdStatus::Rejected;
      journalChild(c, p);
      spdlog::warn("{}venue {} rejected algo child {}: {}", orderLog(p, c), c.venue.str(),
                   c.id.str(), e.text);
      journalEvent(p, "CHILD_REJECTED", nullptr, "VENUE_REJECT",
                   "child " + c.id.str() + " rejected by " + c.venue.str() + ": " + e.text, {}, &c);
      if (runner) runner->onChildRejected(c.id, e.text);
      break;
    case VenueEventKind::Fill:
      if (!e.venueExecId.empty() && !bookedFills_[c.id].insert(e.venueExecId).second) {
        spdlog::warn("{}venue {} reported fill {} on child {} again; already booked, ignored",
                     orderLog(p, c), c.venue.str(), e.venueExecId.str(), c.id.str());
        break;
      }
      bookFill(p, c, e);  // the client sees it as a fill of the parent
      if (runner) runner->onChildFill(c.id, e.lastQty, e.lastPx);
      break;
    case VenueEventKind::Canceled:
    case VenueEventKind::Expired:
      c.status = e.kind == VenueEventKind::Expired ? OrdStatus::Expired : OrdStatus::Canceled;
      journalChild(c, p);
      if (runner) runner->onChildCanceled(c.id);
      break;
    case VenueEventKind::CancelRejected:
    case VenueEventKind::ReplaceRejected:
      journalEvent(p, "CHILD_CANCEL_REJECT", nullptr, "VENUE_CANCEL_REJECT",
                   "venue " + c.venue.str() + " refused to cancel " + c.id.str() + ": " + e.text,
                   {}, &c);
      break;
    case VenueEventKind::Replaced:
    case VenueEventKind::Disconnected:
    case VenueEventKind::Reconnected:
      spdlog::warn("{}venue {} sent {} for algo child {}; ignored", orderLog(p, c), c.venue.str(),
                   toString(e.kind), c.id.str());
      break;
  }
}

// ---------------------------------------------------------------- algo parents across a restart

void Engine::algoRememberParams(ParentOrder& p, const algos::AlgoParams& ps,
                                const std::optional<AlgoOrderFields>& earlier) {
  auto d =
      p.details ? std::make_shared<OrderDetails>(*p.details) : std::make_shared<OrderDetails>();
  if (!d->algo) {
    if (!earlier) return;
    d->algo = *earlier;  // a replace that did not restate the strategy keeps it
  }
  AlgoOrderFields& a = *d->algo;
  // The start a replace omits stays (onReplace), so it is kept resolved: the
  // fields alone would give the arrival time back.
  a.resolvedStartNs = ps.start;
  a.learnedProfile.clear();
  const bool profileSent =
      std::any_of(a.strategyParameters.begin(), a.strategyParameters.end(),
                  [](const StrategyParam& sp) { return sp.name == "Profile"; });
  if (ps.strategy == algos::Strategy::Vwap && !profileSent) {
    // The relay's learned profile is not in the journal and would be gone
    // after a restart: the same schedule needs the same weights.
    for (const algos::ProfileBucket& b : ps.volumeProfile)
      a.learnedProfile += fmt::format("{}{:02}{:02}:{}", a.learnedProfile.empty() ? "" : ",",
                                      b.minuteOfDay / 60, b.minuteOfDay % 60, b.weight);
  }
  p.details = std::move(d);
}

void Engine::algoNoteRecovered(const std::vector<std::pair<OrderId, std::string>>& pauses,
                               const std::vector<RecoveredState::PendingCancel>& cancels) {
  size_t n = 0;
  for (auto& [id, p] : orders_) {
    if (!p.isOpen() || !p.details || !p.details->algo) continue;
    // Its children are the runner's: no direct-order handling (GTD expiry,
    // cancel of the one open child) applies.
    p.algo = true;
    ++n;
  }
  for (const auto& [id, text] : pauses) algoPausedAtRestart_[id] = text;
  for (const auto& c : cancels) algoCancelAtRestart_[c.orderId] = c;
  if (n) spdlog::info("recovery: {} working algo parent(s) to resume", n);
}

void Engine::algoRestoreAfterReconcile(const std::set<VenueId>& asked) {
  std::vector<OrderId> now;
  for (auto& [id, p] : orders_) {
    if (!p.algo || !p.isOpen() || algos_.count(id)) continue;
    std::set<VenueId> wait;
    for (const ChildOrderId& cid : p.children) {
      auto ci = children_.find(cid);
      if (ci != children_.end() && !isTerminal(ci->second.status) && asked.count(ci->second.venue))
        wait.insert(ci->second.venue);
    }
    if (wait.empty())
      now.push_back(id);  // nothing open, or only at venues that cannot reconcile
    else
      algoAwaitingReconcile_[id] = std::move(wait);
  }
  std::sort(now.begin(), now.end());  // a fixed order: the new child ids are reproducible
  for (const OrderId& id : now) restoreAlgo(orders_.at(id));
  if (!algoAwaitingReconcile_.empty()) {
    // A venue that never answers its snapshot must not hold the parent
    // forever: its children then stay live as journaled (counting against the
    // leaves) and the schedule goes on.
    loop_.postAfter(kAlgoRestoreWaitNanos, [this] {
      std::vector<OrderId> late;
      for (const auto& [id, venues] : algoAwaitingReconcile_) late.push_back(id);
      std::sort(late.begin(), late.end());
      for (const OrderId& id : late) {
        spdlog::warn("{}recovery: algo {}: venue snapshot not in after {} s, resuming anyway",
                     orderLog(orders_, id), id.str(), kAlgoRestoreWaitNanos / 1'000'000'000);
        if (auto it = orders_.find(id); it != orders_.end()) restoreAlgo(it->second);
      }
      flushOutbox();
    });
  }
  flushOutbox();
}

void Engine::algoVenueReconciled(const VenueId& v) {
  std::vector<OrderId> ready;
  for (auto& [id, venues] : algoAwaitingReconcile_)
    if (venues.erase(v) && venues.empty()) ready.push_back(id);
  std::sort(ready.begin(), ready.end());
  for (const OrderId& id : ready)
    if (auto it = orders_.find(id); it != orders_.end()) restoreAlgo(it->second);
}

void Engine::algoChildGoneOnReconcile(ParentOrder& p, ChildOrder& c, const VenueId& v) {
  journalChild(c, p);
  journalEvent(p, "RECONCILE_CHILD_CANCELED", nullptr, "RECONCILE",
               "child " + c.id.str() + " canceled on recovery: venue " + v.str() +
                   " no longer has it open (filled " + c.cumQty.str() + " of " + c.qty.str() +
                   "); the algo goes on",
               {}, &c);
  if (AlgoSlot* s = algoSlot(p.orderId)) s->runner->onChildCanceled(c.id);
}

void Engine::restoreAlgo(ParentOrder& p) {
  algoAwaitingReconcile_.erase(p.orderId);
  if (!p.algo || !p.isOpen() || algos_.count(p.orderId) || !p.details || !p.details->algo) return;
  const AlgoOrderFields& a = *p.details->algo;
  OrderDetails d = *p.details;
  if (!a.learnedProfile.empty()) {
    d.algo->strategyParameters.push_back({"Profile", "14", a.learnedProfile});
    if (d.algo->noStrategyParameters) ++*d.algo->noStrategyParameters;
  }
  // The same conversion as on arrival (limit = the order's price as risk
  // rounded it, qty = the current one, a replace's fields if it had some).
  algos::AlgoError err;
  auto params = algoParams(p, d, p.qty, a.resolvedStartNs ? a.resolvedStartNs : p.createdAt, err);
  if (!params) {
    algoRestoreFailed(p, err.text);
    return;
  }
  algos::ParentOrder ap;
  ap.orderId = p.orderId;
  ap.symbol = p.symbol;
  ap.side = p.side;
  ap.qty = p.qty;
  if (const Instrument* inst = risk_.instruments().find(p.symbol);
      inst && inst->lotSize.isPositive())
    ap.lotSize = inst->lotSize;
  auto slot = std::make_unique<AlgoSlot>(*this, p.orderId);
  std::unique_ptr<algos::AlgoRunner> runner =
      algos::AlgoRunner::create(ap, std::move(*params), *slot, &err);
  if (!runner) {
    algoRestoreFailed(p, err.text);
    return;
  }
  slot->runner = std::move(runner);
  AlgoSlot& s = *algos_.emplace(p.orderId, std::move(slot)).first->second;

  // The journal's cum and average price (reconciliation has booked what the
  // venues filled during the outage), and the children still open at their
  // venues: they count against the leaves, so nothing is sent twice.
  algos::AlgoRestoreState st;
  st.cumQty = p.cumQty;
  st.avgPx = p.avgPx;
  Qty liveOpen;
  for (const ChildOrderId& cid : p.children) {
    auto ci = children_.find(cid);
    if (ci == children_.end() || isTerminal(ci->second.status)) continue;
    const ChildOrder& c = ci->second;
    algos::LiveChild l;
    l.id = c.id;
    l.qty = c.qty;
    l.cum = c.cumQty;
    l.limit = c.price;
    l.venue = c.venue;
    l.accepted = c.acked;
    liveOpen += l.open();
    st.liveChildren.push_back(std::move(l));
  }
  if (auto pi = algoPausedAtRestart_.find(p.orderId); pi != algoPausedAtRestart_.end()) {
    // A pause for a venue disconnect is over: the restart reconnected the
    // venues. A pause for a reject waits for a replace or an operator, as before.
    const std::string& why = pi->second;
    if (why.find(" disconnected with ") == std::string::npos) {
      st.paused = true;
      st.pauseReason = why;
    }
    algoPausedAtRestart_.erase(pi);
  }
  const auto cancelAtStop = algoCancelAtRestart_.find(p.orderId);
  if (cancelAtStop != algoCancelAtRestart_.end() && !p.pending) {
    // It is about to be cancelled (below): it must not send a child first.
    st.paused = true;
    st.pauseReason = "cancel " + cancelAtStop->second.clOrdId.str() + " pending at the stop";
  }
  const algos::AlgoParams& ps = s.runner->algoParams();
  journalEvent(p, "ALGO_RESTORED", nullptr, "ALGO",
               fmt::format("{} resumed after a restart: filled {} of {} at {}, {} live child(ren) "
                           "with {} open{}; start {}{}",
                           algos::toString(ps.strategy), p.cumQty.str(), p.qty.str(), p.avgPx.str(),
                           st.liveChildren.size(), liveOpen.str(),
                           st.paused ? ", paused: " + st.pauseReason : std::string(),
                           formatFixTimestamp(ps.start),
                           ps.end ? ", end " + formatFixTimestamp(ps.end) : std::string()),
               {}, nullptr);
  subscribeMarketData(p.venue, p.symbol, p.orderId);
  for (const VenueId& v : ps.venues) subscribeMarketData(v, p.symbol, p.orderId);
  s.runner->restore(st);
  if (!s.done) marketData_->attach(*s.runner);
  if (auto ci = cancelAtStop; ci != algoCancelAtRestart_.end()) {
    // The client (or a mass, risk or disconnect cancel) asked to cancel and
    // was told PendingCancel before the stop: it is carried out now, not
    // forgotten, and Canceled answers that request.
    if (!p.pending && !s.done) {
      PendingRequest pr;
      pr.kind = PendingRequest::Kind::Cancel;
      pr.clOrdId = ci->second.clOrdId;
      pr.origClOrdId = ci->second.origClOrdId.empty() ? p.clOrdId : ci->second.origClOrdId;
      pr.massCancel = !ci->second.clientRequest;
      p.pending = std::move(pr);
      journalEvent(p, "ALGO_CANCEL_RESUMED", nullptr, "ALGO",
                   "the cancel " + ci->second.clOrdId.str() +
                       " pending at the stop is carried out after the restart",
                   {}, nullptr);
    }
    algoCancelAtRestart_.erase(ci);
  }
  // A cancel pending at the stop, or one the client sent while the parent
  // waited for reconciliation.
  if (p.pending && !s.done) algoDispatchPending(p);
  flushOutbox();
}

void Engine::algoRestoreFailed(ParentOrder& p, const std::string& why) {
  // Cannot happen for parameters that were good on arrival; if it does, the
  // parent must not sit open with no one working it: its children are
  // cancelled and the client hears why.
  spdlog::error("{}recovery: algo {} cannot be rebuilt: {}", orderLog(p), p.orderId.str(), why);
  journalEvent(p, "ALGO_RESTORE_FAILED", nullptr, "ALGO", why, {}, nullptr);
  for (const ChildOrderId& cid : p.children)
    if (auto ci = children_.find(cid); ci != children_.end() && !isTerminal(ci->second.status))
      sendChildCancel(p, ci->second);
  p.pending.reset();
  p.baseStatus = OrdStatus::Canceled;
  ExecReport r = report(p, ExecType::Canceled);
  r.text = "Canceled by the gateway on recovery: the algo could not be rebuilt: " + why;
  emit(p, std::move(r), "CANCELED", "ALGO_RESTORE_FAILED", {});
  flushOutbox();
}

// ---------------------------------------------------------------- TCA (router/tca.h)

void Engine::tcaSubscribe(const VenueId& v, const Symbol& s) {
  // One subscription per venue and symbol, shared with the algos: a direct
  // order on a symbol already subscribed pays two set lookups.
  if (marketDataSubscribed_.count({v, s}) || tcaNoFeed_.count({v, s})) return;
  auto vi = venues_.find(v);
  if (vi == venues_.end()) return;
  MarketDataStatus st = vi->second->subscribeMarketData(s, *marketDataPort_, 1);
  if (st.ok) {
    marketDataSubscribed_.emplace(v, s);
    return;
  }
  tcaNoFeed_.emplace(v, s);
  spdlog::info("tca: no market data for {} from {} ({}); arrival falls back to its reference price",
               s.str(), v.str(), st.error);
}

void Engine::tcaStart(const ParentOrder& p) {
  if (isSorRoute(p.venue)) return tcaStartSor(p);
  std::optional<Price> px = tca_.mid(p.venue, p.symbol);
  ArrivalSource src = ArrivalSource::Mid;
  if (!px) {
    // No book known at receipt: the venue's reference price (last trade or
    // its own mid), recorded as a reference so nobody reads it as a mid.
    src = ArrivalSource::Reference;
    if (auto vi = venues_.find(p.venue); vi != venues_.end())
      px = vi->second->referencePrice(p.symbol);
  }
  tca_.start(p.orderId, p.symbol, p.side, p.createdAt, px, src);
  const bool algo = p.details && p.details->algo;
  if (tcaMarketData_ && !algo) tcaSubscribe(p.venue, p.symbol);  // an algo subscribes its own
}

void Engine::tcaStartSor(const ParentOrder& p) {
  // An SOR parent trades on several venues: its arrival is the mid of the
  // consolidated book (best bid and best ask over the SOR venues), and the
  // market volume counts every SOR venue's prints.
  std::optional<Price> bid, ask, reference;
  for (const algos::SorVenue& v : sorVenues(p.symbol)) {
    if (v.book && v.book->bidPx && (!bid || *v.book->bidPx > *bid)) bid = v.book->bidPx;
    if (v.book && v.book->askPx && (!ask || *v.book->askPx < *ask)) ask = v.book->askPx;
    if (!reference)
      if (auto vi = venues_.find(v.venue); vi != venues_.end())
        reference = vi->second->referencePrice(p.symbol);
    if (tcaMarketData_) tcaSubscribe(v.venue, p.symbol);
  }
  if (bid && ask && *bid <= *ask)
    tca_.start(p.orderId, p.symbol, p.side, p.createdAt, midOf(*bid, *ask), ArrivalSource::Mid);
  else
    tca_.start(p.orderId, p.symbol, p.side, p.createdAt, reference, ArrivalSource::Reference);
}

void Engine::tcaFill(const ParentOrder& p, const ChildOrder& c, const VenueEvent& e) {
  if (TcaAccumulator* a = tca_.find(p.orderId))
    a->onFill(c.venue, e.lastQty, e.lastPx, e.fee, e.feeCurrency);
}

void Engine::tcaFinish(const ParentOrder& p) {
  const WallNanos now = clock_.wallNow();
  if (!tca_.complete(p.orderId, p.qty, now)) return;  // rejected before routing, or restored
  TcaRec t;
  t.orderId = p.orderId;
  t.session = p.session;
  t.account = p.account;
  t.symbol = p.symbol;
  t.side = p.side;
  if (!p.venue.empty()) t.venue = p.venue;
  if (auto it = algos_.find(p.orderId); it != algos_.end() && it->second->runner)
    t.strategy = algos::toString(it->second->runner->algoParams().strategy);
  else if (p.algo && p.details && p.details->algo)
    t.strategy = p.details->algo->targetStrategy;
  t.finalStatus = p.baseStatus;
  t.arrivalTime = p.createdAt;
  t.completedAt = now;
  if (tcaPrintGrace_ <= 0) return tcaJournal(std::move(t));
  // The prints of the last fills are still on their way: figures after the grace.
  tcaPending_.insert_or_assign(p.orderId, std::move(t));
  loop_.postAfter(tcaPrintGrace_, [this, id = p.orderId] {
    auto it = tcaPending_.find(id);
    if (it == tcaPending_.end()) return;  // flushed already (shutdown)
    TcaRec rec = std::move(it->second);
    tcaPending_.erase(it);
    tcaJournal(std::move(rec));
  });
}

void Engine::flushTca() {
  for (auto& [id, t] : tcaPending_) tcaJournal(std::move(t));
  tcaPending_.clear();
}

void Engine::tcaJournal(TcaRec t) {
  std::optional<TcaResult> r = tca_.finish(t.orderId, t.symbol);
  if (!r) return;
  t.arrivalPx = r->arrivalPx;
  t.arrivalSource = toString(r->arrivalSource);
  t.orderQty = r->orderQty;
  t.filledQty = r->filledQty;
  t.avgPx = r->avgPx;
  t.marketVolume = r->marketVolume;
  t.marketTrades = r->marketTrades;
  t.intervalVwap = r->intervalVwap;
  t.slippageArrivalBps = r->slippageArrivalBps;
  t.slippageVwapBps = r->slippageVwapBps;
  t.participation = r->participation;
  t.fillRate = r->fillRate;
  journal_.append(std::move(t));
}

// ---------------------------------------------------------------- smart order routing

void Engine::configureSor(SorConfig cfg) {
  sor_ = std::make_unique<SorRouter>(loop_, clock_, std::move(cfg),
                                     [this](const TopOfBook& b) { sorOnBook(b); });
}

void Engine::sorNewOrder(ParentOrder& po, const risk::OrderIntent& intent,
                         const risk::RiskDecision& d, bool isAlgo) {
  if (!sor_ || !sor_->config().enabled()) {
    rejectNew(po, "NO_ROUTE", OrdRejReason::BrokerOption,
              "NO_ROUTE: the route is SOR but no SOR venues are configured (sor.venues)");
    return;
  }
  algos::AlgoParams params;
  if (isAlgo) {
    // An algo order: its own schedule, each slice routed by the SOR.
    algos::AlgoError err;
    auto ap = algoParams(po, *po.details, po.qty, po.createdAt, err);
    if (!ap) {
      rejectNew(po, "INVALID_ALGO_PARAMETER", OrdRejReason::Other,
                "INVALID_ALGO_PARAMETER: " + err.text);
      return;
    }
    params = std::move(*ap);
  } else {
    // A plain order: the SOR splits it across the venues.
    if (po.ordType != OrdType::Limit && po.ordType != OrdType::Market) {
      rejectNew(po, "UNSUPPORTED_BY_SOR", OrdRejReason::Other,
                "UNSUPPORTED_BY_SOR: OrdType (40) " + std::string(toString(po.ordType)) +
                    " cannot be routed by the SOR (Market or Limit only)");
      return;
    }
    if (po.tif == TimeInForce::Fok || po.tif == TimeInForce::AtTheOpening) {
      // FOK across venues cannot be all-or-none; OPG is one venue's auction.
      rejectNew(po, "UNSUPPORTED_BY_SOR", OrdRejReason::Other,
                "UNSUPPORTED_BY_SOR: TimeInForce (59) " + std::string(toString(po.tif)) +
                    " cannot be split across venues by the SOR");
      return;
    }
    params.strategy = algos::Strategy::Sor;
    params.start = po.createdAt;
    if (po.ordType == OrdType::Limit && po.price) params.limit = po.price;
    params.end = po.expireTime();  // GTD: the runner expires the parent then
    // The SOR picks among venues itself: a reject or a drop moves the rest
    // to the others (the venue is avoided for this parent) instead of pausing.
    params.onReject = algos::Policy::RetryElsewhere;
    params.onDisconnect = algos::Policy::RetryElsewhere;
  }
  sorApplyConfig(params, po.tif);
  po.venue = kSorRoute;
  tcaStart(po);
  risk_.onOrderOpen(po.orderId, intent);
  for (const OrderId& rid : d.cancelResting)
    if (auto it = orders_.find(rid); it != orders_.end())
      riskCancel(
          it->second, "SELF_TRADE",
          "canceled by self-trade prevention: order " + po.orderId.str() + " would cross it");
  startAlgo(po, std::move(params));
}

void Engine::sorApplyConfig(algos::AlgoParams& params, TimeInForce tif) const {
  if (!sor_) return;
  const SorConfig& cfg = sor_->config();
  params.sorRemainder = tif == TimeInForce::Ioc ? algos::SorRemainder::Cancel : cfg.remainder;
  params.sorMaxSweeps = cfg.maxSweeps;
  params.sorMaxRecentRejects = cfg.maxRecentRejects;
  params.sorBookWaitNanos = cfg.bookWaitNanos;
}

void Engine::sorStart(const ParentOrder& p, bool algoSlices) {
  if (!sor_) return;
  for (const std::string& err : sor_->subscribe(p.symbol, venues_)) {
    spdlog::warn("{}SOR {}: no book for {}: {}", orderLog(p), p.orderId.str(), p.symbol.str(), err);
    if (auto it = orders_.find(p.orderId); it != orders_.end())
      journalEvent(it->second, "MARKET_DATA_UNAVAILABLE", nullptr, "SOR", err, {}, nullptr);
  }
  // An algo routed through the SOR follows the whole market: the relay hears
  // every SOR venue's trades and books.
  if (algoSlices)
    for (const SorVenueConfig& vc : sor_->config().venues)
      subscribeMarketData(vc.venue, p.symbol, p.orderId);
}

std::vector<algos::SorVenue> Engine::sorVenues(const Symbol& s) const {
  if (!sor_) return {};
  Qty lot = Qty::fromMantissa(1);
  if (const Instrument* inst = risk_.instruments().find(s); inst && inst->lotSize.isPositive())
    lot = inst->lotSize;
  return sor_->view(s, venues_, lot);
}

VenueId Engine::sorSliceVenue(const ParentOrder& p, const algos::ChildOrder& c, std::string& why) {
  if (!sor_) {
    why = "the route is SOR but no SOR venues are configured (sor.venues)";
    return VenueId();
  }
  std::vector<algos::SorVenue> view = sorVenues(p.symbol);
  algos::SorRequest req;
  req.side = p.side;
  req.qty = c.qty;
  req.limit = c.limit;
  req.lotSize = view.empty() ? Qty::fromMantissa(1) : view.front().lotSize;
  req.avoid = c.avoid;
  algos::SorPolicyConfig pc;
  pc.maxRecentRejects = sor_->config().maxRecentRejects;
  const algos::SorDecision d = algos::decideSor(req, view, pc);
  // One child per slice: the venue that fills most of it now (ties: the
  // better all-in price, which comes first).
  const algos::SorAllocation* best = nullptr;
  for (const auto& a : d.allocations)
    if (!best || a.qty > best->qty) best = &a;
  if (best) {
    why = "; SOR picked " + best->venue.str() + " (" + d.summary + ")";
    return best->venue;
  }
  if (d.restVenue) {
    why = "; SOR: nothing marketable, the slice rests on " + d.restVenue->str() + " (" +
          d.restReason + "; " + d.summary + ")";
    return *d.restVenue;
  }
  why = "no SOR venue is usable for the slice (" + d.summary + ")";
  return VenueId();
}

void Engine::sorOnBook(const TopOfBook& b) {
  std::vector<OrderId> ids;
  for (const auto& [id, slot] : algos_)
    if (!slot->done && slot->runner && slot->runner->strategy() == algos::Strategy::Sor &&
        slot->runner->parentOrder().symbol == b.symbol)
      ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (const OrderId& id : ids)
    if (AlgoSlot* slot = algoSlot(id)) slot->runner->onBook(b);
  flushOutbox();
}

void Engine::sorOnChildEvent(const ChildOrder& c, const VenueEvent& e) {
  if (!sor_) return;
  if (e.kind == VenueEventKind::Accepted) sor_->onChildAcked(c.id);
  if (e.kind == VenueEventKind::Rejected) sor_->onChildRejected(c.id, c.venue);
}

// ---------------------------------------------------------------- metrics (core/metrics.h)
// Kept here, apart from the order logic: relaxed atomic adds only.

void Engine::metricsReject(const std::string& rule) {
  metrics::gateway().rejectsByReason.get(rule.empty() ? std::string_view("OTHER") : rule).inc();
}

void Engine::metricsRiskCheck(int64_t nanos) { metrics::gateway().riskCheck.observe(nanos); }

void Engine::metricsVenueEvent(const VenueEvent& e, ChildOrder* c) {
  metrics::VenueMetrics& v = metrics::gateway().venues.get(e.venue.str());
  v.lastEventWallNanos.set(metrics::coarseWallNanos());
  switch (e.kind) {
    case VenueEventKind::Accepted:
    case VenueEventKind::Rejected:
      // The venue's first answer to the order: its round trip.
      if (c && c->sentAt && c->status == OrdStatus::PendingNew) {
        const int64_t rtt = clock_.monoNow() - c->sentAt;
        v.roundTrip.observe(rtt);
        v.lastRoundTripNanos.set(rtt);
        c->sentAt = 0;
      }
      if (e.kind == VenueEventKind::Rejected) {
        v.rejects.inc();
        v.setLastError("reject: " + e.text);
      }
      break;
    case VenueEventKind::Disconnected:
      v.connected.set(0);
      v.setLastError("disconnected: " + e.text);
      break;
    case VenueEventKind::Reconnected:
      v.connected.set(1);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- derivatives (issue 12)

// A derivative's fill counts contracts: the journal keeps the contract size it
// was booked at so audit SQL values it as last_qty x contract_size x last_px
// (schema/0018_contract_size.sql) even if the instrument master changes later.
void Engine::setExecContractSize(ExecutionRec& x) const {
  if (const Instrument* ins = risk_.instruments().find(x.symbol))
    x.contractSize = ins->contractSize;
}

}  // namespace fixgw::router
