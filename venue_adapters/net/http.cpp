// HttpsClient and WsClient. Each owns a private io_context; HttpsClient runs
// it on the caller's thread for the duration of one request (so every read
// and write has its timeout through beast::tcp_stream), WsClient on a thread
// of its own once connected.
#include "venue_adapters/net/http.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "venue_adapters/net/beast_common.h"

namespace fixgw::net {
using namespace detail;

std::string HttpResponse::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string what(const char* stage, const error_code& ec) {
  if (ec == beast::error::timeout) return std::string(stage) + ": timeout";
  return std::string(stage) + ": " + ec.message();
}

// "" or why the trusted CAs could not be loaded (then every request fails
// with that error: there is no fallback to an unverified connection).
std::string configureContext(ssl::context& ctx, const TlsOptions& o) {
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (!o.caPem.empty()) {
    ctx.add_certificate_authority(asio::buffer(o.caPem), ec);
    if (ec) return "tls: trusted CA PEM: " + ec.message();
  } else if (!o.caFile.empty()) {
    ctx.load_verify_file(o.caFile, ec);
    if (ec) return "tls: CA file '" + o.caFile + "': " + ec.message();
  } else {
    ctx.set_default_verify_paths(ec);
    if (ec) return "tls: system CA store: " + ec.message();
  }
  return "";
}

// Opens TCP, then TLS with SNI and host name verification, within the
// connect timeout. Returns "" or the error.
asio::awaitable<std::string> openTls(TlsStream& s, const TlsOptions& o) {
  error_code ec;
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto results = co_await resolver.async_resolve(o.host, std::to_string(o.port), awaitEc(ec));
  if (ec) co_return what("resolve", ec);
  auto& tcpLayer = beast::get_lowest_layer(s);
  tcpLayer.expires_after(std::chrono::milliseconds(o.connectTimeoutMs));
  co_await tcpLayer.async_connect(results, awaitEc(ec));
  if (ec) co_return what("connect", ec);
  const std::string& name = o.nameToVerify();
  if (!SSL_set_tlsext_host_name(s.native_handle(), name.c_str()))
    co_return "tls: cannot set SNI '" + name + "'";
  s.set_verify_callback(ssl::host_name_verification(name));
  tcpLayer.expires_after(std::chrono::milliseconds(o.connectTimeoutMs));
  co_await s.async_handshake(ssl::stream_base::client, awaitEc(ec));
  if (ec) {
    long vr = SSL_get_verify_result(s.native_handle());
    if (vr != X509_V_OK)
      co_return std::string("tls handshake: certificate verification failed: ") +
          X509_verify_cert_error_string(vr);
    co_return what("tls handshake", ec);
  }
  co_return std::string();
}

// Whether a kept-alive connection has been closed by the server while idle
// (end of stream, an alert or stray bytes waiting): checked before reuse, so
// a request — above all a POST, which is never retried — does not go out on
// a connection that is already gone.
bool keptConnectionIsGone(TlsStream& s) {
  if (SSL_pending(s.native_handle()) > 0) return true;
  const int fd = beast::get_lowest_layer(s).socket().native_handle();
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return true;  // 0: end of stream; > 0: unexpected data on an idle connection
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

// Runs a coroutine to completion on ioc (from the calling thread).
template <class T>
T runOn(asio::io_context& ioc, asio::awaitable<T> aw) {
  std::optional<T> out;
  std::exception_ptr ex;
  asio::co_spawn(ioc, std::move(aw), [&](std::exception_ptr e, T v) {
    ex = e;
    if (!e) out = std::move(v);
  });
  ioc.restart();
  ioc.run();
  if (ex) std::rethrow_exception(ex);
  return std::move(*out);
}

}  // namespace

// ---------------------------------------------------------------- HttpsClient

struct HttpsClient::Impl {
  explicit Impl(TlsOptions o) : opts(std::move(o)) { ctxError = configureContext(ctx, opts); }
  std::string ctxError;
  TlsOptions opts;
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::unique_ptr<TlsStream> stream;
  beast::flat_buffer buffer;
  std::mutex mu;
  std::atomic<uint64_t> opened{0};

