// The TWS adapter's order-id high-water mark kept in PostgreSQL (table
// venue_order_ids, migration 0004), so ids survive a gateway restart, a new
// machine, or a lost file. save() is durable when it returns and never moves
// the mark down.
//
// Thread-safety: one connection guarded by a mutex; safe from any thread.
#pragma once

#include <memory>
#include <string>

#include "venue_adapters/ibkr_tws/adapter.h"

namespace fixgw::tws {

class PgOrderIdStore final : public OrderIdStore {
 public:
  // Connects; throws std::runtime_error (password redacted) if it cannot.
  PgOrderIdStore(std::string conninfo, std::string venue);
  ~PgOrderIdStore() override;
  int64_t load() override;
  void save(int64_t id) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw::tws
