-- pgbench replay of one TokenPool reservation: the same statement, in the same transaction
-- shape (BEGIN, claim, COMMIT) that tome-bench runs through the library.
\set start random(0, 8999999999999999999)
BEGIN;
WITH claimed AS (DELETE FROM token_pool WHERE ns1_token = (SELECT ns1_token FROM token_pool WHERE claim_key >= :start AND (expires_at IS NULL OR expires_at > now()) ORDER BY claim_key LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ns1_token, ns2_token, run_id, batch_no) INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source, run_id, batch_no) SELECT ns2_token, ns1_token, 'pgbench-' || :client_id || '-' || txid_current(), 'pool', run_id, batch_no FROM claimed RETURNING ns1_token, ns2_token;
COMMIT;
