#include "risk/risk.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory_resource>

namespace fixgw::risk {

std::string_view toString(TradingState s) {
  switch (s) {
    case TradingState::Active:
      return "ACTIVE";
    case TradingState::Reducing:
      return "REDUCING";
    case TradingState::Halted:
      return "HALTED";
  }
  return "?";
}

namespace {
std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}
}  // namespace

std::optional<TradingState> tradingStateFromString(std::string_view s) {
  std::string u = upper(s);
  if (u == "ACTIVE") return TradingState::Active;
  if (u == "REDUCING" || u == "REDUCE_ONLY") return TradingState::Reducing;
  if (u == "HALTED" || u == "HALT") return TradingState::Halted;
  return std::nullopt;
}

std::string_view toString(ScopeKind s) {
  switch (s) {
    case ScopeKind::Global:
      return "GLOBAL";
    case ScopeKind::Account:
      return "ACCOUNT";
    case ScopeKind::Session:
      return "SESSION";
    case ScopeKind::Party:
      return "PARTY";
  }
  return "?";
}

std::optional<ScopeKind> scopeKindFromString(std::string_view s) {
  std::string u = upper(s);
  if (u == "GLOBAL") return ScopeKind::Global;
  if (u == "ACCOUNT") return ScopeKind::Account;
  if (u == "SESSION") return ScopeKind::Session;
  if (u == "PARTY") return ScopeKind::Party;
  return std::nullopt;
}

namespace {

constexpr int64_t kDayNanos = 86'400'000'000'000LL;
constexpr int kDupSlots = 16;

inline __int128 abs128(__int128 v) { return v < 0 ? -v : v; }
// Raw (1e-16) against a Notional (1e-8) limit.
inline __int128 rawOf(Notional n) { return static_cast<__int128>(n.mantissa()) * kOne; }
inline std::string rawStr(__int128 raw) { return notionalFromRaw(raw).str(); }
inline bool isSell(Side s) { return s != Side::Buy; }
// The currency notional and P&L are in: a linear swap's settle currency.
inline const std::string& settleCcy(const Instrument& i) {
  return i.settleCurrency.empty() ? i.currency : i.settleCurrency;
}
// For a derivative's notional texts: " (5 contracts x 0.01 x 60000)"; empty for cash.
inline std::string contractTerms(Qty qty, Qty cs, const std::optional<Price>& px) {
  if (cs == Qty::fromInt(1)) return {};
  return fmt::format(" ({} contracts x {} x {})", qty.str(), cs.str(),
                     px ? px->str() : std::string("?"));
}

struct OpenOrder {
  OrderId id;
  uint32_t book = 0;
  Side side = Side::Buy;
  std::optional<Price> limitPx;  // none: market
  // A stop or stop-limit: off the venue's book until it triggers, which the
  // venue does not report, so it is never counted as resting liquidity.
  bool stop = false;
  Price valuePx;                 // limit price, or the reference when a market order opened
  Qty qty, filled;
  Qty contractSize = Qty::fromInt(1);  // the instrument's: open notional is in money
  bool live = false;
  Qty leaves() const { return qty > filled ? qty - filled : Qty{}; }
  __int128 raw() const { return contractValueRaw(valuePx, leaves(), contractSize); }
};

struct Book {
  uint32_t acct = 0, sym = 0;
  Position pos;
  Qty openBuy, openSell;
  __int128 openBuyRaw = 0, openSellRaw = 0;
  std::vector<uint32_t> orders;  // open order slots
};

struct DupEntry {
  uint32_t sym = UINT32_MAX;
  Side side = Side::Buy;
  int64_t qty = 0, px = -1;
  int64_t t = 0;
};

struct AcctState {
  Account name;
  const RiskLimits* lim = nullptr;
  TradingState state = TradingState::Active;
  SlidingWindowThrottle orders, cancels;
  std::vector<uint32_t> books;
  uint32_t openCount = 0;
  int64_t day = INT64_MIN;
  __int128 dayRealisedRaw = 0;
  DupEntry dups[kDupSlots];
  uint32_t dupNext = 0;
};

struct SessState {
  SessionKey name;
  TradingState state = TradingState::Active;
  SlidingWindowThrottle orders, cancels;
};

struct SymState {
  Symbol name;
  const Instrument* ins = nullptr;
  InstrumentRiskRules rules;
  std::optional<Price> lastTrade;
};

// Account-wide sums over its books, at raw scale (1e-16).
struct Exposure {
  __int128 gross = 0;       // Σ |position value| + open order notional
  __int128 netLong = 0;     // Σ position value + open buys
  __int128 netShort = 0;    // Σ position value - open sells
  __int128 credit = 0;      // Σ |cost basis| + open order notional
  __int128 unrealised = 0;  // Σ unrealised P&L
};

}  // namespace

struct RiskEngine::Impl {
  std::unordered_map<std::string, uint32_t> acctIdx, symIdx, sessIdx;
  // Open orders by OrderID: a node per order, so from a pool rather than
  // one malloc each (issue 15). Declared first: it must outlive the index.
  std::pmr::unsynchronized_pool_resource orderIdxPool;
  std::pmr::unordered_map<std::string, uint32_t> orderIdx{&orderIdxPool};
  std::unordered_map<uint64_t, uint32_t> bookIdx;
  std::vector<AcctState> accts;
  std::vector<SessState> sess;
  std::vector<SymState> syms;
  std::vector<Book> books;
  std::vector<OpenOrder> orders;
  std::vector<uint32_t> freeOrders;
  TradingState global = TradingState::Active;
  std::unordered_map<std::string, TradingState> parties;  // by PartyID; only those ever set
};

namespace {
RiskDecision deny(std::string rule, OrdRejReason reason, std::string text) {
  RiskDecision d;
  d.accepted = false;
  d.rule = std::move(rule);
  d.reason = reason;
  d.text = std::move(text);
  return d;
}
}  // namespace

RiskEngine::RiskEngine(RiskConfig cfg, const InstrumentMaster& instruments, const Clock& clock)
    : impl_(std::make_unique<Impl>()), instruments_(instruments), clock_(clock) {
  for (const auto& [sym, ins] : instruments_.all()) {
    SymState s;
    s.name = sym;
    s.ins = &ins;
    impl_->symIdx.emplace(sym.str(), static_cast<uint32_t>(impl_->syms.size()));
    impl_->syms.push_back(std::move(s));
  }
  reload(std::move(cfg));
}

RiskEngine::~RiskEngine() = default;

