// The admin HTTP server (see admin_http.h). One io_context thread; every
// connection is a coroutine whose reads carry a deadline, so a slow or
// hostile client costs a socket and a timer, never the server.
#include "apps/admin_http.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fixgw::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {
auto awaitEc(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

std::string trim(std::string s) {
  auto notSpace = [](char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; };
  while (!s.empty() && !notSpace(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && !notSpace(s[i])) ++i;
  return s.substr(i);
}

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

const char* toString(Role r) { return r == Role::Operator ? "operator" : "read"; }

// ---------------------------------------------------------------- tokens

std::array<unsigned char, 32> sha256(std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string sha256Hex(std::string_view data) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char b : sha256(data)) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

TokenStore TokenStore::parse(const std::string& text, const std::string& origin) {
  TokenStore ts;
  std::set<std::string> names;
  std::string norm = text;
  for (char& c : norm)
    if (c == ';') c = '\n';
  std::istringstream in(norm);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    line = trim(line);
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::string name, role, secret, extra;
    ls >> name >> role >> secret >> extra;
    const std::string where = origin + " line " + std::to_string(n);
    if (secret.empty() || !extra.empty())
      throw std::runtime_error(where +
                               ": expected '<name> <read|operator> <secret or sha256:hex>'");
    Entry e;
    e.who.name = name;
    if (role == "read")
      e.who.role = Role::Read;
    else if (role == "operator")
      e.who.role = Role::Operator;
    else
      throw std::runtime_error(where + ": role '" + role + "' is not read or operator");
    if (!names.insert(name).second)
      throw std::runtime_error(where + ": token name '" + name + "' appears twice");
    if (secret.rfind("sha256:", 0) == 0) {
      std::string hex = secret.substr(7);
      if (hex.size() != 64) throw std::runtime_error(where + ": sha256: needs 64 hex digits");
      for (size_t i = 0; i < 32; ++i) {
        int hi = hexVal(hex[2 * i]), lo = hexVal(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) throw std::runtime_error(where + ": sha256: needs 64 hex digits");
        e.digest[i] = static_cast<unsigned char>(hi * 16 + lo);
      }
    } else {
      if (secret.size() < 16)
        throw std::runtime_error(where + ": token '" + name +
                                 "' is shorter than 16 characters (too easy to guess)");
      e.digest = sha256(secret);
    }
    ts.entries_.push_back(std::move(e));
  }
  return ts;
}

std::optional<TokenStore> TokenStore::load(const std::string& file) {
  if (const char* e = std::getenv("FIXGW_ADMIN_HTTP_TOKENS"); e && *e) {
    TokenStore t = parse(e, "FIXGW_ADMIN_HTTP_TOKENS");
    if (t.size() > 0) return t;
    return std::nullopt;
  }
  if (file.empty()) return std::nullopt;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("admin.http.tokens_file '" + file + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  TokenStore t = parse(ss.str(), "admin.http.tokens_file '" + file + "'");
  if (t.size() == 0) return std::nullopt;
  return t;
}

std::optional<Principal> TokenStore::authenticate(std::string_view secret) const {
  const auto d = sha256(secret);
  const Entry* hit = nullptr;
  for (const auto& e : entries_) {
    // No early exit: every entry costs the same.
    bool eq = CRYPTO_memcmp(e.digest.data(), d.data(), d.size()) == 0;
    if (eq && !hit) hit = &e;
  }
  if (!hit) return std::nullopt;
  return hit->who;
}

// ---------------------------------------------------------------- events

void EventHub::publish(std::string_view event, std::string_view json) {
  if (!hasSubscribers()) return;
  std::string frame;
  frame.reserve(event.size() + json.size() + 16);
  frame += "event: ";
  frame += event;
  frame += "\ndata: ";
  frame += json;
  frame += "\n\n";
  std::lock_guard lk(mu_);
  for (auto& s : subs_) {
    std::lock_guard sl(s->mu);
    if (s->queue.size() >= kMaxQueued) {
      s->overflowed = true;
    } else {
      s->queue.push_back(frame);
    }
    // One wake per drained queue: a burst of events costs one post.
    if (!s->wakePending && s->wake) {
      s->wakePending = true;
      s->wake();
    }
  }
}

std::shared_ptr<EventHub::Subscriber> EventHub::subscribe() {
  auto s = std::make_shared<Subscriber>();
  std::lock_guard lk(mu_);
  subs_.push_back(s);
  count_.store(subs_.size(), std::memory_order_relaxed);
  return s;
}

void EventHub::unsubscribe(const std::shared_ptr<Subscriber>& s) {
  std::lock_guard lk(mu_);
  std::erase(subs_, s);
  count_.store(subs_.size(), std::memory_order_relaxed);
}

// ---------------------------------------------------------------- server

std::optional<std::string> percentDecode(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      o += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hexVal(s[i + 1]), lo = hexVal(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      o += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      o += s[i];
    }
  }
  return o;
}

namespace {

std::string errorBody(std::string_view msg) {
  std::string o = "{\"ok\":false,\"error\":\"";
  for (char c : msg) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  o += "\"}";
  return o;
}

const char* contentTypeOf(const std::filesystem::path& p) {
  const std::string e = p.extension().string();
  if (e == ".html") return "text/html; charset=utf-8";
  if (e == ".css") return "text/css; charset=utf-8";
  if (e == ".js") return "text/javascript; charset=utf-8";
  if (e == ".json") return "application/json";
  if (e == ".svg") return "image/svg+xml";
  if (e == ".png") return "image/png";
  return "application/octet-stream";
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  HttpServerConfig cfg;
  TokenStore tokens;
  Handler handler;
  EventHub* hub;
  asio::io_context ioc{1};
  // Closed by stop(): an event published after the server stopped (the hub
  // outlives it) must not post to an io_context on its way out.
  struct WakeGate {
    std::mutex mu;
    bool open = true;
  };
  std::shared_ptr<WakeGate> wakeGate = std::make_shared<WakeGate>();
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;
  std::atomic<int> boundPort{0};
  size_t active = 0;  // io thread only
  std::atomic<bool> stopping{false};

  Impl(HttpServerConfig c, TokenStore t, Handler h, EventHub* e)
      : cfg(std::move(c)), tokens(std::move(t)), handler(std::move(h)), hub(e) {}

  using Response = http::response<http::string_body>;

  Response make(int status, const std::string& body, const std::string& type, unsigned version,
                bool keepAlive) {
    Response res{static_cast<http::status>(status), version};
    res.set(http::field::server, "fixgw-admin");
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    if (status == 401) res.set(http::field::www_authenticate, "Bearer realm=\"fixgw\"");
    res.keep_alive(keepAlive);
    res.body() = body;
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> listen() {
    for (;;) {
      error_code ec;
      tcp::socket sock(ioc);
      co_await acceptor->async_accept(sock, awaitEc(ec));
      if (ec) {
        if (stopping) co_return;
        if (ec == asio::error::operation_aborted) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      asio::co_spawn(ioc, session(std::move(sock)), asio::detached);
    }
  }

  static HttpResponse serveStatic(const std::string& root, const std::string& path) {
    std::string rel = path == "/" ? "index.html" : path.substr(1);
    if (rel.rfind("ui/", 0) == 0) rel = rel.substr(3);
    if (rel.empty()) rel = "index.html";
    // Only plain names below the root: no "..", no hidden files, no absolute paths.
    for (const auto& part : std::filesystem::path(rel))
      if (part == ".." || part.string().empty() || part.string()[0] == '.')
        return {404, "application/json", errorBody("no such file: " + path)};
    const auto file = std::filesystem::path(root) / rel;
    std::ifstream in(file, std::ios::binary);
    if (!in || std::filesystem::is_directory(file))
      return {404, "application/json", errorBody("no such file: " + path)};
    std::stringstream ss;
    ss << in.rdbuf();
    return {200, contentTypeOf(file), ss.str()};
  }

  asio::awaitable<void> session(tcp::socket sock) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buffer(8192);
    const bool overCap = active >= cfg.maxConnections;
    ++active;
    struct Dec {
      size_t& a;
      ~Dec() { --a; }
    } dec{active};
    error_code ec;
    if (overCap) {
      auto res = make(503, errorBody("too many admin connections"), "application/json", 11, false);
      stream.expires_after(std::chrono::seconds(2));
      co_await http::async_write(stream, res, awaitEc(ec));
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      co_return;
    }
    bool first = true;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(cfg.maxHeaderBytes));
      parser.body_limit(cfg.maxBodyBytes);
      // The first byte of a kept-alive connection's next request may take
      // the idle time; from then on the whole request must arrive within
      // the header timeout (slowloris).
      if (!first && buffer.size() == 0) {
        stream.expires_after(std::chrono::milliseconds(cfg.idleTimeoutMs));
        size_t n = co_await stream.async_read_some(buffer.prepare(4096), awaitEc(ec));
        if (ec) break;
        buffer.commit(n);
      }
      first = false;
      // Not the stream's own expiry: on expiry Beast closes the socket, and
      // a slow client should still read why it was cut off (408). The timer
      // only cancels the read.
      stream.expires_never();
      asio::steady_timer deadline(ioc);
      bool timedOut = false;
      deadline.expires_after(std::chrono::milliseconds(cfg.headerTimeoutMs));
      deadline.async_wait([&timedOut, &stream](error_code e) {
        if (e) return;  // cancelled: the request arrived in time
        timedOut = true;
        error_code ignored;
        stream.socket().cancel(ignored);
      });
      co_await http::async_read(stream, buffer, parser, awaitEc(ec));
      deadline.cancel();
      if (ec == http::error::end_of_stream && !timedOut) break;
      if (ec) {
        int status = 400;
        std::string msg = "malformed HTTP request: " + ec.message();
        if (timedOut) {
          status = 408;
          msg = "request not received in time (" + std::to_string(cfg.headerTimeoutMs) + " ms)";
        } else if (ec == http::error::body_limit) {
          status = 413;
          msg = "request body over the limit of " + std::to_string(cfg.maxBodyBytes) + " bytes";
        } else if (ec == http::error::header_limit) {
          status = 431;
          msg = "request header over the limit of " + std::to_string(cfg.maxHeaderBytes) + " bytes";
        } else if (ec == asio::error::eof || ec == asio::error::connection_reset ||
                   ec == http::error::partial_message) {
          break;  // the client went away mid-request
        }
        spdlog::info("admin http: {} {}", status, msg);
        auto res = make(status, errorBody(msg), "application/json", 11, false);
        stream.expires_after(std::chrono::seconds(2));
        co_await http::async_write(stream, res, awaitEc(ec));
        co_await lingerClose(stream);
        co_return;
      }
      auto req = parser.release();
      const bool keep = req.keep_alive();
      const unsigned ver = req.version();
      HttpRequest hr;
      hr.method = std::string(req.method_string());
      std::string target(req.target());
      auto q = target.find('?');
      hr.path = target.substr(0, q);
      bool badQuery = false;
      if (q != std::string::npos) {
        std::string_view qs(target);
        qs.remove_prefix(q + 1);
        while (!qs.empty()) {
          auto amp = qs.find('&');
          std::string_view kv = qs.substr(0, amp);
          qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
          if (kv.empty()) continue;
          auto eq = kv.find('=');
          auto k = percentDecode(kv.substr(0, eq));
          auto v =
              percentDecode(eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1));
          if (!k || !v) {
            badQuery = true;
            break;
          }
          hr.query[*k] = *v;
        }
      }
      hr.body = std::move(req.body());

      HttpResponse out;
      bool sse = false;
      const bool api = hr.path.rfind("/api/", 0) == 0 || hr.path == "/metrics";
      if (badQuery) {
        out = {400, "application/json", errorBody("malformed query string (bad % escape)")};
      } else if (api) {
        auto auth = req[http::field::authorization];
        std::string_view a(auth.data(), auth.size());
        if (a.rfind("Bearer ", 0) != 0) {
          out = {401, "application/json",
                 errorBody("missing bearer token (Authorization: Bearer <token>)")};
        } else if (auto p = tokens.authenticate(a.substr(7)); !p) {
          spdlog::warn("admin http: refused {} {}: unknown token", hr.method, hr.path);
          out = {401, "application/json", errorBody("unknown or revoked token")};
        } else {
          hr.principal = *p;
          if (hr.path == "/api/events" && hr.method == "GET" && hub) {
            sse = true;
          } else {
            out = callHandler(hr);
          }
        }
      } else if (hr.path == "/health" || hr.path == "/ready") {
        out = callHandler(hr);
      } else if ((hr.method == "GET" || hr.method == "HEAD") && !cfg.webRoot.empty() &&
                 (hr.path == "/" || hr.path.rfind("/ui/", 0) == 0)) {
        out = serveStatic(cfg.webRoot, hr.path);
      } else {
        out = {404, "application/json", errorBody("no route for " + hr.method + " " + hr.path)};
      }
      if (sse) {
        co_await streamEvents(stream, ver);
        break;
      }
      auto res = make(out.status, out.body, out.contentType, ver, keep);
      stream.expires_after(std::chrono::seconds(30));
      co_await http::async_write(stream, res, awaitEc(ec));
      if (ec || !keep) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  // Closing with unread request bytes would reset the connection and could
  // destroy the error answer before the client reads it: stop sending, then
  // drain (bounded in bytes and time) until the client closes.
  static asio::awaitable<void> lingerClose(beast::tcp_stream& stream) {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    char scratch[16384];
    size_t drained = 0;
    while (!ec && drained < 4 * 1024 * 1024) {
      stream.expires_after(std::chrono::seconds(1));
      drained += co_await stream.async_read_some(asio::buffer(scratch), awaitEc(ec));
    }
    stream.socket().close(ec);
  }

  HttpResponse callHandler(const HttpRequest& hr) {
    try {
      return handler(hr);
    } catch (const std::exception& e) {
      spdlog::error("admin http: {} {} failed: {}", hr.method, hr.path, e.what());
      return {500, "application/json", errorBody(std::string("internal error: ") + e.what())};
    }
  }

  // Server-sent events until the client goes away or falls too far behind.
  asio::awaitable<void> streamEvents(beast::tcp_stream& stream, unsigned ver) {
    error_code ec;
    std::string head = std::string(ver == 10 ? "HTTP/1.0" : "HTTP/1.1") +
                       " 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                       "Connection: close\r\nX-Accel-Buffering: no\r\n\r\n: fixgw events\n\n";
    stream.expires_after(std::chrono::seconds(10));
    co_await asio::async_write(stream, asio::buffer(head), awaitEc(ec));
    if (ec) co_return;
    auto sub = hub->subscribe();
    struct Unsub {
      EventHub* h;
      std::shared_ptr<EventHub::Subscriber> s;
      ~Unsub() { h->unsubscribe(s); }
    } unsub{hub, sub};
    // The stream sleeps on this timer until publish() cancels it (posted to
    // the server's thread, the only one that touches the timer) or the
    // keep-alive is due. The post holds a weak reference: a wake arriving
    // after the stream ended finds no timer and does nothing.
    auto timer = std::make_shared<asio::steady_timer>(ioc);
    {
      std::lock_guard lk(sub->mu);
      sub->wake = [this, gate = wakeGate, weak = std::weak_ptr<asio::steady_timer>(timer)] {
        std::lock_guard g(gate->mu);
        if (!gate->open) return;
        asio::post(ioc, [weak] {
          if (auto t = weak.lock()) t->cancel();
        });
      };
    }
    auto lastWrite = std::chrono::steady_clock::now();
    while (!stopping) {
      std::string batch;
      bool overflow = false;
      {
        std::lock_guard lk(sub->mu);
        sub->wakePending = false;  // events from here on wake the wait below
        overflow = sub->overflowed;
        while (!sub->queue.empty() && batch.size() < 256 * 1024) {
          batch += sub->queue.front();
          sub->queue.pop_front();
        }
      }
      if (overflow) co_return;
      if (batch.empty() && std::chrono::steady_clock::now() - lastWrite > std::chrono::seconds(15))
        batch = ": keep-alive\n\n";  // also finds a client that went away
      if (!batch.empty()) {
        stream.expires_after(std::chrono::seconds(10));
        co_await asio::async_write(stream, asio::buffer(batch), awaitEc(ec));
        if (ec) co_return;
        lastWrite = std::chrono::steady_clock::now();
        continue;
      }
      // Nothing queued: sleep until an event's wake or the keep-alive. A wake
      // that came while we were writing cancels nothing, but its event is
      // already queued and the loop drains it before waiting again.
      const auto keepAliveAt = lastWrite + std::chrono::seconds(15);
      {
        std::lock_guard lk(sub->mu);
        if (!sub->queue.empty() || sub->overflowed) continue;
      }
      timer->expires_at(keepAliveAt);
      co_await timer->async_wait(awaitEc(ec));
    }
  }
};

HttpServer::HttpServer(HttpServerConfig cfg, TokenStore tokens, Handler handler, EventHub* hub)
    : impl_(std::make_shared<Impl>(std::move(cfg), std::move(tokens), std::move(handler), hub)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  Impl& m = *impl_;
  error_code ec;
  auto addr = asio::ip::make_address(m.cfg.host, ec);
  if (ec) throw std::runtime_error("admin.http.host: '" + m.cfg.host + "' is not an IP address");
  tcp::endpoint ep(addr, static_cast<unsigned short>(m.cfg.port));
  m.acceptor = std::make_unique<tcp::acceptor>(m.ioc);
  m.acceptor->open(ep.protocol(), ec);
  if (!ec) m.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor->bind(ep, ec);
  if (!ec) m.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("admin http: cannot listen on " + m.cfg.host + ":" +
                             std::to_string(m.cfg.port) + ": " + ec.message());
  m.boundPort = m.acceptor->local_endpoint().port();
  asio::co_spawn(m.ioc, m.listen(), asio::detached);
  m.thread = std::thread([self = impl_] {
    try {
      self->ioc.run();
    } catch (const std::exception& e) {
      spdlog::critical("admin http: server thread ended: {}", e.what());
    }
  });
  spdlog::info("admin http: listening on {}:{}", m.cfg.host, m.boundPort.load());
}

void HttpServer::stop() {
  Impl& m = *impl_;
  if (!m.thread.joinable()) return;
  m.stopping = true;
  asio::post(m.ioc, [&m] {
    error_code ec;
    m.acceptor->close(ec);
    m.ioc.stop();
  });
  m.thread.join();
  std::lock_guard g(m.wakeGate->mu);
  m.wakeGate->open = false;
}

int HttpServer::port() const { return impl_->boundPort.load(); }

}  // namespace fixgw::admin
