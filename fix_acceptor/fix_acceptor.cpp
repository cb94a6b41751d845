#include "fix_acceptor/fix_acceptor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>
#include <variant>

#include "core/clock.h"
#include "core/log.h"
#include "fix_acceptor/append_store.h"
#include "fix_acceptor/exec_report_encoder.h"
#include "fix_acceptor/logon_auth.h"
#include "fix_acceptor/order_fields.h"
#include "fix_acceptor/pg_message_store.h"
#include "fix_acceptor/transport.h"
#include "fix_common/codes.h"

// QuickFIX last: its headers define macros and a lot of names.
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionFactory.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSocketAcceptor.h>

namespace fixgw::fix {

namespace {

// Tags the acceptor reads or writes. Named here rather than through
// QuickFIX's typed fields: every value is handled as a string and converted
// with the core parsers, never through double.
namespace tag {
constexpr int Account = 1;
constexpr int AvgPx = 6;
constexpr int ClOrdID = 11;
constexpr int CumQty = 14;
constexpr int ExecID = 17;
constexpr int ExecTransType = 20;
constexpr int LastMkt = 30;
constexpr int LastPx = 31;
constexpr int LastQty = 32;  // LastShares in FIX 4.2
constexpr int MsgSeqNum = 34;
constexpr int MsgType = 35;
constexpr int OrderID = 37;
constexpr int OrderQty = 38;
constexpr int OrdStatus = 39;
constexpr int OrdType = 40;
constexpr int OrigClOrdID = 41;
constexpr int Price = 44;
constexpr int StopPx = 99;
constexpr int RefSeqNum = 45;
constexpr int Side = 54;
constexpr int Symbol = 55;
constexpr int Text = 58;
constexpr int TimeInForce = 59;
constexpr int TransactTime = 60;
constexpr int PossResend = 97;
constexpr int ExDestination = 100;
constexpr int CxlRejReason = 102;
constexpr int OrdRejReason = 103;
constexpr int OnBehalfOfCompID = 115;
constexpr int ExecType = 150;
constexpr int LeavesQty = 151;
constexpr int RefMsgType = 372;
constexpr int BusinessRejectRefID = 379;
constexpr int BusinessRejectReason = 380;
constexpr int CxlRejResponseTo = 434;
constexpr int MassCancelRequestType = 530;
constexpr int MassCancelResponse = 531;
constexpr int MassCancelRejectReason = 532;
constexpr int TotalAffectedOrders = 533;
constexpr int MassStatusReqID = 584;
constexpr int MassStatusReqType = 585;
constexpr int OrdStatusReqID = 790;
constexpr int TotNumReports = 911;
constexpr int LastRptRequested = 912;
}  // namespace tag

// BusinessRejectReason (380) values we send.
constexpr int kBizRejectOther = 0;
constexpr int kBizRejectConditionallyRequiredMissing = 5;

template <class T>
using Converted = std::variant<T, FieldError>;

std::optional<std::string> optField(const FIX::FieldMap& m, int t) {
  if (!m.isSetField(t)) return std::nullopt;
  return m.getField(t);
}

std::string fieldOr(const FIX::FieldMap& m, int t, std::string dflt = {}) {
  return m.isSetField(t) ? m.getField(t) : std::move(dflt);
}

std::string sohToPipe(std::string s) {
  std::replace(s.begin(), s.end(), '\x01', '|');
  return s;
}

// Reads a positive quantity: the only error texts a client sees for tag 38.
Converted<Qty> readQty(const FIX::FieldMap& m, const char* what) {
  auto raw = optField(m, tag::OrderQty);
  if (!raw) return FieldError{tag::OrderQty, std::string(what) + ": OrderQty (38) is required"};
  auto q = Qty::parse(*raw);
  if (!q) {
    return FieldError{tag::OrderQty, "OrderQty (38) '" + *raw +
                                         "' is not a plain decimal with at most 8 decimals"};
  }
  if (!q->isPositive()) {
    return FieldError{tag::OrderQty, "OrderQty (38) must be > 0, got '" + *raw + "'"};
  }
  return *q;
}

// A price tag that must be a positive plain decimal.
Converted<std::optional<Price>> parsePositivePrice(int t, const char* name,
                                                   const std::string& raw) {
  auto p = Price::parse(raw);
  if (!p) {
    return FieldError{t, std::string(name) + " (" + std::to_string(t) + ") '" + raw +
                             "' is not a plain decimal with at most 8 decimals"};
  }
  if (!p->isPositive()) {
    return FieldError{
        t, std::string(name) + " (" + std::to_string(t) + ") must be > 0, got '" + raw + "'"};
  }
  return std::optional<Price>{*p};
}

const char* ordTypeText(OrdType t) {
  switch (t) {
    case OrdType::Market:
      return "a market order (OrdType 40=1)";
    case OrdType::Limit:
      return "a limit order (OrdType 40=2)";
    case OrdType::Stop:
      return "a stop order (OrdType 40=3)";
    case OrdType::StopLimit:
      return "a stop-limit order (OrdType 40=4)";
  }
  return "this OrdType";
}

// Price (44) is conditionally required: present and > 0 for limit and
// stop-limit orders, absent for market and stop orders.
Converted<std::optional<Price>> readPrice(const FIX::FieldMap& m, OrdType ordType) {
  auto raw = optField(m, tag::Price);
  if (!hasLimitPrice(ordType)) {
    if (raw)
      return FieldError{tag::Price,
                        std::string("Price (44) is not allowed on ") + ordTypeText(ordType)};
    return std::optional<Price>{};
  }
  if (!raw)
    return FieldError{tag::Price,
                      std::string("Price (44) is required for ") + ordTypeText(ordType)};
  return parsePositivePrice(tag::Price, "Price", *raw);
}

// StopPx (99): present and > 0 for stop and stop-limit orders, absent otherwise.
Converted<std::optional<Price>> readStopPx(const FIX::FieldMap& m, OrdType ordType) {
  auto raw = optField(m, tag::StopPx);
  if (!hasStopPrice(ordType)) {
    if (raw)
      return FieldError{tag::StopPx,
                        std::string("StopPx (99) is not allowed on ") + ordTypeText(ordType)};
    return std::optional<Price>{};
  }
  if (!raw)
    return FieldError{tag::StopPx,
                      std::string("StopPx (99) is required for ") + ordTypeText(ordType)};
  return parsePositivePrice(tag::StopPx, "StopPx", *raw);
}

Converted<Side> readSide(const FIX::FieldMap& m) {
  auto raw = fieldOr(m, tag::Side);
  if (auto s = convertSide(raw)) return *s;
  return FieldError{tag::Side, "unsupported Side (54) '" + raw + "': expected 1, 2 or 5"};
}

Converted<OrdType> readOrdType(const FIX::FieldMap& m) {
  auto raw = fieldOr(m, tag::OrdType);
  if (auto t = convertOrdType(raw)) return *t;
  return FieldError{tag::OrdType, "unsupported OrdType (40) '" + raw + "': expected 1, 2, 3 or 4"};
}

// TimeInForce (59) defaults to Day when absent, as FIX specifies.
Converted<TimeInForce> readTif(const FIX::FieldMap& m) {
  auto raw = optField(m, tag::TimeInForce);
  if (!raw) return TimeInForce::Day;
  if (auto t = convertTimeInForce(*raw)) return *t;
  return FieldError{tag::TimeInForce,
                    "unsupported TimeInForce (59) '" + *raw + "': expected 0, 1, 2, 3, 4 or 6"};
}

Converted<ClOrdId> readId(const FIX::FieldMap& m, int t, const char* name) {
  auto raw = optField(m, t);
  if (!raw || raw->empty()) {
    return FieldError{t, std::string(name) + " (" + std::to_string(t) + ") is required"};
  }
  return ClOrdId(*raw);
}

// Unwraps a Converted<T> into `out`, or stores the error and returns false.
template <class T>
bool take(Converted<T>&& c, T& out, std::optional<FieldError>& err) {
  if (auto* e = std::get_if<FieldError>(&c)) {
    err = std::move(*e);
    return false;
  }
  out = std::move(std::get<T>(c));
  return true;
}

// The message the session thread is processing, as QuickFIX logged it just
// before parsing it (SpdLog::onIncoming). It is the audit copy: the bytes as
// received, copied once off QuickFIX's string into a buffer that the message
// log, the command, the order row and its RECEIVED event then share.
thread_local SharedText tlsLastIncoming;

// tlsLastIncoming if it is this message (same MsgSeqNum; a message QuickFIX
// queued behind a sequence gap is processed after another one was logged),
// else the parsed message serialised again.
SharedText rawOf(const FIX::Message& m, const std::string& seq) {
  const std::string& raw = tlsLastIncoming.str();
  const size_t p = raw.find(
      "\x01"
      "34=");
  if (p != std::string::npos) {
    const size_t v = p + 4;
    const size_t e = raw.find('\x01', v);
    if (e != std::string::npos && raw.compare(v, e - v, seq) == 0) return tlsLastIncoming;
  }
  return SharedText(m.toString());
}

CommandHeader readHeader(const FIX::Message& m, const FIX::SessionID& id) {
  CommandHeader h;
  h.session = SessionKey(id.toString());
  auto seq = fieldOr(m.getHeader(), tag::MsgSeqNum, "0");
  h.msgSeqNum = std::atoi(seq.c_str());
  h.rawFix = rawOf(m, seq);
  h.receivedAt = SystemClock::instance().wallNow();
  return h;
}

FixVersion versionOf(const FIX::SessionID& id) {
  return versionFromBeginString(id.getBeginString().getValue()).value_or(FixVersion::Fix44);
}

// ---- one convert per inbound message -------------------------------------

Converted<NewOrder> convertNewOrder(const FIX::Message& m, const FIX::SessionID& id) {
  NewOrder o;
  std::optional<FieldError> err;
  if (!take(readId(m, tag::ClOrdID, "ClOrdID"), o.clOrdId, err)) return *err;
  if (!take(readSide(m), o.side, err)) return *err;
  if (!take(readOrdType(m), o.ordType, err)) return *err;
  if (!take(readTif(m), o.tif, err)) return *err;
  if (!take(readQty(m, "NewOrderSingle"), o.qty, err)) return *err;
  if (!take(readPrice(m, o.ordType), o.price, err)) return *err;
  if (!take(readStopPx(m, o.ordType), o.stopPx, err)) return *err;
  auto symbol = fieldOr(m, tag::Symbol);
  if (symbol.empty()) return FieldError{tag::Symbol, "Symbol (55) is required"};
  o.symbol = Symbol(symbol);
  o.account = Account(fieldOr(m, tag::Account));
  o.hdr = readHeader(m, id);
  if (!take(readOrderDetails(m, versionOf(id), {o.ordType, o.tif, o.qty, o.hdr.receivedAt}),
            o.details, err))
    return *err;
  if (auto dest = optField(m, tag::ExDestination); dest && !dest->empty()) {
    o.exDestination = VenueId(*dest);
  }
  o.possResend = fieldOr(m.getHeader(), tag::PossResend) == "Y";
  return o;
}

Converted<CancelOrder> convertCancel(const FIX::Message& m, const FIX::SessionID& id) {
  CancelOrder c;
  std::optional<FieldError> err;
  if (!take(readId(m, tag::ClOrdID, "ClOrdID"), c.clOrdId, err)) return *err;
  if (!take(readId(m, tag::OrigClOrdID, "OrigClOrdID"), c.origClOrdId, err)) return *err;
  if (!take(readSide(m), c.side, err)) return *err;
  auto symbol = fieldOr(m, tag::Symbol);
  if (symbol.empty()) return FieldError{tag::Symbol, "Symbol (55) is required"};
  c.symbol = Symbol(symbol);
  if (auto oid = optField(m, tag::OrderID); oid && !oid->empty()) c.orderId = OrderId(*oid);
  c.hdr = readHeader(m, id);
  return c;
}

Converted<ReplaceOrder> convertReplace(const FIX::Message& m, const FIX::SessionID& id) {
  ReplaceOrder r;
  std::optional<FieldError> err;
  if (!take(readId(m, tag::ClOrdID, "ClOrdID"), r.clOrdId, err)) return *err;
  if (!take(readId(m, tag::OrigClOrdID, "OrigClOrdID"), r.origClOrdId, err)) return *err;
  if (!take(readSide(m), r.side, err)) return *err;
  if (!take(readOrdType(m), r.ordType, err)) return *err;
  if (!take(readTif(m), r.tif, err)) return *err;
  if (!take(readQty(m, "OrderCancelReplaceRequest"), r.qty, err)) return *err;
  if (!take(readPrice(m, r.ordType), r.price, err)) return *err;
  if (!take(readStopPx(m, r.ordType), r.stopPx, err)) return *err;
  auto symbol = fieldOr(m, tag::Symbol);
  if (symbol.empty()) return FieldError{tag::Symbol, "Symbol (55) is required"};
  r.symbol = Symbol(symbol);
  r.account = Account(fieldOr(m, tag::Account));
  if (auto oid = optField(m, tag::OrderID); oid && !oid->empty()) r.orderId = OrderId(*oid);
  r.hdr = readHeader(m, id);
  if (!take(readOrderDetails(m, versionOf(id), {r.ordType, r.tif, r.qty, r.hdr.receivedAt}),
            r.details, err))
    return *err;
  return r;
}

Converted<StatusRequest> convertStatus(const FIX::Message& m, const FIX::SessionID& id) {
  StatusRequest s;
  std::optional<FieldError> err;
  if (!take(readId(m, tag::ClOrdID, "ClOrdID"), s.clOrdId, err)) return *err;
  if (!take(readSide(m), s.side, err)) return *err;
  auto symbol = fieldOr(m, tag::Symbol);
  if (symbol.empty()) return FieldError{tag::Symbol, "Symbol (55) is required"};
  s.symbol = Symbol(symbol);
  if (auto oid = optField(m, tag::OrderID); oid && !oid->empty()) s.orderId = OrderId(*oid);
  s.ordStatusReqId = fieldOr(m, tag::OrdStatusReqID);
  s.hdr = readHeader(m, id);
  return s;
}

// 35=AF. MassStatusReqType (585): 1 by symbol, 7 all orders, 8 by PartyID,
// 9 by account; the others (by underlying, product, CFI code, security
// type, trading session) name an instrument classification the gateway
// does not keep.
Converted<MassStatusRequest> convertMassStatus(const FIX::Message& m, const FIX::SessionID& id) {
  MassStatusRequest q;
  q.massStatusReqId = fieldOr(m, tag::MassStatusReqID);
  if (q.massStatusReqId.empty())
    return FieldError{tag::MassStatusReqID, "MassStatusReqID (584) is required"};
  auto rawType = fieldOr(m, tag::MassStatusReqType);
  q.reqType = std::atoi(rawType.c_str());
  if (q.reqType != 1 && q.reqType != 7 && q.reqType != 8 && q.reqType != 9)
    return FieldError{tag::MassStatusReqType, "unsupported MassStatusReqType (585) '" + rawType +
                                                  "': expected 1 (by symbol), 7 (all orders), 8 "
                                                  "(by PartyID) or 9 (by account)"};
  if (auto sym = optField(m, tag::Symbol); sym && !sym->empty()) q.symbol = Symbol(*sym);
  if (auto acc = optField(m, tag::Account); acc && !acc->empty()) q.account = Account(*acc);
  q.partyId = firstPartyId(m, versionOf(id));
  if (q.reqType == 1 && !q.symbol)
    return FieldError{tag::Symbol, "Symbol (55) is required when MassStatusReqType (585) = 1"};
  if (q.reqType == 8 && (!q.partyId || q.partyId->empty()))
    return FieldError{448,
                      "a PartyID (448 in Parties 453; ClientID 109 in FIX 4.2) is "
                      "required when MassStatusReqType (585) = 8"};
  if (q.reqType == 9 && !q.account)
    return FieldError{tag::Account, "Account (1) is required when MassStatusReqType (585) = 9"};
  q.hdr = readHeader(m, id);
  return q;
}

Converted<MassCancel> convertMassCancel(const FIX::Message& m, const FIX::SessionID& id) {
  MassCancel q;
  std::optional<FieldError> err;
  if (!take(readId(m, tag::ClOrdID, "ClOrdID"), q.clOrdId, err)) return *err;
  auto rawType = fieldOr(m, tag::MassCancelRequestType);
  auto type = convertMassCancelRequestType(rawType);
  if (!type) {
    return FieldError{tag::MassCancelRequestType,
                      "unsupported MassCancelRequestType (530) '" + rawType + "': expected 1 or 7"};
  }
  q.requestType = *type;
  if (auto sym = optField(m, tag::Symbol); sym && !sym->empty()) q.symbol = Symbol(*sym);
  if (q.requestType == '1' && !q.symbol) {
    return FieldError{tag::Symbol, "Symbol (55) is required when MassCancelRequestType (530) = 1"};
  }
  if (m.isSetField(tag::Side)) {
    Side side{};
    if (!take(readSide(m), side, err)) return *err;
    q.side = side;
  }
  q.hdr = readHeader(m, id);
  return q;
}

// ---- QuickFIX log -> spdlog -----------------------------------------------

// A Logon's credentials (Password 554, NewPassword 925, RawData 96, the encrypted
// forms 1402/1404) never reach a log: the copy every log gets has their values
// replaced by "***" (BodyLength/CheckSum then no longer match; it is a log copy,
// not a message). Only Logons carry them, so other messages pass untouched.
// Returns s itself (no copy on the per-message path) or the masked copy made in out.
const std::string& withoutCredentials(const std::string& s, std::string& out) {
  const size_t head = std::min<size_t>(s.size(), 40);
  // Octal escapes: "\001" is SOH and cannot run into the digits after it, as \x01 would.
  if (std::string_view(s.data(), head).find("\00135=A\001") == std::string_view::npos) return s;
  out = s;
  for (const char* t : {"\001554=", "\001925=", "\00196=", "\0011402=", "\0011404="}) {
    const size_t tl = std::strlen(t);
    for (size_t p = out.find(t); p != std::string::npos; p = out.find(t, p + tl)) {
      const size_t v = p + tl;
      const size_t e = out.find('\x01', v);
      out.replace(v, (e == std::string::npos ? out.size() : e) - v, "***");
    }
  }
  return out;
}

// Session events (logon, rejects, disconnects) go to spdlog so operators see
// them without message log files; raw traffic only at debug level. When a
// log path is configured, QuickFIX's FileLog also gets everything.
class SpdLog final : public FIX::Log {
 public:
  SpdLog(std::string name, FIX::Log* file, FixMessageSink* sink)
      : name_(std::move(name)), key_(name_), file_(file), sink_(sink) {}
  ~SpdLog() override { delete file_; }
  void clear() override {
    if (file_) file_->clear();
  }
  void backup() override {
    if (file_) file_->backup();
  }
  void onIncoming(const std::string& raw) override {
    std::string buf;
    const std::string& s = withoutCredentials(raw, buf);
    // The one copy of the inbound bytes: the message log and the command share it.
    tlsLastIncoming = SharedText(s);
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("FIX {} IN  {}", name_, sohToPipe(s));
    if (file_) file_->onIncoming(s);
    if (sink_) sink_->onFixMessageShared(key_, true, tlsLastIncoming);
  }
  void onOutgoing(const std::string& raw) override {
    std::string buf;
    const std::string& s = withoutCredentials(raw, buf);
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("FIX {} OUT {}", name_, sohToPipe(s));
    if (file_) file_->onOutgoing(s);
    if (sink_) sink_->onFixMessage(key_, false, s);
  }
  void onEvent(const std::string& s0) override {
    // Event texts (rejects, errors) may quote a field: mask 554/925 there too.
    const std::string s = maskSecrets(s0);
    spdlog::info("FIX {}: {}", name_, sohToPipe(s));
    if (file_) file_->onEvent(s);
  }

