// fixclient: a small command-line FIX initiator for trying the gateway by
// hand. It logs on, sends one order-entry command (or reads commands line
// by line from stdin in interactive mode), prints every message it receives
// as tag=value|... with a one-line human summary, and logs out.
//
//   fixclient --port 9878 --version 4.4 --sender CLIENT1 --target FIXGW
//       new --symbol AAPL --side buy --qty 100 --price 100.00 --tif day
//   fixclient ... cancel --orig C-1 --symbol AAPL --side buy
//   fixclient ... replace --orig C-1 --qty 200 --price 101 --symbol AAPL --side buy
//   fixclient ... status --clordid C-1 --symbol AAPL --side buy
//   fixclient ... mass-cancel [--symbol AAPL]
//   fixclient ...                      (interactive: same commands on stdin)
//
// Within one run it remembers the orders it sent, so cancel/replace/status
// of one of them need only --orig/--clordid.
//
// Thread-safety: QuickFIX delivers received messages on its own thread;
// printing goes through one mutex.
#include <quickfix/Application.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/fixed.h"

#ifndef FIXGW_SPEC_DIR
#define FIXGW_SPEC_DIR "fix_acceptor/spec"
#endif

namespace {

std::mutex g_out;

void say(const std::string& line) {
  std::lock_guard lock(g_out);
  std::cout << line << std::endl;
}

void sayErr(const std::string& line) {
  std::lock_guard lock(g_out);
  std::cerr << "fixclient: " << line << std::endl;
}

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kUsage = R"(usage: fixclient [options] [command [command options]]

options:
  --host H          gateway host (default 127.0.0.1)
  --port N          gateway port (default 9878)
  --version V       4.2 or 4.4 (default 4.4)
  --sender ID       our SenderCompID (default CLIENT1)
  --target ID       the gateway's CompID (default FIXGW)
  --spec-dir DIR    directory with FIX42.xml/FIX44.xml (default: the shipped spec)
  --wait-ms N       keep listening N ms after the last command (default 2000)
  --logon-timeout-ms N   (default 10000)

commands:
  new --symbol S --side buy|sell|short --qty Q [--type limit|market|stop|stop-limit]
      [--price P] [--stop-px P] [--tif day|gtc|ioc|fok|opg] [--account A] [--dest VENUE] [--clordid ID]
  cancel --orig ID [--symbol S --side X] [--order-id ID] [--clordid ID]
  replace --orig ID --qty Q [--price P] [--stop-px P] [--type T] [--tif T] [--symbol S --side X]
      [--order-id ID] [--clordid ID]
  status --clordid ID [--symbol S --side X] [--order-id ID]
  mass-cancel [--symbol S] [--clordid ID]
  interactive       read the commands above from stdin, one per line ("quit" ends);
                    the default when no command is given
)";

// ---- small parsing helpers -------------------------------------------------

using Options = std::map<std::string, std::string>;

// Parses "--key value" pairs; throws on a dangling key or a stray word.
Options parseOptions(const std::vector<std::string>& args, size_t from, size_t to) {
  Options o;
  for (size_t i = from; i < to; ++i) {
    const auto& a = args[i];
    if (a.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + a + "'");
    if (i + 1 >= to) throw UsageError("option " + a + " needs a value");
    o[a.substr(2)] = args[++i];
  }
  return o;
}