  asio::awaitable<HttpResult> exchange(const HttpRequest& req, bool& reused) {
    HttpResult r;
    if (stream && keptConnectionIsGone(*stream)) stream.reset();
    reused = stream != nullptr;
    if (!stream) {
      stream = std::make_unique<TlsStream>(co_await asio::this_coro::executor, ctx);
      buffer.clear();
      r.error = co_await openTls(*stream, opts);
      if (!r.error.empty()) {
        stream.reset();
        co_return r;
      }
      ++opened;
    }
    http::request<http::string_body> msg;
    msg.method_string(req.method);
    msg.target(req.target);
    msg.version(11);
    msg.set(http::field::host, opts.nameToVerify());
    msg.set(http::field::user_agent, "fixgw");
    msg.keep_alive(true);
    for (const auto& [k, v] : req.headers) msg.set(k, v);
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
      if (!req.contentType.empty()) msg.set(http::field::content_type, req.contentType);
      msg.body() = req.body;
      msg.prepare_payload();
    }
    error_code ec;
    auto& tcpLayer = beast::get_lowest_layer(*stream);
    tcpLayer.expires_after(std::chrono::milliseconds(opts.readTimeoutMs));
    co_await http::async_write(*stream, msg, awaitEc(ec));
    if (ec) {
      stream.reset();
      r.error = what("write", ec);
      co_return r;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    tcpLayer.expires_after(std::chrono::milliseconds(opts.readTimeoutMs));
    co_await http::async_read(*stream, buffer, parser, awaitEc(ec));
    if (ec) {
      stream.reset();
      r.error = what("read", ec);
      co_return r;
    }
    auto res = parser.release();
    r.ok = true;
    r.response.status = static_cast<int>(res.result_int());
    for (const auto& f : res)
      r.response.headers[lower(std::string(f.name_string()))] = std::string(f.value());
    r.response.body = std::move(res.body());
    if (!res.keep_alive()) stream.reset();
    co_return r;
  }
};

HttpsClient::HttpsClient(TlsOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
HttpsClient::~HttpsClient() = default;

HttpResult HttpsClient::send(const HttpRequest& req) {
  std::lock_guard lk(impl_->mu);
  if (!impl_->ctxError.empty()) return HttpResult{false, impl_->ctxError, {}};
  bool reused = false;
  HttpResult r;
  try {
    r = runOn(impl_->ioc, impl_->exchange(req, reused));
  } catch (const std::exception& e) {  // e.g. a header Beast refuses
    impl_->stream.reset();
    return HttpResult{false, std::string("request: ") + e.what(), {}};
  }
  // A kept-alive connection the server has since closed fails on first use;
  // retry once on a fresh one, but only when repeating cannot act twice.
  // (DELETE is left out: a cancel that did reach the venue would be answered
  // "unknown order" the second time.)
  const bool idempotent = req.method == "GET" || req.method == "PUT";
  if (!r.ok && reused && idempotent && r.error.rfind("connect", 0) != 0) {
    try {
      r = runOn(impl_->ioc, impl_->exchange(req, reused));
    } catch (const std::exception& e) {
      impl_->stream.reset();
      return HttpResult{false, std::string("request: ") + e.what(), {}};
    }
  }
  return r;
}

void HttpsClient::close() {
  std::lock_guard lk(impl_->mu);
  impl_->stream.reset();
}

uint64_t HttpsClient::connectionsOpened() const { return impl_->opened.load(); }

// ------------------------------------------------------------------- WsClient

struct WsClient::Impl : std::enable_shared_from_this<WsClient::Impl> {
  Impl(WsOptions o, Callbacks c) : opts(std::move(o)), cb(std::move(c)) {
    ctxError = configureContext(ctx, opts.tls);
  }
  std::string ctxError;
  WsOptions opts;
  Callbacks cb;
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::unique_ptr<WsStream> ws;
  std::deque<std::string> outbox;
  bool writing = false;
  std::atomic<bool> open{false};
  std::atomic<uint64_t> pongs{0};
  std::thread thread;

  asio::awaitable<std::string> handshake() {
    ws = std::make_unique<WsStream>(co_await asio::this_coro::executor, ctx);
    std::string err = co_await openTls(ws->next_layer(), opts.tls);
    if (!err.empty()) co_return err;
    error_code ec;
    beast::get_lowest_layer(*ws).expires_after(
        std::chrono::milliseconds(opts.tls.connectTimeoutMs));
    std::string hostHeader = opts.tls.nameToVerify() + ":" + std::to_string(opts.tls.port);
    co_await ws->async_handshake(hostHeader, opts.target, awaitEc(ec));
    if (ec) co_return what("websocket handshake", ec);
    // From here Beast's own timeouts apply: a ping after pingIdleMs of
    // silence, the connection closed if that ping goes unanswered as long.
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(opts.tls.connectTimeoutMs);
    t.idle_timeout = std::chrono::milliseconds(2 * opts.pingIdleMs);
    t.keep_alive_pings = true;
    ws->set_option(t);
    ws->control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) ++pongs;
    });
    co_return std::string();
  }

  asio::awaitable<void> readLoop() {
    auto self = shared_from_this();
    beast::flat_buffer buf;
    std::string reason;
    for (;;) {
      error_code ec;
      co_await ws->async_read(buf, awaitEc(ec));
      if (ec) {
        if (ec == websocket::error::closed)
          reason = "closed by peer: " +
                   std::string(ws->reason().reason.data(), ws->reason().reason.size());
        else
          reason = what("read", ec);
        break;
      }
      std::string text = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      if (cb.onMessage) cb.onMessage(text);
    }
    open = false;
    if (cb.onClose) cb.onClose(reason);
    // Beast's keep-alive timer would hold run() open; nothing more to do here.
    ioc.stop();
  }

  asio::awaitable<void> writeLoop() {
    auto self = shared_from_this();
    while (!outbox.empty() && ws) {
      std::string msg = std::move(outbox.front());
      outbox.pop_front();
      error_code ec;
      ws->text(true);
      co_await ws->async_write(asio::buffer(msg), awaitEc(ec));
      if (ec) break;  // the read loop reports the close
    }
    writing = false;
  }
};

