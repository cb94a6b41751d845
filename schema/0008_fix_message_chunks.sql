-- 0008: the raw FIX message log in chunks.
--
-- Until now every FIX message in and out was one fix_message_log row: two rows, two heap tuples
-- and four B-tree entries per order, about a quarter of the journal's PostgreSQL CPU and a sixth
-- of the gateway's (docs/performance.md, "the message log in chunks"). Nobody looks a single raw
-- message up by key: the audit reads a session's messages over a time range. So the journal now
-- writes, per batch and per session, ONE row holding all of that session's messages of the batch,
-- in order, and the view v_fix_messages shows them one message per row again, together with the
-- rows fix_message_log already holds (that table stays, append-only as before, and is still
-- written by the journal's record-by-record salvage path).
--
-- messages: the chunk's messages, each "<I|O> ETX <MsgType> ETX <MsgSeqNum> ETX <logged_at, µs
-- since 1970-01-01 UTC> ETX <raw message, SOH kept>", joined by STX (chr(2)). A raw message that
-- itself contains STX has it written as the four characters \x02, the way bytes that are not
-- UTF-8 are already written (sanitizeUtf8). lz4 compression: raw FIX compresses about 4:1, which
-- shrinks TOAST and WAL for little CPU.
--
-- first_at/last_at bound the messages' logged_at, so a time-range query prunes chunks through
-- fix_message_chunks_session_time before it unpacks any: ask the view for
--   session_key = S AND chunk_last_at >= FROM AND chunk_first_at < TO
--   AND logged_at >= FROM AND logged_at < TO
-- (docs/audit.md §8; `fixgw audit messages` does exactly this).

CREATE TABLE fix_message_chunks (
  chunk_id    bigserial PRIMARY KEY,
  session_key text NOT NULL,
  first_at    timestamptz NOT NULL,
  last_at     timestamptz NOT NULL,
  n           integer NOT NULL CHECK (n > 0),
  messages    text NOT NULL,
  CHECK (first_at <= last_at)
);
CREATE INDEX fix_message_chunks_session_time ON fix_message_chunks (session_key, last_at);

DO $$
BEGIN
  ALTER TABLE fix_message_chunks ALTER COLUMN messages SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  NULL;  -- a server built without lz4 keeps the default (pglz)
END $$;

CREATE TRIGGER fix_message_chunks_append_only BEFORE UPDATE OR DELETE ON fix_message_chunks
  FOR EACH ROW EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER fix_message_chunks_no_truncate BEFORE TRUNCATE ON fix_message_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION fixgw_forbid_mutation();

-- One row per message, old rows and chunks alike. Order: logged_at, chunk_id, ord (a row of the
-- old table has chunk_id 0 and its log_id as ord).
CREATE VIEW v_fix_messages AS
SELECT c.session_key,
       CASE r[1] WHEN 'I' THEN 'IN' ELSE 'OUT' END AS direction,
       nullif(r[2], '') AS msg_type,
       r[3]::integer AS msg_seq_num,
       r[5] AS message,
       timestamptz 'epoch' + r[4]::bigint * interval '1 microsecond' AS logged_at,
       c.chunk_id,
       m.ord,
       c.first_at AS chunk_first_at,
       c.last_at AS chunk_last_at
  FROM fix_message_chunks c
 CROSS JOIN LATERAL string_to_table(c.messages, chr(2)) WITH ORDINALITY AS m(rec, ord)
 CROSS JOIN LATERAL regexp_match(m.rec,
                                 '^([IO])\x03([^\x03]*)\x03(-?[0-9]+)\x03(-?[0-9]+)\x03(.*)$',
                                 's') AS r
UNION ALL
SELECT l.session_key, l.direction, l.msg_type, l.msg_seq_num, l.message, l.logged_at,
       0::bigint, l.log_id, l.logged_at, l.logged_at
  FROM fix_message_log l;
