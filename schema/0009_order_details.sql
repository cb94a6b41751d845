-- Issue 14: what a client's order carries beyond its basic terms, kept with the order
-- (current state) so reports after a restart echo it and GTD orders still expire on time:
-- SecondaryClOrdID (526), ClOrdLinkID (583), Parties (453; 4.2 ClientID 109 / ExecBroker 76),
-- the Instrument fields resolved against the instrument master (167, 200, 201, 202, 15, 207),
-- and the order attributes (ExecInst 18, MinQty 110, MaxFloor 111, ExpireTime 126 / ExpireDate
-- 432, OrderCapacity 528 / Rule80A 47, LocateReqd 114, PositionEffect 77).
-- NULL for orders that carry none of them. The raw message stays in orders.raw_fix.
ALTER TABLE orders ADD COLUMN details jsonb;

COMMENT ON COLUMN orders.details IS
  'issue 14: secondary_cl_ord_id, cl_ord_link_id, parties[{id, source, role}], instrument{...}, '
  'order_capacity, rule80a, locate_reqd, position_effect, post_only, min_qty, max_floor, '
  'expire_time (ISO) and expire_time_ns';

-- Open GTD orders by expiry, for operations ("what expires today"), without scanning orders.
CREATE INDEX orders_open_gtd ON orders (((details->>'expire_time_ns')::bigint))
  WHERE tif = 'GTD' AND status NOT IN ('FILLED', 'CANCELED', 'REJECTED', 'EXPIRED');
