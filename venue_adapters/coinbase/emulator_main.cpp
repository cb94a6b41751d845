// coinbase_emulator: the Coinbase Advanced Trade emulator as a process, for
// demos and benchmarks. It makes a fresh EC P-256 API key and a self-signed
// certificate at start, writes the key (mode 0600) and the certificate to
// --dir for the gateway's `private_key_file` and `ca_file`, prints the
// config params to use, and serves on 127.0.0.1 until SIGINT/SIGTERM.
//
//   coinbase_emulator [--port P] [--dir DIR] [--products FILE]
//                     [--price PRODUCT=PX]... [--fill-parts N]
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "venue_adapters/coinbase/auth.h"
#include "venue_adapters/coinbase/emulator.h"

using namespace fixgw;
using namespace fixgw::coinbase;

int main(int argc, char** argv) {
  int port = 0, fillParts = 1;
  std::string dir = ".";
  const char* src = std::getenv("FIXGW_SOURCE_DIR");
  std::string productsFile =
      std::string(src ? src : ".") + "/venue_adapters/coinbase/test_data/products.json";
  std::vector<std::pair<std::string, Price>> prices;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--port") {
      port = std::atoi(next().c_str());
    } else if (a == "--dir") {
      dir = next();
    } else if (a == "--products") {
      productsFile = next();
    } else if (a == "--fill-parts") {
      fillParts = std::atoi(next().c_str());
    } else if (a == "--price") {
      std::string v = next();
      auto eq = v.find('=');
      auto px = eq == std::string::npos ? std::nullopt : Price::parse(v.substr(eq + 1));
      if (!px) {
        std::fprintf(stderr, "--price: '%s' is not PRODUCT=PRICE\n", v.c_str());
        return 2;
      }
      prices.emplace_back(v.substr(0, eq), *px);
    } else {
      std::fprintf(stderr,
                   "usage: coinbase_emulator [--port P] [--dir DIR] [--products FILE] "
                   "[--price PRODUCT=PX]... [--fill-parts N]\n");
      return 2;
    }
  }
  std::ifstream in(productsFile);
  if (!in) {
    std::fprintf(stderr, "--products: cannot read '%s'\n", productsFile.c_str());
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();

  // Block the stop signals before any thread starts, so sigwait gets them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  const std::string pem = generateEcPrivateKeyPem();
  std::string err;
  auto signer = Es256Signer::fromPem(pem, err);
  EmulatorOptions eo;
  eo.keyName = "organizations/emulator/apiKeys/demo";
  eo.publicKeyPem = signer->publicKeyPem();
  eo.productsJson = ss.str();
  CoinbaseEmulator emu(eo);
  const uint16_t bound = emu.start(static_cast<uint16_t>(port));
  emu.setFillParts(fillParts);
  for (const auto& [p, px] : prices) emu.setLastPrice(p, px);

  const std::string keyPath = dir + "/cdp-key.pem", caPath = dir + "/emulator-ca.pem";
  {
    std::ofstream k(keyPath);
    k << pem;
  }
  ::chmod(keyPath.c_str(), 0600);
  std::ofstream(caPath) << emu.certPem();
  std::printf(
      "coinbase_emulator listening on 127.0.0.1:%u\n"
      "venue params: rest_host=127.0.0.1 rest_port=%u tls_server_name=localhost "
      "ca_file=%s private_key_file=%s key_name_env=COINBASE_API_KEY_NAME\n"
      "export COINBASE_API_KEY_NAME=%s\n",
      bound, bound, caPath.c_str(), keyPath.c_str(), eo.keyName.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stopSignals, &sig);
  emu.stop();
  return 0;
}
