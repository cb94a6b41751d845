// Logs: JSON lines with session / ClOrdID / OrderID on order lines, size-based rotation,
// and no secret anywhere the gateway writes. The gateway scenarios run the whole gateway
// in-process (real QuickFIX sessions on loopback, the real PostgreSQL, the Binance emulator
// over TLS) with the logger the daemon installs (fixgw::installLogging).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "apps/admin.h"
#include "apps/gateway.h"
#include "config/config.h"
#include "core/log.h"
#include "tests/binance/test_data.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"
#include "venue_adapters/binance/emulator.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
namespace fs = std::filesystem;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}
std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

fs::path tempDir(const std::string& what) {
  fs::path p = fs::temp_directory_path() /
               ("fixgw-logging-" + what + "-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t b = 0;
  for (size_t e = text.find('\n'); e != std::string::npos; b = e + 1, e = text.find('\n', b))
    out.push_back(text.substr(b, e - b));
  if (b < text.size()) out.push_back(text.substr(b));
  return out;
}

// Back to a quiet stderr logger so one test's file logger does not outlive it.
void resetLogger() {
  // Drains the async queue and joins its thread, so the files are complete when this returns.
  spdlog::shutdown();
  fixgw::log::LogSetup s;
  s.level = "warn";
  fixgw::log::install(s);
}

}  // namespace

// ---- formatters ----------------------------------------------------------------

TEST(JsonLog, AnOrderLineIsOneJsonObjectWithItsFields) {
  auto f = fixgw::log::makeJsonFormatter();
  const std::string payload = fixgw::log::orderFields("FIX.4.4:FIXGW->CLIENT1", "C\"1", "O-7") +
                              "refusing 35=D: raw 8=FIX.4.4\x01"
                              "35=D\x01 and bytes \xff\xfe and \xc3\xa9";
  spdlog::details::log_msg msg(spdlog::source_loc{}, "fixgw", spdlog::level::warn,
                               spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t buf;
  f->format(msg, buf);
  const std::string line(buf.data(), buf.size());
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  rapidjson::Document d;
  d.Parse(line.c_str(), line.size() - 1);
  ASSERT_FALSE(d.HasParseError()) << line;
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["level"].GetString(), "warning");
  EXPECT_STREQ(d["session"].GetString(), "FIX.4.4:FIXGW->CLIENT1");
  EXPECT_STREQ(d["cl_ord_id"].GetString(), "C\"1");
  EXPECT_STREQ(d["order_id"].GetString(), "O-7");
  const std::string text = d["msg"].GetString();
  EXPECT_EQ(text.rfind("refusing 35=D", 0), 0u) << "the field prefix is not in msg: " << text;
  EXPECT_NE(text.find("8=FIX.4.4\x01"
                      "35=D"),
            std::string::npos)
      << "SOH kept, escaped";
  EXPECT_NE(text.find("\xc3\xa9"), std::string::npos) << "valid UTF-8 kept";
  EXPECT_TRUE(d.HasMember("ts") && d["ts"].IsString());
  EXPECT_EQ(std::string(d["ts"].GetString()).back(), 'Z');
}

TEST(JsonLog, ALineWithoutOrderFieldsHasNoneAndTextLinesShowThem) {
  const std::string plain = "journal wrote 3 records";
  spdlog::details::log_msg msg(spdlog::source_loc{}, "fixgw", spdlog::level::info,
                               spdlog::string_view_t(plain.data(), plain.size()));
  spdlog::memory_buf_t buf;
  fixgw::log::makeJsonFormatter()->format(msg, buf);
  rapidjson::Document d;
  d.Parse(buf.data(), buf.size() - 1);
  ASSERT_FALSE(d.HasParseError());
  EXPECT_FALSE(d.HasMember("cl_ord_id"));
  EXPECT_STREQ(d["msg"].GetString(), plain.c_str());

  const std::string order = fixgw::log::orderFields("S", "C1", "O1") + "rejected";
  spdlog::details::log_msg m2(spdlog::source_loc{}, "fixgw", spdlog::level::info,
                              spdlog::string_view_t(order.data(), order.size()));
  spdlog::memory_buf_t tb;
  fixgw::log::makeTextFormatter()->format(m2, tb);
  const std::string text(tb.data(), tb.size());
  EXPECT_NE(text.find("[session=S cl_ord_id=C1 order_id=O1] rejected"), std::string::npos) << text;
}

