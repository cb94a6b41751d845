#include "venue_adapters/ibkr_tws/adapter.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "venue_adapters/ibkr_tws/pg_order_id_store.h"

namespace fixgw::tws {

namespace asio = boost::asio;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// ---- FileOrderIdStore ----

int64_t FileOrderIdStore::load() {
  std::ifstream in(path_);
  if (!in) return 0;
  std::string s;
  in >> s;
  if (s.empty()) return 0;
  int64_t v = 0;
  try {
    size_t n = 0;
    v = std::stoll(s, &n);
    if (n != s.size() || v < 0) throw std::invalid_argument("bad");
  } catch (const std::exception&) {
    throw std::runtime_error("order id file " + path_ + ": expected a non-negative integer, got '" +
                             s + "'");
  }
  return v;
}

void FileOrderIdStore::save(int64_t id) {
  std::string tmp = path_ + ".tmp";
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);  // first use in a new folder
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw std::runtime_error("order id file " + tmp +
                             ": cannot open for writing: " + std::strerror(errno));
  std::string text = std::to_string(id) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path_.c_str()) != 0)
    throw std::runtime_error("order id file " + path_ + ": cannot write");
}

// ---- the adapter ----

namespace {

std::string sideToAction(Side s) { return s == Side::Buy ? "BUY" : "SELL"; }

std::string tifToTws(TimeInForce t) {
  switch (t) {
    case TimeInForce::Day:
      return "DAY";
    case TimeInForce::Gtc:
      return "GTC";
    case TimeInForce::Ioc:
      return "IOC";
    case TimeInForce::Fok:
      return "FOK";
    case TimeInForce::AtTheOpening:
      return "OPG";
    case TimeInForce::GoodTillDate:
      return "GTD";
  }
  return "DAY";
}

// TWS order types for ours: the trigger goes in auxPrice, the limit in lmtPrice.
const char* orderTypeToTws(OrdType t) {
  switch (t) {
    case OrdType::Market:
      return "MKT";
    case OrdType::Limit:
      return "LMT";
    case OrdType::Stop:
      return "STP";
    case OrdType::StopLimit:
      return "STP LMT";
  }
  return "LMT";
}

std::optional<OrdType> orderTypeFromTws(const std::string& t) {
  if (t == "MKT") return OrdType::Market;
  if (t == "LMT") return OrdType::Limit;
  if (t == "STP") return OrdType::Stop;
  if (t == "STP LMT") return OrdType::StopLimit;
  return std::nullopt;
}

// "yyyymmdd-hh:mm:ss" in UTC, the execution filter's time format.
std::string filterTime(WallNanos t) {
  time_t secs = static_cast<time_t>(t / 1'000'000'000);
  struct tm tmv {};
  gmtime_r(&secs, &tmv);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d", tmv.tm_year + 1900, tmv.tm_mon + 1,
                tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec);
  return buf;
}

// IB's Rule 80A codes (Order.rule80A) are the FIX Rule80A (47) letters for
// the order origins IB takes: A agency, I individual, W agent for other
// member, and their program-trading forms J U M (index arbitrage) and
// K Y N (non-index arbitrage).
bool isIbRule80A(char c) {
  static constexpr std::string_view kCodes = "AIWJUMKYN";
  return kCodes.find(c) != std::string_view::npos;
}

// The order attributes (issue 14) onto placeOrder. Returns the reason an
// attribute cannot be sent to IB, naming its FIX tag; empty when all went on.
std::string applyAttributes(const OrderAttributes& a, TimeInForce tif, int serverVersion,
                            OrderRequest& req) {
  if (a.postOnly)
    return "ExecInst (18) value 6 (participate don't initiate / post-only) is not supported "
           "by IBKR TWS API stock orders";
  if (a.rule80A) {
    if (!isIbRule80A(*a.rule80A))
      return std::string("Rule80A (47) value '") + *a.rule80A + "' has no IB Rule 80A code";
    req.rule80A = std::string(1, *a.rule80A);
  } else if (a.orderCapacity) {
    // FIX OrderCapacity (528) -> IB Rule 80A: agency, individual and agent for
    // other member map one to one; IB has no code for principal, proprietary
    // or riskless principal.
    switch (*a.orderCapacity) {
      case 'A':
      case 'I':
      case 'W':
        req.rule80A = std::string(1, *a.orderCapacity);
        break;
      default:
        return std::string("OrderCapacity (528) value '") + *a.orderCapacity +
               "' has no IB Rule 80A code (IB takes A, I, W)";
    }
  }
  if (a.positionEffect) {
    if (*a.positionEffect != 'O' && *a.positionEffect != 'C')
      return std::string("PositionEffect (77) value '") + *a.positionEffect +
             "' is not supported by IB (O open, C close)";
    req.openClose = std::string(1, *a.positionEffect);
  }
  // LocateReqd (114): the TWS API has no locate field for stock orders; IB
  // locates shares itself before it takes a short sale. Accepted, not sent.
  if (a.minQty) {
    if (!a.minQty->isPositive() || !a.minQty->isMultipleOf(Qty::fromInt(1)))
      return "MinQty (110) " + a.minQty->str() + " must be a positive whole number of shares";
    req.minQty = a.minQty->mantissa() / kOne;
  }
  if (a.maxFloor) {
    if (!a.maxFloor->isPositive() || !a.maxFloor->isMultipleOf(Qty::fromInt(1)))
      return "MaxFloor (111) " + a.maxFloor->str() + " must be a positive whole number of shares";
    req.displaySize = a.maxFloor->mantissa() / kOne;
  }
  if (tif == TimeInForce::GoodTillDate) {
    if (a.expireTime <= 0)
      return "TimeInForce GTD (59=6) without ExpireTime (126) or ExpireDate (432)";
    req.goodTillDate = formatGoodTillDate(serverVersion, a.expireTime);
  }
  return {};
}

bool isInfoCode(int code) {
  // 2100-2199: data farm / connection status notices; 399: order warning
  // (e.g. "will not be placed until market open"); 10167: delayed data notice.
  return (code >= 2100 && code < 2200) || code == err::kOrderMessageWarning || code == 10167;
}

enum class OutKind { Other, Place, Modify, Cancel };

struct Outgoing {
  std::string bytes;  // framed
  OutKind kind = OutKind::Other;
  int64_t orderId = 0;
  uint64_t seq = 0;
};

struct OrderState {
  ChildOrderId childId;
  int64_t ibId = 0;
  Symbol symbol;
  Side side = Side::Buy;
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  Qty qty;
  Qty cum;
  std::optional<Price> price;
  std::optional<Price> stopPx;
  Account account;
  OrderAttributes attrs;  // sent again on every modify: TWS matches them
  bool accepted = false;
  bool terminal = false;
  bool adopted = false;  // learnt from TWS (previous life), not placed by us now
  bool pendingCancel = false;
  bool pendingReplace = false;
  Qty replaceQty;
  std::optional<Price> replacePrice;
  std::optional<Price> replaceStopPx;
  uint64_t sentSeq = 0;  // enqueue sequence of the latest placeOrder
  std::string lastError;
};

struct SyncState {
  int64_t execReqId = 0;
  uint64_t startSeq = 0;  // messages enqueued before this were seen by TWS first
  bool openDone = false;
  bool execDone = false;
  bool emitFills = false;
  std::set<int64_t> listedOpen;
  std::vector<VenueFill> fills;
};

}  // namespace

struct TwsVenue::Impl {
  Impl(VenueId venueId, TwsConfig config, const InstrumentMaster& instruments, const Clock& c,
       std::unique_ptr<OrderIdStore> store)
      : id(std::move(venueId)),
        cfg(std::move(config)),
        clock(c),
        ids(std::move(store)),
        rng(std::random_device{}()) {
    for (const auto& [sym, inst] : instruments.all()) {
      auto r = contractFor(inst, id.str());
      if (!r) throw std::invalid_argument("venue " + id.str() + ": " + r.error());
      contracts.emplace(sym, r.value());
    }
  }

