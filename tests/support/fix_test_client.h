// A QuickFIX initiator for integration tests: logs on to a gateway over
// loopback, sends hand-built messages (including malformed ones: QuickFIX
// does not validate what it sends) and records everything it receives, app
// and admin, in arrival order so a test can wait on a condition.
//
// Inbound messages are validated against the client-side dictionary given at
// construction (normally the shipped fix_acceptor/spec), so a gateway message
// that breaks the dictionary shows up as a Reject sent by this client rather
// than as a received message.
//
// Thread-safety: the public methods may be called from the test thread while
// QuickFIX's initiator thread delivers messages; they lock internally. Two
// clients with the same (BeginString, Sender, Target) must not exist at once
// in one process (QuickFIX's session registry is global).
#pragma once

#include <quickfix/Application.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fixgw::testing {

// Binds 127.0.0.1:0, reads the port the kernel chose and closes the socket.
int pickFreePort();

// Fields of an order-entry message; strings exactly as they go on the wire
// (so a test can send "0", "-1", "1.123456789" or "9"). Unset optionals are
// omitted.
struct OrderFields {
  std::string clOrdId;
  std::optional<std::string> origClOrdId;  // F, G
  std::optional<std::string> orderId;      // F, G, H
  std::string symbol = "AAPL";
  std::string side = "1";
  std::optional<std::string> qty = "100";
  std::optional<std::string> ordType = "2";
  std::optional<std::string> price = "100.25";
  std::optional<std::string> stopPx;  // 99: stop and stop-limit orders (D, G)
  std::optional<std::string> tif = "0";
  std::optional<std::string> account;
  std::optional<std::string> exDestination;
  bool possResend = false;
};

class FixTestClient {
 public:
  using Pred = std::function<bool(const FIX::Message&)>;

  // resetOnLogon: sends ResetSeqNumFlag=Y at logon (QuickFIX ResetOnLogon).
  // fileStorePath: empty keeps session state in memory; otherwise a QuickFIX
  // FileStore in that folder, so sequence numbers survive this object and a
  // new client on the same path resumes the session (reconnect tests).
  FixTestClient(std::string beginString, std::string senderCompId, std::string targetCompId,
                int port, std::string specDir, bool resetOnLogon = true,
                std::string fileStorePath = {});
  ~FixTestClient();
  FixTestClient(const FixTestClient&) = delete;
  FixTestClient& operator=(const FixTestClient&) = delete;

  // A field this client puts on every Logon it sends (e.g. Username 553, Password 554).
  void setLogonField(int tag, std::string value);
  // Starts the initiator (once) and waits for the Logon exchange.
  bool logon(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Logs out and stops the initiator; safe to call twice.
  void logout();
  bool isLoggedOn() const;

  // Fills BeginString/SenderCompID/TargetCompID and sends. Throws
  // std::runtime_error when the session does not exist.
  void send(FIX::Message m);

  // Waits until a received message satisfies pred and returns a copy; the
  // message stays in received(). nullopt on timeout.
  std::optional<FIX::Message> waitFor(Pred pred,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Same, but removes the first match so the next call sees the next one.
  std::optional<FIX::Message> waitForAndPop(
      Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::vector<FIX::Message> received() const;
  void clearReceived();

  const FIX::SessionID& sessionId() const { return sessionId_; }
  const std::string& beginString() const { return beginString_; }

  // ---- message builders for this client's FIX version ----
  FIX::Message newOrder(const OrderFields& f) const;  // 35=D
  FIX::Message cancel(const OrderFields& f) const;    // 35=F
  FIX::Message replace(const OrderFields& f) const;   // 35=G
  FIX::Message status(const OrderFields& f) const;    // 35=H
  FIX::Message massCancel(const std::string& clOrdId, const std::string& requestType,
                          std::optional<std::string> symbol = std::nullopt) const;  // 35=q

  // ---- field access ----
  // Body first, then header; "" when absent.
  static std::string field(const FIX::Message& m, int tag);
  static bool has(const FIX::Message& m, int tag);
  static std::string msgType(const FIX::Message& m);
  // "8=FIX.4.4|9=...|35=8|..." for failure messages.
  static std::string text(const FIX::Message& m);
  // Common predicates.
  static Pred isType(std::string type);
  static Pred isTypeWith(std::string type, int tag, std::string value);

 private:
  class App;

  std::string beginString_;
  FIX::SessionID sessionId_;
  std::unique_ptr<App> app_;
  std::unique_ptr<FIX::SessionSettings> settings_;
  std::unique_ptr<FIX::MessageStoreFactory> store_;
  std::unique_ptr<FIX::SocketInitiator> initiator_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace fixgw::testing
