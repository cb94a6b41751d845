// libFuzzer target for the Alpaca JSON parsers (orders, assets, clock, FILL
// activities, errors, trade_updates and market data messages) and the mapping checks on what they
// yield. Built only with Clang (FIXGW_FUZZ=ON):
//   ./fuzz_alpaca_parse -max_total_time=60 venue_adapters/alpaca/test_data
// Any input must give a result or an error string: never a crash or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "venue_adapters/alpaca/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace fixgw::alpaca;
  StreamMessage m;
  (void)parseStreamMessage(in, m);
  ApiError e;
  (void)parseApiError(in, e);
  AlpacaOrder o;
  if (parseOrder(in, o).empty()) {
    (void)statusOf(o.status);
    (void)childIdOf(o.clientOrderId);
  }
  std::vector<AlpacaOrder> os;
  (void)parseOrders(in, os);
  Asset a;
  if (parseAsset(in, a).empty()) {
    OrderTerms t{"buy", "limit", "day", false, true};
    (void)checkAsset(a, t, fixgw::Qty::of("0.5"), fixgw::Price::of("1.01"), std::nullopt, true);
  }
  MarketClock c;
  if (parseClock(in, c).empty()) (void)c.openAt(0);
  std::vector<FillActivity> fs;
  (void)parseFillActivities(in, fs);
  (void)parseIsoTime(in);
  std::vector<DataMessage> ds;
  (void)parseDataMessages(in, ds);
  return 0;
}
