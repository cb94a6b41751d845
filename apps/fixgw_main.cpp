// fixgw: the gateway daemon.
//
//   fixgw [run] [--config FILE]     run in the foreground until SIGINT/SIGTERM
//   fixgw migrate [--config FILE]   apply schema migrations and exit
//   fixgw check-config [--config FILE]
//   fixgw admin kill|reduce|resume [--global|--account A|--session KEY|--party ID] [--cancel]
//                    [--reason TEXT] [--who NAME]    kill switch (HALTED/REDUCING/ACTIVE)
//   fixgw admin cancel-all [--global|--account A|--session KEY|--party ID] [--no-halt]
//                    [--reason TEXT] [--who NAME]    cancel a scope's open orders (halts it
//                                                    unless --no-halt)
//   fixgw admin status | reload                    trading states and exposure; reload limits
//   fixgw admin sessions | venues | risk           FIX sessions, venues, risk states (as JSON)
//   fixgw positions [--account A]                  live positions and P&L
// Admin commands talk to the running gateway over its admin socket
// (risk.admin.socket_path, or FIXGW_ADMIN_SOCKET) with the token from
// FIXGW_ADMIN_TOKEN or risk.admin.token_file.
//
// The config defaults to $FIXGW_CONFIG, else config/fixgw.json.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <unistd.h>
#include <spdlog/async.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "apps/admin.h"
#include "apps/audit.h"
#include "apps/gateway.h"
#include "config/config.h"
#include "store/migrate.h"
#include "store/pg_journal.h"

namespace {

void usage() {
  std::cerr
      << "usage: fixgw [run|migrate|check-config] [--config FILE]\n"
         "       fixgw admin kill|reduce|resume [--global|--account A|--session KEY|--party ID]\n"
         "                   [--cancel] [--reason TEXT] [--who NAME] [--config FILE]\n"
         "       fixgw admin cancel-all [--global|--account A|--session KEY|--party ID]\n"
         "                   [--no-halt] [--reason TEXT] [--who NAME] [--config FILE]\n"
         "       fixgw admin status|reload|sessions|venues|risk [--config FILE]\n"
         "       fixgw positions [--account A] [--config FILE]\n"
         "       fixgw audit order|activity|fills|rejects|messages ... (fixgw audit --help)\n"
         "  FIXGW_CONFIG  default config file (else config/fixgw.json)\n"
         "  FIXGW_DB      libpq connection string, overrides database.conninfo\n";
}

std::string jsonString(const std::string& s) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  return sb.GetString();
}

