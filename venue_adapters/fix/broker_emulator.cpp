#include "venue_adapters/fix/broker_emulator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>

#include "core/clock.h"

// QuickFIX last: its headers define macros and a lot of names.
#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSocketAcceptor.h>

namespace fixgw::fixvenue {

namespace {

// A private body tag marking a message resendAsPossDup() queued; toApp turns
// it into PossDupFlag/OrigSendingTime after QuickFIX has stamped the header
// (Session::send strips both flags otherwise).
constexpr int kPossDupMarker = 29999;

std::string field(const FIX::FieldMap& m, int t) { return m.isSetField(t) ? m.getField(t) : ""; }

FixFields toFields(const FIX::Message& m) {
  FixFields out;
  for (auto it = m.getHeader().begin(); it != m.getHeader().end(); ++it)
    out[it->getTag()] = it->getString();
  for (auto it = m.begin(); it != m.end(); ++it) out[it->getTag()] = it->getString();
  return out;
}

class QuietLog final : public FIX::Log {
 public:
  explicit QuietLog(std::string name) : name_(std::move(name)) {}
  void clear() override {}
  void backup() override {}
  void onIncoming(const std::string&) override {}
  void onOutgoing(const std::string&) override {}
  void onEvent(const std::string& s) override { spdlog::debug("FIX emulator {}: {}", name_, s); }

 private:
  std::string name_;
};

class QuietLogFactory final : public FIX::LogFactory {
 public:
  FIX::Log* create() override { return new QuietLog("acceptor"); }
  FIX::Log* create(const FIX::SessionID& id) override { return new QuietLog(id.toString()); }
  void destroy(FIX::Log* log) override { delete log; }
};

}  // namespace

class BrokerEmulator::Impl final : public FIX::Application {
 public:
  explicit Impl(BrokerEmulatorConfig cfg)
      : cfg_(std::move(cfg)), sessionId_(cfg_.beginString, cfg_.senderCompId, cfg_.targetCompId) {
    if (cfg_.idPrefix.empty()) {
      cfg_.idPrefix = std::to_string(SystemClock::instance().wallNow() / 1'000'000) + "-";
    }
    fix42_ = cfg_.beginString == "FIX.4.2";
  }
  ~Impl() override { stop(); }

  void start() {
    std::lock_guard life(lifeMu_);
    if (acceptor_) return;
    if (cfg_.beginString != "FIX.4.2" && cfg_.beginString != "FIX.4.4")
      throw std::runtime_error("broker emulator: begin string '" + cfg_.beginString +
                               "' must be FIX.4.2 or FIX.4.4");
    if (cfg_.port <= 0 || cfg_.port > 65535)
      throw std::runtime_error("broker emulator: port out of range 1..65535");
    settings_ = std::make_unique<FIX::SessionSettings>();
    FIX::Dictionary d;
    d.setString(FIX::CONNECTION_TYPE, "acceptor");
    d.setInt(FIX::SOCKET_ACCEPT_PORT, cfg_.port);
    d.setBool(FIX::SOCKET_REUSE_ADDRESS, true);
    d.setBool(FIX::SOCKET_NODELAY, true);
    d.setString(FIX::START_TIME, "00:00:00");
    d.setString(FIX::END_TIME, "00:00:00");
    d.setInt(FIX::HEARTBTINT, cfg_.heartbeatS);
    d.setBool(FIX::RESET_ON_LOGON, false);
    d.setBool(FIX::RESET_ON_LOGOUT, false);
    d.setBool(FIX::RESET_ON_DISCONNECT, false);
    // Brokers' custom tags (CTCI 6000-range) must pass: no dictionary.
    d.setBool(FIX::USE_DATA_DICTIONARY, false);
    if (!cfg_.storePath.empty()) d.setString(FIX::FILE_STORE_PATH, cfg_.storePath);
    settings_->set(d);  // some keys are only read from [DEFAULT]
    settings_->set(sessionId_, d);
    try {
      if (!cfg_.storePath.empty()) {
        std::filesystem::create_directories(cfg_.storePath);
        store_ = std::make_unique<FIX::FileStoreFactory>(*settings_);
      } else {
        store_ = std::make_unique<FIX::MemoryStoreFactory>();
      }
      log_ = std::make_unique<QuietLogFactory>();
      acceptor_ = std::make_unique<FIX::ThreadedSocketAcceptor>(*this, *store_, *settings_, *log_);
      acceptor_->start();
    } catch (const std::exception& e) {
      acceptor_.reset();
      throw std::runtime_error(std::string("broker emulator: cannot start: ") + e.what());
    }
  }