 private:
  std::string name_;
  SessionKey key_;
  FIX::Log* file_;
  FixMessageSink* sink_;
};

class SpdLogFactory final : public FIX::LogFactory {
 public:
  SpdLogFactory(FIX::LogFactory* file, FixMessageSink* sink) : file_(file), sink_(sink) {}
  // The global log sees no session traffic; only session logs feed the sink.
  FIX::Log* create() override {
    return new SpdLog("acceptor", file_ ? file_->create() : nullptr, nullptr);
  }
  FIX::Log* create(const FIX::SessionID& id) override {
    return new SpdLog(id.toString(), file_ ? file_->create(id) : nullptr, sink_);
  }
  void destroy(FIX::Log* log) override { delete log; }

 private:
  FIX::LogFactory* file_;
  FixMessageSink* sink_;
};

}  // namespace

// ---------------------------------------------------------------------------

class FixAcceptor::Impl final : public FIX::Application {
 public:
  Impl(FixAcceptorConfig cfg, CommandSink& sink) : cfg_(std::move(cfg)), sink_(sink) {
    // The session table is fixed at construction so deliver() can read it
    // from any thread without a lock.
    for (const auto& s : cfg_.sessions) {
      auto v = versionFromBeginString(s.beginString);
      if (!v) continue;  // start() reports it
      FIX::SessionID id(s.beginString, cfg_.senderCompId, s.targetCompId);
      sessions_.emplace(id.toString(), SessionInfo{id, *v, s.dropCopy, s.resetOnLogon});
    }
  }