TEST(JsonLog, FilesRotateBySize) {
  fs::path dir = tempDir("rotate");
  fixgw::log::LogSetup s;
  s.level = "info";
  s.file = (dir / "fixgw.log").string();
  s.json = true;
  s.maxSizeBytes = 4096;
  s.maxFiles = 2;
  s.toStderr = false;
  fixgw::log::install(s);
  for (int i = 0; i < 400; ++i) spdlog::info("line {} of a log that must rotate", i);
  spdlog::default_logger()->flush();
  resetLogger();
  EXPECT_TRUE(fs::exists(dir / "fixgw.log"));
  EXPECT_TRUE(fs::exists(dir / "fixgw.1.log"));
  EXPECT_TRUE(fs::exists(dir / "fixgw.2.log"));
  EXPECT_FALSE(fs::exists(dir / "fixgw.3.log")) << "max_files = 2";
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_LE(fs::file_size(e.path()), 4096u) << e.path();
    for (const auto& l : lines(readAll(e.path()))) {
      rapidjson::Document d;
      d.Parse(l.c_str(), l.size());
      EXPECT_FALSE(d.HasParseError()) << e.path() << ": " << l;
    }
  }
  fs::remove_all(dir);
}

TEST(JsonLog, ConfigKeysAreCheckedByName) {
  auto parse = [](const std::string& logging) -> std::string {
    std::ifstream in(sourceDir() + "/config/fixgw.json");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The shipped config's "logging": { ... } object replaced by the one under test.
    const auto p = s.find("\"logging\":");
    // (its end is the first "}," after it: "${VAR:-x}" braces are followed by a quote)
    const auto e = p == std::string::npos ? p : s.find("},", p);
    EXPECT_NE(e, std::string::npos);
    s.replace(p, e + 1 - p, "\"logging\": " + logging);
    try {
      auto cfg = fixgw::config::parseConfig(s, sourceDir() + "/config");
      return cfg.logging.format + "/" + std::to_string(cfg.logging.maxSizeMb) + "/" +
             std::to_string(cfg.logging.maxFiles);
    } catch (const fixgw::config::ConfigError& e) {
      return e.what();
    }
  };
  EXPECT_EQ(parse(R"({ "format": "json", "max_size_mb": 50, "max_files": 3 })"), "json/50/3");
  EXPECT_EQ(parse(R"({})"), "text/100/5");
  EXPECT_NE(parse(R"({ "format": "xml" })").find("logging.format: 'xml'"), std::string::npos);
  EXPECT_NE(parse(R"({ "max_size_mb": 0 })").find("logging.max_size_mb"), std::string::npos);
  EXPECT_NE(parse(R"({ "max_files": 0 })").find("logging.max_files"), std::string::npos);
  EXPECT_NE(parse(R"({ "rotate": true })").find("logging.rotate: unknown key"), std::string::npos);
}

TEST(Masking, ConninfoAndUrlsLoseTheirPasswords) {
  using fixgw::log::maskConninfo;
  EXPECT_EQ(maskConninfo("host=h port=5433 user=u password=s3cr3t dbname=d"),
            "host=h port=5433 user=u password=*** dbname=d");
  EXPECT_EQ(maskConninfo("host=h password = 'a b\\' c' dbname=d"),
            "host=h password = *** dbname=d");
  EXPECT_EQ(maskConninfo("postgresql://u:s3cr3t@h:5433/d"), "postgresql://u:***@h:5433/d");
  EXPECT_EQ(maskConninfo("postgresql://h/d?user=u&password=s3cr3t&sslmode=require"),
            "postgresql://h/d?user=u&password=***&sslmode=require");
  EXPECT_EQ(fixgw::log::maskSecrets("token abcd1234 and abcd1234", {"abcd1234", "ab"}),
            "token *** and ***");
}

// ---- the gateway writes JSON order lines ----------------------------------------

