#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "config/config.h"

using namespace fixgw;
using namespace fixgw::config;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

std::optional<std::string> fakeEnv(const std::string& n) {
  if (n == "SECRET") return std::string("s3cr3t");
  if (n == "PORT") return std::string("7000");
  return std::nullopt;
}

const char* kMinimal = R"({
  "fix": { "sessions": [ { "begin_string": "FIX.4.4", "target_comp_id": "C1" } ] },
  "database": { "conninfo": "host=h password=${SECRET} user=u" },
  "instruments": [ { "symbol": "AAPL", "reference_price": "100.00" } ],
  "venues": [ { "name": "SIM", "type": "sim" } ]
})";

std::string withReplaced(std::string s, const std::string& from, const std::string& to) {
  auto p = s.find(from);
  if (p == std::string::npos) throw std::logic_error("test text not found: " + from);
  return s.replace(p, from.size(), to);
}

std::string errorOf(const std::string& json) {
  try {
    parseConfig(json, "/base", fakeEnv);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Config, ShippedDefaultConfigLoadsWithTheDocumentedSetup) {
  GatewayConfig c = loadConfig(sourceDir() + "/config/fixgw.json");
  EXPECT_EQ(c.fix.port, 9878);
  EXPECT_EQ(c.fix.senderCompId, "FIXGW");
  EXPECT_TRUE(c.fix.resetOnLogon);
  EXPECT_EQ(c.fix.sessions.size(), 6u);
  ASSERT_TRUE(c.instruments.find(Symbol("BTC-USD")));
  EXPECT_EQ(c.instruments.find(Symbol("BTC-USD"))->lotSize, Qty::of("0.00000001"));
  EXPECT_EQ(c.instruments.find(Symbol("MSFT"))->referencePrice, Price::of("400"));
  EXPECT_EQ(*c.risk.defaults.maxOrderQty, Qty::of("1000000"));
  EXPECT_EQ(*c.risk.defaults.maxNotional, Notional::of("10000000"));
  EXPECT_EQ(*c.risk.defaults.priceBandPct, Price::of("10"));
  EXPECT_EQ(*c.routing.defaultVenue, VenueId("SIM"));
  EXPECT_EQ(c.venues.at(0).type, "sim");
  // Relative paths resolve against the config file's folder.
  EXPECT_NE(c.fix.specDir.find("fix_acceptor/spec"), std::string::npos);
  EXPECT_EQ(c.fix.specDir.find(".."), std::string::npos);
}

TEST(Config, EnvironmentSubstitutionKeepsSecretsOutOfTheFile) {
  GatewayConfig c = parseConfig(kMinimal, "/base", fakeEnv);
  EXPECT_EQ(c.database.conninfo, "host=h password=s3cr3t user=u");
  EXPECT_EQ(redactConninfo(c.database.conninfo), "host=h password=*** user=u");
  EXPECT_EQ(redactConninfo("postgresql://u:pw@h/db"), "postgresql://u:***@h/db");
}

TEST(Config, MissingVariableWithoutDefaultNamesKeyAndVariable) {
  std::string e = errorOf(withReplaced(kMinimal, "${SECRET}", "${NOPE}"));
  EXPECT_NE(e.find("database.conninfo"), std::string::npos) << e;
  EXPECT_NE(e.find("NOPE"), std::string::npos) << e;
  GatewayConfig c =
      parseConfig(withReplaced(kMinimal, "${SECRET}", "${NOPE:-dflt}"), "/base", fakeEnv);
  EXPECT_EQ(c.database.conninfo, "host=h password=dflt user=u");
}

TEST(Config, UnknownKeysAreErrorsNamingThePath) {
  EXPECT_NE(errorOf(withReplaced(kMinimal, "\"reference_price\"", "\"refprice\": 1, \"reference_price\""))
                .find("instruments[0].refprice: unknown key"),
            std::string::npos);
  EXPECT_NE(errorOf(withReplaced(kMinimal, "\"fix\": {", "\"fix\": { \"prot\": 1,"))
                .find("fix.prot: unknown key"),
            std::string::npos);
  EXPECT_NE(errorOf(withReplaced(kMinimal, "{\n  \"fix\"", "{ \"extra\": {},\n  \"fix\"")).find("extra: unknown key"),
            std::string::npos);
}

TEST(Config, BadValuesNameTheKey) {
  EXPECT_NE(errorOf(withReplaced(kMinimal, "\"100.00\"", "\"1e2\"")).find("instruments[0].reference_price"),
            std::string::npos);
  EXPECT_NE(errorOf(withReplaced(kMinimal, "\"100.00\"", "\"100.005\"")).find("tick_size"),
            std::string::npos);
  EXPECT_NE(errorOf(withReplaced(kMinimal, "FIX.4.4", "FIX.4.3")).find("fix.sessions[0].begin_string"),
            std::string::npos);
  EXPECT_NE(errorOf(withReplaced(kMinimal, "\"venues\": [ { \"name\": \"SIM\", \"type\": \"sim\" } ]",
                                 "\"venues\": [ { \"name\": \"SIM\", \"type\": \"sim\" } ], "
                                 "\"routing\": { \"default_venue\": \"IBKR\" }"))
                .find("routing.default_venue: 'IBKR' is not a configured venue"),
            std::string::npos);
  EXPECT_NE(errorOf("{ nope").find("JSON syntax error"), std::string::npos);
  EXPECT_NE(errorOf("{}").find("fix: required key is missing"), std::string::npos);
}

TEST(Config, DuplicateInstrumentAndVenueNamesAreRejected) {
  std::string dupSym = withReplaced(kMinimal, "\"instruments\": [",
                                    "\"instruments\": [ { \"symbol\": \"AAPL\", "
                                    "\"reference_price\": \"1\" },");
  EXPECT_NE(errorOf(dupSym).find("duplicate symbol 'AAPL'"), std::string::npos);
  std::string dupVenue = withReplaced(kMinimal, "\"venues\": [",
                                      "\"venues\": [ { \"name\": \"SIM\", \"type\": \"sim\" },");
  EXPECT_NE(errorOf(dupVenue).find("duplicate venue name 'SIM'"), std::string::npos);
}

TEST(Config, VenueParamsAreKeptAsTextForTheFactory) {
  GatewayConfig c = parseConfig(
      withReplaced(kMinimal, "\"type\": \"sim\"",
                   "\"type\": \"sim\", \"params\": { \"seed\": 7, \"volatility_bps\": \"0.5\", "
                   "\"fast\": true, \"port\": \"${PORT}\" }"),
      "/base", fakeEnv);
  const auto& p = c.venues.at(0).params;
  EXPECT_EQ(p.at("seed"), "7");
  EXPECT_EQ(p.at("volatility_bps"), "0.5");
  EXPECT_EQ(p.at("fast"), "true");
  EXPECT_EQ(p.at("port"), "7000");
  venues::ParamReader r(p, "venues[0].params");
  EXPECT_EQ(r.integer("seed", 0), 7);
  EXPECT_THROW(r.finish(), std::invalid_argument);  // volatility_bps, fast, port unread
}

TEST(Config, SingleVenueIsTheDefaultRouteWhenRoutingIsOmitted) {
  GatewayConfig c = parseConfig(kMinimal, "/base", fakeEnv);
  EXPECT_EQ(*c.routing.defaultVenue, VenueId("SIM"));
}

TEST(Config, IntegersMayComeFromTheEnvironment) {
  GatewayConfig c = parseConfig(
      withReplaced(kMinimal, "\"fix\": {", "\"fix\": { \"port\": \"${PORT}\","), "/base", fakeEnv);
  EXPECT_EQ(c.fix.port, 7000);
  EXPECT_NE(errorOf(withReplaced(kMinimal, "\"fix\": {", "\"fix\": { \"port\": \"70x\","))
                .find("fix.port: expected an integer, got '70x'"),
            std::string::npos);
}

TEST(Config, MissingFileIsAClearError) {
  try {
    loadConfig("/nonexistent/fixgw.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open config file"), std::string::npos);
  }
}

