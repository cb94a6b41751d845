// OKX signing against the documentation's example inputs (timestamp, body,
// secret from the v5 docs' "REST Authentication" section). The docs print
// no resulting signature, so the expected values were computed independently
// with `openssl dgst -sha256 -hmac <secret> -binary | base64`.
#include "venue_adapters/okx/auth.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "venue_adapters/okx/config.h"

using namespace fixgw;
using namespace fixgw::okx;

namespace {
constexpr const char* kDocSecret = "22582BD0CFF14C41EDBF1AB98506286D";
constexpr const char* kDocTs = "2020-12-08T09:08:57.715Z";
constexpr const char* kDocBody = R"({"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"})";
}  // namespace

TEST(OkxAuth, PostSignatureOverTimestampMethodPathAndBody) {
  EXPECT_EQ(restSign(kDocTs, "POST", "/api/v5/account/set-leverage", kDocBody, kDocSecret),
            "eCnnCgWLjlQ9XnpUkrcny3qNq3WW/81KNrDr/XR6Xv8=");
}

TEST(OkxAuth, GetSignatureIncludesTheQueryString) {
  EXPECT_EQ(restSign(kDocTs, "GET", "/api/v5/account/balance?ccy=BTC", "", kDocSecret),
            "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=");
  EXPECT_NE(restSign(kDocTs, "GET", "/api/v5/account/balance", "", kDocSecret),
            "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=");
}

TEST(OkxAuth, WebSocketLoginSignsUnixSecondsGetAndVerifyPath) {
  EXPECT_EQ(wsLoginSign("1538054050", kDocSecret), "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M=");
  EXPECT_TRUE(
      verifyWsLoginSign("1538054050", kDocSecret, "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="));
  EXPECT_FALSE(
      verifyWsLoginSign("1538054051", kDocSecret, "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="));
}

TEST(OkxAuth, VerifyRefusesAnyChangedPart) {
  const std::string sig = restSign(kDocTs, "POST", "/api/v5/trade/order", kDocBody, kDocSecret);
  EXPECT_TRUE(verifyRestSign(kDocTs, "POST", "/api/v5/trade/order", kDocBody, kDocSecret, sig));
  EXPECT_FALSE(verifyRestSign(kDocTs, "POST", "/api/v5/trade/order", kDocBody, "other", sig));
  EXPECT_FALSE(verifyRestSign(kDocTs, "GET", "/api/v5/trade/order", kDocBody, kDocSecret, sig));
  EXPECT_FALSE(verifyRestSign("2020-12-08T09:08:57.716Z", "POST", "/api/v5/trade/order", kDocBody,
                              kDocSecret, sig));
  EXPECT_FALSE(verifyRestSign(kDocTs, "POST", "/api/v5/trade/order", "{}", kDocSecret, sig));
}

TEST(OkxAuth, IsoTimestampWithMillisecondsRoundTrips) {
  auto t = parseIsoMillis(kDocTs);
  ASSERT_TRUE(t);
  EXPECT_EQ(isoMillis(*t), kDocTs);
  EXPECT_EQ(*t % 1'000'000'000, 715'000'000);
  EXPECT_FALSE(parseIsoMillis("2020-12-08T09:08:57Z"));
  EXPECT_FALSE(parseIsoMillis("2020-13-08T09:08:57.715Z"));
  EXPECT_FALSE(parseIsoMillis("1607418537715"));
}

TEST(OkxConfig, CredentialsFromEnvironmentNamingTheMissingOneNotTheValue) {
  OkxConfig c;
  c.apiKeyEnv = "FIXGW_TEST_OKX_KEY";
  c.secretEnv = "FIXGW_TEST_OKX_SECRET";
  c.passphraseEnv = "FIXGW_TEST_OKX_PASS";
  ::setenv("FIXGW_TEST_OKX_KEY", "k-123", 1);
  ::setenv("FIXGW_TEST_OKX_SECRET", "s-very-secret", 1);
  ::unsetenv("FIXGW_TEST_OKX_PASS");
  try {
    loadCredentials(c, "venues[2]");
    FAIL() << "passphrase missing must throw";
  } catch (const std::invalid_argument& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("venues[2].params.passphrase_env"), std::string::npos) << w;
    EXPECT_NE(w.find("FIXGW_TEST_OKX_PASS"), std::string::npos) << w;
    EXPECT_EQ(w.find("s-very-secret"), std::string::npos) << w;
  }
  ::setenv("FIXGW_TEST_OKX_PASS", "pass phrase", 1);
  Credentials cr = loadCredentials(c, "venues[2]");
  EXPECT_EQ(cr.apiKey, "k-123");
  EXPECT_EQ(cr.secret, "s-very-secret");
  EXPECT_EQ(cr.passphrase, "pass phrase");
}

TEST(OkxConfig, ParamsAreCheckedNamingTheKey) {
  fixgw::venues::VenueParams params{{"rest_port", "70000"}};
  fixgw::venues::ParamReader p(params, "venues[1].params");
  try {
    readOkxConfig(p, "venues[1]");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[1].params.rest_port"), std::string::npos);
  }
  fixgw::venues::VenueParams ping{{"ping_interval_ms", "30000"}};
  fixgw::venues::ParamReader p2(ping, "venues[1].params");
  EXPECT_THROW(readOkxConfig(p2, "venues[1]"), std::invalid_argument);
  fixgw::venues::VenueParams ok{
      {"rest_host", "127.0.0.1"}, {"rest_port", "8443"}, {"demo", "true"}};
  fixgw::venues::ParamReader p3(ok, "venues[1].params");
  OkxConfig c = readOkxConfig(p3, "venues[1]");
  EXPECT_TRUE(c.demo);
  EXPECT_EQ(c.wsPort, 8443) << "the WebSocket defaults to the REST endpoint";
}
