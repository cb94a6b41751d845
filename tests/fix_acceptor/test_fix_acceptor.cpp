// Integration tests of the FIX acceptor over real QuickFIX sessions on
// loopback: a FixTestClient (FIX 4.2 or 4.4) talks to a FixAcceptor whose
// CommandSink records commands and, like the engine, answers them with
// canned ClientReports from its own thread.
#include <gtest/gtest.h>

#include <tuple>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "core/commands.h"
#include "core/reports.h"
#include "fix_common/codes.h"
#include "fix_acceptor/fix_acceptor.h"
#include "tests/support/fix_test_client.h"

namespace fixgw::fix {
namespace {

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
using fixgw::testing::pickFreePort;
using namespace std::chrono_literals;

constexpr WallNanos kT0 = 1'767'323'045'123'000'000LL;  // 2026-01-02 03:04:05.123 UTC

// Plays the engine: records every command and session event, and answers
// commands from its own thread through the responder a test installs.
class EngineStub final : public CommandSink {
 public:
  using Responder = std::function<std::vector<ClientReport>(const Command&)>;

  EngineStub() : worker_([this] { run(); }) {}
  ~EngineStub() override {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void connect(ReportSink* out) { out_ = out; }
  void respondWith(Responder r) {
    std::lock_guard lock(mu_);
    responder_ = std::move(r);
  }

  void submit(Command c) override {
    std::lock_guard lock(mu_);
    commands_.push_back(c);
    queue_.push_back(std::move(c));
    cv_.notify_all();
  }
  void sessionLoggedOn(const SessionKey& k) override {
    std::lock_guard lock(mu_);
    logons_.push_back(k.str());
    cv_.notify_all();
  }
  void sessionLoggedOut(const SessionKey& k) override {
    std::lock_guard lock(mu_);
    logouts_.push_back(k.str());
    cv_.notify_all();
  }

  // The InvalidRequest the acceptor passed on for this ClOrdID, if any.
  std::optional<InvalidRequest> waitInvalid(const std::string& clOrdId,
                                            std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    std::optional<InvalidRequest> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& c : commands_)
        if (auto* iv = std::get_if<InvalidRequest>(&c); iv && iv->clOrdId.str() == clOrdId) {
          found = *iv;
          return true;
        }
      return false;
    });
    return found;
  }

  template <class T>
  std::optional<T> waitCommand(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    std::optional<T> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& c : commands_) {
        if (auto* t = std::get_if<T>(&c)) {
          found = *t;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::optional<NewOrder> waitNewOrder(const std::string& clOrdId,
                                       std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    std::optional<NewOrder> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& c : commands_)
        if (auto* n = std::get_if<NewOrder>(&c); n && n->clOrdId.str() == clOrdId) {
          found = *n;
          return true;
        }
      return false;
    });
    return found;
  }
  size_t commandCount() const {
    std::lock_guard lock(mu_);
    return commands_.size();
  }
  bool waitLogon(const std::string& key, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::find(logons_.begin(), logons_.end(), key) != logons_.end();
    });
  }
  bool waitLogout(const std::string& key, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      return std::find(logouts_.begin(), logouts_.end(), key) != logouts_.end();
    });
  }
  std::vector<std::string> logons() const {
    std::lock_guard lock(mu_);
    return logons_;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (done_) return;
      Command c = std::move(queue_.front());
      queue_.pop_front();
      Responder r = responder_;
      lock.unlock();
      if (r && out_) {
        for (const auto& rep : r(c)) out_->deliver(rep);
      }
      lock.lock();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Command> commands_;
  std::deque<Command> queue_;
  std::vector<std::string> logons_, logouts_;
  Responder responder_;
  ReportSink* out_ = nullptr;
  bool done_ = false;
  std::thread worker_;
};

// ---- canned reports -------------------------------------------------------

ExecReport reportFor(const NewOrder& o, ExecType et, OrdStatus st) {
  ExecReport r;
  r.session = o.hdr.session;
  r.orderId = OrderId("ORD-1");
  r.clOrdId = o.clOrdId;
  r.execType = et;
  r.ordStatus = st;
  r.account = o.account;
  r.symbol = o.symbol;
  r.side = o.side;
  r.ordType = o.ordType;
  r.tif = o.tif;
  r.orderQty = o.qty;
  r.price = o.price;
  r.stopPx = o.stopPx;
  r.leavesQty = o.qty;
  r.transactTime = kT0;
  return r;
}

// New, then a partial fill of 40 at 100.25 on XNAS, then the rest.
std::vector<ClientReport> newPartialFill(const Command& c) {
  const auto* o = std::get_if<NewOrder>(&c);
  if (!o) return {};
  auto ack = reportFor(*o, ExecType::New, OrdStatus::New);
  ack.execId = ExecId("EX-1");
  auto part = reportFor(*o, ExecType::Trade, OrdStatus::PartiallyFilled);
  part.execId = ExecId("EX-2");
  part.lastQty = Qty::of("40");
  part.lastPx = Price::of("100.25");
  part.cumQty = Qty::of("40");
  part.leavesQty = o->qty - Qty::of("40");
  part.avgPx = Price::of("100.25");
  part.lastMkt = VenueId("XNAS");
  auto fill = part;
  fill.execId = ExecId("EX-3");
  fill.ordStatus = OrdStatus::Filled;
  fill.lastQty = o->qty - Qty::of("40");
  fill.lastPx = Price::of("100.5");
  fill.cumQty = o->qty;
  fill.leavesQty = Qty{};
  fill.avgPx = Price::of("100.4");
  return {ack, part, fill};
}

