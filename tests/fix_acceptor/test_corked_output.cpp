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
//  * a round whose store write fails sends none of its messages (the session's
//    socket bytes are dropped, its connection closed), other sessions' rounds
//    are untouched, and the store file keeps exactly what the client saw.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <quickfix/Exceptions.h>

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
  bool flushCorked() noexcept override {
    log.push_back(name);
    return true;
  }
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

// A store that fails keeps ITS session's socket bytes of the round off the wire
// (dropCorked), and only those: another session's socket flushes as usual.
struct GroupRecorder final : cork::Flushable {
  GroupRecorder(std::string n, std::string g, bool ok, std::vector<std::string>& log)
      : name(std::move(n)), group(std::move(g)), ok(ok), log(log) {}
  bool flushCorked() noexcept override {
    log.push_back(name);
    return ok;
  }
  std::string_view corkGroup() const noexcept override { return group; }
  void dropCorked(std::string_view why) noexcept override {
    log.push_back("drop " + name + " (" + std::string(why) + ")");
  }
  std::string name, group;
  bool ok;
  std::vector<std::string>& log;
};

TEST(OutputCork, FailedStoreDropsTheSocketOfItsOwnSessionOnly) {
  std::vector<std::string> log;
  auto storeA = std::make_shared<GroupRecorder>("storeA", "A", /*ok=*/false, log);
  auto storeB = std::make_shared<GroupRecorder>("storeB", "B", /*ok=*/true, log);
  auto sockA = std::make_shared<GroupRecorder>("sockA", "A", true, log);
  auto sockB = std::make_shared<GroupRecorder>("sockB", "B", true, log);
  auto plain = std::make_shared<Recorder>("plain", log);  // no group: never dropped
  {
    cork::Round round;
    cork::defer(sockA, cork::Phase::Socket);
    cork::defer(sockB, cork::Phase::Socket);
    cork::defer(plain, cork::Phase::Socket);
    cork::defer(storeA, cork::Phase::Store);
    cork::defer(storeB, cork::Phase::Store);
  }
  EXPECT_EQ(log, (std::vector<std::string>{"storeA", "storeB", "drop sockA (A)", "sockB", "plain"}));
  // The failure belongs to that round: the next round flushes session A's socket again if its
  // store says it is fine.
  log.clear();
  storeA->ok = true;
  {
    cork::Round round;
    cork::defer(sockA, cork::Phase::Socket);
    cork::defer(storeA, cork::Phase::Store);
  }
  EXPECT_EQ(log, (std::vector<std::string>{"storeA", "sockA"}));
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

// Makes the store file's descriptor in this process refuse writes, as a full or failed disk
// would: a read-only descriptor of the same file is put in its place (dup2), so the store's
// next write() fails (EBADF) and so does its ftruncate() back to the last whole record.
// Returns false if no descriptor of this process has the file open.
bool breakStoreDescriptor(const std::filesystem::path& file) {
  const auto want = std::filesystem::canonical(file);
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec);
    if (ec || target != want) continue;
    const int fd = std::stoi(e.path().filename().string());
    const int ro = ::open(want.c_str(), O_RDONLY | O_CLOEXEC);
    if (ro < 0) return false;
    const bool ok = ::dup2(ro, fd) == fd;
    ::close(ro);
    return ok;
  }
  return false;
}

