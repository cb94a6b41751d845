#include "tests/support/fix_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <quickfix/FileStore.h>
#include <quickfix/Session.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>

namespace fixgw::testing {

int pickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("pickFreePort: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("pickFreePort: bind() failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class FixTestClient::App final : public FIX::Application {
 public:
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {
    std::lock_guard lock(mu_);
    loggedOn_ = true;
    cv_.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard lock(mu_);
    loggedOn_ = false;
    cv_.notify_all();
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) override {
    std::lock_guard lock(mu_);
    if (logonFields_.empty() || m.getHeader().getField(35) != "A") return;
    for (const auto& [tag, value] : logonFields_) m.setField(tag, value);
  }
  void setLogonField(int tag, std::string value) {
    std::lock_guard lock(mu_);
    logonFields_[tag] = std::move(value);
  }
  void toApp(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) override { record(m); }
  void fromApp(const FIX::Message& m, const FIX::SessionID&) override { record(m); }

  void record(const FIX::Message& m) {
    std::lock_guard lock(mu_);
    msgs_.push_back(m);
    cv_.notify_all();
  }

  bool waitLoggedOn(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return loggedOn_; });
  }

  std::optional<FIX::Message> waitFor(const Pred& pred, std::chrono::milliseconds timeout,
                                      bool pop) {
    std::unique_lock lock(mu_);
    std::optional<FIX::Message> found;
    cv_.wait_for(lock, timeout, [&] {
      auto it = std::find_if(msgs_.begin(), msgs_.end(), pred);
      if (it == msgs_.end()) return false;
      found = *it;
      if (pop) msgs_.erase(it);
      return true;
    });
    return found;
  }

  mutable std::mutex mu_;
  std::map<int, std::string> logonFields_;  // Username (553), Password (554), ...
  std::condition_variable cv_;
  std::deque<FIX::Message> msgs_;
  bool loggedOn_ = false;
};

FixTestClient::FixTestClient(std::string beginString, std::string senderCompId,
                             std::string targetCompId, int port, std::string specDir,
                             bool resetOnLogon, std::string fileStorePath)
    : beginString_(beginString),
      sessionId_(beginString, senderCompId, targetCompId),
      app_(std::make_unique<App>()) {
  settings_ = std::make_unique<FIX::SessionSettings>();
  FIX::Dictionary defaults;
  defaults.setString(FIX::CONNECTION_TYPE, "initiator");
  defaults.setString(FIX::SOCKET_CONNECT_HOST, "127.0.0.1");
  defaults.setInt(FIX::SOCKET_CONNECT_PORT, port);
  defaults.setInt(FIX::HEARTBTINT, 30);
  defaults.setInt(FIX::RECONNECT_INTERVAL, 1);
  defaults.setString(FIX::START_TIME, "00:00:00");
  defaults.setString(FIX::END_TIME, "00:00:00");
  defaults.setBool(FIX::RESET_ON_LOGON, resetOnLogon);
  if (!fileStorePath.empty()) defaults.setString(FIX::FILE_STORE_PATH, fileStorePath);
  defaults.setBool(FIX::USE_DATA_DICTIONARY, true);
  defaults.setString(FIX::DATA_DICTIONARY,
                     specDir + (beginString == "FIX.4.2" ? "/FIX42.xml" : "/FIX44.xml"));
  settings_->set(defaults);
  settings_->set(sessionId_, FIX::Dictionary());
  if (fileStorePath.empty()) {
    store_ = std::make_unique<FIX::MemoryStoreFactory>();
  } else {
    store_ = std::make_unique<FIX::FileStoreFactory>(*settings_);
  }
  initiator_ = std::make_unique<FIX::SocketInitiator>(*app_, *store_, *settings_);
}

FixTestClient::~FixTestClient() { logout(); }

bool FixTestClient::logon(std::chrono::milliseconds timeout) {
  if (!started_) {
    started_ = true;
    initiator_->start();
  }
  return app_->waitLoggedOn(timeout);
}

void FixTestClient::logout() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  initiator_->stop();
}

bool FixTestClient::isLoggedOn() const {
  std::lock_guard lock(app_->mu_);
  return app_->loggedOn_;
}

void FixTestClient::send(FIX::Message m) {
  if (!FIX::Session::sendToTarget(m, sessionId_)) {
    throw std::runtime_error("FixTestClient: send failed (not logged on?) " + text(m));
  }
}

std::optional<FIX::Message> FixTestClient::waitFor(Pred pred, std::chrono::milliseconds timeout) {
  return app_->waitFor(pred, timeout, false);
}

