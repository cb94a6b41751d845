// Gateway metrics for Prometheus: counters, gauges and fixed-bucket latency
// histograms, recorded where the events already happen (FIX message sink,
// engine, journal writer) and rendered as Prometheus text format 0.0.4 by the
// admin HTTP server's /metrics.
//
// Recording is a handful of relaxed atomic adds: no locks, no allocation, no
// clock reads of its own (callers pass durations they already have or take
// two monotonic reads). Labelled families (per session, per venue, per
// reject reason) have a fixed number of slots; finding an existing label is
// a lock-free scan, only the first use of a new label takes a mutex. A label
// beyond the family's capacity is counted under "other" so a flood of
// distinct reasons can never grow memory.
//
// One process-wide registry (gateway()): the engine, the journal and the FIX
// layer record into it without being handed a pointer. Tests that run
// several gateways in one process see their sums.
//
// Thread-safety: every record and read method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>

namespace fixgw::metrics {

// Wall clock at the kernel tick's resolution (a few ms): enough for "last
// message at" gauges and a quarter of the cost of a precise read.
inline int64_t coarseWallNanos() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Latencies in nanoseconds, bucketed 1 µs .. 10 s in 1-2.5-5 steps (the
// range from an in-process risk check to a slow venue), plus +Inf.
class Histogram {
 public:
  static constexpr std::array<int64_t, 22> kBoundsNanos = {
      1'000,         2'500,         5'000,         10'000,        25'000,      50'000,
      100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
      10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
      1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
  static constexpr size_t kBuckets = kBoundsNanos.size() + 1;  // the last is +Inf

  void observe(int64_t nanos) {
    if (nanos < 0) nanos = 0;  // a clock step must not corrupt the sum
    counts_[bucketOf(nanos)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(static_cast<uint64_t>(nanos), std::memory_order_relaxed);
  }
  // Index of the first bound >= nanos (Prometheus' "le"); a branchy binary
  // search over 22 constants is a few ns.
  static size_t bucketOf(int64_t nanos) {
    size_t lo = 0, hi = kBoundsNanos.size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (kBoundsNanos[mid] < nanos)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};  // per bucket, not cumulative
    uint64_t count = 0;
    uint64_t sumNanos = 0;
  };
  Snapshot snapshot() const {
    Snapshot s;
    for (size_t i = 0; i < kBuckets; ++i) {
      s.counts[i] = counts_[i].load(std::memory_order_relaxed);
      s.count += s.counts[i];
    }
    s.sumNanos = sum_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_{0};
};

// A metric (or a struct of them) per label value, in N fixed slots.
template <class M, size_t N>
class Family {
 public:
  static_assert(N >= 2, "a family needs room for 'other'");
  // The slot of a label: lock-free when it exists, a short mutex the first
  // time. Past N-1 labels everything goes to "other". Never null.
  M& get(std::string_view label) {
    const size_t n = used_.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i)
      if (labels_[i] == label) return slots_[i];
    std::lock_guard lk(mu_);
    const size_t m = used_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < m; ++i)
      if (labels_[i] == label) return slots_[i];
    if (m >= N - 1) {
      // The last slot is "other" for good.
      if (m == N - 1) {
        labels_[m] = "other";
        used_.store(N, std::memory_order_release);
      }
      return slots_[N - 1];
    }
    labels_[m] = std::string(label);  // written before the release below publishes it
    used_.store(m + 1, std::memory_order_release);
    return slots_[m];
  }
  // Calls f(label, metric) for every label in first-use order.
  template <class F>
  void forEach(F&& f) const {
    const size_t n = used_.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i) f(labels_[i], slots_[i]);
  }
  // The label's slot when it exists, else null (no insert).
  const M* find(std::string_view label) const {
    const size_t n = used_.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i)
      if (labels_[i] == label) return &slots_[i];
    return nullptr;
  }

 private:
  std::array<std::string, N> labels_;
  std::array<M, N> slots_;
  std::atomic<size_t> used_{0};
  std::mutex mu_;
};

struct FixSessionMetrics {
  Counter messagesIn, messagesOut;
  Gauge lastInWallNanos, lastOutWallNanos;  // wall clock of the last message each way
};

struct VenueMetrics {
  VenueMetrics() { connected.set(-1); }
  Histogram roundTrip;  // child order sent -> venue's acknowledgement
  Gauge lastRoundTripNanos;
  // 1 up, 0 down (the venue's Disconnected/Reconnected events; 1 once started), -1 unknown.
  Gauge connected;
  Gauge lastEventWallNanos;
  Counter rejects;
  // The venue's last error (a reject or a disconnect) in its own words; read
  // by the admin API, written rarely, so a mutex is fine here.
  void setLastError(std::string text) {
    std::lock_guard lk(mu);
    lastError = std::move(text);
  }
  std::string getLastError() const {
    std::lock_guard lk(mu);
    return lastError;
  }
  mutable std::mutex mu;
  std::string lastError;
};

struct GatewayMetrics {
  Family<FixSessionMetrics, 64> sessions;
  Family<Counter, 16> ordersByOutcome;  // accepted, rejected, filled, canceled, expired
  Family<Counter, 64> rejectsByReason;  // the risk/router rule code
  Histogram ackLatency;                 // FIX NewOrderSingle in -> first ExecutionReport out
  Family<VenueMetrics, 32> venues;
  Histogram journalCommit;  // COMMIT sent -> answered
  Histogram riskCheck;      // one new order's pre-trade check chain

  // Gauges computed at scrape time (journal queue depth, sessions up): each
  // appends complete Prometheus lines (HELP, TYPE, samples) to out.
  using Collector = std::function<void(std::string& out)>;
  // Returns an id for removeCollector (a gateway stopping removes its own).
  int addCollector(Collector c);
  void removeCollector(int id);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  mutable std::mutex collectorsMu_;
  std::vector<std::pair<int, Collector>> collectors_;
  int nextCollector_ = 1;
};

GatewayMetrics& gateway();

// "a\"b" -> a\"b escaped for a Prometheus label value.
std::string escapeLabel(std::string_view v);

}  // namespace fixgw::metrics
