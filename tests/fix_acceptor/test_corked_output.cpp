// Corked report output (core/output_cork.h, issue 15): the reports one round
// of the engine loop produces go out in one append-store write and one socket
// write per session. These tests prove it loses and reorders nothing:
//  * the cork itself: stores flush before sockets, once per round;
//  * the append store: a corked set() is not on disk until the round flushes,
//    yet get() (a resend) sees it, and an uncorked writer meanwhile keeps the
//    file in call order;
//  * over a real QuickFIX initiator on loopback: a burst of orders answered
//    with three reports each from a corking EventLoop arrives complete, in
//    order, with consecutive MsgSeqNums and nothing resent;
//  * a round whose socket bytes never go out (the client drops the TCP
//    connection before the round flushes) is replayed from the store, with
//    exact sequence numbers, when the client comes back and asks for a resend.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/commands.h"
#include "core/executor.h"
#include "core/output_cork.h"
#include "core/reports.h"
#include "fix_acceptor/append_store.h"
#include "fix_acceptor/fix_acceptor.h"
#include "tests/fix_transport/raw_fix_client.h"
#include "tests/support/fix_test_client.h"

namespace fixgw::fix {
namespace {
using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
using fixgw::testing::pickFreePort;
using namespace std::chrono_literals;

constexpr WallNanos kT0 = 1'767'323'045'123'000'000LL;  // 2026-01-02 03:04:05.123 UTC

std::filesystem::path tempDir(const std::string& tag) {
  static std::atomic<int> n{0};
  auto p = std::filesystem::temp_directory_path() /
           ("fixgw_cork_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

// ---- the cork ------------------------------------------------------------------

struct Recorder final : cork::Flushable {
  Recorder(std::string n, std::vector<std::string>& log) : name(std::move(n)), log(log) {}
  void flushCorked() noexcept override { log.push_back(name); }
  std::string name;
  std::vector<std::string>& log;
};

TEST(OutputCork, StoresFlushBeforeSocketsOnceEachAtTheEndOfTheOuterRound) {
  std::vector<std::string> log;
  auto sock = std::make_shared<Recorder>("socket", log);
  auto store = std::make_shared<Recorder>("store", log);
  EXPECT_FALSE(cork::active());
  {
    cork::Round outer;
    EXPECT_TRUE(cork::active());
    cork::defer(sock, cork::Phase::Socket);
    cork::defer(store, cork::Phase::Store);
    {
      cork::Round inner;  // folds into the outer one
      cork::defer(sock, cork::Phase::Socket);
      cork::defer(store, cork::Phase::Store);
    }
    EXPECT_TRUE(log.empty()) << "an inner round must not flush";
  }
  EXPECT_FALSE(cork::active());
  EXPECT_EQ(log, (std::vector<std::string>{"store", "socket"}));
}

TEST(OutputCork, DisabledRoundsCorkNothing) {
  cork::setEnabled(false);
  {
    cork::Round r;
    EXPECT_FALSE(cork::active());
  }
  cork::setEnabled(true);
  cork::Round r;
  EXPECT_TRUE(cork::active());
}

// A loop that polls before it parks still runs every task in order, corks
// each batch, and stops.
TEST(EventLoopSpin, SpinningLoopRunsTasksInOrderInCorkedRoundsAndStops) {
  EventLoop loop{SystemClock::instance()};
  loop.setSpinNanos(200'000);  // 200 us: the posts below land inside the poll
  loop.setCorkTasks(4);
  loop.start("spin-test");
  std::vector<int> seen;
  std::vector<bool> corked;
  for (int i = 0; i < 50; ++i) {
    loop.post([&, i] {
      seen.push_back(i);
      corked.push_back(cork::active());
    });
    if (i % 10 == 0) std::this_thread::sleep_for(50us);
  }
  loop.sync([] {});
  loop.stop();
  std::vector<int> want(50);
  for (int i = 0; i < 50; ++i) want[static_cast<size_t>(i)] = i;
  EXPECT_EQ(seen, want);
  for (bool c : corked) EXPECT_TRUE(c) << "a task ran outside an output round";
}

// ---- the append store ------------------------------------------------------------

TEST(AppendStoreCork, CorkedSetIsWrittenAtTheFlushAndReadableBeforeIt) {
  const auto dir = tempDir("store");
  const FIX::SessionID id("FIX.4.4", "FIXGW", "CORK1");
  const auto path = dir / AppendFileStore::fileName(id);
  {
    AppendFileStore st(dir.string(), id, /*corkable=*/true);
    const auto created = std::filesystem::file_size(path);
    {
      cork::Round round;
      EXPECT_TRUE(st.set(1, "first"));
      st.incrNextSenderMsgSeqNum();
      EXPECT_TRUE(st.set(2, "second"));
      st.incrNextSenderMsgSeqNum();
      EXPECT_EQ(std::filesystem::file_size(path), created) << "a corked set() wrote at once";
      EXPECT_EQ(st.getNextSenderMsgSeqNum(), 3);
      // A resend inside the round reads what is not on disk yet.
      std::vector<std::string> got;
      st.get(1, 2, got);
      EXPECT_EQ(got, (std::vector<std::string>{"first", "second"}));
      EXPECT_TRUE(st.set(3, "third"));
      st.incrNextSenderMsgSeqNum();
      // Another thread, not in a round, writes its record after the pending ones.
      std::thread([&] { st.incrNextTargetMsgSeqNum(); }).join();
      const auto afterOther = std::filesystem::file_size(path);
      EXPECT_GT(afterOther, created);
      EXPECT_TRUE(st.set(4, "fourth"));
      st.incrNextSenderMsgSeqNum();
      EXPECT_EQ(std::filesystem::file_size(path), afterOther);
    }
    // The round flushed "fourth".
    AppendFileStore again(dir.string(), id);
    std::vector<std::string> got;
    again.get(1, 4, got);
    EXPECT_EQ(got, (std::vector<std::string>{"first", "second", "third", "fourth"}));
    EXPECT_EQ(again.getNextSenderMsgSeqNum(), 5);
    EXPECT_EQ(again.getNextTargetMsgSeqNum(), 2);
  }
  std::filesystem::remove_all(dir);
}

TEST(AppendStoreCork, StoreNotCorkableWritesAtOnceInsideARound) {
  const auto dir = tempDir("plain");
  const FIX::SessionID id("FIX.4.4", "FIXGW", "CORK2");
  AppendFileStore st(dir.string(), id);  // QuickFIX's transport: no socket corking
  const auto path = dir / AppendFileStore::fileName(id);
  const auto created = std::filesystem::file_size(path);
  cork::Round round;
  st.set(1, "now");
  EXPECT_GT(std::filesystem::file_size(path), created);
  std::filesystem::remove_all(dir);
}

// ---- over real QuickFIX sessions -------------------------------------------------

ExecReport report(const NewOrder& o, const std::string& execId, ExecType et, OrdStatus st,
                  const char* cum) {
  ExecReport r;
  r.session = o.hdr.session;
  r.orderId = OrderId("ORD-" + o.clOrdId.str());
  r.clOrdId = o.clOrdId;
  r.execId = ExecId(execId);
  r.execType = et;
  r.ordStatus = st;
  r.account = o.account;
  r.symbol = o.symbol;
  r.side = o.side;
  r.ordType = o.ordType;
  r.tif = o.tif;
  r.orderQty = o.qty;
  r.price = o.price;
  r.cumQty = Qty::of(cum);
  r.leavesQty = o.qty - Qty::of(cum);
  if (et == ExecType::Trade) {
    r.lastQty = Qty::of("50");
    r.lastPx = Price::of("100.25");
    r.avgPx = Price::of("100.25");
  }
  r.transactTime = kT0;
  return r;
}

// Plays the engine on a real EventLoop (so each batch is a corked round, as in
// the gateway): every NewOrder is answered with New, a partial fill and a fill
// from one task. A test can hold the loop inside the task after the reports
// (hold()), before the round flushes.
class LoopEngine final : public CommandSink {
 public:
  LoopEngine() { loop_.start("test-engine"); }
  ~LoopEngine() override { loop_.stop(); }
  void connect(ReportSink* out) {
    std::lock_guard lock(mu_);
    out_ = out;
  }
  void submit(Command c) override {
    auto* o = std::get_if<NewOrder>(&c);
    if (!o) return;
    auto task = [this, o = *o] {
      ReportSink* out;
      std::shared_future<void> gate;
      {
        std::lock_guard lock(mu_);
        out = out_;
        gate = gate_;
      }
      if (!out) return;
      const std::string id = o.clOrdId.str();
      out->deliver(report(o, id + "-NEW", ExecType::New, OrdStatus::New, "0"));
      out->deliver(report(o, id + "-P1", ExecType::Trade, OrdStatus::PartiallyFilled, "50"));
      out->deliver(report(o, id + "-F2", ExecType::Trade, OrdStatus::Filled, "100"));
      if (gate.valid()) {
        held_.set_value();
        gate.wait();
      }
    };
    // fix.engine_inline: on the FIX session's thread while the loop is idle, as Engine::submit.
    if (!loop_.tryRunInline(task)) loop_.post(std::move(task));
  }
  void sessionLoggedOn(const SessionKey&) override {}
  void sessionLoggedOut(const SessionKey&) override {
    std::lock_guard lock(mu_);
    ++logouts_;
    cv_.notify_all();
  }
  bool waitLogouts(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return logouts_ >= n; });
  }
  // The next order's task stops after its reports until release(); returns
  // a future ready once it is held there.
  std::future<void> hold() {
    std::lock_guard lock(mu_);
    held_ = std::promise<void>();
    gate_ = release_.get_future().share();
    return held_.get_future();
  }
  void release() { release_.set_value(); }
  void setCorkTasks(size_t n) { loop_.setCorkTasks(n); }
  void setInline(bool on) { loop_.setInline(on); }

 private:
  EventLoop loop_{SystemClock::instance()};
  std::mutex mu_;
  std::condition_variable cv_;
  ReportSink* out_ = nullptr;
  int logouts_ = 0;
  std::promise<void> held_, release_;
  std::shared_future<void> gate_;
};

class CorkedOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tempDir("gw");
    cfg_.port = pickFreePort();
    cfg_.senderCompId = "FIXGW";
    FixSessionConfig sc;
    sc.beginString = "FIX.4.4";
    sc.targetCompId = "CORKC";
    cfg_.sessions = {sc};
    cfg_.specDir = FIXGW_SPEC_DIR;
    cfg_.storeType = "append";
    cfg_.storePath = dir_.string();
    acceptor_ = std::make_unique<FixAcceptor>(cfg_, engine_);
    engine_.connect(acceptor_.get());
    acceptor_->start();
  }
  void TearDown() override {
    client_.reset();
    engine_.connect(nullptr);
    acceptor_->stop();
    acceptor_.reset();
    std::filesystem::remove_all(dir_);
  }
  static std::string f(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }
  void burstOfOrders();

