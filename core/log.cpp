#include "core/log.h"

#include <spdlog/async.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <ctime>
#include <regex>

namespace fixgw::log {

namespace {

// orderFields() writes "<US>[session=S<RS> cl_ord_id=C<RS> order_id=O]<US> ": readable as is
// (a logger without these formatters shows "[session=S cl_ord_id=C order_id=O] ..."), and
// unambiguous, since the control bytes US/RS are replaced in the values.
constexpr char kStart = '\x1f';
constexpr char kSep = '\x1e';
constexpr std::string_view kOpen = "\x1f[session=";
constexpr std::string_view kClOrdId = "\x1e cl_ord_id=";
constexpr std::string_view kOrderId = "\x1e order_id=";
constexpr std::string_view kChildId = "\x1e child_id=";
constexpr std::string_view kVenue = "\x1e venue=";
constexpr std::string_view kClose = "]\x1f ";

struct Decoded {
  bool hasOrder = false;
  std::string_view session, clOrdId, orderId, childId, venue, text;
};

Decoded decode(std::string_view payload) {
  Decoded d;
  d.text = payload;
  if (payload.substr(0, kOpen.size()) != kOpen) return d;
  const size_t a = payload.find(kClOrdId, kOpen.size());
  const size_t b = a == std::string_view::npos ? a : payload.find(kOrderId, a);
  const size_t e = b == std::string_view::npos ? b : payload.find(kClose, b);
  if (e == std::string_view::npos) return d;
  d.hasOrder = true;
  d.session = payload.substr(kOpen.size(), a - kOpen.size());
  d.clOrdId = payload.substr(a + kClOrdId.size(), b - a - kClOrdId.size());
  d.orderId = payload.substr(b + kOrderId.size(), e - b - kOrderId.size());
  d.text = payload.substr(e + kClose.size());
  // The child part (orderFields' second form) sits after the OrderID; the
  // values cannot hold RS, so the first RS after it starts that part.
  if (const size_t c = d.orderId.find(kChildId); c != std::string_view::npos) {
    std::string_view rest = d.orderId.substr(c + kChildId.size());
    d.orderId = d.orderId.substr(0, c);
    const size_t v = rest.find(kVenue);
    d.childId = rest.substr(0, v);
    if (v != std::string_view::npos) d.venue = rest.substr(v + kVenue.size());
  }
  return d;
}

void appendField(std::string& out, std::string_view v) {
  for (char c : v) out.push_back(c == kStart || c == kSep ? '?' : c);
}

// Length of the valid UTF-8 sequence at s[i], 0 when it is not one.
size_t utf8Len(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 160);
    line += "{\"ts\":\"";
    line += isoTime(msg.time);
    line += "\",\"level\":\"";
    const auto lvl = spdlog::level::to_string_view(msg.level);
    line.append(lvl.data(), lvl.size());
    line += "\",\"logger\":";
    line += jsonQuote(std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    line += ",\"thread\":";
    line += std::to_string(msg.thread_id);
    const Decoded d = decode(std::string_view(msg.payload.data(), msg.payload.size()));
    if (d.hasOrder) {
      line += ",\"session\":" + jsonQuote(d.session);
      line += ",\"cl_ord_id\":" + jsonQuote(d.clOrdId);
      line += ",\"order_id\":" + jsonQuote(d.orderId);
      if (!d.childId.empty()) line += ",\"child_id\":" + jsonQuote(d.childId);
      if (!d.venue.empty()) line += ",\"venue\":" + jsonQuote(d.venue);
    }
    line += ",\"msg\":" + jsonQuote(d.text) + "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static std::string isoTime(spdlog::log_clock::time_point tp) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(us.count() / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(us.count() % 1'000'000));
    return buf;
  }
};

// spdlog's own pattern, with the order fields shown as a bracketed prefix.
class TextFormatter final : public spdlog::formatter {
 public:
  TextFormatter() : inner_(std::make_unique<spdlog::pattern_formatter>()) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const Decoded d = decode(std::string_view(msg.payload.data(), msg.payload.size()));
    if (!d.hasOrder) return inner_->format(msg, dest);
    std::string text = "[session=";
    text.append(d.session);
    text += " cl_ord_id=";
    text.append(d.clOrdId);
    text += " order_id=";
    text.append(d.orderId);
    if (!d.childId.empty()) {
      text += " child_id=";
      text.append(d.childId);
    }
    if (!d.venue.empty()) {
      text += " venue=";
      text.append(d.venue);
    }
    text += "] ";
    text.append(d.text);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(text.data(), text.size());
    inner_->format(copy, dest);
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }

 private:
  std::unique_ptr<spdlog::pattern_formatter> inner_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> makeJsonFormatter() { return std::make_unique<JsonFormatter>(); }
std::unique_ptr<spdlog::formatter> makeTextFormatter() { return std::make_unique<TextFormatter>(); }

std::string orderFields(std::string_view session, std::string_view clOrdId,
                        std::string_view orderId) {
  std::string out(kOpen);
  appendField(out, session);
  out.append(kClOrdId);
  appendField(out, clOrdId);
  out.append(kOrderId);
  appendField(out, orderId);
  out.append(kClose);
  return out;
}

std::string orderFields(std::string_view session, std::string_view clOrdId,
                        std::string_view orderId, std::string_view childId,
                        std::string_view venue) {
  std::string out(kOpen);
  appendField(out, session);
  out.append(kClOrdId);
  appendField(out, clOrdId);
  out.append(kOrderId);
  appendField(out, orderId);
  out.append(kChildId);
  appendField(out, childId);
  out.append(kVenue);
  appendField(out, venue);
  out.append(kClose);
  return out;
}

std::string jsonQuote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      // FIX's SOH (0x01) and other control bytes.
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (size_t n = utf8Len(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
      ++i;
    }
  }
  out.push_back('"');
  return out;
}

std::string maskConninfo(std::string_view conninfo) {
  // key=value form: a password key at the start or after a space (not a URI's "&password=").
  static const std::regex pw(R"((^|\s)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))",
                             std::regex::icase);
  static const std::regex uriPw(R"((://[^:/@\s]+:)[^@\s]+@)");
  static const std::regex uriParam(R"(([?&]password=)[^&\s]*)", std::regex::icase);
  std::string s = std::regex_replace(std::string(conninfo), pw, "$1$2***");
  s = std::regex_replace(s, uriPw, "$1***@");
  return std::regex_replace(s, uriParam, "$1***");
}

std::string maskSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    for (size_t p = text.find(secret); p != std::string::npos; p = text.find(secret, p + 3))
      text.replace(p, secret.size(), "***");
  }
  return text;
}

void install(const LogSetup& setup) {
  if (!spdlog::thread_pool()) spdlog::init_thread_pool(8192, 1);
  std::vector<spdlog::sink_ptr> sinks;
  if (setup.toStderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!setup.file.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        setup.file, setup.maxSizeBytes, setup.maxFiles));
  auto logger = std::make_shared<spdlog::async_logger>("fixgw", sinks.begin(), sinks.end(),
                                                       spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  logger->set_formatter(setup.json ? makeJsonFormatter() : makeTextFormatter());
  logger->set_level(spdlog::level::from_str(setup.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace fixgw::log
