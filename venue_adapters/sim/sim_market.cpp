#include "venue_adapters/sim/sim_market.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/contract_value.h"

namespace fixgw::sim {

namespace {

int64_t roundToStep(int64_t m, int64_t step) {
  if (step <= 0) return m;
  int64_t half = step / 2;
  int64_t q = m >= 0 ? (m + half) / step : -((-m + half) / step);
  return q * step;
}

// Level size: an explicit override, else max(levelQtyLots lots, the lots
// needed for minLevelNotional at the reference price), always whole lots.
Qty computeLevelQty(const SimConfig& cfg, const Instrument& inst) {
  const int64_t lot = inst.lotSize.mantissa() > 0 ? inst.lotSize.mantissa() : 1;
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  if (cfg.levelQty.isPositive()) {
    int64_t q = cfg.levelQty.mantissa() / lot * lot;
    return Qty::fromMantissa(std::max(q, lot));
  }
  __int128 byLots = static_cast<__int128>(std::max<int64_t>(cfg.levelQtyLots, 0)) * lot;
  __int128 byNotional = 0;
  const int64_t px = inst.referencePrice.mantissa();
  if (px > 0 && cfg.minLevelNotional.isPositive()) {
    // qty = notional / (price * contractSize); all at scale 1e-8, so the qty
    // mantissa = N * 1e8 * 1e8 / (P * CS), rounded up.
    const __int128 cs = inst.contractSize.isPositive() ? inst.contractSize.mantissa() : kOne;
    const __int128 per = static_cast<__int128>(px) * cs;
    __int128 q =
        (static_cast<__int128>(cfg.minLevelNotional.mantissa()) * kOne * kOne + per - 1) / per;
    byNotional = (q + lot - 1) / lot * lot;
  }
  __int128 q = std::max({byLots, byNotional, static_cast<__int128>(lot)});
  // Keep room for summing a few levels without overflow.
  q = std::min(q, kMax / 1024 / lot * lot);
  return Qty::fromMantissa(static_cast<int64_t>(q));
}

}  // namespace

SimMarket::SimMarket(VenueId venue, SimConfig cfg, const InstrumentMaster& instruments)
    : venue_(std::move(venue)), cfg_(cfg), rng_(cfg.seed) {
  cfg_.spreadTicks = std::max(cfg_.spreadTicks, 1);
  cfg_.depthLevels = std::clamp(cfg_.depthLevels, 0, 10'000);
  for (const auto& [sym, inst] : instruments.all()) {
    Book b;
    b.inst = inst;
    if (b.inst.tickSize.mantissa() <= 0) b.inst.tickSize = Price::fromMantissa(1);
    if (b.inst.lotSize.mantissa() <= 0) b.inst.lotSize = Qty::fromMantissa(1);
    b.levelQty = computeLevelQty(cfg_, b.inst);
    int64_t ref = roundToStep(inst.referencePrice.mantissa(), b.inst.tickSize.mantissa());
    if (ref > 0) ref += cfg_.midOffsetTicks * b.inst.tickSize.mantissa();
    b.mid = ref > 0 ? clampMid(b, ref) : 0;
    auto [it, _] = books_.emplace(sym, std::move(b));
    std::vector<VenueEvent> none;  // no client orders yet: quoting cannot fill anyone
    requote(it->second, 0, none);
  }
}

SimMarket::Book* SimMarket::findBook(const Symbol& s) {
  auto it = books_.find(s);
  return it == books_.end() ? nullptr : &it->second;
}

const SimMarket::Book* SimMarket::findBook(const Symbol& s) const {
  auto it = books_.find(s);
  return it == books_.end() ? nullptr : &it->second;
}

SimMarket::Order* SimMarket::findOrder(const ChildOrderId& child, const VenueOrderId& venueId) {
  if (!venueId.empty()) {
    auto it = byVenueId_.find(venueId);
    if (it != byVenueId_.end()) return &orders_.at(it->second);
  }
  if (!child.empty()) {
    auto it = byChild_.find(child);
    if (it != byChild_.end()) return &orders_.at(it->second);
  }
  return nullptr;
}

SimMarket::Ladder& SimMarket::ownSide(Book& b, Side s) { return isBuy(s) ? b.bids : b.asks; }
SimMarket::Ladder& SimMarket::otherSide(Book& b, Side s) { return isBuy(s) ? b.asks : b.bids; }
int64_t SimMarket::levelKey(int64_t priceMantissa, bool buySide) {
  return buySide ? -priceMantissa : priceMantissa;
}

int64_t SimMarket::clampMid(const Book& b, int64_t mid) const {
  // The best bid must stay at least one tick above zero.
  const int64_t tick = b.inst.tickSize.mantissa();
  const int64_t floor = tick * (cfg_.spreadTicks / 2 + 1);
  return std::max(mid, floor);
}

const char* SimMarket::stateText(State s) {
  switch (s) {
    case State::Open:
      return "open";
    case State::Filled:
      return "filled";
    case State::Canceled:
      return "canceled";
    case State::Expired:
      return "expired";
  }
  return "?";
}

double SimMarket::nextNormal() {
  // Box-Muller over raw mt19937_64 output: unlike std::normal_distribution,
  // this gives the same walk for a seed with every standard library.
  constexpr double k2to53 = 1.0 / 9007199254740992.0;
  double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * k2to53;  // (0, 1]
  double u2 = static_cast<double>(rng_() >> 11) * k2to53;          // [0, 1)
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

VenueEvent SimMarket::event(const Order& o, VenueEventKind kind, WallNanos now) const {
  VenueEvent e;
  e.kind = kind;
  e.venue = venue_;
  e.childId = o.childId;
  e.venueOrderId = o.venueOrderId;
  e.cumQty = o.cum;
  e.leavesQty = o.leaves();
  e.venueTime = now;
  return e;
}

VenueEvent SimMarket::fill(const Order& o, Qty lastQty, Price lastPx, WallNanos now, bool taker,
                           const Instrument& inst) {
  VenueEvent e = event(o, VenueEventKind::Fill, now);
  e.venueExecId = VenueExecId("SIMX-" + std::to_string(nextExecId_++));
  e.lastQty = lastQty;
  e.lastPx = lastPx;
  if (cfg_.takerFeeBps.mantissa() != 0 || cfg_.makerFeeBps.mantissa() != 0) {
    // notional x bps / 10^4, rounded half away from zero to 8 decimals. A
    // derivative's notional is contracts x contract size x price (exact at
    // 1e-16 for any listed contract), in its settle currency.
    const FeeBps rate = taker ? cfg_.takerFeeBps : cfg_.makerFeeBps;
    const __int128 den = static_cast<__int128>(10'000) * kOne * kOne;
    const __int128 num = contractValueRaw(lastPx, lastQty, inst.contractSize) * rate.mantissa();
    const __int128 fee = num >= 0 ? (num + den / 2) / den : (num - den / 2) / den;
    e.fee = Qty::fromMantissa(static_cast<int64_t>(fee));
    e.feeCurrency = inst.settleCurrency.empty() ? inst.currency : inst.settleCurrency;
  }
  return e;
}

Qty SimMarket::reachableQty(const Book& b, const Order& o) const {
  const Ladder& other = isBuy(o.side) ? b.asks : b.bids;
  const bool limited = o.type == OrdType::Limit && o.price;
  const int64_t limitKey = limited ? levelKey(o.price->mantissa(), !isBuy(o.side)) : 0;
  const Qty want = o.leaves();
  Qty sum;
  for (const auto& [key, fifo] : other) {
    if (limited && key > limitKey) break;
    for (uint64_t k : fifo) {
      sum += orders_.at(k).leaves();
      if (sum >= want) return sum;
    }
  }
  return sum;
}

void SimMarket::match(Book& b, Order& o, WallNanos now, std::vector<VenueEvent>& out) {
  Ladder& other = otherSide(b, o.side);
  const bool limited = o.type == OrdType::Limit && o.price;
  // A level crosses when its key is at or before the aggressor's limit in the
  // other side's key order.
  const int64_t limitKey = limited ? levelKey(o.price->mantissa(), !isBuy(o.side)) : 0;
  while (o.leaves().isPositive() && !other.empty()) {
    auto level = other.begin();
    if (limited && level->first > limitKey) break;
    auto& fifo = level->second;
    Order& maker = orders_.at(fifo.front());
    const Qty q = minQty(o.leaves(), maker.leaves());
    const Price px = *maker.price;
    o.cum += q;
    maker.cum += q;
    if (o.cum == o.qty) o.state = State::Filled;
    if (maker.cum == maker.qty) maker.state = State::Filled;
    trades_.push_back(Trade{venue_, b.inst.symbol, px, q, now});
    // The incoming order takes liquidity; the resting one made it.
    if (!o.mm) out.push_back(fill(o, q, px, now, /*taker=*/true, b.inst));
    if (!maker.mm) out.push_back(fill(maker, q, px, now, /*taker=*/false, b.inst));
    if (maker.state == State::Filled) {
      const uint64_t makerKey = maker.key;
      const bool makerIsMm = maker.mm;
      fifo.pop_front();
      if (makerIsMm) orders_.erase(makerKey);
      if (fifo.empty()) other.erase(level);
    }
  }
}

void SimMarket::rest(Book& b, Order& o) {
  ownSide(b, o.side)
      .try_emplace(levelKey(o.price->mantissa(), isBuy(o.side)), &pool_)
      .first->second.push_back(o.key);
}

void SimMarket::unrest(Book& b, const Order& o) {
  if (!o.price) return;
  Ladder& side = ownSide(b, o.side);
  auto level = side.find(levelKey(o.price->mantissa(), isBuy(o.side)));
  if (level == side.end()) return;
  level->second.remove(o.key);
  if (level->second.empty()) side.erase(level);
}

void SimMarket::requote(Book& b, WallNanos now, std::vector<VenueEvent>& out) {
  for (uint64_t k : b.mmKeys) {
    auto it = orders_.find(k);
    if (it == orders_.end()) continue;  // already filled by a client
    unrest(b, it->second);
    orders_.erase(it);
  }
  b.mmKeys.clear();
  if (b.mid <= 0 || cfg_.depthLevels == 0) return;
  const int64_t tick = b.inst.tickSize.mantissa();
  const int64_t bestBid = b.mid - static_cast<int64_t>(cfg_.spreadTicks / 2) * tick;
  const int64_t bestAsk = bestBid + static_cast<int64_t>(cfg_.spreadTicks) * tick;
  auto quote = [&](Side side, int64_t px) {
    Order q;
    q.key = nextKey_++;
    q.mm = true;
    q.symbol = b.inst.symbol;
    q.side = side;
    q.type = OrdType::Limit;
    q.tif = TimeInForce::Gtc;
    q.qty = b.levelQty;
    q.price = Price::fromMantissa(px);
    Order& mm = orders_.emplace(q.key, std::move(q)).first->second;
    // The MM's new quote is the aggressor: a client order it crosses is the
    // maker and fills at its own price.
    match(b, mm, now, out);
    const uint64_t key = mm.key;
    if (mm.state == State::Open) {
      rest(b, mm);
      b.mmKeys.push_back(key);
    } else {
      orders_.erase(key);
    }
  };
  for (int i = 0; i < cfg_.depthLevels; ++i) {
    const int64_t px = bestBid - i * tick;
    if (px <= 0) break;
    quote(Side::Buy, px);
  }
  for (int i = 0; i < cfg_.depthLevels; ++i) quote(Side::Sell, bestAsk + i * tick);
}

std::vector<VenueEvent> SimMarket::submit(const VenueNewOrder& in, WallNanos now) {
  std::vector<VenueEvent> out = takeScratch();
  auto reject = [&](std::string text) {
    VenueEvent e;
    e.kind = VenueEventKind::Rejected;
    e.venue = venue_;
    e.childId = in.childId;
    e.text = std::move(text);
    e.venueTime = now;
    out.push_back(std::move(e));
    return out;
  };
  if (in.childId.empty()) return reject("childId is empty");
  if (byChild_.count(in.childId)) {
    return reject("duplicate childId '" + in.childId.str() + "'");
  }
  Book* b = findBook(in.symbol);
  if (!b) return reject("unknown symbol '" + in.symbol.str() + "'");
  const Instrument& inst = b->inst;
  if (!in.qty.isPositive()) return reject("qty must be positive, got " + in.qty.str());
  if (!in.qty.isMultipleOf(inst.lotSize)) {
    return reject("qty " + in.qty.str() + " is not a multiple of lot size " + inst.lotSize.str());
  }
  if (inst.minQty.isPositive() && in.qty < inst.minQty) {
    return reject("qty " + in.qty.str() + " is below the minimum quantity " + inst.minQty.str());
  }
  if (in.tif == TimeInForce::AtTheOpening) {
    return reject("TimeInForce OPG is not supported: the simulator has no opening auction");
  }
  if (hasLimitPrice(in.ordType)) {
    if (!in.price) return reject("price is required for a limit order");
    if (!in.price->isPositive()) return reject("price must be positive, got " + in.price->str());
    if (!in.price->isMultipleOf(inst.tickSize)) {
      return reject("price " + in.price->str() + " is not a multiple of tick size " +
                    inst.tickSize.str());
    }
  }
  if (hasStopPrice(in.ordType)) {
    if (!in.stopPx) return reject("stopPx is required for a stop order");
    if (!in.stopPx->isPositive()) return reject("stopPx must be positive, got " + in.stopPx->str());
    if (!in.stopPx->isMultipleOf(inst.tickSize)) {
      return reject("stopPx " + in.stopPx->str() + " is not a multiple of tick size " +
                    inst.tickSize.str());
    }
  }

  Order o;
  o.key = nextKey_++;
  o.childId = in.childId;
  o.venueOrderId = VenueOrderId("SIM-" + std::to_string(nextVenueOrderId_++));
  o.symbol = in.symbol;
  o.side = in.side;
  o.type = in.ordType;
  o.tif = in.tif;
  o.qty = in.qty;
  // A market order's price, if any, is ignored: it takes whatever rests.
  if (hasLimitPrice(in.ordType)) o.price = in.price;
  if (hasStopPrice(in.ordType)) o.stopPx = in.stopPx;
  // Order attributes: what the simulator honours, and a reject naming the
  // attribute for what it cannot (never a silent drop).
  // A display quantity that shows the whole order hides nothing: honoured as is.
  if (in.attrs.maxFloor && *in.attrs.maxFloor < in.qty)
    return reject("MaxFloor (111) " + in.attrs.maxFloor->str() +
                  " is not supported: the simulator has no display quantity (it would show " +
                  in.qty.str() + ")");
  if (in.attrs.postOnly) {
    if (in.ordType != OrdType::Limit)
      return reject(
          "ExecInst (18) 6 (participate don't initiate) needs a plain limit order at "
          "the simulator");
    if (reachableQty(*b, o).isPositive())
      return reject(
          "ExecInst (18) 6 (participate don't initiate): the order would take "
          "liquidity at " +
          in.price->str());
  }
  // MinQty of one lot or less holds for every execution: nothing to do.
  if (in.attrs.minQty && *in.attrs.minQty > inst.lotSize) {
    if (in.tif != TimeInForce::Ioc && in.tif != TimeInForce::Fok)
      return reject(
          "MinQty (110) is supported with TimeInForce (59) IOC or FOK only at the "
          "simulator");
    o.minQty = in.attrs.minQty;
  }
  byChild_[o.childId] = o.key;
  byVenueId_[o.venueOrderId] = o.key;
  Order& ord = orders_.emplace(o.key, std::move(o)).first->second;
  out.push_back(event(ord, VenueEventKind::Accepted, now));
  if (hasStopPrice(ord.type)) {
    if (stopReached(*b, ord)) {
      trigger(*b, ord, now, out);
    } else {
      ord.armed = true;
      b->stops.push_back(ord.key);
    }
    return out;
  }
  execute(*b, ord, now, out);
  return out;
}

void SimMarket::execute(Book& b, Order& ord, WallNanos now, std::vector<VenueEvent>& out) {
  if (ord.minQty) {
    Qty reachable = reachableQty(b, ord);
    if (reachable < *ord.minQty) {
      ord.state = State::Expired;
      VenueEvent e = event(ord, VenueEventKind::Expired, now);
      e.text = "MinQty (110) " + ord.minQty->str() + " not available (reachable " +
               reachable.str() + "): nothing filled";
      out.push_back(std::move(e));
      return;
    }
  }
  if (ord.tif == TimeInForce::Fok) {
    Qty reachable = reachableQty(b, ord);
    if (reachable < ord.qty) {
      ord.state = State::Expired;
      VenueEvent e = event(ord, VenueEventKind::Expired, now);
      e.text = "FOK not filled: not enough liquidity for " + ord.qty.str() + " (available " +
               reachable.str() + ")";
      out.push_back(std::move(e));
      return;
    }
  }
  match(b, ord, now, out);
  if (ord.state != State::Open) return;
  if (ord.type == OrdType::Market || ord.tif == TimeInForce::Ioc || ord.tif == TimeInForce::Fok) {
    ord.state = State::Expired;
    VenueEvent e = event(ord, VenueEventKind::Expired, now);
    e.text = ord.tif == TimeInForce::Ioc ? "IOC remainder expired"
                                         : "no liquidity left: market order remainder expired";
    out.push_back(std::move(e));
    return;
  }
  rest(b, ord);
}

bool SimMarket::stopReached(const Book& b, const Order& o) {
  if (b.mid <= 0 || !o.stopPx) return false;
  return isBuy(o.side) ? b.mid >= o.stopPx->mantissa() : b.mid <= o.stopPx->mantissa();
}

void SimMarket::trigger(Book& b, Order& o, WallNanos now, std::vector<VenueEvent>& out) {
  o.armed = false;
  o.type = o.type == OrdType::StopLimit ? OrdType::Limit : OrdType::Market;
  execute(b, o, now, out);
}

void SimMarket::checkStops(Book& b, WallNanos now, std::vector<VenueEvent>& out) {
  if (b.stops.empty()) return;
  // Triggering trades against the book but never re-quotes, so the list
  // cannot change under us except by what we erase here.
  std::vector<uint64_t> keep;
  std::vector<uint64_t> fire;
  for (uint64_t k : b.stops) {
    auto it = orders_.find(k);
    if (it == orders_.end() || !it->second.armed || it->second.state != State::Open) continue;
    (stopReached(b, it->second) ? fire : keep).push_back(k);
  }
  b.stops = std::move(keep);
  for (uint64_t k : fire) trigger(b, orders_.at(k), now, out);
}

std::vector<VenueEvent> SimMarket::cancel(const VenueCancel& c, WallNanos now) {
  std::vector<VenueEvent> out = takeScratch();
  Order* o = findOrder(c.childId, c.venueOrderId);
  if (!o) {
    VenueEvent e;
    e.kind = VenueEventKind::CancelRejected;
    e.venue = venue_;
    e.childId = c.childId;
    e.venueOrderId = c.venueOrderId;
    e.text = "unknown order (childId '" + c.childId.str() + "', venueOrderId '" +
             c.venueOrderId.str() + "')";
    e.venueTime = now;
    out.push_back(std::move(e));
    return out;
  }
  if (o->state != State::Open) {
    VenueEvent e = event(*o, VenueEventKind::CancelRejected, now);
    e.text = std::string("order already ") + stateText(o->state);
    out.push_back(std::move(e));
    return out;
  }
  unrest(books_.at(o->symbol), *o);
  o->state = State::Canceled;
  out.push_back(event(*o, VenueEventKind::Canceled, now));
  return out;
}

std::vector<VenueEvent> SimMarket::replace(const VenueReplace& r, WallNanos now) {
  std::vector<VenueEvent> out = takeScratch();
  Order* o = findOrder(r.childId, r.venueOrderId);
  auto reject = [&](std::string text) {
    VenueEvent e;
    if (o) {
      e = event(*o, VenueEventKind::ReplaceRejected, now);
    } else {
      e.kind = VenueEventKind::ReplaceRejected;
      e.venue = venue_;
      e.childId = r.childId;
      e.venueOrderId = r.venueOrderId;
      e.venueTime = now;
    }
    e.text = std::move(text);
    out.push_back(std::move(e));
    return out;
  };
  if (!o) {
    return reject("unknown order (childId '" + r.childId.str() + "', venueOrderId '" +
                  r.venueOrderId.str() + "')");
  }
  if (o->state != State::Open) {
    return reject(std::string("order already ") + stateText(o->state));
  }
  Book& b = books_.at(o->symbol);
  const Instrument& inst = b.inst;
  if (!r.newQty.isPositive()) return reject("newQty must be positive, got " + r.newQty.str());
  if (!r.newQty.isMultipleOf(inst.lotSize)) {
    return reject("newQty " + r.newQty.str() + " is not a multiple of lot size " +
                  inst.lotSize.str());
  }
  if (r.newQty <= o->cum) {
    return reject("newQty " + r.newQty.str() + " must exceed cumQty " + o->cum.str());
  }
  if (r.newPrice) {
    if (!r.newPrice->isPositive()) {
      return reject("newPrice must be positive, got " + r.newPrice->str());
    }
    if (!r.newPrice->isMultipleOf(inst.tickSize)) {
      return reject("newPrice " + r.newPrice->str() + " is not a multiple of tick size " +
                    inst.tickSize.str());
    }
  }
  if (r.newStopPx) {
    if (!o->armed) return reject("stopPx cannot change: the stop order has already triggered");
    if (!r.newStopPx->isPositive()) {
      return reject("newStopPx must be positive, got " + r.newStopPx->str());
    }
    if (!r.newStopPx->isMultipleOf(inst.tickSize)) {
      return reject("newStopPx " + r.newStopPx->str() + " is not a multiple of tick size " +
                    inst.tickSize.str());
    }
  }
  if (r.newPrice && !o->price) return reject("the order has no limit price to change");
  if (o->armed) {
    // Off the book: nothing to re-rank. It may trigger at its new stop price.
    o->qty = r.newQty;
    if (r.newPrice) o->price = r.newPrice;
    if (r.newStopPx) o->stopPx = r.newStopPx;
    VenueEvent e = event(*o, VenueEventKind::Replaced, now);
    e.newQty = r.newQty;
    e.newPrice = o->price;
    out.push_back(std::move(e));
    if (stopReached(b, *o)) {
      b.stops.erase(std::remove(b.stops.begin(), b.stops.end(), o->key), b.stops.end());
      trigger(b, *o, now, out);
    }
    return out;
  }
  if (!o->price) return reject("order is not resting");
  // Only limit orders rest, so an open order always has a price.
  const Price newPx = r.newPrice.value_or(*o->price);
  const bool keepPriority = newPx == *o->price && r.newQty <= o->qty;
  if (!keepPriority) unrest(b, *o);
  o->qty = r.newQty;
  o->price = newPx;
  VenueEvent e = event(*o, VenueEventKind::Replaced, now);
  e.newQty = r.newQty;
  e.newPrice = newPx;
  out.push_back(std::move(e));
  if (keepPriority) return out;
  match(b, *o, now, out);
  if (o->state == State::Open) rest(b, *o);
  return out;
}

std::vector<VenueEvent> SimMarket::step(WallNanos now) {
  std::vector<VenueEvent> out = takeScratch();
  for (auto& [sym, b] : books_) {
    if (b.mid <= 0) continue;
    const double z = nextNormal();
    const double tick = b.inst.tickSize.toDouble();
    const double midPx = static_cast<double>(b.mid) / static_cast<double>(kOne);
    double ticks = z * cfg_.volatilityBps / 10'000.0 * midPx / tick;
    if (!std::isfinite(ticks)) ticks = 0;
    ticks = std::clamp(ticks, -1e12, 1e12);
    const int64_t delta = std::llround(ticks) * b.inst.tickSize.mantissa();
    if (delta != 0) b.mid = clampMid(b, b.mid + delta);
    requote(b, now, out);
    checkStops(b, now, out);
  }
  return out;
}

std::vector<VenueEvent> SimMarket::setMid(const Symbol& symbol, Price mid, WallNanos now) {
  std::vector<VenueEvent> out = takeScratch();
  Book* b = findBook(symbol);
  if (!b) return out;
  b->mid = clampMid(*b, roundToStep(mid.mantissa(), b->inst.tickSize.mantissa()));
  requote(*b, now, out);
  checkStops(*b, now, out);
  return out;
}

std::vector<VenueEvent> SimMarket::expireDayOrders(WallNanos now) {
  std::vector<VenueEvent> out = takeScratch();
  std::vector<uint64_t> keys;
  for (const auto& [k, o] : orders_) {
    if (!o.mm && o.state == State::Open && o.tif == TimeInForce::Day) keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  for (uint64_t k : keys) {
    Order& o = orders_.at(k);
    unrest(books_.at(o.symbol), o);
    o.state = State::Expired;
    VenueEvent e = event(o, VenueEventKind::Expired, now);
    e.text = "Day order expired at end of session";
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<Price> SimMarket::mid(const Symbol& symbol) const {
  const Book* b = findBook(symbol);
  if (!b || b->mid <= 0) return std::nullopt;
  return Price::fromMantissa(b->mid);
}

std::optional<Price> SimMarket::bestBid(const Symbol& symbol) const {
  const Book* b = findBook(symbol);
  if (!b || b->bids.empty()) return std::nullopt;
  return Price::fromMantissa(-b->bids.begin()->first);
}

std::optional<Price> SimMarket::bestAsk(const Symbol& symbol) const {
  const Book* b = findBook(symbol);
  if (!b || b->asks.empty()) return std::nullopt;
  return Price::fromMantissa(b->asks.begin()->first);
}

std::vector<LevelView> SimMarket::depth(const Symbol& symbol, Side side) const {
  std::vector<LevelView> v;
  const Book* b = findBook(symbol);
  if (!b) return v;
  const Ladder& l = isBuy(side) ? b->bids : b->asks;
  for (const auto& [key, fifo] : l) {
    LevelView lv;
    lv.price = Price::fromMantissa(isBuy(side) ? -key : key);
    for (uint64_t k : fifo) {
      const Order& o = orders_.at(k);
      lv.qty += o.leaves();
      ++lv.orders;
      if (!o.mm) ++lv.clientOrders;
    }
    v.push_back(lv);
  }
  return v;
}

Qty SimMarket::levelQty(const Symbol& symbol) const {
  const Book* b = findBook(symbol);
  return b ? b->levelQty : Qty();
}

std::vector<VenueOrderState> SimMarket::openOrders() const {
  std::vector<const Order*> open;
  for (const auto& [k, o] : orders_) {
    if (!o.mm && o.state == State::Open) open.push_back(&o);
  }
  std::sort(open.begin(), open.end(), [](auto* a, auto* b) { return a->key < b->key; });
  std::vector<VenueOrderState> v;
  for (const Order* o : open) {
    VenueOrderState s;
    s.childId = o->childId;
    s.venueOrderId = o->venueOrderId;
    s.symbol = o->symbol;
    s.side = o->side;
    s.qty = o->qty;
    s.cumQty = o->cum;
    s.price = o->price;
    s.open = true;
    v.push_back(std::move(s));
  }
  return v;
}

std::vector<Trade> SimMarket::takeTrades() {
  std::vector<Trade> out;
  out.swap(trades_);
  return out;
}

TopOfBook SimMarket::topOfBook(const Symbol& symbol, size_t depthLevels, WallNanos now) const {
  TopOfBook t;
  topOfBookInto(symbol, depthLevels, now, t);
  return t;
}

void SimMarket::topOfBookInto(const Symbol& symbol, size_t depthLevels, WallNanos now,
                              TopOfBook& t) const {
  t.venue = venue_;
  t.symbol = symbol;
  t.time = now;
  t.bidPx.reset();
  t.bidQty = Qty{};
  t.askPx.reset();
  t.askQty = Qty{};
  t.bids.clear();
  t.asks.clear();
  const Book* b = findBook(symbol);
  if (!b) return;
  auto side = [&](const Ladder& l, bool buySide, std::optional<Price>& px, Qty& qty,
                  std::vector<BookLevel>& levels) {
    size_t n = 0;
    for (const auto& [key, fifo] : l) {
      Qty sum;
      for (uint64_t k : fifo) sum += orders_.at(k).leaves();
      const Price p = Price::fromMantissa(buySide ? -key : key);
      if (n == 0) {
        px = p;
        qty = sum;
      }
      if (n >= depthLevels) break;
      levels.push_back(BookLevel{p, sum});
      ++n;
    }
  };
  side(b->bids, true, t.bidPx, t.bidQty, t.bids);
  side(b->asks, false, t.askPx, t.askQty, t.asks);
}

std::vector<Symbol> SimMarket::symbols() const {
  std::vector<Symbol> v;
  for (const auto& [s, b] : books_) v.push_back(s);
  return v;
}

}  // namespace fixgw::sim
