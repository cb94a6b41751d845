-- fixgw schema, version 1: sessions, orders (parents and children), the append-only order event
-- journal, fills, and the audit views compliance and operations query (see docs/audit.md).
--
-- Everything is unqualified so the migration lands in whatever schema search_path names (tests
-- give each test its own schema). Applied by store::migrate(), which records it in
-- schema_migrations inside the same transaction.
--
-- Conventions: prices and quantities are numeric(38,8), written as the exact decimal text of the
-- engine's fixed-point values (scale 1e-8), never through floating point. Times are timestamptz
-- with microsecond precision (the engine's nanoseconds truncated). Enums are the upper-case names
-- from core/types.cpp (BUY, LIMIT, PARTIALLY_FILLED, TRADE, ...). raw_fix keeps the message as
-- received, SOH (0x01) included; views show it with '|' instead.
--
-- No foreign keys on purpose: the journal is evidence and must accept an event even if the engine
-- wrote it before the order row; a rejected insert would stall durable acknowledgements.

CREATE TABLE IF NOT EXISTS schema_migrations (
  version    int PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per journal transaction. Lets the writer tell, after a connection dropped during
-- COMMIT, whether the batch landed (retrying it blindly would duplicate events).
CREATE TABLE journal_batches (
  batch_id     text PRIMARY KEY,
  records      int NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now()
);

-- Records the database refused (data errors such as a duplicate exec_id). Kept, never dropped,
-- so nothing the engine journaled is lost; payload is a readable rendering of the record.
CREATE TABLE journal_rejects (
  reject_id   bigserial PRIMARY KEY,
  record_type text NOT NULL,
  payload     text NOT NULL,
  error       text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  session_key    text PRIMARY KEY,  -- "FIX.4.4:FIXGW->CLIENT1" as QuickFIX prints a SessionID
  begin_string   text,
  sender_comp_id text,
  target_comp_id text,
  first_seen     timestamptz NOT NULL,
  last_logon     timestamptz,
  last_logout    timestamptz
);

CREATE TABLE session_events (
  session_event_id bigserial PRIMARY KEY,
  session_key      text NOT NULL,
  event            text NOT NULL,  -- LOGON, LOGOUT, ...
  event_time       timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_events_by_session ON session_events (session_key, event_time);

-- Current state of every parent order (what the client sent; parent_order_id is null) and child
-- order (what went to a venue). Upserted by the journal; history lives in order_events.
CREATE TABLE orders (
  order_id        text PRIMARY KEY,
  parent_order_id text,
  session_key     text NOT NULL,
  cl_ord_id       text NOT NULL,
  orig_cl_ord_id  text,
  account         text NOT NULL,
  symbol          text NOT NULL,
  side            text NOT NULL,
  ord_type        text NOT NULL,
  tif             text NOT NULL,
  qty             numeric(38, 8) NOT NULL,
  price           numeric(38, 8),
  status          text NOT NULL,
  cum_qty         numeric(38, 8) NOT NULL,
  leaves_qty      numeric(38, 8) NOT NULL,
  avg_px          numeric(38, 8) NOT NULL,
  venue           text,
  venue_order_id  text,
  raw_fix         text,  -- inbound message that created it, as received (SOH kept)
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX orders_by_cl_ord_id ON orders (cl_ord_id, session_key);
CREATE INDEX orders_by_parent ON orders (parent_order_id) WHERE parent_order_id IS NOT NULL;
CREATE INDEX orders_by_symbol_time ON orders (symbol, created_at);
CREATE INDEX orders_by_account_time ON orders (account, created_at);

-- Append-only audit journal: one row per state change, in engine order (seq).
CREATE TABLE order_events (
  event_id       bigserial PRIMARY KEY,
  seq            bigint NOT NULL,  -- engine sequence, strictly increasing within a process life
  order_id       text NOT NULL,
  child_order_id text,
  session_key    text NOT NULL,
  cl_ord_id      text NOT NULL,
  orig_cl_ord_id text,
  event_type     text NOT NULL,  -- RECEIVED, RISK_REJECT, ROUTED, VENUE_ACK, FILL, CANCELED, ...
  exec_type      text,           -- set when an ExecutionReport was sent for the event
  exec_id        text,
  status         text NOT NULL,  -- order status after the event
  qty            numeric(38, 8) NOT NULL,
  price          numeric(38, 8),
  cum_qty        numeric(38, 8) NOT NULL,
  leaves_qty     numeric(38, 8) NOT NULL,
  avg_px         numeric(38, 8) NOT NULL,
  last_qty       numeric(38, 8) NOT NULL,
  last_px        numeric(38, 8) NOT NULL,
  reason_code    text,
  text           text,
  raw_fix        text,
  event_time     timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_by_order_seq ON order_events (order_id, seq);
CREATE INDEX order_events_by_cl_ord_id ON order_events (cl_ord_id, session_key);
CREATE INDEX order_events_by_child ON order_events (child_order_id) WHERE child_order_id IS NOT NULL;
CREATE INDEX order_events_by_time ON order_events (event_time);
CREATE INDEX order_events_rejects ON order_events (event_time)
  WHERE event_type LIKE '%REJECT%' OR exec_type = 'REJECTED';

-- Fills, booked against the parent order (and the child that got them).
CREATE TABLE executions (
  exec_id        text PRIMARY KEY,
  order_id       text NOT NULL,
  child_order_id text,
  session_key    text NOT NULL,
  cl_ord_id      text NOT NULL,
  account        text NOT NULL,
  symbol         text NOT NULL,
  side           text NOT NULL,
  last_qty       numeric(38, 8) NOT NULL,
  last_px        numeric(38, 8) NOT NULL,
  cum_qty        numeric(38, 8) NOT NULL,
  leaves_qty     numeric(38, 8) NOT NULL,
  avg_px         numeric(38, 8) NOT NULL,
  venue          text,
  venue_exec_id  text,
  exec_time      timestamptz NOT NULL
);
CREATE INDEX executions_by_order ON executions (order_id, exec_time);
CREATE INDEX executions_by_cl_ord_id ON executions (cl_ord_id, session_key);
CREATE INDEX executions_by_symbol_time ON executions (symbol, exec_time);
CREATE INDEX executions_by_account_time ON executions (account, exec_time);

-- The journal tables are evidence: once written, never changed. UPDATE, DELETE and TRUNCATE
-- raise; dropping the schema (tests, decommissioning) is still possible for the owner.
CREATE FUNCTION fixgw_forbid_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
  FOR EACH ROW EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER order_events_no_truncate BEFORE TRUNCATE ON order_events
  FOR EACH STATEMENT EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER executions_append_only BEFORE UPDATE OR DELETE ON executions
  FOR EACH ROW EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER executions_no_truncate BEFORE TRUNCATE ON executions
  FOR EACH STATEMENT EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER session_events_append_only BEFORE UPDATE OR DELETE ON session_events
  FOR EACH ROW EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER session_events_no_truncate BEFORE TRUNCATE ON session_events
  FOR EACH STATEMENT EXECUTE FUNCTION fixgw_forbid_mutation();

-- Orders with the raw message readable (SOH shown as '|').
CREATE VIEW v_orders AS
SELECT o.order_id, o.parent_order_id, o.session_key, o.cl_ord_id, o.orig_cl_ord_id, o.account,
       o.symbol, o.side, o.ord_type, o.tif, o.qty, o.price, o.status, o.cum_qty, o.leaves_qty,
       o.avg_px, o.venue, o.venue_order_id, replace(o.raw_fix, chr(1), '|') AS raw_fix,
       o.created_at, o.updated_at
  FROM orders o;

-- Every event of every order, with the order's identity, in journal order. Filter by order_id,
-- cl_ord_id, account or time; ORDER BY event_id (or order_id, seq) for the lifecycle.
CREATE VIEW v_order_lifecycle AS
SELECT e.event_id, e.seq, e.event_time, e.order_id, e.child_order_id, e.session_key,
       e.cl_ord_id, e.orig_cl_ord_id, o.account, o.symbol, o.side, o.ord_type, o.tif,
       e.event_type, e.exec_type, e.exec_id, e.status, e.qty, e.price, e.cum_qty, e.leaves_qty,
       e.avg_px, e.last_qty, e.last_px, e.reason_code, e.text,
       replace(e.raw_fix, chr(1), '|') AS raw_fix, e.recorded_at
  FROM order_events e
  LEFT JOIN orders o ON o.order_id = e.order_id;

-- Fills with their notional (exact numeric arithmetic).
CREATE VIEW v_fills AS
SELECT x.exec_id, x.exec_time, x.order_id, x.child_order_id, x.session_key, x.cl_ord_id,
       x.account, x.symbol, x.side, x.last_qty, x.last_px, x.last_qty * x.last_px AS notional,
       x.cum_qty, x.leaves_qty, x.avg_px, x.venue, x.venue_exec_id
  FROM executions x;

-- Rejections of any kind: risk rejects, venue rejects, cancel/replace rejects.
CREATE VIEW v_rejects AS
SELECT e.event_id, e.event_time, e.order_id, e.session_key, e.cl_ord_id, o.account, o.symbol,
       e.event_type, e.status, coalesce(nullif(e.reason_code, ''), 'UNSPECIFIED') AS reason_code,
       e.text
  FROM order_events e
  LEFT JOIN orders o ON o.order_id = e.order_id
 WHERE e.event_type LIKE '%REJECT%' OR e.exec_type = 'REJECTED';
