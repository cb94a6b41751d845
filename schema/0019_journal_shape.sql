-- 0019 (issue 15): fewer B-tree entries and heap bytes per journaled order.
--
-- A resting limit order writes a parent and a child `orders` row and three events (RECEIVED,
-- ROUTED, NEW). Before this migration each of those rows went into every B-tree of its table
-- whatever its kind: 15 B-tree entries per order, the largest single share of the journal's
-- PostgreSQL CPU (docs/performance.md, "PostgreSQL cost per durable order"). Two of those B-trees
-- indexed rows that no reader ever finds through them (and a third, order_events_pkey, becomes a
-- block-range index, below): 15 -> 9 entries per resting order.
--
--   order_events_by_cl_ord_id  The audit's ClOrdID lookup (docs/audit.md, `fixgw audit`) asks
--       for every order whose events ever carried ClOrdID X. A ClOrdID enters an order's events
--       only with a client's request (RECEIVED, CANCEL_REQUESTED, REPLACE_REQUESTED, their
--       rejects, status requests ...). The engine's own events ROUTED, NEW and FILL carry the
--       order's current ClOrdID, which an earlier request event of the same order already
--       carried (and the orders row carries too). The index now leaves those three out: for a
--       resting order 1 entry instead of 3, for each fill 0 instead of 1. Queries that want the
--       index say "event_type NOT IN ('ROUTED', 'NEW', 'FILL')", which selects the same order
--       ids (tests/audit and tests/store prove it with EXPLAIN). A query without it still gets
--       every event, by a scan.
--   orders_by_cl_ord_id        A child order's cl_ord_id is its own order id (the ClOrdID sent to
--       the venue), which orders_pkey already finds. The index now holds parent orders only
--       (what a client sent); a lookup of a child by that id goes through the primary key
--       ("o.order_id = X AND o.parent_order_id IS NOT NULL"), as `fixgw audit` does.
--
-- The raw inbound message that creates an order was stored in orders.raw_fix AND in the RECEIVED
-- event's raw_fix. The journal now writes it once, in the orders row; the RECEIVED event's raw_fix
-- stays NULL and v_order_lifecycle (and `fixgw audit`) show the orders row's message for it.
-- Events written before (which have their own copy) show their own.
--
-- Nothing here removes a column; older binaries keep working against it (they write the RECEIVED
-- event's copy, which the view then shows).

DROP INDEX IF EXISTS order_events_by_cl_ord_id;
CREATE INDEX order_events_by_cl_ord_id ON order_events (cl_ord_id, session_key)
  WHERE event_type NOT IN ('ROUTED', 'NEW', 'FILL');

DROP INDEX IF EXISTS orders_by_cl_ord_id;
CREATE INDEX orders_by_cl_ord_id ON orders (cl_ord_id, session_key)
  WHERE parent_order_id IS NULL;

-- order_events_pkey (event_id, a B-tree entry for every event: 3 per order) served one reader, the
-- drop copy's "event_id > mark ORDER BY event_id LIMIT n" (store/drop_copy_store.cpp). event_id
-- comes from a sequence as the journal inserts, so it follows the physical order like event_time
-- does, and a block-range index answers that range by reading only the newest ranges (unsummarized
-- ones are always read, so nothing just written is missed). Uniqueness was never at stake: the
-- value is the sequence's, never the journal's. Nothing else finds an event by event_id alone
-- (the audit and the admin API reach events through order_events_by_order_seq).
ALTER TABLE order_events DROP CONSTRAINT IF EXISTS order_events_pkey;
CREATE INDEX order_events_by_event_id_brin ON order_events USING brin (event_id)
  WITH (pages_per_range = 16, autosummarize = on);

-- Same columns as before (0001); raw_fix of a RECEIVED event without its own copy is the order's.
CREATE OR REPLACE VIEW v_order_lifecycle AS
SELECT e.event_id, e.seq, e.event_time, e.order_id, e.child_order_id, e.session_key,
       e.cl_ord_id, e.orig_cl_ord_id, o.account, o.symbol, o.side, o.ord_type, o.tif,
       e.event_type, e.exec_type, e.exec_id, e.status, e.qty, e.price, e.cum_qty, e.leaves_qty,
       e.avg_px, e.last_qty, e.last_px, e.reason_code, e.text,
       replace(coalesce(e.raw_fix, CASE WHEN e.event_type = 'RECEIVED' THEN o.raw_fix END),
               chr(1), '|') AS raw_fix,
       e.recorded_at
  FROM order_events e
  LEFT JOIN orders o ON o.order_id = e.order_id;

-- orders keeps fillfactor 85 (0005): 50 made every status update HOT but cost more PostgreSQL CPU
-- per order than it saved (a larger table to extend); docs/performance.md, "Session 7: pgrows".
