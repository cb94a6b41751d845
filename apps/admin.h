// The admin channel's handler layer and its unix-domain socket transport
// (mode 0600) where operators drive the kill switch, reload risk limits and
// read positions, with `fixgw admin ...` and `fixgw positions`. One JSON
// object per line each way. The HTTP transport (apps/admin_http.h) routes
// onto the same dispatch().
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

#include <rapidjson/document.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "apps/admin_http.h"
#include "core/journal.h"
#include "core/venue.h"
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
  // PostgreSQL for order history (libpq conninfo); empty: live state only.
  std::string conninfo;
  // The configured FIX sessions ("FIX.4.4:FIXGW->CLIENT1") and venues (name, type).
  std::vector<std::string> sessionKeys;
  std::vector<std::pair<std::string, std::string>> venues;
  // Journals an operator action that risk does not journal itself (FIX
  // session actions); may be empty in tests.
  std::function<void(RiskEventRec)> journal;
  // Ready to take orders (engine running, journal connected, leases held).
  std::function<bool()> ready;
  // A venue's rate limits as its adapter last knew them
  // (VenueAdapter::rateLimits(), safe from the admin threads); may be null.
  std::function<std::vector<VenueRateLimit>(const std::string& venue)> rateLimits;
  // Live events for the blotter (kill-switch changes); may be null.
  std::function<void(std::string_view event, std::string_view json)> publish;
};

// Who is asking. Over HTTP: the bearer token's name and role; over the unix
// socket (whose token is the operator's): the request's "who".
struct Caller {
  std::string name;
  bool isOperator = false;
};

// An answer of the handler layer: an HTTP status (the socket ignores it) and
// a JSON body ({"ok":true,...} or {"ok":false,"error":"..."}).
struct Result {
  int status = 200;
  std::string json;
};

// The one handler layer behind both transports. Commands:
//   read:     health, ready, status, positions, sessions, venues, orders,
//             order, risk
//   operator: state (kill switch), cancel_all, reload, session (logon,
//             logout, reset, sequence)
// params is a JSON object. A read-only caller asking for an operator command
// gets 403; a bad parameter 400 naming it; an unknown order 404.
Result dispatch(const std::string& cmd, const rapidjson::Value& params, const Caller& caller,
                Backend& b);

// The unix socket's entry: {"cmd":...,...} -> the response line. The socket's
// token is the operator's; "who" names the person (required for "state").
std::string handle(const std::string& requestJson, Backend& b);

// Prometheus lines for every venue's rate limits (fixgw_venue_rate_limit_used
// and fixgw_venue_rate_limit_limit, labels venue and limit); "" when there
// are none. /metrics appends them to the registry's text.
std::string renderRateLimitMetrics(Backend& b);

// The HTTP transport's routes (docs/admin.md) onto dispatch(), and /metrics.
HttpResponse route(const HttpRequest& req, Backend& b);

// Client side (the CLI): sends one request line and returns the response
// line. Throws std::runtime_error when the gateway cannot be reached.
std::string request(const std::string& socketPath, const std::string& requestJson,
                    int timeoutMs = 10000);

}  // namespace fixgw::admin
