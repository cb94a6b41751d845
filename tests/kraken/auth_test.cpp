// Kraken signing against the example in Kraken's Spot REST authentication
// guide, and the durable nonce.
#include "venue_adapters/kraken/auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

using namespace fixgw;
using namespace fixgw::kraken;

namespace {

// Kraken's documented example: a limit buy of 1.25 XBTUSD at 37500.
constexpr const char* kDocSecret =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
constexpr const char* kDocNonce = "1616492376594";
constexpr const char* kDocBody =
    "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
constexpr const char* kDocSign =
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";

TEST(KrakenAuth, SignatureMatchesKrakensDocumentedExample) {
  auto s = apiSign("/0/private/AddOrder", kDocNonce, kDocBody, kDocSecret);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, kDocSign);
}

TEST(KrakenAuth, VerifyAcceptsTheExampleAndRefusesAnyChange) {
  EXPECT_TRUE(verifyApiSign("/0/private/AddOrder", kDocNonce, kDocBody, kDocSecret, kDocSign));
  EXPECT_FALSE(
      verifyApiSign("/0/private/AddOrder", "1616492376595", kDocBody, kDocSecret, kDocSign));
  EXPECT_FALSE(verifyApiSign("/0/private/CancelOrder", kDocNonce, kDocBody, kDocSecret, kDocSign));
  std::string body = kDocBody;
  body.back() = '6';  // volume=1.26
  EXPECT_FALSE(verifyApiSign("/0/private/AddOrder", kDocNonce, body, kDocSecret, kDocSign));
}

TEST(KrakenAuth, ASecretThatIsNotBase64IsRefused) {
  EXPECT_FALSE(apiSign("/0/private/AddOrder", kDocNonce, kDocBody, "not base64!").has_value());
  EXPECT_FALSE(base64Decode("abc").has_value());
}

TEST(KrakenAuth, Base64RoundTrips) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = base64Decode(base64Encode(s));
    if (s.empty()) {
      EXPECT_FALSE(d.has_value());
      continue;
    }
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(*d, s);
  }
}

class NonceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("fixgw-kraken-nonce-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    file = (dir / "nonce").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
  std::string file;
  ManualClock clock{1'700'000'000'000'000'000LL};  // frozen: only the file moves nonces on
};

TEST_F(NonceFileTest, NoncesStrictlyIncreaseAndTheMarkIsPersistedAheadOfThem) {
  NonceSource n(file, clock, 100);
  uint64_t a = n.next(), b = n.next(), c = n.next();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  std::ifstream in(file);
  uint64_t mark = 0;
  in >> mark;
  EXPECT_GT(mark, c) << "the durable mark is above every nonce handed out";
}

TEST_F(NonceFileTest, ARestartNeverReusesANonceEvenWithTheClockBehind) {
  uint64_t lastBefore = 0;
  {
    NonceSource n(file, clock, 10);
    for (int i = 0; i < 25; ++i) lastBefore = n.next();  // crosses several reservations
  }
  // Same (frozen) clock after the "crash": only the file can keep us above.
  NonceSource again(file, clock, 10);
  EXPECT_GT(again.next(), lastBefore);
}

TEST_F(NonceFileTest, JumpMovesPastAndPersists) {
  uint64_t first = 0;
  {
    NonceSource n(file, clock, 10);
    first = n.next();
    n.jump(1'000'000);
  }
  NonceSource again(file, clock, 10);
  EXPECT_GT(again.next(), first + 1'000'000);
}

TEST_F(NonceFileTest, AGarbledFileIsAnErrorNamingIt) {
  std::ofstream(file) << "12ab\n";
  try {
    NonceSource n(file, clock, 10);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
}

}  // namespace
