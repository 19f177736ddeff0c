-- +goose Up
-- Chorus PRO licensing: the businesses that buy licences, the price list,
-- the tax rates, orders and the licences they issue.

-- A member's business (licensee) profile: who the invoices and licences
-- are made out to.
CREATE TABLE licensees (
    member_id  INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    company    TEXT NOT NULL,
    vat_id     TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL,
    country    TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Whether a track offered through PRO is instrumental (no vocals), as
-- its artist says.
CREATE TABLE pro_track_details (
    track_id     INTEGER PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
    instrumental BOOLEAN NOT NULL DEFAULT FALSE
);

-- Standard VAT rate per country, in basis points (2000 = 20%).
CREATE TABLE pro_tax_rates (
    country    TEXT PRIMARY KEY,
    rate       INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The price list. kind is venue (background music, per period and venue
-- size) or sync (one project, per tier). price in minor units.
CREATE TABLE pro_products (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    tier       TEXT NOT NULL,
    period     TEXT NOT NULL DEFAULT '',
    price      INTEGER NOT NULL,
    currency   TEXT NOT NULL,
    territory  TEXT NOT NULL,
    term       TEXT NOT NULL,
    terms      TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Orders: what was sold to whom, at what price and tax. The buyer's
-- details are copied from the licensee profile at the time, as the
-- invoice must show them. member_id has no foreign key: orders are
-- invoices' supporting records and outlive an erased account.
CREATE TABLE pro_orders (
    id             INTEGER PRIMARY KEY,
    reference      TEXT NOT NULL UNIQUE,
    member_id      INTEGER NOT NULL,
    product_id     INTEGER NOT NULL REFERENCES pro_products (id),
    product_name   TEXT NOT NULL,
    project        TEXT NOT NULL DEFAULT '',
    company        TEXT NOT NULL,
    vat_id         TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL,
    country        TEXT NOT NULL,
    currency       TEXT NOT NULL,
    net            INTEGER NOT NULL,
    tax_rate       INTEGER NOT NULL,
    tax            INTEGER NOT NULL,
    reverse_charge BOOLEAN NOT NULL DEFAULT FALSE,
    status         TEXT NOT NULL,
    provider       TEXT NOT NULL,
    provider_ref   TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    paid_at        TIMESTAMP,
    paid_by        INTEGER REFERENCES members (id) ON DELETE SET NULL
);
CREATE INDEX pro_orders_member_idx ON pro_orders (member_id, id);
CREATE INDEX pro_orders_provider_idx ON pro_orders (provider_ref);

-- The tracks of an order and what each artist's member is paid from
-- (amount in minor units, before the split).
CREATE TABLE pro_order_tracks (
    order_id         INTEGER NOT NULL REFERENCES pro_orders (id),
    track_id         INTEGER NOT NULL,
    track_title      TEXT NOT NULL,
    artist_name      TEXT NOT NULL,
    artist_member_id INTEGER NOT NULL,
    amount           INTEGER NOT NULL,
    PRIMARY KEY (order_id, track_id)
);

-- Licences issued for paid orders; code is printed on the certificate
-- and proves it on the public verification page.
CREATE TABLE pro_licences (
    id        TEXT PRIMARY KEY,
    order_id  INTEGER NOT NULL UNIQUE REFERENCES pro_orders (id),
    code      TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL
);

INSERT INTO pro_tax_rates (country, rate, updated_at) VALUES
    ('AT', 2000, CURRENT_TIMESTAMP), ('BE', 2100, CURRENT_TIMESTAMP), ('BG', 2000, CURRENT_TIMESTAMP),
    ('CY', 1900, CURRENT_TIMESTAMP), ('CZ', 2100, CURRENT_TIMESTAMP), ('DE', 1900, CURRENT_TIMESTAMP),
    ('DK', 2500, CURRENT_TIMESTAMP), ('EE', 2400, CURRENT_TIMESTAMP), ('GR', 2400, CURRENT_TIMESTAMP),
    ('ES', 2100, CURRENT_TIMESTAMP), ('FI', 2550, CURRENT_TIMESTAMP), ('FR', 2000, CURRENT_TIMESTAMP),
    ('HR', 2500, CURRENT_TIMESTAMP), ('HU', 2700, CURRENT_TIMESTAMP), ('IE', 2300, CURRENT_TIMESTAMP),
    ('IT', 2200, CURRENT_TIMESTAMP), ('LT', 2100, CURRENT_TIMESTAMP), ('LU', 1700, CURRENT_TIMESTAMP),
    ('LV', 2100, CURRENT_TIMESTAMP), ('MT', 1800, CURRENT_TIMESTAMP), ('NL', 2100, CURRENT_TIMESTAMP),
    ('PL', 2300, CURRENT_TIMESTAMP), ('PT', 2300, CURRENT_TIMESTAMP), ('RO', 1900, CURRENT_TIMESTAMP),
    ('SE', 2500, CURRENT_TIMESTAMP), ('SI', 2200, CURRENT_TIMESTAMP), ('SK', 2300, CURRENT_TIMESTAMP);

-- +goose Down
DROP TABLE pro_licences;
DROP TABLE pro_order_tracks;
DROP TABLE pro_orders;
DROP TABLE pro_products;
DROP TABLE pro_tax_rates;
DROP TABLE pro_track_details;
DROP TABLE licensees;