// TCA (router/tca.h): defaults, the two keys, and a bad value named.
TEST(Config, TcaSectionIsOptionalAndItsKeysAreChecked) {
  GatewayConfig d = parseConfig(kMinimal, "/base", fakeEnv);
  EXPECT_TRUE(d.tca.subscribeMarketData);
  EXPECT_EQ(d.tca.printGraceMs, 1000);
  const std::string venues = "\"venues\": [ { \"name\": \"SIM\", \"type\": \"sim\" } ]";
  GatewayConfig c = parseConfig(
      withReplaced(kMinimal, venues,
                   venues + ", \"tca\": { \"subscribe_market_data\": false, \"print_grace_ms\": 0 }"),
      "/base", fakeEnv);
  EXPECT_FALSE(c.tca.subscribeMarketData);
  EXPECT_EQ(c.tca.printGraceMs, 0);
  EXPECT_NE(errorOf(withReplaced(kMinimal, venues, venues + ", \"tca\": { \"print_grace_ms\": -1 }"))
                .find("tca.print_grace_ms"),
            std::string::npos);
  EXPECT_NE(errorOf(withReplaced(kMinimal, venues, venues + ", \"tca\": { \"subscribe\": true }"))
                .find("tca.subscribe: unknown key"),
            std::string::npos);
}

