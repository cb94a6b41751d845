// libFuzzer target: the OKX parsers never crash, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "venue_adapters/okx/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  using namespace fixgw::okx;
  Envelope env;
  (void)parseEnvelope(s, env);
  std::map<std::string, InstInfo> insts;
  (void)parseInstruments(s, insts);
  std::vector<OkxOrder> orders;
  (void)parseOrders(s, orders);
  std::vector<OkxFill> fills;
  (void)parseFills(s, fills);
  WsMessage m;
  (void)parseWsMessage(s, m);
  int64_t ts = 0;
  (void)parseTime(s, ts);
  return 0;
}
