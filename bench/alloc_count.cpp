// Heap allocations per thread, for measuring what the order path allocates
// (issue 15: "no allocation per order on the engine thread in the steady
// state — measure it"). Linked into `fixgw_alloccount`, a copy of the fixgw
// executable and nothing else: it replaces malloc/calloc/realloc (C++'s
// operator new goes through malloc in libstdc++, so both are counted) with
// forwarders to glibc that count calls per thread.
//
// Snapshots: when FIXGW_ALLOC_DUMP=PATH is set, a helper thread writes
// "<thread name> <tid> <allocations>" lines to PATH.<n> each time a file
// PATH.req appears (it deletes the request). bench/run_alloc_count.sh takes
// one snapshot before and one after a measured load and divides the
// difference by the orders.
//
// Thread-safety: counters are per-thread slots claimed once with an atomic
// index; the totals are relaxed atomics read by the dump thread. glibc only
// (__libc_malloc and friends).
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
}

namespace {

struct Slot {
  std::atomic<uint64_t> allocs{0};
  std::atomic<long> tid{0};
  char name[16] = {};
};
constexpr int kSlots = 512;
Slot g_slots[kSlots];
std::atomic<int> g_used{0};
// Where the thread's counter lives; -2: not claimed yet, -1: no slot left.
thread_local int t_slot = -2;

inline void count() {
  int s = t_slot;
  if (s == -2) {
    s = g_used.fetch_add(1, std::memory_order_relaxed);
    if (s >= kSlots)
      s = -1;
    else
      g_slots[s].tid.store(static_cast<long>(syscall(SYS_gettid)), std::memory_order_relaxed);
    t_slot = s;
  }
  if (s < 0) return;
  // A thread names itself after it starts (the engine loop, the journal writer): refresh
  // the name now and then, cheaply (prctl, no allocation).
  const uint64_t n = g_slots[s].allocs.fetch_add(1, std::memory_order_relaxed);
  if ((n & 1023) == 0) prctl(PR_GET_NAME, g_slots[s].name, 0, 0, 0);
}

void dumpTo(const char* path) {
  FILE* f = std::fopen(path, "w");
  if (!f) return;
  const int used = std::min(g_used.load(), kSlots);
  for (int i = 0; i < used; ++i) {
    char name[17] = {};
    // The thread's current name when it is still alive, else the last one seen.
    char comm[64];
    std::snprintf(comm, sizeof comm, "/proc/self/task/%ld/comm", g_slots[i].tid.load());
    if (FILE* c = std::fopen(comm, "r")) {
      if (std::fgets(name, sizeof name, c)) name[std::strcspn(name, "\n")] = 0;
      std::fclose(c);
    }
    if (!name[0]) std::memcpy(name, g_slots[i].name, 15);
    for (char* p = name; *p; ++p)
      if (*p == ' ') *p = '_';
    std::fprintf(f, "%s %ld %llu\n", name[0] ? name : "?", g_slots[i].tid.load(),
                 static_cast<unsigned long long>(g_slots[i].allocs.load()));
  }
  std::fclose(f);
}

// Started before main; polls for PATH.req every 20 ms. Detached: it dies with the process.
struct Dumper {
  Dumper() {
    const char* p = std::getenv("FIXGW_ALLOC_DUMP");
    if (!p || !*p) return;
    std::thread([base = std::string(p)] {
      prctl(PR_SET_NAME, "alloc-dump", 0, 0, 0);
      const std::string req = base + ".req";
      for (int n = 0;;) {
        if (access(req.c_str(), F_OK) == 0) {
          dumpTo((base + "." + std::to_string(n++)).c_str());
          unlink(req.c_str());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }).detach();
  }
} g_dumper;

}  // namespace

extern "C" {
void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  count();
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
