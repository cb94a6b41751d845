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
#include "core/order_attrs.h"
#include "core/types.h"

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
  // Order attributes (issue 14), per profile. The capacity goes out as
  // Rule80A (47, FIX 4.2's field) or OrderCapacity (528, FIX 4.4's); the
  // default follows begin_string. capacity_tag in config.
  int capacityTag = 528;
  // GoodTillDate (59=6): the expiry as ExpireTime (126, UTCTimestamp) or
  // ExpireDate (432, the UTC date). gtd_expiry_tag in config.
  int gtdExpiryTag = 126;
  // Post-only as ExecInst (18) = 6; false (IBKR CTCI, which has no post-only
  // for stocks): such orders are refused naming ExecInst. post_only in config.
  bool postOnly = true;
  // Snapshots ask once with OrderMassStatusRequest (35=AF, FIX 4.4) instead
  // of one OrderStatusRequest (35=H) per open order; orders the mass answer
  // does not cover, or a broker rejecting AF, fall back to 35=H.
  // mass_status in config.
  bool massStatus = false;
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

// The FIX tags a NewOrderSingle / OrderCancelReplaceRequest carries for the
// order attributes under this profile (47 or 528, 77, 114, 110, 111, 18=6,
// 126 or 432), in tag order, or the reason the order cannot go to this venue
// naming the field. tif is the order's; expiry needs tif GoodTillDate.
struct AttributeTags {
  std::vector<std::pair<int, std::string>> tags;
  std::string error;  // non-empty: refuse the order with this text
};
AttributeTags attributeTags(const FixVenueConfig& c, const OrderAttributes& a, TimeInForce tif);

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
