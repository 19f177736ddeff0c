-- +goose Up
-- The privacy policy, as versions written in Markdown by admins. A draft
-- has no version name and no published_at; publishing names it (the date,
-- "2026-11-29", with ".2", ".3" for a second publication on one day) and
-- fixes it: a published version is never changed. The version in force is
-- the one published last. summary is the summary of changes shown to
-- members in the notice.
CREATE TABLE policy_versions (
    id           INTEGER PRIMARY KEY,
    version      TEXT UNIQUE,
    body         TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX policy_versions_published_idx ON policy_versions (published_at);

-- Members' acknowledgements of policy versions, append-only: one row when
-- they sign up (accepting the version in force) and one each time they
-- acknowledge the notice of a new version. transfers is the member's
-- separate choice about transfers to processors outside the EU/EEA, asked
-- at sign-up: 'given', 'refused', or '' when it was not asked.
CREATE TABLE policy_acknowledgements (
    id             INTEGER PRIMARY KEY,
    member_id      INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    policy_version TEXT NOT NULL,
    event          TEXT NOT NULL,
    transfers      TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX policy_acknowledgements_member_idx ON policy_acknowledgements (member_id, id);

-- The processors register (GDPR Art. 28, Art. 30(1)(d)): every third party
-- that receives personal data for the site. config_key names a processor
-- seeded from the configuration ('smtp'); country is an ISO 3166-1 alpha-2
-- code, '' when not yet known; categories lists Fides data categories
-- separated by commas.
CREATE TABLE processors (
    id         INTEGER PRIMARY KEY,
    config_key TEXT UNIQUE,
    name       TEXT NOT NULL,
    service    TEXT NOT NULL,
    country    TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    purpose    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER policy_acknowledgements_append_only BEFORE UPDATE ON policy_acknowledgements
BEGIN
    SELECT RAISE(ABORT, 'policy acknowledgements are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER policy_versions_published_fixed BEFORE UPDATE ON policy_versions
WHEN OLD.published_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a published policy version cannot be changed');
END;
-- +goose StatementEnd

-- The first version: the policy every Chorus site starts with.
INSERT INTO policy_versions (version, body, summary, created_at, published_at)
VALUES ('2026-11-01', '# Privacy policy

This privacy policy governs the use of this Chorus site. We may change it from time to time: each version is kept, the date of the one in force is shown at the top of this page, and when a new version is published, members see a summary of the changes on their next visit and are asked to acknowledge it. Visitors can read every change here.

## 1. Information we collect

You do not need to give us any personal information to visit this site: you can browse, search, listen and download without an account. Some services need an account, and by creating one you may give us personal information: email address, user name, password, real name, location, profile picture. When you sign in with another service (Google, Facebook, X or an OpenID Connect provider), we take only your public profile and your email address from it, and you see exactly what is taken before your accounts are linked. Only some of this information is mandatory, and every form says which fields are mandatory, for which service, and why. You also provide personal information when you publish music, comment or take part in discussions.

Some information is collected automatically when you use the site: a shortened form of your network address, the kind of browser and device you use, the pages you view and what you play, download and search for. It is collected by this site itself, never by a third-party analytics service. Without your consent it is only counted: nothing in it identifies you, no cookie is set for it, your network address is cut short and the words of your searches are not kept. With your consent it is linked to you, as a listening history that you can see, pause and clear. Without your consent we set only the cookies that are strictly necessary (keeping you logged in, remembering your privacy choice); the "Privacy choices" page lists each of them.

## 2. How we use your information

We use the information we hold to identify you when you log in and keep your account safe; to publish what you choose to make public (your profile, your music, your comments and discussions) — please keep this in mind when you make something public; to send you messages about your account, and notifications and newsletters only if you ask for them; to share your activity with your contacts, only if you choose to; to operate your account and give you access to the services; to answer your questions and requests; and, only with your consent, to personalise your use of the site and to improve it. The table below lists, for every piece of information, why we hold it.

## 3. Sharing of your information

Anything you make public (your public profile, comments, discussions) is visible to everyone. Every form says which information may be shared at the time we collect it. Companies that provide services to this site (processors, such as an email relay) receive your information only to provide those services to us, and only the categories listed for them in the register below. Your information may be aggregated into statistics, which never single anyone out. If required by law, we may disclose personal information to competent authorities; each such request is recorded.

Some processors may be outside the European Union and the European Economic Area. Where that is the case, the register below says so, and we ask for your consent to that transfer separately when you sign up; you may refuse it and still use the site, and we then do not send your information to those processors.

## 4. Your choices about your information

Everything you gave when you registered can be seen, changed or deleted at any time under "Your data" in your settings, where you can also download all your data or delete your account. Deleting mandatory information may prevent you from using the related service, and the settings say what stops working before you confirm. For anything not available in your settings, write to the operator of this site. You can unsubscribe from notifications and newsletters at any time with the "unsubscribe" link at the bottom of each message, in one click and without logging in. What is collected automatically is linked to you only with your consent: you can refuse it, or send the Global Privacy Control signal from your browser, and still use everything here; your visits are then only counted, anonymously.
', 'The first version of this policy.', '2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00');

-- +goose Down
DROP TRIGGER policy_versions_published_fixed;
DROP TRIGGER policy_acknowledgements_append_only;
DROP TABLE processors;
DROP TABLE policy_acknowledgements;
DROP TABLE policy_versions;
