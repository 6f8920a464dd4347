-- description: backfill missing order status and make it mandatory (irreversible)
-- No down script: once filled in, the orders that had no status cannot be
-- told apart from the ones that were 'pending' already.
UPDATE orders SET status = 'pending' WHERE status IS NULL;
ALTER TABLE orders
    ALTER COLUMN status SET DEFAULT 'pending',
    ALTER COLUMN status SET NOT NULL;
