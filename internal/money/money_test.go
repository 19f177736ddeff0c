package money

import (
	"testing"
	"testing/quick"
)

func TestValidateIBAN(t *testing.T) {
	valid := []struct{ in, want string }{
		{"FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"},
		{"DE89370400440532013000", "DE89370400440532013000"},
		{"gb29 nwbk 6016 1331 9268 19", "GB29NWBK60161331926819"},
		{"NL91ABNA0417164300", "NL91ABNA0417164300"},
		{"BE68539007547034", "BE68539007547034"},
		{"NO9386011117947", "NO9386011117947"},
		{"CH9300762011623852957", "CH9300762011623852957"},
		{"ES9121000418450200051332", "ES9121000418450200051332"},
		{"IT60X0542811101000000123456", "IT60X0542811101000000123456"},
		{"MT84MALT011000012345MTLCAST001S", "MT84MALT011000012345MTLCAST001S"},
		{"LC55HEMM000100010012001200023015", "LC55HEMM000100010012001200023015"},
	}
	for _, v := range valid {
		got, err := ValidateIBAN(v.in)
		if err != nil || got != v.want {
			t.Errorf("ValidateIBAN(%q) = %q, %v; want %q", v.in, got, err, v.want)
		}
	}
	invalid := []string{
		"",
		"FR76",
		"FR7630006000011234567890188",  // check digits off by one
		"FR763000600001123456789018",   // one character short for FR
		"FR76300060000112345678901890", // one too many
		"XX7630006000011234567890189",  // no such country
		"DE89 3704 0044 0532 0130 01",  // mistyped digit
		"GB82WEST1234569876543!",       // punctuation
		"GBAAWEST12345698765432",       // letters as check digits
		"DE89370400440532013000\u00a0x",
		"<script>alert(1)</script>",
	}
	for _, in := range invalid {
		if got, err := ValidateIBAN(in); err == nil {
			t.Errorf("ValidateIBAN(%q) = %q, want an error", in, got)
		}
	}
}

func TestValidateBIC(t *testing.T) {
	for _, in := range []string{"BNPAFRPP", "BNPAFRPPXXX", "deutdeff", "DEUTDEFF500", "NWBKGB2L", "CHASUS33", "UBSWCHZH80A"} {
		if _, err := ValidateBIC(in); err != nil {
			t.Errorf("ValidateBIC(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "BNPAFRP", "BNPAFRPPXX", "BNPA1RPP", "BNPAQQPP", "BNPAFRPP-XX", "BNPAFRPPXXXX", "ÉNPAFRPP"} {
		if got, err := ValidateBIC(in); err == nil {
			t.Errorf("ValidateBIC(%q) = %q, want an error", in, got)
		}
	}
}

func TestValidateVATID(t *testing.T) {
	for _, in := range []string{"FR40303265045", "FR 40 303 265 045", "DE136695976", "ATU13585627", "NL004495445B01", "EL094259216", "ESA12345674", "IE6388047V", "BE0203201340", "SE556188840401"} {
		if _, err := ValidateVATID(in); err != nil {
			t.Errorf("ValidateVATID(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "FR", "GR094259216", "DE13669597", "ATX13585627", "NL004495445A01", "US123456789", "FRIO303265045", "<b>FR40303265045</b>"} {
		if got, err := ValidateVATID(in); err == nil {
			t.Errorf("ValidateVATID(%q) = %q, want an error", in, got)
		}
	}
}

func TestMaskIBAN(t *testing.T) {
	if got := MaskIBAN("FR76 3000 6000 0112 3456 7890 189"); got != "FR76 •••• 0189" {
		t.Errorf("MaskIBAN = %q", got)
	}
	if got := FormatIBAN("FR7630006000011234567890189"); got != "FR76 3000 6000 0112 3456 7890 189" {
		t.Errorf("FormatIBAN = %q", got)
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		amount        int64
		bp            int
		artist, platf int64
	}{
		{1000, 5000, 500, 500}, {999, 5000, 499, 500}, {1, 5000, 0, 1}, {1001, 7000, 700, 301},
		{0, 5000, 0, 0}, {-999, 5000, -499, -500}, {12345, 10000, 12345, 0}, {12345, 0, 0, 12345},
	} {
		a, p := Split(c.amount, c.bp)
		if a != c.artist || p != c.platf {
			t.Errorf("Split(%d, %d) = %d, %d; want %d, %d", c.amount, c.bp, a, p, c.artist, c.platf)
		}
	}
	// Never loses or makes a cent, and the artist never gets more than their rate.
	f := func(amount int64, bp uint16) bool {
		b := int(bp) % 10001
		amount /= 2 // leave room for the sign flip
		a, p := Split(amount, b)
		abs := func(x int64) int64 {
			if x < 0 {
				return -x
			}
			return x
		}
		return a+p == amount && abs(a) <= abs(amount) && (amount < 0) == (a < 0 || p < 0) || amount == 0 && a == 0 && p == 0
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
	if got := FormatMinor(-123456); got != "-1234.56" {
		t.Errorf("FormatMinor = %q", got)
	}
}
