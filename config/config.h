// The gateway's configuration: one JSON file (see config/fixgw.json) parsed
// with RapidJSON into plain structs. Strings may reference the environment
// as ${NAME} or ${NAME:-default}, which is how secrets stay out of the repo.
// Unknown keys are errors, and every error names the key path
// ("risk.defaults.max_notional: expected a decimal string, got ...").
// Relative paths are resolved against the config file's folder.
//
// Thread-safety: load once at start-up; the result is a value.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/instrument.h"
#include "risk/risk.h"
#include "router/routing.h"
#include "router/sor.h"
#include "venue_adapters/registry.h"

namespace fixgw::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FixSessionCfg {
  std::string beginString;          // "FIX.4.4" or "FIX.4.2"
  std::string targetCompId;         // the client's SenderCompID
  bool cancelOnDisconnect = false;  // cancel its open orders when it logs out or drops
  // "role": "drop_copy" (docs/drop-copy.md): a read-only session that gets a copy of every
  // ExecutionReport for the selected accounts ("accounts", "*" for all) and/or source sessions
  // ("source_sessions": a target_comp_id, "FIX.4.4:CLIENT1", or a full session key).
  bool dropCopy = false;
  std::vector<std::string> dropCopyAccounts;  // "*" = every account
  std::vector<std::string> dropCopySources;   // resolved to full session keys
  std::optional<bool> resetOnLogon;           // "reset_on_logon" per session; drop copy: false
  // Own transport only (docs/fix-transport.md): addresses / CIDR blocks that
  // may log on to this session (empty: any), and Logon authentication.
  std::vector<std::string> allowFrom{};
  bool requireLogonAuth = false;
  std::string username{};  // expected Username (553); empty: targetCompId
};

// TLS for FIX sessions (docs/fix-transport.md); certFile empty: plain TCP.
struct FixTlsCfg {
  std::string certFile, keyFile, caFile;
  bool verifyClient = false;
};

struct FixCfg {
  std::string host = "127.0.0.1";
  std::vector<std::string> hosts;  // "host": [..] lists several addresses
  std::string transport = "asio";  // "asio" (own socket layer) or "quickfix"
  int64_t maxConnections = 256;
  int64_t logonTimeoutMs = 10'000;
  int64_t maxMessageBytes = 1 << 20;
  int64_t messageTimeoutMs = 30'000;
  int64_t ioThreads = 1;  // see FixAcceptorConfig::ioThreads
  // Corked output (core/output_cork.h): reports of one engine-loop batch /
  // one journal-notifier release go out in one store append and one socket
  // write per session; flushed at least every corkMaxTasks engine tasks
  // (0: no corking, every report written at once).
  int64_t corkMaxTasks = 16;
  // Microseconds the engine loop polls for work before it parks (0: park at
  // once); saves the futex wake on the fix-io -> engine hand-off.
  int64_t engineSpinUs = 0;
  // Run a FIX command on its session's thread when the engine loop is idle
  // (EventLoop::setInline): no fix-io -> engine hand-off at low load. On by
  // default with transport "asio" (which tells the engine when more input is
  // buffered); off by default with "quickfix", whose threads cannot.
  bool engineInline = true;
  FixTlsCfg tls;
  // Logon authentication: the credentials file (FIXGW_FIX_CREDENTIALS
  // overrides) and the failure throttle.
  std::string credentialsFile;
  int64_t maxLogonFailures = 5;
  int64_t logonFailureWindowMs = 60'000;
  int port = 9878;
  std::string senderCompId = "FIXGW";
  std::vector<FixSessionCfg> sessions;
  std::string specDir;             // FIX42.xml / FIX44.xml
  std::string storeType = "file";  // append, file, memory, postgres
  std::string storePath;           // append/file store folder
  std::string storeConninfo;       // postgres store; defaults to database.conninfo
  std::string logPath;             // empty: no FIX message log files
  // "database": every message in and out goes to fix_message_chunks (audit);
  // "none": only what the order journal keeps (inbound orders' raw FIX).
  std::string messageLog = "database";
  int heartBtInt = 30;
  bool resetOnLogon = true;
};

struct DatabaseCfg {
  std::string conninfo;  // libpq; FIXGW_DB overrides
  std::string schemaDir;
  size_t maxBatch = 2000;
  int64_t flushIntervalNanos = 2'000'000;
  // While a commit is in flight, write the next batch behind it only once this many records wait
  // (store::PgJournalConfig::pipelineMinRecords).
  size_t pipelineMinRecords = 256;
  // "durable": reports only after their events are committed (default);
  // "async": reports at once, the journal follows.
  std::string ackMode = "durable";
};

