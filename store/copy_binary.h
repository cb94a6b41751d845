// The journal's bulk path in PostgreSQL's binary COPY format (COPY ... FROM STDIN (FORMAT
// binary)): rows are sent as the server stores them, so the server runs no text input function
// (numeric_in, timestamptz_in, COPY de-escaping) per field, and the writer escapes nothing.
// Issue 15: field parsing was about a tenth of the journal backend's CPU.
//
// Wire format (PostgreSQL docs, "COPY", Binary Format): a header (signature, flags, extension
// length), then per row an int16 field count and per field an int32 byte length (-1: NULL) and
// the value in the type's send/recv format, all integers big-endian; an int16 -1 ends the data.
// Values here:
//   text         the UTF-8 bytes, sanitized as sanitizeUtf8() does (the text path's rule)
//   int8 / int4  two's complement
//   numeric      a fixed-point mantissa with 8 decimals as base-10000 digits: ndigits, weight,
//                sign, dscale (the decimals appendDecimalMantissa() would print), digits
//   timestamptz  microseconds since 2000-01-01 00:00:00 UTC (nanoseconds floored)
//   jsonb        version byte 1, then the JSON text
//
// Thread-safety: pure functions on the caller's buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace fixgw::store::detail {

// The 19-byte header every binary COPY stream starts with, and the 2-byte trailer.
std::string_view binaryCopyHeader();
std::string_view binaryCopyTrailer();

// Appends one row's field count; the row's fields follow.
void binBeginRow(std::string& out, int16_t fields);
void binNull(std::string& out);
// Text, sanitized; empty stays an empty string.
void binText(std::string& out, std::string_view s);
// Empty text is NULL, as on the text paths.
void binTextOrNull(std::string& out, std::string_view s);
void binInt8(std::string& out, int64_t v);
void binInt4(std::string& out, int32_t v);
// A Fixed<> mantissa (value = m / 10^8) as numeric.
void binNumeric(std::string& out, int64_t mantissa);
void binTimestamptz(std::string& out, WallNanos t);
void binJsonb(std::string& out, std::string_view json);

// Reserves a field's length word and returns where it is; binEndField() fills it in once the
// value's bytes were appended (for values written piecewise, like a message-log chunk).
size_t binBeginField(std::string& out);
void binEndField(std::string& out, size_t at);

}  // namespace fixgw::store::detail
