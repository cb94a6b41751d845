// The fix.* keys of the gateway's own transport in config/config.cpp: parsed
// into FixCfg, and every error names its key.
#include <gtest/gtest.h>

#include "config/config.h"

using namespace fixgw::config;

namespace {

std::optional<std::string> noEnv(const std::string& n) {
  if (n == "CREDS") return std::string("/etc/fixgw/fix-users");
  return std::nullopt;
}

std::string config(const std::string& fixExtra, const std::string& sessionExtra = "") {
  return R"({ "fix": { )" + fixExtra + R"( "sessions": [ { "begin_string": "FIX.4.4",
      "target_comp_id": "C1" )" +
         sessionExtra + R"( } ] },
    "database": { "conninfo": "host=h user=u" },
    "instruments": [ { "symbol": "AAPL", "reference_price": "100.00" } ],
    "venues": [ { "name": "SIM", "type": "sim" } ] })";
}

std::string errorOf(const std::string& json) {
  try {
    parseConfig(json, "/base", noEnv);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FixTransportConfig, DefaultsAreTheOwnTransportOnLoopback) {
  auto c = parseConfig(config(""), "/base", noEnv);
  EXPECT_EQ(c.fix.transport, "asio");
  EXPECT_EQ(c.fix.host, "127.0.0.1");
  EXPECT_TRUE(c.fix.hosts.empty());
  EXPECT_EQ(c.fix.maxConnections, 256);
  EXPECT_TRUE(c.fix.tls.certFile.empty());
  EXPECT_TRUE(c.fix.sessions[0].allowFrom.empty());
  EXPECT_FALSE(c.fix.sessions[0].requireLogonAuth);
}

TEST(FixTransportConfig, ReadsEveryKey) {
  auto c =
      parseConfig(config(R"("host": ["127.0.0.1", "10.1.2.3"], "max_connections": 10,
                "logon_timeout_ms": 2000, "max_message_bytes": 65536, "message_timeout_ms": 5000,
                "io_threads": 3,
                "tls": { "cert_file": "certs/fix.crt", "key_file": "/k/fix.key",
                         "ca_file": "ca.pem", "verify_client": true },
                "auth": { "credentials_file": "${CREDS}", "max_failures": 4,
                          "failure_window_ms": 9000 },)",
                         R"(, "allow_from": ["127.0.0.1", "10.0.0.0/8"], "require_logon_auth": true,
                "username": "alice")"),
                  "/base", noEnv);
  EXPECT_EQ(c.fix.hosts, (std::vector<std::string>{"127.0.0.1", "10.1.2.3"}));
  EXPECT_EQ(c.fix.maxConnections, 10);
  EXPECT_EQ(c.fix.logonTimeoutMs, 2000);
  EXPECT_EQ(c.fix.maxMessageBytes, 65536);
  EXPECT_EQ(c.fix.messageTimeoutMs, 5000);
  EXPECT_EQ(c.fix.ioThreads, 3);
  EXPECT_EQ(c.fix.tls.certFile, "/base/certs/fix.crt");
  EXPECT_EQ(c.fix.tls.keyFile, "/k/fix.key");
  EXPECT_EQ(c.fix.tls.caFile, "/base/ca.pem");
  EXPECT_TRUE(c.fix.tls.verifyClient);
  EXPECT_EQ(c.fix.credentialsFile, "/etc/fixgw/fix-users");
  EXPECT_EQ(c.fix.maxLogonFailures, 4);
  EXPECT_EQ(c.fix.logonFailureWindowMs, 9000);
  EXPECT_EQ(c.fix.sessions[0].allowFrom, (std::vector<std::string>{"127.0.0.1", "10.0.0.0/8"}));
  EXPECT_TRUE(c.fix.sessions[0].requireLogonAuth);
  EXPECT_EQ(c.fix.sessions[0].username, "alice");
}