void RiskEngine::reload(RiskConfig cfg) {
  cfg_ = std::move(cfg);
  Impl& m = *impl_;
  for (auto& s : m.syms) {
    auto it = cfg_.instruments.find(s.name);
    s.rules = it == cfg_.instruments.end() ? InstrumentRiskRules{} : it->second;
  }
  for (auto& a : m.accts) {
    a.lim = &limitsFor(a.name);
    a.orders.configure(a.lim->maxOrdersPerSec, cfg_.throttleWindowNanos);
    a.cancels.configure(a.lim->maxCancelsPerSec, cfg_.throttleWindowNanos);
  }
  for (auto& s : m.sess) {
    auto it = cfg_.sessions.find(s.name);
    const SessionThrottle& t = it == cfg_.sessions.end() ? cfg_.sessionDefaults : it->second;
    s.orders.configure(t.maxOrdersPerSec, cfg_.throttleWindowNanos);
    s.cancels.configure(t.maxCancelsPerSec, cfg_.throttleWindowNanos);
  }
}

void RiskEngine::reload(RiskConfig cfg, const std::string& who) {
  reload(std::move(cfg));
  spdlog::warn("risk: limits reloaded by {}", who);
  if (!journal_) return;
  RiskEventRec e;
  e.eventType = "CONFIG_RELOAD";
  e.rule = "CONFIG_RELOAD";
  e.who = who;
  e.text = fmt::format("risk limits reloaded: {} account override(s), {} restricted symbol(s)",
                       cfg_.accounts.size(), cfg_.restrictedSymbols.size());
  e.ts = clock_.wallNow();
  journal_->append(std::move(e));
}

const RiskLimits& RiskEngine::limitsFor(const Account& a) const {
  auto it = cfg_.accounts.find(a);
  return it == cfg_.accounts.end() ? cfg_.defaults : it->second;
}

int RiskEngine::rulesConfigured(const Account& a) const {
  const RiskLimits& l = limitsFor(a);
  // Always on: trading state, symbol, restricted list, qty shape, lot, price shape, tick.
  int n = 7;
  n += l.maxOrderQty.has_value() + l.maxNotional.has_value() + l.minOrderQty.has_value() +
       l.minNotional.has_value() + l.priceBandPct.has_value() + l.priceBandTicks.has_value() +
       (l.allowedOrdTypes != 0xFF || !l.allowMarketOrders) + (l.allowedTifs != 0xFF) +
       l.maxOpenOrders.has_value() + l.maxLongQty.has_value() + l.maxShortQty.has_value() +
       l.maxGrossExposure.has_value() + l.maxNetExposure.has_value() +
       l.dailyLossLimit.has_value() + l.creditLimit.has_value() + (l.maxOrdersPerSec > 0) +
       (l.duplicateAction != RuleAction::Off) + (l.selfTrade != StpAction::Off) +
       (cfg_.sessionDefaults.maxOrdersPerSec > 0 || !cfg_.sessions.empty());
  return n;
}

// ---------------------------------------------------------------- interning

namespace {
template <class Map>
uint32_t findIdx(const Map& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? UINT32_MAX : it->second;
}
}  // namespace

void RiskEngine::onTrade(const Symbol& s, Price px) {
  uint32_t i = findIdx(impl_->symIdx, s.str());
  if (i != UINT32_MAX) impl_->syms[i].lastTrade = px;
}

std::optional<Price> RiskEngine::referencePrice(const Symbol& s) const {
  uint32_t i = findIdx(impl_->symIdx, s.str());
  if (i == UINT32_MAX) return std::nullopt;
  const SymState& st = impl_->syms[i];
  if (st.lastTrade) return st.lastTrade;
  if (refSource_) {
    if (auto p = refSource_(s); p && p->isPositive()) return p;
  }
  if (cfg_.staticReferenceFallback && st.ins->referencePrice.isPositive())
    return st.ins->referencePrice;
  return std::nullopt;
}

// ---------------------------------------------------------------- state

TradingState RiskEngine::tradingState(ScopeKind scope, const std::string& key) const {
  const Impl& m = *impl_;
  if (scope == ScopeKind::Global) return m.global;
  if (scope == ScopeKind::Party) {
    auto it = m.parties.find(key);
    return it == m.parties.end() ? TradingState::Active : it->second;
  }
  if (scope == ScopeKind::Account) {
    uint32_t i = findIdx(m.acctIdx, key);
    return i == UINT32_MAX ? TradingState::Active : m.accts[i].state;
  }
  uint32_t i = findIdx(m.sessIdx, key);
  return i == UINT32_MAX ? TradingState::Active : m.sess[i].state;
}

TradingState RiskEngine::effectiveState(const Account& a, const SessionKey& s) const {
  return std::max({impl_->global, tradingState(ScopeKind::Account, a.str()),
                   tradingState(ScopeKind::Session, s.str())});
}

std::vector<CancelScope> RiskEngine::takeCancelScopes() {
  std::vector<CancelScope> out;
  out.swap(cancelScopes_);
  return out;
}

// The engine's private helpers live in this anonymous-namespace-free block so
// they can reach Impl; they are members in all but name.
namespace detail {
struct Access {
  static uint32_t acct(RiskEngine::Impl& m, const RiskEngine& e, const Account& a) {
    auto it = m.acctIdx.find(a.str());
    if (it != m.acctIdx.end()) return it->second;
    uint32_t i = static_cast<uint32_t>(m.accts.size());
    m.acctIdx.emplace(a.str(), i);
    AcctState st;
    st.name = a;
    st.lim = &e.limitsFor(a);
    st.orders.configure(st.lim->maxOrdersPerSec, e.config().throttleWindowNanos);
    st.cancels.configure(st.lim->maxCancelsPerSec, e.config().throttleWindowNanos);
    m.accts.push_back(std::move(st));
    return i;
  }
  static uint32_t sess(RiskEngine::Impl& m, const RiskEngine& e, const SessionKey& s) {
    auto it = m.sessIdx.find(s.str());
    if (it != m.sessIdx.end()) return it->second;
    uint32_t i = static_cast<uint32_t>(m.sess.size());
    m.sessIdx.emplace(s.str(), i);
    SessState st;
    st.name = s;
    const auto& cfg = e.config();
    auto ci = cfg.sessions.find(s);
    const SessionThrottle& t = ci == cfg.sessions.end() ? cfg.sessionDefaults : ci->second;
    st.orders.configure(t.maxOrdersPerSec, cfg.throttleWindowNanos);
    st.cancels.configure(t.maxCancelsPerSec, cfg.throttleWindowNanos);
    m.sess.push_back(std::move(st));
    return i;
  }
  static uint32_t book(RiskEngine::Impl& m, uint32_t a, uint32_t s) {
    uint64_t k = (static_cast<uint64_t>(a) << 32) | s;
    auto it = m.bookIdx.find(k);
    if (it != m.bookIdx.end()) return it->second;
    uint32_t i = static_cast<uint32_t>(m.books.size());
    m.bookIdx.emplace(k, i);
    Book b;
    b.acct = a;
    b.sym = s;
    // Positions count contracts; their P&L and value are times the contract size.
    b.pos.contractSize = m.syms[s].ins->contractSize;
    m.books.push_back(std::move(b));
    m.accts[a].books.push_back(i);
    return i;
  }
};
}  // namespace detail

