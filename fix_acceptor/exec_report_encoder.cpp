#include "fix_acceptor/exec_report_encoder.h"

#include <charconv>
#include <climits>
#include <ctime>

#include "core/clock.h"
#include "fix_acceptor/order_fields.h"

namespace fixgw::fix {

namespace {

namespace tag {
constexpr int Account = 1;
constexpr int AvgPx = 6;
constexpr int ClOrdID = 11;
constexpr int CumQty = 14;
constexpr int ExecID = 17;
constexpr int ExecTransType = 20;
constexpr int LastMkt = 30;
constexpr int LastPx = 31;
constexpr int LastQty = 32;  // LastShares in FIX 4.2
constexpr int MsgType = 35;
constexpr int OrderID = 37;
constexpr int OrderQty = 38;
constexpr int OrdStatus = 39;
constexpr int OrdType = 40;
constexpr int OrigClOrdID = 41;
constexpr int Price = 44;
constexpr int Side = 54;
constexpr int Symbol = 55;
constexpr int Text = 58;
constexpr int TimeInForce = 59;
constexpr int TransactTime = 60;
constexpr int PossResend = 97;
constexpr int StopPx = 99;
constexpr int OrdRejReason = 103;
constexpr int OnBehalfOfCompID = 115;
constexpr int ExecType = 150;
constexpr int LeavesQty = 151;
constexpr int MassStatusReqID = 584;
constexpr int OrdStatusReqID = 790;
constexpr int TotNumReports = 911;
constexpr int LastRptRequested = 912;
}  // namespace tag

// "YYYYMMDD-HH:MM:SS.mmm", as formatFixTimestamp writes it, appended without a temporary.
void appendFixTimestamp(std::string& out, WallNanos t) {
  int64_t secs = t / 1'000'000'000;
  int64_t sub = t % 1'000'000'000;
  if (sub < 0) {
    sub += 1'000'000'000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char b[21];
  auto two = [&](int at, int v) {
    b[at] = static_cast<char>('0' + v / 10);
    b[at + 1] = static_cast<char>('0' + v % 10);
  };
  const int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999) {  // formatFixTimestamp's output for the unrepresentable
    out += formatFixTimestamp(t);
    return;
  }
  two(0, year / 100);
  two(2, year % 100);
  two(4, tm.tm_mon + 1);
  two(6, tm.tm_mday);
  b[8] = '-';
  two(9, tm.tm_hour);
  b[11] = ':';
  two(12, tm.tm_min);
  b[14] = ':';
  two(15, tm.tm_sec);
  b[17] = '.';
  const int ms = static_cast<int>(sub / 1'000'000);
  b[18] = static_cast<char>('0' + ms / 100);
  b[19] = static_cast<char>('0' + ms / 10 % 10);
  b[20] = static_cast<char>('0' + ms % 10);
  out.append(b, sizeof b);
}

void appendInt(std::string& out, long long v) {
  char b[24];
  auto [p, ec] = std::to_chars(b, b + sizeof b, v);
  (void)ec;
  out.append(b, p);
}

// Writes the body in ascending tag order, merging in the fields (and groups)
// writeOrderDetails put in `details` where they fall, as QuickFIX's
// FieldMap::calculateString orders one map holding both.
class BodyWriter {
 public:
  BodyWriter(std::string& out, const FIX::FieldMap* details) : out_(out), details_(details) {
    if (details_) {
      it_ = details_->begin();
      end_ = details_->end();
    }
  }
  // Starts field t: returns false when the details hold t too (the later setField wins).
  bool open(int t) {
    flushBelow(t);
    if (details_ && it_ != end_ && it_->getTag() == t) {
      writeDetail();
      return false;
    }
    appendInt(out_, t);
    out_ += '=';
    return true;
  }
  void str(int t, std::string_view v) {
    if (!open(t)) return;
    out_.append(v.data(), v.size());
    out_ += '\x01';
  }
  void chr(int t, char c) {
    if (!open(t)) return;
    out_ += c;
    out_ += '\x01';
  }
  void num(int t, long long v) {
    if (!open(t)) return;
    appendInt(out_, v);
    out_ += '\x01';
  }
  template <class F>
  void fixed(int t, F v) {
    if (!open(t)) return;
    appendDecimalMantissa(out_, v.mantissa());
    out_ += '\x01';
  }
  void time(int t, WallNanos ts) {
    if (!open(t)) return;
    appendFixTimestamp(out_, ts);
    out_ += '\x01';
  }
  void finish() { flushBelow(INT_MAX); }

 private:
  void flushBelow(int t) {
    if (!details_) return;
    while (it_ != end_ && it_->getTag() < t) writeDetail();
  }
  void writeDetail() {
    out_ += it_->getFixString();
    auto g = details_->g_begin();
    for (; g != details_->g_end(); ++g)
      if (g->first == it_->getTag()) break;
    if (g != details_->g_end())
      for (const FIX::FieldMap* m : g->second) m->calculateString(out_);
    ++it_;
  }

  std::string& out_;
  const FIX::FieldMap* details_;
  FIX::FieldMap::const_iterator it_{}, end_{};
};

std::string_view orderIdOf(const ExecReport& r) {
  return r.orderId.empty() ? std::string_view("NONE") : std::string_view(r.orderId.str());
}

}  // namespace

void encodeExecReportBody(const ExecReport& r, FixVersion v, std::string& out) {
  // The details (rare: 526/583/parties/instrument/attributes) go through
  // writeOrderDetails into a scratch map, so their encoding has one home.
  thread_local FIX::FieldMap scratch;
  const FIX::FieldMap* details = nullptr;
  if (r.details) {
    scratch.clear();
    writeOrderDetails(scratch, *r.details, v);
    details = &scratch;
  }
  BodyWriter w(out, details);
  if (!r.account.empty()) w.str(tag::Account, r.account.str());
  w.fixed(tag::AvgPx, r.avgPx);
  w.str(tag::ClOrdID, r.clOrdId.str());
  w.fixed(tag::CumQty, r.cumQty);
  w.str(tag::ExecID, r.execId.str());
  if (v == FixVersion::Fix42) w.chr(tag::ExecTransType, toFixExecTransType(r.execType));
  if (r.lastMkt && !r.lastMkt->empty()) w.str(tag::LastMkt, r.lastMkt->str());
  w.fixed(tag::LastPx, r.lastPx);
  w.fixed(tag::LastQty, r.lastQty);
  w.str(tag::OrderID, orderIdOf(r));
  w.fixed(tag::OrderQty, r.orderQty);
  w.chr(tag::OrdStatus, toFixOrdStatus(r.ordStatus));
  w.chr(tag::OrdType, toFixOrdType(r.ordType));
  if (r.origClOrdId && !r.origClOrdId->empty()) w.str(tag::OrigClOrdID, r.origClOrdId->str());
  if (r.price) w.fixed(tag::Price, *r.price);
  w.chr(tag::Side, toFixSide(r.side));
  w.str(tag::Symbol, r.symbol.str());
  if (!r.text.empty()) w.str(tag::Text, r.text);
  w.chr(tag::TimeInForce, toFixTimeInForce(r.tif));
  w.time(tag::TransactTime,
         r.transactTime != 0 ? r.transactTime : SystemClock::instance().wallNow());
  if (r.stopPx) w.fixed(tag::StopPx, *r.stopPx);
  if (r.ordRejReason) w.num(tag::OrdRejReason, toFixOrdRejReason(*r.ordRejReason, v));
  w.chr(tag::ExecType, toFixExecType(r.execType, r.ordStatus, v));
  w.fixed(tag::LeavesQty, r.leavesQty);
  if (!r.massStatusReqId.empty()) w.str(tag::MassStatusReqID, r.massStatusReqId);
  if (!r.ordStatusReqId.empty() && v == FixVersion::Fix44)
    w.str(tag::OrdStatusReqID, r.ordStatusReqId);
  if (!r.massStatusReqId.empty()) {
    w.num(tag::TotNumReports, r.totNumReports);
    // 4.2 has no 35=AF: its answer carries the 4.4 tags as the gateway's extension.
    w.chr(tag::LastRptRequested, r.lastRptRequested ? 'Y' : 'N');
  }
  w.finish();
}

FIX::Message buildExecReportMessage(const ExecReport& r, FixVersion v,
                                    const std::string& onBehalfOf) {
  FIX::Message out;
  out.getHeader().setField(tag::MsgType, "8");
  if (!onBehalfOf.empty()) out.getHeader().setField(tag::OnBehalfOfCompID, onBehalfOf);
  if (r.possResend) out.getHeader().setField(tag::PossResend, "Y");
  out.setField(tag::OrderID, r.orderId.empty() ? "NONE" : r.orderId.str());
  out.setField(tag::ExecID, r.execId.str());
  out.setField(tag::ClOrdID, r.clOrdId.str());
  if (r.origClOrdId && !r.origClOrdId->empty())
    out.setField(tag::OrigClOrdID, r.origClOrdId->str());
  if (v == FixVersion::Fix42) {
    out.setField(tag::ExecTransType, std::string(1, toFixExecTransType(r.execType)));
  }
  out.setField(tag::ExecType, std::string(1, toFixExecType(r.execType, r.ordStatus, v)));
  out.setField(tag::OrdStatus, std::string(1, toFixOrdStatus(r.ordStatus)));
  if (!r.account.empty()) out.setField(tag::Account, r.account.str());
  out.setField(tag::Symbol, r.symbol.str());
  out.setField(tag::Side, std::string(1, toFixSide(r.side)));
  out.setField(tag::OrderQty, r.orderQty.str());
  out.setField(tag::OrdType, std::string(1, toFixOrdType(r.ordType)));
  if (r.price) out.setField(tag::Price, r.price->str());
  if (r.stopPx) out.setField(tag::StopPx, r.stopPx->str());
  out.setField(tag::TimeInForce, std::string(1, toFixTimeInForce(r.tif)));
  out.setField(tag::LastQty, r.lastQty.str());
  out.setField(tag::LastPx, r.lastPx.str());
  out.setField(tag::LeavesQty, r.leavesQty.str());
  out.setField(tag::CumQty, r.cumQty.str());
  out.setField(tag::AvgPx, r.avgPx.str());
  out.setField(
      tag::TransactTime,
      formatFixTimestamp(r.transactTime != 0 ? r.transactTime : SystemClock::instance().wallNow()));
  if (!r.text.empty()) out.setField(tag::Text, r.text);
  if (r.ordRejReason) {
    out.setField(tag::OrdRejReason, std::to_string(toFixOrdRejReason(*r.ordRejReason, v)));
  }
  if (r.lastMkt && !r.lastMkt->empty()) out.setField(tag::LastMkt, r.lastMkt->str());
  if (r.details) writeOrderDetails(out, *r.details, v);
  if (!r.ordStatusReqId.empty() && v == FixVersion::Fix44)
    out.setField(tag::OrdStatusReqID, r.ordStatusReqId);
  if (!r.massStatusReqId.empty()) {
    out.setField(tag::MassStatusReqID, r.massStatusReqId);
    out.setField(tag::TotNumReports, std::to_string(r.totNumReports));
    // 4.2 has no 35=AF: its answer carries the 4.4 tags as the gateway's extension.
    out.setField(tag::LastRptRequested, r.lastRptRequested ? "Y" : "N");
  }
  return out;
}

ExecReportSender::ExecReportSender() {
  msg_.getHeader().setField(tag::MsgType, "8");
  body_.reserve(512);
}

FIX::Message& ExecReportSender::prepare(const ExecReport& r, FixVersion v,
                                        const std::string& onBehalfOf) {
  FIX::Header& h = msg_.getHeader();
  if (onBehalfOf.empty())
    h.removeField(tag::OnBehalfOfCompID);
  else
    h.setField(tag::OnBehalfOfCompID, onBehalfOf);
  if (r.possResend)
    h.setField(tag::PossResend, "Y");
  else
    h.removeField(tag::PossResend);

  body_.clear();
  encodeExecReportBody(r, v, body_);
  // The body is "T=rest<SOH>": one field of tag T whose value is the rest, so
  // QuickFIX writes exactly these bytes and counts them into 9 and 10.
  const size_t eq = body_.find('=');
  int t = 0;
  std::from_chars(body_.data(), body_.data() + eq, t);
  const std::string_view value(body_.data() + eq + 1, body_.size() - eq - 2);
  FIX::FieldMap& body = msg_;
  if (bodyTag_ != t) {
    body.clear();
    body.setField(t, std::string(value));
    bodyTag_ = t;
  } else {
    // Assigned in place: the field's strings keep their capacity, nothing is allocated.
    thread_local std::string tmp;
    tmp.assign(value);
    body.begin()->setString(tmp);
  }
  return msg_;
}

}  // namespace fixgw::fix
