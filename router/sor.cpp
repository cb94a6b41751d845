// SorRouter: the SOR's books, venue health and configuration (router/sor.h).
#include "router/sor.h"

#include <algorithm>

namespace fixgw::router {

SorRouter::SorRouter(Executor& engine, const Clock& clock, SorConfig cfg,
                     std::function<void(const TopOfBook&)> onBookChanged)
    : engine_(engine),
      clock_(clock),
      cfg_(std::move(cfg)),
      onBookChanged_(std::move(onBookChanged)) {}

void SorRouter::onBook(const TopOfBook& book) {
  engine_.post([this, book] { deliver(book); });
}

void SorRouter::deliver(const TopOfBook& book) {
  books_[{book.venue, book.symbol}] = book;
  if (onBookChanged_) onBookChanged_(book);
}

std::vector<std::string> SorRouter::subscribe(const Symbol& symbol,
                                              const std::map<VenueId, VenueAdapter*>& venues) {
  std::vector<std::string> errors;
  for (const SorVenueConfig& vc : cfg_.venues) {
    if (subscribed_.count({vc.venue, symbol})) continue;
    auto it = venues.find(vc.venue);
    if (it == venues.end()) {
      errors.push_back("venue '" + vc.venue.str() + "' is not running");
      continue;
    }
    MarketDataStatus st = it->second->subscribeMarketData(symbol, *this, cfg_.depthLevels);
    if (!st.ok) {
      errors.push_back(st.error);
      continue;
    }
    subscribed_.emplace(vc.venue, symbol);
  }
  return errors;
}

void SorRouter::unsubscribeAll(const std::map<VenueId, VenueAdapter*>& venues) {
  for (const auto& [v, s] : subscribed_)
    if (auto it = venues.find(v); it != venues.end()) it->second->unsubscribeMarketData(s, *this);
  subscribed_.clear();
}

const TopOfBook* SorRouter::book(const VenueId& v, const Symbol& s) const {
  auto it = books_.find({v, s});
  return it == books_.end() ? nullptr : &it->second;
}

std::vector<algos::SorVenue> SorRouter::view(const Symbol& symbol,
                                             const std::map<VenueId, VenueAdapter*>& venues,
                                             Qty lotSize) const {
  std::vector<algos::SorVenue> out;
  out.reserve(cfg_.venues.size());
  for (const SorVenueConfig& vc : cfg_.venues) {
    algos::SorVenue v;
    v.venue = vc.venue;
    v.fees = vc.fees;
    v.health = health(vc.venue);
    if (!venues.count(vc.venue)) v.health.connected = false;  // not running: never routed to
    if (const TopOfBook* b = book(vc.venue, symbol)) v.book = *b;
    v.lotSize = lotSize;
    out.push_back(std::move(v));
  }
  return out;
}

void SorRouter::onConnection(const VenueId& v, bool connected) {
  health_[v].connected = connected;
  // A venue that dropped shows no book until its new session publishes one.
  if (!connected) std::erase_if(books_, [&](const auto& kv) { return kv.first.first == v; });
}

void SorRouter::onChildSent(const ChildOrderId& child, const VenueId& v) {
  inFlight_[child] = {v, clock_.monoNow()};
}

void SorRouter::onChildAcked(const ChildOrderId& child) {
  auto it = inFlight_.find(child);
  if (it == inFlight_.end()) return;
  const int64_t us = std::max<int64_t>(0, (clock_.monoNow() - it->second.second) / 1000);
  Health& h = health_[it->second.first];
  // Weighted 1/4 to the newest so one slow ack does not swing the routing.
  h.ackLatencyMicros = h.ackLatencyMicros == 0 ? us : (3 * h.ackLatencyMicros + us) / 4;
  inFlight_.erase(it);
}

void SorRouter::onChildRejected(const ChildOrderId& child, const VenueId& v) {
  inFlight_.erase(child);
  health_[v].rejects.push_back(clock_.wallNow());
}

algos::SorVenueHealth SorRouter::health(const VenueId& v) const {
  algos::SorVenueHealth out;
  auto it = health_.find(v);
  if (it == health_.end()) return out;
  Health& h = it->second;
  const WallNanos since = clock_.wallNow() - cfg_.rejectWindowNanos;
  std::erase_if(h.rejects, [&](WallNanos t) { return t < since; });
  out.connected = h.connected;
  out.recentRejects = static_cast<int>(h.rejects.size());
  out.ackLatencyMicros = h.ackLatencyMicros;
  return out;
}

}  // namespace fixgw::router