using detail::Access;

StateChange RiskEngine::setTradingState(ScopeKind scope, const std::string& key, TradingState st,
                                        const std::string& who, const std::string& why,
                                        bool cancelOpenOrders) {
  Impl& m = *impl_;
  StateChange c;
  c.scope = scope;
  c.key = scope == ScopeKind::Global ? std::string() : key;
  c.to = st;
  c.who = who;
  c.why = why;
  c.cancelOpenOrders = cancelOpenOrders && st == TradingState::Halted;
  TradingState* slot = &m.global;
  if (scope == ScopeKind::Account) slot = &m.accts[Access::acct(m, *this, Account(key))].state;
  if (scope == ScopeKind::Session) slot = &m.sess[Access::sess(m, *this, SessionKey(key))].state;
  if (scope == ScopeKind::Party) slot = &m.parties[key];
  c.from = *slot;
  *slot = st;
  spdlog::warn("risk: trading state {} {} {} -> {} by {} ({}){}", toString(scope), c.key,
               toString(c.from), toString(st), who, why,
               c.cancelOpenOrders ? "; canceling open orders" : "");
  if (journal_) {
    RiskEventRec e;
    e.eventType = "STATE_CHANGE";
    e.rule = "TRADING_STATE";
    e.scope = std::string(toString(scope));
    e.scopeKey = c.key;
    e.fromState = std::string(toString(c.from));
    e.toState = std::string(toString(st));
    e.who = who;
    e.reason = why;
    if (scope == ScopeKind::Account) e.account = Account(key);
    if (scope == ScopeKind::Session) e.session = SessionKey(key);
    e.text = fmt::format("{} {} {} -> {}{}", toString(scope), c.key, toString(c.from), toString(st),
                         c.cancelOpenOrders ? " (cancel open orders)" : "");
    e.ts = clock_.wallNow();
    journal_->append(std::move(e));
  }
  if (c.cancelOpenOrders) cancelScopes_.push_back(CancelScope{scope, c.key, why});
  return c;
}

// ---------------------------------------------------------------- the check chain

RiskDecision RiskEngine::checkNew(const OrderIntent& o) { return checked(o, false); }
RiskDecision RiskEngine::checkReplace(const OrderIntent& o) { return checked(o, true); }

RiskDecision RiskEngine::checked(const OrderIntent& o, bool replace) {
  std::string limit, value;
  RiskDecision d = runChain(o, replace, limit, value);
  if (!d.accepted && journal_) {
    RiskEventRec e;
    e.eventType = "REJECT";
    e.rule = d.rule;
    e.account = o.account;
    e.symbol = o.symbol;
    if (!o.session.empty()) e.session = o.session;
    if (!o.clOrdId.empty()) e.clOrdId = o.clOrdId;
    if (!o.orderId.empty()) e.orderId = o.orderId;
    e.limit = std::move(limit);
    e.value = std::move(value);
    e.text = replace ? "replace: " + d.text : d.text;
    e.ts = clock_.wallNow();
    journal_->append(std::move(e));
  }
  return d;
}

namespace {
// Journals a warning (the order goes on).
void warnEvent(Journal* j, const Clock& clock, const char* rule, const OrderIntent* o,
               const Account* a, const SessionKey* s, std::string text) {
  if (!j) return;
  RiskEventRec e;
  e.eventType = "WARN";
  e.rule = rule;
  if (o) {
    e.account = o->account;
    e.symbol = o->symbol;
    if (!o->session.empty()) e.session = o->session;
    if (!o->clOrdId.empty()) e.clOrdId = o->clOrdId;
    if (!o->orderId.empty()) e.orderId = o->orderId;
  }
  if (a) e.account = *a;
  if (s && !s->empty()) e.session = *s;
  e.text = std::move(text);
  e.ts = clock.wallNow();
  j->append(std::move(e));
}
}  // namespace

