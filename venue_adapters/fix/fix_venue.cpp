#include "venue_adapters/fix/fix_venue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/executor.h"
#include "fix_common/codes.h"

// QuickFIX last: its headers define macros and a lot of names.
#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSocketInitiator.h>

namespace fixgw::fixvenue {

namespace {

// Tags handled by hand as strings: values go through the core fixed-point
// parsers, never through QuickFIX's double-based typed fields.
namespace tag {
constexpr int Account = 1;
constexpr int ClOrdID = 11;
constexpr int CumQty = 14;
constexpr int Currency = 15;
constexpr int ExecID = 17;
constexpr int ExecTransType = 20;
constexpr int LastPx = 31;
constexpr int LastQty = 32;  // LastShares in FIX 4.2
constexpr int MsgSeqNum = 34;
constexpr int MsgType = 35;
constexpr int OrderID = 37;
constexpr int OrderQty = 38;
constexpr int OrdStatus = 39;
constexpr int OrdType = 40;
constexpr int OrigClOrdID = 41;
constexpr int PossDupFlag = 43;
constexpr int Price = 44;
constexpr int StopPx = 99;
constexpr int RefSeqNum = 45;
constexpr int Side = 54;
constexpr int Symbol = 55;
constexpr int Text = 58;
constexpr int TimeInForce = 59;
constexpr int TransactTime = 60;
constexpr int CxlRejReason = 102;
constexpr int OrdRejReason = 103;
constexpr int ExecType = 150;
constexpr int LeavesQty = 151;
constexpr int RefMsgType = 372;
constexpr int BusinessRejectRefID = 379;
constexpr int CxlRejResponseTo = 434;
constexpr int OrdStatusReqID = 790;
constexpr int MassStatusReqID = 584;
constexpr int MassStatusReqType = 585;
constexpr int LastRptRequested = 912;
}  // namespace tag

std::string field(const FIX::FieldMap& m, int t) { return m.isSetField(t) ? m.getField(t) : ""; }

std::string sohToPipe(std::string s) {
  std::replace(s.begin(), s.end(), '\x01', '|');
  return s;
}

using fix::toFixOrdType;
using fix::toFixSide;
using fix::toFixTimeInForce;

// OrdStatus values after which the venue will not touch the order again.
bool terminalOrdStatus(const std::string& s) {
  return s == "2" || s == "4" || s == "8" || s == "C" || s == "3";
}

std::string utcDate(WallNanos t) {
  std::time_t secs = static_cast<std::time_t>(t / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

// Session events go to spdlog; raw traffic at debug level only. A FileLog
// gets everything when log_path is set.
class SpdLog final : public FIX::Log {
 public:
  SpdLog(std::string name, FIX::Log* file) : name_(std::move(name)), file_(file) {}
  ~SpdLog() override { delete file_; }
  void clear() override {
    if (file_) file_->clear();
  }
  void backup() override {
    if (file_) file_->backup();
  }
  void onIncoming(const std::string& s) override {
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("FIX venue {} IN  {}", name_, sohToPipe(s));
    if (file_) file_->onIncoming(s);
  }
  void onOutgoing(const std::string& s) override {
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("FIX venue {} OUT {}", name_, sohToPipe(s));
    if (file_) file_->onOutgoing(s);
  }
  void onEvent(const std::string& s) override {
    spdlog::info("FIX venue {}: {}", name_, s);
    if (file_) file_->onEvent(s);
  }

 private:
  std::string name_;
  FIX::Log* file_;
};

class SpdLogFactory final : public FIX::LogFactory {
 public:
  explicit SpdLogFactory(FIX::LogFactory* file) : file_(file) {}
  FIX::Log* create() override { return new SpdLog("initiator", file_ ? file_->create() : nullptr); }
  FIX::Log* create(const FIX::SessionID& id) override {
    return new SpdLog(id.toString(), file_ ? file_->create(id) : nullptr);
  }
  void destroy(FIX::Log* log) override { delete log; }

 private:
  FIX::LogFactory* file_;
};

}  // namespace

// ---------------------------------------------------------------------------

class FixVenue::Impl final : public FIX::Application {
  struct PendingSnapshot;  // a reconciliation request in flight (defined below)

 public:
  Impl(VenueId id, FixVenueConfig cfg, const InstrumentMaster& instruments, const Clock& clock)
      : id_(std::move(id)),
        cfg_(std::move(cfg)),
        instruments_(instruments),
        clock_(clock),
        sessionId_(cfg_.beginString, cfg_.senderCompId, cfg_.targetCompId) {
    validateFixVenueConfig(cfg_, "venue " + id_.str());
    for (const auto& [t, v] : cfg_.addTags) {
      if (t == tag::Account) accountTag_ = v;
      if (t == tag::Currency) currencyFixed_ = true;
    }
  }

  ~Impl() override { stop(); }

  const VenueId& id() const { return id_; }
  const FixVenueConfig& config() const { return cfg_; }
  std::string sessionKey() const { return sessionId_.toString(); }

  // ---- lifecycle ----

  void start(VenueEventSink& sink) {
    std::lock_guard life(lifeMu_);
    if (initiator_) return;
    {
      std::lock_guard lk(mu_);
      sink_ = &sink;
      stopping_ = false;
    }
    try {
      buildSettings();
      if (!cfg_.storePath.empty()) {
        std::filesystem::create_directories(cfg_.storePath);
        storeFactory_ = std::make_unique<FIX::FileStoreFactory>(*settings_);
      } else {
        storeFactory_ = std::make_unique<FIX::MemoryStoreFactory>();
      }
      if (!cfg_.logPath.empty()) {
        std::filesystem::create_directories(cfg_.logPath);
        fileLogFactory_ = std::make_unique<FIX::FileLogFactory>(*settings_);
      }
      logFactory_ = std::make_unique<SpdLogFactory>(fileLogFactory_.get());
      initiator_ = std::make_unique<FIX::ThreadedSocketInitiator>(*this, *storeFactory_, *settings_,
                                                                  *logFactory_);
    } catch (const FIX::ConfigError& e) {
      resetQuickFix();
      throw std::runtime_error("FIX venue " + id_.str() + ": bad session settings: " + e.what());
    } catch (const std::filesystem::filesystem_error& e) {
      resetQuickFix();
      throw std::runtime_error("FIX venue " + id_.str() +
                               ": cannot create store/log directory: " + e.what());
    }
    {
      std::lock_guard lk(ioMu_);
      io_ = std::make_unique<EventLoop>(SystemClock::instance());
      io_->start("fixvenue-io");
    }
    try {
      initiator_->start();
    } catch (const FIX::Exception& e) {
      stopIo();
      resetQuickFix();
      throw std::runtime_error("FIX venue " + id_.str() + ": cannot start initiator: " + e.what());
    }
    spdlog::info("FIX venue {}: initiator {} connecting to {}:{} (profile {})", id_.str(),
                 sessionId_.toString(), cfg_.host, cfg_.port, cfg_.profile);
  }

  void stop() {
    std::lock_guard life(lifeMu_);
    if (!initiator_) return;
    {
      std::lock_guard lk(mu_);
      stopping_ = true;  // the contract: no events after stop()
    }
    stopIo();
    try {
      initiator_->stop();
    } catch (const std::exception& e) {
      spdlog::error("FIX venue {}: error while stopping: {}", id_.str(), e.what());
    }
    resetQuickFix();
    std::vector<std::pair<std::function<void(VenueSnapshot)>, VenueSnapshot>> done;
    {
      std::lock_guard lk(mu_);
      loggedOn_ = false;
      for (auto& [sid, s] : snapshots_) {
        s.result.ok = false;
        s.result.error = "venue " + id_.str() + " stopped before the snapshot completed";
        done.emplace_back(std::move(s.cb), std::move(s.result));
      }
      snapshots_.clear();
    }
    for (auto& [cb, snap] : done) cb(std::move(snap));
  }

  bool isLoggedOn() const {
    std::lock_guard lk(mu_);
    return loggedOn_;
  }

  // ---- requests (engine thread -> io thread) ----

  void submit(const VenueNewOrder& o) {
    if (!postIo([this, o] { doSubmit(o); })) {
      emitNow(reject(VenueEventKind::Rejected, o.childId, {}, notRunningText()));
    }
  }

  void cancel(const VenueCancel& c) {
    if (!postIo([this, c] { doCancel(c); })) {
      emitNow(reject(VenueEventKind::CancelRejected, c.childId, c.venueOrderId, notRunningText()));
    }
  }

  void replace(const VenueReplace& r) {
    if (!postIo([this, r] { doReplace(r); })) {
      emitNow(reject(VenueEventKind::ReplaceRejected, r.childId, r.venueOrderId, notRunningText()));
    }
  }

  void adoptOpenOrders(const std::vector<VenueOrderState>& list) {
    // Seconds since 2020: above any request count a previous process can have
    // reached for one order, and growing from one restart to the next.
    constexpr int64_t k2020 = 1'577'836'800;
    const int firstN =
        static_cast<int>(std::max<int64_t>(1, clock_.wallNow() / 1'000'000'000 - k2020));
    std::lock_guard lk(mu_);
    size_t n = 0;
    for (const VenueOrderState& st : list) {
      if (st.childId.empty() || orders_.count(st.childId)) continue;
      Order o;
      o.child = st.childId;
      o.symbol = st.symbol;
      o.venueSymbol = venueSymbolFor(st.symbol, &o.currency);
      o.side = st.side;
      o.ordType = st.ordType;
      o.tif = st.tif;
      o.qty = st.qty;
      o.cumQty = st.cumQty;
      if (hasLimitPrice(st.ordType)) o.price = st.price;
      if (hasStopPrice(st.ordType)) o.stopPx = st.stopPx;
      o.venueOrderId = st.venueOrderId;
      o.accepted = !st.venueOrderId.empty();
      o.adopted = true;
      // The attributes it was sent with go out again on every replace, as before the restart
      // (they were accepted then; an error now would only mean a config change, so none is kept).
      o.attrTags = attributeTags(cfg_, st.attrs, st.tif).tags;
      o.nextN = firstN;
      // Best guess until a report names the live one: the id of the original order.
      o.clOrdId = formatClOrdId(cfg_.clOrdIdFormat, o.child, 0, utcDate(clock_.wallNow()));
      requests_.emplace(o.clOrdId, Request{ReqKind::New, o.child, {}, {}, {}});
      if (!o.venueOrderId.empty()) adoptedByOrderId_[o.venueOrderId.str()] = o.child;
      orders_.emplace(o.child, std::move(o));
      ++n;
    }
    if (n) spdlog::info("FIX venue {}: adopted {} open order(s) from the journal", id_.str(), n);
  }

  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) {
    VenueSnapshot refused;
    uint64_t sid = 0;
    std::vector<ChildOrderId> toAsk;
    bool deferred = false;
    {
      std::lock_guard lk(mu_);
      if (stopping_ || sink_ == nullptr) {
        refused.error =
            "venue " + id_.str() + ": FIX session " + sessionId_.toString() + " is not running";
      } else {
        PendingSnapshot s;
        s.cb = std::move(cb);
        s.result.ok = true;
        s.since = since;
        sid = ++nextSnapshotId_;
        if (!loggedOn_) {
          s.awaitingLogon = true;
          deferred = true;
          snapshots_.emplace(sid, std::move(s));
        } else {
          toAsk = collectSnapshot(s);
          if (s.waiting.empty()) {
            refused = std::move(s.result);
            cb = std::move(s.cb);
            sid = 0;
          } else {
            snapshots_.emplace(sid, std::move(s));
          }
        }
      }
    }
    if (sid == 0) {
      cb(std::move(refused));
      return;
    }
    if (deferred) {
      spdlog::info("FIX venue {}: snapshot waits for the session to log on (up to {} ms)",
                   id_.str(), cfg_.snapshotTimeoutMs);
      if (!armSnapshotTimeout(sid, {})) finishSnapshot(sid);
      return;
    }
    if (!armSnapshotTimeout(sid, std::move(toAsk))) finishSnapshot(sid);
  }

  // Fills since s.since and the open orders to ask about into s. Needs mu_.
  std::vector<ChildOrderId> collectSnapshot(PendingSnapshot& s) {
    std::vector<ChildOrderId> toAsk;
    for (const auto& f : fills_)
      if (f.time >= s.since) s.result.fills.push_back(f);
    for (const auto& [child, o] : orders_) {
      if (!o.open) continue;
      s.waiting.insert(child);
      toAsk.push_back(child);
    }
    return toAsk;
  }

  // On the io thread: sends the status requests, then arms the snapshot's timeout (a newer
  // timeout supersedes an older one). False if the adapter is not running.
  bool armSnapshotTimeout(uint64_t sid, std::vector<ChildOrderId> toAsk) {
    return postIo([this, sid, toAsk = std::move(toAsk)] {
      if (cfg_.massStatus && !toAsk.empty())
        sendMassStatusRequest(sid);
      else
        for (const auto& child : toAsk) sendStatusRequest(sid, child);
      uint64_t timer = 0;
      {
        std::lock_guard lk(mu_);
        auto it = snapshots_.find(sid);
        if (it == snapshots_.end()) return;
        timer = ++it->second.timer;
      }
      std::lock_guard lk(ioMu_);
      if (io_) {
        io_->postAfter(cfg_.snapshotTimeoutMs * 1'000'000,
                       [this, sid, timer] { finishSnapshot(sid, timer); });
      }
    });
  }

  // At logon: snapshots asked for while the session was down send their requests now.
  void startDeferredSnapshots() {
    std::vector<std::pair<uint64_t, std::vector<ChildOrderId>>> send;
    std::vector<uint64_t> empty;
    {
      std::lock_guard lk(mu_);
      for (auto& [sid, s] : snapshots_) {
        if (!s.awaitingLogon) continue;
        s.awaitingLogon = false;
        auto toAsk = collectSnapshot(s);
        if (toAsk.empty()) {
          empty.push_back(sid);
        } else {
          send.emplace_back(sid, std::move(toAsk));
        }
      }
    }
    for (uint64_t sid : empty) finishSnapshot(sid);
    for (auto& [sid, toAsk] : send)
      if (!armSnapshotTimeout(sid, std::move(toAsk))) finishSnapshot(sid);
  }

  // ---- FIX::Application ----

  void onCreate(const FIX::SessionID&) override {}

  void onLogon(const FIX::SessionID& sid) override {
    std::vector<VenueEvent> evs;
    {
      std::lock_guard lk(mu_);
      loggedOn_ = true;
      if (wasDisconnected_) {
        wasDisconnected_ = false;
        VenueEvent e = base(VenueEventKind::Reconnected, {});
        e.text = "FIX session " + sid.toString() + " logged on again";
        evs.push_back(std::move(e));
      }
    }
    spdlog::info("FIX venue {}: logged on ({})", id_.str(), sid.toString());
    emit(std::move(evs));
    startDeferredSnapshots();
  }

  void onLogout(const FIX::SessionID& sid) override {
    std::vector<VenueEvent> evs;
    {
      std::lock_guard lk(mu_);
      if (loggedOn_) {
        loggedOn_ = false;
        wasDisconnected_ = true;
        VenueEvent e = base(VenueEventKind::Disconnected, {});
        e.text = "FIX session " + sid.toString() + " logged out";
        evs.push_back(std::move(e));
      }
    }
    emit(std::move(evs));
  }

  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) override {
    if (field(m.getHeader(), tag::MsgType) == "3") onSessionReject(m);
  }

  void toApp(FIX::Message& m, const FIX::SessionID&) override {
    const auto& h = m.getHeader();
    const std::string type = field(h, tag::MsgType);
    // The broker asks again for a request it never processed (a sequence gap,
    // e.g. the request went out while its side was still recovering). A late
    // order request is not resent (the market has moved; QuickFIX turns
    // DoNotSend into a gap fill), but it must not vanish either: it is
    // answered here as not delivered, so the order does not wait for an ack
    // that will never come.
    if (field(h, tag::PossDupFlag) == "Y" &&
        (type == "D" || type == "F" || type == "G" || type == "H")) {
      notDelivered(field(m, tag::ClOrdID), type);
      throw FIX::DoNotSend();
    }
    const std::string seq = field(h, tag::MsgSeqNum);
    const std::string cl = field(m, tag::ClOrdID);
    if (!seq.empty() && !cl.empty()) {
      std::lock_guard lk(mu_);
      seqToClOrdId_[std::atoi(seq.c_str())] = cl;
    }
  }

  void notDelivered(const std::string& cl, const std::string& type) {
    std::vector<VenueEvent> evs;
    {
      std::lock_guard lk(mu_);
      auto rit = requests_.find(cl);
      if (rit == requests_.end()) return;
      const Request rq = rit->second;
      auto oit = orders_.find(rq.child);
      if (oit == orders_.end()) return;
      Order& o = oit->second;
      const std::string text = "FIX venue " + id_.str() + ": " + type + " ClOrdID " + cl +
                               " not delivered: the broker asked for it again after a sequence "
                               "gap, and order requests are not resent late";
      spdlog::warn("{}", text);
      if (rq.kind == ReqKind::New && !o.accepted && o.open) {
        o.open = false;
        evs.push_back(reject(VenueEventKind::Rejected, o.child, o.venueOrderId, text));
      } else if (rq.kind == ReqKind::Cancel) {
        evs.push_back(reject(VenueEventKind::CancelRejected, o.child, o.venueOrderId, text));
      } else if (rq.kind == ReqKind::Replace) {
        evs.push_back(reject(VenueEventKind::ReplaceRejected, o.child, o.venueOrderId, text));
      }
    }
    emit(std::move(evs));
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID&) override {
    const std::string type = field(m.getHeader(), tag::MsgType);
    if (type == "8") {
      onExecReport(m);
    } else if (type == "9") {
      onCancelReject(m);
    } else if (type == "j") {
      onBusinessReject(m);
    } else {
      spdlog::info("FIX venue {}: ignoring message type {}", id_.str(), type);
    }
  }

 private:
  struct Order {
    ChildOrderId child;
    Symbol symbol;
    std::string venueSymbol;
    std::string currency;
    Side side = Side::Buy;
    OrdType ordType = OrdType::Limit;
    TimeInForce tif = TimeInForce::Day;
    Qty qty;
    std::optional<Price> price;
    std::optional<Price> stopPx;
    std::string clOrdId;  // the live version's ClOrdID (OrigClOrdID of the next request)
    VenueOrderId venueOrderId;
    Qty cumQty;
    bool accepted = false;
    bool open = true;
    bool adopted = false;  // from a previous process: live ClOrdID learnt from reports
    int nextN = 1;
    // The order attributes' tags (attributeTags), sent again on every replace.
    std::vector<std::pair<int, std::string>> attrTags;
  };
  enum class ReqKind { New, Cancel, Replace, Status };
  struct Request {
    ReqKind kind = ReqKind::New;
    ChildOrderId child;
    Qty newQty;
    std::optional<Price> newPrice;
    std::optional<Price> newStopPx;
  };
  struct PendingSnapshot {
    std::function<void(VenueSnapshot)> cb;
    VenueSnapshot result;
    std::set<ChildOrderId> waiting;
    // Asked for before the session logged on (the gateway's start-up reconciliation runs
    // while the session is still connecting): the status requests go out at logon.
    bool awaitingLogon = false;
    WallNanos since = 0;
    uint64_t timer = 0;     // the timeout armed last; an older one firing is ignored
    std::string massReqId;  // the OrderMassStatusRequest in flight, if any
  };

  // ---- helpers (call with mu_ held where they touch state) ----

  VenueEvent base(VenueEventKind k, const ChildOrderId& child) const {
    VenueEvent e;
    e.kind = k;
    e.venue = id_;
    e.childId = child;
    e.venueTime = clock_.wallNow();
    return e;
  }

  VenueEvent reject(VenueEventKind k, const ChildOrderId& child, const VenueOrderId& voi,
                    std::string text) const {
    VenueEvent e = base(k, child);
    e.venueOrderId = voi;
    e.text = std::move(text);
    return e;
  }

  std::string notRunningText() const { return "FIX venue " + id_.str() + " is not running"; }
  std::string notLoggedOnText() const {
    return "FIX venue " + id_.str() + ": session " + sessionId_.toString() + " is not logged on";
  }

  // Events are handed over outside mu_: the sink may block on its own queue.
  void emit(std::vector<VenueEvent> evs) {
    if (evs.empty()) return;
    VenueEventSink* sink = nullptr;
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
      sink = sink_;
    }
    if (!sink) return;
    for (auto& e : evs) sink->onVenueEvent(std::move(e));
  }
  void emitNow(VenueEvent e) {
    VenueEventSink* sink = nullptr;
    {
      std::lock_guard lk(mu_);
      sink = sink_;
    }
    if (sink) sink->onVenueEvent(std::move(e));
  }

  template <class F>
  bool postIo(F&& f) {
    std::lock_guard lk(ioMu_);
    if (!io_) return false;
    io_->post(std::forward<F>(f));
    return true;
  }

  void stopIo() {
    std::unique_ptr<EventLoop> io;
    {
      std::lock_guard lk(ioMu_);
      io = std::move(io_);
    }
    if (io) io->stop();
  }

  void resetQuickFix() {
    initiator_.reset();
    logFactory_.reset();
    fileLogFactory_.reset();
    storeFactory_.reset();
    settings_.reset();
  }

  std::string nextClOrdId(Order& o) {
    return formatClOrdId(cfg_.clOrdIdFormat, o.child, o.nextN++, utcDate(clock_.wallNow()));
  }

  std::string venueSymbolFor(const Symbol& s, std::string* currency) const {
    if (const Instrument* ins = instruments_.find(s)) {
      if (currency) *currency = ins->currency;
      auto it = ins->venueSymbols.find(id_.str());
      if (it != ins->venueSymbols.end() && !it->second.empty()) return it->second;
    }
    return s.str();
  }

  // Returns false when QuickFIX did not put the message on the wire.
  bool send(FIX::Message& m, const char* what) {
    try {
      if (FIX::Session::sendToTarget(m, sessionId_)) return true;
      spdlog::warn("FIX venue {}: {} not sent (session not logged on): {}", id_.str(), what,
                   sohToPipe(m.toString()));
    } catch (const FIX::SessionNotFound& e) {
      spdlog::error("FIX venue {}: cannot send {}: session not found ({})", id_.str(), what,
                    e.what());
    } catch (const std::exception& e) {
      spdlog::error("FIX venue {}: sending {} failed: {}", id_.str(), what, e.what());
    }
    return false;
  }

  FIX::Message newMessage(const char* type) const {
    FIX::Message m;
    m.getHeader().setField(tag::MsgType, type);
    return m;
  }

  void addConfiguredTags(FIX::Message& m, const Order& o) const {
    for (const auto& [t, v] : cfg_.addTags) m.setField(t, v);
    if (cfg_.sendCurrency && !currencyFixed_ && !o.currency.empty())
      m.setField(tag::Currency, o.currency);
  }

  // ---- io thread: building and sending requests ----

  void doSubmit(const VenueNewOrder& in) {
    if (!isLoggedOn()) {
      emit({reject(VenueEventKind::Rejected, in.childId, {}, notLoggedOnText())});
      return;
    }
    if (!in.qty.isPositive()) {
      emit({reject(VenueEventKind::Rejected, in.childId, {},
                   "OrderQty must be > 0, got " + in.qty.str())});
      return;
    }
    if (hasLimitPrice(in.ordType) && !in.price) {
      emit({reject(VenueEventKind::Rejected, in.childId, {}, "limit order without a price")});
      return;
    }
    if (hasStopPrice(in.ordType) && !in.stopPx) {
      emit({reject(VenueEventKind::Rejected, in.childId, {}, "stop order without a stop price")});
      return;
    }
    AttributeTags attrs = attributeTags(cfg_, in.attrs, in.tif);
    if (!attrs.error.empty()) {
      emit({reject(VenueEventKind::Rejected, in.childId, {}, attrs.error)});
      return;
    }
    FIX::Message m = newMessage("D");
    bool duplicate = false;
    {
      std::lock_guard lk(mu_);
      duplicate = orders_.count(in.childId) > 0;
    }
    if (duplicate) {
      emit({reject(VenueEventKind::Rejected, in.childId, {},
                   "duplicate child order id " + in.childId.str())});
      return;
    }
    {
      std::lock_guard lk(mu_);
      Order o;
      o.child = in.childId;
      o.symbol = in.symbol;
      o.venueSymbol = venueSymbolFor(in.symbol, &o.currency);
      o.side = in.side;
      o.ordType = in.ordType;
      o.tif = in.tif;
      o.qty = in.qty;
      if (hasLimitPrice(in.ordType)) o.price = in.price;
      if (hasStopPrice(in.ordType)) o.stopPx = in.stopPx;
      o.clOrdId = formatClOrdId(cfg_.clOrdIdFormat, o.child, 0, utcDate(clock_.wallNow()));
      requests_[o.clOrdId] = Request{ReqKind::New, o.child, {}, {}, {}};

      m.setField(tag::ClOrdID, o.clOrdId);
      if (!in.account.empty() && accountTag_.empty()) m.setField(tag::Account, in.account.str());
      m.setField(tag::Symbol, o.venueSymbol);
      m.setField(tag::Side, std::string(1, toFixSide(o.side)));
      m.setField(tag::TransactTime, formatFixTimestamp(clock_.wallNow()));
      m.setField(tag::OrderQty, o.qty.str());
      m.setField(tag::OrdType, std::string(1, toFixOrdType(o.ordType)));
      if (o.price) m.setField(tag::Price, o.price->str());
      if (o.stopPx) m.setField(tag::StopPx, o.stopPx->str());
      m.setField(tag::TimeInForce, std::string(1, toFixTimeInForce(o.tif)));
      addConfiguredTags(m, o);
      // After the fixed tags: an order's own capacity etc. wins over a default.
      o.attrTags = std::move(attrs.tags);
      for (const auto& [t, v] : o.attrTags) m.setField(t, v);
      orders_.emplace(o.child, std::move(o));
    }
    if (!send(m, "NewOrderSingle")) {
      {
        std::lock_guard lk(mu_);
        if (auto it = orders_.find(in.childId); it != orders_.end()) it->second.open = false;
      }
      emit({reject(VenueEventKind::Rejected, in.childId, {},
                   "NewOrderSingle not sent: " + notLoggedOnText())});
    }
  }

  void doCancel(const VenueCancel& c) {
    if (!isLoggedOn()) {
      emit({reject(VenueEventKind::CancelRejected, c.childId, c.venueOrderId, notLoggedOnText())});
      return;
    }
    FIX::Message m = newMessage("F");
    std::optional<VenueEvent> refused;
    {
      std::lock_guard lk(mu_);
      auto it = orders_.find(c.childId);
      if (it == orders_.end()) {
        refused = reject(VenueEventKind::CancelRejected, c.childId, c.venueOrderId,
                         "unknown child order " + c.childId.str() + " at venue " + id_.str());
      } else if (!it->second.open) {
        refused = reject(VenueEventKind::CancelRejected, c.childId, it->second.venueOrderId,
                         "order " + c.childId.str() + " is no longer open at venue " + id_.str());
      } else {
        Order& o = it->second;
        std::string cl = nextClOrdId(o);
        requests_[cl] = Request{ReqKind::Cancel, o.child, {}, {}, {}};
        m.setField(tag::ClOrdID, cl);
        m.setField(tag::OrigClOrdID, o.clOrdId);
        const VenueOrderId& voi = o.venueOrderId.empty() ? c.venueOrderId : o.venueOrderId;
        if (!voi.empty()) m.setField(tag::OrderID, voi.str());
        if (!accountTag_.empty()) m.setField(tag::Account, accountTag_);
        m.setField(tag::Symbol, o.venueSymbol);
        m.setField(tag::Side, std::string(1, toFixSide(o.side)));
        m.setField(tag::TransactTime, formatFixTimestamp(clock_.wallNow()));
        m.setField(tag::OrderQty, o.qty.str());
      }
    }
    if (refused) {
      emit({std::move(*refused)});
      return;
    }
    if (!send(m, "OrderCancelRequest")) {
      emit({reject(VenueEventKind::CancelRejected, c.childId, c.venueOrderId,
                   "OrderCancelRequest not sent: " + notLoggedOnText())});
    }
  }

  void doReplace(const VenueReplace& r) {
    if (!isLoggedOn()) {
      emit({reject(VenueEventKind::ReplaceRejected, r.childId, r.venueOrderId, notLoggedOnText())});
      return;
    }
    FIX::Message m = newMessage("G");
    std::optional<VenueEvent> refused;
    {
      std::lock_guard lk(mu_);
      auto it = orders_.find(r.childId);
      if (it == orders_.end()) {
        refused = reject(VenueEventKind::ReplaceRejected, r.childId, r.venueOrderId,
                         "unknown child order " + r.childId.str() + " at venue " + id_.str());
      } else if (!it->second.open) {
        refused = reject(VenueEventKind::ReplaceRejected, r.childId, it->second.venueOrderId,
                         "order " + r.childId.str() + " is no longer open at venue " + id_.str());
      } else if (!r.newQty.isPositive()) {
        refused = reject(VenueEventKind::ReplaceRejected, r.childId, it->second.venueOrderId,
                         "new OrderQty must be > 0, got " + r.newQty.str());
      } else {
        Order& o = it->second;
        std::optional<Price> px = r.newPrice ? r.newPrice : o.price;
        if (!hasLimitPrice(o.ordType)) px.reset();
        std::optional<Price> stop = r.newStopPx ? r.newStopPx : o.stopPx;
        if (!hasStopPrice(o.ordType)) stop.reset();
        std::string cl = nextClOrdId(o);
        requests_[cl] = Request{ReqKind::Replace, o.child, r.newQty, px, stop};
        m.setField(tag::ClOrdID, cl);
        m.setField(tag::OrigClOrdID, o.clOrdId);
        const VenueOrderId& voi = o.venueOrderId.empty() ? r.venueOrderId : o.venueOrderId;
        if (!voi.empty()) m.setField(tag::OrderID, voi.str());
        m.setField(tag::Symbol, o.venueSymbol);
        m.setField(tag::Side, std::string(1, toFixSide(o.side)));
        m.setField(tag::TransactTime, formatFixTimestamp(clock_.wallNow()));
        m.setField(tag::OrderQty, r.newQty.str());
        m.setField(tag::OrdType, std::string(1, toFixOrdType(o.ordType)));
        if (px) m.setField(tag::Price, px->str());
        if (stop) m.setField(tag::StopPx, stop->str());
        m.setField(tag::TimeInForce, std::string(1, toFixTimeInForce(o.tif)));
        addConfiguredTags(m, o);
        for (const auto& [t, v] : o.attrTags) m.setField(t, v);
      }
    }
    if (refused) {
      emit({std::move(*refused)});
      return;
    }
    if (!send(m, "OrderCancelReplaceRequest")) {
      emit({reject(VenueEventKind::ReplaceRejected, r.childId, r.venueOrderId,
                   "OrderCancelReplaceRequest not sent: " + notLoggedOnText())});
    }
  }

  void sendStatusRequest(uint64_t sid, const ChildOrderId& child) {
    FIX::Message m = newMessage("H");
    {
      std::lock_guard lk(mu_);
      auto it = orders_.find(child);
      if (it == orders_.end()) return;
      const Order& o = it->second;
      m.setField(tag::ClOrdID, o.clOrdId);
      if (!o.venueOrderId.empty()) m.setField(tag::OrderID, o.venueOrderId.str());
      if (!accountTag_.empty()) m.setField(tag::Account, accountTag_);
      m.setField(tag::Symbol, o.venueSymbol);
      m.setField(tag::Side, std::string(1, toFixSide(o.side)));
      if (cfg_.beginString == "FIX.4.4")
        m.setField(tag::OrdStatusReqID, "S" + std::to_string(sid) + "-" + child.str());
    }
    if (!send(m, "OrderStatusRequest")) {
      spdlog::warn("FIX venue {}: status request for {} not sent; the snapshot will time out",
                   id_.str(), child.str());
    }
  }

  // One OrderMassStatusRequest (35=AF, 585=7 all orders) for the snapshot;
  // the replies are status ExecutionReports carrying MassStatusReqID (584),
  // the last with LastRptRequested (912=Y).
  void sendMassStatusRequest(uint64_t sid) {
    FIX::Message m = newMessage("AF");
    char buf[48];
    std::snprintf(buf, sizeof buf, "M%llu-%s", static_cast<unsigned long long>(sid),
                  utcDate(clock_.wallNow()).c_str());
    const std::string reqId = buf;
    {
      std::lock_guard lk(mu_);
      auto it = snapshots_.find(sid);
      if (it == snapshots_.end()) return;
      it->second.massReqId = reqId;
    }
    m.setField(tag::MassStatusReqID, reqId);
    m.setField(tag::MassStatusReqType, "7");
    if (!accountTag_.empty()) m.setField(tag::Account, accountTag_);
    if (!send(m, "OrderMassStatusRequest")) massStatusFallback(reqId, "not sent");
  }

  // The mass answer is complete (or refused): orders it did not cover are
  // asked one by one, so a broker that reports only some orders, or rejects
  // AF, still gets the snapshot answered. reqId "" = every pending mass request.
  void massStatusFallback(const std::string& reqId, const std::string& why) {
    std::vector<std::pair<uint64_t, std::vector<ChildOrderId>>> ask;
    {
      std::lock_guard lk(mu_);
      for (auto& [sid, s] : snapshots_) {
        if (s.massReqId.empty() || (!reqId.empty() && s.massReqId != reqId)) continue;
        s.massReqId.clear();
        if (!s.waiting.empty())
          ask.emplace_back(sid, std::vector<ChildOrderId>(s.waiting.begin(), s.waiting.end()));
      }
    }
    for (auto& [sid, children] : ask) {
      spdlog::info("FIX venue {}: mass status {}: asking {} order(s) one by one", id_.str(), why,
                   children.size());
      postIo([this, sid, children] {
        for (const auto& child : children) sendStatusRequest(sid, child);
      });
    }
  }

  // timer: the timeout that fired (0: the last answer arrived); a superseded one is ignored.
  void finishSnapshot(uint64_t sid, uint64_t timer = 0) {
    std::function<void(VenueSnapshot)> cb;
    VenueSnapshot result;
    {
      std::lock_guard lk(mu_);
      auto it = snapshots_.find(sid);
      if (it == snapshots_.end()) return;
      if (timer != 0 && timer != it->second.timer) return;
      cb = std::move(it->second.cb);
      result = std::move(it->second.result);
      if (it->second.awaitingLogon) {
        result.ok = false;
        result.error = "venue " + id_.str() + ": FIX session " + sessionId_.toString() +
                       " did not log on within " + std::to_string(cfg_.snapshotTimeoutMs) + " ms";
      } else if (!it->second.waiting.empty()) {
        result.ok = false;
        std::string ids;
        for (const auto& c : it->second.waiting) ids += (ids.empty() ? "" : ", ") + c.str();
        result.error = "venue " + id_.str() + ": no OrderStatus answer within " +
                       std::to_string(cfg_.snapshotTimeoutMs) + " ms for: " + ids;
      }
      snapshots_.erase(it);
    }
    cb(std::move(result));
  }

  // ---- QuickFIX thread: inbound ----

  // The request a report answers: its ClOrdID first, then OrigClOrdID, then
  // (for an order adopted after a restart, whose live ClOrdID we did not send
  // in this process) its OrderID, learning the live ClOrdID from the report.
  // Needs mu_.
  const Request* findRequest(const FIX::Message& m, const std::string& cl,
                             const std::string& orig) {
    if (auto it = requests_.find(cl); !cl.empty() && it != requests_.end()) return &it->second;
    if (auto it = requests_.find(orig); !orig.empty() && it != requests_.end()) return &it->second;
    const std::string oid = field(m, tag::OrderID);
    auto ai = adoptedByOrderId_.find(oid);
    if (oid.empty() || ai == adoptedByOrderId_.end() || cl.empty()) return nullptr;
    auto oit = orders_.find(ai->second);
    if (oit == orders_.end()) return nullptr;
    spdlog::info(
        "FIX venue {}: order {} (OrderID {}) from before the restart is live as ClOrdID {}",
        id_.str(), ai->second.str(), oid, cl);
    oit->second.clOrdId = cl;
    return &requests_.emplace(cl, Request{ReqKind::New, ai->second, {}, {}, {}}).first->second;
  }

  static std::optional<Qty> qtyField(const FIX::FieldMap& m, int t) {
    if (!m.isSetField(t)) return std::nullopt;
    return Qty::parse(m.getField(t));
  }
  static std::optional<Price> priceField(const FIX::FieldMap& m, int t) {
    if (!m.isSetField(t)) return std::nullopt;
    return Price::parse(m.getField(t));
  }

  std::string rejectText(const FIX::Message& m, const char* what) const {
    std::string text = field(m, tag::Text);
    if (!text.empty()) return text;
    std::string reason = field(m, tag::OrdRejReason);
    if (reason.empty()) reason = field(m, tag::CxlRejReason);
    return std::string(what) + " by venue " + id_.str() +
           (reason.empty() ? std::string() : " (reason code " + reason + ")");
  }

  void onExecReport(const FIX::Message& m) {
    const std::string execType = field(m, tag::ExecType);
    const std::string transType = field(m, tag::ExecTransType);
    const std::string cl = field(m, tag::ClOrdID);
    const std::string orig = field(m, tag::OrigClOrdID);
    const std::string execId = field(m, tag::ExecID);
    const std::string ordStatus = field(m, tag::OrdStatus);
    const ReportKind kind = classifyExecReport(cfg_, execType, transType);

    if (kind == ReportKind::Status) {
      onStatusReply(m, cl, orig, ordStatus);
      return;
    }
    std::vector<VenueEvent> evs;
    {
      std::lock_guard lk(mu_);
      // One booking per ExecID, whatever the session layer does: resends
      // after a gap carry PossDupFlag=Y and the same ExecID.
      if (!execId.empty() && !seenExecIds_.insert(execId).second) {
        spdlog::info("FIX venue {}: duplicate ExecutionReport ExecID={} (PossDup={}) ignored",
                     id_.str(), execId, field(m.getHeader(), tag::PossDupFlag));
        return;
      }
      const Request* req = findRequest(m, cl, orig);
      if (!req) {
        spdlog::warn("FIX venue {}: ExecutionReport for unknown ClOrdID '{}' (ExecType {}) ignored",
                     id_.str(), cl, execType);
        return;
      }
      const Request rq = *req;
      auto oit = orders_.find(rq.child);
      if (oit == orders_.end()) return;
      Order& o = oit->second;
      if (auto oid = field(m, tag::OrderID); !oid.empty() && oid != "NONE")
        o.venueOrderId = VenueOrderId(oid);

      auto make = [&](VenueEventKind k) {
        VenueEvent e = base(k, o.child);
        e.venueOrderId = o.venueOrderId;
        if (auto q = qtyField(m, tag::LeavesQty)) e.leavesQty = *q;
        if (auto q = qtyField(m, tag::CumQty)) e.cumQty = *q;
        return e;
      };
      auto acceptIfNeeded = [&] {
        if (!o.accepted) {
          o.accepted = true;
          evs.push_back(make(VenueEventKind::Accepted));
        }
      };

      switch (kind) {
        case ReportKind::New:
          if (rq.kind == ReqKind::New || rq.kind == ReqKind::Replace) acceptIfNeeded();
          break;
        case ReportKind::Pending:
        case ReportKind::Status:
          break;
        case ReportKind::Fill: {
          auto lastQty = qtyField(m, tag::LastQty);
          auto lastPx = priceField(m, tag::LastPx);
          if (!lastQty || !lastQty->isPositive() || !lastPx || !lastPx->isPositive()) {
            spdlog::error(
                "FIX venue {}: fill ExecID={} for {} has a bad LastQty (32) '{}' or LastPx (31) "
                "'{}': not booked",
                id_.str(), execId, o.child.str(), field(m, tag::LastQty), field(m, tag::LastPx));
            seenExecIds_.erase(execId);
            break;
          }
          acceptIfNeeded();
          auto cum = qtyField(m, tag::CumQty);
          o.cumQty = cum ? *cum : o.cumQty + *lastQty;
          if (ordStatus == "2") o.open = false;
          VenueEvent e = make(VenueEventKind::Fill);
          e.venueExecId = VenueExecId(execId);
          e.lastQty = *lastQty;
          e.lastPx = *lastPx;
          if (!cum) e.cumQty = o.cumQty;
          evs.push_back(e);
          VenueFill f;
          f.childId = o.child;
          f.venueOrderId = o.venueOrderId;
          f.venueExecId = e.venueExecId;
          f.symbol = o.symbol;
          f.side = o.side;
          f.qty = *lastQty;
          f.px = *lastPx;
          f.time = e.venueTime;
          fills_.push_back(std::move(f));
          break;
        }
        case ReportKind::Canceled: {
          o.open = false;
          VenueEvent e = make(VenueEventKind::Canceled);
          e.text = field(m, tag::Text);
          evs.push_back(std::move(e));
          break;
        }
        case ReportKind::Replaced: {
          acceptIfNeeded();
          if (rq.kind == ReqKind::Replace) o.clOrdId = cl;
          o.qty =
              qtyField(m, tag::OrderQty).value_or(rq.kind == ReqKind::Replace ? rq.newQty : o.qty);
          if (auto px = priceField(m, tag::Price)) {
            o.price = px;
          } else if (rq.kind == ReqKind::Replace) {
            o.price = rq.newPrice;
          }
          if (auto sp = priceField(m, tag::StopPx)) {
            o.stopPx = sp;
          } else if (rq.kind == ReqKind::Replace && rq.newStopPx) {
            o.stopPx = rq.newStopPx;
          }
          VenueEvent e = make(VenueEventKind::Replaced);
          e.newQty = o.qty;
          e.newPrice = o.price;
          evs.push_back(std::move(e));
          break;
        }
        case ReportKind::Rejected: {
          VenueEventKind k = VenueEventKind::Rejected;
          if (rq.kind == ReqKind::Cancel) {
            k = VenueEventKind::CancelRejected;
          } else if (rq.kind == ReqKind::Replace && cl != o.clOrdId) {
            k = VenueEventKind::ReplaceRejected;
          } else {
            o.open = false;
          }
          VenueEvent e = make(k);
          e.text = rejectText(m, "rejected");
          evs.push_back(std::move(e));
          break;
        }
        case ReportKind::Expired: {
          o.open = false;
          VenueEvent e = make(VenueEventKind::Expired);
          e.text = field(m, tag::Text);
          if (e.text.empty()) e.text = "expired at venue (ExecType " + execType + ")";
          evs.push_back(std::move(e));
          break;
        }
        case ReportKind::TradeCorrection:
        case ReportKind::Restated:
        case ReportKind::Unknown:
          spdlog::warn(
              "FIX venue {}: ExecutionReport ExecType={} ExecTransType={} ({}) for {} not "
              "mapped; operations must reconcile: {}",
              id_.str(), execType, transType, toString(kind), o.child.str(),
              sohToPipe(m.toString()));
          break;
      }
    }
    emit(std::move(evs));
  }

  void onStatusReply(const FIX::Message& m, const std::string& cl, const std::string& orig,
                     const std::string& ordStatus) {
    std::vector<std::pair<uint64_t, bool>> complete;
    const std::string massId = field(m, tag::MassStatusReqID);
    [&] {
      std::lock_guard lk(mu_);
      const Request* req = findRequest(m, cl, orig);
      if (!req) {
        spdlog::warn("FIX venue {}: status reply for unknown ClOrdID '{}'", id_.str(), cl);
        return;
      }
      auto oit = orders_.find(req->child);
      if (oit == orders_.end()) return;
      Order& o = oit->second;
      if (auto oid = field(m, tag::OrderID); !oid.empty() && oid != "NONE")
        o.venueOrderId = VenueOrderId(oid);
      VenueOrderState st;
      st.childId = o.child;
      st.venueOrderId = o.venueOrderId;
      st.symbol = o.symbol;
      st.side = o.side;
      st.qty = qtyField(m, tag::OrderQty).value_or(o.qty);
      st.cumQty = qtyField(m, tag::CumQty).value_or(Qty{});
      st.price = priceField(m, tag::Price);
      if (!st.price) st.price = o.price;
      st.open = !terminalOrdStatus(ordStatus);
      for (auto& [sid, s] : snapshots_) {
        if (s.waiting.erase(o.child) == 0) continue;
        // An order the venue rejects the status request for (OrdStatus 8
        // "unknown order") is not listed: the venue does not know it.
        if (ordStatus != "8") s.result.orders.push_back(st);
        if (s.waiting.empty()) complete.emplace_back(sid, true);
      }
    }();
    for (const auto& [sid, ok] : complete) finishSnapshot(sid);
    if (!massId.empty() && field(m, tag::LastRptRequested) == "Y")
      massStatusFallback(massId, "answer complete");
  }

  void onCancelReject(const FIX::Message& m) {
    const std::string cl = field(m, tag::ClOrdID);
    const std::string orig = field(m, tag::OrigClOrdID);
    std::vector<VenueEvent> evs;
    {
      std::lock_guard lk(mu_);
      const Request* req = findRequest(m, cl, orig);
      if (!req) {
        spdlog::warn("FIX venue {}: OrderCancelReject for unknown ClOrdID '{}' ignored", id_.str(),
                     cl);
        return;
      }
      auto oit = orders_.find(req->child);
      if (oit == orders_.end()) return;
      Order& o = oit->second;
      const std::string to = field(m, tag::CxlRejResponseTo);
      bool replace = to == "2" || (to.empty() && req->kind == ReqKind::Replace);
      VenueEvent e =
          base(replace ? VenueEventKind::ReplaceRejected : VenueEventKind::CancelRejected, o.child);
      e.venueOrderId = o.venueOrderId;
      e.cumQty = o.cumQty;
      e.text = rejectText(m, replace ? "replace rejected" : "cancel rejected");
      // OrdStatus on a 35=9 tells whether the order is still working.
      if (terminalOrdStatus(field(m, tag::OrdStatus))) o.open = false;
      evs.push_back(std::move(e));
    }
    emit(std::move(evs));
  }

  // 35=j / 35=3 answer a message by sequence number; map it to the request.
  void rejectByRef(const std::string& refSeq, const std::string& refId, const std::string& text) {
    std::vector<VenueEvent> evs;
    {
      std::lock_guard lk(mu_);
      std::string cl = refId;
      if (auto it = seqToClOrdId_.find(std::atoi(refSeq.c_str()));
          !refSeq.empty() && it != seqToClOrdId_.end())
        cl = it->second;
      auto rit = requests_.find(cl);
      if (cl.empty() || rit == requests_.end()) {
        spdlog::warn("FIX venue {}: reject for RefSeqNum={} RefID={} not matched: {}", id_.str(),
                     refSeq, refId, text);
        return;
      }
      const Request& rq = rit->second;
      auto oit = orders_.find(rq.child);
      if (oit == orders_.end()) return;
      Order& o = oit->second;
      VenueEventKind k = VenueEventKind::Rejected;
      if (rq.kind == ReqKind::Cancel) {
        k = VenueEventKind::CancelRejected;
      } else if (rq.kind == ReqKind::Replace && cl != o.clOrdId) {
        k = VenueEventKind::ReplaceRejected;
      } else if (rq.kind == ReqKind::Status) {
        return;
      } else if (o.accepted) {
        spdlog::warn("FIX venue {}: reject of an accepted order's message: {}", id_.str(), text);
        return;
      } else {
        o.open = false;
      }
      VenueEvent e = base(k, o.child);
      e.venueOrderId = o.venueOrderId;
      e.text = text;
      evs.push_back(std::move(e));
    }
    emit(std::move(evs));
  }

  void onBusinessReject(const FIX::Message& m) {
    std::string text = field(m, tag::Text);
    if (text.empty()) text = "business message reject (reason " + field(m, 380) + ")";
    if (field(m, tag::RefMsgType) == "AF") {
      // Mass status refused (unsupported, or nothing to report): ask per order.
      massStatusFallback("", "refused (" + text + ")");
      return;
    }
    rejectByRef(field(m, tag::RefSeqNum), field(m, tag::BusinessRejectRefID),
                "venue " + id_.str() + ": " + text);
  }

  void onSessionReject(const FIX::Message& m) {
    std::string text = field(m, tag::Text);
    if (text.empty()) text = "session-level reject (reason " + field(m, 373) + ")";
    const std::string refType = field(m, tag::RefMsgType);
    if (refType == "AF") {
      massStatusFallback("", "rejected (" + text + ")");
      return;
    }
    if (!refType.empty() && refType != "D" && refType != "F" && refType != "G") {
      spdlog::warn("FIX venue {}: session reject of {}: {}", id_.str(), refType, text);
      return;
    }
    rejectByRef(field(m, tag::RefSeqNum), "", "venue " + id_.str() + ": " + text);
  }

  // ---- settings ----

  void buildSettings() {
    settings_ = std::make_unique<FIX::SessionSettings>();
    FIX::Dictionary d;
    d.setString(FIX::CONNECTION_TYPE, "initiator");
    d.setString(FIX::SOCKET_CONNECT_HOST, cfg_.host);
    d.setInt(FIX::SOCKET_CONNECT_PORT, cfg_.port);
    d.setBool(FIX::SOCKET_NODELAY, true);
    d.setInt(FIX::HEARTBTINT, cfg_.heartbeatS);
    d.setInt(FIX::RECONNECT_INTERVAL, cfg_.reconnectIntervalS);
    // The gateway, not QuickFIX, owns trading hours.
    d.setString(FIX::START_TIME, "00:00:00");
    d.setString(FIX::END_TIME, "00:00:00");
    d.setBool(FIX::RESET_ON_LOGON, cfg_.resetOnLogon);
    d.setBool(FIX::RESET_ON_LOGOUT, false);
    d.setBool(FIX::RESET_ON_DISCONNECT, false);
    d.setBool(FIX::PERSIST_MESSAGES, true);
    if (cfg_.dataDictionary.empty()) {
      d.setBool(FIX::USE_DATA_DICTIONARY, false);
    } else {
      d.setBool(FIX::USE_DATA_DICTIONARY, true);
      d.setString(FIX::DATA_DICTIONARY, cfg_.dataDictionary);
      // Brokers add their own tags to reports (CTCI: 6000-range).
      d.setBool(FIX::VALIDATE_USER_DEFINED_FIELDS, false);
    }
    if (!cfg_.storePath.empty()) d.setString(FIX::FILE_STORE_PATH, cfg_.storePath);
    if (!cfg_.logPath.empty()) d.setString(FIX::FILE_LOG_PATH, cfg_.logPath);
    // QuickFIX reads some keys (ReconnectInterval among them) only from the
    // [DEFAULT] section: one session per initiator, so both get everything.
    settings_->set(d);
    settings_->set(sessionId_, d);
  }

  const VenueId id_;
  const FixVenueConfig cfg_;
  const InstrumentMaster instruments_;
  const Clock& clock_;
  const FIX::SessionID sessionId_;
  std::string accountTag_;  // Account (1) from add_tags, also sent on F and H
  bool currencyFixed_ = false;

  // Order state, shared by the io thread and the QuickFIX thread. Lock order:
  // QuickFIX's session mutex before mu_ (toApp runs under it), so mu_ is
  // never held while calling into QuickFIX.
  mutable std::mutex mu_;
  VenueEventSink* sink_ = nullptr;
  bool stopping_ = false;
  bool loggedOn_ = false;
  bool wasDisconnected_ = false;
  std::map<ChildOrderId, Order> orders_;
  std::map<std::string, Request> requests_;               // every ClOrdID we sent
  std::map<std::string, ChildOrderId> adoptedByOrderId_;  // venue OrderID -> adopted order
  std::map<int, std::string> seqToClOrdId_;               // outbound MsgSeqNum -> ClOrdID
  std::set<std::string> seenExecIds_;
  std::vector<VenueFill> fills_;
  std::map<uint64_t, PendingSnapshot> snapshots_;
  uint64_t nextSnapshotId_ = 0;

  std::mutex ioMu_;
  std::unique_ptr<EventLoop> io_;

  std::mutex lifeMu_;
  // Destroyed in reverse order: the initiator before the factories it uses.
  std::unique_ptr<FIX::SessionSettings> settings_;
  std::unique_ptr<FIX::MessageStoreFactory> storeFactory_;
  std::unique_ptr<FIX::LogFactory> fileLogFactory_;
  std::unique_ptr<FIX::LogFactory> logFactory_;
  std::unique_ptr<FIX::ThreadedSocketInitiator> initiator_;
};

// ---------------------------------------------------------------------------

FixVenue::FixVenue(VenueId id, FixVenueConfig cfg, const InstrumentMaster& instruments,
                   const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(id), std::move(cfg), instruments, clock)) {}

FixVenue::~FixVenue() = default;

const VenueId& FixVenue::id() const { return impl_->id(); }
void FixVenue::start(VenueEventSink& sink) { impl_->start(sink); }
void FixVenue::stop() { impl_->stop(); }
void FixVenue::submit(const VenueNewOrder& o) { impl_->submit(o); }
void FixVenue::cancel(const VenueCancel& c) { impl_->cancel(c); }
void FixVenue::replace(const VenueReplace& r) { impl_->replace(r); }
void FixVenue::requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) {
  impl_->requestSnapshot(since, std::move(cb));
}
void FixVenue::adoptOpenOrders(const std::vector<VenueOrderState>& orders) {
  impl_->adoptOpenOrders(orders);
}
bool FixVenue::isLoggedOn() const { return impl_->isLoggedOn(); }
const FixVenueConfig& FixVenue::config() const { return impl_->config(); }
std::string FixVenue::sessionKey() const { return impl_->sessionKey(); }

std::unique_ptr<VenueAdapter> makeFixVenue(const venues::VenueContext& ctx,
                                           venues::ParamReader& params) {
  FixVenueConfig cfg = readFixVenueConfig(params, ctx.configPath + ".params");
  return std::make_unique<FixVenue>(ctx.id, std::move(cfg), ctx.instruments, ctx.clock);
}

}  // namespace fixgw::fixvenue
