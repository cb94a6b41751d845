// Pre-trade risk: the gate every new order and every replace passes, the
// kill switch (trading states), and positions with P&L. A denial is a value
// (RiskDecision) with a machine-readable rule code, the FIX OrdRejReason to
// report, and a Text naming the rule, the limit and the order's value —
// never an exception. Every denial, warning and trading-state change is
// journaled as a RiskEventRec (when a journal is attached).
//
// The check chain (see docs/risk.md for each rule and its config key):
//   trading state (HALTED) -> symbol known / restricted -> order type / TIF
//   -> quantity shape, lot, minimums -> price shape, tick -> max order qty
//   -> notional max/min -> price band (pct or ticks) -> throttles (session,
//   account) -> duplicate order -> reduce-only (REDUCING) -> max open orders
//   -> position long/short -> gross / net exposure -> credit -> daily loss
//   -> self-trade prevention.
// Replaces are checked as the resulting order (the existing order's open
// exposure is swapped for the new one). Cancels are never blocked.
//
// State the checks use — open orders, positions, throttle windows, trading
// states — is kept here and fed by the router's hooks (onOrderOpen,
// onReplaced, onFill, onOrderClosed). Accounts, symbols and sessions are
// interned to small integers; per-check work is array indexing and a few
// hash lookups on existing strings, with no allocation on the accept path.
//
// Thread-safety: engine thread only (no locks by design).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/ids.h"
#include "core/instrument.h"
#include "core/journal.h"
#include "core/order_details.h"
#include "core/reports.h"
#include "core/types.h"
#include "risk/positions.h"
#include "risk/throttle.h"

