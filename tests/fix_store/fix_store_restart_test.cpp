// A gateway restart with FIX session state in PostgreSQL (storeType "postgres")
// or in fixgw's append-only session file ("append"), over real QuickFIX
// sessions on loopback: a client (FileStore, so its own sequence numbers
// survive) logs on without reset and gets an ExecutionReport; it logs out;
// the FixAcceptor (ResetOnLogon=N) is destroyed and recreated on the same
// schema or folder; reports sent while the client is away are
// stored; the client logs on again without reset, QuickFIX sees the gap and
// asks for a resend, and the missed reports arrive with PossDupFlag=Y.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/commands.h"
#include "core/reports.h"
#include "fix_acceptor/append_store.h"
#include "fix_acceptor/fix_acceptor.h"
#include "store/migrate.h"
#include "tests/support/fix_test_client.h"
#include "tests/support/pg_test_env.h"

namespace fixgw::fix {
namespace {

using fixgw::testing::FixTestClient;
using fixgw::testing::OrderFields;
using fixgw::testing::PgTestSchema;
using fixgw::testing::pickFreePort;
using namespace std::chrono_literals;

constexpr WallNanos kT0 = 1'767'323'045'123'000'000LL;  // 2026-01-02 03:04:05.123 UTC

ExecReport report(const NewOrder& o, const std::string& execId, ExecType et, OrdStatus st) {
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
  r.leavesQty = o.qty;
  r.transactTime = kT0;
  return r;
}

// Plays the engine: answers each NewOrder with an ExecutionReport New from
// its own thread (as the engine does), and remembers the orders.
class EngineStub final : public CommandSink {
 public:
  EngineStub() : worker_([this] { run(); }) {}
  ~EngineStub() override {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void connect(ReportSink* out) {
    std::lock_guard lock(mu_);
    out_ = out;
  }

  void submit(Command c) override {
    std::lock_guard lock(mu_);
    if (auto* o = std::get_if<NewOrder>(&c)) {
      orders_.push_back(*o);
      queue_.push_back(*o);
    }
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

  std::optional<NewOrder> order(const std::string& clOrdId) const {
    std::lock_guard lock(mu_);
    for (const auto& o : orders_)
      if (o.clOrdId.str() == clOrdId) return o;
    return std::nullopt;
  }
  bool waitLogouts(size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return logouts_.size() >= n; });
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (done_) return;
      NewOrder o = std::move(queue_.front());
      queue_.pop_front();
      ReportSink* out = out_;
      lock.unlock();
      if (out)
        out->deliver(report(o, "EX-" + o.clOrdId.str() + "-NEW", ExecType::New, OrdStatus::New));
      lock.lock();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<NewOrder> orders_;
  std::deque<NewOrder> queue_;
  std::vector<std::string> logons_, logouts_;
  ReportSink* out_ = nullptr;
  bool done_ = false;
  std::thread worker_;
};

struct VersionCase {
  const char* beginString;
  const char* client;
  const char* store;  // "postgres" or "append"
};
void PrintTo(const VersionCase& v, std::ostream* os) {
  *os << v.beginString << ' ' << v.client << ' ' << v.store;
}

class FixStoreRestartTest : public ::testing::TestWithParam<VersionCase> {
 protected:
  void SetUp() override {
    store::migrate(db_.conninfo(), fixgw::testing::schemaDir());
    clientStore_ = std::filesystem::temp_directory_path() /
                   ("fixgw_fixstore_" + std::to_string(::getpid()) + "_" + db_.schema());
    std::filesystem::create_directories(clientStore_);
    cfg_.port = pickFreePort();
    cfg_.senderCompId = "FIXGW";
    cfg_.sessions = {{GetParam().beginString, GetParam().client}};
    cfg_.specDir = FIXGW_SPEC_DIR;
    cfg_.storeType = GetParam().store;
    cfg_.storeConninfo = db_.conninfo();
    cfg_.storePath = (clientStore_ / "gateway").string();
    cfg_.resetOnLogon = false;
  }
  bool pg() const { return cfg_.storeType == "postgres"; }
  void TearDown() override {
    client_.reset();
    engine_.connect(nullptr);
    acceptor_.reset();
    std::error_code ec;
    std::filesystem::remove_all(clientStore_, ec);
  }

  FIX::SessionID sessionId() const {
    return FIX::SessionID(GetParam().beginString, "FIXGW", GetParam().client);
  }
  std::string key() const {
    return std::string(GetParam().beginString) + ":FIXGW->" + GetParam().client;
  }