  // ---- immutable ----
  const VenueId id;
  const TwsConfig cfg;
  const Clock& clock;
  std::unique_ptr<OrderIdStore> ids;
  std::map<Symbol, Contract> contracts;

  // ---- lifecycle (guarded by lifeMu) ----
  std::mutex lifeMu;
  std::unique_ptr<asio::io_context> io;
  std::thread thread;
  VenueEventSink* sink = nullptr;

  // ---- published for other threads (guarded by pubMu) ----
  mutable std::mutex pubMu;
  bool pubConnected = false;
  int pubServerVersion = 0;
  std::unordered_map<std::string, Commission> commissions;
  std::unordered_map<std::string, int64_t> pubChildToIb;
  std::atomic<uint64_t> decodeErrorCount{0};
  std::atomic<uint64_t> syncCount{0};

  // ---- I/O thread only ----
  enum class State { Idle, Connecting, Handshake, AwaitNextId, Live };
  State state = State::Idle;
  bool closing = false;
  uint64_t gen = 0;  // connection generation; stale callbacks compare against it
  std::unique_ptr<tcp::socket> sock;
  std::unique_ptr<tcp::resolver> resolver;
  std::unique_ptr<asio::steady_timer> watchdog, reconnectTimer, pacingTimer;
  std::array<char, 64 * 1024> rbuf{};
  FrameDecoder frames;
  bool helloSeen = false;
  int serverVersion = 0;
  SteadyClock::time_point phaseStart, lastRx, lastHeartbeat, nextSendAt;
  std::deque<Outgoing> outq;
  bool writing = false;
  uint64_t enqSeq = 0;
  int attempts = 0;
  bool downEmitted = false;
  bool everLive = false;
  bool ibLinkDown = false;
  std::mt19937_64 rng;

  int64_t nextId = 1;

  int64_t reservedThrough = 0;  // ids up to here are persisted as used

  static constexpr int64_t kIdBlock = 64;
  std::unordered_map<int64_t, OrderState> orders;  // by TWS order id
  std::unordered_map<std::string, int64_t> childToIb;
  std::unordered_set<std::string> seenExecs;
  // Fills waiting for their commissionReport, and the events behind them, per child order.
  struct HeldEvent {
    VenueEvent event;
    bool waiting = false;  // a fill still without its commission
    SteadyClock::time_point deadline;
  };
  std::unordered_map<std::string, std::deque<HeldEvent>> heldFills;
  std::unordered_map<std::string, std::string> heldExecs;  // execId -> child id
  WallNanos lastExecWall = 0;
  bool firstSyncDone = false;
  std::optional<SyncState> sync;
  bool resyncWanted = false;
  int64_t reqSeq = 1000;
  std::vector<std::pair<WallNanos, std::function<void(VenueSnapshot)>>> pendingSnapshots;

  // ---- market data ----
  // Who wants which symbol (any thread, under mdMu). Deliveries hold mdMu
  // while they call sinks, so once unsubscribeMarketData has removed a sink
  // it is never called again; recursive because a sink may unsubscribe from
  // inside its own callback.
  std::recursive_mutex mdMu;
  std::map<Symbol, std::vector<MarketDataSink*>> mdSinks;
  std::map<std::string, std::string> pubMdErrors;  // symbol -> why TWS refused it (pubMu)
  std::map<std::string, Price> pubRefPx;           // symbol -> last trade (pubMu)

  // I/O thread: one reqMktData per symbol per connection. Ticker ids live in
  // their own range so an error's id never reads as an order id.
  static constexpr int64_t kMdReqBase = 1'000'000'000;
  struct Feed {
    int64_t reqId = 0;  // 0: not requested on this connection
    TopOfBook book;
    TopOfBook sent;
    bool sentAny = false;
    bool dirty = false;
  };
  std::map<Symbol, Feed> feeds;
  std::unordered_map<int64_t, Symbol> feedByReq;
  int64_t mdReqSeq = kMdReqBase;

  // ---------------------------------------------------------------- helpers

  void emit(VenueEvent e) {
    e.venue = id;
    e.venueTime = clock.wallNow();
    // An order's events stay in order: behind a fill waiting for its commission.
    if (!e.childId.empty()) {
      if (auto it = heldFills.find(e.childId.str()); it != heldFills.end()) {
        it->second.push_back(HeldEvent{std::move(e), false, {}});
        return;
      }
    }
    deliver(std::move(e));
  }

  void deliver(VenueEvent e) {
    if (sink) sink->onVenueEvent(std::move(e));
  }

  // ---- fees: a fill waits for its commissionReport (docs/ibkr_tws.md "Commissions")

  // A fill from execDetails: booked with its commission, which TWS sends
  // right after it; held until then, or until commissionWaitMs has passed
  // (then booked without a fee). Later events of the same order queue behind
  // it, so the engine never sees a cancel before the fill that preceded it.
  void emitFill(VenueEvent e) {
    const std::string execId = e.venueExecId.str();
    {
      std::lock_guard lk(pubMu);
      if (auto c = commissions.find(execId); c != commissions.end()) {
        // Already known (a commission can come first on a resend): booked at once.
        e.fee = Qty::fromMantissa(c->second.amount.mantissa());
        e.feeCurrency = c->second.currency;
      }
    }
    if (e.fee || cfg.commissionWaitMs <= 0) return emit(std::move(e));
    e.venue = id;
    e.venueTime = clock.wallNow();
    const std::string child = e.childId.str();
    heldFills[child].push_back(HeldEvent{
        std::move(e), true, SteadyClock::now() + std::chrono::milliseconds(cfg.commissionWaitMs)});
    heldExecs[execId] = child;
  }

  // Delivers the front of a child's queue while it is not a fill still waiting.
  void releaseHeld(const std::string& child, bool force, const char* why) {
    auto it = heldFills.find(child);
    if (it == heldFills.end()) return;
    auto& q = it->second;
    const auto now = SteadyClock::now();
    while (!q.empty() && (!q.front().waiting || force || q.front().deadline <= now)) {
      HeldEvent h = std::move(q.front());
      q.pop_front();
      if (h.waiting) {
        heldExecs.erase(h.event.venueExecId.str());
        spdlog::warn("[{}] no commissionReport for execution {} ({}): fill booked without a fee",
                     id.str(), h.event.venueExecId.str(), why);
      }
      deliver(std::move(h.event));
    }
    if (q.empty()) heldFills.erase(it);
  }

  // Watchdog tick and connection loss: fills whose wait is over go without a fee.
  void releaseDueFills(bool force, const char* why) {
    if (heldFills.empty()) return;
    std::vector<std::string> children;
    for (const auto& [child, q] : heldFills) children.push_back(child);
    for (const auto& c : children) releaseHeld(c, force, why);
  }

  VenueEvent orderEvent(VenueEventKind k, const OrderState& o, std::string text = {}) {
    VenueEvent e;
    e.kind = k;
    e.childId = o.childId;
    e.venueOrderId = VenueOrderId(std::to_string(o.ibId));
    e.cumQty = o.cum;
    e.leavesQty = (o.terminal || o.cum >= o.qty) ? Qty() : o.qty - o.cum;
    e.text = std::move(text);
    return e;
  }

  void publishConnected(bool c) {
    std::lock_guard lk(pubMu);
    pubConnected = c;
    pubServerVersion = serverVersion;
  }

  // ------------------------------------------------------------- connection