std::optional<std::string> opt(const Options& o, const std::string& k) {
  auto it = o.find(k);
  if (it == o.end()) return std::nullopt;
  return it->second;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string sideCode(const std::string& v) {
  auto s = lower(v);
  if (s == "buy" || s == "1") return "1";
  if (s == "sell" || s == "2") return "2";
  if (s == "short" || s == "sellshort" || s == "5") return "5";
  throw UsageError("--side '" + v + "': expected buy, sell or short");
}

std::string typeCode(const std::string& v) {
  auto s = lower(v);
  if (s == "market" || s == "1") return "1";
  if (s == "limit" || s == "2") return "2";
  if (s == "stop" || s == "3") return "3";
  if (s == "stop-limit" || s == "stoplimit" || s == "4") return "4";
  throw UsageError("--type '" + v + "': expected limit, market, stop or stop-limit");
}

std::string tifCode(const std::string& v) {
  auto s = lower(v);
  if (s == "day" || s == "0") return "0";
  if (s == "gtc" || s == "1") return "1";
  if (s == "ioc" || s == "3") return "3";
  if (s == "fok" || s == "4") return "4";
  if (s == "opg" || s == "2") return "2";
  throw UsageError("--tif '" + v + "': expected day, gtc, ioc, fok or opg");
}

// Quantities and prices go out exactly as typed, after an exact format check.
std::string decimal(const std::string& name, const std::string& v) {
  if (!fixgw::parseDecimalMantissa(v)) {
    throw UsageError("--" + name + " '" + v + "' is not a decimal with at most 8 decimals");
  }
  return v;
}

int toInt(const std::string& name, const std::string& v) {
  try {
    size_t pos = 0;
    int n = std::stoi(v, &pos);
    if (pos != v.size()) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    throw UsageError("--" + name + " '" + v + "' is not an integer");
  }
}

// ---- message printing ------------------------------------------------------

std::string get(const FIX::FieldMap& m, int tag) {
  return m.isSetField(tag) ? m.getField(tag) : "";
}

std::string describeExecType(const std::string& v) {
  static const std::map<std::string, std::string> names = {
      {"0", "NEW"},      {"1", "PARTIAL_FILL"},    {"2", "FILL"},     {"4", "CANCELED"},
      {"5", "REPLACED"}, {"6", "PENDING_CANCEL"},  {"8", "REJECTED"}, {"A", "PENDING_NEW"},
      {"C", "EXPIRED"},  {"E", "PENDING_REPLACE"}, {"F", "TRADE"},    {"I", "ORDER_STATUS"}};
  auto it = names.find(v);
  return v + (it != names.end() ? "(" + it->second + ")" : "");
}

std::string describeOrdStatus(const std::string& v) {
  static const std::map<std::string, std::string> names = {
      {"0", "NEW"},         {"1", "PARTIALLY_FILLED"}, {"2", "FILLED"},
      {"4", "CANCELED"},    {"6", "PENDING_CANCEL"},   {"8", "REJECTED"},
      {"A", "PENDING_NEW"}, {"C", "EXPIRED"},          {"E", "PENDING_REPLACE"}};
  auto it = names.find(v);
  return v + (it != names.end() ? "(" + it->second + ")" : "");
}

std::string describeSide(const std::string& v) {
  if (v == "1") return "BUY";
  if (v == "2") return "SELL";
  if (v == "5") return "SELL_SHORT";
  return v;
}

std::string summary(const FIX::Message& m) {
  const std::string type = get(m.getHeader(), 35);
  std::ostringstream s;
  auto add = [&](const char* label, int tag) {
    if (m.isSetField(tag)) s << ' ' << label << '=' << m.getField(tag);
  };
  if (type == "8") {
    s << "ExecutionReport ExecType=" << describeExecType(get(m, 150))
      << " OrdStatus=" << describeOrdStatus(get(m, 39));
    add("ClOrdID", 11);
    add("OrigClOrdID", 41);
    add("OrderID", 37);
    s << ' ' << describeSide(get(m, 54)) << ' ' << get(m, 38) << ' ' << get(m, 55);
    if (m.isSetField(44)) s << " @ " << m.getField(44);
    if (m.isSetField(99)) s << " stop " << m.getField(99);
    if (m.isSetField(32) && get(m, 32) != "0") s << " | last " << get(m, 32) << " @ " << get(m, 31);
    s << " | cum " << get(m, 14) << " leaves " << get(m, 151) << " avg " << get(m, 6);
    add("Text", 58);
  } else if (type == "9") {
    s << "OrderCancelReject (" << (get(m, 434) == "2" ? "replace" : "cancel") << ")";
    add("ClOrdID", 11);
    add("OrigClOrdID", 41);
    add("OrderID", 37);
    add("OrdStatus", 39);
    add("CxlRejReason", 102);
    add("Text", 58);
  } else if (type == "r") {
    s << "OrderMassCancelReport";
    add("ClOrdID", 11);
    add("Response", 531);
    add("Affected", 533);
    add("RejectReason", 532);
    add("Text", 58);
  } else if (type == "j") {
    s << "BusinessMessageReject";
    add("RefSeqNum", 45);
    add("RefMsgType", 372);
    add("RefID", 379);
    add("Reason", 380);
    add("Text", 58);
  } else if (type == "3") {
    s << "Reject (session)";
    add("RefSeqNum", 45);
    add("RefTagID", 371);
    add("RefMsgType", 372);
    add("Reason", 373);
    add("Text", 58);
  } else if (type == "5") {
    s << "Logout";
    add("Text", 58);
  } else {
    s << "MsgType " << type;
  }
  return s.str();
}

std::string pipes(const FIX::Message& m) {
  std::string s = m.toString();
  std::replace(s.begin(), s.end(), '\x01', '|');
  return s;
}

// ---- the initiator -----------------------------------------------------------

class Client final : public FIX::Application {
 public:
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    say("*** logged on " + id.toString());
    std::lock_guard lock(mu_);
    loggedOn_ = true;
    cv_.notify_all();
  }
  void onLogout(const FIX::SessionID& id) override {
    std::lock_guard lock(mu_);
    // QuickFIX also calls this after a refused logon; only a real session ends.
    if (loggedOn_) say("*** logged out " + id.toString());
    loggedOn_ = false;
    cv_.notify_all();
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) override {
    auto type = get(m.getHeader(), 35);
    if (type == "3" || type == "5") show(m);
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID&) override { show(m); }

  bool waitLogon(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return loggedOn_; });
  }

 private:
  static void show(const FIX::Message& m) {
    std::lock_guard lock(g_out);
    std::cout << "<- " << pipes(m) << "\n   " << summary(m) << std::endl;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool loggedOn_ = false;
};