  ~Impl() override {
    stop();
    // The sessions go before the store and log factories they were made with.
    transport_.reset();
    destroyOwnSessions();
  }

  void start() {
    std::lock_guard lock(lifecycleMu_);
    if (acceptor_ || transport_) throw std::runtime_error("FIX acceptor: start() called twice");
    validateConfig();
    try {
      buildSettings();
      if (cfg_.storeType == "append") {
        // Corked store appends only with the transport that corks its sends too.
        storeFactory_ =
            std::make_unique<AppendFileStoreFactory>(cfg_.storePath, cfg_.transport == "asio");
      } else if (cfg_.storeType == "file") {
        std::filesystem::create_directories(cfg_.storePath);
        storeFactory_ = std::make_unique<FIX::FileStoreFactory>(*settings_);
      } else if (cfg_.storeType == "postgres") {
        // Connects and checks the tables now (FIX::ConfigError, conninfo redacted).
        storeFactory_ = std::make_unique<PgMessageStoreFactory>(cfg_.storeConninfo);
      } else {
        storeFactory_ = std::make_unique<FIX::MemoryStoreFactory>();
      }
      if (!cfg_.logPath.empty()) {
        std::filesystem::create_directories(cfg_.logPath);
        fileLogFactory_ = std::make_unique<FIX::FileLogFactory>(*settings_);
      }
      logFactory_ = std::make_unique<SpdLogFactory>(fileLogFactory_.get(), cfg_.messageSink);
      loadCredentials();
      if (cfg_.transport == "asio") return startOwnTransport();
      // The constructor creates the sessions and loads the dictionaries.
      acceptor_ = std::make_unique<FIX::ThreadedSocketAcceptor>(*this, *storeFactory_, *settings_,
                                                                *logFactory_);
    } catch (const FIX::ConfigError& e) {
      reset();
      throw std::runtime_error(std::string("FIX acceptor: bad settings: ") + e.what());
    } catch (const std::filesystem::filesystem_error& e) {
      reset();
      throw std::runtime_error(std::string("FIX acceptor: cannot create store/log directory: ") +
                               e.what());
    }
    try {
      acceptor_->start();
    } catch (const FIX::Exception& e) {
      reset();
      throw std::runtime_error("FIX acceptor: cannot listen on port " + std::to_string(cfg_.port) +
                               ": " + e.what());
    }
    spdlog::info("FIX acceptor listening on port {} with {} session(s)", cfg_.port,
                 sessions_.size());
  }

