#include "venue_adapters/kraken/adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "venue_adapters/kraken/auth.h"
#include "venue_adapters/kraken/parse.h"
#include "venue_adapters/kraken/rest.h"
#include "venue_adapters/net/http.h"

namespace fixgw::kraken {

std::string venueSymbolFor(const Instrument& inst, const std::string& venueName) {
  auto it = inst.venueSymbols.find(venueName);
  return it != inst.venueSymbols.end() ? it->second : inst.symbol.str();
}

namespace {

constexpr int64_t kMs = 1'000'000;
// Polls that must not find an order whose submit answer was lost before it
// is declared never placed (an in-flight request may still land).
constexpr int kNotFoundPolls = 3;

std::string urlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

struct Child {
  ChildOrderId id;
  std::string clOrdId;  // Kraken's cl_ord_id for it
  Symbol symbol;
  std::string venueSymbol;  // as configured; resolved to a pair at submit
  std::string pairKey;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Gtc;
  OrderMapping mapping;
  Qty qty;
  std::optional<Price> price, stopPx;
  std::string txid;
  Qty cum;
  Qty adoptedUnmatched;  // fills journaled before a restart, not yet matched to trade ids
  bool accepted = false;
  bool done = false;
  bool unknown = false;  // sent, answer not known yet
  bool cancelRequested = false;
  int notFound = 0;
};

struct MdSub {
  MarketDataSink* sink;
  size_t depth;
};

struct MdBook {
  std::map<Price, Qty, std::greater<>> bids;
  std::map<Price, Qty> asks;
};

class KrakenVenue final : public VenueAdapter {
 public:
  KrakenVenue(VenueId id, KrakenConfig cfg, Credentials cred, const InstrumentMaster& im,
              const Clock& clock)
      : id_(std::move(id)), cfg_(std::move(cfg)), clock_(clock), rest_(cfg_, cred, clock) {
    for (const auto& [sym, inst] : im.all()) toVenue_[sym] = venueSymbolFor(inst, id_.str());
  }

  ~KrakenVenue() override { stop(); }

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

  // Kraken reports no counter values: these are the REST client's own
  // estimates of its call counter and per-pair trading counters (rest.h).
  std::vector<VenueRateLimit> rateLimits() const override { return rest_.rateLimits(); }

  std::optional<Price> referencePrice(const Symbol& s) const override {
    std::lock_guard lk(mu_);
    auto it = lastPx_.find(s);
    if (it == lastPx_.end()) return std::nullopt;
    return it->second;
  }

  void adoptOpenOrders(const std::vector<VenueOrderState>& orders) override {
    std::lock_guard lk(mu_);
    for (const auto& o : orders) {
      Child c;
      c.id = o.childId;
      c.clOrdId = clientOrderIdFor(o.childId.str());
      c.symbol = o.symbol;
      c.venueSymbol = toVenue_.count(o.symbol) ? toVenue_[o.symbol] : o.symbol.str();
      c.side = o.side;
      c.ordType = o.ordType;
      c.tif = o.tif;
      c.qty = o.qty;
      c.price = o.price;
      c.stopPx = o.stopPx;
      c.txid = o.venueOrderId.str();
      c.cum = o.cumQty;
      c.adoptedUnmatched = o.cumQty;
      c.accepted = !c.txid.empty();
      c.unknown = c.txid.empty();
      // The Kraken terms it was sent with, for amends (DAY never reached
      // Kraken, so it maps as GTC here).
      VenueNewOrder terms;
      terms.ordType = o.ordType;
      terms.tif = o.tif;
      terms.price = o.price;
      terms.stopPx = o.stopPx;
      terms.attrs = o.attrs;
      if (!mapOrderType(terms, true, c.mapping).empty()) c.mapping.orderType = "limit";
      if (!c.txid.empty()) byTxid_[c.txid] = c.id.str();
      byClOrd_[c.clOrdId] = c.id.str();
      children_[c.id.str()] = std::move(c);
    }
  }

  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) override {
    post([this, since, cb = std::move(cb)] { cb(snapshot(since)); });
  }

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
    loadPairs();
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
    if (now >= nextPairs_) loadPairs();
    if (streamDown_.exchange(false)) onStreamDown();
    if (!streamUp_ && now >= nextReconnect_) connectStream();
    if (mdDown_.exchange(false)) {
      std::lock_guard lk(mdMu_);
      ++mdGen_;
      md_.reset();
      mdSubscribed_.clear();
    }
    if (!mdWanted_.empty() && !mdUp() && now >= nextMdReconnect_) {
      for (const auto& s : std::set<Symbol>(mdWanted_)) mdSubscribe(s);
    }
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

