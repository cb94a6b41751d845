// fixgw's append-only FIX session store (fix_acceptor/append_store.h) against
// the real file system: what QuickFIX asks of a store, what survives a new
// instance (a gateway restart), one record per message, torn and corrupt files.
#include "fix_acceptor/append_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fixgw::fix {
namespace {

class AppendStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("fixgw_append_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<AppendFileStore> open() {
    return std::make_unique<AppendFileStore>(dir_.string(), id_);
  }
  std::string file() const { return (dir_ / AppendFileStore::fileName(id_)).string(); }
  std::string contents() const {
    std::ifstream in(file(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void appendRaw(const std::string& bytes) const {
    std::ofstream out(file(), std::ios::binary | std::ios::app);
    out << bytes;
  }
  static std::vector<std::string> get(const AppendFileStore& s, int b, int e) {
    std::vector<std::string> out;
    s.get(b, e, out);
    return out;
  }
  // What QuickFIX does for every message it sends.
  static void send(AppendFileStore& s, const std::string& msg) {
    s.set(s.getNextSenderMsgSeqNum(), msg);
    s.incrNextSenderMsgSeqNum();
  }

  std::filesystem::path dir_;
  FIX::SessionID id_{"FIX.4.4", "FIXGW", "CLIENT1"};
};

TEST_F(AppendStoreTest, NewSessionStartsAtOneWithCreationTimeNow) {
  const FIX::UtcTimeStamp before;
  auto s = open();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 1);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 1);
  const FIX::UtcTimeStamp created = s->getCreationTime();
  EXPECT_GE(created.getTimeT(), before.getTimeT());
  EXPECT_LE(created.getTimeT(), FIX::UtcTimeStamp().getTimeT());
  EXPECT_EQ(contents().rfind("FIXGW-SESSION-LOG 1\nC ", 0), 0u) << contents();
  EXPECT_EQ(std::filesystem::path(s->path()).filename(), "FIX.4.4-FIXGW-CLIENT1.fixlog");
}

TEST_F(AppendStoreTest, FileNamesCarryTheQualifierAndNothingUnsafe) {
  EXPECT_EQ(AppendFileStore::fileName(FIX::SessionID("FIX.4.2", "GW", "C/../X", "q 1")),
            "FIX.4.2-GW-C_.._X-q_1.fixlog");
}

TEST_F(AppendStoreTest, GetReturnsTheRangeInOrderByteForByteSkippingUnknownNumbers) {
  auto s = open();
  const std::string binary("8=FIX.4.4\0019=5\00135=0\001\n58=a\nb\0\xff\001", 30);
  send(*s, "first");
  send(*s, binary);
  send(*s, "");
  send(*s, "fourth");
  EXPECT_EQ(get(*s, 1, 4), (std::vector<std::string>{"first", binary, "", "fourth"}));
  EXPECT_EQ(get(*s, 2, 3), (std::vector<std::string>{binary, ""}));
  EXPECT_EQ(get(*s, 4, 100), (std::vector<std::string>{"fourth"}));
  EXPECT_TRUE(get(*s, 5, 9).empty());
  EXPECT_TRUE(get(*s, 3, 2).empty());
}

TEST_F(AppendStoreTest, SendingAMessageAppendsExactlyOneRecord) {
  auto s = open();
  const std::string start = contents();
  send(*s, "8=FIX.4.4\0019=1\001");
  EXPECT_EQ(contents(), start + "M 1 14\n8=FIX.4.4\0019=1\001\n");
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
  s->incrNextTargetMsgSeqNum();
  EXPECT_EQ(contents(), start + "M 1 14\n8=FIX.4.4\0019=1\001\nT 2\n");
}

TEST_F(AppendStoreTest, EverythingSurvivesANewInstance) {
  FIX::UtcTimeStamp created;
  {
    auto s = open();
    created = s->getCreationTime();
    for (int i = 1; i <= 50; ++i) send(*s, "msg-" + std::to_string(i));
    for (int i = 0; i < 7; ++i) s->incrNextTargetMsgSeqNum();
  }
  auto s = open();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 51);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 8);
  EXPECT_EQ(s->getCreationTime().getTimeT(), created.getTimeT());
  EXPECT_EQ(s->getCreationTime().getNanosecond() / 1000, created.getNanosecond() / 1000);
  const auto all = get(*s, 1, 50);
  ASSERT_EQ(all.size(), 50u);
  EXPECT_EQ(all[0], "msg-1");
  EXPECT_EQ(all[49], "msg-50");
  send(*s, "msg-51");
  EXPECT_EQ(get(*open(), 51, 51), std::vector<std::string>{"msg-51"});
}

TEST_F(AppendStoreTest, SetWithoutIncrementStillNeverReusesTheNumberAfterARestart) {
  {
    auto s = open();
    send(*s, "one");
    s->set(2, "two, sent as the process died");  // no increment: the crash came first
    EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
  }
  auto s = open();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 3);
  EXPECT_EQ(get(*s, 2, 2), std::vector<std::string>{"two, sent as the process died"});
}

