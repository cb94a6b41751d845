#include "fix_acceptor/transport.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/executor.h"
#include "core/output_cork.h"

// QuickFIX last: its headers define macros and a lot of names.
#include <quickfix/Exceptions.h>
#include <quickfix/Responder.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>

namespace fixgw::fix {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Steady = std::chrono::steady_clock;

// ---- IpAllowList -------------------------------------------------------------

IpAllowList IpAllowList::parse(const std::vector<std::string>& entries) {
  IpAllowList out;
  for (const auto& e : entries) {
    const size_t slash = e.find('/');
    const std::string addrText = e.substr(0, slash);
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(addrText, ec);
    if (ec) throw std::invalid_argument("'" + e + "' is not an IP address or CIDR block");
    Net n;
    n.v6 = addr.is_v6();
    const int bits = n.v6 ? 128 : 32;
    n.prefix = bits;
    if (slash != std::string::npos) {
      const std::string p = e.substr(slash + 1);
      if (p.empty() || p.size() > 3 ||
          !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw std::invalid_argument("'" + e + "' has a bad prefix length");
      n.prefix = std::stoi(p);
      if (n.prefix > bits)
        throw std::invalid_argument("'" + e + "': prefix length over " + std::to_string(bits));
    }
    if (n.v6) {
      auto b = addr.to_v6().to_bytes();
      std::copy(b.begin(), b.end(), n.bytes);
    } else {
      auto b = addr.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), n.bytes);
    }
    out.nets_.push_back(n);
    out.text_.push_back(e);
  }
  return out;
}

