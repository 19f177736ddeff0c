package datamap

// licenseeKept is the retention of the licensee profile.
const licenseeKept = "until the member changes it or their account is erased"

// keptBook is a column of an order or licence: part of an invoice's
// supporting records, kept under the bookkeeping obligation.
func keptBook(name string, c Category, export Export, why string) Column {
	return Column{Name: name, Category: c, Purposes: []Purpose{SellLicences, Bookkeeping}, Mandatory: "PRO licences", Visibility: Private,
		Retention: booksKept, Export: export, Erasure: keepBooks, Why: why}
}

// licensingTables declares PRO licensing: the licensee profile, the price
// list and tax rates, orders (the invoices' records, kept with the books)
// and the licences they issued.
var licensingTables = []Table{
	{
		Name:  "licensees",
		About: "A member's business (licensee) profile: who PRO invoices and licences are made out to. Erasure deletes it; the orders keep the details they were invoiced with, under the bookkeeping obligation.",
		Owner: ofMember, Rows: DeleteRows, Order: 20,
		Columns: []Column{
			memberRef("member_id"),
			{Name: "company", Category: Name, Purposes: []Purpose{SellLicences, Bookkeeping}, Mandatory: "PRO licences", Visibility: Private,
				Retention: licenseeKept, Export: export, Erasure: deleted,
				Why: "Needed to buy PRO licences: invoices and licence certificates are made out to it. The verification page of a licence shows it; nothing else of this profile is shown to anyone."},
			{Name: "vat_id", Category: TaxID, Purposes: []Purpose{SellLicences, Bookkeeping}, Visibility: Private,
				Retention: licenseeKept, Export: export, Erasure: deleted,
				Why: "Optional: an EU business in another member state with a VAT number buys without VAT (reverse charge), and the invoice must show the number."},
			{Name: "address", Category: PostalAddress, Purposes: []Purpose{SellLicences, Bookkeeping}, Mandatory: "PRO licences", Visibility: Private,
				Retention: licenseeKept, Export: export, Erasure: deleted,
				Why: "Needed to buy PRO licences: an invoice names the buyer's address."},
			{Name: "country", Category: Country, Purposes: []Purpose{SellLicences, Bookkeeping}, Mandatory: "PRO licences", Visibility: Private,
				Retention: licenseeKept, Export: export, Erasure: deleted,
				Why: "Needed to buy PRO licences: it decides the VAT rate of your invoices."},
			{Name: "email", Category: Email, Purposes: []Purpose{SellLicences}, Mandatory: "PRO licences", Visibility: Private,
				Retention: licenseeKept, Export: export, Erasure: deleted,
				Why: "Needed to buy PRO licences: where invoices and licences are sent, which may be your accounts department rather than your login address."},
			{Name: "created_at", Category: Account, Purposes: []Purpose{SellLicences}, Mandatory: "PRO licences", Visibility: Private,
				Retention: licenseeKept, Export: export, Erasure: deleted},
			{Name: "updated_at", Category: Account, Purposes: []Purpose{SellLicences}, Mandatory: "PRO licences", Visibility: Private,
				Retention: licenseeKept, Export: export, Erasure: deleted},
		},
	},
	{
		Name:  "pro_track_details",
		About: "Whether a track is instrumental, as its artist says, for the PRO catalogue's filter.",
		Owner: Owner{Where: "track_id IN (SELECT t.id FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE a.member_id = ?)"},
		Rows:  DeleteRows, Order: 20,
		Columns: []Column{
			notPersonal("track_id", "the number of a track, which is public"),
			notPersonal("instrumental", "a fact about a public track"),
		},
	},
	{
		Name:  "pro_tax_rates",
		About: "The VAT rate of each country, set by admins.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("country", "a country code"), notPersonal("rate", "a VAT rate"), notPersonal("updated_at", "when it was set"),
		},
	},
	{
		Name:  "pro_products",
		About: "The PRO price list, set by admins.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("id", "the product's number"), notPersonal("kind"), notPersonal("name"), notPersonal("tier"), notPersonal("period"),
			notPersonal("price"), notPersonal("currency"), notPersonal("territory"), notPersonal("term"), notPersonal("terms", "the licence's terms, written by admins"),
			notPersonal("active"), notPersonal("created_at"), notPersonal("updated_at"),
		},
	},
	{
		Name:  "pro_orders",
		About: "Orders of PRO licences: the invoices' records, with the buyer's details as invoiced. Kept after erasure under the bookkeeping obligation.",
		Owner: ofMember, Rows: UpdateRows, Order: 200,
		Columns: []Column{
			notPersonal("id", "the order's number"),
			notPersonal("reference", "the order's reference, made by Chorus"),
			{Name: "member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{SellLicences, Bookkeeping}, Mandatory: "PRO licences", Visibility: Private,
				Retention: booksKept, Export: Exported("who ordered"), Erasure: keepBooks},
			notPersonal("product_id", "the product's number"),
			notPersonal("product_name", "the product's name when ordered"),
			keptBook("project", PrivateContent, export, "The project a sync licence is for, as the invoice and the certificate name it."),
			keptBook("company", Name, export, "Who the invoice is made out to."),
			keptBook("vat_id", TaxID, export, "The buyer's VAT number, which an invoice under the reverse charge must show."),
			keptBook("address", PostalAddress, export, "The buyer's address, which an invoice must show."),
			keptBook("country", Country, export, "The buyer's country, which decided the VAT."),
			notPersonal("currency", "an ISO 4217 code"),
			keptBook("net", Financial, Exported("in minor units (cents)"), ""),
			keptBook("tax_rate", Financial, Exported("in basis points"), ""),
			keptBook("tax", Financial, Exported("in minor units (cents)"), ""),
			keptBook("reverse_charge", Financial, export, ""),
			keptBook("status", Financial, export, ""),
			notPersonal("provider", "how it is paid: invoice or stripe"),
			notPersonal("provider_ref", "the payment provider's session number"),
			keptBook("created_at", Financial, export, ""),
			keptBook("paid_at", Financial, export, ""),
			{Name: "paid_by", Category: UniqueID, MemberRef: true, Purposes: []Purpose{Bookkeeping}, Mandatory: "admin work", Visibility: Private,
				Retention: untilErased + " (set to NULL by its foreign key)", Export: NotExported("an internal number: the admin who marked it paid"),
				Erasure: Erasure{Action: Delete, Value: "CASE WHEN paid_by = member_id THEN NULL ELSE paid_by END"}},
		},
	},
	{
		Name:  "pro_order_tracks",
		About: "The tracks of each order and the artist's member paid from each: part of the books, kept after erasure.",
		Owner: Owner{Where: "artist_member_id = ?"}, Rows: UpdateRows, Order: 200,
		Columns: []Column{
			notPersonal("order_id", "the order's number"),
			notPersonal("track_id", "the number of a track"),
			keptBook("track_title", PublicContent, export, "The track licensed, as the invoice names it."),
			keptBook("artist_name", PublicContent, export, "The artist licensed, as the invoice names it."),
			{Name: "artist_member_id", Category: UniqueID, MemberRef: true, Purposes: []Purpose{PayArtists, Bookkeeping}, Mandatory: "PRO", Visibility: Private,
				Retention: booksKept, Export: Exported("whose music was licensed"), Erasure: keepBooks},
			keptBook("amount", Financial, Exported("in minor units (cents), before the split"), ""),
		},
	},
	{
		Name:  "pro_licences",
		About: "Licences issued for paid orders, with the verification code printed on the certificate. They name no person; their order does. Kept as long as the order: a licence sold stays valid.",
		Rows:  NoRows,
		Columns: []Column{
			notPersonal("id", "the licence's id, printed on the certificate"),
			notPersonal("order_id", "the order's number"),
			notPersonal("code", "the verification code of the certificate"),
			notPersonal("issued_at", "when it was issued"),
		},
	},
}
