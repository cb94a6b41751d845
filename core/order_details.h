// What a client's order carries beyond its basic terms (issue 14): the ids
// it wants echoed, its parties, the instrument as described on the wire and
// the standard order attributes. Built once by the FIX acceptor, shared
// read-only by the command, the parent order, every report and the journal
// row (std::shared_ptr<const OrderDetails>); null for an order that has none,
// so a plain order pays nothing for it.
//
// Thread-safety: immutable once built; safe to read from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/fixed.h"
#include "core/order_attrs.h"

namespace fixgw {

// One entry of the Parties group (453): PartyID (448), PartyIDSource (447),
// PartyRole (452). FIX 4.2's ClientID (109) arrives as role 3 (client id) and
// ExecBroker (76) as role 1 (executing firm), and go back out the same way.
struct Party {
  std::string id;
  char source = 0;  // 0: not sent
  int role = 0;     // 0: not sent
  bool operator==(const Party&) const = default;
};

inline constexpr int kPartyRoleExecutingFirm = 1;
inline constexpr int kPartyRoleClientId = 3;

// The instrument fields of the Instrument component the gateway resolves
// against the instrument master (empty / nullopt: not sent).
struct InstrumentSpec {
  std::string securityType;       // 167: CS, FUT, OPT, ...
  std::string maturityMonthYear;  // 200: YYYYMM, YYYYMMDD or YYYYMMwN
  std::optional<char> putOrCall;  // 201: '0' put, '1' call
  std::optional<Price> strike;    // 202
  std::string currency;           // 15
  std::string securityExchange;   // 207
  bool empty() const {
    return securityType.empty() && maturityMonthYear.empty() && !putOrCall && !strike &&
           currency.empty() && securityExchange.empty();
  }
  bool operator==(const InstrumentSpec&) const = default;
};

// The execution-algorithm fields of an order (docs/algos.md), as received:
// strings tag by tag, so the acceptor needs no algo knowledge. The router
// converts them (algos::parseAlgoParams), which checks every value and names
// the tag of a bad one. FIX 4.2 sends the same fields in the user-defined tags
// 8847 / 8849 / 8957 (8958-8960); the acceptor stores them here the same way.
struct StrategyParam {
  std::string name;   // 958 (8958)
  std::string type;   // 959 (8959), FIX 4.4 StrategyParameterType
  std::string value;  // 960 (8960)
  bool operator==(const StrategyParam&) const = default;
};
struct AlgoOrderFields {
  std::string targetStrategy;                    // 847 (8847); a StrategyParameter may name it
  std::optional<std::string> effectiveTime;      // 168: the start
  std::optional<std::string> expireTime;         // 126: the end
  std::optional<std::string> participationRate;  // 849 (8849)
  std::optional<std::string> maxFloor;           // 111
  std::optional<std::string> price;              // 44
  std::optional<std::string> minQty;             // 110
  std::optional<int> noStrategyParameters;       // 957 (8957) as sent
  std::vector<StrategyParam> strategyParameters;
  // Not from the client: what the router resolved when it started (or last
  // replaced) the algo, kept in orders.details so a restart rebuilds the same
  // parameters. The start in ns since the epoch (EffectiveTime, else the
  // arrival, or the start a replace kept; 0: not resolved yet) and a VWAP's
  // learned volume profile as the Profile parameter spells it ("HHMM:w,...";
  // empty when the client sent one or none was learned).
  int64_t resolvedStartNs = 0;
  std::string learnedProfile;
  bool operator==(const AlgoOrderFields&) const = default;
};

struct OrderDetails {
  std::string secondaryClOrdId;  // 526, echoed on every report
  std::string clOrdLinkId;       // 583, echoed on every report
  std::vector<Party> parties;
  InstrumentSpec instrument;
  OrderAttributes attrs;
  // Set for an algo parent (TargetStrategy 847 / 8847 sent).
  std::optional<AlgoOrderFields> algo;

  bool empty() const {
    return secondaryClOrdId.empty() && clOrdLinkId.empty() && parties.empty() &&
           instrument.empty() && attrs == OrderAttributes{} && !algo;
  }
  // The first party with this role, or null.
  const Party* party(int role) const {
    for (const auto& p : parties)
      if (p.role == role) return &p;
    return nullptr;
  }
  bool operator==(const OrderDetails&) const = default;
};

using OrderDetailsPtr = std::shared_ptr<const OrderDetails>;

}  // namespace fixgw