TEST(GatewayLog, ARejectedOrderIsAJsonLineWithSessionClOrdIdAndOrderId) {
  fixgw::testing::PgTestSchema db;
  fs::path dir = tempDir("json");
  const int port = fixgw::testing::pickFreePort();
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
  cfg.fix.port = port;
  cfg.fix.storeType = "memory";
  cfg.database.conninfo = db.conninfo();
  cfg.logging.level = "info";
  cfg.logging.format = "json";
  cfg.logging.file = (dir / "fixgw.log").string();
  fixgw::installLogging(cfg.logging);
  std::string orderId;
  {
    fixgw::Gateway gw(cfg);
    gw.start();
    FixTestClient c("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(c.logon());
    OrderFields bad;
    bad.clOrdId = "BAD-QTY-1";
    bad.qty = "0";  // refused by the acceptor: OrderQty (38) must be > 0
    c.send(c.newOrder(bad));
    auto er = c.waitFor(FixTestClient::isTypeWith("8", 11, "BAD-QTY-1"));
    ASSERT_TRUE(er);
    EXPECT_EQ(F(*er, 39), "8");
    orderId = F(*er, 37);
    c.logout();
    gw.stop();
  }
  resetLogger();

  bool refusing = false, rejected = false;
  for (const auto& l : lines(readAll(dir / "fixgw.log"))) {
    rapidjson::Document d;
    d.Parse(l.c_str(), l.size());
    ASSERT_FALSE(d.HasParseError()) << "not JSON: " << l;
    ASSERT_TRUE(d.IsObject() && d.HasMember("msg") && d.HasMember("level") && d.HasMember("ts"))
        << l;
    if (!d.HasMember("cl_ord_id") || std::string(d["cl_ord_id"].GetString()) != "BAD-QTY-1")
      continue;
    EXPECT_STREQ(d["session"].GetString(), "FIX.4.4:FIXGW->CLIENT1") << l;
    const std::string msg = d["msg"].GetString();
    if (msg.find("refusing 35=D") != std::string::npos) {
      refusing = true;
      EXPECT_NE(msg.find("OrderQty (38)"), std::string::npos) << l;
    }
    if (msg.find("ExecutionReport Rejected") != std::string::npos) {
      rejected = true;
      EXPECT_EQ(std::string(d["order_id"].GetString()), orderId) << l;
    }
  }
  EXPECT_TRUE(refusing) << "no JSON line for the refused order";
  EXPECT_TRUE(rejected) << "no JSON line for the reject sent, with its OrderID";
  fs::remove_all(dir);
}

TEST(JsonLog, AChildOrderLineCarriesChildIdAndVenueToo) {
  const std::string payload =
      fixgw::log::orderFields("FIX.4.4:FIXGW->CLIENT1", "C1", "O-1", "O-1.1", "BINANCE") +
      "venue BINANCE rejected child O-1.1";
  spdlog::details::log_msg msg(spdlog::source_loc{}, "fixgw", spdlog::level::warn,
                               spdlog::string_view_t(payload.data(), payload.size()));
  spdlog::memory_buf_t buf;
  fixgw::log::makeJsonFormatter()->format(msg, buf);
  rapidjson::Document d;
  d.Parse(buf.data(), buf.size() - 1);
  ASSERT_FALSE(d.HasParseError()) << std::string(buf.data(), buf.size());
  EXPECT_STREQ(d["session"].GetString(), "FIX.4.4:FIXGW->CLIENT1");
  EXPECT_STREQ(d["cl_ord_id"].GetString(), "C1");
  EXPECT_STREQ(d["order_id"].GetString(), "O-1");
  EXPECT_STREQ(d["child_id"].GetString(), "O-1.1");
  EXPECT_STREQ(d["venue"].GetString(), "BINANCE");
  EXPECT_STREQ(d["msg"].GetString(), "venue BINANCE rejected child O-1.1");

  // Only a child known (no parent): the empty fields stay, the child's are there.
  const std::string orphan = fixgw::log::orderFields("", "", "", "X-9", "SIM") + "unknown child";
  spdlog::details::log_msg m2(spdlog::source_loc{}, "fixgw", spdlog::level::warn,
                              spdlog::string_view_t(orphan.data(), orphan.size()));
  spdlog::memory_buf_t b2;
  fixgw::log::makeJsonFormatter()->format(m2, b2);
  rapidjson::Document d2;
  d2.Parse(b2.data(), b2.size() - 1);
  ASSERT_FALSE(d2.HasParseError());
  EXPECT_STREQ(d2["child_id"].GetString(), "X-9");
  EXPECT_STREQ(d2["order_id"].GetString(), "");

  spdlog::memory_buf_t tb;
  fixgw::log::makeTextFormatter()->format(msg, tb);
  const std::string text(tb.data(), tb.size());
  EXPECT_NE(text.find("[session=FIX.4.4:FIXGW->CLIENT1 cl_ord_id=C1 order_id=O-1 "
                      "child_id=O-1.1 venue=BINANCE] venue BINANCE rejected"),
            std::string::npos)
      << text;
}

// The engine's own order lines (router/engine.cpp): a venue reject, driven
// through the Binance emulator (a price off its PRICE_FILTER tick), is a JSON
// line with the order's session, ClOrdID, OrderID, child id and venue.
TEST(GatewayLog, TheEnginesVenueRejectLineCarriesTheOrderAndChildFields) {
  fixgw::testing::PgTestSchema db;
  fs::path dir = tempDir("engine");
  fixgw::binance::BinanceEmulator emu(fixgw::binance::EmulatorOptions{
      "log-test-key", "log-test-secret", binanceTestData("exchange_info.json"), nullptr});
  emu.start();
  emu.setLastPrice("BTCUSDT", fixgw::Price::of("60000"));
  std::ofstream(dir / "ca.pem") << emu.certPem();
  ::setenv("FIXGW_LOGTEST_BINANCE_KEY", "log-test-key", 1);
  ::setenv("FIXGW_LOGTEST_BINANCE_SECRET", "log-test-secret", 1);
  const int port = fixgw::testing::pickFreePort();
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
  cfg.fix.port = port;
  cfg.fix.storeType = "memory";
  cfg.database.conninfo = db.conninfo();
  cfg.logging.level = "info";
  cfg.logging.format = "json";
  cfg.logging.file = (dir / "fixgw.log").string();
  fixgw::Instrument btc;
  btc.symbol = fixgw::Symbol("BTC/USDT");
  btc.currency = "USDT";
  btc.tickSize = fixgw::Price::of("0.00000001");  // ours lets it through; Binance's 0.01 does not
  btc.lotSize = fixgw::Qty::of("0.00000001");
  btc.referencePrice = fixgw::Price::of("60000");
  btc.venueSymbols["BINANCE"] = "BTCUSDT";
  cfg.instruments.add(btc);
  cfg.venues.push_back({"BINANCE",
                        "binance",
                        {{"rest_host", "127.0.0.1"},
                         {"rest_port", std::to_string(emu.port())},
                         {"tls_server_name", "localhost"},
                         {"ca_file", (dir / "ca.pem").string()},
                         {"api_key_env", "FIXGW_LOGTEST_BINANCE_KEY"},
                         {"secret_env", "FIXGW_LOGTEST_BINANCE_SECRET"},
                         {"poll_interval_ms", "100"},
                         {"reconnect_ms", "100"}}});
  fixgw::installLogging(cfg.logging);
  std::string orderId;
  {
    fixgw::Gateway gw(cfg);
    gw.start();
    FixTestClient c("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(c.logon());
    // The adapter loads exchangeInfo at start; until then it answers "loading". Retry
    // with fresh ClOrdIDs until the reject names the filter.
    std::string clOrdId;
    for (int i = 0; i < 50 && orderId.empty(); ++i) {
      OrderFields bn;
      bn.clOrdId = "LOG-REJ-" + std::to_string(i);
      bn.symbol = "BTC/USDT";
      bn.qty = "0.001";
      bn.price = "59000.005";
      bn.tif = "1";  // GTC: Binance spot has no DAY
      bn.exDestination = "BINANCE";
      c.send(c.newOrder(bn));
      auto er = c.waitFor([&](const FIX::Message& m) {
        return FixTestClient::msgType(m) == "8" && F(m, 11) == bn.clOrdId && F(m, 39) == "8";
      });
      ASSERT_TRUE(er) << "no reject for " << bn.clOrdId;
      if (F(*er, 58).find("PRICE_FILTER") != std::string::npos) {
        orderId = F(*er, 37);
        clOrdId = bn.clOrdId;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    ASSERT_FALSE(orderId.empty()) << "the venue never rejected on its PRICE_FILTER";
    c.logout();
    gw.stop();
  }
  resetLogger();
  emu.stop();
  ::unsetenv("FIXGW_LOGTEST_BINANCE_KEY");
  ::unsetenv("FIXGW_LOGTEST_BINANCE_SECRET");

  bool found = false;
  for (const auto& l : lines(readAll(dir / "fixgw.log"))) {
    rapidjson::Document d;
    d.Parse(l.c_str(), l.size());
    ASSERT_FALSE(d.HasParseError()) << "not JSON: " << l;
    if (!d.HasMember("msg") ||
        std::string(d["msg"].GetString()).find("rejected child") == std::string::npos)
      continue;
    if (!d.HasMember("order_id") || d["order_id"].GetString() != orderId) continue;
    found = true;
    EXPECT_STREQ(d["session"].GetString(), "FIX.4.4:FIXGW->CLIENT1") << l;
    EXPECT_EQ(std::string(d["cl_ord_id"].GetString()).rfind("LOG-REJ-", 0), 0u) << l;
    ASSERT_TRUE(d.HasMember("child_id")) << l;
    EXPECT_FALSE(std::string(d["child_id"].GetString()).empty()) << l;
    ASSERT_TRUE(d.HasMember("venue")) << l;
    EXPECT_STREQ(d["venue"].GetString(), "BINANCE") << l;
    EXPECT_NE(std::string(d["msg"].GetString()).find("PRICE_FILTER"), std::string::npos) << l;
  }
  EXPECT_TRUE(found) << "no engine line for the venue reject of " << orderId;
  fs::remove_all(dir);
}

// ---- secrets never written ----------------------------------------------------

namespace {
// The secrets the scenario uses; none of them may appear in anything it wrote.
constexpr const char* kDbPassword = "DbPw-q8Zr2Lk5";
constexpr const char* kFixPassword = "FixPw-t4Nc9Wx1";
constexpr const char* kAdminToken = "AdmTok-v7Hs3Qe6";
constexpr const char* kWrongToken = "WrongTok-m2Jd8Ry4";
constexpr const char* kApiKey = "BnKey-p5Fg1Ua7";
constexpr const char* kApiSecret = "BnSecret-c3Kw6Zb9";
}  // namespace

TEST(Secrets, NoSecretInLogsMessageLogsStoresOrTheDatabase) {
  fixgw::testing::PgTestSchema db;
  fs::path dir = tempDir("secrets");
  fixgw::binance::BinanceEmulator emu(fixgw::binance::EmulatorOptions{
      kApiKey, kApiSecret, binanceTestData("exchange_info.json"), nullptr});
  emu.start();
  emu.setLastPrice("BTCUSDT", fixgw::Price::of("60000"));
  std::ofstream(dir / "emulator-ca.pem") << emu.certPem();
  ::setenv("FIXGW_SECRETS_TEST_KEY", kApiKey, 1);
  ::setenv("FIXGW_SECRETS_TEST_SECRET", kApiSecret, 1);
  ::setenv("FIXGW_ADMIN_TOKEN", kAdminToken, 1);

  const int port = fixgw::testing::pickFreePort();
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
  cfg.fix.port = port;
  cfg.fix.storeType = "append";
  cfg.fix.storePath = (dir / "store").string();
  cfg.fix.logPath = (dir / "fixlog").string();  // QuickFIX's message log files too
  cfg.database.conninfo = db.conninfo() + " password=" + kDbPassword;
  cfg.fix.storeConninfo = cfg.database.conninfo;
  cfg.risk.adminSocketPath = (dir / "admin.sock").string();
  // Debug: the most the gateway ever writes (every FIX message in and out).
  cfg.logging.level = "debug";
  cfg.logging.format = "json";
  cfg.logging.file = (dir / "fixgw.log").string();
  fixgw::Instrument btc;
  btc.symbol = fixgw::Symbol("BTC/USDT");
  btc.currency = "USDT";
  btc.tickSize = fixgw::Price::of("0.00000001");
  btc.lotSize = fixgw::Qty::of("0.00000001");
  btc.referencePrice = fixgw::Price::of("60000");
  btc.venueSymbols["BINANCE"] = "BTCUSDT";
  cfg.instruments.add(btc);
  cfg.venues.push_back({"BINANCE",
                        "binance",
                        {{"rest_host", "127.0.0.1"},
                         {"rest_port", std::to_string(emu.port())},
                         {"tls_server_name", "localhost"},
                         {"ca_file", (dir / "emulator-ca.pem").string()},
                         {"api_key_env", "FIXGW_SECRETS_TEST_KEY"},
                         {"secret_env", "FIXGW_SECRETS_TEST_SECRET"},
                         {"poll_interval_ms", "100"},
                         {"reconnect_ms", "100"}}});
  fixgw::installLogging(cfg.logging);
  {
    fixgw::Gateway gw(cfg);
    gw.start();
    FixTestClient c("FIX.4.4", "CLIENT1", "FIXGW", port, sourceDir() + "/fix_acceptor/spec");
    c.setLogonField(553, "client1");
    c.setLogonField(554, kFixPassword);
    ASSERT_TRUE(c.logon());
    // An order to the simulator, one to Binance (signed with the secret), and a bad one.
    OrderFields sim;
    sim.clOrdId = "SEC-SIM";
    sim.price = "100.50";
    c.send(c.newOrder(sim));
    ASSERT_TRUE(c.waitFor(FixTestClient::isTypeWith("8", 11, "SEC-SIM")));
    OrderFields bn;
    bn.clOrdId = "SEC-BN";
    bn.symbol = "BTC/USDT";
    bn.qty = "0.01";
    bn.price = "59000";
    bn.tif = "1";
    bn.exDestination = "BINANCE";
    c.send(c.newOrder(bn));
    ASSERT_TRUE(c.waitFor(FixTestClient::isTypeWith("8", 11, "SEC-BN")));
    OrderFields bad;
    bad.clOrdId = "SEC-BAD";
    bad.qty = "-1";
    c.send(c.newOrder(bad));
    ASSERT_TRUE(c.waitFor(FixTestClient::isTypeWith("8", 11, "SEC-BAD")));
    // The admin socket: a right token, then a wrong one.
    const std::string ok = fixgw::admin::request(
        cfg.risk.adminSocketPath, std::string("{\"token\":\"") + kAdminToken +
                                      "\",\"cmd\":\"state\",\"scope\":\"account\",\"key\":\"ACC9\","
                                      "\"state\":\"HALTED\",\"cancel\":false,\"who\":\"test\","
                                      "\"reason\":\"secrets scenario\"}");
    EXPECT_NE(ok.find("\"ok\":true"), std::string::npos) << ok;
    const std::string refused =
        fixgw::admin::request(cfg.risk.adminSocketPath, std::string("{\"token\":\"") + kWrongToken +
                                                            "\",\"cmd\":\"status\"}");
    EXPECT_NE(refused.find("unauthorized"), std::string::npos) << refused;
    EXPECT_EQ(refused.find(kWrongToken), std::string::npos) << refused;
    c.logout();
    gw.stop();
  }
  resetLogger();
  emu.stop();
  ::unsetenv("FIXGW_ADMIN_TOKEN");

  const std::vector<std::string> secrets{kDbPassword, kFixPassword, kAdminToken,
                                         kWrongToken, kApiKey,      kApiSecret};
  // Everything written to disk.
  size_t files = 0;
  bool sawLogon = false;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename() == "emulator-ca.pem") continue;
    ++files;
    const std::string text = readAll(e.path());
    if (text.find("553=client1") != std::string::npos) sawLogon = true;
    for (const auto& s : secrets)
      EXPECT_EQ(text.find(s), std::string::npos) << "secret '" << s << "' in " << e.path();
  }
  EXPECT_GE(files, 3u) << "log file, FIX message logs and stores were written";
  EXPECT_TRUE(sawLogon) << "the Logon with the password was logged (masked)";
  // Every row of every table and view in the test's schema, as text.
  size_t rows = 0;
  for (const auto& t : db.query("select table_name from information_schema.tables "
                                "where table_schema = current_schema()")) {
    for (const auto& r : db.query("select t::text from \"" + t[0] + "\" t")) {
      ++rows;
      for (const auto& s : secrets)
        EXPECT_EQ(r[0].find(s), std::string::npos) << "secret '" << s << "' in table " << t[0];
    }
  }
  EXPECT_GT(rows, 10u);
  EXPECT_FALSE(db.query("select 1 from v_fix_messages where message like '%554=***%'").empty())
      << "the Logon is in the message log, its password masked";
  fs::remove_all(dir);
}
