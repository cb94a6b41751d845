// A FIX broker emulator: a QuickFIX acceptor that plays the broker side of a
// FIX 4.2 / 4.4 order-routing session, so the FIX venue adapter is exercised
// over real sessions on loopback (tests, demos, the fix_broker_emulator tool).
//
// It accepts NewOrderSingle (D), OrderCancelRequest (F),
// OrderCancelReplaceRequest (G), OrderStatusRequest (H) and (FIX 4.4)
// OrderMassStatusRequest (AF); acks every valid
// order (ExecType New), fills marketable ones at once in two executions
// (partial, then the rest) against a per-symbol reference price, rests the
// others, cancels and replaces them, rejects symbol "REJECT" or on demand
// with a Text, and answers status requests. Order attributes (47/528, 77,
// 114, 110, 111, 18, 59=6 with 126/432) are recorded with every message
// (received()) and checked where a broker would refuse them. Fill reports use the version's
// own vocabulary: FIX 4.2 ExecType 1/2 with ExecTransType 0, FIX 4.4
// ExecType F. With a store path its sequence numbers survive a restart, and
// logons can be refused for a while, so a test can fill orders while the
// client is away and watch the client recover them through ResendRequest.
//
// Thread-safety: every public method is safe from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/fixed.h"

namespace fixgw::fixvenue {

struct BrokerEmulatorConfig {
  int port = 0;
  std::string beginString = "FIX.4.4";
  std::string senderCompId = "BROKER";    // the broker's CompID
  std::string targetCompId = "FIXVENUE";  // the client (adapter) CompID
  std::string storePath;                  // "" = in-memory store
  int heartbeatS = 30;
  Price defaultPrice = Price::fromInt(100);  // reference price of a symbol never set
  // Prefix of ExecID / OrderID; empty = derived from the start time so ids
  // stay unique across restarts of the emulator.
  std::string idPrefix;
  // Answer OrderMassStatusRequest (35=AF, FIX 4.4 only); false: AF is an
  // unsupported message type, as at brokers without it.
  bool massStatus = true;
};

// A received application message: tag -> value, header and body together.
using FixFields = std::map<int, std::string>;

struct EmulatedOrder {
  std::string clOrdId;  // live version
  std::string orderId;
  std::string symbol;
  char side = '1';
  Qty qty;
  Qty cumQty;
  std::optional<Price> price;
  bool open = true;
};

class BrokerEmulator {
 public:
  explicit BrokerEmulator(BrokerEmulatorConfig cfg);
  ~BrokerEmulator();
  BrokerEmulator(const BrokerEmulator&) = delete;
  BrokerEmulator& operator=(const BrokerEmulator&) = delete;

  // Listens on the port. Throws std::runtime_error on bad settings.
  void start();
  // Logs the client out and stops listening; safe to call twice.
  void stop();

  bool isLoggedOn() const;
  bool waitLoggedOn(bool loggedOn, std::chrono::milliseconds timeout) const;

  // Reference price: a buy limit at or above it (sell at or below) is
  // marketable and fills at this price.
  void setPrice(const std::string& symbol, Price px);
  // When false, marketable orders rest instead of filling (default true).
  void setAutoFill(bool on);
  // The next NewOrderSingle is rejected with this Text.
  void rejectNext(std::string text);
  // While true, application messages are recorded but not answered, as if the
  // broker's order handling were down (tests of requests that get no answer).
  void setSilent(bool on);
  // While false, logons are refused (the client keeps retrying).
  void setAcceptLogons(bool on);
  // Drops the client's connection with a Logout.
  void disconnect();
  // Sends a ResendRequest (35=2) for the client's messages from beginSeqNo on,
  // as a broker does after a gap. False if not logged on.
  bool requestResend(int beginSeqNo);

  // Fills part of a working order (ClOrdID of any version, or OrderID) at px.
  // Works while the client is away: the report is stored and reaches the
  // client through its ResendRequest. Returns the ExecID, or "" when the
  // order is unknown, not open or qty exceeds what is left.
  std::string fill(const std::string& clOrdIdOrOrderId, Qty qty, Price px);
  // Sends a fresh copy of an ExecutionReport already sent, flagged
  // PossDupFlag=Y with OrigSendingTime, as a broker does after a failover.
  bool resendAsPossDup(const std::string& execId);

  // Application messages received, oldest first, optionally only one type.
  std::vector<FixFields> received(const std::string& msgType = "") const;
  // Admin messages received (Logon, ResendRequest, ...), oldest first.
  std::vector<FixFields> receivedAdmin(const std::string& msgType = "") const;
  std::optional<EmulatedOrder> order(const std::string& clOrdIdOrOrderId) const;
  size_t openOrders() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw::fixvenue
