#include "venue_adapters/coinbase/adapter.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "venue_adapters/coinbase/parse.h"
#include "venue_adapters/coinbase/rest.h"
#include "venue_adapters/net/http.h"

namespace fixgw::coinbase {

std::string productIdFor(const Instrument& inst, const std::string& venueName) {
  auto it = inst.venueSymbols.find(venueName);
  if (it != inst.venueSymbols.end()) return it->second;
  std::string s;
  for (char c : inst.symbol.str())
    s.push_back(c == '/' ? '-' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return s;
}

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr const char* kOrders = "/api/v3/brokerage/orders";
constexpr const char* kHistorical = "/api/v3/brokerage/orders/historical/";

std::string urlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string jsonString(std::string_view s) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return sb.GetString();
}

struct Child {
  ChildOrderId id;
  Symbol symbol;
  std::string product;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Gtc;
  OrderConfig cfg;
  Qty qty;
  std::optional<Price> price, stopPx;
  WallNanos expireTime = 0;
  std::string venueOrderId;
  // Coinbase's client_order_id of the live order: the child id, then
  // "<child>:r<n>" for the n-th cancel-then-new replacement (ids are unique).
  std::string clientId;
  int replaces = 0;
  Qty cum;               // fills booked
  Qty cumPrior;          // filled on Coinbase orders replaced away (part of cum)
  Qty adoptedUnmatched;  // fills journaled before a restart, not yet matched to trade ids
  bool accepted = false;
  bool done = false;
  bool unknown = false;  // sent, outcome not known yet (or fills owed)
  MonoNanos sentMono = 0;
  WallNanos sentWall = 0;
};

// The child id behind a Coinbase client_order_id ("<child>:r<n>" -> "<child>").
std::string childIdOf(const std::string& clientId) {
  auto at = clientId.rfind(":r");
  if (at == std::string::npos || at + 2 >= clientId.size()) return clientId;
  for (size_t i = at + 2; i < clientId.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(clientId[i]))) return clientId;
  return clientId.substr(0, at);
}

struct Book {
  std::map<Price, Qty, std::greater<>> bids;
  std::map<Price, Qty> asks;
  bool have = false;
  WallNanos time = 0;
};

struct MdSub {
  MarketDataSink* sink = nullptr;
  size_t depth = 0;
};

class CoinbaseVenue final : public VenueAdapter {
 public:
  CoinbaseVenue(VenueId id, CoinbaseConfig cfg, Credentials cred, const InstrumentMaster& im,
                const Clock& clock)
      : id_(std::move(id)), cfg_(std::move(cfg)), clock_(clock), rest_(cfg_, cred, clock) {
    for (const auto& [sym, inst] : im.all()) {
      std::string p = productIdFor(inst, id_.str());
      toVenue_[sym] = p;
      fromVenue_[p] = sym;
    }
  }

  ~CoinbaseVenue() override { stop(); }

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
    dropMd();
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

  // Coinbase sends no counters we read: these are the REST client's local
  // per-second windows (rest.h), which keep us under the venue's own.
  std::vector<VenueRateLimit> rateLimits() const override { return rest_.rateLimits(); }

  std::optional<Price> referencePrice(const Symbol& s) const override {
    std::lock_guard lk(mdMu_);
    auto it = lastPx_.find(s);
    if (it == lastPx_.end()) return std::nullopt;
    return it->second;
  }

