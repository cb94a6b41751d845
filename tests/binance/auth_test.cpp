// Binance HMAC-SHA256 signing against the example in Binance's own API
// documentation ("SIGNED Endpoint Examples for POST /api/v3/order - HMAC").
#include "venue_adapters/binance/auth.h"

#include <gtest/gtest.h>

using namespace fixgw::binance;

namespace {
// The documentation's example key pair and request (public, published for
// exactly this purpose; not a credential of anyone's).
constexpr const char* kDocSecret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
constexpr const char* kDocParams =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
    "timestamp=1499827319559";
constexpr const char* kDocSignature =
    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
}  // namespace

TEST(BinanceAuth, HmacMatchesTheDocumentedSignature) {
  EXPECT_EQ(hmacSha256Hex(kDocSecret, kDocParams), kDocSignature);
}

TEST(BinanceAuth, SignParamsAppendsRecvWindowTimestampAndSignatureAsDocumented) {
  std::string s =
      signParams("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1",
                 kDocSecret, 1499827319559, 5000);
  EXPECT_EQ(s, std::string(kDocParams) + "&signature=" + kDocSignature);
}

TEST(BinanceAuth, VerifyAcceptsTheDocumentedRequestAndRejectsTampering) {
  const std::string good = std::string(kDocParams) + "&signature=" + kDocSignature;
  EXPECT_TRUE(verifySignedParams(good, kDocSecret));
  std::string upper = std::string(kDocParams) +
                      "&signature=C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71";
  EXPECT_TRUE(verifySignedParams(upper, kDocSecret)) << "HMAC signatures are case-insensitive";
  std::string tampered = good;
  tampered.replace(tampered.find("price=0.1"), 9, "price=0.2");
  EXPECT_FALSE(verifySignedParams(tampered, kDocSecret));
  EXPECT_FALSE(verifySignedParams(good, "another-secret"));
  EXPECT_FALSE(verifySignedParams(kDocParams, kDocSecret)) << "no signature at all";
}

TEST(BinanceAuth, UrlEncodeKeepsUnreservedAndEscapesTheRest) {
  EXPECT_EQ(urlEncode("abc-_.~09"), "abc-_.~09");
  EXPECT_EQ(urlEncode("[\"BTCUSDT\"]"), "%5B%22BTCUSDT%22%5D");
  EXPECT_EQ(urlEncode("a b&c=d"), "a%20b%26c%3Dd");
}