// One function for new and replace: the accept path is straight-line code
// over interned state; strings are only built when an order is denied.
RiskDecision RiskEngine::runChain(const OrderIntent& o, bool replace, std::string& limitOut,
                                  std::string& valueOut) {
  Impl& m = *impl_;
  RiskEngine& self = *this;
  const RiskConfig& cfg = cfg_;
  const MonoNanos now = clock_.monoNow();
  const WallNanos wall = clock_.wallNow();
  auto ref = [this, &m](uint32_t s) -> std::optional<Price> {
    const SymState& st = m.syms[s];
    if (st.lastTrade) return st.lastTrade;
    if (refSource_) {
      if (auto p = refSource_(st.name); p && p->isPositive()) return p;
    }
    if (cfg_.staticReferenceFallback && st.ins->referencePrice.isPositive())
      return st.ins->referencePrice;
    return std::nullopt;
  };
  auto fail = [&](const char* rule, OrdRejReason reason, std::string text, std::string limit = {},
                  std::string value = {}) {
    limitOut = std::move(limit);
    valueOut = std::move(value);
    return deny(rule, reason, std::move(text));
  };

  // 1. Trading state: HALTED refuses everything new (REDUCING is checked
  // once the position is known).
  const uint32_t ai = Access::acct(m, self, o.account);
  const uint32_t si = Access::sess(m, self, o.session);
  AcctState& acct = m.accts[ai];
  SessState& ses = m.sess[si];
  // The most restrictive state among the order's parties (none set: no lookup).
  TradingState partyState = TradingState::Active;
  if (o.parties && !m.parties.empty())
    for (const Party& p : *o.parties)
      if (auto it = m.parties.find(p.id); it != m.parties.end())
        partyState = std::max(partyState, it->second);
  const TradingState state = std::max({m.global, acct.state, ses.state, partyState});
  if (state == TradingState::Halted) {
    const char* scope = m.global == TradingState::Halted     ? "gateway"
                        : acct.state == TradingState::Halted ? "account"
                        : ses.state == TradingState::Halted  ? "session"
                                                             : "party";
    return fail("HALTED", OrdRejReason::BrokerOption,
                fmt::format("HALTED: trading is halted for this {} (no new orders; cancels are "
                            "allowed)",
                            scope),
                "HALTED", std::string(scope));
  }
  const RiskLimits& lim = *acct.lim;

  // 2. Symbol.
  const uint32_t symi = findIdx(m.symIdx, o.symbol.str());
  if (symi == UINT32_MAX)
    return fail("UNKNOWN_SYMBOL", OrdRejReason::UnknownSymbol,
                fmt::format("UNKNOWN_SYMBOL: Symbol (55) '{}' is not in the instrument master",
                            o.symbol.str()),
                {}, o.symbol.str());
  SymState& sym = m.syms[symi];
  const Instrument& ins = *sym.ins;
  if (!cfg.restrictedSymbols.empty() || !lim.restrictedSymbols.empty()) {
    if (cfg.restrictedSymbols.count(o.symbol) || lim.restrictedSymbols.count(o.symbol))
      return fail("RESTRICTED_SYMBOL", OrdRejReason::BrokerOption,
                  fmt::format("RESTRICTED_SYMBOL: Symbol (55) '{}' is restricted for account '{}'",
                              o.symbol.str(), o.account.str()),
                  "restricted", o.symbol.str());
  }

  // 3. Order type and TIF.
  // A stop order becomes a market order when it triggers, so it counts as one.
  if ((o.ordType == OrdType::Market || o.ordType == OrdType::Stop) && !lim.allowMarketOrders)
    return fail("MARKET_ORDERS_NOT_ALLOWED", OrdRejReason::BrokerOption,
                fmt::format("MARKET_ORDERS_NOT_ALLOWED: account '{}' may not send market orders{}",
                            o.account.str(),
                            o.ordType == OrdType::Stop
                                ? " (a stop order becomes one when triggered)"
                                : ""),
                "false", std::string(toString(o.ordType)));
  if (!(lim.allowedOrdTypes & (1u << static_cast<unsigned>(o.ordType))))
    return fail("ORD_TYPE_NOT_ALLOWED", OrdRejReason::BrokerOption,
                fmt::format("ORD_TYPE_NOT_ALLOWED: OrdType (40) {} is not allowed for account '{}'",
                            toString(o.ordType), o.account.str()),
                {}, std::string(toString(o.ordType)));
  if (!(lim.allowedTifs & (1u << static_cast<unsigned>(o.tif))))
    return fail("TIF_NOT_ALLOWED", OrdRejReason::BrokerOption,
                fmt::format("TIF_NOT_ALLOWED: TimeInForce (59) {} is not allowed for account '{}'",
                            toString(o.tif), o.account.str()),
                {}, std::string(toString(o.tif)));

  // 4. Quantity.
  RiskDecision ok;
  Qty qty = o.qty;
  if (!qty.isPositive())
    return fail("INVALID_QTY", OrdRejReason::Other,
                fmt::format("INVALID_QTY: OrderQty (38) {} must be positive", qty.str()), "> 0",
                qty.str());
  if (!qty.isMultipleOf(ins.lotSize)) {
    if (!sym.rules.roundToLot)
      return fail("LOT_SIZE", OrdRejReason::Other,
                  fmt::format("LOT_SIZE: OrderQty (38) {} is not a multiple of lot size {} for {}",
                              qty.str(), ins.lotSize.str(), o.symbol.str()),
                  ins.lotSize.str(), qty.str());
    Qty rounded = Qty::fromMantissa(qty.mantissa() - qty.mantissa() % ins.lotSize.mantissa());
    if (!rounded.isPositive() || (replace && rounded <= o.cumQty))
      return fail("LOT_SIZE", OrdRejReason::Other,
                  fmt::format("LOT_SIZE: OrderQty (38) {} rounds down to {} at lot size {} for {}",
                              qty.str(), rounded.str(), ins.lotSize.str(), o.symbol.str()),
                  ins.lotSize.str(), qty.str());
    qty = rounded;
    ok.adjustedQty = qty;
  }
  if (ins.minQty.isPositive() && qty < ins.minQty)
    return fail("MIN_QTY", OrdRejReason::Other,
                fmt::format("MIN_QTY: OrderQty (38) {} is below minimum {} for {}", qty.str(),
                            ins.minQty.str(), o.symbol.str()),
                ins.minQty.str(), qty.str());
  if (lim.minOrderQty && qty < *lim.minOrderQty)
    return fail("MIN_ORDER_QTY", OrdRejReason::Other,
                fmt::format("MIN_ORDER_QTY: OrderQty (38) {} is below limit {}", qty.str(),
                            lim.minOrderQty->str()),
                lim.minOrderQty->str(), qty.str());

  // 5. Price (44) for limit and stop-limit orders, StopPx (99) for stop and stop-limit orders.
  std::optional<Price> px = o.price;
  if (hasLimitPrice(o.ordType)) {
    if (!px)
      return fail("PRICE_REQUIRED", OrdRejReason::Other,
                  fmt::format("PRICE_REQUIRED: Price (44) is required for a {} order",
                              toString(o.ordType)));
    if (!px->isPositive())
      return fail("INVALID_PRICE", OrdRejReason::Other,
                  fmt::format("INVALID_PRICE: Price (44) {} must be positive", px->str()), "> 0",
                  px->str());
    const int64_t tick = ins.tickSize.mantissa();
    if (!px->isMultipleOf(ins.tickSize)) {
      if (!sym.rules.roundToTick)
        return fail("TICK_SIZE", OrdRejReason::Other,
                    fmt::format("TICK_SIZE: Price (44) {} is not a multiple of tick size {} for {}",
                                px->str(), ins.tickSize.str(), o.symbol.str()),
                    ins.tickSize.str(), px->str());
      int64_t down = px->mantissa() - px->mantissa() % tick;
      Price r = Price::fromMantissa(isSell(o.side) ? down + tick : down);
      if (!r.isPositive())
        return fail("TICK_SIZE", OrdRejReason::Other,
                    fmt::format("TICK_SIZE: Price (44) {} rounds to {} at tick size {}", px->str(),
                                r.str(), ins.tickSize.str()),
                    ins.tickSize.str(), px->str());
      px = r;
      ok.adjustedPrice = r;
    }
  }
  const std::optional<Price>& stopPx = o.stopPx;
  if (hasStopPrice(o.ordType)) {
    if (!stopPx)
      return fail("STOP_PX_REQUIRED", OrdRejReason::Other,
                  fmt::format("STOP_PX_REQUIRED: StopPx (99) is required for a {} order",
                              toString(o.ordType)));
    if (!stopPx->isPositive())
      return fail("INVALID_STOP_PX", OrdRejReason::Other,
                  fmt::format("INVALID_STOP_PX: StopPx (99) {} must be positive", stopPx->str()),
                  "> 0", stopPx->str());
    // Never rounded: moving a trigger changes when the order goes live.
    if (!stopPx->isMultipleOf(ins.tickSize))
      return fail("TICK_SIZE", OrdRejReason::Other,
                  fmt::format("TICK_SIZE: StopPx (99) {} is not a multiple of tick size {} for {}",
                              stopPx->str(), ins.tickSize.str(), o.symbol.str()),
                  ins.tickSize.str(), stopPx->str());
  }

  // 6. Size limits.
  if (lim.maxOrderQty && qty > *lim.maxOrderQty)
    return fail("MAX_ORDER_QTY", OrdRejReason::OrderExceedsLimit,
                fmt::format("MAX_ORDER_QTY: OrderQty (38) {} exceeds limit {}", qty.str(),
                            lim.maxOrderQty->str()),
                lim.maxOrderQty->str(), qty.str());

  std::optional<Price> refPx;
  bool refAsked = false;
  auto reference = [&]() -> const std::optional<Price>& {
    if (!refAsked) {
      refPx = ref(symi);
      refAsked = true;
    }
    return refPx;
  };
  // The order's value: limit price, else the stop price (a stop fills around
  // its trigger), else the reference for a market order.
  std::optional<Price> valuePx = px ? px : stopPx;
  const bool needValue = lim.maxNotional || lim.minNotional || lim.maxGrossExposure ||
                         lim.maxNetExposure || lim.creditLimit;
  if (!valuePx && needValue) {
    valuePx = reference();
    if (!valuePx)
      return fail("NO_REFERENCE_PRICE", OrdRejReason::Other,
                  fmt::format("NO_REFERENCE_PRICE: no reference price for {} to value a market "
                              "order against the notional limits",
                              o.symbol.str()));
  }
  // Derivatives: qty counts contracts, so the value is qty * contractSize * price.
  const Qty cs = ins.contractSize;
  const __int128 orderRaw = valuePx ? contractValueRaw(*valuePx, qty, cs) : 0;
  if (lim.maxNotional && orderRaw > rawOf(*lim.maxNotional))
    return fail(
        "MAX_NOTIONAL", OrdRejReason::OrderExceedsLimit,
        fmt::format("MAX_NOTIONAL: notional {} {}{} exceeds limit {}", rawStr(orderRaw),
                    settleCcy(ins), contractTerms(qty, cs, valuePx), lim.maxNotional->str()),
        lim.maxNotional->str(), rawStr(orderRaw));
  if (lim.minNotional && orderRaw < rawOf(*lim.minNotional))
    return fail(
        "MIN_NOTIONAL", OrdRejReason::Other,
        fmt::format("MIN_NOTIONAL: notional {} {}{} is below minimum {}", rawStr(orderRaw),
                    settleCcy(ins), contractTerms(qty, cs, valuePx), lim.minNotional->str()),
        lim.minNotional->str(), rawStr(orderRaw));

  // 7. Price band around the reference, for every price the order carries: a
  // fat-fingered trigger is as dangerous as a fat-fingered limit.
  if ((lim.priceBandPct || lim.priceBandTicks) && (px || stopPx)) {
    const std::optional<Price>& r = reference();
    if (!r)
      return fail("NO_REFERENCE_PRICE", OrdRejReason::Other,
                  fmt::format("NO_REFERENCE_PRICE: price band configured but no reference price "
                              "(last trade or quote) for {}",
                              o.symbol.str()));
    struct Checked {
      const std::optional<Price>& p;
      const char* name;
    };
    for (const Checked& c : {Checked{px, "Price (44)"}, Checked{stopPx, "StopPx (99)"}}) {
      if (!c.p) continue;
      const Price& v = *c.p;
      if (lim.priceBandPct) {
        Price lo = applyPercent(*r, lim.priceBandPct->mantissa(), false);
        Price hi = applyPercent(*r, lim.priceBandPct->mantissa(), true);
        if (v < lo || v > hi)
          return fail(
              "PRICE_BAND", OrdRejReason::Other,
              fmt::format("PRICE_BAND: {} {} is outside ±{}% of reference {} [{}, {}]", c.name,
                          v.str(), lim.priceBandPct->str(), r->str(), lo.str(), hi.str()),
              fmt::format("±{}% [{}, {}]", lim.priceBandPct->str(), lo.str(), hi.str()), v.str());
      }
      if (lim.priceBandTicks) {
        const __int128 span =
            static_cast<__int128>(*lim.priceBandTicks) * ins.tickSize.mantissa();
        const __int128 diff = abs128(static_cast<__int128>(v.mantissa()) - r->mantissa());
        if (diff > span) {
          Price lo = Price::fromMantissa(static_cast<int64_t>(r->mantissa() - span));
          Price hi = Price::fromMantissa(static_cast<int64_t>(r->mantissa() + span));
          return fail("PRICE_BAND", OrdRejReason::Other,
                      fmt::format("PRICE_BAND: {} {} is more than {} ticks from reference {} "
                                  "[{}, {}]",
                                  c.name, v.str(), *lim.priceBandTicks, r->str(), lo.str(),
                                  hi.str()),
                      fmt::format("±{} ticks [{}, {}]", *lim.priceBandTicks, lo.str(), hi.str()),
                      v.str());
        }
      }
    }
  }

  // 8. Throttles: order-entry messages (new and replace). A throttled order
  // is rejected, never queued; only admitted messages fill the window.
  if (!ses.orders.wouldAdmit(now))
    return fail("THROTTLE_SESSION_ORDERS", OrdRejReason::BrokerOption,
                fmt::format("THROTTLE_SESSION_ORDERS: more than {} orders in {} ms on this session",
                            ses.orders.limit(), ses.orders.windowNanos() / 1'000'000),
                fmt::format("{}/{}ms", ses.orders.limit(), ses.orders.windowNanos() / 1'000'000),
                std::to_string(ses.orders.inWindow(now) + 1));
  if (!acct.orders.wouldAdmit(now))
    return fail(
        "THROTTLE_ACCOUNT_ORDERS", OrdRejReason::BrokerOption,
        fmt::format("THROTTLE_ACCOUNT_ORDERS: more than {} orders in {} ms for account '{}'",
                    acct.orders.limit(), acct.orders.windowNanos() / 1'000'000, o.account.str()),
        fmt::format("{}/{}ms", acct.orders.limit(), acct.orders.windowNanos() / 1'000'000),
        std::to_string(acct.orders.inWindow(now) + 1));
  ses.orders.record(now);
  acct.orders.record(now);

  // 9. Duplicate order (new orders only).
  const int64_t pxKey = px ? px->mantissa() : -1;
  if (!replace && lim.duplicateAction != RuleAction::Off) {
    for (const DupEntry& d : acct.dups) {
      if (d.sym == symi && d.side == o.side && d.qty == qty.mantissa() && d.px == pxKey &&
          now - d.t < lim.duplicateWindowNanos) {
        std::string text = fmt::format(
            "DUPLICATE_ORDER: same account, symbol, side, quantity {} and price {} as an order "
            "{} ms ago (window {} ms)",
            qty.str(), px ? px->str() : "MKT", (now - d.t) / 1'000'000,
            lim.duplicateWindowNanos / 1'000'000);
        if (lim.duplicateAction == RuleAction::Reject)
          return fail("DUPLICATE_ORDER", OrdRejReason::DuplicateOrder, std::move(text),
                      fmt::format("{}ms", lim.duplicateWindowNanos / 1'000'000),
                      fmt::format("{}ms", (now - d.t) / 1'000'000));
        warnEvent(journal_, clock_, "DUPLICATE_ORDER", &o, nullptr, nullptr, std::move(text));
        break;
      }
    }
  }

  // Position and open orders in this symbol, without the order being replaced.
  const uint32_t bi = Access::book(m, ai, symi);
  Book& book = m.books[bi];
  const OpenOrder* old = nullptr;
  if (replace) {
    uint32_t oi = findIdx(m.orderIdx, o.orderId.str());
    if (oi != UINT32_MAX && m.orders[oi].live) old = &m.orders[oi];
  }
  Qty openBuy = book.openBuy, openSell = book.openSell;
  __int128 oldRaw = 0;
  if (old) {
    (old->side == Side::Buy ? openBuy : openSell) -= old->leaves();
    oldRaw = old->raw();
  }
  // What this order adds: its leaves (a replace keeps what is filled).
  const Qty addQty = replace ? (qty > o.cumQty ? qty - o.cumQty : Qty{}) : qty;
  const __int128 addRaw = valuePx ? contractValueRaw(*valuePx, addQty, cs) : 0;
  const Qty pos = book.pos.qty;

  // 10. Reduce-only.
  if (state == TradingState::Reducing) {
    bool reduces = o.side == Side::Buy ? (pos.isNegative() && pos + openBuy + addQty <= Qty{})
                                       : (pos.isPositive() && pos - openSell - addQty >= Qty{});
    if (!reduces)
      return fail("REDUCE_ONLY", OrdRejReason::BrokerOption,
                  fmt::format("REDUCE_ONLY: trading is REDUCING; {} {} would not reduce position "
                              "{} in {} (open buys {}, open sells {})",
                              toString(o.side), addQty.str(), pos.str(), o.symbol.str(),
                              openBuy.str(), openSell.str()),
                  "reduce only", fmt::format("position {}", pos.str()));
  }

  // 11. Open orders.
  if (lim.maxOpenOrders && !replace && acct.openCount + 1 > *lim.maxOpenOrders)
    return fail("MAX_OPEN_ORDERS", OrdRejReason::OrderExceedsLimit,
                fmt::format("MAX_OPEN_ORDERS: account '{}' would have {} open orders, limit {}",
                            o.account.str(), acct.openCount + 1, *lim.maxOpenOrders),
                std::to_string(*lim.maxOpenOrders), std::to_string(acct.openCount + 1));

  // 12. Position, worst case with every open order filled.
  if (o.side == Side::Buy && lim.maxLongQty) {
    Qty worst = pos + openBuy + addQty;
    if (worst > *lim.maxLongQty)
      return fail("MAX_LONG_POSITION", OrdRejReason::OrderExceedsLimit,
                  fmt::format("MAX_LONG_POSITION: position {} + open buys {} + order {} = {} in {} "
                              "exceeds limit {}",
                              pos.str(), openBuy.str(), addQty.str(), worst.str(), o.symbol.str(),
                              lim.maxLongQty->str()),
                  lim.maxLongQty->str(), worst.str());
  }
  if (isSell(o.side) && lim.maxShortQty) {
    Qty worst = -(pos - openSell - addQty);
    if (worst > *lim.maxShortQty)
      return fail("MAX_SHORT_POSITION", OrdRejReason::OrderExceedsLimit,
                  fmt::format("MAX_SHORT_POSITION: position {} - open sells {} - order {} is short "
                              "{} in {}, limit {}",
                              pos.str(), openSell.str(), addQty.str(), worst.str(), o.symbol.str(),
                              lim.maxShortQty->str()),
                  lim.maxShortQty->str(), worst.str());
  }

  // 13-15. Exposure, credit and daily loss need the account's books.
  if (lim.maxGrossExposure || lim.maxNetExposure || lim.creditLimit || lim.dailyLossLimit) {
    Exposure x;
    for (uint32_t b : acct.books) {
      const Book& bk = m.books[b];
      __int128 buyRaw = bk.openBuyRaw, sellRaw = bk.openSellRaw;
      if (old && b == bi) (old->side == Side::Buy ? buyRaw : sellRaw) -= oldRaw;
      std::optional<Price> r;
      if (!bk.pos.qty.isZero()) r = b == bi ? reference() : ref(bk.sym);
      // Money (contract size applied) once per book: unrealised = value - cost.
      const __int128 costVal = bk.pos.costValueRaw();
      const __int128 posVal = r ? bk.pos.marketValueRaw(*r) : costVal;
      x.gross += abs128(posVal) + buyRaw + sellRaw;
      x.netLong += posVal + buyRaw;
      x.netShort += posVal - sellRaw;
      x.credit += abs128(costVal) + buyRaw + sellRaw;
      if (r) x.unrealised += posVal - costVal;
    }
    if (lim.maxGrossExposure && x.gross + addRaw > rawOf(*lim.maxGrossExposure))
      return fail(
          "MAX_GROSS_EXPOSURE", OrdRejReason::OrderExceedsLimit,
          fmt::format("MAX_GROSS_EXPOSURE: gross exposure {} + order {} = {} exceeds limit {}",
                      rawStr(x.gross), rawStr(addRaw), rawStr(x.gross + addRaw),
                      lim.maxGrossExposure->str()),
          lim.maxGrossExposure->str(), rawStr(x.gross + addRaw));
    if (lim.maxNetExposure) {
      __int128 net = o.side == Side::Buy ? x.netLong + addRaw : x.netShort - addRaw;
      if (abs128(net) > rawOf(*lim.maxNetExposure))
        return fail("MAX_NET_EXPOSURE", OrdRejReason::OrderExceedsLimit,
                    fmt::format("MAX_NET_EXPOSURE: net exposure with this order would be {}, limit "
                                "±{}",
                                rawStr(net), lim.maxNetExposure->str()),
                    lim.maxNetExposure->str(), rawStr(net));
    }
    if (lim.creditLimit && x.credit + addRaw > rawOf(*lim.creditLimit))
      return fail("CREDIT_LIMIT", OrdRejReason::OrderExceedsLimit,
                  fmt::format("CREDIT_LIMIT: credit used {} + order {} = {} exceeds limit {}",
                              rawStr(x.credit), rawStr(addRaw), rawStr(x.credit + addRaw),
                              lim.creditLimit->str()),
                  lim.creditLimit->str(), rawStr(x.credit + addRaw));
    if (lim.dailyLossLimit) {
      const int64_t today = wall / kDayNanos;
      const __int128 pnl = (acct.day == today ? acct.dayRealisedRaw : 0) + x.unrealised;
      if (pnl <= -rawOf(*lim.dailyLossLimit)) {
        std::string why = fmt::format("daily loss limit: P&L {} reached -{}", rawStr(pnl),
                                      lim.dailyLossLimit->str());
        if (acct.state != TradingState::Halted)
          self.setTradingState(ScopeKind::Account, o.account.str(), TradingState::Halted, "risk",
                               why, lim.haltCancelsOpenOrders);
        return fail("DAILY_LOSS_LIMIT", OrdRejReason::BrokerOption,
                    fmt::format("DAILY_LOSS_LIMIT: account '{}' P&L today {} is at or beyond the "
                                "loss limit {}; account halted",
                                o.account.str(), rawStr(pnl), lim.dailyLossLimit->str()),
                    "-" + lim.dailyLossLimit->str(), rawStr(pnl));
      }
    }
  }

  // 16. Self-trade prevention against the account's resting orders.
  if (lim.selfTrade != StpAction::Off) {
    for (uint32_t oi : book.orders) {
      const OpenOrder& r = m.orders[oi];
      if (&r == old || r.stop || r.side == o.side || (isSell(r.side) && isSell(o.side)))
        continue;
      bool crosses;
      if (!px || !r.limitPx)
        crosses = true;
      else
        crosses = o.side == Side::Buy ? *px >= *r.limitPx : *px <= *r.limitPx;
      if (!crosses) continue;
      if (lim.selfTrade == StpAction::RejectIncoming)
        return fail("SELF_TRADE", OrdRejReason::BrokerOption,
                    fmt::format("SELF_TRADE: would cross the account's resting {} order {} at {}",
                                toString(r.side), r.id.str(),
                                r.limitPx ? r.limitPx->str() : std::string("MKT")),
                    "reject incoming", r.id.str());
      ok.cancelResting.push_back(r.id);
    }
  }

  if (!replace && lim.duplicateAction != RuleAction::Off) {
    DupEntry& d = acct.dups[acct.dupNext];
    acct.dupNext = (acct.dupNext + 1) % kDupSlots;
    d = DupEntry{symi, o.side, qty.mantissa(), pxKey, now};
  }
  return ok;
}

