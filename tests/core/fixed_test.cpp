#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/executor.h"
#include "core/fixed.h"

using namespace fixgw;

TEST(Fixed, ParsesFixStringsExactly) {
  EXPECT_EQ(Price::parse("100.25")->mantissa(), 10'025'000'000);
  EXPECT_EQ(Qty::parse("0.00000001")->mantissa(), 1);
  EXPECT_EQ(Qty::parse("7")->mantissa(), 700'000'000);
  EXPECT_EQ(Price::parse("-0.5")->mantissa(), -50'000'000);
  EXPECT_EQ(Price::parse(".5")->mantissa(), 50'000'000);
  EXPECT_EQ(Price::parse("5.")->mantissa(), 500'000'000);
  EXPECT_EQ(Price::parse("60000.00")->mantissa(), 6'000'000'000'000);
  EXPECT_EQ(Price::parse("1.000000000")->mantissa(), kOne);  // trailing zeros beyond scale
}

TEST(Fixed, RejectsWhatItCannotRepresentExactly) {
  EXPECT_FALSE(Qty::parse(""));
  EXPECT_FALSE(Qty::parse("-"));
  EXPECT_FALSE(Qty::parse("."));
  EXPECT_FALSE(Qty::parse("0.000000001"));  // 9 decimals
  EXPECT_FALSE(Qty::parse("1e5"));
  EXPECT_FALSE(Qty::parse("12a"));
  EXPECT_FALSE(Qty::parse(" 1"));
  EXPECT_FALSE(Qty::parse("1.2.3"));
  EXPECT_FALSE(Qty::parse("99999999999999999999"));  // overflows int64 at scale 8
  EXPECT_FALSE(Qty::parse("92233720368.54775808"));  // one past int64 max
  EXPECT_TRUE(Qty::parse("92233720368.54775807"));
}

TEST(Fixed, FormatsShortestExactDecimal) {
  EXPECT_EQ(Price::of("100.25").str(), "100.25");
  EXPECT_EQ(Price::of("100.2500").str(), "100.25");
  EXPECT_EQ(Qty::of("0.00000001").str(), "0.00000001");
  EXPECT_EQ(Qty::of("7").str(), "7");
  EXPECT_EQ(Price::of("-0.5").str(), "-0.5");
  EXPECT_EQ(Price{}.str(), "0");
}

TEST(Fixed, RoundTripsEveryScale) {
  for (const char* s : {"1", "0.1", "0.01", "0.001", "0.0001", "0.00001", "0.000001",
                        "0.0000001", "0.00000001", "123456.78901234", "-42.4200001"}) {
    EXPECT_EQ(Price::of(s).str(), s);
  }
}

TEST(Fixed, NotionalUses128BitsAndIsExact) {
  EXPECT_EQ(notional(Price::of("60000.00"), Qty::of("0.00000001")).str(), "0.0006");
  EXPECT_EQ(notional(Price::of("100.25"), Qty::of("1000000")).str(), "100250000");
  // 9e10 * 9e10 would overflow int64 mantissas; it saturates instead of wrapping.
  EXPECT_GT(notional(Price::of("90000000000"), Qty::of("90000000000")).mantissa(), 0);
}

TEST(Fixed, AveragePriceIsVolumeWeighted) {
  __int128 raw = rawProduct(Price::of("100.01"), Qty::of("100")) +
                 rawProduct(Price::of("100.02"), Qty::of("50"));
  // (10001 + 5001) / 150 = 100.01333333...
  EXPECT_EQ(averageFromRaw(raw, Qty::of("150")).str(), "100.01333333");
  EXPECT_EQ(averageFromRaw(0, Qty{}).str(), "0");
}

TEST(Fixed, MultipleOfStep) {
  EXPECT_TRUE(Price::of("100.25").isMultipleOf(Price::of("0.01")));
  EXPECT_FALSE(Price::of("100.255").isMultipleOf(Price::of("0.01")));
  EXPECT_TRUE(Qty::of("0.5").isMultipleOf(Qty::of("0.00000001")));
  EXPECT_FALSE(Qty::of("1.5").isMultipleOf(Qty::of("1")));
}

TEST(Fixed, PercentBands) {
  EXPECT_EQ(applyPercent(Price::of("100"), Price::of("10").mantissa(), true).str(), "110");
  EXPECT_EQ(applyPercent(Price::of("100"), Price::of("10").mantissa(), false).str(), "90");
  EXPECT_EQ(applyPercent(Price::of("60000"), Price::of("0.5").mantissa(), true).str(), "60300");
}

TEST(Clock, FixTimestampFormat) {
  // 2023-11-14T22:13:20.123Z
  WallNanos t = 1'700'000'000'123'456'789LL;
  EXPECT_EQ(formatFixTimestamp(t), "20231114-22:13:20.123");
  EXPECT_EQ(formatIsoTimestamp(t), "2023-11-14T22:13:20.123456Z");
}

TEST(EventLoop, ManualClockFiresTimersInOrderOnlyWhenDue) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<int> order;
  loop.postAfter(2'000, [&] { order.push_back(2); });
  loop.postAfter(1'000, [&] { order.push_back(1); });
  loop.post([&] { order.push_back(0); });
  EXPECT_EQ(loop.runDue(), 1u);
  clock.advance(1'000);
  loop.runDue();
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
  clock.advance(1'000);
  loop.runDue();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(EventLoop, ThreadedLoopRunsPostedTasksInOrder) {
  EventLoop loop;
  loop.start("t");
  std::vector<int> seen;
  for (int i = 0; i < 1000; ++i) loop.post([&seen, i] { seen.push_back(i); });
  loop.sync([] {});
  loop.stop();
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], i);
}

// fix.engine_inline (issue 15): tryRunInline runs work on the caller's thread
// holding the loop's token, only while the loop is idle.
TEST(EventLoopInline, RunsOnTheCallerWhenIdleAndDrainsWhatItPosted) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<int> order;
  // Off (the default): nothing runs, the caller posts as before.
  EXPECT_FALSE(loop.tryRunInline([&] { order.push_back(-1); }));
  EXPECT_TRUE(order.empty());
  loop.setInline(true);
  bool here = false;
  EXPECT_TRUE(loop.tryRunInline([&] {
    here = loop.runningHere();
    order.push_back(1);
    loop.post([&] { order.push_back(2); });  // runs after this work, before tryRunInline returns
    loop.postAfter(1'000, [&] { order.push_back(4); });
  }));
  EXPECT_TRUE(here);
  EXPECT_FALSE(loop.runningHere());
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  // Work already queued goes first: the caller must post behind it.
  loop.post([&] { order.push_back(3); });
  EXPECT_FALSE(loop.tryRunInline([&] { order.push_back(-1); }));
  loop.runDue();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  // From inside one of the loop's tasks: never inline (the task's work stays behind it).
  bool nested = true;
  loop.post([&] { nested = loop.tryRunInline([] {}); });
  loop.runDue();
  EXPECT_FALSE(nested);
  // A timer that is due by the time inline work runs is drained with it.
  clock.advance(1'000);
  EXPECT_TRUE(loop.tryRunInline([&] { order.push_back(5); }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 5, 4}));
  // A caller with more input behind this work (a FIX I/O thread mid-read) is declined.
  {
    EventLoop::MoreInputScope more(true);
    EXPECT_FALSE(loop.tryRunInline([&] { order.push_back(-1); }));
    EventLoop::MoreInputScope last(false);  // the read's last message
    EXPECT_TRUE(loop.tryRunInline([&] { order.push_back(6); }));
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 5, 4, 6}));
  // sync() from inside the loop's work runs at once instead of waiting for itself.
  bool synced = false;
  EXPECT_TRUE(loop.tryRunInline([&] { loop.sync([&] { synced = true; }); }));
  EXPECT_TRUE(synced);
}

TEST(EventLoopInline, ThreadedLoopAndInlinePostersNeverRunTwoTasksAtOnce) {
  EventLoop loop;
  loop.setInline(true);
  loop.start("t");
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> offLoop{0};
  long counter = 0;  // touched only by the loop's work: no lock, the token orders it
  std::atomic<int> inlined{0};
  auto work = [&] {
    if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
    if (!loop.runningHere()) offLoop.fetch_add(1);
    ++counter;
    inside.fetch_sub(1);
  };
  std::atomic<bool> ticking{true};
  std::function<void()> tick = [&] {
    work();
    if (ticking.load()) loop.postAfter(50'000, tick);
  };
  loop.post(tick);
  constexpr int kPerThread = 20'000;
  std::vector<std::vector<int>> seen(2);
  auto poster = [&](int who) {
    for (int i = 0; i < kPerThread; ++i) {
      auto task = [&, who, i] {
        work();
        seen[who].push_back(i);  // this poster's own order, as the loop ran it
        if (i % 7 == 0) loop.post(work);
      };
      if (loop.tryRunInline(task))
        inlined.fetch_add(1);
      else
        loop.post(task);
      if (i % 1000 == 0) std::this_thread::yield();
    }
  };
  std::thread a(poster, 0), b(poster, 1);
  a.join();
  b.join();
  ticking.store(false);
  loop.sync([] {});
  loop.stop();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(offLoop.load(), 0);
  for (const auto& s : seen) {
    ASSERT_EQ(s.size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) ASSERT_EQ(s[i], i);
  }
  EXPECT_GE(counter, 2L * kPerThread + 2 * (kPerThread / 7));
}

// A lost wake-up in the token hand-back (issue 15) shows as a task that sits
// queued while the loop thread sleeps and nobody holds the token. Here every
// poster waits for the answer to its own task before it sends the next one (one
// order in flight, as a W=1 FIX client), so nothing else comes along to wake the
// loop: a lost wake-up leaves a waiter without its answer, which the bounded wait
// turns into a failure (the bound is generous: it never decides a pass). The
// answers take the paths a venue's do: posted by the token holder (drained by an
// inline runner, or left for the loop thread), a timer armed by an inline runner
// while the loop thread is parked on an empty or a far timer queue, and posts from
// a thread that never runs inline (the journal's notifier, a venue thread).
namespace {
struct Answer {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  void set() {
    {
      std::lock_guard lk(mu);
      done = true;
    }
    cv.notify_one();
  }
  // False when the answer did not come within the bound.
  bool waitAndReset() {
    std::unique_lock lk(mu);
    const bool ok = cv.wait_for(lk, std::chrono::seconds(20), [&] { return done; });
    done = false;
    return ok;
  }
};

void pingPongUntilEveryAnswerArrives(int64_t spinNanos, bool farTimer) {
  EventLoop loop;
  loop.setInline(true);
  loop.setSpinNanos(spinNanos);
  loop.start("t");
  // A timer far away: the parked loop thread waits with a deadline instead of forever.
  if (farTimer) loop.postAfter(int64_t{3600} * 1'000'000'000, [] {});
  constexpr int kRounds = 20'000;
  std::atomic<int> lost{0};
  std::atomic<int> inlined{0};
  std::atomic<long> answered{0};
  // How the answer comes back, by round: 0 posted from the work, 1 a timer armed by the
  // work, 2 posted twice over (the answer's own post again), 3 posted from another thread,
  // 4 behind more posts than an inline runner drains (the rest is the loop thread's).
  std::mutex reqMu;
  std::condition_variable reqCv;
  std::deque<Answer*> requests;
  bool quit = false;
  std::thread notifier([&] {
    std::unique_lock lk(reqMu);
    for (;;) {
      reqCv.wait(lk, [&] { return quit || !requests.empty(); });
      if (requests.empty()) return;
      Answer* a = requests.front();
      requests.pop_front();
      lk.unlock();
      loop.post([a, &answered] {
        answered.fetch_add(1);
        a->set();
      });
      lk.lock();
    }
  });
  auto session = [&](int who) {
    Answer answer;
    for (int i = 0; i < kRounds; ++i) {
      const int mode = (i + who) % 5;
      auto work = [&, mode] {
        auto reply = [&] {
          answered.fetch_add(1);
          answer.set();
        };
        switch (mode) {
          case 0: loop.post(reply); break;
          case 1: loop.postAfter(1'000 + (i % 5) * 20'000, reply); break;
          case 2: loop.post([&loop, reply] { loop.post(reply); }); break;
          case 4:
            for (size_t k = 0; k < EventLoop::kMaxInlineDrain + 8; ++k) loop.post([] {});
            loop.post(reply);
            break;
          default: {
            std::lock_guard lk(reqMu);
            requests.push_back(&answer);
            reqCv.notify_one();
          }
        }
      };
      if (loop.tryRunInline(work))
        inlined.fetch_add(1);
      else
        loop.post(work);
      if (!answer.waitAndReset()) {
        lost.fetch_add(1);
        ADD_FAILURE() << "session " << who << ": no answer to round " << i << " (mode " << mode
                      << ") within 20 s: a wake-up was lost";
        break;
      }
    }
  };
  std::thread a(session, 0), b(session, 1);
  a.join();
  b.join();
  {
    std::lock_guard lk(reqMu);
    quit = true;
  }
  reqCv.notify_one();
  notifier.join();
  loop.stop();
  EXPECT_EQ(lost.load(), 0);
  EXPECT_EQ(answered.load(), 2L * kRounds);
  EXPECT_GT(inlined.load(), 0);  // the inline path was exercised at all
}
}  // namespace

TEST(EventLoopInline, OneTaskInFlightPerPosterAlwaysGetsItsAnswer) {
  pingPongUntilEveryAnswerArrives(0, false);
}

TEST(EventLoopInline, OneTaskInFlightPerPosterAlwaysGetsItsAnswerWithAFarTimer) {
  pingPongUntilEveryAnswerArrives(0, true);
}

TEST(EventLoopInline, OneTaskInFlightPerPosterAlwaysGetsItsAnswerWhileTheLoopSpins) {
  pingPongUntilEveryAnswerArrives(20'000, false);
}
