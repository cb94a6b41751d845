// bybit_emulator: runs the Bybit v5 emulator (HTTPS + the private WebSocket
// on loopback) until SIGINT/SIGTERM, for benchmarks, demos and manual tests
// of the bybit venue. The API key and secret come from the environment
// (never the command line); the certificate it makes at start is written to
// --ca-out for the adapter's ca_file.
//
//   bybit_emulator --spot FILE --linear FILE --ca-out FILE [--port N]
//                  [--price CATEGORY:SYMBOL=PX ...] [--order-limit N]
//   environment: BYBIT_EMULATOR_KEY, BYBIT_EMULATOR_SECRET
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "venue_adapters/bybit/emulator.h"

namespace {
volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "bybit_emulator: " << why
            << "\nusage: bybit_emulator --spot FILE --linear FILE --ca-out FILE [--port N]"
               " [--price CATEGORY:SYMBOL=PX ...] [--order-limit N]\n"
               "environment: BYBIT_EMULATOR_KEY, BYBIT_EMULATOR_SECRET\n";
  std::exit(2);
}

std::string readFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) usage(flag + ": cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long long toInt(const std::string& flag, const std::string& v) {
  try {
    size_t n = 0;
    long long x = std::stoll(v, &n);
    if (n != v.size() || x < 0) throw std::invalid_argument("bad");
    return x;
  } catch (const std::exception&) {
    usage(flag + ": expected a non-negative integer, got '" + v + "'");
  }
}
}  // namespace

int main(int argc, char** argv) {
  fixgw::bybit::EmulatorOptions o;
  std::string caOut;
  long long port = 0;
  std::vector<std::tuple<std::string, std::string, fixgw::Price>> prices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + ": missing value");
      return argv[++i];
    };
    if (a == "--spot") {
      o.instrumentsSpotJson = readFile(a, next());
    } else if (a == "--linear") {
      o.instrumentsLinearJson = readFile(a, next());
    } else if (a == "--ca-out") {
      caOut = next();
    } else if (a == "--port") {
      port = toInt(a, next());
      if (port > 65535) usage("--port: not a TCP port");
    } else if (a == "--order-limit") {
      o.orderLimitPerSec = toInt(a, next());
    } else if (a == "--price") {
      const std::string v = next();
      const auto colon = v.find(':'), eq = v.find('=');
      auto px = colon == std::string::npos || eq == std::string::npos || eq < colon
                    ? std::nullopt
                    : fixgw::Price::parse(v.substr(eq + 1));
      if (!px) usage("--price: expected CATEGORY:SYMBOL=PRICE, got '" + v + "'");
      prices.emplace_back(v.substr(0, colon), v.substr(colon + 1, eq - colon - 1), *px);
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  if (o.instrumentsSpotJson.empty() && o.instrumentsLinearJson.empty())
    usage("--spot or --linear is required");
  if (caOut.empty()) usage("--ca-out is required");
  const char* key = std::getenv("BYBIT_EMULATOR_KEY");
  const char* secret = std::getenv("BYBIT_EMULATOR_SECRET");
  if (!key || !*key) usage("environment variable BYBIT_EMULATOR_KEY is not set");
  if (!secret || !*secret) usage("environment variable BYBIT_EMULATOR_SECRET is not set");
  o.apiKey = key;
  o.secret = secret;
  try {
    fixgw::bybit::BybitEmulator emu(o);
    const uint16_t p = emu.start(static_cast<uint16_t>(port));
    for (const auto& [cat, sym, px] : prices) emu.setLastPrice(cat, sym, px);
    {
      std::ofstream ca(caOut);
      if (!(ca << emu.certPem())) usage("--ca-out: cannot write '" + caOut + "'");
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    std::cout << "bybit_emulator listening on 127.0.0.1:" << p << std::endl;
    while (!gStop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    emu.stop();
  } catch (const std::exception& e) {
    std::cerr << "bybit_emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
