// The gateway's own FIX socket layer (fix_acceptor/transport.*) and logon
// authentication (fix_acceptor/logon_auth.*), through the real FixAcceptor:
// QuickFIX sessions over loopback, real TLS handshakes with certificates made
// at run time, clients bound to 127.0.0.1 or 127.0.0.2.
#include "fix_acceptor/transport.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "fix_acceptor/fix_acceptor.h"
#include "fix_acceptor/logon_auth.h"
#include "tests/fix_transport/raw_fix_client.h"
#include "tests/support/fix_test_client.h"
#include "venue_adapters/net/server.h"

using namespace fixgw;
using namespace fixgw::fix;
using namespace std::chrono_literals;
using fixgw::testing::fixLogon;
using fixgw::testing::fixMessage;
using fixgw::testing::FixTestClient;
using fixgw::testing::pickFreePort;
using fixgw::testing::RawFixClient;
using fixgw::testing::tagOf;

namespace {

// ---- units -----------------------------------------------------------------

TEST(FixFramer, SplitsMessagesAcrossReads) {
  const std::string a = fixMessage("FIX.4.4", "C", "G", 1, "0", {});
  const std::string b = fixMessage("FIX.4.4", "C", "G", 2, "1", {{112, "X"}});
  const std::string stream = a + b;
  FixFramer f(4096);
  std::vector<std::string> got;
  std::string out, err;
  for (char c : stream) {  // one byte at a time: the worst split
    f.append(&c, 1);
    for (;;) {
      auto r = f.next(out, err);
      if (r == FixFramer::Result::NeedMore) break;
      ASSERT_EQ(r, FixFramer::Result::Message) << err;
      got.push_back(out);
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], a);
  EXPECT_EQ(got[1], b);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(FixFramer, RefusesGarbageOversizeAndMisplacedChecksum) {
  std::string out, err;
  {
    FixFramer f(4096);
    std::string g = "GET / HTTP/1.1\r\n\r\n";
    f.append(g.data(), g.size());
    EXPECT_EQ(f.next(out, err), FixFramer::Result::Error);
    EXPECT_NE(err.find("BeginString (8)"), std::string::npos) << err;
  }
  {
    FixFramer f(1 << 20);
    std::string g =
        "8=FIX.4.4\x01"
        "9=104857600\x01"
        "35=D\x01";
    f.append(g.data(), g.size());
    EXPECT_EQ(f.next(out, err), FixFramer::Result::Error);
    EXPECT_NE(err.find("exceeds the limit of 1048576 bytes"), std::string::npos) << err;
  }
  {
    FixFramer f(4096);
    std::string g =
        "8=FIX.4.4\x01"
        "9=x2\x01";
    f.append(g.data(), g.size());
    EXPECT_EQ(f.next(out, err), FixFramer::Result::Error);
    EXPECT_NE(err.find("BodyLength (9)"), std::string::npos) << err;
  }
  {
    // BodyLength one short: the CheckSum field is not where it says.
    std::string m = fixMessage("FIX.4.4", "C", "G", 1, "0", {});
    const size_t p = m.find("9=") + 2, e = m.find('\x01', p);
    const int len = std::stoi(m.substr(p, e - p));
    m.replace(p, e - p, std::to_string(len - 1));
    FixFramer f(4096);
    f.append(m.data(), m.size());
    EXPECT_EQ(f.next(out, err), FixFramer::Result::Error);
    EXPECT_NE(err.find("CheckSum (10)"), std::string::npos) << err;
  }
  {
    std::string m = fixMessage("FIX.4.4", "C", "G", 1, "0", {});
    m[m.size() - 2] = m[m.size() - 2] == '0' ? '1' : '0';  // wrong checksum digit
    FixFramer f(4096);
    f.append(m.data(), m.size());
    EXPECT_EQ(f.next(out, err), FixFramer::Result::BadChecksum);
    EXPECT_EQ(f.buffered(), 0u);
  }
  {
    // No SOH ever after "8=": cut off at the field bound, not buffered forever.
    FixFramer f(1 << 20);
    std::string g = "8=" + std::string(100, 'F');
    f.append(g.data(), g.size());
    EXPECT_EQ(f.next(out, err), FixFramer::Result::Error);
  }
}

TEST(IpAllowList, MatchesAddressesAndCidrBlocks) {
  auto l = IpAllowList::parse({"127.0.0.1", "10.0.0.0/8", "192.168.1.128/25", "fd00::/8"});
  EXPECT_TRUE(l.allows("127.0.0.1"));
  EXPECT_FALSE(l.allows("127.0.0.2"));
  EXPECT_TRUE(l.allows("10.200.3.4"));
  EXPECT_FALSE(l.allows("11.0.0.1"));
  EXPECT_TRUE(l.allows("192.168.1.200"));
  EXPECT_FALSE(l.allows("192.168.1.100"));
  EXPECT_TRUE(l.allows("fd12::1"));
  EXPECT_FALSE(l.allows("fe80::1"));
  EXPECT_TRUE(l.allows("::ffff:10.1.2.3"));  // IPv4 on a dual-stack socket
  EXPECT_FALSE(l.allows("not-an-ip"));
  EXPECT_TRUE(IpAllowList::parse({}).allows("8.8.4.4"));
  EXPECT_THROW(IpAllowList::parse({"10.0.0.0/33"}), std::invalid_argument);
  EXPECT_THROW(IpAllowList::parse({"example"}), std::invalid_argument);
  try {
    IpAllowList::parse({"127.0.0.1", "10.0.0.0/x"});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("10.0.0.0/x"), std::string::npos);
  }
}

TEST(MaskSecrets, HidesPasswordsOnly) {
  const std::string m = fixLogon("FIX.4.4", "C", "G", "alice", "hunter2");
  const std::string masked = maskSecrets(m);
  EXPECT_EQ(masked.find("hunter2"), std::string::npos);
  EXPECT_NE(masked.find("\x01"
                        "554=***\x01"),
            std::string::npos);
  EXPECT_NE(masked.find("553=alice"), std::string::npos);
  EXPECT_EQ(maskSecrets("8=FIX.4.4\x01"
                        "35=0\x01"),
            "8=FIX.4.4\x01"
            "35=0\x01");
}

TEST(LogonAuth, Pbkdf2LinesVerifyAndRejectBadInput) {
  const std::string line = makeCredentialLine("alice", "correct horse", 1000);
  EXPECT_EQ(line.rfind("alice:pbkdf2-sha256:1000:", 0), 0u) << line;
  EXPECT_EQ(line.find("correct horse"), std::string::npos);
  // Two lines for one password differ: the salt is per user and random.
  EXPECT_NE(line, makeCredentialLine("alice", "correct horse", 1000));
  auto store = CredentialStore::parse("# users\n\n" + line + "\n", "creds");
  EXPECT_TRUE(store.verify("alice", "correct horse"));
  EXPECT_FALSE(store.verify("alice", "correct horse "));
  EXPECT_FALSE(store.verify("bob", "correct horse"));
  auto expectError = [](const std::string& text, const std::string& needle) {
    try {
      CredentialStore::parse(text, "creds.txt");
      ADD_FAILURE() << "no error for " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expectError("alice:md5:1000:00:00\n", "creds.txt:1: unsupported scheme 'md5'");
  expectError("\nalice:pbkdf2-sha256:10:0011223344556677:00\n", "creds.txt:2: iterations");
  expectError("alice:pbkdf2-sha256:1000:zz:00\n", "salt");
  expectError(line + "\n" + line + "\n", "duplicate user 'alice'");
  EXPECT_THROW(makeCredentialLine("a:b", "x", 1000), std::invalid_argument);
}

TEST(LogonAuth, ThrottleBlocksAfterMaxFailuresUntilTheWindowPasses) {
  LogonThrottle t(3, 1000ms);
  const auto t0 = LogonThrottle::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(t.blocked("k", t0));
    t.failure("k", t0 + std::chrono::milliseconds(i));
  }
  EXPECT_TRUE(t.blocked("k", t0 + 10ms));
  EXPECT_FALSE(t.blocked("other", t0 + 10ms));
  EXPECT_FALSE(t.blocked("k", t0 + 1001ms));  // the first failure aged out
  t.failure("k", t0 + 1001ms);
  t.success("k");
  EXPECT_FALSE(t.blocked("k", t0 + 1002ms));
}

// ---- through the acceptor ----------------------------------------------------

class Sink final : public CommandSink {
 public:
  void submit(Command) override {}
  void sessionLoggedOn(const SessionKey& k) override {
    std::lock_guard lock(mu_);
    logons_.push_back(k.str());
  }
  size_t logons() {
    std::lock_guard lock(mu_);
    return logons_.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> logons_;
};

class Events {
 public:
  SecuritySink sink() {
    return [this](const SecurityEvent& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
      cv_.notify_all();
    };
  }
  // Waits for an event of this type; returns it.
  std::optional<SecurityEvent> wait(const std::string& event, std::chrono::milliseconds t = 10s) {
    std::unique_lock lock(mu_);
    std::optional<SecurityEvent> found;
    cv_.wait_for(lock, t, [&] {
      for (const auto& e : events_)
        if (e.event == event) {
          found = e;
          return true;
        }
      return false;
    });
    return found;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SecurityEvent> events_;
};

// Every message in and out, as the gateway would journal it.
class Recorder final : public FixMessageSink {
 public:
  void onFixMessage(const SessionKey&, bool, const std::string& raw) override {
    std::lock_guard lock(mu_);
    all_ += raw + "\n";
  }
  std::string all() {
    std::lock_guard lock(mu_);
    return all_;
  }

 private:
  std::mutex mu_;
  std::string all_;
};

std::filesystem::path tempDir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("fixgw-transport-" + name + "-" + std::to_string(::getpid()) + "-" +
            std::to_string(pickFreePort()));
  std::filesystem::create_directories(d);
  return d;
}

void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::string readTree(const std::filesystem::path& dir) {
  std::string all;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

FixAcceptorConfig baseConfig() {
  FixAcceptorConfig cfg;
  cfg.port = pickFreePort();
  cfg.specDir = FIXGW_SPEC_DIR;
  cfg.storeType = "memory";
  cfg.sessions = {{"FIX.4.4", "CLIENT1"}, {"FIX.4.2", "CLIENT42"}};
  return cfg;
}

constexpr auto kWait = 10s;

TEST(FixTransport, ListensOnTheConfiguredAddressOnly) {
  Sink sink;
  auto cfg = baseConfig();
  cfg.host = "127.0.0.1";
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();
  // 127.0.0.2 is this machine too (all of 127/8 is loopback), but nothing
  // listens there: QuickFIX's acceptor would have accepted on the wildcard.
  RawFixClient other("127.0.0.2", cfg.port);
  EXPECT_FALSE(other.connected());
  EXPECT_EQ(other.error(), ECONNREFUSED);
  FixTestClient c("FIX.4.4", "CLIENT1", "FIXGW", cfg.port, FIXGW_SPEC_DIR);
  EXPECT_TRUE(c.logon());
}

TEST(FixTransport, ListensOnEveryAddressOfAList) {
  Sink sink;
  auto cfg = baseConfig();
  cfg.hosts = {"127.0.0.1", "127.0.0.3"};
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();
  for (const char* host : {"127.0.0.1", "127.0.0.3"}) {
    RawFixClient raw(host, cfg.port);
    ASSERT_TRUE(raw.connected()) << host;
    ASSERT_TRUE(raw.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW")));
    auto reply = raw.readType("A", kWait);
    ASSERT_TRUE(reply) << host;
  }
  RawFixClient refused("127.0.0.2", cfg.port);
  EXPECT_EQ(refused.error(), ECONNREFUSED);
}

TEST(FixTransport, AllowListRefusesOtherAddressesBeforeTheLogon) {
  Sink sink;
  Events events;
  Recorder rec;
  auto cfg = baseConfig();
  cfg.host = "0.0.0.0";  // accept from any address; the allow-list decides
  cfg.sessions[0].allowFrom = {"127.0.0.1/32"};
  cfg.securitySink = events.sink();
  cfg.messageSink = &rec;
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();

  RawFixClient bad("127.0.0.1", cfg.port, "127.0.0.2");
  ASSERT_TRUE(bad.connected());
  ASSERT_TRUE(bad.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW")));
  EXPECT_TRUE(bad.waitClosed(kWait));
  auto ev = events.wait("ADDRESS_REFUSED");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->address, "127.0.0.2");
  EXPECT_EQ(ev->session, "FIX.4.4:FIXGW->CLIENT1");
  // Nothing reached the session: no Logon answered, no message logged.
  EXPECT_EQ(sink.logons(), 0u);
  EXPECT_EQ(rec.all(), "");

  RawFixClient good("127.0.0.1", cfg.port, "127.0.0.1");
  ASSERT_TRUE(good.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW")));
  auto reply = good.readType("A", kWait);
  ASSERT_TRUE(reply);
  EXPECT_EQ(tagOf(*reply, 56), "CLIENT1");
  // The other session has no allow-list: 127.0.0.2 may use it.
  RawFixClient open42("127.0.0.1", cfg.port, "127.0.0.2");
  ASSERT_TRUE(open42.send(fixLogon("FIX.4.2", "CLIENT42", "FIXGW")));
  EXPECT_TRUE(open42.readType("A", kWait));
}

TEST(FixTransport, ConnectionCapRefusesTheExtraConnection) {
  Sink sink;
  Events events;
  auto cfg = baseConfig();
  cfg.limits.maxConnections = 2;
  cfg.securitySink = events.sink();
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();
  auto a = std::make_unique<RawFixClient>("127.0.0.1", cfg.port);
  RawFixClient b("127.0.0.1", cfg.port);
  ASSERT_TRUE(b.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW")));
  ASSERT_TRUE(b.readType("A", kWait));  // both accepted before the third comes
  RawFixClient third("127.0.0.1", cfg.port);
  EXPECT_TRUE(third.waitClosed(kWait));
  EXPECT_TRUE(events.wait("CONNECTION_LIMIT"));
  // A slot frees when a connection goes; the gateway serves again.
  a.reset();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    RawFixClient next("127.0.0.1", cfg.port);
    next.send(fixLogon("FIX.4.2", "CLIENT42", "FIXGW"));
    served = next.readType("A", 2s).has_value();
  }
  EXPECT_TRUE(served);
}

TEST(FixTransport, ConnectionWithoutLogonIsClosed) {
  Sink sink;
  Events events;
  auto cfg = baseConfig();
  cfg.limits.logonTimeoutMs = 300;
  cfg.securitySink = events.sink();
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();
  RawFixClient idle("127.0.0.1", cfg.port);
  ASSERT_TRUE(idle.connected());
  EXPECT_TRUE(idle.waitClosed(kWait));
  auto ev = events.wait("LOGON_TIMEOUT");
  ASSERT_TRUE(ev);
  EXPECT_NE(ev->detail.find("300 ms"), std::string::npos);
}

TEST(FixTransport, OversizedAndUnfinishedMessagesAreCutOffOthersKeepWorking) {
  Sink sink;
  Events events;
  auto cfg = baseConfig();
  cfg.limits.maxMessageBytes = 64 * 1024;
  cfg.limits.messageTimeoutMs = 1000;
  cfg.limits.logonTimeoutMs = 60'000;  // so the message deadline is what fires
  cfg.securitySink = events.sink();
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();
  FixTestClient user("FIX.4.4", "CLIENT1", "FIXGW", cfg.port, FIXGW_SPEC_DIR);
  ASSERT_TRUE(user.logon());

  // A 100 MB "message": refused on its BodyLength, before the body arrives.
  RawFixClient big("127.0.0.1", cfg.port);
  big.send(
      "8=FIX.4.4\x01"
      "9=104857600\x01"
      "35=A\x01" +
      std::string(60000, 'x'));
  EXPECT_TRUE(big.waitClosed(kWait));
  auto ev = events.wait("BAD_FRAME");
  ASSERT_TRUE(ev);
  EXPECT_NE(ev->detail.find("exceeds the limit"), std::string::npos) << ev->detail;

  // A message that never finishes (slowloris).
  RawFixClient slow("127.0.0.1", cfg.port);
  slow.send(
      "8=FIX.4.4\x01"
      "9=200\x01"
      "35=A\x01"
      "49=CLIENT1");
  EXPECT_TRUE(slow.waitClosed(kWait));
  EXPECT_TRUE(events.wait("MESSAGE_TIMEOUT"));

  // Garbage.
  RawFixClient http("127.0.0.1", cfg.port);
  http.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(http.waitClosed(kWait));

  // The logged-on client was not disturbed: a TestRequest is answered.
  FIX::Message tr;
  tr.getHeader().setField(35, "1");
  tr.setField(112, "STILL-THERE");
  user.send(tr);
  EXPECT_TRUE(user.waitFor(FixTestClient::isTypeWith("0", 112, "STILL-THERE")));
  EXPECT_TRUE(user.isLoggedOn());
}

TEST(FixTransport, StopFreesThePortForARestart) {
  Sink sink;
  auto cfg = baseConfig();
  {
    FixAcceptor first(cfg, sink);
    first.start();
    RawFixClient idle("127.0.0.1", cfg.port);  // a connection open across stop()
    FixTestClient c("FIX.4.4", "CLIENT1", "FIXGW", cfg.port, FIXGW_SPEC_DIR);
    ASSERT_TRUE(c.logon());
    first.stop();
    EXPECT_TRUE(idle.waitClosed(kWait));
  }
  FixAcceptor second(cfg, sink);
  ASSERT_NO_THROW(second.start());
  RawFixClient again("127.0.0.1", cfg.port);
  again.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW"));
  EXPECT_TRUE(again.readType("A", kWait));
}

TEST(FixTransport, QuickFixAcceptorStaysSelectable) {
  Sink sink;
  auto cfg = baseConfig();
  cfg.transport = "quickfix";
  {
    FixAcceptor acceptor(cfg, sink);
    acceptor.start();
    FixTestClient c("FIX.4.4", "CLIENT1", "FIXGW", cfg.port, FIXGW_SPEC_DIR);
    EXPECT_TRUE(c.logon());
  }
  // What it cannot do is refused at start, naming the setting.
  cfg.sessions[0].allowFrom = {"127.0.0.1"};
  FixAcceptor refused(cfg, sink);
  try {
    refused.start();
    FAIL() << "allow_from accepted with QuickFIX's acceptor";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("allow_from needs transport 'asio'"), std::string::npos)
        << e.what();
  }
}

TEST(FixTransport, FirstMessageMustBeALogonForAKnownSession) {
  Sink sink;
  Events events;
  auto cfg = baseConfig();
  cfg.securitySink = events.sink();
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();
  RawFixClient notLogon("127.0.0.1", cfg.port);
  notLogon.send(fixMessage("FIX.4.4", "CLIENT1", "FIXGW", 1, "D", {{11, "X"}}));
  EXPECT_TRUE(notLogon.waitClosed(kWait));
  EXPECT_TRUE(events.wait("NO_LOGON"));
  RawFixClient stranger("127.0.0.1", cfg.port);
  stranger.send(fixLogon("FIX.4.4", "NOBODY", "FIXGW"));
  EXPECT_TRUE(stranger.waitClosed(kWait));
  EXPECT_TRUE(events.wait("UNKNOWN_SESSION"));
  EXPECT_EQ(sink.logons(), 0u);
}

// ---- TLS -------------------------------------------------------------------

struct Pki {
  std::filesystem::path dir;
  std::string cert, key, clientCert, clientKey;
  Pki() : dir(tempDir("pki")) {
    auto server = fixgw::net::makeSelfSignedCert("localhost");
    auto client = fixgw::net::makeSelfSignedCert("client1");
    cert = (dir / "server.crt").string();
    key = (dir / "server.key").string();
    clientCert = (dir / "client.crt").string();
    clientKey = (dir / "client.key").string();
    writeFile(cert, server.certPem);
    writeFile(key, server.keyPem);
    writeFile(clientCert, client.certPem);
    writeFile(clientKey, client.keyPem);
  }
  ~Pki() { std::filesystem::remove_all(dir); }
  // A client context that trusts the server's certificate.
  SSL_CTX* clientCtx(bool withCert) const {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, cert.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (withCert) {
      SSL_CTX_use_certificate_chain_file(ctx, clientCert.c_str());
      SSL_CTX_use_PrivateKey_file(ctx, clientKey.c_str(), SSL_FILETYPE_PEM);
    }
    return ctx;
  }
};

TEST(FixTransportTls, TlsClientLogsOnPlainClientIsRefused) {
  Pki pki;
  Sink sink;
  Events events;
  auto cfg = baseConfig();
  cfg.tls.certFile = pki.cert;
  cfg.tls.keyFile = pki.key;
  cfg.securitySink = events.sink();
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();

  SSL_CTX* ctx = pki.clientCtx(false);
  {
    RawFixClient tls("127.0.0.1", cfg.port);
    std::string why;
    ASSERT_TRUE(tls.startTls(ctx, &why)) << why;
    ASSERT_TRUE(tls.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW")));
    auto reply = tls.readType("A", kWait);
    ASSERT_TRUE(reply);
    EXPECT_EQ(tagOf(*reply, 49), "FIXGW");
    // A session message round trip over TLS.
    tls.send(fixMessage("FIX.4.4", "CLIENT1", "FIXGW", 2, "1", {{112, "TLS-OK"}}));
    auto hb = tls.readType("0", kWait);
    ASSERT_TRUE(hb);
    EXPECT_EQ(tagOf(*hb, 112), "TLS-OK");
  }
  // A plain-text FIX client: no answer, the connection is closed.
  RawFixClient plain("127.0.0.1", cfg.port);
  plain.send(fixLogon("FIX.4.2", "CLIENT42", "FIXGW"));
  EXPECT_FALSE(plain.readType("A", kWait));
  EXPECT_TRUE(plain.closed());
  EXPECT_TRUE(events.wait("TLS_HANDSHAKE_FAILED"));
  SSL_CTX_free(ctx);
}

TEST(FixTransportTls, ClientCertificateRequiredWhenConfigured) {
  Pki pki;
  Sink sink;
  auto cfg = baseConfig();
  cfg.tls.certFile = pki.cert;
  cfg.tls.keyFile = pki.key;
  cfg.tls.caFile = pki.clientCert;  // the client's self-signed CA
  cfg.tls.verifyClient = true;
  FixAcceptor acceptor(cfg, sink);
  acceptor.start();

  SSL_CTX* noCert = pki.clientCtx(false);
  {
    RawFixClient c("127.0.0.1", cfg.port);
    // TLS 1.3 reports the server's refusal on the first read, not in SSL_connect.
    if (c.startTls(noCert)) {
      c.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW"));
      EXPECT_FALSE(c.readType("A", kWait));
    }
  }
  SSL_CTX* withCert = pki.clientCtx(true);
  {
    RawFixClient c("127.0.0.1", cfg.port);
    std::string why;
    ASSERT_TRUE(c.startTls(withCert, &why)) << why;
    c.send(fixLogon("FIX.4.4", "CLIENT1", "FIXGW"));
    EXPECT_TRUE(c.readType("A", kWait));
  }
  SSL_CTX_free(noCert);
  SSL_CTX_free(withCert);
}

TEST(FixTransportTls, MissingCertificateFileIsAClearStartError) {
  Sink sink;
  auto cfg = baseConfig();
  cfg.tls.certFile = "/nonexistent/fix.crt";
  cfg.tls.keyFile = "/nonexistent/fix.key";
  FixAcceptor acceptor(cfg, sink);
  try {
    acceptor.start();
    FAIL() << "started without a certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/fix.crt"), std::string::npos) << e.what();
  }
}

// ---- logon authentication ------------------------------------------------------

class LogonAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tempDir("auth");
    writeFile(dir_ / "fix-users", "# test users\n" + makeCredentialLine("alice", kPassword, 1000) +
                                      "\n" + makeCredentialLine("CLIENT42", "other-secret", 1000) +
                                      "\n");
    cfg_ = baseConfig();
    cfg_.sessions[0].requireLogonAuth = true;
    cfg_.sessions[0].username = "alice";
    cfg_.sessions[1].requireLogonAuth = true;
    cfg_.credentialsFile = (dir_ / "fix-users").string();
    cfg_.maxLogonFailures = 3;
    cfg_.logPath = (dir_ / "log").string();
    cfg_.securitySink = events_.sink();
    cfg_.messageSink = &rec_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Sends a Logon and returns the gateway's answer (A or 5), if any.
  std::optional<std::string> logon(const std::string& client, std::optional<std::string> user,
                                   std::optional<std::string> pw,
                                   const std::string& source = "127.0.0.1") {
    RawFixClient c("127.0.0.1", cfg_.port, source);
    const std::string begin = client == "CLIENT42" ? "FIX.4.2" : "FIX.4.4";
    c.send(fixLogon(begin, client, "FIXGW", std::move(user), std::move(pw)));
    for (;;) {
      auto m = c.read(kWait);
      if (!m) return std::nullopt;
      auto t = tagOf(*m, 35);
      if (t == "A" || t == "5") return m;
    }
  }

  static constexpr const char* kPassword = "S3cret-Pa55-xyzzy";
  std::filesystem::path dir_;
  FixAcceptorConfig cfg_;
  Events events_;
  Recorder rec_;
  Sink sink_;
};

TEST_F(LogonAuthTest, GoodCredentialsLogOnBadOnesGetALogoutWithAReason) {
  FixAcceptor acceptor(cfg_, sink_);
  acceptor.start();
  auto ok = logon("CLIENT1", "alice", kPassword);
  ASSERT_TRUE(ok);
  EXPECT_EQ(tagOf(*ok, 35), "A");
  auto ok42 = logon("CLIENT42", "CLIENT42", "other-secret");  // 4.2 carries 553/554 too
  ASSERT_TRUE(ok42);
  EXPECT_EQ(tagOf(*ok42, 35), "A");

  auto wrong = logon("CLIENT1", "alice", "guess");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(tagOf(*wrong, 35), "5");
  EXPECT_NE(tagOf(*wrong, 58).find("bad Username (553) or Password (554)"), std::string::npos);
  auto ev = events_.wait("LOGON_REJECTED");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->session, "FIX.4.4:FIXGW->CLIENT1");
  EXPECT_EQ(ev->address, "127.0.0.1");

  auto missing = logon("CLIENT1", std::nullopt, std::nullopt);
  ASSERT_TRUE(missing);
  EXPECT_EQ(tagOf(*missing, 35), "5");
  EXPECT_NE(tagOf(*missing, 58).find("are required"), std::string::npos);

  // Someone else's user name with the right password is still refused.
  auto otherUser = logon("CLIENT42", "alice", kPassword);
  ASSERT_TRUE(otherUser);
  EXPECT_EQ(tagOf(*otherUser, 35), "5");
}

TEST_F(LogonAuthTest, RepeatedFailuresAreThrottledEvenWithTheRightPassword) {
  FixAcceptor acceptor(cfg_, sink_);
  acceptor.start();
  for (int i = 0; i < 3; ++i) {
    auto r = logon("CLIENT1", "alice", "wrong-" + std::to_string(i));
    ASSERT_TRUE(r);
    EXPECT_EQ(tagOf(*r, 35), "5");
  }
  auto blocked = logon("CLIENT1", "alice", kPassword);
  ASSERT_TRUE(blocked);
  EXPECT_EQ(tagOf(*blocked, 35), "5");
  EXPECT_NE(tagOf(*blocked, 58).find("too many failed logons"), std::string::npos);
  // The address is blocked for other sessions too.
  auto sameAddr = logon("CLIENT42", "CLIENT42", "other-secret");
  ASSERT_TRUE(sameAddr);
  EXPECT_EQ(tagOf(*sameAddr, 35), "5");
}

TEST_F(LogonAuthTest, PasswordNeverReachesAMessageLogOrFile) {
  FixAcceptor acceptor(cfg_, sink_);
  acceptor.start();
  ASSERT_TRUE(logon("CLIENT1", "alice", kPassword));
  auto bad = logon("CLIENT1", "alice", std::string(kPassword) + "-typo");
  ASSERT_TRUE(bad);
  acceptor.stop();
  const std::string journaled = rec_.all();
  EXPECT_NE(journaled.find("554=***"), std::string::npos);
  EXPECT_EQ(journaled.find(kPassword), std::string::npos);
  const std::string files = readTree(dir_ / "log");
  EXPECT_NE(files.find("553=alice"), std::string::npos);  // the logon is in the file log
  EXPECT_EQ(files.find(kPassword), std::string::npos);
}

TEST_F(LogonAuthTest, MissingCredentialsFileIsAStartError) {
  cfg_.credentialsFile = (dir_ / "nope").string();
  FixAcceptor acceptor(cfg_, sink_);
  try {
    acceptor.start();
    FAIL() << "started without a credentials file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

}  // namespace
