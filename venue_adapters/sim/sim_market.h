// The simulator's matching core: one price-time priority limit order book per
// instrument, with synthetic market-maker (MM) liquidity around a mid that
// follows a seeded random walk. Pure and deterministic: no threads, no clock
// (the caller passes the time to stamp events with), no I/O. Every operation
// returns the VenueEvents it produced, in the order they happened.
//
// Rules (see also SimConfig in sim_venue.h):
// * The mid starts at the instrument's referencePrice rounded to its tick.
//   Instruments without a positive reference price get a book with no MM.
// * The MM quotes depthLevels levels per side, levelQty each, best bid/ask
//   spreadTicks apart. On every step() or setMid() it pulls all its quotes
//   and quotes again around the new mid; a new quote that crosses a resting
//   client order trades with it at the client's price (the client order is
//   the maker). MM liquidity taken by clients is only replenished then.
// * Fills are always at the resting order's price. Client orders may trade
//   with each other (no self-trade prevention).
// * Every valid order is Accepted first. Day/Gtc limit remainders rest; IOC
//   and market remainders expire; FOK is checked against the liquidity it can
//   reach before matching and expires untouched if that is not enough.
// * Replace keeps time priority only when the price is unchanged and the
//   quantity does not go up; otherwise the order goes to the back of its new
//   level and, if now marketable, trades right after the Replaced event.
// * Stop and stop-limit orders are Accepted and wait, off the book, until the
//   mid reaches their StopPx (buy: mid >= stop; sell: mid <= stop), checked on
//   arrival and after every re-quote. Then a stop becomes a market order and a
//   stop-limit a limit order, and they trade like one. A book without a
//   reference price never triggers them. TimeInForce OPG is rejected: there is
//   no opening auction.
// * Derivatives (Instrument::contractSize != 1): quantities are contracts,
//   prices per unit of the underlying. Fees are on qty * contractSize * price
//   in the settle currency, and the MM's minimum level notional counts the
//   contract size too.
//
// Thread-safety: none; one thread (the simulator loop, or a test) owns it.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory_resource>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/fixed.h"
#include "core/ids.h"
#include "core/instrument.h"
#include "core/market_data.h"
#include "core/types.h"
#include "core/venue.h"
#include "venue_adapters/sim/sim_venue.h"

namespace fixgw::sim {

// One price level as tests and tools see it.
struct LevelView {
  Price price;
  Qty qty;               // total resting quantity
  int orders = 0;        // resting orders, MM included
  int clientOrders = 0;  // of which client orders
};

class SimMarket {
 public:
  SimMarket(VenueId venue, SimConfig cfg, const InstrumentMaster& instruments);

  std::vector<VenueEvent> submit(const VenueNewOrder& o, WallNanos now);
  std::vector<VenueEvent> cancel(const VenueCancel& c, WallNanos now);
  std::vector<VenueEvent> replace(const VenueReplace& r, WallNanos now);
  // One random-walk step for every instrument (in symbol order, so the
  // sequence of mids is a function of the seed alone), then re-quote.
  std::vector<VenueEvent> step(WallNanos now);
  // Moves one instrument's mid (rounded to its tick, at least one tick above
  // the deepest quote reaching zero) and re-quotes. Unknown symbol: no-op.
  std::vector<VenueEvent> setMid(const Symbol& symbol, Price mid, WallNanos now);
  // Expires every open Day order ("end of session"); Gtc orders stay.
  std::vector<VenueEvent> expireDayOrders(WallNanos now);

  std::optional<Price> mid(const Symbol& symbol) const;
  std::optional<Price> bestBid(const Symbol& symbol) const;
  std::optional<Price> bestAsk(const Symbol& symbol) const;
  // Levels of one side, best first. Side::SellShort reads the ask side too.
  std::vector<LevelView> depth(const Symbol& symbol, Side side) const;
  // Size of one MM level for symbol (zero if unknown).
  Qty levelQty(const Symbol& symbol) const;
  // Open client orders, oldest first, for reconciliation and tests.
  std::vector<VenueOrderState> openOrders() const;
  std::vector<Symbol> symbols() const;
  // Market data. Every trade (a client order with the MM or with another
  // client order) is recorded as it happens; takeTrades() hands over those
  // since the last call, oldest first (the adapter drains after every
  // operation, so the record stays small).
  std::vector<Trade> takeTrades();
  // Gives back an emptied event vector (one an operation returned) so the next
  // operation reuses its capacity instead of allocating (issue 15).
  void recycle(std::vector<VenueEvent>&& v) {
    v.clear();
    if (v.capacity() > scratch_.capacity()) scratch_ = std::move(v);
  }
  void clearTrades() { trades_.clear(); }
  // The book of symbol now: best bid/ask with total sizes, and up to
  // depthLevels levels per side. Unknown symbol: empty sides.
  TopOfBook topOfBook(const Symbol& symbol, size_t depthLevels, WallNanos now) const;
  // The same into `out`, reusing its vectors' capacity (no allocation once warm).
  void topOfBookInto(const Symbol& symbol, size_t depthLevels, WallNanos now, TopOfBook& out) const;
  const SimConfig& config() const { return cfg_; }