  void startConnect() {
    if (closing) return;
    ++gen;
    state = State::Connecting;
    helloSeen = false;
    feeds.clear();  // a new connection (also after stop/start) has no subscriptions yet
    feedByReq.clear();
    frames = FrameDecoder();
    phaseStart = SteadyClock::now();
    sock = std::make_unique<tcp::socket>(*io);
    resolver = std::make_unique<tcp::resolver>(*io);
    uint64_t g = gen;
    armWatchdog();
    resolver->async_resolve(
        cfg.host, std::to_string(cfg.port),
        [this, g](const boost::system::error_code& ec, tcp::resolver::results_type res) {
          if (g != gen || closing) return;
          if (ec) return connectionLost("cannot resolve " + cfg.host + ": " + ec.message());
          asio::async_connect(
              *sock, res, [this, g](const boost::system::error_code& ec2, const tcp::endpoint&) {
                if (g != gen || closing) return;
                if (ec2)
                  return connectionLost("cannot connect to " + cfg.host + ":" +
                                        std::to_string(cfg.port) + ": " + ec2.message());
                onConnected();
              });
        });
  }

  void onConnected() {
    boost::system::error_code ec;
    sock->set_option(tcp::no_delay(true), ec);
    state = State::Handshake;
    phaseStart = lastRx = SteadyClock::now();
    // The hello is not a message of the session: it bypasses the pacing queue.
    auto hello = std::make_shared<std::string>(
        encodeClientHello(cfg.minVersion, cfg.maxVersion, std::string_view{}));
    uint64_t g = gen;
    asio::async_write(*sock, asio::buffer(*hello),
                      [this, g, hello](const boost::system::error_code& e, size_t) {
                        if (g != gen || closing) return;
                        if (e) connectionLost("handshake write failed: " + e.message());
                      });
    readMore();
  }

  void readMore() {
    uint64_t g = gen;
    sock->async_read_some(
        asio::buffer(rbuf), [this, g](const boost::system::error_code& ec, size_t n) {
          if (g != gen || closing) return;
          if (ec) {
            return connectionLost(ec == asio::error::eof ? "TWS closed the connection"
                                                         : "read failed: " + ec.message());
          }
          lastRx = SteadyClock::now();
          frames.feed(rbuf.data(), n);
          std::string payload, error;
          while (true) {
            auto st = frames.next(payload, error);
            if (st == FrameDecoder::Status::NeedMore) break;
            if (st == FrameDecoder::Status::Error)
              return connectionLost("stream out of sync: " + error);
            onFrame(payload);
            if (g != gen || closing) return;  // the frame closed the connection
          }
          // Ticks that arrived together (bid and ask) make one book update.
          flushBooks();
          readMore();
        });
  }

  // Every socket read is bounded: in the handshake by connect_timeout_ms, on a
  // live link by twice heartbeat_s of silence (a reqCurrentTime goes out after
  // heartbeat_s, so a healthy TWS always answers in time).
  void armWatchdog() {
    uint64_t g = gen;
    watchdog->expires_after(std::chrono::milliseconds(100));
    watchdog->async_wait([this, g](const boost::system::error_code& ec) {
      if (ec || g != gen || closing) return;
      releaseDueFills(false, "commission_wait_ms passed");
      auto now = SteadyClock::now();
      auto hb = std::chrono::seconds(cfg.heartbeatSec);
      if (state != State::Live) {
        if (now - phaseStart > std::chrono::milliseconds(cfg.connectTimeoutMs))
          return connectionLost("connect/handshake timed out after " +
                                std::to_string(cfg.connectTimeoutMs) + " ms");
      } else {
        if (now - lastRx > 2 * hb)
          return connectionLost("no message from TWS for " + std::to_string(2 * cfg.heartbeatSec) +
                                " s");
        if (now - lastRx > hb && now - lastHeartbeat > hb) {
          lastHeartbeat = now;
          enqueue(encodeReqCurrentTime());
        }
      }
      armWatchdog();
    });
  }

  void connectionLost(const std::string& why) {
    if (closing) return;
    bool wasLive = state == State::Live;
    spdlog::warn("[{}] TWS connection lost: {}", id.str(), why);
    ++gen;
    state = State::Idle;
    closeSocket();
    publishConnected(false);
    releaseDueFills(true, "connection lost");  // fills before the Disconnected they preceded
    failQueued(why);
    sync.reset();
    // TWS forgets a connection's subscriptions; they are asked for again
    // when the next session goes live. Until then the market is unknown:
    // sinks get an empty book rather than keep trading on a stale one.
    std::vector<std::pair<Symbol, TopOfBook>> blank;
    for (auto& [sym, f] : feeds) {
      if (!f.sentAny || (!f.sent.bidPx && !f.sent.askPx)) continue;
      TopOfBook b;
      b.venue = id;
      b.symbol = sym;
      b.time = clock.wallNow();
      blank.emplace_back(sym, std::move(b));
    }
    feeds.clear();
    feedByReq.clear();
    for (const auto& [sym, b] : blank) deliverBook(sym, b);
    if (!downEmitted) {
      downEmitted = true;
      VenueEvent e;
      e.kind = VenueEventKind::Disconnected;
      e.text = why;
      emit(std::move(e));
    }
    if (wasLive) attempts = 0;
    scheduleReconnect();
  }

  void closeSocket() {
    boost::system::error_code ec;
    if (resolver) resolver->cancel();
    if (sock) {
      sock->shutdown(tcp::socket::shutdown_both, ec);
      sock->close(ec);
    }
    if (watchdog) watchdog->cancel();
    if (pacingTimer) pacingTimer->cancel();
    writing = false;
  }

  void scheduleReconnect() {
    // min * 2^attempts, capped, then scaled by a random 50-100% so many
    // clients restarting together do not reconnect in lockstep.
    double base = static_cast<double>(cfg.reconnectMinMs);
    for (int i = 0; i < attempts && base < cfg.reconnectMaxMs; ++i) base *= 2;
    base = std::min(base, static_cast<double>(cfg.reconnectMaxMs));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    auto delay = std::max<int64_t>(1, static_cast<int64_t>(base * jitter(rng)));
    ++attempts;
    spdlog::info("[{}] reconnecting to TWS in {} ms", id.str(), delay);
    reconnectTimer->expires_after(std::chrono::milliseconds(delay));
    reconnectTimer->async_wait([this](const boost::system::error_code& ec) {
      if (ec || closing) return;
      startConnect();
    });
  }

  // Requests that never reached TWS are answered now, so no order hangs.
  void failQueued(const std::string& why) {
    auto q = std::move(outq);
    outq.clear();
    for (auto& m : q) {
      auto it = orders.find(m.orderId);
      if (it == orders.end()) continue;
      OrderState& o = it->second;
      if (m.kind == OutKind::Place) {
        o.terminal = true;
        emit(orderEvent(VenueEventKind::Rejected, o, "not sent to TWS: " + why));
      } else if (m.kind == OutKind::Modify) {
        o.pendingReplace = false;
        emit(orderEvent(VenueEventKind::ReplaceRejected, o, "not sent to TWS: " + why));
      } else if (m.kind == OutKind::Cancel) {
        o.pendingCancel = false;
        emit(orderEvent(VenueEventKind::CancelRejected, o, "not sent to TWS: " + why));
      }
    }
  }

  // --------------------------------------------------------------- sending

  uint64_t enqueue(std::string payload, OutKind kind = OutKind::Other, int64_t orderId = 0) {
    Outgoing m{frame(payload), kind, orderId, ++enqSeq};
    outq.push_back(std::move(m));
    pump();
    return enqSeq;
  }

