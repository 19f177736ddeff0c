package datamap

// Retention and erasure of Chorus PRO's data.
const (
	proKept   = "until the member changes it or their account is erased"
	booksKept = "10 years after the end of the financial year of the transaction, also after the account is erased"
)

// keepBooks is the rule of the accounting records of PRO: they are kept
// under the obligation to keep the books and their supporting documents.
var keepBooks = Erasure{Action: Keep,
	Obligation: "bookkeeping: accounting records and their supporting documents must be kept (French Code de commerce, art. L123-22; the other EU member states' accounting laws oblige the same)",
	Period:     "10 years"}

// encrypted is the export rule of the values kept encrypted.
var encrypted = NotExported("kept encrypted; the export gives the masked IBAN (iban_masked). The full value, which you gave, is shown to you on the PRO page when you ask, and each showing is logged")

// proTables declares Chorus PRO: its members' legal identity and bank
// details, the agreement, the tracks offered, the log of decryptions and
// the books.
var proTables = []Table{
	{
		Name:  "pro_members",
		About: "Members who joined PRO: legal identity and bank details for payouts. The IBAN, BIC and VAT number are encrypted (AEAD, bound to table, column and row) and shown only masked. Removing the bank details pauses payouts; erasure deletes the row.",
		Owner: ofMember, Rows: DeleteRows, Order: 20,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "legal_name", Category: Name, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted, Processors: []Processor{Bank},
				Why: "Needed for PRO: the name of the person or company that is paid, as the bank and the accounts must show it. Never shown to other members."},
			{Name: "address", Category: PostalAddress, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted,
				Why: "Needed for PRO: statements and the accounts name the payee's postal address. Never shown to other members."},
			{Name: "country", Category: Country, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted,
				Why: "Needed for PRO: it decides the tax rules of your payouts and whether a VAT number applies."},
			{Name: "entity_kind", Category: Account, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted,
				Why: "Needed for PRO: an individual and a company are paid and taxed differently."},
			{Name: "vat_id", Category: TaxID, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO, for a company registered for VAT in the EU", Visibility: Private,
				Retention: proKept, Export: encrypted, Erasure: deleted,
				Why: "Needed for PRO when you are a company registered for VAT in the EU: it goes on the accounts of what you are paid. Kept encrypted."},
			{Name: "iban", Category: BankAccount, Purposes: []Purpose{PayArtists}, Mandatory: "PRO payouts", Visibility: Private,
				Retention: proKept, Export: encrypted, Erasure: deleted, Processors: []Processor{Bank},
				Why: "Needed to pay you: the account your share of PRO sales is transferred to. Kept encrypted and shown only masked; without it payouts pause."},
			{Name: "bic", Category: BankAccount, Purposes: []Purpose{PayArtists}, Mandatory: "PRO payouts", Visibility: Private,
				Retention: proKept, Export: encrypted, Erasure: deleted, Processors: []Processor{Bank},
				Why: "Needed to pay you: the code of your bank (SWIFT code), which the transfer names. Kept encrypted."},
			{Name: "iban_masked", Category: BankAccount, Purposes: []Purpose{PayArtists}, Mandatory: "PRO payouts", Visibility: Private,
				Retention: proKept, Export: Exported("the masked IBAN (country, check digits and last four characters)"), Erasure: deleted},
			{Name: "catalogue", Category: Account, Purposes: []Purpose{PayArtists}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted},
			{Name: "joined_at", Category: Account, Purposes: []Purpose{PayArtists}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted},
			{Name: "opted_out_at", Category: Account, Purposes: []Purpose{PayArtists}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted},
			{Name: "updated_at", Category: Account, Purposes: []Purpose{PayArtists}, Mandatory: "PRO", Visibility: Private,
				Retention: proKept, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "pro_agreements",
		About: "Each acceptance of the PRO distribution agreement: which version, when. Append-only.",
		Owner: ofMember, Rows: DeleteRows, Order: 20,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			memberRef("member_id"),
			{Name: "version", Category: Account, Purposes: []Purpose{PayArtists}, Mandatory: "PRO", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "accepted_at", Category: Account, Purposes: []Purpose{PayArtists}, Mandatory: "PRO", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "pro_tracks",
		About: "Tracks offered through PRO one by one, when the artist does not offer the whole catalogue.",
		Owner: Owner{Where: "track_id IN (SELECT t.id FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE a.member_id = ?)"},
		Rows:  DeleteRows, Order: 20,
		Columns: []Column{
			notPersonal("track_id", "the number of a track, which is public"),
			notPersonal("opted_in_at", "when the track was offered: a fact about the track"),
		},
	},
	{
		Name:  "pro_decryptions",
		About: "The log of every decryption of a PRO member's bank details or tax id: whose, which, who saw it and why. Append-only; it goes with the account it is about, and a viewer's id becomes NULL when the viewer's account is erased.",
		Owner: ofMember, Rows: DeleteRows, Order: 20,
		Columns: []Column{
			notPersonal("id", "the row's number"),
			memberRef("member_id"),
			{Name: "viewer_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{AuditAccess}, Mandatory: "PRO", Visibility: Private,
				Retention: untilErased + "; set to NULL when the viewer's account is erased", Export: Exported("who saw the value: your own number, or a staff member's"), Erasure: deleted},
			{Name: "value", Category: Account, Purposes: []Purpose{AuditAccess}, Mandatory: "PRO", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "reason", Category: Account, Purposes: []Purpose{AuditAccess}, Mandatory: "PRO", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
			{Name: "created_at", Category: Account, Purposes: []Purpose{AuditAccess}, Mandatory: "PRO", Visibility: Private,
				Retention: untilErased, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "ledger_accounts",
		About: "The accounts of the PRO books: the site's (member_id 0) and each member's payable account. Kept after erasure under the bookkeeping obligation.",
		Owner: ofMember, Rows: UpdateRows, Order: 200,
		Columns: []Column{
			notPersonal("id", "the account's number"),
			notPersonal("kind", "payable, revenue, refunds or cash"),
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: booksKept, Export: Exported("the account the site owes you from"), Erasure: keepBooks},
			notPersonal("currency", "an ISO 4217 code"),
			notPersonal("created_at", "when the account was opened"),
		},
	},
	{
		Name:  "ledger_transactions",
		About: "The transactions of the PRO books (sales, refunds, payouts), by the reference of the order or payout; they name no person, their entries name accounts.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("id", "the transaction's number"),
			notPersonal("kind", "sale, refund or payout"),
			notPersonal("reference", "the number of an order or a payout"),
			notPersonal("memo", "a description written by Chorus"),
			notPersonal("created_at", "when it was posted"),
		},
	},
	{
		Name:  "ledger_entries",
		About: "The entries of the PRO books: amounts in minor units on accounts, debits positive; each transaction's entries sum to zero. Append-only, and kept after erasure under the bookkeeping obligation.",
		Owner: Owner{Where: "account_id IN (SELECT id FROM ledger_accounts WHERE kind = 'payable' AND member_id = ?)"},
		Rows:  UpdateRows, Order: 200,
		Columns: []Column{
			notPersonal("id", "the entry's number"),
			notPersonal("transaction_id", "the transaction's number"),
			notPersonal("account_id", "the account's number"),
			{Name: "amount", Category: Financial, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: booksKept, Export: Exported("in minor units (cents); negative is money the site owes you"), Erasure: keepBooks},
		},
	},
	{
		Name:  "pro_payout_batches",
		About: "Batches of PRO payouts, one SEPA Credit Transfer file each, with the admins who made and paid them.",
		Owner: Owner{Where: "created_by = ?"}, Rows: UpdateRows, Order: 200,
		Columns: []Column{
			notPersonal("id", "the batch's number"),
			notPersonal("msg_id", "the file's message id, made by Chorus"),
			notPersonal("currency", "an ISO 4217 code"),
			{Name: "created_by", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Bookkeeping}, Mandatory: "admin work", Visibility: Private,
				Retention: untilErased, Export: NotExported("an internal number; the batch is the site's record"), Erasure: Erasure{Action: Delete, Value: "NULL"}},
			notPersonal("created_at", "when the batch was made"),
			{Name: "paid_by", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Bookkeeping}, Mandatory: "admin work", Visibility: Private,
				Retention: untilErased + " (set to NULL by its foreign key)", Export: NotExported("an internal number; the batch is the site's record"),
				Erasure: Erasure{Action: Delete, Value: "CASE WHEN paid_by = created_by THEN NULL ELSE paid_by END"}},
			notPersonal("paid_at", "when the bank executed it"),
		},
	},
	{
		Name:  "pro_payouts",
		About: "Each transfer of a payout batch: to whom, how much, to which account (masked). Kept after erasure under the bookkeeping obligation, as the supporting document of the payout.",
		Owner: ofMember, Rows: UpdateRows, Order: 200,
		Columns: []Column{
			notPersonal("id", "the payout's number"),
			notPersonal("batch_id", "the batch's number"),
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: booksKept, Export: Exported("whom it paid"), Erasure: keepBooks},
			{Name: "amount", Category: Financial, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: booksKept, Export: Exported("in minor units (cents)"), Erasure: keepBooks},
			{Name: "iban_masked", Category: BankAccount, Purposes: []Purpose{Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: booksKept, Export: export, Erasure: keepBooks},
		},
	},
}
