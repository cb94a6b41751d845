// fix_loadgen: a FIX 4.2/4.4 order load generator for fixgw and fix_floor.
//
// Logs on as one initiator session, sends N NewOrderSingles keeping at most W
// in flight (an order is in flight until its FIRST ExecutionReport arrives),
// and reports throughput and the send-to-first-report ("ack") latency
// distribution. Orders are clocked by the replies: the first W go out from
// onLogon and each first report releases the next order from the same
// QuickFIX receive thread, so there is no cross-thread wake-up between an ack
// and the next send to distort W=1 latency.
//
// With --until-fill an order stays in flight until its first fill report
// (ExecType 150 = F, 1 or 2) or a final answer without a fill (reject,
// canceled, expired, done for day), and the send-to-first-fill latency is
// reported next to the ack latency: the round trip through a venue that fills.
//
// Thread-safety: QuickFIX calls back on its one session thread; main() only
// waits on the condition variable and reads the results under the mutex.
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSocketInitiator.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/fixed.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 9878;
  std::string version = "4.4";
  std::string sender;  // default: LOAD44 / LOAD42 by version
  std::string target = "FIXGW";
  int64_t orders = 10000;
  int64_t window = 1;
  int64_t warmup = 0;
  std::string symbol = "AAPL";
  std::string side = "buy";
  fixgw::Qty qty = fixgw::Qty::fromInt(1);
  fixgw::Price price = fixgw::Price::fromInt(90);
  bool market = false;
  std::string account;
  std::vector<std::pair<int, std::string>> extraTags;  // --tag TAG=VALUE
  bool reset = false;
  std::string specDir;
  std::string store = "memory";
  std::string storePath = "fix_loadgen_store";
  int64_t timeoutMs = 120000;
  bool json = false;
  bool untilFill = false;
};

void usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s [--host H] [--port N] [--version 4.4|4.2] [--sender ID] [--target ID]\n"
      "          [--orders N] [--window W] [--warmup K] [--symbol S] [--side buy|sell]\n"
      "          [--qty Q] [--price P | --market] [--account A] [--tag TAG=VALUE]...\n"
      "          [--reset]\n"
      "          [--spec-dir DIR] [--store memory|file] [--store-path DIR]\n"
      "          [--timeout-ms T] [--json] [--until-fill]\n"
      "Sends K warm-up then N measured NewOrderSingles with at most W awaiting their first\n"
      "ExecutionReport, and prints throughput and ack latency percentiles. Exit status 1 if\n"
      "any order got no report within --timeout-ms (total run time) or the session failed.\n"
      "--until-fill: an order is in flight until its first fill report (150=F/1/2) or a final\n"
      "report without a fill; also prints send-to-first-fill latency percentiles.\n",
      argv0);
}

bool parseInt(const char* name, const char* v, int64_t lo, int64_t hi, int64_t& out) {
  const char* end = v + std::char_traits<char>::length(v);
  auto [p, ec] = std::from_chars(v, end, out);
  if (ec != std::errc() || p != end || out < lo || out > hi) {
    std::fprintf(stderr, "fix_loadgen: %s must be an integer in %lld..%lld, got '%s'\n", name,
                 static_cast<long long>(lo), static_cast<long long>(hi), v);
    return false;
  }
  return true;
}

const std::set<std::string> kValueOptions = {
    "--host",   "--port",    "--version",    "--sender",   "--target", "--orders",
    "--window", "--warmup",  "--timeout-ms", "--symbol",   "--side",   "--qty",
    "--price",  "--account", "--tag",        "--spec-dir", "--store",  "--store-path"};

