// Corked output: gathers what one thread writes during one "round" (an event
// loop's batch of tasks, one release of the journal's after-commit notifier,
// one inbound message handled by the asio FIX transport)
// and writes it once at the end of the round. Each ExecutionReport used to
// cost its own store append and its own socket send; a corked round costs one
// store append and one send per session, whatever the number of reports.
//
// How it is used: a thread opens a Round (RAII) around work that produces
// output. A writer (the FIX append store, a FIX connection) that sees
// active() true keeps its bytes in its own pending buffer and calls defer()
// once per round; flush() (run by the outermost Round's end, or by the loop
// every few tasks to bound the delay) tells every deferred writer to write.
// Writers in phase Store are flushed before writers in phase Socket, so a
// message is on the session store before its bytes reach the socket (the
// order QuickFIX keeps when it writes at once). Phase After is for work that
// only has to happen once the round's output is out, such as waking a
// background writer (the journal's): its futex wake and the thread it wakes
// then no longer stand between an order and its first report.
//
// A thread without an open Round is not corked: writers write at once, as
// before. A writer that holds pending bytes from another thread's round and
// is written to by an uncorked thread writes the pending bytes first, so its
// output stays in order.
//
// Thread-safety: the round state is thread-local; a Flushable is called from
// the thread that deferred it and must guard its pending buffer itself.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

namespace fixgw::cork {

class Flushable {
 public:
  virtual ~Flushable() = default;
  // Writes whatever is pending. Never throws (errors are logged and kept by
  // the writer for its next caller). Returns false if the writer failed: this
  // round's write or an earlier one left it unable to keep what it was given.
  virtual bool flushCorked() noexcept = 0;
  // Pairs a store with the socket that carries the same messages (a FIX
  // session's store and its connection return the same SessionID string).
  // When a Store-phase writer of a group fails, the round calls dropCorked()
  // instead of flushCorked() on that group's Socket-phase writers: a message
  // that is not on its store must not reach the wire, where the counterparty
  // would hold a MsgSeqNum the session could never resend (QuickFIX itself
  // sends nothing when its store throws). Empty: no group.
  virtual std::string_view corkGroup() const noexcept { return {}; }
  // Discards the pending bytes (see corkGroup()); why says which store failed.
  virtual void dropCorked(std::string_view why) noexcept { (void)why; }
};

enum class Phase { Store = 0, Socket = 1, After = 2 };

// True while the calling thread is inside a Round.
bool active() noexcept;

// Registers f to be flushed at the end of the calling thread's round (once
// per round however often it is called). Only meaningful while active().
void defer(std::shared_ptr<Flushable> f, Phase phase);

// Flushes everything deferred on this thread so far (stores, then sockets; a
// socket whose group's store failed in this round is dropped, not flushed;
// then phase After).
void flush() noexcept;

// Process-wide switch (config fix.cork_max_tasks 0 turns it off; default on): when off, Round
// opens nothing and every writer writes at once, as before corking existed.
// Set at startup, before the threads that open rounds run.
void setEnabled(bool on) noexcept;
bool enabled() noexcept;

// Opens a round on this thread for its lifetime. Nested rounds fold into the
// outermost one, which flushes when it ends.
class Round {
 public:
  Round() noexcept;
  ~Round();
  Round(const Round&) = delete;
  Round& operator=(const Round&) = delete;

 private:
  bool on_;
  bool outer_;
};

}  // namespace fixgw::cork
