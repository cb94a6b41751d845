// libFuzzer target for the Bybit v5 JSON parsers (envelopes, instruments,
// orders, executions, server time, private WebSocket messages). Built only
// with Clang (FIXGW_FUZZ=ON):
//   ./fuzz_bybit_parse -max_total_time=60 venue_adapters/bybit/test_data
// Any input must give a result or an error string: never a crash or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "venue_adapters/bybit/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace fixgw::bybit;
  WsMessage m;
  (void)parseWsMessage(in, m);
  Envelope env;
  if (parseEnvelope(in, env).empty()) (void)classifyRetCode(env.retCode);
  std::map<std::string, InstrumentInfo> is;
  if (parseInstruments(in, is).empty())
    for (const auto& [k, i] : is)
      (void)checkFilters(i, fixgw::Price::of("1"), fixgw::Qty::of("1"), false, std::nullopt);
  std::vector<BybitOrder> os;
  (void)parseOrders(in, os);
  std::vector<BybitExec> es;
  (void)parseExecutions(in, es);
  std::string a, b;
  (void)parseOrderAck(in, a, b);
  int64_t ms = 0;
  (void)parseServerTime(in, ms);
  PublicMessage pm;
  (void)parsePublicMessage(in, pm);
  return 0;
}
