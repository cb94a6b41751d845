// The admin token store: the file format, its errors (which name the line and
// never the secret), hashed secrets, and authentication.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "apps/admin_http.h"

using fixgw::admin::Role;
using fixgw::admin::TokenStore;

namespace {
const char* kOps = "ops-secret-0123456789abcdef";
const char* kView = "viewer-secret-0123456789abcdef";
}  // namespace

TEST(TokenStore, PlainAndHashedSecretsAuthenticateWithTheirRole) {
  std::string text = std::string("# admin tokens\nops operator ") + kOps +
                     "\n\nviewer read sha256:" + fixgw::admin::sha256Hex(kView) + "  # hashed\n";
  TokenStore t = TokenStore::parse(text, "test");
  ASSERT_EQ(t.size(), 2u);
  auto a = t.authenticate(kOps);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "ops");
  EXPECT_EQ(a->role, Role::Operator);
  auto b = t.authenticate(kView);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "viewer");
  EXPECT_EQ(b->role, Role::Read);
  EXPECT_FALSE(t.authenticate("viewer-secret-0123456789abcdeX"));
  EXPECT_FALSE(t.authenticate(""));
  // The digest itself is not a password.
  EXPECT_FALSE(t.authenticate(fixgw::admin::sha256Hex(kView)));
}

TEST(TokenStore, SemicolonsSeparateLinesForTheEnvironmentForm) {
  TokenStore t =
      TokenStore::parse(std::string("ops operator ") + kOps + ";viewer read " + kView, "env");
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.authenticate(kView));
}

TEST(TokenStore, ErrorsNameTheLineAndNeverTheSecret) {
  auto error = [](const std::string& text) {
    try {
      TokenStore::parse(text, "tokens.txt");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string e1 = error(std::string("ops admin ") + kOps);
  EXPECT_NE(e1.find("tokens.txt line 1"), std::string::npos) << e1;
  EXPECT_NE(e1.find("'admin' is not read or operator"), std::string::npos) << e1;
  EXPECT_EQ(e1.find(kOps), std::string::npos) << "the secret leaked: " << e1;

  std::string e2 = error(std::string("a read ") + kView + "\na operator " + kOps);
  EXPECT_NE(e2.find("line 2"), std::string::npos) << e2;
  EXPECT_NE(e2.find("appears twice"), std::string::npos) << e2;
  EXPECT_EQ(e2.find(kOps), std::string::npos) << e2;

  std::string e3 = error("a read shortsecret");
  EXPECT_NE(e3.find("shorter than 16"), std::string::npos) << e3;
  EXPECT_EQ(e3.find("shortsecret"), std::string::npos) << e3;

  std::string e4 = error("a read sha256:abcd");
  EXPECT_NE(e4.find("64 hex digits"), std::string::npos) << e4;

  std::string e5 = error("onlyname");
  EXPECT_NE(e5.find("expected '<name> <read|operator>"), std::string::npos) << e5;
}

TEST(PercentDecode, DecodesAndRejectsBadEscapes) {
  EXPECT_EQ(fixgw::admin::percentDecode("FIX.4.4%3AFIXGW-%3ECLIENT1"), "FIX.4.4:FIXGW->CLIENT1");
  EXPECT_EQ(fixgw::admin::percentDecode("a+b"), "a b");
  EXPECT_FALSE(fixgw::admin::percentDecode("%4"));
  EXPECT_FALSE(fixgw::admin::percentDecode("%zz"));
}

// admin.http in the config: defaults, and errors that name the key.
#include <fstream>
#include <sstream>

#include "config/config.h"

namespace {
std::string shippedConfig() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  std::ifstream in(std::string(d ? d : FIXGW_SOURCE_DIR_DEFAULT) + "/config/fixgw.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string withHttp(const std::string& http) {
  std::string s = shippedConfig();
  auto p = s.find("\"http\": {");
  auto e = s.find('}', p);
  return s.substr(0, p) + "\"http\": " + http + s.substr(e + 1);
}
std::string configError(const std::string& json) {
  try {
    fixgw::config::parseConfig(json, "/tmp");
  } catch (const fixgw::config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(AdminHttpConfig, ShippedConfigBindsLoopbackAndBadValuesNameTheirKey) {
  auto c = fixgw::config::parseConfig(shippedConfig(), "/tmp");
  EXPECT_TRUE(c.adminHttp.enabled);
  EXPECT_EQ(c.adminHttp.host, "127.0.0.1");
  EXPECT_EQ(c.adminHttp.port, 9880);
  EXPECT_NE(configError(withHttp(R"({"port": 70000})")).find("admin.http.port: must be 0..65535"),
            std::string::npos);
  EXPECT_NE(configError(withHttp(R"({"max_body_bytes": 10})")).find("admin.http.max_body_bytes"),
            std::string::npos);
  EXPECT_NE(configError(withHttp(R"({"token": "x"})")).find("admin.http.token: unknown key"),
            std::string::npos);
  EXPECT_NE(configError(withHttp(R"({"request_timeout_ms": "soon"})"))
                .find("admin.http.request_timeout_ms: expected an integer"),
            std::string::npos);
}