struct Remembered {
  std::string symbol, side, type, tif, qty, price, stopPx, account;
};

class OrderEntry {
 public:
  OrderEntry(std::string beginString, FIX::SessionID id)
      : begin_(std::move(beginString)), id_(std::move(id)) {}

  // Runs one command line (already split into words). Throws UsageError.
  void run(const std::vector<std::string>& words) {
    if (words.empty()) return;
    const std::string cmd = words[0];
    Options o = parseOptions(words, 1, words.size());
    if (cmd == "new") {
      sendNew(o);
    } else if (cmd == "cancel") {
      sendCancel(o);
    } else if (cmd == "replace") {
      sendReplace(o);
    } else if (cmd == "status") {
      sendStatus(o);
    } else if (cmd == "mass-cancel") {
      sendMassCancel(o);
    } else {
      throw UsageError("unknown command '" + cmd + "' (new, cancel, replace, status, mass-cancel)");
    }
  }

 private:
  std::string nextId() {
    return "CLI-" + std::to_string(fixgw::SystemClock::instance().wallNow() / 1'000'000) + "-" +
           std::to_string(++seq_);
  }

  static std::string now() {
    return fixgw::formatFixTimestamp(fixgw::SystemClock::instance().wallNow());
  }

  static std::string need(const Options& o, const std::string& key, const std::string& cmd) {
    auto v = opt(o, key);
    if (!v || v->empty()) throw UsageError(cmd + ": --" + key + " is required");
    return *v;
  }

  // Symbol and side of an earlier order, from the options or from memory.
  Remembered recall(const Options& o, const std::string& origId, const std::string& cmd) {
    Remembered r;
    if (auto it = orders_.find(origId); it != orders_.end()) r = it->second;
    if (auto s = opt(o, "symbol")) r.symbol = *s;
    if (auto s = opt(o, "side")) r.side = sideCode(*s);
    if (r.symbol.empty()) {
      throw UsageError(cmd + ": --symbol is required (order '" + origId +
                       "' not sent in this run)");
    }
    if (r.side.empty()) {
      throw UsageError(cmd + ": --side is required (order '" + origId + "' not sent in this run)");
    }
    return r;
  }