bool IpAllowList::allows(const std::string& address) const {
  if (nets_.empty()) return true;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) return false;
  // An IPv4 peer on a dual-stack socket shows up as ::ffff:a.b.c.d.
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  unsigned char bytes[16] = {};
  const bool v6 = addr.is_v6();
  if (v6) {
    auto b = addr.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), bytes);
  } else {
    auto b = addr.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes);
  }
  for (const auto& n : nets_) {
    if (n.v6 != v6) continue;
    const int full = n.prefix / 8, rest = n.prefix % 8;
    if (std::memcmp(bytes, n.bytes, static_cast<size_t>(full)) != 0) continue;
    if (rest) {
      const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
      if ((bytes[full] & mask) != (n.bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

// ---- framing ---------------------------------------------------------------------

namespace {
// "8=FIXT.1.1\x01" is the longest BeginString field; a generous bound.
constexpr size_t kMaxBeginField = 32;
// "9=" + at most 9 digits + SOH.
constexpr size_t kMaxLengthField = 12;
constexpr size_t kTrailerLen = 7;  // "10=NNN\x01"

std::string printable(std::string_view s, size_t max = 40) {
  std::string out;
  for (char c : s.substr(0, max))
    out += c == '\x01' ? '|' : (std::isprint(static_cast<unsigned char>(c)) ? c : '?');
  if (s.size() > max) out += "...";
  return out;
}
}  // namespace

FixFramer::Result FixFramer::next(std::string& out, std::string& error) {
  // Compact once the consumed prefix dominates, so the buffer stays bounded.
  if (pos_ > 0 && (pos_ >= buf_.size() || pos_ > 64 * 1024)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  const std::string_view s(buf_.data() + pos_, buf_.size() - pos_);
  if (s.empty()) return Result::NeedMore;
  // BeginString: "8=" ... SOH
  if (s[0] != '8' || (s.size() >= 2 && s[1] != '=')) {
    error = "stream does not start with BeginString (8): '" + printable(s) + "'";
    return Result::Error;
  }
  if (s.size() < 2) return Result::NeedMore;
  const size_t soh1 = s.find('\x01');
  if (soh1 == std::string_view::npos) {
    if (s.size() > kMaxBeginField) {
      error = "BeginString (8) field not terminated within " + std::to_string(kMaxBeginField) +
              " bytes";
      return Result::Error;
    }
    return Result::NeedMore;
  }
  if (soh1 > kMaxBeginField || soh1 < 3) {
    error = "bad BeginString (8) field '" + printable(s.substr(0, soh1)) + "'";
    return Result::Error;
  }
  // BodyLength: "9=" digits SOH
  const std::string_view rest = s.substr(soh1 + 1);
  if (rest.size() < 2) return Result::NeedMore;
  if (rest.compare(0, 2, "9=") != 0) {
    error = "second field is not BodyLength (9): '" + printable(rest) + "'";
    return Result::Error;
  }
  const size_t soh2 = rest.find('\x01');
  if (soh2 == std::string_view::npos) {
    if (rest.size() > kMaxLengthField) {
      error = "BodyLength (9) field not terminated within " + std::to_string(kMaxLengthField) +
              " bytes";
      return Result::Error;
    }
    return Result::NeedMore;
  }
  const std::string_view digits = rest.substr(2, soh2 - 2);
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    error = "BodyLength (9) '" + printable(digits) + "' is not a number";
    return Result::Error;
  }
  const size_t bodyLen = std::stoul(std::string(digits));
  const size_t headLen = soh1 + 1 + soh2 + 1;
  const size_t total = headLen + bodyLen + kTrailerLen;
  if (total > max_) {
    error = "message of " + std::to_string(total) + " bytes (BodyLength " +
            std::to_string(bodyLen) + ") exceeds the limit of " + std::to_string(max_) + " bytes";
    return Result::Error;
  }
  if (s.size() < total) return Result::NeedMore;
  const std::string_view trailer = s.substr(headLen + bodyLen, kTrailerLen);
  if (trailer.compare(0, 3, "10=") != 0 || trailer[6] != '\x01' ||
      !std::all_of(trailer.begin() + 3, trailer.begin() + 6,
                   [](char c) { return c >= '0' && c <= '9'; })) {
    error = "CheckSum (10) is not where BodyLength (9) " + std::to_string(bodyLen) + " puts it: '" +
            printable(trailer) + "'";
    return Result::Error;
  }
  unsigned sum = 0;
  for (size_t i = 0; i < headLen + bodyLen; ++i) sum += static_cast<unsigned char>(s[i]);
  const unsigned want = static_cast<unsigned>(std::stoul(std::string(trailer.substr(3, 3))));
  out.assign(s.data(), total);
  pos_ += total;
  if (sum % 256 != want) {
    error = "CheckSum (10) " + std::string(trailer.substr(3, 3)) + " does not match " +
            std::to_string(sum % 256);
    return Result::BadChecksum;
  }
  return Result::Message;
}

std::string rawField(const std::string& raw, int tag) {
  const std::string needle = std::to_string(tag) + "=";
  size_t p = 0;
  while (p < raw.size()) {
    const size_t e = raw.find('\x01', p);
    const size_t end = e == std::string::npos ? raw.size() : e;
    if (raw.compare(p, needle.size(), needle) == 0)
      return raw.substr(p + needle.size(), end - p - needle.size());
    p = end + 1;
  }
  return {};
}

std::string maskSecrets(const std::string& raw) {
  if (raw.find("554=") == std::string::npos && raw.find("925=") == std::string::npos) return raw;
  std::string out;
  out.reserve(raw.size());
  size_t p = 0;
  while (p < raw.size()) {
    const size_t e = raw.find('\x01', p);
    const size_t end = e == std::string::npos ? raw.size() : e;
    std::string_view f(raw.data() + p, end - p);
    if (f.rfind("554=", 0) == 0 || f.rfind("925=", 0) == 0) {
      out.append(f.substr(0, 4));
      out.append("***");
    } else {
      out.append(f);
    }
    if (e != std::string::npos) out.push_back('\x01');
    p = end + 1;
  }
  return out;
}

// ---- the server ------------------------------------------------------------------

namespace {
thread_local const std::string* tlsPeer = nullptr;

struct PeerScope {
  explicit PeerScope(const std::string& p) : prev(tlsPeer) { tlsPeer = &p; }
  ~PeerScope() { tlsPeer = prev; }
  const std::string* prev;
};
}  // namespace

const std::string* FixTransport::currentPeer() { return tlsPeer; }

class Connection;

struct FixTransport::Impl : std::enable_shared_from_this<FixTransport::Impl> {
  TransportConfig cfg;
  SecuritySink sink;
  std::map<FIX::SessionID, TransportSession> sessions;
  bool anyOpenSession = false;  // some session has no allow-list
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<ssl::context> tls;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<uint16_t> boundPorts;
  std::vector<std::thread> threads;
  std::atomic<size_t> live{0};
  std::mutex connMu;
  std::set<std::weak_ptr<Connection>, std::owner_less<std::weak_ptr<Connection>>> conns;
  std::atomic<bool> stopping{false};
  bool started = false, stopped = false;

  void report(const std::string& session, const std::string& address, const char* event,
              const std::string& detail) {
    if (!sink) return;
    try {
      sink(SecurityEvent{session, address, event, detail});
    } catch (const std::exception& e) {
      spdlog::error("FIX transport: security event sink failed: {}", e.what());
    }
  }

  void accept(tcp::acceptor& a);
  void onAccepted(tcp::socket sock);
};

class Connection final : public FIX::Responder,
                         public cork::Flushable,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<FixTransport::Impl> server, tcp::socket sock, std::string peer)
      : server_(std::move(server)),
        strand_(asio::make_strand(server_->io)),
        peer_(std::move(peer)),
        framer_(server_->cfg.limits.maxMessageBytes),
        tick_(strand_),
        logonTimer_(strand_),
        flushTimer_(strand_),
        readBuf_(16 * 1024) {
    if (server_->tls) {
      tls_.emplace(std::move(sock), *server_->tls);
    } else {
      plain_.emplace(std::move(sock));
      plainFd_ = plain_->native_handle();
    }
  }

  ~Connection() override { server_->live.fetch_sub(1); }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->begin(); });
  }

  // ---- FIX::Responder: called by QuickFIX under the session's lock, from any thread ----
  bool send(const std::string& msg) override {
    std::lock_guard lock(outMu_);
    if (closed_) return false;
    if (outQ_.size() + corked_.size() + msg.size() > server_->cfg.limits.maxOutboundBytes) {
      if (!overflow_) {
        overflow_ = true;
        asio::post(strand_, [self = shared_from_this()] {
          self->finish("outbound queue over " +
                           std::to_string(self->server_->cfg.limits.maxOutboundBytes) +
                           " bytes (the client does not read)",
                       true);
        });
      }
      return false;
    }
    if (cork::active()) {
      // Inside an output round (core/output_cork.h): gathered with the round's other
      // messages for this connection and written once when the round flushes.
      corked_.append(msg);
      cork::defer(shared_from_this(), cork::Phase::Socket);
      return true;
    }
    if (!corked_.empty()) {
      // Another thread's round has not flushed yet: its messages go first.
      corked_.append(msg);
      const bool ok = writeLocked(corked_);
      corked_.clear();
      return ok;
    }
    return writeLocked(msg);
  }

  // cork::Flushable: the end of a round that sent on this connection.
  bool flushCorked() noexcept override {
    std::lock_guard lock(outMu_);
    if (corked_.empty()) return true;
    // Closed meanwhile: the messages are in the session store for a resend.
    if (!closed_) writeLocked(corked_);
    corked_.clear();
    return true;
  }
  // The session's store (same group: the SessionID string) failed in this round: its messages
  // are not on the store, so none of them may reach the client, who would otherwise hold
  // MsgSeqNums the session can never resend. The connection closes: QuickFIX sends nothing
  // through a store that throws, and a session that can neither store nor send must not sit
  // silently logged on. Orders keep their state in the journal; the client reconnects once an
  // operator has fixed the store (docs/fix-transport.md, "Corked output").
  std::string_view corkGroup() const noexcept override { return name_; }
  void dropCorked(std::string_view why) noexcept override {
    size_t bytes = 0;
    {
      std::lock_guard lock(outMu_);
      bytes = corked_.size();
      corked_.clear();
      closed_ = true;  // nothing more goes out on this connection
    }
    try {
      std::string reason = "session store write failed (" + std::string(why) + "); " +
                           std::to_string(bytes) + " bytes of this round not sent";
      asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] {
        self->server_->report(self->sessionName(), self->peer_, "STORE_WRITE_FAILED", reason);
        self->finish(reason, true);
      });
    } catch (...) {
      // Out of memory: the connection stays closed for writes; its timers end it.
    }
  }

  void disconnect() override {
    // Nothing more is read or handed to the session once it let go.
    disconnecting_ = true;
    asio::post(strand_,
               [self = shared_from_this()] { self->closeAfterFlush("session disconnect"); });
  }

  // Writes data now from the caller's thread when nothing is queued on plain
  // TCP, else queues it for the strand. Needs outMu_ (and !closed_).
  bool writeLocked(const std::string& msg) {
    if (!writing_ && outQ_.empty() && plainFd_ >= 0) {
      // Nothing queued, plain TCP: write now from the caller's thread (the
      // engine's, for reports), as QuickFIX's own connections do, instead of
      // paying a hop to the I/O thread. A short write queues the rest.
      // outMu_ orders this against doWrite() and against finish(), which
      // marks closed_ under it before closing the descriptor.
      const ssize_t n = ::send(plainFd_, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(msg.size())) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        const int err = errno;
        asio::post(strand_, [self = shared_from_this(), err] {
          self->finish(std::string("write failed: ") + std::strerror(err), false);
        });
        return false;
      }
      outQ_.append(msg, n > 0 ? static_cast<size_t>(n) : 0, std::string::npos);
      writing_ = true;
      asio::post(strand_, [self = shared_from_this()] { self->doWrite(); });
      return true;
    }
    outQ_.append(msg);
    if (!writing_) {
      writing_ = true;
      asio::post(strand_, [self = shared_from_this()] { self->doWrite(); });
    }
    return true;
  }

  // From stop(): cut it now.
  void kill() {
    asio::post(strand_, [self = shared_from_this()] { self->finish("gateway stopping", false); });
  }

 private:
  tcp::socket& lowest() { return tls_ ? tls_->next_layer() : *plain_; }

  void begin() {
    armLogonTimer();
    armTick();
    if (tls_) {
      // On the strand: the timers may close the socket meanwhile.
      tls_->async_handshake(
          ssl::stream_base::server,
          asio::bind_executor(
              strand_, [self = shared_from_this()](const boost::system::error_code& ec) {
                if (self->finished_) return;
                if (ec) {
                  self->server_->report("", self->peer_, "TLS_HANDSHAKE_FAILED", ec.message());
                  return self->finish("TLS handshake failed: " + ec.message(), true);
                }
                self->readMore();
              }));
    } else {
      readMore();
    }
  }

  void armLogonTimer() {
    logonTimer_.expires_after(std::chrono::milliseconds(server_->cfg.limits.logonTimeoutMs));
    logonTimer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->finished_) return;
      if (self->session_ && self->session_->isLoggedOn()) return;
      self->server_->report(self->sessionName(), self->peer_, "LOGON_TIMEOUT",
                            "no valid Logon within " +
                                std::to_string(self->server_->cfg.limits.logonTimeoutMs) + " ms");
      self->finish("no valid Logon within " +
                       std::to_string(self->server_->cfg.limits.logonTimeoutMs) + " ms",
                   true);
    });
  }

  // Once a second, as QuickFIX's connections do: heartbeats, test requests,
  // logout timeouts; and the partial-message deadline.
  void armTick() {
    tick_.expires_after(std::chrono::seconds(1));
    tick_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->finished_) return;
      if (self->partialSince_ &&
          Steady::now() - *self->partialSince_ >
              std::chrono::milliseconds(self->server_->cfg.limits.messageTimeoutMs)) {
        const std::string why = "message of " + std::to_string(self->framer_.buffered()) +
                                " bytes not completed within " +
                                std::to_string(self->server_->cfg.limits.messageTimeoutMs) + " ms";
        self->server_->report(self->sessionName(), self->peer_, "MESSAGE_TIMEOUT", why);
        return self->finish(why, true);
      }
      if (self->session_) {
        PeerScope scope(self->peer_);
        try {
          self->session_->next();
        } catch (const std::exception& e) {
          spdlog::error("FIX transport {}: session timer failed: {}", self->peer_, e.what());
        }
      }
      if (!self->finished_) self->armTick();
    });
  }

  void readMore() {
    if (finished_ || waitingForSession_ || disconnecting_) return;
    auto handler = asio::bind_executor(
        strand_, [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          self->onRead(ec, n);
        });
    if (tls_)
      tls_->async_read_some(asio::buffer(readBuf_), std::move(handler));
    else
      plain_->async_read_some(asio::buffer(readBuf_), std::move(handler));
  }

  void onRead(const boost::system::error_code& ec, size_t n) {
    if (finished_) return;
    if (ec) {
      return finish(ec == asio::error::eof ? std::string("peer closed the connection")
                                           : "read failed: " + ec.message(),
                    false);
    }
    framer_.append(readBuf_.data(), n);
    processFrames();
  }

  void processFrames() {
    std::string msg, error;
    bool progressed = false;
    while (!finished_ && !waitingForSession_ && !disconnecting_) {
      const auto r = framer_.next(msg, error);
      if (r == FixFramer::Result::NeedMore) break;
      if (r == FixFramer::Result::Error) {
        server_->report(sessionName(), peer_, "BAD_FRAME", error);
        return finish("bad FIX framing: " + error, true);
      }
      progressed = true;
      if (r == FixFramer::Result::BadChecksum) {
        // A garbled message is ignored once logged on (FIX session rules);
        // before the Logon nothing is trusted.
        if (!session_ || !session_->isLoggedOn()) {
          server_->report(sessionName(), peer_, "BAD_FRAME", error);
          return finish("bad FIX frame before logon: " + error, true);
        }
        spdlog::warn("FIX transport {} {}: garbled message ignored: {}", sessionName(), peer_,
                     error);
        continue;
      }
      if (!session_) {
        if (!attach(msg)) return;
        if (waitingForSession_) {
          pending_ = std::move(msg);
          return;
        }
      }
      // More bytes behind this message: the engine should not run it on this
      // thread (fix.engine_inline), which has them to read (core/executor.h).
      EventLoop::MoreInputScope more(framer_.buffered() > 0);
      deliver(msg);
    }
    if (framer_.buffered() == 0)
      partialSince_.reset();
    else if (progressed || !partialSince_)
      partialSince_ = Steady::now();
    readMore();
  }

  void deliver(const std::string& msg) {
    PeerScope scope(peer_);
    try {
      // One output round per inbound message (core/output_cork.h): what handling it writes
      // (QuickFIX's own replies, the reports of engine work run inline, their store records)
      // goes out when QuickFIX is done with it, and the journal's writer, which the message
      // log's append of this message would wake at once, is woken only after that. It ends
      // before a failure below closes the connection, so nothing it gathered is dropped.
      cork::Round round;
      session_->next(msg, FIX::UtcTimeStamp());
    } catch (const FIX::InvalidMessage& e) {
      if (!session_ || !session_->isLoggedOn()) {
        return finish(std::string("invalid message before logon: ") + e.what(), true);
      }
    } catch (const std::exception& e) {
      spdlog::error("FIX transport {} {}: session failed on a message: {}", sessionName(), peer_,
                    e.what());
      finish(std::string("session error: ") + e.what(), true);
    }
  }

  // The first message names the session. Returns false when the connection
  // was refused (and closed).
  bool attach(const std::string& msg) {
    const std::string msgType = rawField(msg, 35);
    const std::string begin = rawField(msg, 8);
    const std::string sender = rawField(msg, 49), target = rawField(msg, 56);
    if (msgType != "A") {
      server_->report("", peer_, "NO_LOGON",
                      "first message is 35=" + printable(msgType) + ", not a Logon");
      finish("first message is 35=" + printable(msgType) + ", not a Logon (35=A)", true);
      return false;
    }
    FIX::SessionID id(begin, target, sender);
    auto it = server_->sessions.find(id);
    name_ = id.toString();
    if (it == server_->sessions.end()) {
      server_->report("", peer_, "UNKNOWN_SESSION", printable(name_, 80));
      finish("Logon for unknown session " + printable(name_, 80), true);
      return false;
    }
    if (!it->second.allowFrom.allows(peer_)) {
      server_->report(name_, peer_, "ADDRESS_REFUSED", "address not in allow_from");
      finish("address " + peer_ + " is not in the allow_from list of session " + name_, true);
      return false;
    }
    id_ = id;
    return tryRegister(Steady::now() + std::chrono::seconds(5));
  }

  // A session serves one connection at a time. If the previous connection
  // has not been torn down yet (a quick reconnect), wait up to 5 s for it,
  // as QuickFIX's acceptors do, without blocking the I/O thread.
  bool tryRegister(Steady::time_point deadline) {
    // registerSession is null while another connection holds the session.
    FIX::Session* s = FIX::Session::registerSession(id_);
    if (s) {
      session_ = s;
      session_->setResponder(this);
      spdlog::info("FIX transport: {} connected from {}{}", name_, peer_,
                   server_->tls ? " (TLS)" : "");
      return true;
    }
    if (Steady::now() >= deadline) {
      server_->report(name_, peer_, "SESSION_BUSY", "session already has a connection");
      finish("session " + name_ + " already has a connection", true);
      return false;
    }
    waitingForSession_ = true;
    tick_.cancel();  // re-armed below; keeps one timer in use
    flushTimer_.expires_after(std::chrono::milliseconds(100));
    flushTimer_.async_wait(
        [self = shared_from_this(), deadline](const boost::system::error_code& ec) {
          if (ec || self->finished_) return;
          if (!self->tryRegister(deadline)) return;
          if (self->session_) {
            self->waitingForSession_ = false;
            self->armTick();
            std::string m = std::move(self->pending_);
            self->deliver(m);
            self->processFrames();
          }
        });
    return true;
  }

  void doWrite() {
    {
      std::lock_guard lock(outMu_);
      if (outQ_.empty() || finished_) {
        writing_ = false;
        if (closeAfterFlush_ && !finished_) {
          asio::post(strand_,
                     [self = shared_from_this()] { self->finish(self->closeReason_, false); });
        }
        return;
      }
      writeBuf_.swap(outQ_);
      outQ_.clear();
    }
    auto handler = asio::bind_executor(
        strand_, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (ec) return self->finish("write failed: " + ec.message(), false);
          self->writeBuf_.clear();
          self->doWrite();
        });
    if (tls_)
      asio::async_write(*tls_, asio::buffer(writeBuf_), std::move(handler));
    else
      asio::async_write(*plain_, asio::buffer(writeBuf_), std::move(handler));
  }

  // QuickFIX asked to disconnect (after a Logout, a rejected Logon): send
  // what it queued first, then close; at most 2 s.
  void closeAfterFlush(const std::string& why) {
    if (finished_) return;
    bool idle;
    {
      std::lock_guard lock(outMu_);
      closeAfterFlush_ = true;
      closeReason_ = why;
      idle = !writing_ && outQ_.empty();
    }
    if (idle) return finish(why, false);
    flushTimer_.expires_after(std::chrono::seconds(2));
    flushTimer_.async_wait([self = shared_from_this(), why](const boost::system::error_code& ec) {
      if (!ec) self->finish(why + " (unsent data dropped)", false);
    });
  }

  // Closes the socket and hands the session back. Runs once, on the strand.
  void finish(const std::string& why, bool warn) {
    if (finished_) return;
    finished_ = true;
    {
      std::lock_guard lock(outMu_);
      closed_ = true;
    }
    if (warn)
      spdlog::warn("FIX transport: closing {} from {}: {}", sessionName(), peer_, why);
    else
      spdlog::info("FIX transport: closing {} from {}: {}", sessionName(), peer_, why);
    boost::system::error_code ignored;
    tick_.cancel();
    logonTimer_.cancel();
    flushTimer_.cancel();
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
    if (session_) {
      FIX::Session* s = session_;
      session_ = nullptr;
      PeerScope scope(peer_);
      try {
        // Clears the responder under the session's lock, so no thread sends
        // through this object afterwards, and reports the logout.
        s->disconnect();
      } catch (const std::exception& e) {
        spdlog::error("FIX transport {}: disconnect failed: {}", name_, e.what());
      }
      FIX::Session::unregisterSession(id_);
    }
  }

  std::string sessionName() const { return name_.empty() ? std::string("(no session)") : name_; }

  std::shared_ptr<FixTransport::Impl> server_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::optional<tcp::socket> plain_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  int plainFd_ = -1;  // plain_'s descriptor, for send()'s direct write
  std::string peer_;
  std::string name_;
  FIX::SessionID id_;
  FIX::Session* session_ = nullptr;  // registered to this connection
  FixFramer framer_;
  std::optional<Steady::time_point> partialSince_;
  asio::steady_timer tick_, logonTimer_, flushTimer_;
  std::vector<char> readBuf_;
  std::string pending_;  // the Logon held while waiting for the session
  bool waitingForSession_ = false;
  bool finished_ = false;                   // strand only
  std::atomic<bool> disconnecting_{false};  // the session called disconnect()

  std::mutex outMu_;  // guards the fields below; never held while calling QuickFIX
  std::string outQ_, writeBuf_;
  std::string corked_;  // written during output rounds not yet flushed (core/output_cork.h)
  bool writing_ = false, closed_ = false, overflow_ = false, closeAfterFlush_ = false;
  std::string closeReason_;
};

