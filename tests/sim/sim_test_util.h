// Shared fixtures for the simulator tests: the product's instrument set and
// short builders for venue requests.
#pragma once

#include <optional>
#include <string>

#include "core/instrument.h"
#include "core/venue.h"

namespace fixgw::sim::testing {

inline Instrument makeInstrument(const char* sym, const char* ref, const char* tick,
                                 const char* lot) {
  Instrument i;
  i.symbol = Symbol(sym);
  i.referencePrice = Price::of(ref);
  i.tickSize = Price::of(tick);
  i.lotSize = Qty::of(lot);
  return i;
}

inline InstrumentMaster productInstruments() {
  InstrumentMaster m;
  m.add(makeInstrument("AAPL", "100.00", "0.01", "1"));
  m.add(makeInstrument("MSFT", "400.00", "0.01", "1"));
  m.add(makeInstrument("BTC-USD", "60000.00", "0.01", "0.00000001"));
  return m;
}

inline VenueNewOrder order(const char* child, const char* sym, Side side, const char* qty,
                           std::optional<const char*> px, TimeInForce tif = TimeInForce::Day) {
  VenueNewOrder o;
  o.childId = ChildOrderId(child);
  o.symbol = Symbol(sym);
  o.side = side;
  o.ordType = px ? OrdType::Limit : OrdType::Market;
  o.tif = tif;
  o.qty = Qty::of(qty);
  if (px) o.price = Price::of(*px);
  o.account = Account("ACC1");
  return o;
}

inline VenueNewOrder limit(const char* child, Side side, const char* qty, const char* px,
                           TimeInForce tif = TimeInForce::Day) {
  return order(child, "AAPL", side, qty, px, tif);
}

inline VenueNewOrder marketOrder(const char* child, Side side, const char* qty,
                                 TimeInForce tif = TimeInForce::Day) {
  return order(child, "AAPL", side, qty, std::nullopt, tif);
}

inline VenueCancel cancelOf(const char* child, const char* venueOrderId = "") {
  VenueCancel c;
  c.childId = ChildOrderId(child);
  c.venueOrderId = VenueOrderId(venueOrderId);
  c.symbol = Symbol("AAPL");
  return c;
}

inline VenueReplace replaceOf(const char* child, const char* newQty,
                              std::optional<const char*> newPx = std::nullopt) {
  VenueReplace r;
  r.childId = ChildOrderId(child);
  r.symbol = Symbol("AAPL");
  r.newQty = Qty::of(newQty);
  if (newPx) r.newPrice = Price::of(*newPx);
  return r;
}

}  // namespace fixgw::sim::testing