// ---- fixture --------------------------------------------------------------

struct VersionCase {
  const char* beginString;
  const char* client;
};
// Keeps test names stable (gtest would otherwise print the pointers).
void PrintTo(const VersionCase& v, std::ostream* os) { *os << v.beginString << ' ' << v.client; }

class FixAcceptorTest : public ::testing::TestWithParam<VersionCase> {
 protected:
  void SetUp() override {
    port_ = pickFreePort();
    cfg_.port = port_;
    cfg_.senderCompId = "FIXGW";
    cfg_.sessions = {{"FIX.4.2", "CLIENT42"}, {"FIX.4.4", "CLIENT44"}};
    cfg_.specDir = FIXGW_SPEC_DIR;
    cfg_.storeType = "memory";
    cfg_.messageSink = &messages_;
    acceptor_ = std::make_unique<FixAcceptor>(cfg_, engine_);
    engine_.connect(acceptor_.get());
    acceptor_->start();
  }
  void TearDown() override {
    client_.reset();
    acceptor_->stop();
    engine_.connect(nullptr);
  }

  const char* version() const { return GetParam().beginString; }
  bool is42() const { return std::string(version()) == "FIX.4.2"; }
  std::string sessionKey() const { return std::string(version()) + ":FIXGW->" + GetParam().client; }

  FixTestClient& connect() {
    client_ = std::make_unique<FixTestClient>(version(), GetParam().client, "FIXGW", port_,
                                              FIXGW_SPEC_DIR);
    EXPECT_TRUE(client_->logon()) << "logon failed for " << sessionKey();
    return *client_;
  }

  static std::string f(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }

  // Waits for the 35=8 with this ClOrdID and ExecID.
  std::optional<FIX::Message> waitExec(const std::string& clOrdId, const std::string& execId) {
    return client_->waitFor([=](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && f(m, 11) == clOrdId && f(m, 17) == execId;
    });
  }

  // Records the raw traffic the acceptor reports for audit.
  struct MessageRecorder final : FixMessageSink {
    std::mutex mu;
    std::vector<std::tuple<std::string, bool, std::string>> seen;
    void onFixMessage(const SessionKey& s, bool inbound, const std::string& raw) override {
      std::lock_guard lk(mu);
      seen.emplace_back(s.str(), inbound, raw);
    }
    // The buffers of inbound messages as the acceptor shares them (the audit copy).
    std::vector<SharedText> sharedIn;
    void onFixMessageShared(const SessionKey& s, bool inbound, const SharedText& raw) override {
      {
        std::lock_guard lk(mu);
        if (inbound) sharedIn.push_back(raw);
      }
      onFixMessage(s, inbound, raw.str());
    }
  };

  int port_ = 0;
  FixAcceptorConfig cfg_;
  MessageRecorder messages_;
  EngineStub engine_;
  std::unique_ptr<FixAcceptor> acceptor_;
  std::unique_ptr<FixTestClient> client_;
};

INSTANTIATE_TEST_SUITE_P(Versions, FixAcceptorTest,
                         ::testing::Values(VersionCase{"FIX.4.2", "CLIENT42"},
                                           VersionCase{"FIX.4.4", "CLIENT44"}),
                         [](const auto& info) {
                           return std::string(info.param.beginString) == "FIX.4.2" ? "FIX42"
                                                                                   : "FIX44";
                         });

// ---- sessions -------------------------------------------------------------

TEST_P(FixAcceptorTest, EveryMessageInAndOutReachesTheMessageSink) {
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "LOG-1";
  c.send(c.newOrder(o));
  ASSERT_TRUE(engine_.waitCommand<NewOrder>());
  std::lock_guard lk(messages_.mu);
  bool logonIn = false, logonOut = false, orderIn = false;
  for (const auto& [session, inbound, raw] : messages_.seen) {
    EXPECT_EQ(session, sessionKey());
    EXPECT_NE(raw.find('\x01'), std::string::npos) << "raw, SOH kept";
    logonIn |= inbound && raw.find("\x01" "35=A\x01") != std::string::npos;
    logonOut |= !inbound && raw.find("\x01" "35=A\x01") != std::string::npos;
    orderIn |= inbound && raw.find("\x01" "11=LOG-1\x01") != std::string::npos;
  }
  EXPECT_TRUE(logonIn);
  EXPECT_TRUE(logonOut);
  EXPECT_TRUE(orderIn);
}

TEST_P(FixAcceptorTest, LogonAndLogoutAreReportedToTheEngineWithTheSessionKey) {
  connect();
  EXPECT_TRUE(engine_.waitLogon(sessionKey()));
  client_->logout();
  EXPECT_TRUE(engine_.waitLogout(sessionKey()));
}

TEST_P(FixAcceptorTest, UnknownSenderCompIdIsRefusedAtLogon) {
  FixTestClient stranger(version(), "STRANGER", "FIXGW", port_, FIXGW_SPEC_DIR);
  EXPECT_FALSE(stranger.logon(3s));
  for (const auto& k : engine_.logons()) EXPECT_EQ(k.find("STRANGER"), std::string::npos) << k;
}

// ---- inbound commands -----------------------------------------------------