  void stop() {
    std::lock_guard lock(lifecycleMu_);
    if (transport_ && !stopped_) {
      stopped_ = true;
      stopOwnTransport();
      return;
    }
    if (!acceptor_ || stopped_) return;
    stopped_ = true;
    try {
      acceptor_->stop();
    } catch (const std::exception& e) {
      spdlog::error("FIX acceptor: error while stopping: {}", e.what());
    }
  }

  void deliver(const ClientReport& r) {
    std::visit([this](const auto& rep) { deliverOne(rep); }, r);
  }

  // ---- FIX::Application ----
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    sink_.sessionLoggedOn(SessionKey(id.toString()));
    dropCopyStateChanged(id, true);
  }
  void onLogout(const FIX::SessionID& id) override {
    sink_.sessionLoggedOut(SessionKey(id.toString()));
    dropCopyStateChanged(id, false);
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID& id) override {
    if (m.getHeader().getField(tag::MsgType) == "A") checkLogon(m, id);
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID& id) override {
    const std::string& type = m.getHeader().getField(tag::MsgType);
    if (isDropCopy(id)) return refuseOnDropCopy(m, id, type);
    if (type == "D") {
      onNewOrder(m, id);
    } else if (type == "F") {
      onCancel(m, id);
    } else if (type == "G") {
      onReplace(m, id);
    } else if (type == "H") {
      onStatus(m, id);
    } else if (type == "q") {
      onMassCancel(m, id);
    } else if (type == "AF") {
      onMassStatus(m, id);
    } else {
      // In the dictionary but not something a client sends us (8, 9, j, r):
      // QuickFIX answers with 35=j BusinessRejectReason=3.
      throw FIX::UnsupportedMessageType("MsgType " + type + " is not accepted by the gateway");
    }
  }

 private:
  struct SessionInfo {
    FIX::SessionID id;
    FixVersion version;
    bool dropCopy = false;
    std::optional<bool> resetOnLogon;
  };

  // ---- drop copy (fix_acceptor/drop_copy.h) ----

