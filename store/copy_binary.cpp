#include "store/copy_binary.h"

#include <cstring>

#include "store/sql_text.h"

namespace fixgw::store::detail {
namespace {

void put16(std::string& out, uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
  out.append(b, 2);
}
void put32(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xFF),
                     static_cast<char>((v >> 8) & 0xFF), static_cast<char>(v & 0xFF)};
  out.append(b, 4);
}
void put64(std::string& out, uint64_t v) {
  put32(out, static_cast<uint32_t>(v >> 32));
  put32(out, static_cast<uint32_t>(v & 0xFFFFFFFFu));
}

// 2000-01-01T00:00:00Z (PostgreSQL's timestamp epoch) in microseconds since 1970.
constexpr int64_t kPgEpochMicros = 946'684'800'000'000LL;

}  // namespace

std::string_view binaryCopyHeader() {
  // "PGCOPY\n\377\r\n\0", flags 0 (no OIDs), header extension length 0.
  static constexpr char kHeader[19] = {'P',  'G', 'C', 'O', 'P', 'Y', '\n', '\xFF', '\r', '\n',
                                       '\0', 0,   0,   0,   0,   0,   0,    0,      0};
  return {kHeader, sizeof kHeader};
}

std::string_view binaryCopyTrailer() {
  static constexpr char kTrailer[2] = {'\xFF', '\xFF'};
  return {kTrailer, sizeof kTrailer};
}

void binBeginRow(std::string& out, int16_t fields) { put16(out, static_cast<uint16_t>(fields)); }

void binNull(std::string& out) { put32(out, 0xFFFFFFFFu); }

size_t binBeginField(std::string& out) {
  const size_t at = out.size();
  out.append(4, '\0');
  return at;
}

void binEndField(std::string& out, size_t at) {
  const auto len = static_cast<uint32_t>(out.size() - at - 4);
  out[at] = static_cast<char>(len >> 24);
  out[at + 1] = static_cast<char>((len >> 16) & 0xFF);
  out[at + 2] = static_cast<char>((len >> 8) & 0xFF);
  out[at + 3] = static_cast<char>(len & 0xFF);
}

void binText(std::string& out, std::string_view s) {
  const size_t at = binBeginField(out);
  appendSanitized(out, s);
  binEndField(out, at);
}

void binTextOrNull(std::string& out, std::string_view s) {
  if (s.empty()) {
    binNull(out);
  } else {
    binText(out, s);
  }
}

void binInt8(std::string& out, int64_t v) {
  put32(out, 8);
  put64(out, static_cast<uint64_t>(v));
}

void binInt4(std::string& out, int32_t v) {
  put32(out, 4);
  put32(out, static_cast<uint32_t>(v));
}

void binNumeric(std::string& out, int64_t m) {
  // |m| without overflow for INT64_MIN.
  const uint64_t u = m < 0 ? (~static_cast<uint64_t>(m) + 1) : static_cast<uint64_t>(m);
  uint64_t ip = u / 100'000'000u;
  const auto fp = static_cast<uint32_t>(u % 100'000'000u);
  // Base-10000 digits, most significant first: the integer part's groups, then the eight
  // decimals as exactly two groups.
  uint16_t digits[8];
  int n = 0;
  uint16_t intGroups[6];
  int ni = 0;
  while (ip != 0) {
    intGroups[ni++] = static_cast<uint16_t>(ip % 10000);
    ip /= 10000;
  }
  for (int k = ni - 1; k >= 0; --k) digits[n++] = intGroups[k];
  digits[n++] = static_cast<uint16_t>(fp / 10000);
  digits[n++] = static_cast<uint16_t>(fp % 10000);
  int16_t weight = static_cast<int16_t>(ni - 1);
  // Leading zero groups (a value below 1) move the weight; trailing ones are dropped.
  int first = 0;
  while (first < n && digits[first] == 0) {
    ++first;
    --weight;
  }
  int last = n;
  while (last > first && digits[last - 1] == 0) --last;
  // The decimals appendDecimalMantissa() prints: 8 minus fp's trailing zeros, 0 when fp is 0.
  uint16_t dscale = 0;
  if (fp != 0) {
    uint32_t f = fp;
    dscale = 8;
    while (f % 10 == 0) {
      f /= 10;
      --dscale;
    }
  }
  const int nd = last - first;
  put32(out, static_cast<uint32_t>(8 + 2 * nd));
  put16(out, static_cast<uint16_t>(nd));
  put16(out, static_cast<uint16_t>(nd == 0 ? 0 : weight));
  put16(out, m < 0 && nd > 0 ? 0x4000 : 0x0000);
  put16(out, dscale);
  for (int k = first; k < last; ++k) put16(out, digits[k]);
}

void binTimestamptz(std::string& out, WallNanos t) {
  // Floor to microseconds (the text path truncates times after 1970, which is the same).
  const int64_t micros = t >= 0 ? t / 1'000 : -((-t + 999) / 1'000);
  put32(out, 8);
  put64(out, static_cast<uint64_t>(micros - kPgEpochMicros));
}

void binJsonb(std::string& out, std::string_view json) {
  const size_t at = binBeginField(out);
  out += '\x01';
  appendSanitized(out, json);
  binEndField(out, at);
}

}  // namespace fixgw::store::detail
