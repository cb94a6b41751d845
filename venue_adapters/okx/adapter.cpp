#include "venue_adapters/okx/adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "venue_adapters/net/http.h"
#include "venue_adapters/okx/auth.h"
#include "venue_adapters/okx/parse.h"
#include "venue_adapters/okx/rest.h"

namespace fixgw::okx {

namespace {

constexpr int64_t kMs = 1'000'000;
// Lookups that must not find an order whose submit answer was lost before it
// is declared never placed (an in-flight request may still land).
constexpr int kNotFoundPolls = 3;

// A JSON string value: our ids and OKX's are alphanumeric with '-', but
// escape anyway so nothing can break the body.
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out + "\"";
}

struct MdSub {
  MarketDataSink* sink;
  size_t depth;
};

struct Child {
  ChildOrderId id;
  std::string clOrdId;  // OKX's clOrdId for it
  Symbol symbol;
  std::string instId;
  Side side = Side::Buy;
  std::string ordType;  // OKX's: market, limit, post_only, ioc, fok
  Qty qty;
  std::optional<Price> price;
  std::string ordId;
  Qty cum;
  Qty adoptedUnmatched;  // fills journaled before a restart, not yet matched to trade ids
  bool accepted = false;
  bool done = false;
  bool unknown = false;  // sent, outcome not known yet
  bool cancelRequested = false;
  int notFound = 0;
};

class OkxVenue final : public VenueAdapter {
 public:
  OkxVenue(VenueId id, OkxConfig cfg, Credentials cred, const InstrumentMaster& im,
           const Clock& clock)
      : id_(std::move(id)),
        cfg_(std::move(cfg)),
        cred_(cred),
        clock_(clock),
        rest_(cfg_, cred, clock) {
    for (const auto& [sym, inst] : im.all()) {
      instruments_[sym] = inst;
      toVenue_[sym] = instIdFor(inst, id_.str());
      fromInst_[toVenue_[sym]] = sym;
    }
  }

  ~OkxVenue() override { stop(); }

  const VenueId& id() const override { return id_; }

  void start(VenueEventSink& sink) override {
    sink_ = &sink;
    stopping_ = false;
    io_ = std::thread([this] { run(); });
  }

  void stop() override {
    {
      std::lock_guard lk(qmu_);
      if (!io_.joinable()) return;
      stopping_ = true;
    }
    rest_.interrupt();
    qcv_.notify_all();
    io_.join();
    dropStream();
    std::lock_guard lk(mdMu_);
    ++mdGen_;
    md_.reset();
  }

  void submit(const VenueNewOrder& o) override {
    post([this, o] { doSubmit(o); });
  }
  void cancel(const VenueCancel& c) override {
    post([this, c] { doCancel(c); });
  }
  void replace(const VenueReplace& r) override {
    post([this, r] { doReplace(r); });
  }

  std::optional<Price> referencePrice(const Symbol& s) const override {
    std::lock_guard lk(mu_);
    auto it = lastPx_.find(s);
    if (it == lastPx_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<VenueRateLimit> rateLimits() const override { return rest_.limits(); }

  MarketDataStatus subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                       size_t depthLevels) override {
    MarketDataStatus st;
    if (!toVenue_.count(symbol)) {
      st.error = "Symbol " + symbol.str() + ": not in the instrument master";
      return st;
    }
    {
      std::lock_guard lk(mdMu_);
      mdSubs_[symbol].push_back({&sink, depthLevels});
    }
    post([this, symbol] { mdSubscribe(symbol); });
    st.ok = true;
    return st;
  }

  void unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) override {
    std::lock_guard lk(mdMu_);
    auto it = mdSubs_.find(symbol);
    if (it == mdSubs_.end()) return;
    std::erase_if(it->second, [&](const MdSub& s) { return s.sink == &sink; });
  }

  void adoptOpenOrders(const std::vector<VenueOrderState>& orders) override {
    std::lock_guard lk(mu_);
    for (const auto& o : orders) {
      Child c;
      c.id = o.childId;
      c.clOrdId = clientOrderIdFor(o.childId.str());
      c.symbol = o.symbol;
      c.instId = toVenue_.count(o.symbol) ? toVenue_[o.symbol] : o.symbol.str();
      c.side = o.side;
      c.qty = o.qty;
      c.price = o.price;
      c.ordType = o.ordType == OrdType::Market ? "market" : "limit";
      c.ordId = o.venueOrderId.str();
      c.cum = o.cumQty;
      c.adoptedUnmatched = o.cumQty;
      c.accepted = !c.ordId.empty();
      c.unknown = c.ordId.empty();
      if (!c.ordId.empty()) byOrdId_[c.ordId] = c.id.str();
      byClOrd_[c.clOrdId] = c.id.str();
      children_[c.id.str()] = std::move(c);
    }
  }

  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) override {
    post([this, since, cb = std::move(cb)] { cb(snapshot(since)); });
  }

 private:
  using Events = std::vector<VenueEvent>;