// Issue 15: the inbound bytes are copied once. The command (and so the order row and its
// RECEIVED event, which take CommandHeader::rawFix) holds the very buffer the message log got.
TEST_P(FixAcceptorTest, InboundMessageIsCopiedOnceCommandAndMessageLogShareOneBuffer) {
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "ONCE-1";
  c.send(c.newOrder(o));
  auto cmd = engine_.waitNewOrder("ONCE-1");
  ASSERT_TRUE(cmd);
  ASSERT_FALSE(cmd->hdr.rawFix.empty());
  std::lock_guard lk(messages_.mu);
  int sharing = 0;
  for (const auto& raw : messages_.sharedIn) sharing += raw.sharesBufferWith(cmd->hdr.rawFix);
  EXPECT_EQ(sharing, 1) << "the command's raw message is not the message log's buffer";
  EXPECT_NE(cmd->hdr.rawFix.find("\x01"
                                 "11=ONCE-1\x01"),
            std::string::npos);
}

TEST_P(FixAcceptorTest, NewOrderSingleBecomesNewOrderWithExactDecimals) {
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "C-1";
  o.qty = "0.00000001";
  o.price = "100.25";
  o.side = "5";
  o.tif = "3";
  o.account = "ACC-7";
  o.exDestination = "SIM";
  o.possResend = true;
  c.send(c.newOrder(o));

  auto cmd = engine_.waitCommand<NewOrder>();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->hdr.session.str(), sessionKey());
  EXPECT_GT(cmd->hdr.msgSeqNum, 1);  // 1 was the Logon
  EXPECT_NE(cmd->hdr.rawFix.find("\x01"
                                 "35=D\x01"),
            std::string::npos);
  EXPECT_NE(cmd->hdr.rawFix.find("\x01"
                                 "11=C-1\x01"),
            std::string::npos);
  EXPECT_GT(cmd->hdr.receivedAt, 0);
  EXPECT_EQ(cmd->clOrdId.str(), "C-1");
  EXPECT_EQ(cmd->account.str(), "ACC-7");
  EXPECT_EQ(cmd->symbol.str(), "AAPL");
  EXPECT_EQ(cmd->side, Side::SellShort);
  EXPECT_EQ(cmd->ordType, OrdType::Limit);
  EXPECT_EQ(cmd->tif, TimeInForce::Ioc);
  EXPECT_EQ(cmd->qty.mantissa(), 1);
  ASSERT_TRUE(cmd->price);
  EXPECT_EQ(*cmd->price, Price::of("100.25"));
  ASSERT_TRUE(cmd->exDestination);
  EXPECT_EQ(cmd->exDestination->str(), "SIM");
  EXPECT_TRUE(cmd->possResend);
}

TEST_P(FixAcceptorTest, MarketOrderWithoutTimeInForceDefaultsToDay) {
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "C-MKT";
  o.ordType = "1";
  o.price.reset();
  o.tif.reset();
  c.send(c.newOrder(o));
  auto cmd = engine_.waitCommand<NewOrder>();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->ordType, OrdType::Market);
  EXPECT_FALSE(cmd->price);
  EXPECT_EQ(cmd->tif, TimeInForce::Day);
  EXPECT_FALSE(cmd->possResend);
  EXPECT_FALSE(cmd->exDestination);
}

TEST_P(FixAcceptorTest, StopLimitAtTheOpeningCarriesStopPxBothWays) {
  auto& c = connect();
  engine_.respondWith([](const Command& cmd) -> std::vector<ClientReport> {
    const auto* o = std::get_if<NewOrder>(&cmd);
    if (!o) return {};
    auto ack = reportFor(*o, ExecType::New, OrdStatus::New);
    ack.execId = ExecId("EX-STP");
    return {ack};
  });
  OrderFields o;
  o.clOrdId = "STP-1";
  o.side = "2";
  o.ordType = "4";
  o.price = "98.5";
  o.stopPx = "99.00000001";
  o.tif = "2";
  c.send(c.newOrder(o));
  auto cmd = engine_.waitCommand<NewOrder>();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->ordType, OrdType::StopLimit);
  EXPECT_EQ(cmd->tif, TimeInForce::AtTheOpening);
  ASSERT_TRUE(cmd->price && cmd->stopPx);
  EXPECT_EQ(*cmd->price, Price::of("98.5"));
  EXPECT_EQ(*cmd->stopPx, Price::of("99.00000001"));

  auto ack = waitExec("STP-1", "EX-STP");
  ASSERT_TRUE(ack);  // validated against the shipped dictionary by the client
  EXPECT_EQ(f(*ack, 40), "4");
  EXPECT_EQ(f(*ack, 44), "98.5");
  EXPECT_EQ(f(*ack, 99), "99.00000001");
  EXPECT_EQ(f(*ack, 59), "2");

  OrderFields s;
  s.clOrdId = "STP-2";
  s.ordType = "3";
  s.price.reset();
  s.stopPx = "101";
  c.send(c.newOrder(s));
  auto stop = engine_.waitNewOrder("STP-2");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->ordType, OrdType::Stop);
  EXPECT_FALSE(stop->price);
  ASSERT_TRUE(stop->stopPx);
  EXPECT_EQ(*stop->stopPx, Price::of("101"));
  EXPECT_FALSE(c.waitFor(FixTestClient::isType("3"), 0ms));
}

