// The drop-copy pump on its own, with the journal and the FIX session faked at its edges:
// how the mark moves when a session drops mid-batch, when the database fails, and which
// reports carry PossResend after a crash. The end-to-end behaviour over real FIX sessions and
// PostgreSQL is in drop_copy_test.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "fix_acceptor/drop_copy.h"

using namespace fixgw;
using fixgw::fix::DropCopyMark;
using fixgw::fix::DropCopyPump;
using fixgw::fix::JournaledReport;

namespace {

const SessionKey kDc("FIX.4.4:FIXGW->DC1");

// A journal of reports with event ids 1..n, all selected.
class FakeSource final : public fix::DropCopySource {
 public:
  explicit FakeSource(int n) : n_(n) {}
  DropCopyMark loadMark(const SessionKey&) override {
    std::lock_guard lk(mu);
    return mark;
  }
  void markSending(const SessionKey&, int64_t upto) override {
    std::lock_guard lk(mu);
    mark.sendingUpto = upto;
  }
  void markDelivered(const SessionKey&, int64_t id) override {
    std::lock_guard lk(mu);
    if (failDelivered > 0) {
      --failDelivered;
      throw std::runtime_error("drop copy: SQL error");
    }
    if (id < mark.delivered) throw std::logic_error("the mark went backwards");
    mark.delivered = id;
  }
  std::vector<JournaledReport> reportsAfter(int64_t after, const fix::DropCopySelection&,
                                            size_t limit) override {
    std::lock_guard lk(mu);
    if (failReads > 0) {
      --failReads;
      throw std::runtime_error("drop copy: PostgreSQL connection lost");
    }
    std::vector<JournaledReport> out;
    for (int64_t id = after + 1; id <= n_ && out.size() < limit; ++id) {
      JournaledReport r;
      r.eventId = id;
      r.source = SessionKey("FIX.4.4:FIXGW->CLIENT1");
      std::string x = "X";  // (not "X" + to_string(): GCC 12 -Wrestrict false positive)
      x += std::to_string(id);
      r.report.execId = ExecId(x);
      out.push_back(r);
    }
    return out;
  }
  void grow(int n) {
    std::lock_guard lk(mu);
    n_ = n;
  }

  std::mutex mu;
  DropCopyMark mark;
  int failReads = 0;
  int failDelivered = 0;

 private:
  int64_t n_;
};

// Records what was sent; refuses (the session dropped) once `refuseAfter` copies went out.
class FakeSender final : public fix::DropCopySender {
 public:
  bool sendCopy(const SessionKey&, const ExecReport& r, const SessionKey& source) override {
    std::lock_guard lk(mu_);
    if (refuseAfter >= 0 && static_cast<int>(sent.size()) >= refuseAfter) return false;
    EXPECT_EQ(source.str(), "FIX.4.4:FIXGW->CLIENT1");
    sent.push_back(r.execId.str() + (r.possResend ? "+PossResend" : ""));
    cv_.notify_all();
    return true;
  }
  // Waits (bounded, not a timing assertion) until n copies went out.
  bool waitSent(size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(10), [&] { return sent.size() >= n; });
  }
  std::vector<std::string> copy() {
    std::lock_guard lk(mu_);
    return sent;
  }
  void setRefuseAfter(int n) {
    std::lock_guard lk(mu_);
    refuseAfter = n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> sent;
  int refuseAfter = -1;
};

fix::DropCopyConfig config(size_t batch) {
  fix::DropCopyConfig c;
  c.sessions.push_back({kDc, {}});
  c.pollMs = 10;
  c.batchSize = batch;
  return c;
}

std::vector<std::string> ids(int from, int to, const char* suffix = "") {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) {
    std::string x = "X";  // (not "X" + to_string(): GCC 12 -Wrestrict false positive)
    x += std::to_string(i);
    x += suffix;
    out.push_back(x);
  }
  return out;
}

// Waits until the pump's delivered mark reaches id (bounded).
bool waitDelivered(DropCopyPump& p, int64_t id) {
  for (int i = 0; i < 1000 && p.delivered(kDc) < id; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return p.delivered(kDc) >= id;
}

}  // namespace

