// The gateway's logging (docs/operations.md, "Logs"): spdlog behind an async
// logger, as text or as one JSON object per line, to stderr and optionally to
// a size-rotated file. Order lines carry the order's session, ClOrdID and
// OrderID as fields of their own: the call site passes orderFields(...) as the
// first argument of a "{}..." format, which both formatters decode (JSON: keys
// "session", "cl_ord_id", "order_id", plus "child_id" and "venue" for a line
// about one child order; text: a "[session=... ...]" prefix).
// The fields travel inside the message, not in thread-local state, because the
// async logger formats on its own thread.
//
// Also the masking helpers that keep secrets (passwords in a libpq conninfo or
// a URL, tokens, API keys) out of log lines and error texts.
//
// Thread-safety: install() once at start-up (before other threads log);
// orderFields() and the mask functions are pure; the formatters are used by
// spdlog under its own locking.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fixgw::log {

struct LogSetup {
  std::string level = "info";                // trace, debug, info, warn, error, off
  std::string file;                          // empty: stderr only
  bool json = false;                         // "json" (one object per line) or "text"
  size_t maxSizeBytes = 100u * 1024 * 1024;  // rotate the file at this size
  size_t maxFiles = 5;                       // rotated files kept besides the current one
  bool toStderr = true;
};

// Installs the async "fixgw" logger as spdlog's default. Throws
// spdlog::spdlog_ex naming the file when it cannot be opened.
void install(const LogSetup& setup);

// A formatter for JSON lines, and one for text, both decoding orderFields().
std::unique_ptr<spdlog::formatter> makeJsonFormatter();
std::unique_ptr<spdlog::formatter> makeTextFormatter();

// The order fields of one log line; pass it as the first "{}" argument:
//   spdlog::warn("{}refusing ...", log::orderFields(session, clOrdId, orderId), ...)
std::string orderFields(std::string_view session, std::string_view clOrdId,
                        std::string_view orderId);
// The same for a line about one child order of it: also its child id and
// venue (either may be empty; an empty one is left out of the line).
std::string orderFields(std::string_view session, std::string_view clOrdId,
                        std::string_view orderId, std::string_view childId, std::string_view venue);

// "text" as a JSON string literal, quotes included; bytes that are not UTF-8 are
// escaped as \u00XX so the line stays valid JSON whatever a peer sent.
std::string jsonQuote(std::string_view text);

// "password=..." in a libpq conninfo (key=value or URI form) and "user:pass@" in a URL
// replaced by "***".
std::string maskConninfo(std::string_view conninfo);
// Every occurrence of each secret in text replaced by "***" (secrets shorter than 4
// characters are left alone: they would mask ordinary words).
std::string maskSecrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace fixgw::log
