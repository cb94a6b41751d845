// Assembles a running gateway from a config: journal, venues, risk, engine
// and FIX acceptor, started and stopped in the order that loses nothing.
// The daemon (apps/fixgw_main.cpp) and the integration tests both use it.
//
// Thread-safety: start()/stop() from one controlling thread.
#pragma once

#include <memory>

#include "config/config.h"

namespace fixgw {
class Journal;
namespace fix {
struct FixAcceptorConfig;
}  // namespace fix
namespace router {
class Engine;
class VenueRegistry;
}  // namespace router

// Installs the process's logger from logging.* (format text/json, size-based rotation;
// core/log.h). Throws when the log file cannot be opened.
void installLogging(const config::LoggingCfg& l);

// Registers every venue type this build knows ("sim", ...).
void registerBuiltinVenues(venues::VenueRegistry& reg);

class Gateway {
 public:
  explicit Gateway(config::GatewayConfig cfg);
  ~Gateway();
  // Applies migrations, connects the journal, starts venues, the engine
  // thread and the FIX acceptor. Throws std::runtime_error with a clear
  // message when any of them cannot start.
  void start();
  // Stops taking FIX traffic, stops venues, drains the engine, then flushes
  // the journal so everything acknowledged is in PostgreSQL.
  void stop();
  const config::GatewayConfig& config() const;
  // For tests: waits until the engine has processed everything posted so far
  // and the journal has committed it.
  void quiesce();
  // The PostgreSQL backend holding this gateway's session leases (0 when none).
  int leaseBackendPid() const;
  // The admin HTTP server's port (0 when it is not running).
  int adminHttpPort() const;

 private:
  void startLeaseWatch();
  void startAdmin();  // the kill-switch socket (apps/admin.h), when a token is configured
  void createDropCopy(fix::FixAcceptorConfig& fc);  // drop-copy sessions (docs/drop-copy.md)
  void startDropCopy();
  void fillAdminBackend();
  void startAdminHttp();  // apps/admin_http.h, when admin.http and a token are configured
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw
