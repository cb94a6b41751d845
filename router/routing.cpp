#include "router/routing.h"

namespace fixgw::router {

RoutingTable::RoutingTable(RoutingConfig cfg, std::set<VenueId> knownVenues)
    : cfg_(std::move(cfg)), known_(std::move(knownVenues)) {}

namespace {
bool hasParty(const std::vector<Party>* parties, const std::string& id,
              const std::optional<int>& role) {
  if (!parties) return false;
  for (const Party& p : *parties)
    if (p.id == id && (!role || p.role == *role)) return true;
  return false;
}
}  // namespace

RouteResult RoutingTable::route(const Symbol& s, const Account& a,
                                const std::optional<VenueId>& exDest,
                                const std::vector<Party>* parties) const {
  for (const auto& r : cfg_.rules) {
    if (r.symbol && *r.symbol != s) continue;
    if (r.account && *r.account != a) continue;
    if (r.partyId && !hasParty(parties, *r.partyId, r.partyRole)) continue;
    if (r.exDestination && (!exDest || *r.exDestination != *exDest)) continue;
    return {r.venue, {}};
  }
  if (exDest) {
    if (known_.count(*exDest) || isSorRoute(*exDest)) return {*exDest, {}};
    return {std::nullopt, "ExDestination (100) '" + exDest->str() + "' is not a configured venue"};
  }
  if (cfg_.defaultVenue) return {cfg_.defaultVenue, {}};
  return {std::nullopt,
          "no routing rule matches Symbol (55) '" + s.str() + "' and no default venue"};
}

}  // namespace fixgw::router