void FixTransport::Impl::accept(tcp::acceptor& a) {
  a.async_accept(asio::make_strand(io), [self = shared_from_this(), &a](
                                            const boost::system::error_code& ec, tcp::socket s) {
    if (self->stopping) return;
    if (!ec) {
      self->onAccepted(std::move(s));
    } else if (ec != asio::error::operation_aborted) {
      spdlog::warn("FIX transport: accept failed: {}", ec.message());
    }
    if (!self->stopping && a.is_open()) self->accept(a);
  });
}

void FixTransport::Impl::onAccepted(tcp::socket sock) {
  boost::system::error_code ec;
  auto ep = sock.remote_endpoint(ec);
  if (ec) return;  // already gone
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  const std::string peer = addr.to_string();
  // Nobody may connect from here: refuse before reading a byte.
  if (!anyOpenSession) {
    bool any = false;
    for (const auto& [id, s] : sessions) any = any || s.allowFrom.allows(peer);
    if (!any) {
      report("", peer, "ADDRESS_REFUSED", "address in no session's allow_from");
      spdlog::warn("FIX transport: refused connection from {}: in no session's allow_from", peer);
      sock.close(ec);
      return;
    }
  }
  if (live.load() >= cfg.limits.maxConnections) {
    report("", peer, "CONNECTION_LIMIT",
           "max_connections " + std::to_string(cfg.limits.maxConnections));
    spdlog::warn("FIX transport: refused connection from {}: {} connections open (max_connections)",
                 peer, live.load());
    sock.close(ec);
    return;
  }
  sock.set_option(tcp::no_delay(true), ec);
  live.fetch_add(1);
  auto c = std::make_shared<Connection>(shared_from_this(), std::move(sock), peer);
  {
    std::lock_guard lock(connMu);
    for (auto it = conns.begin(); it != conns.end();) it = it->expired() ? conns.erase(it) : ++it;
    conns.insert(c);
  }
  c->start();
}