  void sendNew(const Options& o) {
    Remembered r;
    r.symbol = need(o, "symbol", "new");
    r.side = sideCode(need(o, "side", "new"));
    r.qty = decimal("qty", need(o, "qty", "new"));
    r.price = opt(o, "price") ? decimal("price", *opt(o, "price")) : "";
    r.stopPx = opt(o, "stop-px") ? decimal("stop-px", *opt(o, "stop-px")) : "";
    r.type = typeCode(opt(o, "type").value_or(
        r.stopPx.empty() ? (r.price.empty() ? "market" : "limit")
                         : (r.price.empty() ? "stop" : "stop-limit")));
    r.tif = tifCode(opt(o, "tif").value_or("day"));
    r.account = opt(o, "account").value_or("");
    std::string clOrdId = opt(o, "clordid").value_or(nextId());

    FIX::Message m = base("D");
    m.setField(11, clOrdId);
    if (begin_ == "FIX.4.2") m.setField(21, "1");
    if (!r.account.empty()) m.setField(1, r.account);
    if (auto d = opt(o, "dest")) m.setField(100, *d);
    m.setField(55, r.symbol);
    m.setField(54, r.side);
    m.setField(60, now());
    m.setField(38, r.qty);
    m.setField(40, r.type);
    if (!r.price.empty()) m.setField(44, r.price);
    if (!r.stopPx.empty()) m.setField(99, r.stopPx);
    m.setField(59, r.tif);
    orders_[clOrdId] = r;
    send(m);
  }

  void sendCancel(const Options& o) {
    std::string orig = need(o, "orig", "cancel");
    Remembered r = recall(o, orig, "cancel");
    FIX::Message m = base("F");
    m.setField(11, opt(o, "clordid").value_or(nextId()));
    m.setField(41, orig);
    if (auto id = opt(o, "order-id")) m.setField(37, *id);
    m.setField(55, r.symbol);
    m.setField(54, r.side);
    m.setField(60, now());
    if (!r.qty.empty()) m.setField(38, r.qty);
    send(m);
  }

  void sendReplace(const Options& o) {
    std::string orig = need(o, "orig", "replace");
    Remembered r = recall(o, orig, "replace");
    r.qty = decimal("qty", need(o, "qty", "replace"));
    if (auto p = opt(o, "price")) r.price = decimal("price", *p);
    if (auto p = opt(o, "stop-px")) r.stopPx = decimal("stop-px", *p);
    if (auto t = opt(o, "type")) r.type = typeCode(*t);
    if (r.type.empty()) r.type = r.price.empty() ? "1" : "2";
    if (r.type == "1" || r.type == "3") r.price.clear();
    if (r.type == "1" || r.type == "2") r.stopPx.clear();
    if (auto t = opt(o, "tif")) r.tif = tifCode(*t);
    if (r.tif.empty()) r.tif = "0";
    std::string clOrdId = opt(o, "clordid").value_or(nextId());
    FIX::Message m = base("G");
    m.setField(11, clOrdId);
    m.setField(41, orig);
    if (auto id = opt(o, "order-id")) m.setField(37, *id);
    if (begin_ == "FIX.4.2") m.setField(21, "1");
    if (!r.account.empty()) m.setField(1, r.account);
    m.setField(55, r.symbol);
    m.setField(54, r.side);
    m.setField(60, now());
    m.setField(38, r.qty);
    m.setField(40, r.type);
    if (!r.price.empty()) m.setField(44, r.price);
    if (!r.stopPx.empty()) m.setField(99, r.stopPx);
    m.setField(59, r.tif);
    orders_[clOrdId] = r;
    send(m);
  }

  void sendStatus(const Options& o) {
    std::string id = need(o, "clordid", "status");
    Remembered r = recall(o, id, "status");
    FIX::Message m = base("H");
    m.setField(11, id);
    if (auto oid = opt(o, "order-id")) m.setField(37, *oid);
    m.setField(55, r.symbol);
    m.setField(54, r.side);
    send(m);
  }

  void sendMassCancel(const Options& o) {
    FIX::Message m = base("q");
    m.setField(11, opt(o, "clordid").value_or(nextId()));
    auto symbol = opt(o, "symbol");
    m.setField(530, symbol ? "1" : "7");
    if (symbol) m.setField(55, *symbol);
    m.setField(60, now());
    send(m);
  }

  static FIX::Message base(const char* type) {
    FIX::Message m;
    m.getHeader().setField(35, type);
    return m;
  }

  void send(FIX::Message& m) {
    if (!FIX::Session::sendToTarget(m, id_)) {
      sayErr("not logged on: message stored but not sent");
      return;
    }
    say("-> " + pipes(m));
  }

