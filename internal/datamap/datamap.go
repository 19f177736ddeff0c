// Package datamap is Chorus's privacy policy as code: one declaration of
// every table and column of the schema and of every kind of stored file,
// saying for each piece of personal data what it is (a category of the
// Fides taxonomy, https://ethyca.github.io/fideslang/taxonomy/data_categories/),
// why it is held, whether a service needs it, who sees it, how long it is
// kept, how it is exported and what erasure does to it, and which
// processors receive it. Columns without personal data are declared too,
// so that nothing in the schema is left unexplained.
//
// The forms take their mandatory/optional labels and "why we ask" texts
// from here, and account erasure (internal/erasure) follows the erasure
// rules declared here. A test compares Tables with the live schema of both
// databases, so a column added by a migration must be declared before the
// tests pass.
//
// The map itself is in tables.go and files.go; this file holds the
// vocabulary.
package datamap

import (
	"strings"
)

// Category is a data category of the Fides taxonomy ("user.contact.email").
type Category string

// The categories Chorus holds.
const (
	Email           Category = "user.contact.email"
	Name            Category = "user.name"
	City            Category = "user.contact.address.city"
	Username        Category = "user.account.username"
	Credentials     Category = "user.authorization.credentials"
	IPAddress       Category = "user.device.ip_address"
	DeviceType      Category = "user.device.device_type"
	Browsing        Category = "user.behavior.browsing_history"
	MediaPlays      Category = "user.behavior.media_consumption"
	PublicContent   Category = "user.content.public"
	PrivateContent  Category = "user.content.private"
	BankAccount     Category = "user.financial.bank_account"
	UniqueID        Category = "user.unique_id"
	AccountSettings Category = "user.account.settings"
	Communications  Category = "user.content.private.communications"
	Image           Category = "user.content.public.image"
	// PrivacyChoices are consent given or refused (Fides: user.privacy_preferences).
	PrivacyChoices Category = "user.privacy_preferences"
	// Pseudonym is a random id that stands for a visitor (Fides: user.unique_id.pseudonymous).
	Pseudonym Category = "user.unique_id.pseudonymous"
	// PostalAddress is a postal address (Fides: user.contact.address).
	PostalAddress Category = "user.contact.address"
	// Country is the country of an address (Fides: user.contact.address.country).
	Country Category = "user.contact.address.country"
	// Location is an imprecise location: here the country an IP address
	// belongs to (Fides: user.location.imprecise).
	Location Category = "user.location.imprecise"
	// TaxID is a VAT or tax identification number, an id issued by a
	// government (Fides: user.government_id).
	TaxID Category = "user.government_id"
	// Financial is money owed to or paid to a member (Fides: user.financial).
	Financial Category = "user.financial"
)

// Purpose is why Chorus holds a piece of data (GDPR Art. 5(1)(b)); the
// value is the sentence shown to people.
type Purpose string

// The purposes, each from a sentence of the privacy policy.
const (
	// "Used to identify you when you log in" (§2).
	LogIn Purpose = "identify you when you log in and keep your account safe"
	// "To operate your account and to give you access to our services" (§2).
	Operate Purpose = "operate your account and give you access to the services"
	// "To send you updates ... and email notifications" (§2); here the
	// messages about the account itself.
	AccountMail Purpose = "send you messages about your account (address confirmation, password reset, security notices)"
	// "To send you updates, newsletters and email notifications" (§2):
	// the notifications and newsletters each member chooses.
	ChosenMail Purpose = "send you the email notifications and newsletters you chose, each of which you can unsubscribe from in one click"
	// "Published on our services when applicable (public profile, ...)" (§2).
	Publish Purpose = "publish what you choose to make public: your profile and your music"
	// Refusing look-alike and reused usernames, and slowing down guessing.
	Protect Purpose = "protect members against impersonation and against guessing at logins"
	// Proving the consent given or refused (GDPR Art. 7(1)) and honouring it.
	Consent Purpose = "honour and prove the choices you made about optional uses of your data"
	// "To customise your use and improve the services"; "personal
	// information may be aggregated into statistics" (§2, §3). Linked to a
	// person only with analytics consent.
	Analytics Purpose = "count how the site is used and publish aggregated statistics (counted anonymously without your consent; linked to you only with it)"
	// Investigating abuse and attacks needs the full address for a few days.
	Security Purpose = "investigate abuse of and attacks on the site"
	// Chorus PRO: selling licences of an artist's music and paying them
	// ("mandatory, notably in order to be able to join our commercial
	// programs", §1).
	PayArtists Purpose = "sell PRO licences of your music, pay you your share and send you statements"
	// Keeping the books of PRO money, as accounting law requires.
	Bookkeeping Purpose = "keep the accounts of PRO sales and payouts, as accounting law requires"
	// Chorus PRO licensing: selling licences to businesses, with invoices
	// and certificates made out to them.
	SellLicences Purpose = "sell you PRO licences: make out your invoices and licence certificates and send them to you"
	// Recording who saw a member's bank details or tax id, and why.
	AuditAccess Purpose = "record every time your bank details or tax id are shown in full, by whom and why"
)

