-- Stop and stop-limit orders (OrdType 40=3/4) carry a trigger price, StopPx (99).
-- Kept on the order's current-state row, parents and children alike, so
-- recovery restores it and the audit trail shows what the client asked for.
-- OrdType STOP / STOP_LIMIT and TimeInForce OPG need no schema change
-- (ord_type and tif are text).
ALTER TABLE orders ADD COLUMN stop_px numeric CHECK (stop_px > 0);