 public:
  bool sendCopy(const SessionKey& dc, const ExecReport& r, const SessionKey& source) {
    auto it = sessions_.find(dc.str());
    if (it == sessions_.end() || !it->second.dropCopy) {
      spdlog::error("FIX acceptor: '{}' is not a drop-copy session", dc.str());
      return false;
    }
    // Only while logged on: a copy QuickFIX would merely store (or drop, with a reset logon)
    // is sent from the journal on the next logon instead.
    FIX::Session* session = FIX::Session::lookupSession(it->second.id);
    if (!session || !session->isLoggedOn()) return false;
    ExecReport copy = r;
    copy.session = dc;
    // The client the original went to: its SenderCompID, from "FIX.4.4:FIXGW->CLIENT1".
    const std::string& src = source.str();
    const size_t arrow = src.rfind("->");
    return deliverOne(copy, arrow == std::string::npos ? src : src.substr(arrow + 2));
  }

 private:
  bool isDropCopy(const FIX::SessionID& id) const {
    auto it = sessions_.find(id.toString());
    return it != sessions_.end() && it->second.dropCopy;
  }

  void dropCopyStateChanged(const FIX::SessionID& id, bool loggedOn) {
    if (!cfg_.dropCopyListener || !isDropCopy(id)) return;
    const SessionKey key(id.toString());
    if (loggedOn) {
      cfg_.dropCopyListener->dropCopyLoggedOn(key);
    } else {
      cfg_.dropCopyListener->dropCopyLoggedOut(key);
    }
  }

  // A drop-copy session is read-only: anything but session-level messages is answered with
  // a BusinessMessageReject, here on the session thread; nothing reaches the engine.
  // NotAuthorized (6) exists from FIX 4.3 on; FIX 4.2 says Other (0) and the Text says why.
  void refuseOnDropCopy(const FIX::Message& m, const FIX::SessionID& id, const std::string& type) {
    const std::string text = "session " + id.toString() +
                             " is a read-only drop-copy session: MsgType (35) '" + type +
                             "' is not accepted on it";
    spdlog::warn(
        "{}FIX {}: refusing 35={} ClOrdID={}: {}",
        log::orderFields(id.toString(), fieldOr(m, tag::ClOrdID), fieldOr(m, tag::OrderID)),
        id.toString(), type, fieldOr(m, tag::ClOrdID), text);
    FIX::Message out;
    out.getHeader().setField(tag::MsgType, "j");
    out.setField(tag::RefSeqNum, fieldOr(m.getHeader(), tag::MsgSeqNum, "0"));
    out.setField(tag::RefMsgType, type);
    if (auto ref = optField(m, tag::ClOrdID); ref && !ref->empty())
      out.setField(tag::BusinessRejectRefID, *ref);
    out.setField(tag::BusinessRejectReason, versionOf(id) == FixVersion::Fix42 ? "0" : "6");
    out.setField(tag::Text, text);
    send(out, id, "BusinessMessageReject");
  }

  // ---- inbound handlers: one per message type, any FIX version ----

  void onNewOrder(const FIX::Message& m, const FIX::SessionID& id) {
    auto c = convertNewOrder(m, id);
    if (auto* e = std::get_if<FieldError>(&c)) return invalid(m, id, *e, 0);
    sink_.submit(std::move(std::get<NewOrder>(c)));
  }

  void onReplace(const FIX::Message& m, const FIX::SessionID& id) {
    auto c = convertReplace(m, id);
    if (auto* e = std::get_if<FieldError>(&c)) return invalid(m, id, *e, 0);
    sink_.submit(std::move(std::get<ReplaceOrder>(c)));
  }

  void onCancel(const FIX::Message& m, const FIX::SessionID& id) {
    auto c = convertCancel(m, id);
    if (auto* e = std::get_if<FieldError>(&c)) return invalid(m, id, *e, 0);
    sink_.submit(std::move(std::get<CancelOrder>(c)));
  }

  void onStatus(const FIX::Message& m, const FIX::SessionID& id) {
    auto c = convertStatus(m, id);
    if (auto* e = std::get_if<FieldError>(&c)) return invalid(m, id, *e, kBizRejectOther);
    sink_.submit(std::move(std::get<StatusRequest>(c)));
  }

  void onMassCancel(const FIX::Message& m, const FIX::SessionID& id) {
    auto c = convertMassCancel(m, id);
    if (auto* e = std::get_if<FieldError>(&c)) {
      int reason = e->tag == tag::Symbol ? kBizRejectConditionallyRequiredMissing : kBizRejectOther;
      return invalid(m, id, *e, reason);
    }
    sink_.submit(std::move(std::get<MassCancel>(c)));
  }

  void onMassStatus(const FIX::Message& m, const FIX::SessionID& id) {
    auto c = convertMassStatus(m, id);
    if (auto* e = std::get_if<FieldError>(&c)) {
      int reason = e->tag == tag::MassStatusReqType ? kBizRejectOther
                                                    : kBizRejectConditionallyRequiredMissing;
      return invalid(m, id, *e, reason, fieldOr(m, tag::MassStatusReqID));
    }
    sink_.submit(std::move(std::get<MassStatusRequest>(c)));
  }

  // A message the dictionary accepted but our own checks refused. The engine
  // answers it (ExecutionReport Rejected for D, OrderCancelReject for F/G,
  // BusinessMessageReject for H/q) so the answer is journaled like any other.
  // Only fields that convert cleanly are carried.
  void invalid(const FIX::Message& m, const FIX::SessionID& id, const FieldError& e,
               int businessRejectReason, const std::string& refId = {}) {
    const std::string type = m.getHeader().getField(tag::MsgType);
    spdlog::warn(
        "{}FIX {}: refusing 35={} ClOrdID={}: {}",
        log::orderFields(id.toString(), fieldOr(m, tag::ClOrdID), fieldOr(m, tag::OrderID)),
        id.toString(), type, fieldOr(m, tag::ClOrdID), e.text);
    InvalidRequest iv;
    iv.hdr = readHeader(m, id);
    iv.msgType = type;
    iv.clOrdId = ClOrdId(refId.empty() ? fieldOr(m, tag::ClOrdID, "NONE") : refId);
    if (auto orig = optField(m, tag::OrigClOrdID)) iv.origClOrdId = ClOrdId(*orig);
    if (auto oid = optField(m, tag::OrderID)) iv.orderId = OrderId(*oid);
    iv.account = Account(fieldOr(m, tag::Account));
    iv.symbol = Symbol(fieldOr(m, tag::Symbol));
    iv.side = convertSide(fieldOr(m, tag::Side));
    iv.ordType = convertOrdType(fieldOr(m, tag::OrdType));
    if (auto t = optField(m, tag::TimeInForce)) iv.tif = convertTimeInForce(*t);
    if (auto q = Qty::parse(fieldOr(m, tag::OrderQty)); q && q->isPositive()) iv.qty = q;
    if (auto p = Price::parse(fieldOr(m, tag::Price)); p && p->isPositive()) iv.price = p;
    if (auto p = Price::parse(fieldOr(m, tag::StopPx)); p && p->isPositive()) iv.stopPx = p;
    iv.refTag = e.tag;
    iv.businessRejectReason = businessRejectReason;
    iv.text = e.text;
    sink_.submit(std::move(iv));
  }

