#include "venue_adapters/sim/sim_venue.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory_resource>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/executor.h"
#include "venue_adapters/sim/sim_market.h"

namespace fixgw::sim {

struct SimVenue::Impl {
  Impl(VenueId venueId, SimConfig config, const InstrumentMaster& instruments, const Clock& c)
      : id(std::move(venueId)), cfg(config), clock(c), market(id, config, instruments) {
    for (const Symbol& s : market.symbols()) {
      auto m = market.mid(s);
      mids[s].store(m ? m->mantissa() : 0, std::memory_order_relaxed);
    }
  }

  // Runs on the simulator thread: stamps, publishes mids, and hands events to
  // the sink now or after the outbound latency.
  void deliver(EventLoop& loop, std::vector<VenueEvent> events) {
    MdBatch md = collectMarketData();
    if (events.empty() && md.empty()) return;
    for (const auto& e : events) {
      // A done order needs no side any more: its fills are in fillLog.
      const bool done = e.kind == VenueEventKind::Rejected || e.kind == VenueEventKind::Canceled ||
                        e.kind == VenueEventKind::Expired ||
                        (e.kind == VenueEventKind::Fill && e.leavesQty.isZero());
      if (e.kind != VenueEventKind::Fill) {
        if (done) childSides.erase(e.childId);
        continue;
      }
      auto side = childSides.find(e.childId);
      VenueFill f;
      f.childId = e.childId;
      f.venueOrderId = e.venueOrderId;
      f.venueExecId = e.venueExecId;
      if (side != childSides.end()) {
        f.symbol = side->second.first;
        f.side = side->second.second;
      }
      f.qty = e.lastQty;
      f.px = e.lastPx;
      f.time = e.venueTime;
      fillLog.push_back(std::move(f));
      if (fillLog.size() > kFillLogMax) fillLog.pop_front();
      if (done) childSides.erase(e.childId);
    }
    if (cfg.latencyNanos <= 0) {
      for (auto& e : events) sink->onVenueEvent(std::move(e));
      market.recycle(std::move(events));  // its capacity serves the next operation
      dispatch(md);
      return;
    }
    loop.postAfter(cfg.latencyNanos, [this, evs = std::move(events), md = std::move(md)]() mutable {
      for (auto& e : evs) sink->onVenueEvent(std::move(e));
      market.recycle(std::move(evs));  // on the simulator thread, like every market call
      dispatch(md);
    });
  }

  // Market data: what changed since the last operation, for subscribed
  // symbols only. Trades as they happened; one book per symbol whose state
  // (at the deepest depth any subscriber asked for) differs from the last one
  // published.
  struct MdBatch {
    std::vector<Trade> trades;
    std::vector<TopOfBook> books;
    bool empty() const { return trades.empty() && books.empty(); }
  };

