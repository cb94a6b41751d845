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
#include <variant>

#include "apps/admin.h"
#include "apps/admin_fix.h"
#include "apps/admin_http.h"
#include "core/metrics.h"
#include "core/executor.h"
#include "core/output_cork.h"
#include "core/log.h"
#include "fix_acceptor/drop_copy.h"
#include "fix_acceptor/fix_acceptor.h"
#include "risk/risk.h"
#include "router/engine.h"
#include "venue_adapters/registry.h"
#include "store/migrate.h"
#include "store/session_lease.h"
#include "store/pg_journal.h"
#include "store/drop_copy_store.h"
#include "store/recovery.h"
#include "venue_adapters/binance/adapter.h"
#include "venue_adapters/bybit/adapter.h"
#include "venue_adapters/coinbase/adapter.h"
#include "venue_adapters/fix/fix_venue.h"
#include "venue_adapters/ibkr_tws/adapter.h"
#include "venue_adapters/kraken/adapter.h"
#include "venue_adapters/okx/adapter.h"
#include "venue_adapters/alpaca/adapter.h"
#include "venue_adapters/sim/sim_venue.h"

namespace fixgw {

void installLogging(const config::LoggingCfg& l) {
  log::LogSetup s;
  s.level = l.level;
  s.file = l.file;
  s.json = l.format == "json";
  s.maxSizeBytes = static_cast<size_t>(l.maxSizeMb) * 1024 * 1024;
  s.maxFiles = static_cast<size_t>(l.maxFiles);
  log::install(s);
}

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
    c.midOffsetTicks = p.integer("mid_offset_ticks", c.midOffsetTicks);
    // Fees as exact decimals ("0.3"): a bad one is named, never guessed.
    for (auto [key, out] :
         {std::pair{"taker_fee_bps", &c.takerFeeBps}, std::pair{"maker_fee_bps", &c.makerFeeBps}}) {
      if (auto f = p.str(key)) {
        auto v = sim::FeeBps::parse(*f);
        if (!v || *v > sim::FeeBps::fromInt(1000) || *v < sim::FeeBps::fromInt(-1000))
          throw std::invalid_argument(ctx.configPath + ".params." + key + ": '" + *f +
                                      "' is not a fee in bps (-1000..1000, at most 8 decimals)");
        *out = *v;
      }
    }
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
  reg.registerType("coinbase", coinbase::makeCoinbaseVenueFromConfig);
  reg.registerType("kraken", kraken::makeKrakenVenueFromConfig);
  reg.registerType("okx", okx::makeOkxVenueFromConfig);
  reg.registerType("alpaca", alpaca::makeAlpacaVenueFromConfig);
  reg.registerType("bybit", bybit::makeBybitVenueFromConfig);
}

