#include "venue_adapters/ibkr_tws/config.h"

#include <charconv>
#include <stdexcept>
#include <vector>

namespace fixgw::tws {

namespace {

std::vector<std::string> splitColon(std::string_view s) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t c = s.find(':', pos);
    if (c == std::string_view::npos) {
      parts.emplace_back(s.substr(pos));
      break;
    }
    parts.emplace_back(s.substr(pos, c - pos));
    pos = c + 1;
  }
  return parts;
}

bool allDigits(const std::string& s, size_t minLen, size_t maxLen) {
  if (s.size() < minLen || s.size() > maxLen) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

TwsConfig readTwsConfig(venues::ParamReader& p, const std::string& path) {
  TwsConfig c;
  auto bad = [&](const std::string& key, const std::string& why) {
    throw std::invalid_argument(path + "." + key + ": " + why);
  };
  if (auto v = p.str("host")) {
    if (v->empty()) bad("host", "must not be empty");
    c.host = *v;
  }
  int64_t port = p.integer("port", c.port);
  if (port <= 0 || port > 65535) bad("port", "must be 1..65535");
  c.port = static_cast<int>(port);
  c.clientId = p.integer("client_id", c.clientId);
  if (c.clientId < 0 || c.clientId > 2147483647) bad("client_id", "must be 0..2147483647");
  if (auto v = p.str("account")) c.account = *v;
  c.pacingMsgsPerSec = p.number("pacing_msgs_per_s", c.pacingMsgsPerSec);
  if (!(c.pacingMsgsPerSec > 0) || c.pacingMsgsPerSec > 10'000)
    bad("pacing_msgs_per_s", "must be > 0 and <= 10000");
  if (auto v = p.str("order_id_file")) c.orderIdFile = *v;
  if (auto v = p.str("order_id_store")) c.orderIdStore = *v;
  c.reconnectMinMs = p.integer("reconnect_min_ms", c.reconnectMinMs);
  c.reconnectMaxMs = p.integer("reconnect_max_ms", c.reconnectMaxMs);
  if (c.reconnectMinMs <= 0) bad("reconnect_min_ms", "must be positive");
  if (c.reconnectMaxMs < c.reconnectMinMs) bad("reconnect_max_ms", "must be >= reconnect_min_ms");
  c.heartbeatSec = p.integer("heartbeat_s", c.heartbeatSec);
  if (c.heartbeatSec <= 0 || c.heartbeatSec > 3600) bad("heartbeat_s", "must be 1..3600");
  c.connectTimeoutMs = p.integer("connect_timeout_ms", c.connectTimeoutMs);
  if (c.connectTimeoutMs <= 0) bad("connect_timeout_ms", "must be positive");
  c.outsideRth = p.boolean("outside_rth", c.outsideRth);
  c.commissionWaitMs = p.integer("commission_wait_ms", c.commissionWaitMs);
  if (c.commissionWaitMs < 0 || c.commissionWaitMs > 60'000)
    bad("commission_wait_ms", "must be 0..60000");
  int64_t maxV = p.integer("max_server_version", c.maxVersion);
  if (maxV < kMinClientVersion || maxV > kMaxClientVersion)
    bad("max_server_version",
        "must be " + std::to_string(kMinClientVersion) + ".." + std::to_string(kMaxClientVersion));
  c.maxVersion = static_cast<int>(maxV);
  return c;
}

Result<Contract> parseContractSpec(std::string_view spec) {
  using R = Result<Contract>;
  auto parts = splitColon(spec);
  Contract c;
  const std::string kind = parts[0];
  auto need = [&](size_t n) { return parts.size() >= n; };
  if (kind == "conid") {
    if (parts.size() < 2 || parts.size() > 3)
      return R::fail("contract spec '" + std::string(spec) + "': expected conid:<id>[:<exchange>]");
    int64_t id = 0;
    auto [p, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), id);
    if (ec != std::errc() || p != parts[1].data() + parts[1].size() || id <= 0)
      return R::fail("contract spec '" + std::string(spec) + "': conId must be a positive integer");
    c.conId = id;
    c.exchange = parts.size() == 3 && !parts[2].empty() ? parts[2] : "SMART";
    return R::ok(c);
  }
  if (kind != "STK" && kind != "FUT" && kind != "OPT" && kind != "CASH")
    return R::fail("contract spec '" + std::string(spec) +
                   "': secType must be STK, FUT, OPT, CASH or conid");
  if (!need(5))
    return R::fail("contract spec '" + std::string(spec) +
                   "': expected <secType>:<symbol>:<exchange>:<primaryExchange>:<currency>");
  c.secType = kind;
  c.symbol = parts[1];
  c.exchange = parts[2].empty() ? "SMART" : parts[2];
  c.primaryExchange = parts[3];
  c.currency = parts[4];
  if (c.symbol.empty())
    return R::fail("contract spec '" + std::string(spec) + "': symbol is empty");
  if (c.currency.empty())
    return R::fail("contract spec '" + std::string(spec) + "': currency is empty");
  if (kind == "STK" || kind == "CASH") {
    if (parts.size() != 5)
      return R::fail("contract spec '" + std::string(spec) + "': too many fields for " + kind);
    if (kind == "CASH" && c.exchange == "SMART") c.exchange = "IDEALPRO";
    return R::ok(c);
  }
  if (kind == "FUT") {
    if (parts.size() < 6 || parts.size() > 8)
      return R::fail("contract spec '" + std::string(spec) +
                     "': expected FUT:<symbol>:<exchange>:<primary>:<currency>:<yyyymm[dd]>"
                     "[:<multiplier>[:<localSymbol>]]");
    if (!allDigits(parts[5], 6, 8))
      return R::fail("contract spec '" + std::string(spec) +
                     "': expiry must be yyyymm or yyyymmdd");
    c.lastTradeDateOrContractMonth = parts[5];
    if (parts.size() > 6) c.multiplier = parts[6];
    if (parts.size() > 7) c.localSymbol = parts[7];
    return R::ok(c);
  }
  // OPT
  if (parts.size() < 8 || parts.size() > 9)
    return R::fail("contract spec '" + std::string(spec) +
                   "': expected OPT:<symbol>:<exchange>:<primary>:<currency>:<yyyymmdd>:<strike>:"
                   "<C|P>[:<multiplier>]");
  if (!allDigits(parts[5], 8, 8))
    return R::fail("contract spec '" + std::string(spec) + "': expiry must be yyyymmdd");
  c.lastTradeDateOrContractMonth = parts[5];
  auto strike = Price::parse(parts[6]);
  if (!strike || !strike->isPositive())
    return R::fail("contract spec '" + std::string(spec) + "': strike must be a positive number");
  c.strike = *strike;
  if (parts[7] != "C" && parts[7] != "P")
    return R::fail("contract spec '" + std::string(spec) + "': right must be C or P");
  c.right = parts[7];
  if (parts.size() > 8) c.multiplier = parts[8];
  return R::ok(c);
}

Result<Contract> contractFor(const Instrument& inst, const std::string& venueName) {
  auto it = inst.venueSymbols.find(venueName);
  if (it == inst.venueSymbols.end()) {
    Contract c;
    c.secType = "STK";
    c.symbol = inst.symbol.str();
    c.exchange = "SMART";
    c.currency = inst.currency;
    return Result<Contract>::ok(c);
  }
  auto r = parseContractSpec(it->second);
  if (!r) return Result<Contract>::fail("instrument " + inst.symbol.str() + ": " + r.error());
  return r;
}

}  // namespace fixgw::tws
