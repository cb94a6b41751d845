// The gateway's own FIX socket layer. QuickFIX 1.15's socket acceptors bind
// the wildcard address and hide the accepted socket, so the gateway accepts
// connections itself (Boost.Asio, optionally TLS with OpenSSL) and drives
// QuickFIX `FIX::Session`s through QuickFIX's public `FIX::Responder`
// interface, the way QuickFIX's ThreadedSocketConnection does. QuickFIX keeps
// the session layer (sequence numbers, stores, resend, validation); this
// layer owns what happens before a byte reaches it:
//
//  * bind: only the configured addresses listen;
//  * allow-lists: a session's Logon is processed only if the peer address is
//    in that session's allow_from (checked before QuickFIX sees the message);
//  * limits: a cap on connections, a deadline for a valid Logon, a bounded
//    read buffer (BodyLength over the cap, or a message that does not finish
//    in time, closes the connection), and an outbound queue cap;
//  * framing: BeginString (8), BodyLength (9) and CheckSum (10) parsed and
//    checked here; bytes that are not a FIX frame close the connection.
//
// Thread-safety: start()/stop() from one owning thread. Each connection runs
// on an Asio strand; QuickFIX calls Responder::send() from any thread (the
// engine's sendToTarget) and it only queues under a mutex. The SecuritySink is
// called from the I/O threads. A send() from a thread inside an output round
// (core/output_cork.h: the engine loop's batch, the journal notifier's
// release) is gathered and written with the round's other messages for that
// connection in one send() when the round flushes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fixgw::fix {

// An IP allow-list: exact addresses and CIDR blocks, IPv4 and IPv6
// ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"). An empty list allows all.
class IpAllowList {
 public:
  // Throws std::invalid_argument naming the bad entry.
  static IpAllowList parse(const std::vector<std::string>& entries);
  bool empty() const { return nets_.empty(); }
  bool allows(const std::string& address) const;
  const std::vector<std::string>& entries() const { return text_; }

 private:
  struct Net {
    bool v6 = false;
    unsigned char bytes[16] = {};
    int prefix = 0;
  };
  std::vector<Net> nets_;
  std::vector<std::string> text_;
};

// Splits a byte stream into FIX messages. Strict on purpose: the stream must
// start with "8=<BeginString>\x01" then "9=<digits>\x01"; the CheckSum field
// must sit exactly where BodyLength says. Anything else is an Error (the
// caller closes the connection) and the buffer never grows past what one
// message of maxMessageBytes needs.
class FixFramer {
 public:
  enum class Result { NeedMore, Message, BadChecksum, Error };
  explicit FixFramer(size_t maxMessageBytes) : max_(maxMessageBytes) {}
  void append(const char* data, size_t n) { buf_.append(data, n); }
  // On Message (and BadChecksum) `out` holds one whole frame, removed from
  // the buffer. On Error `error` says why.
  Result next(std::string& out, std::string& error);
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;  // consumed prefix of buf_, compacted lazily
  size_t max_;
};

// The value of `tag` in a raw FIX message ("" when absent). Linear scan; for
// the few header fields the transport needs before QuickFIX parses anything.
std::string rawField(const std::string& raw, int tag);

// Replaces the value of Password (554) and NewPassword (925) with "***": the
// text of every message that goes to a log.
std::string maskSecrets(const std::string& raw);

struct TransportTls {
  std::string certFile;       // PEM chain; empty: plain TCP
  std::string keyFile;        // PEM private key
  std::string caFile;         // PEM CA bundle for client certificates
  bool verifyClient = false;  // require and verify a client certificate (caFile)
  bool enabled() const { return !certFile.empty(); }
};

struct TransportLimits {
  size_t maxConnections = 256;
  int logonTimeoutMs = 10'000;          // connect (and TLS handshake) to an accepted Logon
  size_t maxMessageBytes = 1 << 20;     // one FIX message, header to checksum
  int messageTimeoutMs = 30'000;        // a started message must complete within this
  size_t maxOutboundBytes = 64u << 20;  // queued for a slow reader before it is cut off
};

struct TransportConfig {
  std::vector<std::string> hosts{"127.0.0.1"};  // IP addresses to listen on
  int port = 9878;                              // 0: any free port (tests)
  TransportLimits limits;
  TransportTls tls;
  // One reactor thread is the fastest on a small box (no hand-off between
  // threads on the ack path); raise it when sessions block in their store
  // (storeType "postgres") so one slow session does not delay the others.
  int ioThreads = 1;
};

// A security-relevant event the transport saw (refused address, bad frame,
// limits): for the audit journal. session is "" when none was identified.
struct SecurityEvent {
  std::string session;
  std::string address;
  std::string event;   // ADDRESS_REFUSED, CONNECTION_LIMIT, LOGON_TIMEOUT, BAD_FRAME, ...
  std::string detail;  // never contains a password
};
using SecuritySink = std::function<void(const SecurityEvent&)>;

// The session the transport may attach a connection to: its QuickFIX id
// text ("FIX.4.4:FIXGW->CLIENT1"), the peer's BeginString/CompIDs, and who
// may connect.
struct TransportSession {
  std::string beginString;
  std::string senderCompId;  // ours
  std::string targetCompId;  // the client's
  IpAllowList allowFrom;
};

class FixTransport {
 public:
  // The QuickFIX sessions must exist (SessionFactory) before start().
  FixTransport(TransportConfig cfg, std::vector<TransportSession> sessions, SecuritySink sink);
  ~FixTransport();
  FixTransport(const FixTransport&) = delete;
  FixTransport& operator=(const FixTransport&) = delete;

  // Binds every host and starts the I/O threads. Throws std::runtime_error
  // naming the address, port or file that failed.
  void start();
  // Logs logged-on sessions out (waits up to logoutWaitMs for the answers),
  // closes every connection and joins the I/O threads. Idempotent.
  void stop(int logoutWaitMs = 10'000);
  // The bound ports, one per host (port 0 resolves here).
  std::vector<uint16_t> ports() const;
  size_t connections() const;

  // The peer address of the connection whose message QuickFIX is processing
  // on this thread (set around Session::next), or nullptr. Lets the logon
  // check in Application::fromAdmin throttle by address.
  static const std::string* currentPeer();

  // Defined in transport.cpp only; named here so its connections can hold it.
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::fix
