// The fixgw daemon refused a start: a config that parses but cannot be brought up (a FIX data
// dictionary that is not there, a port another process holds) must end the process with exit
// code 1 and an error naming the cause — after the parts already started (the journal's
// PostgreSQL connection, the venues) were stopped in order — never a crash.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

struct Outcome {
  bool exited = false;  // ended by exit(), not by a signal
  int code = -1;        // exit code, or the signal number when !exited
  bool timedOut = false;
  std::string log;
};

// Runs `fixgw run --config <config>` with FIXGW_DB=db and waits (up to 60 s) for it to end.
Outcome runDaemon(const fs::path& config, const std::string& db, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::setenv("FIXGW_DB", db.c_str(), 1);
    ::execl(FIXGW_BINARY, FIXGW_BINARY, "run", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }
  Outcome o;
  int status = 0;
  for (int i = 0; i < 600; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      o.exited = WIFEXITED(status);
      o.code = o.exited ? WEXITSTATUS(status) : WTERMSIG(status);
      o.log = readFile(log);
      return o;
    }
    std::this_thread::sleep_for(100ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  o.timedOut = true;
  o.log = readFile(log);
  return o;
}

// The shipped default config, on a free port, with its paths made absolute.
std::string defaultConfig(const fs::path& dir, int port) {
  std::string cfg = readFile(sourceDir() + "/config/fixgw.json");
  replaceAll(cfg, "\"port\": 9878", "\"port\": " + std::to_string(port));
  replaceAll(cfg, "\"store_path\": \"../var/fix/store\"",
             "\"store_path\": \"" + (dir / "fixstore").string() + "\"");
  replaceAll(cfg, "\"../fix_acceptor/spec\"", "\"" + sourceDir() + "/fix_acceptor/spec\"");
  replaceAll(cfg, "\"../schema\"", "\"" + sourceDir() + "/schema\"");
  return cfg;
}

fs::path freshDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(DaemonStartFailure, AMissingDataDictionaryEndsWithExitCodeOneAndNamesTheFile) {
  fixgw::testing::PgTestSchema db;
  const fs::path dir = freshDir("fixgw-startfail-spec-" + db.schema());
  const int port = fixgw::testing::pickFreePort();
  std::string cfg = defaultConfig(dir, port);
  const std::string spec = "\"" + sourceDir() + "/fix_acceptor/spec\"";
  ASSERT_NE(cfg.find(spec), std::string::npos);
  replaceAll(cfg, spec, "\"" + (dir / "no-such-spec").string() + "\"");
  std::ofstream(dir / "fixgw.json") << cfg;

  const Outcome o = runDaemon(dir / "fixgw.json", db.conninfo(), dir / "fixgw.log");
  ASSERT_FALSE(o.timedOut) << o.log;
  ASSERT_TRUE(o.exited) << "ended by signal " << o.code << "; log:\n" << o.log;
  EXPECT_EQ(o.code, 1) << o.log;
  EXPECT_NE(o.log.find("fixgw failed to start"), std::string::npos) << o.log;
  EXPECT_NE(o.log.find((dir / "no-such-spec" / "FIX44.xml").string()), std::string::npos) << o.log;
  EXPECT_NE(o.log.find("not found"), std::string::npos) << o.log;
  // The journal had started (the database is migrated first) and was stopped cleanly.
  EXPECT_NE(o.log.find("journal: stopped"), std::string::npos) << o.log;
  fs::remove_all(dir);
}

TEST(DaemonStartFailure, APortAnotherProcessHoldsEndsWithExitCodeOne) {
  fixgw::testing::PgTestSchema db;
  const fs::path dir = freshDir("fixgw-startfail-port-" + db.schema());
  // Hold a listening socket on the FIX port for the whole run.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  std::string cfg = defaultConfig(dir, port);
  std::ofstream(dir / "fixgw.json") << cfg;

  const Outcome o = runDaemon(dir / "fixgw.json", db.conninfo(), dir / "fixgw.log");
  ::close(holder);
  ASSERT_FALSE(o.timedOut) << o.log;
  ASSERT_TRUE(o.exited) << "ended by signal " << o.code << "; log:\n" << o.log;
  EXPECT_EQ(o.code, 1) << o.log;
  EXPECT_NE(o.log.find("fixgw failed to start"), std::string::npos) << o.log;
  EXPECT_NE(o.log.find(std::to_string(port)), std::string::npos) << o.log;
  fs::remove_all(dir);
}

// The "memory" section (config.h MemoryCfg) is applied by re-executing fixgw with GLIBC_TUNABLES:
// the process that logs has them in force (the default: one arena, huge pages), and with both
// settings off nothing is re-executed and the log says glibc's defaults.
TEST(DaemonStartFailure, MallocSettingsAreInForceInTheProcessThatRuns) {
  fixgw::testing::PgTestSchema db;
  const fs::path dir = freshDir("fixgw-startfail-malloc-" + db.schema());
  const int port = fixgw::testing::pickFreePort();
  std::string cfg = defaultConfig(dir, port);
  const std::string spec = "\"" + sourceDir() + "/fix_acceptor/spec\"";
  ASSERT_NE(cfg.find(spec), std::string::npos);
  replaceAll(cfg, spec, "\"" + (dir / "no-such-spec").string() + "\"");  // ends the run early
  std::ofstream(dir / "fixgw.json") << cfg;
  const Outcome on = runDaemon(dir / "fixgw.json", db.conninfo(), dir / "on.log");
  ASSERT_FALSE(on.timedOut) << on.log;
  EXPECT_EQ(on.code, 1) << on.log;
  EXPECT_NE(on.log.find("memory: malloc settings in force (GLIBC_TUNABLES="
                        "glibc.malloc.arena_max=1:glibc.malloc.hugetlb=1:"
                        "glibc.malloc.mmap_threshold=33554432"),
            std::string::npos)
      << on.log;
  EXPECT_NE(on.log.find("fixgw failed to start"), std::string::npos) << on.log;

  const std::string first = "{";
  ASSERT_EQ(cfg.rfind(first, 0), 0u);
  std::string off = cfg;
  off.replace(0, 1, "{ \"memory\": { \"malloc_arenas\": 0, \"malloc_huge_pages\": false },");
  std::ofstream(dir / "off.json") << off;
  const Outcome o = runDaemon(dir / "off.json", db.conninfo(), dir / "off.log");
  ASSERT_FALSE(o.timedOut) << o.log;
  EXPECT_EQ(o.code, 1) << o.log;
  EXPECT_NE(o.log.find("memory: glibc's malloc defaults"), std::string::npos) << o.log;
  EXPECT_EQ(o.log.find("GLIBC_TUNABLES="), std::string::npos) << o.log;
  fs::remove_all(dir);
}
