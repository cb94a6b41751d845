#include "venue_adapters/binance/adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "venue_adapters/binance/auth.h"
#include "venue_adapters/binance/parse.h"
#include "venue_adapters/binance/rest.h"
#include "venue_adapters/net/http.h"

namespace fixgw::binance {

std::string venueSymbolFor(const Instrument& inst, const std::string& venueName) {
  auto it = inst.venueSymbols.find(venueName);
  if (it != inst.venueSymbols.end()) return it->second;
  std::string s;
  for (char c : inst.symbol.str())
    if (c != '/' && c != '-')
      s.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return s;
}

namespace {

constexpr int64_t kMs = 1'000'000;

struct Child {
  ChildOrderId id;
  Symbol symbol;
  std::string venueSymbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Gtc;
  OrderTypeMapping mapping;
  Qty qty;
  std::optional<Price> price, stopPx;
  std::string venueOrderId;                     // the live Binance order
  Qty cum;                                      // all fills booked, across replaced orders
  Qty cumPrior;                                 // executed on Binance orders replaced away
  std::map<std::string, Qty> booked;            // per Binance order id
  std::map<std::string, Qty> adoptedUnmatched;  // fills journaled before a restart
  bool accepted = false;
  bool done = false;
  bool replacing = false;
  bool unknown = false;  // sent, answer not known yet
};

struct MdSub {
  MarketDataSink* sink;
  size_t depth;
  bool primed = false;  // has had the cached book (or will get the next one)
};

// What the public streams last said about one symbol.
struct MdState {
  int64_t lastTickerId = 0;
  bool haveTop = false;
  std::optional<Price> bidPx, askPx;
  Qty bidQty, askQty;
  bool haveDepth = false;
  std::vector<BookLevel> bids, asks;
};

class BinanceVenue final : public VenueAdapter {
 public:
  BinanceVenue(VenueId id, BinanceConfig cfg, Credentials cred, const InstrumentMaster& im,
               const Clock& clock)
      : id_(std::move(id)), cfg_(std::move(cfg)), clock_(clock), rest_(cfg_, cred, clock) {
    for (const auto& [sym, inst] : im.all()) {
      std::string vs = venueSymbolFor(inst, id_.str());
      toVenue_[sym] = vs;
      fromVenue_[vs] = sym;
    }
  }

  ~BinanceVenue() override { stop(); }

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
    qcv_.notify_all();
    io_.join();
    dropStream();
    ++mdGen_;  // the market stream's late callbacks go quiet
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

  // Binance's REQUEST_WEIGHT and ORDERS limits (exchangeInfo) against the
  // counters its last answers carried, plus our own weight guard
  // (max_weight_1m). Binance's windows start on the interval's boundary, so a
  // count from an earlier window is 0 now. RAW_REQUESTS has no counter header
  // and is left out.
  std::vector<VenueRateLimit> rateLimits() const override {
    std::vector<RateLimitRule> rules;
    {
      std::lock_guard lk(mu_);
      rules = info_.rateLimits;
    }
    const auto seen = rest_.counters();
    const WallNanos now = clock_.wallNow();
    auto current = [now](const BinanceRest::Counter& c, int64_t windowMs) {
      const int64_t w = windowMs * kMs;
      return w > 0 && c.at / w == now / w ? c.used : 0;
    };
    auto lower = [](std::string t) {
      for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return t;
    };
    std::vector<VenueRateLimit> out;
    int64_t venueWeightLimit = 0;
    for (const auto& r : rules) {
      const bool weight = r.type == "REQUEST_WEIGHT";
      if (!weight && r.type != "ORDERS") continue;
      const std::string suffix = lower(r.headerSuffix());
      VenueRateLimit l;
      l.name = (weight ? "request_weight_" : "orders_") + suffix;
      l.limit = r.limit;
      l.windowMs = r.windowMs();
      l.source = "venue";
      if (auto it = seen.find((weight ? "used-weight-" : "order-count-") + suffix);
          it != seen.end()) {
        l.used = current(it->second, l.windowMs);
        l.updatedAt = it->second.at;
      }
      if (weight && l.windowMs == 60'000) venueWeightLimit = r.limit;
      out.push_back(std::move(l));
    }
    // Our own guard stops sending at max_weight_1m; it is what binds when it
    // is below the venue's limit (or when exchangeInfo has not loaded).
    if (venueWeightLimit == 0 || cfg_.maxWeight1m < venueWeightLimit) {
      VenueRateLimit l;
      l.name = "local_weight_1m";
      l.limit = cfg_.maxWeight1m;
      l.windowMs = 60'000;
      l.source = "local";
      if (auto it = seen.find("used-weight-1m"); it != seen.end()) {
        l.used = current(it->second, l.windowMs);
        l.updatedAt = it->second.at;
      }
      out.push_back(std::move(l));
    }
    return out;
  }

  void adoptOpenOrders(const std::vector<VenueOrderState>& orders) override {
    std::lock_guard lk(mu_);
    for (const auto& o : orders) {
      Child c;
      c.id = o.childId;
      c.symbol = o.symbol;
      c.venueSymbol = toVenue_.count(o.symbol) ? toVenue_[o.symbol] : o.symbol.str();
      c.side = o.side;
      c.ordType = o.ordType;
      c.tif = o.tif;
      c.qty = o.qty;
      c.price = o.price;
      c.stopPx = o.stopPx;
      c.venueOrderId = o.venueOrderId.str();
      c.cum = o.cumQty;
      c.accepted = !o.venueOrderId.empty();
      c.unknown = o.venueOrderId.empty();
      if (!c.venueOrderId.empty()) {
        c.booked[c.venueOrderId] = o.cumQty;
        c.adoptedUnmatched[c.venueOrderId] = o.cumQty;
        byVenueOrder_[c.venueOrderId] = c.id.str();
      }
      children_[c.id.str()] = std::move(c);
    }
  }

  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) override {
    post([this, since, cb = std::move(cb)] { cb(snapshot(since)); });
  }