TEST(FixTransportConfig, ErrorsNameTheKey) {
  EXPECT_NE(errorOf(config(R"("transport": "tcp",)")).find("fix.transport: 'tcp'"),
            std::string::npos);
  EXPECT_NE(errorOf(config(R"("max_connections": 0,)")).find("fix.max_connections"),
            std::string::npos);
  EXPECT_NE(errorOf(config(R"("tls": { "cert_file": "a.crt" },)")).find("fix.tls.key_file"),
            std::string::npos);
  EXPECT_NE(
      errorOf(config(R"("tls": { "cert_file": "a", "key_file": "b", "verify_client": true },)"))
          .find("fix.tls.ca_file"),
      std::string::npos);
  EXPECT_NE(errorOf(config(R"("tls": { "certfile": "a" },)")).find("fix.tls.certfile: unknown key"),
            std::string::npos);
  EXPECT_NE(errorOf(config("", R"(, "allow_from": ["intranet"])"))
                .find("fix.sessions[0].allow_from[0]: 'intranet'"),
            std::string::npos);
  EXPECT_NE(errorOf(config("", R"(, "require_logon_auth": true)"))
                .find("fix.auth.credentials_file: required"),
            std::string::npos);
  EXPECT_NE(
      errorOf(config(R"("transport": "quickfix", "tls": { "cert_file": "a", "key_file": "b" },)"))
          .find("fix.transport"),
      std::string::npos);
}

// Corked report output and the engine loop's poll (issue 15, core/output_cork.h).
TEST(FixTransportConfig, CorkAndEngineSpinKeys) {
  auto d = parseConfig(config(""), "/base", noEnv);
  EXPECT_EQ(d.fix.corkMaxTasks, 16);
  EXPECT_EQ(d.fix.engineSpinUs, 0);
  auto c = parseConfig(config(R"("cork_max_tasks": 0, "engine_spin_us": "50",)"), "/base", noEnv);
  EXPECT_EQ(c.fix.corkMaxTasks, 0);
  EXPECT_EQ(c.fix.engineSpinUs, 50);
  EXPECT_NE(errorOf(config(R"("cork_max_tasks": -1,)")).find("fix.cork_max_tasks"),
            std::string::npos);
  EXPECT_NE(errorOf(config(R"("engine_spin_us": 20000,)")).find("fix.engine_spin_us"),
            std::string::npos);
  EXPECT_NE(errorOf(config(R"("engine_spin_us": "fast",)")).find("fix.engine_spin_us"),
            std::string::npos);
}

// Commands on the session's thread while the engine loop is idle (issue 15, core/executor.h):
// a boolean, also as "true"/"false" text (so "${VAR:-false}" works); on by default with the
// asio transport (session 9), off by default with "quickfix" unless asked for.
TEST(FixTransportConfig, EngineInlineKey) {
  EXPECT_TRUE(parseConfig(config(""), "/base", noEnv).fix.engineInline);
  EXPECT_FALSE(parseConfig(config(R"("transport": "quickfix",)"), "/base", noEnv).fix.engineInline);
  EXPECT_TRUE(parseConfig(config(R"("transport": "quickfix", "engine_inline": true,)"), "/base", noEnv)
                  .fix.engineInline);
  EXPECT_TRUE(parseConfig(config(R"("engine_inline": true,)"), "/base", noEnv).fix.engineInline);
  EXPECT_TRUE(parseConfig(config(R"("engine_inline": "true",)"), "/base", noEnv).fix.engineInline);
  EXPECT_FALSE(
      parseConfig(config(R"("engine_inline": "false",)"), "/base", noEnv).fix.engineInline);
  EXPECT_NE(errorOf(config(R"("engine_inline": "yes",)")).find("fix.engine_inline"),
            std::string::npos);
  EXPECT_NE(errorOf(config(R"("engine_inline": 1,)")).find("fix.engine_inline"),
            std::string::npos);
}

}  // namespace