  // ------------------------------------------------------------ plumbing
  void post(std::function<void()> f) {
    {
      std::lock_guard lk(qmu_);
      tasks_.push_back(std::move(f));
    }
    qcv_.notify_one();
  }

  void emit(Events evs) {
    for (auto& e : evs) {
      e.venue = id_;
      if (e.venueTime == 0) e.venueTime = clock_.wallNow();
      sink_->onVenueEvent(std::move(e));
    }
  }

  MonoNanos mono() const { return clock_.monoNow(); }

  void run() {
    loadInstruments();
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lk(qmu_);
        qcv_.wait_for(lk, std::chrono::milliseconds(20),
                      [&] { return stopping_ || !tasks_.empty(); });
        if (stopping_) break;
        if (!tasks_.empty()) {
          task = std::move(tasks_.front());
          tasks_.pop_front();
        }
      }
      if (task) task();
      housekeeping();
    }
  }

  void housekeeping() {
    const MonoNanos now = mono();
    if (now >= nextInstruments_) loadInstruments();
    if (streamDown_.exchange(false)) onStreamDown();
    if (!streamUp_ && now >= nextReconnect_) connectStream();
    if (loginOk_.exchange(false) && ws_)
      ws_->send(R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})");
    if (streamUp_ && now - lastPing_ >= cfg_.pingIntervalMs * kMs) {
      if (awaitingPong_) {
        // No "pong" for a whole interval: the connection is dead to OKX too.
        spdlog::warn("[{}] private stream: no pong in {} ms; reconnecting", id_.str(),
                     cfg_.pingIntervalMs);
        onStreamDown();
      } else {
        awaitingPong_ = true;
        lastPing_ = now;
        ws_->send("ping");
      }
    }
    if (mdDown_.exchange(false)) {
      std::lock_guard lk(mdMu_);
      ++mdGen_;
      md_.reset();
      mdSubscribed_.clear();
    }
    if (!mdWanted_.empty() && now >= nextMdPing_) {
      nextMdPing_ = now + cfg_.pingIntervalMs * kMs;
      std::lock_guard lk(mdMu_);
      if (md_ && md_->isOpen()) md_->send("ping");  // OKX drops a public stream idle 30 s
    }
    if (!mdWanted_.empty() && !mdUp() && now >= nextMdReconnect_)
      for (const auto& s : std::set<Symbol>(mdWanted_)) mdSubscribe(s);
    bool anyUnknown = false;
    {
      std::lock_guard lk(mu_);
      for (const auto& [k, c] : children_) anyUnknown |= c.unknown && !c.done;
    }
    if ((!streamUp_ || anyUnknown || needPoll_) && now >= nextPoll_) {
      nextPoll_ = now + cfg_.pollIntervalMs * kMs;
      pollOrders();
    }
  }

  // ------------------------------------------------------------ instruments
  void loadInstruments() {
    nextInstruments_ = mono() + cfg_.filtersRefreshSec * 1000 * kMs;
    std::map<std::string, InstInfo> all;
    std::string err;
    for (const char* type : {"SPOT", "SWAP"}) {
      RestReply r = rest_.call("GET", "/api/v5/public/instruments", std::string("instType=") + type,
                               "", "", "", false);
      err = r.ok() ? parseInstruments(r.body, all) : r.text;
      if (!err.empty()) break;
    }
    std::lock_guard lk(mu_);
    if (!err.empty()) {
      instError_ = "instruments: " + err;
      spdlog::warn("[{}] {}", id_.str(), instError_);
      if (insts_.empty()) nextInstruments_ = mono() + cfg_.reconnectMs * kMs;
      return;
    }
    insts_ = std::move(all);
    instError_.clear();
    for (const auto& [sym, instId] : toVenue_) {
      auto it = insts_.find(instId);
      if (it == insts_.end()) continue;
      if (auto e = checkInstrument(instruments_.at(sym), it->second); !e.empty())
        spdlog::error("[{}] {}: orders for it are refused", id_.str(), e);
    }
  }

  // ------------------------------------------------------------ stream
  void connectStream() {
    // Failed attempts back off (doubling to 30 s).
    nextReconnect_ = mono() + reconnectDelayMs_ * kMs;
    reconnectDelayMs_ = std::min<int64_t>(reconnectDelayMs_ * 2, 30'000);
    dropStream();
    net::WsOptions o;
    o.tls.host = cfg_.wsHost;
    o.tls.port = static_cast<uint16_t>(cfg_.wsPort);
    o.tls.serverName = cfg_.serverName;
    o.tls.caFile = cfg_.caFile;
    o.tls.caPem = cfg_.caPem;
    o.tls.connectTimeoutMs = cfg_.connectTimeoutMs;
    o.tls.readTimeoutMs = cfg_.readTimeoutMs;
    o.pingIdleMs = cfg_.pingIntervalMs;
    o.target = cfg_.wsPrivateTarget;
    // Callbacks of a connection we have since replaced are ignored.
    const uint64_t gen = streamGen_.load();
    auto ws = std::make_unique<net::WsClient>(
        o, net::WsClient::Callbacks{[this, gen](const std::string& t) {
                                      if (gen == streamGen_.load()) onStreamMessage(t);
                                    },
                                    [this, gen](const std::string& why) {
                                      if (gen != streamGen_.load()) return;
                                      spdlog::warn("[{}] private stream closed: {}", id_.str(),
                                                   why);
                                      streamDown_ = true;
                                      qcv_.notify_one();
                                    }});
    if (auto err = ws->connect(); !err.empty()) {
      spdlog::warn("[{}] private stream: {}", id_.str(), err);
      return;
    }
    // Login signs unix seconds + GET + /users/self/verify; the sign and the
    // passphrase are never logged.
    const std::string ts =
        std::to_string(clock_.wallNow() / 1'000'000'000 + rest_.clockOffsetMs() / 1000);
    ws->send(R"({"op":"login","args":[{"apiKey":)" + q(cred_.apiKey) +
             ",\"passphrase\":" + q(cred_.passphrase) + ",\"timestamp\":" + q(ts) +
             ",\"sign\":" + q(wsLoginSign(ts, cred_.secret)) + "}]}");
    ws_ = std::move(ws);
    streamUp_ = true;
    awaitingPong_ = false;
    lastPing_ = mono();
    reconnectDelayMs_ = cfg_.reconnectMs;
    if (everUp_) {
      spdlog::info("[{}] private stream reconnected", id_.str());
      VenueEvent e;
      e.kind = VenueEventKind::Reconnected;
      e.text = "orders stream back";
      emit({std::move(e)});
    }
    everUp_ = true;
    // Catch up on what happened while it was down (or before it was up).
    pollOrders();
  }

  void dropStream() {
    ++streamGen_;
    ws_.reset();
  }

  void onStreamDown() {
    if (streamUp_) {
      VenueEvent e;
      e.kind = VenueEventKind::Disconnected;
      e.text =
          "orders stream down; polling REST every " + std::to_string(cfg_.pollIntervalMs) + " ms";
      emit({std::move(e)});
    }
    streamUp_ = false;
    dropStream();
    nextPoll_ = mono();
    nextReconnect_ = std::min(nextReconnect_, mono() + cfg_.reconnectMs * kMs);
  }

  void onStreamMessage(const std::string& text) {
    WsMessage m;
    if (auto err = parseWsMessage(text, m); !err.empty()) {
      // The stream stays up; whatever this was is recovered by the poll.
      spdlog::warn("[{}] private stream: unreadable message ({}); ignored", id_.str(), err);
      needPoll_ = true;
      return;
    }
    if (m.kind == WsMessage::Kind::Pong) {
      awaitingPong_ = false;
      return;
    }
    if (m.kind == WsMessage::Kind::Event) {
      if (m.event == "login" && m.code == "0") {
        loginOk_ = true;  // the I/O thread subscribes (it owns ws_)
        qcv_.notify_one();
      } else if (m.event == "subscribe") {
        // Pushes flow from here on: one more poll closes the gap between the
        // catch-up poll at connect and this point.
        needPoll_ = true;
      } else if (m.event == "error") {
        spdlog::warn("[{}] private stream refused: {} {}", id_.str(), m.code, m.msg);
        streamDown_ = true;
        qcv_.notify_one();
      }
      return;
    }
    if (m.kind != WsMessage::Kind::Orders) return;
    Events out;
    {
      std::lock_guard lk(mu_);
      for (const auto& o : m.orders) onOrderPush(o, out);
    }
    emit(std::move(out));
  }

  // ------------------------------------------------------------ event logic
  Child* childFor(const std::string& clOrdId, const std::string& ordId) {
    auto c = byClOrd_.find(clOrdId);
    if (!clOrdId.empty() && c != byClOrd_.end()) return &children_.at(c->second);
    auto t = byOrdId_.find(ordId);
    if (t != byOrdId_.end()) return &children_.at(t->second);
    return nullptr;
  }

  void noteOrdId(Child& c, const std::string& ordId) {
    if (ordId.empty()) return;
    byOrdId_[ordId] = c.id.str();
    if (c.ordId.empty()) c.ordId = ordId;
  }

  void ensureAccepted(Child& c, Events& out) {
    if (c.accepted) return;
    c.accepted = true;
    VenueEvent e;
    e.kind = VenueEventKind::Accepted;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.ordId);
    e.leavesQty = c.qty - c.cum;
    e.cumQty = c.cum;
    out.push_back(std::move(e));
  }

  // OKX fees are negative when charged; ours are positive when charged.
  void bookFill(Child& c, const std::string& tradeId, Qty qty, Price px, std::optional<Qty> okxFee,
                const std::string& feeCcy, const std::string& feeError, int64_t timeMs,
                Events& out) {
    if (tradeId.empty() || !qty.isPositive()) return;
    if (!seenTrades_.insert(c.instId + ":" + tradeId).second) return;
    if (c.adoptedUnmatched.isPositive() && qty <= c.adoptedUnmatched) {
      c.adoptedUnmatched -= qty;  // journaled before the restart, already counted
      return;
    }
    if (!feeError.empty())
      spdlog::warn("[{}] fill {} of {}: fee not booked: {}", id_.str(), tradeId, c.id.str(),
                   feeError);
    ensureAccepted(c, out);
    c.cum += qty;
    lastPx_[c.symbol] = px;
    VenueEvent e;
    e.kind = VenueEventKind::Fill;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.ordId);
    e.venueExecId = VenueExecId(tradeId);
    e.lastQty = qty;
    e.lastPx = px;
    e.cumQty = c.cum;
    e.leavesQty = c.cum >= c.qty ? Qty() : c.qty - c.cum;
    if (okxFee && !feeCcy.empty()) {
      e.fee = -*okxFee;
      e.feeCurrency = feeCcy;
    }
    if (timeMs > 0) e.venueTime = timeMs * kMs;
    if (c.cum >= c.qty) c.done = true, c.unknown = false;
    out.push_back(std::move(e));
  }

  void terminal(Child& c, VenueEventKind kind, std::string text, Events& out) {
    if (c.done) return;
    c.done = true;
    c.unknown = false;
    VenueEvent e;
    e.kind = kind;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.ordId);
    e.cumQty = c.cum;
    e.leavesQty = Qty();
    e.text = std::move(text);
    out.push_back(std::move(e));
  }

  // OKX cancels an IOC/FOK/market remainder (and a post-only order that
  // would take) itself; to us that is the order expiring, unless we asked.
  static VenueEventKind venueCancelKind(const Child& c) {
    if (c.cancelRequested) return VenueEventKind::Canceled;
    return c.ordType == "limit" ? VenueEventKind::Canceled : VenueEventKind::Expired;
  }

  // Fills not yet booked (accFillSz says so): the poll fetches them.
  bool missingFills(const Child& c, Qty accFillSz) const {
    return accFillSz > c.cum + c.adoptedUnmatched;
  }

  void onOrderPush(const OkxOrder& o, Events& out) {
    Child* c = childFor(o.clOrdId, o.ordId);
    if (!c) return;
    noteOrdId(*c, o.ordId);
    if (o.fillSz.isPositive())
      bookFill(*c, o.tradeId, o.fillSz, o.fillPx, o.fee, o.feeCcy, o.feeError, o.fillTimeMs, out);
    if (o.state == "live" || o.state == "partially_filled") {
      c->unknown = false;
      ensureAccepted(*c, out);
    } else if (o.state == "canceled" || o.state == "mmp_canceled") {
      if (missingFills(*c, o.accFillSz)) {
        needPoll_ = true;
        c->unknown = true;
        return;
      }
      ensureAccepted(*c, out);
      terminal(*c, venueCancelKind(*c),
               "okx: canceled" + (o.cancelSource.empty() ? "" : " (source " + o.cancelSource + ")"),
               out);
    }
    if (missingFills(*c, o.accFillSz)) {
      needPoll_ = true;
      c->unknown = true;
    }
  }

  // Applies a /trade/order answer: books the fills not yet seen
  // (/trade/fills), then the order's state.
  void applyOrder(Child& c, const OkxOrder& o, Events& out) {
    noteOrdId(c, o.ordId);
    c.unknown = false;
    c.notFound = 0;
    if (missingFills(c, o.accFillSz)) fetchFills(c, out);
    ensureAccepted(c, out);
    if (missingFills(c, o.accFillSz)) {
      c.unknown = true;  // fills not readable yet: the poll tries again
      return;
    }
    if (o.state == "canceled" || o.state == "mmp_canceled")
      terminal(c, venueCancelKind(c), "okx: canceled", out);
    else if (o.state == "filled" && !c.done)
      terminal(c, VenueEventKind::Expired, "okx: filled with " + c.cum.str() + " booked", out);
  }

  // Called with mu_ held; releases it around the call.
  void fetchFills(Child& c, Events& out) {
    const std::string query = "instId=" + c.instId + "&ordId=" + c.ordId;
    mu_.unlock();
    RestReply r = rest_.call("GET", "/api/v5/trade/fills", query, "", "fills", "");
    mu_.lock();
    std::vector<OkxFill> fills;
    if (!r.ok() || !parseFills(r.body, fills).empty()) {
      spdlog::warn("[{}] fills for {}: {}", id_.str(), c.id.str(), r.ok() ? "unreadable" : r.text);
      return;
    }
    std::sort(fills.begin(), fills.end(), [](const auto& a, const auto& b) {
      return a.tsMs != b.tsMs ? a.tsMs < b.tsMs : a.tradeId < b.tradeId;
    });
    for (const auto& f : fills)
      bookFill(c, f.tradeId, f.fillSz, f.fillPx, f.fee, f.feeCcy, f.feeError, f.tsMs, out);
  }

  // GET /trade/order by ordId, else by clOrdId. Called with mu_ held.
  void lookUp(Child& c, Events& out) {
    const std::string query =
        "instId=" + c.instId + (c.ordId.empty() ? "&clOrdId=" + c.clOrdId : "&ordId=" + c.ordId);
    mu_.unlock();
    RestReply r = rest_.call("GET", "/api/v5/trade/order", query, "", "query", "");
    mu_.lock();
    std::vector<OkxOrder> os;
    if (r.ok() && parseOrders(r.body, os).empty() && !os.empty()) {
      applyOrder(c, os.front(), out);
    } else if (r.kind == RestReply::Kind::Rejected && r.code == "51603" && c.ordId.empty() &&
               ++c.notFound >= kNotFoundPolls) {
      terminal(c, VenueEventKind::Rejected,
               "order not placed: OKX does not know clOrdId " + c.clOrdId, out);
    }
    // else: still unknown; the next poll tries again.
  }

  // ------------------------------------------------------------ commands
  std::string checkNew(const VenueNewOrder& o, std::string& instId, std::string& ordType,
                       std::string& tdMode) {
    if (auto e = mapOrderType(o, cfg_.dayAsGtc, ordType); !e.empty()) return e;
    auto vs = toVenue_.find(o.symbol);
    if (vs == toVenue_.end()) return "Symbol " + o.symbol.str() + ": not in the instrument master";
    if (insts_.empty())
      return "instruments not loaded yet (" + (instError_.empty() ? "loading" : instError_) + ")";
    auto it = insts_.find(vs->second);
    if (it == insts_.end()) return "Symbol " + vs->second + ": not listed in OKX instruments";
    instId = vs->second;
    if (auto e = tdModeFor(instruments_.at(o.symbol), it->second, tdMode); !e.empty()) return e;
    return checkFilters(it->second, ordType == "market" ? std::nullopt : o.price, o.qty);
  }

  void doSubmit(const VenueNewOrder& o) {
    Events out;
    std::unique_lock lk(mu_);
    std::string instId, ordType, tdMode;
    std::string err = checkNew(o, instId, ordType, tdMode);
    const std::string clOrd = clientOrderIdFor(o.childId.str());
    if (err.empty() && children_.count(o.childId.str()))
      err = "child order id " + o.childId.str() + " was already sent";
    if (err.empty() && byClOrd_.count(clOrd)) err = "clOrdId " + clOrd + " is already in use";
    if (!err.empty()) {
      VenueEvent e;
      e.kind = VenueEventKind::Rejected;
      e.childId = o.childId;
      e.text = err;
      out.push_back(std::move(e));
      lk.unlock();
      return emit(std::move(out));
    }
    Child nc;
    nc.id = o.childId;
    nc.clOrdId = clOrd;
    nc.symbol = o.symbol;
    nc.instId = instId;
    nc.side = o.side;
    nc.ordType = ordType;
    nc.qty = o.qty;
    nc.price = o.price;
    nc.unknown = true;
    Child& c = children_[nc.id.str()] = std::move(nc);
    byClOrd_[c.clOrdId] = c.id.str();
    // sz is the order quantity as is: base currency on spot, contracts on a
    // swap (contract_size == ctVal is checked above). A spot market order's
    // sz would be in quote currency by default: tgtCcy says base.
    std::string body = "{\"instId\":" + q(instId) + ",\"tdMode\":" + q(tdMode) +
                       ",\"clOrdId\":" + q(c.clOrdId) + ",\"side\":\"" +
                       std::string(sideName(c.side)) + "\",\"ordType\":" + q(ordType) +
                       ",\"sz\":" + q(c.qty.str());
    if (ordType != "market") body += ",\"px\":" + q(c.price->str());
    if (ordType == "market" && tdMode == "cash") body += ",\"tgtCcy\":\"base_ccy\"";
    body += "}";
    lk.unlock();
    RestReply r = rest_.call("POST", "/api/v5/trade/order", "", body, "place", instId);
    lk.lock();
    if (r.ok()) {
      noteOrdId(c, r.env.ordId);
      c.unknown = false;
      if (!c.done) ensureAccepted(c, out);
    } else if (r.kind == RestReply::Kind::Rejected || r.kind == RestReply::Kind::RateLimited ||
               r.kind == RestReply::Kind::Refused) {
      terminal(c, VenueEventKind::Rejected, r.text, out);
    } else {
      // Lost answer: it may have been placed. Look it up by clOrdId — never resend.
      spdlog::warn("[{}] place order {}: {}; looking it up by clOrdId", id_.str(), c.id.str(),
                   r.text);
      lookUp(c, out);
    }
    lk.unlock();
    emit(std::move(out));
  }

  void doCancel(const VenueCancel& x) {
    Events out;
    std::unique_lock lk(mu_);
    auto it = children_.find(x.childId.str());
    auto cancelReject = [&](std::string text) {
      VenueEvent e;
      e.kind = VenueEventKind::CancelRejected;
      e.childId = x.childId;
      e.venueOrderId = x.venueOrderId;
      e.text = std::move(text);
      out.push_back(std::move(e));
    };
    if (it == children_.end() || it->second.done) {
      cancelReject(it == children_.end() ? "unknown order " + x.childId.str()
                                         : "order is already done");
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    const std::string body =
        "{\"instId\":" + q(c.instId) +
        (c.ordId.empty() ? ",\"clOrdId\":" + q(c.clOrdId) : ",\"ordId\":" + q(c.ordId)) + "}";
    c.cancelRequested = true;
    const std::string instId = c.instId;
    lk.unlock();
    RestReply r = rest_.call("POST", "/api/v5/trade/cancel-order", "", body, "cancel", instId);
    lk.lock();
    if (r.ok()) {
      // A fill that raced the cancel is booked before the cancel is
      // reported: the order's final state says what filled.
      lookUp(c, out);
      if (!c.done) {
        ensureAccepted(c, out);
        if (!c.unknown) terminal(c, VenueEventKind::Canceled, "canceled", out);
      }
    } else {
      cancelReject(r.text);
      // 51400-51402 (filled, canceled or gone meanwhile) or unknown: the poll finds out.
      if (r.kind == RestReply::Kind::Rejected || r.kind == RestReply::Kind::Unknown)
        c.unknown = true;
    }
    lk.unlock();
    emit(std::move(out));
  }

  void doReplace(const VenueReplace& x) {
    Events out;
    auto replaceReject = [&](std::string text) {
      VenueEvent e;
      e.kind = VenueEventKind::ReplaceRejected;
      e.childId = x.childId;
      e.venueOrderId = x.venueOrderId;
      e.text = std::move(text);
      out.push_back(std::move(e));
    };
    std::unique_lock lk(mu_);
    auto it = children_.find(x.childId.str());
    if (it == children_.end() || it->second.done || it->second.ordId.empty()) {
      replaceReject(it == children_.end() ? "unknown order " + x.childId.str()
                    : it->second.done     ? "order is already done"
                                          : "order not acknowledged yet");
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    if (x.newStopPx) {
      replaceReject("StopPx: OKX plain orders have no trigger price");
      lk.unlock();
      return emit(std::move(out));
    }
    const std::optional<Price> newPrice =
        c.ordType == "market" ? std::nullopt : (x.newPrice ? x.newPrice : c.price);
    auto inst = insts_.find(c.instId);
    if (inst != insts_.end())
      if (auto e = checkFilters(inst->second, newPrice, x.newQty); !e.empty()) {
        replaceReject(e);
        lk.unlock();
        return emit(std::move(out));
      }
    if (x.newQty <= c.cum) {
      replaceReject("new quantity " + x.newQty.str() + " does not exceed filled " + c.cum.str());
      lk.unlock();
      return emit(std::move(out));
    }
    // amend-order changes the order in place (same ordId); newSz is the new
    // total including what has filled, and OKX refuses one at or below it,
    // so a racing fill is never over-sent.
    if (x.newQty == c.qty && newPrice == c.price) {
      replaceReject("nothing to amend: size and price are unchanged");
      lk.unlock();
      return emit(std::move(out));
    }
    std::string body = "{\"instId\":" + q(c.instId) + ",\"ordId\":" + q(c.ordId);
    if (x.newQty != c.qty) body += ",\"newSz\":" + q(x.newQty.str());
    if (newPrice && newPrice != c.price) body += ",\"newPx\":" + q(newPrice->str());
    body += "}";
    const std::string instId = c.instId;
    lk.unlock();
    RestReply r = rest_.call("POST", "/api/v5/trade/amend-order", "", body, "amend", instId);
    lk.lock();
    if (r.ok()) {
      c.qty = x.newQty;
      c.price = newPrice;
      VenueEvent e;
      e.kind = VenueEventKind::Replaced;
      e.childId = c.id;
      e.venueOrderId = VenueOrderId(c.ordId);
      e.newQty = x.newQty;
      e.newPrice = newPrice;
      e.cumQty = c.cum;
      e.leavesQty = x.newQty - c.cum;
      out.push_back(std::move(e));
    } else {
      replaceReject(r.text);
      if (r.kind == RestReply::Kind::Unknown) c.unknown = true;
    }
    lk.unlock();
    emit(std::move(out));
  }

  // ------------------------------------------------------------ polling
  void pollOrders() {
    needPoll_ = false;
    std::unique_lock lk(mu_);
    std::vector<std::string> open;
    for (const auto& [k, c] : children_)
      if (!c.done) open.push_back(k);
    for (const auto& k : open) {
      Events out;
      Child& c = children_.at(k);
      if (c.done) continue;
      lookUp(c, out);
      lk.unlock();
      emit(std::move(out));
      lk.lock();
    }
  }

  // ------------------------------------------------------------ market data
  bool mdUp() {
    std::lock_guard lk(mdMu_);
    return md_ && md_->isOpen();
  }

  net::WsOptions wsOptions(const std::string& target) const {
    net::WsOptions o;
    o.tls.host = cfg_.wsHost;
    o.tls.port = static_cast<uint16_t>(cfg_.wsPort);
    o.tls.serverName = cfg_.serverName;
    o.tls.caFile = cfg_.caFile;
    o.tls.caPem = cfg_.caPem;
    o.tls.connectTimeoutMs = cfg_.connectTimeoutMs;
    o.tls.readTimeoutMs = cfg_.readTimeoutMs;
    o.pingIdleMs = cfg_.pingIntervalMs;
    o.target = target;
    return o;
  }

  // On the I/O thread: (re)connects the public stream and subscribes the
  // symbol's books5 and trades channels.
  void mdSubscribe(const Symbol& symbol) {
    mdWanted_.insert(symbol);
    const std::string instId = toVenue_.at(symbol);
    std::lock_guard lk(mdMu_);
    mdSymbols_[instId] = symbol;
    if (!md_ || !md_->isOpen()) {
      ++mdGen_;
      md_.reset();
      mdSubscribed_.clear();
      const uint64_t gen = mdGen_;
      auto ws = std::make_unique<net::WsClient>(
          wsOptions(cfg_.wsPublicTarget),
          net::WsClient::Callbacks{[this, gen](const std::string& t) { onMd(gen, t); },
                                   [this, gen](const std::string& why) {
                                     if (gen != mdGen_.load()) return;
                                     spdlog::warn("[{}] market data stream closed: {}", id_.str(),
                                                  why);
                                     mdDown_ = true;
                                   }});
      if (auto err = ws->connect(); !err.empty()) {
        spdlog::warn("[{}] market data stream: {}", id_.str(), err);
        nextMdReconnect_ = mono() + cfg_.reconnectMs * kMs;
        return;
      }
      md_ = std::move(ws);
    }
    if (!mdSubscribed_.insert(instId).second) return;
    md_->send(R"({"op":"subscribe","args":[{"channel":"books5","instId":)" + q(instId) +
              R"(},{"channel":"trades","instId":)" + q(instId) + "}]}");
  }

  void onMd(uint64_t gen, const std::string& text) {
    WsMessage m;
    if (auto err = parseWsMessage(text, m); !err.empty()) {
      spdlog::warn("[{}] market data: unreadable message ({}); ignored", id_.str(), err);
      return;
    }
    if (m.kind != WsMessage::Kind::Book && m.kind != WsMessage::Kind::Trades) return;
    std::lock_guard lk(mdMu_);
    if (gen != mdGen_.load()) return;
    auto sym = mdSymbols_.find(m.instId);
    if (sym == mdSymbols_.end()) return;
    if (m.kind == WsMessage::Kind::Trades && !m.trades.empty()) {
      std::lock_guard plk(mu_);
      lastPx_[sym->second] = m.trades.back().price;
    }
    auto subs = mdSubs_.find(sym->second);
    if (subs == mdSubs_.end()) return;
    if (m.kind == WsMessage::Kind::Trades) {
      for (auto t : m.trades) {
        t.venue = id_;
        t.symbol = sym->second;
        for (const auto& s : subs->second) s.sink->onTrade(t);
      }
      return;
    }
    for (const auto& s : subs->second) {
      TopOfBook tob;
      tob.venue = id_;
      tob.symbol = sym->second;
      tob.time = m.tsMs > 0 ? m.tsMs * kMs : clock_.wallNow();
      if (!m.bids.empty()) tob.bidPx = m.bids[0].price, tob.bidQty = m.bids[0].qty;
      if (!m.asks.empty()) tob.askPx = m.asks[0].price, tob.askQty = m.asks[0].qty;
      for (size_t i = 0; i < m.bids.size() && i < s.depth; ++i) tob.bids.push_back(m.bids[i]);
      for (size_t i = 0; i < m.asks.size() && i < s.depth; ++i) tob.asks.push_back(m.asks[i]);
      s.sink->onBook(tob);
    }
  }

  // ------------------------------------------------------------ snapshot
  VenueSnapshot snapshot(WallNanos since) {
    VenueSnapshot s;
    RestReply r = rest_.call("GET", "/api/v5/trade/orders-pending", "", "", "pending", "");
    std::vector<OkxOrder> open;
    if (!r.ok() || !parseOrders(r.body, open).empty()) {
      s.error = "orders-pending: " + (r.ok() ? std::string("unreadable") : r.text);
      return s;
    }
    // OKX answers 100 fills a page, newest first; `after` a billId pages back.
    std::vector<OkxFill> fills;
    std::string after;
    for (;;) {
      std::string query = "begin=" + std::to_string(since / kMs) + "&limit=100";
      if (!after.empty()) query += "&after=" + after;
      RestReply f = rest_.call("GET", "/api/v5/trade/fills", query, "", "fills", "");
      std::vector<OkxFill> page;
      if (!f.ok() || !parseFills(f.body, page).empty()) {
        s.error = "fills: " + (f.ok() ? std::string("unreadable") : f.text);
        return s;
      }
      fills.insert(fills.end(), page.begin(), page.end());
      if (page.size() < 100 || page.back().billId.empty()) break;
      after = page.back().billId;
    }
    std::lock_guard lk(mu_);
    auto childOf = [&](const std::string& clOrdId, const std::string& ordId) -> std::string {
      if (Child* c = childFor(clOrdId, ordId)) return c->id.str();
      return clOrdId;  // not ours by id: the engine matches what it can
    };
    auto symbolOf = [&](const std::string& instId) {
      auto it = fromInst_.find(instId);
      return it != fromInst_.end() ? it->second : Symbol(instId);
    };
    std::map<std::string, std::string> clOrdByOrdId;
    for (const auto& o : open) {
      clOrdByOrdId[o.ordId] = o.clOrdId;
      VenueOrderState st;
      st.childId = ChildOrderId(childOf(o.clOrdId, o.ordId));
      st.venueOrderId = VenueOrderId(o.ordId);
      st.symbol = symbolOf(o.instId);
      st.side = o.side == "sell" ? Side::Sell : Side::Buy;
      st.qty = o.sz;
      st.cumQty = o.accFillSz;
      st.ordType = o.ordType == "market" ? OrdType::Market : OrdType::Limit;
      if (st.ordType == OrdType::Limit) st.price = o.px;
      st.tif = o.ordType == "ioc"   ? TimeInForce::Ioc
               : o.ordType == "fok" ? TimeInForce::Fok
                                    : TimeInForce::Gtc;
      st.attrs.postOnly = o.ordType == "post_only";
      st.open = true;
      s.orders.push_back(std::move(st));
    }
    for (const auto& f : fills) {
      const std::string clOrd = f.clOrdId.empty() ? clOrdByOrdId[f.ordId] : f.clOrdId;
      const std::string child = childOf(clOrd, f.ordId);
      if (child.empty()) continue;  // neither ours nor named
      VenueFill vf;
      vf.childId = ChildOrderId(child);
      vf.venueOrderId = VenueOrderId(f.ordId);
      vf.venueExecId = VenueExecId(f.tradeId);
      vf.symbol = symbolOf(f.instId);
      vf.side = f.side == "sell" ? Side::Sell : Side::Buy;
      vf.qty = f.fillSz;
      vf.px = f.fillPx;
      vf.time = f.tsMs * kMs;
      s.fills.push_back(std::move(vf));
    }
    s.ok = true;
    return s;
  }

  VenueId id_;
  OkxConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  OkxRest rest_;
  VenueEventSink* sink_ = nullptr;
  std::map<Symbol, Instrument> instruments_;
  std::map<Symbol, std::string> toVenue_;
  std::map<std::string, Symbol> fromInst_;

  std::mutex qmu_;
  std::condition_variable qcv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread io_;

  // I/O-thread state.
  std::unique_ptr<net::WsClient> ws_;
  bool streamUp_ = false;
  bool everUp_ = false;
  std::atomic<bool> streamDown_{false};
  std::atomic<bool> needPoll_{false};
  std::atomic<bool> awaitingPong_{false};
  std::atomic<bool> loginOk_{false};
  std::atomic<uint64_t> streamGen_{0};
  MonoNanos nextInstruments_ = 0, nextReconnect_ = 0, nextPoll_ = 0, lastPing_ = 0;
  int64_t reconnectDelayMs_ = cfg_.reconnectMs;

  // Shared between the I/O and stream threads.
  mutable std::mutex mu_;
  std::map<std::string, InstInfo> insts_;
  std::string instError_;
  std::map<std::string, Child> children_;       // by child id
  std::map<std::string, std::string> byOrdId_;  // ordId -> child id
  std::map<std::string, std::string> byClOrd_;  // clOrdId -> child id
  std::set<std::string> seenTrades_;            // instId:tradeId
  std::map<Symbol, Price> lastPx_;

  // Market data (public stream thread and callers of (un)subscribe); the
  // I/O thread owns mdWanted_ and the timers.
  std::mutex mdMu_;
  std::unique_ptr<net::WsClient> md_;
  std::atomic<uint64_t> mdGen_{0};
  std::atomic<bool> mdDown_{false};
  std::set<std::string> mdSubscribed_;       // instIds
  std::map<std::string, Symbol> mdSymbols_;  // instId -> our symbol
  std::map<Symbol, std::vector<MdSub>> mdSubs_;
  std::set<Symbol> mdWanted_;
  MonoNanos nextMdReconnect_ = 0, nextMdPing_ = 0;
};

}  // namespace

std::unique_ptr<VenueAdapter> makeOkxVenue(VenueId id, OkxConfig cfg, Credentials cred,
                                           const InstrumentMaster& instruments,
                                           const Clock& clock) {
  return std::make_unique<OkxVenue>(std::move(id), std::move(cfg), std::move(cred), instruments,
                                    clock);
}

std::unique_ptr<VenueAdapter> makeOkxVenueFromConfig(const venues::VenueContext& ctx,
                                                     venues::ParamReader& p) {
  OkxConfig cfg = readOkxConfig(p, ctx.configPath);
  Credentials cred = loadCredentials(cfg, ctx.configPath);
  return makeOkxVenue(ctx.id, std::move(cfg), std::move(cred), ctx.instruments, ctx.clock);
}

}  // namespace fixgw::okx
