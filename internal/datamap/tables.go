package datamap

import (
	"fmt"
	"slices"
	"strconv"

	"chorus/internal/chorus"
)

// More categories, for data about the account itself.
const (
	Account Category = "user.account"
	Content Category = "user.content"
)

// Retention periods, as people read them.
const (
	untilErased   = "until the member changes it or their account is erased"
	whileLogin    = "while the login lasts: at most the session lifetime (30 days by default) and the idle timeout (7 days); deleted within the hour after"
	untilUsed     = "until used, replaced or expired (at most 7 days); then until the account is erased"
	untilExpiry   = "until the counter expires: the longest wait of its rule (at most a day); swept every 10 minutes"
	untilUnlinked = "until the member unlinks the provider account, or the account is erased"
	untilSent     = "the message until it is sent or given up (at most about 4 hours); the send log until the account is erased"
	graceOnly     = "until erasure runs (the grace period, 14 days by default) or the member logs in, which cancels it"
	forever       = "as long as the site keeps usernames of erased accounts reserved"
	consentKept   = "a member's: until the account is erased; a visitor's: 395 days"
	exportKept    = "7 days after the export is ready, then the file is deleted; the row until the account is erased"
)

// Erasure rules used in the map.
var (
	deleted = Erasure{Action: Delete}
)

// Export rules used in the map.
var (
	export       = Exported("as stored")
	exportFile   = Exported("as the stored files, beside the data")
	notSecret    = NotExported("a secret (or a hash of one): giving it out would weaken the account; it tells the member nothing")
	internalOnly = NotExported("derived from another exported value, for lookups")
)

// notPersonal declares a column without personal data; why says why when
// it is not obvious from the name.
func notPersonal(name string, why ...string) Column {
	c := Column{Name: name, NotPersonal: "no personal data"}
	if len(why) > 0 {
		c.NotPersonal = why[0]
	}
	return c
}

// memberRef declares a column holding the id of the member a row belongs to.
func memberRef(name string) Column {
	return Column{Name: name, Category: UniqueID, MemberRef: true, Purposes: []Purpose{Operate},
		Mandatory: "account", Visibility: Private, Retention: "with its row", Export: NotExported("an internal number; the row itself is exported"), Erasure: deleted}
}

// ofMember is the Owner of tables with a member_id column.
var ofMember = Owner{Where: "member_id = ?"}

// ofArtists is the Owner of tables reached through the member's artists.
var ofArtists = Owner{Where: "artist_id IN (SELECT id FROM artists WHERE member_id = ?)"}

// whoSees ends the "why" of a profile field whose visibility the member chooses.
const whoSees = " You choose below who can see it: everyone, or only you."

// Tables declares every table and column of the schema, on both databases
// (Dialect limits a table to one). The job queue's own tables (river_*),
// goose's version table and SQLite's internal tables are left out: see
// ignoredTables in the schema test. Each area of the site declares its
// tables in a file of its own (tables_*.go), gathered here.
var Tables = slices.Concat(
	accountTables,
	analyticsTables,
	newslettersTables,
	policyTables,
	communityTables,
	moderationTables,
	requestsTables,
	proTables,
	licensingTables,
	discussionsTables,
	notificationsTables,
)