struct VenueCfg {
  std::string name;
  std::string type;
  venues::VenueParams params;
};

struct LoggingCfg {
  std::string level = "info";
  std::string file;  // empty: stderr only
  std::string format = "text";  // "text" or "json" (one object per line; core/log.h)
  int64_t maxSizeMb = 100;      // the file rotates at this size
  int64_t maxFiles = 5;         // rotated files kept
};

// Transaction cost analysis (router/tca.h, docs/audit.md section 10).
struct TcaCfg {
  // Direct orders subscribe their venue's market data (once per venue and
  // symbol) for an arrival mid; off: only books the algos subscribed (a venue
  // that charges per market-data line, e.g. IB, may want that).
  bool subscribeMarketData = true;
  int64_t printGraceMs = 1'000;  // figures taken this long after completion
};

// The admin HTTP server (apps/admin_http.h): API, /metrics, the blotter.
// It starts only when `admin.http` is in the config and a token exists
// (FIXGW_ADMIN_HTTP_TOKENS or tokens_file: lines "<name> <read|operator>
// <secret or sha256:hex>").
struct AdminHttpCfg {
  bool enabled = false;  // the admin.http section is present
  std::string host = "127.0.0.1";
  int port = 9880;  // 0: any free port
  std::string tokensFile;
  std::string webRoot;  // the blotter's static files; default <source>/web/blotter
  size_t maxBodyBytes = 64 * 1024;
  int requestTimeoutMs = 10'000;  // whole request (slowloris cut-off)
  int maxConnections = 64;
};

// The process's heap (glibc malloc), applied at start by `fixgw run` (issue 15, session 9). In
// this kind of VM a first touch of a 4 kB page costs ~10 us of CPU; a growing gateway (live
// orders, an async journal backlog) touched 0.6-1.6 fresh pages per order on its engine thread.
// With one malloc arena on transparent huge pages the heap grows in 2 MB pages: 0.001-0.03 per
// order (docs/performance.md, "Session 9: eng"). Cost: the heap's resident size rounds up to 2 MB pages, and the threads share one
// arena (each keeps its own small-block cache). Both need glibc's tunables, which glibc reads
// only when a process starts: fixgw sets GLIBC_TUNABLES and re-executes itself once.
struct MemoryCfg {
  // glibc.malloc.arena_max: 0 leaves glibc's default (8 per core); 1 = every thread allocates
  // from the main heap, the one glibc can back with huge pages.
  int64_t mallocArenas = 1;
  // glibc.malloc.hugetlb=1: malloc asks for transparent huge pages (madvise) for its heap and
  // large blocks, with blocks up to 32 MiB taken from the heap (mmap_threshold). Takes effect
  // where /sys/kernel/mm/transparent_hugepage/enabled is madvise or always.
  bool mallocHugePages = true;
};

// The GLIBC_TUNABLES entries the settings ask for ("" = none: glibc's defaults), joined with ':'.
std::string mallocTunables(const MemoryCfg& m);

struct GatewayConfig {
  std::string path;  // the file it came from
  FixCfg fix;
  DatabaseCfg database;
  InstrumentMaster instruments;
  risk::RiskConfig risk;
  router::RoutingConfig routing;
  router::SorConfig sor;  // "sor": smart order routing (docs/sor.md); empty = off
  std::vector<VenueCfg> venues;
  LoggingCfg logging;
  TcaCfg tca;
  AdminHttpCfg adminHttp;
  MemoryCfg memory;  // "memory": the heap's settings (applied at process start)
};

// Throws ConfigError naming the file and key.
GatewayConfig loadConfig(const std::string& path);
// Parses JSON text; baseDir resolves relative paths. getenv is injectable for tests.
using EnvLookup = std::optional<std::string> (*)(const std::string&);
GatewayConfig parseConfig(const std::string& json, const std::string& baseDir,
                          EnvLookup env = nullptr);

// Replaces ${NAME} / ${NAME:-default}; throws ConfigError naming keyPath when a
// variable is unset and has no default.
std::string substituteEnv(const std::string& s, const std::string& keyPath, EnvLookup env);

// "password=..." in a libpq conninfo replaced by "password=***" for logs.
std::string redactConninfo(const std::string& conninfo);

}  // namespace fixgw::config