// `fixgw admin ...` and `fixgw positions`: one request to the running gateway.
int adminMain(int argc, char** argv) {
  const bool positions = std::string(argv[1]) == "positions";
  std::string sub = positions ? "positions" : (argc > 2 ? argv[2] : "");
  std::string configPath;
  if (const char* e = std::getenv("FIXGW_CONFIG")) configPath = e;
  std::string scope = "global", key, reason, account;
  std::string who = std::getenv("USER") ? std::getenv("USER") : "";
  bool cancel = false, scopeGiven = false, halt = true;
  for (int i = positions ? 2 : 3; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--config")
        configPath = next();
      else if (a == "--global")
        scope = "global", scopeGiven = true;
      else if (a == "--account" && positions)
        account = next();
      else if (a == "--account")
        scope = "account", key = next(), scopeGiven = true;
      else if (a == "--session")
        scope = "session", key = next(), scopeGiven = true;
      else if (a == "--party")
        scope = "party", key = next(), scopeGiven = true;
      else if (a == "--cancel")
        cancel = true;
      else if (a == "--no-halt")
        halt = false;
      else if (a == "--reason")
        reason = next();
      else if (a == "--who")
        who = next();
      else
        throw std::invalid_argument("unknown argument '" + a + "'");
    } catch (const std::exception& e) {
      std::cerr << "fixgw: " << e.what() << "\n";
      usage();
      return 2;
    }
  }
  if (configPath.empty()) configPath = "config/fixgw.json";
  fixgw::config::GatewayConfig cfg;
  try {
    cfg = fixgw::config::loadConfig(configPath);
  } catch (const std::exception& e) {
    std::cerr << "fixgw: config error: " << e.what() << "\n";
    return 2;
  }
  std::string path = cfg.risk.adminSocketPath;
  if (const char* e = std::getenv("FIXGW_ADMIN_SOCKET"); e && *e) path = e;
  std::optional<std::string> token;
  try {
    token = fixgw::admin::loadToken(cfg.risk.adminTokenFile);
  } catch (const std::exception& e) {
    std::cerr << "fixgw: " << e.what() << "\n";
    return 2;
  }
  if (!token) {
    std::cerr << "fixgw: no admin token: set FIXGW_ADMIN_TOKEN or risk.admin.token_file\n";
    return 2;
  }
  std::string req = "{\"token\":" + jsonString(*token);
  if (sub == "kill" || sub == "reduce" || sub == "resume") {
    if (!scopeGiven) {
      std::cerr << "fixgw: say which scope: --global, --account A, --session KEY or --party ID\n";
      return 2;
    }
    const char* state = sub == "kill" ? "HALTED" : sub == "reduce" ? "REDUCING" : "ACTIVE";
    req += ",\"cmd\":\"state\",\"scope\":" + jsonString(scope) + ",\"key\":" + jsonString(key) +
           ",\"state\":\"" + state + "\",\"cancel\":" + (cancel ? "true" : "false") +
           ",\"who\":" + jsonString(who) +
           ",\"reason\":" + jsonString(reason.empty() ? "fixgw admin " + sub : reason) + "}";
  } else if (sub == "cancel-all") {
    if (!scopeGiven) {
      std::cerr << "fixgw: say which scope: --global, --account A, --session KEY or --party ID\n";
      return 2;
    }
    req += ",\"cmd\":\"cancel_all\",\"scope\":" + jsonString(scope) +
           ",\"key\":" + jsonString(key) + ",\"halt\":" + (halt ? "true" : "false") +
           ",\"who\":" + jsonString(who) +
           ",\"reason\":" + jsonString(reason.empty() ? "fixgw admin cancel-all" : reason) + "}";
  } else if (sub == "status" || sub == "reload" || sub == "sessions" || sub == "venues" ||
             sub == "risk") {
    req += ",\"cmd\":\"" + sub + "\",\"who\":" + jsonString(who) + "}";
  } else if (sub == "positions") {
    req += ",\"cmd\":\"positions\",\"account\":" + jsonString(account) + "}";
  } else {
    std::cerr << "fixgw: unknown admin command '" << sub << "'\n";
    usage();
    return 2;
  }
  std::string resp;
  try {
    resp = fixgw::admin::request(path, req);
  } catch (const std::exception& e) {
    std::cerr << "fixgw: " << e.what() << "\n";
    return 1;
  }
  rapidjson::Document d;
  d.Parse(resp.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("ok") || !d["ok"].IsBool()) {
    std::cerr << "fixgw: unexpected answer: " << resp << "\n";
    return 1;
  }
  if (!d["ok"].GetBool()) {
    std::cerr << "fixgw: refused: "
              << (d.HasMember("error") && d["error"].IsString() ? d["error"].GetString() : resp)
              << "\n";
    return 1;
  }
  if (sub == "positions" && d.HasMember("positions") && d["positions"].IsArray()) {
    // QTY counts contracts for a derivative (CT_SIZE != 1 or MARGIN isolated/cross);
    // REALISED/UNREALISED are qty x CT_SIZE x price, in CCY (the settle currency).
    std::printf("%-12s %-10s %14s %14s %16s %16s %12s %10s %-8s %-5s\n", "ACCOUNT", "SYMBOL", "QTY",
                "AVG_COST", "REALISED", "UNREALISED", "REF_PX", "CT_SIZE", "MARGIN", "CCY");
    for (const auto& p : d["positions"].GetArray()) {
      auto f = [&](const char* k) {
        return p.HasMember(k) && p[k].IsString() ? p[k].GetString() : "";
      };
      std::printf("%-12s %-10s %14s %14s %16s %16s %12s %10s %-8s %-5s\n", f("account"),
                  f("symbol"), f("qty"), f("avg_cost"), f("realised_pnl"), f("unrealised_pnl"),
                  f("reference_px"), f("contract_size"), f("margin_mode"), f("settle_currency"));
    }
    return 0;
  }
  std::cout << resp << "\n";
  return 0;
}