  // ---- outbound: one builder per report type ----

  const SessionInfo* lookup(const SessionKey& key, const char* what) const {
    auto it = sessions_.find(key.str());
    if (it == sessions_.end()) {
      spdlog::error("FIX acceptor: cannot send {}: unknown session '{}'", what, key.str());
      return nullptr;
    }
    return &it->second;
  }

  static std::string timestamp(WallNanos t) {
    return formatFixTimestamp(t != 0 ? t : SystemClock::instance().wallNow());
  }

  // Operators look for rejects by ClOrdID: one structured order line per reject sent (not
  // per report: the happy path stays off the log).
  static void logRejectSent(const ExecReport& r, const std::string& onBehalfOf) {
    if (r.execType != ExecType::Rejected || !onBehalfOf.empty()) return;
    spdlog::info("{}ExecutionReport Rejected to {}: {}",
                 log::orderFields(r.session.str(), r.clOrdId.str(), r.orderId.str()),
                 r.session.str(), r.text);
  }

  // onBehalfOf: drop copies name the client the original went to (OnBehalfOfCompID 115).
  bool deliverOne(const ExecReport& r, const std::string& onBehalfOf = {}) {
    const SessionInfo* s = lookup(r.session, "ExecutionReport");
    if (!s) return false;
    logRejectSent(r, onBehalfOf);
    // The body is rendered straight into bytes (exec_report_encoder.h) and handed to QuickFIX
    // as one field of a message this thread reuses: QuickFIX still sequences, stores and logs
    // it, and nothing is assembled field by field on the engine thread.
    thread_local ExecReportSender sender;
    return send(sender.prepare(r, s->version, onBehalfOf), s->id, "ExecutionReport");
  }

  void deliverOne(const CancelReject& r) {
    const SessionInfo* s = lookup(r.session, "OrderCancelReject");
    if (!s) return;
    spdlog::info("{}OrderCancelReject to {}: {}",
                 log::orderFields(r.session.str(), r.clOrdId.str(),
                                  r.orderId ? r.orderId->str() : std::string()),
                 r.session.str(), r.text);
    FIX::Message out;
    out.getHeader().setField(tag::MsgType, "9");
    out.setField(tag::OrderID, r.orderId && !r.orderId->empty() ? r.orderId->str() : "NONE");
    out.setField(tag::ClOrdID, r.clOrdId.empty() ? "NONE" : r.clOrdId.str());
    out.setField(tag::OrigClOrdID, r.origClOrdId.empty() ? "NONE" : r.origClOrdId.str());
    out.setField(tag::OrdStatus, std::string(1, toFixOrdStatus(r.ordStatus)));
    out.setField(tag::CxlRejResponseTo, r.responseToReplace ? "2" : "1");
    out.setField(tag::CxlRejReason, std::to_string(toFixCxlRejReason(r.cxlRejReason, s->version)));
    out.setField(tag::TransactTime, timestamp(r.transactTime));
    if (!r.text.empty()) out.setField(tag::Text, r.text);
    send(out, s->id, "OrderCancelReject");
  }

  void deliverOne(const BusinessReject& r) {
    const SessionInfo* s = lookup(r.session, "BusinessMessageReject");
    if (!s) return;
    FIX::Message out;
    out.getHeader().setField(tag::MsgType, "j");
    if (r.refSeqNum > 0) out.setField(tag::RefSeqNum, std::to_string(r.refSeqNum));
    out.setField(tag::RefMsgType, r.refMsgType.empty() ? "?" : r.refMsgType);
    if (!r.businessRejectRefId.empty()) {
      out.setField(tag::BusinessRejectRefID, r.businessRejectRefId);
    }
    out.setField(tag::BusinessRejectReason, std::to_string(r.reason));
    if (!r.text.empty()) out.setField(tag::Text, r.text);
    send(out, s->id, "BusinessMessageReject");
  }

  void deliverOne(const MassCancelReport& r) {
    const SessionInfo* s = lookup(r.session, "OrderMassCancelReport");
    if (!s) return;
    FIX::Message out;
    out.getHeader().setField(tag::MsgType, "r");
    if (!r.clOrdId.empty()) out.setField(tag::ClOrdID, r.clOrdId.str());
    out.setField(tag::OrderID, r.orderId.empty() ? "NONE" : r.orderId.str());
    out.setField(tag::MassCancelRequestType, std::string(1, r.requestType));
    out.setField(tag::MassCancelResponse, std::string(1, r.response));
    if (r.response == '0' && r.rejectReason >= 0) {
      out.setField(tag::MassCancelRejectReason, std::to_string(r.rejectReason));
    }
    out.setField(tag::TotalAffectedOrders, std::to_string(r.totalAffected));
    if (r.symbol && !r.symbol->empty()) out.setField(tag::Symbol, r.symbol->str());
    if (!r.text.empty()) out.setField(tag::Text, r.text);
    out.setField(tag::TransactTime, timestamp(r.transactTime));
    send(out, s->id, "OrderMassCancelReport");
  }

  // Never throws into the caller (the engine thread or a session thread).
  bool send(FIX::Message& m, const FIX::SessionID& id, const char* what) {
    try {
      if (!FIX::Session::sendToTarget(m, id)) {
        spdlog::warn(
            "FIX {}: {} not sent now (session not logged on); QuickFIX keeps it for resend: {}",
            id.toString(), what, sohToPipe(m.toString()));
        return false;
      }
      return true;
    } catch (const FIX::SessionNotFound& e) {
      spdlog::error("FIX {}: cannot send {}: session not found ({}): {}", id.toString(), what,
                    e.what(), sohToPipe(m.toString()));
    } catch (const std::exception& e) {
      spdlog::error("FIX {}: sending {} failed: {}: {}", id.toString(), what, e.what(),
                    sohToPipe(m.toString()));
    }
    return false;
  }

  // ---- the gateway's own transport (transport.h) ----

