// HandoffQueue (router/handoff_queue.h): the FIFO behind Engine::submit and
// Engine::onVenueEvent. Each task takes its own value by number; order is
// kept through the clear-when-empty and the compaction under a queue that
// never empties, and with producers on several threads; a value whose task
// was dropped never goes to another task.
#include "router/handoff_queue.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fixgw::router {
namespace {

// Pushes v; returns the number its task would get.
template <class T>
uint64_t push(HandoffQueue<T>& q, T v) {
  uint64_t seq = 0;
  q.push(std::move(v), [&](uint64_t s) { seq = s; });
  return seq;
}

TEST(HandoffQueue, EachTaskTakesItsOwnValue) {
  HandoffQueue<std::string> q;
  const uint64_t a = push<std::string>(q, "a"), b = push<std::string>(q, "b");
  EXPECT_EQ(q.take(a), "a");
  const uint64_t c = push<std::string>(q, "c");
  EXPECT_EQ(q.take(b), "b");
  EXPECT_EQ(q.take(c), "c");
  EXPECT_EQ(q.size(), 0u);
  const uint64_t d = push<std::string>(q, "d");  // after the vector was emptied and cleared
  EXPECT_GT(d, c);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.take(d), "d");
  EXPECT_FALSE(q.take(d));  // taken already
}

TEST(HandoffQueue, AValueWhoseTaskWasDroppedIsDroppedNotHandedOn) {
  HandoffQueue<std::string> q;
  push<std::string>(q, "lost");  // its task never runs
  const uint64_t next = push<std::string>(q, "next");
  EXPECT_EQ(q.take(next), "next");
  EXPECT_EQ(q.size(), 0u);
}

TEST(HandoffQueue, KeepsOrderWhenItNeverEmpties) {
  // Always a few values behind: the taken prefix is compacted away now and
  // then, and nothing is lost or reordered by it.
  HandoffQueue<std::string> q;
  std::vector<uint64_t> seqs;
  int pushed = 0, taken = 0;
  for (int i = 0; i < 5; ++i) seqs.push_back(push(q, std::to_string(pushed++)));
  for (int round = 0; round < 10000; ++round) {
    seqs.push_back(push(q, std::to_string(pushed++)));
    ASSERT_EQ(q.take(seqs[taken]), std::to_string(taken));
    ++taken;
  }
  EXPECT_EQ(q.size(), 5u);
  while (taken < pushed) {
    ASSERT_EQ(q.take(seqs[taken]), std::to_string(taken));
    ++taken;
  }
}

TEST(HandoffQueue, ProducersOnSeveralThreadsPostInNumberOrder) {
  // Three producers push at once while a consumer takes what was posted, in
  // posting order (as a loop runs its tasks): every value arrives, each
  // producer's in its own order, none dropped as "older than its task".
  HandoffQueue<int> q;
  constexpr int kPer = 20000;
  std::mutex postedMu;
  std::vector<uint64_t> posted;  // the "loop": task numbers in posting order
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i)
        q.push(t * kPer + i, [&](uint64_t s) {
          std::lock_guard lk(postedMu);
          posted.push_back(s);
        });
    });
  std::vector<int> last(3, -1);
  size_t next = 0;
  int got = 0;
  while (got < 3 * kPer) {
    uint64_t seq = 0;
    {
      std::lock_guard lk(postedMu);
      if (next == posted.size()) {
        seq = 0;
      } else {
        seq = posted[next++];
      }
    }
    if (seq == 0) {
      std::this_thread::yield();
      continue;
    }
    auto v = q.take(seq);
    ASSERT_TRUE(v) << seq;
    const int t = *v / kPer;
    ASSERT_GT(*v % kPer, last[t]);
    last[t] = *v % kPer;
    ++got;
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace fixgw::router