  void pump() {
    if (writing || outq.empty() || !sock || state == State::Idle || state == State::Connecting)
      return;
    auto now = SteadyClock::now();
    if (now < nextSendAt) {
      uint64_t g = gen;
      pacingTimer->expires_at(nextSendAt);
      pacingTimer->async_wait([this, g](const boost::system::error_code& ec) {
        if (ec || g != gen || closing) return;
        pump();
      });
      return;
    }
    auto interval = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / cfg.pacingMsgsPerSec));
    nextSendAt = now + interval;
    writing = true;
    uint64_t g = gen;
    asio::async_write(*sock, asio::buffer(outq.front().bytes),
                      [this, g](const boost::system::error_code& ec, size_t) {
                        if (g != gen || closing) return;
                        writing = false;
                        if (ec) return connectionLost("write failed: " + ec.message());
                        outq.pop_front();
                        pump();
                      });
  }

  // --------------------------------------------------------------- receiving

  void onFrame(const std::string& payload) {
    if (!helloSeen) {
      auto h = decodeServerHello(payload);
      if (!h) return connectionLost(h.error());
      if (h.value().serverVersion < cfg.minVersion || h.value().serverVersion > cfg.maxVersion)
        return connectionLost(
            "TWS chose server version " + std::to_string(h.value().serverVersion) + ", outside v" +
            std::to_string(cfg.minVersion) + ".." + std::to_string(cfg.maxVersion));
      helloSeen = true;
      serverVersion = h.value().serverVersion;
      spdlog::info("[{}] TWS server version {} ({})", id.str(), serverVersion,
                   h.value().connectionTime);
      state = State::AwaitNextId;
      phaseStart = SteadyClock::now();
      nextSendAt = SteadyClock::now();
      enqueue(encodeStartApi(serverVersion, cfg.clientId, ""));
      return;
    }
    auto r = decodeIncoming(serverVersion, payload);
    if (!r) {
      decodeErrorCount.fetch_add(1);
      spdlog::error("[{}] undecodable TWS message ({}): {}", id.str(), r.error(),
                    describe(payload));
      return;
    }
    std::visit([this](auto& m) { on(m); }, r.value());
  }

  void on(const NextValidIdMsg& m) {
    int64_t stored = 0;
    try {
      stored = ids->load();
    } catch (const std::exception& e) {
      spdlog::error("[{}] {}", id.str(), e.what());
      return connectionLost(std::string("cannot read order id store: ") + e.what());
    }
    nextId = std::max({nextId, m.orderId, stored + 1});
    reservedThrough = std::max(reservedThrough, stored);
    if (state != State::AwaitNextId) return;
    state = State::Live;
    lastHeartbeat = SteadyClock::now();
    publishConnected(true);
    spdlog::info("[{}] TWS session live, next order id {}", id.str(), nextId);
    if (downEmitted) {
      downEmitted = false;
      VenueEvent e;
      e.kind = VenueEventKind::Reconnected;
      e.text = "TWS session re-established (server version " + std::to_string(serverVersion) + ")";
      emit(std::move(e));
    }
    everLive = true;
    attempts = 0;
    startSync();
    requestAllFeeds();
  }

  void on(const OrderStatusMsg& m) {
    auto it = orders.find(m.orderId);
    if (it == orders.end()) return;
    OrderState& o = it->second;
    if (o.adopted && m.filled > o.cum) o.cum = m.filled;
    const std::string& s = m.status;
    if (s == "Submitted" || s == "PreSubmitted") {
      if (!o.accepted && !o.terminal) {
        o.accepted = true;
        emit(orderEvent(VenueEventKind::Accepted, o));
      }
    } else if (s == "Cancelled" || s == "ApiCancelled") {
      finishCanceled(o, o.lastError);
    } else if (s == "Inactive") {
      if (!o.accepted && !o.terminal) {
        o.terminal = true;
        emit(orderEvent(VenueEventKind::Rejected, o,
                        o.lastError.empty() ? "order inactive at TWS" : o.lastError));
      }
    }
  }

  void finishCanceled(OrderState& o, const std::string& text) {
    if (o.terminal) return;
    o.terminal = true;
    if (!o.accepted && !o.pendingCancel) {
      emit(orderEvent(VenueEventKind::Rejected, o,
                      text.empty() ? "canceled by TWS before acceptance" : text));
      return;
    }
    // TWS reports the end of an IOC/FOK remainder, an OPG order the open did
    // not fill and a GTD order past its date as Cancelled; nobody asked for
    // it, so it is an expiry (ExecType C), as the other venues report it.
    const bool timeInForceEnd =
        !o.pendingCancel &&
        (o.tif == TimeInForce::Ioc || o.tif == TimeInForce::Fok ||
         o.tif == TimeInForce::AtTheOpening || o.tif == TimeInForce::GoodTillDate);
    o.pendingCancel = false;
    if (o.pendingReplace) {
      o.pendingReplace = false;
      emit(orderEvent(VenueEventKind::ReplaceRejected, o, "order canceled"));
    }
    emit(orderEvent(timeInForceEnd ? VenueEventKind::Expired : VenueEventKind::Canceled, o, text));
  }

  std::optional<Symbol> symbolFor(const Contract& c) const {
    for (const auto& [sym, k] : contracts) {
      if (c.conId != 0 && k.conId == c.conId) return sym;
      if (k.symbol == c.symbol && k.secType == c.secType && !c.symbol.empty() &&
          k.lastTradeDateOrContractMonth == c.lastTradeDateOrContractMonth && k.right == c.right)
        return sym;
    }
    return std::nullopt;
  }

  void on(const OpenOrderMsg& m) {
    if (sync) sync->listedOpen.insert(m.orderId);
    nextId = std::max(nextId, m.orderId + 1);
    auto it = orders.find(m.orderId);
    if (it == orders.end()) {
      if (m.orderRef.empty()) return;  // not ours
      OrderState o;
      o.childId = ChildOrderId(m.orderRef);
      o.ibId = m.orderId;
      o.symbol = symbolFor(m.contract).value_or(Symbol(m.contract.symbol));
      o.side = m.action == "BUY" ? Side::Buy : Side::Sell;
      if (auto t = orderTypeFromTws(m.orderType)) {
        o.ordType = *t;
      } else {
        // Ours (it carries our orderRef) but changed in TWS to a type we do not model: it is
        // tracked for its fills and cancels; prices stay as TWS reports them.
        spdlog::warn("[{}] open order {} has TWS order type '{}', tracked as a limit order",
                     id.str(), m.orderId, m.orderType);
      }
      o.qty = m.totalQuantity;
      o.price = m.lmtPrice;
      o.stopPx = m.auxPrice;
      o.account = Account(m.account);
      o.accepted = true;
      o.adopted = true;
      childToIb[m.orderRef] = m.orderId;
      {
        std::lock_guard lk(pubMu);
        pubChildToIb[m.orderRef] = m.orderId;
      }
      orders.emplace(m.orderId, std::move(o));
      spdlog::info("[{}] adopted open TWS order {} (orderRef {})", id.str(), m.orderId, m.orderRef);
      return;
    }
    OrderState& o = it->second;
    if (o.pendingReplace && m.totalQuantity == o.replaceQty &&
        (!hasLimitPrice(o.ordType) || m.lmtPrice == o.replacePrice) &&
        (!hasStopPrice(o.ordType) || m.auxPrice == o.replaceStopPx)) {
      o.pendingReplace = false;
      o.qty = o.replaceQty;
      if (hasLimitPrice(o.ordType)) o.price = o.replacePrice;
      if (hasStopPrice(o.ordType)) o.stopPx = o.replaceStopPx;
      if (!o.accepted) {
        o.accepted = true;
        emit(orderEvent(VenueEventKind::Accepted, o));
      }
      VenueEvent e = orderEvent(VenueEventKind::Replaced, o);
      e.newQty = o.qty;
      e.newPrice = o.price;
      emit(std::move(e));
    }
  }

  void on(const ExecDetailsMsg& m) {
    const Execution& x = m.exec;
    if (!seenExecs.insert(x.execId).second) return;  // already booked
    lastExecWall = std::max(lastExecWall, clock.wallNow());
    auto it = orders.find(m.orderId);
    if (it == orders.end() && !x.orderRef.empty()) {
      auto c = childToIb.find(x.orderRef);
      if (c != childToIb.end()) it = orders.find(c->second);
    }
    bool fromSync = m.reqId >= 0 && sync && m.reqId == sync->execReqId;
    if (fromSync && (!x.orderRef.empty() || it != orders.end())) {
      VenueFill f;
      f.childId = it != orders.end() ? it->second.childId : ChildOrderId(x.orderRef);
      f.venueOrderId = VenueOrderId(std::to_string(m.orderId));
      f.venueExecId = VenueExecId(x.execId);
      f.symbol = it != orders.end() ? it->second.symbol
                                    : symbolFor(m.contract).value_or(Symbol(m.contract.symbol));
      f.side = x.side == "BOT" ? Side::Buy : Side::Sell;
      f.qty = x.shares;
      f.px = x.price;
      f.time = clock.wallNow();
      sync->fills.push_back(std::move(f));
    }
    if (it == orders.end()) {
      spdlog::info("[{}] execution {} for unknown TWS order {} ignored", id.str(), x.execId,
                   m.orderId);
      return;
    }
    OrderState& o = it->second;
    // Fills of orders from a previous life found at start-up are reported
    // through the snapshot, not replayed as events.
    if (fromSync && !sync->emitFills && o.adopted) return;
    if (!o.accepted) {
      o.accepted = true;
      emit(orderEvent(VenueEventKind::Accepted, o));
    }
    o.cum += x.shares;
    if (o.cum >= o.qty) o.terminal = true;
    VenueEvent e = orderEvent(VenueEventKind::Fill, o);
    e.venueExecId = VenueExecId(x.execId);
    e.lastQty = x.shares;
    e.lastPx = x.price;
    emitFill(std::move(e));
  }

  void on(const ExecDetailsEndMsg& m) {
    if (sync && m.reqId == sync->execReqId) {
      sync->execDone = true;
      maybeFinishSync();
    }
  }

  void on(const OpenOrderEndMsg&) {
    if (sync) {
      sync->openDone = true;
      maybeFinishSync();
    }
  }

  void on(const CommissionReportMsg& m) {
    spdlog::info("[{}] commission {} {} for execution {}", id.str(), m.commission.str(), m.currency,
                 m.execId);
    {
      std::lock_guard lk(pubMu);
      commissions[m.execId] = Commission{m.commission, m.currency};
    }
    auto h = heldExecs.find(m.execId);
    if (h == heldExecs.end()) return;  // booked already (or not ours): kept for commission()
    const std::string child = h->second;
    heldExecs.erase(h);
    if (auto q = heldFills.find(child); q != heldFills.end())
      for (HeldEvent& ev : q->second)
        if (ev.waiting && ev.event.venueExecId.str() == m.execId) {
          ev.event.fee = Qty::fromMantissa(m.commission.mantissa());
          ev.event.feeCurrency = m.currency;
          ev.waiting = false;
        }
    releaseHeld(child, false, "");
  }

  void on(const CurrentTimeMsg&) {}
  void on(const ManagedAccountsMsg& m) {
    spdlog::info("[{}] TWS managed accounts: {}", id.str(), m.accounts);
  }
  void on(const UnhandledMsg& m) {  // marketDataType (58) among others
    spdlog::debug("[{}] TWS message {} ignored", id.str(), m.msgId);
  }

  void on(const ErrorMsg& m) {
    const std::string text = "TWS error " + std::to_string(m.code) + ": " + m.text;
    if (m.id >= kMdReqBase) {
      auto f = feedByReq.find(m.id);
      if (f != feedByReq.end()) return onFeedError(f->second, m.code, text);
    }
    if (m.id > 0) {
      auto it = orders.find(m.id);
      if (it != orders.end()) return onOrderError(it->second, m.code, text);
    }
    switch (m.code) {
      case err::kConnectivityLost:
        spdlog::warn("[{}] {}", id.str(), text);
        if (!ibLinkDown) {
          ibLinkDown = true;
          VenueEvent e;
          e.kind = VenueEventKind::Disconnected;
          e.text = text;
          emit(std::move(e));
        }
        return;
      case err::kRestoredDataLost:
      case err::kRestoredDataMaintained:
        spdlog::info("[{}] {}", id.str(), text);
        if (ibLinkDown) {
          ibLinkDown = false;
          VenueEvent e;
          e.kind = VenueEventKind::Reconnected;
          e.text = text;
          emit(std::move(e));
        }
        startSync();  // fills may have happened while TWS was cut off
        return;
      case err::kClientIdInUse:
        spdlog::error("[{}] {} (client_id {})", id.str(), text, cfg.clientId);
        return connectionLost(text);
      default:
        if (isInfoCode(m.code))
          spdlog::debug("[{}] {}", id.str(), text);
        else
          spdlog::warn("[{}] {} (id {})", id.str(), text, m.id);
    }
  }

  // ------------------------------------------------------------ market data

  bool hasSinks(const Symbol& sym) {
    std::lock_guard lk(mdMu);
    auto it = mdSinks.find(sym);
    return it != mdSinks.end() && !it->second.empty();
  }

  void requestAllFeeds() {
    std::vector<Symbol> syms;
    {
      std::lock_guard lk(mdMu);
      for (const auto& [sym, sinks] : mdSinks)
        if (!sinks.empty()) syms.push_back(sym);
    }
    for (const auto& sym : syms) ensureFeed(sym, nullptr);
  }

  // Requests the symbol if this connection has not; a sink joining a feed
  // that already has a book gets that book now.
  void ensureFeed(const Symbol& sym, MarketDataSink* joining) {
    if (state != State::Live || !hasSinks(sym)) return;
    auto [it, fresh] = feeds.try_emplace(sym);
    Feed& f = it->second;
    if (!fresh) {
      if (joining && f.sentAny) deliverBook(sym, f.sent, joining);
      return;
    }
    f.reqId = ++mdReqSeq;
    f.book.venue = id;
    f.book.symbol = sym;
    MktDataRequest r;
    r.reqId = f.reqId;
    r.contract = contracts.at(sym);
    r.genericTickList = std::string(kRtVolumeGenericTick);  // trades as RTVolume
    auto payload = encodeReqMktData(serverVersion, r);
    if (!payload) {
      feeds.erase(it);
      return feedFailed(sym, payload.error());
    }
    feedByReq[r.reqId] = sym;
    spdlog::info("[{}] market data for {}: reqMktData ticker {}", id.str(), sym.str(), r.reqId);
    enqueue(std::move(payload.value()));
  }

  // The last sink left: cancel at TWS.
  void dropFeedIfUnused(const Symbol& sym) {
    if (hasSinks(sym)) return;
    auto it = feeds.find(sym);
    if (it == feeds.end()) return;
    if (state == State::Live) enqueue(encodeCancelMktData(it->second.reqId));
    feedByReq.erase(it->second.reqId);
    feeds.erase(it);
  }

  void feedFailed(const Symbol& sym, const std::string& why) {
    spdlog::error("[{}] market data for {} refused: {}", id.str(), sym.str(), why);
    {
      std::lock_guard lk(pubMu);
      pubMdErrors[sym.str()] = why;
    }
    std::lock_guard lk(mdMu);
    mdSinks.erase(sym);  // nobody is called for it again
  }

  void onFeedError(const Symbol& sym, int code, const std::string& text) {
    if (code == err::kDelayedMarketData || code == err::kPartlySubscribedData || isInfoCode(code)) {
      spdlog::info("[{}] market data for {}: {}", id.str(), sym.str(), text);
      return;
    }
    auto it = feeds.find(sym);
    if (it != feeds.end()) {
      feedByReq.erase(it->second.reqId);
      feeds.erase(it);
    }
    feedFailed(sym, "symbol '" + sym.str() + "': " + text);
  }

  Feed* feedOf(int64_t reqId) {
    auto s = feedByReq.find(reqId);
    if (s == feedByReq.end()) return nullptr;  // a late tick after cancelMktData
    auto f = feeds.find(s->second);
    return f == feeds.end() ? nullptr : &f->second;
  }

  void on(const TickPriceMsg& m) {
    Feed* f = feedOf(m.reqId);
    if (!f) return;
    // A side without a quote comes as the unset double or, as IB documents
    // for tickPrice, a price of -1, or 0 with a size of 0: that side is empty.
    const bool none = !m.price || *m.price == Price::fromInt(-1) ||
                      (m.price->isZero() && (!m.size || m.size->isZero()));
    auto side = [&](std::optional<Price>& px, Qty& qty) {
      px = none ? std::nullopt : m.price;
      if (none)
        qty = Qty();
      else if (m.size)
        qty = *m.size;
      f->dirty = true;
    };
    if (m.tickType == tick::kBid) side(f->book.bidPx, f->book.bidQty);
    if (m.tickType == tick::kAsk) side(f->book.askPx, f->book.askQty);
  }

  void on(const TickSizeMsg& m) {
    Feed* f = feedOf(m.reqId);
    if (!f || !m.size) return;  // an unset size says nothing new
    if (m.tickType == tick::kBidSize && f->book.bidPx) {
      f->book.bidQty = *m.size;
      f->dirty = true;
    } else if (m.tickType == tick::kAskSize && f->book.askPx) {
      f->book.askQty = *m.size;
      f->dirty = true;
    }
  }

  void on(const TickStringMsg& m) {
    if (m.tickType != tick::kRtVolume) return;
    Feed* f = feedOf(m.reqId);
    if (!f) return;
    auto rv = parseRtVolume(m.value);
    if (!rv) {
      decodeErrorCount.fetch_add(1);
      spdlog::error("[{}] tickString for {}: {}", id.str(), f->book.symbol.str(), rv.error());
      return;
    }
    if (!rv.value().price) return;  // a volume-only update, not a print
    Trade t;
    t.venue = id;
    t.symbol = f->book.symbol;
    t.price = *rv.value().price;
    t.qty = rv.value().size;
    t.time = rv.value().timeMs * 1'000'000;
    {
      std::lock_guard lk(pubMu);
      pubRefPx[t.symbol.str()] = t.price;
    }
    std::lock_guard lk(mdMu);
    auto it = mdSinks.find(t.symbol);
    if (it == mdSinks.end()) return;
    const auto sinks = it->second;  // a sink may unsubscribe from inside onTrade
    for (MarketDataSink* s : sinks)
      if (stillSubscribed(t.symbol, s)) s->onTrade(t);
  }

  bool stillSubscribed(const Symbol& sym, MarketDataSink* s) {
    auto it = mdSinks.find(sym);  // caller holds mdMu
    return it != mdSinks.end() &&
           std::find(it->second.begin(), it->second.end(), s) != it->second.end();
  }

  // To one sink (a late joiner) or to all of the symbol's sinks.
  void deliverBook(const Symbol& sym, const TopOfBook& b, MarketDataSink* only = nullptr) {
    std::lock_guard lk(mdMu);
    auto it = mdSinks.find(sym);
    if (it == mdSinks.end()) return;
    const auto sinks = it->second;
    for (MarketDataSink* s : sinks)
      if ((!only || s == only) && stillSubscribed(sym, s)) s->onBook(b);
  }

  void flushBooks() {
    std::vector<std::pair<Symbol, TopOfBook>> out;
    for (auto& [sym, f] : feeds) {
      if (!f.dirty) continue;
      f.dirty = false;
      if (f.sentAny && f.book.sameBook(f.sent)) continue;
      f.book.time = clock.wallNow();
      f.sent = f.book;
      f.sentAny = true;
      out.emplace_back(sym, f.book);
    }
    for (const auto& [sym, b] : out) deliverBook(sym, b);
  }

  void onOrderError(OrderState& o, int code, const std::string& text) {
    if (isInfoCode(code)) {
      spdlog::info("[{}] order {}: {}", id.str(), o.ibId, text);
      return;
    }
    o.lastError = text;
    if (code == err::kOrderCanceled) return finishCanceled(o, text);
    if (code == err::kCancelNotFound || code == err::kCancelNotCancellable ||
        code == err::kNotCancellableState) {
      if (o.pendingCancel) {
        o.pendingCancel = false;
        emit(orderEvent(VenueEventKind::CancelRejected, o, text));
      }
      return;
    }
    if (o.terminal) return;
    if (o.pendingReplace) {
      o.pendingReplace = false;
      emit(orderEvent(VenueEventKind::ReplaceRejected, o, text));
      return;
    }
    if (!o.accepted) {
      o.terminal = true;
      emit(orderEvent(VenueEventKind::Rejected, o, text));
      return;
    }
    spdlog::warn("[{}] order {}: {}", id.str(), o.ibId, text);
  }

  // ----------------------------------------------------------- reconciliation

  void startSync() {
    if (state != State::Live) return;
    if (sync) {
      resyncWanted = true;
      return;
    }
    SyncState s;
    s.execReqId = ++reqSeq;
    s.emitFills = firstSyncDone;
    ExecutionFilter f;
    f.clientId = cfg.clientId;
    f.acctCode = cfg.account;
    WallNanos since = 0;
    for (const auto& p : pendingSnapshots)
      if (since == 0 || (p.first > 0 && p.first < since)) since = p.first;
    // After a reconnect ask from a minute before the last execution we saw
    // (clock skew margin); duplicates are dropped by execId.
    if (firstSyncDone && lastExecWall > 0) {
      WallNanos t = lastExecWall - 60'000'000'000LL;
      since = since == 0 ? t : std::min(since, t);
    }
    if (!pendingSnapshots.empty() && std::any_of(pendingSnapshots.begin(), pendingSnapshots.end(),
                                                 [](auto& p) { return p.first <= 0; }))
      since = 0;
    if (since > 0) f.time = filterTime(since);
    s.startSeq = enqSeq + 1;
    sync = std::move(s);
    enqueue(encodeReqOpenOrders());
    enqueue(encodeReqExecutions(serverVersion, sync->execReqId, f));
  }

  void maybeFinishSync() {
    if (!sync || !sync->openDone || !sync->execDone) return;
    SyncState s = std::move(*sync);
    sync.reset();
    // An order TWS saw before our request but no longer lists is done: its
    // fills were booked above; what is left was canceled while we were away.
    if (firstSyncDone) {
      for (auto& [ibId, o] : orders) {
        if (o.terminal || s.listedOpen.count(ibId) || o.sentSeq >= s.startSeq) continue;
        if (o.cum >= o.qty) {
          o.terminal = true;
          continue;
        }
        if (o.pendingCancel || o.accepted)
          finishCanceled(o, "no longer open at TWS after reconnect");
        else {
          o.terminal = true;
          emit(orderEvent(VenueEventKind::Rejected, o, "not known to TWS after reconnect"));
        }
      }
    }
    firstSyncDone = true;
    syncCount.fetch_add(1);
    if (!pendingSnapshots.empty()) {
      VenueSnapshot snap;
      snap.ok = true;
      for (const auto& [ibId, o] : orders) {
        if (!s.listedOpen.count(ibId)) continue;
        VenueOrderState st;
        st.childId = o.childId;
        st.venueOrderId = VenueOrderId(std::to_string(ibId));
        st.symbol = o.symbol;
        st.side = o.side;
        st.qty = o.qty;
        st.cumQty = o.cum;
        st.price = o.price;
        st.open = !o.terminal;
        snap.orders.push_back(std::move(st));
      }
      snap.fills = std::move(s.fills);
      auto cbs = std::move(pendingSnapshots);
      pendingSnapshots.clear();
      for (auto& [since, cb] : cbs) cb(snap);
    }
    if (resyncWanted) {
      resyncWanted = false;
      startSync();
    }
  }

  // ---------------------------------------------------------------- requests

  void doSubmit(const VenueNewOrder& n) {
    OrderState o;
    o.childId = n.childId;
    o.symbol = n.symbol;
    o.side = n.side;
    o.ordType = n.ordType;
    o.tif = n.tif;
    o.qty = n.qty;
    o.price = hasLimitPrice(n.ordType) ? n.price : std::nullopt;
    o.stopPx = hasStopPrice(n.ordType) ? n.stopPx : std::nullopt;
    o.account = n.account;
    o.attrs = n.attrs;
    auto reject = [&](const std::string& why) {
      VenueEvent e;
      e.kind = VenueEventKind::Rejected;
      e.childId = n.childId;
      e.leavesQty = Qty();
      e.text = why;
      emit(std::move(e));
    };
    if (state != State::Live) return reject("not connected to TWS");
    if (childToIb.count(n.childId.str()))
      return reject("duplicate child order id " + n.childId.str());
    auto c = contracts.find(n.symbol);
    if (c == contracts.end())
      return reject("symbol " + n.symbol.str() + " not in instrument master");
    if (hasLimitPrice(n.ordType) && !n.price) return reject("limit order without price");
    if (hasStopPrice(n.ordType) && !n.stopPx) return reject("stop order without stop price");
    if (!n.qty.isPositive()) return reject("quantity must be positive");
    OrderRequest req;
    req.contract = c->second;
    req.action = sideToAction(n.side);
    req.totalQuantity = n.qty;
    req.orderType = orderTypeToTws(n.ordType);
    req.lmtPrice = o.price;
    req.auxPrice = o.stopPx;
    req.tif = tifToTws(n.tif);
    req.account = !cfg.account.empty() ? cfg.account : n.account.str();
    req.orderRef = n.childId.str();
    req.outsideRth = cfg.outsideRth;
    req.orderId = nextId;
    if (auto why = applyAttributes(n.attrs, n.tif, serverVersion, req); !why.empty())
      return reject(why);
    auto payload = encodePlaceOrder(serverVersion, req);
    if (!payload) return reject(payload.error());
    // Ids are reserved in blocks: the mark persisted before an id reaches TWS
    // is the end of its block, so one durable write covers kIdBlock orders and
    // a restart skips (never re-uses) whatever of the block was not sent.
    if (req.orderId > reservedThrough) {
      const int64_t through = req.orderId + kIdBlock - 1;
      try {
        ids->save(through);
      } catch (const std::exception& e) {
        spdlog::error("[{}] {}", id.str(), e.what());
        return reject(std::string("order id not persisted: ") + e.what());
      }
      reservedThrough = through;
    }
    ++nextId;
    o.ibId = req.orderId;
    childToIb[n.childId.str()] = o.ibId;
    {
      std::lock_guard lk(pubMu);
      pubChildToIb[n.childId.str()] = o.ibId;
    }
    auto& stored = orders[o.ibId] = std::move(o);
    stored.sentSeq = enqueue(std::move(payload.value()), OutKind::Place, stored.ibId);
  }

  OrderState* findOrder(const ChildOrderId& child, const VenueOrderId& vid) {
    auto c = childToIb.find(child.str());
    int64_t ib = 0;
    if (c != childToIb.end()) {
      ib = c->second;
    } else if (!vid.empty()) {
      try {
        ib = std::stoll(vid.str());
      } catch (const std::exception&) {
        return nullptr;
      }
    }
    auto it = orders.find(ib);
    return it == orders.end() ? nullptr : &it->second;
  }

  void doCancel(const VenueCancel& c) {
    OrderState* o = findOrder(c.childId, c.venueOrderId);
    auto refuse = [&](const std::string& why) {
      VenueEvent e;
      e.kind = VenueEventKind::CancelRejected;
      e.childId = c.childId;
      e.venueOrderId = c.venueOrderId;
      e.text = why;
      if (o) e = orderEvent(VenueEventKind::CancelRejected, *o, why);
      emit(std::move(e));
    };
    if (!o) return refuse("unknown order");
    if (o->terminal) return refuse("order already done");
    if (state != State::Live) return refuse("not connected to TWS");
    if (o->pendingCancel) return refuse("cancel already pending");
    o->pendingCancel = true;
    enqueue(encodeCancelOrder(serverVersion, o->ibId), OutKind::Cancel, o->ibId);
  }

  void doReplace(const VenueReplace& r) {
    OrderState* o = findOrder(r.childId, r.venueOrderId);
    auto refuse = [&](const std::string& why) {
      VenueEvent e;
      e.kind = VenueEventKind::ReplaceRejected;
      e.childId = r.childId;
      e.venueOrderId = r.venueOrderId;
      e.text = why;
      if (o) e = orderEvent(VenueEventKind::ReplaceRejected, *o, why);
      emit(std::move(e));
    };
    if (!o) return refuse("unknown order");
    if (o->terminal) return refuse("order already done");
    if (state != State::Live) return refuse("not connected to TWS");
    if (o->pendingReplace || o->pendingCancel) return refuse("another change is pending");
    if (r.newQty <= o->cum) return refuse("new quantity must exceed the filled quantity");
    if (hasLimitPrice(o->ordType) && !r.newPrice && !o->price)
      return refuse("limit order without price");
    if (hasStopPrice(o->ordType) && !r.newStopPx && !o->stopPx)
      return refuse("stop order without stop price");
    auto c = contracts.find(o->symbol);
    if (c == contracts.end())
      return refuse("symbol " + o->symbol.str() + " not in instrument master");
    OrderRequest req;
    req.orderId = o->ibId;
    req.contract = c->second;
    req.action = sideToAction(o->side);
    req.totalQuantity = r.newQty;
    req.orderType = orderTypeToTws(o->ordType);
    req.lmtPrice = hasLimitPrice(o->ordType) ? (r.newPrice ? r.newPrice : o->price) : std::nullopt;
    req.auxPrice =
        hasStopPrice(o->ordType) ? (r.newStopPx ? r.newStopPx : o->stopPx) : std::nullopt;
    req.tif = tifToTws(o->tif);
    req.account = !cfg.account.empty() ? cfg.account : o->account.str();
    req.orderRef = o->childId.str();
    req.outsideRth = cfg.outsideRth;
    if (auto why = applyAttributes(o->attrs, o->tif, serverVersion, req); !why.empty())
      return refuse(why);
    auto payload = encodePlaceOrder(serverVersion, req);
    if (!payload) return refuse(payload.error());
    o->pendingReplace = true;
    o->replaceQty = r.newQty;
    o->replacePrice = req.lmtPrice;
    o->replaceStopPx = req.auxPrice;
    o->sentSeq = enqueue(std::move(payload.value()), OutKind::Modify, o->ibId);
  }

  template <class F>
  bool post(F&& f) {
    std::lock_guard lk(lifeMu);
    if (!io) return false;
    asio::post(*io, std::forward<F>(f));
    return true;
  }
};

