// fix_broker_emulator: runs the FIX broker emulator (broker_emulator.h) as a
// process, for demos and manual tests of a FIX venue against loopback.
//
//   fix_broker_emulator --port 9878 --begin-string FIX.4.2 --sender IB
//       --target FIXGW_IB --store var/emulator-store [--price AAPL=190.5]...
//
// Runs until SIGINT/SIGTERM.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "venue_adapters/fix/broker_emulator.h"

namespace {
volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

int usage(const char* msg) {
  std::cerr << "fix_broker_emulator: " << msg << "\n"
            << "usage: fix_broker_emulator --port N [--begin-string FIX.4.2|FIX.4.4]\n"
            << "       [--sender BROKER_COMPID] [--target CLIENT_COMPID] [--store DIR]\n"
            << "       [--price SYMBOL=PX]... [--no-autofill]\n";
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  fixgw::fixvenue::BrokerEmulatorConfig cfg;
  std::vector<std::pair<std::string, fixgw::Price>> prices;
  bool autoFill = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--no-autofill") {
      autoFill = false;
      continue;
    }
    const char* v = next();
    if (!v) return usage(("missing value for " + a).c_str());
    if (a == "--port") {
      char* end = nullptr;
      long p = std::strtol(v, &end, 10);
      if (!end || *end || p <= 0 || p > 65535) return usage("--port must be 1..65535");
      cfg.port = static_cast<int>(p);
    } else if (a == "--begin-string") {
      cfg.beginString = v;
    } else if (a == "--sender") {
      cfg.senderCompId = v;
    } else if (a == "--target") {
      cfg.targetCompId = v;
    } else if (a == "--store") {
      cfg.storePath = v;
    } else if (a == "--price") {
      std::string s = v;
      auto eq = s.find('=');
      auto px = eq == std::string::npos ? std::nullopt : fixgw::Price::parse(s.substr(eq + 1));
      if (!px || !px->isPositive()) return usage("--price must be SYMBOL=positive decimal");
      prices.emplace_back(s.substr(0, eq), *px);
    } else {
      return usage(("unknown option " + a).c_str());
    }
  }
  if (cfg.port == 0) return usage("--port is required");
  if (cfg.beginString != "FIX.4.2" && cfg.beginString != "FIX.4.4")
    return usage("--begin-string must be FIX.4.2 or FIX.4.4");

  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  fixgw::fixvenue::BrokerEmulator emu(cfg);
  for (const auto& [s, p] : prices) emu.setPrice(s, p);
  emu.setAutoFill(autoFill);
  try {
    emu.start();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  spdlog::info("fix_broker_emulator: {} {} <- {} listening on port {}{}", cfg.beginString,
               cfg.senderCompId, cfg.targetCompId, cfg.port,
               cfg.storePath.empty() ? " (memory store)" : " (store " + cfg.storePath + ")");
  while (!gStop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  emu.stop();
  return 0;
}
