// ExecutionReport (35=8) bodies rendered straight from an ExecReport into
// bytes, without assembling a FIX::Message field by field (issue 15). The
// bytes are exactly what QuickFIX's Message::toString writes for the same
// report built field by field (buildExecReportMessage below, the reference
// the tests compare against, byte for byte, for FIX 4.2 and 4.4): ascending
// tag order, a repeating group right after its count field.
//
// The body goes to QuickFIX as ONE field of a reused message (ExecReportSender):
// QuickFIX still fills the header (49/56/34/52), computes 9 and 10, stores the
// message for resend and logs it, so sequencing, PossDup resends and the
// message log are QuickFIX's as before.
//
// Private to the acceptor. Thread-safety: encodeExecReportBody and
// buildExecReportMessage are pure; ExecReportSender is one per thread
// (thread_local in the acceptor).
#pragma once

#include <quickfix/Message.h>

#include <string>

#include "core/reports.h"
#include "fix_common/codes.h"

namespace fixgw::fix {

// Appends the body of r's ExecutionReport for version v to out: every field
// after the standard header and before CheckSum, each "tag=value<SOH>".
// Allocates nothing when r has no OrderDetails and out has the capacity.
void encodeExecReportBody(const ExecReport& r, FixVersion v, std::string& out);

// The same report as a FIX::Message built field by field (header 35=8, 115
// when onBehalfOf is set, 97 when r.possResend). The path taken when the fast
// one cannot be, and the reference for the encoder's tests.
FIX::Message buildExecReportMessage(const ExecReport& r, FixVersion v,
                                    const std::string& onBehalfOf = {});

// A FIX::Message reused for every report a thread sends: its body is the one
// pre-rendered field. Not thread-safe: one per sending thread.
class ExecReportSender {
 public:
  ExecReportSender();
  // The message to hand to FIX::Session::sendToTarget, its body set to r's.
  FIX::Message& prepare(const ExecReport& r, FixVersion v, const std::string& onBehalfOf);

 private:
  FIX::Message msg_;
  std::string body_;
  int bodyTag_ = 0;  // the tag of the body's one field in msg_, 0: none yet
};

}  // namespace fixgw::fix
