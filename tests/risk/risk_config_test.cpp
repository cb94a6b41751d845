// The risk section of the config: every key parses into the limits the engine
// uses, accounts inherit the defaults, instrument rounding flags, and errors
// name the key path (unknown keys included).
#include <gtest/gtest.h>

#include "config/config.h"

using namespace fixgw;
using namespace fixgw::config;

namespace {

std::string withRisk(const std::string& risk, const std::string& instrumentExtra = "") {
  return R"({
  "fix": { "sessions": [ { "begin_string": "FIX.4.4", "target_comp_id": "C1" } ] },
  "database": { "conninfo": "host=h" },
  "instruments": [ { "symbol": "AAPL", "reference_price": "100.00")" +
         instrumentExtra + R"( } ],
  "venues": [ { "name": "SIM", "type": "sim" } ],
  "risk": )" +
         risk + "}";
}
std::optional<std::string> noEnv(const std::string&) { return std::nullopt; }
std::string errorOf(const std::string& json) {
  try {
    parseConfig(json, "/base", noEnv);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(RiskConfig, EveryLimitKeyParses) {
  auto c = parseConfig(withRisk(R"({
    "defaults": {
      "max_order_qty": "1000", "max_notional": "50000", "min_order_qty": "2", "min_notional": "10",
      "price_band_pct": "5", "price_band_ticks": 20, "allow_market_orders": false,
      "allowed_ord_types": ["LIMIT"], "allowed_tifs": ["DAY", "IOC"],
      "restricted_symbols": ["GME"], "max_open_orders": 7, "max_long_qty": "300",
      "max_short_qty": "200", "max_gross_exposure": "90000", "max_net_exposure": "40000",
      "daily_loss_limit": "2500", "credit_limit": "80000", "max_orders_per_sec": 20,
      "max_cancels_per_sec": 30, "duplicate_orders": "reject", "duplicate_window_ms": 250,
      "self_trade": "cancel_resting", "halt_cancels_open_orders": false
    },
    "session_defaults": { "max_orders_per_sec": 100, "max_cancels_per_sec": 200 },
    "sessions": { "FIX.4.4:FIXGW->C1": { "max_orders_per_sec": 5 } },
    "restricted_symbols": ["AMC"],
    "throttle_window_ms": 2000,
    "static_reference_fallback": false,
    "admin": { "socket_path": "run/admin.sock", "token_file": "/etc/fixgw/token" }
  })",
                                R"(, "round_to_tick": true)"),
                       "/base", noEnv);
  const risk::RiskLimits& l = c.risk.defaults;
  EXPECT_EQ(*l.maxOrderQty, Qty::of("1000"));
  EXPECT_EQ(*l.maxNotional, Notional::of("50000"));
  EXPECT_EQ(*l.minOrderQty, Qty::of("2"));
  EXPECT_EQ(*l.minNotional, Notional::of("10"));
  EXPECT_EQ(*l.priceBandPct, Price::of("5"));
  EXPECT_EQ(*l.priceBandTicks, 20);
  EXPECT_FALSE(l.allowMarketOrders);
  EXPECT_EQ(l.allowedOrdTypes, 1u << static_cast<unsigned>(OrdType::Limit));
  EXPECT_EQ(l.allowedTifs, (1u << static_cast<unsigned>(TimeInForce::Day)) |
                               (1u << static_cast<unsigned>(TimeInForce::Ioc)));
  EXPECT_TRUE(l.restrictedSymbols.count(Symbol("GME")));
  EXPECT_EQ(*l.maxOpenOrders, 7u);
  EXPECT_EQ(*l.maxLongQty, Qty::of("300"));
  EXPECT_EQ(*l.maxShortQty, Qty::of("200"));
  EXPECT_EQ(*l.maxGrossExposure, Notional::of("90000"));
  EXPECT_EQ(*l.maxNetExposure, Notional::of("40000"));
  EXPECT_EQ(*l.dailyLossLimit, Notional::of("2500"));
  EXPECT_EQ(*l.creditLimit, Notional::of("80000"));
  EXPECT_EQ(l.maxOrdersPerSec, 20u);
  EXPECT_EQ(l.maxCancelsPerSec, 30u);
  EXPECT_EQ(l.duplicateAction, risk::RuleAction::Reject);
  EXPECT_EQ(l.duplicateWindowNanos, 250'000'000);
  EXPECT_EQ(l.selfTrade, risk::StpAction::CancelResting);
  EXPECT_FALSE(l.haltCancelsOpenOrders);
  EXPECT_EQ(c.risk.sessionDefaults.maxOrdersPerSec, 100u);
  const auto& s = c.risk.sessions.at(SessionKey("FIX.4.4:FIXGW->C1"));
  EXPECT_EQ(s.maxOrdersPerSec, 5u);
  EXPECT_EQ(s.maxCancelsPerSec, 200u) << "a session inherits the session defaults";
  EXPECT_TRUE(c.risk.restrictedSymbols.count(Symbol("AMC")));
  EXPECT_EQ(c.risk.throttleWindowNanos, 2'000'000'000);
  EXPECT_FALSE(c.risk.staticReferenceFallback);
  EXPECT_EQ(c.risk.adminSocketPath, "/base/run/admin.sock");
  EXPECT_EQ(c.risk.adminTokenFile, "/etc/fixgw/token");
  EXPECT_TRUE(c.risk.instruments.at(Symbol("AAPL")).roundToTick);
  EXPECT_FALSE(c.risk.instruments.at(Symbol("AAPL")).roundToLot);
}

TEST(RiskConfig, AccountsInheritTheDefaultsAndOverrideWhatTheyName) {
  auto c = parseConfig(withRisk(R"({
    "defaults": { "max_order_qty": "1000", "max_notional": "50000", "self_trade": "reject_incoming" },
    "accounts": { "DESK1": { "max_notional": "500" } }
  })"),
                       "/base", noEnv);
  const auto& d1 = c.risk.accounts.at(Account("DESK1"));
  EXPECT_EQ(*d1.maxOrderQty, Qty::of("1000"));
  EXPECT_EQ(*d1.maxNotional, Notional::of("500"));
  EXPECT_EQ(d1.selfTrade, risk::StpAction::RejectIncoming);
}

TEST(RiskConfig, ErrorsNameTheKeyPath) {
  EXPECT_EQ(errorOf(withRisk(R"({ "accounts": { "DESK1": { "max_notionl": "5" } } })")),
            "risk.accounts.DESK1.max_notionl: unknown key");
  EXPECT_EQ(errorOf(withRisk(R"({ "defaults": { "max_long_qty": "-1" } })")),
            "risk.defaults.max_long_qty: must be positive");
  EXPECT_NE(errorOf(withRisk(R"({ "defaults": { "self_trade": "maybe" } })"))
                .find("risk.defaults.self_trade: 'maybe' is not one of"),
            std::string::npos);
  EXPECT_NE(errorOf(withRisk(R"({ "defaults": { "allowed_tifs": ["DAY", "GTX"] } })"))
                .find("risk.defaults.allowed_tifs: 'GTX'"),
            std::string::npos);
  EXPECT_EQ(errorOf(withRisk(R"({ "defaults": { "duplicate_orders": "sometimes" } })")),
            "risk.defaults.duplicate_orders: 'sometimes' is not one of off, warn, reject");
  EXPECT_EQ(errorOf(withRisk(R"({ "throttle_window_ms": 0 })")),
            "risk.throttle_window_ms: must be positive");
  EXPECT_EQ(errorOf(withRisk(R"({ "admin": { "token": "x" } })")), "risk.admin.token: unknown key");
  EXPECT_EQ(errorOf(withRisk(R"({ "sessions": { "S": { "max_orders_per_sec": -1 } } })")),
            "risk.sessions.S.max_orders_per_sec: must be 0..1000000");
  EXPECT_EQ(errorOf(withRisk("{}", R"(, "round_to_tick": "yes")")),
            "instruments[0].round_to_tick: expected true or false");
}

TEST(RiskConfig, ShippedDefaultsGiveEveryAccountANet) {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  auto c = loadConfig(std::string(d ? d : FIXGW_SOURCE_DIR_DEFAULT) + "/config/fixgw.json");
  const risk::RiskLimits& l = c.risk.defaults;
  EXPECT_EQ(*l.maxOrderQty, Qty::of("1000000"));
  EXPECT_EQ(*l.maxNotional, Notional::of("10000000"));
  EXPECT_TRUE(l.maxOpenOrders && l.maxLongQty && l.maxShortQty && l.maxGrossExposure &&
              l.maxNetExposure && l.dailyLossLimit && l.creditLimit);
  EXPECT_GT(l.maxOrdersPerSec, 0u);
  EXPECT_GT(c.risk.sessionDefaults.maxOrdersPerSec, 0u);
  EXPECT_FALSE(c.risk.adminSocketPath.empty());
  EXPECT_TRUE(c.risk.adminTokenFile.empty()) << "the token never lives in the repo";
}
