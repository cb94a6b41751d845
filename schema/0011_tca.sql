-- Transaction cost analysis (issue 10): one row per parent order, written by the engine when the
-- parent completes (router/tca.h). What needs live market data is stored here: the arrival price
-- (the routed venue's mid at receipt; REFERENCE when no book was known and the venue's reference
-- price stood in; NONE when there was neither), the market's trades between arrival and
-- completion (volume, VWAP) and the figures against them. Fees and per-venue fill share are
-- derived from executions and child orders in v_tca_fees / v_tca_venue_share, so they stay exact
-- to the fills themselves.
--
-- Sign convention: slippage_*_bps is positive when it cost the client, for both sides
-- (buy: (avg_px - benchmark) / benchmark * 10000; sell: (benchmark - avg_px) / benchmark * 10000).
-- participation = filled_qty / market_volume (market volume includes our own fills);
-- fill_rate = filled_qty / order_qty. Ratios are fractions (0.25 = 25%).
CREATE TABLE tca (
  order_id             text PRIMARY KEY,
  session_key          text NOT NULL,
  account              text NOT NULL,
  symbol               text NOT NULL,
  side                 text NOT NULL,
  venue                text,
  strategy             text,            -- NULL: a direct order
  final_status         text NOT NULL,
  arrival_time         timestamptz NOT NULL,
  completed_at         timestamptz NOT NULL,
  arrival_px           numeric(38, 8),
  arrival_source       text NOT NULL CHECK (arrival_source IN ('MID', 'REFERENCE', 'NONE')),
  order_qty            numeric(38, 8) NOT NULL,
  filled_qty           numeric(38, 8) NOT NULL,
  avg_px               numeric(38, 8),
  market_volume        numeric(38, 8) NOT NULL,
  market_trades        bigint NOT NULL,
  interval_vwap        numeric(38, 8),
  slippage_arrival_bps numeric(38, 8),
  slippage_vwap_bps    numeric(38, 8),
  participation        numeric(38, 8),
  fill_rate            numeric(38, 8) NOT NULL
);
CREATE INDEX tca_by_arrival ON tca (arrival_time);
CREATE INDEX tca_by_account_time ON tca (account, arrival_time);
CREATE INDEX tca_by_symbol_time ON tca (symbol, arrival_time);

CREATE TRIGGER tca_append_only BEFORE UPDATE OR DELETE ON tca
  FOR EACH ROW EXECUTE FUNCTION fixgw_forbid_mutation();
CREATE TRIGGER tca_no_truncate BEFORE TRUNCATE ON tca
  FOR EACH STATEMENT EXECUTE FUNCTION fixgw_forbid_mutation();

-- Fees per parent and currency, from its executions (a fill without a reported fee adds nothing).
CREATE VIEW v_tca_fees AS
SELECT x.order_id, x.fee_currency, sum(x.fee) AS fees, count(*) AS fills
  FROM executions x
 WHERE x.fee IS NOT NULL
 GROUP BY x.order_id, x.fee_currency;

-- Each venue's share of a parent's filled quantity. The venue is the child's (an algo's or the
-- SOR's children may go to several venues), else the execution's.
CREATE VIEW v_tca_venue_share AS
SELECT f.order_id, f.venue, f.filled_qty,
       round(f.filled_qty / nullif(sum(f.filled_qty) OVER (PARTITION BY f.order_id), 0), 8)
         AS fill_share
  FROM (SELECT x.order_id, coalesce(c.venue, x.venue) AS venue, sum(x.last_qty) AS filled_qty
          FROM executions x
          LEFT JOIN orders c ON c.order_id = x.child_order_id
         GROUP BY x.order_id, coalesce(c.venue, x.venue)) f;

-- The report: the stored figures with fees (by currency) and venue shares as JSON objects.
CREATE VIEW v_tca AS
SELECT t.*,
       coalesce((SELECT jsonb_object_agg(coalesce(f.fee_currency, ''), f.fees)
                   FROM v_tca_fees f WHERE f.order_id = t.order_id), '{}'::jsonb) AS fees,
       coalesce((SELECT jsonb_object_agg(coalesce(v.venue, ''), v.fill_share)
                   FROM v_tca_venue_share v WHERE v.order_id = t.order_id), '{}'::jsonb)
         AS venue_share
  FROM tca t;