TwsVenue::TwsVenue(VenueId id, TwsConfig cfg, const InstrumentMaster& instruments,
                   const Clock& clock, std::unique_ptr<OrderIdStore> ids)
    : impl_(std::make_unique<Impl>(std::move(id), std::move(cfg), instruments, clock,
                                   ids ? std::move(ids) : std::make_unique<MemoryOrderIdStore>())) {
}

TwsVenue::~TwsVenue() { stop(); }

const VenueId& TwsVenue::id() const { return impl_->id; }

void TwsVenue::start(VenueEventSink& sink) {
  std::lock_guard lk(impl_->lifeMu);
  if (impl_->io) return;
  Impl* d = impl_.get();
  d->sink = &sink;
  d->io = std::make_unique<asio::io_context>();
  d->closing = false;
  d->watchdog = std::make_unique<asio::steady_timer>(*d->io);
  d->reconnectTimer = std::make_unique<asio::steady_timer>(*d->io);
  d->pacingTimer = std::make_unique<asio::steady_timer>(*d->io);
  asio::post(*d->io, [d] { d->startConnect(); });
  d->thread = std::thread([d] {
    auto guard = asio::make_work_guard(*d->io);
    d->io->run();
  });
}

void TwsVenue::stop() {
  Impl* d = impl_.get();
  std::unique_ptr<asio::io_context> io;
  {
    std::lock_guard lk(d->lifeMu);
    if (!d->io) return;
    asio::post(*d->io, [d] {
      d->releaseDueFills(true, "venue stopping");  // booked without a fee rather than lost
      d->closing = true;
      ++d->gen;
      d->closeSocket();
      if (d->reconnectTimer) d->reconnectTimer->cancel();
      d->state = Impl::State::Idle;
      d->publishConnected(false);
      auto cbs = std::move(d->pendingSnapshots);
      d->pendingSnapshots.clear();
      for (auto& [since, cb] : cbs) {
        VenueSnapshot s;
        s.error = "venue " + d->id.str() + " stopped before TWS answered";
        cb(std::move(s));
      }
      d->io->stop();
    });
  }
  if (d->thread.joinable()) d->thread.join();
  std::lock_guard lk(d->lifeMu);
  d->sock.reset();
  d->resolver.reset();
  d->watchdog.reset();
  d->reconnectTimer.reset();
  d->pacingTimer.reset();
  d->outq.clear();
  d->writing = false;
  d->sync.reset();
  d->io.reset();
}