bool RiskEngine::onCancelRequest(const SessionKey& s, const Account& a) {
  Impl& m = *impl_;
  const MonoNanos now = clock_.monoNow();
  SessState& ses = m.sess[Access::sess(m, *this, s)];
  AcctState& acct = m.accts[Access::acct(m, *this, a)];
  bool ok = true;
  if (!ses.cancels.tryAdmit(now)) {
    ok = false;
    warnEvent(journal_, clock_, "THROTTLE_SESSION_CANCELS", nullptr, &a, &s,
              fmt::format("THROTTLE_SESSION_CANCELS: more than {} cancels in {} ms on this "
                          "session; cancel let through (cancels are never blocked)",
                          ses.cancels.limit(), ses.cancels.windowNanos() / 1'000'000));
  }
  if (!acct.cancels.tryAdmit(now)) {
    ok = false;
    warnEvent(journal_, clock_, "THROTTLE_ACCOUNT_CANCELS", nullptr, &a, &s,
              fmt::format("THROTTLE_ACCOUNT_CANCELS: more than {} cancels in {} ms for account "
                          "'{}'; cancel let through (cancels are never blocked)",
                          acct.cancels.limit(), acct.cancels.windowNanos() / 1'000'000, a.str()));
  }
  return ok;
}

// ---------------------------------------------------------------- hooks

namespace {
void addToBook(Book& b, const OpenOrder& o, int sign) {
  const Qty l = o.leaves();
  const __int128 raw = o.raw();
  if (o.side == Side::Buy) {
    b.openBuy = sign > 0 ? b.openBuy + l : b.openBuy - l;
    b.openBuyRaw += sign > 0 ? raw : -raw;
  } else {
    b.openSell = sign > 0 ? b.openSell + l : b.openSell - l;
    b.openSellRaw += sign > 0 ? raw : -raw;
  }
}
}  // namespace

void RiskEngine::onOrderOpen(const OrderId& id, const OrderIntent& o) {
  Impl& m = *impl_;
  const uint32_t symi = findIdx(m.symIdx, o.symbol.str());
  if (symi == UINT32_MAX || id.empty() || m.orderIdx.count(id.str())) return;
  const uint32_t ai = Access::acct(m, *this, o.account);
  const uint32_t bi = Access::book(m, ai, symi);
  uint32_t slot;
  if (!m.freeOrders.empty()) {
    slot = m.freeOrders.back();
    m.freeOrders.pop_back();
  } else {
    slot = static_cast<uint32_t>(m.orders.size());
    m.orders.emplace_back();
  }
  OpenOrder& oo = m.orders[slot];
  oo.id = id;
  oo.book = bi;
  oo.side = o.side;
  // Only a plain limit order rests on the book (an untriggered stop-limit does not).
  oo.limitPx = o.ordType == OrdType::Limit ? o.price : std::nullopt;
  oo.stop = hasStopPrice(o.ordType);
  oo.valuePx = o.price ? *o.price
               : o.stopPx ? *o.stopPx
                          : referencePrice(o.symbol).value_or(Price{});
  oo.qty = o.qty;
  oo.filled = o.cumQty;
  oo.contractSize = m.syms[symi].ins->contractSize;
  oo.live = true;
  m.orderIdx.emplace(id.str(), slot);
  Book& b = m.books[bi];
  b.orders.push_back(slot);
  addToBook(b, oo, +1);
  ++m.accts[ai].openCount;
}