TEST_F(AppendStoreTest, ExplicitSequenceNumbersIncludingLoweringThemAreReplayed) {
  {
    auto s = open();
    for (int i = 0; i < 10; ++i) send(*s, "m");
    s->setNextSenderMsgSeqNum(5);
    s->setNextTargetMsgSeqNum(42);
    send(*s, "replacing five");
  }
  auto s = open();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 6);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 42);
  EXPECT_EQ(get(*s, 5, 5), std::vector<std::string>{"replacing five"});
}

TEST_F(AppendStoreTest, AFarSequenceNumberIsStoredWithoutFillingTheGap) {
  {
    auto s = open();
    s->setNextSenderMsgSeqNum(2'000'000'000);
    send(*s, "far");
  }
  auto s = open();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2'000'000'001);
  EXPECT_EQ(get(*s, 2'000'000'000, 2'000'000'000), std::vector<std::string>{"far"});
  EXPECT_TRUE(get(*s, 1, 10).empty());
}

TEST_F(AppendStoreTest, ResetEmptiesTheFileAndRenewsTheCreationTime) {
  FIX::UtcTimeStamp first;
  {
    auto s = open();
    first = s->getCreationTime();
    send(*s, "old");
    s->incrNextTargetMsgSeqNum();
    ::usleep(2000);
    s->reset();
    EXPECT_EQ(s->getNextSenderMsgSeqNum(), 1);
    EXPECT_EQ(s->getNextTargetMsgSeqNum(), 1);
    EXPECT_TRUE(get(*s, 1, 1).empty());
    EXPECT_GT(s->getCreationTime(), first);
    send(*s, "new");
  }
  EXPECT_EQ(contents().find("old"), std::string::npos);
  auto s = open();
  EXPECT_EQ(get(*s, 1, 1), std::vector<std::string>{"new"});
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
  EXPECT_GT(s->getCreationTime(), first);
}

TEST_F(AppendStoreTest, ATornLastRecordIsDroppedAndTheFileCutBackToTheLastWholeOne) {
  {
    auto s = open();
    send(*s, "whole");
  }
  const std::string good = contents();
  for (const std::string& torn : {std::string("M 2 100\npartial body"), std::string("M 2 1"),
                                  std::string("T 3"), std::string("M 2 3\nabc")}) {
    appendRaw(torn);
    auto s = open();
    EXPECT_EQ(contents(), good) << "torn tail: " << torn;
    EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
    EXPECT_EQ(s->getNextTargetMsgSeqNum(), 1);
  }
  auto s = open();
  send(*s, "after");
  EXPECT_EQ(get(*open(), 1, 2), (std::vector<std::string>{"whole", "after"}));
}

TEST_F(AppendStoreTest, CorruptionInsideTheFileRefusesToOpenAndNamesTheOffset) {
  {
    auto s = open();
    send(*s, "one");
  }
  const std::string good = contents();
  appendRaw("X 1\n");
  appendRaw("M 2 1\nb\n");
  try {
    open();
    FAIL() << "a corrupt store opened";
  } catch (const FIX::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file()), std::string::npos) << what;
    EXPECT_NE(what.find("byte " + std::to_string(good.size())), std::string::npos) << what;
    EXPECT_NE(what.find("unknown record type 'X'"), std::string::npos) << what;
  }
  EXPECT_EQ(contents(), good + "X 1\nM 2 1\nb\n") << "the file must be left for an operator";
}

TEST_F(AppendStoreTest, AFileOfSomethingElseIsRefused) {
  appendRaw("20261122-09:00:00\n");
  EXPECT_THROW(open(), FIX::ConfigError);
}

TEST_F(AppendStoreTest, RefreshReloadsTheFile) {
  auto s = open();
  send(*s, "a");
  {
    auto other = open();
    send(*other, "b");
    other->setNextTargetMsgSeqNum(9);
  }
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
  s->refresh();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 3);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 9);
  EXPECT_EQ(get(*s, 2, 2), std::vector<std::string>{"b"});
}

TEST_F(AppendStoreTest, FactoryCreatesTheFolderAndOneFilePerSession) {
  const auto sub = dir_ / "a" / "b";
  AppendFileStoreFactory f(sub.string());
  FIX::MessageStore* s1 = f.create(FIX::SessionID("FIX.4.4", "FIXGW", "C1"));
  FIX::MessageStore* s2 = f.create(FIX::SessionID("FIX.4.2", "FIXGW", "C1"));
  s1->set(1, "x");
  f.destroy(s1);
  f.destroy(s2);
  EXPECT_TRUE(std::filesystem::exists(sub / "FIX.4.4-FIXGW-C1.fixlog"));
  EXPECT_TRUE(std::filesystem::exists(sub / "FIX.4.2-FIXGW-C1.fixlog"));
}

TEST_F(AppendStoreTest, AnUnwritableFolderIsAConfigError) {
  const auto blocker = dir_ / "file";
  std::ofstream(blocker) << "x";
  EXPECT_THROW(AppendFileStoreFactory((blocker / "sub").string()), FIX::ConfigError);
}

}  // namespace
}  // namespace fixgw::fix
