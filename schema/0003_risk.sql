-- fixgw schema, version 3: pre-trade risk. The append-only risk_events journal (rejects and
-- warnings with their rule, limit and value; kill-switch changes with who and why), positions
-- and P&L as a view over executions, and the current trading state per scope. See docs/risk.md.
--
-- Positions need no table of their own: they are a pure function of the fills, replayed in
-- exec_time order with the average-cost method (the same math as risk/positions.h), so the
-- database and the engine can never disagree on what was traded. The gateway rebuilds its
-- in-memory positions at start-up from the same executions.
--
-- Everything is unqualified so the migration lands in whatever schema search_path names (see
-- 0001_init.sql).

CREATE TABLE risk_events (
  risk_event_id bigserial PRIMARY KEY,
  event_type    text NOT NULL,  -- REJECT, WARN, STATE_CHANGE, CONFIG_RELOAD
  rule          text,           -- MAX_NOTIONAL, THROTTLE_ACCOUNT_ORDERS, TRADING_STATE, ...
  scope         text,           -- GLOBAL, ACCOUNT, SESSION (state changes)
  scope_key     text,           -- account or session key; null for GLOBAL
  from_state    text,           -- ACTIVE, REDUCING, HALTED
  to_state      text,
  who           text,           -- the operator, or 'risk' for automatic changes
  reason        text,
  account       text,
  symbol        text,
  session_key   text,
  cl_ord_id     text,
  order_id      text,
  limit_value   text,           -- the configured limit, as text
  actual_value  text,           -- what met it
  text          text,
  event_time    timestamptz NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX risk_events_by_time ON risk_events (event_time);
CREATE INDEX risk_events_by_account ON risk_events (account, event_time) WHERE account IS NOT NULL;
CREATE INDEX risk_events_states ON risk_events (scope, scope_key, risk_event_id)
  WHERE event_type = 'STATE_CHANGE';

CREATE TRIGGER risk_events_append_only BEFORE UPDATE OR DELETE ON risk_events
  FOR EACH ROW EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER risk_events_no_truncate BEFORE TRUNCATE ON risk_events
  FOR EACH STATEMENT EXECUTE FUNCTION fixgw_forbid_mutation();

-- Position state: {qty (signed), cost basis (signed like qty), realised P&L, bought, sold}.
CREATE FUNCTION fixgw_position_step(st numeric[], side text, qty numeric, px numeric)
RETURNS numeric[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  q numeric := st[1];
  cost numeric := st[2];
  realised numeric := st[3];
  dq numeric := CASE WHEN side = 'BUY' THEN qty ELSE -qty END;
  closed numeric;
  cost_closed numeric;
  remainder numeric;
BEGIN
  IF side = 'BUY' THEN st[4] := st[4] + qty; ELSE st[5] := st[5] + qty; END IF;
  IF q = 0 OR sign(q) = sign(dq) THEN
    q := q + dq;
    cost := cost + px * dq;
  ELSE
    closed := least(abs(dq), abs(q));
    cost_closed := CASE WHEN closed = abs(q) THEN cost ELSE cost * closed / abs(q) END;
    realised := realised + sign(q) * px * closed - cost_closed;
    cost := cost - cost_closed;
    remainder := abs(dq) - closed;
    IF remainder = 0 THEN
      q := q - sign(q) * closed;
      IF q = 0 THEN cost := 0; END IF;
    ELSE
      q := sign(dq) * remainder;
      cost := px * q;
    END IF;
  END IF;
  RETURN ARRAY[q, cost, realised, st[4], st[5]];
END;
$$;

CREATE AGGREGATE fixgw_position(text, numeric, numeric) (
  SFUNC = fixgw_position_step,
  STYPE = numeric[],
  INITCOND = '{0,0,0,0,0}'
);

-- Positions per account and symbol from every fill, in time order. unrealised_pnl is marked
-- against the last fill price in the symbol (any account); the running gateway marks against
-- its live reference price instead (`fixgw positions`).
CREATE VIEW v_positions AS
WITH p AS (
  SELECT account, symbol,
         fixgw_position(side, last_qty, last_px ORDER BY exec_time, exec_id) AS st,
         max(exec_time) AS last_fill_time
    FROM executions
   GROUP BY account, symbol
), mark AS (
  SELECT DISTINCT ON (symbol) symbol, last_px
    FROM executions
   ORDER BY symbol, exec_time DESC, exec_id DESC
)
SELECT p.account, p.symbol,
       p.st[1] AS qty,
       CASE WHEN p.st[1] = 0 THEN 0 ELSE round(abs(p.st[2] / p.st[1]), 8) END AS avg_cost,
       round(p.st[3], 8) AS realised_pnl,
       m.last_px AS mark_px,
       round(p.st[1] * m.last_px - p.st[2], 8) AS unrealised_pnl,
       p.st[4] AS bought_qty,
       p.st[5] AS sold_qty,
       p.last_fill_time
  FROM p
  JOIN mark m ON m.symbol = p.symbol;

-- The trading state now in force per scope: the last journaled change (ACTIVE when none).
CREATE VIEW v_trading_states AS
SELECT DISTINCT ON (scope, coalesce(scope_key, ''))
       scope, scope_key, to_state AS state, who, reason, event_time
  FROM risk_events
 WHERE event_type = 'STATE_CHANGE'
 ORDER BY scope, coalesce(scope_key, ''), risk_event_id DESC;
