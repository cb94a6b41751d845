#include "store/sql_text.h"

#include <cstdint>
#include <regex>

#include "store/pg_journal.h"

namespace fixgw::store {

namespace detail {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid (overlong forms,
// surrogates and code points past U+10FFFF are invalid). NUL counts as invalid here.
size_t validSequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 == 0) return 0;
  if (b0 < 0x80) return 1;
  auto cont = [&](size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;   // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

bool isCleanUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = validSequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitizeUtf8(std::string_view s) {
  if (isCleanUtf8(s)) return std::string(s);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size();) {
    const size_t n = validSequenceLength(s, i);
    if (n == 0) {
      const auto b = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void appendQuoted(std::string& out, std::string_view s) {
  auto appendEscaped = [&out](std::string_view v) {
    out.reserve(out.size() + v.size() + 2);
    out += '\'';
    for (char c : v) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
  };
  if (isCleanUtf8(s)) {
    appendEscaped(s);
  } else {
    appendEscaped(sanitizeUtf8(s));
  }
}

void appendTimestamp(std::string& out, WallNanos t) {
  out += '\'';
  out += formatIsoTimestamp(t);
  out += "'::timestamptz";
}

}  // namespace detail

std::string redactConninfo(std::string_view conninfo) {
  // key=value form: password='quoted \' value' or password=bare; also matches the URI query
  // parameter form (?password=...&).
  static const std::regex kKeyValue(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*))",
                                    std::regex::icase);
  // URI form: postgresql://user:secret@host
  static const std::regex kUri(R"(((?:postgres|postgresql)://[^:/@\s]*:)[^@\s]*@)",
                               std::regex::icase);
  std::string s(conninfo);
  s = std::regex_replace(s, kKeyValue, "$1***");
  s = std::regex_replace(s, kUri, "$1***@");
  return s;
}

}  // namespace fixgw::store