// ---- FixTransport ----------------------------------------------------------------

FixTransport::FixTransport(TransportConfig cfg, std::vector<TransportSession> sessions,
                           SecuritySink sink)
    : impl_(std::make_shared<Impl>()) {
  impl_->cfg = std::move(cfg);
  impl_->sink = std::move(sink);
  for (auto& s : sessions) {
    FIX::SessionID id(s.beginString, s.senderCompId, s.targetCompId);
    if (s.allowFrom.empty()) impl_->anyOpenSession = true;
    impl_->sessions.emplace(id, std::move(s));
  }
}

FixTransport::~FixTransport() { stop(0); }

void FixTransport::start() {
  Impl& m = *impl_;
  if (m.started) throw std::runtime_error("FIX transport: start() called twice");
  m.started = true;
  if (m.cfg.hosts.empty()) throw std::runtime_error("FIX transport: no host to listen on");
  if (m.cfg.ioThreads <= 0) throw std::runtime_error("FIX transport: io_threads must be > 0");
  if (m.cfg.tls.enabled()) {
    ssl::context ctx(ssl::context::tls_server);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::single_dh_use);
    auto load = [](const char* what, const std::string& path, auto&& fn) {
      if (path.empty())
        throw std::runtime_error(std::string("FIX transport: tls.") + what + " is empty");
      boost::system::error_code ec;
      fn(ec);
      if (ec)
        throw std::runtime_error(std::string("FIX transport: cannot load tls.") + what + " '" +
                                 path + "': " + ec.message());
    };
    load("cert_file", m.cfg.tls.certFile,
         [&](auto& ec) { ctx.use_certificate_chain_file(m.cfg.tls.certFile, ec); });
    load("key_file", m.cfg.tls.keyFile,
         [&](auto& ec) { ctx.use_private_key_file(m.cfg.tls.keyFile, ssl::context::pem, ec); });
    if (m.cfg.tls.verifyClient) {
      load("ca_file", m.cfg.tls.caFile,
           [&](auto& ec) { ctx.load_verify_file(m.cfg.tls.caFile, ec); });
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    } else if (!m.cfg.tls.caFile.empty()) {
      // A CA without verify_client: verify a certificate if one is offered.
      load("ca_file", m.cfg.tls.caFile,
           [&](auto& ec) { ctx.load_verify_file(m.cfg.tls.caFile, ec); });
      ctx.set_verify_mode(ssl::verify_peer);
    }
    m.tls.emplace(std::move(ctx));
  }
  try {
    for (const auto& host : m.cfg.hosts) {
      boost::system::error_code ec;
      auto addr = asio::ip::make_address(host, ec);
      if (ec) throw std::runtime_error("FIX transport: host '" + host + "' is not an IP address");
      tcp::endpoint ep(addr, static_cast<uint16_t>(m.cfg.port));
      auto a = std::make_unique<tcp::acceptor>(m.io);
      a->open(ep.protocol(), ec);
      if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec && addr.is_v6()) a->set_option(asio::ip::v6_only(true), ec);
      if (!ec) a->bind(ep, ec);
      if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
      if (ec)
        throw std::runtime_error("FIX transport: cannot listen on " + host + " port " +
                                 std::to_string(m.cfg.port) + ": " + ec.message());
      m.boundPorts.push_back(a->local_endpoint().port());
      m.acceptors.push_back(std::move(a));
    }
  } catch (...) {
    m.acceptors.clear();
    m.stopped = true;
    throw;
  }
  for (auto& a : m.acceptors) m.accept(*a);
  m.work.emplace(m.io.get_executor());
  for (int i = 0; i < m.cfg.ioThreads; ++i) {
    m.threads.emplace_back([impl = impl_] {
      // Named so per-thread CPU (top -H, bench/run_cpu_ratio.sh) tells the FIX sessions'
      // reactor from the journal writer and the engine.
      pthread_setname_np(pthread_self(), "fix-io");
      for (;;) {
        try {
          impl->io.run();
          return;
        } catch (const std::exception& e) {
          // A handler must not take the whole transport down.
          spdlog::error("FIX transport: I/O thread caught: {}", e.what());
        }
      }
    });
  }
  std::string where;
  for (size_t i = 0; i < m.cfg.hosts.size(); ++i)
    where += (i ? ", " : "") + m.cfg.hosts[i] + ":" + std::to_string(m.boundPorts[i]);
  spdlog::info("FIX transport listening on {}{} with {} session(s)", where, m.tls ? " (TLS)" : "",
               m.sessions.size());
}

