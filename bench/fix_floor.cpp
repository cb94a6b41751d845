// fix_floor: the performance floor for fixgw's FIX front end.
//
// A bare QuickFIX ThreadedSocketAcceptor with the session settings the gateway
// uses, answering every NewOrderSingle with exactly one ExecutionReport (New)
// and doing nothing else: no risk, no routing, no journal. Whatever latency and
// throughput fix_loadgen measures against this process is what QuickFIX itself
// costs on this machine; the gateway's numbers are read against it.
//
// Thread-safety: QuickFIX calls the Application from one thread per
// connection; the only shared state is two atomic id counters.
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSocketAcceptor.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  int port = 9878;
  std::string sender = "FIXGW";
  std::vector<std::string> targets = {"LOAD44", "LOAD42"};
  std::string specDir;  // empty: UseDataDictionary=N
  std::string store = "memory";
  std::string storePath = "fix_floor_store";
  std::string logDir;        // empty: no QuickFIX message log
  bool resetOnLogon = true;  // the gateway's default (FixAcceptorConfig::resetOnLogon)
};

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--port N] [--sender ID] [--targets A,B,...] [--spec-dir DIR]\n"
               "          [--store memory|file] [--store-path DIR] [--log-dir DIR]\n"
               "          [--no-reset-on-logon]\n"
               "Answers each NewOrderSingle with one ExecutionReport (New). Every target\n"
               "gets a FIX.4.4 and a FIX.4.2 session. SIGINT/SIGTERM stop it cleanly.\n",
               argv0);
}

std::vector<std::string> splitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Returns false (after printing why) on any bad argument.
bool parseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fix_floor: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage(argv[0]);
      std::exit(0);
    } else if (a == "--no-reset-on-logon") {
      o.resetOnLogon = false;
    } else if (a == "--port") {
      const char* v = value("--port");
      if (!v) return false;
      char* end = nullptr;
      long p = std::strtol(v, &end, 10);
      if (*v == '\0' || *end != '\0' || p <= 0 || p > 65535) {
        std::fprintf(stderr, "fix_floor: --port must be 1..65535, got '%s'\n", v);
        return false;
      }
      o.port = static_cast<int>(p);
    } else if (a == "--sender") {
      const char* v = value("--sender");
      if (!v) return false;
      o.sender = v;
    } else if (a == "--targets") {
      const char* v = value("--targets");
      if (!v) return false;
      o.targets = splitCommas(v);
      if (o.targets.empty()) {
        std::fprintf(stderr, "fix_floor: --targets is empty\n");
        return false;
      }
    } else if (a == "--spec-dir") {
      const char* v = value("--spec-dir");
      if (!v) return false;
      o.specDir = v;
    } else if (a == "--store") {
      const char* v = value("--store");
      if (!v) return false;
      o.store = v;
      if (o.store != "memory" && o.store != "file") {
        std::fprintf(stderr, "fix_floor: --store must be memory or file, got '%s'\n", v);
        return false;
      }
    } else if (a == "--store-path") {
      const char* v = value("--store-path");
      if (!v) return false;
      o.storePath = v;
    } else if (a == "--log-dir") {
      const char* v = value("--log-dir");
      if (!v) return false;
      o.logDir = v;
    } else {
      std::fprintf(stderr, "fix_floor: unknown option '%s'\n", a.c_str());
      usage(argv[0]);
      return false;
    }
  }
  return true;
}

std::string buildSettings(const Options& o) {
  std::ostringstream s;
  s << "[DEFAULT]\n"
    << "ConnectionType=acceptor\n"
    << "SocketAcceptPort=" << o.port << "\n"
    << "SocketReuseAddress=Y\n"
    << "SocketNodelay=Y\n"
    << "SenderCompID=" << o.sender << "\n"
    << "StartTime=00:00:00\n"
    << "EndTime=00:00:00\n"
    << "HeartBtInt=30\n"
    << "ResetOnLogon=" << (o.resetOnLogon ? "Y" : "N") << "\n"
    << "UseDataDictionary=" << (o.specDir.empty() ? "N" : "Y") << "\n";
  if (o.store == "file") s << "FileStorePath=" << o.storePath << "\n";
  if (!o.logDir.empty()) s << "FileLogPath=" << o.logDir << "\n";
  for (const auto& t : o.targets) {
    for (const char* ver : {"FIX.4.4", "FIX.4.2"}) {
      s << "[SESSION]\n"
        << "BeginString=" << ver << "\n"
        << "TargetCompID=" << t << "\n";
      if (!o.specDir.empty()) {
        s << "DataDictionary=" << o.specDir
          << (std::strcmp(ver, "FIX.4.4") == 0 ? "/FIX44.xml" : "/FIX42.xml") << "\n";
      }
    }
  }
  return s.str();
}

