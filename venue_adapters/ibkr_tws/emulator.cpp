#include "venue_adapters/ibkr_tws/emulator.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "venue_adapters/ibkr_tws/codec.h"

namespace fixgw::tws {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

int64_t wallNowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string fmtTime(int64_t nanos, const char* fmt) {
  time_t secs = static_cast<time_t>(nanos / 1'000'000'000);
  struct tm t {};
  gmtime_r(&secs, &t);
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
                t.tm_min, t.tm_sec);
  return buf;
}

// "yyyymmdd-hh:mm:ss" (UTC) -> comparable "yyyymmddhhmmss"; empty if malformed.
std::string filterKey(const std::string& f) {
  if (f.size() < 17) return {};
  std::string k = f.substr(0, 8) + f.substr(9, 2) + f.substr(12, 2) + f.substr(15, 2);
  for (char c : k)
    if (c < '0' || c > '9') return {};
  return k;
}

}  // namespace

struct TwsEmulator::Impl : std::enable_shared_from_this<TwsEmulator::Impl> {
  struct Session {
    uint64_t id = 0;
    tcp::socket sock;
    std::array<char, 16 * 1024> rbuf{};
    std::string pre;  // bytes before the framed stream ("API\0")
    bool prefixDone = false;
    bool helloDone = false;
    bool apiStarted = false;
    int64_t clientId = -1;
    FrameDecoder frames;
    std::deque<std::string> outq;
    bool writing = false;
    bool open = true;
    explicit Session(asio::io_context& io) : sock(io) {}
  };

  struct Order {
    int64_t clientId = 0;
    OrderRequest req;
    Qty filled;
    __int128 notional = 0;
    Price lastFillPx;
    std::string status = "Submitted";
    int64_t permId = 0;
    bool working() const { return status == "Submitted" || status == "PreSubmitted"; }
  };

  struct Exec {
    ExecDetailsMsg msg;
    CommissionReportMsg commission;
    std::string timeKey;  // yyyymmddhhmmss UTC
  };

  struct Quote {
    std::optional<Price> bid, ask;
    Qty bidQty, askQty;
    bool operator==(const Quote&) const = default;
  };

  struct MdSub {
    uint64_t session = 0;
    int64_t reqId = 0;
    std::string key;
    bool rtVolume = false;  // generic tick 233 asked for
  };

  struct Tape {
    std::optional<Price> last;
    Qty lastQty;
    Qty volume;
    __int128 notional = 0;
  };

  explicit Impl(EmulatorConfig c) : cfg(std::move(c)), nextValidId(cfg.firstOrderId) {}

  EmulatorConfig cfg;
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;
  int boundPort = 0;
  bool running = false;

  // I/O thread state
  std::map<uint64_t, std::shared_ptr<Session>> sessions;
  uint64_t sessionSeq = 0;
  bool acceptOn = true;
  std::map<int64_t, Order> orders;
  std::vector<int64_t> newIds;
  std::vector<Exec> execs;
  std::map<std::string, Price> prices;
  int64_t nextValidId;
  int64_t permSeq = 900000;
  uint64_t execSeq = 0;
  std::optional<std::pair<int, std::string>> rejectNext;
  std::map<int, uint64_t> reqCounts;
  uint64_t bad = 0;
  uint64_t accepted = 0;
  std::map<std::string, Quote> quoteOverrides;
  std::map<std::string, Tape> tapes;
  std::vector<MdSub> mdSubs;

  // Runs f on the I/O thread and waits (or inline when not running).
  template <class F>
  auto onLoop(F f) -> decltype(f()) {
    if (!running || std::this_thread::get_id() == thread.get_id()) return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }

  // ---- connections ----

  void doAccept() {
    auto s = std::make_shared<Session>(io);
    acceptor->async_accept(s->sock, [this, s](const boost::system::error_code& ec) {
      if (ec) return;  // acceptor closed
      if (!acceptOn) {
        boost::system::error_code ignored;
        s->sock.close(ignored);
      } else {
        // Like a real TWS, answer without Nagle delays: messages are small
        // and written one by one.
        boost::system::error_code nd;
        s->sock.set_option(tcp::no_delay(true), nd);
        s->id = ++sessionSeq;
        ++accepted;
        sessions[s->id] = s;
        readMore(s);
      }
      doAccept();
    });
  }

  void closeSession(const std::shared_ptr<Session>& s) {
    if (!s->open) return;
    s->open = false;
    boost::system::error_code ec;
    s->sock.shutdown(tcp::socket::shutdown_both, ec);
    s->sock.close(ec);
    sessions.erase(s->id);
    std::erase_if(mdSubs, [&](const MdSub& m) { return m.session == s->id; });
  }

