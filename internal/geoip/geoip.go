// Package geoip tells the country of an IP address from a GeoIP database
// file kept on the site's own disk, in the MaxMind DB format
// (https://maxmind.github.io/MaxMind-DB/): MaxMind's GeoLite2-Country or
// GeoIP2-Country, DB-IP's "IP to Country Lite", or any of their city
// databases, which hold the country too. No one else is asked: the lookup
// reads the file only.
//
// Statistics use it to count where listeners come from; the address
// itself is not kept for that.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/oschwald/geoip2-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2"
)

// DB answers the country of addresses from one database file, read into
// memory at Open: replacing the file later does not change it (restart
// to use a new edition). It is safe for concurrent use. A nil *DB is a
// site without a database, where every country is unknown.
type DB struct {
	reader *geoip2.Reader
	// Type is the database's own name of its kind ("GeoLite2-Country",
	// "DBIP-Country-Lite").
	Type string
	// Built is when the edition was built (UTC), from its metadata.
	Built time.Time
}

// Open reads the database at path, checks that the file is a whole,
// well-formed MaxMind DB (its search tree and data section) and that it
// is of a kind that holds countries (a country, city or enterprise
// database of MaxMind or DB-IP). The errors say which of these failed and
// name the path: a missing or unreadable file, a file that is not a
// MaxMind DB or is damaged, or a database of another kind (ASN, ISP,
// anonymous IP...).
func Open(path string) (*DB, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the GeoIP database: %w", err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("the GeoIP database %s is an empty file", path)
	}
	raw, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a MaxMind DB (.mmdb) file, or it is damaged: %w", path, err)
	}
	if err := raw.Verify(); err != nil {
		return nil, fmt.Errorf("the GeoIP database %s is damaged (download it again): %w", path, err)
	}
	reader, err := geoip2.OpenBytes(data)
	if err != nil {
		var unknown geoip2.UnknownDatabaseTypeError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("%s is a %q database, which does not give countries: use a country database such as DB-IP's IP to Country Lite or MaxMind's GeoLite2-Country", path, unknown.DatabaseType)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	meta := reader.Metadata()
	// Asking is the one way to learn whether the kind holds countries:
	// ASN, ISP and other kinds refuse with InvalidMethodError.
	if _, err := reader.Country(netip.IPv4Unspecified()); err != nil {
		var invalid geoip2.InvalidMethodError
		if errors.As(err, &invalid) {
			return nil, fmt.Errorf("%s is a %q database, which does not give countries: use a country database such as DB-IP's IP to Country Lite or MaxMind's GeoLite2-Country", path, meta.DatabaseType)
		}
		return nil, fmt.Errorf("the GeoIP database %s cannot be read: %w", path, err)
	}
	return &DB{reader: reader, Type: meta.DatabaseType, Built: time.Unix(int64(meta.BuildEpoch), 0).UTC()}, nil
}

// Country returns the ISO 3166-1 alpha-2 code, in capitals, of the
// country the database places addr in ("FR"), or "" when it is unknown:
// without a database, for an invalid address, for an address the
// database does not hold (private, loopback and other reserved ranges are
// in none of the published databases), for DB-IP's "ZZ" (unknown), and
// for a record that cannot be read. An IPv4 address written as IPv6
// (::ffff:192.0.2.1) is looked up as IPv4; a zone is ignored.
func (db *DB) Country(addr netip.Addr) string {
	if db == nil || !addr.IsValid() {
		return ""
	}
	rec, err := db.reader.Country(addr.Unmap().WithZone(""))
	if err != nil {
		return ""
	}
	code := rec.Country.ISOCode
	if !validCode(code) || code == "ZZ" {
		return ""
	}
	return code
}

// CountryOf is Country for an address written as text, as in
// http.Request.RemoteAddr: "192.0.2.1", "192.0.2.1:5678", "[2001:db8::1]:443"
// or "2001:db8::1". Text that is no address gives "".
func (db *DB) CountryOf(s string) string {
	if db == nil {
		return ""
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return db.Country(ap.Addr())
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return db.Country(addr)
}

// Close releases the database; Country must not be called after.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	return db.reader.Close()
}

// validCode reports whether s has the form of an ISO 3166-1 alpha-2 code:
// two ASCII capital letters.
func validCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// CountryName is the English short name of an ISO 3166-1 alpha-2 code
// ("FR" → "France"), or the code itself when it is not one of the
// assigned codes the table holds.
func CountryName(code string) string {
	if n, ok := countryNames[code]; ok {
		return n
	}
	return code
}
