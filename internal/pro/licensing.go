package pro

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/go-pdf/fpdf"

	"chorus/internal/chorus"
	"chorus/internal/money"
	"chorus/internal/store"
)

// Limits of the licensee profile's fields, in characters.
const (
	MaxCompany = 140
	MaxEmail   = 254
	MaxProject = 200
)

// ReverseChargeNote is the mention an invoice carries when the buyer
// accounts for the VAT (Council Directive 2006/112/EC, art. 196 and art.
// 226(11a)).
const ReverseChargeNote = "Reverse charge, Art. 196 Directive 2006/112/EC"

// CheckLicensee cleans and validates a licensee profile: company, billing
// address, country (ISO 3166-1 alpha-2), contact email, and, optional, an
// EU VAT number whose prefix matches the country. It returns the cleaned
// profile or a *chorus.InvalidError naming each field at fault.
func CheckLicensee(l store.Licensee) (store.Licensee, error) {
	inv := &chorus.InvalidError{}
	l.Company = chorus.CleanText(l.Company, MaxCompany+1, false)
	l.Address = chorus.CleanText(l.Address, MaxAddress+1, true)
	l.Country = strings.ToUpper(strings.TrimSpace(l.Country))
	l.Email = strings.TrimSpace(l.Email)
	switch {
	case strings.TrimSpace(l.Company) == "":
		inv.Add("company", "Enter the name of the company (or your own name) that licences are made out to.")
	case len([]rune(l.Company)) > MaxCompany:
		inv.Add("company", "Keep the company name to 140 characters.")
	}
	switch {
	case strings.TrimSpace(l.Address) == "":
		inv.Add("address", "Enter the billing address.")
	case len([]rune(l.Address)) > MaxAddress:
		inv.Add("address", "Keep the address to 500 characters.")
	}
	if len(l.Country) != 2 || !money.KnownCountry(l.Country) {
		inv.Add("country", "Enter the two-letter code of the country, like FR or DE.")
		l.Country = ""
	}
	if a, err := mail.ParseAddress(l.Email); err != nil || a.Address != l.Email || len(l.Email) > MaxEmail {
		inv.Add("email", "Enter the email address invoices and licences are sent to, like accounts@example.com.")
		l.Email = ""
	}
	if strings.TrimSpace(l.VATID) != "" {
		v, err := money.ValidateVATID(l.VATID)
		prefix, eu := money.VATPrefix(l.Country)
		switch {
		case err != nil:
			inv.Add("vat_id", capital(err.Error())+".")
			l.VATID = ""
		case l.Country != "" && (!eu || v[:2] != prefix):
			inv.Add("vat_id", "This VAT number is not of the country given: it should start with "+prefix+".")
			l.VATID = ""
		default:
			l.VATID = v
		}
	}
	if len(inv.Fields) > 0 {
		inv.Message = "Nothing was saved: please correct the fields below."
	}
	return l, inv.Err()
}

// Quote is the price of a product for a licensee: Net, Tax and Total in
// minor units, Rate in basis points.
type Quote struct {
	Net, Tax      int64
	Rate          int64
	ReverseCharge bool
}

// Total is net plus tax.
func (q Quote) Total() int64 { return q.Net + q.Tax }

// PriceFor prices net (minor units) for a buyer in buyerCountry with the
// buyer's VAT number vatID ("" for none), sold from sellerCountry, where
// rate is the buyer country's rate in basis points (0 when none is set).
// A business in another EU member state with a VAT number of valid format
// pays no VAT: the reverse charge applies (Directive 2006/112/EC, art. 44
// and 196). Everyone else pays the rate of their country (art. 58 for
// electronically supplied services to consumers); a sale outside the EU
// has no rate set and pays none.
func PriceFor(net, rate int64, buyerCountry, vatID, sellerCountry string) Quote {
	_, buyerEU := money.VATPrefix(buyerCountry)
	if buyerEU && vatID != "" && buyerCountry != sellerCountry {
		if _, err := money.ValidateVATID(vatID); err == nil {
			return Quote{Net: net, ReverseCharge: true}
		}
	}
	// rate/10000 of net, rounded half up.
	tax := (net*rate + 5000) / 10000
	return Quote{Net: net, Tax: tax, Rate: rate}
}

