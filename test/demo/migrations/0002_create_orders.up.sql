-- description: create the orders table, each order belongs to a user
CREATE TABLE orders (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    amount     numeric(12, 2) NOT NULL CHECK (amount >= 0),
    status     text,
    created_at timestamptz NOT NULL DEFAULT now()
);