TEST_P(FixAcceptorTest, CancelBecomesCancelOrderAndCancelRejectArrives) {
  auto& c = connect();
  engine_.respondWith([](const Command& cmd) -> std::vector<ClientReport> {
    const auto* x = std::get_if<CancelOrder>(&cmd);
    if (!x) return {};
    CancelReject r;
    r.session = x->hdr.session;
    r.clOrdId = x->clOrdId;
    r.origClOrdId = x->origClOrdId;
    r.ordStatus = OrdStatus::Rejected;
    r.cxlRejReason = 1;
    r.text = "unknown order";
    r.transactTime = kT0;
    return {r};
  });
  OrderFields o;
  o.clOrdId = "X-2";
  o.origClOrdId = "X-1";
  o.orderId = "ORD-9";
  o.side = "2";
  c.send(c.cancel(o));

  auto cmd = engine_.waitCommand<CancelOrder>();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->clOrdId.str(), "X-2");
  EXPECT_EQ(cmd->origClOrdId.str(), "X-1");
  ASSERT_TRUE(cmd->orderId);
  EXPECT_EQ(cmd->orderId->str(), "ORD-9");
  EXPECT_EQ(cmd->side, Side::Sell);
  EXPECT_EQ(cmd->symbol.str(), "AAPL");

  auto rej = c.waitFor(FixTestClient::isType("9"));
  ASSERT_TRUE(rej);
  EXPECT_EQ(f(*rej, 37), "NONE");
  EXPECT_EQ(f(*rej, 11), "X-2");
  EXPECT_EQ(f(*rej, 41), "X-1");
  EXPECT_EQ(f(*rej, 39), "8");
  EXPECT_EQ(f(*rej, 434), "1");
  EXPECT_EQ(f(*rej, 102), "1");
  EXPECT_EQ(f(*rej, 58), "unknown order");
  EXPECT_EQ(f(*rej, 60), "20260102-03:04:05.123");
}

TEST_P(FixAcceptorTest, ReplaceBecomesReplaceOrderAndReplacedReportCarriesOrigClOrdId) {
  auto& c = connect();
  engine_.respondWith([](const Command& cmd) -> std::vector<ClientReport> {
    const auto* x = std::get_if<ReplaceOrder>(&cmd);
    if (!x) return {};
    ExecReport r;
    r.session = x->hdr.session;
    r.orderId = OrderId("ORD-1");
    r.execId = ExecId("EX-R");
    r.clOrdId = x->clOrdId;
    r.origClOrdId = x->origClOrdId;
    r.execType = ExecType::Replaced;
    r.ordStatus = OrdStatus::New;
    r.symbol = x->symbol;
    r.side = x->side;
    r.ordType = x->ordType;
    r.orderQty = x->qty;
    r.price = x->price;
    r.leavesQty = x->qty;
    r.transactTime = kT0;
    return {r};
  });
  OrderFields o;
  o.clOrdId = "R-2";
  o.origClOrdId = "R-1";
  o.qty = "250.5";
  o.price = "99.125";
  o.account = "ACC-7";
  c.send(c.replace(o));

  auto cmd = engine_.waitCommand<ReplaceOrder>();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->clOrdId.str(), "R-2");
  EXPECT_EQ(cmd->origClOrdId.str(), "R-1");
  EXPECT_FALSE(cmd->orderId);
  EXPECT_EQ(cmd->account.str(), "ACC-7");
  EXPECT_EQ(cmd->qty, Qty::of("250.5"));
  ASSERT_TRUE(cmd->price);
  EXPECT_EQ(*cmd->price, Price::of("99.125"));

  auto er = waitExec("R-2", "EX-R");
  ASSERT_TRUE(er);
  EXPECT_EQ(f(*er, 41), "R-1");
  EXPECT_EQ(f(*er, 150), "5");
  EXPECT_EQ(f(*er, 39), "0");
  EXPECT_EQ(f(*er, 38), "250.5");
  EXPECT_EQ(f(*er, 44), "99.125");
  EXPECT_EQ(f(*er, 151), "250.5");
  if (is42()) {
    EXPECT_EQ(f(*er, 20), "0");
  }
}

TEST_P(FixAcceptorTest, StatusRequestBecomesStatusRequestAndStatusReplyMapsPerVersion) {
  auto& c = connect();
  engine_.respondWith([](const Command& cmd) -> std::vector<ClientReport> {
    const auto* x = std::get_if<StatusRequest>(&cmd);
    if (!x) return {};
    ExecReport r;
    r.session = x->hdr.session;
    r.orderId = OrderId("ORD-1");
    r.execId = ExecId("EX-S");
    r.clOrdId = x->clOrdId;
    r.execType = ExecType::OrderStatus;
    r.ordStatus = OrdStatus::PartiallyFilled;
    r.symbol = x->symbol;
    r.side = x->side;
    r.orderQty = Qty::of("100");
    r.price = Price::of("10");
    r.cumQty = Qty::of("30");
    r.leavesQty = Qty::of("70");
    r.avgPx = Price::of("10");
    r.transactTime = kT0;
    return {r};
  });
  OrderFields o;
  o.clOrdId = "S-1";
  o.orderId = "ORD-1";
  c.send(c.status(o));

  auto cmd = engine_.waitCommand<StatusRequest>();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->clOrdId.str(), "S-1");
  ASSERT_TRUE(cmd->orderId);
  EXPECT_EQ(cmd->orderId->str(), "ORD-1");

  auto er = waitExec("S-1", "EX-S");
  ASSERT_TRUE(er);
  EXPECT_EQ(f(*er, 39), "1");
  if (is42()) {
    EXPECT_EQ(f(*er, 20), "3");
    EXPECT_EQ(f(*er, 150), "1");
  } else {
    EXPECT_FALSE(FixTestClient::has(*er, 20));
    EXPECT_EQ(f(*er, 150), "I");
  }
  EXPECT_EQ(f(*er, 14), "30");
  EXPECT_EQ(f(*er, 151), "70");
}

