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

namespace {
// Per byte: true if COPY text needs it escaped (or, above 0x7F, checked as UTF-8).
struct CopyClasses {
  bool special[256];
};
constexpr CopyClasses makeCopyClasses(bool stxEtx) {
  CopyClasses c{};
  for (int b = 0; b < 256; ++b) {
    c.special[b] = b == 0 || b >= 0x80 || b == '\\' || b == '\t' || b == '\n' || b == '\r' ||
                   (stxEtx && (b == 0x02 || b == 0x03));
  }
  return c;
}
constexpr CopyClasses kCopyPlain = makeCopyClasses(false);
constexpr CopyClasses kCopyChunk = makeCopyClasses(true);
}  // namespace

void appendCopyText(std::string& out, std::string_view s, bool escapeStxEtx) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const bool* special = escapeStxEtx ? kCopyChunk.special : kCopyPlain.special;
  out.reserve(out.size() + s.size() + 8);
  // Plain ASCII needs no escape: copy it a run at a time (raw FIX is almost all plain; SOH is).
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size() && !special[static_cast<unsigned char>(s[j])]) ++j;
    if (j > i) {
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    const auto b = static_cast<unsigned char>(s[i]);
    if (b != 0 && b < 0x80) {
      switch (b) {
        case '\\':
          out += "\\\\";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        default:  // STX, ETX (escapeStxEtx): the text \x02 / \x03, backslash doubled for COPY
          out += "\\\\x0";
          out += static_cast<char>('0' + b);
      }
      ++i;
      continue;
    }
    const size_t n = validSequenceLength(s, i);
    if (n == 0) {
      // sanitizeUtf8's "\xNN", whose backslash COPY needs doubled.
      out += "\\\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
}

namespace {
// Per byte: true if the value needs a look (NUL, non-ASCII, and STX/ETX when asked).
constexpr CopyClasses makeRawClasses(bool stxEtx) {
  CopyClasses c{};
  for (int b = 0; b < 256; ++b)
    c.special[b] = b == 0 || b >= 0x80 || (stxEtx && (b == 2 || b == 3));
  return c;
}
constexpr CopyClasses kRawPlain = makeRawClasses(false);
constexpr CopyClasses kRawChunk = makeRawClasses(true);
}  // namespace

void appendSanitized(std::string& out, std::string_view s, bool escapeStxEtx) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const bool* special = escapeStxEtx ? kRawChunk.special : kRawPlain.special;
  out.reserve(out.size() + s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size() && !special[static_cast<unsigned char>(s[j])]) ++j;
    if (j > i) {
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = (b == 2 || b == 3) ? 0 : validSequenceLength(s, i);
    if (n == 0) {
      // sanitizeUtf8's "\xNN" (and the chunk separators' \x02 / \x03, the same spelling).
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
}

void appendIsoTimestamp(std::string& out, WallNanos t) {
  // int64 nanoseconds end in 2262, so only times before 1970 need the general formatter.
  if (t < 0) {
    out += formatIsoTimestamp(t);
    return;
  }
  const int64_t micros = t / 1'000;
  const int64_t secs = micros / 1'000'000;
  const auto us = static_cast<unsigned>(micros % 1'000'000);
  const int64_t days = secs / 86'400;
  const auto sod = static_cast<unsigned>(secs % 86'400);
  // Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
  const int64_t z = days + 719'468;
  const int64_t era = z / 146'097;
  const auto doe = static_cast<unsigned>(z - era * 146'097);
  const unsigned yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const auto year = static_cast<unsigned>(static_cast<int64_t>(yoe) + era * 400 + (month <= 2));
  char buf[27];
  auto put = [&buf](int at, unsigned v, int width) {
    for (int k = width - 1; k >= 0; --k) {
      buf[at + k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, year, 4);
  buf[4] = '-';
  put(5, month, 2);
  buf[7] = '-';
  put(8, day, 2);
  buf[10] = 'T';
  put(11, sod / 3'600, 2);
  buf[13] = ':';
  put(14, sod / 60 % 60, 2);
  buf[16] = ':';
  put(17, sod % 60, 2);
  buf[19] = '.';
  put(20, us, 6);
  buf[26] = 'Z';
  out.append(buf, sizeof buf);
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
