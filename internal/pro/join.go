package pro

import (
	"strings"

	"chorus/internal/chorus"
	"chorus/internal/money"
)

// Entity kinds: who is paid.
const (
	Individual = "individual"
	Company    = "company"
)

// Application is what a member gives to join PRO or to change their PRO
// details, as typed. On a change, an empty IBAN, BIC or VAT number keeps
// the one on file.
type Application struct {
	LegalName, Address, Country, EntityKind string
	VATID, IBAN, BIC                        string
	// Accepted is the version of the agreement the member ticked, "" if none.
	Accepted string
}

// Limits of the identity fields, in characters.
const (
	MaxLegalName = 140
	MaxAddress   = 500
)

// Check cleans and validates a; joined says whether the member already
// joined (then secrets may be left empty to keep them) and agreed whether
// they already accepted the current agreement. It returns the cleaned
// application, or a *chorus.InvalidError naming each field at fault.
func (a Application) Check(joined, agreed bool) (Application, error) {
	inv := &chorus.InvalidError{}
	a.LegalName = chorus.CleanText(a.LegalName, MaxLegalName+1, false)
	a.Address = chorus.CleanText(a.Address, MaxAddress+1, true)
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	switch {
	case strings.TrimSpace(a.LegalName) == "":
		inv.Add("legal_name", "Enter the legal name of the person or company to be paid.")
	case len([]rune(a.LegalName)) > MaxLegalName:
		inv.Add("legal_name", "Keep the legal name to 140 characters.")
	}
	switch {
	case strings.TrimSpace(a.Address) == "":
		inv.Add("address", "Enter the postal address.")
	case len([]rune(a.Address)) > MaxAddress:
		inv.Add("address", "Keep the address to 500 characters.")
	}
	if len(a.Country) != 2 || !money.KnownCountry(a.Country) {
		inv.Add("country", "Enter the two-letter code of the country, like FR or DE.")
		a.Country = ""
	}
	if a.EntityKind != Individual && a.EntityKind != Company {
		inv.Add("entity_kind", "Choose whether you are paid as an individual or as a company.")
		a.EntityKind = ""
	}
	prefix, euVAT := money.VATPrefix(a.Country)
	switch {
	case a.EntityKind != Company || !euVAT:
		a.VATID = "" // no VAT number applies
	case strings.TrimSpace(a.VATID) == "" && joined:
		// keep the one on file
	default:
		v, err := money.ValidateVATID(a.VATID)
		switch {
		case err != nil:
			inv.Add("vat_id", "A company in the EU gives its VAT number: "+err.Error()+".")
		case v[:2] != prefix:
			inv.Add("vat_id", "This VAT number is not of "+a.Country+": it should start with "+prefix+".")
		default:
			a.VATID = v
		}
	}
	if strings.TrimSpace(a.IBAN) != "" || !joined {
		if iban, err := money.ValidateIBAN(a.IBAN); err != nil {
			inv.Add("iban", capital(err.Error())+".")
			a.IBAN = ""
		} else if !money.SEPACountry(iban[:2]) {
			inv.Add("iban", "Payouts go by SEPA credit transfer, and "+iban[:2]+" is not in the SEPA area.")
		} else {
			a.IBAN = iban
		}
	}
	if strings.TrimSpace(a.BIC) != "" || !joined || a.IBAN != "" {
		if bic, err := money.ValidateBIC(a.BIC); err != nil {
			inv.Add("bic", capital(err.Error())+".")
			a.BIC = ""
		} else {
			a.BIC = bic
		}
	}
	if !agreed && a.Accepted != AgreementVersion {
		inv.Add("accept", "Read and accept the distribution agreement to join.")
	}
	if len(inv.Fields) > 0 {
		inv.Message = "Nothing was saved: please correct the fields below."
	}
	return a, inv.Err()
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
