// bench_journal: throughput of the PostgreSQL journal (store::PgJournal) under a realistic record
// mix. Creates a fresh schema, migrates it, appends the records of N orders either as fast as the
// producer can or at a fixed offered rate, flushes, prints the numbers and drops the schema.
//
// Per order, as the engine journals a direct order (--shape direct-no-routed, the default; schema
// 0021): parent OrderRec (create, 200-byte raw FIX), RECEIVED event, parent update carrying the
// child (routing), parent update (the child acked), parent update and NEW event; for every second
// order a fill: ExecutionRec, FILL event, parent OrderRec update. --shape direct adds the ROUTED
// event (the engine before 0021); --shape child-row is the mix before session 9 (a child OrderRec
// of its own, ROUTED, no "created" marks). "Events" are OrderEventRec + ExecutionRec.
//
//   bench_journal [--db CONNINFO] [--orders N] [--rate ORDERS_PER_S] [--max-batch N]
//                 [--schema-dir DIR] [--keep] [--shape direct-no-routed|direct|child-row|new-only]
// (new-only: no RECEIVED event either, a measurement of what dropping it would save.)
//
// Connection: --db, else env FIXGW_DB, else host=127.0.0.1 port=5433 dbname=fixgw user=fixgw.
// Not a test: nothing here asserts timings.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>

#include "core/journal.h"
#include "store/migrate.h"
#include "store/pg_journal.h"

namespace {

using namespace fixgw;
using SteadyClock = std::chrono::steady_clock;

struct Args {
  std::string db;
  long orders = 50'000;
  double rate = 0;      // orders/s; 0 = as fast as the producer can
  size_t maxBatch = 0;  // 0 = PgJournalConfig default
  std::string schemaDir;
  bool keep = false;
  bool pipeline = true;  // PgJournalConfig::pipeline
  bool fixLog = false;   // also journal the FIX messages in and out, as the gateway does
  std::string shape = "direct-no-routed";
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "bench_journal: %s\nusage: bench_journal [--db CONNINFO] [--orders N] "
               "[--rate ORDERS_PER_S] [--max-batch N] [--schema-dir DIR] [--keep] [--no-pipeline] "
               "[--fix-log] [--shape direct-no-routed|direct|child-row|new-only]\n",
               msg);
  std::exit(2);
}

Args parseArgs(int argc, char** argv) {
  Args a;
  if (const char* env = std::getenv("FIXGW_DB"); env && *env) a.db = env;
  if (a.db.empty()) a.db = "host=127.0.0.1 port=5433 dbname=fixgw user=fixgw";
  if (const char* src = std::getenv("FIXGW_SOURCE_DIR"); src && *src) {
    a.schemaDir = std::string(src) + "/schema";
  } else {
    a.schemaDir = std::string(FIXGW_SOURCE_DIR_DEFAULT) + "/schema";
  }
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + k).c_str());
      return argv[++i];
    };
    try {
      if (k == "--db") {
        a.db = val();
      } else if (k == "--orders") {
        a.orders = std::stol(val());
      } else if (k == "--rate") {
        a.rate = std::stod(val());
      } else if (k == "--max-batch") {
        a.maxBatch = std::stoul(val());
      } else if (k == "--schema-dir") {
        a.schemaDir = val();
      } else if (k == "--keep") {
        a.keep = true;
      } else if (k == "--no-pipeline") {
        a.pipeline = false;
      } else if (k == "--fix-log") {
        a.fixLog = true;
      } else if (k == "--shape") {
        a.shape = val();
        if (a.shape != "direct-no-routed" && a.shape != "direct" && a.shape != "child-row" &&
            a.shape != "new-only")
          usage(("unknown --shape " + a.shape).c_str());
      } else if (k == "--help" || k == "-h") {
        usage("help");
      } else {
        usage(("unknown option " + k).c_str());
      }
    } catch (const std::logic_error&) {
      usage(("bad value for " + k).c_str());
    }
  }
  if (a.orders <= 0) usage("--orders must be positive");
  if (a.rate < 0) usage("--rate must not be negative");
  return a;
}

