// Coinbase ES256 JWT signing: the exact header/claims JSON and base64url
// encoding Coinbase documents, the signature verified with the public key
// (ECDSA is randomised, so no fixed token exists), and the checks a server
// makes (wrong key, expired, wrong uri).
#include "venue_adapters/coinbase/auth.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "venue_adapters/coinbase/config.h"

using namespace fixgw::coinbase;

namespace {

const std::string kKeyName = "organizations/org-1/apiKeys/key-1";

TEST(CoinbaseAuth, Base64UrlMatchesRfc4648TestVectorsWithoutPadding) {
  // RFC 4648 §10 vectors, '=' padding dropped as JWTs do.
  EXPECT_EQ(base64UrlEncode(""), "");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64UrlEncode("foobar"), "Zm9vYmFy");
  // The URL-safe alphabet: 0xfb 0xff -> "-_8" (standard base64 would be "+/8=").
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_EQ(*base64UrlDecode("Zm9vYmFy"), "foobar");
  EXPECT_FALSE(base64UrlDecode("Zm9v+mFy").has_value());
  EXPECT_FALSE(base64UrlDecode("Z").has_value());
}

TEST(CoinbaseAuth, HeaderAndClaimsJsonAreExactlyTheDocumentedShape) {
  EXPECT_EQ(
      jwtHeaderJson(kKeyName, "abc123"),
      R"({"alg":"ES256","kid":"organizations/org-1/apiKeys/key-1","nonce":"abc123","typ":"JWT"})");
  EXPECT_EQ(jwtClaimsJson(kKeyName, 1700000000, 1700000120,
                          "POST api.venue.example/api/v3/brokerage/orders"),
            R"({"sub":"organizations/org-1/apiKeys/key-1","iss":"cdp","nbf":1700000000,)"
            R"("exp":1700000120,"uri":"POST api.venue.example/api/v3/brokerage/orders"})");
  // WebSocket JWTs carry no uri claim.
  EXPECT_EQ(jwtClaimsJson(kKeyName, 1700000000, 1700000120, ""),
            R"({"sub":"organizations/org-1/apiKeys/key-1","iss":"cdp","nbf":1700000000,)"
            R"("exp":1700000120})");
}

TEST(CoinbaseAuth, UriIsMethodHostAndPathWithoutTheQuery) {
  EXPECT_EQ(jwtUri("GET", "api.venue.example", "/api/v3/brokerage/accounts"),
            "GET api.venue.example/api/v3/brokerage/accounts");
  EXPECT_EQ(jwtUri("GET", "api.venue.example",
                   "/api/v3/brokerage/orders/historical/fills?order_ids=1&limit=100"),
            "GET api.venue.example/api/v3/brokerage/orders/historical/fills");
}

TEST(CoinbaseAuth, NonceIs64HexCharactersAndFresh) {
  std::string a = randomNonceHex(), b = randomNonceHex();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(CoinbaseAuth, TokenEncodesHeaderAndClaimsAndItsSignatureVerifies) {
  std::string err;
  auto signer = Es256Signer::fromPem(generateEcPrivateKeyPem(), err);
  ASSERT_TRUE(signer) << err;
  const std::string uri = "POST api.venue.example/api/v3/brokerage/orders";
  std::string jwt = makeJwt(*signer, kKeyName, 1700000000, 120, uri, "nonce-1");
  auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
  ASSERT_NE(d1, d2);
  EXPECT_EQ(jwt.substr(0, d1), base64UrlEncode(jwtHeaderJson(kKeyName, "nonce-1")));
  EXPECT_EQ(jwt.substr(d1 + 1, d2 - d1 - 1),
            base64UrlEncode(jwtClaimsJson(kKeyName, 1700000000, 1700000120, uri)));
  auto sig = base64UrlDecode(jwt.substr(d2 + 1));
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u) << "ES256 signatures are raw r||s, not DER";
  EXPECT_TRUE(verifyEs256(signer->publicKeyPem(), jwt.substr(0, d2), *sig));
  EXPECT_FALSE(verifyEs256(signer->publicKeyPem(), jwt.substr(0, d2) + "x", *sig));

  JwtExpectation x{kKeyName, uri, 1700000060};
  EXPECT_EQ(verifyJwt(jwt, signer->publicKeyPem(), x), "");
}