  void stop() {
    std::lock_guard life(lifeMu_);
    if (!acceptor_) return;
    try {
      acceptor_->stop();
    } catch (const std::exception& e) {
      spdlog::warn("broker emulator: stop: {}", e.what());
    }
    acceptor_.reset();
    log_.reset();
    store_.reset();
    settings_.reset();
    setLoggedOn(false);
  }

  bool isLoggedOn() const {
    std::lock_guard lk(stateMu_);
    return loggedOn_;
  }

  bool waitLoggedOn(bool on, std::chrono::milliseconds timeout) const {
    std::unique_lock lk(stateMu_);
    return stateCv_.wait_for(lk, timeout, [&] { return loggedOn_ == on; });
  }

  void setPrice(const std::string& symbol, Price px) {
    std::lock_guard lk(mu_);
    prices_[symbol] = px;
  }
  void setAutoFill(bool on) {
    std::lock_guard lk(mu_);
    autoFill_ = on;
  }
  void rejectNext(std::string text) {
    std::lock_guard lk(mu_);
    rejectNext_ = std::move(text);
  }
  void setSilent(bool on) { silent_ = on; }
  void setAcceptLogons(bool on) { acceptLogons_ = on; }

  void disconnect() {
    if (FIX::Session* s = FIX::Session::lookupSession(sessionId_)) s->disconnect();
  }

  bool requestResend(int beginSeqNo) {
    FIX::Message m;
    m.getHeader().setField(35, "2");
    m.setField(7, std::to_string(beginSeqNo));
    m.setField(16, "0");
    try {
      return FIX::Session::sendToTarget(m, sessionId_);
    } catch (const std::exception&) {
      return false;
    }
  }

  std::string fill(const std::string& id, Qty qty, Price px) {
    std::vector<FIX::Message> out;
    std::string execId;
    {
      std::lock_guard lk(mu_);
      Order* o = find(id);
      if (!o || !o->open || !qty.isPositive() || qty > o->qty - o->cumQty) return "";
      execId = addFill(*o, qty, px, out);
    }
    sendAll(out);
    return execId;
  }

  bool resendAsPossDup(const std::string& execId) {
    FIX::Message copy;
    {
      std::lock_guard lk(mu_);
      auto it = sent_.find(execId);
      if (it == sent_.end()) return false;
      copy = it->second;
    }
    copy.setField(kPossDupMarker, field(copy.getHeader(), 52));
    return send(copy);
  }

  std::vector<FixFields> received(const std::string& type, bool admin) const {
    std::lock_guard lk(recMu_);
    const auto& src = admin ? admin_ : app_;
    std::vector<FixFields> out;
    for (const auto& f : src) {
      auto it = f.find(35);
      if (type.empty() || (it != f.end() && it->second == type)) out.push_back(f);
    }
    return out;
  }

  std::optional<EmulatedOrder> view(const std::string& id) const {
    std::lock_guard lk(mu_);
    const Order* o = const_cast<Impl*>(this)->find(id);
    if (!o) return std::nullopt;
    EmulatedOrder v;
    v.clOrdId = o->clOrdId;
    v.orderId = o->orderId;
    v.symbol = o->symbol;
    v.side = o->side;
    v.qty = o->qty;
    v.cumQty = o->cumQty;
    v.price = o->price;
    v.open = o->open;
    return v;
  }

