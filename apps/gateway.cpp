#include "apps/gateway.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "apps/admin.h"
#include "core/executor.h"
#include "fix_acceptor/fix_acceptor.h"
#include "risk/risk.h"
#include "router/engine.h"
#include "venue_adapters/registry.h"
#include "store/migrate.h"
#include "store/session_lease.h"
#include "store/pg_journal.h"
#include "store/recovery.h"
#include "venue_adapters/binance/adapter.h"
#include "venue_adapters/fix/fix_venue.h"
#include "venue_adapters/ibkr_tws/adapter.h"
#include "venue_adapters/sim/sim_venue.h"

namespace fixgw {

void registerBuiltinVenues(venues::VenueRegistry& reg) {
  reg.registerType("sim", [](const venues::VenueContext& ctx, venues::ParamReader& p) {
    sim::SimConfig c;
    c.seed = static_cast<uint64_t>(p.integer("seed", static_cast<int64_t>(c.seed)));
    c.latencyNanos = p.integer("latency_us", c.latencyNanos / 1000) * 1000;
    c.stepIntervalNanos = p.integer("step_interval_ms", c.stepIntervalNanos / 1'000'000) * 1'000'000;
    c.volatilityBps = p.number("volatility_bps", c.volatilityBps);
    c.depthLevels = static_cast<int>(p.integer("depth_levels", c.depthLevels));
    c.levelQtyLots = p.integer("level_qty_lots", c.levelQtyLots);
    c.spreadTicks = static_cast<int>(p.integer("spread_ticks", c.spreadTicks));
    // "engine": run on the engine's loop (no thread hop per order); "own": a
    // thread of its own, like a remote venue.
    const std::string thread = p.str("thread").value_or("own");
    if (thread == "engine") {
      c.sharedLoop = ctx.engineLoop;
    } else if (thread != "own") {
      throw std::invalid_argument(ctx.configPath + ".params.thread: '" + thread +
                                  "' is not one of own, engine");
    }
    if (c.latencyNanos < 0 || c.stepIntervalNanos <= 0 || c.volatilityBps < 0 ||
        c.depthLevels <= 0 || c.levelQtyLots <= 0 || c.spreadTicks <= 0)
      throw std::invalid_argument(ctx.configPath +
                                  ".params: latency_us >= 0, step_interval_ms > 0, "
                                  "volatility_bps >= 0, depth_levels/level_qty_lots/spread_ticks > 0");
    return sim::makeSimVenue(ctx.id, c, ctx.instruments, ctx.clock);
  });
  reg.registerType("ibkr_tws", tws::makeTwsVenue);
  reg.registerType("fix", fixvenue::makeFixVenue);
  reg.registerType("binance", binance::makeBinanceVenueFromConfig);
}

namespace {
// Journals every raw FIX message in and out (fix_message_chunks / v_fix_messages). Called
// from FIX session threads and the sending thread; the journal queue is
// thread-safe.
class FixMessageJournal final : public fix::FixMessageSink {
 public:
  FixMessageJournal(Journal& j, const Clock& c) : journal_(j), clock_(c) {}
  void onFixMessage(const SessionKey& session, bool inbound, const std::string& raw) override {
    FixMessageRec m;
    m.session = session;
    m.inbound = inbound;
    m.msgType = tagValue(raw, "\x01" "35=");
    std::string seq = tagValue(raw, "\x01" "34=");
    m.msgSeqNum = seq.empty() ? 0 : std::atoi(seq.c_str());
    m.raw = raw;
    m.ts = clock_.wallNow();
    journal_.append(std::move(m));
  }

 private:
  static std::string tagValue(const std::string& raw, const char* needle) {
    size_t p = raw.find(needle);
    if (p == std::string::npos) return {};
    p += std::strlen(needle);
    size_t e = raw.find('\x01', p);
    return raw.substr(p, e == std::string::npos ? std::string::npos : e - p);
  }
  Journal& journal_;
  const Clock& clock_;
};

// The engine needs a ReportSink at construction and the acceptor needs the
// engine as its CommandSink: this relay breaks the cycle.
class ReportRelay final : public ReportSink {
 public:
  void deliver(const ClientReport& r) override {
    if (ReportSink* t = target.load()) t->deliver(r);
  }
  std::atomic<ReportSink*> target{nullptr};
};
}  // namespace

struct Gateway::Impl {
  config::GatewayConfig cfg;
  EventLoop loop{SystemClock::instance()};
  std::unique_ptr<store::SessionLease> lease;
  // Checks the leases every few seconds (a PostgreSQL restart drops them silently) and halts
  // trading if another node took a session meanwhile.
  std::thread leaseWatch;
  std::mutex leaseMu;
  std::condition_variable leaseCv;
  bool leaseWatchStop = false;
  std::unique_ptr<store::PgJournal> journal;
  std::map<VenueId, std::unique_ptr<VenueAdapter>> venues;
  std::unique_ptr<risk::RiskEngine> risk;
  std::unique_ptr<router::Engine> engine;
  ReportRelay relay;
  std::unique_ptr<FixMessageJournal> messageLog;
  std::unique_ptr<fix::FixAcceptor> acceptor;
  admin::Backend adminBackend;
  std::unique_ptr<admin::AdminServer> admin;
  bool started = false;
};

Gateway::Gateway(config::GatewayConfig cfg) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(cfg);
}