std::string withSearchPath(const std::string& base, const std::string& schema) {
  const bool uri = base.rfind("postgresql://", 0) == 0 || base.rfind("postgres://", 0) == 0;
  if (uri) {
    const char* sep = base.find('?') == std::string::npos ? "?" : "&";
    return base + sep + "options=-c%20search_path%3D" + schema;
  }
  return base + " options='-c search_path=" + schema + "'";
}

// prefix + n + suffix (GCC 12 warns falsely, -Wrestrict, on `literal + std::to_string(n)`).
std::string idOf(const char* prefix, long n, const char* suffix = "") {
  std::string s(prefix);
  s += std::to_string(n);
  s += suffix;
  return s;
}

// A 200-byte NewOrderSingle as received (SOH separators), padded in tag 58.
std::string rawNewOrder(long n) {
  std::string s =
      "8=FIX.4.4\x01"
      "9=178\x01"
      "35=D\x01"
      "34=";
  s += std::to_string(n + 2);
  s += "\x01"
       "49=CLIENT1\x01"
       "56=FIXGW\x01"
       "52=20260102-09:30:00.123456\x01"
       "11=C";
  s += std::to_string(n);
  s += "\x01"
       "1=ACC1\x01"
       "55=AAPL\x01"
       "54=1\x01"
       "38=100\x01"
       "40=2\x01"
       "44=150.25\x01"
       "59=0\x01"
       "60=20260102-09:30:00.123\x01"
       "58=";
  while (s.size() < 193) s += 'x';
  s += "\x01"
       "10=123\x01";
  return s;
}

struct Producer {
  const SessionKey session{std::string_view("FIX.4.4:FIXGW->CLIENT1")};
  const Account account{std::string_view("ACC1")};
  const Symbol symbol{std::string_view("AAPL")};
  const VenueId venue{std::string_view("SIM")};
  int64_t seq = 0;
  WallNanos t = 1'767'346'200'000'000'000LL;  // 2026-01-02T09:30:00Z
  uint64_t records = 0;
  uint64_t events = 0;

  OrderEventRec event(const OrderRec& o, const char* type) {
    OrderEventRec e;
    e.seq = ++seq;
    e.orderId = o.orderId;
    e.session = o.session;
    e.clOrdId = o.clOrdId;
    e.eventType = type;
    e.status = o.status;
    e.qty = o.qty;
    e.price = o.price;
    e.cumQty = o.cumQty;
    e.leavesQty = o.leavesQty;
    e.avgPx = o.avgPx;
    e.ts = t;
    return e;
  }

  void emit(Journal& j, JournalRecord r, bool isEvent) {
    j.append(std::move(r));
    ++records;
    if (isEvent) ++events;
  }

  bool fixLog = false;

  void message(Journal& j, bool inbound, const char* type, long seqNum, const std::string& raw) {
    FixMessageRec m;
    m.session = session;
    m.inbound = inbound;
    m.msgType = type;
    m.msgSeqNum = seqNum;
    m.raw = raw;
    m.ts = t;
    emit(j, std::move(m), false);
  }

  // The engine's records for one order, in its order (router/engine.cpp, onNew and the venue's
  // ack and fill), in one of three shapes:
  //   Shape::ChildRow       before schema 0020: a child OrderRec of its own, and a ROUTED event;
  //   Shape::Direct         schema 0020: the child in the parent's record, and a ROUTED event;
  //   Shape::DirectNoRouted schema 0021 (the engine today): the same without the ROUTED event.
  //   Shape::NewOnly        measurement only (issue 15, the next step studied in session 9): no
  //                         RECEIVED event either (the orders row would carry the as-received
  //                         values; not written here, so this is the upper bound of the gain).
  enum class Shape { ChildRow, Direct, DirectNoRouted, NewOnly };
  Shape shape = Shape::DirectNoRouted;

