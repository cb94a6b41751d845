// PgMessageStore against a real PostgreSQL (a schema of its own per test,
// migrated with store::migrate like the gateway does at start-up): sequence
// numbers, stored messages, creation time, reset and refresh, what survives a
// new store instance on the same session (a restart), errors as
// FIX::IOException / FIX::ConfigError without passwords, and reconnection.
#include "fix_acceptor/pg_message_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/migrate.h"
#include "tests/support/pg_test_env.h"

namespace fixgw::fix {
namespace {

using fixgw::testing::PgTestSchema;
using fixgw::testing::schemaDir;

int64_t micros(const FIX::UtcTimeStamp& t) {
  return static_cast<int64_t>(t.getTimeT()) * 1'000'000 + t.getNanosecond() / 1000;
}

// A message as QuickFIX would store it; the Text carries a Latin-1 byte on
// purpose (a FIX message is bytes, not necessarily UTF-8).
std::string msg(int seq, const std::string& text = "hello") {
  return "8=FIX.4.4\x01"
         "9=42\x01"
         "35=8\x01"
         "34=" +
         std::to_string(seq) +
         "\x01"
         "58=" +
         text +
         "\xE9\x01"
         "10=000\x01";
}

// Built piecewise: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
std::string peer(int i) {
  std::string s = "P";
  s += std::to_string(i);
  return s;
}

class PgMessageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store::migrate(db_.conninfo(), schemaDir()); }

  std::unique_ptr<PgMessageStore> open(const FIX::SessionID& id) {
    return std::make_unique<PgMessageStore>(db_.conninfo(), id);
  }
  std::string one(const std::string& sql) {
    auto rows = db_.query(sql);
    if (rows.size() != 1 || rows[0].size() != 1) return "<not one value>";
    return rows[0][0];
  }

  PgTestSchema db_;
  FIX::SessionID id_{"FIX.4.4", "FIXGW", "CLIENT1"};
};

TEST_F(PgMessageStoreTest, NewSessionStartsAtOneWithCreationTimeNowAndARow) {
  const int64_t before = micros(FIX::UtcTimeStamp());
  auto s = open(id_);
  const int64_t after = micros(FIX::UtcTimeStamp());
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 1);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 1);
  const int64_t created = micros(s->getCreationTime());
  EXPECT_GE(created, before);
  EXPECT_LE(created, after);
  EXPECT_EQ(PgMessageStore::sessionKey(id_), "FIX.4.4:FIXGW->CLIENT1");
  EXPECT_EQ(one("SELECT next_sender_seq || '/' || next_target_seq FROM fix_sessions "
                "WHERE session_key = 'FIX.4.4:FIXGW->CLIENT1'"),
            "1/1");
}

TEST_F(PgMessageStoreTest, GetReturnsTheStoredMessagesOfTheRangeInOrderByteForByte) {
  auto s = open(id_);
  for (int seq = 1; seq <= 5; ++seq) {
    EXPECT_TRUE(s->set(seq, msg(seq)));
    s->incrNextSenderMsgSeqNum();
  }
  std::vector<std::string> out;
  s->get(2, 4, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], msg(2));
  EXPECT_EQ(out[1], msg(3));
  EXPECT_EQ(out[2], msg(4));

  out.clear();
  s->get(4, 100, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], msg(5));

  out.clear();
  s->get(7, 9, out);
  EXPECT_TRUE(out.empty());
  s->get(4, 3, out);
  EXPECT_TRUE(out.empty());
}

TEST_F(PgMessageStoreTest, BinaryContentIncludingNulRoundTrips) {
  auto s = open(id_);
  const std::string withNul = std::string(
                                  "8=FIX.4.4\x01"
                                  "95=3\x01"
                                  "96=a") +
                              '\0' + "b\x01";
  s->set(1, withNul);
  std::vector<std::string> out;
  s->get(1, 1, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], withNul);
}

