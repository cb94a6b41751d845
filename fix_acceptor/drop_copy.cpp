#include "fix_acceptor/drop_copy.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

namespace fixgw::fix {

DropCopyPump::DropCopyPump(DropCopyConfig cfg, DropCopySource& source)
    : cfg_(std::move(cfg)), source_(source) {
  if (cfg_.pollMs <= 0) cfg_.pollMs = 200;
  if (cfg_.batchSize == 0) cfg_.batchSize = 500;
  for (const auto& sc : cfg_.sessions) {
    auto s = std::make_unique<Session>();
    s->cfg = sc;
    sessions_.emplace(sc.session.str(), std::move(s));
  }
}

DropCopyPump::~DropCopyPump() { stop(); }

void DropCopyPump::setSender(DropCopySender* sender) { sender_ = sender; }

void DropCopyPump::start() {
  if (thread_.joinable()) throw std::runtime_error("drop copy: start() called twice");
  if (!sender_) throw std::runtime_error("drop copy: no sender set before start()");
  {
    std::lock_guard lk(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void DropCopyPump::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DropCopyPump::poke() {
  // Called for every report the gateway sends: only the first poke since the pump last woke
  // takes the lock.
  if (pokePending_.exchange(true, std::memory_order_acq_rel)) return;
  {
    std::lock_guard lk(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

void DropCopyPump::dropCopyLoggedOn(const SessionKey& dc) {
  auto it = sessions_.find(dc.str());
  if (it == sessions_.end()) return;
  it->second->loggedOn = true;
  spdlog::info("drop copy {}: logged on; sending every selected report after journal event {}",
               dc.str(), it->second->deliveredId.load());
  poke();
}

void DropCopyPump::dropCopyLoggedOut(const SessionKey& dc) {
  auto it = sessions_.find(dc.str());
  if (it == sessions_.end()) return;
  it->second->loggedOn = false;
  spdlog::info("drop copy {}: logged out at journal event {}", dc.str(),
               it->second->deliveredId.load());
}

int64_t DropCopyPump::delivered(const SessionKey& dc) const {
  auto it = sessions_.find(dc.str());
  return it == sessions_.end() ? 0 : it->second->deliveredId.load();
}

void DropCopyPump::run() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    cv_.wait_for(lk, std::chrono::milliseconds(cfg_.pollMs), [this] { return stop_ || poked_; });
    if (stop_) break;
    poked_ = false;
    pokePending_.store(false, std::memory_order_release);
    lk.unlock();
    for (auto& [key, s] : sessions_) {
      if (!s->loggedOn) continue;
      try {
        drain(*s);
      } catch (const std::exception& e) {
        // The database or the session failed: nothing is lost (the mark only moves after a
        // send), the next round starts again from the mark.
        spdlog::error("drop copy {}: {}; retrying", key, e.what());
        s->markLoaded = false;
      }
    }
    lk.lock();
  }
}

void DropCopyPump::drain(Session& s) {
  const SessionKey& key = s.cfg.session;
  if (!s.markLoaded) {
    DropCopyMark m = source_.loadMark(key);
    // Only the first load of this process life can find a previous life's crash window; what
    // this life sent and failed to record is flagged through sentUpto instead.
    if (!s.everLoaded && m.sendingUpto > m.delivered) s.possResendUpto = m.sendingUpto;
    s.everLoaded = true;
    s.deliveredId = std::max(s.deliveredId.load(), m.delivered);
    s.sendingUpto = std::max(m.sendingUpto, m.delivered);
    s.markLoaded = true;
  }
  for (;;) {
    if (!s.loggedOn) return;
    std::vector<JournaledReport> batch =
        source_.reportsAfter(s.deliveredId.load(), s.cfg.selection, cfg_.batchSize);
    if (batch.empty()) return;
    const int64_t last = batch.back().eventId;
    if (last > s.sendingUpto) {
      source_.markSending(key, last);
      s.sendingUpto = last;
    }
    int64_t sent = s.deliveredId.load();
    for (auto& jr : batch) {
      // Possibly received already: sent by a previous life that died before recording it, or
      // by this one when recording it failed (the client dedups on ExecID).
      jr.report.possResend = jr.eventId <= s.possResendUpto || jr.eventId <= s.sentUpto;
      if (!sender_->sendCopy(key, jr.report, jr.source)) break;
      sent = jr.eventId;
      s.sentUpto = std::max(s.sentUpto, sent);
    }
    if (sent > s.deliveredId.load()) {
      source_.markDelivered(key, sent);
      s.deliveredId = sent;
    }
    if (sent != last || batch.size() < cfg_.batchSize) return;
  }
}

}  // namespace fixgw::fix
