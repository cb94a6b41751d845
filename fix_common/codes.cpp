#include "fix_common/codes.h"

namespace fixgw::fix {

namespace {
// Every enum tag the gateway reads is a single character.
std::optional<char> single(std::string_view v) {
  if (v.size() != 1) return std::nullopt;
  return v[0];
}
}  // namespace

std::optional<FixVersion> versionFromBeginString(std::string_view b) {
  if (b == "FIX.4.2") return FixVersion::Fix42;
  if (b == "FIX.4.4") return FixVersion::Fix44;
  return std::nullopt;
}

std::optional<Side> convertSide(std::string_view v) {
  switch (single(v).value_or('\0')) {
    case '1':
      return Side::Buy;
    case '2':
      return Side::Sell;
    case '5':
      return Side::SellShort;
    default:
      return std::nullopt;
  }
}

std::optional<OrdType> convertOrdType(std::string_view v) {
  switch (single(v).value_or('\0')) {
    case '1':
      return OrdType::Market;
    case '2':
      return OrdType::Limit;
    case '3':
      return OrdType::Stop;
    case '4':
      return OrdType::StopLimit;
    default:
      return std::nullopt;
  }
}

std::optional<TimeInForce> convertTimeInForce(std::string_view v) {
  switch (single(v).value_or('\0')) {
    case '0':
      return TimeInForce::Day;
    case '1':
      return TimeInForce::Gtc;
    case '2':
      return TimeInForce::AtTheOpening;
    case '3':
      return TimeInForce::Ioc;
    case '4':
      return TimeInForce::Fok;
    case '6':
      return TimeInForce::GoodTillDate;
    default:
      return std::nullopt;
  }
}

std::optional<char> convertMassCancelRequestType(std::string_view v) {
  auto c = single(v);
  if (c == '1' || c == '7') return c;
  return std::nullopt;
}

char toFixSide(Side s) {
  switch (s) {
    case Side::Buy:
      return '1';
    case Side::Sell:
      return '2';
    case Side::SellShort:
      return '5';
  }
  return '1';
}

char toFixOrdType(OrdType t) {
  switch (t) {
    case OrdType::Market:
      return '1';
    case OrdType::Limit:
      return '2';
    case OrdType::Stop:
      return '3';
    case OrdType::StopLimit:
      return '4';
  }
  return '2';
}

char toFixTimeInForce(TimeInForce t) {
  switch (t) {
    case TimeInForce::Day:
      return '0';
    case TimeInForce::Gtc:
      return '1';
    case TimeInForce::Ioc:
      return '3';
    case TimeInForce::Fok:
      return '4';
    case TimeInForce::AtTheOpening:
      return '2';
    case TimeInForce::GoodTillDate:
      return '6';
  }
  return '0';
}

char toFixOrdStatus(OrdStatus s) {
  switch (s) {
    case OrdStatus::PendingNew:
      return 'A';
    case OrdStatus::New:
      return '0';
    case OrdStatus::PartiallyFilled:
      return '1';
    case OrdStatus::Filled:
      return '2';
    case OrdStatus::PendingCancel:
      return '6';
    case OrdStatus::Canceled:
      return '4';
    case OrdStatus::PendingReplace:
      return 'E';
    case OrdStatus::Rejected:
      return '8';
    case OrdStatus::Expired:
      return 'C';
  }
  return '8';
}

char toFixExecType(ExecType e, OrdStatus s, FixVersion v) {
  switch (e) {
    case ExecType::PendingNew:
      return 'A';
    case ExecType::New:
      return '0';
    case ExecType::Trade:
      if (v == FixVersion::Fix44) return 'F';
      return s == OrdStatus::Filled ? '2' : '1';
    case ExecType::PendingCancel:
      return '6';
    case ExecType::Canceled:
      return '4';
    case ExecType::PendingReplace:
      return 'E';
    case ExecType::Replaced:
      return '5';
    case ExecType::Rejected:
      return '8';
    case ExecType::Expired:
      return 'C';
    case ExecType::OrderStatus:
      return v == FixVersion::Fix44 ? 'I' : toFixOrdStatus(s);
  }
  return '8';
}

char toFixExecTransType(ExecType e) { return e == ExecType::OrderStatus ? '3' : '0'; }

int toFixOrdRejReason(OrdRejReason r, FixVersion v) {
  int code = static_cast<int>(r);
  if (v == FixVersion::Fix42 && code > 6) return 0;
  return code;
}

int toFixCxlRejReason(int reason, FixVersion v) {
  if (v == FixVersion::Fix42 && (reason < 0 || reason > 3)) return 2;
  return reason;
}

}  // namespace fixgw::fix
