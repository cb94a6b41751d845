// libFuzzer target for the Binance JSON parsers (stream events, orders,
// trades, exchangeInfo, errors, server time, public market streams). Built only with Clang
// (FIXGW_FUZZ=ON):
//   clang++ -std=c++20 -fsanitize=fuzzer,address -I. tests/binance/fuzz_parse.cpp \
//     venue_adapters/binance/parse.cpp core/fixed.cpp core/types.cpp -o fuzz_binance_parse
//   ./fuzz_binance_parse -max_total_time=60 venue_adapters/binance/test_data
// Any input must give a result or an error string: never a crash or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "venue_adapters/binance/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace fixgw::binance;
  StreamEvent ev;
  (void)parseStreamEvent(in, ev);
  BinanceOrder o;
  if (parseOrder(in, o).empty()) (void)checkClientOrderId(o.clientOrderId);
  std::vector<BinanceOrder> os;
  (void)parseOrders(in, os);
  std::vector<BinanceTrade> ts;
  (void)parseTrades(in, ts);
  ExchangeInfo info;
  if (parseExchangeInfo(in, info).empty()) {
    for (const auto& [sym, f] : info.symbols)
      (void)checkFilters(f, fixgw::Price::of("1"), std::nullopt, fixgw::Qty::of("1"));
  }
  ApiError e;
  (void)parseApiError(in, e);
  std::string key;
  (void)parseListenKey(in, key);
  MarketStreamMessage m;
  (void)parseMarketStream(in, m);
  int64_t serverMs = 0;
  (void)parseServerTime(in, serverMs);
  return 0;
}
