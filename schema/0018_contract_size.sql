-- Derivatives (issue 12): a fill of a perpetual swap or future counts contracts, and one contract
-- is contract_size units of the underlying (OKX BTC-USDT-SWAP: 0.01 BTC). The journal books the
-- instrument's contract size with every fill, so notional, positions and P&L here are
-- last_qty * contract_size * last_px, as the gateway's risk engine computes them, even if the
-- instrument master changes later. Rows written before this migration were all cash instruments:
-- their contract size is 1.
ALTER TABLE executions ADD COLUMN contract_size numeric(38, 8) NOT NULL DEFAULT 1
  CHECK (contract_size > 0);

-- Position state with contract sizes: {qty in contracts (signed), cost basis in money (signed like
-- qty), realised P&L in money, bought, sold, cost basis in price*contracts (for the average
-- cost)}. The same average-cost method as fixgw_position_step, with every money amount times the
-- fill's contract size (equal to it when the size is 1).
CREATE FUNCTION fixgw_position_cs_step(st numeric[], side text, qty numeric, px numeric,
                                       cs numeric)
RETURNS numeric[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  q numeric := st[1];
  cost numeric := st[2];
  realised numeric := st[3];
  pcost numeric := st[6];
  dq numeric := CASE WHEN side = 'BUY' THEN qty ELSE -qty END;
  closed numeric;
  cost_closed numeric;
  pcost_closed numeric;
  remainder numeric;
BEGIN
  IF side = 'BUY' THEN st[4] := st[4] + qty; ELSE st[5] := st[5] + qty; END IF;
  IF q = 0 OR sign(q) = sign(dq) THEN
    q := q + dq;
    cost := cost + px * dq * cs;
    pcost := pcost + px * dq;
  ELSE
    closed := least(abs(dq), abs(q));
    cost_closed := CASE WHEN closed = abs(q) THEN cost ELSE cost * closed / abs(q) END;
    pcost_closed := CASE WHEN closed = abs(q) THEN pcost ELSE pcost * closed / abs(q) END;
    realised := realised + sign(q) * px * closed * cs - cost_closed;
    cost := cost - cost_closed;
    pcost := pcost - pcost_closed;
    remainder := abs(dq) - closed;
    IF remainder = 0 THEN
      q := q - sign(q) * closed;
      IF q = 0 THEN cost := 0; pcost := 0; END IF;
    ELSE
      q := sign(dq) * remainder;
      cost := px * q * cs;
      pcost := px * q;
    END IF;
  END IF;
  RETURN ARRAY[q, cost, realised, st[4], st[5], pcost];
END;
$$;

CREATE AGGREGATE fixgw_position(text, numeric, numeric, numeric) (
  SFUNC = fixgw_position_cs_step,
  STYPE = numeric[],
  INITCOND = '{0,0,0,0,0,0}'
);

-- v_positions as before (qty, bought and sold in contracts), with P&L times the contract size and
-- the contract size shown (that of the symbol's last fill, which the mark comes from).
CREATE OR REPLACE VIEW v_positions AS
WITH p AS (
  SELECT account, symbol,
         fixgw_position(side, last_qty, last_px, contract_size ORDER BY exec_time, exec_id) AS st,
         max(exec_time) AS last_fill_time
    FROM executions
   GROUP BY account, symbol
), mark AS (
  SELECT DISTINCT ON (symbol) symbol, last_px, contract_size
    FROM executions
   ORDER BY symbol, exec_time DESC, exec_id DESC
)
SELECT p.account, p.symbol,
       p.st[1] AS qty,
       CASE WHEN p.st[1] = 0 THEN 0 ELSE round(abs(p.st[6] / p.st[1]), 8) END AS avg_cost,
       round(p.st[3], 8) AS realised_pnl,
       m.last_px AS mark_px,
       round(p.st[1] * m.last_px * m.contract_size - p.st[2], 8) AS unrealised_pnl,
       p.st[4] AS bought_qty,
       p.st[5] AS sold_qty,
       p.last_fill_time,
       m.contract_size
  FROM p
  JOIN mark m ON m.symbol = p.symbol;

-- Fills with their notional: contracts x contract size x price (exact numeric arithmetic).
CREATE OR REPLACE VIEW v_fills AS
SELECT x.exec_id, x.exec_time, x.order_id, x.child_order_id, x.session_key, x.cl_ord_id,
       x.account, x.symbol, x.side, x.last_qty, x.last_px,
       x.last_qty * x.contract_size * x.last_px AS notional,
       x.cum_qty, x.leaves_qty, x.avg_px, x.venue, x.venue_exec_id, x.contract_size
  FROM executions x;
