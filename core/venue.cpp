#include "core/venue.h"

#include "core/commands.h"

namespace fixgw {

const char* toString(VenueEventKind k) {
  switch (k) {
    case VenueEventKind::Accepted: return "ACCEPTED";
    case VenueEventKind::Rejected: return "REJECTED";
    case VenueEventKind::Fill: return "FILL";
    case VenueEventKind::Canceled: return "CANCELED";
    case VenueEventKind::Replaced: return "REPLACED";
    case VenueEventKind::Expired: return "EXPIRED";
    case VenueEventKind::CancelRejected: return "CANCEL_REJECTED";
    case VenueEventKind::ReplaceRejected: return "REPLACE_REJECTED";
    case VenueEventKind::Disconnected: return "DISCONNECTED";
    case VenueEventKind::Reconnected: return "RECONNECTED";
  }
  return "?";
}

const CommandHeader& header(const Command& c) {
  return std::visit([](const auto& x) -> const CommandHeader& { return x.hdr; }, c);
}

}  // namespace fixgw