 private:
  enum class State : uint8_t { Open, Filled, Canceled, Expired };

  struct Order {
    uint64_t key = 0;  // arrival order; also the time-priority tiebreak
    bool mm = false;
    ChildOrderId childId;
    VenueOrderId venueOrderId;
    Symbol symbol;
    Side side = Side::Buy;
    OrdType type = OrdType::Limit;
    TimeInForce tif = TimeInForce::Day;
    Qty qty;
    Qty cum;
    std::optional<Price> price;
    std::optional<Price> stopPx;
    std::optional<Qty> minQty;  // MinQty (110): IOC/FOK only; less reachable expires it unfilled
    bool armed = false;  // an untriggered stop / stop-limit, off the book
    State state = State::Open;
    Qty leaves() const { return state == State::Open ? qty - cum : Qty(); }
  };

  // Price levels keyed so that begin() is the best level on both sides: asks
  // by price, bids by negated price. Each level is a FIFO of order keys.
  // The FIFOs' nodes come from pool_ (one per resting order; rest()).
  using Ladder = std::map<int64_t, std::pmr::list<uint64_t>>;

  struct Book {
    Instrument inst;
    int64_t mid = 0;  // price mantissa; 0 = no MM (no reference price)
    Qty levelQty;
    Ladder bids;
    Ladder asks;
    std::vector<uint64_t> mmKeys;  // current quotes (some may be filled)
    std::vector<uint64_t> stops;   // armed stop orders, arrival order (some may be done)
  };

  static const char* stateText(State s);
  Book* findBook(const Symbol& s);
  const Book* findBook(const Symbol& s) const;
  Order* findOrder(const ChildOrderId& child, const VenueOrderId& venueId);
  static Ladder& ownSide(Book& b, Side s);
  static Ladder& otherSide(Book& b, Side s);
  static int64_t levelKey(int64_t priceMantissa, bool buySide);

  void match(Book& b, Order& o, WallNanos now, std::vector<VenueEvent>& out);
  // What an accepted (or just triggered) order does: FOK check, match, then
  // expire (market/IOC/FOK remainder) or rest.
  void execute(Book& b, Order& o, WallNanos now, std::vector<VenueEvent>& out);
  static bool stopReached(const Book& b, const Order& o);
  // Converts a triggered stop to the order it becomes and executes it.
  void trigger(Book& b, Order& o, WallNanos now, std::vector<VenueEvent>& out);
  void checkStops(Book& b, WallNanos now, std::vector<VenueEvent>& out);
  Qty reachableQty(const Book& b, const Order& o) const;
  void rest(Book& b, Order& o);
  void unrest(Book& b, const Order& o);
  void requote(Book& b, WallNanos now, std::vector<VenueEvent>& out);
  int64_t clampMid(const Book& b, int64_t mid) const;
  double nextNormal();

  VenueEvent event(const Order& o, VenueEventKind kind, WallNanos now) const;
  // An empty vector for an operation's events, with the capacity recycle() gave back.
  std::vector<VenueEvent> takeScratch() {
    std::vector<VenueEvent> v;
    v.swap(scratch_);
    return v;
  }
  // The fee (if any) is on lastQty * contractSize * lastPx, in the settle currency.
  VenueEvent fill(const Order& o, Qty lastQty, Price lastPx, WallNanos now, bool taker,
                  const Instrument& inst);

  VenueId venue_;
  SimConfig cfg_;
  std::mt19937_64 rng_;
  // Issue 15: the per-order nodes (orders and their indexes, the levels'
  // FIFOs) come from this pool, not one malloc each. Declared before the
  // containers that use it: it must outlive them.
  std::pmr::unsynchronized_pool_resource pool_;
  std::map<Symbol, Book> books_;  // ordered: the walk visits symbols in order
  std::pmr::unordered_map<uint64_t, Order> orders_{&pool_};
  std::pmr::unordered_map<ChildOrderId, uint64_t> byChild_{&pool_};
  std::pmr::unordered_map<VenueOrderId, uint64_t> byVenueId_{&pool_};
  std::vector<VenueEvent> scratch_;  // recycle()d
  std::vector<Trade> trades_;
  uint64_t nextKey_ = 1;
  uint64_t nextVenueOrderId_ = 1;
  uint64_t nextExecId_ = 1;
};

}  // namespace fixgw::sim