// "memory" (issue 15, session 9): the heap's settings, applied by `fixgw run` as GLIBC_TUNABLES.
TEST(Config, MemorySettingsDefaultToOneArenaWithHugePages) {
  GatewayConfig c = parseConfig(kMinimal, "/base", fakeEnv);
  EXPECT_EQ(c.memory.mallocArenas, 1);
  EXPECT_TRUE(c.memory.mallocHugePages);
  EXPECT_EQ(mallocTunables(c.memory),
            "glibc.malloc.arena_max=1:glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432");
}

TEST(Config, MemorySettingsParseAndOffMeansGlibcDefaults) {
  const std::string sec = "\"memory\": { \"malloc_arenas\": 0, \"malloc_huge_pages\": false },\n  \"fix\"";
  GatewayConfig off = parseConfig(withReplaced(kMinimal, "\"fix\"", sec), "/base", fakeEnv);
  EXPECT_EQ(off.memory.mallocArenas, 0);
  EXPECT_FALSE(off.memory.mallocHugePages);
  EXPECT_EQ(mallocTunables(off.memory), "");  // nothing set: no re-exec

  // As text too (the bench config takes them from the environment).
  GatewayConfig arenas = parseConfig(
      withReplaced(kMinimal, "\"fix\"",
                   "\"memory\": { \"malloc_arenas\": \"2\", \"malloc_huge_pages\": \"false\" },\n  \"fix\""),
      "/base", fakeEnv);
  EXPECT_EQ(arenas.memory.mallocArenas, 2);
  EXPECT_FALSE(arenas.memory.mallocHugePages);
  EXPECT_EQ(mallocTunables(arenas.memory), "glibc.malloc.arena_max=2");
  MemoryCfg m;
  m.mallocArenas = 4;
  m.mallocHugePages = false;
  EXPECT_EQ(mallocTunables(m), "glibc.malloc.arena_max=4");
  m.mallocArenas = 0;
  m.mallocHugePages = true;
  EXPECT_EQ(mallocTunables(m), "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432");
}

TEST(Config, BadMemorySettingsNameTheKey) {
  auto with = [](const std::string& body) {
    return withReplaced(kMinimal, "\"fix\"", "\"memory\": { " + body + " },\n  \"fix\"");
  };
  EXPECT_NE(errorOf(with("\"malloc_arenas\": -1")).find("memory.malloc_arenas: must be 0..1024"),
            std::string::npos);
  EXPECT_NE(errorOf(with("\"malloc_arenas\": 5000")).find("memory.malloc_arenas: must be 0..1024"),
            std::string::npos);
  EXPECT_NE(errorOf(with("\"malloc_arenas\": \"${PORT}\"")).find("memory.malloc_arenas: must be 0..1024"),
            std::string::npos);
  EXPECT_NE(errorOf(with("\"malloc_arenas\": \"one\"")).find("memory.malloc_arenas: expected an integer"),
            std::string::npos);
  EXPECT_NE(errorOf(with("\"malloc_huge_pages\": \"yes\"")).find("memory.malloc_huge_pages: expected true or false"),
            std::string::npos);
  EXPECT_NE(errorOf(with("\"huge\": true")).find("memory.huge: unknown key"), std::string::npos);
  EXPECT_NE(errorOf(withReplaced(kMinimal, "\"fix\"", "\"memory\": 1,\n  \"fix\"")).find("memory: expected an object"),
            std::string::npos);
}