bool parseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fix_loadgen: %s needs a value\n", a.c_str());
        return nullptr;
      }
      return argv[++i];
    };
    const char* v = nullptr;
    if (a == "--help" || a == "-h") {
      usage(argv[0]);
      std::exit(0);
    } else if (a == "--market") {
      o.market = true;
    } else if (a == "--reset") {
      o.reset = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--until-fill") {
      o.untilFill = true;
    } else if (!kValueOptions.contains(a)) {
      std::fprintf(stderr, "fix_loadgen: unknown option '%s'\n", a.c_str());
      usage(argv[0]);
      return false;
    } else if (!(v = value())) {
      return false;
    } else if (a == "--host") {
      o.host = v;
    } else if (a == "--port") {
      int64_t p = 0;
      if (!parseInt("--port", v, 1, 65535, p)) return false;
      o.port = static_cast<int>(p);
    } else if (a == "--version") {
      o.version = v;
      if (o.version == "FIX.4.4") o.version = "4.4";
      if (o.version == "FIX.4.2") o.version = "4.2";
      if (o.version != "4.4" && o.version != "4.2") {
        std::fprintf(stderr, "fix_loadgen: --version must be 4.4 or 4.2, got '%s'\n", v);
        return false;
      }
    } else if (a == "--sender") {
      o.sender = v;
    } else if (a == "--target") {
      o.target = v;
    } else if (a == "--orders") {
      if (!parseInt("--orders", v, 1, 100'000'000, o.orders)) return false;
    } else if (a == "--window") {
      if (!parseInt("--window", v, 1, 1'000'000, o.window)) return false;
    } else if (a == "--warmup") {
      if (!parseInt("--warmup", v, 0, 100'000'000, o.warmup)) return false;
    } else if (a == "--timeout-ms") {
      if (!parseInt("--timeout-ms", v, 1, 86'400'000, o.timeoutMs)) return false;
    } else if (a == "--symbol") {
      o.symbol = v;
      if (o.symbol.empty()) {
        std::fprintf(stderr, "fix_loadgen: --symbol is empty\n");
        return false;
      }
    } else if (a == "--side") {
      o.side = v;
      if (o.side != "buy" && o.side != "sell") {
        std::fprintf(stderr, "fix_loadgen: --side must be buy or sell, got '%s'\n", v);
        return false;
      }
    } else if (a == "--qty") {
      auto q = fixgw::Qty::parse(v);
      if (!q || !q->isPositive()) {
        std::fprintf(stderr, "fix_loadgen: --qty must be a positive decimal, got '%s'\n", v);
        return false;
      }
      o.qty = *q;
    } else if (a == "--price") {
      auto p = fixgw::Price::parse(v);
      if (!p || !p->isPositive()) {
        std::fprintf(stderr, "fix_loadgen: --price must be a positive decimal, got '%s'\n", v);
        return false;
      }
      o.price = *p;
    } else if (a == "--account") {
      o.account = v;
    } else if (a == "--tag") {
      const std::string tv = v;
      const auto eq = tv.find('=');
      int tag = 0;
      const char* te = tv.data() + (eq == std::string::npos ? tv.size() : eq);
      auto [tp, tec] = std::from_chars(tv.data(), te, tag);
      if (eq == std::string::npos || eq + 1 == tv.size() || tec != std::errc() || tp != te ||
          tag < 1 || tag > 99999) {
        std::fprintf(stderr, "fix_loadgen: --tag needs TAG=VALUE with TAG in 1..99999, got '%s'\n",
                     v);
        return false;
      }
      o.extraTags.emplace_back(tag, tv.substr(eq + 1));
    } else if (a == "--spec-dir") {
      o.specDir = v;
    } else if (a == "--store") {
      o.store = v;
      if (o.store != "memory" && o.store != "file") {
        std::fprintf(stderr, "fix_loadgen: --store must be memory or file, got '%s'\n", v);
        return false;
      }
    } else if (a == "--store-path") {
      o.storePath = v;
    } else {
      std::fprintf(stderr, "fix_loadgen: unknown option '%s'\n", a.c_str());
      usage(argv[0]);
      return false;
    }
  }
  if (o.sender.empty()) o.sender = o.version == "4.4" ? "LOAD44" : "LOAD42";
  return true;
}

std::string beginString(const Options& o) { return o.version == "4.4" ? "FIX.4.4" : "FIX.4.2"; }

