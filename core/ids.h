// Strong identifier types. Raw strings do not cross module boundaries: a
// ClOrdId cannot be passed where an OrderId is expected.
//
// Thread-safety: value types.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace fixgw {

template <class Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string v) : v_(std::move(v)) {}
  explicit StrongId(std::string_view v) : v_(v) {}
  explicit StrongId(const char* v) : v_(v) {}
  const std::string& str() const { return v_; }
  bool empty() const { return v_.empty(); }
  auto operator<=>(const StrongId&) const = default;
  bool operator==(const StrongId&) const = default;

 private:
  std::string v_;
};

template <class Tag>
std::ostream& operator<<(std::ostream& os, const StrongId<Tag>& id) {
  return os << id.str();
}

using ClOrdId = StrongId<struct ClOrdIdTag>;          // client's tag 11 / 41
using OrderId = StrongId<struct OrderIdTag>;          // ours, tag 37
using ExecId = StrongId<struct ExecIdTag>;            // ours, tag 17
using ChildOrderId = StrongId<struct ChildOrderIdTag>;  // ours, sent to the venue
using VenueOrderId = StrongId<struct VenueOrderIdTag>;  // the venue's id
using VenueExecId = StrongId<struct VenueExecIdTag>;    // the venue's fill id
using Account = StrongId<struct AccountTag>;          // tag 1
using Symbol = StrongId<struct SymbolTag>;            // tag 55 / instrument master key
using VenueId = StrongId<struct VenueIdTag>;          // venue name from config
// "BeginString:SenderCompID->TargetCompID" as QuickFIX prints a SessionID.
using SessionKey = StrongId<struct SessionKeyTag>;

}  // namespace fixgw

template <class Tag>
struct std::hash<fixgw::StrongId<Tag>> {
  size_t operator()(const fixgw::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