  // Public market data from Binance's combined market streams:
  // <symbol>@bookTicker (top of book), <symbol>@trade, and
  // <symbol>@depth<5|10|20>@100ms when depthLevels > 0 (more than 20 levels
  // are not published: capped at 20).
  MarketDataStatus subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                       size_t depthLevels) override {
    MarketDataStatus st;
    if (!toVenue_.count(symbol)) {
      st.error = "Symbol " + symbol.str() + ": not in the instrument master";
      return st;
    }
    {
      std::lock_guard lk(mdMu_);
      auto& subs = mdSubs_[symbol];
      std::erase_if(subs, [&](const MdSub& s) { return s.sink == &sink; });
      subs.push_back({&sink, std::min<size_t>(depthLevels, 20)});
    }
    post([this] { mdSync(); });
    st.ok = true;
    return st;
  }

  void unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) override {
    {
      std::lock_guard lk(mdMu_);
      auto it = mdSubs_.find(symbol);
      if (it == mdSubs_.end()) return;
      std::erase_if(it->second, [&](const MdSub& s) { return s.sink == &sink; });
      if (it->second.empty()) mdSubs_.erase(it);
    }
    post([this] { mdSync(); });  // unsubscribes the streams no one reads any more
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
    // Date signed requests by Binance's clock from the first one on; a
    // failure here is not fatal (a -1021 later resyncs).
    syncClock();
    loadFilters();
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

  // Re-measured with the filters' refresh too, so slow drift is corrected
  // before Binance has to refuse a request for it.
  void syncClock() {
    nextClockSync_ = mono() + cfg_.filtersRefreshSec * 1000 * kMs;
    if (auto e = rest_.syncClock(); !e.empty()) spdlog::warn("[{}] clock sync: {}", id_.str(), e);
  }

  void housekeeping() {
    const MonoNanos now = mono();
    if (now >= nextClockSync_) syncClock();
    if (now >= nextFilters_) loadFilters();
    if (streamDown_.exchange(false)) onStreamDown();
    if (!streamUp_ && now >= nextReconnect_) connectStream();
    if (streamUp_ && now >= nextKeepalive_) keepalive();
    if (mdDown_.exchange(false)) mdOnDown();
    if (!md_ && now >= nextMdReconnect_) mdSync();
    bool anyUnknown = false;
    {
      std::lock_guard lk(mu_);
      for (const auto& [k, c] : children_) anyUnknown |= c.unknown && !c.done;
    }
    if ((!streamUp_ || anyUnknown) && now >= nextPoll_) {
      nextPoll_ = now + cfg_.pollIntervalMs * kMs;
      pollOrders();
    }
  }

  // ------------------------------------------------------------ filters
  void loadFilters() {
    nextFilters_ = mono() + cfg_.filtersRefreshSec * 1000 * kMs;
    std::string symbols;
    for (const auto& [sym, vs] : toVenue_) {
      if (!symbols.empty()) symbols.push_back(',');
      symbols.push_back('"');
      symbols.append(vs);
      symbols.push_back('"');
    }
    RestReply r = rest_.publicGet(
        "/api/v3/exchangeInfo", symbols.empty() ? "" : "symbols=" + urlEncode("[" + symbols + "]"));
    ExchangeInfo info;
    std::string err = r.ok() ? parseExchangeInfo(r.body, info) : r.text;
    std::lock_guard lk(mu_);
    if (!err.empty()) {
      filtersError_ = "exchangeInfo: " + err;
      spdlog::warn("[{}] {}", id_.str(), filtersError_);
      if (info_.symbols.empty()) nextFilters_ = mono() + cfg_.reconnectMs * kMs;
      return;
    }
    info_ = std::move(info);
    filtersError_.clear();
  }

  // ------------------------------------------------------------ stream
  void connectStream() {
    nextReconnect_ = mono() + cfg_.reconnectMs * kMs;
    RestReply r = rest_.apiKeyCall("POST", "/api/v3/userDataStream", "");
    std::string key;
    if (!r.ok() || !parseListenKey(r.body, key).empty()) {
      spdlog::warn("[{}] listen key: {}", id_.str(), r.ok() ? "unreadable answer" : r.text);
      return;
    }
    net::WsOptions o;
    o.tls.host = cfg_.wsHost;
    o.tls.port = static_cast<uint16_t>(cfg_.wsPort);
    o.tls.serverName = cfg_.serverName;
    o.tls.caFile = cfg_.caFile;
    o.tls.caPem = cfg_.caPem;
    o.tls.connectTimeoutMs = cfg_.connectTimeoutMs;
    o.tls.readTimeoutMs = cfg_.readTimeoutMs;
    o.pingIdleMs = cfg_.pingIdleMs;
    o.target = "/ws/" + key;
    dropStream();
    // Callbacks of a connection we have since replaced are ignored: a late
    // close of the old one must not take down the new one.
    const uint64_t gen = streamGen_.load();
    auto ws = std::make_unique<net::WsClient>(
        o, net::WsClient::Callbacks{[this, gen](const std::string& t) {
                                      if (gen == streamGen_.load()) onStreamMessage(t);
                                    },
                                    [this, gen](const std::string& why) {
                                      if (gen != streamGen_.load()) return;
                                      spdlog::warn("[{}] user data stream closed: {}", id_.str(),
                                                   why);
                                      streamDown_ = true;
                                      qcv_.notify_one();
                                    }});
    if (auto err = ws->connect(); !err.empty()) {
      spdlog::warn("[{}] user data stream: {}", id_.str(), err);
      return;
    }
    ws_ = std::move(ws);
    listenKey_ = key;
    streamUp_ = true;
    streamDown_ = false;
    nextKeepalive_ = mono() + cfg_.listenKeyKeepaliveSec * 1000 * kMs;
    if (everUp_) {
      spdlog::info("[{}] user data stream reconnected", id_.str());
      VenueEvent e;
      e.kind = VenueEventKind::Reconnected;
      e.text = "user data stream back";
      emit({std::move(e)});
    }
    everUp_ = true;
    // Catch up on what happened while it was down (or before it was up).
    pollOrders();
  }

  // Ends the current connection (if any); its callbacks go quiet first.
  void dropStream() {
    ++streamGen_;
    ws_.reset();
  }

  void onStreamDown() {
    if (streamUp_) {
      // Informational: orders still flow over REST and fills are polled.
      VenueEvent e;
      e.kind = VenueEventKind::Disconnected;
      e.text = "user data stream down; polling REST every " + std::to_string(cfg_.pollIntervalMs) +
               " ms";
      emit({std::move(e)});
    }
    streamUp_ = false;
    dropStream();
    nextPoll_ = mono();  // poll REST at once while the stream is down
    nextReconnect_ = std::min(nextReconnect_, mono() + cfg_.reconnectMs * kMs);
  }

  void keepalive() {
    nextKeepalive_ = mono() + cfg_.listenKeyKeepaliveSec * 1000 * kMs;
    RestReply r = rest_.apiKeyCall("PUT", "/api/v3/userDataStream", "listenKey=" + listenKey_);
    if (r.kind == RestReply::Kind::Rejected) {
      spdlog::warn("[{}] listen key keep-alive: {}; reconnecting", id_.str(), r.text);
      onStreamDown();
      nextReconnect_ = mono();
    }
  }

  void onStreamMessage(const std::string& text) {
    StreamEvent ev;
    if (auto err = parseStreamEvent(text, ev); !err.empty()) {
      spdlog::warn("[{}] user data stream: unreadable event ({}); ignored", id_.str(), err);
      return;
    }
    if (ev.kind == StreamEvent::Kind::ListenKeyExpired) {
      spdlog::warn("[{}] listen key expired; renewing", id_.str());
      streamDown_ = true;
      qcv_.notify_one();
      return;
    }
    if (ev.kind != StreamEvent::Kind::ExecutionReport) return;
    emit(onReport(ev.report));
  }

  // ------------------------------------------------------------ event logic
  Child* childFor(const std::string& clientId, const std::string& venueOrderId) {
    auto it = children_.find(clientId);
    if (it != children_.end()) return &it->second;
    auto v = byVenueOrder_.find(venueOrderId);
    if (v != byVenueOrder_.end()) {
      auto c = children_.find(v->second);
      if (c != children_.end()) return &c->second;
    }
    return nullptr;
  }

  void ensureAccepted(Child& c, Events& out) {
    if (c.accepted) return;
    c.accepted = true;
    VenueEvent e;
    e.kind = VenueEventKind::Accepted;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.venueOrderId);
    e.leavesQty = c.qty - c.cum;
    e.cumQty = c.cum;
    out.push_back(std::move(e));
  }