  // ------------------------------------------------------------ pairs
  void loadPairs() {
    nextPairs_ = mono() + cfg_.filtersRefreshSec * 1000 * kMs;
    RestReply r = rest_.publicGet("AssetPairs", "");
    AssetPairs ap;
    std::string err = r.ok() ? parseAssetPairs(r.body, ap) : r.text;
    std::lock_guard lk(mu_);
    if (!err.empty()) {
      pairsError_ = "AssetPairs: " + err;
      spdlog::warn("[{}] {}", id_.str(), pairsError_);
      if (pairs_.byKey.empty()) nextPairs_ = mono() + cfg_.reconnectMs * kMs;
      return;
    }
    pairs_ = std::move(ap);
    pairsError_.clear();
    for (const auto& [sym, vs] : toVenue_)
      if (const PairInfo* p = pairs_.find(vs)) fromPair_[p->key] = sym;
  }

  const PairInfo* pairFor(const std::string& name) const { return pairs_.find(name); }

  Symbol symbolOfPair(const std::string& pairName) const {
    const PairInfo* p = pairs_.find(pairName);
    if (p) {
      auto it = fromPair_.find(p->key);
      if (it != fromPair_.end()) return it->second;
    }
    return Symbol(pairName);
  }

  // ------------------------------------------------------------ stream
  net::WsOptions wsOptions(const std::string& host, int port) const {
    net::WsOptions o;
    o.tls.host = host;
    o.tls.port = static_cast<uint16_t>(port);
    o.tls.serverName = cfg_.serverName;
    o.tls.caFile = cfg_.caFile;
    o.tls.caPem = cfg_.caPem;
    o.tls.connectTimeoutMs = cfg_.connectTimeoutMs;
    o.tls.readTimeoutMs = cfg_.readTimeoutMs;
    o.pingIdleMs = cfg_.pingIdleMs;
    o.target = cfg_.wsTarget;
    return o;
  }