  size_t openOrders() const {
    std::lock_guard lk(mu_);
    return static_cast<size_t>(std::count_if(orders_.begin(), orders_.end(),
                                             [](const auto& kv) { return kv.second.open; }));
  }

  // ---- FIX::Application ----
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override { setLoggedOn(true); }
  void onLogout(const FIX::SessionID&) override { setLoggedOn(false); }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message& m, const FIX::SessionID&) override {
    if (m.isSetField(kPossDupMarker)) {
      std::string orig = m.getField(kPossDupMarker);
      m.removeField(kPossDupMarker);
      m.getHeader().setField(43, "Y");
      if (!orig.empty()) m.getHeader().setField(122, orig);
    }
  }
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) override {
    {
      std::lock_guard lk(recMu_);
      admin_.push_back(toFields(m));
    }
    if (field(m.getHeader(), 35) == "A" && !acceptLogons_) {
      throw FIX::RejectLogon("broker emulator is refusing logons");
    }
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID&) override {
    {
      std::lock_guard lk(recMu_);
      app_.push_back(toFields(m));
    }
    const std::string type = field(m.getHeader(), 35);
    if (silent_) return;
    std::vector<FIX::Message> out;
    {
      std::lock_guard lk(mu_);
      if (type == "D") {
        onNew(m, out);
      } else if (type == "F") {
        onCancel(m, out);
      } else if (type == "G") {
        onReplace(m, out);
      } else if (type == "H") {
        onStatus(m, out);
      } else if (type == "AF" && !fix42_ && cfg_.massStatus) {
        onMassStatus(m, out);
      } else {
        throw FIX::UnsupportedMessageType();
      }
    }
    sendAll(out);
  }

 private:
  struct Order {
    std::string clOrdId;
    std::string orderId;
    std::string symbol;
    char side = '1';
    char ordType = '2';
    Qty qty;
    Qty cumQty;
    std::optional<Price> price;
    std::optional<Price> stopPx;  // 40=3/4: the order works once the reference reaches it
    __int128 rawNotional = 0;
    bool open = true;
  };

  void setLoggedOn(bool on) {
    std::lock_guard lk(stateMu_);
    loggedOn_ = on;
    stateCv_.notify_all();
  }

  Order* find(const std::string& id) {
    if (auto it = byClOrdId_.find(id); it != byClOrdId_.end()) return &orders_.at(it->second);
    if (auto it = orders_.find(id); it != orders_.end()) return &it->second;
    return nullptr;
  }

  Price refPrice(const std::string& symbol) const {
    auto it = prices_.find(symbol);
    return it == prices_.end() ? cfg_.defaultPrice : it->second;
  }

  bool marketable(const Order& o) const {
    Price ref = refPrice(o.symbol);
    if (o.stopPx && (o.side == '1' ? ref < *o.stopPx : ref > *o.stopPx)) return false;
    if (o.ordType == '1' || o.ordType == '3') return true;
    if (!o.price) return false;
    return o.side == '1' ? *o.price >= ref : *o.price <= ref;
  }

  char ordStatus(const Order& o) const {
    if (!o.open && o.cumQty < o.qty) return '4';
    if (o.cumQty >= o.qty) return '2';
    return o.cumQty.isPositive() ? '1' : '0';
  }

  std::string nextExecId() { return cfg_.idPrefix + "E" + std::to_string(++execSeq_); }

  // An ExecutionReport for o. execType44 is the FIX 4.4 ExecType; for 4.2 a
  // trade becomes 1/2 from the order status, with ExecTransType 0 (New).
  FIX::Message report(const Order& o, char execType44, const std::string& clOrdId,
                      const std::string& origClOrdId, Qty lastQty, Price lastPx,
                      const std::string& text) {
    FIX::Message m;
    m.getHeader().setField(35, "8");
    m.setField(37, o.orderId.empty() ? "NONE" : o.orderId);
    m.setField(11, clOrdId);
    if (!origClOrdId.empty()) m.setField(41, origClOrdId);
    m.setField(17, nextExecId());
    const char st = execType44 == '8' ? '8' : ordStatus(o);
    if (fix42_) {
      m.setField(20, "0");
      m.setField(150, std::string(1, execType44 == 'F' ? st : execType44));
    } else {
      m.setField(150, std::string(1, execType44));
    }
    m.setField(39, std::string(1, st));
    m.setField(55, o.symbol.empty() ? "?" : o.symbol);
    m.setField(54, std::string(1, o.side));
    m.setField(38, o.qty.str());
    m.setField(40, std::string(1, o.ordType));
    if (o.price) m.setField(44, o.price->str());
    if (o.stopPx) m.setField(99, o.stopPx->str());
    m.setField(32, lastQty.str());
    m.setField(31, lastPx.str());
    Qty leaves = (o.open && st != '8') ? o.qty - o.cumQty : Qty{};
    m.setField(151, leaves.str());
    m.setField(14, o.cumQty.str());
    m.setField(6, averageFromRaw(o.rawNotional, o.cumQty).str());
    m.setField(60, formatFixTimestamp(SystemClock::instance().wallNow()));
    if (!text.empty()) m.setField(58, text);
    return m;
  }

  std::string addFill(Order& o, Qty qty, Price px, std::vector<FIX::Message>& out) {
    o.cumQty += qty;
    o.rawNotional += rawProduct(px, qty);
    if (o.cumQty >= o.qty) o.open = false;
    out.push_back(report(o, 'F', o.clOrdId, "", qty, px, ""));
    return out.back().getField(17);
  }

  // Marketable orders fill at once: half (whole units) first, then the rest.
  void autoFill(Order& o, std::vector<FIX::Message>& out) {
    if (!autoFill_ || !o.open || !marketable(o)) return;
    Price px = refPrice(o.symbol);
    Qty leaves = o.qty - o.cumQty;
    int64_t units = leaves.mantissa() / kOne;
    if (units >= 2) {
      addFill(o, Qty::fromInt(units / 2), px, out);
      leaves = o.qty - o.cumQty;
    }
    addFill(o, leaves, px, out);
  }

  void rejectNew(const FIX::Message& in, const std::string& text, std::vector<FIX::Message>& out) {
    Order o;
    o.clOrdId = field(in, 11);
    o.symbol = field(in, 55);
    std::string side = field(in, 54);
    o.side = side.size() == 1 ? side[0] : '1';
    o.qty = Qty::parse(field(in, 38)).value_or(Qty{});
    o.open = false;
    FIX::Message m =
        report(o, '8', o.clOrdId.empty() ? "NONE" : o.clOrdId, "", Qty{}, Price{}, text);
    m.setField(103, "0");
    out.push_back(std::move(m));
  }

  void onNew(const FIX::Message& in, std::vector<FIX::Message>& out) {
    const std::string cl = field(in, 11);
    if (cl.empty()) return rejectNew(in, "ClOrdID (11) is required", out);
    if (byClOrdId_.count(cl)) return rejectNew(in, "duplicate ClOrdID '" + cl + "'", out);
    const std::string symbol = field(in, 55);
    if (symbol.empty()) return rejectNew(in, "Symbol (55) is required", out);
    const std::string side = field(in, 54);
    if (side != "1" && side != "2" && side != "5")
      return rejectNew(in, "Side (54) '" + side + "' not supported", out);
    auto qty = Qty::parse(field(in, 38));
    if (!qty || !qty->isPositive())
      return rejectNew(in, "OrderQty (38) '" + field(in, 38) + "' must be > 0", out);
    const std::string ordType = field(in, 40);
    if (ordType != "1" && ordType != "2" && ordType != "3" && ordType != "4")
      return rejectNew(in, "OrdType (40) '" + ordType + "' not supported", out);
    std::optional<Price> price;
    if (ordType == "2" || ordType == "4") {
      price = Price::parse(field(in, 44));
      if (!price || !price->isPositive())
        return rejectNew(in, "Price (44) is required for OrdType " + ordType, out);
    }
    std::optional<Price> stopPx;
    if (ordType == "3" || ordType == "4") {
      stopPx = Price::parse(field(in, 99));
      if (!stopPx || !stopPx->isPositive())
        return rejectNew(in, "StopPx (99) is required for OrdType " + ordType, out);
    }
    if (fix42_ && !in.isSetField(21)) return rejectNew(in, "HandlInst (21) is required", out);
    if (field(in, 59) == "6" && !in.isSetField(126) && !in.isSetField(432))
      return rejectNew(in, "TimeInForce 6 (GTD) needs ExpireTime (126) or ExpireDate (432)", out);
    for (int t : {110, 111}) {
      if (!in.isSetField(t)) continue;
      auto q = Qty::parse(in.getField(t));
      if (!q || !q->isPositive() || *q > *qty)
        return rejectNew(in,
                         std::string(t == 110 ? "MinQty (110)" : "MaxFloor (111)") + " '" +
                             in.getField(t) + "' must be > 0 and not above OrderQty (38)",
                         out);
    }
    if (symbol == "REJECT") return rejectNew(in, "symbol REJECT refused by broker emulator", out);
    if (!rejectNext_.empty()) {
      std::string text = std::move(rejectNext_);
      rejectNext_.clear();
      return rejectNew(in, text, out);
    }
    Order o;
    o.clOrdId = cl;
    o.orderId = cfg_.idPrefix + "O" + std::to_string(++orderSeq_);
    o.symbol = symbol;
    o.side = side[0];
    o.ordType = ordType[0];
    o.qty = *qty;
    o.price = price;
    o.stopPx = stopPx;
    byClOrdId_[cl] = o.orderId;
    Order& stored = orders_.emplace(o.orderId, std::move(o)).first->second;
    out.push_back(report(stored, '0', cl, "", Qty{}, Price{}, ""));
    autoFill(stored, out);
  }

  FIX::Message cancelReject(const std::string& cl, const std::string& orig, const Order* o,
                            bool replace, int reason, const std::string& text) {
    FIX::Message m;
    m.getHeader().setField(35, "9");
    m.setField(37, o && !o->orderId.empty() ? o->orderId : "NONE");
    m.setField(11, cl.empty() ? "NONE" : cl);
    m.setField(41, orig.empty() ? "NONE" : orig);
    m.setField(39, std::string(1, o ? ordStatus(*o) : '8'));
    m.setField(434, replace ? "2" : "1");
    m.setField(102, std::to_string(reason));
    m.setField(58, text);
    return m;
  }

  void onCancel(const FIX::Message& in, std::vector<FIX::Message>& out) {
    const std::string cl = field(in, 11);
    const std::string orig = field(in, 41);
    Order* o = find(orig);
    if (!o) o = find(field(in, 37));
    if (!o) {
      out.push_back(cancelReject(cl, orig, nullptr, false, 1, "unknown order '" + orig + "'"));
      return;
    }
    if (!o->open) {
      out.push_back(cancelReject(cl, orig, o, false, 0, "order is not open (too late to cancel)"));
      return;
    }
    if (!cl.empty()) byClOrdId_[cl] = o->orderId;
    o->open = false;
    out.push_back(report(*o, '4', cl, orig, Qty{}, Price{}, "canceled on request"));
  }

  void onReplace(const FIX::Message& in, std::vector<FIX::Message>& out) {
    const std::string cl = field(in, 11);
    const std::string orig = field(in, 41);
    Order* o = find(orig);
    if (!o) o = find(field(in, 37));
    if (!o) {
      out.push_back(cancelReject(cl, orig, nullptr, true, 1, "unknown order '" + orig + "'"));
      return;
    }
    if (!o->open) {
      out.push_back(cancelReject(cl, orig, o, true, 0, "order is not open (too late to replace)"));
      return;
    }
    auto qty = Qty::parse(field(in, 38));
    if (!qty || *qty <= o->cumQty) {
      out.push_back(cancelReject(
          cl, orig, o, true, 99,
          "OrderQty (38) '" + field(in, 38) + "' must exceed filled " + o->cumQty.str()));
      return;
    }
    if (cl.empty() || byClOrdId_.count(cl)) {
      out.push_back(cancelReject(cl, orig, o, true, 99, "ClOrdID (11) missing or duplicate"));
      return;
    }
    std::optional<Price> px;
    if (o->ordType == '2' || o->ordType == '4') {
      px = Price::parse(field(in, 44));
      if (!px || !px->isPositive()) {
        out.push_back(cancelReject(cl, orig, o, true, 99, "Price (44) is required"));
        return;
      }
    }
    std::optional<Price> stopPx;
    if (o->ordType == '3' || o->ordType == '4') {
      stopPx = Price::parse(field(in, 99));
      if (!stopPx || !stopPx->isPositive()) {
        out.push_back(cancelReject(cl, orig, o, true, 99, "StopPx (99) is required"));
        return;
      }
    }
    o->qty = *qty;
    o->price = px;
    o->stopPx = stopPx;
    o->clOrdId = cl;
    byClOrdId_[cl] = o->orderId;
    out.push_back(report(*o, '5', cl, orig, Qty{}, Price{}, ""));
    autoFill(*o, out);
  }

  void onStatus(const FIX::Message& in, std::vector<FIX::Message>& out) {
    const std::string cl = field(in, 11);
    Order* o = find(cl);
    if (!o) o = find(field(in, 37));
    Order unknown;
    if (!o) {
      unknown.clOrdId = cl;
      unknown.symbol = field(in, 55);
      std::string side = field(in, 54);
      unknown.side = side.size() == 1 ? side[0] : '1';
      unknown.open = false;
    }
    const Order& ord = o ? *o : unknown;
    FIX::Message m = report(ord, o ? 'I' : '8', cl.empty() ? "NONE" : cl, "", Qty{}, Price{},
                            o ? "" : "unknown order");
    // Status replies: 4.4 ExecType I; 4.2 ExecTransType 3 with the status.
    if (fix42_) {
      m.setField(20, "3");
      m.setField(150, m.getField(39));
    } else {
      m.setField(150, "I");
      if (!o) m.setField(39, "8");
    }
    if (in.isSetField(790)) m.setField(790, in.getField(790));
    out.push_back(std::move(m));
  }

  // OrderMassStatusRequest (FIX 4.4): one status report (150=I) per order
  // of the session, open or done, each with MassStatusReqID (584) and
  // TotNumReports (911), the last with LastRptRequested (912=Y). With no
  // orders to report: a BusinessMessageReject naming the request.
  void onMassStatus(const FIX::Message& in, std::vector<FIX::Message>& out) {
    const std::string reqId = field(in, 584);
    const std::string reqType = field(in, 585);
    if (reqId.empty() || reqType != "7") {
      FIX::Message j;
      j.getHeader().setField(35, "j");
      j.setField(45, field(in.getHeader(), 34));
      j.setField(372, "AF");
      if (!reqId.empty()) j.setField(379, reqId);
      j.setField(380, "5");  // conditionally required field missing
      j.setField(58, reqId.empty() ? "MassStatusReqID (584) is required"
                                   : "MassStatusReqType (585) '" + reqType +
                                         "' not supported; 7 (all orders) is");
      out.push_back(std::move(j));
      return;
    }
    if (orders_.empty()) {
      FIX::Message j;
      j.getHeader().setField(35, "j");
      j.setField(45, field(in.getHeader(), 34));
      j.setField(372, "AF");
      j.setField(379, reqId);
      j.setField(380, "0");
      j.setField(58, "no orders to report");
      out.push_back(std::move(j));
      return;
    }
    size_t n = 0;
    for (const auto& [oid, o] : orders_) {
      FIX::Message m = report(o, 'I', o.clOrdId, "", Qty{}, Price{}, "");
      m.setField(584, reqId);
      m.setField(911, std::to_string(orders_.size()));
      m.setField(912, ++n == orders_.size() ? "Y" : "N");
      out.push_back(std::move(m));
    }
  }

  bool send(FIX::Message& m) {
    try {
      return FIX::Session::sendToTarget(m, sessionId_);
    } catch (const std::exception& e) {
      spdlog::warn("broker emulator: send failed: {}", e.what());
      return false;
    }
  }

  // Sends in order; not logged on is fine: QuickFIX stores the message and
  // resends it when the client asks.
  void sendAll(std::vector<FIX::Message>& out) {
    for (auto& m : out) {
      send(m);
      if (field(m.getHeader(), 35) == "8" && m.isSetField(17)) {
        std::lock_guard lk(mu_);
        sent_[m.getField(17)] = m;
      }
    }
  }

  BrokerEmulatorConfig cfg_;
  const FIX::SessionID sessionId_;
  bool fix42_ = false;

  mutable std::mutex mu_;                // orders, prices, switches; never held while sending
  std::map<std::string, Order> orders_;  // by OrderID
  std::map<std::string, std::string> byClOrdId_;  // any ClOrdID version -> OrderID
  std::map<std::string, Price> prices_;
  std::map<std::string, FIX::Message> sent_;  // ExecID -> report as sent
  bool autoFill_ = true;
  std::atomic<bool> silent_{false};
  std::string rejectNext_;
  uint64_t execSeq_ = 0;
  uint64_t orderSeq_ = 0;
  std::atomic<bool> acceptLogons_{true};

  mutable std::mutex recMu_;
  std::vector<FixFields> app_;
  std::vector<FixFields> admin_;

  mutable std::mutex stateMu_;
  mutable std::condition_variable stateCv_;
  bool loggedOn_ = false;

  std::mutex lifeMu_;
  std::unique_ptr<FIX::SessionSettings> settings_;
  std::unique_ptr<FIX::MessageStoreFactory> store_;
  std::unique_ptr<FIX::LogFactory> log_;
  std::unique_ptr<FIX::ThreadedSocketAcceptor> acceptor_;
};