// accountTables declares the tables of accounts, identity, the catalogue
// and the privacy machinery.
var accountTables = []Table{
	{
		Name:  "consent_records",
		About: "The consent ledger (GDPR Art. 7(1)): every choice about the optional purposes, append-only. A member's rows go with the account; a visitor's rows are known only by a hash of a random cookie id and are deleted after 395 days.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			memberRef("member_id"),
			{Name: "visitor_hash", Category: Pseudonym, Purposes: []Purpose{Consent}, Mandatory: "remembering a visitor's choice", Visibility: Private,
				Retention: consentKept, Export: NotExported("a hash of a random id; it tells the member nothing"), Erasure: deleted},
			{Name: "given", Category: PrivacyChoices, Purposes: []Purpose{Consent}, Mandatory: "recording a choice", Visibility: Private,
				Retention: consentKept, Export: export, Erasure: deleted},
			{Name: "refused", Category: PrivacyChoices, Purposes: []Purpose{Consent}, Mandatory: "recording a choice", Visibility: Private,
				Retention: consentKept, Export: export, Erasure: deleted},
			{Name: "signal", Category: PrivacyChoices, Purposes: []Purpose{Consent}, Mandatory: "recording a choice", Visibility: Private,
				Retention: consentKept, Export: export, Erasure: deleted},
			notPersonal("policy_version", "the version of the policy in force"),
			notPersonal("wording", "the words Chorus showed, written by Chorus"),
			{Name: "source", Category: PrivacyChoices, Purposes: []Purpose{Consent}, Mandatory: "recording a choice", Visibility: Private,
				Retention: consentKept, Export: export, Erasure: deleted},
			notPersonal("carried_from", "the number of the visitor row a member's choice was copied from"),
			{Name: "created_at", Category: PrivacyChoices, Purposes: []Purpose{Consent}, Mandatory: "recording a choice", Visibility: Private,
				Retention: consentKept, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "members",
		About: "One row per account. Erasure deletes the row itself (no tombstone): nothing of the member is left; artists' and the mail log's member_id become NULL through their foreign keys before those rows are erased too.",
		Owner: Owner{Where: "id = ?"}, Rows: DeleteRows, Order: 100,
		Columns: []Column{
			{Name: "id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Operate}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: Exported("as the account number"), Erasure: deleted},
			{Name: "email", Category: Email, Purposes: []Purpose{LogIn, AccountMail}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted, Processors: []Processor{SMTPRelay},
				Why: "Needed to log in and to reach you about your account. It is never shown to other members."},
			{Name: "email_key", Category: Email, Purposes: []Purpose{LogIn}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: internalOnly, Erasure: deleted},
			{Name: "username", Category: Username, Purposes: []Purpose{LogIn, Publish}, Mandatory: "account", Visibility: Public,
				Retention: untilErased + "; when the site reserves names of erased accounts, a hash of its look-alike form is kept (reserved_usernames)",
				Export:    export, Erasure: deleted,
				Why: "Needed to identify you on Chorus. It is public: others see it beside what you post."},
			{Name: "username_key", Category: Username, Purposes: []Purpose{LogIn}, Mandatory: "account", Visibility: Public,
				Retention: untilErased, Export: internalOnly, Erasure: deleted},
			{Name: "username_skeleton", Category: Username, Purposes: []Purpose{Protect}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: internalOnly, Erasure: deleted},
			{Name: "password_hash", Category: Credentials, Purposes: []Purpose{LogIn}, Mandatory: "account, unless you sign in through a provider", Visibility: Private,
				Retention: untilErased, Export: notSecret, Erasure: deleted,
				Why: "Needed to protect your account. At least 8 characters; we store only a salted hash of it."},
			{Name: "created_at", Category: Account, Purposes: []Purpose{Operate}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "role", Category: Account, Purposes: []Purpose{Operate}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "email_verified_at", Category: Account, Purposes: []Purpose{AccountMail}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "suspended_at", Category: Account, Purposes: []Purpose{Operate}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "suspended_reason", Category: Account, Purposes: []Purpose{Operate}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "password_changed_at", Category: Account, Purposes: []Purpose{LogIn}, Mandatory: "account", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "real_name", Category: Name, Purposes: []Purpose{Publish}, Visibility: Chosen,
				Retention: untilErased, Export: export, Erasure: deleted,
				Why: "Lets people who know you find you, beside your username." + whoSees},
			{Name: "real_name_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "location", Category: City, Purposes: []Purpose{Publish}, Visibility: Chosen,
				Retention: untilErased, Export: export, Erasure: deleted,
				Why: "A town, a region or a country, as precise as you like: lets listeners find artists and members near them." + whoSees},
			{Name: "location_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "bio", Category: Content, Purposes: []Purpose{Publish}, Visibility: Chosen,
				Retention: untilErased, Export: export, Erasure: deleted,
				Why: fmt.Sprintf("A few words about you and the music you like, up to %d characters.", chorus.MaxBioLen) + whoSees},
			{Name: "bio_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "links", Category: Content, Purposes: []Purpose{Publish}, Visibility: Chosen,
				Retention: untilErased, Export: export, Erasure: deleted,
				Why: fmt.Sprintf("Up to %d web addresses starting with https:// or http://, one per line: your website, your other profiles.", chorus.MaxProfileLinks) + whoSees},
			{Name: "links_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "picture_key", Category: Content, Purposes: []Purpose{Publish}, Visibility: Chosen,
				Retention: untilErased, Export: exportFile, Erasure: deleted, Processors: []Processor{ObjectStore}, Files: PictureFiles,
				Why: "Helps others recognise you. JPEG, PNG, GIF or WebP, up to 20 MB; we keep a resized copy without its metadata (such as where the photo was taken)." + whoSees},
			{Name: "picture_public", Category: AccountSettings, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "totp_secret", Category: Credentials, Purposes: []Purpose{LogIn}, Mandatory: "two-factor authentication, when the member turns it on", Visibility: Private,
				Retention: "until two-factor authentication is turned off, or the account is erased", Export: notSecret, Erasure: deleted},
			{Name: "totp_enabled_at", Category: AccountSettings, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "totp_last_step", Category: Credentials, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilErased, Export: NotExported("the time step of the last code used, so that a code works once; it tells the member nothing"), Erasure: deleted},
			{Name: "webauthn_handle", Category: UniqueID, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilErased, Export: NotExported("a random handle the member's passkeys carry"), Erasure: deleted},
		},
	},
	{
		Name:  "sessions",
		About: "The session store (github.com/alexedwards/scs): one row per browser with a session cookie. Rows of a logged-in member carry their id in the encoded data.",
		Owner: Owner{SessionKey: "member_id"}, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			{Name: "token", Category: Credentials, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: notSecret, Erasure: deleted},
			{Name: "data", Category: UniqueID, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: NotExported("the member's id and the login's id; listed through member_sessions"), Erasure: deleted},
			notPersonal("expiry", "when the session ends"),
		},
	},
	{
		Name:  "member_sessions",
		About: "One row per logged-in browser: what the sessions page lists.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			{Name: "id", Category: UniqueID, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: NotExported("a random login id"), Erasure: deleted},
			memberRef("member_id"),
			{Name: "created_at", Category: Browsing, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: export, Erasure: deleted},
			{Name: "last_seen_at", Category: Browsing, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: export, Erasure: deleted},
			{Name: "authenticated_at", Category: Browsing, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: export, Erasure: deleted},
			{Name: "ip_prefix", Category: IPAddress, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin + "; truncated to /24 (IPv4) or /48 (IPv6) before it is stored", Export: export, Erasure: deleted},
			{Name: "browser", Category: DeviceType, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin + "; read from the User-Agent, which is not kept", Export: export, Erasure: deleted},
			{Name: "os", Category: DeviceType, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: export, Erasure: deleted},
			{Name: "device", Category: DeviceType, Purposes: []Purpose{LogIn}, Mandatory: "logging in", Visibility: Private,
				Retention: whileLogin, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "member_tokens",
		About: "Single-use links sent by email (address confirmation, password reset, change of address); only a SHA-256 of each token is kept.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			{Name: "token_hash", Category: Credentials, Purposes: []Purpose{AccountMail}, Visibility: Private,
				Retention: untilUsed, Export: notSecret, Erasure: deleted},
			memberRef("member_id"),
			notPersonal("purpose", "which kind of link"),
			{Name: "email", Category: Email, Purposes: []Purpose{AccountMail}, Mandatory: "changing the address", Visibility: Private,
				Retention: untilUsed, Export: export, Erasure: deleted, Processors: []Processor{SMTPRelay}},
			notPersonal("created_at", "when the link was made"),
			notPersonal("expires_at", "when the link stops working"),
			notPersonal("used_at", "when the link was used"),
		},
	},
	{
		Name:  "recovery_codes",
		About: "Two-factor recovery codes; only a hash of each is kept.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "code_hash", Category: Credentials, Purposes: []Purpose{LogIn}, Mandatory: "two-factor authentication", Visibility: Private,
				Retention: "until used, replaced, or two-factor authentication is turned off", Export: notSecret, Erasure: deleted},
			notPersonal("used_at", "when the code was used"),
		},
	},
	{
		Name:  "member_identities",
		About: "Accounts at sign-in providers (Google, Facebook, X, OpenID Connect) linked to members: only what the member is shown before linking.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			memberRef("member_id"),
			notPersonal("provider", "which provider"),
			{Name: "subject", Category: UniqueID, Purposes: []Purpose{LogIn}, Mandatory: "signing in with that provider", Visibility: Private,
				Retention: untilUnlinked, Export: export, Erasure: deleted},
			{Name: "email", Category: Email, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilUnlinked, Export: export, Erasure: deleted},
			{Name: "email_verified", Category: Account, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilUnlinked, Export: export, Erasure: deleted},
			{Name: "display_name", Category: Name, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilUnlinked, Export: export, Erasure: deleted},
			{Name: "avatar_url", Category: Content, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilUnlinked + "; the picture itself is never fetched", Export: export, Erasure: deleted},
			{Name: "created_at", Category: Account, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: untilUnlinked, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "member_passkeys",
		About: "Passkeys (WebAuthn credentials): public keys only; the private key never leaves the member's device.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			memberRef("member_id"),
			{Name: "credential_id", Category: Credentials, Purposes: []Purpose{LogIn}, Mandatory: "logging in with a passkey", Visibility: Private,
				Retention: "until the member removes the passkey, or the account is erased", Export: notSecret, Erasure: deleted},
			{Name: "name", Category: Content, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: "until the member removes the passkey, or the account is erased", Export: export, Erasure: deleted},
			{Name: "credential", Category: Credentials, Purposes: []Purpose{LogIn}, Mandatory: "logging in with a passkey", Visibility: Private,
				Retention: "until the member removes the passkey, or the account is erased", Export: notSecret, Erasure: deleted},
			{Name: "created_at", Category: Account, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: "with the passkey", Export: export, Erasure: deleted},
			{Name: "last_used_at", Category: Browsing, Purposes: []Purpose{LogIn}, Visibility: Private,
				Retention: "with the passkey", Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "rate_limits",
		About: "Failed-attempt counters behind the growing waits on logins, codes, sign-ups and resets, keyed by client network or by account. Counters keyed by a hash of a typed name (when no account matched) are not linked to any account and expire.",
		Owner: Owner{Where: "key LIKE ?", Args: func(s Subject) []any { return []any{"%:member:" + strconv.FormatInt(s.ID, 10)} }},
		Rows:  DeleteRows, Order: 10,
		Columns: []Column{
			{Name: "key", Category: IPAddress, Purposes: []Purpose{Protect}, Visibility: Private,
				Retention: untilExpiry + "; an IPv6 address is cut to its /64", Export: NotExported("counters of failed attempts"), Erasure: deleted},
			notPersonal("failures", "a count"),
			notPersonal("window_start", "when counting began"),
			notPersonal("next_allowed_at", "the end of the wait"),
		},
	},
	{
		Name:  "outbox",
		About: "Outgoing mail and the send log. Erasure deletes the messages addressed to the member, or about them, with their .eml files.",
		Owner: Owner{Where: "member_id = ? OR LOWER(to_address) = LOWER(?)", Args: func(s Subject) []any { return []any{s.ID, s.Email} }},
		Rows:  DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "the message's number"),
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{AccountMail, ChosenMail}, Visibility: Private,
				Retention: untilSent, Export: NotExported("the account's number"), Erasure: deleted},
			{Name: "to_address", Category: Email, Purposes: []Purpose{AccountMail, ChosenMail}, Mandatory: "account", Visibility: Private,
				Retention: untilSent, Export: export, Erasure: deleted, Processors: []Processor{SMTPRelay}},
			notPersonal("template", "which kind of message"),
			{Name: "subject", Category: PrivateContent, Purposes: []Purpose{AccountMail, ChosenMail}, Visibility: Private,
				Retention: untilSent, Export: export, Erasure: deleted, Processors: []Processor{SMTPRelay}},
			{Name: "body", Category: PrivateContent, Purposes: []Purpose{AccountMail, ChosenMail}, Visibility: Private,
				Retention: "until the message is sent or given up, then cleared", Export: NotExported("holds links that log in or reset a password; cleared once sent"), Erasure: deleted, Processors: []Processor{SMTPRelay}},
			{Name: "eml_key", Category: PrivateContent, Purposes: []Purpose{AccountMail, ChosenMail}, Visibility: Private,
				Retention: untilSent, Export: NotExported("the message file, which holds single-use links"), Erasure: deleted, Files: MailFiles},
			notPersonal("created_at", "when the message was queued"),
			notPersonal("sent_at", "when it was delivered"),
			notPersonal("last_error", "the delivery error, without the message"),
			notPersonal("attempts", "a count"),
			notPersonal("failed_at", "when delivery was given up"),
		},
	},
	{
		Name:  "erasure_requests",
		About: "Accounts waiting for erasure, at once or after the grace period.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "requested_at", Category: Account, Purposes: []Purpose{Operate}, Visibility: Private,
				Retention: graceOnly, Export: export, Erasure: deleted},
			{Name: "erase_at", Category: Account, Purposes: []Purpose{Operate}, Visibility: Private,
				Retention: graceOnly, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "exports",
		About: "Members' exports of their data (GDPR Art. 15 and 20): the ZIP made for each request, downloadable by the member for 7 days.",
		Owner: ofMember, Rows: DeleteRows, Order: 10,
		Columns: []Column{
			notPersonal("id", "a random number naming the download link"),
			memberRef("member_id"),
			notPersonal("status", "whether the ZIP is being made or ready"),
			{Name: "file_key", Category: PrivateContent, Purposes: []Purpose{Operate}, Mandatory: "exporting your data", Visibility: Private,
				Retention: exportKept, Export: NotExported("the export itself"), Erasure: deleted, Processors: []Processor{ObjectStore}, Files: ExportFiles},
			{Name: "created_at", Category: Account, Purposes: []Purpose{Operate}, Mandatory: "exporting your data", Visibility: Private,
				Retention: exportKept, Export: export, Erasure: deleted},
			notPersonal("ready_at", "when the ZIP was ready"),
			notPersonal("expires_at", "when the link stops working"),
		},
	},
	{
		Name:  "reserved_usernames",
		About: "Usernames of erased accounts no one may register again, when the site keeps them reserved (--reserve-erased-usernames). Only a SHA-256 of the name's look-alike skeleton is kept: it links to no account and holds no name.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("skeleton_hash", "a one-way hash of a name's look-alike form, linked to no account; kept "+forever),
			notPersonal("reserved_at", "when the name was reserved"),
		},
	},

	// The catalogue: artists and their music. A member's artists are
	// erased with the member, through the publishing service so that every
	// stored file goes too.
	{
		Name:  "artists",
		About: "Artist profiles; an imported artist may have no member.",
		Owner: ofMember, Rows: DeleteRows, Order: 50,
		Columns: []Column{
			notPersonal("id", "the artist's number"),
			memberRef("member_id"),
			{Name: "name", Category: PublicContent, Purposes: []Purpose{Publish}, Mandatory: "publishing music", Visibility: Public,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "name_key", Category: PublicContent, Purposes: []Purpose{Publish}, Mandatory: "publishing music", Visibility: Public,
				Retention: untilErased, Export: internalOnly, Erasure: deleted},
			{Name: "slug", Category: PublicContent, Purposes: []Purpose{Publish}, Mandatory: "publishing music", Visibility: Public,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "bio", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "picture_key", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased, Export: exportFile, Erasure: deleted, Processors: []Processor{ObjectStore}, Files: PictureFiles},
			{Name: "created_at", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "albums",
		About: "Albums, made from the album tag of uploaded tracks.",
		Owner: ofArtists, Rows: DeleteRows, Order: 40,
		Columns: []Column{
			notPersonal("id", "the album's number"),
			notPersonal("artist_id", "the artist's number"),
			{Name: "title", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "title_key", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased, Export: internalOnly, Erasure: deleted},
			{Name: "slug", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased, Export: internalOnly, Erasure: deleted},
			notPersonal("year", "a release year"),
			notPersonal("cover_key", "unused, always empty: an album's cover is its tracks'"),
			notPersonal("created_at", "when the album was made"),
		},
	},
	{
		Name:  "tracks",
		About: "Uploaded tracks with their stored files (the original, the stream MP3, the cover artwork).",
		Owner: ofArtists, Rows: DeleteRows, Order: 30,
		Columns: []Column{
			notPersonal("id", "the track's number"),
			notPersonal("artist_id", "the artist's number"),
			notPersonal("album_id", "the album's number"),
			{Name: "title", Category: PublicContent, Purposes: []Purpose{Publish}, Mandatory: "publishing music", Visibility: Public,
				Retention: untilErased, Export: export, Erasure: deleted},
			notPersonal("track_number", "a position on the album"),
			notPersonal("disc_number", "a position on the album"),
			notPersonal("year", "a release year"),
			notPersonal("licence_id", "the Creative Commons licence"),
			notPersonal("download_original", "a switch"),
			notPersonal("status", "the processing state"),
			notPersonal("processing_error", "what ffmpeg said about the audio; it names no file"),
			notPersonal("published", "a switch"),
			notPersonal("published_at", "when the track was published"),
			{Name: "original_key", Category: PublicContent, Purposes: []Purpose{Publish}, Mandatory: "publishing music", Visibility: Public,
				Retention: untilErased, Export: exportFile, Erasure: deleted, Processors: []Processor{ObjectStore}, Files: TrackFiles},
			notPersonal("original_format", "an audio format"),
			notPersonal("original_mime", "a media type"),
			notPersonal("original_size", "a size"),
			{Name: "original_name", Category: PrivateContent, Purposes: []Purpose{Publish}, Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			notPersonal("content_hash", "a hash of the audio, to refuse duplicates"),
			{Name: "stream_key", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased + "; a file in the folder of original_key, deleted with it", Export: exportFile, Erasure: deleted, Processors: []Processor{ObjectStore}},
			notPersonal("stream_size", "a size"),
			notPersonal("stream_hash", "a hash of the stream file"),
			notPersonal("duration_ms", "a duration"),
			notPersonal("peaks", "the waveform of the audio"),
			{Name: "cover_key", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased + "; files in the folder of original_key, deleted with it", Export: exportFile, Erasure: deleted, Processors: []Processor{ObjectStore}},
			notPersonal("created_at", "when the track was uploaded"),
			notPersonal("updated_at", "when the track last changed"),
		},
	},
	{
		Name:  "track_plays",
		About: "Each track's play count, kept beside the track in a narrow table of its own so that counting plays stays cheap; deleted with the track.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("track_id", "the track's number"),
			notPersonal("plays", "a count of plays by everyone; it says nothing about who played"),
		},
	},
	{
		Name:  "track_tags",
		About: "Genre tags of tracks.",
		Owner: Owner{Where: "track_id IN (SELECT t.id FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE a.member_id = ?)"},
		Rows:  DeleteRows, Order: 20,
		Columns: []Column{
			notPersonal("track_id", "the track's number"),
			{Name: "tag", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: untilErased, Export: export, Erasure: deleted},
		},
	},

	// The search index holds copies of public text: titles, album and
	// artist names, tags.
	{
		Name:    "search_fts",
		About:   "Full-text search over public tracks, albums and artists (SQLite FTS5). Erasure then merges the index, so that the words of deleted documents leave its storage too.",
		Dialect: "sqlite", Owner: searchOwner, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			{Name: "body", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: "while the track, album or artist is public", Export: NotExported("a copy of exported text"), Erasure: deleted},
			notPersonal("kind", "what the document is"),
			notPersonal("ref_id", "the number of the track, album or artist"),
		},
	},
	ftsShadow("search_fts_data", "id", "block"),
	ftsShadow("search_fts_idx", "segid", "term", "pgno"),
	ftsShadow("search_fts_content", "id", "c0", "c1", "c2"),
	ftsShadow("search_fts_docsize", "id", "sz"),
	ftsShadow("search_fts_config", "k", "v"),
	{
		Name:    "search_index",
		About:   "Full-text search over public tracks, albums and artists (PostgreSQL tsvector).",
		Dialect: "postgres", Owner: searchOwner, Rows: DeleteRows, Order: 5,
		Columns: []Column{
			notPersonal("kind", "what the document is"),
			notPersonal("ref_id", "the number of the track, album or artist"),
			{Name: "body", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: "while the track, album or artist is public", Export: NotExported("a copy of exported text"), Erasure: deleted},
			{Name: "tsv", Category: PublicContent, Purposes: []Purpose{Publish}, Visibility: Public,
				Retention: "with body, from which the database computes it", Export: NotExported("computed from body"), Erasure: deleted},
		},
	},
}

// searchOwner selects the search documents of the member's tracks, albums
// and artists.
var searchOwner = Owner{Where: `(kind = 'track' AND ref_id IN (SELECT t.id FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE a.member_id = ?))
	OR (kind = 'album' AND ref_id IN (SELECT al.id FROM albums al JOIN artists a ON a.id = al.artist_id WHERE a.member_id = ?))
	OR (kind = 'artist' AND ref_id IN (SELECT id FROM artists WHERE member_id = ?))`}

// ftsShadow declares one of the tables SQLite's FTS5 keeps search_fts in.
// They hold the same public text as search_fts, split into index
// segments; SQLite maintains them as search_fts changes.
func ftsShadow(name string, columns ...string) Table {
	t := Table{Name: name, Dialect: "sqlite", Rows: NoRows,
		About: "FTS5's own storage of search_fts: the same public text, maintained by SQLite as search_fts changes."}
	for _, c := range columns {
		t.Columns = append(t.Columns, notPersonal(c, "FTS5's storage of the public text of search_fts"))
	}
	return t
}
