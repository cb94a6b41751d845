// The FIX acceptor: the gateway's client-facing edge. It runs QuickFIX
// acceptor sessions (FIX 4.2 and 4.4, validated against the shipped data
// dictionaries in fix_acceptor/spec), turns inbound 35=D/F/G/H/q into
// version-free Commands for the engine, and turns the engine's ClientReports
// back into 35=8/9/j/r for the session's FIX version. Malformed or
// unsupported input never reaches the engine: it is answered on the session
// (35=3 from dictionary validation; 35=8 OrdStatus=8, 35=9 or 35=j from the
// acceptor's own checks) with a Text naming the offending tag.
//
// QuickFIX stays behind a pImpl: this header is safe to include from modules
// that do not link QuickFIX.
//
// Thread-safety: start()/stop() from one owning thread. deliver() may be
// called from any thread (normally the engine thread) concurrently with the
// QuickFIX session threads. The CommandSink is called from QuickFIX session
// threads (one per connection) and must be thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/commands.h"
#include "core/reports.h"
#include "fix_acceptor/transport.h"
#include "fix_acceptor/drop_copy.h"

namespace fixgw::fix {

struct FixSessionConfig {
  std::string beginString;   // "FIX.4.2" or "FIX.4.4"
  std::string targetCompId;  // the client's SenderCompID
  // Peer addresses / CIDR blocks allowed to log on to this session; empty:
  // any (only with the gateway's own transport).
  std::vector<std::string> allowFrom{};
  // Logon must carry Username (553) and Password (554) matching the
  // credentials file (FixAcceptorConfig::credentialsFile).
  bool requireLogonAuth = false;
  std::string username{};  // the Username (553) expected; empty: targetCompId
  // A read-only drop-copy session (fix_acceptor/drop_copy.h): orders on it are
  // refused with a BusinessMessageReject; its copies come from DropCopyPump.
  bool dropCopy = false;
  std::optional<bool> resetOnLogon;  // overrides FixAcceptorConfig::resetOnLogon for this session
};

// Receives every FIX message in and out of every session, raw (SOH kept), so
// the gateway can keep them for audit. Called from QuickFIX's session
// threads and from whichever thread sends a report: thread-safe and quick.
class FixMessageSink {
 public:
  virtual ~FixMessageSink() = default;
  virtual void onFixMessage(const SessionKey& session, bool inbound, const std::string& raw) = 0;
  // The same message as its one shared buffer (inbound: the buffer the command's
  // CommandHeader::rawFix holds too). A sink that keeps the bytes overrides this to
  // keep a reference instead of a copy; the default hands on the string.
  virtual void onFixMessageShared(const SessionKey& session, bool inbound, const SharedText& raw) {
    onFixMessage(session, inbound, raw.str());
  }
};

struct FixAcceptorConfig {
  // "asio": the gateway's own socket layer (transport.h): binds host/hosts
  // only, allow-lists, limits, TLS. "quickfix": QuickFIX's
  // ThreadedSocketAcceptor, which listens on all interfaces (QuickFIX 1.15
  // has no SocketAcceptHost) and supports none of those.
  std::string transport = "asio";
  std::string host = "127.0.0.1";
  std::vector<std::string> hosts;  // several listen addresses; empty: {host}
  TransportLimits limits;
  TransportTls tls;
  // One reactor thread is the fastest on a small box (no hand-off between
  // threads on the ack path); raise it when sessions block in their store
  // (storeType "postgres") so one slow session does not delay the others.
  int ioThreads = 1;
  // Logon authentication (sessions with requireLogonAuth): the credentials
  // file (logon_auth.h format), and the failure throttle.
  std::string credentialsFile;
  int maxLogonFailures = 5;
  int logonFailureWindowMs = 60'000;
  // Refused connections and logons, for the audit journal; may be empty.
  SecuritySink securitySink;
  int port = 9878;
  std::string senderCompId = "FIXGW";
  std::vector<FixSessionConfig> sessions;
  std::string specDir;  // holds FIX42.xml, FIX44.xml
  // "append" (AppendFileStore: one append-only file per session in storePath),
  // "file" (QuickFIX FileStore), "memory", or "postgres" (PgMessageStore:
  // sequence numbers and sent messages in the fix_sessions/fix_messages
  // tables of schema/0002, reached through storeConninfo).
  std::string storeType = "file";
  std::string storePath = "var/fix/store";
  std::string storeConninfo;  // libpq conninfo; required when storeType == "postgres"
  std::string logPath;        // empty = no message log files (events go to spdlog)
  FixMessageSink* messageSink = nullptr;  // not owned; outlives the acceptor
  int heartBtInt = 30;
  bool resetOnLogon = true;
  // Told when a drop-copy session logs on or out (not owned; outlives the acceptor).
  DropCopyListener* dropCopyListener = nullptr;
};

class FixAcceptor final : public ReportSink, public DropCopySender {
 public:
  FixAcceptor(FixAcceptorConfig cfg, CommandSink& sink);
  ~FixAcceptor() override;
  FixAcceptor(const FixAcceptor&) = delete;
  FixAcceptor& operator=(const FixAcceptor&) = delete;

  // Validates the config, loads the dictionaries and starts listening.
  // Throws std::runtime_error with a message naming the problem (bad
  // setting, missing dictionary, port in use). Calling it twice throws.
  void start();
  // Logs sessions out and stops listening. Idempotent; also run by the
  // destructor.
  void stop();
  // Sends the report on its session (r.session is the SessionKey text,
  // e.g. "FIX.4.4:FIXGW->CLIENT1"). Never throws: an unknown session, a
  // session that is not logged on (the message is stored for resend) or a
  // send failure is logged.
  void deliver(const ClientReport& r) override;
  // Sends a copy of r on the drop-copy session dropCopy, with OnBehalfOfCompID
  // (115) naming the client of the source session. True only when the session
  // is logged on and QuickFIX took the message. Never throws.
  bool sendCopy(const SessionKey& dropCopy, const ExecReport& r, const SessionKey& source) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw::fix