  MdBatch collectMarketData() {
    MdBatch md;
    // Subscribed symbols with the deepest depth asked, in symbol order. Kept in
    // members reused per operation: this runs after every order (issue 15).
    auto& depths = mdDepths;
    depths.clear();
    {
      std::lock_guard lk(mdMu);
      if (mdSubs.empty()) {
        market.clearTrades();  // nobody listens; keeps the record's capacity
        return md;
      }
      for (const auto& sub : mdSubs) {
        auto it = std::find_if(depths.begin(), depths.end(),
                               [&](const auto& d) { return d.first == sub.symbol; });
        if (it == depths.end())
          depths.emplace_back(sub.symbol, sub.depth);
        else
          it->second = std::max(it->second, sub.depth);
      }
    }
    std::sort(depths.begin(), depths.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    auto subscribed = [&](const Symbol& s) {
      for (const auto& d : depths)
        if (d.first == s) return true;
      return false;
    };
    std::vector<Trade> trades = market.takeTrades();
    for (auto& t : trades)
      if (subscribed(t.symbol)) md.trades.push_back(std::move(t));
    const WallNanos now = clock.wallNow();
    for (const auto& [symbol, depth] : depths) {
      TopOfBook& b = mdBook;
      market.topOfBookInto(symbol, depth, now, b);
      auto last = lastBook.find(symbol);
      if (last != lastBook.end() && last->second.sameBook(b)) continue;
      lastBook[symbol] = b;
      md.books.push_back(b);
    }
    return md;
  }
  std::vector<std::pair<Symbol, size_t>> mdDepths;  // sim thread: collectMarketData's scratch
  TopOfBook mdBook;                                 // sim thread: collectMarketData's scratch

  // A book trimmed to what one subscriber asked for.
  static TopOfBook trimmed(const TopOfBook& b, size_t depth) {
    TopOfBook t = b;
    if (t.bids.size() > depth) t.bids.resize(depth);
    if (t.asks.size() > depth) t.asks.resize(depth);
    return t;
  }

  // Calls the subscribers (sim thread). mdMu is held during the calls, so an
  // unsubscribe from another thread waits for a call in progress, and none
  // follows it; a sink may (un)subscribe from inside its callback.
  void dispatch(const MdBatch& md) {
    if (md.empty()) return;
    std::lock_guard lk(mdMu);
    const std::vector<MdSub> subs = mdSubs;  // a callback may change mdSubs
    auto stillSubscribed = [&](const MdSub& s) {
      for (const auto& x : mdSubs)
        if (x.sink == s.sink && x.symbol == s.symbol) return true;
      return false;
    };
    for (const auto& t : md.trades)
      for (const auto& s : subs)
        if (s.symbol == t.symbol && stillSubscribed(s)) s.sink->onTrade(t);
    for (const auto& b : md.books)
      for (const auto& s : subs)
        if (s.symbol == b.symbol && stillSubscribed(s)) s.sink->onBook(trimmed(b, s.depth));
  }

  // On (re)start every subscriber gets the current book again (sim thread).
  void republish(EventLoop& loop) {
    lastBook.clear();
    deliver(loop, {});
  }

  // The first book for a new subscriber (sim thread).
  void sendSnapshot(const Symbol& symbol, MarketDataSink* sink) {
    std::lock_guard lk(mdMu);
    for (const auto& s : mdSubs) {
      if (s.sink != sink || s.symbol != symbol) continue;
      s.sink->onBook(market.topOfBook(symbol, s.depth, clock.wallNow()));
      return;
    }
  }

  struct MdSub {
    Symbol symbol;
    MarketDataSink* sink = nullptr;
    size_t depth = 0;
  };
  std::recursive_mutex mdMu;  // guards mdSubs; held while a sink is called
  std::vector<MdSub> mdSubs;
  std::map<Symbol, TopOfBook> lastBook;  // sim thread only: the last book published per symbol

  // Reconciliation needs each fill's symbol and side (sim thread only).
  // Open orders only: an order's entry goes when it is done, so a long run does not grow it.
  // Nodes from a pool of its own: one per order otherwise (issue 15).
  std::pmr::unsynchronized_pool_resource childSidesPool;
  std::pmr::unordered_map<ChildOrderId, std::pair<Symbol, Side>> childSides{&childSidesPool};
  // The most recent fills, for snapshots (the simulator lives and dies with the process, so
  // only recent history is ever asked for).
  static constexpr size_t kFillLogMax = 100'000;
  std::deque<VenueFill> fillLog;

  void publishMids() {
    for (auto& [s, m] : mids) {
      auto p = market.mid(s);
      m.store(p ? p->mantissa() : 0, std::memory_order_relaxed);
    }
  }

  void armStep(EventLoop& loop) {
    if (cfg.stepIntervalNanos <= 0) return;
    const uint64_t gen = generation.load();
    loop.postAfter(cfg.stepIntervalNanos, [this, &loop, gen] {
      // On a shared loop a stop() does not drop our timers: a stale one ends here.
      if (cfg.sharedLoop && gen != generation.load()) return;
      auto evs = market.step(clock.wallNow());
      publishMids();
      deliver(loop, std::move(evs));
      armStep(loop);
    });
  }

  // Posts work to the simulator thread after the inbound latency. Returns
  // false (and posts nothing) when not running.
  // The loop the simulator runs on now: its own, the shared one, or none.
  // Caller holds mu.
  EventLoop* active() { return loop ? loop.get() : sharedActive ? cfg.sharedLoop : nullptr; }

  template <class F>
  bool postIn(F&& f) {
    EventLoop* l = nullptr;
    {
      std::lock_guard lk(mu);
      l = active();
      if (!l) return false;
      // On the loop: its thread, or (fix.engine_inline) a thread that holds its token.
      const bool onLoop = loopThread.load() == std::this_thread::get_id() || l->runningHere();
      if (cfg.latencyNanos > 0 || !onLoop) {
        l->postAfter(cfg.latencyNanos, [this, l, f = std::forward<F>(f)]() mutable {
          deliver(*l, f(clock.wallNow()));
        });
        return true;
      }
    }
    // Called on the simulator's own loop (the engine's, with "thread": "engine") and no
    // latency to model: match now instead of through a timer. The sink posts the events, so
    // the caller still sees them only after it returns.
    deliver(*l, f(clock.wallNow()));
    return true;
  }

  // Answers a request the simulator cannot take because it is not running.
  void refuse(VenueEvent e) {
    VenueEventSink* s = nullptr;
    {
      std::lock_guard lk(mu);
      s = sink;
    }
    if (!s) return;  // never started: nobody to tell
    e.venue = id;
    e.text = "simulator not running";
    e.venueTime = clock.wallNow();
    s->onVenueEvent(std::move(e));
  }

  const VenueId id;
  const SimConfig cfg;
  const Clock& clock;
  SimMarket market;  // touched only on the simulator thread while running
  // Fixed key set after construction, so readers need no lock.
  std::map<Symbol, std::atomic<int64_t>> mids;

  std::mutex mu;  // guards loop, sink, retired
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<EventLoop> retired;   // stopped from its own thread; joined later
  bool sharedActive = false;            // running on cfg.sharedLoop
  std::atomic<uint64_t> generation{0};  // bumped by every stop: stale shared timers end
  VenueEventSink* sink = nullptr;
  std::atomic<std::thread::id> loopThread{};
};

SimVenue::SimVenue(VenueId id, SimConfig cfg, const InstrumentMaster& instruments,
                   const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(id), cfg, instruments, clock)) {}

SimVenue::~SimVenue() {
  stop();
  std::unique_ptr<EventLoop> retired;
  {
    std::lock_guard lk(impl_->mu);
    retired = std::move(impl_->retired);
  }
  // retired's destructor joins its thread, which has finished its last task.
}

const VenueId& SimVenue::id() const { return impl_->id; }

void SimVenue::start(VenueEventSink& sink) {
  {
    // A loop stopped from its own thread may still be finishing a task that
    // reads the sink; join it (outside the lock: its task may call submit)
    // before the sink changes.
    std::unique_ptr<EventLoop> retired;
    {
      std::lock_guard lk(impl_->mu);
      retired = std::move(impl_->retired);
    }
  }
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->loop || impl_->sharedActive) return;
    impl_->sink = &sink;
    if (EventLoop* shared = impl_->cfg.sharedLoop) {
      impl_->sharedActive = true;
      Impl* im = impl_.get();
      shared->post([im, shared] {
        im->loopThread.store(std::this_thread::get_id());
        im->republish(*shared);
      });
      im->armStep(*shared);
      return;
    }
    impl_->loop = std::make_unique<EventLoop>(impl_->clock);
    EventLoop& loop = *impl_->loop;
    Impl* im = impl_.get();
    loop.post([im, &loop] {
      im->loopThread.store(std::this_thread::get_id());
      im->republish(loop);
    });
    im->armStep(loop);
    loop.start("sim");
  }
}

