-- fixgw schema, version 2: FIX session state for the acceptor's PostgreSQL message store
-- (fix_acceptor/pg_message_store.h, FixAcceptorConfig::storeType = "postgres"). QuickFIX keeps
-- here what its FileStore keeps in files: the next sequence numbers, the session's creation time,
-- and every message it sent, by MsgSeqNum, so a ResendRequest after a restart is answered from the
-- database.
--
-- Everything is unqualified so the migration lands in whatever schema search_path names (see
-- 0001_init.sql).
--
-- No foreign key from fix_messages to fix_sessions on purpose: this is the per-message hot path
-- (one insert per message sent) and the store is the only writer of both tables.

-- One row per FIX session. session_key is the SessionID as QuickFIX prints it:
-- "FIX.4.4:FIXGW->CLIENT1", with ":qualifier" appended when the session has one (the same text
-- as sessions.session_key in 0001_init.sql). creation_time is what QuickFIX compares with the
-- session's StartTime/EndTime to decide on a daily reset; reset() renews it.
CREATE TABLE fix_sessions (
  session_key     text PRIMARY KEY,
  creation_time   timestamptz NOT NULL,
  next_sender_seq integer NOT NULL CHECK (next_sender_seq > 0),
  next_target_seq integer NOT NULL CHECK (next_target_seq > 0),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every message the gateway sent, admin messages included, exactly as it went on the wire
-- (bytea: a FIX message is bytes, SOH separators and possibly non-UTF-8 Text(58) included, and a
-- resend must reproduce it byte for byte). Read it with
--   convert_from(message, 'UTF8')  or  replace(encode(message, 'escape'), E'\\001', '|').
-- reset() deletes the session's rows.
CREATE TABLE fix_messages (
  session_key text NOT NULL,
  msg_seq_num integer NOT NULL,
  message     bytea NOT NULL,
  PRIMARY KEY (session_key, msg_seq_num)
);