  void validateTransportConfig() const {
    auto bad = [](const std::string& msg) {
      throw std::runtime_error("FIX acceptor: bad settings: " + msg);
    };
    if (cfg_.transport != "asio" && cfg_.transport != "quickfix")
      bad("transport '" + cfg_.transport + "' must be 'asio' or 'quickfix'");
    for (const auto& s : cfg_.sessions) {
      try {
        (void)IpAllowList::parse(s.allowFrom);
      } catch (const std::invalid_argument& e) {
        bad("session " + s.beginString + ":" + s.targetCompId + " allow_from: " + e.what());
      }
      if (!s.allowFrom.empty() && cfg_.transport != "asio")
        bad("session " + s.beginString + ":" + s.targetCompId +
            " allow_from needs transport 'asio' (QuickFIX's acceptor cannot check addresses)");
      if (s.requireLogonAuth && cfg_.credentialsFile.empty())
        bad("session " + s.beginString + ":" + s.targetCompId +
            " requires logon authentication but no credentials file is configured");
    }
    if (cfg_.transport == "quickfix" && (cfg_.tls.enabled() || !cfg_.hosts.empty()))
      bad("tls and hosts need transport 'asio'");
    if (cfg_.limits.maxConnections == 0) bad("max_connections must be > 0");
    if (cfg_.limits.logonTimeoutMs <= 0) bad("logon_timeout_ms must be > 0");
    if (cfg_.limits.messageTimeoutMs <= 0) bad("message_timeout_ms must be > 0");
    if (cfg_.limits.maxMessageBytes < 256) bad("max_message_bytes must be >= 256");
    if (cfg_.maxLogonFailures <= 0) bad("max_logon_failures must be > 0");
  }

  // Creates the sessions as QuickFIX's Acceptor::initialize does, then hands
  // them to the transport. Called from start() with the factories built.
  void startOwnTransport() {
    FIX::SessionFactory factory(*this, *storeFactory_, logFactory_.get());
    for (const auto& [key, info] : sessions_)
      ownSessions_.push_back(factory.create(info.id, settings_->get(info.id)));
    TransportConfig tc;
    tc.hosts = cfg_.hosts.empty() ? std::vector<std::string>{cfg_.host} : cfg_.hosts;
    tc.port = cfg_.port;
    tc.limits = cfg_.limits;
    tc.tls = cfg_.tls;
    tc.ioThreads = cfg_.ioThreads;
    std::vector<TransportSession> ts;
    for (const auto& s : cfg_.sessions)
      ts.push_back({s.beginString, cfg_.senderCompId, s.targetCompId,
                    IpAllowList::parse(s.allowFrom)});
    transport_ = std::make_unique<FixTransport>(std::move(tc), std::move(ts), cfg_.securitySink);
    try {
      transport_->start();
    } catch (const std::exception& e) {
      reset();
      throw std::runtime_error(std::string("FIX acceptor: ") + e.what());
    }
  }

  void stopOwnTransport() {
    try {
      transport_->stop();
    } catch (const std::exception& e) {
      spdlog::error("FIX acceptor: error while stopping: {}", e.what());
    }
  }

  void destroyOwnSessions() {
    for (FIX::Session* s : ownSessions_) delete s;
    ownSessions_.clear();
  }

  // ---- logon authentication (logon_auth.h) ----

