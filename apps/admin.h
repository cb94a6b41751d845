// The admin channel: a local unix-domain socket (mode 0600) where operators
// drive the kill switch, reload risk limits and read positions, with
// `fixgw admin ...` and `fixgw positions`. One JSON object per line each way.
// Every request carries the admin token; the token comes from the
// environment (FIXGW_ADMIN_TOKEN) or a file named in config (never from the
// repo) and is never logged. Without a token the listener does not start.
//
//   request:  {"token":"...","cmd":"state","scope":"account","key":"DESK1",
//              "state":"HALTED","cancel":true,"who":"alice","reason":"..."}
//   response: {"ok":true,...} or {"ok":false,"error":"..."}
//
// Thread-safety: AdminServer runs one thread of its own and calls the handler
// from it, one request at a time; start()/stop() from the owning thread.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "risk/risk.h"

namespace fixgw::router {
class Engine;
}

namespace fixgw::admin {

// The token from FIXGW_ADMIN_TOKEN, else the first line of tokenFile; nullopt
// when neither gives a non-empty token. Throws std::runtime_error when
// tokenFile is named but unreadable.
std::optional<std::string> loadToken(const std::string& tokenFile);

// Compares in time independent of where the strings differ.
bool tokenEquals(const std::string& a, const std::string& b);

class AdminServer {
 public:
  // Gets the request (token already checked and removed); returns the JSON response line.
  using Handler = std::function<std::string(const std::string& requestJson)>;
  AdminServer(std::string socketPath, std::string token, Handler handler);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds the socket (replacing a stale one); throws std::runtime_error on failure.
  void start();
  void stop();
  const std::string& path() const { return path_; }

 private:
  void run();
  void serve(int fd);

  std::string path_;
  std::string token_;
  Handler handler_;
  int listenFd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// What the gateway's handler works on. onEngine runs a task on the engine
// thread and waits for it (risk and router state live there).
struct Backend {
  std::function<void(std::function<void()>)> onEngine;
  router::Engine* engine = nullptr;
  // Re-reads the config file's risk section (for "reload"); throws on errors.
  std::function<risk::RiskConfig()> loadRiskConfig;
};

// Commands: "state" (scope global|account|session, key, state ACTIVE|REDUCING|
// HALTED, cancel, who, reason), "positions" (account optional), "status"
// (trading states and account exposure), "reload". Returns the response line.
std::string handle(const std::string& requestJson, Backend& b);

// Client side (the CLI): sends one request line and returns the response
// line. Throws std::runtime_error when the gateway cannot be reached.
std::string request(const std::string& socketPath, const std::string& requestJson,
                    int timeoutMs = 10000);

}  // namespace fixgw::admin