void RiskEngine::onReplaced(const OrderId& id, Qty newQty, std::optional<Price> newPrice) {
  Impl& m = *impl_;
  uint32_t oi = findIdx(m.orderIdx, id.str());
  if (oi == UINT32_MAX) return;
  OpenOrder& oo = m.orders[oi];
  Book& b = m.books[oo.book];
  addToBook(b, oo, -1);
  oo.qty = newQty;
  if (newPrice && oo.limitPx) oo.limitPx = newPrice;
  if (newPrice) oo.valuePx = *newPrice;
  addToBook(b, oo, +1);
}

void RiskEngine::onFill(const OrderId& id, const Account& a, const Symbol& s, Side side, Qty q,
                        Price px, WallNanos ts) {
  Impl& m = *impl_;
  onTrade(s, px);
  uint32_t oi = findIdx(m.orderIdx, id.str());
  if (oi != UINT32_MAX) {
    OpenOrder& oo = m.orders[oi];
    Book& b = m.books[oo.book];
    addToBook(b, oo, -1);
    oo.filled += q;
    addToBook(b, oo, +1);
  }
  const uint32_t symi = findIdx(m.symIdx, s.str());
  if (symi == UINT32_MAX) return;
  const uint32_t ai = Access::acct(m, *this, a);
  Book& b = m.books[Access::book(m, ai, symi)];
  const __int128 before = b.pos.realisedRaw;
  b.pos.apply(side, q, px);
  AcctState& acct = m.accts[ai];
  const int64_t day = ts / kDayNanos;
  if (day > acct.day) {
    acct.day = day;
    acct.dayRealisedRaw = 0;
  }
  if (day == acct.day)
    acct.dayRealisedRaw += contractRaw(b.pos.realisedRaw - before, b.pos.contractSize);

  // The daily loss limit halts the account as soon as a fill breaches it.
  const RiskLimits& lim = *acct.lim;
  if (lim.dailyLossLimit && acct.state != TradingState::Halted &&
      day == clock_.wallNow() / kDayNanos) {
    __int128 pnl = acct.dayRealisedRaw;
    for (uint32_t bi : acct.books) {
      const Book& bk = m.books[bi];
      if (bk.pos.qty.isZero()) continue;
      if (auto r = referencePrice(m.syms[bk.sym].name)) pnl += bk.pos.unrealisedValueRaw(*r);
    }
    if (pnl <= -rawOf(*lim.dailyLossLimit))
      setTradingState(ScopeKind::Account, a.str(), TradingState::Halted, "risk",
                      fmt::format("daily loss limit: P&L {} reached -{}", rawStr(pnl),
                                  lim.dailyLossLimit->str()),
                      lim.haltCancelsOpenOrders);
  }
}