// Visibility says who can see a piece of data.
type Visibility string

// Who can see a piece of data. Admins see what running the site needs
// (for example addresses on the mail log); that is not counted here.
const (
	Private  Visibility = "private"  // the member only
	Contacts Visibility = "contacts" // the member's contacts
	Public   Visibility = "public"   // everyone
	// Chosen is public or private, as the member chooses for each field.
	Chosen Visibility = "public or private, as the member chooses"
)

// Processor is a third party that receives personal data to provide a
// service to the site (GDPR Art. 28), named as the operator configures it.
type Processor string

// The processors a Chorus site may use.
const (
	// SMTPRelay delivers mail when --smtp-url is set; without it mail is
	// written to files on the site's own disk.
	SMTPRelay Processor = "the SMTP relay set with --smtp-url, when one is set"
	// ObjectStore keeps stored files when --blob-url names an S3-compatible
	// store; by default they stay on the site's own disk.
	ObjectStore Processor = "the object store set with --blob-url, when one is set"
	// Bank is the site's bank, which receives the SEPA payout files an
	// admin uploads to it.
	Bank Processor = "the site's bank, which receives the payout files an admin uploads to it"
)

// Action is what erasure does to a value.
type Action string

// Erasure actions.
const (
	// Delete removes the value: with its row when the table's rows are
	// deleted, else by setting the column to its empty value.
	Delete Action = "delete"
	// Anonymise replaces the value with one that identifies no one.
	Anonymise Action = "anonymise"
	// Keep keeps the value under a legal obligation, for a period.
	Keep Action = "keep"
)

// Erasure is what erasing an account does to a column.
type Erasure struct {
	Action Action
	// Value is the SQL literal a column is set to by Anonymise, or by
	// Delete in a table whose rows are kept ("''", "NULL", "FALSE", "0").
	Value string
	// Obligation names the law that requires keeping the value (Keep),
	// and Period how long.
	Obligation, Period string
}

// Export says whether and how a column is part of the member's export.
type Export struct {
	Include bool
	// Note says how it is given, or why it is left out.
	Note string
}

// Exported and NotExported build Export rules.
func Exported(note string) Export   { return Export{Include: true, Note: note} }
func NotExported(why string) Export { return Export{Note: why} }

// FileKind names what a column's value points at in the file store or
// the mail folder; erasure deletes those files with the row.
type FileKind string

// Column is one column of a table.
type Column struct {
	Name string
	// Category is empty for a column without personal data; NotPersonal
	// then says why, when it is not obvious.
	Category    Category
	NotPersonal string
	// MemberRef marks a column holding a member's id.
	MemberRef bool
	Purposes  []Purpose
	// Mandatory names the service that needs the value; empty means the
	// member may leave it out.
	Mandatory  string
	Visibility Visibility
	Retention  string
	Export     Export
	Erasure    Erasure
	Processors []Processor
	// Files names the kind of stored files the value points at.
	Files FileKind
	// Mask, for the rows of other people that a member's export gives
	// beside their own (Table.Others), says how this column is shown.
	Mask *Mask
	// Why is what forms say about why the value is asked for.
	Why string
}