  void noteVenueOrder(Child& c, const std::string& venueOrderId) {
    if (venueOrderId.empty()) return;
    byVenueOrder_[venueOrderId] = c.id.str();
    if (c.venueOrderId.empty() && !c.replacing) c.venueOrderId = venueOrderId;
  }

  void bookFill(Child& c, const BinanceTrade& t, Events& out) {
    const std::string key = t.symbol + ":" + t.tradeId;
    if (!seenTrades_.insert(key).second) return;
    c.unknown = false;
    noteVenueOrder(c, t.orderId);
    ensureAccepted(c, out);
    c.cum += t.qty;
    c.booked[t.orderId] += t.qty;
    lastPx_[c.symbol] = t.price;
    VenueEvent e;
    e.kind = VenueEventKind::Fill;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(t.orderId);
    e.venueExecId = VenueExecId(key);
    e.lastQty = t.qty;
    e.lastPx = t.price;
    e.cumQty = c.cum;
    e.leavesQty = c.cum >= c.qty ? Qty() : c.qty - c.cum;
    if (!t.commissionAsset.empty()) {
      e.fee = t.commission;
      e.feeCurrency = t.commissionAsset;
    }
    e.venueTime = t.timeMs * kMs;
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
    e.venueOrderId = VenueOrderId(c.venueOrderId);
    e.cumQty = c.cum;
    e.leavesQty = Qty();
    e.text = std::move(text);
    out.push_back(std::move(e));
  }

  // Applies a Binance order status (order response, query, poll).
  void applyOrder(Child& c, const BinanceOrder& o, Events& out) {
    noteVenueOrder(c, o.orderId);
    c.unknown = false;
    for (const auto& f : o.fills) bookFill(c, f, out);
    if (o.orderId != c.venueOrderId || c.replacing) return;
    if (o.status == "REJECTED")
      return terminal(c, VenueEventKind::Rejected, "binance: REJECTED", out);
    ensureAccepted(c, out);
    if (o.status == "CANCELED") terminal(c, VenueEventKind::Canceled, "binance: CANCELED", out);
    if (o.status == "EXPIRED" || o.status == "EXPIRED_IN_MATCH")
      terminal(c, VenueEventKind::Expired, "binance: " + o.status, out);
  }

