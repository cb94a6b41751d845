#include "core/output_cork.h"

#include <atomic>

namespace fixgw::cork {

namespace {
struct State {
  int depth = 0;
  // Few entries (one per session touched in a round): a linear scan beats a set.
  std::vector<std::shared_ptr<Flushable>> deferred[3];
  std::vector<std::shared_ptr<Flushable>> running;  // reused by flush()
  std::vector<std::shared_ptr<Flushable>> failed;   // reused by flush()
};
thread_local State tls;
std::atomic<bool> gEnabled{true};
}  // namespace

void setEnabled(bool on) noexcept { gEnabled.store(on, std::memory_order_relaxed); }
bool enabled() noexcept { return gEnabled.load(std::memory_order_relaxed); }

bool active() noexcept { return tls.depth > 0; }

void defer(std::shared_ptr<Flushable> f, Phase phase) {
  auto& v = tls.deferred[static_cast<int>(phase)];
  for (const auto& p : v)
    if (p == f) return;
  v.push_back(std::move(f));
}

void flush() noexcept {
  // Stores first: a message reaches the socket only after its store record; After last.
  auto& stores = tls.deferred[static_cast<int>(Phase::Store)];
  auto& sockets = tls.deferred[static_cast<int>(Phase::Socket)];
  std::vector<std::shared_ptr<Flushable>>& failed = tls.failed;  // stores that failed (rare)
  if (!stores.empty()) {
    tls.running.swap(stores);
    for (auto& f : tls.running)
      if (!f->flushCorked()) failed.push_back(f);
    tls.running.clear();
  }
  if (!sockets.empty()) {
    tls.running.swap(sockets);
    for (auto& f : tls.running) {
      const Flushable* bad = nullptr;
      if (!failed.empty()) {
        const std::string_view g = f->corkGroup();
        if (!g.empty())
          for (const auto& s : failed)
            if (s->corkGroup() == g) bad = s.get();
      }
      if (bad)
        f->dropCorked(bad->corkGroup());
      else
        f->flushCorked();
    }
    tls.running.clear();
  }
  failed.clear();
  // Last, once the round's output is out: background wake-ups (the journal's writer).
  auto& after = tls.deferred[static_cast<int>(Phase::After)];
  if (!after.empty()) {
    tls.running.swap(after);
    for (auto& f : tls.running) f->flushCorked();
    tls.running.clear();
  }
}

Round::Round() noexcept : on_(enabled()), outer_(on_ && tls.depth == 0) {
  if (on_) ++tls.depth;
}

Round::~Round() {
  if (!on_) return;
  // Uncorked while flushing: a writer that writes again from inside its flush writes at once.
  --tls.depth;
  if (outer_) flush();
}

}  // namespace fixgw::cork
