-- +goose Up
-- Chorus PRO: artists who sell commercial licences of their music through
-- the site, and the books of that money.

-- One row per member who joined PRO. iban, bic and vat_id are ciphertexts
-- (AEAD, the associated data naming table, column and member_id), empty
-- when not given; iban_masked is what screens show ("FR76 •••• 1234").
-- catalogue offers every track of the member's artists; opted_out_at stops
-- new sales without touching licences already sold.
CREATE TABLE pro_members (
    member_id    INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    legal_name   TEXT NOT NULL,
    address      TEXT NOT NULL,
    country      TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    vat_id       BLOB NOT NULL DEFAULT X'',
    iban         BLOB NOT NULL DEFAULT X'',
    bic          BLOB NOT NULL DEFAULT X'',
    iban_masked  TEXT NOT NULL DEFAULT '',
    catalogue    BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at    TIMESTAMP NOT NULL,
    opted_out_at TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL
);

-- Acceptances of the distribution agreement: which version, when.
-- Append-only.
CREATE TABLE pro_agreements (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    version     TEXT NOT NULL,
    accepted_at TIMESTAMP NOT NULL
);
CREATE INDEX pro_agreements_member_idx ON pro_agreements (member_id, id);
-- +goose StatementBegin
CREATE TRIGGER pro_agreements_append_only BEFORE UPDATE ON pro_agreements
BEGIN
    SELECT RAISE(ABORT, 'agreement acceptances are append-only');
END;
-- +goose StatementEnd

-- Tracks offered one by one (when the whole catalogue is not).
CREATE TABLE pro_tracks (
    track_id    INTEGER PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
    opted_in_at TIMESTAMP NOT NULL
);

-- Every decryption of a PRO secret: whose, which value, who saw it
-- (NULL: the program itself, or a viewer whose account is gone) and why.
-- Append-only: rows go only with the account they are about.
CREATE TABLE pro_decryptions (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    viewer_id  INTEGER REFERENCES members (id) ON DELETE SET NULL,
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pro_decryptions_member_idx ON pro_decryptions (member_id, id);
CREATE INDEX pro_decryptions_viewer_idx ON pro_decryptions (viewer_id);
-- +goose StatementBegin
CREATE TRIGGER pro_decryptions_append_only BEFORE UPDATE OF id, member_id, value, reason, created_at ON pro_decryptions
BEGIN
    SELECT RAISE(ABORT, 'the decryption log is append-only');
END;
-- +goose StatementEnd

-- The double-entry ledger. An account is the platform's (member_id 0) or
-- a member's payable; kind is payable, revenue, refunds or cash. There is
-- no balance column: balances are sums of entries. member_id has no
-- foreign key: the books outlive an erased account.
CREATE TABLE ledger_accounts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    member_id  INTEGER NOT NULL DEFAULT 0,
    currency   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, member_id, currency)
);

-- A transaction: a sale, a refund or a payout, known by its kind and the
-- caller's reference (an order id), which makes posting idempotent.
CREATE TABLE ledger_transactions (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    memo       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, reference)
);

-- Entries: amount in minor units, positive for a debit, negative for a
-- credit; the entries of a transaction sum to zero.
CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
    account_id     INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount         INTEGER NOT NULL
);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id, transaction_id);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are append-only');
END;
-- +goose StatementEnd

-- Payout batches: one SEPA Credit Transfer file each (msg_id is its
-- MsgId), paid when the admin marks it so.
CREATE TABLE pro_payout_batches (
    id         INTEGER PRIMARY KEY,
    msg_id     TEXT NOT NULL UNIQUE,
    currency   TEXT NOT NULL,
    created_by INTEGER REFERENCES members (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    paid_by    INTEGER REFERENCES members (id) ON DELETE SET NULL,
    paid_at    TIMESTAMP
);

-- One transfer of a batch. member_id has no foreign key: the record of a
-- payment outlives an erased account.
CREATE TABLE pro_payouts (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES pro_payout_batches (id),
    member_id   INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    iban_masked TEXT NOT NULL,
    UNIQUE (batch_id, member_id)
);
CREATE INDEX pro_payouts_member_idx ON pro_payouts (member_id);

-- +goose Down
DROP TABLE pro_payouts;
DROP TABLE pro_payout_batches;
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
DROP TABLE ledger_accounts;
DROP TABLE pro_decryptions;
DROP TABLE pro_tracks;
DROP TABLE pro_agreements;
DROP TABLE pro_members;
