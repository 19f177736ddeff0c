package datamap

import (
	"slices"
	"strings"
)

// Registered is one entry of the processors register (GDPR Art. 28 and
// Art. 30(1)(d)): a third party that receives personal data for the site,
// what it receives and why. Code that sends data to a processor asks the
// register first (Receives) and sends nothing it is not registered for.
type Registered struct {
	ID int64
	// ConfigKey names an entry seeded from the configuration ("smtp");
	// empty for one an admin added.
	ConfigKey string
	Name      string
	// Service is what the processor does for the site ("email delivery").
	Service string
	// Country is where it processes the data: an ISO 3166-1 alpha-2 code
	// in capitals, "" when not yet known.
	Country    string
	Categories []Category
	Purpose    string
}

// ConfigSMTP is the ConfigKey of the SMTP relay set with --smtp-url.
const ConfigSMTP = "smtp"

// Receives reports whether the register lets p receive data of every
// category in cats.
func (p Registered) Receives(cats ...Category) bool {
	for _, c := range cats {
		if !slices.Contains(p.Categories, c) {
			return false
		}
	}
	return true
}

// InEEA reports whether p processes data inside the European Economic
// Area, where the GDPR applies.
func (p Registered) InEEA() bool { return InEEA(p.Country) }

// Abroad reports whether p is registered as processing data outside the
// European Economic Area: a transfer under GDPR Chapter V, which members
// are asked about separately at sign-up. A processor whose country is not
// yet stated is not counted until an admin states it; the register's page
// shows such entries as needing attention.
func (p Registered) Abroad() bool { return p.Country != "" && !p.InEEA() }

// Location is p's country for people to read: "DE (EU/EEA)", "US (outside
// the EU/EEA)", or "not stated yet".
func (p Registered) Location() string {
	switch {
	case p.Country == "":
		return "not stated yet"
	case p.InEEA():
		return p.Country + " (EU/EEA)"
	}
	return p.Country + " (outside the EU/EEA)"
}

// eea lists the member states of the European Economic Area: the 27 of the
// European Union and Iceland, Liechtenstein and Norway (EEA Agreement),
// by ISO 3166-1 alpha-2 code (Greece is "GR").
var eea = []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
	"LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}

// InEEA reports whether country (ISO 3166-1 alpha-2, any case) is in the
// European Economic Area, where the GDPR applies and no transfer
// safeguards (GDPR Chapter V) are needed.
func InEEA(country string) bool { return slices.Contains(eea, strings.ToUpper(country)) }

// ValidCountry reports whether s has the form of an ISO 3166-1 alpha-2
// code: two ASCII capital letters.
func ValidCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// Categories lists every category the map declares, in the order of first
// declaration, for the register's forms.
func Categories() []Category {
	var out []Category
	for _, t := range Tables {
		for _, c := range t.Columns {
			if c.Category != "" && !slices.Contains(out, c.Category) {
				out = append(out, c.Category)
			}
		}
	}
	for _, f := range Files {
		if !slices.Contains(out, f.Category) {
			out = append(out, f.Category)
		}
	}
	for _, c := range []Category{Email, Communications} {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Recipients names the registered processors that receive data of
// category c, "none" when none does.
func Recipients(c Category, register []Registered) string {
	var names []string
	for _, p := range register {
		if p.Receives(c) {
			names = append(names, p.Name+" ("+p.Service+", "+p.Location()+")")
		}
	}
	return or(strings.Join(names, "; "), "none")
}
