-- 0004: the raw FIX messages in and out of every session (audit), and the
-- order-id high-water marks of venues that need ids we allocate (IBKR TWS).

-- Every FIX message the acceptor received or sent, raw with SOH kept, in
-- the order the journal wrote them. Append-only like the other audit tables.
CREATE TABLE fix_message_log (
  log_id      bigserial PRIMARY KEY,
  session_key text NOT NULL,
  direction   text NOT NULL CHECK (direction IN ('IN', 'OUT')),
  msg_type    text,
  msg_seq_num integer,
  message     text NOT NULL,
  logged_at   timestamptz NOT NULL
);
CREATE INDEX fix_message_log_session_time ON fix_message_log (session_key, logged_at);

CREATE TRIGGER fix_message_log_append_only BEFORE UPDATE OR DELETE ON fix_message_log
  FOR EACH ROW EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER fix_message_log_no_truncate BEFORE TRUNCATE ON fix_message_log
  FOR EACH STATEMENT EXECUTE FUNCTION fixgw_forbid_mutation();

-- The highest order id a venue adapter ever used, per venue, so ids are never
-- reused after a gateway or venue restart. Only ever moves up.
CREATE TABLE venue_order_ids (
  venue      text PRIMARY KEY,
  high_water bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