TEST_P(FixAcceptorTest, MassCancelBecomesMassCancelAndReportArrives) {
  auto& c = connect();
  engine_.respondWith([](const Command& cmd) -> std::vector<ClientReport> {
    const auto* x = std::get_if<MassCancel>(&cmd);
    if (!x) return {};
    MassCancelReport r;
    r.session = x->hdr.session;
    r.clOrdId = x->clOrdId;
    r.orderId = OrderId("MC-1");
    r.requestType = x->requestType;
    r.response = x->requestType;
    r.totalAffected = 3;
    r.symbol = x->symbol;
    r.transactTime = kT0;
    return {r};
  });
  c.send(c.massCancel("Q-1", "1", "MSFT"));

  auto cmd = engine_.waitCommand<MassCancel>();
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->clOrdId.str(), "Q-1");
  EXPECT_EQ(cmd->requestType, '1');
  ASSERT_TRUE(cmd->symbol);
  EXPECT_EQ(cmd->symbol->str(), "MSFT");
  EXPECT_FALSE(cmd->side);

  auto r = c.waitFor(FixTestClient::isType("r"));
  ASSERT_TRUE(r);
  EXPECT_EQ(f(*r, 11), "Q-1");
  EXPECT_EQ(f(*r, 37), "MC-1");
  EXPECT_EQ(f(*r, 530), "1");
  EXPECT_EQ(f(*r, 531), "1");
  EXPECT_EQ(f(*r, 533), "3");
  EXPECT_EQ(f(*r, 55), "MSFT");
  EXPECT_FALSE(FixTestClient::has(*r, 532));
}

// ---- outbound reports -----------------------------------------------------

TEST_P(FixAcceptorTest, NewOrderReportsCarryEveryTagWithVersionMapping) {
  auto& c = connect();
  engine_.respondWith(newPartialFill);
  OrderFields o;
  o.clOrdId = "N-1";
  o.qty = "100";
  o.price = "100.25";
  o.account = "ACC-7";
  c.send(c.newOrder(o));

  auto ack = waitExec("N-1", "EX-1");
  auto part = waitExec("N-1", "EX-2");
  auto fill = waitExec("N-1", "EX-3");
  ASSERT_TRUE(ack && part && fill);

  EXPECT_EQ(f(*ack, 37), "ORD-1");
  EXPECT_EQ(f(*ack, 150), "0");
  EXPECT_EQ(f(*ack, 39), "0");
  EXPECT_EQ(f(*ack, 151), "100");
  EXPECT_EQ(f(*ack, 14), "0");
  EXPECT_EQ(f(*ack, 6), "0");
  EXPECT_EQ(f(*ack, 1), "ACC-7");
  EXPECT_EQ(f(*ack, 55), "AAPL");
  EXPECT_EQ(f(*ack, 54), "1");
  EXPECT_EQ(f(*ack, 38), "100");
  EXPECT_EQ(f(*ack, 40), "2");
  EXPECT_EQ(f(*ack, 44), "100.25");
  EXPECT_EQ(f(*ack, 59), "0");
  EXPECT_EQ(f(*ack, 60), "20260102-03:04:05.123");
  EXPECT_FALSE(FixTestClient::has(*ack, 41));
  EXPECT_FALSE(FixTestClient::has(*ack, 58));
  EXPECT_FALSE(FixTestClient::has(*ack, 103));

  EXPECT_EQ(f(*part, 39), "1");
  EXPECT_EQ(f(*part, 32), "40");
  EXPECT_EQ(f(*part, 31), "100.25");
  EXPECT_EQ(f(*part, 14), "40");
  EXPECT_EQ(f(*part, 151), "60");
  EXPECT_EQ(f(*part, 6), "100.25");
  EXPECT_EQ(f(*part, 30), "XNAS");

  EXPECT_EQ(f(*fill, 39), "2");
  EXPECT_EQ(f(*fill, 32), "60");
  EXPECT_EQ(f(*fill, 31), "100.5");
  EXPECT_EQ(f(*fill, 151), "0");
  EXPECT_EQ(f(*fill, 6), "100.4");

  if (is42()) {
    EXPECT_EQ(f(*ack, 20), "0");
    EXPECT_EQ(f(*part, 20), "0");
    EXPECT_EQ(f(*part, 150), "1");
    EXPECT_EQ(f(*fill, 150), "2");
  } else {
    EXPECT_FALSE(FixTestClient::has(*ack, 20));
    EXPECT_EQ(f(*part, 150), "F");
    EXPECT_EQ(f(*fill, 150), "F");
  }
  // The client validated every report against the shipped dictionary before
  // recording it (a failing one would never have arrived above), and the
  // gateway rejected nothing of ours.
  EXPECT_FALSE(c.waitFor(FixTestClient::isType("3"), 0ms));
}

TEST_P(FixAcceptorTest, EngineRejectCarriesReasonAndText) {
  auto& c = connect();
  engine_.respondWith([](const Command& cmd) -> std::vector<ClientReport> {
    const auto* o = std::get_if<NewOrder>(&cmd);
    if (!o) return {};
    auto r = reportFor(*o, ExecType::Rejected, OrdStatus::Rejected);
    r.execId = ExecId("EX-RJ");
    r.leavesQty = Qty{};
    r.ordRejReason = OrdRejReason::Other;
    r.text = "risk: order exceeds max notional";
    return {r};
  });
  OrderFields o;
  o.clOrdId = "RJ-1";
  c.send(c.newOrder(o));
  auto er = waitExec("RJ-1", "EX-RJ");
  ASSERT_TRUE(er);
  EXPECT_EQ(f(*er, 150), "8");
  EXPECT_EQ(f(*er, 39), "8");
  EXPECT_EQ(f(*er, 58), "risk: order exceeds max notional");
  EXPECT_EQ(f(*er, 103), is42() ? "0" : "99");
}

