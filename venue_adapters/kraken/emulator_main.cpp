// kraken_emulator: runs the Kraken spot emulator (HTTPS + WebSocket v2 on
// loopback) until SIGINT/SIGTERM, for benchmarks, demos and manual tests of
// the kraken venue. The API key and base64 secret come from the environment
// (never the command line); the certificate it makes at start is written to
// --ca-out for the adapter's ca_file.
//
//   kraken_emulator --pairs FILE --ca-out FILE [--port N] [--price PAIR=PX ...]
//                   [--counter-max N] [--trading-max N]
//   environment: KRAKEN_EMULATOR_KEY, KRAKEN_EMULATOR_SECRET
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "venue_adapters/kraken/emulator.h"

namespace {
volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "kraken_emulator: " << why
            << "\nusage: kraken_emulator --pairs FILE --ca-out FILE [--port N]"
               " [--price PAIR=PX ...] [--counter-max N] [--trading-max N]\n"
               "environment: KRAKEN_EMULATOR_KEY, KRAKEN_EMULATOR_SECRET (base64)\n";
  std::exit(2);
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
  std::string pairsFile, caOut;
  long long port = 0, counterMax = 15, tradingMax = 60;
  std::vector<std::pair<std::string, fixgw::Price>> prices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + ": missing value");
      return argv[++i];
    };
    if (a == "--pairs") {
      pairsFile = next();
    } else if (a == "--ca-out") {
      caOut = next();
    } else if (a == "--port") {
      port = toInt(a, next());
      if (port > 65535) usage("--port: not a TCP port");
    } else if (a == "--counter-max") {
      counterMax = toInt(a, next());
    } else if (a == "--trading-max") {
      tradingMax = toInt(a, next());
    } else if (a == "--price") {
      std::string v = next();
      auto eq = v.find('=');
      auto px = eq == std::string::npos ? std::nullopt : fixgw::Price::parse(v.substr(eq + 1));
      if (!px) usage("--price: expected PAIR=PRICE, got '" + v + "'");
      prices.emplace_back(v.substr(0, eq), *px);
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  if (pairsFile.empty()) usage("--pairs is required");
  if (caOut.empty()) usage("--ca-out is required");
  const char* key = std::getenv("KRAKEN_EMULATOR_KEY");
  const char* secret = std::getenv("KRAKEN_EMULATOR_SECRET");
  if (!key || !*key) usage("environment variable KRAKEN_EMULATOR_KEY is not set");
  if (!secret || !*secret) usage("environment variable KRAKEN_EMULATOR_SECRET is not set");
  std::ifstream in(pairsFile);
  if (!in) usage("--pairs: cannot read '" + pairsFile + "'");
  std::stringstream ss;
  ss << in.rdbuf();

  fixgw::kraken::EmulatorOptions o;
  o.apiKey = key;
  o.secret = secret;
  o.assetPairsJson = ss.str();
  o.counterMax = static_cast<double>(counterMax);
  o.tradingMax = static_cast<double>(tradingMax);
  try {
    fixgw::kraken::KrakenEmulator emu(o);
    const uint16_t p = emu.start(static_cast<uint16_t>(port));
    for (const auto& [pair, px] : prices) emu.setLastPrice(pair, px);
    {
      std::ofstream ca(caOut);
      if (!(ca << emu.certPem())) usage("--ca-out: cannot write '" + caOut + "'");
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    std::cout << "kraken_emulator listening on 127.0.0.1:" << p << std::endl;
    while (!gStop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    emu.stop();
  } catch (const std::exception& e) {
    std::cerr << "kraken_emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
