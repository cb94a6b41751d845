// Strong identifier types. Raw strings do not cross module boundaries: a
// ClOrdId cannot be passed where an OrderId is expected.
//
// Storage (issue 15): an id is copied many times per order (the order's
// state, its index, every journal record and report), so copying one must not
// allocate. An id of up to kInlineIdBytes bytes (std::string's small buffer)
// is held inline; a longer one (a session key "FIX.4.4:FIXGW->LOAD44", most
// ClOrdIDs) is held as ONE immutable buffer shared by reference count, so a
// copy is a counter increment, never a new string. Values never change after
// construction, which is what makes sharing them safe.
//
// Thread-safety: value types. Copies of one id may be made, read and dropped
// on any threads at once (std::shared_ptr's counting); one object is not
// assigned from two threads at once.
#pragma once

#include <compare>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>

namespace fixgw {

// Longest id kept inline: what libstdc++'s std::string holds without a heap buffer.
inline constexpr size_t kInlineIdBytes = 15;

// Kinds of id with few distinct values that are built again and again from
// text (a session key per inbound message): their long values are interned,
// so building one from text that was seen before allocates nothing.
template <class Tag>
inline constexpr bool kInternedId = false;

namespace detail {
// The interned buffer for v, or null when the table is full (a bound, so text
// from outside cannot grow it without limit; the caller then allocates).
// Thread-safe (a mutex; held for one hash lookup).
inline std::shared_ptr<const std::string> internIdText(std::string_view v) {
  constexpr size_t kMaxInterned = 4096;
  static std::mutex mu;
  static std::unordered_map<std::string_view, std::shared_ptr<const std::string>> table;
  std::lock_guard lk(mu);
  if (auto it = table.find(v); it != table.end()) return it->second;
  if (table.size() >= kMaxInterned) return nullptr;
  auto p = std::make_shared<const std::string>(v);
  table.emplace(std::string_view(*p), p);  // the key views the buffer the table keeps alive
  return p;
}
}  // namespace detail

template <class Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string v) {
    if (v.size() <= kInlineIdBytes)
      v_.template emplace<0>(std::move(v));
    else if (!intern(v))
      v_ = std::make_shared<const std::string>(std::move(v));
  }
  explicit StrongId(std::string_view v) {
    if (v.size() <= kInlineIdBytes)
      v_.template emplace<0>(v);
    else if (!intern(v))
      v_ = std::make_shared<const std::string>(v);
  }
  explicit StrongId(const char* v) : StrongId(std::string_view(v)) {}

  // An id of another kind with the same text, sharing its buffer (a child
  // order's id as the OrderId of its journal row): no copy of the bytes.
  template <class OtherTag>
  static StrongId sharing(const StrongId<OtherTag>& o) {
    StrongId r;
    if (o.v_.index() == 0)
      r.v_.template emplace<0>(std::get<0>(o.v_));
    else
      r.v_ = std::get<1>(o.v_);
    return r;
  }

  const std::string& str() const {
    if (v_.index() == 0) return std::get<0>(v_);
    const auto& p = std::get<1>(v_);
    return p ? *p : emptyString();
  }
  bool empty() const { return str().empty(); }
  // True when both hold the same shared buffer (not merely equal text); for tests.
  template <class OtherTag>
  bool sharesBufferWith(const StrongId<OtherTag>& o) const {
    return v_.index() == 1 && o.v_.index() == 1 && std::get<1>(v_) &&
           std::get<1>(v_) == std::get<1>(o.v_);
  }

  friend bool operator==(const StrongId& a, const StrongId& b) { return a.str() == b.str(); }
  friend std::strong_ordering operator<=>(const StrongId& a, const StrongId& b) {
    return a.str().compare(b.str()) <=> 0;
  }

 private:
  template <class>
  friend class StrongId;
  bool intern(std::string_view v) {
    if constexpr (kInternedId<Tag>) {
      if (auto p = detail::internIdText(v)) {
        v_ = std::move(p);
        return true;
      }
    }
    return false;
  }
  static const std::string& emptyString() {
    static const std::string e;
    return e;
  }
  // 0: the text inline (short); 1: a shared immutable buffer (long).
  std::variant<std::string, std::shared_ptr<const std::string>> v_;
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
// Interned: a gateway has a handful of sessions and builds the key per message.
struct SessionKeyTag;
template <>
inline constexpr bool kInternedId<SessionKeyTag> = true;
using SessionKey = StrongId<SessionKeyTag>;

}  // namespace fixgw

template <class Tag>
struct std::hash<fixgw::StrongId<Tag>> {
  size_t operator()(const fixgw::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