// ---- rejects by dictionary validation (QuickFIX) --------------------------

struct BadOrder {
  const char* name;
  std::function<void(OrderFields&)> mutate;
  const char* tag;
};

TEST_P(FixAcceptorTest, MissingRequiredTagIsRejectedNamingTheTag) {
  // Side (54) is required on 35=D by both standards.
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "M-1";
  FIX::Message m = c.newOrder(o);
  m.removeField(54);
  c.send(m);

  auto rej = c.waitFor(FixTestClient::isType("3"));
  ASSERT_TRUE(rej) << "no session Reject";
  EXPECT_EQ(f(*rej, 371), "54");
  EXPECT_EQ(f(*rej, 373), "1");  // Required tag missing
  EXPECT_EQ(f(*rej, 372), "D");
  EXPECT_FALSE(f(*rej, 58).empty());
  EXPECT_FALSE(f(*rej, 45).empty());
  EXPECT_EQ(engine_.commandCount(), 0u);
}

// Symbol (55) is required by FIX 4.2 on 35=D, so QuickFIX refuses the message;
// in FIX 4.4 it sits in the Instrument component, optional by the standard,
// and the gateway's own check names it in an order-level reject.
TEST_P(FixAcceptorTest, MissingSymbolIsRejectedNamingTag55) {
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "M-2";
  FIX::Message m = c.newOrder(o);
  m.removeField(55);
  c.send(m);
  if (is42()) {
    auto rej = c.waitFor(FixTestClient::isType("3"));
    ASSERT_TRUE(rej) << "no session Reject";
    EXPECT_EQ(f(*rej, 371), "55");
    EXPECT_EQ(f(*rej, 373), "1");  // Required tag missing
    EXPECT_EQ(engine_.commandCount(), 0u);
    return;
  }
  auto iv = engine_.waitInvalid("M-2");
  ASSERT_TRUE(iv);
  EXPECT_EQ(iv->msgType, "D");
  EXPECT_EQ(iv->refTag, 55);
  EXPECT_NE(iv->text.find("(55)"), std::string::npos) << iv->text;
  EXPECT_FALSE(c.waitFor(FixTestClient::isType("3"), 0ms));
}

// A value outside the standard's enumeration is a session-level error.
TEST_P(FixAcceptorTest, NonStandardSideValueIsRejectedNamingTheTag) {
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "E-1";
  o.side = "Z";
  c.send(c.newOrder(o));

  auto rej = c.waitFor(FixTestClient::isType("3"));
  ASSERT_TRUE(rej);
  EXPECT_EQ(f(*rej, 371), "54");
  EXPECT_EQ(f(*rej, 373), "5");  // Value is incorrect (out of range) for this tag
  EXPECT_EQ(engine_.commandCount(), 0u);
}

// A standard value the gateway does not support passes the dictionary and is
// refused by the acceptor's conversion, naming the tag and the value.
TEST_P(FixAcceptorTest, UnsupportedStandardEnumValuesGoToTheEngineNamingTheTag) {
  const std::vector<BadOrder> cases = {
      {"Side cross short (54=9)", [](OrderFields& o) { o.side = "9"; }, "54"},
      {"OrdType pegged (40=P)", [](OrderFields& o) { o.ordType = "P"; }, "40"},
      {"TimeInForce good till crossing (59=5)", [](OrderFields& o) { o.tif = "5"; }, "59"},
  };
  auto& c = connect();
  int n = 0;
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.name);
    OrderFields o;
    o.clOrdId = "U-" + std::to_string(++n);
    bad.mutate(o);
    c.send(c.newOrder(o));
    auto iv = engine_.waitInvalid(o.clOrdId);
    ASSERT_TRUE(iv);
    EXPECT_EQ(iv->msgType, "D");
    EXPECT_EQ(std::to_string(iv->refTag), bad.tag);
    EXPECT_NE(iv->text.find(std::string("(") + bad.tag + ")"), std::string::npos) << iv->text;
  }
  EXPECT_FALSE(c.waitFor(FixTestClient::isType("3"), 0ms));
  EXPECT_EQ(engine_.commandCount(), cases.size());
}

TEST_P(FixAcceptorTest, InboundReportTypeGetsBusinessRejectUnsupportedMessageType) {
  auto& c = connect();
  FIX::Message m;
  m.getHeader().setField(35, "j");
  m.setField(372, "D");
  m.setField(380, "0");
  c.send(m);
  auto rej = c.waitFor(FixTestClient::isType("j"));
  ASSERT_TRUE(rej);
  EXPECT_EQ(f(*rej, 372), "j");
  EXPECT_EQ(f(*rej, 380), "3");
  EXPECT_EQ(engine_.commandCount(), 0u);
}

// ---- rejects by the acceptor's own checks ---------------------------------