Gateway::~Gateway() { stop(); }

const config::GatewayConfig& Gateway::config() const { return impl_->cfg; }

void Gateway::start() {
  Impl& m = *impl_;
  const auto& cfg = m.cfg;
  const Clock& clock = SystemClock::instance();

  auto applied = store::migrate(cfg.database.conninfo, cfg.database.schemaDir);
  for (const auto& a : applied) spdlog::info("schema migration applied: {}", a);

  // This node's claim on its FIX sessions before anything of theirs is read or written: a
  // second gateway on the same database and sessions stops here instead of running them twice.
  std::vector<std::string> sessionKeys;
  for (const auto& s : cfg.fix.sessions)
    sessionKeys.push_back(s.beginString + ":" + cfg.fix.senderCompId + "->" + s.targetCompId);
  m.lease = std::make_unique<store::SessionLease>(cfg.database.conninfo);
  m.lease->acquire(sessionKeys);
  spdlog::info("holding the lease of {} FIX session(s)", m.lease->held());

  store::PgJournalConfig jc;
  jc.conninfo = cfg.database.conninfo;
  jc.maxBatch = cfg.database.maxBatch;
  jc.flushIntervalNanos = cfg.database.flushIntervalNanos;
  jc.pipelineMinRecords = cfg.database.pipelineMinRecords;
  m.journal = std::make_unique<store::PgJournal>(jc);
  m.journal->start();

  venues::VenueRegistry registry;
  registerBuiltinVenues(registry);
  std::map<VenueId, VenueAdapter*> venuePtrs;
  std::set<VenueId> names;
  for (size_t i = 0; i < cfg.venues.size(); ++i) {
    const auto& vc = cfg.venues[i];
    venues::VenueContext ctx{VenueId(vc.name), cfg.instruments, clock,
                             "venues[" + std::to_string(i) + "]", cfg.database.conninfo,
                             &m.loop};
    auto adapter = registry.create(vc.type, ctx, vc.params);
    venuePtrs[ctx.id] = adapter.get();
    names.insert(ctx.id);
    m.venues[ctx.id] = std::move(adapter);
  }

  m.risk = std::make_unique<risk::RiskEngine>(cfg.risk, cfg.instruments);
  m.risk->setJournal(m.journal.get());
  // Reference price after the last trade: the first venue quoting the symbol.
  m.risk->setReferenceSource([venues = venuePtrs](const Symbol& s) -> std::optional<Price> {
    for (const auto& [id, v] : venues)
      if (auto p = v->referencePrice(s)) return p;
    return std::nullopt;
  });
  router::RoutingTable routing(cfg.routing, names);
  m.engine = std::make_unique<router::Engine>(
      m.loop, clock, *m.risk, std::move(routing), venuePtrs, *m.journal, m.relay,
      router::IdGenerator::prefixFromTime(clock.wallNow()));
  // Recovery: everything the journal knows comes back before any traffic.
  router::RecoveredState recovered = store::loadRecoveredState(cfg.database.conninfo);
  const WallNanos reconcileSince = recovered.lastEventTime ? recovered.lastEventTime - 60'000'000'000 : 0;
  m.engine->restore(std::move(recovered));
  m.engine->setAckMode(cfg.database.ackMode == "async" ? router::AckMode::Async
                                                       : router::AckMode::Durable);
  spdlog::info("acknowledgements: {}", cfg.database.ackMode);
  std::unordered_set<SessionKey> cod;
  for (const auto& sc : cfg.fix.sessions)
    if (sc.cancelOnDisconnect)
      cod.insert(SessionKey(sc.beginString + ":" + cfg.fix.senderCompId + "->" + sc.targetCompId));
  m.engine->setCancelOnDisconnect(std::move(cod));
  m.engine->setTcaMarketData(cfg.tca.subscribeMarketData);
  m.engine->setTcaPrintGrace(cfg.tca.printGraceMs * 1'000'000);
  m.loop.start("engine");
  for (auto& [id, v] : m.venues) {
    v->start(*m.engine);
    spdlog::info("venue {} started", id.str());
  }
  m.loop.sync([&] { m.engine->reconcileAll(reconcileSince); });

  fix::FixAcceptorConfig fc;
  fc.host = cfg.fix.host;
  fc.port = cfg.fix.port;
  fc.senderCompId = cfg.fix.senderCompId;
  for (const auto& s : cfg.fix.sessions) fc.sessions.push_back({s.beginString, s.targetCompId});
  fc.specDir = cfg.fix.specDir;
  fc.storeType = cfg.fix.storeType;
  fc.storePath = cfg.fix.storePath;
  fc.storeConninfo = cfg.fix.storeConninfo;
  if (cfg.fix.messageLog == "database") {
    m.messageLog = std::make_unique<FixMessageJournal>(*m.journal, clock);
    fc.messageSink = m.messageLog.get();
  }
  fc.logPath = cfg.fix.logPath;
  fc.heartBtInt = cfg.fix.heartBtInt;
  fc.resetOnLogon = cfg.fix.resetOnLogon;
  m.acceptor = std::make_unique<fix::FixAcceptor>(fc, *m.engine);
  m.relay.target = m.acceptor.get();
  m.acceptor->start();
  m.started = true;
  startLeaseWatch();
  startAdmin();
  spdlog::info("fixgw listening for FIX on {}:{} as {} ({} sessions)", fc.host, fc.port,
               fc.senderCompId, fc.sessions.size());
}

