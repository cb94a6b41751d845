// Bybit adapter latency against its emulator, in one process over real HTTPS
// and the private WebSocket on loopback (not a test; numbers go to
// docs/performance.md). Per order, steady_clock:
//   submit → Accepted event            (post, HMAC sign, HTTPS create, answer parsed)
//   fill injected at the venue → Fill  (execution topic → event; no REST call)
// One order in flight (W=1), linear limit buys that rest, then one fill each.
//   bench_bybit_venue [orders=1000] [warmup=100]   (FIXGW_SOURCE_DIR for test_data)
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "venue_adapters/bybit/adapter.h"
#include "venue_adapters/bybit/emulator.h"

using namespace fixgw;
using namespace fixgw::bybit;

namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Sink : public VenueEventSink {
 public:
  void onVenueEvent(VenueEvent e) override {
    const int64_t t = nowNs();
    std::lock_guard lk(mu);
    if (e.kind == VenueEventKind::Accepted) acceptedAt[e.childId.str()] = t;
    if (e.kind == VenueEventKind::Fill) filledAt[e.childId.str()] = t;
    if (e.kind == VenueEventKind::Rejected) rejected.push_back(e.text);
    cv.notify_all();
  }
  bool wait(std::map<std::string, int64_t>& m, const std::string& id, int64_t& t) {
    std::unique_lock lk(mu);
    bool ok = cv.wait_for(lk, std::chrono::seconds(10),
                          [&] { return m.count(id) > 0 || !rejected.empty(); });
    if (!ok || !m.count(id)) return false;
    t = m[id];
    return true;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, int64_t> acceptedAt, filledAt;
  std::vector<std::string> rejected;
};

double pct(std::vector<int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))] / 1000.0;
}

std::string testData(const char* name) {
  const char* src = std::getenv("FIXGW_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/venue_adapters/bybit/test_data/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  const int orders = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int warmup = argc > 2 ? std::atoi(argv[2]) : 100;
  EmulatorOptions eo;
  eo.apiKey = "bench-key";
  eo.secret = "bench-secret";
  eo.instrumentsLinearJson = testData("instruments_linear.json");
  eo.orderLimitPerSec = 1'000'000;  // measure the path, not the rate limit
  eo.queryLimitPerSec = 1'000'000;
  BybitEmulator emu(eo);
  emu.start();
  emu.setLastPrice("linear", "BTCUSDT", Price::of("60000"));
  InstrumentMaster im;
  Instrument perp;
  perp.symbol = Symbol("BTC-PERP");
  perp.marginMode = "cross";
  perp.venueSymbols["BYBIT"] = "BTCUSDT";
  im.add(perp);
  BybitConfig cfg;
  cfg.restHost = cfg.wsHost = "127.0.0.1";
  cfg.restPort = cfg.wsPort = emu.port();
  cfg.serverName = "localhost";
  cfg.caPem = emu.certPem();
  cfg.maxOrdersPerSec = cfg.maxQueriesPerSec = 1'000'000;
  auto venue = makeBybitVenue(VenueId("BYBIT"), cfg, Credentials{eo.apiKey, eo.secret}, im,
                              SystemClock::instance());
  Sink sink;
  venue->start(sink);
  for (int i = 0; i < 500 && emu.authenticatedStreams() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::vector<int64_t> toAck, fillToEvent;
  for (int i = 0; i < warmup + orders; ++i) {
    std::string id = "b";
    id += std::to_string(i);
    VenueNewOrder o;
    o.childId = ChildOrderId(id);
    o.symbol = Symbol("BTC-PERP");
    o.ordType = OrdType::Limit;
    o.tif = TimeInForce::Gtc;
    o.qty = Qty::of("0.001");
    o.price = Price::of("59000");
    const int64_t t0 = nowNs();
    venue->submit(o);
    int64_t tAck = 0, tFill = 0;
    if (!sink.wait(sink.acceptedAt, id, tAck)) {
      std::fprintf(stderr, "order %s not accepted\n", id.c_str());
      return 1;
    }
    const int64_t t2 = nowNs();
    emu.fill(id, Qty::of("0.001"), Price::of("59000"));
    if (!sink.wait(sink.filledAt, id, tFill)) {
      std::fprintf(stderr, "order %s not filled\n", id.c_str());
      return 1;
    }
    if (i >= warmup) {
      toAck.push_back(tAck - t0);
      fillToEvent.push_back(tFill - t2);
    }
  }
  venue->stop();
  emu.stop();
  std::printf("| path | orders | p50 µs | p99 µs |\n|---|---|---|---|\n");
  std::printf("| submit → Accepted event | %d | %.1f | %.1f |\n", orders, pct(toAck, 0.5),
              pct(toAck, 0.99));
  std::printf("| fill at the venue → Fill event (execution topic) | %d | %.1f | %.1f |\n", orders,
              pct(fillToEvent, 0.5), pct(fillToEvent, 0.99));
  return 0;
}