std::string buildSettings(const Options& o) {
  std::ostringstream s;
  s << "[DEFAULT]\n"
    << "ConnectionType=initiator\n"
    << "SocketConnectHost=" << o.host << "\n"
    << "SocketConnectPort=" << o.port << "\n"
    << "SocketNodelay=Y\n"
    << "ReconnectInterval=1\n"
    << "HeartBtInt=30\n"
    << "LogonTimeout=10\n"
    << "StartTime=00:00:00\n"
    << "EndTime=00:00:00\n"
    << "ResetOnLogon=" << (o.reset ? "Y" : "N") << "\n"
    << "UseDataDictionary=" << (o.specDir.empty() ? "N" : "Y") << "\n";
  if (o.store == "file") s << "FileStorePath=" << o.storePath << "\n";
  s << "[SESSION]\n"
    << "BeginString=" << beginString(o) << "\n"
    << "SenderCompID=" << o.sender << "\n"
    << "TargetCompID=" << o.target << "\n";
  if (!o.specDir.empty()) {
    s << "DataDictionary=" << o.specDir << (o.version == "4.4" ? "/FIX44.xml" : "/FIX42.xml")
      << "\n";
  }
  return s.str();
}

// A prefix nobody else's ClOrdIDs share, so reports for orders of earlier
// runs (resent after a gap, or late) are recognised and ignored.
std::string runPrefix() {
  uint64_t x = static_cast<uint64_t>(nowNs()) ^ (static_cast<uint64_t>(getpid()) << 40);
  std::string p = "LG";
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 8; ++i) {
    p += kDigits[x % 36];
    x /= 36;
  }
  p += '-';
  return p;
}

struct Results {
  std::vector<int64_t> latNs;  // measured orders that got a first report
  int64_t elapsedNs = 0;
  int64_t acked = 0;
  int64_t rejects = 0;
  // --until-fill only.
  std::vector<int64_t> fillLatNs;  // measured orders that got a fill report
  int64_t completed = 0;           // measured orders out of flight (filled or final)
  int64_t unfilled = 0;            // ... of which ended without a fill
};

class LoadApp : public FIX::Application {
 public:
  explicit LoadApp(const Options& o)
      : opt_(o),
        prefix_(runPrefix()),
        total_(o.warmup + o.orders),
        sendNs_(static_cast<size_t>(total_), 0),
        ackNs_(static_cast<size_t>(total_), 0),
        fillNs_(static_cast<size_t>(total_), 0),
        doneNs_(static_cast<size_t>(total_), 0),
        seqNum_(static_cast<size_t>(total_), 0),
        rejected_(static_cast<size_t>(total_), 0) {
    const bool is42 = o.version == "4.2";
    nos_.getHeader().setField(FIX::FIELD::MsgType, "D");
    nos_.setField(FIX::FIELD::ClOrdID, prefix_ + "0");
    if (is42) nos_.setField(FIX::FIELD::HandlInst, "1");
    if (!o.account.empty()) nos_.setField(FIX::FIELD::Account, o.account);
    nos_.setField(FIX::FIELD::Symbol, o.symbol);
    nos_.setField(FIX::FIELD::Side, o.side == "buy" ? "1" : "2");
    nos_.setField(FIX::FIELD::OrderQty, o.qty.str());
    nos_.setField(FIX::FIELD::OrdType, o.market ? "1" : "2");
    if (!o.market) nos_.setField(FIX::FIELD::Price, o.price.str());
    for (const auto& [tag, value] : o.extraTags) nos_.setField(tag, value);
    clOrdId_.reserve(prefix_.size() + 12);
  }

  // Blocks until the run finished, failed or the deadline passed. Returns
  // false on failure or timeout with the reason in `why`.
  bool wait(SteadyClock::time_point deadline, std::string& why) {
    std::unique_lock lk(mu_);
    cv_.wait_until(lk, deadline,
                   [&] { return phase_ == Phase::kDone || phase_ == Phase::kFailed; });
    if (phase_ == Phase::kDone) return true;
    if (phase_ == Phase::kFailed) {
      why = failure_;
      return false;
    }
    // Stop sending from the receive thread; reports still arriving are ignored.
    const Phase was = phase_;
    phase_ = Phase::kFailed;
    if (was == Phase::kWaitLogon) {
      why = "no logon within --timeout-ms; is an acceptor listening on " + opt_.host + ":" +
            std::to_string(opt_.port) + " that knows " + beginString(opt_) + " " + opt_.sender +
            "->" + opt_.target + "?" +
            (lastLogoutText_.empty() ? "" : " Last logout text: " + lastLogoutText_);
    } else {
      int64_t missing = 0;
      for (int64_t i = 0; i < next_; ++i) missing += doneNs_[static_cast<size_t>(i)] == 0;
      why = "timed out after --timeout-ms with " + std::to_string(missing) +
            (opt_.untilFill ? " sent order(s) still waiting for a fill or a final report ("
                            : " sent order(s) still waiting for a first ExecutionReport (") +
            std::to_string(total_ - next_) + " never sent, phase " +
            (was == Phase::kWarmup ? "warm-up" : "measured") + ")";
    }
    return false;
  }

