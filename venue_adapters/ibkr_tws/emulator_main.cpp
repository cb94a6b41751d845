// tws_emulator: runs the TWS API emulator on a TCP port until SIGINT/SIGTERM,
// for demos and manual testing of the ibkr_tws venue.
//
//   tws_emulator [--port N] [--server-version V] [--first-order-id N]
//                [--max-fill-qty Q] [--no-auto-fill] [--price SYMBOL=PX ...]
// Each --price also gives that symbol a book and a trade tape for reqMktData.
//
// OPG orders wait for the simulated opening auction: send the process SIGUSR1
// (kill -USR1 <pid>) to run it.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "venue_adapters/ibkr_tws/emulator.h"

namespace {
volatile std::sig_atomic_t gStop = 0;
volatile std::sig_atomic_t gOpen = 0;
void onSignal(int) { gStop = 1; }
void onOpen(int) { gOpen = 1; }

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tws_emulator: " << why
            << "\nusage: tws_emulator [--port N] [--server-version V] [--first-order-id N]"
               " [--max-fill-qty Q] [--no-auto-fill] [--price SYMBOL=PX ...]\n";
  std::exit(2);
}

long long toInt(const std::string& flag, const std::string& v) {
  try {
    size_t n = 0;
    long long x = std::stoll(v, &n);
    if (n != v.size()) throw std::invalid_argument("trailing");
    return x;
  } catch (const std::exception&) {
    usage(flag + ": expected an integer, got '" + v + "'");
  }
}
}  // namespace

int main(int argc, char** argv) {
  using namespace fixgw;
  tws::EmulatorConfig cfg;
  cfg.port = 7497;
  std::vector<std::pair<std::string, Price>> prices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port") {
      cfg.port = static_cast<int>(toInt(a, value()));
    } else if (a == "--server-version") {
      cfg.serverVersion = static_cast<int>(toInt(a, value()));
    } else if (a == "--first-order-id") {
      cfg.firstOrderId = toInt(a, value());
    } else if (a == "--max-fill-qty") {
      auto q = Qty::parse(value());
      if (!q) usage("--max-fill-qty: expected a decimal quantity");
      cfg.maxFillQty = *q;
    } else if (a == "--no-auto-fill") {
      cfg.autoFill = false;
    } else if (a == "--price") {
      std::string v = value();
      auto eq = v.find('=');
      auto px = eq == std::string::npos ? std::nullopt : Price::parse(v.substr(eq + 1));
      if (!px) usage("--price: expected SYMBOL=PRICE, got '" + v + "'");
      prices.emplace_back(v.substr(0, eq), *px);
    } else if (a == "--help" || a == "-h") {
      usage("help");
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  try {
    tws::TwsEmulator emu(cfg);
    emu.start();
    for (auto& [k, p] : prices) emu.setPrice(k, p);
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    std::cout << "tws_emulator listening on port " << emu.port() << ", server version "
              << emu.serverVersion() << std::endl;
    std::signal(SIGUSR1, onOpen);
    while (!gStop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (gOpen) {
        gOpen = 0;
        std::cout << "tws_emulator: opening auction, " << emu.openAuction()
                  << " OPG order(s) traded" << std::endl;
      }
    }
    emu.stop();
  } catch (const std::exception& e) {
    std::cerr << "tws_emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
