#include "apps/admin_fix.h"

#include <quickfix/Exceptions.h>
#include <quickfix/Session.h>
#include <quickfix/SessionID.h>

namespace fixgw::admin {

namespace {

// "FIX.4.4:FIXGW->CLIENT1" as QuickFIX prints a SessionID (no qualifier).
std::optional<FIX::SessionID> parseKey(const std::string& key) {
  auto colon = key.find(':');
  auto arrow = key.find("->");
  if (colon == std::string::npos || arrow == std::string::npos || arrow < colon)
    return std::nullopt;
  std::string begin = key.substr(0, colon);
  std::string sender = key.substr(colon + 1, arrow - colon - 1);
  std::string target = key.substr(arrow + 2);
  if (begin.empty() || sender.empty() || target.empty()) return std::nullopt;
  return FIX::SessionID(begin, sender, target);
}

}  // namespace

std::optional<FixSessionView> fixSessionView(const std::string& key) {
  auto id = parseKey(key);
  if (!id) return std::nullopt;
  FixSessionView v;
  v.key = key;
  FIX::Session* s = FIX::Session::lookupSession(*id);
  if (!s) return v;
  v.known = true;
  v.loggedOn = s->isLoggedOn();
  v.enabled = s->isEnabled();
  try {
    v.nextSenderSeq = s->getExpectedSenderNum();
    v.nextTargetSeq = s->getExpectedTargetNum();
  } catch (const FIX::IOException&) {
    // The store could not be read: leave 0, the rest is still worth showing.
  }
  return v;
}

std::string fixSessionAction(const std::string& key, const std::string& action, int senderSeq,
                             int targetSeq, const std::string& reason) {
  auto id = parseKey(key);
  if (!id) return "session key '" + key + "' is not <BeginString>:<Sender>-><Target>";
  FIX::Session* s = FIX::Session::lookupSession(*id);
  if (!s) return "no FIX session '" + key + "' in this gateway";
  try {
    if (action == "logon") {
      s->logon();
    } else if (action == "logout") {
      s->logout(reason);
    } else if (action == "reset") {
      s->reset();
    } else if (action == "sequence") {
      if (senderSeq < 0 || targetSeq < 0 || (senderSeq == 0 && targetSeq == 0))
        return "sequence needs next_sender_seq and/or next_target_seq, positive integers";
      if (senderSeq > 0) s->setNextSenderMsgSeqNum(senderSeq);
      if (targetSeq > 0) s->setNextTargetMsgSeqNum(targetSeq);
    } else {
      return "unknown session action '" + action + "' (logon, logout, reset, sequence)";
    }
  } catch (const FIX::IOException& e) {
    return "session store error: " + std::string(e.what());
  }
  return {};
}

}  // namespace fixgw::admin
