-- 0021 (issue 15): a direct order's ROUTED event has no row of its own.
--
-- A direct order (one child on one venue: no algo, no SOR) wrote three order_events rows:
-- RECEIVED, ROUTED, NEW. Its ROUTED row repeated what the RECEIVED row and the order's row
-- already say: the routing decision is made in the same engine step as RECEIVED, the venue is
-- orders.venue, the child is fixgw_direct_child_id(order_id) (0020), and nothing about the order
-- changes between the two unless risk rounds its quantity or price. The engine no longer writes
-- that row (one heap tuple and one order_events_by_order_seq entry fewer per order); it keeps
-- the ROUTED event's engine sequence number (RECEIVED's seq + 1) unused, and when risk did round
-- the order it still writes the row (the line below would not be exact).
--
-- Readers see the line as before: v_order_lifecycle (and `fixgw audit`, the admin API, the
-- queries of docs/audit.md, which read it) shows, for the RECEIVED event of a direct order that
-- has no ROUTED row, a ROUTED line built from it:
--
--   seq          RECEIVED's + 1 (the number the engine kept for it)
--   child_order_id fixgw_direct_child_id(order_id)
--   text         'to ' || orders.venue
--   event_time, recorded_at, event_id, session_key, cl_ord_id, orig_cl_ord_id, status, qty,
--   price, cum_qty, leaves_qty, avg_px: RECEIVED's (the order's state did not change: same step,
--   no rounding); exec_type, exec_id, reason_code, raw_fix NULL and last_qty, last_px 0, as
--   the ROUTED row had them.
--
-- The line's event_time is RECEIVED's: the row had the wall clock a few microseconds later
-- (the risk check's time, which the metrics measure, not the audit). Its event_id is RECEIVED's
-- (order lines by seq, then event_id). Orders journaled before this migration have their ROUTED
-- row, and orders of older binaries still write one: a line is built only where the order has
-- no ROUTED row. Algo and SOR children keep their ROUTED rows. order_events itself is unchanged:
-- a query straight against it no longer finds a direct order's ROUTED (docs/audit.md says so).
--
-- The line is added by a LATERAL over the RECEIVED row itself, so a filter on the event's order
-- (order_id = X, order_id IN (...)) still runs on order_events_by_order_seq.

-- Whether the RECEIVED event (order_id, event_type) stands for a ROUTED line too: the order is a
-- direct one (its row carries the child) and has no ROUTED row of its own.
CREATE FUNCTION fixgw_direct_routed_line(order_id text, event_type text, child_status text)
  RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN event_type = 'RECEIVED' AND child_status IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM order_events r
                          WHERE r.order_id = fixgw_direct_routed_line.order_id
                            AND r.event_type = 'ROUTED');

-- Same columns as before (0001, 0019); a direct order's ROUTED line as above.
CREATE OR REPLACE VIEW v_order_lifecycle AS
SELECT e.event_id, e.seq + x.routed AS seq, e.event_time, e.order_id,
       CASE WHEN x.routed = 1 THEN fixgw_direct_child_id(e.order_id) ELSE e.child_order_id END
         AS child_order_id,
       e.session_key, e.cl_ord_id, e.orig_cl_ord_id, o.account, o.symbol, o.side, o.ord_type,
       o.tif,
       CASE WHEN x.routed = 1 THEN 'ROUTED' ELSE e.event_type END AS event_type,
       e.exec_type, e.exec_id, e.status, e.qty, e.price, e.cum_qty, e.leaves_qty, e.avg_px,
       e.last_qty, e.last_px, e.reason_code,
       CASE WHEN x.routed = 1 THEN 'to ' || o.venue ELSE e.text END AS text,
       CASE WHEN x.routed = 1 THEN NULL
            ELSE replace(coalesce(e.raw_fix, CASE WHEN e.event_type = 'RECEIVED' THEN o.raw_fix END),
                         chr(1), '|')
       END AS raw_fix,
       e.recorded_at
  FROM order_events e
  LEFT JOIN orders o ON o.order_id = e.order_id
  CROSS JOIN LATERAL (SELECT 0 AS routed
                      UNION ALL
                      SELECT 1 WHERE fixgw_direct_routed_line(e.order_id, e.event_type,
                                                              o.child_status)) x;