WsClient::WsClient(WsOptions opts, Callbacks cb)
    : impl_(std::make_shared<Impl>(std::move(opts), std::move(cb))) {}

WsClient::~WsClient() {
  close();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string WsClient::connect() {
  if (impl_->thread.joinable()) return "already connected once; make a new WsClient";
  if (!impl_->ctxError.empty()) return impl_->ctxError;
  std::string err;
  try {
    err = runOn(impl_->ioc, impl_->handshake());
  } catch (const std::exception& e) {
    err = std::string("websocket: ") + e.what();
  }
  if (!err.empty()) return err;
  impl_->open = true;
  impl_->ioc.restart();
  asio::co_spawn(impl_->ioc, impl_->readLoop(), asio::detached);
  impl_->thread = std::thread([impl = impl_] { impl->ioc.run(); });
  return "";
}

void WsClient::send(std::string text) {
  asio::post(impl_->ioc, [impl = impl_, t = std::move(text)]() mutable {
    impl->outbox.push_back(std::move(t));
    if (!impl->writing && impl->open) {
      impl->writing = true;
      asio::co_spawn(impl->ioc, impl->writeLoop(), asio::detached);
    }
  });
}

void WsClient::close() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->ioc, [impl = impl_] {
    if (!impl->open || !impl->ws) {
      impl->ioc.stop();
      return;
    }
    impl->ws->async_close(websocket::close_code::normal, [](error_code) {});
  });
  // The read loop ends on the close handshake (or the idle timeout);
  // ioc.run() then returns for lack of work.
  if (std::this_thread::get_id() != impl_->thread.get_id()) {
    impl_->thread.join();
  } else {
    impl_->thread.detach();
  }
}

bool WsClient::isOpen() const { return impl_->open.load(); }
uint64_t WsClient::pongsReceived() const { return impl_->pongs.load(); }

}  // namespace fixgw::net