TEST_F(PgMessageStoreTest, SetReplacesTheMessageStoredUnderTheSameSeqNum) {
  auto s = open(id_);
  s->set(1, msg(1, "first"));
  s->set(1, msg(1, "second"));
  std::vector<std::string> out;
  s->get(1, 1, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], msg(1, "second"));
  EXPECT_EQ(one("SELECT count(*) FROM fix_messages"), "1");
}

TEST_F(PgMessageStoreTest, SetIsDurableWithTheNextSenderNumberBeforeItReturns) {
  auto s = open(id_);
  ASSERT_TRUE(s->set(1, msg(1)));
  // Seen from another connection, before QuickFIX's increment: the message
  // and the number the next message will use are committed.
  EXPECT_EQ(one("SELECT count(*) FROM fix_messages WHERE msg_seq_num = 1"), "1");
  EXPECT_EQ(one("SELECT next_sender_seq FROM fix_sessions"), "2");
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 1);  // not yet incremented by QuickFIX

  // A crash between set() and the increment: the restarted store does not
  // hand out 1 again (its message is stored; the peer will ask for it).
  auto restarted = open(id_);
  EXPECT_EQ(restarted->getNextSenderMsgSeqNum(), 2);

  s->incrNextSenderMsgSeqNum();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
  EXPECT_EQ(one("SELECT next_sender_seq FROM fix_sessions"), "2");
}

TEST_F(PgMessageStoreTest, IncrementWithoutSetIsWrittenThrough) {
  auto s = open(id_);
  s->incrNextSenderMsgSeqNum();  // PersistMessages=N: no set() before
  s->incrNextTargetMsgSeqNum();
  s->incrNextTargetMsgSeqNum();
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 3);
  EXPECT_EQ(one("SELECT next_sender_seq || '/' || next_target_seq FROM fix_sessions"), "2/3");
}

TEST_F(PgMessageStoreTest, EverythingSurvivesANewStoreInstanceOnTheSameSession) {
  FIX::UtcTimeStamp created;
  {
    auto s = open(id_);
    created = s->getCreationTime();
    s->set(1, msg(1));
    s->incrNextSenderMsgSeqNum();
    s->set(2, msg(2));
    s->incrNextSenderMsgSeqNum();
    s->setNextTargetMsgSeqNum(7);
    s->incrNextTargetMsgSeqNum();
  }
  auto s = open(id_);  // the "restart"
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 3);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 8);
  EXPECT_EQ(micros(s->getCreationTime()), micros(created));
  std::vector<std::string> out;
  s->get(1, 2, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], msg(1));
  EXPECT_EQ(out[1], msg(2));

  s->setNextSenderMsgSeqNum(42);
  EXPECT_EQ(open(id_)->getNextSenderMsgSeqNum(), 42);
}

TEST_F(PgMessageStoreTest, RefreshReloadsWhatTheDatabaseHolds) {
  auto a = open(id_);
  db_.exec(
      "UPDATE fix_sessions SET next_sender_seq = 10, next_target_seq = 20, "
      "creation_time = '2020-01-02 03:04:05.678901+00'");
  EXPECT_EQ(a->getNextSenderMsgSeqNum(), 1);  // served from memory until refreshed
  a->refresh();
  EXPECT_EQ(a->getNextSenderMsgSeqNum(), 10);
  EXPECT_EQ(a->getNextTargetMsgSeqNum(), 20);
  const FIX::UtcTimeStamp c = a->getCreationTime();
  EXPECT_EQ(c.getYear(), 2020);
  EXPECT_EQ(c.getMonth(), 1);
  EXPECT_EQ(c.getDay(), 2);
  EXPECT_EQ(c.getHour(), 3);
  EXPECT_EQ(c.getMinute(), 4);
  EXPECT_EQ(c.getSecond(), 5);
  EXPECT_EQ(c.getNanosecond(), 678901000u);
}