  void readMore(const std::shared_ptr<Session>& s) {
    s->sock.async_read_some(asio::buffer(s->rbuf),
                            [this, s](const boost::system::error_code& ec, size_t n) {
                              if (!s->open) return;
                              if (ec) return closeSession(s);
                              const char* p = s->rbuf.data();
                              if (!s->prefixDone) {
                                size_t take = std::min<size_t>(n, 4 - s->pre.size());
                                s->pre.append(p, take);
                                p += take;
                                n -= take;
                                if (s->pre.size() < 4) return readMore(s);
                                if (s->pre != std::string("API\0", 4)) {
                                  spdlog::warn("tws emulator: client did not send the API prefix");
                                  return closeSession(s);
                                }
                                s->prefixDone = true;
                              }
                              s->frames.feed(p, n);
                              std::string payload, error;
                              while (s->open) {
                                auto st = s->frames.next(payload, error);
                                if (st == FrameDecoder::Status::NeedMore) break;
                                if (st == FrameDecoder::Status::Error) {
                                  spdlog::warn("tws emulator: {}", error);
                                  return closeSession(s);
                                }
                                onFrame(s, payload);
                              }
                              if (s->open) readMore(s);
                            });
  }

  void send(const std::shared_ptr<Session>& s, std::string payload) {
    if (!s->open) return;
    s->outq.push_back(frame(payload));
    pump(s);
  }

  void pump(const std::shared_ptr<Session>& s) {
    if (s->writing || s->outq.empty() || !s->open) return;
    s->writing = true;
    asio::async_write(s->sock, asio::buffer(s->outq.front()),
                      [this, s](const boost::system::error_code& ec, size_t) {
                        s->writing = false;
                        if (ec) return closeSession(s);
                        s->outq.pop_front();
                        pump(s);
                      });
  }

  std::shared_ptr<Session> sessionFor(int64_t clientId) {
    for (auto& [id, s] : sessions)
      if (s->apiStarted && s->clientId == clientId) return s;
    return nullptr;
  }

  void sendError(const std::shared_ptr<Session>& s, int64_t id, int code, std::string text) {
    ErrorMsg e;
    e.id = id;
    e.code = code;
    e.text = std::move(text);
    send(s, encodeError(cfg.serverVersion, e));
  }

  // ---- requests ----

  void onFrame(const std::shared_ptr<Session>& s, const std::string& payload) {
    if (!s->helloDone) {
      auto range = parseClientVersionRange(payload);
      if (!range) {
        spdlog::warn("tws emulator: {}", range.error());
        return closeSession(s);
      }
      auto [lo, hi] = range.value();
      int v = std::min(cfg.serverVersion, hi);
      if (v < lo) {
        spdlog::warn("tws emulator: client range v{}..{} excludes server version {}", lo, hi,
                     cfg.serverVersion);
        return closeSession(s);
      }
      s->helloDone = true;
      send(s, encodeServerHello(
                  {cfg.serverVersion, fmtTime(wallNowNanos(), "%04d%02d%02d %02d:%02d:%02d UTC")}));
      return;
    }
    auto r = decodeRequest(cfg.serverVersion, payload);
    if (!r) {
      ++bad;
      spdlog::warn("tws emulator: bad request ({}): {}", r.error(), describe(payload));
      return sendError(s, -1, err::kServerReadError, "Error reading request. " + r.error());
    }
    std::visit([&](auto& m) { on(s, m); }, r.value());
  }

  void count(int id) { ++reqCounts[id]; }

  void on(const std::shared_ptr<Session>& s, const StartApiReq& m) {
    count(out::kStartApi);
    if (sessionFor(m.clientId)) {
      sendError(s, -1, err::kClientIdInUse,
                "Unable to connect as the client id is already in use. Retry with a unique "
                "client id.");
      return;
    }
    s->apiStarted = true;
    s->clientId = m.clientId;
    send(s, encodeNextValidId(nextValidId));
    send(s, encodeManagedAccounts(cfg.accounts));
    sendError(s, -1, 2104, "Market data farm connection is OK:usfarm");
  }

  bool requireApi(const std::shared_ptr<Session>& s) {
    if (s->apiStarted) return true;
    sendError(s, -1, err::kServerReadError, "Error reading request. API not started");
    return false;
  }

  std::string priceKey(const Contract& c) const {
    return !c.symbol.empty() ? c.symbol : "conid:" + std::to_string(c.conId);
  }

  OpenOrderMsg openOrderOf(int64_t id, const Order& o) const {
    OpenOrderMsg m;
    m.orderId = id;
    m.contract = o.req.contract;
    m.action = o.req.action;
    m.totalQuantity = o.req.totalQuantity;
    m.orderType = o.req.orderType;
    m.lmtPrice = o.req.lmtPrice;
    m.auxPrice = o.req.auxPrice;
    m.tif = o.req.tif;
    m.account = o.req.account.empty() ? cfg.accounts : o.req.account;
    m.orderRef = o.req.orderRef;
    m.clientId = o.clientId;
    m.permId = o.permId;
    m.outsideRth = o.req.outsideRth;
    m.openClose = o.req.openClose;
    return m;
  }

