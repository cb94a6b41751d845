#include "core/metrics.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace fixgw::metrics {

namespace {

// Seconds with nanosecond precision, from integers (no double rounding noise).
std::string seconds(uint64_t nanos) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRIu64 ".%09" PRIu64, nanos / uint64_t{1'000'000'000},
                nanos % uint64_t{1'000'000'000});
  std::string s(buf);
  while (s.size() > 2 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels, uint64_t v) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

void sampleSigned(std::string& out, const std::string& name, const std::string& labels, int64_t v) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

std::string label(const char* k, std::string_view v) {
  return std::string(k) + "=\"" + escapeLabel(v) + "\"";
}

void histogram(std::string& out, const std::string& name, const std::string& labels,
               const Histogram& h) {
  const Histogram::Snapshot s = h.snapshot();
  uint64_t cum = 0;
  const std::string sep = labels.empty() ? "" : labels + ",";
  for (size_t i = 0; i < Histogram::kBuckets; ++i) {
    cum += s.counts[i];
    std::string le = i < Histogram::kBoundsNanos.size()
                         ? seconds(static_cast<uint64_t>(Histogram::kBoundsNanos[i]))
                         : std::string("+Inf");
    sample(out, name + "_bucket", sep + "le=\"" + le + "\"", cum);
  }
  out += name + "_sum";
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ' + seconds(s.sumNanos) + '\n';
  // The count is the +Inf bucket (read once), so the two always agree.
  sample(out, name + "_count", labels, cum);
}

}  // namespace

std::string escapeLabel(std::string_view v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (c == '"')
      o += "\\\"";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return o;
}

int GatewayMetrics::addCollector(Collector c) {
  std::lock_guard lk(collectorsMu_);
  int id = nextCollector_++;
  collectors_.emplace_back(id, std::move(c));
  return id;
}

void GatewayMetrics::removeCollector(int id) {
  std::lock_guard lk(collectorsMu_);
  collectors_.erase(std::remove_if(collectors_.begin(), collectors_.end(),
                                   [id](const auto& p) { return p.first == id; }),
                    collectors_.end());
}

std::string GatewayMetrics::render() const {
  std::string out;
  out.reserve(16 * 1024);

  header(out, "fixgw_fix_messages_total", "counter",
         "FIX messages per session and direction (admin and application).");
  sessions.forEach([&](const std::string& s, const FixSessionMetrics& m) {
    sample(out, "fixgw_fix_messages_total", label("session", s) + ",direction=\"in\"",
           m.messagesIn.value());
    sample(out, "fixgw_fix_messages_total", label("session", s) + ",direction=\"out\"",
           m.messagesOut.value());
  });
  header(out, "fixgw_fix_last_message_timestamp_seconds", "gauge",
         "Wall-clock time of the last FIX message per session and direction.");
  sessions.forEach([&](const std::string& s, const FixSessionMetrics& m) {
    for (auto [dir, g] :
         {std::pair{"in", &m.lastInWallNanos}, std::pair{"out", &m.lastOutWallNanos}}) {
      out += "fixgw_fix_last_message_timestamp_seconds{" + label("session", s) + ",direction=\"" +
             dir + "\"} " + seconds(static_cast<uint64_t>(std::max<int64_t>(0, g->value()))) + "\n";
    }
  });

  header(out, "fixgw_orders_total", "counter",
         "Client orders by outcome (accepted, rejected, filled, canceled, expired).");
  ordersByOutcome.forEach([&](const std::string& o, const Counter& c) {
    sample(out, "fixgw_orders_total", label("outcome", o), c.value());
  });
  header(out, "fixgw_rejects_total", "counter", "Rejected new orders by rule (reason code).");
  rejectsByReason.forEach([&](const std::string& r, const Counter& c) {
    sample(out, "fixgw_rejects_total", label("reason", r), c.value());
  });

  header(out, "fixgw_ack_latency_seconds", "histogram",
         "NewOrderSingle received to its first ExecutionReport handed to the FIX session.");
  histogram(out, "fixgw_ack_latency_seconds", "", ackLatency);

  header(out, "fixgw_venue_round_trip_seconds", "histogram",
         "Child order sent to a venue to the venue's acknowledgement.");
  venues.forEach([&](const std::string& v, const VenueMetrics& m) {
    histogram(out, "fixgw_venue_round_trip_seconds", label("venue", v), m.roundTrip);
  });
  header(out, "fixgw_venue_connected", "gauge", "1 while the venue is connected, 0 when down.");
  venues.forEach([&](const std::string& v, const VenueMetrics& m) {
    if (m.connected.value() >= 0)
      sampleSigned(out, "fixgw_venue_connected", label("venue", v), m.connected.value());
  });
  header(out, "fixgw_venue_rejects_total", "counter", "Child orders the venue rejected.");
  venues.forEach([&](const std::string& v, const VenueMetrics& m) {
    sample(out, "fixgw_venue_rejects_total", label("venue", v), m.rejects.value());
  });

  header(out, "fixgw_journal_commit_seconds", "histogram",
         "PostgreSQL journal COMMIT round trip (the WAL flush).");
  histogram(out, "fixgw_journal_commit_seconds", "", journalCommit);

  header(out, "fixgw_risk_check_seconds", "histogram",
         "Pre-trade risk check chain for one new order.");
  histogram(out, "fixgw_risk_check_seconds", "", riskCheck);

  std::lock_guard lk(collectorsMu_);
  for (const auto& [id, c] : collectors_) c(out);
  return out;
}

GatewayMetrics& gateway() {
  static GatewayMetrics g;
  return g;
}

}  // namespace fixgw::metrics
