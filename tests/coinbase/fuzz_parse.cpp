// libFuzzer target for the Coinbase JSON parsers (channel messages, orders,
// fills, products, create/cancel/edit answers, errors, RFC 3339 times).
// Built only with Clang (FIXGW_FUZZ=ON):
//   ./fuzz_coinbase_parse -max_total_time=60 venue_adapters/coinbase/test_data
// Any input must give a result or an error string: never a crash or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "venue_adapters/coinbase/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace fixgw::coinbase;
  StreamMessage m;
  (void)parseStreamMessage(in, m);
  CbOrder o;
  if (parseOrder(in, o).empty()) (void)checkClientOrderId(o.clientOrderId);
  std::vector<CbOrder> os;
  std::string cursor;
  (void)parseOrders(in, os, cursor);
  std::vector<CbFill> fs;
  (void)parseFills(in, fs, cursor);
  std::map<std::string, Product> ps;
  if (parseProducts(in, ps).empty()) {
    for (const auto& [id, p] : ps)
      (void)checkFilters(p, fixgw::Price::of("1"), std::nullopt, fixgw::Qty::of("1"));
  }
  CreateResult cr;
  if (parseCreateOrder(in, cr).empty()) (void)cr.text();
  std::vector<CancelResult> cs;
  (void)parseBatchCancel(in, cs);
  EditResult er;
  (void)parseEdit(in, er);
  ApiError e;
  (void)parseApiError(in, e);
  (void)parseRfc3339Ms(in);
  return 0;
}
