// Smart order routing: the pure, deterministic policy that decides *where* a
// marketable order goes when several venues trade its symbol.
//
// Input: each venue's book (top and depth levels), its fees (taker/maker in
// basis points, from config), its health (connected, recent rejects, ack
// latency), and the order (side, quantity, optional limit, lot size).
// Output: an allocation — venue, quantity, the worst price taken there (the
// child's limit) and the reason in words — that takes the book levels in
// order of all-in price (price including the taker fee: a buy pays
// price x (1 + fee), a sell receives price x (1 - fee)), never through the
// limit, in whole lots; plus the remainder and the venue where a limit
// remainder would best rest (lowest maker fee).
//
// Ties are broken the same way every time: lower ack latency, fewer recent
// rejects, then the venue name. No clock, no randomness, no allocation of
// state between calls: the same input gives the same decision.
//
// The SOR strategy (Strategy::Sor, algos/sor.cpp) drives this policy from an
// AlgoRunner: one IOC child per venue of the allocation, the remainder then
// re-routed, rested or cancelled by policy (SorRemainder).
//
// Thread-safety: decideSor is a pure function; the types are plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed.h"
#include "core/ids.h"
#include "core/market_data.h"
#include "core/types.h"

namespace fixgw::algos {

// Basis points as a fixed-point number: "2.5" = 2.5 bps = 0.025%. A negative
// maker fee is a rebate.
using Bps = Fixed<struct BpsTag>;

struct SorVenueFees {
  Bps taker;  // charged on a fill that takes liquidity (the sweep children)
  Bps maker;  // charged (or, negative, paid) on a resting fill
};

struct SorVenueHealth {
  bool connected = true;
  int recentRejects = 0;         // rejects of our children within the health window
  int64_t ackLatencyMicros = 0;  // recent submit-to-ack latency (0 = unknown)
};

// One venue as the SOR sees it for one symbol.
struct SorVenue {
  VenueId venue;
  std::optional<TopOfBook> book;  // nullopt: no market data yet (not routed to)
  SorVenueFees fees;
  SorVenueHealth health;
  Qty lotSize;  // the venue's own quantity step, if coarser than the order's; 0 = the order's
};

// What happens to what the books cannot fill now (docs/sor.md).
enum class SorRemainder : uint8_t {
  Rest,     // a limit order's remainder rests at the best venue for resting (lowest maker fee)
  Reroute,  // wait for the books to change and sweep again
  Cancel,   // finish the parent with the remainder unfilled (IOC, or a market order)
};
std::string_view toString(SorRemainder r);
std::optional<SorRemainder> sorRemainderFromName(std::string_view name);  // rest|reroute|cancel

struct SorPolicyConfig {
  // A venue with this many recent rejects (or more) is not routed to; 0 = no limit.
  int maxRecentRejects = 3;
  // A venue slower than this to acknowledge is not routed to; 0 = no limit.
  int64_t maxAckLatencyMicros = 0;
};

struct SorRequest {
  Side side = Side::Buy;
  Qty qty;
  std::optional<Price> limit;     // nullopt: a market order (any price in the books)
  Qty lotSize = Qty::fromInt(1);  // the instrument's quantity step
  std::vector<VenueId> avoid;     // venues this parent must not use (they rejected it)
};

struct SorAllocation {
  VenueId venue;
  Qty qty;
  Price limit;       // the worst level price taken here: the child's limit
  Price bestPx;      // the best level price taken here
  Price allInWorst;  // limit incl. the taker fee, rounded to 8 decimals (for the reason)
  Bps takerFee;
  int levels = 0;  // book levels taken
  std::string reason;
};

struct SorDecision {
  std::vector<SorAllocation> allocations;  // best all-in first; one per venue
  Qty allocated;
  Qty remainder;  // qty - allocated
  // Where a limit remainder rests best (lowest maker fee among healthy
  // venues, then latency, rejects, name); nullopt when no venue is usable.
  std::optional<VenueId> restVenue;
  std::string restReason;
  // Venues left out and why ("SIMB: disconnected").
  std::vector<std::string> excluded;
  // One line: what was taken where, for the child's reason and the journal.
  std::string summary;
};

// All-in price of px with fee as an exact 128-bit value, kept unreduced so
// comparisons are exact: price mantissa x (10^12 +/- fee mantissa), i.e.
// scale 10^-20 (the fee's mantissa is bps at 10^-8, and 1 bp = 10^-4).
__int128 sorAllInRaw(Side side, Price px, Bps fee);
// The same, rounded to a Price (half away from zero), for display.
Price sorAllInPrice(Side side, Price px, Bps fee);

SorDecision decideSor(const SorRequest& req, const std::vector<SorVenue>& venues,
                      const SorPolicyConfig& cfg = {});

}  // namespace fixgw::algos
