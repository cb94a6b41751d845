// The admin HTTP transport: a small Boost.Beast server (one Asio thread, one
// coroutine per connection) that serves the admin API (apps/admin.h's
// handler layer, shared with the unix socket), Prometheus /metrics, the
// blotter's live event stream (server-sent events) and the blotter's static
// files. It binds 127.0.0.1 unless config says otherwise.
//
// Authentication: "Authorization: Bearer <secret>" against a token store of
// named tokens with a role, `read` or `operator` (TokenStore below). Secrets
// are kept only as SHA-256 digests and compared in constant time; neither a
// secret nor a digest is ever logged or put in an answer.
//
// Hostile input gets a clear answer and never stops the server: a malformed
// request 400, no/unknown token 401, a read token on an operator action 403,
// an unknown route 404, a body over the limit 413, a request whose header or
// body does not arrive in time (slowloris) 408, too many connections 503.
//
// Thread-safety: start()/stop() from the owning thread. The handler is called
// on the server's thread, one request at a time. EventHub::publish() may be
// called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fixgw::admin {

enum class Role : uint8_t { Read, Operator };
const char* toString(Role r);

struct Principal {
  std::string name;  // the token's name: who an operator action is journaled as
  Role role = Role::Read;
};

// Named bearer tokens. Text format, one token a line, '#' starts a comment:
//   <name> <read|operator> <secret>
//   <name> <read|operator> sha256:<64 hex digits of SHA-256(secret)>
// The hashed form keeps the secret itself off the gateway's disk.
class TokenStore {
 public:
  // Throws std::runtime_error naming origin and the line number (never the
  // secret) on a malformed line, an unknown role or a duplicate name.
  static TokenStore parse(const std::string& text, const std::string& origin);
  // FIXGW_ADMIN_HTTP_TOKENS (the same lines; ';' may separate them) when set,
  // else the file; nullopt when neither names a token. Throws when the file
  // is named but unreadable or malformed.
  static std::optional<TokenStore> load(const std::string& file);
  // The token's principal, or nullopt. Every entry is compared (digest
  // against digest, CRYPTO_memcmp), so the time taken says nothing about
  // which token or how much of it matched.
  std::optional<Principal> authenticate(std::string_view secret) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Principal who;
    std::array<unsigned char, 32> digest{};
  };
  std::vector<Entry> entries_;
};

std::array<unsigned char, 32> sha256(std::string_view data);
std::string sha256Hex(std::string_view data);

// Live events for the blotter (orders, fills, kill-switch changes), fanned
// out to every SSE subscriber. Publishing costs one relaxed load when nobody
// listens. A subscriber that falls more than kMaxQueued events behind is
// cut off (it reconnects and reloads) so a stuck browser cannot grow memory.
// A subscriber's stream sleeps until publish() wakes it (its `wake`, called
// at most once per drained queue), not on a polling timer.
class EventHub {
 public:
  static constexpr size_t kMaxQueued = 10000;
  struct Subscriber {
    std::mutex mu;
    std::deque<std::string> queue;  // complete SSE frames
    bool overflowed = false;
    // Set by the stream: called (under mu, from the publishing thread) when
    // an event arrives and no wake is pending; must only post work, never block.
    std::function<void()> wake;
    bool wakePending = false;  // cleared by the stream when it drains the queue
  };
  bool hasSubscribers() const { return count_.load(std::memory_order_relaxed) > 0; }
  // event: the SSE event name; json: its data (one line).
  void publish(std::string_view event, std::string_view json);
  std::shared_ptr<Subscriber> subscribe();
  void unsubscribe(const std::shared_ptr<Subscriber>& s);

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<Subscriber>> subs_;
  std::atomic<size_t> count_{0};
};

struct HttpRequest {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // percent-decoded
  std::string body;
  std::optional<Principal> principal;  // set for /api/* and /metrics
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
};

struct HttpServerConfig {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the kernel picks (port() tells)
  size_t maxBodyBytes = 64 * 1024;
  size_t maxHeaderBytes = 16 * 1024;
  int headerTimeoutMs = 10'000;  // the whole request (header and body) must arrive in this time
  int idleTimeoutMs = 60'000;    // a kept-alive connection with no new request is closed
  size_t maxConnections = 64;
  std::string webRoot;  // static blotter files; empty: none
};

class HttpServer {
 public:
  // Called for every authenticated /api/* and /metrics request and for the
  // public /health and /ready; it checks roles itself.
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  HttpServer(HttpServerConfig cfg, TokenStore tokens, Handler handler, EventHub* hub);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the thread; throws std::runtime_error naming host:port.
  void start();
  void stop();
  int port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// "a%20b+c" -> "a b c" for query strings; nullopt on a bad escape.
std::optional<std::string> percentDecode(std::string_view s);

}  // namespace fixgw::admin
