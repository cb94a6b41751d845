// Internal helpers of the store module: turning engine values into SQL literal text and COPY
// text, and keeping secrets out of logs. Not part of the module's public API (tests use it
// directly).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"

namespace fixgw::store::detail {

// Makes s acceptable to a UTF8 database: valid UTF-8 passes through unchanged; each byte that is
// not part of a valid sequence, and NUL (which text columns cannot hold), becomes the four
// characters "\xNN". A raw FIX message with a Latin-1 Text(58) therefore still lands, readable,
// instead of poisoning its batch.
std::string sanitizeUtf8(std::string_view s);
// True when s is valid UTF-8 without NUL (the fast path of sanitizeUtf8).
bool isCleanUtf8(std::string_view s);

// Appends s as a standard-conforming SQL string literal ('...' with quotes doubled), sanitized.
// Requires standard_conforming_strings = on, which the store sets on every connection.
void appendQuoted(std::string& out, std::string_view s);
// Appends an ISO 8601 UTC literal with microseconds, cast to timestamptz.
void appendTimestamp(std::string& out, WallNanos t);

// COPY text format (the journal's bulk path): values go between tab separators, rows end in '\n',
// NULL is "\N".
//
// Appends s as one COPY text field: sanitized exactly as sanitizeUtf8() does, then backslash,
// tab, newline and carriage return escaped. One pass, no allocation for clean input.
// escapeStxEtx: STX and ETX (0x02, 0x03) are written as the text \x02 / \x03, as sanitizeUtf8()
// writes bytes that are not UTF-8 (the message log's chunk separators, schema 0008).
void appendCopyText(std::string& out, std::string_view s, bool escapeStxEtx = false);
// Appends s sanitized exactly as sanitizeUtf8() does, without any COPY escaping (the binary COPY
// path, store/copy_binary.h). escapeStxEtx: STX and ETX become the text \x02 / \x03, as in
// appendCopyText(). One pass, no allocation.
void appendSanitized(std::string& out, std::string_view s, bool escapeStxEtx = false);
// Appends t as formatIsoTimestamp() renders it (UTC, microseconds truncated), without quotes;
// times from 1970 on are formatted without going through gmtime/snprintf.
void appendIsoTimestamp(std::string& out, WallNanos t);

}  // namespace fixgw::store::detail
