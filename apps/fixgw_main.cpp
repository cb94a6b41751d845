// fixgw: the gateway daemon.
//
//   fixgw [run] [--config FILE]     run in the foreground until SIGINT/SIGTERM
//   fixgw migrate [--config FILE]   apply schema migrations and exit
//   fixgw check-config [--config FILE]
//
// The config defaults to $FIXGW_CONFIG, else config/fixgw.json.
#include <signal.h>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "apps/gateway.h"
#include "config/config.h"
#include "store/migrate.h"
#include "store/pg_journal.h"

namespace {

void usage() {
  std::cerr << "usage: fixgw [run|migrate|check-config] [--config FILE]\n"
               "  FIXGW_CONFIG  default config file (else config/fixgw.json)\n"
               "  FIXGW_DB      libpq connection string, overrides database.conninfo\n";
}

void setupLogging(const fixgw::config::LoggingCfg& l) {
  spdlog::init_thread_pool(8192, 1);
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!l.file.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(l.file));
  auto logger = std::make_shared<spdlog::async_logger>("fixgw", sinks.begin(), sinks.end(),
                                                       spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  logger->set_level(spdlog::level::from_str(l.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
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
  setupLogging(cfg.logging);
  spdlog::info("fixgw starting with {} (database {})", configPath,
               fixgw::config::redactConninfo(cfg.database.conninfo));

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
  {
    fixgw::Gateway gw(cfg);
    try {
      gw.start();
    } catch (const std::exception& e) {
      spdlog::error("fixgw failed to start: {}", e.what());
      gw.stop();
      spdlog::shutdown();
      return 1;
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
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
