#include "venue_adapters/alpaca/adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "venue_adapters/alpaca/auth.h"
#include "venue_adapters/alpaca/parse.h"
#include "venue_adapters/alpaca/rest.h"
#include "venue_adapters/net/http.h"

namespace fixgw::alpaca {

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;
// Polls that must not find an order (or a replacement) whose answer was lost
// before it is declared never placed (an in-flight request may still land).
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

struct PendingReplace {
  std::string clientOrderId;
  Qty newQty;
  std::optional<Price> newPrice, newStop;
  int notFound = 0;
};

struct Child {
  ChildOrderId id;
  std::string clientOrderId;  // of the current order in its replace chain
  Symbol symbol;
  Side side = Side::Buy;
  OrderTerms terms;
  Qty qty;  // total over the chain
  std::optional<Price> price, stopPx;
  std::string orderId;  // the current Alpaca order id
  Qty cum;
  Qty cumAtOrder;        // filled on earlier orders of the chain (replaces)
  Qty adoptedUnmatched;  // journaled before a restart, not yet matched to execution ids
  std::optional<Qty> commissionSeen;
  WallNanos sentAt = 0;
  bool accepted = false, done = false, unknown = false, cancelRequested = false;
  int notFound = 0;
  std::optional<PendingReplace> replacing;
  // Why the order was sent as it was (market closed: queued / extended hours); carried
  // by the Accepted event whichever of the REST answer and the stream brings it first.
  std::string acceptNote;
};

struct CachedAsset {
  Asset asset;
  MonoNanos loadedAt = 0;
};

class AlpacaVenue final : public VenueAdapter {
 public:
  AlpacaVenue(VenueId id, AlpacaConfig cfg, Credentials cred, const InstrumentMaster& im,
              const Clock& clock)
      : id_(std::move(id)),
        cfg_(std::move(cfg)),
        cred_(cred),
        clock_(clock),
        rest_(cfg_, cred, clock) {
    for (const auto& [sym, inst] : im.all()) {
      auto it = inst.venueSymbols.find(id_.str());
      toVenue_[sym] = it != inst.venueSymbols.end() ? it->second : sym.str();
      fromVenue_[toVenue_[sym]] = sym;
      if (inst.contractSize != Qty::fromInt(1)) contractSize_[sym] = inst.contractSize;
    }
    spdlog::info("[{}] alpaca {} at {}:{} key {}", id_.str(), cfg_.live ? "LIVE" : "paper",
                 cfg_.host, cfg_.port, mask(cred_.keyId));
  }
  ~AlpacaVenue() override { stop(); }

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

  std::optional<Price> referencePrice(const Symbol& s) const override {
    std::lock_guard lk(mu_);
    auto it = lastPx_.find(s);
    if (it == lastPx_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<VenueRateLimit> rateLimits() const override { return rest_.rateLimits(); }

  MarketDataStatus subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                       size_t depthLevels) override {
    (void)depthLevels;  // Alpaca's quotes are top of book only
    MarketDataStatus st;
    if (!toVenue_.count(symbol)) {
      st.error = "Symbol " + symbol.str() + ": not in the instrument master";
      return st;
    }
    {
      std::lock_guard lk(mdMu_);
      mdSubs_[symbol].push_back(&sink);
    }
    post([this, symbol, s = &sink] { mdSubscribe(symbol, s); });
    st.ok = true;
    return st;
  }

  void unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) override {
    std::lock_guard lk(mdMu_);
    auto it = mdSubs_.find(symbol);
    if (it != mdSubs_.end()) std::erase(it->second, &sink);
  }

