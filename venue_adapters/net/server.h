// A small HTTPS + WebSocket server on loopback for venue emulators and the
// net layer's tests (Beast, behind pimpl). One I/O thread; handlers run on it.
//
// Thread-safety: start/stop from one thread; WsPeer::send/close/ping from any.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "venue_adapters/net/http.h"

namespace fixgw::net {

class WsPeer {
 public:
  virtual ~WsPeer() = default;
  virtual void send(std::string text) = 0;
  virtual void ping() = 0;
  virtual void close() = 0;  // normal close
  virtual void drop() = 0;   // abrupt: the TCP connection is cut
  virtual const std::string& target() const = 0;
};

struct ServerHandlers {
  std::function<HttpResponse(const HttpRequest&)> onHttp;
  // A WebSocket upgrade for target; return false to refuse it (404).
  std::function<bool(const std::string& target)> acceptWs;
  std::function<void(std::shared_ptr<WsPeer>)> onWsOpen;
  std::function<void(WsPeer&, const std::string& text)> onWsMessage;
  std::function<void(WsPeer&)> onWsClose;
  std::function<void(WsPeer&)> onWsPong;
  std::function<void(WsPeer&)> onWsPing;
};

class TlsServer {
 public:
  // certPem/keyPem: the server's certificate chain and key.
  TlsServer(std::string certPem, std::string keyPem, ServerHandlers h);
  ~TlsServer();
  // Listens on 127.0.0.1:port (0: any free port); returns the port.
  uint16_t start(uint16_t port = 0);
  void stop();
  uint16_t port() const;
  uint64_t connectionsAccepted() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// A self-signed certificate (EC P-256, SAN DNS:<name> and IP:127.0.0.1), made
// with OpenSSL at run time for tests and emulators: no key is ever shipped.
struct SelfSignedCert {
  std::string certPem;
  std::string keyPem;
};
SelfSignedCert makeSelfSignedCert(const std::string& dnsName);

}  // namespace fixgw::net