std::optional<FIX::Message> FixTestClient::waitForAndPop(Pred pred,
                                                         std::chrono::milliseconds timeout) {
  return app_->waitFor(pred, timeout, true);
}

std::vector<FIX::Message> FixTestClient::received() const {
  std::lock_guard lock(app_->mu_);
  return {app_->msgs_.begin(), app_->msgs_.end()};
}

void FixTestClient::clearReceived() {
  std::lock_guard lock(app_->mu_);
  app_->msgs_.clear();
}

namespace {
void setOpt(FIX::FieldMap& m, int tag, const std::optional<std::string>& v) {
  if (v) m.setField(tag, *v);
}
std::string nowStamp() {
  // FIX UTCTimestamp with milliseconds, independent of the code under test.
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}
FIX::Message base(const char* type) {
  FIX::Message m;
  m.getHeader().setField(35, type);
  return m;
}
}  // namespace

void FixTestClient::setLogonField(int tag, std::string value) {
  app_->setLogonField(tag, std::move(value));
}

FIX::Message FixTestClient::newOrder(const OrderFields& f) const {
  FIX::Message m = base("D");
  m.setField(11, f.clOrdId);
  if (beginString_ == "FIX.4.2") m.setField(21, "1");  // HandlInst, required in 4.2
  setOpt(m, 1, f.account);
  setOpt(m, 100, f.exDestination);
  m.setField(55, f.symbol);
  m.setField(54, f.side);
  m.setField(60, nowStamp());
  setOpt(m, 38, f.qty);
  setOpt(m, 40, f.ordType);
  setOpt(m, 44, f.price);
  setOpt(m, 99, f.stopPx);
  setOpt(m, 59, f.tif);
  if (f.possResend) m.getHeader().setField(97, "Y");
  return m;
}

FIX::Message FixTestClient::cancel(const OrderFields& f) const {
  FIX::Message m = base("F");
  m.setField(11, f.clOrdId);
  setOpt(m, 41, f.origClOrdId);
  setOpt(m, 37, f.orderId);
  m.setField(55, f.symbol);
  m.setField(54, f.side);
  m.setField(60, nowStamp());
  setOpt(m, 38, f.qty);
  return m;
}

FIX::Message FixTestClient::replace(const OrderFields& f) const {
  FIX::Message m = base("G");
  m.setField(11, f.clOrdId);
  setOpt(m, 41, f.origClOrdId);
  setOpt(m, 37, f.orderId);
  if (beginString_ == "FIX.4.2") m.setField(21, "1");
  setOpt(m, 1, f.account);
  m.setField(55, f.symbol);
  m.setField(54, f.side);
  m.setField(60, nowStamp());
  setOpt(m, 38, f.qty);
  setOpt(m, 40, f.ordType);
  setOpt(m, 44, f.price);
  setOpt(m, 99, f.stopPx);
  setOpt(m, 59, f.tif);
  return m;
}

FIX::Message FixTestClient::status(const OrderFields& f) const {
  FIX::Message m = base("H");
  m.setField(11, f.clOrdId);
  setOpt(m, 37, f.orderId);
  m.setField(55, f.symbol);
  m.setField(54, f.side);
  return m;
}

FIX::Message FixTestClient::massCancel(const std::string& clOrdId, const std::string& requestType,
                                       std::optional<std::string> symbol) const {
  FIX::Message m = base("q");
  m.setField(11, clOrdId);
  m.setField(530, requestType);
  setOpt(m, 55, symbol);
  m.setField(60, nowStamp());
  return m;
}

std::string FixTestClient::field(const FIX::Message& m, int tag) {
  if (m.isSetField(tag)) return m.getField(tag);
  if (m.getHeader().isSetField(tag)) return m.getHeader().getField(tag);
  return {};
}

bool FixTestClient::has(const FIX::Message& m, int tag) {
  return m.isSetField(tag) || m.getHeader().isSetField(tag);
}

std::string FixTestClient::msgType(const FIX::Message& m) {
  return m.getHeader().isSetField(35) ? m.getHeader().getField(35) : std::string();
}

std::string FixTestClient::text(const FIX::Message& m) {
  std::string s = m.toString();
  std::replace(s.begin(), s.end(), '\x01', '|');
  return s;
}

FixTestClient::Pred FixTestClient::isType(std::string type) {
  return [type = std::move(type)](const FIX::Message& m) { return msgType(m) == type; };
}

FixTestClient::Pred FixTestClient::isTypeWith(std::string type, int tag, std::string value) {
  return [type = std::move(type), tag, value = std::move(value)](const FIX::Message& m) {
    return msgType(m) == type && field(m, tag) == value;
  };
}

}  // namespace fixgw::testing
