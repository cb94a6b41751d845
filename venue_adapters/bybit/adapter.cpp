#include "venue_adapters/bybit/adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "venue_adapters/bybit/auth.h"
#include "venue_adapters/bybit/parse.h"
#include "venue_adapters/bybit/rest.h"
#include "venue_adapters/net/http.h"

namespace fixgw::bybit {

namespace {

constexpr int64_t kMs = 1'000'000;
// Polls that must not find an order whose submit answer was lost before it
// is declared never placed (an in-flight request may still land).
constexpr int kNotFoundPolls = 3;
// Bybit's execution list reaches back 7 days at most.
constexpr int64_t kExecHistoryMs = 7LL * 24 * 3600 * 1000;

struct Route {
  std::string category;  // spot, linear
  std::string symbol;    // Bybit's
};

struct Child {
  ChildOrderId id;
  std::string link;  // orderLinkId
  Symbol symbol;
  Route route;
  Side side = Side::Buy;
  OrderMapping mapping;
  Qty qty;
  std::optional<Price> price;
  std::string orderId;
  Qty cum;
  Qty adoptedUnmatched;  // fills journaled before a restart, not yet matched to execIds
  bool accepted = false;
  bool done = false;
  bool unknown = false;  // sent, outcome not known yet
  bool cancelRequested = false;
  int notFound = 0;
};

std::string json(const std::string& s) { return "\"" + s + "\""; }

struct MdSub {
  MarketDataSink* sink;
  size_t depth;
};

struct MdBook {
  std::map<Price, Qty, std::greater<>> bids;
  std::map<Price, Qty> asks;
};

class BybitVenue final : public VenueAdapter {
 public:
  BybitVenue(VenueId id, BybitConfig cfg, Credentials cred, const InstrumentMaster& im,
             const Clock& clock)
      : id_(std::move(id)),
        cfg_(std::move(cfg)),
        cred_(cred),
        clock_(clock),
        rest_(cfg_, std::move(cred), clock) {
    for (const auto& [sym, inst] : im.all()) {
      // Bybit's linear contracts are one base coin each, and spot has no
      // contracts: any other size would send the wrong quantity. An
      // instrument that names this venue is a start-up error; another (the
      // master is shared by every venue) is just not tradable here.
      if (inst.contractSize != Qty::fromInt(1)) {
        const std::string why = "instrument " + sym.str() + ": contract_size " +
                                inst.contractSize.str() + " cannot trade on Bybit venue " +
                                id_.str() + " (spot and linear USDT contracts are 1)";
        if (inst.venueSymbols.count(id_.str())) throw std::invalid_argument(why);
        notTradable_[sym] = why;
        continue;
      }
      if (inst.venueSymbols.count(id_.str())) named_.insert(sym);
      Route r{categoryFor(inst), venueSymbolFor(inst, id_.str())};
      routes_[sym] = r;
      tickOf_[sym] = {inst.tickSize, inst.lotSize};
      fromVenue_[r.category + ":" + r.symbol] = sym;
      categories_.insert(r.category);
    }
  }

  ~BybitVenue() override { stop(); }

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

  void adoptOpenOrders(const std::vector<VenueOrderState>& orders) override {
    std::lock_guard lk(mu_);
    for (const auto& o : orders) {
      auto r = routes_.find(o.symbol);
      if (r == routes_.end()) continue;
      Child c;
      c.id = o.childId;
      c.link = orderLinkIdFor(o.childId.str());
      c.symbol = o.symbol;
      c.route = r->second;
      c.side = o.side;
      c.qty = o.qty;
      c.price = o.price;
      c.orderId = o.venueOrderId.str();
      c.cum = o.cumQty;
      c.adoptedUnmatched = o.cumQty;
      c.accepted = !c.orderId.empty();
      c.unknown = c.orderId.empty();
      VenueNewOrder terms;
      terms.ordType = o.ordType;
      terms.tif = o.tif;
      terms.price = o.price;
      terms.attrs = o.attrs;
      if (!mapOrder(terms, c.route.category == "spot", true, c.mapping).empty())
        c.mapping = OrderMapping{"Limit", "GTC", false};
      if (!c.orderId.empty()) byOrderId_[c.orderId] = c.id.str();
      byLink_[c.link] = c.id.str();
      children_[c.id.str()] = std::move(c);
    }
  }

  void requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) override {
    post([this, since, cb = std::move(cb)] { cb(snapshot(since)); });
  }

