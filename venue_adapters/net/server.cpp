// TlsServer: one io_context thread, one coroutine per connection.
#include "venue_adapters/net/server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <deque>
#include <stdexcept>
#include <thread>

#include "venue_adapters/net/beast_common.h"

namespace fixgw::net {
using namespace detail;

namespace {

class Peer final : public WsPeer, public std::enable_shared_from_this<Peer> {
 public:
  Peer(WsStream ws, std::string target, const ServerHandlers& h)
      : ws_(std::move(ws)), target_(std::move(target)), h_(h) {}

  void send(std::string text) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable {
      self->outbox_.push_back(std::move(t));
      if (!self->writing_ && !self->closed_) {
        self->writing_ = true;
        // The coroutine's frame takes its own reference at creation: the
        // connection may end (and drop its reference) before it first runs.
        asio::co_spawn(self->ws_.get_executor(), self->writeLoop(self), asio::detached);
      }
    });
  }
  void ping() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      if (!self->closed_) self->ws_.async_ping({}, [](error_code) {});
    });
  }
  void close() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      if (!self->closed_) self->ws_.async_close(websocket::close_code::normal, [](error_code) {});
    });
  }
  void drop() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      error_code ec;
      beast::get_lowest_layer(self->ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(self->ws_).socket().close(ec);
    });
  }
  const std::string& target() const override { return target_; }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong && h_.onWsPong) h_.onWsPong(*this);
      if (kind == websocket::frame_type::ping && h_.onWsPing) h_.onWsPing(*this);
    });
    if (h_.onWsOpen) h_.onWsOpen(self);
    beast::flat_buffer buf;
    for (;;) {
      error_code ec;
      co_await ws_.async_read(buf, awaitEc(ec));
      if (ec) break;
      std::string text = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      if (h_.onWsMessage) h_.onWsMessage(*this, text);
    }
    closed_ = true;
    if (h_.onWsClose) h_.onWsClose(*this);
  }

 private:
  asio::awaitable<void> writeLoop(std::shared_ptr<Peer> self) {
    while (!outbox_.empty() && !closed_) {
      std::string msg = std::move(outbox_.front());
      outbox_.pop_front();
      error_code ec;
      ws_.text(true);
      co_await ws_.async_write(asio::buffer(msg), awaitEc(ec));
      if (ec) break;
    }
    writing_ = false;
  }

  WsStream ws_;
  std::string target_;
  const ServerHandlers& h_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

struct TlsServer::Impl : std::enable_shared_from_this<TlsServer::Impl> {
  Impl(std::string cert, std::string key, ServerHandlers h) : handlers(std::move(h)) {
    ctx.use_certificate_chain(asio::buffer(cert));
    ctx.use_private_key(asio::buffer(key), ssl::context::pem);
  }
  ServerHandlers handlers;
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_server};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;
  std::atomic<uint64_t> accepted{0};
  uint16_t port = 0;

  asio::awaitable<void> acceptLoop() {
    auto self = shared_from_this();
    for (;;) {
      error_code ec;
      tcp::socket sock = co_await acceptor->async_accept(awaitEc(ec));
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(ioc, session(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    auto self = shared_from_this();
    TlsStream s(beast::tcp_stream(std::move(sock)), ctx);
    error_code ec;
    beast::get_lowest_layer(s).expires_after(std::chrono::seconds(10));
    co_await s.async_handshake(ssl::stream_base::server, awaitEc(ec));
    if (ec) co_return;
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      beast::get_lowest_layer(s).expires_after(std::chrono::seconds(120));
      co_await http::async_read(s, buf, req, awaitEc(ec));
      if (ec) co_return;
      std::string target(req.target());
      if (websocket::is_upgrade(req)) {
        if (!handlers.acceptWs || !handlers.acceptWs(target)) {
          http::response<http::string_body> res{http::status::not_found, req.version()};
          res.body() = "{\"code\":-1,\"msg\":\"no such stream\"}";
          res.prepare_payload();
          co_await http::async_write(s, res, awaitEc(ec));
          co_return;
        }
        beast::get_lowest_layer(s).expires_never();
        WsStream ws(std::move(s));
        ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        co_await ws.async_accept(req, awaitEc(ec));
        if (ec) co_return;
        auto peer = std::make_shared<Peer>(std::move(ws), target, handlers);
        co_await peer->run();
        co_return;
      }
      HttpRequest in;
      in.method = std::string(req.method_string());
      in.target = target;
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        in.headers.emplace_back(name, std::string(f.value()));
      }
      in.contentType = std::string(req[http::field::content_type]);
      in.body = std::move(req.body());
      HttpResponse out;
      out.status = 404;
      if (handlers.onHttp) out = handlers.onHttp(in);
      if (out.neverAnswer) {
        asio::steady_timer t(ioc, std::chrono::hours(1));
        co_await t.async_wait(awaitEc(ec));
        co_return;
      }
      if (out.delayMs > 0) {
        asio::steady_timer t(ioc, std::chrono::milliseconds(out.delayMs));
        co_await t.async_wait(awaitEc(ec));
      }
      http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
      res.set(http::field::content_type, "application/json;charset=UTF-8");
      for (const auto& [k, v] : out.headers) res.set(k, v);
      const bool keep =
          req.keep_alive() && out.header("connection") != "close" && !out.closeSilently;
      res.keep_alive(keep || out.closeSilently);
      res.body() = std::move(out.body);
      res.prepare_payload();
      beast::get_lowest_layer(s).expires_after(std::chrono::seconds(10));
      co_await http::async_write(s, res, awaitEc(ec));
      if (ec || !keep) co_return;
    }
  }
};

TlsServer::TlsServer(std::string certPem, std::string keyPem, ServerHandlers h)
    : impl_(std::make_shared<Impl>(std::move(certPem), std::move(keyPem), std::move(h))) {}

TlsServer::~TlsServer() { stop(); }

uint16_t TlsServer::start(uint16_t port) {
  auto& im = *impl_;
  im.acceptor = std::make_unique<tcp::acceptor>(
      im.ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  im.port = im.acceptor->local_endpoint().port();
  asio::co_spawn(im.ioc, im.acceptLoop(), asio::detached);
  im.thread = std::thread([impl = impl_] { impl->ioc.run(); });
  return im.port;
}

void TlsServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->ioc.stop();
  impl_->thread.join();
  error_code ec;
  impl_->acceptor->close(ec);
}

uint16_t TlsServer::port() const { return impl_->port; }
uint64_t TlsServer::connectionsAccepted() const { return impl_->accepted.load(); }

SelfSignedCert makeSelfSignedCert(const std::string& dnsName) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  if (!key || !x)
    throw std::runtime_error("makeSelfSignedCert: OpenSSL key/cert allocation failed");
  unsigned char serial[8];
  RAND_bytes(serial, sizeof serial);
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  X509_set_version(x, 2);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dnsName.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  const std::string san = "DNS:" + dnsName + ",IP:127.0.0.1";
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  auto toString = [](BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(b);
    return s;
  };
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  SelfSignedCert out{toString(cb), toString(kb)};
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace fixgw::net