namespace fixgw::risk {

enum class TradingState : uint8_t { Active, Reducing, Halted };
std::string_view toString(TradingState s);
std::optional<TradingState> tradingStateFromString(std::string_view s);  // case-insensitive

// Party: a PartyID (448; FIX 4.2 ClientID 109 / ExecBroker 76) of the order's
// parties, so a desk, trader or end client can be halted across accounts.
enum class ScopeKind : uint8_t { Global, Account, Session, Party };
std::string_view toString(ScopeKind s);
std::optional<ScopeKind> scopeKindFromString(std::string_view s);

// What to do about a rule that can warn or reject.
enum class RuleAction : uint8_t { Off, Warn, Reject };
// Self-trade prevention: reject the incoming order or cancel the resting one(s).
enum class StpAction : uint8_t { Off, RejectIncoming, CancelResting };

struct RiskLimits {
  // Order level.
  std::optional<Qty> maxOrderQty;
  std::optional<Notional> maxNotional;
  std::optional<Qty> minOrderQty;
  std::optional<Notional> minNotional;
  // Price band around the reference price: percent (10 = ±10%) and/or ticks.
  std::optional<Price> priceBandPct;
  std::optional<int64_t> priceBandTicks;
  bool allowMarketOrders = true;
  uint8_t allowedOrdTypes = 0xFF;  // bit (1 << OrdType)
  uint8_t allowedTifs = 0xFF;      // bit (1 << TimeInForce)
  std::set<Symbol> restrictedSymbols;
  // Account level.
  std::optional<uint32_t> maxOpenOrders;
  std::optional<Qty> maxLongQty;   // per symbol, position + open buys
  std::optional<Qty> maxShortQty;  // per symbol, |position - open sells|
  std::optional<Notional> maxGrossExposure;
  std::optional<Notional> maxNetExposure;
  std::optional<Notional> dailyLossLimit;  // positive number: halt at P&L <= -limit
  std::optional<Notional> creditLimit;
  // Flow level (per account).
  uint32_t maxOrdersPerSec = 0;   // 0 = off
  uint32_t maxCancelsPerSec = 0;  // 0 = off
  RuleAction duplicateAction = RuleAction::Off;
  int64_t duplicateWindowNanos = 1'000'000'000;
  StpAction selfTrade = StpAction::Off;
  // Going HALTED automatically (daily loss) cancels the account's open orders.
  bool haltCancelsOpenOrders = true;
};

// Per-instrument handling of off-grid orders: reject (default) or round.
// Rounding is never more aggressive: buys round the price down, sells up;
// quantities round down to the lot (an order rounding to 0 is rejected).
struct InstrumentRiskRules {
  bool roundToTick = false;
  bool roundToLot = false;
};

struct SessionThrottle {
  uint32_t maxOrdersPerSec = 0;
  uint32_t maxCancelsPerSec = 0;
};

struct RiskConfig {
  RiskLimits defaults;
  std::map<Account, RiskLimits> accounts;  // complete limits (config merges defaults in)
  std::map<Symbol, InstrumentRiskRules> instruments;
  SessionThrottle sessionDefaults;
  std::map<SessionKey, SessionThrottle> sessions;
  std::set<Symbol> restrictedSymbols;  // for every account
  int64_t throttleWindowNanos = 1'000'000'000;
  // Reference price falls back to the instrument master's static price.
  bool staticReferenceFallback = true;
  // Admin listener (apps/admin.h): unix socket path; the token comes from the
  // environment (FIXGW_ADMIN_TOKEN) or the file named here, never the config.
  std::string adminSocketPath;
  std::string adminTokenFile;
};

struct RiskDecision {
  bool accepted = true;
  std::string rule;  // e.g. "MAX_ORDER_QTY"; empty when accepted
  OrdRejReason reason = OrdRejReason::Other;
  std::string text;
  // Set when the order was accepted after rounding to tick / lot.
  std::optional<Qty> adjustedQty;
  std::optional<Price> adjustedPrice;
  // Self-trade prevention (CancelResting): resting orders the router must cancel.
  std::vector<OrderId> cancelResting;
  static RiskDecision ok() { return {}; }
};

// What risk looks at: the order as it would stand after this request.
struct OrderIntent {
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  Qty qty;  // total order quantity (a replace's new OrderQty)
  std::optional<Price> price;
  TimeInForce tif = TimeInForce::Day;
  SessionKey session;
  OrderId orderId;  // replace: the order being replaced; new: its id (optional)
  ClOrdId clOrdId;  // for the journal
  Qty cumQty;       // replace: what is already filled
  std::optional<Price> stopPx;  // Stop, StopLimit: the trigger (StopPx 99)
  const std::vector<Party>* parties = nullptr;  // the order's parties (Party scope); may be null
};

struct StateChange {
  ScopeKind scope = ScopeKind::Global;
  std::string key;  // account or session key; empty for global
  TradingState from = TradingState::Active, to = TradingState::Active;
  std::string who, why;
  bool cancelOpenOrders = false;
};

// A request to cancel every open order of a scope (HALTED with cancel).
struct CancelScope {
  ScopeKind scope = ScopeKind::Global;
  std::string key;
  std::string reason;
};

struct PositionView {
  Account account;
  Symbol symbol;
  Qty qty;
  Price avgCost;
  Notional realised;
  Notional unrealised;
  std::optional<Price> reference;
  Qty bought, sold;
  Qty openBuyQty, openSellQty;
  // Derivatives: qty, bought and sold count contracts; realised and
  // unrealised are qty * contractSize * price, in settleCurrency.
  Qty contractSize = Qty::fromInt(1);
  std::string marginMode = "cash";
  std::string settleCurrency;  // the instrument's settle currency, else its currency
  bool derivative = false;
};

struct AccountView {
  Account account;
  TradingState state = TradingState::Active;
  uint32_t openOrders = 0;
  Notional dailyPnl;  // realised today + unrealised
  Notional grossExposure, netExposure, creditUsed;
};

// A fill or state restored at start-up (from the journal).
struct RestoredFill {
  Account account;
  Symbol symbol;
  Side side = Side::Buy;
  Qty qty;
  Price px;
  WallNanos ts = 0;
};
struct RestoredState {
  ScopeKind scope = ScopeKind::Global;
  std::string key;
  TradingState state = TradingState::Active;
};

class RiskEngine {
 public:
  RiskEngine(RiskConfig cfg, const InstrumentMaster& instruments,
             const Clock& clock = SystemClock::instance());
  ~RiskEngine();
  RiskEngine(const RiskEngine&) = delete;
  RiskEngine& operator=(const RiskEngine&) = delete;