TEST_P(FixAcceptorTest, BadOrdersGoToTheEngineAsInvalidRequestsNamingTheTag) {
  const std::vector<BadOrder> cases = {
      {"limit without price", [](OrderFields& o) { o.price.reset(); }, "44"},
      {"market with price", [](OrderFields& o) { o.ordType = "1"; }, "44"},
      {"stop without stop price",
       [](OrderFields& o) {
         o.ordType = "3";
         o.price.reset();
       },
       "99"},
      {"stop with a limit price",
       [](OrderFields& o) {
         o.ordType = "3";
         o.stopPx = "99.5";
       },
       "44"},
      {"stop-limit without price",
       [](OrderFields& o) {
         o.ordType = "4";
         o.price.reset();
         o.stopPx = "99.5";
       },
       "44"},
      {"stop-limit with zero stop price",
       [](OrderFields& o) {
         o.ordType = "4";
         o.stopPx = "0";
       },
       "99"},
      {"limit with stop price", [](OrderFields& o) { o.stopPx = "99.5"; }, "99"},
      {"zero price", [](OrderFields& o) { o.price = "0"; }, "44"},
      {"price with 9 decimals", [](OrderFields& o) { o.price = "1.000000001"; }, "44"},
      {"zero qty", [](OrderFields& o) { o.qty = "0"; }, "38"},
      {"negative qty", [](OrderFields& o) { o.qty = "-5"; }, "38"},
      {"qty with 9 decimals", [](OrderFields& o) { o.qty = "0.000000001"; }, "38"},
  };
  auto& c = connect();
  int n = 0;
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.name);
    OrderFields o;
    o.clOrdId = "B-" + std::to_string(++n);
    bad.mutate(o);
    c.send(c.newOrder(o));
    auto iv = engine_.waitInvalid(o.clOrdId);
    ASSERT_TRUE(iv);
    EXPECT_EQ(iv->msgType, "D");
    EXPECT_EQ(std::to_string(iv->refTag), bad.tag);
    EXPECT_NE(iv->text.find(std::string("(") + bad.tag + ")"), std::string::npos) << iv->text;
    EXPECT_EQ(iv->symbol, Symbol("AAPL"));
    EXPECT_EQ(iv->side, Side::Buy);
    EXPECT_NE(iv->hdr.rawFix.find("11=" + o.clOrdId), std::string::npos);
    EXPECT_GT(iv->hdr.msgSeqNum, 0);
  }
  EXPECT_FALSE(c.waitFor(FixTestClient::isType("3"), 0ms));
  EXPECT_EQ(engine_.commandCount(), cases.size());
}

TEST_P(FixAcceptorTest, ReplaceWithZeroQtyGoesToTheEngineNamingTag38) {
  auto& c = connect();
  OrderFields o;
  o.clOrdId = "RB-2";
  o.origClOrdId = "RB-1";
  o.qty = "0";
  c.send(c.replace(o));
  auto iv = engine_.waitInvalid("RB-2");
  ASSERT_TRUE(iv);
  EXPECT_EQ(iv->msgType, "G");
  EXPECT_EQ(iv->refTag, 38);
  EXPECT_EQ(iv->origClOrdId, ClOrdId("RB-1"));
  EXPECT_FALSE(iv->qty.has_value()) << "an invalid quantity is not carried";
  EXPECT_NE(iv->text.find("(38)"), std::string::npos) << iv->text;
}

TEST_P(FixAcceptorTest, MassCancelBySymbolWithoutSymbolGoesToTheEngineAsConditionallyRequired) {
  auto& c = connect();
  c.send(c.massCancel("Q-2", "1"));
  auto iv = engine_.waitInvalid("Q-2");
  ASSERT_TRUE(iv);
  EXPECT_EQ(iv->msgType, "q");
  EXPECT_EQ(iv->refTag, 55);
  EXPECT_EQ(iv->businessRejectReason, 5);
  EXPECT_NE(iv->text.find("(55)"), std::string::npos) << iv->text;
}

TEST_P(FixAcceptorTest, EngineBusinessRejectIsDeliveredWithEveryTag) {
  auto& c = connect();
  // The client can see the Logon reply a moment before the acceptor marks the
  // session logged on; a report sent in between would be queued for resend.
  ASSERT_TRUE(engine_.waitLogon(sessionKey()));
  BusinessReject br;
  br.session = SessionKey(sessionKey());
  br.refSeqNum = 7;
  br.refMsgType = "H";
  br.businessRejectRefId = "S-1";
  br.reason = 5;
  br.text = "Symbol (55) is required";
  acceptor_->deliver(br);
  auto rej = c.waitFor(FixTestClient::isType("j"));
  ASSERT_TRUE(rej);
  EXPECT_EQ(f(*rej, 45), "7");
  EXPECT_EQ(f(*rej, 372), "H");
  EXPECT_EQ(f(*rej, 379), "S-1");
  EXPECT_EQ(f(*rej, 380), "5");
  EXPECT_EQ(f(*rej, 58), "Symbol (55) is required");
}

// ---- lifecycle and robustness ----------------------------------------------

TEST(FixAcceptorStart, PortInUseThrowsNamingThePort) {
  EngineStub engine;
  FixAcceptorConfig cfg;
  cfg.port = pickFreePort();
  cfg.sessions = {{"FIX.4.4", "A"}};
  cfg.specDir = FIXGW_SPEC_DIR;
  cfg.storeType = "memory";
  FixAcceptor first(cfg, engine);
  first.start();
  cfg.sessions = {{"FIX.4.4", "B"}};
  FixAcceptor second(cfg, engine);
  try {
    second.start();
    FAIL() << "second start() on a busy port did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(cfg.port)), std::string::npos) << e.what();
  }
}