// Product kinds and tiers.
const (
	ProductVenue = "venue"
	ProductSync  = "sync"
)

// SyncTiers are the tiers of a sync licence, from the least to the most
// far-reaching use.
var SyncTiers = []string{"personal online video", "corporate", "broadcast", "advertising"}

// VenueSizes are the sizes of venue a background-music subscription is
// priced by.
var VenueSizes = []string{"small (up to 100 m²)", "medium (up to 500 m²)", "large (over 500 m²)"}

// CheckProduct cleans and validates a product of the price list; price
// is read from a decimal amount ("49.00") by the caller.
func CheckProduct(p store.Product) (store.Product, error) {
	inv := &chorus.InvalidError{}
	p.Name = chorus.CleanText(p.Name, 121, false)
	p.Territory = chorus.CleanText(p.Territory, 121, false)
	p.Term = chorus.CleanText(p.Term, 121, false)
	p.Terms = chorus.CleanText(p.Terms, 4001, true)
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	if p.Currency == "" {
		p.Currency = "EUR"
	}
	switch p.Kind {
	case ProductSync:
		if !contains(SyncTiers, p.Tier) {
			inv.Add("tier", "Choose the tier of the sync licence.")
		}
		p.Period = ""
	case ProductVenue:
		if !contains(VenueSizes, p.Tier) {
			inv.Add("tier", "Choose the size of venue.")
		}
		if p.Period != "month" && p.Period != "year" {
			inv.Add("period", "Choose monthly or yearly.")
		}
	default:
		inv.Add("kind", "Choose background music for a venue or a sync licence.")
	}
	if strings.TrimSpace(p.Name) == "" || len([]rune(p.Name)) > 120 {
		inv.Add("name", "Give the product a name of up to 120 characters.")
	}
	if p.Price <= 0 || p.Price > 100_000_000 {
		inv.Add("price", "Enter a price above zero and up to 1000000.00, like 49.00.")
	}
	if p.Currency != "EUR" {
		inv.Add("currency", "PRO sells in euros (EUR): artists are paid by SEPA transfer.")
	}
	if strings.TrimSpace(p.Territory) == "" || len([]rune(p.Territory)) > 120 {
		inv.Add("territory", "Say where the licence applies, like Worldwide, in up to 120 characters.")
	}
	if strings.TrimSpace(p.Term) == "" || len([]rune(p.Term)) > 120 {
		inv.Add("term", "Say how long the licence lasts, like Perpetual or 1 year, in up to 120 characters.")
	}
	if strings.TrimSpace(p.Terms) == "" || len([]rune(p.Terms)) > 4000 {
		inv.Add("terms", "Write the terms of the licence, up to 4000 characters.")
	}
	if len(inv.Fields) > 0 {
		inv.Message = "Nothing was saved: please correct the fields below."
	}
	return p, inv.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseAmount reads a decimal amount with at most two decimals ("49",
// "49.5", "49.00") into minor units; ok is false for anything else.
func ParseAmount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || len(frac) > 2 {
		return 0, false
	}
	var n int64
	for _, c := range whole + (frac + "00")[:2] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// crockford is the alphabet of licence ids and codes: no I, L, O or U to
// misread.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// NewLicenceID returns a new licence id, "CHL-" and 13 characters of
// random Crockford base32 (64 bits).
func NewLicenceID() string { return "CHL-" + randomBase32(8) }

// NewVerificationCode returns the secret printed on a certificate: 80
// random bits in 16 characters of Crockford base32.
func NewVerificationCode() string { return randomBase32(10) }

func randomBase32(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return crockford.EncodeToString(b)
}

// DocumentHeader is what a PDF names of the site.
type DocumentHeader struct {
	Site string // the site's name or address
}

func newPDF(title string) (*fpdf.Fpdf, func(string) string) {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(title, true)
	pdf.SetCreator("Chorus", true)
	pdf.AddPage()
	return pdf, tr
}

func para(pdf *fpdf.Fpdf, tr func(string) string, s string) {
	pdf.MultiCell(0, 6, tr(s), "", "L", false)
}

// WriteInvoicePDF writes the invoice of an order as an A4 PDF: the
// seller, the buyer (company, address, VAT number), the order's lines, net,
// tax and total, and the reverse-charge mention when it applies.
func WriteInvoicePDF(w io.Writer, h DocumentHeader, o store.Order) error {
	pdf, tr := newPDF("Invoice " + o.Reference)
	pdf.SetFont("Helvetica", "B", 16)
	para(pdf, tr, "Invoice "+o.Reference)
	pdf.SetFont("Helvetica", "", 10)
	para(pdf, tr, "Seller: Chorus PRO, "+h.Site)
	para(pdf, tr, "Date: "+o.CreatedAt.UTC().Format("2006-01-02"))
	para(pdf, tr, "Status: "+o.Status)
	pdf.Ln(2)
	para(pdf, tr, "Bill to: "+o.Company)
	para(pdf, tr, o.Address)
	para(pdf, tr, "Country: "+o.Country)
	if o.VATID != "" {
		para(pdf, tr, "VAT number: "+o.VATID)
	}
	pdf.Ln(2)
	para(pdf, tr, "Licence: "+o.ProductName)
	if o.Project != "" {
		para(pdf, tr, "Project: "+o.Project)
	}
	for _, l := range o.Lines {
		para(pdf, tr, fmt.Sprintf("Track: %s by %s", l.TrackTitle, l.ArtistName))
	}
	pdf.Ln(2)
	para(pdf, tr, fmt.Sprintf("Net: %s %s", money.FormatMinor(o.Net), o.Currency))
	para(pdf, tr, fmt.Sprintf("VAT (%s%%): %s %s", money.FormatMinor(o.TaxRate), money.FormatMinor(o.Tax), o.Currency))
	pdf.SetFont("Helvetica", "B", 10)
	para(pdf, tr, fmt.Sprintf("Total: %s %s", money.FormatMinor(o.Total()), o.Currency))
	pdf.SetFont("Helvetica", "", 10)
	if o.ReverseCharge {
		para(pdf, tr, ReverseChargeNote)
	}
	return pdf.Output(w)
}

// Certificate is what a licence certificate states.
type Certificate struct {
	Site      string // the site's address, where verification happens
	ID, Code  string
	VerifyURL string
	Order     store.Order
	Product   store.Product
	IssuedAt  string // "2006-01-02"
}

// WriteCertificatePDF writes a licence certificate as an A4 PDF: the
// licence id and verification code, the licensee, the tracks, the use
// (product and tier), territory, term, date of issue and the terms of
// the tier.
func WriteCertificatePDF(w io.Writer, c Certificate) error {
	pdf, tr := newPDF("Licence " + c.ID)
	pdf.SetFont("Helvetica", "B", 16)
	para(pdf, tr, "Chorus PRO licence certificate")
	pdf.SetFont("Helvetica", "", 10)
	para(pdf, tr, "Licence: "+c.ID)
	para(pdf, tr, "Verification code: "+c.Code)
	para(pdf, tr, "Verify at: "+c.VerifyURL)
	pdf.Ln(2)
	para(pdf, tr, "Licensee: "+c.Order.Company)
	use := c.Product.Name + " (" + c.Product.Tier
	if c.Product.Period != "" {
		use += ", per " + c.Product.Period
	}
	para(pdf, tr, "Use: "+use+")")
	if c.Order.Project != "" {
		para(pdf, tr, "Project: "+c.Order.Project)
	}
	para(pdf, tr, "Territory: "+c.Product.Territory)
	para(pdf, tr, "Term: "+c.Product.Term)
	para(pdf, tr, "Date of issue: "+c.IssuedAt)
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 10)
	para(pdf, tr, "Tracks")
	pdf.SetFont("Helvetica", "", 10)
	for _, l := range c.Order.Lines {
		para(pdf, tr, fmt.Sprintf("%s by %s (track %d)", l.TrackTitle, l.ArtistName, l.TrackID))
	}
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 10)
	para(pdf, tr, "Terms")
	pdf.SetFont("Helvetica", "", 10)
	para(pdf, tr, c.Product.Terms)
	return pdf.Output(w)
}