  void order(Journal& j, long n) {
    t += 1'000;
    const bool direct = shape != Shape::ChildRow;
    OrderRec p;
    // A direct order's child id is derived from its parent's ("O-<n>" -> "O-C<n>").
    p.orderId = OrderId(direct ? idOf("O-", n) : idOf("O", n));
    p.session = session;
    p.clOrdId = ClOrdId(idOf("C", n));
    p.account = account;
    p.symbol = symbol;
    p.side = (n & 1) ? Side::Sell : Side::Buy;
    p.qty = Qty::fromInt(100);
    p.price = Price::of("150.25");
    p.leavesQty = p.qty;
    p.rawFix = rawNewOrder(n);
    p.createdAt = p.updatedAt = t;
    // The engine marks an order's first record (the journal COPYs it straight into orders); the
    // ChildRow shape is this bench's record mix before session 9, which did not.
    p.created = direct;
    OrderEventRec received = event(p, "RECEIVED");
    received.rawFix = p.rawFix;
    if (fixLog) message(j, true, "D", n + 2, p.rawFix);
    emit(j, p, false);
    if (shape != Shape::NewOnly) emit(j, std::move(received), true);
    p.rawFix.clear();
    p.created = false;

    const OrderId childId(direct ? idOf("O-C", n) : idOf("O", n, ".1"));
    OrderRec c = p;
    if (direct) {
      p.venue = venue;  // routing: the parent's record carries its child
      p.childStatus = OrdStatus::PendingNew;
      emit(j, p, false);
    } else {
      c.orderId = childId;
      c.clOrdId = ClOrdId(childId.str());  // the engine's child: the ClOrdID sent to the venue
      c.parentOrderId = p.orderId;
      c.venue = venue;
      emit(j, c, false);
    }
    if (shape == Shape::Direct || shape == Shape::ChildRow) {
      OrderEventRec routed = event(p, "ROUTED");
      routed.childOrderId = childId;
      if (direct) routed.text = "to SIM";  // the engine's text
      emit(j, std::move(routed), true);
    } else {
      ++seq;  // the engine keeps the ROUTED line's seq
    }

    p.createdAt = 0;
    p.updatedAt = t + 100;
    if (direct) {  // the venue's ack: the child's state, then the parent's
      p.childStatus = OrdStatus::New;
      p.venueOrderId = VenueOrderId(idOf("V", n));
      emit(j, p, false);
    }
    p.status = OrdStatus::New;
    emit(j, p, false);
    OrderEventRec ack = event(p, "NEW");
    ack.childOrderId = childId;
    ack.execType = ExecType::New;
    ack.execId = ExecId(idOf("X", n, "a"));
    emit(j, std::move(ack), true);
    if (fixLog) message(j, false, "8", n + 2, rawNewOrder(n));  // an ER of about the same size

    if (n % 2 == 0) {
      p.status = OrdStatus::PartiallyFilled;
      p.cumQty = Qty::fromInt(40);
      p.leavesQty = Qty::fromInt(60);
      p.avgPx = Price::of("150.2");
      p.updatedAt = t + 200;
      if (direct) p.childStatus = OrdStatus::PartiallyFilled;
      ExecutionRec x;
      x.execId = ExecId(idOf("X", n, "b"));
      x.orderId = p.orderId;
      x.childOrderId = childId;
      x.session = session;
      x.clOrdId = p.clOrdId;
      x.account = account;
      x.symbol = symbol;
      x.side = p.side;
      x.lastQty = Qty::fromInt(40);
      x.lastPx = Price::of("150.2");
      x.cumQty = p.cumQty;
      x.leavesQty = p.leavesQty;
      x.avgPx = p.avgPx;
      x.venue = venue;
      x.venueExecId = VenueExecId(idOf("V", n));
      x.ts = t + 200;
      OrderEventRec fillEv = event(p, "FILL");
      fillEv.childOrderId = childId;
      fillEv.execType = ExecType::Trade;
      fillEv.execId = x.execId;
      fillEv.lastQty = x.lastQty;
      fillEv.lastPx = x.lastPx;
      emit(j, std::move(x), true);
      emit(j, std::move(fillEv), true);
      emit(j, p, false);
    }
  }
};

