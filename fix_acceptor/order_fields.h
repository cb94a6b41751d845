// The standard order fields beyond the basic terms (issue 14), read from and
// written to QuickFIX field maps for either FIX version: SecondaryClOrdID
// (526), ClOrdLinkID (583), Parties (453; FIX 4.2 ClientID 109 / ExecBroker
// 76), the Instrument fields the gateway resolves (167, 200, 201, 202, 15,
// 207), and the order attributes (18, 110, 111, 126/432, 528/47, 114, 77).
// Also the checks that refuse, naming the tag and value, what would change an
// order's meaning in a way the gateway cannot honour (docs/rules-of-engagement.md).
//
// Private to the acceptor. Thread-safety: pure functions.
#pragma once

#include <quickfix/FieldMap.h>
#include <quickfix/Group.h>

#include <optional>
#include <string>
#include <variant>

#include "core/clock.h"
#include "core/fixed.h"
#include "core/order_details.h"
#include "core/types.h"
#include "fix_common/codes.h"

namespace fixgw::fix {

// A value the acceptor's own checks refused: the tag and a sentence for Text.
struct FieldError {
  int tag = 0;
  std::string text;
};

// The terms the details are checked against.
struct OrderTerms {
  OrdType ordType = OrdType::Limit;
  TimeInForce tif = TimeInForce::Day;
  Qty qty;
  WallNanos now = 0;  // ExpireTime must lie after it
  // An algo parent (TargetStrategy sent): EffectiveTime (168) may lie in the
  // future (its start) and ExpireTime (126) needs no GTD (its end).
  bool algo = false;
};

// Reads every acted-on standard field of a 35=D / 35=G. nullptr when the
// message carries none (the common case allocates nothing).
std::variant<OrderDetailsPtr, FieldError> readOrderDetails(const FIX::FieldMap& m, FixVersion v,
                                                           const OrderTerms& t);

// Fields of D/G the gateway refuses, whatever their value, or for values it
// cannot honour (pegging, discretion, cash quantity, a delayed start, ...).
std::optional<FieldError> checkUnhonourable(const FIX::FieldMap& m);

// The execution-algorithm fields (docs/algos.md) as strings: FIX 4.4's
// TargetStrategy (847), ParticipationRate (849), StrategyParameters (957:
// 958/959/960), FIX 4.2's 8847 / 8849 / 8957 (8958/8959/8960), and 168, 126,
// 111, 110, 44. nullopt when no TargetStrategy is sent; an error for a
// strategy field without one, or the other version's tags.
std::variant<std::optional<AlgoOrderFields>, FieldError> readAlgoFields(const FIX::FieldMap& m,
                                                                        FixVersion v,
                                                                        OrdType ordType);

// Parties of any message (the AF's party filter): the first PartyID (448) of
// 453, or 4.2's ClientID (109).
std::optional<std::string> firstPartyId(const FIX::FieldMap& m, FixVersion v);

// Echoes the details on an outbound ExecutionReport, as the version allows
// (526/583/453/528 only in 4.4; 109/76/47 in 4.2).
void writeOrderDetails(FIX::FieldMap& out, const OrderDetails& d, FixVersion v);

}  // namespace fixgw::fix
