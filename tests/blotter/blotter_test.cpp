// The web blotter end to end in headless Chromium: the whole gateway
// in-process (FIX acceptor, engine, simulator, PostgreSQL journal, admin HTTP
// server serving web/blotter), a real QuickFIX client sending the orders,
// and blotter_e2e.cjs driving Debian's chromium through playwright-core.
//
// The browser script asks this harness for FIX orders on its stdout
// ("ORDER <ClOrdID> <Account> <Qty> <Price>") and gets the first
// ExecutionReport's ExecType/OrdStatus on its stdin ("ER <150> <39>"), so a
// step like "halt, then the next order is rejected" is checked on both sides.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <vector>

#include "apps/gateway.h"
#include "config/config.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
namespace fs = std::filesystem;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}
const char* kOps = "blotter-ops-token-9c41e2d7a0";
const char* kChromium = "/usr/bin/chromium";

// Runs a shell command, returns its exit status.
int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST(Blotter, LoginOrderFillsHaltRejectsWrongTokenRefusedInChromium) {
  if (!fs::exists(kChromium))
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium; scripts/deps.sh lists "
                    "it): the blotter end-to-end test is skipped";
  const std::string npmDir = FIXGW_BLOTTER_NPM_DIR;
  if (!fs::exists(npmDir + "/node_modules/playwright-core/package.json")) {
    // From the lockfile, into the build dir; playwright-core downloads no browser.
    ASSERT_EQ(run("cd '" + npmDir + "' && npm ci --no-audit --no-fund --ignore-scripts >&2"), 0)
        << "npm ci for playwright-core failed in " << npmDir;
  }
  const std::string artifacts = FIXGW_BLOTTER_ARTIFACTS;
  fs::remove_all(artifacts);  // screenshots of this run only
  fs::create_directories(artifacts);

  fixgw::testing::PgTestSchema db;
  ::setenv("FIXGW_ADMIN_HTTP_TOKENS", (std::string("desk-ops operator ") + kOps).c_str(), 1);
  const int fixPort = fixgw::testing::pickFreePort();
  auto cfg = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
  cfg.fix.port = fixPort;
  cfg.fix.storeType = "memory";
  cfg.database.conninfo = db.conninfo();
  cfg.logging.level = "warn";
  cfg.risk.adminSocketPath.clear();
  cfg.adminHttp.enabled = true;
  cfg.adminHttp.port = 0;
  cfg.adminHttp.webRoot = sourceDir() + "/web/blotter";
  fixgw::Gateway gw(cfg);
  gw.start();
  ::unsetenv("FIXGW_ADMIN_HTTP_TOKENS");
  ASSERT_GT(gw.adminHttpPort(), 0);
  FixTestClient client("FIX.4.4", "CLIENT1", "FIXGW", fixPort, sourceDir() + "/fix_acceptor/spec");
  ASSERT_TRUE(client.logon());

  // node with two pipes: its stdout is our request channel, its stdin our answers.
  int toChild[2], fromChild[2];
  ASSERT_EQ(::pipe(toChild), 0);
  ASSERT_EQ(::pipe(fromChild), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(gw.adminHttpPort());
  const std::string script = sourceDir() + "/tests/blotter/blotter_e2e.cjs";
  const std::string pw = npmDir + "/node_modules/playwright-core";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(toChild[0], 0);
    ::dup2(fromChild[1], 1);
    ::close(toChild[1]);
    ::close(fromChild[0]);
    ::setenv("BLOTTER_URL", url.c_str(), 1);
    ::setenv("BLOTTER_TOKEN", kOps, 1);
    ::setenv("BLOTTER_ARTIFACTS", artifacts.c_str(), 1);
    ::setenv("PLAYWRIGHT_CORE", pw.c_str(), 1);
    ::execlp("node", "node", script.c_str(), static_cast<char*>(nullptr));
    std::perror("exec node");
    ::_exit(127);
  }
  ::close(toChild[0]);
  ::close(fromChild[1]);
  FILE* in = ::fdopen(fromChild[0], "r");
  FILE* out = ::fdopen(toChild[1], "w");

  std::vector<std::string> answers;
  char line[8192];
  while (std::fgets(line, sizeof line, in)) {
    std::string l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    std::cerr << "[blotter] " << l << "\n";
    if (l.rfind("ORDER ", 0) != 0) continue;
    std::istringstream ls(l.substr(6));
    OrderFields o;
    std::string account, qty, px;
    ls >> o.clOrdId >> account >> qty >> px;
    o.account = account;
    o.qty = qty;
    o.price = px;
    client.send(client.newOrder(o));
    auto er = client.waitForAndPop([&](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && FixTestClient::field(m, 11) == o.clOrdId &&
             (FixTestClient::field(m, 150) == "0" || FixTestClient::field(m, 150) == "8");
    });
    std::string answer =
        er ? "ER " + FixTestClient::field(*er, 150) + " " + FixTestClient::field(*er, 39)
           : std::string("ER none none");
    answers.push_back(o.clOrdId + " " + answer);
    std::fprintf(out, "%s\n", answer.c_str());
    std::fflush(out);
  }
  std::fclose(out);
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the browser script failed (see [blotter] lines above; screenshots in " << artifacts
      << ")";
  // The FIX side of the same story: accepted, then (account halted) rejected.
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0], "B1 ER 0 0");
  EXPECT_EQ(answers[1], "B2 ER 8 8");
  EXPECT_TRUE(fs::exists(artifacts + "/06-halted-order-rejected.png"));
  client.logout();
  gw.stop();
}