  std::string begin_;
  FIX::SessionID id_;
  std::map<std::string, Remembered> orders_;
  int seq_ = 0;
};

std::vector<std::string> splitWords(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  return w;
}

int realMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << kUsage;
    return 0;
  }
  // Global options come first; the first bare word is the command.
  size_t cmdAt = 0;
  while (cmdAt < args.size() && args[cmdAt].rfind("--", 0) == 0) cmdAt += 2;
  if (cmdAt > args.size()) throw UsageError("option " + args.back() + " needs a value");
  Options g = parseOptions(args, 0, cmdAt);
  static const std::vector<std::string> known = {
      "host", "port", "version", "sender", "target", "spec-dir", "wait-ms", "logon-timeout-ms"};
  for (const auto& [k, v] : g) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      throw UsageError("unknown option --" + k + " (command options go after the command)");
    }
  }
  const std::string host = opt(g, "host").value_or("127.0.0.1");
  const int port = toInt("port", opt(g, "port").value_or("9878"));
  const std::string version = opt(g, "version").value_or("4.4");
  if (version != "4.2" && version != "4.4") throw UsageError("--version must be 4.2 or 4.4");
  const std::string beginString = "FIX." + version;
  const std::string sender = opt(g, "sender").value_or("CLIENT1");
  const std::string target = opt(g, "target").value_or("FIXGW");
  const std::string specDir = opt(g, "spec-dir").value_or(FIXGW_SPEC_DIR);
  const int waitMs = toInt("wait-ms", opt(g, "wait-ms").value_or("2000"));
  const int logonMs = toInt("logon-timeout-ms", opt(g, "logon-timeout-ms").value_or("10000"));
  std::vector<std::string> command(args.begin() + static_cast<long>(cmdAt), args.end());
  const bool interactive = command.empty() || command[0] == "interactive";

  FIX::SessionID id(beginString, sender, target);
  FIX::SessionSettings settings;
  FIX::Dictionary defaults;
  defaults.setString(FIX::CONNECTION_TYPE, "initiator");
  defaults.setString(FIX::SOCKET_CONNECT_HOST, host);
  defaults.setInt(FIX::SOCKET_CONNECT_PORT, port);
  defaults.setInt(FIX::HEARTBTINT, 30);
  defaults.setInt(FIX::RECONNECT_INTERVAL, 2);
  defaults.setString(FIX::START_TIME, "00:00:00");
  defaults.setString(FIX::END_TIME, "00:00:00");
  defaults.setBool(FIX::RESET_ON_LOGON, true);
  defaults.setBool(FIX::USE_DATA_DICTIONARY, true);
  defaults.setString(FIX::DATA_DICTIONARY,
                     specDir + (version == "4.2" ? "/FIX42.xml" : "/FIX44.xml"));
  settings.set(defaults);
  settings.set(id, FIX::Dictionary());

  Client app;
  FIX::MemoryStoreFactory store;
  FIX::SocketInitiator initiator(app, store, settings);
  initiator.start();
  if (!app.waitLogon(std::chrono::milliseconds(logonMs))) {
    sayErr("could not log on to " + host + ":" + std::to_string(port) + " as " + id.toString() +
           " within " + std::to_string(logonMs) + " ms");
    initiator.stop(true);
    return 1;
  }

  OrderEntry session(beginString, id);
  int rc = 0;
  if (interactive) {
    say("enter commands (new/cancel/replace/status/mass-cancel ...), 'quit' to end");
    for (std::string line; std::getline(std::cin, line);) {
      auto words = splitWords(line);
      if (words.empty() || words[0][0] == '#') continue;
      if (words[0] == "quit" || words[0] == "exit") break;
      if (words[0] == "help") {
        say(kUsage);
        continue;
      }
      try {
        session.run(words);
      } catch (const UsageError& e) {
        sayErr(e.what());
      }
    }
  } else {
    try {
      session.run(command);
    } catch (const UsageError& e) {
      sayErr(e.what());
      rc = 2;
    }
  }
  if (rc == 0 && waitMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(waitMs));
  initiator.stop();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return realMain(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "fixclient: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fixclient: " << e.what() << "\n";
    return 1;
  }
}