  void connectStream() {
    // Failed attempts back off (doubling to 30 s), so reconnecting never
    // starves the polls of the call counter while the stream is down.
    nextReconnect_ = mono() + reconnectDelayMs_ * kMs;
    reconnectDelayMs_ = std::min<int64_t>(reconnectDelayMs_ * 2, 30'000);
    RestReply r = rest_.privatePost("GetWebSocketsToken", "");
    std::string token;
    if (!r.ok() || !parseToken(r.body, token).empty()) {
      spdlog::warn("[{}] GetWebSocketsToken: {}", id_.str(), r.ok() ? "unreadable answer" : r.text);
      return;
    }
    dropStream();
    // Callbacks of a connection we have since replaced are ignored: a late
    // close of the old one must not take down the new one.
    const uint64_t gen = streamGen_.load();
    auto ws = std::make_unique<net::WsClient>(
        wsOptions(cfg_.wsAuthHost, cfg_.wsAuthPort),
        net::WsClient::Callbacks{[this, gen](const std::string& t) {
                                   if (gen == streamGen_.load()) onStreamMessage(t);
                                 },
                                 [this, gen](const std::string& why) {
                                   if (gen != streamGen_.load()) return;
                                   spdlog::warn("[{}] executions stream closed: {}", id_.str(),
                                                why);
                                   streamDown_ = true;
                                   qcv_.notify_one();
                                 }});
    if (auto err = ws->connect(); !err.empty()) {
      spdlog::warn("[{}] executions stream: {}", id_.str(), err);
      return;
    }
    // The token is never logged. Open orders and trades come by REST (the
    // poll below), so the stream's own snapshot is not asked for.
    ws->send(R"({"method":"subscribe","params":{"channel":"executions","token":")" + token +
             R"(","snap_orders":false,"snap_trades":false}})");
    ws_ = std::move(ws);
    streamUp_ = true;
    streamDown_ = false;
    reconnectDelayMs_ = cfg_.reconnectMs;
    if (everUp_) {
      spdlog::info("[{}] executions stream reconnected", id_.str());
      VenueEvent e;
      e.kind = VenueEventKind::Reconnected;
      e.text = "executions stream back";
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
      e.text = "executions stream down; polling REST every " + std::to_string(cfg_.pollIntervalMs) +
               " ms";
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
      spdlog::warn("[{}] executions stream: unreadable message ({}); ignored", id_.str(), err);
      needPoll_ = true;
      return;
    }
    if (m.kind == WsMessage::Kind::MethodAck && !m.success) {
      spdlog::warn("[{}] executions subscribe refused: {}", id_.str(), m.error);
      streamDown_ = true;
      qcv_.notify_one();
      return;
    }
    if (m.kind != WsMessage::Kind::Executions) return;
    Events out;
    {
      std::lock_guard lk(mu_);
      for (const auto& r : m.execs) onExec(r, out);
    }
    emit(std::move(out));
  }

  // ------------------------------------------------------------ event logic
  Child* childFor(const std::string& clOrdId, const std::string& txid) {
    auto c = byClOrd_.find(clOrdId);
    if (!clOrdId.empty() && c != byClOrd_.end()) return &children_.at(c->second);
    auto t = byTxid_.find(txid);
    if (t != byTxid_.end()) return &children_.at(t->second);
    return nullptr;
  }

  void noteTxid(Child& c, const std::string& txid) {
    if (txid.empty()) return;
    byTxid_[txid] = c.id.str();
    if (c.txid.empty()) c.txid = txid;
  }

  void ensureAccepted(Child& c, Events& out) {
    if (c.accepted) return;
    c.accepted = true;
    VenueEvent e;
    e.kind = VenueEventKind::Accepted;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.txid);
    e.leavesQty = c.qty - c.cum;
    e.cumQty = c.cum;
    out.push_back(std::move(e));
  }

  void bookFill(Child& c, const std::string& tradeId, Qty qty, Price px, std::optional<Qty> fee,
                const std::string& feeCcy, int64_t timeNs, Events& out) {
    if (!seenTrades_.insert(tradeId).second) return;
    if (c.adoptedUnmatched.isPositive() && qty <= c.adoptedUnmatched) {
      c.adoptedUnmatched -= qty;  // journaled before the restart, already counted
      return;
    }
    c.unknown = false;
    ensureAccepted(c, out);
    c.cum += qty;
    lastPx_[c.symbol] = px;
    VenueEvent e;
    e.kind = VenueEventKind::Fill;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.txid);
    e.venueExecId = VenueExecId(tradeId);
    e.lastQty = qty;
    e.lastPx = px;
    e.cumQty = c.cum;
    e.leavesQty = c.cum >= c.qty ? Qty() : c.qty - c.cum;
    if (fee && !feeCcy.empty()) {
      e.fee = *fee;
      e.feeCurrency = feeCcy;
    }
    e.venueTime = timeNs;
    if (c.cum >= c.qty) c.done = true;
    out.push_back(std::move(e));
  }

  void terminal(Child& c, VenueEventKind kind, std::string text, Events& out) {
    if (c.done) return;
    c.done = true;
    c.unknown = false;
    VenueEvent e;
    e.kind = kind;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.txid);
    e.cumQty = c.cum;
    e.leavesQty = Qty();
    e.text = std::move(text);
    out.push_back(std::move(e));
  }

  // Kraken reports an IOC or market remainder (and a post-only order that
  // would have taken) as canceled; to us that is the order expiring, unless
  // we asked for the cancel.
  static VenueEventKind venueCancelKind(const Child& c) {
    if (c.cancelRequested) return VenueEventKind::Canceled;
    return c.mapping.orderType == "market" || c.mapping.timeInForce == "IOC" ||
                   c.mapping.oflags == "post"
               ? VenueEventKind::Expired
               : VenueEventKind::Canceled;
  }

  // The pair key of a child (adopted children learn it once pairs are loaded).
  const std::string& pairKeyOf(Child& c) {
    if (c.pairKey.empty())
      if (const PairInfo* p = pairs_.find(c.venueSymbol)) c.pairKey = p->key;
    return c.pairKey;
  }

  void onExec(const ExecReport& r, Events& out) {
    Child* c = childFor(r.clOrdId, r.orderId);
    if (!c) return;
    noteTxid(*c, r.orderId);
    if (r.execType == "trade") {
      std::optional<Qty> fee;
      std::string ccy;
      if (!r.fees.empty()) {
        fee = r.fees[0].qty;
        ccy = commonAsset(r.fees[0].asset);
      }
      bookFill(*c, r.execId, r.lastQty, r.lastPrice, fee, ccy, r.timeNs, out);
    } else if (r.execType == "new") {
      ensureAccepted(*c, out);
    } else if (r.execType == "canceled") {
      // A fill the stream has not shown yet would come before this; the
      // cum it reports tells if one is missing.
      if (r.cumQty > c->cum + c->adoptedUnmatched) {
        needPoll_ = true;
        c->unknown = true;
        return;
      }
      ensureAccepted(*c, out);
      terminal(*c, venueCancelKind(*c),
               "kraken: canceled" + (r.reason.empty() ? "" : " (" + r.reason + ")"), out);
    } else if (r.execType == "expired") {
      if (r.cumQty > c->cum + c->adoptedUnmatched) {
        needPoll_ = true;
        c->unknown = true;
        return;
      }
      ensureAccepted(*c, out);
      terminal(*c, VenueEventKind::Expired,
               "kraken: expired" + (r.reason.empty() ? "" : " (" + r.reason + ")"), out);
    } else if (r.execType == "filled") {
      if (r.cumQty > c->cum + c->adoptedUnmatched) {
        needPoll_ = true;
        c->unknown = true;
      }
    }
    // pending_new, amended (reported from the REST answer), restated, status: nothing.
  }

  // Applies a QueryOrders answer: books the trades not yet seen (QueryTrades),
  // then the order's status.
  void applyOrder(Child& c, const KrakenOrder& o, Events& out) {
    noteTxid(c, o.txid);
    c.unknown = false;
    c.notFound = 0;
    if (o.volExec > c.cum + c.adoptedUnmatched) {
      std::vector<std::string> missing;
      for (const auto& t : o.trades)
        if (!seenTrades_.count(t)) missing.push_back(t);
      fetchTrades(c, missing, out);
    }
    if (o.status == "pending") return;
    ensureAccepted(c, out);
    if (o.volExec > c.cum + c.adoptedUnmatched) {
      c.unknown = true;  // trades not readable yet: the poll tries again
      return;
    }
    if (o.status == "canceled")
      terminal(c, venueCancelKind(c),
               "kraken: canceled" + (o.reason.empty() ? "" : " (" + o.reason + ")"), out);
    else if (o.status == "expired")
      terminal(c, VenueEventKind::Expired, "kraken: expired", out);
    else if (o.status == "closed" && !c.done)
      terminal(c, VenueEventKind::Expired, "kraken: closed with " + c.cum.str() + " filled", out);
  }

  void fetchTrades(Child& c, const std::vector<std::string>& ids, Events& out) {
    if (ids.empty()) return;
    std::string list;
    for (const auto& t : ids) list += (list.empty() ? "" : ",") + t;
    std::string pairKey = pairKeyOf(c);
    mu_.unlock();
    RestReply r = rest_.privatePost("QueryTrades", "txid=" + urlEncode(list));
    mu_.lock();
    std::vector<KrakenTrade> trades;
    if (!r.ok() || !parseTrades(r.body, false, trades).empty()) {
      spdlog::warn("[{}] QueryTrades for {}: {}", id_.str(), c.id.str(),
                   r.ok() ? "unreadable" : r.text);
      return;
    }
    std::sort(trades.begin(), trades.end(),
              [](const auto& a, const auto& b) { return a.timeNs < b.timeNs; });
    const PairInfo* p = pairs_.find(pairKey);
    const std::string ccy = p ? commonAsset(p->quote) : "";
    for (const auto& t : trades) bookFill(c, t.tradeId, t.vol, t.price, t.fee, ccy, t.timeNs, out);
  }

  // ------------------------------------------------------------ commands
  std::string checkNew(const VenueNewOrder& o, const PairInfo** pi, OrderMapping& m) {
    if (auto e = mapOrderType(o, cfg_.dayAsGtc, m); !e.empty()) return e;
    auto vs = toVenue_.find(o.symbol);
    if (vs == toVenue_.end()) return "Symbol " + o.symbol.str() + ": not in the instrument master";
    if (pairs_.byKey.empty())
      return "asset pairs not loaded yet (" + (pairsError_.empty() ? "loading" : pairsError_) + ")";
    const PairInfo* p = pairFor(vs->second);
    if (!p) return "Symbol " + vs->second + ": not listed in Kraken AssetPairs";
    *pi = p;
    std::optional<Price> px = m.orderType == "limit" ? o.price : std::nullopt;
    std::optional<Price> trig = o.stopPx;
    if (m.orderType == "stop-loss-limit" && o.price) {
      // The limit is checked as a price too.
      if (auto e = checkFilters(*p, o.price, std::nullopt, o.qty, false); !e.empty()) return e;
    }
    return checkFilters(*p, px, trig, o.qty, o.attrs.postOnly);
  }

  std::string orderParams(const Child& c, const PairInfo& p) const {
    std::string s = "ordertype=" + c.mapping.orderType + "&type=" + std::string(sideName(c.side)) +
                    "&volume=" + decimal(c.qty.mantissa()) + "&pair=" + p.altname;
    if (c.mapping.orderType == "limit") s += "&price=" + decimal(c.price->mantissa());
    if (c.mapping.orderType == "stop-loss") s += "&price=" + decimal(c.stopPx->mantissa());
    if (c.mapping.orderType == "stop-loss-limit")
      s += "&price=" + decimal(c.stopPx->mantissa()) + "&price2=" + decimal(c.price->mantissa());
    if (!c.mapping.oflags.empty()) s += "&oflags=" + c.mapping.oflags;
    if (!c.mapping.timeInForce.empty()) s += "&timeinforce=" + c.mapping.timeInForce;
    if (c.mapping.expireSec > 0) s += "&expiretm=" + std::to_string(c.mapping.expireSec);
    s += "&cl_ord_id=" + urlEncode(c.clOrdId);
    return s;
  }

  void doSubmit(const VenueNewOrder& o) {
    Events out;
    std::unique_lock lk(mu_);
    const PairInfo* p = nullptr;
    OrderMapping m;
    std::string err = checkNew(o, &p, m);
    const std::string clOrd = clientOrderIdFor(o.childId.str());
    if (err.empty() && children_.count(o.childId.str()))
      err = "child order id " + o.childId.str() + " was already sent";
    if (err.empty() && byClOrd_.count(clOrd)) err = "cl_ord_id " + clOrd + " is already in use";
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
    nc.venueSymbol = toVenue_[o.symbol];
    nc.pairKey = p->key;
    nc.side = o.side;
    nc.ordType = o.ordType;
    nc.tif = o.tif;
    nc.mapping = m;
    nc.qty = o.qty;
    nc.price = o.price;
    nc.stopPx = o.stopPx;
    nc.unknown = true;
    Child& c = children_[nc.id.str()] = std::move(nc);
    byClOrd_[c.clOrdId] = c.id.str();
    const std::string params = orderParams(c, *p);
    const std::string pairKey = c.pairKey;
    lk.unlock();
    RestReply r = rest_.privatePost("AddOrder", params, pairKey);
    lk.lock();
    std::string txid;
    if (r.ok() && parseAddOrder(r.body, txid).empty()) {
      noteTxid(c, txid);
      c.unknown = false;
      if (!c.done) ensureAccepted(c, out);
    } else if (r.kind == RestReply::Kind::Rejected || r.kind == RestReply::Kind::RateLimited ||
               r.kind == RestReply::Kind::Refused) {
      terminal(c, VenueEventKind::Rejected, r.text, out);
    } else {
      // Lost answer: it may have been placed. Look it up by cl_ord_id — never resend.
      spdlog::warn("[{}] AddOrder {}: {}; looking it up by cl_ord_id", id_.str(), c.id.str(),
                   r.ok() ? "unreadable answer" : r.text);
      lookUp(c, out);
    }
    lk.unlock();
    emit(std::move(out));
  }

  // QueryOrders by txid, else by cl_ord_id. Called with mu_ held.
  void lookUp(Child& c, Events& out) {
    const std::string q = c.txid.empty() ? "cl_ord_id=" + urlEncode(c.clOrdId) : "txid=" + c.txid;
    mu_.unlock();
    RestReply r = rest_.privatePost("QueryOrders", q + "&trades=true");
    mu_.lock();
    std::vector<KrakenOrder> os;
    if (r.ok() && parseOrders(r.body, "", os).empty()) {
      if (!os.empty()) {
        applyOrder(c, os.front(), out);
      } else if (c.txid.empty() && ++c.notFound >= kNotFoundPolls) {
        terminal(c, VenueEventKind::Rejected,
                 "order not placed: Kraken does not know cl_ord_id " + c.clOrdId, out);
      }
    }
    // else: still unknown; the next poll tries again.
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
    const std::string ref = c.txid.empty() ? "cl_ord_id=" + urlEncode(c.clOrdId) : "txid=" + c.txid;
    const std::string pairKey = pairKeyOf(c);
    c.cancelRequested = true;
    lk.unlock();
    RestReply r = rest_.privatePost("CancelOrder", ref, pairKey);
    lk.lock();
    int64_t count = 0;
    if (r.ok() && parseCancel(r.body, count).empty() && count > 0) {
      // A fill that raced the cancel is booked before the cancel is reported:
      // the order's final state says what filled.
      lookUp(c, out);
      if (!c.done) {
        ensureAccepted(c, out);
        if (!c.unknown) terminal(c, VenueEventKind::Canceled, "canceled", out);
      }
    } else {
      cancelReject(r.ok() ? "unreadable cancel answer" : r.text);
      // Unknown order: it filled or ended meanwhile; the poll finds out.
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
    if (it == children_.end() || it->second.done || it->second.txid.empty()) {
      replaceReject(it == children_.end() ? "unknown order " + x.childId.str()
                    : it->second.done     ? "order is already done"
                                          : "order not acknowledged yet");
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    const std::optional<Price> newPrice = x.newPrice ? x.newPrice : c.price;
    const std::optional<Price> newStop = x.newStopPx ? x.newStopPx : c.stopPx;
    if (const PairInfo* p = pairs_.find(pairKeyOf(c))) {
      const bool priced = c.mapping.orderType == "limit";
      if (auto e = checkFilters(*p, priced ? newPrice : std::nullopt, newStop, x.newQty, false);
          !e.empty()) {
        replaceReject(e);
        lk.unlock();
        return emit(std::move(out));
      }
    }
    if (x.newQty <= c.cum) {
      replaceReject("new quantity " + x.newQty.str() + " does not exceed filled " + c.cum.str());
      lk.unlock();
      return emit(std::move(out));
    }
    // AmendOrder changes the order in place (same txid): Kraken refuses a
    // quantity at or below what has filled, so a racing fill is never
    // over-sent.
    std::string params = "txid=" + c.txid + "&order_qty=" + decimal(x.newQty.mantissa());
    if (c.mapping.orderType == "limit" && newPrice && newPrice != c.price)
      params += "&limit_price=" + decimal(newPrice->mantissa());
    if (c.mapping.orderType == "stop-loss-limit") {
      if (newPrice && newPrice != c.price)
        params += "&limit_price=" + decimal(newPrice->mantissa());
      if (newStop && newStop != c.stopPx)
        params += "&trigger_price=" + decimal(newStop->mantissa());
    }
    if (c.mapping.orderType == "stop-loss" && newStop && newStop != c.stopPx)
      params += "&trigger_price=" + decimal(newStop->mantissa());
    const std::string pairKey = pairKeyOf(c);
    lk.unlock();
    RestReply r = rest_.privatePost("AmendOrder", params, pairKey);
    lk.lock();
    std::string amendId;
    if (r.ok() && parseAmend(r.body, amendId).empty()) {
      c.qty = x.newQty;
      c.price = newPrice;
      c.stopPx = newStop;
      VenueEvent e;
      e.kind = VenueEventKind::Replaced;
      e.childId = c.id;
      e.venueOrderId = VenueOrderId(c.txid);
      e.newQty = x.newQty;
      e.newPrice = newPrice;
      e.cumQty = c.cum;
      e.leavesQty = x.newQty - c.cum;
      out.push_back(std::move(e));
    } else {
      replaceReject(r.ok() ? "unreadable amend answer" : r.text);
      if (r.kind == RestReply::Kind::Unknown || r.ok()) c.unknown = true;
    }
    lk.unlock();
    emit(std::move(out));
  }

  // ------------------------------------------------------------ polling
  void pollOrders() {
    // A round is QueryOrders (1) and, when something filled, QueryTrades (2).
    if (!rest_.hasRoom(3)) return;
    needPoll_ = false;
    std::unique_lock lk(mu_);
    std::vector<std::string> withTxid, withoutTxid;
    for (const auto& [k, c] : children_) {
      if (c.done) continue;
      (c.txid.empty() ? withoutTxid : withTxid).push_back(k);
    }
    // One QueryOrders for every order we know the txid of (Kraken takes 50).
    for (size_t at = 0; at < withTxid.size(); at += 50) {
      std::string list;
      for (size_t i = at; i < std::min(withTxid.size(), at + 50); ++i)
        list += (list.empty() ? "" : ",") + children_.at(withTxid[i]).txid;
      lk.unlock();
      RestReply r = rest_.privatePost("QueryOrders", "txid=" + list + "&trades=true");
      Events out;
      lk.lock();
      std::vector<KrakenOrder> os;
      if (!r.ok() || !parseOrders(r.body, "", os).empty()) {
        if (r.kind != RestReply::Kind::Refused && r.kind != RestReply::Kind::RateLimited)
          spdlog::warn("[{}] QueryOrders: {}", id_.str(), r.ok() ? "unreadable" : r.text);
        return;  // try again next round
      }
      for (const auto& o : os) {
        auto b = byTxid_.find(o.txid);
        if (b == byTxid_.end()) continue;
        applyOrder(children_.at(b->second), o, out);
      }
      lk.unlock();
      emit(std::move(out));
      lk.lock();
    }
    for (const auto& k : withoutTxid) {
      Events out;
      Child& c = children_.at(k);
      if (c.done) continue;
      lookUp(c, out);
      lk.unlock();
      emit(std::move(out));
      lk.lock();
    }
  }

  // ------------------------------------------------------------ snapshot
  VenueSnapshot snapshot(WallNanos since) {
    VenueSnapshot s;
    RestReply r = rest_.privatePost("OpenOrders", "");
    std::vector<KrakenOrder> open;
    if (!r.ok() || !parseOrders(r.body, "open", open).empty()) {
      s.error = "OpenOrders: " + (r.ok() ? std::string("unreadable") : r.text);
      return s;
    }
    std::map<std::string, std::string> childByTxid;
    {
      std::lock_guard lk(mu_);
      for (const auto& [txid, child] : byTxid_) childByTxid[txid] = child;
      for (const auto& o : open) {
        std::string child = o.clOrdId;
        auto b = byClOrd_.find(o.clOrdId);
        if (b != byClOrd_.end()) child = b->second;
        childByTxid[o.txid] = child;
        VenueOrderState st;
        st.childId = ChildOrderId(child);
        st.venueOrderId = VenueOrderId(o.txid);
        st.symbol = symbolOfPair(o.pair);
        st.side = o.side == "sell" ? Side::Sell : Side::Buy;
        st.qty = o.vol;
        st.cumQty = o.volExec;
        st.ordType = o.orderType == "market"            ? OrdType::Market
                     : o.orderType == "stop-loss"       ? OrdType::Stop
                     : o.orderType == "stop-loss-limit" ? OrdType::StopLimit
                                                        : OrdType::Limit;
        if (st.ordType == OrdType::Limit && o.price.isPositive()) st.price = o.price;
        if (st.ordType == OrdType::Stop || st.ordType == OrdType::StopLimit) st.stopPx = o.price;
        if (st.ordType == OrdType::StopLimit) st.price = o.price2;
        st.tif = o.timeInForce == "GTD" ? TimeInForce::GoodTillDate : TimeInForce::Gtc;
        st.open = true;
        s.orders.push_back(std::move(st));
      }
    }
    const std::string start = std::to_string(since / 1'000'000'000) + "." +
                              std::to_string(1'000'000'000 + since % 1'000'000'000).substr(1);
    // Kraken answers 50 trades a page; `count` is how many match in all.
    std::vector<KrakenTrade> trades;
    for (;;) {
      RestReply t = rest_.privatePost("TradesHistory",
                                      "start=" + start + "&ofs=" + std::to_string(trades.size()));
      std::vector<KrakenTrade> page;
      int64_t total = 0;
      if (!t.ok() || !parseTrades(t.body, true, page, &total).empty()) {
        s.error = "TradesHistory: " + (t.ok() ? std::string("unreadable") : t.text);
        return s;
      }
      trades.insert(trades.end(), page.begin(), page.end());
      if (page.empty() || static_cast<int64_t>(trades.size()) >= total) break;
    }
    std::vector<std::string> unknownOrders;
    for (const auto& tr : trades)
      if (!childByTxid.count(tr.orderTxid)) unknownOrders.push_back(tr.orderTxid);
    if (!unknownOrders.empty()) {
      std::sort(unknownOrders.begin(), unknownOrders.end());
      unknownOrders.erase(std::unique(unknownOrders.begin(), unknownOrders.end()),
                          unknownOrders.end());
      std::string list;
      for (const auto& x : unknownOrders) list += (list.empty() ? "" : ",") + x;
      RestReply q = rest_.privatePost("QueryOrders", "txid=" + list);
      std::vector<KrakenOrder> os;
      if (q.ok() && parseOrders(q.body, "", os).empty()) {
        std::lock_guard lk(mu_);
        for (const auto& o : os) {
          if (o.clOrdId.empty()) continue;  // not ours to name
          auto b = byClOrd_.find(o.clOrdId);
          childByTxid[o.txid] = b != byClOrd_.end() ? b->second : o.clOrdId;
        }
      }
    }
    std::lock_guard lk(mu_);
    for (const auto& tr : trades) {
      auto co = childByTxid.find(tr.orderTxid);
      if (co == childByTxid.end()) continue;
      VenueFill f;
      f.childId = ChildOrderId(co->second);
      f.venueOrderId = VenueOrderId(tr.orderTxid);
      f.venueExecId = VenueExecId(tr.tradeId);
      f.symbol = symbolOfPair(tr.pair);
      f.side = tr.side == "sell" ? Side::Sell : Side::Buy;
      f.qty = tr.vol;
      f.px = tr.price;
      f.time = tr.timeNs;
      s.fills.push_back(std::move(f));
    }
    s.ok = true;
    return s;
  }

  // ------------------------------------------------------------ market data
  bool mdUp() {
    std::lock_guard lk(mdMu_);
    return md_ && md_->isOpen();
  }

  void mdSubscribe(const Symbol& symbol) {
    mdWanted_.insert(symbol);
    std::string v2;
    {
      std::lock_guard lk(mu_);
      const PairInfo* p = pairs_.find(toVenue_[symbol]);
      if (!p) {
        nextMdReconnect_ = mono() + cfg_.reconnectMs * kMs;
        return;  // pairs not loaded yet: housekeeping retries
      }
      v2 = p->v2symbol;
      mdSymbols_[v2] = symbol;
    }
    std::lock_guard lk(mdMu_);
    if (!md_ || !md_->isOpen()) {
      ++mdGen_;
      md_.reset();
      mdSubscribed_.clear();
      const uint64_t gen = mdGen_;
      auto ws = std::make_unique<net::WsClient>(
          wsOptions(cfg_.wsPublicHost, cfg_.wsPublicPort),
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
    if (!mdSubscribed_.insert(v2).second) return;
    md_->send(R"({"method":"subscribe","params":{"channel":"book","symbol":[")" + v2 +
              R"("],"depth":10}})");
    md_->send(R"({"method":"subscribe","params":{"channel":"trade","symbol":[")" + v2 + R"("]}})");
  }

  void onMd(uint64_t gen, const std::string& text) {
    WsMessage m;
    if (auto err = parseWsMessage(text, m); !err.empty()) {
      spdlog::warn("[{}] market data: unreadable message ({}); ignored", id_.str(), err);
      return;
    }
    if (m.kind != WsMessage::Kind::Book && m.kind != WsMessage::Kind::Trade) return;
    Symbol sym;
    {
      std::lock_guard lk(mu_);
      auto it = mdSymbols_.find(m.symbol);
      if (it == mdSymbols_.end()) return;
      sym = it->second;
      if (m.kind == WsMessage::Kind::Trade && !m.trades.empty())
        lastPx_[sym] = m.trades.back().price;
    }
    std::lock_guard lk(mdMu_);
    if (gen != mdGen_.load()) return;
    auto subs = mdSubs_.find(sym);
    if (m.kind == WsMessage::Kind::Trade) {
      if (subs == mdSubs_.end()) return;
      for (auto t : m.trades) {
        t.venue = id_;
        t.symbol = sym;
        for (const auto& s : subs->second) s.sink->onTrade(t);
      }
      return;
    }
    MdBook& b = books_[sym];
    if (m.type == "snapshot") {
      b.bids.clear();
      b.asks.clear();
    }
    for (const auto& l : m.bids) {
      if (l.qty.isZero())
        b.bids.erase(l.price);
      else
        b.bids[l.price] = l.qty;
    }
    for (const auto& l : m.asks) {
      if (l.qty.isZero())
        b.asks.erase(l.price);
      else
        b.asks[l.price] = l.qty;
    }
    if (subs == mdSubs_.end()) return;
    for (const auto& s : subs->second) {
      TopOfBook tob;
      tob.venue = id_;
      tob.symbol = sym;
      tob.time = clock_.wallNow();
      if (!b.bids.empty()) tob.bidPx = b.bids.begin()->first, tob.bidQty = b.bids.begin()->second;
      if (!b.asks.empty()) tob.askPx = b.asks.begin()->first, tob.askQty = b.asks.begin()->second;
      size_t n = 0;
      for (auto it = b.bids.begin(); it != b.bids.end() && n < s.depth; ++it, ++n)
        tob.bids.push_back({it->first, it->second});
      n = 0;
      for (auto it = b.asks.begin(); it != b.asks.end() && n < s.depth; ++it, ++n)
        tob.asks.push_back({it->first, it->second});
      s.sink->onBook(tob);
    }
  }

  VenueId id_;
  KrakenConfig cfg_;
  const Clock& clock_;
  KrakenRest rest_;
  VenueEventSink* sink_ = nullptr;
  std::map<Symbol, std::string> toVenue_;

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
  std::atomic<uint64_t> streamGen_{0};
  MonoNanos nextPairs_ = 0, nextReconnect_ = 0, nextPoll_ = 0, nextMdReconnect_ = 0;
  int64_t reconnectDelayMs_ = cfg_.reconnectMs;
  std::set<Symbol> mdWanted_;

  // Shared between the I/O and stream threads.
  mutable std::mutex mu_;
  AssetPairs pairs_;
  std::string pairsError_;
  std::map<std::string, Symbol> fromPair_;      // pair key -> our symbol
  std::map<std::string, Symbol> mdSymbols_;     // v2 symbol -> our symbol
  std::map<std::string, Child> children_;       // by child id
  std::map<std::string, std::string> byTxid_;   // txid -> child id
  std::map<std::string, std::string> byClOrd_;  // cl_ord_id -> child id
  std::set<std::string> seenTrades_;
  std::map<Symbol, Price> lastPx_;

  // Market data (public stream thread and callers of (un)subscribe).
  std::mutex mdMu_;
  std::unique_ptr<net::WsClient> md_;
  std::atomic<uint64_t> mdGen_{0};
  std::atomic<bool> mdDown_{false};
  std::set<std::string> mdSubscribed_;
  std::map<Symbol, std::vector<MdSub>> mdSubs_;
  std::map<Symbol, MdBook> books_;
};

}  // namespace

std::unique_ptr<VenueAdapter> makeKrakenVenue(VenueId id, KrakenConfig cfg, Credentials cred,
                                              const InstrumentMaster& instruments,
                                              const Clock& clock) {
  return std::make_unique<KrakenVenue>(std::move(id), std::move(cfg), std::move(cred), instruments,
                                       clock);
}

std::unique_ptr<VenueAdapter> makeKrakenVenueFromConfig(const venues::VenueContext& ctx,
                                                        venues::ParamReader& p) {
  KrakenConfig cfg = readKrakenConfig(p, ctx.configPath);
  Credentials cred = loadCredentials(cfg, ctx.configPath);
  return makeKrakenVenue(ctx.id, std::move(cfg), std::move(cred), ctx.instruments, ctx.clock);
}

}  // namespace fixgw::kraken
