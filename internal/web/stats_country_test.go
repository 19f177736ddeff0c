package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/geoip"
	"chorus/internal/geoip/geoiptest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func testGeoIP(t *testing.T) *geoip.DB {
	t.Helper()
	db, err := geoip.Open(geoiptest.Write(t, "GeoLite2-Country", map[string]string{
		"192.0.2.0/24": "FR", "198.51.100.0/24": "DE", "2001:db8::/32": "JP"}))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestEventCountry: an event takes the country of the client's full
// address from the GeoIP database, while it keeps only the truncated
// network; without a database the country is unknown.
func TestEventCountry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		f.s.GeoIP = testGeoIP(t)
		for remote, want := range map[string]string{"192.0.2.44:5000": "FR", "198.51.100.3:80": "DE", "[2001:db8::9]:443": "JP",
			"203.0.113.1:80": "", "10.0.0.1:80": ""} {
			r := httptest.NewRequest(http.MethodGet, "/tracks/1", nil)
			r.RemoteAddr = remote
			r.Header.Set("Sec-GPC", "1") // no identifier: the country comes without consent, like the network
			ev := f.s.newEvent(nil, r, analytics.Play)
			if ev.Country != want {
				t.Errorf("%s: country %q, want %q", remote, ev.Country, want)
			}
			if !strings.HasSuffix(ev.Network, "/24") && !strings.HasSuffix(ev.Network, "/48") {
				t.Errorf("%s: network %q is not truncated", remote, ev.Network)
			}
		}
		f.s.GeoIP = nil
		r := httptest.NewRequest(http.MethodGet, "/tracks/1", nil)
		r.RemoteAddr = "192.0.2.44:5000"
		r.Header.Set("Sec-GPC", "1")
		if ev := f.s.newEvent(nil, r, analytics.Play); ev.Country != "" {
			t.Errorf("without a database: country %q", ev.Country)
		}
	})
}

// TestCountryBreakdown: with a GeoIP database the artist's and the site's
// dashboards and the CSV show countries by name; a country of fewer than
// 5 listeners is only part of Other. Without a database and without
// countries in the period, the breakdown is left out; countries recorded
// while a database was set are still shown after it is removed.
func TestCountryBreakdown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		admin := f.member("chief", chorus.RoleAdmin)
		owner := f.member("touring", chorus.RoleArtist)
		band := f.artist(owner, "The Travellers")
		song := f.track(band, "Far Away")
		day := statsNow.AddDate(0, 0, -1).Truncate(24 * time.Hour)
		artistPage := fmt.Sprintf("/studio/artists/%d/stats?period=7d", band.ID)
		csvPath := fmt.Sprintf("/studio/artists/%d/stats.csv?period=7d", band.ID)

		// No database, no countries: no breakdown at all.
		f.events(day, analytics.Play, song, band, store.Event{}, people("n", 5)...)
		f.rollUp(day)
		for _, path := range []string{artistPage, "/admin/stats?period=7d"} {
			who := owner
			if strings.HasPrefix(path, "/admin") {
				who = admin
			}
			if status, body, _ := f.get(who, path); status != http.StatusOK || strings.Contains(body, "Countries") {
				t.Errorf("%s without a GeoIP database: %d, shows countries: %v", path, status, strings.Contains(body, "Countries"))
			}
		}
		if _, body, _ := f.get(owner, csvPath); strings.Contains(body, "country,") {
			t.Errorf("the CSV has countries without a database:\n%s", body)
		}

		// With a database: six listeners in France, four in Germany.
		f.s.GeoIP = testGeoIP(t)
		f.events(day, analytics.Play, song, band, store.Event{Country: "FR"}, people("f", 6)...)
		f.events(day, analytics.Play, song, band, store.Event{Country: "DE"}, people("g", 4)...)
		f.rollUp(day)
		for _, path := range []string{artistPage, "/admin/stats?period=7d"} {
			who := owner
			if strings.HasPrefix(path, "/admin") {
				who = admin
			}
			status, body, _ := f.get(who, path)
			if status != http.StatusOK {
				t.Fatalf("%s: %d", path, status)
			}
			for _, want := range []string{"<h2>Countries</h2>", `<th scope="col">Country</th>`,
				`<th scope="row">France</th><td>6</td><td>6</td>`,
				`<th scope="row">Other (fewer than 5 people each)</th><td>4</td><td>4</td>`,
				`<th scope="row">Unknown</th><td>5</td><td>5</td>`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks %q", path, want)
				}
			}
			if strings.Contains(body, "Germany") || strings.Contains(body, ">DE<") {
				t.Errorf("%s names Germany, seen by 4 listeners; it should be merged into Other", path)
			}
		}
		_, body, _ := f.get(owner, csvPath)
		records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var countries []string
		for _, r := range records {
			if r[0] == "country" {
				countries = append(countries, strings.Join(r[1:], ","))
			}
		}
		if want := "France,6,6,0,0|Unknown,5,5,0,0|Other (fewer than 5 people each),4,4,0,0"; strings.Join(countries, "|") != want {
			t.Errorf("CSV countries %q, want %q", strings.Join(countries, "|"), want)
		}

		// The database removed: the countries already counted stay.
		f.s.GeoIP = nil
		if _, body, _ := f.get(owner, artistPage); !strings.Contains(body, `<th scope="row">France</th>`) {
			t.Error("countries recorded while a database was set are no longer shown")
		}
	})
}
