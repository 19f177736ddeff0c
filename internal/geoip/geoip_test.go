package geoip_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"chorus/internal/geoip"
	"chorus/internal/geoip/geoiptest"
)

// testCountries is the map of the test database: documentation networks
// (RFC 5737, RFC 3849) placed in three countries, and one DB-IP "unknown".
var testCountries = map[string]string{
	"192.0.2.0/24":    "FR",
	"198.51.100.0/24": "DE",
	"2001:db8::/32":   "JP",
	"203.0.113.0/25":  "ZZ",
}

func open(t *testing.T) *geoip.DB {
	t.Helper()
	db, err := geoip.Open(geoiptest.Write(t, "GeoLite2-Country", testCountries))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCountry(t *testing.T) {
	db := open(t)
	if db.Type != "GeoLite2-Country" || db.Built.IsZero() {
		t.Errorf("metadata: type %q built %v", db.Type, db.Built)
	}
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.1", "FR"},
		{"192.0.2.255", "FR"},
		{"198.51.100.77", "DE"},
		{"2001:db8::1", "JP"},
		{"2001:db8:ffff::1", "JP"},
		{"::ffff:192.0.2.9", "FR"}, // IPv4 written as IPv6
		{"fe80::1%eth0", ""},       // link-local, with a zone
		{"192.0.3.1", ""},          // a network the database does not hold
		{"2001:db9::1", ""},        // the same, IPv6
		{"10.1.2.3", ""},           // private
		{"192.168.0.10", ""},       // private
		{"127.0.0.1", ""},          // loopback
		{"::1", ""},                // loopback
		{"fd00::1", ""},            // unique local
		{"203.0.113.5", ""},        // DB-IP's ZZ, unknown
	} {
		if got := db.Country(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Country(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if got := db.Country(netip.Addr{}); got != "" {
		t.Errorf("the zero address gave %q", got)
	}
}

func TestCountryOfRemoteAddr(t *testing.T) {
	db := open(t)
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.1:5678", "FR"},
		{"[2001:db8::5]:443", "JP"},
		{"198.51.100.1", "DE"},
		{"2001:db8::5", "JP"},
		{"not an address", ""},
		{"", ""},
	} {
		if got := db.CountryOf(tc.remote); got != tc.want {
			t.Errorf("CountryOf(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

func TestWithoutDatabase(t *testing.T) {
	var db *geoip.DB
	if got := db.Country(netip.MustParseAddr("192.0.2.1")); got != "" {
		t.Errorf("no database gave %q", got)
	}
	if got := db.CountryOf("192.0.2.1:80"); got != "" {
		t.Errorf("no database gave %q", got)
	}
	if err := db.Close(); err != nil {
		t.Error(err)
	}
}

func TestConcurrentLookups(t *testing.T) {
	db := open(t)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				addr, want := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), "FR"
				if (g+i)%2 == 1 {
					addr, want = netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), "DE"
				}
				if got := db.Country(addr); got != want {
					errs <- addr.String() + " gave " + got
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestOpenRefusesWhatIsNotACountryDatabase(t *testing.T) {
	dir := t.TempDir()
	good := geoiptest.Write(t, "GeoLite2-Country", testCountries)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The search tree comes first: overwriting its start sends lookups
	// out of the file.
	damaged := append([]byte(nil), data...)
	for i := range 64 {
		damaged[i] = 0xff
	}
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"missing", filepath.Join(dir, "absent.mmdb"), []string{"absent.mmdb", "no such file"}},
		{"directory", dir, []string{"read the GeoIP database"}},
		{"empty", file("empty.mmdb", nil), []string{"empty.mmdb", "empty file"}},
		{"text", file("notes.mmdb", []byte("country,code\nFrance,FR\n")), []string{"notes.mmdb", "not a MaxMind DB"}},
		{"truncated", file("cut.mmdb", data[:len(data)/3]), []string{"cut.mmdb"}},
		{"damaged", file("damaged.mmdb", damaged), []string{"damaged.mmdb", "damaged"}},
		{"ASN", geoiptest.Write(t, "GeoLite2-ASN", map[string]string{"192.0.2.0/24": "FR"}), []string{"GeoLite2-ASN", "does not give countries"}},
		{"unknown kind", geoiptest.Write(t, "Chorus-Test", map[string]string{"192.0.2.0/24": "FR"}), []string{"Chorus-Test", "does not give countries"}},
	} {
		db, err := geoip.Open(tc.path)
		if err == nil {
			db.Close()
			t.Errorf("%s: opened", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
	}
}

func TestCityDatabasesGiveCountries(t *testing.T) {
	db, err := geoip.Open(geoiptest.Write(t, "DBIP-City-Lite", testCountries))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Country(netip.MustParseAddr("198.51.100.1")); got != "DE" {
		t.Errorf("city database gave %q, want DE", got)
	}
}

func TestCountryName(t *testing.T) {
	for code, want := range map[string]string{"FR": "France", "DE": "Germany", "JP": "Japan", "GB": "United Kingdom",
		"US": "United States", "XK": "Kosovo", "QQ": "QQ", "": ""} {
		if got := geoip.CountryName(code); got != want {
			t.Errorf("CountryName(%q) = %q, want %q", code, got, want)
		}
	}
}
