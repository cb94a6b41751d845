// A TWS API server emulator for tests and demos: the server side of the same
// socket protocol at one pinned server version. It does the handshake, sends
// nextValidId and managedAccounts after startApi, accepts placeOrder
// (acknowledged with openOrder + orderStatus Submitted), modify (placeOrder
// with a known id), cancelOrder, reqOpenOrders/reqAllOpenOrders,
// reqExecutions, reqIds, reqCurrentTime and reqMktData / cancelMktData
// (market data: a book per contract it has a price for, tickPrice/tickSize
// for bid, ask and last, tickString RTVolume when generic tick 233 is asked
// for, every execution printed as a trade), and fills orders against a
// simple price model: one price per contract; an order is marketable when a
// market order, a buy limit at or above the price, a sell limit at or below
// it, or a triggered stop. OPG orders wait for openAuction(). Marketable
// orders fill in chunks of at most
// maxFillQty (partial fills), one chunk per event-loop turn.
//
// Orders live independently of connections: after dropConnections() orders
// keep filling, and a reconnecting client finds the executions through
// reqExecutions. Test hooks inject error codes, drop connections and send raw
// (garbled) payloads.
//
// Thread-safety: every public method is safe from any thread; hooks run on
// the emulator's I/O thread and return when done.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/fixed.h"
#include "venue_adapters/ibkr_tws/messages.h"

namespace fixgw::tws {

struct EmulatorConfig {
  std::string bindAddress = "127.0.0.1";
  int port = 0;  // 0 = any free port (see TwsEmulator::port())
  int serverVersion = kMaxClientVersion;
  int64_t firstOrderId = 1;
  std::string accounts = "DU1234567";
  bool autoFill = true;
  Qty maxFillQty;  // 0 = fill the whole remainder at once
  // Commission per share, at least minCommission per execution (USD).
  Price commissionPerShare = Price::of("0.005");
  Price minCommission = Price::of("1");
  // false: no commissionReport follows an execution (to test a client that
  // must not wait for it forever).
  bool sendCommissionReports = true;
  // Market data: a contract with a price P quotes bid P - quoteHalfSpread and
  // ask P + quoteHalfSpread, quoteSize each, unless setQuote overrides it.
  Price quoteHalfSpread = Price::of("0.01");
  Qty quoteSize = Qty::fromInt(100);
};

class TwsEmulator {
 public:
  struct OrderView {
    int64_t orderId = 0;
    int64_t clientId = 0;
    std::string orderRef;
    std::string action;
    std::string orderType;
    std::string tif;
    std::string symbol;
    Qty qty;
    Qty filled;
    std::optional<Price> lmtPrice;
    std::optional<Price> auxPrice;  // STP, STP LMT: the trigger
    std::string status;  // PreSubmitted (OPG before the open), Submitted, Filled, Cancelled
    // Order attributes as parsed from placeOrder (version-gated fields are
    // unset below their server version).
    std::string openClose;
    std::string rule80A;
    std::optional<int64_t> minQty;
    int64_t displaySize = 0;
    std::string goodTillDate;
    std::optional<Price> cashQty;
    std::optional<int64_t> duration;
    std::optional<int64_t> postToAts;
  };

  explicit TwsEmulator(EmulatorConfig cfg = {});
  ~TwsEmulator();
  TwsEmulator(const TwsEmulator&) = delete;
  TwsEmulator& operator=(const TwsEmulator&) = delete;

  // Binds and starts the I/O thread. Throws std::runtime_error if the port
  // cannot be bound.
  void start();
  void stop();
  int port() const;
  int serverVersion() const;

  // ---- price model ----
  // The price of a contract, keyed by its symbol ("AAPL") or "conid:<id>".
  // Moving it re-runs matching, filling orders it makes marketable.
  void setPrice(const std::string& key, Price px);
  void setAutoFill(bool on);
  void setMaxFillQty(Qty q);
  // Fills qty of a working order at px (default: its limit or the price).
  // Returns false when the order is unknown or not working.
  bool fillOrder(int64_t orderId, Qty qty, std::optional<Price> px = std::nullopt);
  // The simulated opening auction. OPG orders never trade before it (they
  // stay PreSubmitted); here each one marketable at its contract's price
  // fills in full and the others are cancelled. Returns how many traded.
  size_t openAuction();
  // Cancels every working GTD order whose goodTillDate is at or before
  // unixSeconds (the emulator's clock is the caller's: no timers). Returns
  // how many expired.
  size_t expireGoodTillDate(int64_t unixSeconds);

  // Overrides the quote derived from the price (nullopt: that side empty).
  // Subscribers get the ticks that changed.
  void setQuote(const std::string& key, std::optional<Price> bid, Qty bidQty,
                std::optional<Price> ask, Qty askQty);

  // ---- fault injection ----
  // The next new order is answered with error(code, text) and orderStatus
  // Cancelled instead of being accepted.
  void rejectNextOrder(int code, std::string text);
  // Sends error(id, code, text) to every connected client.
  void sendError(int64_t id, int code, std::string text);
  // Sends a raw payload (framed) to every connected client.
  void sendRaw(std::string payload);
  // Closes every client connection; orders keep working.
  void dropConnections();
  // While false, new connections are closed at once.
  void setAcceptConnections(bool on);
  // Forgets the order id high-water mark (like a TWS restart): nextValidId
  // answers `id` from now on.
  void setNextValidId(int64_t id);

  // ---- inspection ----
  std::vector<OrderView> orders() const;
  std::optional<OrderView> order(int64_t orderId) const;
  // Ids of every new order received, in arrival order (modifies excluded).
  std::vector<int64_t> newOrderIds() const;
  size_t connectedClients() const;
  uint64_t connectionsAccepted() const;
  uint64_t requestsReceived(int msgId) const;
  uint64_t badRequests() const;
  size_t executions() const;
  // Active reqMktData subscriptions over all connections.
  size_t marketDataSubscriptions() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::tws