TEST_F(PgMessageStoreTest, ResetClearsMessagesAndSequenceNumbersAndRenewsCreationTime) {
  auto s = open(id_);
  db_.exec("UPDATE fix_sessions SET creation_time = '2020-01-02 00:00:00+00'");
  s->refresh();
  s->set(1, msg(1));
  s->incrNextSenderMsgSeqNum();
  s->setNextTargetMsgSeqNum(5);
  // Another session's messages are not touched.
  auto other = open(FIX::SessionID("FIX.4.4", "FIXGW", "CLIENT2"));
  other->set(1, msg(1));

  const int64_t before = micros(FIX::UtcTimeStamp());
  s->reset();
  const int64_t after = micros(FIX::UtcTimeStamp());

  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 1);
  EXPECT_EQ(s->getNextTargetMsgSeqNum(), 1);
  EXPECT_GE(micros(s->getCreationTime()), before);
  EXPECT_LE(micros(s->getCreationTime()), after);
  std::vector<std::string> out;
  s->get(1, 100, out);
  EXPECT_TRUE(out.empty());

  auto restarted = open(id_);
  EXPECT_EQ(restarted->getNextSenderMsgSeqNum(), 1);
  EXPECT_EQ(restarted->getNextTargetMsgSeqNum(), 1);
  EXPECT_EQ(micros(restarted->getCreationTime()), micros(s->getCreationTime()));
  EXPECT_EQ(one("SELECT count(*) FROM fix_messages WHERE session_key = 'FIX.4.4:FIXGW->CLIENT2'"),
            "1");
}

TEST_F(PgMessageStoreTest, SessionsAreKeyedByTheirFullIdIncludingTheQualifier) {
  FIX::SessionID plain("FIX.4.2", "FIXGW", "C");
  FIX::SessionID qualified("FIX.4.2", "FIXGW", "C", "Q2");
  auto a = open(plain);
  auto b = open(qualified);
  a->set(1, msg(1, "plain"));
  a->incrNextSenderMsgSeqNum();
  b->setNextTargetMsgSeqNum(9);
  EXPECT_EQ(a->getNextTargetMsgSeqNum(), 1);
  EXPECT_EQ(b->getNextSenderMsgSeqNum(), 1);
  std::vector<std::string> out;
  b->get(1, 10, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(one("SELECT string_agg(session_key || '=' || next_sender_seq || '/' || "
                "next_target_seq, ',' ORDER BY session_key) FROM fix_sessions"),
            "FIX.4.2:FIXGW->C=2/1,FIX.4.2:FIXGW->C:Q2=1/9");
}

TEST_F(PgMessageStoreTest, DatabaseErrorsThrowIOExceptionAndTheStoreRecovers) {
  auto s = open(id_);
  s->set(1, msg(1));
  s->incrNextSenderMsgSeqNum();
  db_.exec("ALTER TABLE fix_messages RENAME TO fix_messages_away");
  try {
    s->set(2, msg(2));
    FAIL() << "set() should have thrown";
  } catch (const FIX::IOException& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("FIX.4.4:FIXGW->CLIENT1"), std::string::npos) << what;
    EXPECT_NE(what.find("set"), std::string::npos) << what;
  }
  std::vector<std::string> out;
  EXPECT_THROW(s->get(1, 2, out), FIX::IOException);

  // Sequence numbers still come from the (reloaded) session row.
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 2);
  db_.exec("ALTER TABLE fix_messages_away RENAME TO fix_messages");
  EXPECT_TRUE(s->set(2, msg(2)));
  s->incrNextSenderMsgSeqNum();
  s->get(1, 2, out);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(s->getNextSenderMsgSeqNum(), 3);
}

TEST_F(PgMessageStoreTest, ADroppedConnectionIsReopenedAndTheWriteLands) {
  const std::string app = "fixstore_" + db_.schema();
  const bool uri = db_.conninfo().rfind("postgres", 0) == 0;
  const std::string conninfo =
      db_.conninfo() + (uri ? "&application_name=" : " application_name=") + app;
  PgMessageStore s(conninfo, id_);
  s.set(1, msg(1));
  s.incrNextSenderMsgSeqNum();
  const std::string pidBefore =
      one("SELECT pid FROM pg_stat_activity WHERE application_name = '" + app + "'");
  // Waits (up to 10 s) until the backend is gone.
  ASSERT_EQ(one("SELECT pg_terminate_backend(" + pidBefore + ", 10000)"), "t");

  EXPECT_TRUE(s.set(2, msg(2)));
  s.incrNextSenderMsgSeqNum();
  EXPECT_EQ(one("SELECT count(*) FROM fix_messages"), "2");
  EXPECT_EQ(one("SELECT next_sender_seq FROM fix_sessions"), "3");
  const std::string pidAfter =
      one("SELECT pid FROM pg_stat_activity WHERE application_name = '" + app + "'");
  EXPECT_NE(pidAfter, pidBefore);
}

