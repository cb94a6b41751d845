// The "sor" config section and the "SOR" pseudo-venue in routing: the shipped
// config, and every bad value named by its key.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "config/config.h"

using namespace fixgw;
using namespace fixgw::config;

namespace {

std::string cfgWith(const std::string& routing, const std::string& sor) {
  return R"({
  "fix": { "sessions": [ { "begin_string": "FIX.4.4", "target_comp_id": "C1" } ] },
  "database": { "conninfo": "host=h user=u" },
  "instruments": [ { "symbol": "AAPL", "reference_price": "100.00" } ],
  "venues": [ { "name": "SIMA", "type": "sim" }, { "name": "SIMB", "type": "sim" } ],
  "routing": )" +
         routing +
         R"(,
  "sor": )" +
         sor + "\n}";
}

const std::string kRouting =
    R"({ "default_venue": "SOR", "rules": [ { "account": "DESK", "venue": "SOR" } ] })";

std::string errorOf(const std::string& json) {
  try {
    parseConfig(json, "/base");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SorConfig, SectionIsReadWithItsDefaults) {
  GatewayConfig c = parseConfig(cfgWith(kRouting, R"({ "venues": [
      { "venue": "SIMA", "taker_bps": "3", "maker_bps": "-0.2" }, { "venue": "SIMB" } ],
      "remainder": "reroute", "max_sweeps": 2 })"),
                                "/base");
  ASSERT_EQ(c.sor.venues.size(), 2u);
  EXPECT_EQ(c.sor.venues[0].venue, VenueId("SIMA"));
  EXPECT_EQ(c.sor.venues[0].fees.taker, algos::Bps::of("3"));
  EXPECT_EQ(c.sor.venues[0].fees.maker, algos::Bps::of("-0.2"));
  EXPECT_EQ(c.sor.venues[1].fees.taker, algos::Bps());
  EXPECT_EQ(c.sor.remainder, algos::SorRemainder::Reroute);
  EXPECT_EQ(c.sor.maxSweeps, 2);
  EXPECT_EQ(c.sor.depthLevels, 5u);
  EXPECT_EQ(c.sor.maxRecentRejects, 3);
  EXPECT_EQ(*c.routing.defaultVenue, VenueId("SOR"));
  EXPECT_EQ(c.routing.rules.at(0).venue, VenueId("SOR"));
}

TEST(SorConfig, BadValuesAreNamedByKey) {
  const std::string ok = R"({ "venue": "SIMA" })";
  auto e = errorOf(cfgWith(kRouting, R"({ "venues": [ { "venue": "NOPE" } ] })"));
  EXPECT_NE(e.find("sor.venues[0].venue: 'NOPE' is not a configured venue"), std::string::npos)
      << e;
  e = errorOf(cfgWith(kRouting, "{ \"venues\": [ " + ok + ", " + ok + " ] }"));
  EXPECT_NE(e.find("sor.venues[1].venue: 'SIMA' is listed twice"), std::string::npos) << e;
  e = errorOf(cfgWith(kRouting, R"({ "venues": [ { "venue": "SIMA", "taker_bps": "2000" } ] })"));
  EXPECT_NE(e.find("sor.venues[0].taker_bps: must be 0..1000 bps, got 2000"), std::string::npos)
      << e;
  e = errorOf(cfgWith(kRouting, R"({ "venues": [ { "venue": "SIMA", "maker_bps": "x" } ] })"));
  EXPECT_NE(e.find("sor.venues[0].maker_bps: 'x' is not a decimal"), std::string::npos) << e;
  e = errorOf(cfgWith(kRouting, "{ \"venues\": [ " + ok + " ], \"remainder\": \"park\" }"));
  EXPECT_NE(e.find("sor.remainder: 'park' is not one of rest, reroute, cancel"), std::string::npos)
      << e;
  e = errorOf(cfgWith(kRouting, "{ \"venues\": [ " + ok + " ], \"max_sweeps\": 0 }"));
  EXPECT_NE(e.find("sor.max_sweeps: must be 1..100"), std::string::npos) << e;
  e = errorOf(cfgWith(kRouting, "{ \"venues\": [ " + ok + " ], \"depth\": 3 }"));
  EXPECT_NE(e.find("sor.depth: unknown key"), std::string::npos) << e;
  // A venue name that is neither configured nor SOR is still refused.
  e = errorOf(cfgWith(R"({ "rules": [ { "venue": "SORX" } ] })", "{}"));
  EXPECT_NE(e.find("routing.rules[0].venue: 'SORX' is not a configured venue"), std::string::npos)
      << e;
}

TEST(SorConfig, ShippedConfigKeepsSimAndAddsTwoSimulatorVenuesForTheSor) {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  GatewayConfig c =
      loadConfig(std::string(d ? d : FIXGW_SOURCE_DIR_DEFAULT) + "/config/fixgw.json");
  EXPECT_EQ(*c.routing.defaultVenue, VenueId("SIM"));
  ASSERT_EQ(c.venues.size(), 3u);
  EXPECT_EQ(c.venues[1].name, "SIMA");
  EXPECT_EQ(c.venues[2].name, "SIMB");
  ASSERT_EQ(c.sor.venues.size(), 3u);
  EXPECT_EQ(c.sor.venues[1].fees.taker, algos::Bps::of("3"));
  EXPECT_EQ(c.sor.remainder, algos::SorRemainder::Rest);
}

}  // namespace
