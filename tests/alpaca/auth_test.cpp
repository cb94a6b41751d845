// Alpaca authentication and config: the key headers, the stream's auth
// message, the venue-side check (wrong key, wrong secret, missing), masking,
// credentials from env/file naming what is missing and never the value, and
// paper/live selection (live only when spelt out with its host).
#include "venue_adapters/alpaca/auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "venue_adapters/alpaca/config.h"

using namespace fixgw;
using namespace fixgw::alpaca;

TEST(AlpacaAuth, HeadersCarryTheKeyPairByAlpacasNames) {
  Credentials c{"PKTEST1234", "s3cr3t"};
  auto h = authHeaders(c);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"APCA-API-KEY-ID", "PKTEST1234"}));
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"APCA-API-SECRET-KEY", "s3cr3t"}));
  EXPECT_EQ(streamAuthMessage(c), R"({"action":"auth","key":"PKTEST1234","secret":"s3cr3t"})");
  EXPECT_EQ(streamAuthMessage({"a\"b", "c\\d"}),
            R"({"action":"auth","key":"a\"b","secret":"c\\d"})");
}

TEST(AlpacaAuth, VenueSideCheckRefusesWrongOrMissingKeys) {
  EXPECT_EQ(verifyAuthHeaders("K", "S", "K", "S"), "");
  EXPECT_EQ(verifyAuthHeaders("K", "X", "K", "S"), "request is not authorized");
  EXPECT_EQ(verifyAuthHeaders("X", "S", "K", "S"), "request is not authorized");
  EXPECT_EQ(verifyAuthHeaders("", "", "", ""), "request is not authorized");
  EXPECT_FALSE(constantTimeEqual("abc", "abd"));
  EXPECT_FALSE(constantTimeEqual("abc", "abcd"));
}

TEST(AlpacaAuth, MaskShowsOnlyAPrefix) {
  EXPECT_EQ(mask("PKABCDEFGHIJ"), "PKAB****");
  EXPECT_EQ(mask("abc"), "****");
}

namespace {
AlpacaConfig read(const venues::VenueParams& p) {
  venues::ParamReader r(p, "venues[0].params");
  AlpacaConfig c = readAlpacaConfig(r, "venues[0]");
  r.finish();
  return c;
}
std::string errorOf(const venues::VenueParams& p) {
  try {
    read(p);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(AlpacaConfig, PaperByDefaultLiveOnlyWhenChosenWithItsHost) {
  AlpacaConfig c = read({{"paper_host", "paper.example"}});
  EXPECT_FALSE(c.live);
  EXPECT_EQ(c.host, "paper.example");
  EXPECT_NE(errorOf({{"environment", "live"}}).find("live_host: required"), std::string::npos);
  c = read({{"environment", "live"}, {"live_host", "live.example"}, {"paper_host", "p"}});
  EXPECT_TRUE(c.live);
  EXPECT_EQ(c.host, "live.example");
  EXPECT_NE(errorOf({{"environment", "prod"}}).find("venues[0].params.environment"),
            std::string::npos);
  EXPECT_NE(errorOf({{"outside_hours", "sometimes"}}).find("outside_hours"), std::string::npos);
  EXPECT_NE(errorOf({{"max_requests_per_min", "500"}}).find("200"), std::string::npos);
  EXPECT_EQ(read({{"outside_hours", "extended"}}).outsideHours, OutsideHours::Extended);
}

TEST(AlpacaConfig, CredentialsFromEnvOrFileNeverEchoed) {
  AlpacaConfig c;
  c.apiKeyEnv = "FIXGW_TEST_ALPACA_KEY_UNSET";
  c.secretEnv = "FIXGW_TEST_ALPACA_SECRET";
  ::unsetenv("FIXGW_TEST_ALPACA_KEY_UNSET");
  ::setenv("FIXGW_TEST_ALPACA_SECRET", "very-secret-value", 1);
  try {
    loadCredentials(c, "venues[0]");
    FAIL() << "missing key accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("FIXGW_TEST_ALPACA_KEY_UNSET is not set"),
              std::string::npos);
  }
  auto file =
      std::filesystem::temp_directory_path() / ("fixgw-alpaca-key-" + std::to_string(::getpid()));
  std::ofstream(file) << "PKFROMFILE\n";
  c.apiKeyFile = file.string();
  Credentials cr = loadCredentials(c, "venues[0]");
  EXPECT_EQ(cr.keyId, "PKFROMFILE");
  EXPECT_EQ(cr.secret, "very-secret-value");
  ::setenv("FIXGW_TEST_ALPACA_SECRET", "bad secret", 1);
  try {
    loadCredentials(c, "venues[0]");
    FAIL() << "a secret with a space accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("bad secret"), std::string::npos) << "never the value";
  }
  std::filesystem::remove(file);
}
