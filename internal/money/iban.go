// Package money holds the rules of the money domain that Chorus PRO needs
// and that are Chorus's own to get right: bank account numbers (IBAN,
// ISO 13616), bank identifier codes (BIC, ISO 9362), the format of EU VAT
// identification numbers, and splitting an amount in integer minor units
// without losing a cent.
package money

import (
	"fmt"
	"strings"
	"unicode"
)

// ibanLengths is the length of the IBAN of each country of the SWIFT IBAN
// registry (ISO 13616-1, release of the registry published by SWIFT as its
// registration authority), by ISO 3166-1 alpha-2 code.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// NormalizeIBAN returns s without spaces and in upper case, the electronic
// format of ISO 13616-1 (section 5.2); it does not validate.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s))
}

// ValidateIBAN checks an IBAN given in either the electronic or the paper
// format (groups of four separated by spaces): a known country code, the
// length of that country's IBAN, letters and digits only, and the check
// digits by the MOD 97-10 of ISO 7064 (ISO 13616-1, section 6). It returns
// the IBAN in electronic format, or an error a person can act on.
func ValidateIBAN(s string) (string, error) {
	iban := NormalizeIBAN(s)
	if iban == "" {
		return "", fmt.Errorf("enter the IBAN of the account payouts go to")
	}
	if len(iban) < 5 {
		return "", fmt.Errorf("an IBAN starts with a country code and two check digits, like FR76 3000 6000 0112 3456 7890 189")
	}
	for _, r := range iban {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return "", fmt.Errorf("an IBAN holds only letters and digits")
		}
	}
	country := iban[:2]
	want, ok := ibanLengths[country]
	if !ok {
		return "", fmt.Errorf("%q is not the country code of a country that uses IBANs", country)
	}
	if len(iban) != want {
		return "", fmt.Errorf("an IBAN of %s has %d characters, this one has %d", country, want, len(iban))
	}
	if iban[2] < '0' || iban[2] > '9' || iban[3] < '0' || iban[3] > '9' {
		return "", fmt.Errorf("the third and fourth characters of an IBAN are its check digits")
	}
	if mod97(iban[4:]+iban[:4]) != 1 {
		return "", fmt.Errorf("this IBAN's check digits do not match: please check it for a mistyped character")
	}
	return iban, nil
}

// mod97 computes the remainder of s modulo 97, each letter counting as
// two digits (A = 10 ... Z = 35), piece by piece so no big number is needed
// (ISO 7064, MOD 97-10).
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
			continue
		}
		r = (r*10 + int(c-'0')) % 97
	}
	return r
}

// MaskIBAN shows an IBAN as people may see it on screen: its country code
// and check digits and its last four characters ("FR76 •••• 1234"). An
// empty or too short value gives "".
func MaskIBAN(iban string) string {
	iban = NormalizeIBAN(iban)
	if len(iban) < 8 {
		return ""
	}
	return iban[:4] + " •••• " + iban[len(iban)-4:]
}

// FormatIBAN writes an electronic-format IBAN in the paper format of
// ISO 13616-1: groups of four characters separated by spaces.
func FormatIBAN(iban string) string {
	var b strings.Builder
	for i, r := range NormalizeIBAN(iban) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ValidateBIC checks the format of a business identifier code (ISO 9362:
// 4 letters or digits for the party, 2 letters for the ISO 3166-1 country,
// 2 letters or digits for the location, and an optional 3-character branch
// code), and returns it in upper case without spaces. It checks the
// format only: whether the bank exists is for the bank to say.
func ValidateBIC(s string) (string, error) {
	bic := NormalizeIBAN(s)
	if bic == "" {
		return "", fmt.Errorf("enter the BIC (SWIFT code) of the bank")
	}
	if len(bic) != 8 && len(bic) != 11 {
		return "", fmt.Errorf("a BIC has 8 or 11 characters, like BNPAFRPP or BNPAFRPPXXX")
	}
	alnum := func(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') }
	for i := 0; i < len(bic); i++ {
		c := bic[i]
		switch {
		case i >= 4 && i < 6:
			if c < 'A' || c > 'Z' {
				return "", fmt.Errorf("the fifth and sixth characters of a BIC are the bank's country code, in letters")
			}
		case !alnum(c):
			return "", fmt.Errorf("a BIC holds only letters and digits")
		}
	}
	if _, ok := ibanLengths[bic[4:6]]; !ok && !isoCountry(bic[4:6]) {
		return "", fmt.Errorf("%q in this BIC is not a country code", bic[4:6])
	}
	return bic, nil
}

// isoCountry reports whether c is an ISO 3166-1 alpha-2 code of a country
// without IBANs that SEPA payments may still name (a few common ones);
// countries with IBANs are in ibanLengths.
func isoCountry(c string) bool {
	switch c {
	case "US", "CA", "JP", "CN", "AU", "NZ", "IN", "SG", "HK", "ZA", "MX", "AR", "CL", "KR":
		return true
	}
	return false
}

// SEPACountry reports whether an IBAN of this country can receive a SEPA
// Credit Transfer (the European Payments Council's list of SEPA
// jurisdictions).
func SEPACountry(c string) bool {
	switch c {
	case "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
		"MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "GB", "MC", "SM", "VA", "AD", "AL", "ME", "MD", "MK", "RS":
		return true
	}
	return false
}

// KnownCountry reports whether c is an ISO 3166-1 alpha-2 code Chorus
// knows: a country with IBANs, or one of the few others listed.
func KnownCountry(c string) bool {
	_, ok := ibanLengths[c]
	return ok || isoCountry(c)
}