  OrderStatusMsg statusOf(int64_t id, const Order& o) const {
    OrderStatusMsg m;
    m.orderId = id;
    m.status = o.status;
    m.filled = o.filled;
    m.remaining = o.status == "Cancelled" ? Qty() : o.req.totalQuantity - o.filled;
    if (!o.filled.isZero()) m.avgFillPrice = averageFromRaw(o.notional, o.filled);
    m.permId = o.permId;
    if (!o.filled.isZero()) m.lastFillPrice = o.lastFillPx;
    m.clientId = o.clientId;
    return m;
  }

  void toOwner(int64_t clientId, const std::string& payload) {
    if (auto s = sessionFor(clientId)) send(s, payload);
  }

  void on(const std::shared_ptr<Session>& s, const PlaceOrderReq& m) {
    count(out::kPlaceOrder);
    if (!requireApi(s)) return;
    const OrderRequest& req = m.order;
    const int64_t id = req.orderId;
    auto it = orders.find(id);
    if (it != orders.end()) return modify(s, it->first, it->second, req);
    if (id <= 0) return sendError(s, id, err::kOrderRejected, "Order rejected - reason:invalid id");
    if (!req.totalQuantity.isPositive())
      return sendError(s, id, err::kOrderRejected, "Order rejected - reason:Invalid quantity");
    if ((req.orderType == "LMT" || req.orderType == "STP LMT") && !req.lmtPrice)
      return sendError(s, id, err::kOrderRejected, "Order rejected - reason:Missing limit price");
    if ((req.orderType == "STP" || req.orderType == "STP LMT") && !req.auxPrice)
      return sendError(s, id, err::kOrderRejected, "Order rejected - reason:Missing stop price");
    if (req.orderType != "MKT" && req.orderType != "LMT" && req.orderType != "STP" &&
        req.orderType != "STP LMT")
      return sendError(s, id, 387, "Unsupported order type: " + req.orderType);
    newIds.push_back(id);
    nextValidId = std::max(nextValidId, id + 1);
    Order o;
    o.clientId = s->clientId;
    o.req = req;
    o.permId = ++permSeq;
    if (rejectNext) {
      auto [code, text] = *rejectNext;
      rejectNext.reset();
      o.status = "Cancelled";
      orders.emplace(id, o);
      sendError(s, id, code, text);
      send(s, encodeOrderStatus(cfg.serverVersion, statusOf(id, o)));
      return;
    }
    if (!req.goodTillDate.empty() && !parseGoodTillDate(req.goodTillDate))
      return sendError(s, id, err::kOrderRejected,
                       "Order rejected - reason:invalid goodTillDate '" + req.goodTillDate + "'");
    if (req.tif == "GTD" && req.goodTillDate.empty())
      return sendError(s, id, err::kOrderRejected,
                       "Order rejected - reason:GTD order without goodTillDate");
    // An OPG order waits, PreSubmitted, for the (simulated) opening auction.
    if (req.tif == "OPG") o.status = "PreSubmitted";
    auto& stored = orders.emplace(id, std::move(o)).first->second;
    send(s, encodeOpenOrder(cfg.serverVersion, openOrderOf(id, stored)));
    send(s, encodeOrderStatus(cfg.serverVersion, statusOf(id, stored)));
    match(id);
  }

  void modify(const std::shared_ptr<Session>& s, int64_t id, Order& o, const OrderRequest& req) {
    if (o.clientId != s->clientId)
      return sendError(s, id, err::kDuplicateOrderId, "Duplicate order id");
    if (o.status == "Filled")
      return sendError(s, id, err::kCannotModifyFilled, "Can't modify a filled order.");
    if (!o.working())
      return sendError(s, id, err::kCancelNotCancellable,
                       "OrderId " + std::to_string(id) +
                           " that needs to be modified cannot be "
                           "modified, state: " +
                           o.status + ".");
    if (req.action != o.req.action || req.contract != o.req.contract ||
        req.orderType != o.req.orderType)
      return sendError(s, id, err::kModifyMismatch,
                       "Order being modified does not match original order");
    if (req.totalQuantity <= o.filled)
      return sendError(s, id, err::kOrderRejected,
                       "Order rejected - reason:quantity must exceed the filled quantity");
    if (rejectNext) {
      auto [code, text] = *rejectNext;
      rejectNext.reset();
      return sendError(s, id, code, text);
    }
    o.req = req;
    send(s, encodeOpenOrder(cfg.serverVersion, openOrderOf(id, o)));
    send(s, encodeOrderStatus(cfg.serverVersion, statusOf(id, o)));
    match(id);
  }