// Mask is how the export shows a column of another person's row: the
// value of Shown, an SQL expression over the row that is NULL unless that
// person made the value public, else Masked ("another member"). The
// export names it As. It keeps other people's data out of a member's
// export (GDPR Art. 15(4): the right of access must not adversely affect
// the rights of others).
type Mask struct {
	As, Shown, Masked string
}

// Personal reports whether the column holds personal data.
func (c Column) Personal() bool { return c.Category != "" || c.MemberRef }

// Owner says which rows of a table belong to a member.
type Owner struct {
	// Where is an SQL condition selecting the member's rows; every "?"
	// is bound to Args (by default the member's id).
	Where string
	// Args computes the arguments of Where for a member.
	Args func(Subject) []any
	// SessionKey, for the session store's table, names the key of the
	// encoded session data that holds the member's id: such rows cannot
	// be selected by SQL and are decoded one by one.
	SessionKey string
}

// Subject is the member being erased, as Owner.Args needs them.
type Subject struct {
	ID              int64
	Email, Username string
}

// Rows says what erasure does to a member's rows of a table.
type Rows string

// Erasure of rows.
const (
	// DeleteRows deletes the member's rows.
	DeleteRows Rows = "delete the rows"
	// UpdateRows keeps the rows and applies each column's Erasure.
	UpdateRows Rows = "keep the rows, applying each column's rule"
	// NoRows: the table holds nothing of any one member.
	NoRows Rows = "nothing to erase"
)

// Table is one table of the schema.
type Table struct {
	Name  string
	About string
	// Dialect limits the table to one database ("sqlite", "postgres");
	// empty for both.
	Dialect string
	Owner   Owner
	Rows    Rows
	// Order places the table in erasure: lower first (children before
	// their parents, and tables reached through a parent before it).
	Order int
	// Tombstone, with DeleteRows, is an SQL condition (each "?" bound to
	// the member's id) selecting those of the member's rows that erasure
	// keeps, applying each column's Erasure, because other people's rows
	// hang on them (a comment others replied to); the member's other rows
	// are deleted. Each column's rule must then leave no trace of the
	// member, the member-id column included.
	Tombstone string
	// Others selects rows of other people that belong with the member's
	// own (the replies to their comments): the export gives them, apart,
	// with only the columns that are exported or have a Mask, masked.
	Others  Owner
	Columns []Column
}

// Column returns the declared column called name, or nil.
func (t Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Lookup returns the declared table called name on any database, or nil.
func Lookup(table string) *Table {
	for i := range Tables {
		if Tables[i].Name == table {
			return &Tables[i]
		}
	}
	return nil
}

// Field returns the declaration of table.column; it panics when there is
// none, since forms name their fields in code (a test renders every form).
func Field(table, column string) Column {
	if t := Lookup(table); t != nil {
		if c := t.Column(column); c != nil {
			return *c
		}
	}
	panic("datamap: " + table + "." + column + " is not declared")
}

// For returns the tables declared for dialect ("sqlite" or "postgres").
func For(dialect string) []Table {
	var out []Table
	for _, t := range Tables {
		if t.Dialect == "" || t.Dialect == dialect {
			out = append(out, t)
		}
	}
	return out
}

// memberID is the default Owner.Args: the member's id for each "?".
func (o Owner) args(s Subject) []any {
	if o.Args != nil {
		return o.Args(s)
	}
	n := strings.Count(o.Where, "?")
	args := make([]any, n)
	for i := range args {
		args[i] = s.ID
	}
	return args
}

// Bind returns o's condition and its arguments for the member s.
func (o Owner) Bind(s Subject) (string, []any) { return o.Where, o.args(s) }

// TombstoneBind returns t's Tombstone condition and its arguments for the
// member s.
func (t Table) TombstoneBind(s Subject) (string, []any) {
	return Owner{Where: t.Tombstone}.Bind(s)
}