  Results results() {
    std::lock_guard lk(mu_);
    Results r;
    const auto begin = static_cast<size_t>(opt_.warmup);
    // lastDone is the last first report, or with --until-fill the last
    // order leaving flight: throughput counts orders the window released.
    int64_t firstSend = 0, lastDone = 0;
    for (size_t i = begin; i < static_cast<size_t>(total_); ++i) {
      if (sendNs_[i] == 0) continue;
      if (firstSend == 0 || sendNs_[i] < firstSend) firstSend = sendNs_[i];
      if (doneNs_[i] != 0) {
        ++r.completed;
        lastDone = std::max(lastDone, doneNs_[i]);
        if (fillNs_[i] == 0) ++r.unfilled;
      }
      if (fillNs_[i] != 0) r.fillLatNs.push_back(fillNs_[i] - sendNs_[i]);
      if (ackNs_[i] == 0) continue;
      ++r.acked;
      r.rejects += rejected_[i];
      r.latNs.push_back(ackNs_[i] - sendNs_[i]);
    }
    r.elapsedNs = (firstSend != 0 && lastDone != 0) ? lastDone - firstSend : 0;
    return r;
  }

  void onCreate(const FIX::SessionID&) override {}

  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard lk(mu_);
    if (phase_ != Phase::kWaitLogon) {
      // A reconnect in the middle of a run would mix two sessions' latencies.
      fail("session logged on again in the middle of the run");
      return;
    }
    session_ = FIX::Session::lookupSession(id);
    if (session_ == nullptr) {
      fail("logged on, but QuickFIX has no session object for " + id.toString());
      return;
    }
    if (opt_.warmup > 0) {
      startPhase(Phase::kWarmup, 0, opt_.warmup);
    } else {
      startPhase(Phase::kMeasure, 0, opt_.orders);
    }
  }

  void onLogout(const FIX::SessionID&) override {
    std::lock_guard lk(mu_);
    if (phase_ == Phase::kWarmup || phase_ == Phase::kMeasure) {
      fail("session logged out or disconnected in the middle of the run" +
           (lastLogoutText_.empty() ? std::string() : ": " + lastLogoutText_));
    }
  }

  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}

  // Called by QuickFIX inside session_->send() (so on our thread, with mu_
  // already held by sendNext) once MsgSeqNum is assigned. Remembering it lets
  // a reject that names the order only by RefSeqNum(45) find the order.
  void toApp(FIX::Message& msg, const FIX::SessionID&) noexcept(false) override {
    if (sendingIdx_ < 0) return;  // a resend, not a fresh order
    const std::string& seq = msg.getHeader().getField(FIX::FIELD::MsgSeqNum);
    int64_t n = 0;
    std::from_chars(seq.data(), seq.data() + seq.size(), n);
    seqNum_[static_cast<size_t>(sendingIdx_)] = n;
  }

  void fromAdmin(const FIX::Message& msg, const FIX::SessionID&) noexcept(false) override {
    const std::string& type = msg.getHeader().getField(FIX::FIELD::MsgType);
    if (type == "5" && msg.isSetField(FIX::FIELD::Text)) {
      std::lock_guard lk(mu_);
      lastLogoutText_ = msg.getField(FIX::FIELD::Text);
    } else if (type == "3") {
      // A session-level Reject (e.g. dictionary validation) of one of our
      // orders is that order's answer: it will never be acknowledged.
      const int64_t t = nowNs();
      std::lock_guard lk(mu_);
      noteRejectText(msg, "session Reject 35=3");
      answerBySeq(msg, t);
    }
  }

  void fromApp(const FIX::Message& msg, const FIX::SessionID&) noexcept(false) override {
    const int64_t t = nowNs();
    const std::string& type = msg.getHeader().getField(FIX::FIELD::MsgType);
    if (type == "8") {
      if (!msg.isSetField(FIX::FIELD::ClOrdID)) return;
      const int64_t idx = indexOf(msg.getField(FIX::FIELD::ClOrdID));
      if (idx < 0) return;
      const bool reject =
          msg.isSetField(FIX::FIELD::OrdStatus) && msg.getField(FIX::FIELD::OrdStatus) == "8";
      Report kind = Report::kOther;
      if (opt_.untilFill && msg.isSetField(FIX::FIELD::ExecType)) {
        const std::string& et = msg.getField(FIX::FIELD::ExecType);
        if (et == "F" || et == "1" || et == "2") {
          kind = Report::kFill;
        } else if (et == "4" || et == "C" || et == "3" || et == "8") {
          kind = Report::kFinal;  // canceled, expired, done for day, rejected: no fill coming
        }
      }
      std::lock_guard lk(mu_);
      answer(idx, t, reject, kind);
    } else if (type == "j") {
      // A BusinessMessageReject of a NewOrderSingle is that order's first
      // and only answer. It names the order by ClOrdID in 379 when the
      // gateway sends it, and always by RefSeqNum (45).
      std::lock_guard lk(mu_);
      noteRejectText(msg, "BusinessMessageReject 35=j");
      int64_t idx = -1;
      if (msg.isSetField(FIX::FIELD::BusinessRejectRefID))
        idx = indexOf(msg.getField(FIX::FIELD::BusinessRejectRefID));
      if (idx >= 0) {
        answer(idx, t, true);
      } else {
        answerBySeq(msg, t);
      }
    }
  }

 private:
  enum class Phase { kWaitLogon, kWarmup, kMeasure, kDone, kFailed };
  // What an ExecutionReport means for --until-fill.
  enum class Report { kOther, kFill, kFinal };

  // Order index from a ClOrdID of this run, or -1.
  int64_t indexOf(const std::string& ref) const {
    if (ref.size() <= prefix_.size() || ref.compare(0, prefix_.size(), prefix_) != 0) return -1;
    int64_t idx = -1;
    const char* e = ref.data() + ref.size();
    auto [p, ec] = std::from_chars(ref.data() + prefix_.size(), e, idx);
    if (ec != std::errc() || p != e || idx < 0 || idx >= total_) return -1;
    return idx;
  }

  // The rest run with mu_ held.

  // Records the first answer for order idx and releases its window slot;
  // with --until-fill the slot is released by the first fill report or by
  // a final answer (any reject included) instead.
  void answer(int64_t idx, int64_t t, bool reject, Report kind = Report::kOther) {
    const auto i = static_cast<size_t>(idx);
    if (doneNs_[i] != 0 || sendNs_[i] == 0) return;  // already out of flight
    if (ackNs_[i] == 0) {
      ackNs_[i] = t;
      rejected_[i] = reject ? 1 : 0;
    }
    if (kind == Report::kFill) fillNs_[i] = t;
    if (opt_.untilFill && !reject && kind == Report::kOther) return;  // an ack: keep waiting
    doneNs_[i] = t;
    if (phase_ != Phase::kWarmup && phase_ != Phase::kMeasure) return;
    if (idx < phaseBegin_ || idx >= phaseEnd_) return;
    ++phaseAcked_;
    if (next_ < phaseEnd_) {
      sendNext();
    } else if (phaseAcked_ == phaseEnd_ - phaseBegin_) {
      if (phase_ == Phase::kWarmup) {
        startPhase(Phase::kMeasure, opt_.warmup, total_);
      } else {
        phase_ = Phase::kDone;
        cv_.notify_all();
      }
    }
  }

  // Rejects carry RefSeqNum(45); rare, so a backwards scan of what was sent
  // is cheaper overall than indexing every order by sequence number.
  void answerBySeq(const FIX::Message& msg, int64_t t) {
    if (!msg.isSetField(FIX::FIELD::RefSeqNum)) return;
    const std::string& s = msg.getField(FIX::FIELD::RefSeqNum);
    int64_t seq = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), seq);
    if (ec != std::errc() || p != s.data() + s.size() || seq <= 0) return;
    for (int64_t i = next_ - 1; i >= 0; --i) {
      if (seqNum_[static_cast<size_t>(i)] == seq) {
        answer(i, t, true);
        return;
      }
    }
  }

  // Prints the first reject text of the run once: it usually explains all
  // the others (a missing tag, a risk limit) without logging per order.
  void noteRejectText(const FIX::Message& msg, const char* what) {
    if (rejectTextShown_) return;
    rejectTextShown_ = true;
    std::string text = msg.isSetField(FIX::FIELD::Text) ? msg.getField(FIX::FIELD::Text) : "";
    std::string tag =
        msg.isSetField(FIX::FIELD::RefTagID) ? msg.getField(FIX::FIELD::RefTagID) : "-";
    std::fprintf(stderr, "fix_loadgen: first reject of the run: %s RefTagID=%s Text='%s'\n", what,
                 tag.c_str(), text.c_str());
  }

  // Callers hold mu_.
  void startPhase(Phase ph, int64_t begin, int64_t end) {
    phase_ = ph;
    phaseBegin_ = begin;
    phaseEnd_ = end;
    phaseAcked_ = 0;
    next_ = begin;
    const int64_t burst = std::min(opt_.window, end - begin);
    for (int64_t k = 0; k < burst && phase_ == ph; ++k) sendNext();
  }

  void sendNext() {
    const int64_t idx = next_++;
    clOrdId_.assign(prefix_);
    char digits[24];
    auto [p, ec] = std::to_chars(digits, digits + sizeof digits, idx);
    (void)ec;
    clOrdId_.append(digits, p);
    nos_.setField(FIX::FIELD::ClOrdID, clOrdId_);
    nos_.setField(FIX::TransactTime(3));
    sendNs_[static_cast<size_t>(idx)] = nowNs();
    sendingIdx_ = idx;
    const bool sent = session_->send(nos_);
    sendingIdx_ = -1;
    if (!sent) {
      fail("QuickFIX refused to send order " + clOrdId_ + " (session not logged on?)");
    }
  }

  void fail(std::string why) {
    if (phase_ == Phase::kFailed || phase_ == Phase::kDone) return;
    phase_ = Phase::kFailed;
    failure_ = std::move(why);
    cv_.notify_all();
  }

  const Options& opt_;
  const std::string prefix_;
  const int64_t total_;

  std::mutex mu_;
  std::condition_variable cv_;
  Phase phase_ = Phase::kWaitLogon;
  std::string failure_;
  std::string lastLogoutText_;
  FIX::Session* session_ = nullptr;
  FIX::Message nos_;  // reused for every order: only ClOrdID and TransactTime change
  std::string clOrdId_;
  int64_t phaseBegin_ = 0, phaseEnd_ = 0, phaseAcked_ = 0, next_ = 0;
  std::vector<int64_t> sendNs_, ackNs_;
  std::vector<int64_t> fillNs_;  // first fill report (--until-fill only)
  std::vector<int64_t> doneNs_;  // left flight: first report, or with --until-fill fill/final
  std::vector<int64_t> seqNum_;  // MsgSeqNum each order went out with
  std::vector<uint8_t> rejected_;
  int64_t sendingIdx_ = -1;  // order being sent, for toApp; -1 otherwise
  bool rejectTextShown_ = false;
};