  void on(const std::shared_ptr<Session>& s, const CancelOrderReq& m) {
    count(out::kCancelOrder);
    if (!requireApi(s)) return;
    auto it = orders.find(m.orderId);
    if (it == orders.end() || it->second.clientId != s->clientId)
      return sendError(
          s, m.orderId, err::kCancelNotFound,
          "OrderId " + std::to_string(m.orderId) + " that needs to be cancelled is not found.");
    Order& o = it->second;
    if (!o.working())
      return sendError(s, m.orderId, err::kCancelNotCancellable,
                       "OrderId " + std::to_string(m.orderId) +
                           " that needs to be cancelled cannot be cancelled, state: " + o.status +
                           ".");
    o.status = "Cancelled";
    send(s, encodeOrderStatus(cfg.serverVersion, statusOf(m.orderId, o)));
    sendError(s, m.orderId, err::kOrderCanceled, "Order Canceled - reason:");
  }

  void listOpen(const std::shared_ptr<Session>& s, bool all) {
    for (const auto& [id, o] : orders) {
      if (!o.working() || (!all && o.clientId != s->clientId)) continue;
      send(s, encodeOpenOrder(cfg.serverVersion, openOrderOf(id, o)));
      send(s, encodeOrderStatus(cfg.serverVersion, statusOf(id, o)));
    }
    send(s, encodeOpenOrderEnd());
  }

  void on(const std::shared_ptr<Session>& s, const ReqOpenOrdersReq&) {
    count(out::kReqOpenOrders);
    if (requireApi(s)) listOpen(s, false);
  }
  void on(const std::shared_ptr<Session>& s, const ReqAllOpenOrdersReq&) {
    count(out::kReqAllOpenOrders);
    if (requireApi(s)) listOpen(s, true);
  }

  void on(const std::shared_ptr<Session>& s, const ReqExecutionsReq& m) {
    count(out::kReqExecutions);
    if (!requireApi(s)) return;
    const ExecutionFilter& f = m.filter;
    std::string since = filterKey(f.time);
    for (const Exec& e : execs) {
      const Execution& x = e.msg.exec;
      if (f.clientId != 0 && x.clientId != f.clientId) continue;
      if (!f.acctCode.empty() && x.acctNumber != f.acctCode) continue;
      if (!f.symbol.empty() && e.msg.contract.symbol != f.symbol) continue;
      if (!f.secType.empty() && e.msg.contract.secType != f.secType) continue;
      if (!f.side.empty() &&
          !((f.side == "BUY" && x.side == "BOT") || (f.side == "SELL" && x.side == "SLD")))
        continue;
      if (!since.empty() && e.timeKey < since) continue;
      ExecDetailsMsg msg = e.msg;
      msg.reqId = m.reqId;
      send(s, encodeExecDetails(cfg.serverVersion, msg));
      if (cfg.sendCommissionReports) send(s, encodeCommissionReport(e.commission));
    }
    send(s, encodeExecDetailsEnd(m.reqId));
  }

  void on(const std::shared_ptr<Session>& s, const ReqIdsReq&) {
    count(out::kReqIds);
    if (requireApi(s)) send(s, encodeNextValidId(nextValidId));
  }