void SimVenue::stop() {
  std::unique_ptr<EventLoop> loop;
  {
    std::lock_guard lk(impl_->mu);
    ++impl_->generation;
    if (impl_->sharedActive) {
      impl_->sharedActive = false;
      impl_->loopThread.store(std::thread::id{});
      return;
    }
    loop = std::move(impl_->loop);
  }
  if (!loop) return;
  loop->stop();
  if (impl_->loopThread.load() == std::this_thread::get_id()) {
    // Called from a sink callback on the simulator thread: the loop cannot
    // join itself, so keep it until start() or the destructor.
    std::lock_guard lk(impl_->mu);
    impl_->retired = std::move(loop);
    return;
  }
  impl_->loopThread.store(std::thread::id{});
}

void SimVenue::submit(const VenueNewOrder& o) {
  Impl* im = impl_.get();
  if (im->postIn([im, o](WallNanos now) {
        im->childSides[o.childId] = {o.symbol, o.side};
        return im->market.submit(o, now);
      }))
    return;
  VenueEvent e;
  e.kind = VenueEventKind::Rejected;
  e.childId = o.childId;
  im->refuse(std::move(e));
}

void SimVenue::cancel(const VenueCancel& c) {
  Impl* im = impl_.get();
  if (im->postIn([im, c](WallNanos now) { return im->market.cancel(c, now); })) return;
  VenueEvent e;
  e.kind = VenueEventKind::CancelRejected;
  e.childId = c.childId;
  e.venueOrderId = c.venueOrderId;
  im->refuse(std::move(e));
}

