package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/geoip/geoiptest"
	"chorus/internal/store/storetest"
)

// clientFrom is a client whose connections leave from the local address
// ip: on Linux all of 127.0.0.0/8 is the loopback interface, so a test
// can play listeners at several addresses without any network set-up.
func clientFrom(t *testing.T, base, ip string) *client {
	c := newClient(t, base)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	c.http.Transport = &http.Transport{DialContext: dialer.DialContext}
	return c
}

// TestCountriesOfListeners runs the server with --geoip and a real
// MaxMind DB that places two loopback ranges in France and Germany.
// Five consenting visitors in France and two in Germany play a track;
// once the day is rolled up, the artist's dashboard and CSV and the
// site's dashboard name France with its five listeners, while Germany,
// with two, is only part of "Other". No event holds a full address.
func TestCountriesOfListeners(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			// Loopback is reserved: published databases hold none of it,
			// this test database maps it so that local clients have countries.
			mmdb := geoiptest.Write(t, "GeoLite2-Country", map[string]string{
				"127.0.0.16/28": "FR", // 127.0.0.16 to 127.0.0.31
				"127.0.0.32/28": "DE", // 127.0.0.32 to 127.0.0.47
			})
			srv := startServer(t, d, "--geoip", mmdb)
			if !strings.Contains(srv.logs.String(), "GeoLite2-Country") {
				t.Errorf("the start-up log does not name the GeoIP database:\n%s", srv.logs)
			}
			id := publishedTrack(t, srv.URL, "wanderer", "Postcard")
			track := fmt.Sprintf("/tracks/%d", id)
			listen := func(ip string) {
				t.Helper()
				c := clientFrom(t, srv.URL, ip)
				c.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}}) // a random id per visitor
				if resp, _ := c.get(track); resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: track page %d", ip, resp.StatusCode)
				}
				if resp, _ := c.get(track + "/stream"); resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: stream %d", ip, resp.StatusCode)
				}
				if resp, body := c.postForm(track+"/play", nil); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("%s: play %d %s", ip, resp.StatusCode, body)
				}
			}
			for _, ip := range []string{"127.0.0.17", "127.0.0.18", "127.0.0.19", "127.0.0.20", "127.0.0.21"} {
				listen(ip)
			}
			for _, ip := range []string{"127.0.0.33", "127.0.0.34"} {
				listen(ip)
			}

			db := openStore(t, srv.DBURL)
			ctx := context.Background()
			got, err := db.Strings(ctx, `SELECT country || ' ' || network || ' ' || CAST(COUNT(*) AS TEXT) FROM analytics_events
				WHERE kind = 'play' GROUP BY country, network ORDER BY country`)
			if err != nil {
				t.Fatal(err)
			}
			if want := "DE 127.0.0.0/24 2|FR 127.0.0.0/24 5"; strings.Join(got, "|") != want {
				t.Errorf("plays stored %q, want %q: the country from the full address, the network truncated", strings.Join(got, "|"), want)
			}
			// Roll up today (and yesterday, should the plays straddle midnight).
			today := time.Now().UTC().Truncate(24 * time.Hour)
			for _, day := range []time.Time{today.AddDate(0, 0, -1), today} {
				if err := analytics.RollUpDay(ctx, db, day); err != nil {
					t.Fatal(err)
				}
			}

			artist := logIn(t, srv.URL, "wanderer", "a long password")
			resp, _ := artist.get("/studio/stats?period=7d")
			page := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || page == "" {
				t.Fatalf("/studio/stats: %d", resp.StatusCode)
			}
			resp, body := artist.get(page)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", page, resp.StatusCode)
			}
			mustContain(t, "the artist's dashboard", body, "<h2>Countries</h2>",
				`<th scope="row">France</th><td>5</td><td>5</td>`,
				`<th scope="row">Other (fewer than 5 people each)</th><td>2</td><td>2</td>`)
			if strings.Contains(string(body), "Germany") {
				t.Error("the dashboard names Germany, where only two people listened")
			}

			resp, body = artist.get(strings.Replace(page, "/stats?", "/stats.csv?", 1))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("csv: %d", resp.StatusCode)
			}
			records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var countries []string
			for _, r := range records {
				if r[0] == "country" {
					countries = append(countries, strings.Join(r[1:4], ","))
				}
			}
			if want := "France,5,5|Other (fewer than 5 people each),2,2"; strings.Join(countries, "|") != want {
				t.Errorf("CSV countries %q, want %q", strings.Join(countries, "|"), want)
			}

			createUser(t, srv, "overseer", "admin", "a long password")
			admin := logIn(t, srv.URL, "overseer", "a long password")
			resp, body = admin.get("/admin/stats?period=7d")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/admin/stats: %d", resp.StatusCode)
			}
			mustContain(t, "the site's dashboard", body, "<h2>Countries</h2>", `<th scope="row">France</th><td>5</td><td>5</td>`)
			if strings.Contains(string(body), "Germany") {
				t.Error("the site's dashboard names Germany, where only two people listened")
			}
		})
	}
}

