// fix.engine_inline (core/executor.h, Engine::submit): a command submitted
// while the engine loop is idle runs on the submitting thread, holding the
// loop's token, instead of being handed to the loop thread.
//
// * The same scenario (direct orders that rest, fill and cancel, a TWAP whose
//   slices are timers, the simulator on the engine's loop) gives exactly the
//   same reports and journal with the switch on and off.
// * On a real threaded loop, two sessions submitting at once (with the loop's
//   timers and the simulator's venue events in between) never run engine work
//   on two threads at once, and every report is produced by a thread that
//   holds the loop's token.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "core/executor.h"
#include "core/journal.h"
#include "router/engine.h"
#include "tests/sim/sim_test_util.h"
#include "venue_adapters/sim/sim_venue.h"

namespace fixgw::router {
namespace {

const SessionKey kSessA("FIX.4.4:FIXGW->CLIENTA");
const SessionKey kSessB("FIX.4.4:FIXGW->CLIENTB");

risk::RiskConfig riskCfg() {
  risk::RiskConfig c;
  c.defaults.maxOrderQty = Qty::of("1000");
  c.defaults.priceBandPct = Price::of("20");
  return c;
}

std::string show(const ClientReport& cr) {
  std::ostringstream o;
  if (const auto* r = std::get_if<ExecReport>(&cr)) {
    o << "ER " << r->session.str() << ' ' << r->orderId.str() << ' ' << r->execId.str() << ' '
      << r->clOrdId.str() << ' ' << static_cast<int>(r->execType) << ' '
      << static_cast<int>(r->ordStatus) << ' ' << r->lastQty.str() << '@' << r->lastPx.str()
      << ' ' << r->cumQty.str() << '/' << r->leavesQty.str() << ' ' << r->avgPx.str() << ' '
      << r->transactTime << ' ' << r->text;
  } else if (const auto* c = std::get_if<CancelReject>(&cr)) {
    o << "CXLREJ " << c->clOrdId.str() << ' ' << c->text;
  } else {
    o << "other " << cr.index();
  }
  return o.str();
}

std::string show(const JournalRecord& jr) {
  std::ostringstream o;
  o << jr.index() << ' ';
  if (const auto* r = std::get_if<OrderRec>(&jr)) {
    o << r->orderId.str() << ' ' << r->clOrdId.str() << ' ' << static_cast<int>(r->status) << ' '
      << r->cumQty.str() << '/' << r->leavesQty.str() << ' ' << r->updatedAt << ' ' << r->created;
  } else if (const auto* e = std::get_if<OrderEventRec>(&jr)) {
    o << e->seq << ' ' << e->orderId.str() << ' '
      << (e->childOrderId ? e->childOrderId->str() : "-") << ' ' << e->eventType << ' '
      << static_cast<int>(e->status) << ' ' << (e->execId ? e->execId->str() : "-") << ' '
      << e->cumQty.str() << ' ' << e->ts << ' ' << e->reasonCode;
  } else if (const auto* x = std::get_if<ExecutionRec>(&jr)) {
    o << x->execId.str() << ' ' << x->orderId.str() << ' ' << x->lastQty.str() << '@'
      << x->lastPx.str() << ' ' << x->ts;
  } else if (const auto* t = std::get_if<TcaRec>(&jr)) {
    o << t->orderId.str() << ' ' << t->filledQty.str() << ' ' << t->completedAt;
  }
  return o.str();
}

struct Recorded {
  std::vector<std::string> reports;
  std::vector<std::string> journal;
};

struct Reports final : ReportSink {
  std::vector<ClientReport> all;
  void deliver(const ClientReport& r) override { all.push_back(r); }
};

// One engine with the simulator on its loop, in virtual time (no thread).
struct VirtualGateway {
  explicit VirtualGateway(bool engineInline) {
    loop.setInline(engineInline);
    sim::SimConfig cfg;
    cfg.stepIntervalNanos = 0;
    cfg.sharedLoop = &loop;
    cfg.levelQty = Qty::of("100");
    venue = std::make_unique<sim::SimVenue>(VenueId("SIM"), cfg, instruments, clock);
    engine = std::make_unique<Engine>(
        loop, clock, risk, RoutingTable(RoutingConfig{{}, VenueId("SIM")}, {VenueId("SIM")}),
        std::map<VenueId, VenueAdapter*>{{VenueId("SIM"), venue.get()}}, journal, reports, "t");
    engine->setAckMode(AckMode::Async);
    venue->start(*engine);
    settle();
  }
  ~VirtualGateway() {
    venue->stop();
    loop.runDue();
  }
  void settle() {
    for (int i = 0; i < 20 && loop.runDue() > 0; ++i) {
    }
  }
  void send(const SessionKey& s, const char* clOrdId, Side side, const char* qty, const char* px,
            bool twap = false) {
    NewOrder n;
    n.hdr.session = s;
    n.hdr.receivedAt = clock.wallNow();
    n.clOrdId = ClOrdId(clOrdId);
    n.account = Account("ACC1");
    n.symbol = Symbol("AAPL");
    n.side = side;
    n.ordType = OrdType::Limit;
    n.qty = Qty::of(qty);
    n.price = Price::of(px);
    if (twap) {
      AlgoOrderFields a;
      a.targetStrategy = "TWAP";
      a.price = px;
      a.expireTime = formatFixTimestamp(clock.wallNow() + 20'000'000'000LL);
      a.strategyParameters.push_back({"SliceInterval", "1", "5"});
      auto d = std::make_shared<OrderDetails>();
      d->algo = std::move(a);
      n.details = d;
    }
    engine->submit(std::move(n));
    if (autoSettle) settle();
  }
  void cancel(const SessionKey& s, const char* clOrdId, const char* orig) {
    CancelOrder c;
    c.hdr.session = s;
    c.clOrdId = ClOrdId(clOrdId);
    c.origClOrdId = ClOrdId(orig);
    c.symbol = Symbol("AAPL");
    engine->submit(std::move(c));
    if (autoSettle) settle();
  }

  // Orders that rest, fill (crossing the simulator's book) and are cancelled,
  // and a TWAP whose slices are the loop's timers. With the switch off each
  // submit only posts (settle() runs it); with it on, it runs at once, and
  // what it posted (the simulator's venue events) before submit returns.
  // Each command arrives at an idle loop (settled after each): two commands
  // queued together interleave with each other's venue events differently
  // (both in one batch, then the events), as two commands arriving at
  // different times do on the queued path too.
  Recorded play() {
    send(kSessA, "A1", Side::Buy, "5", "90");
    settle();
    send(kSessB, "B1", Side::Sell, "5", "120");
    send(kSessA, "A2", Side::Buy, "150", "100.05");  // crosses: fills against the book
    settle();
    clock.advance(1'000'000'000);
    send(kSessA, "T1", Side::Buy, "200", "100.05", true);
    settle();
    for (int i = 0; i < 5; ++i) {
      clock.advance(5'000'000'000);
      settle();
      send(kSessB, ("B" + std::to_string(i + 2)).c_str(), Side::Sell, "3", "99.90");
      settle();
    }
    cancel(kSessA, "A1-X", "A1");
    cancel(kSessB, "B1-X", "B1");
    cancel(kSessB, "NOPE-X", "NOPE");  // unknown order: a cancel reject
    settle();
    clock.advance(2'000'000'000);
    settle();
    Recorded r;
    for (const auto& c : reports.all) r.reports.push_back(show(c));
    for (const auto& j : journal.records) r.journal.push_back(show(j));
    return r;
  }

  bool autoSettle = true;  // settle() after every command
  ManualClock clock;
  EventLoop loop{clock};
  InstrumentMaster instruments = sim::testing::productInstruments();
  risk::RiskEngine risk{riskCfg(), instruments};
  std::unique_ptr<sim::SimVenue> venue;
  MemoryJournal journal;
  Reports reports;
  std::unique_ptr<Engine> engine;
};

TEST(EngineInline, SameReportsAndJournalAsTheQueuedPath) {
  Recorded queued, inlined;
  {
    VirtualGateway g(false);
    queued = g.play();
  }
  {
    VirtualGateway g(true);
    inlined = g.play();
  }
  ASSERT_GT(queued.reports.size(), 10u);
  ASSERT_GT(queued.journal.size(), 20u);
  EXPECT_EQ(inlined.reports, queued.reports);
  EXPECT_EQ(inlined.journal, queued.journal);
  for (size_t i = 0; i < std::min(inlined.journal.size(), queued.journal.size()); ++i) {
    if (inlined.journal[i] == queued.journal[i]) continue;
    ADD_FAILURE() << "journal record " << i << ": inline '" << inlined.journal[i] << "', queued '"
                  << queued.journal[i] << "'";
    break;
  }
  // The scenario exercised fills and the cancel reject.
  bool fill = false, cxlRej = false;
  for (const auto& s : queued.reports) {
    fill |= s.rfind("ER ", 0) == 0 && s.find(" 0/") == std::string::npos &&
            s.find(" 0@") == std::string::npos;
    cxlRej |= s.rfind("CXLREJ", 0) == 0;
  }
  EXPECT_TRUE(fill);
  EXPECT_TRUE(cxlRej);
}

TEST(EngineInline, SubmitRunsOnTheCallersThreadOnlyWhenSwitchedOn) {
  for (bool on : {false, true}) {
    VirtualGateway g(on);
    g.autoSettle = false;
    const size_t before = g.reports.all.size();
    g.send(kSessA, "X1", Side::Buy, "1", "90");
    // Inline: the ack is out before submit returns. Queued: only after the loop ran.
    EXPECT_EQ(g.reports.all.size(), before + (on ? 1u : 0u)) << "inline " << on;
    g.settle();
    EXPECT_EQ(g.reports.all.size(), before + 1u) << "inline " << on;
  }
}

// Checks that engine work never runs on two threads at once and always on a
// thread holding the loop's token.
struct ExclusiveReports final : ReportSink {
  explicit ExclusiveReports(const EventLoop& l) : loop(l) {}
  void deliver(const ClientReport& r) override {
    if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
    if (!loop.runningHere()) offToken.fetch_add(1);
    if (const auto* er = std::get_if<ExecReport>(&r)) {
      if (er->session == kSessA)
        a.push_back(*er);
      else
        b.push_back(*er);
    }
    if (std::this_thread::get_id() != loopThread) ++inlineReports;
    inside.fetch_sub(1);
  }
  const EventLoop& loop;
  std::thread::id loopThread;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> offToken{0};
  size_t inlineReports = 0;
  std::vector<ExecReport> a, b;
};

TEST(EngineInline, TwoSessionsTimersAndVenueEventsOnAThreadedLoop) {
  const InstrumentMaster instruments = sim::testing::productInstruments();
  risk::RiskEngine risk{riskCfg(), instruments};
  EventLoop loop;
  loop.setInline(true);
  sim::SimConfig cfg;
  cfg.stepIntervalNanos = 1'000'000;  // the simulator's market steps: timers every ms
  cfg.sharedLoop = &loop;
  cfg.levelQty = Qty::of("100");
  sim::SimVenue venue(VenueId("SIM"), cfg, instruments, SystemClock::instance());
  MemoryJournal journal;
  ExclusiveReports reports(loop);
  Engine engine(loop, SystemClock::instance(), risk,
                RoutingTable(RoutingConfig{{}, VenueId("SIM")}, {VenueId("SIM")}),
                {{VenueId("SIM"), &venue}}, journal, reports, "s");
  engine.setAckMode(AckMode::Async);
  venue.start(engine);
  loop.start("engine");
  loop.sync([&] { reports.loopThread = std::this_thread::get_id(); });
  // A timer of the test's own, re-armed from the loop: more timer work in between.
  std::atomic<bool> ticking{true};
  std::atomic<int> ticks{0};
  std::function<void()> tick = [&] {
    if (!ticking.load()) return;
    ticks.fetch_add(1);
    loop.postAfter(200'000, tick);
  };
  loop.post(tick);

  constexpr int kOrders = 400;
  auto client = [&](const SessionKey& s, const char* prefix, Side side) {
    for (int i = 0; i < kOrders; ++i) {
      NewOrder n;
      n.hdr.session = s;
      n.hdr.receivedAt = SystemClock::instance().wallNow();
      n.clOrdId = ClOrdId(std::string(prefix) + std::to_string(i));
      n.account = Account(side == Side::Buy ? "ACC1" : "ACC2");
      n.symbol = Symbol("AAPL");
      n.side = side;
      n.ordType = OrdType::Limit;
      n.qty = Qty::of("1");
      // Every 4th order crosses the simulator's book (fills: venue events), the rest rest.
      n.price = Price::of(i % 4 == 0 ? (side == Side::Buy ? "100.50" : "99.50")
                                     : (side == Side::Buy ? "95" : "105"));
      engine.submit(std::move(n));
      if (i % 10 == 9) {
        CancelOrder c;
        c.hdr.session = s;
        c.clOrdId = ClOrdId(std::string(prefix) + std::to_string(i) + "-X");
        c.origClOrdId = ClOrdId(std::string(prefix) + std::to_string(i));
        c.symbol = Symbol("AAPL");
        engine.submit(std::move(c));
      }
      if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::thread ta(client, kSessA, "A", Side::Buy);
  std::thread tb(client, kSessB, "B", Side::Sell);
  ta.join();
  tb.join();
  ticking.store(false);
  loop.sync([] {});
  venue.stop();
  loop.sync([] {});
  loop.stop();

  EXPECT_EQ(reports.overlaps.load(), 0);
  EXPECT_EQ(reports.offToken.load(), 0);
  EXPECT_GT(ticks.load(), 0);
  // Every order acknowledged once, per session in submission order; a cancel
  // never before its order's ack.
  for (const auto* v : {&reports.a, &reports.b}) {
    int acks = 0;
    std::set<std::string> acked;
    for (const auto& r : *v) {
      if (r.execType == ExecType::New) {
        EXPECT_TRUE(acked.insert(r.clOrdId.str()).second) << r.clOrdId.str();
        // A0, A1, ...: acks in the order the session submitted.
        EXPECT_EQ(r.clOrdId.str().substr(1), std::to_string(acks)) << r.clOrdId.str();
        ++acks;
      }
      if (r.execType == ExecType::Canceled) {
        EXPECT_TRUE(acked.count(r.origClOrdId ? r.origClOrdId->str() : "")) << r.clOrdId.str();
      }
    }
    EXPECT_EQ(acks, kOrders);
  }
  int received = 0;
  for (const auto& j : journal.records)
    if (const auto* e = std::get_if<OrderEventRec>(&j); e && e->eventType == "RECEIVED") ++received;
  EXPECT_EQ(received, 2 * kOrders);
}

}  // namespace
}  // namespace fixgw::router