  void startAcceptor() {
    acceptor_ = std::make_unique<FixAcceptor>(cfg_, engine_);
    engine_.connect(acceptor_.get());
    acceptor_->start();
  }
  void stopAcceptor() {
    engine_.connect(nullptr);
    acceptor_->stop();
    acceptor_.reset();
  }
  FixTestClient& newClient() {
    client_ = std::make_unique<FixTestClient>(GetParam().beginString, GetParam().client, "FIXGW",
                                              cfg_.port, FIXGW_SPEC_DIR, /*resetOnLogon=*/false,
                                              clientStore_.string());
    return *client_;
  }

  static std::string f(const FIX::Message& m, int tag) { return FixTestClient::field(m, tag); }
  static FixTestClient::Pred execWithId(std::string execId) {
    return [execId](const FIX::Message& m) {
      return FixTestClient::msgType(m) == "8" && f(m, 17) == execId;
    };
  }
  // The gateway's stored messages and next sender number, read from the store's
  // own tables or file (the append store is read by a second instance, which
  // only reads a file that ends with a whole record).
  std::vector<std::pair<int, std::string>> storedMessages() {
    std::vector<std::pair<int, std::string>> out;
    if (pg()) {
      for (auto& r : db_.query("SELECT msg_seq_num, convert_from(message, 'UTF8') FROM "
                               "fix_messages WHERE session_key = '" +
                               key() + "' ORDER BY msg_seq_num"))
        out.emplace_back(std::stoi(r.at(0)), r.at(1));
      return out;
    }
    AppendFileStore st(cfg_.storePath, sessionId());
    for (int seq = 1; seq < st.getNextSenderMsgSeqNum(); ++seq) {
      std::vector<std::string> one;
      st.get(seq, seq, one);
      if (!one.empty()) out.emplace_back(seq, one.front());
    }
    return out;
  }
  int nextSenderStored() {
    if (!pg()) return AppendFileStore(cfg_.storePath, sessionId()).getNextSenderMsgSeqNum();
    const auto rows = db_.query("SELECT next_sender_seq FROM fix_sessions WHERE session_key = '" +
                                key() + "'");
    EXPECT_EQ(rows.size(), 1u) << "no fix_sessions row for " << key();
    return rows.empty() ? 0 : std::stoi(rows[0][0]);
  }
  int storedWith(const std::string& text) {
    int n = 0;
    for (const auto& [seq, msg] : storedMessages()) n += msg.find(text) != std::string::npos;
    return n;
  }
  int seqStoredWith(const std::string& text) {
    for (const auto& [seq, msg] : storedMessages())
      if (msg.find(text) != std::string::npos) return seq;
    return 0;
  }