  Events onReport(const ExecutionReport& r) {
    Events out;
    std::lock_guard lk(mu_);
    Child* c =
        childFor(r.execType == "CANCELED" && !r.origClientOrderId.empty() ? r.origClientOrderId
                                                                          : r.clientOrderId,
                 r.orderId);
    if (!c) return out;
    noteVenueOrder(*c, r.orderId);
    const bool current = r.orderId == c->venueOrderId && !c->replacing;
    if (r.execType == "TRADE") {
      BinanceTrade t;
      t.symbol = r.symbol;
      t.tradeId = r.tradeId;
      t.orderId = r.orderId;
      t.price = r.lastPrice;
      t.qty = r.lastQty;
      t.commission = r.commission;
      t.commissionAsset = r.commissionAsset;
      t.timeMs = r.transactTimeMs;
      bookFill(*c, t, out);
    } else if (r.execType == "NEW") {
      if (current) ensureAccepted(*c, out);
    } else if (!current) {
      // a replaced-away order's cancel, or news of an order not ours any more
    } else if (r.execType == "CANCELED") {
      terminal(*c, VenueEventKind::Canceled, "binance: CANCELED", out);
    } else if (r.execType == "REJECTED") {
      terminal(*c, VenueEventKind::Rejected, "binance: REJECTED (" + r.rejectReason + ")", out);
    } else if (r.execType == "EXPIRED" || r.execType == "TRADE_PREVENTION") {
      terminal(*c, VenueEventKind::Expired, "binance: " + r.execType + " (" + r.status + ")", out);
    }
    return out;
  }

  // Fetches the trades of one Binance order and books those not yet booked.
  void fetchTrades(Child& c, const std::string& orderId, Events& out) {
    RestReply r = rest_.signedCall("GET", "/api/v3/myTrades",
                                   "symbol=" + c.venueSymbol + "&orderId=" + orderId);
    std::vector<BinanceTrade> trades;
    if (!r.ok() || !parseTrades(r.body, trades).empty()) {
      spdlog::warn("[{}] myTrades for order {}: {}", id_.str(), orderId,
                   r.ok() ? "unreadable" : r.text);
      return;
    }
    std::sort(trades.begin(), trades.end(), [](const auto& a, const auto& b) {
      return a.tradeId.size() != b.tradeId.size() ? a.tradeId.size() < b.tradeId.size()
                                                  : a.tradeId < b.tradeId;
    });
    for (const auto& t : trades) {
      const std::string key = t.symbol + ":" + t.tradeId;
      if (seenTrades_.count(key)) continue;
      auto& unmatched = c.adoptedUnmatched[orderId];
      if (unmatched.isPositive() && t.qty <= unmatched) {
        unmatched -= t.qty;  // journaled before the restart, already counted
        seenTrades_.insert(key);
        continue;
      }
      bookFill(c, t, out);
    }
  }

  // ------------------------------------------------------------ commands
  std::string checkNew(const VenueNewOrder& o, const SymbolFilters** f, std::string& venueSym,
                       OrderTypeMapping& m) {
    if (auto e = checkClientOrderId(o.childId.str()); !e.empty()) return e;
    if (auto e = mapOrderType(o, cfg_.dayAsGtc, m); !e.empty()) return e;
    auto vs = toVenue_.find(o.symbol);
    if (vs == toVenue_.end()) return "Symbol " + o.symbol.str() + ": not in the instrument master";
    venueSym = vs->second;
    if (info_.symbols.empty())
      return "symbol filters not loaded yet (" +
             (filtersError_.empty() ? "loading" : filtersError_) + ")";
    auto it = info_.symbols.find(venueSym);
    if (it == info_.symbols.end())
      return "Symbol " + venueSym + ": not listed in Binance exchangeInfo";
    *f = &it->second;
    if (!it->second.orderTypes.empty() && !it->second.supports(m.type))
      return "OrdType: " + m.type + " is not allowed for " + venueSym;
    std::optional<Price> px = m.type == "MARKET" || m.type == "STOP_LOSS" ? std::nullopt : o.price;
    return checkFilters(it->second, px, o.stopPx, o.qty,
                        m.type == "MARKET" || m.type == "STOP_LOSS");
  }

  static std::string orderParams(const Child& c, Qty qty) {
    std::string p = "symbol=" + c.venueSymbol + "&side=" + std::string(sideName(c.side)) +
                    "&type=" + c.mapping.type;
    if (!c.mapping.timeInForce.empty()) p += "&timeInForce=" + c.mapping.timeInForce;
    p += "&quantity=" + decimal(qty.mantissa());
    if (c.mapping.type != "MARKET" && c.mapping.type != "STOP_LOSS" && c.price)
      p += "&price=" + decimal(c.price->mantissa());
    if (c.stopPx && (c.mapping.type == "STOP_LOSS" || c.mapping.type == "STOP_LOSS_LIMIT"))
      p += "&stopPrice=" + decimal(c.stopPx->mantissa());
    p += "&newClientOrderId=" + urlEncode(c.id.str()) + "&newOrderRespType=FULL";
    return p;
  }

  void doSubmit(const VenueNewOrder& o) {
    Events out;
    Child* c = nullptr;
    {
      std::lock_guard lk(mu_);
      const SymbolFilters* f = nullptr;
      std::string vs;
      OrderTypeMapping m;
      std::string err = checkNew(o, &f, vs, m);
      if (err.empty() && children_.count(o.childId.str()))
        err = "child order id " + o.childId.str() + " was already sent";
      if (!err.empty()) {
        VenueEvent e;
        e.kind = VenueEventKind::Rejected;
        e.childId = o.childId;
        e.text = err;
        out.push_back(std::move(e));
      } else {
        Child nc;
        nc.id = o.childId;
        nc.symbol = o.symbol;
        nc.venueSymbol = vs;
        nc.side = o.side;
        nc.ordType = o.ordType;
        nc.tif = o.tif;
        nc.mapping = m;
        nc.qty = o.qty;
        nc.price = o.price;
        nc.stopPx = o.stopPx;
        nc.unknown = true;
        c = &(children_[nc.id.str()] = std::move(nc));
      }
    }
    if (!c) return emit(std::move(out));
    RestReply r = rest_.signedCall("POST", "/api/v3/order", orderParams(*c, c->qty));
    resolveNew(*c, r, out);
    emit(std::move(out));
  }