  // Risk events (rejects, warnings, state changes) go here; null = none.
  void setJournal(Journal* j) { journal_ = j; }
  // Live reference price (e.g. mid of a venue's quote), asked after the last
  // trade the gateway saw and before the instrument's static price.
  using ReferenceSource = std::function<std::optional<Price>(const Symbol&)>;
  void setReferenceSource(ReferenceSource s) { refSource_ = std::move(s); }

  // New limits without a restart: positions, open orders, states and
  // throttle history (where its shape is unchanged) are kept.
  void reload(RiskConfig cfg);
  // The same, journaled as a CONFIG_RELOAD risk event naming who asked.
  void reload(RiskConfig cfg, const std::string& who);
  const RiskConfig& config() const { return cfg_; }
  const InstrumentMaster& instruments() const { return instruments_; }

  RiskDecision checkNew(const OrderIntent& o);
  // Checked as the resulting order; o.orderId names the order being replaced.
  RiskDecision checkReplace(const OrderIntent& o);
  // Counts a cancel against the cancel throttles. Never blocks: over the
  // limit it journals a warning and returns false.
  bool onCancelRequest(const SessionKey& s, const Account& a);

  // Router hooks: an order accepted by risk and sent on; its replace done;
  // its fills; its end (any terminal state; unknown ids are ignored).
  void onOrderOpen(const OrderId& id, const OrderIntent& o);
  void onReplaced(const OrderId& id, Qty newQty, std::optional<Price> newPrice);
  void onFill(const OrderId& id, const Account& a, const Symbol& s, Side side, Qty q, Price px,
              WallNanos ts);
  void onOrderClosed(const OrderId& id);

  // Kill switch. Returns the change (from == to when nothing changed).
  StateChange setTradingState(ScopeKind scope, const std::string& key, TradingState st,
                              const std::string& who, const std::string& why,
                              bool cancelOpenOrders);
  TradingState tradingState(ScopeKind scope, const std::string& key) const;
  // Most restrictive of global, account and session.
  TradingState effectiveState(const Account& a, const SessionKey& s) const;
  // Cancel-all requests raised since the last call (admin halts with cancel,
  // automatic halts); the router cancels the open orders in each scope.
  std::vector<CancelScope> takeCancelScopes();
  bool hasCancelScopes() const { return !cancelScopes_.empty(); }

  // Positions and P&L.
  std::vector<PositionView> positions(const std::optional<Account>& a = std::nullopt) const;
  std::optional<PositionView> position(const Account& a, const Symbol& s) const;
  std::vector<AccountView> accounts() const;
  // Re-applies fills (in exec_time order) and trading states after a restart.
  void restore(const std::vector<RestoredFill>& fills, const std::vector<RestoredState>& states);

  // Reference price for bands, market-order notional and unrealised P&L.
  void onTrade(const Symbol& s, Price px);
  std::optional<Price> referencePrice(const Symbol& s) const;

  const RiskLimits& limitsFor(const Account& a) const;
  // Number of rules configured for an account (for the benchmark and logs).
  int rulesConfigured(const Account& a) const;

  // Opaque interned state (risk.cpp).
  struct Impl;

 private:
  RiskDecision runChain(const OrderIntent& o, bool replace, std::string& limit, std::string& value);
  RiskDecision checked(const OrderIntent& o, bool replace);
  std::unique_ptr<Impl> impl_;
  RiskConfig cfg_;
  const InstrumentMaster& instruments_;
  const Clock& clock_;
  Journal* journal_ = nullptr;
  ReferenceSource refSource_;
  std::vector<CancelScope> cancelScopes_;
};

}  // namespace fixgw::risk
