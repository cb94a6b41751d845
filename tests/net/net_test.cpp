// The shared HTTPS/WebSocket layer against a real TLS server on loopback:
// certificate and host verification, read timeouts, keep-alive reuse and
// WebSocket ping/pong. Certificates are made by the test at run time.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "venue_adapters/net/http.h"
#include "venue_adapters/net/server.h"

using namespace fixgw::net;

namespace {

// Waits (without asserting on time) until pred holds or 10 s pass.
template <class P>
bool waitFor(P pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

struct Fixture : ::testing::Test {
  SelfSignedCert cert = makeSelfSignedCert("localhost");
  std::atomic<int> requests{0};
  std::atomic<int> serverPongs{0};
  std::atomic<int> serverPings{0};
  std::mutex mu;
  std::vector<std::shared_ptr<WsPeer>> peers;
  std::unique_ptr<TlsServer> server;

  void SetUp() override {
    ServerHandlers h;
    h.onHttp = [this](const HttpRequest& r) {
      ++requests;
      HttpResponse out;
      out.status = 200;
      if (r.target == "/hang") out.neverAnswer = true;
      if (r.target == "/close") out.headers["connection"] = "close";
      if (r.target == "/idle-close") out.closeSilently = true;
      out.body = "{\"path\":\"" + r.target + "\",\"method\":\"" + r.method + "\",\"body\":\"" +
                 r.body + "\"}";
      return out;
    };
    h.acceptWs = [](const std::string& t) { return t == "/ws/echo"; };
    h.onWsOpen = [this](std::shared_ptr<WsPeer> p) {
      std::lock_guard lk(mu);
      peers.push_back(std::move(p));
    };
    h.onWsMessage = [](WsPeer& p, const std::string& text) { p.send("echo:" + text); };
    h.onWsPong = [this](WsPeer&) { ++serverPongs; };
    h.onWsPing = [this](WsPeer&) { ++serverPings; };
    server = std::make_unique<TlsServer>(cert.certPem, cert.keyPem, h);
    server->start();
  }
  void TearDown() override { server->stop(); }

  TlsOptions trusted() {
    TlsOptions o;
    o.host = "127.0.0.1";
    o.port = server->port();
    o.serverName = "localhost";
    o.caPem = cert.certPem;
    o.readTimeoutMs = 5000;
    return o;
  }
  std::shared_ptr<WsPeer> peer(size_t i) {
    std::lock_guard lk(mu);
    return i < peers.size() ? peers[i] : nullptr;
  }
};

using NetTls = Fixture;
using NetWs = Fixture;

TEST_F(NetTls, TrustedCertificateAnswersAndKeepsTheConnectionAlive) {
  HttpsClient c(trusted());
  for (int i = 0; i < 3; ++i) {
    HttpRequest req;
    req.method = i == 1 ? "POST" : "GET";
    req.target = "/api/v3/ping?n=" + std::to_string(i);
    if (i == 1) {
      req.body = "a=1";
      req.contentType = "application/x-www-form-urlencoded";
    }
    auto r = c.send(req);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.response.status, 200);
    EXPECT_NE(r.response.body.find("/api/v3/ping?n=" + std::to_string(i)), std::string::npos);
  }
  EXPECT_EQ(c.connectionsOpened(), 1u) << "keep-alive: one connection for three requests";
  EXPECT_EQ(server->connectionsAccepted(), 1u);
  EXPECT_EQ(requests.load(), 3);
}

TEST_F(NetTls, ServerClosingTheConnectionMeansANewOneNextTime) {
  HttpsClient c(trusted());
  ASSERT_TRUE(c.send({"GET", "/close", {}, "", ""}).ok);
  auto r = c.send({"GET", "/again", {}, "", ""});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(c.connectionsOpened(), 2u);
}

TEST_F(NetTls, AKeptConnectionTheServerDroppedIsNotReused) {
  HttpsClient c(trusted());
  // GET: detected before reuse or, failing that, retried once on a fresh one.
  ASSERT_TRUE(c.send({"GET", "/idle-close", {}, "", ""}).ok);
  auto get = c.send({"GET", "/after", {}, "", ""});
  ASSERT_TRUE(get.ok) << get.error;
  EXPECT_EQ(c.connectionsOpened(), 2u);
  // POST: never sent twice. Once the server's close has reached us, the dead
  // connection is noticed before the POST goes out on it.
  bool posted = false;
  for (int i = 0; i < 5 && !posted; ++i) {
    ASSERT_TRUE(c.send({"GET", "/idle-close", {}, "", ""}).ok);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the close arrive
    const int before = requests.load();
    auto post = c.send({"POST", "/order", {}, "a=1", "application/x-www-form-urlencoded"});
    EXPECT_LE(requests.load(), before + 1) << "a POST is never sent twice";
    if (post.ok) {
      EXPECT_EQ(requests.load(), before + 1);
      posted = true;
    }
  }
  EXPECT_TRUE(posted);
}

TEST_F(NetTls, UntrustedCertificateIsRefused) {
  auto other = makeSelfSignedCert("localhost");
  auto o = trusted();
  o.caPem = other.certPem;  // trusts a different CA than the server's
  HttpsClient c(o);
  auto r = c.send({"GET", "/", {}, "", ""});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("certificate verification failed"), std::string::npos) << r.error;
  EXPECT_EQ(requests.load(), 0);
}