  // The answer to a new order: applied, rejected, or — when it may have
  // executed — looked up by client order id.
  void resolveNew(Child& c, RestReply r, Events& out) {
    BinanceOrder bo;
    if (r.ok() && parseOrder(r.body, bo).empty()) {
      std::lock_guard lk(mu_);
      applyOrder(c, bo, out);
      return;
    }
    if (r.kind == RestReply::Kind::Rejected || r.kind == RestReply::Kind::RateLimited ||
        r.kind == RestReply::Kind::Refused) {
      std::lock_guard lk(mu_);
      terminal(c, VenueEventKind::Rejected, r.text, out);
      return;
    }
    const std::string why = r.ok() ? "unreadable order response" : r.text;
    spdlog::warn("[{}] new order {}: {}; looking it up", id_.str(), c.id.str(), why);
    RestReply q =
        rest_.signedCall("GET", "/api/v3/order",
                         "symbol=" + c.venueSymbol + "&origClientOrderId=" + urlEncode(c.id.str()));
    std::lock_guard lk(mu_);
    if (q.ok() && parseOrder(q.body, bo).empty()) {
      applyOrder(c, bo, out);
      if (bo.executedQty > c.booked[bo.orderId]) fetchTrades(c, bo.orderId, out);
    } else if (q.kind == RestReply::Kind::Rejected && q.error.code == -2013) {
      terminal(c, VenueEventKind::Rejected, "order not placed: " + why, out);
    }
    // else: still unknown; the poll resolves it.
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
    if (it == children_.end()) {
      cancelReject("unknown order " + x.childId.str());
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    if (c.done) {
      cancelReject("order is already done");
      lk.unlock();
      return emit(std::move(out));
    }
    std::string ref = c.venueOrderId.empty() ? "origClientOrderId=" + urlEncode(c.id.str())
                                             : "orderId=" + c.venueOrderId;
    lk.unlock();
    RestReply r =
        rest_.signedCall("DELETE", "/api/v3/order", "symbol=" + c.venueSymbol + "&" + ref);
    BinanceOrder bo;
    lk.lock();
    if (r.ok() && parseOrder(r.body, bo).empty()) {
      noteVenueOrder(c, bo.orderId);
      // A fill that raced the cancel is booked before the cancel is reported.
      if (bo.executedQty > c.booked[bo.orderId]) fetchTrades(c, bo.orderId, out);
      ensureAccepted(c, out);
      terminal(c, VenueEventKind::Canceled, "canceled", out);
    } else {
      cancelReject(r.ok() ? "unreadable cancel response" : r.text);
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
    if (it == children_.end() || it->second.done || it->second.venueOrderId.empty()) {
      replaceReject(it == children_.end() ? "unknown order " + x.childId.str()
                    : it->second.done     ? "order is already done"
                                          : "order not acknowledged yet");
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    const std::optional<Price> newPrice = x.newPrice ? x.newPrice : c.price;
    const std::optional<Price> newStop = x.newStopPx ? x.newStopPx : c.stopPx;
    auto fi = info_.symbols.find(c.venueSymbol);
    if (fi != info_.symbols.end()) {
      const bool priced = c.mapping.type != "MARKET" && c.mapping.type != "STOP_LOSS";
      if (auto e = checkFilters(fi->second, priced ? newPrice : std::nullopt, newStop, x.newQty);
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
    c.replacing = true;
    const std::string oldId = c.venueOrderId;
    lk.unlock();
    RestReply r = rest_.signedCall("DELETE", "/api/v3/order",
                                   "symbol=" + c.venueSymbol + "&orderId=" + oldId);
    BinanceOrder canceled;
    lk.lock();
    if (!r.ok() || !parseOrder(r.body, canceled).empty()) {
      c.replacing = false;
      replaceReject(r.ok() ? "unreadable cancel response" : r.text);
      c.unknown = true;  // e.g. filled meanwhile: the poll finds out
      lk.unlock();
      return emit(std::move(out));
    }
    // The cancel's executedQty is what the old order filled, final: size the
    // new order from it, so a fill between cancel and new is never over-sent.
    if (canceled.executedQty > c.booked[oldId]) fetchTrades(c, oldId, out);
    const Qty filled = c.cumPrior + canceled.executedQty;
    if (x.newQty <= filled) {
      c.replacing = false;
      terminal(c, VenueEventKind::Canceled,
               "replace: filled " + filled.str() + " reaches the new quantity " + x.newQty.str() +
                   "; remainder canceled",
               out);
      lk.unlock();
      return emit(std::move(out));
    }
    Child next = c;
    next.qty = x.newQty;
    next.price = newPrice;
    next.stopPx = newStop;
    const Qty remaining = x.newQty - filled;
    lk.unlock();
    RestReply n = rest_.signedCall("POST", "/api/v3/order", orderParams(next, remaining));
    BinanceOrder placed;
    lk.lock();
    c.replacing = false;
    if (n.ok() && parseOrder(n.body, placed).empty()) {
      c.cumPrior = filled;
      c.qty = x.newQty;
      c.price = newPrice;
      c.stopPx = newStop;
      c.venueOrderId = placed.orderId;
      byVenueOrder_[placed.orderId] = c.id.str();
      VenueEvent e;
      e.kind = VenueEventKind::Replaced;
      e.childId = c.id;
      e.venueOrderId = VenueOrderId(placed.orderId);
      e.newQty = x.newQty;
      e.newPrice = newPrice;
      e.cumQty = c.cum;
      e.leavesQty = x.newQty - c.cum;
      out.push_back(std::move(e));
      applyOrder(c, placed, out);
    } else {
      c.venueOrderId.clear();
      // Unknown outcome (or an unreadable 200): the poll finds the order by
      // its client id; a clear refusal ends the child.
      c.unknown = n.kind == RestReply::Kind::Unknown || n.ok();
      if (!c.unknown)
        terminal(
            c, VenueEventKind::Canceled,
            "replace: old order canceled, new order failed: " + (n.ok() ? "unreadable" : n.text),
            out);
    }
    lk.unlock();
    emit(std::move(out));
  }

  // ------------------------------------------------------------ polling
  void pollOrders() {
    std::vector<std::string> ids;
    {
      std::lock_guard lk(mu_);
      for (const auto& [k, c] : children_)
        if (!c.done) ids.push_back(k);
    }
    for (const auto& id : ids) {
      Events out;
      std::unique_lock lk(mu_);
      Child& c = children_.at(id);
      if (c.done || c.replacing) continue;
      std::string ref = c.venueOrderId.empty() ? "origClientOrderId=" + urlEncode(c.id.str())
                                               : "orderId=" + c.venueOrderId;
      lk.unlock();
      RestReply r = rest_.signedCall("GET", "/api/v3/order", "symbol=" + c.venueSymbol + "&" + ref);
      BinanceOrder bo;
      lk.lock();
      if (r.ok() && parseOrder(r.body, bo).empty()) {
        noteVenueOrder(c, bo.orderId);
        if (bo.executedQty > c.booked[bo.orderId]) fetchTrades(c, bo.orderId, out);
        applyOrder(c, bo, out);
      } else if (r.kind == RestReply::Kind::Rejected && r.error.code == -2013 &&
                 c.venueOrderId.empty()) {
        terminal(c, VenueEventKind::Rejected, "order not placed (Binance does not know it)", out);
      } else if (r.kind == RestReply::Kind::Refused || r.kind == RestReply::Kind::RateLimited) {
        lk.unlock();
        emit(std::move(out));
        return;  // try again next round
      }
      lk.unlock();
      emit(std::move(out));
    }
  }

  // ------------------------------------------------------------ snapshot
  VenueSnapshot snapshot(WallNanos since) {
    VenueSnapshot s;
    RestReply r = rest_.signedCall("GET", "/api/v3/openOrders", "");
    std::vector<BinanceOrder> open;
    if (!r.ok() || !parseOrders(r.body, open).empty()) {
      s.error = "openOrders: " + (r.ok() ? std::string("unreadable") : r.text);
      return s;
    }
    std::set<std::string> symbols;
    std::map<std::string, std::string> clientByOrder;
    {
      std::lock_guard lk(mu_);
      for (const auto& [sym, vs] : toVenue_) symbols.insert(vs);
      for (const auto& [k, c] : children_) symbols.insert(c.venueSymbol);
      for (const auto& [vo, child] : byVenueOrder_) clientByOrder[vo] = child;
    }
    for (const auto& o : open) {
      symbols.insert(o.symbol);
      clientByOrder[o.orderId] = o.clientOrderId;
      VenueOrderState st;
      st.childId = ChildOrderId(o.clientOrderId);
      st.venueOrderId = VenueOrderId(o.orderId);
      st.symbol = fromVenue_.count(o.symbol) ? fromVenue_[o.symbol] : Symbol(o.symbol);
      st.side = o.side == "SELL" ? Side::Sell : Side::Buy;
      st.qty = o.origQty;
      st.cumQty = o.executedQty;
      if (o.price.isPositive()) st.price = o.price;
      if (o.stopPrice.isPositive()) st.stopPx = o.stopPrice;
      st.ordType = o.type == "MARKET"            ? OrdType::Market
                   : o.type == "STOP_LOSS"       ? OrdType::Stop
                   : o.type == "STOP_LOSS_LIMIT" ? OrdType::StopLimit
                                                 : OrdType::Limit;
      st.tif = o.timeInForce == "IOC"   ? TimeInForce::Ioc
               : o.timeInForce == "FOK" ? TimeInForce::Fok
                                        : TimeInForce::Gtc;
      st.open = true;
      s.orders.push_back(std::move(st));
    }
    for (const auto& sym : symbols) {
      RestReply t = rest_.signedCall("GET", "/api/v3/myTrades",
                                     "symbol=" + sym + "&startTime=" + std::to_string(since / kMs));
      std::vector<BinanceTrade> trades;
      if (!t.ok() || !parseTrades(t.body, trades).empty()) {
        s.error = "myTrades " + sym + ": " + (t.ok() ? std::string("unreadable") : t.text);
        return s;
      }
      for (const auto& tr : trades) {
        auto co = clientByOrder.find(tr.orderId);
        if (co == clientByOrder.end()) {
          RestReply q =
              rest_.signedCall("GET", "/api/v3/order", "symbol=" + sym + "&orderId=" + tr.orderId);
          BinanceOrder bo;
          if (!q.ok() || !parseOrder(q.body, bo).empty()) continue;  // not ours to name
          co = clientByOrder.emplace(tr.orderId, bo.clientOrderId).first;
        }
        VenueFill f;
        f.childId = ChildOrderId(co->second);
        f.venueOrderId = VenueOrderId(tr.orderId);
        f.venueExecId = VenueExecId(tr.symbol + ":" + tr.tradeId);
        f.symbol = fromVenue_.count(sym) ? fromVenue_[sym] : Symbol(sym);
        f.qty = tr.qty;
        f.px = tr.price;
        f.time = tr.timeMs * kMs;
        s.fills.push_back(std::move(f));
      }
    }
    s.ok = true;
    return s;
  }

  // ------------------------------------------------------------ market data
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  // The streams the subscriptions need (under mdMu_).
  std::set<std::string> mdWantedLocked() const {
    std::set<std::string> want;
    for (const auto& [sym, subs] : mdSubs_) {
      if (subs.empty()) continue;
      const std::string vs = lower(toVenue_.at(sym));
      want.insert(vs + "@bookTicker");
      want.insert(vs + "@trade");
      size_t depth = 0;
      for (const auto& s : subs) depth = std::max(depth, s.depth);
      // Binance publishes partial books of 5, 10 or 20 levels.
      if (depth > 0)
        want.insert(vs + "@depth" + (depth <= 5 ? "5" : depth <= 10 ? "10" : "20") + "@100ms");
    }
    return want;
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
    o.pingIdleMs = cfg_.pingIdleMs;
    o.target = target;
    return o;
  }

  // I/O thread: brings the market-stream connection and its subscriptions in
  // line with mdSubs_, and hands new subscribers the book we already have.
  void mdSync() {
    std::set<std::string> want;
    {
      std::lock_guard lk(mdMu_);
      want = mdWantedLocked();
      for (auto it = mdBooks_.begin(); it != mdBooks_.end();) {
        auto subs = mdSubs_.find(it->first);
        if (subs == mdSubs_.end()) {
          it = mdBooks_.erase(it);  // no one reads it: its stream is going
          continue;
        }
        for (auto& s : subs->second)
          if (!s.primed && (it->second.haveTop || it->second.haveDepth))
            s.sink->onBook(mdBook(it->first, it->second, s.depth));
        ++it;
      }
      for (auto& [sym, subs] : mdSubs_)
        for (auto& s : subs) s.primed = true;
    }
    if (!md_) {
      if (want.empty() || mono() < nextMdReconnect_) return;
      std::string target = "/stream?streams=";
      for (const auto& st : want) target += (target.back() == '=' ? "" : "/") + st;
      const uint64_t gen = ++mdGen_;
      auto ws = std::make_unique<net::WsClient>(
          wsOptions(target),
          net::WsClient::Callbacks{[this, gen](const std::string& t) { onMd(gen, t); },
                                   [this, gen](const std::string& why) {
                                     if (gen != mdGen_.load()) return;
                                     spdlog::warn("[{}] market stream closed: {}", id_.str(), why);
                                     mdDown_ = true;
                                     qcv_.notify_one();
                                   }});
      if (auto err = ws->connect(); !err.empty()) {
        spdlog::warn("[{}] market stream: {}", id_.str(), err);
        nextMdReconnect_ = mono() + cfg_.reconnectMs * kMs;
        return;
      }
      md_ = std::move(ws);
      mdActive_ = want;
      return;
    }
    std::vector<std::string> add, remove;
    std::set_difference(want.begin(), want.end(), mdActive_.begin(), mdActive_.end(),
                        std::back_inserter(add));
    std::set_difference(mdActive_.begin(), mdActive_.end(), want.begin(), want.end(),
                        std::back_inserter(remove));
    auto request = [&](const char* method, const std::vector<std::string>& streams) {
      if (streams.empty()) return;
      std::string m = std::string(R"({"method":")") + method + R"(","params":[)";
      for (const auto& st : streams) m += (m.back() == '[' ? "\"" : ",\"") + st + "\"";
      m += "],\"id\":" + std::to_string(++mdRequestId_) + "}";
      md_->send(std::move(m));
    };
    request("UNSUBSCRIBE", remove);
    request("SUBSCRIBE", add);
    mdActive_ = want;
  }

  // I/O thread: the market stream dropped. Every subscriber's book goes
  // blank (no stale prices for the SOR or an algo) until the new
  // connection's data arrive.
  void mdOnDown() {
    ++mdGen_;  // the old connection's late messages are ignored from here on
    auto old = std::move(md_);
    mdActive_.clear();
    nextMdReconnect_ = mono() + cfg_.reconnectMs * kMs;
    {
      std::lock_guard lk(mdMu_);
      for (const auto& [sym, st] : mdBooks_) {
        auto subs = mdSubs_.find(sym);
        if (subs == mdSubs_.end()) continue;
        TopOfBook blank;
        blank.venue = id_;
        blank.symbol = sym;
        blank.time = clock_.wallNow();
        for (const auto& s : subs->second) s.sink->onBook(blank);
      }
      mdBooks_.clear();
    }
    old.reset();  // outside mdMu_: its reader thread may be waiting for it
  }

  TopOfBook mdBook(const Symbol& sym, const MdState& st, size_t depth) const {
    TopOfBook b;
    b.venue = id_;
    b.symbol = sym;
    b.time = clock_.wallNow();
    if (st.haveTop) {
      b.bidPx = st.bidPx;
      b.bidQty = st.bidQty;
      b.askPx = st.askPx;
      b.askQty = st.askQty;
    } else {
      // Only the partial book so far: its best levels are the top.
      if (!st.bids.empty()) b.bidPx = st.bids[0].price, b.bidQty = st.bids[0].qty;
      if (!st.asks.empty()) b.askPx = st.asks[0].price, b.askQty = st.asks[0].qty;
    }
    if (depth > 0) {
      b.bids.assign(st.bids.begin(), st.bids.begin() + std::min(depth, st.bids.size()));
      b.asks.assign(st.asks.begin(), st.asks.begin() + std::min(depth, st.asks.size()));
    }
    return b;
  }

  // A market-stream message (the stream's reader thread). Unreadable ones
  // are reported and skipped: the stream stays up.
  void onMd(uint64_t gen, const std::string& text) {
    MarketStreamMessage m;
    if (auto err = parseMarketStream(text, m); !err.empty()) {
      ++mdErrors_;
      spdlog::warn("[{}] market stream: unreadable message ({}); ignored, stream kept", id_.str(),
                   err);
      return;
    }
    if (m.kind == MarketStreamMessage::Kind::Result) {
      if (!m.error.empty())
        spdlog::warn("[{}] market stream request {} refused: {}", id_.str(), m.requestId, m.error);
      return;
    }
    if (m.kind == MarketStreamMessage::Kind::Other) return;
    auto fv = fromVenue_.find(m.symbol);
    if (fv == fromVenue_.end()) return;
    const Symbol& sym = fv->second;
    if (m.kind == MarketStreamMessage::Kind::Trade) {
      std::lock_guard lk(mu_);
      lastPx_[sym] = m.price;
    }
    std::lock_guard lk(mdMu_);
    if (gen != mdGen_.load()) return;
    auto subs = mdSubs_.find(sym);
    if (subs == mdSubs_.end() || subs->second.empty()) return;
    if (m.kind == MarketStreamMessage::Kind::Trade) {
      Trade t;
      t.venue = id_;
      t.symbol = sym;
      t.price = m.price;
      t.qty = m.qty;
      t.time = m.tradeTimeMs * kMs;
      for (const auto& s : subs->second) s.sink->onTrade(t);
      return;
    }
    MdState& st = mdBooks_[sym];
    if (m.kind == MarketStreamMessage::Kind::BookTicker) {
      if (m.updateId <= st.lastTickerId) return;  // older than what we have
      st.lastTickerId = m.updateId;
      st.haveTop = true;
      // A side Binance reports as zero quantity is empty.
      st.bidPx = m.bidQty.isZero() ? std::nullopt : std::optional<Price>(m.bidPx);
      st.bidQty = m.bidQty;
      st.askPx = m.askQty.isZero() ? std::nullopt : std::optional<Price>(m.askPx);
      st.askQty = m.askQty;
      for (auto& s : subs->second) {
        s.primed = true;
        s.sink->onBook(mdBook(sym, st, s.depth));
      }
      return;
    }
    // Depth: the partial book replaces the levels we had.
    st.haveDepth = true;
    st.bids.clear();
    st.asks.clear();
    for (const auto& [px, q] : m.bids)
      if (!q.isZero()) st.bids.push_back({px, q});
    for (const auto& [px, q] : m.asks)
      if (!q.isZero()) st.asks.push_back({px, q});
    for (auto& s : subs->second) {
      if (s.depth == 0) continue;
      s.primed = true;
      s.sink->onBook(mdBook(sym, st, s.depth));
    }
  }

  VenueId id_;
  BinanceConfig cfg_;
  const Clock& clock_;
  BinanceRest rest_;
  VenueEventSink* sink_ = nullptr;
  std::map<Symbol, std::string> toVenue_;
  std::map<std::string, Symbol> fromVenue_;

  std::mutex qmu_;
  std::condition_variable qcv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread io_;

  // I/O-thread state.
  std::unique_ptr<net::WsClient> ws_;
  std::string listenKey_;
  bool streamUp_ = false;
  bool everUp_ = false;
  std::atomic<bool> streamDown_{false};
  std::atomic<uint64_t> streamGen_{0};
  MonoNanos nextFilters_ = 0, nextReconnect_ = 0, nextKeepalive_ = 0, nextPoll_ = 0;
  MonoNanos nextClockSync_ = 0;

  // Shared between the I/O and stream threads.
  mutable std::mutex mu_;
  ExchangeInfo info_;
  std::string filtersError_;
  std::map<std::string, Child> children_;
  std::map<std::string, std::string> byVenueOrder_;
  std::set<std::string> seenTrades_;
  std::map<Symbol, Price> lastPx_;

  // Market data. md_, mdActive_ and the timers are the I/O thread's; the
  // subscriptions and books are shared with the market stream's reader
  // thread under mdMu_, which is held while sinks are called (so a sink is
  // never called after unsubscribeMarketData returns).
  std::unique_ptr<net::WsClient> md_;
  std::set<std::string> mdActive_;
  MonoNanos nextMdReconnect_ = 0;
  int64_t mdRequestId_ = 0;
  std::atomic<uint64_t> mdGen_{0};
  std::atomic<bool> mdDown_{false};
  std::atomic<uint64_t> mdErrors_{0};
  mutable std::mutex mdMu_;
  std::map<Symbol, std::vector<MdSub>> mdSubs_;
  std::map<Symbol, MdState> mdBooks_;
};

}  // namespace

std::unique_ptr<VenueAdapter> makeBinanceVenue(VenueId id, BinanceConfig cfg, Credentials cred,
                                               const InstrumentMaster& instruments,
                                               const Clock& clock) {
  return std::make_unique<BinanceVenue>(std::move(id), std::move(cfg), std::move(cred), instruments,
                                        clock);
}

std::unique_ptr<VenueAdapter> makeBinanceVenueFromConfig(const venues::VenueContext& ctx,
                                                         venues::ParamReader& p) {
  BinanceConfig cfg = readBinanceConfig(p, ctx.configPath);
  Credentials cred = loadCredentials(cfg, ctx.configPath);
  return makeBinanceVenue(ctx.id, std::move(cfg), std::move(cred), ctx.instruments, ctx.clock);
}

}  // namespace fixgw::binance
