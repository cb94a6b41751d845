// Strong ids (core/ids.h): short values inline, long values in one shared
// buffer that copies share, session keys interned; value semantics (equality,
// order, hash) the same whichever way an id is held.
#include "core/ids.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace fixgw {
namespace {

const std::string kLong = "FIX.4.4:FIXGW->LOAD44";  // 21 bytes: longer than the inline buffer

TEST(Ids, ShortIdIsInlineAndCopiesAreEqual) {
  ClOrdId a("LG123456789");
  ClOrdId b = a;
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.str(), "LG123456789");
  EXPECT_FALSE(a.sharesBufferWith(b));  // inline: nothing to share
}

TEST(Ids, CopiesOfALongIdShareOneBuffer) {
  ClOrdId a(std::string("LGabcdefgh1234567890"));
  ClOrdId b = a;
  ClOrdId c;
  c = b;
  EXPECT_TRUE(a.sharesBufferWith(b));
  EXPECT_TRUE(a.sharesBufferWith(c));
  EXPECT_EQ(c.str(), "LGabcdefgh1234567890");
  // Built again from the same text: equal, but its own buffer (ClOrdIDs are not interned).
  ClOrdId d{std::string_view("LGabcdefgh1234567890")};
  EXPECT_EQ(a, d);
  EXPECT_FALSE(a.sharesBufferWith(d));
}

TEST(Ids, BoundaryLengthsRoundTrip) {
  for (size_t n :
       {size_t{0}, size_t{1}, kInlineIdBytes - 1, kInlineIdBytes, kInlineIdBytes + 1, size_t{64}}) {
    const std::string text(n, 'x');
    OrderId fromString{std::string(text)}, fromView{std::string_view(text)},
        fromChars{text.c_str()};
    EXPECT_EQ(fromString.str(), text) << n;
    EXPECT_EQ(fromView.str(), text) << n;
    EXPECT_EQ(fromChars.str(), text) << n;
    EXPECT_EQ(fromString.empty(), n == 0) << n;
  }
}

TEST(Ids, MovedFromIdIsEmptyAndTheMoveKeepsTheText) {
  OrderId a(std::string(30, 'q'));
  OrderId b = std::move(a);
  EXPECT_EQ(b.str(), std::string(30, 'q'));
  OrderId c(std::string("short"));
  OrderId d = std::move(c);
  EXPECT_EQ(d.str(), "short");
  OrderId e;
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.str(), "");
}

TEST(Ids, EqualityOrderAndHashFollowTheTextWhateverTheStorage) {
  const std::string longA = "AAAAAAAAAAAAAAAAAAAA1", longB = "AAAAAAAAAAAAAAAAAAAA2";
  OrderId s1("abc"), s2("abd"), l1(longA), l2(longB), l1again{std::string_view(longA)};
  EXPECT_LT(s1, s2);
  EXPECT_LT(l1, l2);
  EXPECT_EQ(s2 < l1, std::string("abd") < longA);
  EXPECT_EQ(l1, l1again);
  EXPECT_NE(l1, l2);
  EXPECT_EQ(std::hash<OrderId>{}(l1), std::hash<OrderId>{}(l1again));
  EXPECT_EQ(std::hash<OrderId>{}(l1), std::hash<std::string>{}(longA));
  std::map<OrderId, int> m{{l2, 2}, {s1, 0}, {l1, 1}};
  std::vector<std::string> order;
  for (const auto& [k, v] : m) order.push_back(k.str());
  EXPECT_EQ(order, (std::vector<std::string>{longA, longB, "abc"}));  // byte order: A < a
  std::unordered_set<OrderId> set{l1, l1again, s1};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Ids, SharingGivesAnotherKindTheSameBuffer) {
  ChildOrderId child(std::string("mi4abcdefg-C1234567"));
  OrderId asOrder = OrderId::sharing(child);
  EXPECT_EQ(asOrder.str(), child.str());
  EXPECT_TRUE(asOrder.sharesBufferWith(child));
  ChildOrderId shortChild("P1-C3");
  EXPECT_EQ(ClOrdId::sharing(shortChild).str(), "P1-C3");
  EXPECT_TRUE(OrderId::sharing(ChildOrderId()).empty());
}

TEST(Ids, SessionKeysAreInterned) {
  SessionKey a(std::string("FIX.4.4:FIXGW->LOAD44"));
  SessionKey b{std::string_view(kLong)};
  SessionKey c(kLong.c_str());
  EXPECT_TRUE(a.sharesBufferWith(b));
  EXPECT_TRUE(a.sharesBufferWith(c));
  SessionKey other(std::string("FIX.4.2:FIXGW->LOAD42"));
  EXPECT_NE(a, other);
  EXPECT_FALSE(a.sharesBufferWith(other));
}

TEST(Ids, CopiesMadeAndDroppedOnSeveralThreadsAtOnce) {
  const ClOrdId shared(std::string(40, 'z'));
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&shared] {
      for (int i = 0; i < 20000; ++i) {
        ClOrdId c = shared;
        SessionKey k(kLong);
        ASSERT_EQ(c.str().size(), 40u);
        ASSERT_EQ(k.str(), kLong);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(shared.str(), std::string(40, 'z'));
}

}  // namespace
}  // namespace fixgw