  MarketDataStatus subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                       size_t depthLevels) override {
    MarketDataStatus st;
    if (!routes_.count(symbol)) {
      st.error = "Symbol " + symbol.str() + ": not in the instrument master";
      return st;
    }
    {
      std::lock_guard lk(mdMu_);
      mdSubs_[symbol].push_back({&sink, depthLevels});
    }
    post([this, symbol, &sink] { mdSubscribe(symbol, &sink); });
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
    if (cfg_.clockSync)
      if (auto e = rest_.syncClock(); !e.empty()) spdlog::warn("[{}] {}", id_.str(), e);
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
    if (streamUp_ && ws_ && now >= nextPing_) {
      // Bybit drops a private connection that sends nothing: ping every 20 s.
      nextPing_ = now + cfg_.pingIntervalMs * kMs;
      ws_->send(R"({"op":"ping"})");
    }
    if (mdDown_.exchange(false)) dropMd();
    if (!mdWanted_.empty() && now >= nextMdReconnect_ && !mdAllUp())
      for (const auto& sym : std::set<Symbol>(mdWanted_)) mdSubscribe(sym, nullptr);
    if (!mdWanted_.empty() && now >= nextMdPing_) {
      nextMdPing_ = now + cfg_.pingIntervalMs * kMs;
      std::lock_guard lk(mdMu_);
      for (auto& [cat, ws] : md_)
        if (ws && ws->isOpen()) ws->send(R"({"op":"ping"})");
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

  // ------------------------------------------------------------ instruments
  void loadInstruments() {
    nextInstruments_ = mono() + cfg_.filtersRefreshSec * 1000 * kMs;
    std::map<std::string, InstrumentInfo> all;
    std::string err;
    for (const auto& cat : categories_) {
      std::string cursor;
      do {
        RestReply r = rest_.publicGet(
            "/v5/market/instruments-info",
            "category=" + cat + "&limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
        std::map<std::string, InstrumentInfo> page;
        std::string next;
        err = r.ok() ? parseInstruments(r.body, page, &next) : r.text;
        if (!err.empty()) break;
        for (auto& [s, i] : page) all[cat + ":" + s] = std::move(i);
        cursor = next == cursor ? "" : next;
      } while (!cursor.empty());
      if (!err.empty()) break;
    }
    std::lock_guard lk(mu_);
    if (!err.empty()) {
      infoError_ = "instruments-info: " + err;
      spdlog::warn("[{}] {}", id_.str(), infoError_);
      if (info_.empty()) nextInstruments_ = mono() + cfg_.reconnectMs * kMs;
      return;
    }
    info_ = std::move(all);
    infoError_.clear();
    for (const auto& sym : named_) {
      const Route& r = routes_.at(sym);
      const InstrumentInfo* i = infoOf(r);
      if (!i) {
        spdlog::warn("[{}] {}: Bybit lists no {} symbol {}; its orders will be refused", id_.str(),
                     sym.str(), r.category, r.symbol);
      } else if (auto t = tickOf_.find(sym);
                 t != tickOf_.end() && (!t->second.first.isMultipleOf(i->tickSize) ||
                                        !t->second.second.isMultipleOf(i->qtyStep))) {
        spdlog::warn(
            "[{}] {}: instrument tick_size {} / lot_size {} are finer than Bybit's "
            "tickSize {} / quantity step {}; orders off Bybit's grid are refused",
            id_.str(), sym.str(), t->second.first.str(), t->second.second.str(), i->tickSize.str(),
            i->qtyStep.str());
      }
    }
  }

  const InstrumentInfo* infoOf(const Route& r) const {
    auto it = info_.find(r.category + ":" + r.symbol);
    return it == info_.end() ? nullptr : &it->second;
  }

  Symbol symbolOf(const std::string& category, const std::string& venueSymbol) const {
    auto it = fromVenue_.find(category + ":" + venueSymbol);
    return it == fromVenue_.end() ? Symbol(venueSymbol) : it->second;
  }

  // ------------------------------------------------------------ stream
  void connectStream() {
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
    o.pingIdleMs = cfg_.pingIntervalMs * 3;  // the op ping keeps it busy; this is a backstop
    o.target = cfg_.wsTarget;
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
    // The signature is never logged; Bybit answers auth before the subscribe.
    const int64_t expires = rest_.venueNowMs() + cfg_.wsAuthExpiryMs;
    ws->send(R"({"op":"auth","args":[)" + json(cred_.apiKey) + "," + json(std::to_string(expires)) +
             "," + json(wsAuthSign(expires, cred_.secret)) + "]}");
    ws->send(R"({"op":"subscribe","args":["order","execution"]})");
    ws_ = std::move(ws);
    streamUp_ = true;
    streamDown_ = false;
    nextPing_ = mono() + cfg_.pingIntervalMs * kMs;
    reconnectDelayMs_ = cfg_.reconnectMs;
    if (everUp_) {
      spdlog::info("[{}] private stream reconnected", id_.str());
      VenueEvent e;
      e.kind = VenueEventKind::Reconnected;
      e.text = "private stream back";
      emit({std::move(e)});
    }
    everUp_ = true;
    pollOrders();  // catch up on what happened while it was down
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
          "private stream down; polling REST every " + std::to_string(cfg_.pollIntervalMs) + " ms";
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
    if (m.kind == WsMessage::Kind::OpReply) {
      if (!m.success && (m.op == "auth" || m.op == "subscribe")) {
        spdlog::warn("[{}] private stream {} refused: {}", id_.str(), m.op, m.retMsg);
        streamDown_ = true;
        qcv_.notify_one();
      }
      return;
    }
    Events out;
    {
      std::lock_guard lk(mu_);
      for (const auto& x : m.execs)
        if (Child* c = childFor(x.orderLinkId, x.orderId)) bookExec(*c, x, out);
      for (const auto& o : m.orders)
        if (Child* c = childFor(o.orderLinkId, o.orderId)) applyOrder(*c, o, false, out);
    }
    emit(std::move(out));
  }

  // ------------------------------------------------------------ event logic
  Child* childFor(const std::string& link, const std::string& orderId) {
    auto l = byLink_.find(link);
    if (!link.empty() && l != byLink_.end()) return &children_.at(l->second);
    auto o = byOrderId_.find(orderId);
    if (o != byOrderId_.end()) return &children_.at(o->second);
    return nullptr;
  }

  void noteOrderId(Child& c, const std::string& orderId) {
    if (orderId.empty()) return;
    byOrderId_[orderId] = c.id.str();
    if (c.orderId.empty()) c.orderId = orderId;
  }

  void ensureAccepted(Child& c, Events& out) {
    if (c.accepted) return;
    c.accepted = true;
    VenueEvent e;
    e.kind = VenueEventKind::Accepted;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.orderId);
    e.leavesQty = c.qty - c.cum;
    e.cumQty = c.cum;
    out.push_back(std::move(e));
  }

  // The fee's currency: Bybit's feeCurrency when it says, else the linear
  // settle coin, else (spot) the coin received — the base on a buy.
  std::string feeCurrencyOf(const Child& c, const BybitExec& x) const {
    if (!x.feeCurrency.empty()) return x.feeCurrency;
    const InstrumentInfo* i = infoOf(c.route);
    if (!i) return "";
    if (c.route.category == "linear") return i->settleCoin.empty() ? i->quoteCoin : i->settleCoin;
    return c.side == Side::Buy ? i->baseCoin : i->quoteCoin;
  }

  void bookExec(Child& c, const BybitExec& x, Events& out) {
    noteOrderId(c, x.orderId);
    if (!seenExecs_.insert(x.execId).second) return;
    if (c.adoptedUnmatched.isPositive() && x.execQty <= c.adoptedUnmatched) {
      c.adoptedUnmatched -= x.execQty;  // journaled before the restart, already counted
      return;
    }
    ensureAccepted(c, out);
    c.cum += x.execQty;
    lastPx_[c.symbol] = x.execPrice;
    VenueEvent e;
    e.kind = VenueEventKind::Fill;
    e.childId = c.id;
    e.venueOrderId = VenueOrderId(c.orderId);
    e.venueExecId = VenueExecId(x.execId);
    e.lastQty = x.execQty;
    e.lastPx = x.execPrice;
    e.cumQty = c.cum;
    e.leavesQty = c.cum >= c.qty ? Qty() : c.qty - c.cum;
    const std::string ccy = feeCurrencyOf(c, x);
    if (x.execFee && !ccy.empty()) {
      e.fee = *x.execFee;
      e.feeCurrency = ccy;
    }
    e.venueTime = x.execNs;
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
    e.venueOrderId = VenueOrderId(c.orderId);
    e.cumQty = c.cum;
    e.leavesQty = Qty();
    e.text = std::move(text);
    out.push_back(std::move(e));
  }

  // Bybit cancels an IOC/FOK/market remainder and a post-only order that would
  // take: to us that is the order expiring, unless we asked for the cancel.
  static VenueEventKind venueCancelKind(const Child& c) {
    if (c.cancelRequested) return VenueEventKind::Canceled;
    return c.mapping.timeInForce == "GTC" ? VenueEventKind::Canceled : VenueEventKind::Expired;
  }

  // Applies the order's state; with canFetch, first books the executions
  // behind a cumExecQty we have not seen (REST; mu_ is released meanwhile).
  void applyOrder(Child& c, const BybitOrder& o, bool canFetch, Events& out) {
    noteOrderId(c, o.orderId);
    c.notFound = 0;
    if (canFetch && o.cumExecQty > c.cum + c.adoptedUnmatched) fetchExecs(c, out);
    if (o.cumExecQty > c.cum + c.adoptedUnmatched) {
      // Executions not seen yet: the stream or the next poll brings them.
      c.unknown = true;
      needPoll_ = true;
      return;
    }
    c.unknown = false;
    const std::string& s = o.orderStatus;
    if (isOpenStatus(s)) {
      ensureAccepted(c, out);
    } else if (s == "Filled") {
      ensureAccepted(c, out);
      c.done = true;
    } else if (s == "Cancelled" || s == "PartiallyFilledCanceled" || s == "Deactivated") {
      ensureAccepted(c, out);
      std::string why =
          o.rejectReason != "EC_NoError" && !o.rejectReason.empty() ? o.rejectReason : o.cancelType;
      terminal(c, venueCancelKind(c), "bybit: " + s + (why.empty() ? "" : " (" + why + ")"), out);
    } else if (s == "Rejected") {
      terminal(c, VenueEventKind::Rejected, "bybit: rejected (" + o.rejectReason + ")", out);
    }
  }

  std::string orderRef(const Child& c) const {
    return c.orderId.empty() ? "orderLinkId=" + c.link : "orderId=" + c.orderId;
  }

  void fetchExecs(Child& c, Events& out) {
    const std::string q = "category=" + c.route.category + "&symbol=" + c.route.symbol + "&" +
                          orderRef(c) + "&limit=100";
    mu_.unlock();
    RestReply r = rest_.privateGet("/v5/execution/list", q);
    mu_.lock();
    std::vector<BybitExec> xs;
    if (!r.ok() || !parseExecutions(r.body, xs).empty()) {
      spdlog::warn("[{}] execution/list for {}: {}", id_.str(), c.id.str(),
                   r.ok() ? "unreadable" : r.text);
      return;
    }
    std::sort(xs.begin(), xs.end(),
              [](const auto& a, const auto& b) { return a.execNs < b.execNs; });
    for (const auto& x : xs) bookExec(c, x, out);
  }

  // GET /v5/order/realtime by orderLinkId. Called with mu_ held.
  void lookUp(Child& c, Events& out) {
    const std::string q =
        "category=" + c.route.category + "&symbol=" + c.route.symbol + "&orderLinkId=" + c.link;
    mu_.unlock();
    RestReply r = rest_.privateGet("/v5/order/realtime", q);
    mu_.lock();
    std::vector<BybitOrder> os;
    if (!r.ok() || !parseOrders(r.body, os).empty()) return;  // still unknown: the poll retries
    if (!os.empty()) {
      applyOrder(c, os.front(), true, out);
    } else if (c.orderId.empty() && ++c.notFound >= kNotFoundPolls) {
      terminal(c, VenueEventKind::Rejected,
               "order not placed: Bybit does not know orderLinkId " + c.link, out);
    }
  }

  // ------------------------------------------------------------ commands
  std::string checkNew(const VenueNewOrder& o, Route& route, OrderMapping& m) {
    if (auto n = notTradable_.find(o.symbol); n != notTradable_.end()) return n->second;
    auto r = routes_.find(o.symbol);
    if (r == routes_.end()) return "Symbol " + o.symbol.str() + ": not in the instrument master";
    route = r->second;
    if (auto e = mapOrder(o, route.category == "spot", cfg_.dayAsGtc, m); !e.empty()) return e;
    if (info_.empty())
      return "instruments not loaded yet (" + (infoError_.empty() ? "loading" : infoError_) + ")";
    const InstrumentInfo* i = infoOf(route);
    if (!i)
      return "Symbol " + route.symbol + ": not listed in Bybit " + route.category + " instruments";
    std::optional<Price> ref;
    if (auto lp = lastPx_.find(o.symbol); lp != lastPx_.end()) ref = lp->second;
    return checkFilters(*i, m.orderType == "Limit" ? o.price : std::nullopt, o.qty,
                        m.orderType == "Market", ref);
  }

  void doSubmit(const VenueNewOrder& o) {
    Events out;
    std::unique_lock lk(mu_);
    Route route;
    OrderMapping m;
    std::string err = checkNew(o, route, m);
    const std::string link = orderLinkIdFor(o.childId.str());
    if (err.empty() && children_.count(o.childId.str()))
      err = "child order id " + o.childId.str() + " was already sent";
    if (err.empty() && byLink_.count(link)) err = "orderLinkId " + link + " is already in use";
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
    nc.link = link;
    nc.symbol = o.symbol;
    nc.route = route;
    nc.side = o.side;
    nc.mapping = m;
    nc.qty = o.qty;
    nc.price = o.price;
    nc.unknown = true;
    Child& c = children_[nc.id.str()] = std::move(nc);
    byLink_[c.link] = c.id.str();
    const std::string body = createBody(route.category, route.symbol, c.side, m, c.qty,
                                        m.orderType == "Limit" ? c.price : std::nullopt, link);
    lk.unlock();
    RestReply r = rest_.privatePost("/v5/order/create", body, true);
    lk.lock();
    std::string orderId, echoed;
    if (r.ok() && parseOrderAck(r.body, orderId, echoed).empty()) {
      noteOrderId(c, orderId);
      if (!c.done) {
        c.unknown = false;
        ensureAccepted(c, out);
      }
    } else if (r.kind == RestReply::Kind::Rejected || r.kind == RestReply::Kind::RateLimited ||
               r.kind == RestReply::Kind::Refused) {
      terminal(c, VenueEventKind::Rejected, r.text, out);
    } else {
      // Lost answer: it may have been placed. Look it up by orderLinkId — never resend.
      spdlog::warn("[{}] order/create {}: {}; looking it up by orderLinkId", id_.str(), c.id.str(),
                   r.ok() ? "unreadable answer" : r.text);
      lookUp(c, out);
    }
    lk.unlock();
    emit(std::move(out));
  }

  std::string refBody(const Child& c) const {
    return R"({"category":")" + c.route.category + R"(","symbol":")" + c.route.symbol + "\"," +
           (c.orderId.empty() ? R"("orderLinkId":")" + c.link : R"("orderId":")" + c.orderId) +
           "\"";
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
    c.cancelRequested = true;
    const std::string body = refBody(c) + "}";
    lk.unlock();
    RestReply r = rest_.privatePost("/v5/order/cancel", body, true);
    lk.lock();
    if (r.ok()) {
      // A fill racing the cancel is booked before the cancel is reported: the
      // order's final state says what filled (or the stream brings it).
      lookUp(c, out);
    } else {
      cancelReject(r.text);
      // Order not found: it filled or ended meanwhile; the poll finds out.
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
    if (it == children_.end() || it->second.done || it->second.orderId.empty()) {
      replaceReject(it == children_.end() ? "unknown order " + x.childId.str()
                    : it->second.done     ? "order is already done"
                                          : "order not acknowledged yet");
      lk.unlock();
      return emit(std::move(out));
    }
    Child& c = it->second;
    const std::optional<Price> newPrice = x.newPrice ? x.newPrice : c.price;
    std::string err;
    if (c.mapping.orderType != "Limit") err = "only limit orders can be amended at Bybit";
    if (err.empty() && x.newQty <= c.cum)
      err = "new quantity " + x.newQty.str() + " does not exceed filled " + c.cum.str();
    if (err.empty())
      if (const InstrumentInfo* i = infoOf(c.route))
        err = checkFilters(*i, newPrice, x.newQty, false, std::nullopt);
    if (!err.empty()) {
      replaceReject(err);
      lk.unlock();
      return emit(std::move(out));
    }
    // Amend changes the order in place: qty is the new total and Bybit refuses
    // one at or below what has filled, so a racing fill is never over-sent.
    std::string body = refBody(c) + R"(,"qty":")" + x.newQty.str() + "\"";
    if (newPrice && newPrice != c.price) body += R"(,"price":")" + newPrice->str() + "\"";
    body += "}";
    lk.unlock();
    RestReply r = rest_.privatePost("/v5/order/amend", body, true);
    lk.lock();
    std::string id, link;
    if (r.ok() && parseOrderAck(r.body, id, link).empty()) {
      c.qty = x.newQty;
      c.price = newPrice;
      if (c.cum >= c.qty) c.done = true;
      VenueEvent e;
      e.kind = VenueEventKind::Replaced;
      e.childId = c.id;
      e.venueOrderId = VenueOrderId(c.orderId);
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
  // One open-orders listing per symbol (paged), then a look-up by
  // orderLinkId for each of ours not in it (ended meanwhile, or never placed),
  // so a poll round costs a call per symbol rather than per order.
  void pollOrders() {
    needPoll_ = false;
    std::unique_lock lk(mu_);
    std::set<std::pair<std::string, std::string>> symbols;
    for (const auto& [k, c] : children_)
      if (!c.done) symbols.insert({c.route.category, c.route.symbol});
    std::set<std::string> listed;  // child ids found open
    for (const auto& [cat, sym] : symbols) {
      std::vector<BybitOrder> open;
      std::string cursor;
      for (int page = 0; page < 20; ++page) {
        lk.unlock();
        RestReply r = rest_.privateGet("/v5/order/realtime",
                                       "category=" + cat + "&symbol=" + sym + "&limit=50" +
                                           (cursor.empty() ? "" : "&cursor=" + cursor));
        lk.lock();
        std::vector<BybitOrder> os;
        std::string next;
        if (!r.ok() || !parseOrders(r.body, os, &next).empty()) {
          if (r.kind != RestReply::Kind::Refused && r.kind != RestReply::Kind::RateLimited)
            spdlog::warn("[{}] order/realtime {}: {}", id_.str(), sym,
                         r.ok() ? "unreadable" : r.text);
          return;  // try again next round
        }
        open.insert(open.end(), os.begin(), os.end());
        if (next.empty() || next == cursor || os.empty()) break;
        cursor = next;
      }
      for (const auto& o : open) {
        Child* c = childFor(o.orderLinkId, o.orderId);
        if (!c || c->done) continue;
        listed.insert(c->id.str());
        Events out;
        applyOrder(*c, o, true, out);
        lk.unlock();
        emit(std::move(out));
        lk.lock();
      }
    }
    std::vector<std::string> rest;
    for (const auto& [k, c] : children_)
      if (!c.done && !listed.count(k)) rest.push_back(k);
    for (const auto& k : rest) {
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
    std::map<std::string, std::string> childOf;  // orderId -> child id
    std::set<std::pair<std::string, std::string>> symbols;
    {
      std::lock_guard lk(mu_);
      for (const auto& [oid, child] : byOrderId_) childOf[oid] = child;
      for (const auto& [sym, r] : routes_) symbols.insert({r.category, r.symbol});
    }
    auto childOfLink = [&](const std::string& link) -> std::string {
      std::lock_guard lk(mu_);
      auto b = byLink_.find(link);
      return b != byLink_.end() ? b->second : link;
    };
    for (const auto& [cat, sym] : symbols) {
      RestReply r = rest_.privateGet("/v5/order/realtime", "category=" + cat + "&symbol=" + sym);
      std::vector<BybitOrder> open;
      if (!r.ok() || !parseOrders(r.body, open).empty()) {
        s.error = "order/realtime " + cat + " " + sym + ": " +
                  (r.ok() ? std::string("unreadable") : r.text);
        return s;
      }
      for (const auto& o : open) {
        if (o.orderLinkId.empty()) continue;  // not ours to name
        const std::string child = childOfLink(o.orderLinkId);
        childOf[o.orderId] = child;
        VenueOrderState st;
        st.childId = ChildOrderId(child);
        st.venueOrderId = VenueOrderId(o.orderId);
        st.symbol = symbolOf(cat, o.symbol);
        st.side = sideOf(o.side);
        st.qty = o.qty;
        st.cumQty = o.cumExecQty;
        st.ordType = o.orderType == "Market" ? OrdType::Market : OrdType::Limit;
        if (st.ordType == OrdType::Limit) st.price = o.price;
        st.tif = o.timeInForce == "IOC"   ? TimeInForce::Ioc
                 : o.timeInForce == "FOK" ? TimeInForce::Fok
                                          : TimeInForce::Gtc;
        st.open = isOpenStatus(o.orderStatus);
        s.orders.push_back(std::move(st));
      }
    }
    const int64_t nowMs = rest_.venueNowMs();
    const int64_t startMs = std::max(since / kMs, nowMs - kExecHistoryMs + 60'000);
    std::set<std::string> cats;
    for (const auto& [cat, sym] : symbols) cats.insert(cat);
    for (const auto& cat : cats) {
      std::string cursor;
      for (int page = 0; page < 100; ++page) {
        RestReply r = rest_.privateGet(
            "/v5/execution/list", "category=" + cat + "&startTime=" + std::to_string(startMs) +
                                      "&limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor));
        std::vector<BybitExec> xs;
        std::string next;
        if (!r.ok() || !parseExecutions(r.body, xs, &next).empty()) {
          s.error = "execution/list " + cat + ": " + (r.ok() ? std::string("unreadable") : r.text);
          return s;
        }
        for (const auto& x : xs) {
          std::string child;
          if (auto c = childOf.find(x.orderId); c != childOf.end())
            child = c->second;
          else if (!x.orderLinkId.empty())
            child = childOfLink(x.orderLinkId);
          if (child.empty()) continue;
          VenueFill f;
          f.childId = ChildOrderId(child);
          f.venueOrderId = VenueOrderId(x.orderId);
          f.venueExecId = VenueExecId(x.execId);
          f.symbol = symbolOf(cat, x.symbol);
          f.side = sideOf(x.side);
          f.qty = x.execQty;
          f.px = x.execPrice;
          f.time = x.execNs;
          s.fills.push_back(std::move(f));
        }
        if (next.empty() || next == cursor || xs.empty()) break;
        cursor = next;
      }
    }
    s.ok = true;
    return s;
  }

  // ------------------------------------------------------------ market data
  // One public connection per category (/v5/public/spot, /v5/public/linear),
  // orderbook.{depth} + publicTrade per symbol. Called on the I/O thread.
  bool mdAllUp() {
    std::lock_guard lk(mdMu_);
    for (const auto& sym : mdWanted_) {
      const Route& r = routes_.at(sym);
      auto it = md_.find(r.category);
      // A dropped connection counts as up until its close callback: that one
      // reconnects everything once (reconnecting here too would race it).
      if (it == md_.end() || !it->second || !mdSubscribed_.count(r.category + ":" + r.symbol))
        return false;
    }
    return true;
  }

  // Closes every public connection; WsClient's destructor joins its thread,
  // which may be waiting for mdMu_, so they are destroyed outside it.
  void dropMd() {
    std::map<std::string, std::unique_ptr<net::WsClient>> old;
    {
      std::lock_guard lk(mdMu_);
      ++mdGen_;
      old.swap(md_);
      mdSubscribed_.clear();
      books_.clear();
    }
  }

  void mdSubscribe(const Symbol& symbol, MarketDataSink* newSink) {
    mdWanted_.insert(symbol);
    const Route r = routes_.at(symbol);
    const std::string key = r.category + ":" + r.symbol;
    std::unique_lock lk(mdMu_);
    auto& ws = md_[r.category];
    if (!ws) {
      mdSubscribed_.erase(key);
      for (auto it = mdSubscribed_.begin(); it != mdSubscribed_.end();)
        it = it->rfind(r.category + ":", 0) == 0 ? mdSubscribed_.erase(it) : std::next(it);
      net::WsOptions o;
      o.tls.host = cfg_.wsPublicHost.empty() ? cfg_.wsHost : cfg_.wsPublicHost;
      o.tls.port = static_cast<uint16_t>(cfg_.wsPublicPort ? cfg_.wsPublicPort : cfg_.wsPort);
      o.tls.serverName = cfg_.serverName;
      o.tls.caFile = cfg_.caFile;
      o.tls.caPem = cfg_.caPem;
      o.tls.connectTimeoutMs = cfg_.connectTimeoutMs;
      o.tls.readTimeoutMs = cfg_.readTimeoutMs;
      o.pingIdleMs = cfg_.pingIntervalMs * 3;
      o.target = "/v5/public/" + r.category;
      const uint64_t gen = mdGen_;
      const std::string cat = r.category;
      auto fresh = std::make_unique<net::WsClient>(
          o, net::WsClient::Callbacks{[this, gen, cat](const std::string& t) { onMd(gen, cat, t); },
                                      [this, gen](const std::string& why) {
                                        if (gen != mdGen_.load()) return;
                                        spdlog::warn("[{}] market data stream closed: {}",
                                                     id_.str(), why);
                                        mdDown_ = true;
                                      }});
      if (auto err = fresh->connect(); !err.empty()) {
        spdlog::warn("[{}] market data stream: {}", id_.str(), err);
        nextMdReconnect_ = mono() + cfg_.reconnectMs * kMs;
        std::unique_ptr<net::WsClient> failed = std::move(fresh);
        lk.unlock();
        return;
      }
      ws = std::move(fresh);
    }
    if (mdSubscribed_.insert(key).second) {
      md_[r.category]->send(R"({"op":"subscribe","args":["orderbook.)" +
                            std::to_string(cfg_.bookDepth) + "." + r.symbol + R"(","publicTrade.)" +
                            r.symbol + R"("]})");
    } else if (newSink) {
      // Already flowing: the new subscriber gets the current book first.
      auto b = books_.find(symbol);
      auto subs = mdSubs_.find(symbol);
      if (b != books_.end() && subs != mdSubs_.end())
        for (const auto& sub : subs->second)
          if (sub.sink == newSink) sub.sink->onBook(topOf(symbol, b->second, sub.depth));
    }
  }

  TopOfBook topOf(const Symbol& sym, const MdBook& b, size_t depth) const {
    TopOfBook tob;
    tob.venue = id_;
    tob.symbol = sym;
    tob.time = clock_.wallNow();
    if (!b.bids.empty()) tob.bidPx = b.bids.begin()->first, tob.bidQty = b.bids.begin()->second;
    if (!b.asks.empty()) tob.askPx = b.asks.begin()->first, tob.askQty = b.asks.begin()->second;
    size_t n = 0;
    for (auto it = b.bids.begin(); it != b.bids.end() && n < depth; ++it, ++n)
      tob.bids.push_back({it->first, it->second});
    n = 0;
    for (auto it = b.asks.begin(); it != b.asks.end() && n < depth; ++it, ++n)
      tob.asks.push_back({it->first, it->second});
    return tob;
  }

  void onMd(uint64_t gen, const std::string& category, const std::string& text) {
    PublicMessage m;
    if (auto err = parsePublicMessage(text, m); !err.empty()) {
      spdlog::warn("[{}] market data: unreadable message ({}); ignored", id_.str(), err);
      return;
    }
    if (m.kind == PublicMessage::Kind::OpReply && !m.success) {
      spdlog::warn("[{}] market data subscribe refused: {}", id_.str(), m.retMsg);
      return;
    }
    if (m.kind != PublicMessage::Kind::Book && m.kind != PublicMessage::Kind::Trade) return;
    auto symIt = fromVenue_.find(category + ":" + m.symbol);
    if (symIt == fromVenue_.end()) return;
    const Symbol sym = symIt->second;
    if (m.kind == PublicMessage::Kind::Trade && !m.trades.empty()) {
      std::lock_guard lk(mu_);
      lastPx_[sym] = m.trades.back().price;
    }
    std::lock_guard lk(mdMu_);
    if (gen != mdGen_.load()) return;
    auto subs = mdSubs_.find(sym);
    if (m.kind == PublicMessage::Kind::Trade) {
      if (subs == mdSubs_.end()) return;
      for (auto t : m.trades) {
        t.venue = id_;
        t.symbol = sym;
        for (const auto& s : subs->second) s.sink->onTrade(t);
      }
      return;
    }
    MdBook& b = books_[sym];
    if (m.snapshot) b = MdBook{};
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
    for (const auto& s : subs->second) s.sink->onBook(topOf(sym, b, s.depth));
  }

  VenueId id_;
  BybitConfig cfg_;
  Credentials cred_;
  const Clock& clock_;
  BybitRest rest_;
  VenueEventSink* sink_ = nullptr;
  std::map<Symbol, Route> routes_;
  std::map<Symbol, std::pair<Price, Qty>> tickOf_;  // the instrument master's tick and lot
  std::set<Symbol> named_;                          // instruments with a venue_symbols entry here
  std::map<Symbol, std::string> notTradable_;       // and why
  std::map<std::string, Symbol> fromVenue_;         // "category:symbol" -> ours
  std::set<std::string> categories_;

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
  MonoNanos nextInstruments_ = 0, nextReconnect_ = 0, nextPoll_ = 0, nextPing_ = 0;
  int64_t reconnectDelayMs_ = cfg_.reconnectMs;

  // Shared between the I/O and stream threads.
  mutable std::mutex mu_;
  std::map<std::string, InstrumentInfo> info_;  // "category:symbol"
  std::string infoError_;
  std::map<std::string, Child> children_;         // by child id
  std::map<std::string, std::string> byOrderId_;  // orderId -> child id
  std::map<std::string, std::string> byLink_;     // orderLinkId -> child id
  std::set<std::string> seenExecs_;
  std::map<Symbol, Price> lastPx_;

  // Market data (public stream threads and callers of (un)subscribe).
  std::set<Symbol> mdWanted_;  // I/O thread
  MonoNanos nextMdReconnect_ = 0, nextMdPing_ = 0;
  std::mutex mdMu_;
  std::map<std::string, std::unique_ptr<net::WsClient>> md_;  // by category
  std::atomic<uint64_t> mdGen_{0};
  std::atomic<bool> mdDown_{false};
  std::set<std::string> mdSubscribed_;  // "category:symbol"
  std::map<Symbol, std::vector<MdSub>> mdSubs_;
  std::map<Symbol, MdBook> books_;
};

}  // namespace

std::unique_ptr<VenueAdapter> makeBybitVenue(VenueId id, BybitConfig cfg, Credentials cred,
                                             const InstrumentMaster& instruments,
                                             const Clock& clock) {
  return std::make_unique<BybitVenue>(std::move(id), std::move(cfg), std::move(cred), instruments,
                                      clock);
}

std::unique_ptr<VenueAdapter> makeBybitVenueFromConfig(const venues::VenueContext& ctx,
                                                       venues::ParamReader& p) {
  BybitConfig cfg = readBybitConfig(p, ctx.configPath);
  Credentials cred = loadCredentials(cfg, ctx.configPath);
  return makeBybitVenue(ctx.id, std::move(cfg), std::move(cred), ctx.instruments, ctx.clock);
}

}  // namespace fixgw::bybit