void RiskEngine::onOrderClosed(const OrderId& id) {
  Impl& m = *impl_;
  auto it = m.orderIdx.find(id.str());
  if (it == m.orderIdx.end()) return;
  const uint32_t slot = it->second;
  m.orderIdx.erase(it);
  OpenOrder& oo = m.orders[slot];
  Book& b = m.books[oo.book];
  addToBook(b, oo, -1);
  auto pos = std::find(b.orders.begin(), b.orders.end(), slot);
  if (pos != b.orders.end()) {
    *pos = b.orders.back();
    b.orders.pop_back();
  }
  AcctState& acct = m.accts[b.acct];
  if (acct.openCount > 0) --acct.openCount;
  oo.live = false;
  m.freeOrders.push_back(slot);
}

// ---------------------------------------------------------------- views and restore

std::vector<PositionView> RiskEngine::positions(const std::optional<Account>& a) const {
  const Impl& m = *impl_;
  std::vector<PositionView> out;
  for (const Book& b : m.books) {
    const AcctState& acct = m.accts[b.acct];
    if (a && acct.name != *a) continue;
    if (b.pos.qty.isZero() && b.pos.realisedRaw == 0 && b.pos.boughtQty.isZero() &&
        b.pos.soldQty.isZero() && b.orders.empty())
      continue;
    PositionView v;
    v.account = acct.name;
    v.symbol = m.syms[b.sym].name;
    v.qty = b.pos.qty;
    v.avgCost = b.pos.avgCost();
    v.realised = b.pos.realised();
    v.reference = referencePrice(v.symbol);
    if (v.reference) v.unrealised = b.pos.unrealised(*v.reference);
    v.bought = b.pos.boughtQty;
    v.sold = b.pos.soldQty;
    v.openBuyQty = b.openBuy;
    v.openSellQty = b.openSell;
    const Instrument& ins = *m.syms[b.sym].ins;
    v.contractSize = ins.contractSize;
    v.marginMode = ins.marginMode;
    v.settleCurrency = settleCcy(ins);
    v.derivative = ins.isDerivative();
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const PositionView& x, const PositionView& y) {
    return x.account != y.account ? x.account < y.account : x.symbol < y.symbol;
  });
  return out;
}

std::optional<PositionView> RiskEngine::position(const Account& a, const Symbol& s) const {
  for (auto& v : positions(a))
    if (v.symbol == s) return v;
  return std::nullopt;
}

std::vector<AccountView> RiskEngine::accounts() const {
  const Impl& m = *impl_;
  std::vector<AccountView> out;
  const int64_t today = clock_.wallNow() / kDayNanos;
  for (const AcctState& a : m.accts) {
    AccountView v;
    v.account = a.name;
    v.state = a.state;
    v.openOrders = a.openCount;
    __int128 pnl = a.day == today ? a.dayRealisedRaw : 0, gross = 0, net = 0, credit = 0;
    for (uint32_t bi : a.books) {
      const Book& b = m.books[bi];
      std::optional<Price> r = referencePrice(m.syms[b.sym].name);
      __int128 posVal = r ? b.pos.marketValueRaw(*r) : b.pos.costValueRaw();
      gross += abs128(posVal) + b.openBuyRaw + b.openSellRaw;
      net += posVal + b.openBuyRaw - b.openSellRaw;
      credit += abs128(b.pos.costValueRaw()) + b.openBuyRaw + b.openSellRaw;
      if (r) pnl += b.pos.unrealisedValueRaw(*r);
    }
    v.dailyPnl = notionalFromRaw(pnl);
    v.grossExposure = notionalFromRaw(gross);
    v.netExposure = notionalFromRaw(net);
    v.creditUsed = notionalFromRaw(credit);
    out.push_back(std::move(v));
  }
  return out;
}

void RiskEngine::restore(const std::vector<RestoredFill>& fills,
                         const std::vector<RestoredState>& states) {
  Impl& m = *impl_;
  Journal* j = journal_;
  journal_ = nullptr;  // replaying history is not a new event
  for (const auto& st : states) {
    if (st.scope == ScopeKind::Global)
      m.global = st.state;
    else if (st.scope == ScopeKind::Account)
      m.accts[Access::acct(m, *this, Account(st.key))].state = st.state;
    else if (st.scope == ScopeKind::Party)
      m.parties[st.key] = st.state;
    else
      m.sess[Access::sess(m, *this, SessionKey(st.key))].state = st.state;
  }
  for (const auto& f : fills) {
    const uint32_t symi = findIdx(m.symIdx, f.symbol.str());
    if (symi == UINT32_MAX) {
      spdlog::warn("risk: restored fill for unknown symbol {} ignored in positions",
                   f.symbol.str());
      continue;
    }
    const uint32_t ai = Access::acct(m, *this, f.account);
    Book& b = m.books[Access::book(m, ai, symi)];
    const __int128 before = b.pos.realisedRaw;
    b.pos.apply(f.side, f.qty, f.px);
    AcctState& acct = m.accts[ai];
    const int64_t day = f.ts / kDayNanos;
    if (day > acct.day) {
      acct.day = day;
      acct.dayRealisedRaw = 0;
    }
    if (day == acct.day)
      acct.dayRealisedRaw += contractRaw(b.pos.realisedRaw - before, b.pos.contractSize);
    m.syms[symi].lastTrade = f.px;
  }
  journal_ = j;
}

}  // namespace fixgw::risk