  std::filesystem::path dir_;
  FixAcceptorConfig cfg_;
  LoopEngine engine_;
  std::unique_ptr<FixAcceptor> acceptor_;
  std::unique_ptr<FixTestClient> client_;
};

// A burst of orders: every report arrives once, in order, with consecutive
// MsgSeqNums, and the store holds each under the number the client saw.
void CorkedOutputTest::burstOfOrders() {
  client_ = std::make_unique<FixTestClient>("FIX.4.4", "CORKC", "FIXGW", cfg_.port, FIXGW_SPEC_DIR);
  auto& c = *client_;
  ASSERT_TRUE(c.logon());
  constexpr int kOrders = 60;  // several orders per engine batch, rounds cut every 16 tasks
  for (int i = 0; i < kOrders; ++i) {
    OrderFields o;
    o.clOrdId = "B-" + std::to_string(i);
    c.send(c.newOrder(o));
  }
  const std::string last = "B-" + std::to_string(kOrders - 1) + "-F2";
  ASSERT_TRUE(c.waitFor([&](const FIX::Message& m) { return f(m, 17) == last; }, 20s))
      << "the last report never arrived";

  std::vector<std::string> execIds;
  int prevSeq = 0;
  for (const auto& m : c.received()) {
    const int seq = std::stoi(f(m, 34));
    if (prevSeq) {
      EXPECT_EQ(seq, prevSeq + 1) << "gap or reorder at " << FixTestClient::text(m);
    }
    prevSeq = seq;
    EXPECT_NE(f(m, 43), "Y") << "nothing should need a resend: " << FixTestClient::text(m);
    EXPECT_NE(FixTestClient::msgType(m), "3") << FixTestClient::text(m);
    EXPECT_NE(FixTestClient::msgType(m), "2") << FixTestClient::text(m);
    if (FixTestClient::msgType(m) == "8") execIds.push_back(f(m, 17));
  }
  std::vector<std::string> want;
  for (int i = 0; i < kOrders; ++i)
    for (const char* s : {"-NEW", "-P1", "-F2"}) want.push_back("B-" + std::to_string(i) + s);
  EXPECT_EQ(execIds, want);

  // The store holds every report under the number the client saw.
  std::map<std::string, int> seqOf;
  for (const auto& m : c.received())
    if (FixTestClient::msgType(m) == "8") seqOf[f(m, 17)] = std::stoi(f(m, 34));
  c.logout();
  ASSERT_TRUE(engine_.waitLogouts(1));
  acceptor_->stop();
  AppendFileStore st(dir_.string(), FIX::SessionID("FIX.4.4", "FIXGW", "CORKC"));
  for (const auto& [execId, seq] : seqOf) {
    std::vector<std::string> got;
    st.get(seq, seq, got);
    ASSERT_EQ(got.size(), 1u) << "MsgSeqNum " << seq << " not stored";
    EXPECT_NE(got[0].find("\x01"
                          "17=" +
                          execId + "\x01"),
              std::string::npos)
        << "MsgSeqNum " << seq << " holds the wrong message";
  }
}

TEST_F(CorkedOutputTest, BurstOfOrdersGetsEveryReportInOrderWithConsecutiveSequenceNumbers) {
  burstOfOrders();
}

// The same with fix.engine_inline: the "engine" runs each order on the FIX
// session's own thread when its loop is idle (inside QuickFIX's fromApp, one
// corked round per order), queued to the loop thread otherwise.
TEST_F(CorkedOutputTest, InlineEngineBurstOfOrdersGetsEveryReportInOrderAndStored) {
  engine_.setInline(true);
  burstOfOrders();
}

TEST_F(CorkedOutputTest, RoundCutOffByADroppedConnectionIsResentFromTheStoreAfterReconnect) {
  using fixgw::testing::fixLogon;
  using fixgw::testing::fixMessage;
  using fixgw::testing::RawFixClient;
  using fixgw::testing::tagOf;
  // The acceptor keeps sequence numbers across logons for this test.
  engine_.connect(nullptr);
  acceptor_->stop();
  acceptor_.reset();
  cfg_.resetOnLogon = false;
  acceptor_ = std::make_unique<FixAcceptor>(cfg_, engine_);
  engine_.connect(acceptor_.get());
  acceptor_->start();

  int gwNext = 0;
  {
    RawFixClient raw("127.0.0.1", cfg_.port);
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(raw.send(fixLogon("FIX.4.4", "CORKC", "FIXGW")));
    auto logon = raw.readType("A", 10s);
    ASSERT_TRUE(logon) << "no Logon answer";
    ASSERT_EQ(tagOf(*logon, 34), "1");
    auto held = engine_.hold();
    ASSERT_TRUE(raw.send(fixMessage("FIX.4.4", "CORKC", "FIXGW", 2, "D",
                                    {{11, "R-1"},
                                     {21, "1"},
                                     {55, "AAPL"},
                                     {54, "1"},
                                     {60, "20260102-03:04:05.000"},
                                     {38, "100"},
                                     {40, "2"},
                                     {44, "100.25"},
                                     {59, "0"}})));
    // The engine has handed QuickFIX its three reports; the round has not flushed.
    ASSERT_EQ(held.wait_for(10s), std::future_status::ready);
    EXPECT_FALSE(raw.read(300ms)) << "a report left before its round ended";
    // The client's connection drops (no Logout) before the round flushes.
  }
  ASSERT_TRUE(engine_.waitLogouts(1));
  engine_.release();  // the round ends: the store gets the reports, the closed socket nothing
  gwNext = 5;         // Logon 1, the three reports 2..4

  // The client comes back without a reset and asks for everything after the Logon.
  RawFixClient raw("127.0.0.1", cfg_.port);
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send(fixMessage("FIX.4.4", "CORKC", "FIXGW", 3, "A", {{98, "0"}, {108, "30"}})));
  auto logon = raw.readType("A", 10s);
  ASSERT_TRUE(logon) << "no Logon answer on reconnect";
  EXPECT_EQ(tagOf(*logon, 34), std::to_string(gwNext)) << *logon;
  ASSERT_TRUE(raw.send(fixMessage("FIX.4.4", "CORKC", "FIXGW", 4, "2", {{7, "2"}, {16, "0"}})));
  std::vector<std::string> resent;
  for (int i = 0; i < 3; ++i) {
    auto m = raw.readType("8", 10s);
    ASSERT_TRUE(m) << "report " << i << " of the cut-off round was not resent";
    EXPECT_EQ(tagOf(*m, 34), std::to_string(2 + i)) << *m;
    EXPECT_EQ(tagOf(*m, 43), "Y") << *m;
    resent.push_back(tagOf(*m, 17));
  }
  EXPECT_EQ(resent, (std::vector<std::string>{"R-1-NEW", "R-1-P1", "R-1-F2"}));
}

}  // namespace
}  // namespace fixgw::fix
