// Bybit v5 signing: the pre-sign layout of the authentication guide (GET
// query, POST body, WebSocket "GET/realtime" + expires), checked against
// digests computed independently (openssl dgst -sha256 -hmac), and the
// RFC 4231 HMAC-SHA256 vector for the MAC itself.
#include "venue_adapters/bybit/auth.h"

#include <gtest/gtest.h>

using namespace fixgw::bybit;

TEST(BybitAuth, HmacSha256MatchesRfc4231TestCase2) {
  EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(BybitAuth, GetSignsTimestampKeyRecvWindowAndTheQueryString) {
  // The guide's GET example: category=option&symbol=BTC-29JUL22-25000-C.
  EXPECT_EQ(restSign("1658384314791", "XXXXXXXXXX", "5000",
                     "category=option&symbol=BTC-29JUL22-25000-C", "test-secret"),
            "236d8f7132d3e4c8bad803010e296f3d07211356e54c01455b26c8229a682297");
}

TEST(BybitAuth, PostSignsTheRawJsonBody) {
  const std::string body =
      R"({"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.1",)"
      R"("price":"15600","timeInForce":"PostOnly","orderLinkId":"spot-test-01","isLeverage":0,)"
      R"("orderFilter":"Order"})";
  const std::string sig = restSign("1658384314791", "XXXXXXXXXX", "5000", body, "test-secret");
  EXPECT_EQ(sig, "4af47ba169cd01c9f67cdfb73b6626a49373d2992f7abc08c49dea2b25333470");
  EXPECT_TRUE(verifyRestSign("1658384314791", "XXXXXXXXXX", "5000", body, "test-secret", sig));
  EXPECT_FALSE(verifyRestSign("1658384314792", "XXXXXXXXXX", "5000", body, "test-secret", sig))
      << "another timestamp";
  EXPECT_FALSE(
      verifyRestSign("1658384314791", "XXXXXXXXXX", "5000", body + " ", "test-secret", sig))
      << "a changed body";
  EXPECT_FALSE(verifyRestSign("1658384314791", "XXXXXXXXXX", "5000", body, "other", sig));
}

TEST(BybitAuth, WebSocketAuthSignsGetRealtimeAndExpires) {
  const std::string sig = wsAuthSign(1662350400000, "test-secret");
  EXPECT_EQ(sig, "f072aab6fa18cd774da998325df6cfc87c3ccf10d5722e6b43b570c5feaf6172");
  EXPECT_TRUE(verifyWsAuthSign(1662350400000, "test-secret", sig));
  EXPECT_FALSE(verifyWsAuthSign(1662350400001, "test-secret", sig));
}
