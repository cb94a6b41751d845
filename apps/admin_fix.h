// FIX session state and control for the admin API, through QuickFIX's
// process-wide session registry (FIX::Session::lookupSession), so the
// acceptor needs no admin code of its own. This header includes no QuickFIX.
//
// Thread-safety: QuickFIX's Session methods used here lock internally; call
// from any thread while the acceptor runs.
#pragma once

#include <optional>
#include <string>

namespace fixgw::admin {

struct FixSessionView {
  std::string key;     // "FIX.4.4:FIXGW->CLIENT1"
  bool known = false;  // QuickFIX has the session (the acceptor runs)
  bool loggedOn = false;
  bool enabled = false;   // accepts a Logon (false after an admin logout)
  int nextSenderSeq = 0;  // MsgSeqNum of our next message
  int nextTargetSeq = 0;  // MsgSeqNum we expect next from the client
};

// nullopt when the key is not "<BeginString>:<Sender>-><Target>".
std::optional<FixSessionView> fixSessionView(const std::string& key);

// action: "logon" (accept logons again), "logout" (send Logout with reason
// and refuse logons until "logon"), "reset" (Logout, both sequence numbers
// back to 1), "sequence" (set the next sender and/or target MsgSeqNum; 0
// leaves one unchanged). Returns an error text, empty on success.
std::string fixSessionAction(const std::string& key, const std::string& action, int senderSeq,
                             int targetSeq, const std::string& reason);

}  // namespace fixgw::admin