// TestCountriesLeftOutWithoutGeoIP: without --geoip, events have no
// country and the dashboards show no breakdown by country.
func TestCountriesLeftOutWithoutGeoIP(t *testing.T) {
	d := storetest.Dialects()[0]
	srv := startServer(t, d)
	id := publishedTrack(t, srv.URL, "homebody", "Doorstep")
	c := clientFrom(t, srv.URL, "127.0.0.17")
	c.get(fmt.Sprintf("/tracks/%d/stream", id))
	if resp, _ := c.postForm(fmt.Sprintf("/tracks/%d/play", id), nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("play: %d", resp.StatusCode)
	}
	db := openStore(t, srv.DBURL)
	ctx := context.Background()
	if got, _ := db.Strings(ctx, `SELECT DISTINCT country FROM analytics_events`); len(got) != 1 || got[0] != "" {
		t.Errorf("countries stored without a database: %q", got)
	}
	if err := analytics.RollUpDay(ctx, db, time.Now().UTC().Truncate(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	artist := logIn(t, srv.URL, "homebody", "a long password")
	resp, _ := artist.get("/studio/stats")
	resp, body := artist.get(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Browsers") || strings.Contains(string(body), "Countries") {
		t.Errorf("dashboard without --geoip: %d, countries shown: %v", resp.StatusCode, strings.Contains(string(body), "Countries"))
	}
}

// TestBadGeoIPStopsTheStart: a missing file, a file that is not a
// MaxMind DB and a database without countries each stop `serve` with a
// message naming --geoip and what is wrong, before the database is
// created or anything listens.
func TestBadGeoIPStopsTheStart(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "countries.csv")
	if err := os.WriteFile(notes, []byte("network,country\n192.0.2.0/24,FR\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	asn := geoiptest.Write(t, "GeoLite2-ASN", map[string]string{"192.0.2.0/24": "FR"})
	for _, tc := range []struct {
		path string
		want []string
	}{
		{filepath.Join(dir, "missing.mmdb"), []string{"--geoip (CHORUS_GEOIP)", "missing.mmdb", "no such file"}},
		{notes, []string{"--geoip (CHORUS_GEOIP)", "not a MaxMind DB"}},
		{asn, []string{"--geoip (CHORUS_GEOIP)", `"GeoLite2-ASN" database, which does not give countries`}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var out, errOut strings.Builder
		data := t.TempDir() // SQLite in the data directory
		err := run(ctx, []string{"chorus", "serve", "--addr", "127.0.0.1:0", "--data", data, "--geoip", tc.path}, envFunc(nil), &out, &errOut)
		cancel()
		if entries, _ := os.ReadDir(data); len(entries) != 0 {
			t.Errorf("%s: the refused start left %v in the data directory", tc.path, entries)
		}
		if err == nil {
			t.Errorf("%s: the server started", tc.path)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", tc.path, err, w)
			}
		}
		if strings.Contains(out.String(), "listening on") {
			t.Errorf("%s: the server listened before refusing", tc.path)
		}
	}
}

// TestServeRefusesArguments: a word after "serve" that is not a flag is a
// mistake (a forgotten "--"), refused before anything starts.
func TestServeRefusesArguments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut strings.Builder
	data := t.TempDir()
	err := run(ctx, []string{"chorus", "serve", "--data", data, "extra-arg"}, envFunc(nil), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), `serve takes no arguments`) || !strings.Contains(err.Error(), `"extra-arg"`) {
		t.Fatalf("serve extra-arg: %v", err)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("the refused start left %v in the data directory", entries)
	}
}