class FloorApp : public FIX::Application {
 public:
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::fprintf(stderr, "fix_floor: logon %s\n", id.toString().c_str());
  }
  void onLogout(const FIX::SessionID& id) override {
    std::fprintf(stderr, "fix_floor: logout %s\n", id.toString().c_str());
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) noexcept(false) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) noexcept(false) override {}

  // A missing required tag throws FieldNotFound out of here on purpose: the
  // session answers it with a Reject (35=3) naming the tag.
  void fromApp(const FIX::Message& msg, const FIX::SessionID& id) noexcept(false) override {
    const std::string& type = msg.getHeader().getField(FIX::FIELD::MsgType);
    if (type != "D") return;  // the floor answers NewOrderSingle only

    const bool is42 = id.getBeginString() == "FIX.4.2";
    const std::string& qty = msg.getField(FIX::FIELD::OrderQty);

    FIX::Message er;
    er.getHeader().setField(FIX::FIELD::MsgType, "8");
    er.setField(FIX::FIELD::OrderID, counterId('O', orderSeq_));
    er.setField(FIX::FIELD::ExecID, counterId('E', execSeq_));
    er.setField(FIX::FIELD::ClOrdID, msg.getField(FIX::FIELD::ClOrdID));
    if (is42) er.setField(FIX::FIELD::ExecTransType, "0");
    er.setField(FIX::FIELD::ExecType, "0");
    er.setField(FIX::FIELD::OrdStatus, "0");
    er.setField(FIX::FIELD::Symbol, msg.getField(FIX::FIELD::Symbol));
    er.setField(FIX::FIELD::Side, msg.getField(FIX::FIELD::Side));
    er.setField(FIX::FIELD::OrderQty, qty);
    if (msg.isSetField(FIX::FIELD::OrdType))
      er.setField(FIX::FIELD::OrdType, msg.getField(FIX::FIELD::OrdType));
    if (msg.isSetField(FIX::FIELD::Price))
      er.setField(FIX::FIELD::Price, msg.getField(FIX::FIELD::Price));
    er.setField(FIX::FIELD::LeavesQty, qty);
    er.setField(FIX::FIELD::CumQty, "0");
    er.setField(FIX::FIELD::AvgPx, "0");
    if (is42) {
      er.setField(FIX::FIELD::LastShares, "0");
      er.setField(FIX::FIELD::LastPx, "0");
    }
    er.setField(FIX::TransactTime(3));
    FIX::Session::sendToTarget(er, id);
  }

 private:
  // "O1", "E42": a letter and the next value of a process-wide counter.
  static std::string counterId(char letter, std::atomic<uint64_t>& counter) {
    char buf[24];
    buf[0] = letter;
    auto [end, ec] = std::to_chars(buf + 1, buf + sizeof buf,
                                   counter.fetch_add(1, std::memory_order_relaxed) + 1);
    (void)ec;  // 23 digits always fit a uint64_t
    return std::string(buf, end);
  }

  std::atomic<uint64_t> orderSeq_{0};
  std::atomic<uint64_t> execSeq_{0};
};

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parseArgs(argc, argv, opt)) return 2;

  if (!opt.specDir.empty()) {
    for (const char* f : {"/FIX44.xml", "/FIX42.xml"}) {
      if (!std::filesystem::exists(opt.specDir + f)) {
        std::fprintf(stderr, "fix_floor: --spec-dir: %s%s does not exist\n", opt.specDir.c_str(),
                     f);
        return 2;
      }
    }
  }

  // Block the stop signals before QuickFIX starts its threads so they inherit
  // the mask and only sigwait() below ever sees SIGINT/SIGTERM.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  try {
    if (opt.store == "file") std::filesystem::create_directories(opt.storePath);
    if (!opt.logDir.empty()) std::filesystem::create_directories(opt.logDir);

    std::istringstream cfg(buildSettings(opt));
    FIX::SessionSettings settings(cfg);
    FloorApp app;
    std::unique_ptr<FIX::MessageStoreFactory> store;
    if (opt.store == "file") {
      store = std::make_unique<FIX::FileStoreFactory>(opt.storePath);
    } else {
      store = std::make_unique<FIX::MemoryStoreFactory>();
    }
    std::unique_ptr<FIX::LogFactory> log;
    std::unique_ptr<FIX::ThreadedSocketAcceptor> acceptor;
    if (!opt.logDir.empty()) {
      log = std::make_unique<FIX::FileLogFactory>(opt.logDir);
      acceptor = std::make_unique<FIX::ThreadedSocketAcceptor>(app, *store, settings, *log);
    } else {
      acceptor = std::make_unique<FIX::ThreadedSocketAcceptor>(app, *store, settings);
    }
    acceptor->start();
    std::fprintf(stderr, "fix_floor: listening on port %d (store=%s, dictionaries=%s)\n", opt.port,
                 opt.store.c_str(), opt.specDir.empty() ? "off" : opt.specDir.c_str());

    int sig = 0;
    sigwait(&stopSignals, &sig);
    std::fprintf(stderr, "fix_floor: signal %d, stopping\n", sig);
    acceptor->stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fix_floor: %s\n", e.what());
    return 1;
  }
  return 0;
}