void TwsVenue::submit(const VenueNewOrder& o) {
  Impl* d = impl_.get();
  if (!d->post([d, o] { d->doSubmit(o); })) {
    if (!d->sink) return;
    VenueEvent e;
    e.kind = VenueEventKind::Rejected;
    e.childId = o.childId;
    e.text = "venue not running";
    d->emit(std::move(e));
  }
}

void TwsVenue::cancel(const VenueCancel& c) {
  Impl* d = impl_.get();
  if (!d->post([d, c] { d->doCancel(c); })) {
    if (!d->sink) return;
    VenueEvent e;
    e.kind = VenueEventKind::CancelRejected;
    e.childId = c.childId;
    e.venueOrderId = c.venueOrderId;
    e.text = "venue not running";
    d->emit(std::move(e));
  }
}

void TwsVenue::replace(const VenueReplace& r) {
  Impl* d = impl_.get();
  if (!d->post([d, r] { d->doReplace(r); })) {
    if (!d->sink) return;
    VenueEvent e;
    e.kind = VenueEventKind::ReplaceRejected;
    e.childId = r.childId;
    e.venueOrderId = r.venueOrderId;
    e.text = "venue not running";
    d->emit(std::move(e));
  }
}

void TwsVenue::requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) {
  Impl* d = impl_.get();
  auto shared = std::make_shared<std::function<void(VenueSnapshot)>>(std::move(cb));
  if (!d->post([d, since, shared] {
        d->pendingSnapshots.emplace_back(since, std::move(*shared));
        d->startSync();
      })) {
    VenueSnapshot s;
    s.error = "venue " + d->id.str() + " not running";
    (*shared)(std::move(s));
  }
}