double secs(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU seconds (user + system) a process has used so far, from /proc; -1 when unreadable (the
// server on another machine).
double procCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int k = 3; k <= 15 && rest >> field; ++k) {
    if (k == 14) utime = std::stoull(field);
    if (k == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double selfCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parseArgs(argc, argv);
  char schema[64];
  std::snprintf(schema, sizeof schema, "bench_journal_%d", static_cast<int>(::getpid()));
  const std::string conninfo = withSearchPath(args.db, schema);
  const std::string appName = std::string(schema);
  int rc = 0;
  try {
    {
      pqxx::connection admin(args.db);
      pqxx::nontransaction nt(admin);
      nt.exec(std::string("CREATE SCHEMA ") + schema);
    }
    fixgw::store::migrate(conninfo, args.schemaDir);

    fixgw::store::PgJournalConfig cfg;
    cfg.conninfo = conninfo + " application_name=" + appName;
    if (args.maxBatch > 0) cfg.maxBatch = args.maxBatch;
    cfg.pipeline = args.pipeline;
    fixgw::store::PgJournal journal(cfg);
    journal.start();

    // The journal's server processes (two when pipelining: the second connects on first use),
    // to tell server CPU from client CPU. -1 when a backend's /proc is unreadable.
    auto serverCpu = [&](std::map<int, double>& seen) {
      pqxx::connection admin(args.db);
      pqxx::nontransaction nt(admin);
      const auto r =
          nt.exec("SELECT pid FROM pg_stat_activity WHERE application_name = " + nt.quote(appName));
      double sum = 0;
      const bool first = seen.empty();
      for (const auto& row : r) {
        const int pid = row[0].as<int>();
        const double cpu = procCpuSeconds(pid);
        if (cpu < 0) return -1.0;
        // Seen at the first call: count from now on; a backend that appeared later counts whole.
        const auto [it, added] = seen.emplace(pid, first ? cpu : 0.0);
        sum += cpu - it->second;
        (void)added;
      }
      return sum;
    };
    std::map<int, double> backends;
    const double serverCpu0 = serverCpu(backends);
    auto walLsn = [&] {
      pqxx::connection c(args.db);
      pqxx::nontransaction nt(c);
      return nt.exec("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")[0][0].as<double>();
    };
    const double wal0 = walLsn();
    const double clientCpu0 = selfCpuSeconds();

    Producer prod;
    prod.fixLog = args.fixLog;
    prod.shape = args.shape == "direct"      ? Producer::Shape::Direct
                 : args.shape == "child-row" ? Producer::Shape::ChildRow
                 : args.shape == "new-only"  ? Producer::Shape::NewOnly
                                             : Producer::Shape::DirectNoRouted;
    const auto t0 = SteadyClock::now();
    const auto interval = args.rate > 0 ? std::chrono::duration<double>(1.0 / args.rate)
                                        : std::chrono::duration<double>(0);
    for (long n = 0; n < args.orders; ++n) {
      if (args.rate > 0) {
        const auto due = t0 + std::chrono::duration_cast<SteadyClock::duration>(interval * n);
        // Pace in bursts of about a millisecond: sleeping per order would cost more CPU (taken
        // from the database on a small machine) than the order itself.
        if (SteadyClock::now() + std::chrono::milliseconds(1) < due) {
          std::this_thread::sleep_until(due);
        }
      }
      prod.order(journal, n);
    }
    const auto tProduced = SteadyClock::now();
    journal.flush();
    const auto tFlushed = SteadyClock::now();
    const auto st = journal.stats();
    const double serverCpu1 = serverCpu0 >= 0 ? serverCpu(backends) : -1;
    const double clientCpu = selfCpuSeconds() - clientCpu0;
    const double walBytes = walLsn() - wal0;
    journal.stop();

    const double total = secs(tFlushed - t0);
    std::printf("orders            %ld%s\n", args.orders,
                args.rate > 0 ? (" (offered " + std::to_string(args.rate) + " orders/s)").c_str()
                              : " (as fast as possible)");
    std::printf("records           %llu  (events %llu)\n",
                static_cast<unsigned long long>(prod.records),
                static_cast<unsigned long long>(prod.events));
    std::printf("produce time      %.3f s\n", secs(tProduced - t0));
    std::printf("drain after last  %.3f s\n", secs(tFlushed - tProduced));
    std::printf("total time        %.3f s\n", total);
    std::printf("records/s         %.0f\n", static_cast<double>(st.records) / total);
    std::printf("events/s          %.0f\n", static_cast<double>(prod.events) / total);
    std::printf("batches           %llu  (mean %.0f records, failures %llu, rejected %llu)\n",
                static_cast<unsigned long long>(st.batches),
                st.batches ? static_cast<double>(st.records) / static_cast<double>(st.batches) : 0,
                static_cast<unsigned long long>(st.failures),
                static_cast<unsigned long long>(st.rejected));

    std::printf(
        "writer time       build %.3f s, send+execute %.3f s, commit %.3f s (waited %.3f s)\n",
        static_cast<double>(st.buildNanos) / 1e9, static_cast<double>(st.writeNanos) / 1e9,
        static_cast<double>(st.commitNanos) / 1e9, static_cast<double>(st.commitWaitNanos) / 1e9);
    std::printf("pipelining        %s, %llu batches written behind a commit\n",
                args.pipeline ? "on" : "off", static_cast<unsigned long long>(st.pipelined));
    std::printf(
        "round trips       %llu  (%.1f per batch)\n",
        static_cast<unsigned long long>(st.roundTrips),
        st.batches ? static_cast<double>(st.roundTrips) / static_cast<double>(st.batches) : 0);
    if (serverCpu0 >= 0 && serverCpu1 >= 0) {
      const double server = serverCpu1 - serverCpu0;
      std::printf("server backend    %.3f CPU s (%.1f us/record, %.0f%% of wall)\n", server,
                  server * 1e6 / static_cast<double>(st.records), 100.0 * server / total);
    }
    std::printf("WAL written       %.1f MB (%.0f bytes/record; whole cluster)\n", walBytes / 1e6,
                walBytes / static_cast<double>(st.records));
    std::printf("client process    %.3f CPU s (producer + writer thread)\n", clientCpu);

    pqxx::connection check(conninfo);
    pqxx::nontransaction nt(check);
    const auto r = nt.exec(
        "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_events), "
        "(SELECT count(*) FROM executions)");
    std::printf("rows              orders %s, order_events %s, executions %s\n", r[0][0].c_str(),
                r[0][1].c_str(), r[0][2].c_str());
    // Rows per order: orders 2 with a child row of its own, else 1; events RECEIVED, NEW, the
    // fills' FILL, and ROUTED unless the shape leaves it out.
    const long expOrders = (args.shape == "child-row" ? 2 : 1) * args.orders;
    const long expExecs = (args.orders + 1) / 2;
    const long expEvents = (args.shape == "new-only"           ? 1
                            : args.shape == "direct-no-routed" ? 2
                                                               : 3) *
                               args.orders +
                           expExecs;
    if (r[0][0].as<long>() != expOrders || r[0][1].as<long>() != expEvents ||
        r[0][2].as<long>() != expExecs) {
      std::fprintf(stderr, "bench_journal: row counts differ from what was appended\n");
      rc = 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_journal: %s\n", e.what());
    rc = 1;
  }
  if (!args.keep) {
    try {
      pqxx::connection admin(args.db);
      pqxx::nontransaction nt(admin);
      nt.exec("SET client_min_messages = warning");
      nt.exec(std::string("DROP SCHEMA IF EXISTS ") + schema + " CASCADE");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_journal: could not drop schema %s: %s\n", schema, e.what());
      rc = 1;
    }
  } else {
    std::printf("kept schema       %s\n", schema);
  }
  return rc;
}