TEST(FixAcceptorStart, BadSettingsThrowClearErrors) {
  EngineStub engine;
  FixAcceptorConfig base;
  base.port = pickFreePort();
  base.sessions = {{"FIX.4.4", "A"}};
  base.specDir = FIXGW_SPEC_DIR;
  base.storeType = "memory";
  auto expectError = [&](FixAcceptorConfig cfg, const std::string& needle) {
    FixAcceptor a(std::move(cfg), engine);
    try {
      a.start();
      ADD_FAILURE() << "no error for " << needle;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto c1 = base;
  c1.specDir = "/nonexistent/spec";
  expectError(c1, "/nonexistent/spec/FIX44.xml");
  auto c2 = base;
  c2.sessions = {{"FIX.4.3", "A"}};
  expectError(c2, "FIX.4.3");
  auto c3 = base;
  c3.storeType = "postgres";
  expectError(c3, "storeType");
  auto c4 = base;
  c4.sessions.clear();
  expectError(c4, "no sessions");
  auto c5 = base;
  c5.port = 70000;
  expectError(c5, "port");
}

TEST(FixAcceptorStart, FileStoreSessionLogsOnAndKeepsFiles) {
  EngineStub engine;
  auto dir =
      std::filesystem::temp_directory_path() /
      ("fixgw-acceptor-" + std::to_string(::getpid()) + "-" + std::to_string(pickFreePort()));
  FixAcceptorConfig cfg;
  cfg.port = pickFreePort();
  cfg.sessions = {{"FIX.4.4", "FILECLIENT"}};
  cfg.specDir = FIXGW_SPEC_DIR;
  cfg.storeType = "file";
  cfg.storePath = (dir / "store").string();
  cfg.logPath = (dir / "log").string();
  {
    FixAcceptor acceptor(cfg, engine);
    acceptor.start();
    FixTestClient client("FIX.4.4", "FILECLIENT", "FIXGW", cfg.port, FIXGW_SPEC_DIR);
    EXPECT_TRUE(client.logon());
    EXPECT_TRUE(engine.waitLogon("FIX.4.4:FIXGW->FILECLIENT"));
  }
  EXPECT_FALSE(std::filesystem::is_empty(dir / "store"));
  EXPECT_FALSE(std::filesystem::is_empty(dir / "log"));
  std::filesystem::remove_all(dir);
}

TEST(FixAcceptorDeliver, UnknownSessionIsLoggedNotThrown) {
  EngineStub engine;
  FixAcceptorConfig cfg;
  cfg.port = pickFreePort();
  cfg.sessions = {{"FIX.4.4", "A"}};
  cfg.specDir = FIXGW_SPEC_DIR;
  cfg.storeType = "memory";
  FixAcceptor acceptor(cfg, engine);
  acceptor.start();
  ExecReport r;
  r.session = SessionKey("FIX.4.4:FIXGW->NOBODY");
  EXPECT_NO_THROW(acceptor.deliver(r));
  // Known session, not logged on: stored for resend, logged, not thrown.
  r.session = SessionKey("FIX.4.4:FIXGW->A");
  EXPECT_NO_THROW(acceptor.deliver(r));
  EXPECT_NO_THROW(acceptor.deliver(BusinessReject{}));
}

// ---- enum conversion table --------------------------------------------------

TEST(FixConvert, ExecTypeMapsPerVersion) {
  EXPECT_EQ(toFixExecType(ExecType::Trade, OrdStatus::PartiallyFilled, FixVersion::Fix42), '1');
  EXPECT_EQ(toFixExecType(ExecType::Trade, OrdStatus::Filled, FixVersion::Fix42), '2');
  EXPECT_EQ(toFixExecType(ExecType::Trade, OrdStatus::Filled, FixVersion::Fix44), 'F');
  EXPECT_EQ(toFixExecType(ExecType::OrderStatus, OrdStatus::Canceled, FixVersion::Fix42), '4');
  EXPECT_EQ(toFixExecType(ExecType::OrderStatus, OrdStatus::Canceled, FixVersion::Fix44), 'I');
  EXPECT_EQ(toFixExecType(ExecType::Expired, OrdStatus::Expired, FixVersion::Fix44), 'C');
  EXPECT_EQ(toFixExecType(ExecType::PendingReplace, OrdStatus::PendingReplace, FixVersion::Fix42),
            'E');
  EXPECT_EQ(toFixExecTransType(ExecType::OrderStatus), '3');
  EXPECT_EQ(toFixExecTransType(ExecType::Trade), '0');
  EXPECT_EQ(toFixOrdStatus(OrdStatus::PendingNew), 'A');
  EXPECT_EQ(toFixCxlRejReason(99, FixVersion::Fix42), 2);
  EXPECT_EQ(toFixCxlRejReason(99, FixVersion::Fix44), 99);
}

TEST(FixConvert, UnsupportedInboundValuesAreRefused) {
  EXPECT_FALSE(convertSide("3"));
  EXPECT_FALSE(convertSide("12"));
  EXPECT_FALSE(convertOrdType("5"));
  EXPECT_FALSE(convertOrdType("P"));
  EXPECT_FALSE(convertTimeInForce("5"));
  EXPECT_FALSE(convertTimeInForce("7"));  // at the close
  EXPECT_EQ(convertTimeInForce("6"), TimeInForce::GoodTillDate);
  EXPECT_EQ(toFixTimeInForce(TimeInForce::GoodTillDate), '6');
  EXPECT_EQ(convertOrdType("3"), OrdType::Stop);
  EXPECT_EQ(convertOrdType("4"), OrdType::StopLimit);
  EXPECT_EQ(convertTimeInForce("2"), TimeInForce::AtTheOpening);
  EXPECT_EQ(toFixOrdType(OrdType::StopLimit), '4');
  EXPECT_EQ(toFixTimeInForce(TimeInForce::AtTheOpening), '2');
  EXPECT_FALSE(convertMassCancelRequestType("2"));
  EXPECT_EQ(convertTimeInForce("4"), TimeInForce::Fok);
}

}  // namespace
}  // namespace fixgw::fix
