// Configuration of the generic FIX venue adapter and the pure mapping rules a
// broker PROFILE decides: which tags go on each order, how ClOrdIDs look and
// how the broker's ExecType / ExecTransType values map back to VenueEvents.
// Every broker is a set of flat config keys (docs/fix_venue.md); "ibkr_ctci"
// and "generic" only change defaults, so a new FIX broker needs no code.
//
// No QuickFIX types here: the rules are unit-testable on their own.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ids.h"

namespace fixgw::venues {
class ParamReader;
}

namespace fixgw::fixvenue {

struct FixVenueConfig {
  std::string profile = "generic";  // "generic" | "ibkr_ctci"
  std::string beginString = "FIX.4.4";
  std::string senderCompId;
  std::string targetCompId;
  std::string host = "127.0.0.1";
  int port = 0;
  int heartbeatS = 30;
  int reconnectIntervalS = 5;
  bool resetOnLogon = false;
  std::string storePath;       // "" = in-memory store (sequence numbers die with the process)
  std::string logPath;         // "" = no QuickFIX message log files
  std::string dataDictionary;  // "" = inbound messages are not validated against a dictionary
  // Fixed tags put on every NewOrderSingle and OrderCancelReplaceRequest, in
  // order. Account (1) from here also goes on cancels and status requests.
  std::vector<std::pair<int, std::string>> addTags;
  // {child} = our child order id, {n} = 0 for the order, 1.. for each cancel /
  // replace / status request, {date} = UTC YYYYMMDD. Must contain {child} and {n}.
  std::string clOrdIdFormat = "{child}.{n}";
  // ExecType (150) values that mean "this report is a fill".
  std::set<std::string> fillExecTypes;
  // Send Currency (15) from Instrument::currency (CTCI needs it with 100=SMART).
  bool sendCurrency = false;
  int64_t snapshotTimeoutMs = 10'000;
};

// Reads and validates the venue params. Unknown keys are left for
// ParamReader::finish(). Throws std::invalid_argument naming "<path>.<key>".
FixVenueConfig readFixVenueConfig(venues::ParamReader& p, const std::string& path);

// Validates a config built in code; throws std::invalid_argument naming the field.
void validateFixVenueConfig(const FixVenueConfig& c, const std::string& path);

// "1=U123456;21=1;100=SMART" -> pairs. Throws std::invalid_argument naming
// `what` and the bad entry (non-numeric tag, empty value, a tag the adapter
// owns such as 11 or 38, a duplicate).
std::vector<std::pair<int, std::string>> parseAddTags(std::string_view spec,
                                                      const std::string& what);

// Formats a ClOrdID; `date` is "YYYYMMDD".
std::string formatClOrdId(const std::string& fmt, const ChildOrderId& child, int n,
                          const std::string& date);

// What one ExecutionReport means, before it is matched to an order.
enum class ReportKind {
  New,              // 150=0
  Pending,          // A / 6 / E: informational, no event
  Fill,             // per fillExecTypes
  Canceled,         // 4
  Replaced,         // 5
  Rejected,         // 8
  Expired,          // C, 3 (done for day)
  Status,           // answer to a status request (4.4: 150=I; 4.2: 20=3)
  TradeCorrection,  // 4.2 ExecTransType 1/2, 4.4 ExecType G/H: not booked, logged
  Restated,         // D
  Unknown,
};

ReportKind classifyExecReport(const FixVenueConfig& c, std::string_view execType,
                              std::string_view execTransType);
const char* toString(ReportKind k);

}  // namespace fixgw::fixvenue
