#include "venue_adapters/fix/fix_profile.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "core/clock.h"
#include "venue_adapters/registry.h"

namespace fixgw::fixvenue {

namespace {

// Tags the adapter fills itself from the order or the session: a fixed value
// from config would corrupt the message, so add_tags may not name them.
const std::set<int>& ownedTags() {
  static const std::set<int> tags = {8,  9,  10, 34, 35, 43, 49, 52, 56, 97, 122,
                                     11, 37, 38, 40, 41, 44, 54, 55, 59, 60, 790};
  return tags;
}

[[noreturn]] void bad(const std::string& path, const std::string& key, const std::string& msg) {
  throw std::invalid_argument(path + "." + key + ": " + msg);
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

std::set<std::string> parseList(std::string_view s) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    auto item = trim(s.substr(start, end - start));
    if (!item.empty()) out.insert(item);
    start = end + 1;
  }
  return out;
}

bool hasTag(const std::vector<std::pair<int, std::string>>& tags, int tag) {
  for (const auto& [t, v] : tags)
    if (t == tag) return true;
  return false;
}

}  // namespace

std::vector<std::pair<int, std::string>> parseAddTags(std::string_view spec,
                                                      const std::string& what) {
  std::vector<std::pair<int, std::string>> out;
  std::set<int> seen;
  size_t start = 0;
  while (start < spec.size()) {
    size_t end = spec.find(';', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string entry = trim(spec.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    auto eq = entry.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument(what + ": entry '" + entry + "' is not TAG=VALUE");
    std::string tagText = trim(std::string_view(entry).substr(0, eq));
    std::string value = trim(std::string_view(entry).substr(eq + 1));
    int tag = 0;
    auto [ptr, ec] = std::from_chars(tagText.data(), tagText.data() + tagText.size(), tag);
    if (ec != std::errc() || ptr != tagText.data() + tagText.size() || tag <= 0)
      throw std::invalid_argument(what + ": tag '" + tagText + "' in '" + entry +
                                  "' is not a positive integer");
    if (value.empty())
      throw std::invalid_argument(what + ": tag " + tagText + " has an empty value");
    if (value.find('\x01') != std::string::npos)
      throw std::invalid_argument(what + ": tag " + tagText + " value contains SOH");
    if (ownedTags().count(tag))
      throw std::invalid_argument(what + ": tag " + tagText +
                                  " is set by the adapter from the order or session and cannot "
                                  "be fixed in config");
    if (!seen.insert(tag).second)
      throw std::invalid_argument(what + ": tag " + tagText + " appears twice");
    out.emplace_back(tag, value);
  }
  return out;
}

std::string formatClOrdId(const std::string& fmt, const ChildOrderId& child, int n,
                          const std::string& date) {
  std::string out;
  out.reserve(fmt.size() + child.str().size() + 8);
  for (size_t i = 0; i < fmt.size();) {
    if (fmt.compare(i, 7, "{child}") == 0) {
      out += child.str();
      i += 7;
    } else if (fmt.compare(i, 3, "{n}") == 0) {
      out += std::to_string(n);
      i += 3;
    } else if (fmt.compare(i, 6, "{date}") == 0) {
      out += date;
      i += 6;
    } else {
      out += fmt[i++];
    }
  }
  return out;
}

void validateFixVenueConfig(const FixVenueConfig& c, const std::string& path) {
  if (c.profile != "generic" && c.profile != "ibkr_ctci")
    bad(path, "profile", "'" + c.profile + "' must be 'generic' or 'ibkr_ctci'");
  if (c.beginString != "FIX.4.2" && c.beginString != "FIX.4.4")
    bad(path, "begin_string", "'" + c.beginString + "' must be FIX.4.2 or FIX.4.4");
  if (c.senderCompId.empty()) bad(path, "sender_comp_id", "is required");
  // The gateway's own acceptor answers as FIXGW in the same process, and
  // QuickFIX keeps one global session table: an initiator with the same
  // CompIDs as an acceptor session would steal it.
  if (c.senderCompId == "FIXGW")
    bad(path, "sender_comp_id",
        "'FIXGW' is the gateway acceptor's CompID; use the CompID the broker assigned");
  if (c.targetCompId.empty()) bad(path, "target_comp_id", "is required");
  if (c.senderCompId == c.targetCompId)
    bad(path, "target_comp_id", "must differ from sender_comp_id");
  if (c.host.empty()) bad(path, "host", "is required");
  if (c.port <= 0 || c.port > 65535)
    bad(path, "port", std::to_string(c.port) + " out of range 1..65535");
  if (c.heartbeatS <= 0) bad(path, "heartbeat_s", "must be > 0");
  if (c.reconnectIntervalS <= 0) bad(path, "reconnect_interval_s", "must be > 0");
  if (c.snapshotTimeoutMs <= 0) bad(path, "snapshot_timeout_ms", "must be > 0");
  if (c.clOrdIdFormat.find("{child}") == std::string::npos ||
      c.clOrdIdFormat.find("{n}") == std::string::npos)
    bad(path, "clordid_format",
        "'" + c.clOrdIdFormat + "' must contain {child} and {n} so every request is unique");
  if (c.fillExecTypes.empty()) bad(path, "fill_exec_types", "must name at least one ExecType");
  for (const auto& t : c.fillExecTypes) {
    if (t == "0" || t == "4" || t == "5" || t == "8" || t == "I")
      bad(path, "fill_exec_types", "ExecType '" + t + "' cannot mean a fill");
  }
  if (c.beginString == "FIX.4.2" && !hasTag(c.addTags, 21))
    bad(path, "add_tags", "FIX.4.2 requires HandlInst (21); add e.g. 21=1");
  if (c.capacityTag != 47 && c.capacityTag != 528)
    bad(path, "capacity_tag",
        std::to_string(c.capacityTag) + " must be 47 (Rule80A) or 528 (OrderCapacity)");
  if (c.gtdExpiryTag != 126 && c.gtdExpiryTag != 432)
    bad(path, "gtd_expiry_tag",
        std::to_string(c.gtdExpiryTag) + " must be 126 (ExpireTime) or 432 (ExpireDate)");
  if (c.massStatus && c.beginString != "FIX.4.4")
    bad(path, "mass_status",
        "OrderMassStatusRequest (35=AF) is a FIX 4.4 message; " + c.beginString +
            " sessions ask per order");
}

FixVenueConfig readFixVenueConfig(venues::ParamReader& p, const std::string& path) {
  FixVenueConfig c;
  c.profile = p.str("profile").value_or("generic");
  if (c.profile != "generic" && c.profile != "ibkr_ctci")
    bad(path, "profile", "'" + c.profile + "' must be 'generic' or 'ibkr_ctci'");
  const bool ctci = c.profile == "ibkr_ctci";

  // IBKR's CTCI speaks FIX 4.2 and its TargetCompID defaults to "IB".
  c.beginString = p.str("begin_string").value_or(ctci ? "FIX.4.2" : "FIX.4.4");
  c.senderCompId = p.str("sender_comp_id").value_or("");
  c.targetCompId = p.str("target_comp_id").value_or(ctci ? "IB" : "");
  c.host = p.str("host").value_or(c.host);
  auto port = p.integer("port", 0);
  if (port < 0 || port > 65535) bad(path, "port", std::to_string(port) + " out of range 1..65535");
  c.port = static_cast<int>(port);
  auto hb = p.integer("heartbeat_s", c.heartbeatS);
  if (hb <= 0 || hb > 3600) bad(path, "heartbeat_s", "must be 1..3600");
  c.heartbeatS = static_cast<int>(hb);
  auto ri = p.integer("reconnect_interval_s", c.reconnectIntervalS);
  if (ri <= 0 || ri > 3600) bad(path, "reconnect_interval_s", "must be 1..3600");
  c.reconnectIntervalS = static_cast<int>(ri);
  c.resetOnLogon = p.boolean("reset_on_logon", false);
  c.storePath = p.str("store_path").value_or("");
  c.logPath = p.str("log_path").value_or("");
  c.dataDictionary = p.str("data_dictionary").value_or("");
  c.clOrdIdFormat = p.str("clordid_format").value_or(c.clOrdIdFormat);
  c.snapshotTimeoutMs = p.integer("snapshot_timeout_ms", c.snapshotTimeoutMs);

  c.addTags = parseAddTags(p.str("add_tags").value_or(""), path + ".add_tags");
  // Profile defaults fill in what the operator did not set: HandlInst 2
  // (automated, broker intervention OK) and SMART routing for CTCI; FIX 4.2
  // requires HandlInst on every order, so 1 (automated, private) elsewhere.
  if (ctci) {
    if (!hasTag(c.addTags, 21)) c.addTags.emplace_back(21, "2");
    if (!hasTag(c.addTags, 100)) c.addTags.emplace_back(100, "SMART");
  } else if (c.beginString == "FIX.4.2" && !hasTag(c.addTags, 21)) {
    c.addTags.emplace_back(21, "1");
  }
  c.sendCurrency = p.boolean("send_currency", ctci);
  c.capacityTag =
      static_cast<int>(p.integer("capacity_tag", c.beginString == "FIX.4.2" ? 47 : 528));
  c.gtdExpiryTag = static_cast<int>(p.integer("gtd_expiry_tag", 126));
  // IBKR has no post-only for stock orders.
  c.postOnly = p.boolean("post_only", !ctci);
  c.massStatus = p.boolean("mass_status", false);

  auto fills = p.str("fill_exec_types");
  if (fills) {
    c.fillExecTypes = parseList(*fills);
  } else if (c.beginString == "FIX.4.2") {
    c.fillExecTypes = {"1", "2"};  // Partial fill / Fill
  } else {
    c.fillExecTypes = {"F"};  // Trade
  }
  validateFixVenueConfig(c, path);
  return c;
}

AttributeTags attributeTags(const FixVenueConfig& c, const OrderAttributes& a, TimeInForce tif) {
  AttributeTags out;
  auto refuse = [&](std::string why) {
    out.tags.clear();
    out.error = std::move(why);
    return out;
  };
  // Capacity: the client's own field when it is the one this venue takes;
  // otherwise the other one translated where FIX 4.2 Rule80A and FIX 4.4
  // OrderCapacity share a meaning (A agency, I individual, P principal, W
  // agent for other member).
  auto shared = [](char v) { return v == 'A' || v == 'I' || v == 'P' || v == 'W'; };
  if (c.capacityTag == 47) {
    if (a.rule80A) {
      out.tags.emplace_back(47, std::string(1, *a.rule80A));
    } else if (a.orderCapacity) {
      if (!shared(*a.orderCapacity))
        return refuse(std::string("OrderCapacity (528) value '") + *a.orderCapacity +
                      "' has no Rule80A (47) equivalent for this venue");
      out.tags.emplace_back(47, std::string(1, *a.orderCapacity));
    }
  } else {
    if (a.orderCapacity) {
      out.tags.emplace_back(528, std::string(1, *a.orderCapacity));
    } else if (a.rule80A) {
      if (!shared(*a.rule80A))
        return refuse(std::string("Rule80A (47) value '") + *a.rule80A +
                      "' has no OrderCapacity (528) equivalent for this venue");
      out.tags.emplace_back(528, std::string(1, *a.rule80A));
    }
  }
  if (a.positionEffect) out.tags.emplace_back(77, std::string(1, *a.positionEffect));
  if (a.minQty) {
    if (!a.minQty->isPositive()) return refuse("MinQty (110) must be > 0, got " + a.minQty->str());
    out.tags.emplace_back(110, a.minQty->str());
  }
  if (a.maxFloor) {
    if (!a.maxFloor->isPositive())
      return refuse("MaxFloor (111) must be > 0, got " + a.maxFloor->str());
    out.tags.emplace_back(111, a.maxFloor->str());
  }
  if (a.locateReqd) out.tags.emplace_back(114, *a.locateReqd ? "Y" : "N");
  if (a.postOnly) {
    if (!c.postOnly)
      return refuse(
          "ExecInst (18) value 6 (participate don't initiate / post-only) is not "
          "supported by this venue (profile " +
          c.profile + ")");
    out.tags.emplace_back(18, "6");
  }
  if (tif == TimeInForce::GoodTillDate) {
    if (a.expireTime <= 0)
      return refuse("TimeInForce GTD (59=6) without ExpireTime (126) or ExpireDate (432)");
    if (c.gtdExpiryTag == 432) {
      std::time_t secs = static_cast<std::time_t>(a.expireTime / 1'000'000'000);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
      out.tags.emplace_back(432, buf);
    } else {
      out.tags.emplace_back(126, formatFixTimestamp(a.expireTime));
    }
  }
  std::sort(out.tags.begin(), out.tags.end());
  return out;
}

ReportKind classifyExecReport(const FixVenueConfig& c, std::string_view execType,
                              std::string_view execTransType) {
  // FIX 4.2 marks status replies and busts/corrections in ExecTransType (20)
  // while ExecType carries the order's state: a status reply for a partly
  // filled order has 150=1 and must not be booked as a fill.
  if (execTransType == "3") return ReportKind::Status;
  if (execTransType == "1" || execTransType == "2") return ReportKind::TradeCorrection;
  if (execType == "I") return ReportKind::Status;
  if (c.fillExecTypes.count(std::string(execType))) return ReportKind::Fill;
  if (execType == "0") return ReportKind::New;
  if (execType == "A" || execType == "6" || execType == "E") return ReportKind::Pending;
  if (execType == "4") return ReportKind::Canceled;
  if (execType == "5") return ReportKind::Replaced;
  if (execType == "8") return ReportKind::Rejected;
  if (execType == "C" || execType == "3") return ReportKind::Expired;
  if (execType == "G" || execType == "H") return ReportKind::TradeCorrection;
  if (execType == "D") return ReportKind::Restated;
  return ReportKind::Unknown;
}

const char* toString(ReportKind k) {
  switch (k) {
    case ReportKind::New:
      return "New";
    case ReportKind::Pending:
      return "Pending";
    case ReportKind::Fill:
      return "Fill";
    case ReportKind::Canceled:
      return "Canceled";
    case ReportKind::Replaced:
      return "Replaced";
    case ReportKind::Rejected:
      return "Rejected";
    case ReportKind::Expired:
      return "Expired";
    case ReportKind::Status:
      return "Status";
    case ReportKind::TradeCorrection:
      return "TradeCorrection";
    case ReportKind::Restated:
      return "Restated";
    case ReportKind::Unknown:
      return "Unknown";
  }
  return "?";
}

}  // namespace fixgw::fixvenue
