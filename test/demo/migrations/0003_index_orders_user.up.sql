-- description: index orders by user for the per-user order list
CREATE INDEX orders_user_id_idx ON orders (user_id);