TEST_F(NetTls, CertificateForAnotherHostIsRefused) {
  auto o = trusted();
  o.serverName = "other.localhost";  // the certificate names only localhost
  HttpsClient c(o);
  auto r = c.send({"GET", "/", {}, "", ""});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.find("certificate verification failed"), std::string::npos) << r.error;
  EXPECT_EQ(requests.load(), 0);
}

TEST_F(NetTls, NoTrustedCaGivenMeansTheSystemStoreWhichDoesNotKnowATestCert) {
  auto o = trusted();
  o.caPem.clear();
  HttpsClient c(o);
  auto r = c.send({"GET", "/", {}, "", ""});
  EXPECT_FALSE(r.ok);
}

TEST_F(NetTls, AnUnreadableCaIsAnErrorOnEveryRequestNeverAnUnverifiedConnection) {
  auto o = trusted();
  o.caPem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  HttpsClient c(o);
  auto r = c.send({"GET", "/", {}, "", ""});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind("tls: trusted CA PEM", 0), 0u) << r.error;
  auto f = trusted();
  f.caPem.clear();
  f.caFile = "/nonexistent/ca.pem";
  HttpsClient c2(f);
  auto r2 = c2.send({"GET", "/", {}, "", ""});
  ASSERT_FALSE(r2.ok);
  EXPECT_NE(r2.error.find("/nonexistent/ca.pem"), std::string::npos) << r2.error;
  EXPECT_EQ(requests.load(), 0);
}

TEST_F(NetTls, ReadTimesOutWhenTheServerNeverAnswers) {
  auto o = trusted();
  o.readTimeoutMs = 200;
  HttpsClient c(o);
  auto r = c.send({"GET", "/hang", {}, "", ""});
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "read: timeout");
  // The client recovers on a fresh connection.
  auto again = c.send({"GET", "/fine", {}, "", ""});
  EXPECT_TRUE(again.ok) << again.error;
}

TEST_F(NetTls, ConnectionRefusedIsAnErrorNotACrash) {
  auto o = trusted();
  server->stop();
  HttpsClient c(o);
  auto r = c.send({"GET", "/", {}, "", ""});
  EXPECT_FALSE(r.ok);
}

TEST_F(NetWs, EchoesAndAnswersTheServersPing) {
  std::mutex m;
  std::vector<std::string> got;
  WsOptions o;
  o.tls = trusted();
  o.target = "/ws/echo";
  WsClient ws(o, {[&](const std::string& t) {
                    std::lock_guard lk(m);
                    got.push_back(t);
                  },
                  nullptr});
  ASSERT_EQ(ws.connect(), "");
  ws.send("hello");
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lk(m);
    return !got.empty();
  }));
  {
    std::lock_guard lk(m);
    EXPECT_EQ(got[0], "echo:hello");
  }
  ASSERT_TRUE(waitFor([&] { return peer(0) != nullptr; }));
  peer(0)->ping();
  EXPECT_TRUE(waitFor([&] { return serverPongs.load() > 0; }))
      << "client answers a ping with a pong";
}

TEST_F(NetWs, IdleClientPingsAndCountsTheServersPongs) {
  WsOptions o;
  o.tls = trusted();
  o.target = "/ws/echo";
  o.pingIdleMs = 100;
  WsClient ws(o, {nullptr, nullptr});
  ASSERT_EQ(ws.connect(), "");
  EXPECT_TRUE(waitFor([&] { return serverPings.load() > 0 && ws.pongsReceived() > 0; }));
  EXPECT_TRUE(ws.isOpen());
}

TEST_F(NetWs, DroppedConnectionIsReportedOnce) {
  std::atomic<int> closes{0};
  WsOptions o;
  o.tls = trusted();
  o.target = "/ws/echo";
  WsClient ws(o, {nullptr, [&](const std::string&) { ++closes; }});
  ASSERT_EQ(ws.connect(), "");
  ASSERT_TRUE(waitFor([&] { return peer(0) != nullptr; }));
  peer(0)->drop();
  ASSERT_TRUE(waitFor([&] { return closes.load() > 0; }));
  EXPECT_FALSE(ws.isOpen());
  EXPECT_EQ(closes.load(), 1);
}

TEST_F(NetWs, UnknownStreamIsRefused) {
  WsOptions o;
  o.tls = trusted();
  o.target = "/ws/nope";
  WsClient ws(o, {nullptr, nullptr});
  EXPECT_NE(ws.connect(), "");
}

}  // namespace
