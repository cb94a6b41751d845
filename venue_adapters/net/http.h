// The HTTPS/WebSocket client layer shared by REST/WebSocket venues, on
// Boost.Beast + Boost.Asio + OpenSSL. Beast stays behind pimpl: including this
// header costs no Beast.
//
// TLS always verifies the peer: the chain against the trusted CAs (the system
// store, or a PEM given in options, e.g. a test's own CA) and the host name
// against the certificate; SNI carries the host name. There is no switch to
// turn verification off.
//
// Thread-safety: an HttpsClient serialises its requests (one at a time, from
// any thread). A WsClient's callbacks run on its own I/O thread; send() and
// close() are safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fixgw::net {

struct TlsOptions {
  std::string host = "127.0.0.1";  // where to connect
  uint16_t port = 443;
  // Name checked against the certificate and sent as SNI; defaults to host.
  std::string serverName;
  // Trusted CAs: PEM text, or a PEM file; neither: the system's default store.
  std::string caPem;
  std::string caFile;
  int64_t connectTimeoutMs = 5'000;  // TCP connect + TLS handshake (+ WS upgrade)
  int64_t readTimeoutMs = 10'000;    // every read and write
  const std::string& nameToVerify() const { return serverName.empty() ? host : serverName; }
};

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string target = "/";    // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string contentType;  // set with a body
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  // Test servers only: wait this long before answering (0: at once), or
  // never answer and hold the connection open.
  int64_t delayMs = 0;
  bool neverAnswer = false;
  // Test servers only: answer as if keeping the connection alive, then close
  // it (what a server's idle timeout does to a kept connection).
  bool closeSilently = false;
  // Header value by lower-case name, "" if absent.
  std::string header(const std::string& lowerName) const;
};

// Outcome of one request: ok with the response (any HTTP status), or the
// transport error ("connect: ...", "tls handshake: ...", "read: timeout").
struct HttpResult {
  bool ok = false;
  std::string error;
  HttpResponse response;
};

class HttpsClient {
 public:
  explicit HttpsClient(TlsOptions opts);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends one request over the kept-alive connection, opening (or
  // re-opening, once, if the kept one turns out closed) as needed.
  HttpResult send(const HttpRequest& req);
  void close();
  // Connections opened so far (keep-alive reuse shows as 1 for many requests).
  uint64_t connectionsOpened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WsOptions {
  TlsOptions tls;
  std::string target = "/";
  // Idle time after which the client pings; no answer within the same time
  // again closes the connection (Beast's keep-alive pings).
  int64_t pingIdleMs = 30'000;
};

class WsClient {
 public:
  struct Callbacks {
    std::function<void(const std::string& text)> onMessage;
    // Once per connection that was open, with the reason it ended.
    std::function<void(const std::string& reason)> onClose;
  };
  WsClient(WsOptions opts, Callbacks cb);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Connects, handshakes TLS and WebSocket, then reads on its own thread.
  // Returns "" on success, else the error.
  std::string connect();
  void send(std::string text);
  void close();
  bool isOpen() const;
  // Pongs received (answers to our keep-alive pings).
  uint64_t pongsReceived() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fixgw::net
