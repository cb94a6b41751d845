// Conversion between FIX tag values and the gateway's version-free enums:
// one function per enum and direction, so every supported value is listed in
// exactly one place. Inbound conversions return nullopt for anything the
// gateway does not support; callers turn that into a reject naming the tag.
// Outbound conversions take the session's FIX version where 4.2 and 4.4
// differ (ExecType 150, ExecTransType 20, reason codes).
//
// No QuickFIX types: library fixgw_fix_common (fix_common/), used by the acceptor and by the
// FIX venue adapter (venue_adapters/fix), unit-testable on its own.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "core/reports.h"
#include "core/types.h"

namespace fixgw::fix {

enum class FixVersion { Fix42, Fix44 };

// "FIX.4.2" / "FIX.4.4"; nullopt for anything else.
std::optional<FixVersion> versionFromBeginString(std::string_view beginString);

std::optional<Side> convertSide(std::string_view tag54);
std::optional<OrdType> convertOrdType(std::string_view tag40);
std::optional<TimeInForce> convertTimeInForce(std::string_view tag59);
// Tag 530: '1' (by symbol) or '7' (all orders).
std::optional<char> convertMassCancelRequestType(std::string_view tag530);

char toFixSide(Side s);
char toFixOrdType(OrdType t);
char toFixTimeInForce(TimeInForce t);
char toFixOrdStatus(OrdStatus s);
// Tag 150. FIX 4.2 has no Trade (F) or OrderStatus (I): a trade is 1/2 from
// the order status, a status reply carries the order's status char.
char toFixExecType(ExecType e, OrdStatus s, FixVersion v);
// Tag 20, FIX 4.2 only: '3' (Status) for status replies, '0' (New) otherwise.
char toFixExecTransType(ExecType e);
// Tag 103. FIX 4.2 has no 99 (Other): it becomes 0 (Broker option).
int toFixOrdRejReason(OrdRejReason r, FixVersion v);
// Tag 102. FIX 4.2 defines only 0..3: anything else becomes 2 (Broker option).
int toFixCxlRejReason(int reason, FixVersion v);

}  // namespace fixgw::fix
