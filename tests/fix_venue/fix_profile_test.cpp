// Profile rules of the FIX venue: config keys, profile defaults, add_tags,
// ClOrdID format and the FIX 4.2 / 4.4 ExecType mapping.
#include "venue_adapters/fix/fix_profile.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "venue_adapters/fix/fix_venue.h"
#include "venue_adapters/registry.h"

namespace fixgw::fixvenue {
namespace {

FixVenueConfig read(venues::VenueParams p) {
  venues::ParamReader r(p, "venues[0].params");
  auto c = readFixVenueConfig(r, "venues[0].params");
  r.finish();
  return c;
}

std::string errorOf(venues::VenueParams p) {
  try {
    read(std::move(p));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool hasTag(const FixVenueConfig& c, int tag, const std::string& value) {
  for (const auto& [t, v] : c.addTags)
    if (t == tag && v == value) return true;
  return false;
}

int countTag(const FixVenueConfig& c, int tag) {
  int n = 0;
  for (const auto& [t, v] : c.addTags) n += t == tag;
  return n;
}

TEST(FixProfile, IbkrCtciDefaultsToFix42TargetIbHandlInstSmartAndCurrency) {
  auto c = read({{"profile", "ibkr_ctci"},
                 {"sender_comp_id", "ME"},
                 {"port", "9000"},
                 {"add_tags", "1=U123456;6207=SUB7"}});
  EXPECT_EQ(c.beginString, "FIX.4.2");
  EXPECT_EQ(c.targetCompId, "IB");
  EXPECT_TRUE(hasTag(c, 1, "U123456"));
  EXPECT_TRUE(hasTag(c, 6207, "SUB7"));
  EXPECT_TRUE(hasTag(c, 21, "2"));
  EXPECT_TRUE(hasTag(c, 100, "SMART"));
  EXPECT_TRUE(c.sendCurrency);
  EXPECT_EQ(c.fillExecTypes, (std::set<std::string>{"1", "2"}));
}

TEST(FixProfile, OperatorTagsWinOverProfileDefaults) {
  auto c = read({{"profile", "ibkr_ctci"},
                 {"sender_comp_id", "ME"},
                 {"port", "9000"},
                 {"add_tags", "21=1;100=ISLAND"},
                 {"send_currency", "false"}});
  EXPECT_EQ(countTag(c, 21), 1);
  EXPECT_TRUE(hasTag(c, 21, "1"));
  EXPECT_TRUE(hasTag(c, 100, "ISLAND"));
  EXPECT_FALSE(c.sendCurrency);
}

TEST(FixProfile, GenericFix44HasTradeFillsAndNoHandlInst) {
  auto c = read({{"sender_comp_id", "ME"}, {"target_comp_id", "BRK"}, {"port", "9000"}});
  EXPECT_EQ(c.profile, "generic");
  EXPECT_EQ(c.beginString, "FIX.4.4");
  EXPECT_EQ(c.fillExecTypes, (std::set<std::string>{"F"}));
  EXPECT_EQ(countTag(c, 21), 0);
  EXPECT_FALSE(c.sendCurrency);
}

TEST(FixProfile, GenericFix42GetsTheRequiredHandlInst) {
  auto c = read({{"sender_comp_id", "ME"},
                 {"target_comp_id", "BRK"},
                 {"port", "9000"},
                 {"begin_string", "FIX.4.2"}});
  EXPECT_TRUE(hasTag(c, 21, "1"));
  EXPECT_EQ(c.fillExecTypes, (std::set<std::string>{"1", "2"}));
}

TEST(FixProfile, ErrorsNameTheKey) {
  EXPECT_NE(errorOf({{"target_comp_id", "BRK"}, {"port", "9000"}}).find(".sender_comp_id"),
            std::string::npos);
  EXPECT_NE(errorOf({{"sender_comp_id", "FIXGW"}, {"target_comp_id", "B"}, {"port", "9000"}})
                .find("acceptor"),
            std::string::npos);
  EXPECT_NE(errorOf({{"sender_comp_id", "A"}, {"target_comp_id", "B"}}).find(".port"),
            std::string::npos);
  EXPECT_NE(errorOf({{"sender_comp_id", "A"},
                     {"target_comp_id", "B"},
                     {"port", "1"},
                     {"begin_string", "FIX.4.3"}})
                .find(".begin_string"),
            std::string::npos);
  EXPECT_NE(
      errorOf(
          {{"sender_comp_id", "A"}, {"target_comp_id", "B"}, {"port", "1"}, {"profile", "lmax"}})
          .find(".profile"),
      std::string::npos);
  EXPECT_NE(errorOf({{"sender_comp_id", "A"},
                     {"target_comp_id", "B"},
                     {"port", "1"},
                     {"clordid_format", "{child}"}})
                .find(".clordid_format"),
            std::string::npos);
  EXPECT_NE(errorOf({{"sender_comp_id", "A"},
                     {"target_comp_id", "B"},
                     {"port", "1"},
                     {"fill_exec_types", "F,0"}})
                .find(".fill_exec_types"),
            std::string::npos);
  EXPECT_NE(
      errorOf(
          {{"sender_comp_id", "A"}, {"target_comp_id", "B"}, {"port", "1"}, {"heartbeat_s", "x"}})
          .find(".heartbeat_s"),
      std::string::npos);
}

TEST(FixProfile, AddTagsRejectsMalformedAndOwnedTags) {
  auto err = [](const char* spec) {
    try {
      parseAddTags(spec, "p.add_tags");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err("1=U1;38=5").find("tag 38"), std::string::npos);
  EXPECT_NE(err("11=X").find("tag 11"), std::string::npos);
  EXPECT_NE(err("abc=1").find("'abc'"), std::string::npos);
  EXPECT_NE(err("1=").find("empty value"), std::string::npos);
  EXPECT_NE(err("1=a;1=b").find("twice"), std::string::npos);
  EXPECT_NE(err("21").find("TAG=VALUE"), std::string::npos);
  EXPECT_EQ(err("1=U1; 21=1 ;;100=SMART"), "");
  auto ok = parseAddTags("1=U1; 21=1 ;;100=SMART", "x");
  ASSERT_EQ(ok.size(), 3u);
  EXPECT_EQ(ok[1], (std::pair<int, std::string>{21, "1"}));
}

TEST(FixProfile, ClOrdIdFormat) {
  EXPECT_EQ(formatClOrdId("{child}.{n}", ChildOrderId("C7"), 0, "20240102"), "C7.0");
  EXPECT_EQ(formatClOrdId("GW{date}-{child}-{n}", ChildOrderId("C7"), 3, "20240102"),
            "GW20240102-C7-3");
}

TEST(FixProfile, Fix42FillsAreExecType1And2ButStatusRepliesAreNot) {
  auto c = read({{"profile", "ibkr_ctci"}, {"sender_comp_id", "ME"}, {"port", "9000"}});
  EXPECT_EQ(classifyExecReport(c, "1", "0"), ReportKind::Fill);
  EXPECT_EQ(classifyExecReport(c, "2", "0"), ReportKind::Fill);
  // ExecTransType 3 = Status: 150 carries the order state, not an execution.
  EXPECT_EQ(classifyExecReport(c, "1", "3"), ReportKind::Status);
  EXPECT_EQ(classifyExecReport(c, "2", "3"), ReportKind::Status);
  EXPECT_EQ(classifyExecReport(c, "2", "1"), ReportKind::TradeCorrection);
  EXPECT_EQ(classifyExecReport(c, "0", "0"), ReportKind::New);
  EXPECT_EQ(classifyExecReport(c, "4", "0"), ReportKind::Canceled);
  EXPECT_EQ(classifyExecReport(c, "5", "0"), ReportKind::Replaced);
  EXPECT_EQ(classifyExecReport(c, "8", "0"), ReportKind::Rejected);
  EXPECT_EQ(classifyExecReport(c, "3", "0"), ReportKind::Expired);
  EXPECT_EQ(classifyExecReport(c, "F", ""), ReportKind::Unknown);
}

TEST(FixProfile, Fix44FillsAreExecTypeF) {
  auto c = read({{"sender_comp_id", "ME"}, {"target_comp_id", "B"}, {"port", "9000"}});
  EXPECT_EQ(classifyExecReport(c, "F", ""), ReportKind::Fill);
  EXPECT_EQ(classifyExecReport(c, "I", ""), ReportKind::Status);
  EXPECT_EQ(classifyExecReport(c, "1", ""), ReportKind::Unknown);
  EXPECT_EQ(classifyExecReport(c, "C", ""), ReportKind::Expired);
  EXPECT_EQ(classifyExecReport(c, "H", ""), ReportKind::TradeCorrection);
  EXPECT_EQ(classifyExecReport(c, "6", ""), ReportKind::Pending);
}

// ---- order attributes (issue 14) ----

using Tags = std::vector<std::pair<int, std::string>>;
constexpr WallNanos kExpiry = 1800046800LL * 1'000'000'000;  // 2027-01-15 21:00:00 UTC

TEST(FixProfile, AttributeTagsFix44GenericCarryEveryAttribute) {
  FixVenueConfig c = read({{"sender_comp_id", "GW"}, {"target_comp_id", "B"}, {"port", "1"}});
  EXPECT_EQ(c.capacityTag, 528);
  EXPECT_EQ(c.gtdExpiryTag, 126);
  EXPECT_TRUE(c.postOnly);
  EXPECT_FALSE(c.massStatus);
  OrderAttributes a;
  a.orderCapacity = 'P';
  a.positionEffect = 'C';
  a.locateReqd = true;
  a.minQty = Qty::of("10");
  a.maxFloor = Qty::of("20");
  a.postOnly = true;
  a.expireTime = kExpiry;
  auto t = attributeTags(c, a, TimeInForce::GoodTillDate);
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.tags, (Tags{{18, "6"},
                          {77, "C"},
                          {110, "10"},
                          {111, "20"},
                          {114, "Y"},
                          {126, "20270115-21:00:00.000"},
                          {528, "P"}}));
  // Nothing set, nothing sent; an expiry without GTD is not sent either.
  OrderAttributes none;
  none.expireTime = kExpiry;
  EXPECT_TRUE(attributeTags(c, none, TimeInForce::Day).tags.empty());
  // A FIX 4.2 client's Rule80A reaches a FIX 4.4 venue where the meaning is shared.
  OrderAttributes r;
  r.rule80A = 'A';
  EXPECT_EQ(attributeTags(c, r, TimeInForce::Day).tags, (Tags{{528, "A"}}));
  r.rule80A = 'K';
  EXPECT_NE(attributeTags(c, r, TimeInForce::Day).error.find("Rule80A (47) value 'K'"),
            std::string::npos);
}

TEST(FixProfile, AttributeTagsCtciFix42UseRule80AAndRefusePostOnly) {
  FixVenueConfig c = read({{"profile", "ibkr_ctci"}, {"sender_comp_id", "GW"}, {"port", "1"}});
  EXPECT_EQ(c.capacityTag, 47);
  EXPECT_FALSE(c.postOnly);
  OrderAttributes a;
  a.orderCapacity = 'A';
  a.positionEffect = 'O';
  a.locateReqd = false;
  EXPECT_EQ(attributeTags(c, a, TimeInForce::Day).tags, (Tags{{47, "A"}, {77, "O"}, {114, "N"}}));
  a.rule80A = 'K';  // the client's own 4.2 field wins
  EXPECT_EQ(attributeTags(c, a, TimeInForce::Day).tags.front(),
            (std::pair<int, std::string>{47, "K"}));
  OrderAttributes g;
  g.orderCapacity = 'G';
  EXPECT_NE(attributeTags(c, g, TimeInForce::Day).error.find("OrderCapacity (528) value 'G'"),
            std::string::npos);
  OrderAttributes p;
  p.postOnly = true;
  auto t = attributeTags(c, p, TimeInForce::Day);
  EXPECT_NE(t.error.find("ExecInst (18) value 6"), std::string::npos) << t.error;
  EXPECT_TRUE(t.tags.empty());
  OrderAttributes gtd;
  EXPECT_NE(attributeTags(c, gtd, TimeInForce::GoodTillDate).error.find("59=6"), std::string::npos);
}

TEST(FixProfile, GtdExpiryTagMassStatusAndCapacityTagAreProfileKeys) {
  FixVenueConfig c = read({{"sender_comp_id", "GW"},
                           {"target_comp_id", "B"},
                           {"port", "1"},
                           {"gtd_expiry_tag", "432"},
                           {"capacity_tag", "47"},
                           {"mass_status", "true"},
                           {"post_only", "false"}});
  OrderAttributes a;
  a.expireTime = kExpiry;
  a.orderCapacity = 'W';
  EXPECT_EQ(attributeTags(c, a, TimeInForce::GoodTillDate).tags,
            (Tags{{47, "W"}, {432, "20270115"}}));
  EXPECT_TRUE(c.massStatus);
  EXPECT_NE(errorOf({{"sender_comp_id", "GW"},
                     {"target_comp_id", "B"},
                     {"port", "1"},
                     {"begin_string", "FIX.4.2"},
                     {"mass_status", "true"}})
                .find("venues[0].params.mass_status"),
            std::string::npos);
  EXPECT_NE(errorOf({{"sender_comp_id", "GW"},
                     {"target_comp_id", "B"},
                     {"port", "1"},
                     {"gtd_expiry_tag", "59"}})
                .find("venues[0].params.gtd_expiry_tag"),
            std::string::npos);
  EXPECT_NE(errorOf({{"sender_comp_id", "GW"},
                     {"target_comp_id", "B"},
                     {"port", "1"},
                     {"capacity_tag", "529"}})
                .find("venues[0].params.capacity_tag"),
            std::string::npos);
}

TEST(FixProfile, RegistryFactoryReportsUnknownKeysAndBadValues) {
  venues::VenueRegistry reg;
  reg.registerType("fix", makeFixVenue);
  InstrumentMaster im;
  venues::VenueContext ctx{VenueId("ibkr"), im, SystemClock::instance(), "venues[2]", ""};
  venues::VenueParams good{{"profile", "ibkr_ctci"}, {"sender_comp_id", "ME"}, {"port", "9000"}};
  auto v = reg.create("fix", ctx, good);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->id().str(), "ibkr");

  auto withKey = good;
  withKey["hearbeat_s"] = "30";
  try {
    reg.create("fix", ctx, withKey);
    FAIL() << "unknown key accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[2].params.hearbeat_s"), std::string::npos)
        << e.what();
  }
  auto badTags = good;
  badTags["add_tags"] = "1=U1;55=X";
  try {
    reg.create("fix", ctx, badTags);
    FAIL() << "owned tag accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("venues[2].params.add_tags"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fixgw::fixvenue