MarketDataStatus TwsVenue::subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                               size_t depthLevels) {
  Impl* d = impl_.get();
  MarketDataStatus st;
  if (!d->contracts.count(symbol)) {
    st.error = "venue " + d->id.str() + ": symbol '" + symbol.str() +
               "' is not in the instrument master; no TWS contract to request market data for";
    return st;
  }
  if (depthLevels > 0)
    spdlog::debug("[{}] market data for {}: top of book only (reqMktDepth is not implemented)",
                  d->id.str(), symbol.str());
  {
    std::lock_guard lk(d->mdMu);
    auto& sinks = d->mdSinks[symbol];
    if (std::find(sinks.begin(), sinks.end(), &sink) == sinks.end()) sinks.push_back(&sink);
  }
  {
    std::lock_guard lk(d->pubMu);
    d->pubMdErrors.erase(symbol.str());
  }
  // Not running yet: requested when the session goes live.
  MarketDataSink* sp = &sink;
  d->post([d, symbol, sp] { d->ensureFeed(symbol, sp); });
  st.ok = true;
  return st;
}

void TwsVenue::unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) {
  Impl* d = impl_.get();
  {
    // Waits for a delivery in progress; after this no call reaches sink.
    std::lock_guard lk(d->mdMu);
    auto it = d->mdSinks.find(symbol);
    if (it == d->mdSinks.end()) return;
    std::erase(it->second, &sink);
    if (!it->second.empty()) return;
    d->mdSinks.erase(it);
  }
  d->post([d, symbol] { d->dropFeedIfUnused(symbol); });
}