TEST(DropCopyPump, SendsNothingBeforeLogonThenTheBacklogInOrder) {
  FakeSource src(7);
  FakeSender snd;
  DropCopyPump pump(config(3), src);
  pump.setSender(&snd);
  pump.start();
  pump.poke();
  pump.dropCopyLoggedOn(kDc);
  ASSERT_TRUE(snd.waitSent(7));
  ASSERT_TRUE(waitDelivered(pump, 7));
  pump.stop();
  EXPECT_EQ(snd.copy(), ids(1, 7)) << "batches of 3 follow each other without a gap";
  EXPECT_EQ(src.mark.delivered, 7);
  EXPECT_EQ(src.mark.sendingUpto, 7);
}

TEST(DropCopyPump, ASessionThatDropsMidBatchResumesAfterTheLastCopySent) {
  FakeSource src(6);
  FakeSender snd;
  snd.setRefuseAfter(4);
  DropCopyPump pump(config(10), src);
  pump.setSender(&snd);
  pump.start();
  pump.dropCopyLoggedOn(kDc);
  ASSERT_TRUE(waitDelivered(pump, 4));
  pump.dropCopyLoggedOut(kDc);
  EXPECT_EQ(src.mark.delivered, 4) << "the mark stops at the last copy QuickFIX took";
  EXPECT_EQ(src.mark.sendingUpto, 6);
  src.grow(8);
  snd.setRefuseAfter(-1);
  pump.dropCopyLoggedOn(kDc);
  ASSERT_TRUE(snd.waitSent(8));
  ASSERT_TRUE(waitDelivered(pump, 8));
  pump.stop();
  EXPECT_EQ(snd.copy(), ids(1, 8)) << "nothing skipped, nothing twice, no PossResend in one life";
}

TEST(DropCopyPump, ADatabaseFailureIsRetriedWithoutLossOrDuplicates) {
  FakeSource src(5);
  src.failReads = 2;
  FakeSender snd;
  DropCopyPump pump(config(2), src);
  pump.setSender(&snd);
  pump.start();
  pump.dropCopyLoggedOn(kDc);
  ASSERT_TRUE(snd.waitSent(5));
  ASSERT_TRUE(waitDelivered(pump, 5));
  pump.stop();
  EXPECT_EQ(snd.copy(), ids(1, 5));
}

TEST(DropCopyPump, TheCrashWindowFoundAtStartGoesOutWithPossResend) {
  FakeSource src(6);
  src.mark = DropCopyMark{2, 4};  // a previous life sent up to 4 but recorded only 2
  FakeSender snd;
  DropCopyPump pump(config(10), src);
  pump.setSender(&snd);
  pump.start();
  pump.dropCopyLoggedOn(kDc);
  ASSERT_TRUE(snd.waitSent(4));
  ASSERT_TRUE(waitDelivered(pump, 6));
  pump.stop();
  std::vector<std::string> want = ids(3, 4, "+PossResend");
  for (const auto& s : ids(5, 6)) want.push_back(s);
  EXPECT_EQ(snd.copy(), want);
}

// The copies went out but recording it failed: they go out again, flagged, and then the
// stream goes on.
TEST(DropCopyPump, CopiesSentButNotRecordedAreSentAgainWithPossResend) {
  FakeSource src(3);
  src.failDelivered = 1;
  FakeSender snd;
  DropCopyPump pump(config(10), src);
  pump.setSender(&snd);
  pump.start();
  pump.dropCopyLoggedOn(kDc);
  ASSERT_TRUE(snd.waitSent(6));
  ASSERT_TRUE(waitDelivered(pump, 3));
  src.grow(4);
  pump.poke();
  ASSERT_TRUE(snd.waitSent(7));
  pump.stop();
  std::vector<std::string> want = ids(1, 3);
  for (const auto& x : ids(1, 3, "+PossResend")) want.push_back(x);
  want.push_back("X4");
  EXPECT_EQ(snd.copy(), want);
}