BrokerEmulator::BrokerEmulator(BrokerEmulatorConfig cfg)
    : impl_(std::make_unique<Impl>(std::move(cfg))) {}
BrokerEmulator::~BrokerEmulator() = default;
void BrokerEmulator::start() { impl_->start(); }
void BrokerEmulator::stop() { impl_->stop(); }
bool BrokerEmulator::isLoggedOn() const { return impl_->isLoggedOn(); }
bool BrokerEmulator::waitLoggedOn(bool loggedOn, std::chrono::milliseconds timeout) const {
  return impl_->waitLoggedOn(loggedOn, timeout);
}
void BrokerEmulator::setPrice(const std::string& symbol, Price px) { impl_->setPrice(symbol, px); }
void BrokerEmulator::setAutoFill(bool on) { impl_->setAutoFill(on); }
void BrokerEmulator::rejectNext(std::string text) { impl_->rejectNext(std::move(text)); }
void BrokerEmulator::setSilent(bool on) { impl_->setSilent(on); }
void BrokerEmulator::setAcceptLogons(bool on) { impl_->setAcceptLogons(on); }
void BrokerEmulator::disconnect() { impl_->disconnect(); }
bool BrokerEmulator::requestResend(int beginSeqNo) { return impl_->requestResend(beginSeqNo); }
std::string BrokerEmulator::fill(const std::string& id, Qty qty, Price px) {
  return impl_->fill(id, qty, px);
}
bool BrokerEmulator::resendAsPossDup(const std::string& execId) {
  return impl_->resendAsPossDup(execId);
}
std::vector<FixFields> BrokerEmulator::received(const std::string& msgType) const {
  return impl_->received(msgType, false);
}
std::vector<FixFields> BrokerEmulator::receivedAdmin(const std::string& msgType) const {
  return impl_->received(msgType, true);
}
std::optional<EmulatedOrder> BrokerEmulator::order(const std::string& id) const {
  return impl_->view(id);
}
size_t BrokerEmulator::openOrders() const { return impl_->openOrders(); }

}  // namespace fixgw::fixvenue