MarketDataStatus TwsVenue::marketDataStatus(const Symbol& symbol) const {
  MarketDataStatus st;
  {
    std::lock_guard lk(impl_->pubMu);
    auto e = impl_->pubMdErrors.find(symbol.str());
    if (e != impl_->pubMdErrors.end()) {
      st.error = e->second;
      return st;
    }
  }
  std::lock_guard lk(impl_->mdMu);
  auto it = impl_->mdSinks.find(symbol);
  st.ok = it != impl_->mdSinks.end() && !it->second.empty();
  if (!st.ok) st.error = "symbol '" + symbol.str() + "' is not subscribed";
  return st;
}

std::optional<Price> TwsVenue::referencePrice(const Symbol& symbol) const {
  std::lock_guard lk(impl_->pubMu);
  auto it = impl_->pubRefPx.find(symbol.str());
  if (it == impl_->pubRefPx.end()) return std::nullopt;
  return it->second;
}

bool TwsVenue::connected() const {
  std::lock_guard lk(impl_->pubMu);
  return impl_->pubConnected;
}

int TwsVenue::serverVersion() const {
  std::lock_guard lk(impl_->pubMu);
  return impl_->pubServerVersion;
}

std::optional<Commission> TwsVenue::commission(const VenueExecId& execId) const {
  std::lock_guard lk(impl_->pubMu);
  auto it = impl_->commissions.find(execId.str());
  if (it == impl_->commissions.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> TwsVenue::twsOrderId(const ChildOrderId& child) const {
  std::lock_guard lk(impl_->pubMu);
  auto it = impl_->pubChildToIb.find(child.str());
  if (it == impl_->pubChildToIb.end()) return std::nullopt;
  return it->second;
}

uint64_t TwsVenue::decodeErrors() const { return impl_->decodeErrorCount.load(); }
uint64_t TwsVenue::syncsCompleted() const { return impl_->syncCount.load(); }

std::unique_ptr<VenueAdapter> makeTwsVenue(const venues::VenueContext& ctx,
                                           venues::ParamReader& params) {
  TwsConfig cfg = readTwsConfig(params, ctx.configPath + ".params");
  // Where the order-id high-water mark lives: a file if one is named, else
  // the gateway's PostgreSQL, else memory (tests, and a warning in the log).
  std::unique_ptr<OrderIdStore> store;
  std::string kind = cfg.orderIdStore;
  if (kind == "auto")
    kind = !cfg.orderIdFile.empty()        ? "file"
           : !ctx.databaseConninfo.empty() ? "postgres"
                                           : "memory";
  if (kind == "file") {
    if (cfg.orderIdFile.empty())
      throw std::invalid_argument(ctx.configPath + ".params.order_id_file: required when " +
                                  "order_id_store is file");
    auto file = std::make_unique<FileOrderIdStore>(cfg.orderIdFile);
    try {
      file->load();  // fail at start-up, not on the first order
    } catch (const std::exception& e) {
      throw std::invalid_argument(ctx.configPath + ".params.order_id_file: " + e.what());
    }
    store = std::move(file);
  } else if (kind == "postgres") {
    if (ctx.databaseConninfo.empty())
      throw std::invalid_argument(ctx.configPath +
                                  ".params.order_id_store: postgres needs the gateway database");
    try {
      store = std::make_unique<PgOrderIdStore>(ctx.databaseConninfo, ctx.id.str());
    } catch (const std::exception& e) {
      throw std::invalid_argument(ctx.configPath + ".params.order_id_store: " + e.what());
    }
  } else if (kind == "memory") {
    spdlog::warn("venue {}: order ids are kept in memory only; they may be reused after a restart",
                 ctx.id.str());
    store = std::make_unique<MemoryOrderIdStore>();
  } else {
    throw std::invalid_argument(ctx.configPath + ".params.order_id_store: '" + kind +
                                "' is not one of auto, file, postgres, memory");
  }
  return std::make_unique<TwsVenue>(ctx.id, std::move(cfg), ctx.instruments, ctx.clock,
                                    std::move(store));
}

}  // namespace fixgw::tws