TEST_F(PgMessageStoreTest, StoresOfDifferentSessionsWorkInParallel) {
  constexpr int kSessions = 4;
  constexpr int kMessages = 100;
  std::vector<std::unique_ptr<PgMessageStore>> stores;
  for (int i = 0; i < kSessions; ++i) {
    stores.push_back(open(FIX::SessionID("FIX.4.4", "FIXGW", peer(i))));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      try {
        for (int n = 0; n < kMessages; ++n) {
          auto& s = *stores[i];
          const int seq = s.getNextSenderMsgSeqNum();
          s.set(seq, msg(seq, peer(i)));
          s.incrNextSenderMsgSeqNum();
          s.incrNextTargetMsgSeqNum();
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < kSessions; ++i) {
    auto reopened = open(FIX::SessionID("FIX.4.4", "FIXGW", peer(i)));
    EXPECT_EQ(reopened->getNextSenderMsgSeqNum(), kMessages + 1);
    EXPECT_EQ(reopened->getNextTargetMsgSeqNum(), kMessages + 1);
    std::vector<std::string> out;
    reopened->get(1, kMessages, out);
    ASSERT_EQ(out.size(), static_cast<size_t>(kMessages));
    EXPECT_EQ(out[kMessages - 1], msg(kMessages, peer(i)));
  }
}

// ---- factory ----------------------------------------------------------------

TEST_F(PgMessageStoreTest, FactoryCreatesStoresForSessions) {
  PgMessageStoreFactory f(db_.conninfo());
  FIX::MessageStore* s = f.create(id_);
  ASSERT_NE(s, nullptr);
  s->setNextTargetMsgSeqNum(3);
  f.destroy(s);
  EXPECT_EQ(one("SELECT next_target_seq FROM fix_sessions"), "3");
}

TEST(PgMessageStoreFactoryTest, RefusesASchemaWithoutTheMigration) {
  PgTestSchema empty;  // not migrated
  try {
    PgMessageStoreFactory f(empty.conninfo());
    FAIL() << "expected FIX::ConfigError";
  } catch (const FIX::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("fix_sessions"), std::string::npos) << what;
    EXPECT_NE(what.find("0002_fix_session_store.sql"), std::string::npos) << what;
  }
}

TEST(PgMessageStoreFactoryTest, UnreachableDatabaseIsAConfigErrorWithoutThePassword) {
  try {
    PgMessageStoreFactory f(
        "host=127.0.0.1 port=1 dbname=x user=x password=hunter2 connect_timeout=5");
    FAIL() << "expected FIX::ConfigError";
  } catch (const FIX::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot connect"), std::string::npos) << what;
    EXPECT_NE(what.find("password=***"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
  EXPECT_THROW(PgMessageStoreFactory(""), FIX::ConfigError);
}

TEST(RedactConninfoTest, HidesPasswordsInEveryForm) {
  EXPECT_EQ(redactConninfo("host=h user=u password=s3cret dbname=d"),
            "host=h user=u password=*** dbname=d");
  EXPECT_EQ(redactConninfo("host=h password = 'a b\\' c' dbname=d"),
            "host=h password = *** dbname=d");
  EXPECT_EQ(redactConninfo("postgresql://u:s3cret@h:5432/d"), "postgresql://u:***@h:5432/d");
  EXPECT_EQ(redactConninfo("postgres://h/d?user=u&password=s3cret&sslmode=require"),
            "postgres://h/d?user=u&password=***&sslmode=require");
  EXPECT_EQ(redactConninfo("host=h user=u"), "host=h user=u");
}

}  // namespace
}  // namespace fixgw::fix
