// libFuzzer target for the Kraken JSON parsers (REST envelopes, AssetPairs,
// orders, trades, WebSocket v2 messages). Built only with Clang (FIXGW_FUZZ=ON):
//   clang++ -std=c++20 -fsanitize=fuzzer,address -I. tests/kraken/fuzz_parse.cpp \
//     venue_adapters/kraken/parse.cpp core/fixed.cpp core/types.cpp -lcrypto -o fuzz_kraken_parse
//   ./fuzz_kraken_parse -max_total_time=60 venue_adapters/kraken/test_data
// Any input must give a result or an error string: never a crash or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "venue_adapters/kraken/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace fixgw::kraken;
  WsMessage m;
  (void)parseWsMessage(in, m);
  std::vector<std::string> errs;
  if (parseErrors(in, errs).empty())
    for (const auto& e : errs) (void)classifyError(e);
  AssetPairs ap;
  if (parseAssetPairs(in, ap).empty())
    for (const auto& [k, p] : ap.byKey)
      (void)checkFilters(p, fixgw::Price::of("1"), std::nullopt, fixgw::Qty::of("1"), false);
  std::vector<KrakenOrder> os;
  (void)parseOrders(in, "", os);
  (void)parseOrders(in, "open", os);
  std::vector<KrakenTrade> ts;
  (void)parseTrades(in, true, ts);
  (void)parseTrades(in, false, ts);
  std::string s;
  (void)parseAddOrder(in, s);
  (void)parseToken(in, s);
  (void)parseAmend(in, s);
  int64_t n = 0;
  (void)parseCancel(in, n);
  (void)exactDecimal(in);
  (void)unixSecondsToNs(in);
  (void)isoToNs(in);
  return 0;
}