void SimVenue::replace(const VenueReplace& r) {
  Impl* im = impl_.get();
  if (im->postIn([im, r](WallNanos now) { return im->market.replace(r, now); })) return;
  VenueEvent e;
  e.kind = VenueEventKind::ReplaceRejected;
  e.childId = r.childId;
  e.venueOrderId = r.venueOrderId;
  im->refuse(std::move(e));
}

std::optional<Price> SimVenue::referencePrice(const Symbol& symbol) const {
  auto it = impl_->mids.find(symbol);
  if (it == impl_->mids.end()) return std::nullopt;
  int64_t m = it->second.load(std::memory_order_relaxed);
  if (m <= 0) return std::nullopt;
  return Price::fromMantissa(m);
}

void SimVenue::requestSnapshot(WallNanos since, std::function<void(VenueSnapshot)> cb) {
  Impl* im = impl_.get();
  EventLoop* l = nullptr;
  {
    std::lock_guard lk(im->mu);
    l = im->active();
  }
  if (!l) {
    VenueSnapshot s;
    s.error = "simulator " + im->id.str() + " is not running";
    cb(std::move(s));
    return;
  }
  l->post([im, since, cb = std::move(cb)] {
    VenueSnapshot s;
    s.ok = true;
    s.orders = im->market.openOrders();
    for (const auto& f : im->fillLog)
      if (f.time >= since) s.fills.push_back(f);
    cb(std::move(s));
  });
}

MarketDataStatus SimVenue::subscribeMarketData(const Symbol& symbol, MarketDataSink& sink,
                                               size_t depthLevels) {
  Impl* im = impl_.get();
  MarketDataStatus st;
  if (!im->mids.count(symbol)) {
    st.error = "simulator " + im->id.str() + ": unknown symbol '" + symbol.str() + "'";
    return st;
  }
  {
    std::lock_guard lk(im->mdMu);
    bool found = false;
    for (auto& s : im->mdSubs) {
      if (s.sink == &sink && s.symbol == symbol) {
        s.depth = depthLevels;
        found = true;
      }
    }
    if (!found) im->mdSubs.push_back(Impl::MdSub{symbol, &sink, depthLevels});
  }
  st.ok = true;
  std::lock_guard lk(im->mu);
  if (EventLoop* l = im->active()) {
    MarketDataSink* sp = &sink;
    l->post([im, symbol, sp] { im->sendSnapshot(symbol, sp); });
  }
  return st;
}

void SimVenue::unsubscribeMarketData(const Symbol& symbol, MarketDataSink& sink) {
  Impl* im = impl_.get();
  std::lock_guard lk(im->mdMu);
  std::erase_if(im->mdSubs,
                [&](const Impl::MdSub& s) { return s.sink == &sink && s.symbol == symbol; });
}

void SimVenue::setMid(const Symbol& symbol, Price mid) {
  Impl* im = impl_.get();
  std::lock_guard lk(im->mu);
  EventLoop* l = im->active();
  if (!l) return;
  l->post([im, l, symbol, mid] {
    auto evs = im->market.setMid(symbol, mid, im->clock.wallNow());
    im->publishMids();
    im->deliver(*l, std::move(evs));
  });
}

void SimVenue::sync() {
  EventLoop* l = nullptr;
  {
    std::lock_guard lk(impl_->mu);
    l = impl_->active();
  }
  if (!l || impl_->loopThread.load() == std::this_thread::get_id() || l->runningHere()) return;
  l->sync([] {});
}

std::unique_ptr<VenueAdapter> makeSimVenue(VenueId id, SimConfig cfg,
                                           const InstrumentMaster& instruments,
                                           const Clock& clock) {
  return std::make_unique<SimVenue>(std::move(id), cfg, instruments, clock);
}

}  // namespace fixgw::sim