  void loadCredentials() {
    bool needed = false;
    for (const auto& s : cfg_.sessions) {
      if (!s.requireLogonAuth) continue;
      needed = true;
      FIX::SessionID id(s.beginString, cfg_.senderCompId, s.targetCompId);
      authUsers_[id.toString()] = s.username.empty() ? s.targetCompId : s.username;
    }
    if (!needed) return;
    try {
      credentials_ = CredentialStore::load(cfg_.credentialsFile);
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("FIX acceptor: ") + e.what());
    }
    for (const auto& [session, user] : authUsers_)
      if (!credentials_->hasUser(user))
        spdlog::warn("FIX acceptor: session {} expects Username '{}', which is not in {}", session,
                     user, cfg_.credentialsFile);
    throttle_ = std::make_unique<LogonThrottle>(
        cfg_.maxLogonFailures, std::chrono::milliseconds(cfg_.logonFailureWindowMs));
  }

  // Called by QuickFIX for an inbound Logon before it is accepted; throwing
  // RejectLogon makes QuickFIX answer with a Logout carrying the reason in
  // Text (58) and disconnect.
  void checkLogon(const FIX::Message& m, const FIX::SessionID& id) {
    auto it = authUsers_.find(id.toString());
    if (it == authUsers_.end()) return;
    const std::string* peerPtr = FixTransport::currentPeer();
    const std::string peer = peerPtr ? *peerPtr : std::string();
    const std::string compKey = "comp:" + id.toString();
    const std::string addrKey = "addr:" + peer;
    if (throttle_->blocked(compKey) || (!peer.empty() && throttle_->blocked(addrKey))) {
      // No hash is computed: a blocked client cannot make the gateway burn CPU.
      refuseLogon(id, peer, "too many failed logons; try again later", false);
    }
    const std::string user = m.isSetField(553) ? m.getField(553) : std::string();
    const bool hasPassword = m.isSetField(554);
    if (user.empty() || !hasPassword)
      refuseLogon(id, peer, "Username (553) and Password (554) are required", true);
    const bool ok = user == it->second && credentials_->verify(user, m.getField(554));
    if (!ok) refuseLogon(id, peer, "logon refused: bad Username (553) or Password (554)", true);
    throttle_->success(compKey);
    if (!peer.empty()) throttle_->success(addrKey);
  }

  [[noreturn]] void refuseLogon(const FIX::SessionID& id, const std::string& peer,
                                const std::string& reason, bool countFailure) {
    if (countFailure) {
      throttle_->failure("comp:" + id.toString());
      if (!peer.empty()) throttle_->failure("addr:" + peer);
    }
    spdlog::warn("FIX {}: logon from {} refused: {}", id.toString(),
                 peer.empty() ? "?" : peer, reason);
    if (cfg_.securitySink) {
      try {
        cfg_.securitySink(SecurityEvent{id.toString(), peer, "LOGON_REJECTED", reason});
      } catch (const std::exception& e) {
        spdlog::error("FIX acceptor: security event sink failed: {}", e.what());
      }
    }
    throw FIX::RejectLogon(reason);
  }

  // ---- settings ----

  void validateConfig() const {
    auto bad = [](const std::string& msg) {
      throw std::runtime_error("FIX acceptor: bad settings: " + msg);
    };
    if (cfg_.port <= 0 || cfg_.port > 65535)
      bad("port " + std::to_string(cfg_.port) + " out of range 1..65535");
    if (cfg_.host.empty()) bad("host is empty");
    if (cfg_.senderCompId.empty()) bad("senderCompId is empty");
    if (cfg_.sessions.empty()) bad("no sessions configured");
    if (cfg_.heartBtInt <= 0) bad("heartBtInt must be > 0");
    if (cfg_.storeType != "append" && cfg_.storeType != "file" && cfg_.storeType != "memory" &&
        cfg_.storeType != "postgres") {
      bad("storeType '" + cfg_.storeType + "' must be 'append', 'file', 'memory' or 'postgres'");
    }
    if ((cfg_.storeType == "file" || cfg_.storeType == "append") && cfg_.storePath.empty()) {
      bad("storePath is empty");
    }
    if (cfg_.storeType == "postgres" && cfg_.storeConninfo.empty()) {
      bad("storeConninfo is empty (required when storeType is 'postgres')");
    }
    std::set<std::string> seen;
    for (const auto& s : cfg_.sessions) {
      auto v = versionFromBeginString(s.beginString);
      if (!v) bad("session beginString '" + s.beginString + "' must be FIX.4.2 or FIX.4.4");
      if (s.targetCompId.empty()) bad("session " + s.beginString + " has an empty targetCompId");
      std::string key = s.beginString + ":" + s.targetCompId;
      if (!seen.insert(key).second) bad("duplicate session " + key);
      auto dict = dictionaryPath(*v);
      if (!std::filesystem::is_regular_file(dict)) {
        bad("data dictionary '" + dict + "' not found (check specDir)");
      }
    }
    validateTransportConfig();
    if (cfg_.transport == "quickfix" && cfg_.host != "0.0.0.0") {
      // QuickFIX 1.15 (Debian 12) binds its acceptor to INADDR_ANY whatever the settings say,
      // and hides the accepted socket from the application, so the gateway cannot refuse other
      // interfaces itself. Say so rather than let "127.0.0.1" look like loopback only.
      spdlog::warn(
          "FIX acceptor: host '{}' cannot be enforced by QuickFIX 1.15: port {} listens on all "
          "interfaces; restrict it with a firewall (docs/architecture.md)",
          cfg_.host, cfg_.port);
    }
  }

  std::string dictionaryPath(FixVersion v) const {
    return (std::filesystem::path(cfg_.specDir) /
            (v == FixVersion::Fix42 ? "FIX42.xml" : "FIX44.xml"))
        .string();
  }

  void buildSettings() {
    settings_ = std::make_unique<FIX::SessionSettings>();
    FIX::Dictionary defaults;
    defaults.setString(FIX::CONNECTION_TYPE, "acceptor");
    defaults.setInt(FIX::SOCKET_ACCEPT_PORT, cfg_.port);
    defaults.setBool(FIX::SOCKET_REUSE_ADDRESS, true);
    defaults.setBool(FIX::SOCKET_NODELAY, true);
    // Sessions run around the clock; the gateway, not QuickFIX, owns trading hours.
    defaults.setString(FIX::START_TIME, "00:00:00");
    defaults.setString(FIX::END_TIME, "00:00:00");
    defaults.setInt(FIX::HEARTBTINT, cfg_.heartBtInt);
    defaults.setBool(FIX::RESET_ON_LOGON, cfg_.resetOnLogon);
    defaults.setBool(FIX::USE_DATA_DICTIONARY, true);
    defaults.setBool(FIX::VALIDATE_FIELDS_OUT_OF_ORDER, true);
    defaults.setBool(FIX::VALIDATE_FIELDS_HAVE_VALUES, true);
    defaults.setBool(FIX::VALIDATE_USER_DEFINED_FIELDS, true);
    defaults.setInt(FIX::TIMESTAMP_PRECISION, 3);
    if (cfg_.storeType == "file") defaults.setString(FIX::FILE_STORE_PATH, cfg_.storePath);
    if (!cfg_.logPath.empty()) defaults.setString(FIX::FILE_LOG_PATH, cfg_.logPath);
    settings_->set(defaults);
    for (const auto& [key, info] : sessions_) {
      FIX::Dictionary d;
      d.setString(FIX::DATA_DICTIONARY, dictionaryPath(info.version));
      if (info.resetOnLogon) d.setBool(FIX::RESET_ON_LOGON, *info.resetOnLogon);
      settings_->set(info.id, d);
    }
  }

  void reset() {
    transport_.reset();
    destroyOwnSessions();
    acceptor_.reset();
    logFactory_.reset();
    fileLogFactory_.reset();
    storeFactory_.reset();
    settings_.reset();
  }

  FixAcceptorConfig cfg_;
  CommandSink& sink_;
  std::map<std::string, SessionInfo> sessions_;  // by SessionKey text; immutable

  std::mutex lifecycleMu_;
  bool stopped_ = false;
  // Destroyed in reverse order: the acceptor before the factories it uses.
  std::unique_ptr<FIX::SessionSettings> settings_;
  std::unique_ptr<FIX::MessageStoreFactory> storeFactory_;
  std::unique_ptr<FIX::LogFactory> fileLogFactory_;
  std::unique_ptr<FIX::LogFactory> logFactory_;
  std::unique_ptr<FIX::ThreadedSocketAcceptor> acceptor_;
  // The gateway's own transport (cfg_.transport "asio") and the sessions it
  // drives; the sessions outlive the transport.
  std::vector<FIX::Session*> ownSessions_;
  std::unique_ptr<FixTransport> transport_;
  // Logon authentication; immutable after start().
  std::optional<CredentialStore> credentials_;
  std::map<std::string, std::string> authUsers_;  // SessionID text -> expected 553
  std::unique_ptr<LogonThrottle> throttle_;
};

FixAcceptor::FixAcceptor(FixAcceptorConfig cfg, CommandSink& sink)
    : impl_(std::make_unique<Impl>(std::move(cfg), sink)) {}

FixAcceptor::~FixAcceptor() = default;

void FixAcceptor::start() { impl_->start(); }
void FixAcceptor::stop() { impl_->stop(); }
bool FixAcceptor::sendCopy(const SessionKey& dropCopy, const ExecReport& r,
                           const SessionKey& source) {
  try {
    return impl_->sendCopy(dropCopy, r, source);
  } catch (const std::exception& e) {
    spdlog::error("FIX acceptor: drop copy to {} failed: {}", dropCopy.str(), e.what());
    return false;
  }
}

void FixAcceptor::deliver(const ClientReport& r) {
  try {
    impl_->deliver(r);
  } catch (const std::exception& e) {
    // Building a message can only fail on a programming error; the engine
    // must not pay for it.
    spdlog::error("FIX acceptor: deliver failed: {}", e.what());
  }
}

}  // namespace fixgw::fix