  void on(const std::shared_ptr<Session>& s, const ReqCurrentTimeReq&) {
    count(out::kReqCurrentTime);
    send(s, encodeCurrentTime(wallNowNanos() / 1'000'000'000));
  }

  // ---- market data ----

  bool knows(const std::string& key) const {
    return prices.count(key) > 0 || quoteOverrides.count(key) > 0;
  }

  Quote quoteOf(const std::string& key) const {
    if (auto q = quoteOverrides.find(key); q != quoteOverrides.end()) return q->second;
    Quote q;
    auto p = prices.find(key);
    if (p == prices.end()) return q;
    q.bid = p->second - cfg.quoteHalfSpread;
    q.ask = p->second + cfg.quoteHalfSpread;
    q.bidQty = q.askQty = cfg.quoteSize;
    return q;
  }

  void sendTick(const MdSub& m, const std::string& payload) {
    auto it = sessions.find(m.session);
    if (it != sessions.end()) send(it->second, payload);
  }

  // The ticks that take a subscriber from quote a to quote b: a tickPrice
  // (with its size) where a price moved, a tickSize where only a size did.
  void sendQuoteDiff(const MdSub& m, const std::optional<Quote>& a, const Quote& b) {
    auto side = [&](int priceType, int sizeType, std::optional<Price> Quote::*px, Qty Quote::*qty) {
      const bool fresh = !a;
      if (fresh || (*a).*px != b.*px) {
        TickPriceMsg t;
        t.reqId = m.reqId;
        t.tickType = priceType;
        // A side with no quote goes out as IB documents it: price -1, size 0.
        t.price = b.*px ? *(b.*px) : Price::fromInt(-1);
        t.size = b.*px ? b.*qty : Qty();
        t.attrMask = b.*px ? 1 : 0;  // canAutoExecute on a real quote
        sendTick(m, encodeTickPrice(cfg.serverVersion, t));
      } else if ((*a).*qty != b.*qty) {
        TickSizeMsg t;
        t.reqId = m.reqId;
        t.tickType = sizeType;
        t.size = b.*qty;
        sendTick(m, encodeTickSize(cfg.serverVersion, t));
      }
    };
    side(tick::kBid, tick::kBidSize, &Quote::bid, &Quote::bidQty);
    side(tick::kAsk, tick::kAskSize, &Quote::ask, &Quote::askQty);
  }

  void publishQuote(const std::string& key, const Quote& before) {
    Quote now = quoteOf(key);
    if (now == before) return;
    for (const MdSub& m : mdSubs)
      if (m.key == key) sendQuoteDiff(m, before, now);
  }

  void sendLast(const MdSub& m, const Tape& t) {
    TickPriceMsg last;
    last.reqId = m.reqId;
    last.tickType = tick::kLast;
    last.price = t.last;
    last.size = t.lastQty;
    sendTick(m, encodeTickPrice(cfg.serverVersion, last));
    TickSizeMsg sz;
    sz.reqId = m.reqId;
    sz.tickType = tick::kLastSize;
    sz.size = t.lastQty;
    sendTick(m, encodeTickSize(cfg.serverVersion, sz));
    sz.tickType = tick::kVolume;
    sz.size = t.volume;
    sendTick(m, encodeTickSize(cfg.serverVersion, sz));
  }

  // Every execution is a print on the contract's tape, seen by every
  // subscriber (our own fills included, as on a real market).
  void publishTrade(const std::string& key, Price px, Qty qty, int64_t nowNanos) {
    Tape& t = tapes[key];
    t.last = px;
    t.lastQty = qty;
    t.volume += qty;
    t.notional += rawProduct(px, qty);
    for (const MdSub& m : mdSubs) {
      if (m.key != key) continue;
      sendLast(m, t);
      if (!m.rtVolume) continue;
      RtVolume rv;
      rv.price = px;
      rv.size = qty;
      rv.timeMs = nowNanos / 1'000'000;
      rv.totalVolume = t.volume;
      rv.vwap = averageFromRaw(t.notional, t.volume);
      rv.singleTrade = true;
      TickStringMsg ts;
      ts.reqId = m.reqId;
      ts.tickType = tick::kRtVolume;
      ts.value = formatRtVolume(cfg.serverVersion, rv);
      sendTick(m, encodeTickString(ts));
    }
  }

  void on(const std::shared_ptr<Session>& s, const ReqMktDataReq& m) {
    count(out::kReqMktData);
    if (!requireApi(s)) return;
    const MktDataRequest& q = m.req;
    const std::string key = priceKey(q.contract);
    for (const MdSub& x : mdSubs)
      if (x.session == s->id && x.reqId == q.reqId)
        return sendError(s, q.reqId, err::kDuplicateTickerId,
                         "Error processing request:-'bW' : cause - Duplicate ticker id");
    if (!knows(key))
      return sendError(s, q.reqId, err::kNoSecurityDefinition,
                       "No security definition has been found for the request");
    if (q.snapshot || q.regulatorySnapshot)
      return sendError(s, q.reqId, 321,
                       "Error validating request:-'bW' : cause - snapshots are not emulated");
    MdSub sub;
    sub.session = s->id;
    sub.reqId = q.reqId;
    sub.key = key;
    for (size_t pos = 0; pos <= q.genericTickList.size();) {
      size_t comma = q.genericTickList.find(',', pos);
      if (comma == std::string::npos) comma = q.genericTickList.size();
      if (q.genericTickList.substr(pos, comma - pos) == kRtVolumeGenericTick) sub.rtVolume = true;
      pos = comma + 1;
    }
    mdSubs.push_back(sub);
    send(s, encodeMarketDataType(q.reqId, 1 /*real time*/));
    sendQuoteDiff(sub, std::nullopt, quoteOf(key));
    if (auto t = tapes.find(key); t != tapes.end() && t->second.last) sendLast(sub, t->second);
  }

  void on(const std::shared_ptr<Session>& s, const CancelMktDataReq& m) {
    count(out::kCancelMktData);
    if (!requireApi(s)) return;
    auto n = std::erase_if(
        mdSubs, [&](const MdSub& x) { return x.session == s->id && x.reqId == m.reqId; });
    if (n == 0)
      sendError(s, m.reqId, err::kCantFindTickerId,
                "Can't find EId with tickerId:" + std::to_string(m.reqId));
  }

  void on(const std::shared_ptr<Session>&, const UnhandledReq& m) {
    count(m.msgId);
    spdlog::info("tws emulator: request {} not emulated", m.msgId);
  }

  // ---- matching ----

  // The price at which an order would trade now, if it is marketable.
  std::optional<Price> marketablePx(Order& o) {
    auto p = prices.find(priceKey(o.req.contract));
    if (p == prices.end()) return std::nullopt;
    Price px = p->second;
    bool buy = o.req.action == "BUY";
    const std::string& t = o.req.orderType;
    if (t == "STP" || t == "STP LMT") {
      bool triggered = buy ? px >= *o.req.auxPrice : px <= *o.req.auxPrice;
      if (!triggered) return std::nullopt;
      if (t == "STP") return px;
    }
    if (t == "MKT") return px;
    if (!o.req.lmtPrice) return std::nullopt;
    bool crosses = buy ? *o.req.lmtPrice >= px : *o.req.lmtPrice <= px;
    return crosses ? std::optional<Price>(px) : std::nullopt;
  }

  void match(int64_t id) {
    if (!cfg.autoFill) return;
    auto it = orders.find(id);
    if (it == orders.end() || !it->second.working()) return;
    Order& o = it->second;
    if (o.req.tif == "OPG") return;  // trades only in openAuction()
    auto px = marketablePx(o);
    Qty remaining = o.req.totalQuantity - o.filled;
    if (!px) {
      if (o.req.tif == "IOC" || o.req.tif == "FOK") expire(id, o);
      return;
    }
    Qty chunk = cfg.maxFillQty.isPositive() ? minQty(cfg.maxFillQty, remaining) : remaining;
    if (o.req.tif == "FOK" && chunk < remaining) return expire(id, o);
    execute(id, o, chunk, *px);
    if (o.working()) {
      if (o.req.tif == "IOC") return expire(id, o);
      // Next chunk on a later turn, so partial fills arrive as separate events.
      asio::post(io, [this, id] { match(id); });
    }
  }

  // The opening auction: every working OPG order that is marketable at its
  // contract's price trades in full there, one execution; the rest are
  // cancelled, as TWS cancels an OPG order the open did not fill.
  size_t openAuction() {
    size_t traded = 0;
    for (auto& [id, o] : orders) {
      if (!o.working() || o.req.tif != "OPG") continue;
      o.status = "Submitted";
      auto px = marketablePx(o);
      if (!px) {
        expire(id, o);
        continue;
      }
      execute(id, o, o.req.totalQuantity - o.filled, *px);
      ++traded;
    }
    return traded;
  }

  // GTD orders whose goodTillDate is at or before unixSeconds are cancelled,
  // as TWS does when the date passes.
  size_t expireGoodTillDate(int64_t unixSeconds) {
    size_t n = 0;
    for (auto& [id, o] : orders) {
      if (!o.working() || o.req.tif != "GTD") continue;
      auto t = parseGoodTillDate(o.req.goodTillDate);
      if (!t || *t > unixSeconds) continue;
      expire(id, o, "Order Canceled - reason:GTD order expired at " + o.req.goodTillDate);
      ++n;
    }
    return n;
  }

  void expire(int64_t id, Order& o, std::string text = {}) {
    o.status = "Cancelled";
    toOwner(o.clientId, encodeOrderStatus(cfg.serverVersion, statusOf(id, o)));
    ErrorMsg e;
    e.id = id;
    e.code = err::kOrderCanceled;
    e.text = !text.empty() ? std::move(text)
                           : "Order Canceled - reason:" + o.req.tif + " order not fully marketable";
    toOwner(o.clientId, encodeError(cfg.serverVersion, e));
  }

  void execute(int64_t id, Order& o, Qty qty, Price px) {
    o.filled += qty;
    o.notional += rawProduct(px, qty);
    o.lastFillPx = px;
    if (o.filled >= o.req.totalQuantity) o.status = "Filled";
    int64_t now = wallNowNanos();
    Exec e;
    e.timeKey = fmtTime(now, "%04d%02d%02d%02d%02d%02d");
    ExecDetailsMsg& m = e.msg;
    m.reqId = -1;
    m.orderId = id;
    m.contract = o.req.contract;
    Execution& x = m.exec;
    char buf[64];
    std::snprintf(buf, sizeof buf, "0000e0d5.%08llx.%02llu.01", static_cast<unsigned long long>(id),
                  static_cast<unsigned long long>(++execSeq));
    x.execId = buf;
    x.time = fmtTime(now, "%04d%02d%02d  %02d:%02d:%02d");
    x.acctNumber = o.req.account.empty() ? cfg.accounts : o.req.account;
    x.exchange = o.req.contract.exchange == "SMART" ? "NASDAQ" : o.req.contract.exchange;
    x.side = o.req.action == "BUY" ? "BOT" : "SLD";
    x.shares = qty;
    x.price = px;
    x.permId = o.permId;
    x.clientId = o.clientId;
    x.cumQty = o.filled;
    x.avgPrice = averageFromRaw(o.notional, o.filled);
    x.orderRef = o.req.orderRef;
    x.lastLiquidity = 2;
    CommissionReportMsg& c = e.commission;
    c.execId = x.execId;
    Price comm = Price::fromMantissa(static_cast<int64_t>(
        static_cast<__int128>(cfg.commissionPerShare.mantissa()) * qty.mantissa() / kOne));
    c.commission = std::max(comm, cfg.minCommission);
    c.currency = o.req.contract.currency.empty() ? "USD" : o.req.contract.currency;
    // realizedPnl, yield: unset (sent as TWS's unset double).
    execs.push_back(e);
    toOwner(o.clientId, encodeOrderStatus(cfg.serverVersion, statusOf(id, o)));
    toOwner(o.clientId, encodeExecDetails(cfg.serverVersion, m));
    if (cfg.sendCommissionReports) toOwner(o.clientId, encodeCommissionReport(c));
    publishTrade(priceKey(o.req.contract), px, qty, now);
  }
};

TwsEmulator::TwsEmulator(EmulatorConfig cfg) : impl_(std::make_shared<Impl>(std::move(cfg))) {
  if (impl_->cfg.serverVersion < kMinClientVersion || impl_->cfg.serverVersion > kMaxClientVersion)
    throw std::invalid_argument("tws emulator: server version must be " +
                                std::to_string(kMinClientVersion) + ".." +
                                std::to_string(kMaxClientVersion));
}

TwsEmulator::~TwsEmulator() { stop(); }

void TwsEmulator::start() {
  Impl& d = *impl_;
  if (d.running) return;
  tcp::endpoint ep(asio::ip::make_address(d.cfg.bindAddress), static_cast<uint16_t>(d.cfg.port));
  d.acceptor = std::make_unique<tcp::acceptor>(d.io);
  boost::system::error_code ec;
  d.acceptor->open(ep.protocol(), ec);
  if (!ec) d.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) d.acceptor->bind(ep, ec);
  if (!ec) d.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("tws emulator: cannot listen on " + d.cfg.bindAddress + ":" +
                             std::to_string(d.cfg.port) + ": " + ec.message());
  d.boundPort = d.acceptor->local_endpoint().port();
  d.doAccept();
  d.running = true;
  d.thread = std::thread([&d] {
    auto guard = asio::make_work_guard(d.io);
    d.io.run();
  });
}

void TwsEmulator::stop() {
  Impl& d = *impl_;
  if (!d.running) return;
  d.onLoop([&d] {
    boost::system::error_code ec;
    d.acceptor->close(ec);
    auto all = d.sessions;
    for (auto& [id, s] : all) d.closeSession(s);
    d.io.stop();
    return 0;
  });
  d.thread.join();
  d.running = false;
}

int TwsEmulator::port() const { return impl_->boundPort; }
int TwsEmulator::serverVersion() const { return impl_->cfg.serverVersion; }

void TwsEmulator::setPrice(const std::string& key, Price px) {
  Impl& d = *impl_;
  d.onLoop([&] {
    Impl::Quote before = d.quoteOf(key);
    d.prices[key] = px;
    d.publishQuote(key, before);
    std::vector<int64_t> ids;
    for (auto& [id, o] : d.orders)
      if (o.working() && d.priceKey(o.req.contract) == key) ids.push_back(id);
    for (int64_t id : ids) d.match(id);
    return 0;
  });
}

void TwsEmulator::setQuote(const std::string& key, std::optional<Price> bid, Qty bidQty,
                           std::optional<Price> ask, Qty askQty) {
  Impl& d = *impl_;
  d.onLoop([&] {
    Impl::Quote before = d.quoteOf(key);
    d.quoteOverrides[key] = Impl::Quote{bid, ask, bid ? bidQty : Qty(), ask ? askQty : Qty()};
    d.publishQuote(key, before);
    return 0;
  });
}

void TwsEmulator::setAutoFill(bool on) {
  impl_->onLoop([&] {
    impl_->cfg.autoFill = on;
    return 0;
  });
}

void TwsEmulator::setMaxFillQty(Qty q) {
  impl_->onLoop([&] {
    impl_->cfg.maxFillQty = q;
    return 0;
  });
}

bool TwsEmulator::fillOrder(int64_t orderId, Qty qty, std::optional<Price> px) {
  Impl& d = *impl_;
  return d.onLoop([&] {
    auto it = d.orders.find(orderId);
    if (it == d.orders.end() || !it->second.working() || !qty.isPositive()) return false;
    auto& o = it->second;
    Qty q = minQty(qty, o.req.totalQuantity - o.filled);
    Price p = px ? *px : o.req.lmtPrice ? *o.req.lmtPrice : d.prices[d.priceKey(o.req.contract)];
    d.execute(orderId, o, q, p);
    return true;
  });
}

void TwsEmulator::rejectNextOrder(int code, std::string text) {
  impl_->onLoop([&] {
    impl_->rejectNext = std::make_pair(code, text);
    return 0;
  });
}

void TwsEmulator::sendError(int64_t id, int code, std::string text) {
  Impl& d = *impl_;
  d.onLoop([&] {
    for (auto& [sid, s] : d.sessions)
      if (s->apiStarted) d.sendError(s, id, code, text);
    return 0;
  });
}

void TwsEmulator::sendRaw(std::string payload) {
  Impl& d = *impl_;
  d.onLoop([&] {
    for (auto& [sid, s] : d.sessions)
      if (s->apiStarted) d.send(s, payload);
    return 0;
  });
}

void TwsEmulator::dropConnections() {
  Impl& d = *impl_;
  d.onLoop([&] {
    auto all = d.sessions;
    for (auto& [id, s] : all) d.closeSession(s);
    return 0;
  });
}

void TwsEmulator::setAcceptConnections(bool on) {
  impl_->onLoop([&] {
    impl_->acceptOn = on;
    return 0;
  });
}

void TwsEmulator::setNextValidId(int64_t id) {
  impl_->onLoop([&] {
    impl_->nextValidId = id;
    return 0;
  });
}

std::vector<TwsEmulator::OrderView> TwsEmulator::orders() const {
  Impl& d = *impl_;
  return d.onLoop([&] {
    std::vector<OrderView> out;
    for (const auto& [id, o] : d.orders) {
      OrderView v;
      v.orderId = id;
      v.clientId = o.clientId;
      v.orderRef = o.req.orderRef;
      v.action = o.req.action;
      v.orderType = o.req.orderType;
      v.tif = o.req.tif;
      v.symbol = d.priceKey(o.req.contract);
      v.qty = o.req.totalQuantity;
      v.filled = o.filled;
      v.lmtPrice = o.req.lmtPrice;
      v.auxPrice = o.req.auxPrice;
      v.status = o.status;
      v.openClose = o.req.openClose;
      v.rule80A = o.req.rule80A;
      v.minQty = o.req.minQty;
      v.displaySize = o.req.displaySize;
      v.goodTillDate = o.req.goodTillDate;
      v.cashQty = o.req.cashQty;
      v.duration = o.req.duration;
      v.postToAts = o.req.postToAts;
      out.push_back(std::move(v));
    }
    return out;
  });
}

size_t TwsEmulator::expireGoodTillDate(int64_t unixSeconds) {
  return impl_->onLoop([&] { return impl_->expireGoodTillDate(unixSeconds); });
}

size_t TwsEmulator::openAuction() {
  return impl_->onLoop([&] { return impl_->openAuction(); });
}

std::optional<TwsEmulator::OrderView> TwsEmulator::order(int64_t orderId) const {
  for (auto& v : orders())
    if (v.orderId == orderId) return v;
  return std::nullopt;
}

std::vector<int64_t> TwsEmulator::newOrderIds() const {
  return impl_->onLoop([&] { return impl_->newIds; });
}

size_t TwsEmulator::connectedClients() const {
  Impl& d = *impl_;
  return d.onLoop([&] {
    size_t n = 0;
    for (auto& [id, s] : d.sessions) n += s->apiStarted ? 1 : 0;
    return n;
  });
}

uint64_t TwsEmulator::connectionsAccepted() const {
  return impl_->onLoop([&] { return impl_->accepted; });
}

uint64_t TwsEmulator::requestsReceived(int msgId) const {
  return impl_->onLoop([&] {
    auto it = impl_->reqCounts.find(msgId);
    return it == impl_->reqCounts.end() ? uint64_t{0} : it->second;
  });
}

uint64_t TwsEmulator::badRequests() const {
  return impl_->onLoop([&] { return impl_->bad; });
}

size_t TwsEmulator::executions() const {
  return impl_->onLoop([&] { return impl_->execs.size(); });
}

}  // namespace fixgw::tws

namespace fixgw::tws {
size_t TwsEmulator::marketDataSubscriptions() const {
  return impl_->onLoop([&] { return impl_->mdSubs.size(); });
}
}  // namespace fixgw::tws
