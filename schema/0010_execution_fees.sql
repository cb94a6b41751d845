-- Fees on fills (issue 10/11): the fee or commission a venue charged for an execution and its
-- currency (a crypto venue may charge in the base, the quote or its own token). NULL when the
-- venue did not report one with the fill.
ALTER TABLE executions ADD COLUMN fee numeric;
ALTER TABLE executions ADD COLUMN fee_currency text;
