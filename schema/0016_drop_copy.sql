-- Drop copy (issue 13, docs/drop-copy.md): how far each drop-copy FIX session has been fed.
--
-- A drop-copy session receives a copy of every ExecutionReport the gateway sent for the accounts /
-- sessions it selects. The copies are re-derived from the journal (order_events rows that carry an
-- exec_id), in event_id order: the journal commits its batches in the order it assigned their
-- event_ids, so the committed rows are always a prefix of that order and "event_id > mark" never
-- skips a row that commits late.
--
--   delivered_event_id  every selected report up to here was handed to the session's QuickFIX
--                       store (sent, or kept for a resend); the next logon continues after it.
--   sending_upto        set before a batch is sent, delivered_event_id after. After a crash the
--                       reports in (delivered_event_id, sending_upto] may already have reached the
--                       client: they go out again with PossResend (97) = Y.
CREATE TABLE drop_copy_marks (
  session_key        text PRIMARY KEY,
  delivered_event_id bigint NOT NULL DEFAULT 0,
  sending_upto       bigint NOT NULL DEFAULT 0,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