  PgTestSchema db_;
  std::filesystem::path clientStore_;
  FixAcceptorConfig cfg_;
  EngineStub engine_;
  std::unique_ptr<FixAcceptor> acceptor_;
  std::unique_ptr<FixTestClient> client_;
};

INSTANTIATE_TEST_SUITE_P(Versions, FixStoreRestartTest,
                         ::testing::Values(VersionCase{"FIX.4.2", "RCLIENT42", "postgres"},
                                           VersionCase{"FIX.4.4", "RCLIENT44", "postgres"},
                                           VersionCase{"FIX.4.2", "RCLIENT42", "append"},
                                           VersionCase{"FIX.4.4", "RCLIENT44", "append"}),
                         [](const auto& info) {
                           return std::string(info.param.beginString == std::string("FIX.4.2")
                                                  ? "FIX42_"
                                                  : "FIX44_") +
                                  info.param.store;
                         });

TEST_P(FixStoreRestartTest, ReportsMissedAcrossAGatewayRestartAreResentAsPossDup) {
  // ---- first life: logon, one order, its ack, logout ----
  startAcceptor();
  {
    auto& c = newClient();
    ASSERT_TRUE(c.logon());
    OrderFields o;
    o.clOrdId = "C-1";
    c.send(c.newOrder(o));
    auto ack = c.waitFor(execWithId("EX-C-1-NEW"));
    ASSERT_TRUE(ack) << "no ExecutionReport New for C-1";
    EXPECT_FALSE(FixTestClient::has(*ack, 43));
    c.logout();
    ASSERT_TRUE(engine_.waitLogouts(1));
    client_.reset();
  }
  auto order = engine_.order("C-1");
  ASSERT_TRUE(order);
  stopAcceptor();

  const int senderBefore = nextSenderStored();
  EXPECT_GT(senderBefore, 2);  // Logon, ExecutionReport, Logout at least
  EXPECT_EQ(storedWith("EX-C-1-NEW"), 1);

  // ---- second life: same schema; reports while the client is away ----
  startAcceptor();
  auto fill1 = report(*order, "EX-C-1-FILL1", ExecType::Trade, OrdStatus::PartiallyFilled);
  fill1.lastQty = Qty::of("40");
  fill1.lastPx = Price::of("100.25");
  fill1.cumQty = Qty::of("40");
  fill1.leavesQty = Qty::of("60");
  fill1.avgPx = Price::of("100.25");
  auto fill2 = fill1;
  fill2.execId = ExecId("EX-C-1-FILL2");
  fill2.ordStatus = OrdStatus::Filled;
  fill2.lastQty = Qty::of("60");
  fill2.cumQty = Qty::of("100");
  fill2.leavesQty = Qty{};
  acceptor_->deliver(fill1);
  acceptor_->deliver(fill2);
  // Stored for resend, under numbers continuing the first life's.
  EXPECT_EQ(storedWith("EX-C-1-FILL1"), 1);
  EXPECT_EQ(storedWith("EX-C-1-FILL2"), 1);
  EXPECT_EQ(seqStoredWith("EX-C-1-FILL1"), senderBefore);

  // ---- the client comes back without reset ----
  auto& c = newClient();
  ASSERT_TRUE(c.logon());
  auto r1 = c.waitFor(execWithId("EX-C-1-FILL1"));
  auto r2 = c.waitFor(execWithId("EX-C-1-FILL2"));
  ASSERT_TRUE(r1) << "missed report EX-C-1-FILL1 was not resent";
  ASSERT_TRUE(r2) << "missed report EX-C-1-FILL2 was not resent";
  EXPECT_EQ(f(*r1, 43), "Y") << FixTestClient::text(*r1);
  EXPECT_EQ(f(*r2, 43), "Y") << FixTestClient::text(*r2);
  EXPECT_TRUE(FixTestClient::has(*r1, 122)) << "OrigSendingTime missing on a resend";
  EXPECT_EQ(std::stoi(f(*r1, 34)), senderBefore);
  EXPECT_EQ(std::stoi(f(*r2, 34)), senderBefore + 1);
  EXPECT_EQ(f(*r2, 39), "2");
  EXPECT_EQ(f(*r2, 14), "100");

  // Neither side reset: the gateway's Logon continued its numbering, and the
  // client asked for exactly what it missed.
  auto logon = c.waitFor(FixTestClient::isType("A"));
  ASSERT_TRUE(logon);
  EXPECT_NE(f(*logon, 141), "Y");
  EXPECT_GT(std::stoi(f(*logon, 34)), senderBefore + 1);
  for (const auto& m : c.received()) {
    EXPECT_NE(f(m, 17), "EX-C-1-NEW")
        << "already received before the restart: " << FixTestClient::text(m);
  }

  // And the session carries on: a new order is acknowledged normally.
  OrderFields o2;
  o2.clOrdId = "C-2";
  c.send(c.newOrder(o2));
  auto ack2 = c.waitFor(execWithId("EX-C-2-NEW"));
  ASSERT_TRUE(ack2);
  EXPECT_FALSE(FixTestClient::has(*ack2, 43));
}

// ---- configuration ------------------------------------------------------------

class EmptySink final : public CommandSink {
 public:
  void submit(Command) override {}
};

TEST(FixStoreConfigTest, PostgresStoreWithoutConninfoIsRefusedByName) {
  EmptySink sink;
  FixAcceptorConfig cfg;
  cfg.port = pickFreePort();
  cfg.sessions = {{"FIX.4.4", "CFGCLIENT"}};
  cfg.specDir = FIXGW_SPEC_DIR;
  cfg.storeType = "postgres";
  FixAcceptor a(cfg, sink);
  try {
    a.start();
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("storeConninfo"), std::string::npos) << e.what();
  }
}

TEST(FixStoreConfigTest, UnreachableStoreDatabaseFailsStartWithoutThePassword) {
  EmptySink sink;
  FixAcceptorConfig cfg;
  cfg.port = pickFreePort();
  cfg.sessions = {{"FIX.4.4", "CFGCLIENT"}};
  cfg.specDir = FIXGW_SPEC_DIR;
  cfg.storeType = "postgres";
  cfg.storeConninfo = "host=127.0.0.1 port=1 user=x password=hunter2 connect_timeout=5";
  FixAcceptor a(cfg, sink);
  try {
    a.start();
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("PostgreSQL FIX session store"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
}

TEST(FixStoreConfigTest, UnknownStoreTypeNamesTheChoices) {
  EmptySink sink;
  FixAcceptorConfig cfg;
  cfg.port = pickFreePort();
  cfg.sessions = {{"FIX.4.4", "CFGCLIENT"}};
  cfg.specDir = FIXGW_SPEC_DIR;
  cfg.storeType = "redis";
  FixAcceptor a(cfg, sink);
  try {
    a.start();
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'postgres'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fixgw::fix
