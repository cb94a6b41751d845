// The journal side of drop copy (fix_acceptor/drop_copy.h): reads the
// ExecutionReports the gateway sent back out of order_events + orders after a
// journal position, and keeps each drop-copy session's mark in
// drop_copy_marks (schema/0016_drop_copy.sql).
//
// Reports are rebuilt from what the journal keeps: the event's ids, status,
// quantities, prices, text and time, and the order's account, symbol, side,
// type, time in force, stop price and details (orders.details). Not kept per
// event, so not on a copy: the exact OrdRejReason (a rejected report says 99 /
// 0 "other", its Text says why) and an earlier OrdType/TIF of a replaced order
// (the copy shows the order's current ones).
//
// Thread-safety: one thread at a time (the drop-copy pump's); it owns one
// connection, opened on first use and again after a failure.
#pragma once

#include <memory>
#include <string>

#include "fix_acceptor/drop_copy.h"

namespace fixgw::store {

class PgDropCopySource final : public fix::DropCopySource {
 public:
  explicit PgDropCopySource(std::string conninfo);
  ~PgDropCopySource() override;

  fix::DropCopyMark loadMark(const SessionKey& dropCopy) override;
  void markSending(const SessionKey& dropCopy, int64_t upto) override;
  void markDelivered(const SessionKey& dropCopy, int64_t eventId) override;
  std::vector<fix::JournaledReport> reportsAfter(int64_t after, const fix::DropCopySelection& sel,
                                                 size_t limit) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixgw::store
