-- 0005: less index maintenance per journaled row, and an index for the ClOrdID lookup that every
-- audit question starts with.
--
-- The journal's PostgreSQL backend spends most of its CPU maintaining B-trees (about 6 us per
-- order_events row with six indexes; see docs/performance-journal.md). This migration keeps every
-- audit query of docs/audit.md and of `fixgw audit` answerable through an index (checked with
-- EXPLAIN on a populated schema) while inserting into fewer B-trees per row:
--
--   order_events  by_time        B-tree -> BRIN. Events are appended in commit order, so event_time
--                                follows the physical order and a block-range index answers time
--                                ranges (activity, rejects) with a bitmap scan at almost no insert
--                                cost. autosummarize keeps new ranges summarized without waiting
--                                for a manual VACUUM.
--   orders        by_symbol_time dropped: no audit query, view or recovery step filters orders by
--                                symbol (fills by symbol read executions, which keep theirs).
--   orders        by_account_time parents only (partial): the account queries ask for what a
--                                client sent (parent_order_id IS NULL); children doubled it.
--   executions    by_cl_ord_id   dropped: fills are reached through order_id (executions_by_order)
--                                after the ClOrdID was resolved on order_events/orders.
--
-- Added, both partial on "orig_cl_ord_id IS NOT NULL" so only cancel/replace rows pay for them:
-- the audit lookup "(cl_ord_id = X OR orig_cl_ord_id = X)" could not use an index before (there
-- was none on orig_cl_ord_id, so the OR fell back to a sequential scan of order_events and orders);
-- with these the planner answers it with a BitmapOr of two index scans.
--
-- orders gets a fillfactor below 100 so an upsert of an order already on disk (a later batch's
-- status change) can be a HOT update, which touches no index at all: none of the columns it
-- changes (status, quantities, updated_at, venue ids) is indexed.
--
-- Nothing here changes a table's columns or a view, so older binaries keep working against it.

DROP INDEX IF EXISTS order_events_by_time;
CREATE INDEX order_events_by_time_brin ON order_events USING brin (event_time)
  WITH (pages_per_range = 32, autosummarize = on);
CREATE INDEX order_events_by_orig_cl_ord_id ON order_events (orig_cl_ord_id, session_key)
  WHERE orig_cl_ord_id IS NOT NULL;

DROP INDEX IF EXISTS orders_by_symbol_time;
-- Only parent orders (what a client sent) are looked up by account and time; child rows carry
-- the same account and would double the index for nothing.
DROP INDEX IF EXISTS orders_by_account_time;
CREATE INDEX orders_by_account_time ON orders (account, created_at) WHERE parent_order_id IS NULL;
CREATE INDEX orders_by_orig_cl_ord_id ON orders (orig_cl_ord_id, session_key)
  WHERE orig_cl_ord_id IS NOT NULL;
ALTER TABLE orders SET (fillfactor = 85);

DROP INDEX IF EXISTS executions_by_cl_ord_id;
