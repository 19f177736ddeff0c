package money

import (
	"fmt"
	"regexp"
	"strings"
)

// vatFormats is the format of the VAT identification number of each EU
// member state after its prefix, as the European Commission's VIES
// service documents it ("VIES VAT number validation", format per member
// state). Greece's prefix is EL, not its ISO code GR; XI is Northern
// Ireland under the Windsor Framework.
var vatFormats = map[string]*regexp.Regexp{
	"AT": regexp.MustCompile(`^U\d{8}$`),
	"BE": regexp.MustCompile(`^[01]\d{9}$`),
	"BG": regexp.MustCompile(`^\d{9,10}$`),
	"CY": regexp.MustCompile(`^\d{8}[A-Z]$`),
	"CZ": regexp.MustCompile(`^\d{8,10}$`),
	"DE": regexp.MustCompile(`^\d{9}$`),
	"DK": regexp.MustCompile(`^\d{8}$`),
	"EE": regexp.MustCompile(`^\d{9}$`),
	"EL": regexp.MustCompile(`^\d{9}$`),
	"ES": regexp.MustCompile(`^[A-Z0-9]\d{7}[A-Z0-9]$`),
	"FI": regexp.MustCompile(`^\d{8}$`),
	"FR": regexp.MustCompile(`^[A-HJ-NP-Z0-9]{2}\d{9}$`),
	"HR": regexp.MustCompile(`^\d{11}$`),
	"HU": regexp.MustCompile(`^\d{8}$`),
	"IE": regexp.MustCompile(`^(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$`),
	"IT": regexp.MustCompile(`^\d{11}$`),
	"LT": regexp.MustCompile(`^(\d{9}|\d{12})$`),
	"LU": regexp.MustCompile(`^\d{8}$`),
	"LV": regexp.MustCompile(`^\d{11}$`),
	"MT": regexp.MustCompile(`^\d{8}$`),
	"NL": regexp.MustCompile(`^\d{9}B\d{2}$`),
	"PL": regexp.MustCompile(`^\d{10}$`),
	"PT": regexp.MustCompile(`^\d{9}$`),
	"RO": regexp.MustCompile(`^[1-9]\d{1,9}$`),
	"SE": regexp.MustCompile(`^\d{10}01$`),
	"SI": regexp.MustCompile(`^\d{8}$`),
	"SK": regexp.MustCompile(`^\d{10}$`),
	"XI": regexp.MustCompile(`^(\d{9}|\d{12}|GD\d{3}|HA\d{3})$`),
}

// VATPrefix is the prefix of the VAT numbers of an EU country given by
// its ISO 3166-1 code ("EL" for "GR"), and whether the country has one.
func VATPrefix(country string) (string, bool) {
	if country == "GR" {
		return "EL", true
	}
	_, ok := vatFormats[country]
	return country, ok
}

// ValidateVATID checks the format of an EU VAT identification number with
// its country prefix ("FR40303265045", spaces, dots and dashes allowed),
// and returns it in upper case without separators. Only the format is
// checked: whether the number is registered is for VIES to say.
func ValidateVATID(s string) (string, error) {
	v := strings.ToUpper(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\t':
			return -1
		}
		return r
	}, s))
	if len(v) < 4 {
		return "", fmt.Errorf("a VAT number starts with its country prefix, like FR40303265045")
	}
	f, ok := vatFormats[v[:2]]
	if !ok {
		return "", fmt.Errorf("%q is not the prefix of an EU VAT number (Greece's is EL)", v[:2])
	}
	if !f.MatchString(v[2:]) {
		return "", fmt.Errorf("this is not the format of a VAT number of %s", v[:2])
	}
	return v, nil
}

// Split divides amount (in integer minor units, such as cents) into the
// artist's share at basisPoints/10000 and the platform's: the artist's
// share is rounded down to a whole minor unit and the platform gets the
// rest, so the two always add up to amount exactly. basisPoints is from 0
// to 10000 (5000 is 50%); a negative amount splits the same way in sign.
func Split(amount int64, basisPoints int) (artist, platform int64) {
	if basisPoints < 0 || basisPoints > 10000 {
		panic(fmt.Sprintf("money.Split: basis points %d out of 0..10000", basisPoints))
	}
	neg := amount < 0
	if neg {
		amount = -amount
	}
	// amount/10000*bp + (amount%10000)*bp/10000 avoids overflow for any
	// amount an int64 holds.
	artist = amount/10000*int64(basisPoints) + (amount%10000)*int64(basisPoints)/10000
	platform = amount - artist
	if neg {
		return -artist, -platform
	}
	return artist, platform
}

// FormatMinor writes an amount in minor units with two decimals and a
// point ("1234" is "12.34"), the form of ISO 20022 amounts and of
// statements; currencies with other minor units are not supported.
func FormatMinor(amount int64) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%d.%02d", sign, amount/100, amount%100)
}