// Nearest-rank percentile of a sorted sample.
double percentileUs(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  auto rank = static_cast<size_t>(q * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parseArgs(argc, argv, opt)) return 2;
  if (!opt.specDir.empty()) {
    const std::string dd = opt.specDir + (opt.version == "4.4" ? "/FIX44.xml" : "/FIX42.xml");
    if (!std::filesystem::exists(dd)) {
      std::fprintf(stderr, "fix_loadgen: --spec-dir: %s does not exist\n", dd.c_str());
      return 2;
    }
  }

  const auto started = SteadyClock::now();
  const auto deadline = started + std::chrono::milliseconds(opt.timeoutMs);
  bool ok = false;
  std::string why;
  Results r;
  LoadApp app(opt);
  try {
    if (opt.store == "file") std::filesystem::create_directories(opt.storePath);
    std::istringstream cfg(buildSettings(opt));
    FIX::SessionSettings settings(cfg);
    std::unique_ptr<FIX::MessageStoreFactory> store;
    if (opt.store == "file") {
      store = std::make_unique<FIX::FileStoreFactory>(opt.storePath);
    } else {
      store = std::make_unique<FIX::MemoryStoreFactory>();
    }
    FIX::ThreadedSocketInitiator initiator(app, *store, settings);
    initiator.start();
    ok = app.wait(deadline, why);
    r = app.results();
    // Logout and wait (bounded by QuickFIX) for the acceptor's Logout reply;
    // force only when the session is already broken.
    initiator.stop(!ok);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fix_loadgen: %s\n", e.what());
    return 1;
  }

  std::sort(r.latNs.begin(), r.latNs.end());
  const double elapsedS = static_cast<double>(r.elapsedNs) / 1e9;
  const double tput = elapsedS > 0 ? static_cast<double>(r.completed) / elapsedS : 0.0;
  const double p50 = percentileUs(r.latNs, 0.50), p90 = percentileUs(r.latNs, 0.90),
               p99 = percentileUs(r.latNs, 0.99),
               mx = r.latNs.empty() ? 0.0 : static_cast<double>(r.latNs.back()) / 1000.0;
  const int64_t timeouts = opt.orders - r.completed;
  std::sort(r.fillLatNs.begin(), r.fillLatNs.end());
  const double f50 = percentileUs(r.fillLatNs, 0.50), f90 = percentileUs(r.fillLatNs, 0.90),
               f99 = percentileUs(r.fillLatNs, 0.99),
               fmx = r.fillLatNs.empty() ? 0.0 : static_cast<double>(r.fillLatNs.back()) / 1000.0;
  const auto filled = static_cast<long long>(r.fillLatNs.size());

  if (!ok) std::fprintf(stderr, "fix_loadgen: FAILED: %s\n", why.c_str());
  if (opt.json) {
    std::printf(
        "{\"ok\":%s,\"version\":\"%s\",\"sender\":\"%s\",\"target\":\"%s\",\"orders\":%lld,"
        "\"window\":%lld,\"warmup\":%lld,\"acked\":%lld,\"elapsed_s\":%.6f,"
        "\"throughput_ops\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
        "\"max_us\":%.1f,\"rejects\":%lld,\"timeouts\":%lld",
        ok ? "true" : "false", beginString(opt).c_str(), opt.sender.c_str(), opt.target.c_str(),
        static_cast<long long>(opt.orders), static_cast<long long>(opt.window),
        static_cast<long long>(opt.warmup), static_cast<long long>(r.acked), elapsedS, tput, p50,
        p90, p99, mx, static_cast<long long>(r.rejects), static_cast<long long>(timeouts));
    if (opt.untilFill) {
      std::printf(
          ",\"filled\":%lld,\"unfilled\":%lld,\"fill_p50_us\":%.1f,\"fill_p90_us\":%.1f,"
          "\"fill_p99_us\":%.1f,\"fill_max_us\":%.1f",
          filled, static_cast<long long>(r.unfilled), f50, f90, f99, fmx);
    }
    std::printf("}\n");
  } else {
    std::printf("%s %s->%s  orders %lld (warm-up %lld)  window %lld\n", beginString(opt).c_str(),
                opt.sender.c_str(), opt.target.c_str(), static_cast<long long>(opt.orders),
                static_cast<long long>(opt.warmup), static_cast<long long>(opt.window));
    std::printf("acked %lld in %.3f s  throughput %.0f orders/s\n", static_cast<long long>(r.acked),
                elapsedS, tput);
    if (opt.untilFill) {
      std::printf("filled %lld  unfilled %lld\n", filled, static_cast<long long>(r.unfilled));
      std::printf("fill latency us  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", f50, f90, f99, fmx);
    }
    std::printf("ack latency us  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", p50, p90, p99, mx);
    std::printf("rejects %lld  timeouts %lld\n", static_cast<long long>(r.rejects),
                static_cast<long long>(timeouts));
  }
  std::fflush(stdout);
  return ok && timeouts == 0 ? 0 : 1;
}