void Gateway::startLeaseWatch() {
  Impl& m = *impl_;
  {
    std::lock_guard lk(m.leaseMu);
    m.leaseWatchStop = false;
  }
  m.leaseWatch = std::thread([&m] {
    bool halted = false;
    std::unique_lock lk(m.leaseMu);
    while (!m.leaseCv.wait_for(lk, std::chrono::seconds(2), [&m] { return m.leaseWatchStop; })) {
      lk.unlock();
      if (!m.lease->check()) {
        spdlog::critical("session leases lost (lease connection to PostgreSQL broken or its locks "
                         "gone); taking them again");
        if (m.lease->reacquire()) {
          spdlog::warn("session leases held again ({} sessions)", m.lease->held());
        } else if (!halted) {
          halted = true;
          spdlog::critical("session leases could not be taken again: another gateway may run "
                           "these FIX sessions now; trading HALTED (new orders rejected, "
                           "cancels accepted). Resume with `fixgw admin` once resolved");
          m.loop.post([&m] {
            m.engine->setTradingState(risk::ScopeKind::Global, "", risk::TradingState::Halted,
                                      "fixgw", "LEASE_LOST: FIX session leases lost", false);
          });
        }
      }
      lk.lock();
    }
  });
}

int Gateway::leaseBackendPid() const { return impl_->lease ? impl_->lease->backendPid() : 0; }

void Gateway::startAdmin() {
  Impl& m = *impl_;
  const auto& rc = m.cfg.risk;
  std::string path = rc.adminSocketPath;
  if (const char* e = std::getenv("FIXGW_ADMIN_SOCKET"); e && *e) path = e;
  if (path.empty()) {
    spdlog::info("admin: no risk.admin.socket_path; kill switch only from config");
    return;
  }
  std::optional<std::string> token = admin::loadToken(rc.adminTokenFile);
  if (!token) {
    spdlog::warn("admin: no token (FIXGW_ADMIN_TOKEN or risk.admin.token_file): the admin "
                 "socket stays closed");
    return;
  }
  m.adminBackend.engine = m.engine.get();
  m.adminBackend.onEngine = [&m](std::function<void()> f) { m.loop.sync(std::move(f)); };
  m.adminBackend.loadRiskConfig = [&m] {
    if (m.cfg.path.empty()) throw std::runtime_error("the gateway was not started from a file");
    return config::loadConfig(m.cfg.path).risk;
  };
  m.admin = std::make_unique<admin::AdminServer>(
      path, *token, [&m](const std::string& req) { return admin::handle(req, m.adminBackend); });
  m.admin->start();
}

void Gateway::quiesce() {
  Impl& m = *impl_;
  if (!m.started) return;
  m.loop.sync([] {});
  m.journal->flush();
}

void Gateway::stop() {
  Impl& m = *impl_;
  if (!m.started) return;
  m.started = false;
  if (m.admin) m.admin->stop();
  {
    std::lock_guard lk(m.leaseMu);
    m.leaseWatchStop = true;
  }
  m.leaseCv.notify_all();
  if (m.leaseWatch.joinable()) m.leaseWatch.join();
  spdlog::info("fixgw stopping: closing FIX sessions");
  m.acceptor->stop();
  for (auto& [id, v] : m.venues) v->stop();
  m.loop.sync([&m] { m.engine->flushTca(); });  // TCA rows still in their print grace
  m.loop.sync([] {});
  m.loop.stop();
  m.relay.target = nullptr;
  spdlog::info("fixgw stopping: draining the journal");
  m.journal->flush();
  m.journal->stop();
  auto st = m.journal->stats();
  spdlog::info("fixgw stopped: journal wrote {} records in {} batches ({} failed attempts)",
               st.records, st.batches, st.failures);
  // Only now, with everything journaled, may another node take the sessions over.
  m.lease.reset();
}

}  // namespace fixgw