// A corked round whose store write fails: the round reports the failure (so its session's
// socket bytes are dropped), the store refuses every later write with a clear error, and the
// file still replays to the last whole record written before the round: the session's next
// MsgSeqNum after a restart is the one the client expects, since it never saw the round.
TEST(AppendStoreCork, FailedRoundWriteDropsTheSessionsSocketAndLeavesTheFileWhole) {
  const auto dir = tempDir("fail");
  const FIX::SessionID id("FIX.4.4", "FIXGW", "CORK3");
  const auto path = dir / AppendFileStore::fileName(id);
  std::vector<std::string> log;
  auto sock = std::make_shared<GroupRecorder>("sock", id.toString(), true, log);
  {
    AppendFileStore st(dir.string(), id, /*corkable=*/true);
    {
      cork::Round round;
      st.set(1, "kept");
      st.incrNextSenderMsgSeqNum();
      cork::defer(sock, cork::Phase::Socket);
    }
    EXPECT_EQ(log, (std::vector<std::string>{"sock"}));
    log.clear();
    ASSERT_TRUE(breakStoreDescriptor(path));
    {
      cork::Round round;
      EXPECT_TRUE(st.set(2, "lost"));  // pending: the failure comes at the flush
      st.incrNextSenderMsgSeqNum();
      cork::defer(sock, cork::Phase::Socket);
    }
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0], "drop sock (" + id.toString() + ")");
    // Refused from now on, with the file named.
    try {
      st.set(3, "refused");
      ADD_FAILURE() << "set() after a failed write did not throw";
    } catch (const FIX::IOException& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  AppendFileStore again(dir.string(), id);
  std::vector<std::string> got;
  again.get(1, 2, got);
  EXPECT_EQ(got, (std::vector<std::string>{"kept"}));
  EXPECT_EQ(again.getNextSenderMsgSeqNum(), 2);
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

// Over a real session: the session store fails in the round that carries an order's reports.
// None of them reaches the client (it would hold MsgSeqNums the store cannot resend), the
// connection closes with the reason logged, and every message the client did receive is on the
// store under the number it saw, so the session resumes consistently after the store is fixed.
TEST_F(CorkedOutputTest, StoreWriteFailureInARoundSendsNoneOfItAndClosesTheSession) {
  using fixgw::testing::fixLogon;
  using fixgw::testing::fixMessage;
  using fixgw::testing::RawFixClient;
  using fixgw::testing::tagOf;
  auto order = [](int seq, const std::string& id) {
    return fixMessage("FIX.4.4", "CORKC", "FIXGW", seq, "D",
                      {{11, id},
                       {21, "1"},
                       {55, "AAPL"},
                       {54, "1"},
                       {60, "20260102-03:04:05.000"},
                       {38, "100"},
                       {40, "2"},
                       {44, "100.25"},
                       {59, "0"}});
  };
  const FIX::SessionID sid("FIX.4.4", "FIXGW", "CORKC");
  std::vector<int> seen;  // MsgSeqNums the client received
  {
    RawFixClient raw("127.0.0.1", cfg_.port);
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(raw.send(fixLogon("FIX.4.4", "CORKC", "FIXGW")));
    auto logon = raw.readType("A", 10s);
    ASSERT_TRUE(logon) << "no Logon answer";
    seen.push_back(std::stoi(tagOf(*logon, 34)));
    ASSERT_TRUE(raw.send(order(2, "S-1")));
    for (int i = 0; i < 3; ++i) {
      auto m = raw.readType("8", 10s);
      ASSERT_TRUE(m) << "report " << i << " of the first order missing";
      seen.push_back(std::stoi(tagOf(*m, 34)));
    }
    // The next order's reports are produced and held before their round flushes; the inbound
    // order's own store record (the next target number, written by the session's thread) is
    // let through first, so the one write that fails is the round's.
    const auto file = dir_ / AppendFileStore::fileName(sid);
    const auto before = std::filesystem::file_size(file);
    auto held = engine_.hold();
    ASSERT_TRUE(raw.send(order(3, "S-2")));
    ASSERT_EQ(held.wait_for(10s), std::future_status::ready);
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::filesystem::file_size(file) == before && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(1ms);
    ASSERT_GT(std::filesystem::file_size(file), before) << "the inbound order was not recorded";
    ASSERT_TRUE(breakStoreDescriptor(file));
    engine_.release();
    // Nothing of the failed round arrives; the gateway closes the connection.
    for (;;) {
      auto m = raw.read(10s);
      if (!m) break;
      ADD_FAILURE() << "the client received a message the store did not keep: " << *m;
      seen.push_back(std::stoi(tagOf(*m, 34)));
    }
    EXPECT_TRUE(raw.closed()) << "the session stayed connected after its store failed";
  }
  ASSERT_TRUE(engine_.waitLogouts(1));
  acceptor_->stop();
  // Every message the client saw is on the store under its number; nothing after.
  AppendFileStore st(dir_.string(), sid);
  for (int seq : seen) {
    std::vector<std::string> got;
    st.get(seq, seq, got);
    EXPECT_EQ(got.size(), 1u) << "MsgSeqNum " << seq << " reached the client but is not stored";
  }
  EXPECT_EQ(st.getNextSenderMsgSeqNum(), seen.back() + 1);
}

}  // namespace
}  // namespace fixgw::fix
