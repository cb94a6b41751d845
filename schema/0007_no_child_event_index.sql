-- 0007: one B-tree fewer on the hottest table. order_events_by_child indexed
-- every event that names a child order (two or more per order), only for
-- `fixgw audit order --order-id <child id>`, which now finds the parent
-- through the child's orders row (orders_pkey) and reads the parent's events
-- by order_events_by_order_seq. Every child event carries its parent's
-- order_id, so nothing becomes unreachable.
DROP INDEX IF EXISTS order_events_by_child;
