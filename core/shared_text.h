// An immutable byte string shared by reference count: an inbound FIX message
// is copied ONCE, off the socket, and that one buffer is what the command, the
// order row, the RECEIVED event and the raw message log all hold (issue 15).
// Copying a SharedText copies a pointer, never the bytes.
//
// Reads like a const std::string (it converts to one and to a string_view),
// so code that only reads the text needs no change. An empty text holds no
// buffer at all.
//
// Thread-safety: immutable once built; copies may be made, read and dropped
// on any threads at once (std::shared_ptr's counting).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace fixgw {

class SharedText {
 public:
  SharedText() = default;
  // Takes the bytes (one copy when s is an lvalue, none when it is moved in).
  SharedText(std::string s)  // NOLINT: implicit, so assigning a string still works
      : p_(s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s))) {}
  SharedText(const char* s) : SharedText(std::string(s)) {}  // NOLINT

  const std::string& str() const { return p_ ? *p_ : emptyString(); }
  operator const std::string&() const { return str(); }  // NOLINT
  operator std::string_view() const { return str(); }    // NOLINT
  bool empty() const { return !p_ || p_->empty(); }
  size_t size() const { return p_ ? p_->size() : 0; }
  const char* data() const { return str().data(); }
  size_t find(std::string_view s, size_t pos = 0) const { return str().find(s, pos); }
  void clear() { p_.reset(); }
  // True when both hold the same buffer (not merely equal bytes).
  bool sharesBufferWith(const SharedText& o) const { return p_ && p_ == o.p_; }

  friend bool operator==(const SharedText& a, const SharedText& b) { return a.str() == b.str(); }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.str() == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.str() == b; }
  friend std::string operator+(std::string a, const SharedText& b) { return a += b.str(); }
  friend std::string operator+(const char* a, const SharedText& b) { return a + b.str(); }

 private:
  static const std::string& emptyString() {
    static const std::string e;
    return e;
  }
  std::shared_ptr<const std::string> p_;
};

}  // namespace fixgw
