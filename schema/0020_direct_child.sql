-- 0020 (issue 15): a direct order's child lives in its parent's row.
--
-- A direct order (one child, one venue: no algo, no SOR) wrote two `orders` rows: the parent and
-- a child that repeats the parent's account, symbol, side, type, quantities and venue. The child
-- row cost a heap tuple, two B-tree entries (orders_pkey, orders_by_parent) and its own update
-- when the venue acknowledged it. Now the parent's row carries what is the child's own:
--
--   child_status     the child's OrdStatus (NEW, PARTIALLY_FILLED, ...). NOT NULL marks a parent
--                    whose one child is carried here; such a parent has no child row.
--   venue_order_id   the child's venue order id (a parent row had none before).
--   child_qty, child_cum_qty, child_price, child_stop_px
--                    the child's own value where it differs from the parent's (for instance
--                    between the venue's replace and the parent's); NULL: the parent's.
--
-- The child's id is derived from its parent's: the engine gives a direct order "<prefix>-<n>" the
-- child "<prefix>-C<n>" (fixgw_direct_child_id); algo and SOR children take their numbers from the
-- same counter, so the two never meet. fixgw_direct_parent_id inverts it, which lets a lookup of a
-- child by id use orders_pkey: "o.order_id = fixgw_direct_parent_id(X) AND o.child_status IS NOT
-- NULL" (as `fixgw audit` and docs/audit.md do).
--
-- orders_all shows every order as before, a direct order's child as a row of its own
-- (orders_direct_children holds just those): readers that want children read them (recovery, the
-- admin API, `fixgw audit`, docs/audit.md, v_orders). Orders written
-- before this migration keep their child rows (child_status NULL), which orders_all shows as they
-- are. Nothing is removed; a binary from before 0020 keeps writing child rows, which still work.

ALTER TABLE orders ADD COLUMN child_status text,
                   ADD COLUMN child_qty numeric(38, 8),
                   ADD COLUMN child_cum_qty numeric(38, 8),
                   ADD COLUMN child_price numeric(38, 8),
                   ADD COLUMN child_stop_px numeric(38, 8);

CREATE FUNCTION fixgw_direct_child_id(parent_id text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(parent_id, '-([0-9]+)$', '-C\1');

CREATE FUNCTION fixgw_direct_parent_id(child_id text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN regexp_replace(child_id, '-C([0-9]+)$', '-\1');

-- A direct order's child as the row it had before 0020, from its parent's row. A join to it (say
-- "c.parent_order_id IN (SELECT id FROM ids)") runs on orders_pkey.
CREATE VIEW orders_direct_children AS
SELECT fixgw_direct_child_id(p.order_id) AS order_id, p.order_id AS parent_order_id, p.session_key,
       fixgw_direct_child_id(p.order_id) AS cl_ord_id, NULL::text AS orig_cl_ord_id, p.account,
       p.symbol, p.side, p.ord_type, p.tif, coalesce(p.child_qty, p.qty) AS qty,
       coalesce(p.child_price, p.price) AS price, p.child_status AS status,
       coalesce(p.child_cum_qty, p.cum_qty) AS cum_qty,
       (CASE WHEN p.child_status IN ('FILLED', 'CANCELED', 'REJECTED', 'EXPIRED') THEN 0
             ELSE coalesce(p.child_qty, p.qty) - coalesce(p.child_cum_qty, p.cum_qty)
        END)::numeric(38, 8) AS leaves_qty,
       0::numeric(38, 8) AS avg_px, p.venue, p.venue_order_id, NULL::text AS raw_fix, p.created_at,
       p.updated_at, coalesce(p.child_stop_px, p.stop_px) AS stop_px, NULL::jsonb AS details
  FROM orders p
 WHERE p.child_status IS NOT NULL;

-- Every parent and child order, with the same columns as orders had before 0020. A lookup by a
-- constant (parent_order_id = X) uses the indexes of both halves; a join to a set of ids is
-- better written against orders and orders_direct_children separately (the planner does not
-- push a join's parameter into a UNION ALL view): docs/audit.md section 4 shows how.
CREATE VIEW orders_all AS
SELECT o.order_id, o.parent_order_id, o.session_key, o.cl_ord_id, o.orig_cl_ord_id, o.account,
       o.symbol, o.side, o.ord_type, o.tif, o.qty, o.price, o.status, o.cum_qty, o.leaves_qty,
       o.avg_px, o.venue, o.venue_order_id, o.raw_fix, o.created_at, o.updated_at, o.stop_px,
       o.details
  FROM orders o
UNION ALL
SELECT * FROM orders_direct_children;

-- v_orders (0001) shows the children it always showed.
CREATE OR REPLACE VIEW v_orders AS
SELECT o.order_id, o.parent_order_id, o.session_key, o.cl_ord_id, o.orig_cl_ord_id, o.account,
       o.symbol, o.side, o.ord_type, o.tif, o.qty, o.price, o.status, o.cum_qty, o.leaves_qty,
       o.avg_px, o.venue, o.venue_order_id, replace(o.raw_fix, chr(1), '|') AS raw_fix,
       o.created_at, o.updated_at
  FROM orders_all o;