namespace {
// Journals every raw FIX message in and out (fix_message_chunks / v_fix_messages). Called
// from FIX session threads and the sending thread; the journal queue is
// thread-safe.
class FixMessageJournal final : public fix::FixMessageSink {
 public:
  FixMessageJournal(Journal& j, const Clock& c) : journal_(j), clock_(c) {}
  void onFixMessage(const SessionKey& session, bool inbound, const std::string& raw) override {
    onFixMessageShared(session, inbound, SharedText(raw));
  }
  // Keeps the acceptor's buffer (for inbound messages the one the order row shares), no copy.
  void onFixMessageShared(const SessionKey& session, bool inbound, const SharedText& raw) override {
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

// fix.cork_max_tasks / engine_spin_us / engine_inline (issue 15): corked report
// output (0: off), the engine loop's poll before it parks, and commands run on
// their session's thread while the loop is idle (core/output_cork.h, core/executor.h).
void applyEngineLoopTuning(const config::FixCfg& f, EventLoop& loop) {
  cork::setEnabled(f.corkMaxTasks > 0);
  if (f.corkMaxTasks > 0) loop.setCorkTasks(static_cast<size_t>(f.corkMaxTasks));
  loop.setSpinNanos(f.engineSpinUs * 1000);
  loop.setInline(f.engineInline);
}

// fix.transport, hosts, limits, tls, auth and the sessions' allow_from /
// logon authentication (docs/fix-transport.md). Refused connections and
// logons are journaled as session events ("LOGON_REJECTED", "ADDRESS_REFUSED",
// ... with the address and reason); called from the FIX I/O threads, and the
// journal queue is thread-safe.
void applyFixTransportConfig(const config::FixCfg& f, fix::FixAcceptorConfig& fc, Journal* journal,
                             const Clock& clock) {
  fc.transport = f.transport;
  fc.hosts = f.hosts;
  fc.limits.maxConnections = static_cast<size_t>(f.maxConnections);
  fc.limits.logonTimeoutMs = static_cast<int>(f.logonTimeoutMs);
  fc.limits.maxMessageBytes = static_cast<size_t>(f.maxMessageBytes);
  fc.limits.messageTimeoutMs = static_cast<int>(f.messageTimeoutMs);
  fc.ioThreads = static_cast<int>(f.ioThreads);
  fc.tls = {f.tls.certFile, f.tls.keyFile, f.tls.caFile, f.tls.verifyClient};
  fc.credentialsFile = f.credentialsFile;
  fc.maxLogonFailures = static_cast<int>(f.maxLogonFailures);
  fc.logonFailureWindowMs = static_cast<int>(f.logonFailureWindowMs);
  for (size_t i = 0; i < f.sessions.size() && i < fc.sessions.size(); ++i) {
    fc.sessions[i].allowFrom = f.sessions[i].allowFrom;
    fc.sessions[i].requireLogonAuth = f.sessions[i].requireLogonAuth;
    fc.sessions[i].username = f.sessions[i].username;
  }
  if (!journal) return;
  fc.securitySink = [journal, &clock](const fix::SecurityEvent& e) {
    journal->append(SessionEventRec{SessionKey(e.session.empty() ? "-" : e.session),
                                    e.event + " from " + (e.address.empty() ? "?" : e.address) +
                                        ": " + e.detail,
                                    clock.wallNow()});
  };
}
// Counts every FIX message per session and direction for the admin API and
// /metrics (last message time, messages in/out), then hands it on to the
// message journal when there is one. Same threads as FixMessageSink.
class FixMessageTap final : public fix::FixMessageSink {
 public:
  explicit FixMessageTap(fix::FixMessageSink* next) : next_(next) {}
  void onFixMessage(const SessionKey& session, bool inbound, const std::string& raw) override {
    onFixMessageShared(session, inbound, SharedText(raw));
  }
  void onFixMessageShared(const SessionKey& session, bool inbound, const SharedText& raw) override {
    metrics::FixSessionMetrics& m = metrics::gateway().sessions.get(session.str());
    const WallNanos now = metrics::coarseWallNanos();
    if (inbound) {
      m.messagesIn.inc();
      m.lastInWallNanos.set(now);
    } else {
      m.messagesOut.inc();
      m.lastOutWallNanos.set(now);
    }
    if (next_) next_->onFixMessageShared(session, inbound, raw);
  }

 private:
  fix::FixMessageSink* next_;
};

// The engine needs a ReportSink at construction and the acceptor needs the
// engine as its CommandSink: this relay breaks the cycle. It is also where a
// report leaves for the client, so order outcomes and the ack latency are
// recorded here, and the blotter's live feed is fed from here.
class ReportRelay final : public ReportSink {
 public:
  void deliver(const ClientReport& r) override {
    if (const auto* er = std::get_if<ExecReport>(&r)) record(*er);
    if (ReportSink* t = target.load()) t->deliver(r);
    // Drop copies come from the journal; a report sent means a new row to read.
    if (fix::DropCopyPump* p = dropCopy.load(); p && std::holds_alternative<ExecReport>(r))
      p->poke();
  }
  std::atomic<ReportSink*> target{nullptr};
  std::atomic<fix::DropCopyPump*> dropCopy{nullptr};
  admin::EventHub* hub = nullptr;

 private:
  void record(const ExecReport& r) {
    auto& g = metrics::gateway();
    switch (r.execType) {
      case ExecType::New:
      case ExecType::Rejected:
        // The order's first answer: FIX in -> ExecutionReport out.
        if (r.receivedAt > 0 && !r.possResend)
          g.ackLatency.observe(SystemClock::instance().wallNow() - r.receivedAt);
        outcome(r.execType == ExecType::New ? "accepted" : "rejected").inc();
        break;
      case ExecType::Trade:
        if (r.ordStatus == OrdStatus::Filled) outcome("filled").inc();
        break;
      case ExecType::Canceled:
        outcome("canceled").inc();
        break;
      case ExecType::Expired:
        outcome("expired").inc();
        break;
      default:
        break;
    }
    if (hub && hub->hasSubscribers()) hub->publish("report", reportJson(r));
  }
  // The five outcomes resolved once: no label scan on the order path.
  metrics::Counter& outcome(const char* o) {
    auto& f = metrics::gateway().ordersByOutcome;
    switch (o[0]) {
      case 'a':
        return accepted_ ? *accepted_ : *(accepted_ = &f.get(o));
      case 'r':
        return rejected_ ? *rejected_ : *(rejected_ = &f.get(o));
      case 'f':
        return filled_ ? *filled_ : *(filled_ = &f.get(o));
      case 'c':
        return canceled_ ? *canceled_ : *(canceled_ = &f.get(o));
      default:
        return expired_ ? *expired_ : *(expired_ = &f.get(o));
    }
  }
  static std::string reportJson(const ExecReport& r) {
    auto q = [](std::string_view s) {
      std::string o = "\"";
      for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        if (static_cast<unsigned char>(c) >= 0x20) o += c;
      }
      return o + "\"";
    };
    std::string j = "{";
    auto kv = [&](const char* k, std::string_view v, bool last = false) {
      j += '"';
      j += k;
      j += "\":";
      j += q(v);
      if (!last) j += ',';
    };
    kv("order_id", r.orderId.str());
    kv("cl_ord_id", r.clOrdId.str());
    kv("session", r.session.str());
    kv("account", r.account.str());
    kv("symbol", r.symbol.str());
    kv("side", toString(r.side));
    kv("exec_type", toString(r.execType));
    kv("status", toString(r.ordStatus));
    kv("qty", r.orderQty.str());
    kv("price", r.price ? r.price->str() : std::string());
    kv("cum_qty", r.cumQty.str());
    kv("leaves_qty", r.leavesQty.str());
    kv("avg_px", r.avgPx.str());
    kv("last_qty", r.lastQty.str());
    kv("last_px", r.lastPx.str());
    kv("venue", r.lastMkt ? r.lastMkt->str() : std::string());
    kv("text", r.text);
    kv("transact_time_ns", std::to_string(r.transactTime), true);
    return j + "}";
  }
  // Written and read on the reporting thread only (the journal's callback
  // thread or the engine thread, one at a time per gateway).
  metrics::Counter *accepted_ = nullptr, *rejected_ = nullptr, *filled_ = nullptr,
                   *canceled_ = nullptr, *expired_ = nullptr;
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
  std::unique_ptr<FixMessageTap> messageTap;
  admin::EventHub hub;
  std::unique_ptr<admin::HttpServer> http;
  int metricsCollector = 0;
  std::unique_ptr<fix::FixAcceptor> acceptor;
  std::unique_ptr<store::PgDropCopySource> dropCopySource;
  std::unique_ptr<fix::DropCopyPump> dropCopy;
  admin::Backend adminBackend;
  std::unique_ptr<admin::AdminServer> admin;
  std::atomic<bool> started{false};  // read by the admin HTTP thread (readiness)
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
  if (cfg.sor.enabled()) m.engine->configureSor(cfg.sor);
  // Recovery: everything the journal knows comes back before any traffic.
  router::RecoveredState recovered = store::loadRecoveredState(
      cfg.database.conninfo, store::RecoveryScope{m.lease ? m.lease->backendPid() : 0});
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
  applyEngineLoopTuning(cfg.fix, m.loop);
  m.loop.start("engine");
  for (auto& [id, v] : m.venues) {
    v->start(*m.engine);
    metrics::gateway().venues.get(id.str()).connected.set(1);  // then its own events say
    spdlog::info("venue {} started", id.str());
  }
  m.loop.sync([&] { m.engine->reconcileAll(reconcileSince); });

  fix::FixAcceptorConfig fc;
  fc.host = cfg.fix.host;
  fc.port = cfg.fix.port;
  fc.senderCompId = cfg.fix.senderCompId;
  for (const auto& s : cfg.fix.sessions) {
    fix::FixSessionConfig sc;
    sc.beginString = s.beginString;
    sc.targetCompId = s.targetCompId;
    sc.dropCopy = s.dropCopy;
    sc.resetOnLogon = s.resetOnLogon;
    fc.sessions.push_back(std::move(sc));  // transport fields: applyFixTransportConfig
  }
  fc.specDir = cfg.fix.specDir;
  fc.storeType = cfg.fix.storeType;
  fc.storePath = cfg.fix.storePath;
  fc.storeConninfo = cfg.fix.storeConninfo;
  if (cfg.fix.messageLog == "database") {
    m.messageLog = std::make_unique<FixMessageJournal>(*m.journal, clock);
    fc.messageSink = m.messageLog.get();
  }
  m.messageTap = std::make_unique<FixMessageTap>(fc.messageSink);
  fc.messageSink = m.messageTap.get();
  fc.logPath = cfg.fix.logPath;
  fc.heartBtInt = cfg.fix.heartBtInt;
  fc.resetOnLogon = cfg.fix.resetOnLogon;
  applyFixTransportConfig(cfg.fix, fc, m.journal.get(), clock);
  createDropCopy(fc);
  m.acceptor = std::make_unique<fix::FixAcceptor>(fc, *m.engine);
  m.relay.target = m.acceptor.get();
  startDropCopy();
  m.relay.hub = &m.hub;
  m.acceptor->start();
  m.started = true;
  startLeaseWatch();
  fillAdminBackend();
  startAdmin();
  startAdminHttp();
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

// Drop-copy sessions (docs/drop-copy.md): a pump that feeds them from the journal. Created
// before the acceptor (which tells it about logons), started once the acceptor exists.
void Gateway::createDropCopy(fix::FixAcceptorConfig& fc) {
  Impl& m = *impl_;
  fix::DropCopyConfig dc;
  for (const auto& s : m.cfg.fix.sessions) {
    if (!s.dropCopy) continue;
    fix::DropCopySessionConfig sc;
    sc.session = SessionKey(s.beginString + ":" + m.cfg.fix.senderCompId + "->" + s.targetCompId);
    for (const auto& a : s.dropCopyAccounts) {
      if (a == "*")
        sc.selection.allAccounts = true;
      else
        sc.selection.accounts.emplace_back(a);
    }
    for (const auto& k : s.dropCopySources) sc.selection.sessions.emplace_back(k);
    // Copies come from this gateway's own order sessions only (docs/drop-copy.md).
    for (const auto& o : m.cfg.fix.sessions)
      if (!o.dropCopy)
        sc.selection.ownSessions.emplace_back(o.beginString + ":" + m.cfg.fix.senderCompId + "->" +
                                              o.targetCompId);
    dc.sessions.push_back(std::move(sc));
  }
  if (dc.sessions.empty()) return;
  m.dropCopySource = std::make_unique<store::PgDropCopySource>(m.cfg.database.conninfo);
  m.dropCopy = std::make_unique<fix::DropCopyPump>(std::move(dc), *m.dropCopySource);
  fc.dropCopyListener = m.dropCopy.get();
}

void Gateway::startDropCopy() {
  Impl& m = *impl_;
  if (!m.dropCopy) return;
  m.dropCopy->setSender(m.acceptor.get());
  m.dropCopy->start();
  m.relay.dropCopy = m.dropCopy.get();
  spdlog::info("drop copy: feeding its sessions from the journal");
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
  m.admin = std::make_unique<admin::AdminServer>(
      path, *token, [&m](const std::string& req) { return admin::handle(req, m.adminBackend); });
  m.admin->start();
}

// The one handler layer's view of this gateway, shared by the socket and HTTP.
void Gateway::fillAdminBackend() {
  Impl& m = *impl_;
  admin::Backend& b = m.adminBackend;
  b.engine = m.engine.get();
  b.onEngine = [&m](std::function<void()> f) { m.loop.sync(std::move(f)); };
  b.loadRiskConfig = [&m] {
    if (m.cfg.path.empty()) throw std::runtime_error("the gateway was not started from a file");
    return config::loadConfig(m.cfg.path).risk;
  };
  b.conninfo = m.cfg.database.conninfo;
  b.sessionKeys.clear();
  for (const auto& s : m.cfg.fix.sessions)
    b.sessionKeys.push_back(s.beginString + ":" + m.cfg.fix.senderCompId + "->" + s.targetCompId);
  b.venues.clear();
  for (const auto& v : m.cfg.venues) b.venues.emplace_back(v.name, v.type);
  b.rateLimits = [&m](const std::string& venue) -> std::vector<VenueRateLimit> {
    auto it = m.venues.find(VenueId(venue));
    return it == m.venues.end() ? std::vector<VenueRateLimit>{} : it->second->rateLimits();
  };
  b.journal = [&m](RiskEventRec e) {
    m.loop.post([&m, e = std::move(e)]() mutable { m.journal->append(std::move(e)); });
  };
  b.ready = [&m] { return m.started && m.lease && m.lease->held() > 0; };
  b.publish = [&m](std::string_view ev, std::string_view json) { m.hub.publish(ev, json); };
}

void Gateway::startAdminHttp() {
  Impl& m = *impl_;
  const auto& hc = m.cfg.adminHttp;
  if (!hc.enabled) return;
  std::optional<admin::TokenStore> tokens = admin::TokenStore::load(hc.tokensFile);
  if (!tokens) {
    spdlog::warn(
        "admin http: no tokens (FIXGW_ADMIN_HTTP_TOKENS or admin.http.tokens_file): "
        "the admin HTTP server stays closed");
    return;
  }
  m.metricsCollector = metrics::gateway().addCollector([&m](std::string& out) {
    out +=
        "# HELP fixgw_journal_queue_depth Records appended to the journal, not yet committed.\n"
        "# TYPE fixgw_journal_queue_depth gauge\nfixgw_journal_queue_depth ";
    out += std::to_string(m.journal ? m.journal->queueDepth() : 0);
    out +=
        "\n# HELP fixgw_fix_sessions_up FIX sessions logged on.\n"
        "# TYPE fixgw_fix_sessions_up gauge\nfixgw_fix_sessions_up ";
    int up = 0;
    for (const auto& k : m.adminBackend.sessionKeys)
      if (auto v = admin::fixSessionView(k); v && v->loggedOn) ++up;
    out += std::to_string(up);
    out +=
        "\n# HELP fixgw_fix_sessions_configured FIX sessions in the config.\n"
        "# TYPE fixgw_fix_sessions_configured gauge\nfixgw_fix_sessions_configured ";
    out += std::to_string(m.adminBackend.sessionKeys.size());
    out += "\n";
  });
  admin::HttpServerConfig sc;
  sc.host = hc.host;
  sc.port = hc.port;
  sc.maxBodyBytes = hc.maxBodyBytes;
  sc.headerTimeoutMs = hc.requestTimeoutMs;
  sc.maxConnections = static_cast<size_t>(hc.maxConnections);
  sc.webRoot = hc.webRoot;
  m.http = std::make_unique<admin::HttpServer>(
      sc, std::move(*tokens),
      [&m](const admin::HttpRequest& r) { return admin::route(r, m.adminBackend); }, &m.hub);
  m.http->start();
}

int Gateway::adminHttpPort() const { return impl_->http ? impl_->http->port() : 0; }

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
  if (m.http) m.http->stop();
  m.http.reset();
  if (m.metricsCollector) metrics::gateway().removeCollector(m.metricsCollector);
  m.metricsCollector = 0;
  if (m.admin) m.admin->stop();
  {
    std::lock_guard lk(m.leaseMu);
    m.leaseWatchStop = true;
  }
  m.leaseCv.notify_all();
  if (m.leaseWatch.joinable()) m.leaseWatch.join();
  spdlog::info("fixgw stopping: closing FIX sessions");
  m.relay.dropCopy = nullptr;
  if (m.dropCopy) m.dropCopy->stop();
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