  void adoptOpenOrders(const std::vector<VenueOrderState>& orders) override {
    std::lock_guard lk(mu_);
    for (const auto& o : orders) {
      Child c;
      c.id = o.childId;
      c.clientOrderId = o.childId.str();  // a replacement's suffix is learnt from Alpaca
      c.symbol = o.symbol;
      c.side = o.side;
      VenueNewOrder terms;
      terms.ordType = o.ordType;
      terms.tif = o.tif;
      terms.price = o.price;
      terms.stopPx = o.stopPx;
      terms.qty = o.qty;
      terms.side = o.side;
      mapOrder(terms, c.terms);
      c.qty = o.qty;
      c.price = o.price;
      c.stopPx = o.stopPx;
      c.orderId = o.venueOrderId.str();
      c.cum = o.cumQty;
      c.adoptedUnmatched = o.cumQty;
      c.accepted = !c.orderId.empty();
      c.unknown = c.orderId.empty();
      if (!c.orderId.empty()) byOrderId_[c.orderId] = c.id.str();
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
    loadClock();
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
    if (now >= nextClock_) loadClock();
    if (streamDown_.exchange(false)) onStreamDown();
    if (!streamUp_ && now >= nextReconnect_) connectStream();
    if (mdDown_.exchange(false)) dropMd();
    if (!mdWanted_.empty() && !mdUp() && now >= nextMdReconnect_)
      for (const auto& sym : std::set<Symbol>(mdWanted_)) mdSubscribe(sym, nullptr);
    bool anyUnknown = false;
    {
      std::lock_guard lk(mu_);
      for (const auto& [k, c] : children_) anyUnknown |= (c.unknown || c.replacing) && !c.done;
    }
    if ((!streamUp_ || anyUnknown || needPoll_) && now >= nextPoll_) {
      nextPoll_ = now + cfg_.pollIntervalMs * kMs;
      pollOrders();
    }
  }

  // ------------------------------------------------------------ clock, assets
  void loadClock() {
    nextClock_ = mono() + cfg_.clockRefreshSec * kSec;
    RestReply r = rest_.call("GET", "/v2/clock");
    MarketClock c;
    std::string err = r.ok() ? parseClock(r.body, c) : r.text;
    std::lock_guard lk(mu_);
    if (!err.empty()) {
      spdlog::warn("[{}] clock: {}", id_.str(), err);
      if (!clock_known_) nextClock_ = mono() + cfg_.reconnectMs * kMs;
      return;
    }
    marketClock_ = c;
    clock_known_ = true;
  }

  // The asset, from the cache or GET /v2/assets/{symbol}. Called without mu_.
  std::string assetFor(const std::string& vs, Asset& out) {
    {
      std::lock_guard lk(mu_);
      auto it = assets_.find(vs);
      if (it != assets_.end() && mono() - it->second.loadedAt < cfg_.assetsRefreshSec * kSec) {
        out = it->second.asset;
        return "";
      }
    }
    RestReply r = rest_.call("GET", "/v2/assets/" + urlEncode(vs));
    if (!r.ok()) return "asset " + vs + ": " + r.text;
    if (auto e = parseAsset(r.body, out); !e.empty()) return "asset " + vs + ": " + e;
    std::lock_guard lk(mu_);
    assets_[vs] = {out, mono()};
    return "";
  }

  // ------------------------------------------------------------ stream
  void connectStream() {
    nextReconnect_ = mono() + reconnectDelayMs_ * kMs;
    reconnectDelayMs_ = std::min<int64_t>(reconnectDelayMs_ * 2, 30'000);
    dropStream();
    const uint64_t gen = streamGen_.load();
    net::WsOptions o;
    o.tls.host = cfg_.host;
    o.tls.port = static_cast<uint16_t>(cfg_.port);
    o.tls.serverName = cfg_.serverName;
    o.tls.caFile = cfg_.caFile;
    o.tls.caPem = cfg_.caPem;
    o.tls.connectTimeoutMs = cfg_.connectTimeoutMs;
    o.tls.readTimeoutMs = cfg_.readTimeoutMs;
    o.pingIdleMs = cfg_.pingIdleMs;  // keep-alive pings; no pong closes it
    o.target = cfg_.streamTarget;
    auto ws = std::make_unique<net::WsClient>(
        o, net::WsClient::Callbacks{[this, gen](const std::string& t) {
                                      if (gen == streamGen_.load()) onStreamMessage(t);
                                    },
                                    [this, gen](const std::string& why) {
                                      if (gen != streamGen_.load()) return;
                                      spdlog::warn("[{}] trade_updates stream closed: {}",
                                                   id_.str(), why);
                                      streamDown_ = true;
                                      qcv_.notify_one();
                                    }});
    if (auto err = ws->connect(); !err.empty()) {
      spdlog::warn("[{}] trade_updates stream: {}", id_.str(), err);
      return;
    }
    // Alpaca handles a connection's messages in order, so listen follows
    // auth at once; an unauthorized key is answered and the stream closed.
    // The secret is in the message only, never in a log.
    ws->send(streamAuthMessage(cred_));
    ws->send(R"({"action":"listen","data":{"streams":["trade_updates"]}})");
    ws_ = std::move(ws);
    streamUp_ = true;
    reconnectDelayMs_ = cfg_.reconnectMs;
    if (everUp_) {
      spdlog::info("[{}] trade_updates stream reconnected", id_.str());
      VenueEvent e;
      e.kind = VenueEventKind::Reconnected;
      e.text = "trade_updates stream back";
      emit({std::move(e)});
    }
    everUp_ = true;
    pollOrders();  // what happened while it was down (or before it was up)
  }

  void dropStream() {
    ++streamGen_;
    ws_.reset();
  }

  void onStreamDown() {
    if (streamUp_) {
      VenueEvent e;
      e.kind = VenueEventKind::Disconnected;
      e.text = "trade_updates stream down; polling REST every " +
               std::to_string(cfg_.pollIntervalMs) + " ms";
      emit({std::move(e)});
    }
    streamUp_ = false;
    dropStream();
    nextPoll_ = mono();
    nextReconnect_ = std::min(nextReconnect_, mono() + cfg_.reconnectMs * kMs);
  }

  void onStreamMessage(const std::string& text) {
    StreamMessage m;
    if (auto err = parseStreamMessage(text, m); !err.empty()) {
      // The stream stays up; whatever this was is recovered by the poll.
      spdlog::warn("[{}] trade_updates: unreadable message ({}); ignored", id_.str(), err);
      needPoll_ = true;
      return;
    }
    if (m.kind == StreamMessage::Kind::Authorization && m.status != "authorized") {
      spdlog::error("[{}] trade_updates: key {} {}", id_.str(), mask(cred_.keyId), m.status);
      streamDown_ = true;
      qcv_.notify_one();
      return;
    }
    if (m.kind != StreamMessage::Kind::TradeUpdate) return;
    Events out;
    {
      std::lock_guard lk(mu_);
      onUpdate(m, out);
    }
    emit(std::move(out));
  }

  // ------------------------------------------------------------ market data
  bool mdUp() {
    std::lock_guard lk(mdMu_);
    return md_ && md_->isOpen();
  }

  // Connects the data stream if needed (auth, then subscribe trades and
  // quotes per symbol); gives a new subscriber the book already known.
  // Ends the data stream; the client is destroyed (its thread joined)
  // outside mdMu_, which its callbacks take.
  void dropMd() {
    std::unique_ptr<net::WsClient> old;
    {
      std::lock_guard lk(mdMu_);
      ++mdGen_;
      old = std::move(md_);
      mdSubscribed_.clear();
    }
  }

  void mdSubscribe(const Symbol& symbol, MarketDataSink* newSink) {
    mdWanted_.insert(symbol);
    const std::string vs = toVenue_.at(symbol);
    if (!mdUp()) {
      dropMd();
      const uint64_t gen = mdGen_;
      net::WsOptions o;
      o.tls.host = cfg_.dataHost.empty() ? cfg_.host : cfg_.dataHost;
      o.tls.port = static_cast<uint16_t>(cfg_.dataPort ? cfg_.dataPort : cfg_.port);
      o.tls.serverName = cfg_.serverName;
      o.tls.caFile = cfg_.caFile;
      o.tls.caPem = cfg_.caPem;
      o.tls.connectTimeoutMs = cfg_.connectTimeoutMs;
      o.tls.readTimeoutMs = cfg_.readTimeoutMs;
      o.pingIdleMs = cfg_.pingIdleMs;
      o.target = cfg_.dataTarget;
      auto ws = std::make_unique<net::WsClient>(
          o, net::WsClient::Callbacks{[this, gen](const std::string& t) { onMd(gen, t); },
                                      [this, gen](const std::string& why) {
                                        if (gen != mdGen_.load()) return;
                                        spdlog::warn("[{}] market data stream closed: {}",
                                                     id_.str(), why);
                                        mdDown_ = true;
                                      }});
      if (auto err = ws->connect(); !err.empty()) {
        spdlog::warn("[{}] market data stream: {}", id_.str(), err);
        nextMdReconnect_ = mono() + cfg_.reconnectMs * kMs;
        return;
      }
      ws->send(streamAuthMessage(cred_));
      std::lock_guard lk(mdMu_);
      md_ = std::move(ws);
    }
    std::lock_guard lk(mdMu_);
    if (!md_) return;
    if (mdSubscribed_.insert(vs).second)
      md_->send(R"({"action":"subscribe","trades":[")" + vs + R"("],"quotes":[")" + vs + R"("]})");
    auto b = books_.find(symbol);
    auto subs = mdSubs_.find(symbol);
    if (newSink && b != books_.end() && subs != mdSubs_.end() &&
        std::count(subs->second.begin(), subs->second.end(), newSink))
      newSink->onBook(b->second);
  }

  void onMd(uint64_t gen, const std::string& text) {
    std::vector<DataMessage> ms;
    if (auto err = parseDataMessages(text, ms); !err.empty()) {
      spdlog::warn("[{}] market data: unreadable message ({}); ignored", id_.str(), err);
      return;
    }
    std::lock_guard lk(mdMu_);
    if (gen != mdGen_.load()) return;
    for (const auto& m : ms) {
      if (m.type == "error") {
        spdlog::warn("[{}] market data: error {} {}", id_.str(), m.code, m.msg);
        continue;
      }
      if (m.type != "t" && m.type != "q") continue;
      auto sym = fromVenue_.find(m.symbol);
      if (sym == fromVenue_.end()) continue;
      auto subs = mdSubs_.find(sym->second);
      if (m.type == "t") {
        {
          std::lock_guard l2(mu_);
          lastPx_[sym->second] = *m.price;
        }
        if (subs == mdSubs_.end()) continue;
        Trade t{id_, sym->second, *m.price, *m.size, m.time};
        for (auto* s : subs->second) s->onTrade(t);
        continue;
      }
      TopOfBook& b = books_[sym->second];
      b.venue = id_;
      b.symbol = sym->second;
      b.bidPx = m.bidPx;
      b.bidQty = m.bidSize.value_or(Qty());
      b.askPx = m.askPx;
      b.askQty = m.askSize.value_or(Qty());
      b.time = m.time;
      if (subs != mdSubs_.end())
        for (auto* s : subs->second) s->onBook(b);
    }
  }

  // ------------------------------------------------------------ event logic
  Child* childFor(const std::string& orderId, const std::string& clientOrderId) {
    auto o = byOrderId_.find(orderId);
    if (o != byOrderId_.end()) return &children_.at(o->second);
    auto c = children_.find(childIdOf(clientOrderId));
    if (!clientOrderId.empty() && c != children_.end()) return &c->second;
    return nullptr;
  }

  // Learns the order id of the child's current order (by its client order id).
  void noteOrder(Child& c, const AlpacaOrder& o) {
    if (c.orderId.empty() || o.clientOrderId == c.clientOrderId) c.orderId = o.id;
    if (o.id == c.orderId && !o.clientOrderId.empty()) c.clientOrderId = o.clientOrderId;
    byOrderId_[o.id] = c.id.str();
  }

  bool isCurrent(const Child& c, const AlpacaOrder& o) const {
    return o.id == c.orderId || (!o.clientOrderId.empty() && o.clientOrderId == c.clientOrderId);
  }

  void ensureAccepted(Child& c, Events& out, std::string text = "") {
    if (c.accepted) return;
    c.accepted = true;
    if (text.empty()) text = c.acceptNote;
    VenueEvent e;
    e.kind = VenueEventKind::Accepted;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.orderId);
    e.leavesQty = c.qty - c.cum;
    e.cumQty = c.cum;
    e.text = std::move(text);
    out.push_back(std::move(e));
  }

  void bookFill(Child& c, const std::string& orderId, const std::string& execId, Qty qty, Price px,
                std::optional<Qty> fee, WallNanos t, Events& out) {
    if (!seenExecs_.insert(execId).second) return;
    filledByOrder_[orderId] += qty;
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
    e.venueOrderId = VenueOrderId(orderId);
    e.venueExecId = VenueExecId(execId);
    e.lastQty = qty;
    e.lastPx = px;
    e.cumQty = c.cum;
    e.leavesQty = c.cum >= c.qty ? Qty() : c.qty - c.cum;
    if (fee) {
      e.fee = *fee;
      e.feeCurrency = "USD";
    }
    e.venueTime = t;
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
    e.venueOrderId = VenueOrderId(c.orderId);
    e.cumQty = c.cum;
    e.leavesQty = Qty();
    e.text = std::move(text);
    out.push_back(std::move(e));
  }

  // Alpaca reports an IOC/FOK remainder as canceled; to us that is the order
  // expiring, unless we asked for the cancel.
  static VenueEventKind cancelKind(const Child& c) {
    if (c.cancelRequested) return VenueEventKind::Canceled;
    return c.terms.timeInForce == "ioc" || c.terms.timeInForce == "fok" ? VenueEventKind::Expired
                                                                        : VenueEventKind::Canceled;
  }

  // Fills Alpaca reports on an order that we have not booked yet.
  bool missingFills(const AlpacaOrder& o) {
    auto it = filledByOrder_.find(o.id);
    return o.filledQty > (it == filledByOrder_.end() ? Qty() : it->second);
  }

  void onUpdate(const StreamMessage& m, Events& out) {
    Child* c = childFor(m.order.id, m.order.clientOrderId);
    if (!c) return;
    noteOrder(*c, m.order);
    const std::string& ev = m.event;
    if (ev == "fill" || ev == "partial_fill") {
      std::optional<Qty> fee;
      // A commission on the order (cumulative) is booked as this fill's fee;
      // Alpaca sends none on equities, so none is booked then.
      if (m.order.commission) {
        fee = *m.order.commission - c->commissionSeen.value_or(Qty());
        c->commissionSeen = m.order.commission;
      }
      bookFill(*c, m.order.id, m.executionId, *m.qty, *m.price, fee, m.time, out);
      return;
    }
    if (!isCurrent(*c, m.order))
      return;  // e.g. `replaced` on the old order: the PATCH answer said it
    if (ev == "new" || ev == "accepted" || ev == "pending_new") {
      ensureAccepted(*c, out);
    } else if (ev == "canceled" || ev == "expired" || ev == "rejected") {
      // A fill the stream has not shown yet would come first; the order's
      // filled_qty says if one is missing.
      if (missingFills(m.order)) {
        needPoll_ = true;
        c->unknown = true;
        return;
      }
      if (ev == "rejected") {
        terminal(*c, VenueEventKind::Rejected, "alpaca: order rejected", out);
        return;
      }
      ensureAccepted(*c, out);
      terminal(*c, ev == "expired" ? VenueEventKind::Expired : cancelKind(*c), "alpaca: " + ev,
               out);
    }
    // pending_cancel, pending_replace, replaced, done_for_day, calculated...: nothing.
  }

  // ------------------------------------------------------------ commands
  void reject(const ChildOrderId& id, std::string text, Events& out) {
    VenueEvent e;
    e.kind = VenueEventKind::Rejected;
    e.childId = id;
    e.text = std::move(text);
    out.push_back(std::move(e));
  }

  void doSubmit(const VenueNewOrder& o) {
    Events out;
    OrderTerms t;
    std::string err = mapOrder(o, t);
    if (err.empty()) err = checkClientOrderId(o.childId.str());
    auto vs = toVenue_.find(o.symbol);
    if (err.empty() && vs == toVenue_.end())
      err = "Symbol " + o.symbol.str() + ": not in the instrument master";
    if (auto cs = contractSize_.find(o.symbol); err.empty() && cs != contractSize_.end())
      err = "Symbol " + o.symbol.str() + ": contract_size " + cs->second.str() +
            " — Alpaca trades equities in shares (contract_size 1)";
    {
      std::lock_guard lk(mu_);
      if (err.empty() && children_.count(o.childId.str()))
        err = "child order id " + o.childId.str() + " was already sent";
    }
    Asset asset;
    if (err.empty()) err = assetFor(vs->second, asset);
    const bool priced = t.type == "limit" || t.type == "stop_limit";
    if (err.empty())
      err = checkAsset(asset, t, o.qty, priced ? o.price : std::nullopt,
                       t.type == "stop" || t.type == "stop_limit" ? o.stopPx : std::nullopt,
                       o.side == Side::SellShort);
    std::string note;
    std::unique_lock lk(mu_);
    if (err.empty() && clock_known_ && t.timeInForce == "day" &&
        !marketClock_.openAt(clock_.wallNow())) {
      const std::string nextOpen = formatIsoTimestamp(marketClock_.nextOpen);
      if (cfg_.outsideHours == OutsideHours::Refuse) {
        err =
            "market closed: DAY orders are refused outside market hours (outside_hours: "
            "refuse); next_open " +
            nextOpen;
      } else if (cfg_.outsideHours == OutsideHours::Extended && t.type == "limit") {
        t.extendedHours = true;
        note = "sent with extended_hours (market closed)";
      } else {
        note = "market closed: queued by Alpaca for the open at " + nextOpen;
      }
    }
    if (!err.empty()) {
      reject(o.childId, err, out);
      lk.unlock();
      return emit(std::move(out));
    }
    Child nc;
    nc.id = o.childId;
    nc.clientOrderId = o.childId.str();
    nc.symbol = o.symbol;
    nc.side = o.side;
    nc.terms = t;
    nc.qty = o.qty;
    nc.price = priced ? o.price : std::nullopt;
    nc.stopPx = o.stopPx;
    nc.unknown = true;
    nc.sentAt = clock_.wallNow();
    nc.acceptNote = note;
    Child& c = children_[nc.id.str()] = std::move(nc);
    const std::string body = orderBody(
        vs->second, o.qty, t, c.price,
        t.type == "stop" || t.type == "stop_limit" ? o.stopPx : std::nullopt, c.clientOrderId);
    lk.unlock();
    RestReply r = rest_.call("POST", "/v2/orders", body);
    lk.lock();
    AlpacaOrder ao;
    if (r.ok() && parseOrder(r.body, ao).empty()) {
      noteOrder(c, ao);
      c.unknown = false;
      if (!c.done) ensureAccepted(c, out, note);
    } else if (r.notExecuted()) {
      terminal(c, VenueEventKind::Rejected, r.text, out);
    } else {
      // Lost answer: it may have been placed. Look it up — never resend.
      spdlog::warn("[{}] POST /v2/orders {}: {}; looking it up by client_order_id", id_.str(),
                   c.id.str(), r.ok() ? "unreadable answer" : r.text);
      lookUp(c, out);
    }
    lk.unlock();
    emit(std::move(out));
  }

  // GET by order id, else by client_order_id. Called with mu_ held.
  void lookUp(Child& c, Events& out) {
    const std::string target =
        c.orderId.empty()
            ? "/v2/orders:by_client_order_id?client_order_id=" + urlEncode(c.clientOrderId)
            : "/v2/orders/" + c.orderId;
    mu_.unlock();
    RestReply r = rest_.call("GET", target);
    mu_.lock();
    AlpacaOrder o;
    if (r.ok() && parseOrder(r.body, o).empty()) {
      std::vector<AlpacaOrder> one{o};
      applyOrders(one, out);
    } else if (r.kind == RestReply::Kind::Rejected && r.status == 404 && c.orderId.empty() &&
               ++c.notFound >= kNotFoundPolls) {
      terminal(c, VenueEventKind::Rejected,
               "order not placed: Alpaca does not know client_order_id " + c.clientOrderId, out);
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
    if (it == children_.end() || it->second.done || it->second.orderId.empty()) {
      cancelReject(it == children_.end() ? "unknown order " + x.childId.str()
                   : it->second.done     ? "order is already done"
                                         : "order not acknowledged by Alpaca yet");
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    c.cancelRequested = true;
    const std::string target = "/v2/orders/" + c.orderId;
    lk.unlock();
    RestReply r = rest_.call("DELETE", target);
    lk.lock();
    if (r.ok()) {
      // 204: Alpaca cancels; a fill racing it is booked first — the order's
      // final state says what filled.
      lookUp(c, out);
      // Still pending_cancel: the stream's `canceled` (or the poll) ends it.
      if (!c.done) c.unknown = true;
    } else {
      cancelReject(r.text);
      // 422 not cancelable: it filled or ended meanwhile; the poll finds out.
      if (r.kind == RestReply::Kind::Rejected || r.kind == RestReply::Kind::Unknown)
        c.unknown = true;
    }
    lk.unlock();
    emit(std::move(out));
  }

  void replaced(Child& c, const AlpacaOrder& n, Qty newQty, std::optional<Price> newPrice,
                std::optional<Price> newStop, Events& out) {
    c.replacing.reset();
    c.cumAtOrder = c.cum;
    c.orderId = n.id;
    c.clientOrderId = n.clientOrderId;
    byOrderId_[n.id] = c.id.str();
    c.qty = newQty;
    c.price = newPrice;
    c.stopPx = newStop;
    VenueEvent e;
    e.kind = VenueEventKind::Replaced;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(n.id);
    e.newQty = newQty;
    e.newPrice = newPrice;
    e.cumQty = c.cum;
    e.leavesQty = newQty - c.cum;
    e.text = "alpaca: replaced by order " + n.id;
    out.push_back(std::move(e));
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
    if (it == children_.end() || it->second.done || it->second.orderId.empty() ||
        it->second.replacing) {
      replaceReject(it == children_.end()        ? "unknown order " + x.childId.str()
                    : it->second.done            ? "order is already done"
                    : it->second.orderId.empty() ? "order not acknowledged by Alpaca yet"
                                                 : "a replace is still unresolved");
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    const bool priced = c.terms.type == "limit" || c.terms.type == "stop_limit";
    const std::optional<Price> newPrice = priced && x.newPrice ? x.newPrice : c.price;
    const std::optional<Price> newStop = x.newStopPx ? x.newStopPx : c.stopPx;
    if (x.newQty <= c.cum) {
      replaceReject("new quantity " + x.newQty.str() + " does not exceed filled " + c.cum.str());
      lk.unlock();
      return emit(std::move(out));
    }
    // Alpaca's replacement is a new order for what is left to trade.
    OrderTerms t = c.terms;
    const Qty remaining = x.newQty - c.cum;
    t.fractional = remaining.mantissa() % kOne != 0;
    {
      auto vs = toVenue_.find(c.symbol);
      auto a = vs == toVenue_.end() ? assets_.end() : assets_.find(vs->second);
      if (a != assets_.end())
        if (auto e = checkAsset(
                a->second.asset, t, remaining, priced ? newPrice : std::nullopt,
                c.terms.type == "stop" || c.terms.type == "stop_limit" ? newStop : std::nullopt,
                false);
            !e.empty()) {
          replaceReject(e);
          lk.unlock();
          return emit(std::move(out));
        }
    }
    PendingReplace pr;
    // Unique across restarts too (a reused client_order_id is refused).
    pr.clientOrderId = replacementClientOrderId(c.id.str(), clock_.wallNow() / kMs);
    pr.newQty = x.newQty;
    pr.newPrice = newPrice;
    pr.newStop = newStop;
    c.replacing = pr;
    const std::string body =
        replaceBody(remaining, newPrice != c.price ? newPrice : std::nullopt,
                    newStop != c.stopPx ? newStop : std::nullopt, pr.clientOrderId);
    const std::string target = "/v2/orders/" + c.orderId;
    lk.unlock();
    RestReply r = rest_.call("PATCH", target, body);
    lk.lock();
    AlpacaOrder n;
    if (r.ok() && parseOrder(r.body, n).empty()) {
      replaced(c, n, pr.newQty, pr.newPrice, pr.newStop, out);
    } else if (r.notExecuted()) {
      c.replacing.reset();
      replaceReject(r.text);
      if (r.kind == RestReply::Kind::Rejected) c.unknown = true;  // it may have filled
    } else {
      // Lost answer: the poll looks the replacement up by its client_order_id.
      spdlog::warn("[{}] PATCH {}: {}; looking the replacement up", id_.str(), c.id.str(),
                   r.ok() ? "unreadable answer" : r.text);
    }
    lk.unlock();
    emit(std::move(out));
  }

  // ------------------------------------------------------------ polling
  // Applies orders Alpaca reported (poll or look-up), with mu_ held: books
  // the fills not seen yet (account activities), then statuses.
  void applyOrders(const std::vector<AlpacaOrder>& os, Events& out) {
    bool needFills = false;
    WallNanos after = 0;
    for (const auto& o : os) {
      Child* c = childFor(o.id, o.clientOrderId);
      if (!c) continue;
      if (c->replacing && o.clientOrderId == c->replacing->clientOrderId) {
        PendingReplace pr = *c->replacing;
        replaced(*c, o, pr.newQty, pr.newPrice, pr.newStop, out);
      }
      noteOrder(*c, o);
      if (missingFills(o)) {
        needFills = true;
        after = after == 0 || (c->sentAt && c->sentAt < after) ? c->sentAt : after;
      }
    }
    if (needFills) fetchFills(after, out);
    for (const auto& o : os) {
      Child* c = childFor(o.id, o.clientOrderId);
      if (!c || c->done || !isCurrent(*c, o)) continue;
      c->unknown = false;
      c->notFound = 0;
      if (o.status == "replaced" && !o.replacedBy.empty() && !c->replacing) {
        // Replaced before a restart (the journal kept the first order id):
        // the chain's newest order is the one to cancel and follow.
        c->orderId = o.replacedBy;
        byOrderId_[o.replacedBy] = c->id.str();
        needPoll_ = true;
        continue;
      }
      if (o.status == "pending_new") continue;
      if (o.status != "rejected") ensureAccepted(*c, out);
      if (missingFills(o)) {
        c->unknown = true;  // activities not readable yet: the poll tries again
        continue;
      }
      if (o.status == "canceled")
        terminal(*c, cancelKind(*c), "alpaca: canceled", out);
      else if (o.status == "expired")
        terminal(*c, VenueEventKind::Expired, "alpaca: expired", out);
      else if (o.status == "rejected")
        terminal(*c, VenueEventKind::Rejected, "alpaca: order rejected", out);
      else if (o.status == "filled" && !c->done)
        terminal(*c, VenueEventKind::Expired, "alpaca: filled with " + c->cum.str(), out);
    }
  }

  // GET /v2/account/activities/FILL after `after` (ascending), booking the
  // executions of our orders not seen yet. Called with mu_ held.
  void fetchFills(WallNanos after, Events& out) {
    std::vector<FillActivity> fs;
    mu_.unlock();
    std::string err = fillsSince(after, fs);
    mu_.lock();
    if (!err.empty()) {
      spdlog::warn("[{}] account activities: {}", id_.str(), err);
      return;
    }
    for (const auto& f : fs) {
      auto b = byOrderId_.find(f.orderId);
      if (b == byOrderId_.end()) continue;
      bookFill(children_.at(b->second), f.orderId, f.execId, f.qty, f.price, std::nullopt, f.time,
               out);
    }
  }

  // Every FILL activity after `after`, ascending, page by page (100 each).
  std::string fillsSince(WallNanos after, std::vector<FillActivity>& all) {
    std::string q = "/v2/account/activities/FILL?direction=asc&page_size=100";
    // A minute of slack: Alpaca's transaction_time and our clock differ.
    if (after > 0) q += "&after=" + urlEncode(formatIsoTimestamp(after - 60 * kSec));
    std::string token;
    for (int page = 0; page < 50; ++page) {
      RestReply r = rest_.call("GET", q + (token.empty() ? "" : "&page_token=" + urlEncode(token)));
      std::vector<FillActivity> fs;
      if (!r.ok()) return r.text;
      if (auto e = parseFillActivities(r.body, fs); !e.empty()) return e;
      all.insert(all.end(), fs.begin(), fs.end());
      if (fs.size() < 100) return "";
      token = fs.back().id;
    }
    return "";
  }

  void pollOrders() {
    needPoll_ = false;
    std::unique_lock lk(mu_);
    WallNanos oldest = 0;
    bool any = false, adopted = false;
    for (const auto& [k, c] : children_) {
      if (c.done) continue;
      any = true;
      if (c.sentAt == 0)
        adopted = true;
      else if (oldest == 0 || c.sentAt < oldest)
        oldest = c.sentAt;
    }
    if (!any) return;
    // The newest 500 (since the oldest open child was sent, when known).
    std::string target = "/v2/orders?status=all&limit=500&direction=desc";
    if (!adopted && oldest > 0)
      target += "&after=" + urlEncode(formatIsoTimestamp(oldest - 60 * kSec));
    lk.unlock();
    RestReply r = rest_.call("GET", target);
    Events out;
    lk.lock();
    std::vector<AlpacaOrder> os;
    if (!r.ok() || !parseOrders(r.body, os).empty()) {
      if (!r.notExecuted())
        spdlog::warn("[{}] GET /v2/orders: {}", id_.str(), r.ok() ? "unreadable" : r.text);
      return;  // next round
    }
    applyOrders(os, out);
    // Lost submits / replaces the list does not show (yet).
    std::set<std::string> listed;
    for (const auto& o : os) listed.insert(o.clientOrderId);
    for (auto& [k, c] : children_) {
      if (c.done) continue;
      if (c.orderId.empty() && !listed.count(c.clientOrderId) && ++c.notFound >= kNotFoundPolls)
        terminal(c, VenueEventKind::Rejected,
                 "order not placed: Alpaca does not know client_order_id " + c.clientOrderId, out);
      if (c.replacing && !listed.count(c.replacing->clientOrderId) &&
          ++c.replacing->notFound >= kNotFoundPolls) {
        VenueEvent e;
        e.kind = VenueEventKind::ReplaceRejected;
        e.childId = c.id;
        e.venueOrderId = VenueOrderId(c.orderId);
        e.text = "not replaced: Alpaca does not know client_order_id " + c.replacing->clientOrderId;
        out.push_back(std::move(e));
        c.replacing.reset();
      }
    }
    lk.unlock();
    emit(std::move(out));
  }

  // ------------------------------------------------------------ snapshot
  VenueSnapshot snapshot(WallNanos since) {
    VenueSnapshot s;
    RestReply r = rest_.call("GET", "/v2/orders?status=open&limit=500");
    std::vector<AlpacaOrder> open;
    if (!r.ok() || !parseOrders(r.body, open).empty()) {
      s.error = "GET /v2/orders: " + (r.ok() ? std::string("unreadable") : r.text);
      return s;
    }
    std::vector<FillActivity> fills;
    if (auto e = fillsSince(since, fills); !e.empty()) {
      s.error = "account activities FILL: " + e;
      return s;
    }
    std::map<std::string, std::string> childByOrder;  // order id -> child id
    {
      std::lock_guard lk(mu_);
      childByOrder.insert(byOrderId_.begin(), byOrderId_.end());
    }
    for (const auto& o : open) {
      if (!o.clientOrderId.empty()) childByOrder[o.id] = childIdOf(o.clientOrderId);
      VenueOrderState st;
      st.childId = ChildOrderId(childIdOf(o.clientOrderId));
      st.venueOrderId = VenueOrderId(o.id);
      auto sym = fromVenue_.find(o.symbol);
      st.symbol = sym != fromVenue_.end() ? sym->second : Symbol(o.symbol);
      st.side = sideOf(o.side);
      st.qty = o.qty.value_or(Qty());
      st.cumQty = o.filledQty;
      st.ordType = ordTypeOf(o.type);
      st.tif = tifOf(o.timeInForce);
      st.price = o.limitPrice;
      st.stopPx = o.stopPrice;
      st.open = true;
      s.orders.push_back(std::move(st));
    }
    // Fills of orders not known here (done before a restart): their
    // client_order_id names the child.
    std::set<std::string> unknownOrders;
    for (const auto& f : fills)
      if (!childByOrder.count(f.orderId)) unknownOrders.insert(f.orderId);
    for (const auto& id : unknownOrders) {
      RestReply q = rest_.call("GET", "/v2/orders/" + id);
      AlpacaOrder o;
      if (q.ok() && parseOrder(q.body, o).empty() && !o.clientOrderId.empty())
        childByOrder[id] = childIdOf(o.clientOrderId);
    }
    for (const auto& f : fills) {
      auto co = childByOrder.find(f.orderId);
      if (co == childByOrder.end()) continue;  // not ours to name
      VenueFill vf;
      vf.childId = ChildOrderId(co->second);
      vf.venueOrderId = VenueOrderId(f.orderId);
      vf.venueExecId = VenueExecId(f.execId);
      auto sym = fromVenue_.find(f.symbol);
      vf.symbol = sym != fromVenue_.end() ? sym->second : Symbol(f.symbol);
      vf.side = sideOf(f.side);
      vf.qty = f.qty;
      vf.px = f.price;
      vf.time = f.time;
      s.fills.push_back(std::move(vf));
    }
    s.ok = true;
    return s;
  }

  VenueId id_;
  AlpacaConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  AlpacaRest rest_;
  VenueEventSink* sink_ = nullptr;
  std::map<Symbol, std::string> toVenue_;
  std::map<std::string, Symbol> fromVenue_;
  std::map<Symbol, Qty> contractSize_;  // instruments that are not plain shares

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
  MonoNanos nextClock_ = 0, nextReconnect_ = 0, nextPoll_ = 0;
  int64_t reconnectDelayMs_ = cfg_.reconnectMs;

  // Shared between the I/O and stream threads.
  mutable std::mutex mu_;
  MarketClock marketClock_;
  bool clock_known_ = false;
  std::map<std::string, CachedAsset> assets_;
  std::map<std::string, Child> children_;         // by child id
  std::map<std::string, std::string> byOrderId_;  // every order id of a chain -> child id
  std::map<std::string, Qty> filledByOrder_;      // booked per Alpaca order id
  std::set<std::string> seenExecs_;
  std::map<Symbol, Price> lastPx_;

  // Market data (the data stream's thread, the I/O thread and callers of
  // (un)subscribe); sinks are called with mdMu_ held.
  std::mutex mdMu_;
  std::unique_ptr<net::WsClient> md_;
  std::atomic<uint64_t> mdGen_{0};
  std::atomic<bool> mdDown_{false};
  std::set<std::string> mdSubscribed_;
  std::map<Symbol, std::vector<MarketDataSink*>> mdSubs_;
  std::map<Symbol, TopOfBook> books_;
  std::set<Symbol> mdWanted_;  // I/O thread
  MonoNanos nextMdReconnect_ = 0;
};

}  // namespace

std::unique_ptr<VenueAdapter> makeAlpacaVenue(VenueId id, AlpacaConfig cfg, Credentials cred,
                                              const InstrumentMaster& instruments,
                                              const Clock& clock) {
  return std::make_unique<AlpacaVenue>(std::move(id), std::move(cfg), std::move(cred), instruments,
                                       clock);
}

std::unique_ptr<VenueAdapter> makeAlpacaVenueFromConfig(const venues::VenueContext& ctx,
                                                        venues::ParamReader& p) {
  AlpacaConfig cfg = readAlpacaConfig(p, ctx.configPath);
  Credentials cred = loadCredentials(cfg, ctx.configPath);
  return makeAlpacaVenue(ctx.id, std::move(cfg), std::move(cred), ctx.instruments, ctx.clock);
}

}  // namespace fixgw::alpaca
