// okx_emulator: runs the OKX v5 emulator (HTTPS + private WebSocket on
// loopback) until SIGINT/SIGTERM, for demos, benchmarks and manual tests of
// the okx venue. The API key, secret and passphrase come from the
// environment (never the command line); the certificate it makes at start is
// written to --ca-out for the adapter's ca_file.
//
//   okx_emulator --instruments FILE [--instruments FILE ...] --ca-out FILE
//                [--port N] [--price INSTID=PX ...] [--demo]
//   environment: OKX_EMULATOR_KEY, OKX_EMULATOR_SECRET, OKX_EMULATOR_PASSPHRASE
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "venue_adapters/okx/emulator.h"

namespace {
volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "okx_emulator: " << why
            << "\nusage: okx_emulator --instruments FILE [...] --ca-out FILE [--port N]"
               " [--price INSTID=PX ...] [--demo]\n"
               "environment: OKX_EMULATOR_KEY, OKX_EMULATOR_SECRET, OKX_EMULATOR_PASSPHRASE\n";
  std::exit(2);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) usage(std::string("environment variable ") + name + " is not set");
  return v;
}
}  // namespace

int main(int argc, char** argv) {
  fixgw::okx::EmulatorOptions o;
  std::string caOut;
  long port = 0;
  std::vector<std::pair<std::string, fixgw::Price>> prices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + ": missing value");
      return argv[++i];
    };
    if (a == "--instruments") {
      std::string f = next();
      std::ifstream in(f);
      if (!in) usage("--instruments: cannot read '" + f + "'");
      std::stringstream ss;
      ss << in.rdbuf();
      o.instrumentsJson.push_back(ss.str());
    } else if (a == "--ca-out") {
      caOut = next();
    } else if (a == "--port") {
      std::string v = next();
      char* end = nullptr;
      port = std::strtol(v.c_str(), &end, 10);
      if (*end || port < 0 || port > 65535) usage("--port: not a TCP port: '" + v + "'");
    } else if (a == "--price") {
      std::string v = next();
      auto eq = v.find('=');
      auto px = eq == std::string::npos ? std::nullopt : fixgw::Price::parse(v.substr(eq + 1));
      if (!px) usage("--price: expected INSTID=PRICE, got '" + v + "'");
      prices.emplace_back(v.substr(0, eq), *px);
    } else if (a == "--demo") {
      o.demo = true;
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  if (o.instrumentsJson.empty()) usage("--instruments is required");
  if (caOut.empty()) usage("--ca-out is required");
  o.apiKey = env("OKX_EMULATOR_KEY");
  o.secret = env("OKX_EMULATOR_SECRET");
  o.passphrase = env("OKX_EMULATOR_PASSPHRASE");
  try {
    fixgw::okx::OkxEmulator emu(o);
    const uint16_t p = emu.start(static_cast<uint16_t>(port));
    for (const auto& [inst, px] : prices) emu.setLastPrice(inst, px);
    {
      std::ofstream ca(caOut);
      if (!(ca << emu.certPem())) usage("--ca-out: cannot write '" + caOut + "'");
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    std::cout << "okx_emulator listening on 127.0.0.1:" << p << std::endl;
    while (!gStop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    emu.stop();
  } catch (const std::exception& e) {
    std::cerr << "okx_emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
