// Ownership of FIX sessions among gateway nodes that share one PostgreSQL
// database (DESIGN.md, "growing past one machine"): a node holds a
// session-level advisory lock per FIX session, keyed by schema and session
// key, on a connection of its own for as long as it runs. A second node
// configured with a session another node runs refuses to start, instead of
// running it twice (two writers of one sequence-number store, one ClOrdID
// space and one set of open orders). Closing the connection (stop, crash,
// network loss) releases the locks, so a standby can then take the session.
//
// Thread-safety: one owning thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace fixgw::store {

class SessionLease {
 public:
  explicit SessionLease(std::string conninfo);
  ~SessionLease();  // release()
  SessionLease(const SessionLease&) = delete;
  SessionLease& operator=(const SessionLease&) = delete;

  // Takes the lease of every session or of none. A lease still held is retried for up to
  // waitMs (a gateway killed a moment ago leaves a backend that needs that long to notice);
  // then throws std::runtime_error naming the session and the holder's pid, address,
  // application name and since when; or naming the database error.
  void acquire(const std::vector<std::string>& sessionKeys, int waitMs = 5000);
  // Gives every lease back (closes the connection).
  void release();
  size_t held() const;
  // True while the lease connection is up and still holds every lease (a PostgreSQL restart
  // or a terminated backend loses them silently). Never throws.
  bool check();
  // After check() failed: a new connection takes the same leases if nobody else has them
  // (no waiting). False, leaving nothing held, if another node does or the database is down.
  bool reacquire();
  // The PostgreSQL backend holding the leases (0 when none), for operators and tests.
  int backendPid() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw::store