// glibc reads its malloc tunables (GLIBC_TUNABLES) only when a process starts, so the heap
// settings of the config's "memory" section (config.h MemoryCfg: one arena backed by transparent
// huge pages; issue 15, session 9) are applied by re-executing this binary once with them set,
// before any thread, socket or log file exists. The operator's own GLIBC_TUNABLES come after
// ours and so win. Returns when nothing is to be done, in the re-executed process, or when the
// exec failed (then the heap keeps glibc's defaults and a warning says so).
void applyMallocSettings(const fixgw::config::MemoryCfg& m, char** argv, const char* kApplied) {
  const std::string want = fixgw::config::mallocTunables(m);
  if (want.empty()) return;
  if (const char* a = std::getenv(kApplied); a && want == a) return;  // the re-executed process
  std::string tunables = want;
  if (const char* cur = std::getenv("GLIBC_TUNABLES"); cur && *cur) tunables += std::string(":") + cur;
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0 || setenv(kApplied, want.c_str(), 1) != 0) {
    std::cerr << "fixgw: warning: cannot set GLIBC_TUNABLES; the heap keeps glibc's defaults\n";
    return;
  }
  execv("/proc/self/exe", argv);
  std::cerr << "fixgw: warning: re-exec with the memory settings failed (" << std::strerror(errno)
            << "); the heap keeps glibc's defaults\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "audit")  // read-only journal queries (apps/audit.h)
    return fixgw::audit::runCli({argv + 2, argv + argc}, std::cout, std::cerr);
  if (argc > 1 && (std::string(argv[1]) == "admin" || std::string(argv[1]) == "positions"))
    return adminMain(argc, argv);
  std::string cmd = "run";
  std::string configPath;
  if (const char* e = std::getenv("FIXGW_CONFIG")) configPath = e;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      configPath = argv[++i];
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (a == "run" || a == "migrate" || a == "check-config") {
      cmd = a;
    } else {
      std::cerr << "fixgw: unknown argument '" << a << "'\n";
      usage();
      return 2;
    }
  }
  if (configPath.empty()) configPath = "config/fixgw.json";

  fixgw::config::GatewayConfig cfg;
  try {
    cfg = fixgw::config::loadConfig(configPath);
  } catch (const std::exception& e) {
    std::cerr << "fixgw: config error: " << e.what() << "\n";
    return 2;
  }
  if (cmd == "check-config") {
    std::cout << "config OK: " << configPath << "\n";
    return 0;
  }
  constexpr const char* kMallocApplied = "FIXGW_MALLOC_TUNABLES_APPLIED";
  if (cmd == "run") applyMallocSettings(cfg.memory, argv, kMallocApplied);
  try {
    fixgw::installLogging(cfg.logging);
  } catch (const std::exception& e) {
    std::cerr << "fixgw: logging.file: cannot open '" << cfg.logging.file << "': " << e.what()
              << "\n";
    return 2;
  }
  spdlog::info("fixgw starting with {} (database {})", configPath,
               fixgw::config::redactConninfo(cfg.database.conninfo));
  if (cmd == "run") {
    const std::string want = fixgw::config::mallocTunables(cfg.memory);
    const char* applied = std::getenv(kMallocApplied);
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (want.empty())
      spdlog::info("memory: glibc's malloc defaults (memory.malloc_arenas 0, malloc_huge_pages false)");
    else if (applied && want == applied)
      spdlog::info("memory: malloc settings in force (GLIBC_TUNABLES={})", tunables ? tunables : "");
    else
      spdlog::warn("memory: malloc settings {} not applied; glibc's defaults", want);
  }

  if (cmd == "migrate") {
    try {
      auto applied = fixgw::store::migrate(cfg.database.conninfo, cfg.database.schemaDir);
      spdlog::info("{} migration(s) applied", applied.size());
      for (const auto& a : applied) spdlog::info("  {}", a);
    } catch (const std::exception& e) {
      spdlog::error("migrate failed: {}", e.what());
      spdlog::shutdown();
      return 1;
    }
    spdlog::shutdown();
    return 0;
  }

  // Block the stop signals in every thread we start; main waits for them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  int rc = 0;
  // The gateway is destroyed before spdlog::shutdown(): its parts (the journal's stop, say) log
  // on the way down, and logging into a dropped default logger would crash the process.
  {
    fixgw::Gateway gw(cfg);
    bool started = false;
    try {
      gw.start();
      started = true;
    } catch (const std::exception& e) {
      spdlog::error("fixgw failed to start: {}", e.what());
      rc = 1;
    }
    if (started) {
      int sig = 0;
      sigwait(&sigs, &sig);
      spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    try {
      gw.stop();
    } catch (const std::exception& e) {
      spdlog::error("error during shutdown: {}", e.what());
      rc = 1;
    }
  }
  spdlog::shutdown();
  return rc;
}
