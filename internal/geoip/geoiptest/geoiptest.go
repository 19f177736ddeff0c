// Package geoiptest writes real MaxMind DB files for tests, with
// MaxMind's own writer (github.com/maxmind/mmdbwriter).
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Write writes, in a temporary directory of t, an IPv6 MaxMind DB of
// type dbType ("GeoLite2-Country") whose records have the shape of
// MaxMind's country databases: each network in countries (CIDR text,
// "192.0.2.0/24") is mapped to {"country": {"iso_code": CODE}}. Reserved
// networks (documentation, loopback, private) may be mapped, as tests
// need them. It returns the file's path.
func Write(t testing.TB, dbType string, countries map[string]string) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24, IncludeReservedNetworks: true,
		Description: map[string]string{"en": "Chorus test database"}})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, code := range countries {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		record := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(code)}}
		if err := tree.Insert(network, record); err != nil {
			t.Fatalf("insert %s: %v", cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