  void adoptOpenOrders(const std::vector<VenueOrderState>& orders) override {
    post([this, orders] {
      for (const auto& o : orders) {
        Child c;
        c.id = o.childId;
        c.symbol = o.symbol;
        c.product = toVenue_.count(o.symbol) ? toVenue_[o.symbol] : o.symbol.str();
        c.side = o.side;
        c.ordType = o.ordType;
        c.tif = o.tif;
        c.qty = o.qty;
        c.price = o.price;
        c.stopPx = o.stopPx;
        c.expireTime = o.attrs.expireTime;
        VenueNewOrder n;
        n.ordType = o.ordType;
        n.tif = o.tif;
        n.price = o.price;
        n.stopPx = o.stopPx;
        n.attrs = o.attrs;
        mapOrderType(n, true, c.cfg);
        c.venueOrderId = o.venueOrderId.str();
        c.clientId = c.id.str();
        c.cum = o.cumQty;
        c.adoptedUnmatched = o.cumQty;
        c.accepted = !o.venueOrderId.empty();
        c.unknown = true;  // the first poll syncs it with Coinbase
        if (!c.venueOrderId.empty()) byVenueOrder_[c.venueOrderId] = c.id.str();
        children_[c.id.str()] = std::move(c);
      }
    });
  }

  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) override {
    post([this, since, cb = std::move(cb)] { cb(snapshot(since)); });
  }

  MarketDataStatus subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                       size_t depthLevels) override {
    MarketDataStatus st;
    auto it = toVenue_.find(symbol);
    if (it == toVenue_.end()) {
      st.error =
          "symbol '" + symbol.str() + "' is not in the instrument master for venue " + id_.str();
      return st;
    }
    const std::string product = it->second;
    bool haveBook = false;
    {
      std::lock_guard lk(mdMu_);
      mdSubs_[product].push_back({&sink, depthLevels});
      haveBook = books_[product].have;
    }
    post([this, product, haveBook, s = &sink] {
      ensureMd(product);
      if (haveBook) {
        std::lock_guard lk(mdMu_);
        for (const auto& sub : mdSubs_[product])
          if (sub.sink == s) s->onBook(topOf(product, sub.depth));
      }
    });
    st.ok = true;
    return st;
  }

  void unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) override {
    auto it = toVenue_.find(symbol);
    if (it == toVenue_.end()) return;
    std::lock_guard lk(mdMu_);
    auto& v = mdSubs_[it->second];
    std::erase_if(v, [&](const MdSub& s) { return s.sink == &sink; });
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
    if (cfg_.clockSync)
      if (auto e = rest_.syncClock(); !e.empty()) spdlog::warn("[{}] {}", id_.str(), e);
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

  void housekeeping() {
    const MonoNanos now = mono();
    if (now >= nextFilters_) loadFilters();
    if (streamDown_.exchange(false)) onStreamDown();
    if (!streamUp_ && now >= nextReconnect_) connectStream();
    if (mdDown_.load() && now >= nextMdReconnect_) connectMd();
    // Writes held by our own per-second limit go out, in order, as it allows;
    // after a 429 they are refused with its reason rather than sent late.
    while (!held_.empty() && (rest_.canSendPrivate() || rest_.blocked())) {
      auto f = std::move(held_.front());
      held_.pop_front();
      f();
    }
    bool anyUnknown = false;
    for (const auto& [k, c] : children_) anyUnknown |= c.unknown && !c.done;
    if ((!streamUp_ || anyUnknown || pollSoon_) && now >= nextPoll_) {
      nextPoll_ = now + cfg_.pollIntervalMs * kMs;
      pollSoon_ = false;
      pollOrders();
    }
  }

  // ------------------------------------------------------------ products
  void loadFilters() {
    nextFilters_ = mono() + cfg_.filtersRefreshSec * 1000 * kMs;
    std::string q;
    for (const auto& [sym, p] : toVenue_) {
      q.push_back(q.empty() ? '?' : '&');
      q.append("product_ids=").append(urlEncode(p));
    }
    RestReply r = rest_.publicGet("/api/v3/brokerage/market/products" + q);
    std::map<std::string, Product> ps;
    std::string err = r.ok() ? parseProducts(r.body, ps) : r.text;
    if (!err.empty()) {
      filtersError_ = "products: " + err;
      spdlog::warn("[{}] {}", id_.str(), filtersError_);
      if (products_.empty()) nextFilters_ = mono() + cfg_.reconnectMs * kMs;
      return;
    }
    products_ = std::move(ps);
    filtersError_.clear();
  }

  std::string quoteCurrency(const std::string& product) const {
    auto it = products_.find(product);
    if (it != products_.end()) return it->second.quoteCurrency;
    auto dash = product.find('-');
    return dash == std::string::npos ? "" : product.substr(dash + 1);
  }

  // ------------------------------------------------------------ user stream
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
    o.target = "/";
    return o;
  }

  std::string subscribeMsg(const std::string& channel, const std::vector<std::string>& products,
                           const std::string& jwt) const {
    std::string m = R"({"type":"subscribe","channel":)" + jsonString(channel);
    if (!products.empty()) {
      m += R"(,"product_ids":[)";
      for (size_t i = 0; i < products.size(); ++i) m += (i ? "," : "") + jsonString(products[i]);
      m += "]";
    }
    if (!jwt.empty()) m += R"(,"jwt":)" + jsonString(jwt);
    return m + "}";
  }

  void connectStream() {
    nextReconnect_ = mono() + cfg_.reconnectMs * kMs;
    dropStream();
    // Callbacks of a connection since replaced are ignored: a late close of
    // the old one must not take down the new one.
    const uint64_t gen = streamGen_.load();
    auto ws = std::make_unique<net::WsClient>(
        wsOptions(cfg_.wsHost, cfg_.wsPort),
        net::WsClient::Callbacks{[this, gen](const std::string& t) {
                                   if (gen != streamGen_.load()) return;
                                   // Fills need REST, which lives on the I/O thread.
                                   post([this, gen, t] { onStreamMessage(gen, t); });
                                 },
                                 [this, gen](const std::string& why) {
                                   if (gen != streamGen_.load()) return;
                                   spdlog::warn("[{}] user stream closed: {}", id_.str(), why);
                                   streamDown_ = true;
                                   qcv_.notify_one();
                                 }});
    if (auto err = ws->connect(); !err.empty()) {
      spdlog::warn("[{}] user stream: {}", id_.str(), err);
      return;
    }
    std::vector<std::string> products;
    for (const auto& [sym, p] : toVenue_) products.push_back(p);
    ws->send(subscribeMsg("user", products, rest_.wsJwt()));
    ws->send(subscribeMsg("heartbeats", {}, rest_.wsJwt()));
    ws_ = std::move(ws);
    streamUp_ = true;
    streamDown_ = false;
    lastSeq_ = -1;
    if (everUp_) {
      spdlog::info("[{}] user stream reconnected", id_.str());
      VenueEvent e;
      e.kind = VenueEventKind::Reconnected;
      e.text = "user stream back";
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
          "user stream down; polling REST every " + std::to_string(cfg_.pollIntervalMs) + " ms";
      emit({std::move(e)});
    }
    streamUp_ = false;
    dropStream();
    nextPoll_ = mono();
    nextReconnect_ = std::min(nextReconnect_, mono() + cfg_.reconnectMs * kMs);
  }

  void onStreamMessage(uint64_t gen, const std::string& text) {
    StreamMessage m;
    if (auto err = parseStreamMessage(text, m); !err.empty()) {
      // Kept alive: the next poll catches whatever this message said.
      spdlog::warn("[{}] user stream: unreadable message ({}); polling instead", id_.str(), err);
      pollSoon_ = true;
      return;
    }
    if (gen == streamGen_.load() && m.sequence >= 0) {
      if (lastSeq_ >= 0 && m.sequence != lastSeq_ + 1) {
        spdlog::warn("[{}] user stream: sequence {} after {}; polling", id_.str(), m.sequence,
                     lastSeq_);
        pollSoon_ = true;
      }
      lastSeq_ = m.sequence;
    }
    if (m.kind == StreamMessage::Kind::Error) {
      spdlog::warn("[{}] user stream error: {}", id_.str(), m.errorMessage);
      if (gen == streamGen_.load()) streamDown_ = true;
      return;
    }
    if (m.kind != StreamMessage::Kind::User) return;
    if (m.snapshot) {
      // The subscription is live from here: an order that ended between the
      // connect and now is in no snapshot (it lists open orders), so poll once more.
      pollSoon_ = true;
      nextPoll_ = mono();
    }
    for (const auto& so : m.orders) {
      Events out;
      Child* c = childFor(so.clientOrderId, so.orderId);
      if (!c || c->done) continue;
      noteVenueOrder(*c, so.orderId);
      // News of an order replaced away (its cancel): the replace booked its fills.
      if (so.orderId != c->venueOrderId) continue;
      syncOrder(*c, so.cumulativeQuantity, so.status,
                so.status == "FAILED" ? so.rejectReason : so.cancelReason, out);
      emit(std::move(out));
    }
  }

  // ------------------------------------------------------------ order logic
  Child* childFor(const std::string& clientId, const std::string& venueOrderId) {
    auto it = children_.find(childIdOf(clientId));
    if (it != children_.end()) return &it->second;
    auto v = byVenueOrder_.find(venueOrderId);
    if (v != byVenueOrder_.end()) {
      auto c = children_.find(v->second);
      if (c != children_.end()) return &c->second;
    }
    return nullptr;
  }

  void noteVenueOrder(Child& c, const std::string& orderId) {
    if (orderId.empty()) return;
    byVenueOrder_[orderId] = c.id.str();
    if (c.venueOrderId.empty()) c.venueOrderId = orderId;
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

  void bookFill(Child& c, const CbFill& f, Events& out) {
    const std::string key = f.productId + ":" + f.tradeId;
    if (!seenTrades_.insert(key).second) return;
    if (c.adoptedUnmatched.isPositive() && f.size <= c.adoptedUnmatched) {
      c.adoptedUnmatched -= f.size;  // journaled before the restart, already counted
      return;
    }
    ensureAccepted(c, out);
    c.cum += f.size;
    {
      std::lock_guard lk(mdMu_);
      lastPx_[c.symbol] = f.price;
    }
    VenueEvent e;
    e.kind = VenueEventKind::Fill;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(f.orderId);
    e.venueExecId = VenueExecId(key);
    e.lastQty = f.size;
    e.lastPx = f.price;
    e.cumQty = c.cum;
    e.leavesQty = c.cum >= c.qty ? Qty() : c.qty - c.cum;
    // Coinbase charges spot commission in the quote currency.
    e.fee = f.commission;
    e.feeCurrency = quoteCurrency(f.productId);
    e.venueTime = f.tradeTimeMs * kMs;
    if (c.cum >= c.qty) {
      c.done = true;
      c.unknown = false;
    }
    out.push_back(std::move(e));
  }

  // Lists the fills of the child's Coinbase order and books those not yet
  // booked, oldest first. False when the list could not be had.
  bool fetchFills(Child& c, Events& out) {
    std::vector<CbFill> all;
    std::string cursor;
    for (int page = 0; page < 20; ++page) {
      std::string t = std::string(kHistorical) + "fills?order_ids=" + urlEncode(c.venueOrderId) +
                      "&limit=100" + (cursor.empty() ? "" : "&cursor=" + urlEncode(cursor));
      RestReply r = rest_.privateCall("GET", t, "", true);
      std::vector<CbFill> fs;
      std::string next;
      if (!r.ok() || !parseFills(r.body, fs, next).empty()) {
        spdlog::warn("[{}] fills of {}: {}", id_.str(), c.venueOrderId,
                     r.ok() ? "unreadable" : r.text);
        return false;
      }
      all.insert(all.end(), fs.begin(), fs.end());
      if (next.empty() || fs.empty()) break;
      cursor = next;
    }
    std::stable_sort(all.begin(), all.end(), [](const CbFill& a, const CbFill& b) {
      return a.tradeTimeMs < b.tradeTimeMs;
    });
    for (const auto& f : all)
      if (f.orderId == c.venueOrderId) bookFill(c, f, out);
    return true;
  }

  // Brings a child in line with Coinbase's view of its order (stream
  // update, order query): fills first, then the status.
  void syncOrder(Child& c, Qty venueFilled, const std::string& status, const std::string& reason,
                 Events& out) {
    c.unknown = false;
    // venueFilled is the current Coinbase order's; cum also holds what filled
    // on orders replaced away (cumPrior).
    // (Fills journaled before a restart are already in cum.)
    if (venueFilled > c.cum - c.cumPrior) {
      if (!fetchFills(c, out) || c.cum - c.cumPrior < venueFilled) {
        c.unknown = true;  // fills owed: the poll books them before any end state
        return;
      }
    }
    if (c.done) return;
    const std::string why = reason.empty() ? "" : " (" + reason + ")";
    if (status == "OPEN" || status == "PENDING" || status == "QUEUED" ||
        status == "CANCEL_QUEUED") {
      ensureAccepted(c, out);
    } else if (status == "FILLED") {
      ensureAccepted(c, out);
      if (c.cum < c.qty) c.unknown = true;
    } else if (status == "CANCELLED") {
      ensureAccepted(c, out);
      terminal(c, VenueEventKind::Canceled, "coinbase: CANCELLED" + why, out);
    } else if (status == "EXPIRED") {
      ensureAccepted(c, out);
      terminal(c, VenueEventKind::Expired, "coinbase: EXPIRED" + why, out);
    } else if (status == "FAILED") {
      terminal(c, VenueEventKind::Rejected, "coinbase: FAILED" + why, out);
    }
  }

  // A submit whose answer was lost: Coinbase is asked, by client order id,
  // whether the order exists — never by sending it again.
  void resolveByClientId(Child& c, Events& out) {
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
      std::string t =
          std::string(kHistorical) + "batch?product_ids=" + urlEncode(c.product) + "&limit=100";
      if (c.sentWall > 0) t += "&start_date=" + urlEncode(formatRfc3339(c.sentWall - 60'000 * kMs));
      if (!cursor.empty()) t += "&cursor=" + urlEncode(cursor);
      RestReply r = rest_.privateCall("GET", t, "", true);
      std::vector<CbOrder> os;
      std::string next;
      if (!r.ok() || !parseOrders(r.body, os, next).empty()) {
        spdlog::warn("[{}] looking up {}: {}", id_.str(), c.id.str(),
                     r.ok() ? "unreadable" : r.text);
        c.unknown = true;
        return;
      }
      for (const auto& o : os) {
        if (o.clientOrderId != c.clientId) continue;
        noteVenueOrder(c, o.orderId);
        syncOrder(c, o.filledSize, o.status, o.rejectReason, out);
        return;
      }
      if (next.empty()) break;
      cursor = next;
    }
    // Not listed. Only conclude once a late arrival is no longer plausible.
    if (mono() - c.sentMono >= cfg_.readTimeoutMs * kMs) {
      terminal(c, VenueEventKind::Rejected,
               "order not placed (Coinbase does not list client_order_id " + c.clientId + ")", out);
    } else {
      c.unknown = true;
    }
  }

  // ------------------------------------------------------------ commands
  std::string checkNew(const VenueNewOrder& o, std::string& product, OrderConfig& cfg) {
    if (auto e = checkClientOrderId(o.childId.str()); !e.empty()) return e;
    if (auto e = mapOrderType(o, cfg_.dayAsGtc, cfg); !e.empty()) return e;
    auto vs = toVenue_.find(o.symbol);
    if (vs == toVenue_.end()) return "Symbol " + o.symbol.str() + ": not in the instrument master";
    product = vs->second;
    if (products_.empty())
      return "product rules not loaded yet (" +
             (filtersError_.empty() ? "loading" : filtersError_) + ")";
    auto it = products_.find(product);
    if (it == products_.end()) return "Symbol " + product + ": not listed by Coinbase";
    const Product& p = it->second;
    if (p.limitOnly && cfg.key == "market_market_ioc")
      return "limit_only: " + product + " takes limit orders only";
    if (p.postOnly && !cfg.postOnly)
      return "post_only: " + product + " takes post-only orders only";
    std::optional<Price> px = cfg.key == "market_market_ioc" ? std::nullopt : o.price;
    return checkFilters(p, px, o.stopPx, o.qty);
  }

  void doSubmit(const VenueNewOrder& o) {
    Events out;
    std::string product;
    OrderConfig cfg;
    std::string err = checkNew(o, product, cfg);
    if (err.empty() && children_.count(o.childId.str()))
      err = "child order id " + o.childId.str() + " was already sent";
    if (!err.empty()) {
      VenueEvent e;
      e.kind = VenueEventKind::Rejected;
      e.childId = o.childId;
      e.text = err;
      out.push_back(std::move(e));
      return emit(std::move(out));
    }
    Child c;
    c.id = o.childId;
    c.symbol = o.symbol;
    c.product = product;
    c.side = o.side;
    c.ordType = o.ordType;
    c.tif = o.tif;
    c.cfg = cfg;
    c.qty = o.qty;
    c.price = o.price;
    c.stopPx = o.stopPx;
    c.expireTime = o.attrs.expireTime;
    c.clientId = c.id.str();
    c.unknown = true;
    const std::string id = c.id.str();
    children_[id] = std::move(c);
    if (!held_.empty()) {
      held_.push_back([this, id] { sendNew(id); });  // keep the order of writes
      return;
    }
    sendNew(id);
  }

  void sendNew(const std::string& id) {
    Child& c = children_.at(id);
    c.sentMono = mono();
    c.sentWall = clock_.wallNow();
    RestReply r = rest_.privateCall(
        "POST", kOrders,
        orderBody(c.clientId, c.product, c.side, c.cfg, c.qty, c.price, c.stopPx, c.expireTime),
        false);
    if (r.kind == RestReply::Kind::Throttled) {
      held_.push_front([this, id] { sendNew(id); });
      return;
    }
    Events out;
    CreateResult cr;
    if (r.ok() && parseCreateOrder(r.body, cr).empty()) {
      if (cr.success) {
        noteVenueOrder(c, cr.orderId);
        c.unknown = false;
        ensureAccepted(c, out);
      } else {
        terminal(c, VenueEventKind::Rejected, "coinbase: " + cr.text(), out);
      }
    } else if (r.kind == RestReply::Kind::Rejected || r.kind == RestReply::Kind::RateLimited ||
               r.kind == RestReply::Kind::Refused) {
      terminal(c, VenueEventKind::Rejected, r.text, out);
    } else {
      spdlog::warn("[{}] new order {}: {}; looking it up by client_order_id", id_.str(), id,
                   r.ok() ? "unreadable answer" : r.text);
      resolveByClientId(c, out);
    }
    emit(std::move(out));
  }

  void doCancel(const VenueCancel& x) {
    Events out;
    auto cancelReject = [&](std::string text) {
      VenueEvent e;
      e.kind = VenueEventKind::CancelRejected;
      e.childId = x.childId;
      e.venueOrderId = x.venueOrderId;
      e.text = std::move(text);
      out.push_back(std::move(e));
    };
    auto it = children_.find(x.childId.str());
    if (it == children_.end()) {
      cancelReject("unknown order " + x.childId.str());
      return emit(std::move(out));
    }
    Child& c = it->second;
    if (!c.done && c.venueOrderId.empty() && c.unknown) resolveByClientId(c, out);
    if (c.done || c.venueOrderId.empty()) {
      cancelReject(c.done ? "order is already done" : "order not acknowledged by Coinbase yet");
      return emit(std::move(out));
    }
    RestReply r = rest_.privateCall("POST", std::string(kOrders) + "/batch_cancel",
                                    R"({"order_ids":[)" + jsonString(c.venueOrderId) + "]}", true);
    if (r.kind == RestReply::Kind::Throttled) {
      held_.push_back([this, x] { doCancel(x); });
      return emit(std::move(out));
    }
    std::vector<CancelResult> rs;
    if (!r.ok() || !parseBatchCancel(r.body, rs).empty() || rs.empty()) {
      cancelReject(r.ok() ? "unreadable cancel answer" : r.text);
      pollSoon_ = true;
      return emit(std::move(out));
    }
    if (!rs[0].success) {
      cancelReject("coinbase: " + rs[0].failureReason);
      pollSoon_ = true;  // e.g. it filled meanwhile: the poll books it
      return emit(std::move(out));
    }
    // Accepted: read the order back so a fill that raced the cancel is booked
    // before the cancel is reported. If it is still pending, the stream ends it.
    RestReply q =
        rest_.privateCall("GET", std::string(kHistorical) + urlEncode(c.venueOrderId), "", true);
    CbOrder o;
    if (q.ok() && parseOrder(q.body, o).empty()) {
      syncOrder(c, o.filledSize, o.status, o.cancelMessage, out);
    } else {
      c.unknown = true;
    }
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
    auto it = children_.find(x.childId.str());
    if (it == children_.end() || it->second.done || it->second.venueOrderId.empty()) {
      replaceReject(it == children_.end() ? "unknown order " + x.childId.str()
                    : it->second.done     ? "order is already done"
                                          : "order not acknowledged yet");
      return emit(std::move(out));
    }
    Child& c = it->second;
    if (c.cfg.key != "limit_limit_gtc") {
      if (c.cfg.key == "stop_limit_stop_limit_gtc" || c.cfg.key == "limit_limit_gtd")
        return cancelThenNew(c, x);
      replaceReject(c.cfg.key + " orders end at once at Coinbase and cannot be replaced");
      return emit(std::move(out));
    }
    const std::optional<Price> newPrice = x.newPrice ? x.newPrice : c.price;
    if (x.newStopPx) {
      replaceReject("StopPx: a limit GTC order has no stop price to change");
      return emit(std::move(out));
    }
    auto pit = products_.find(c.product);
    if (pit != products_.end()) {
      if (auto e = checkFilters(pit->second, newPrice, std::nullopt, x.newQty); !e.empty()) {
        replaceReject(e);
        return emit(std::move(out));
      }
    }
    if (x.newQty <= c.cum) {
      replaceReject("new quantity " + x.newQty.str() + " does not exceed filled " + c.cum.str());
      return emit(std::move(out));
    }
    // Coinbase's edit takes the new total size: the venue refuses it below
    // what has filled, so a racing fill is never over-sent.
    std::string body = R"({"order_id":)" + jsonString(c.venueOrderId) + R"(,"price":")" +
                       newPrice->str() + R"(","size":")" + x.newQty.str() + R"("})";
    RestReply r = rest_.privateCall("POST", std::string(kOrders) + "/edit", body, false);
    if (r.kind == RestReply::Kind::Throttled) {
      held_.push_back([this, x] { doReplace(x); });
      return emit(std::move(out));
    }
    EditResult er;
    bool edited = false;
    std::string why;
    if (r.ok() && parseEdit(r.body, er).empty()) {
      edited = er.success;
      for (const auto& s : er.reasons) why += (why.empty() ? "" : ", ") + s;
      if (!edited) why = "coinbase edit refused: " + (why.empty() ? "no reason given" : why);
    } else if (r.kind == RestReply::Kind::Unknown || r.ok()) {
      // Lost answer: read the order to learn whether the edit took.
      RestReply q =
          rest_.privateCall("GET", std::string(kHistorical) + urlEncode(c.venueOrderId), "", true);
      CbOrder o;
      if (q.ok() && parseOrder(q.body, o).empty()) {
        edited = o.baseSize == x.newQty && o.limitPrice == newPrice;
        if (!edited) why = "edit not applied at Coinbase (" + r.text + ")";
        syncOrder(c, o.filledSize, o.status, o.cancelMessage, out);
      } else {
        why = "edit outcome unknown (" + r.text + "); the order is polled";
        c.unknown = true;
      }
    } else {
      why = r.text;
    }
    if (!edited || c.done) {
      replaceReject(c.done && edited ? "order is already done" : why);
      return emit(std::move(out));
    }
    c.qty = x.newQty;
    c.price = newPrice;
    VenueEvent e;
    e.kind = VenueEventKind::Replaced;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.venueOrderId);
    e.newQty = x.newQty;
    e.newPrice = newPrice;
    e.cumQty = c.cum;
    e.leavesQty = x.newQty - c.cum;
    out.push_back(std::move(e));
    emit(std::move(out));
  }

  // Replace of an order Coinbase cannot edit: cancel it, read back what it
  // filled (final once canceled), book those fills, and send a new order for
  // the new total less that — a fill between the two is booked, never
  // over-sent. The new order has its own client_order_id ("<child>:r<n>").
  void cancelThenNew(Child& c, const VenueReplace& x) {
    Events out;
    auto replaceReject = [&](std::string text) {
      VenueEvent e;
      e.kind = VenueEventKind::ReplaceRejected;
      e.childId = x.childId;
      e.venueOrderId = x.venueOrderId;
      e.text = std::move(text);
      out.push_back(std::move(e));
    };
    const std::optional<Price> newPrice = x.newPrice ? x.newPrice : c.price;
    const std::optional<Price> newStop = x.newStopPx ? x.newStopPx : c.stopPx;
    auto pit = products_.find(c.product);
    if (pit != products_.end()) {
      if (auto e = checkFilters(pit->second, newPrice, newStop, x.newQty); !e.empty()) {
        replaceReject(e);
        return emit(std::move(out));
      }
    }
    if (x.newQty <= c.cum) {
      replaceReject("new quantity " + x.newQty.str() + " does not exceed filled " + c.cum.str());
      return emit(std::move(out));
    }
    if (rest_.blocked()) {
      replaceReject("rate limited by Coinbase (HTTP 429): not sending until its Retry-After");
      return emit(std::move(out));
    }
    if (!rest_.canSendPrivate()) {
      held_.push_back([this, x] { doReplace(x); });
      return;
    }
    RestReply r = rest_.privateCall("POST", std::string(kOrders) + "/batch_cancel",
                                    R"({"order_ids":[)" + jsonString(c.venueOrderId) + "]}", true);
    std::vector<CancelResult> rs;
    if (!r.ok() || !parseBatchCancel(r.body, rs).empty() || rs.empty() || !rs[0].success) {
      replaceReject("replace: cancel of the old order failed: " +
                    (r.ok() && !rs.empty() ? rs[0].failureReason : r.text));
      pollSoon_ = true;
      return emit(std::move(out));
    }
    CbOrder old;
    bool final = false;
    for (int i = 0; i < 3 && !final; ++i) {
      RestReply q =
          rest_.privateCall("GET", std::string(kHistorical) + urlEncode(c.venueOrderId), "", true);
      final = q.ok() && parseOrder(q.body, old).empty() && isTerminalStatus(old.status);
      if (!final) std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.backoffBaseMs));
    }
    if (!final) {
      // The cancel is still pending at Coinbase: the stream or the poll ends the child.
      c.unknown = true;
      replaceReject("replace: the old order's cancel is still pending; replace abandoned");
      return emit(std::move(out));
    }
    if (old.filledSize > c.cum - c.cumPrior) fetchFills(c, out);
    if (c.cum - c.cumPrior < old.filledSize) {
      // Its fills are not all listed yet: the poll books them and ends the child.
      c.unknown = true;
      replaceReject(
          "replace: the canceled order's fills are not all listed yet; replace abandoned");
      return emit(std::move(out));
    }
    // Every fill of the canceled order is booked: its final filled size decides.
    const Qty filled = c.cum;
    if (c.done || x.newQty <= filled) {
      terminal(c, VenueEventKind::Canceled,
               "replace: filled " + filled.str() + " reaches the new quantity " + x.newQty.str() +
                   "; remainder canceled",
               out);
      return emit(std::move(out));
    }
    const std::string clientId = c.id.str() + ":r" + std::to_string(++c.replaces);
    c.clientId = clientId;
    c.cumPrior = filled;
    c.sentMono = mono();
    c.sentWall = clock_.wallNow();
    const std::string body = orderBody(clientId, c.product, c.side, c.cfg, x.newQty - filled,
                                       newPrice, newStop, c.expireTime);
    RestReply n = rest_.privateCall("POST", kOrders, body, false);
    // The old order is gone: the new one waits for our own window rather than
    // being dropped (at most ~1.5 s; Throttled means it was not sent).
    for (int i = 0; i < 150 && n.kind == RestReply::Kind::Throttled; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      n = rest_.privateCall("POST", kOrders, body, false);
    }
    const std::string oldId = c.venueOrderId;
    CreateResult cr;
    if (n.ok() && parseCreateOrder(n.body, cr).empty() && cr.success) {
      c.venueOrderId = cr.orderId;
    } else if (n.kind == RestReply::Kind::Unknown || n.ok()) {
      c.venueOrderId.clear();
      resolveByClientId(c, out);  // asked by client id, never resent
    }
    if (c.venueOrderId.empty() && !c.done) {
      replaceReject("replace: old order canceled, the new order's outcome is unknown (" + n.text +
                    "); it is looked up by client_order_id " + clientId);
      return emit(std::move(out));
    }
    if (c.venueOrderId.empty() || c.venueOrderId == oldId) {
      terminal(c, VenueEventKind::Canceled,
               "replace: old order canceled, new order not placed: " +
                   (n.ok() && !cr.success ? "coinbase: " + cr.text() : n.text),
               out);
      return emit(std::move(out));
    }
    byVenueOrder_[c.venueOrderId] = c.id.str();
    c.qty = x.newQty;
    c.price = newPrice;
    c.stopPx = newStop;
    c.unknown = false;
    VenueEvent e;
    e.kind = VenueEventKind::Replaced;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.venueOrderId);
    e.newQty = x.newQty;
    e.newPrice = newPrice;
    e.cumQty = c.cum;
    e.leavesQty = x.newQty - c.cum;
    out.push_back(std::move(e));
    emit(std::move(out));
  }

  // ------------------------------------------------------------ polling
  void pollOrders() {
    std::vector<std::string> ids;
    for (const auto& [k, c] : children_)
      if (!c.done) ids.push_back(k);
    for (const auto& id : ids) {
      if (!rest_.canSendPrivate()) return;  // next round
      Events out;
      Child& c = children_.at(id);
      if (c.done) continue;
      if (c.venueOrderId.empty()) {
        resolveByClientId(c, out);
      } else {
        RestReply r = rest_.privateCall("GET", std::string(kHistorical) + urlEncode(c.venueOrderId),
                                        "", true);
        CbOrder o;
        if (r.ok() && parseOrder(r.body, o).empty()) {
          syncOrder(c, o.filledSize, o.status,
                    o.status == "FAILED" ? o.rejectReason : o.cancelMessage, out);
        } else if (r.kind == RestReply::Kind::Rejected && r.status == 404) {
          terminal(c, VenueEventKind::Canceled,
                   "order " + c.venueOrderId + " is gone at Coinbase (HTTP 404)", out);
        }
      }
      emit(std::move(out));
    }
  }

  // ------------------------------------------------------------ snapshot
  static OrdType ordTypeOf(const std::string& key) {
    return key.rfind("market", 0) == 0 ? OrdType::Market
           : key.rfind("stop", 0) == 0 ? OrdType::StopLimit
                                       : OrdType::Limit;
  }
  static TimeInForce tifOf(const std::string& key) {
    return key.find("fok") != std::string::npos   ? TimeInForce::Fok
           : key.find("ioc") != std::string::npos ? TimeInForce::Ioc
           : key.find("gtd") != std::string::npos ? TimeInForce::GoodTillDate
                                                  : TimeInForce::Gtc;
  }

  VenueSnapshot snapshot(WallNanos since) {
    VenueSnapshot s;
    std::map<std::string, std::string> clientByOrder;
    for (const auto& [vo, child] : byVenueOrder_) clientByOrder[vo] = child;
    std::string cursor;
    for (int page = 0; page < 50; ++page) {
      RestReply r =
          rest_.privateCall("GET",
                            std::string(kHistorical) + "batch?order_status=OPEN&limit=100" +
                                (cursor.empty() ? "" : "&cursor=" + urlEncode(cursor)),
                            "", true);
      std::vector<CbOrder> open;
      std::string next;
      if (!r.ok() || !parseOrders(r.body, open, next).empty()) {
        s.error = "list orders: " + (r.ok() ? std::string("unreadable") : r.text);
        return s;
      }
      for (const auto& o : open) {
        clientByOrder[o.orderId] = childIdOf(o.clientOrderId);
        VenueOrderState st;
        st.childId = ChildOrderId(childIdOf(o.clientOrderId));
        st.venueOrderId = VenueOrderId(o.orderId);
        st.symbol = fromVenue_.count(o.productId) ? fromVenue_[o.productId] : Symbol(o.productId);
        st.side = o.side == "SELL" ? Side::Sell : Side::Buy;
        st.qty = o.baseSize;
        st.cumQty = o.filledSize;
        st.price = o.limitPrice;
        st.stopPx = o.stopPrice;
        st.ordType = ordTypeOf(o.configKey);
        st.tif = tifOf(o.configKey);
        st.attrs.postOnly = o.postOnly;
        st.open = true;
        s.orders.push_back(std::move(st));
      }
      if (next.empty()) break;
      cursor = next;
    }
    cursor.clear();
    for (int page = 0; page < 50; ++page) {
      RestReply r = rest_.privateCall("GET",
                                      std::string(kHistorical) + "fills?start_sequence_timestamp=" +
                                          urlEncode(formatRfc3339(since)) + "&limit=100" +
                                          (cursor.empty() ? "" : "&cursor=" + urlEncode(cursor)),
                                      "", true);
      std::vector<CbFill> fills;
      std::string next;
      if (!r.ok() || !parseFills(r.body, fills, next).empty()) {
        s.error = "list fills: " + (r.ok() ? std::string("unreadable") : r.text);
        return s;
      }
      for (const auto& f : fills) {
        auto co = clientByOrder.find(f.orderId);
        if (co == clientByOrder.end()) {
          RestReply q =
              rest_.privateCall("GET", std::string(kHistorical) + urlEncode(f.orderId), "", true);
          CbOrder o;
          if (!q.ok() || !parseOrder(q.body, o).empty()) continue;  // not ours to name
          co = clientByOrder.emplace(f.orderId, childIdOf(o.clientOrderId)).first;
        }
        VenueFill vf;
        vf.childId = ChildOrderId(co->second);
        vf.venueOrderId = VenueOrderId(f.orderId);
        vf.venueExecId = VenueExecId(f.productId + ":" + f.tradeId);
        vf.symbol = fromVenue_.count(f.productId) ? fromVenue_[f.productId] : Symbol(f.productId);
        vf.side = f.side == "SELL" ? Side::Sell : Side::Buy;
        vf.qty = f.size;
        vf.px = f.price;
        vf.time = f.tradeTimeMs * kMs;
        s.fills.push_back(std::move(vf));
      }
      if (next.empty() || fills.empty()) break;
      cursor = next;
    }
    s.ok = true;
    return s;
  }

  // ------------------------------------------------------------ market data
  void ensureMd(const std::string& product) {
    if (!md_) return connectMd();
    md_->send(subscribeMsg("level2", {product}, ""));
    md_->send(subscribeMsg("market_trades", {product}, ""));
    md_->send(subscribeMsg("ticker", {product}, ""));
  }

  void connectMd() {
    nextMdReconnect_ = mono() + cfg_.reconnectMs * kMs;
    std::vector<std::string> products;
    {
      std::lock_guard lk(mdMu_);
      for (auto& [p, subs] : mdSubs_)
        if (!subs.empty()) products.push_back(p);
      for (auto& [p, b] : books_) b = Book();  // the snapshot rebuilds each book
    }
    dropMd();
    if (products.empty()) {
      mdDown_ = false;
      return;
    }
    const uint64_t gen = mdGen_.load();
    auto ws = std::make_unique<net::WsClient>(
        wsOptions(cfg_.mdWsHost, cfg_.mdWsPort),
        net::WsClient::Callbacks{[this, gen](const std::string& t) {
                                   if (gen == mdGen_.load()) onMdMessage(t);
                                 },
                                 [this, gen](const std::string& why) {
                                   if (gen != mdGen_.load()) return;
                                   spdlog::warn("[{}] market data stream closed: {}", id_.str(),
                                                why);
                                   mdDown_ = true;
                                   qcv_.notify_one();
                                 }});
    if (auto err = ws->connect(); !err.empty()) {
      spdlog::warn("[{}] market data stream: {}", id_.str(), err);
      mdDown_ = true;
      return;
    }
    for (const char* ch : {"level2", "market_trades", "ticker"})
      ws->send(subscribeMsg(ch, products, ""));
    // Coinbase closes quiet subscriptions; heartbeats keep the connection's open.
    ws->send(subscribeMsg("heartbeats", {}, ""));
    md_ = std::move(ws);
    mdDown_ = false;
  }

  void dropMd() {
    ++mdGen_;
    md_.reset();
  }

  // Called with mdMu_ held.
  TopOfBook topOf(const std::string& product, size_t depth) {
    const Book& b = books_[product];
    TopOfBook t;
    t.venue = id_;
    t.symbol = fromVenue_.count(product) ? fromVenue_[product] : Symbol(product);
    t.time = b.time;
    if (!b.bids.empty()) {
      t.bidPx = b.bids.begin()->first;
      t.bidQty = b.bids.begin()->second;
    }
    if (!b.asks.empty()) {
      t.askPx = b.asks.begin()->first;
      t.askQty = b.asks.begin()->second;
    }
    for (auto it = b.bids.begin(); it != b.bids.end() && t.bids.size() < depth; ++it)
      t.bids.push_back({it->first, it->second});
    for (auto it = b.asks.begin(); it != b.asks.end() && t.asks.size() < depth; ++it)
      t.asks.push_back({it->first, it->second});
    return t;
  }

  void onMdMessage(const std::string& text) {
    StreamMessage m;
    if (auto err = parseStreamMessage(text, m); !err.empty()) {
      spdlog::warn("[{}] market data: unreadable message ({}); ignored", id_.str(), err);
      return;
    }
    std::lock_guard lk(mdMu_);
    if (m.kind == StreamMessage::Kind::Level2) {
      Book& b = books_[m.l2Product];
      if (m.snapshot) b = Book();
      for (const auto& u : m.l2) {
        if (u.bid) {
          if (u.qty.isZero())
            b.bids.erase(u.price);
          else
            b.bids[u.price] = u.qty;
        } else {
          if (u.qty.isZero())
            b.asks.erase(u.price);
          else
            b.asks[u.price] = u.qty;
        }
      }
      b.have = true;
      b.time = m.timeMs * kMs;
      for (const auto& sub : mdSubs_[m.l2Product]) sub.sink->onBook(topOf(m.l2Product, sub.depth));
    } else if (m.kind == StreamMessage::Kind::MarketTrades) {
      // Coinbase sends the newest trade first; deliver oldest first.
      for (auto it = m.trades.rbegin(); it != m.trades.rend(); ++it) {
        Trade t;
        t.venue = id_;
        t.symbol =
            fromVenue_.count(it->productId) ? fromVenue_[it->productId] : Symbol(it->productId);
        t.price = it->price;
        t.qty = it->size;
        t.time = it->timeMs * kMs;
        lastPx_[t.symbol] = t.price;
        for (const auto& sub : mdSubs_[it->productId]) sub.sink->onTrade(t);
      }
    } else if (m.kind == StreamMessage::Kind::Ticker) {
      for (const auto& tk : m.tickers)
        if (fromVenue_.count(tk.productId)) lastPx_[fromVenue_[tk.productId]] = tk.price;
    }
  }

  VenueId id_;
  CoinbaseConfig cfg_;
  const Clock& clock_;
  CoinbaseRest rest_;
  VenueEventSink* sink_ = nullptr;
  std::map<Symbol, std::string> toVenue_;
  std::map<std::string, Symbol> fromVenue_;

  std::mutex qmu_;
  std::condition_variable qcv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread io_;

  // I/O-thread state: every order and the REST client live here.
  std::map<std::string, Product> products_;
  std::string filtersError_;
  std::map<std::string, Child> children_;
  std::map<std::string, std::string> byVenueOrder_;
  std::set<std::string> seenTrades_;
  std::deque<std::function<void()>> held_;
  std::unique_ptr<net::WsClient> ws_;
  bool streamUp_ = false;
  bool everUp_ = false;
  bool pollSoon_ = false;
  int64_t lastSeq_ = -1;
  std::atomic<bool> streamDown_{false};
  std::atomic<uint64_t> streamGen_{0};
  MonoNanos nextFilters_ = 0, nextReconnect_ = 0, nextPoll_ = 0, nextMdReconnect_ = 0;
  std::unique_ptr<net::WsClient> md_;
  std::atomic<bool> mdDown_{false};
  std::atomic<uint64_t> mdGen_{0};

  // Market data: shared between the market-data stream thread and callers.
  mutable std::mutex mdMu_;
  std::map<std::string, std::vector<MdSub>> mdSubs_;
  std::map<std::string, Book> books_;
  std::map<Symbol, Price> lastPx_;
};

}  // namespace

std::unique_ptr<VenueAdapter> makeCoinbaseVenue(VenueId id, CoinbaseConfig cfg, Credentials cred,
                                                const InstrumentMaster& instruments,
                                                const Clock& clock) {
  return std::make_unique<CoinbaseVenue>(std::move(id), std::move(cfg), std::move(cred),
                                         instruments, clock);
}

std::unique_ptr<VenueAdapter> makeCoinbaseVenueFromConfig(const venues::VenueContext& ctx,
                                                          venues::ParamReader& p) {
  CoinbaseConfig cfg = readCoinbaseConfig(p, ctx.configPath);
  Credentials cred = loadCredentials(cfg, ctx.configPath);
  return makeCoinbaseVenue(ctx.id, std::move(cfg), std::move(cred), ctx.instruments, ctx.clock);
}

}  // namespace fixgw::coinbase