TEST(CoinbaseAuth, ServerSideChecksNameWhatIsWrong) {
  std::string err;
  auto signer = Es256Signer::fromPem(generateEcPrivateKeyPem(), err);
  auto other = Es256Signer::fromPem(generateEcPrivateKeyPem(), err);
  ASSERT_TRUE(signer && other);
  const std::string uri = "POST api.venue.example/api/v3/brokerage/orders";
  std::string jwt = makeJwt(*signer, kKeyName, 1700000000, 120, uri, "n");
  JwtExpectation x{kKeyName, uri, 1700000060};
  EXPECT_EQ(verifyJwt(jwt, other->publicKeyPem(), x), "invalid signature");
  x.nowSec = 1700000120;
  EXPECT_EQ(verifyJwt(jwt, signer->publicKeyPem(), x), "token expired");
  x.nowSec = 1700000060;
  x.uri = "GET api.venue.example/api/v3/brokerage/orders";
  EXPECT_NE(verifyJwt(jwt, signer->publicKeyPem(), x).find("uri mismatch"), std::string::npos);
  x.uri = "";
  EXPECT_EQ(verifyJwt(jwt, signer->publicKeyPem(), x), "uri claim on a WebSocket token");
  x.uri = uri;
  x.keyName = "organizations/org-1/apiKeys/other";
  EXPECT_EQ(verifyJwt(jwt, signer->publicKeyPem(), x), "unknown key (kid)");
  EXPECT_NE(verifyJwt("not-a-token", signer->publicKeyPem(), x), "");
  // A token living longer than Coinbase's 2 minutes is refused.
  std::string longLived = makeJwt(*signer, kKeyName, 1700000000, 600, uri, "n");
  x.keyName = kKeyName;
  EXPECT_EQ(verifyJwt(longLived, signer->publicKeyPem(), x), "token lifetime exceeds 120 s");
}

TEST(CoinbaseAuth, ANonP256OrGarbageKeyIsRefusedWithoutQuotingIt) {
  std::string err;
  EXPECT_FALSE(
      Es256Signer::fromPem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE "
                           "KEY-----\n",
                           err));
  EXPECT_NE(err.find("not a PEM private key"), std::string::npos);
  EXPECT_EQ(err.find("AAAA"), std::string::npos);
}

TEST(CoinbaseConfig, BadValuesAndMissingCredentialsNameTheKeyNeverTheValue) {
  fixgw::venues::VenueParams params{{"jwt_expiry_sec", "600"}};
  fixgw::venues::ParamReader r(params, "venues[2].params");
  try {
    readCoinbaseConfig(r, "venues[2]");
    FAIL() << "a JWT longer than Coinbase's 120 s is refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[2].params.jwt_expiry_sec"), std::string::npos)
        << e.what();
  }
  CoinbaseConfig c;
  c.keyNameEnv = "FIXGW_TEST_CB_KEY_NAME_UNSET";
  c.privateKeyEnv = "FIXGW_TEST_CB_PK_UNSET";
  ::unsetenv("FIXGW_TEST_CB_KEY_NAME_UNSET");
  try {
    loadCredentials(c, "venues[2]");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("FIXGW_TEST_CB_KEY_NAME_UNSET is not set"),
              std::string::npos)
        << e.what();
  }
  ::setenv("FIXGW_TEST_CB_KEY_NAME_UNSET", "organizations/o/apiKeys/k", 1);
  ::setenv("FIXGW_TEST_CB_PK_UNSET", "secret-not-a-pem", 1);
  try {
    loadCredentials(c, "venues[2]");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("private_key_env"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("secret-not-a-pem"), std::string::npos) << e.what();
  }
  // A PEM pasted into one environment line with \n escapes loads.
  std::string pem = generateEcPrivateKeyPem();
  std::string escaped;
  for (char ch : pem) escaped += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  ::setenv("FIXGW_TEST_CB_PK_UNSET", escaped.c_str(), 1);
  EXPECT_EQ(loadCredentials(c, "venues[2]").keyName, "organizations/o/apiKeys/k");
}

}  // namespace
