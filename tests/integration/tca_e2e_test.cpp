// TCA end to end over real QuickFIX sessions (4.4 and 4.2), the real gateway, its simulator
// venue and PostgreSQL: parents sent by a FIX client get a row in `tca` once they complete, with
// figures consistent with their fills and the market's prints, and `fixgw audit tca` shows it.
// No timing assertions: every wait has a timeout.
#include <gtest/gtest.h>
#include <quickfix/Group.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>

#include "apps/audit.h"
#include "apps/gateway.h"
#include "config/config.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;

namespace {

std::string sourceDir() {
  const char* d = std::getenv("FIXGW_SOURCE_DIR");
  return d ? d : FIXGW_SOURCE_DIR_DEFAULT;
}

using Rows = std::vector<std::vector<std::string>>;

std::string F(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

}  // namespace

class TcaE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    port_ = fixgw::testing::pickFreePort();
    cfg_ = fixgw::config::loadConfig(sourceDir() + "/config/fixgw.json");
    cfg_.fix.port = port_;
    cfg_.fix.storeType = "memory";
    cfg_.database.conninfo = db_.conninfo();
    cfg_.logging.level = "warn";
    for (auto& v : cfg_.venues) {  // a known book, no random walk during a test
      v.params["level_qty_lots"] = "100";
      v.params["step_interval_ms"] = "3600000";
    }
    gw_ = std::make_unique<fixgw::Gateway>(cfg_);
    gw_->start();
    client_ = std::make_unique<FixTestClient>(GetParam(), "CLIENT1", "FIXGW", port_,
                                              sourceDir() + "/fix_acceptor/spec");
    ASSERT_TRUE(client_->logon()) << "logon to the gateway failed";
  }
  void TearDown() override {
    if (client_) client_->logout();
    client_.reset();
    if (gw_) gw_->stop();
    gw_.reset();
  }

  // Sends a buy of qty AAPL at px and waits for its final report; its OrderID.
  std::string filledOrder(const std::string& clOrdId, const std::string& qty,
                          const std::string& px) {
    OrderFields o;
    o.clOrdId = clOrdId;
    o.qty = qty;
    o.price = px;
    client_->send(client_->newOrder(o));
    std::string orderId, status;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && status != "2" && status != "8") {
      auto m = client_->waitForAndPop(
          [&](const FIX::Message& x) {
            return FixTestClient::msgType(x) == "8" && F(x, 11) == clOrdId;
          },
          std::chrono::seconds(10));
      if (!m) break;
      orderId = F(*m, 37);
      status = F(*m, 39);
    }
    EXPECT_EQ(status, "2") << clOrdId << " did not fill";
    return orderId;
  }
  Rows q(const std::string& sql) {
    gw_->quiesce();
    return db_.query(sql);
  }
  // The parent's TCA row: written one print-grace after completion.
  Rows tcaRow(const std::string& orderId) {
    const std::string sql =
        "select t.arrival_source, t.arrival_px, t.filled_qty, t.fill_rate, t.avg_px = o.avg_px, "
        "t.slippage_arrival_bps = round((t.avg_px - t.arrival_px) * 10000 / t.arrival_px, 8), "
        "t.market_volume >= t.filled_qty, "
        "t.participation = round(t.filled_qty / t.market_volume, 8), coalesce(t.strategy, '-'), "
        "t.final_status, t.account = o.account, t.symbol "
        "from tca t join orders o using (order_id) where t.order_id = '" +
        orderId + "'";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    Rows r;
    while ((r = q(sql)).empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return r;
  }

  fixgw::testing::PgTestSchema db_;
  int port_ = 0;
  fixgw::config::GatewayConfig cfg_;
  std::unique_ptr<fixgw::Gateway> gw_;
  std::unique_ptr<FixTestClient> client_;
};

// The first order on AAPL arrives before the gateway knows the simulator's book: its arrival is
// the venue's reference price. It subscribes the book, so the second arrives at the book's mid.
// Both lift the offer: bought above the arrival price, a positive (cost) slippage.
TEST_P(TcaE2E, DirectOrdersGetTheirTcaRowsAndAuditShowsThem) {
  const std::string first = filledOrder("T1", "10", "105.00");
  ASSERT_FALSE(first.empty());
  const std::string second = filledOrder("T2", "10", "105.00");
  ASSERT_FALSE(second.empty());

  for (const auto& [id, source] : {std::pair{first, "REFERENCE"}, std::pair{second, "MID"}}) {
    const Rows r = tcaRow(id);
    ASSERT_EQ(r.size(), 1u) << "no tca row for " << id;
    EXPECT_EQ(r[0][0], source) << id;
    EXPECT_NE(r[0][1], "<null>") << id;
    EXPECT_EQ(fixgw::Qty::of(r[0][2]), fixgw::Qty::of("10")) << id;
    EXPECT_EQ(fixgw::Qty::of(r[0][3]), fixgw::Qty::of("1")) << id;
    EXPECT_EQ(r[0][4], "t") << id << ": avg_px is the order's";
    EXPECT_EQ(r[0][5], "t") << id << ": slippage vs arrival, positive = cost";
    EXPECT_EQ(r[0][6], "t") << id << ": the market's volume includes our fill's print";
    EXPECT_EQ(r[0][7], "t") << id << ": participation = filled / market volume";
    EXPECT_EQ(r[0][8], "-") << id;
    EXPECT_EQ(r[0][9], "FILLED") << id;
    EXPECT_EQ(r[0][10], "t") << id << ": the order's account";
    EXPECT_EQ(r[0][11], "AAPL") << id;
  }
  // Bought at or above the best offer, above the mid: a cost.
  EXPECT_EQ(q("select slippage_arrival_bps > 0 from tca where order_id = '" + second + "'"),
            (Rows{{"t"}}));

  std::ostringstream out, err;
  gw_->quiesce();
  ASSERT_EQ(fixgw::audit::runCli({"tca", "--order-id", second, "--json", "--db", db_.conninfo()},
                                 out, err),
            0)
      << err.str();
  rapidjson::Document d;
  d.Parse(out.str().c_str());
  ASSERT_TRUE(d.IsObject()) << out.str();
  ASSERT_EQ(d["tca"].Size(), 1u) << out.str();
  EXPECT_STREQ(d["tca"][0]["order_id"].GetString(), second.c_str());
  EXPECT_STREQ(d["tca"][0]["arrival_source"].GetString(), "MID");
  ASSERT_EQ(d["venues"].Size(), 1u) << out.str();
  EXPECT_STREQ(d["venues"][0]["fill_share"].GetString(), "1");
}

INSTANTIATE_TEST_SUITE_P(Versions, TcaE2E, ::testing::Values("FIX.4.4", "FIX.4.2"),
                         [](const auto& info) {
                           std::string s = info.param;
                           s.erase(std::remove(s.begin(), s.end(), '.'), s.end());
                           return s;
                         });
