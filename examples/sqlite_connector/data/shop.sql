-- The example connector's shop database. Every row is generated deterministically by SQL
-- (recursive CTEs over integers), so the same file always builds the same data:
-- 1,000 customers, 5,000 orders, 24 products. Timestamps are ISO 8601 UTC text
-- ('YYYY-MM-DDTHH:MM:SSZ'), dates 'YYYY-MM-DD', so text comparison is time order.

PRAGMA foreign_keys = ON;

-- Tokens accepted as the `apiToken` credential (besides the connector's constant 'example-token').
CREATE TABLE api_tokens (
    token TEXT PRIMARY KEY,
    label TEXT NOT NULL
);
INSERT INTO api_tokens (token, label) VALUES ('shop-admin-token', 'administrator');

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0),
    email TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL CHECK (length(country) = 2),
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    price REAL NOT NULL CHECK (price >= 0),
    active BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    amount REAL NOT NULL CHECK (amount >= 0),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
    ordered_at DATE NOT NULL,
    updated_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_updated ON orders (updated_at);

-- An update that does not set updated_at stamps it with the current time (incremental pulls).
CREATE TRIGGER customers_touch AFTER UPDATE ON customers
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE customers SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;
CREATE TRIGGER orders_touch AFTER UPDATE ON orders
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE orders SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = NEW.id;
END;

INSERT INTO customers (id, name, email, country, created_at, updated_at)
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1000)
SELECT
    n,
    'Customer ' || printf('%04d', n),
    'customer' || n || '@example.com',
    substr('USGBDEFRJPBRINCAESIT', (n % 10) * 2 + 1, 2),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-01', '+' || (n * 7 % 365) || ' days', '+' || (n * 3037 % 86400) || ' seconds'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-01', '+' || (n * 7 % 365 + n % 30) || ' days', '+' || (n * 3037 % 86400) || ' seconds')
FROM seq;

INSERT INTO products (id, sku, name, price, active)
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 24)
SELECT n, 'SKU-' || printf('%03d', n), 'Product ' || n, round(4.99 + (n * 7 % 24) * 2.5, 2), n % 6 != 0
FROM seq;

INSERT INTO orders (id, customer_id, amount, status, ordered_at, updated_at)
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 5000)
SELECT
    n,
    (n * 7919 % 1000) + 1,
    round(5 + (n * 37 % 50000) / 100.0, 2),
    CASE n % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending' WHEN 2 THEN 'pending' WHEN 3 THEN 'paid'
                WHEN 4 THEN 'paid' WHEN 5 THEN 'paid' ELSE 'shipped' END,
    date('2024-01-01', '+' || (n * 13 % 366) || ' days'),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-01', '+' || (n * 13 % 366 + n % 5) || ' days', '+' || (n * 601 % 86400) || ' seconds')
FROM seq;
