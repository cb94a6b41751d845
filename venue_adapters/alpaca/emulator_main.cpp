// alpaca_emulator: runs the Alpaca trading API emulator (HTTPS + /stream on
// loopback) until SIGINT/SIGTERM, for demos and manual tests of the alpaca
// venue. The key pair comes from the environment (never the command line);
// the certificate it makes at start is written to --ca-out for ca_file.
//
//   alpaca_emulator --asset FILE [--asset FILE ...] --ca-out FILE [--port N]
//                   [--price SYMBOL=PX ...] [--closed]
//   environment: ALPACA_EMULATOR_KEY, ALPACA_EMULATOR_SECRET
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "venue_adapters/alpaca/emulator.h"

namespace {
volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "alpaca_emulator: " << why
            << "\nusage: alpaca_emulator --asset FILE [--asset FILE ...] --ca-out FILE"
               " [--port N] [--price SYMBOL=PX ...] [--closed]\n"
               "environment: ALPACA_EMULATOR_KEY, ALPACA_EMULATOR_SECRET\n";
  std::exit(2);
}
}  // namespace

int main(int argc, char** argv) {
  std::string caOut;
  long long port = 0;
  bool closed = false;
  std::vector<std::string> assets;
  std::vector<std::pair<std::string, fixgw::Price>> prices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + ": missing value");
      return argv[++i];
    };
    if (a == "--asset") {
      std::string f = next();
      std::ifstream in(f);
      if (!in) usage("--asset: cannot read '" + f + "'");
      std::stringstream ss;
      ss << in.rdbuf();
      assets.push_back(ss.str());
    } else if (a == "--ca-out") {
      caOut = next();
    } else if (a == "--port") {
      std::string v = next();
      try {
        port = std::stoll(v);
      } catch (const std::exception&) {
        usage("--port: not a number '" + v + "'");
      }
      if (port < 0 || port > 65535) usage("--port: not a TCP port");
    } else if (a == "--price") {
      std::string v = next();
      auto eq = v.find('=');
      auto px = eq == std::string::npos ? std::nullopt : fixgw::Price::parse(v.substr(eq + 1));
      if (!px) usage("--price: expected SYMBOL=PRICE, got '" + v + "'");
      prices.emplace_back(v.substr(0, eq), *px);
    } else if (a == "--closed") {
      closed = true;
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  if (assets.empty()) usage("--asset is required");
  if (caOut.empty()) usage("--ca-out is required");
  const char* key = std::getenv("ALPACA_EMULATOR_KEY");
  const char* secret = std::getenv("ALPACA_EMULATOR_SECRET");
  if (!key || !*key) usage("environment variable ALPACA_EMULATOR_KEY is not set");
  if (!secret || !*secret) usage("environment variable ALPACA_EMULATOR_SECRET is not set");
  fixgw::alpaca::EmulatorOptions o;
  o.apiKey = key;
  o.secret = secret;
  o.assetsJson = assets;
  try {
    fixgw::alpaca::AlpacaEmulator emu(o);
    const uint16_t p = emu.start(static_cast<uint16_t>(port));
    for (const auto& [sym, px] : prices) emu.setLastPrice(sym, px);
    emu.setMarketOpen(!closed);
    {
      std::ofstream ca(caOut);
      if (!(ca << emu.certPem())) usage("--ca-out: cannot write '" + caOut + "'");
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    std::cout << "alpaca_emulator listening on 127.0.0.1:" << p << std::endl;
    while (!gStop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    emu.stop();
  } catch (const std::exception& e) {
    std::cerr << "alpaca_emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