void FixTransport::stop(int logoutWaitMs) {
  Impl& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  // Log the sessions out while the I/O threads still run: Session::next()
  // on the connection's timer sends the Logout and waits for the answer.
  std::vector<FIX::Session*> out;
  for (const auto& [id, s] : m.sessions) {
    FIX::Session* qs = FIX::Session::lookupSession(id);
    if (qs && qs->isLoggedOn()) {
      qs->logout();
      out.push_back(qs);
    }
  }
  const auto deadline = Steady::now() + std::chrono::milliseconds(logoutWaitMs);
  while (Steady::now() < deadline &&
         std::any_of(out.begin(), out.end(), [](FIX::Session* s) { return s->isLoggedOn(); }))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  m.stopping = true;
  // Stop listening on the I/O threads, where the accept operations run.
  auto listening = std::make_shared<std::promise<void>>();
  asio::post(m.io, [impl = impl_, listening] {
    for (auto& a : impl->acceptors) {
      boost::system::error_code ec;
      a->close(ec);
    }
    listening->set_value();
  });
  listening->get_future().wait_for(std::chrono::seconds(5));
  {
    std::lock_guard lock(m.connMu);
    for (auto& w : m.conns)
      if (auto c = w.lock()) c->kill();
  }
  const auto closeBy = Steady::now() + std::chrono::seconds(5);
  while (m.live.load() > 0 && Steady::now() < closeBy)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  m.work.reset();
  m.io.stop();
  for (auto& t : m.threads) t.join();
  m.threads.clear();
  // Run what is left (aborted accepts and timers, closes) on this thread:
  // those handlers hold the connections and this Impl, and the port must be
  // free when stop() returns (a restart binds it again).
  m.acceptors.clear();
  m.io.restart();
  m.io.poll();
  // Sessions disabled for the shutdown are enabled again, as QuickFIX's
  // acceptors leave them.
  for (FIX::Session* s : out) s->logon();
}

std::vector<uint16_t> FixTransport::ports() const { return impl_->boundPorts; }
size_t FixTransport::connections() const { return impl_->live.load(); }

}  // namespace fixgw::fix
