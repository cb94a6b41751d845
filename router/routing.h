// Static routing rules: which venue a new order goes to. Rules are tried in
// config order; the first whose every given field matches wins. Then an
// ExDestination (tag 100) naming a configured venue is honoured; then the
// default venue. A rule, the default or the ExDestination may name the
// pseudo-venue "SOR" (kSorRoute): the smart order router then splits the
// order across its venues (router/sor.h, docs/sor.md).
//
// Thread-safety: immutable after construction.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/ids.h"
#include "core/order_details.h"

namespace fixgw::router {

// The pseudo-venue that sends an order through the smart order router.
inline const VenueId kSorRoute{"SOR"};
inline bool isSorRoute(const VenueId& v) { return v == kSorRoute; }

struct RoutingRule {
  std::optional<Symbol> symbol;
  std::optional<Account> account;
  std::optional<VenueId> exDestination;
  // PartyID (448) of any of the order's parties (4.2: ClientID 109, ExecBroker 76),
  // optionally with its PartyRole (452).
  std::optional<std::string> partyId;
  std::optional<int> partyRole;
  VenueId venue;
};

struct RoutingConfig {
  std::vector<RoutingRule> rules;
  std::optional<VenueId> defaultVenue;
};

struct RouteResult {
  std::optional<VenueId> venue;
  std::string error;  // why no venue, naming the field
};

class RoutingTable {
 public:
  RoutingTable(RoutingConfig cfg, std::set<VenueId> knownVenues);
  RouteResult route(const Symbol& s, const Account& a, const std::optional<VenueId>& exDest,
                    const std::vector<Party>* parties = nullptr) const;

 private:
  RoutingConfig cfg_;
  std::set<VenueId> known_;
};

}  // namespace fixgw::router
