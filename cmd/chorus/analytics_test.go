package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"chorus/internal/consent"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// publishedTrack uploads a one-second tone as a new artist and publishes
// it; it returns the track's id.
func publishedTrack(t *testing.T, base, username, title string) int64 {
	t.Helper()
	a := signUpArtist(t, base, username, title+" Artist")
	_, up := a.upload(0, uploadFile{Name: "t.ogg", Body: tone(t, ".ogg", 1, 440, map[string]string{"title": title})})
	if len(up.Results) != 1 || up.Results[0].TrackID == 0 {
		t.Fatalf("upload: %+v", up)
	}
	id := up.Results[0].TrackID
	if st := a.waitTrack(id); st["status"] != "ready" {
		t.Fatalf("track: %v", st)
	}
	if resp, _ := a.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(id)}, "licence": {"cc-by-4.0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	return id
}

// eventsOf returns "kind member visitor" for each stored event of kind,
// with the member's id or "-" and whether a visitor id is set.
func eventsOf(t *testing.T, db *store.DB, kind string) []string {
	t.Helper()
	out, err := db.Strings(context.Background(), `SELECT kind || ' ' || COALESCE(CAST(member_id AS TEXT), '-') || ' ' || CASE WHEN visitor_id = '' THEN 'no-visitor' ELSE 'visitor' END
		FROM analytics_events WHERE kind = ? ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAnalyticsByConsent checks what each event stores under each
// consent: without consent and with Global Privacy Control no identifier
// at all; a visitor who accepted a random id from a cookie set only then;
// a member who accepted their id. Plays count only when the stream was
// served to the same client; the full address goes only to the security
// log, the event holds the /24.
func TestAnalyticsByConsent(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			ctx := context.Background()
			id := publishedTrack(t, srv.URL, "analyst", "Counted Song")
			track := fmt.Sprintf("/tracks/%d", id)

			listen := func(c *client, header ...string) {
				t.Helper()
				if resp, body := c.postForm(track+"/play", nil, header...); resp.StatusCode != http.StatusConflict {
					t.Errorf("a play without a stream: %d %s, want 409", resp.StatusCode, body)
				}
				if resp, _ := c.get(track+"/stream", header...); resp.StatusCode != http.StatusOK {
					t.Fatalf("stream: %d", resp.StatusCode)
				}
				if resp, body := c.postForm(track+"/play", nil, header...); resp.StatusCode != http.StatusNoContent {
					t.Errorf("a play after the stream: %d %s, want 204", resp.StatusCode, body)
				}
				if resp, _ := c.postForm(track+"/play", nil, header...); resp.StatusCode != http.StatusConflict {
					t.Errorf("a second play on the same stream: %d, want 409", resp.StatusCode)
				}
			}

			// No choice made: counted, no identifier, no cookie.
			anon := newClient(t, srv.URL)
			resp, _ := anon.get(track, "Referer", "https://blog.example.net/some/post?who=me")
			if names := setCookieNames(resp); len(names) != 0 {
				t.Errorf("a visitor without consent got cookies %v", names)
			}
			listen(anon)
			if got := eventsOf(t, db, "play"); len(got) != 1 || got[0] != "play - no-visitor" {
				t.Errorf("play without consent stored %v", got)
			}

			// A visitor who accepted: a random analytics id, set after consent.
			visitor := newClient(t, srv.URL)
			visitor.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			resp, _ = visitor.get(track)
			if names := setCookieNames(resp); !strings.Contains(strings.Join(names, ","), consent.AnalyticsCookie) {
				t.Errorf("a consenting visitor's first page set %v, want %s", names, consent.AnalyticsCookie)
			}
			listen(visitor)
			// Withdrawing consent removes the cookie.
			resp, _ = visitor.postForm("/privacy/consent", url.Values{"choice": {"refuse"}, "return": {"/"}})
			if !slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name == consent.AnalyticsCookie && c.MaxAge < 0 }) {
				t.Errorf("refusing did not remove the analytics cookie: %v", resp.Cookies())
			}

			// Global Privacy Control wins over an earlier acceptance.
			gpc := newClient(t, srv.URL)
			gpc.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			resp, _ = gpc.get(track, "Sec-GPC", "1")
			if names := setCookieNames(resp); strings.Contains(strings.Join(names, ","), consent.AnalyticsCookie) {
				t.Errorf("with Sec-GPC the analytics cookie was set")
			}
			listen(gpc, "Sec-GPC", "1")

			// A member who accepted: their id.
			member := signUp(t, srv.URL, "listener")
			member.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			listen(member)
			m, err := db.MemberByLogin(ctx, "listener")
			if err != nil {
				t.Fatal(err)
			}
			// A member who made no choice, and one who accepted but sends
			// Global Privacy Control: counted, never linked.
			listen(signUp(t, srv.URL, "undecided"))
			private := signUp(t, srv.URL, "private")
			private.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			listen(private, "Sec-GPC", "1")
			want := []string{"play - no-visitor", "play - visitor", "play - no-visitor", fmt.Sprintf("play %d no-visitor", m.ID),
				"play - no-visitor", "play - no-visitor"}
			if got := eventsOf(t, db, "play"); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("plays stored %v, want %v", got, want)
			}
			if plays, _ := db.Strings(ctx, `SELECT CAST(plays AS TEXT) FROM track_plays WHERE track_id = ?`, id); len(plays) != 1 || plays[0] != "6" {
				t.Errorf("the track's play count is %v, want 6", plays)
			}
			// Referrer host only; network truncated; the full address only in the security log.
			refs, _ := db.Strings(ctx, `SELECT referrer_host FROM analytics_events WHERE referrer_host <> ''`)
			if len(refs) != 1 || refs[0] != "blog.example.net" {
				t.Errorf("referrers stored %v, want only the host blog.example.net", refs)
			}
			nets, _ := db.Strings(ctx, `SELECT DISTINCT network FROM analytics_events`)
			if len(nets) != 1 || nets[0] != "127.0.0.0/24" {
				t.Errorf("networks stored %v, want 127.0.0.0/24", nets)
			}
			ips, _ := db.Strings(ctx, `SELECT DISTINCT ip FROM security_log`)
			if len(ips) != 1 || ips[0] != "127.0.0.1" {
				t.Errorf("security log holds %v, want 127.0.0.1", ips)
			}
			// Downloads and searches are events too.
			anon.get(track + "/download")
			// Only a whole file counts: not a piece of it, and not a robot's fetch.
			if resp, _ := anon.get(track+"/download", "Range", "bytes=0-10"); resp.StatusCode != http.StatusPartialContent {
				t.Errorf("a range of the download: %d, want 206", resp.StatusCode)
			}
			anon.get(track+"/download", "User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
			anon.get(track, "User-Agent", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")
			anon.get("/search?q=counted")
			// Without consent a search keeps no words, only its number of results.
			if got, _ := db.Strings(ctx, `SELECT '[' || query || '] ' || CAST(results AS TEXT) FROM analytics_events WHERE kind = 'search'`); len(got) != 1 || got[0] != "[] 1" {
				t.Errorf("search events %v, want an empty query with 1 result", got)
			}
			if got := eventsOf(t, db, "download"); len(got) != 1 {
				t.Errorf("download events %v, want the one whole download", got)
			}
			if bots, _ := db.Strings(ctx, `SELECT kind FROM analytics_events WHERE device = 'bot'`); len(bots) != 0 {
				t.Errorf("robots' requests were counted: %v", bots)
			}

			// A play counts for the site the listener came to the page from
			// (the player sends it, as the play's own Referer is the page);
			// a referrer that is not a well-formed host is dropped.
			fan := newClient(t, srv.URL)
			for _, ref := range []string{"https://news.example.com/story?who=me", "https://<b>x</b>/", `https://"onmouseover=alert(1)/`} {
				fan.get(track + "/stream")
				if resp, body := fan.postForm(track+"/play", url.Values{"ref": {ref}}, "Referer", srv.URL+track); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("play with ref %q: %d %s", ref, resp.StatusCode, body)
				}
			}
			if refs, _ := db.Strings(ctx, `SELECT referrer_host FROM analytics_events WHERE kind = 'play' AND referrer_host <> ''`); strings.Join(refs, ",") != "news.example.com" {
				t.Errorf("plays' referrers %v, want only news.example.com", refs)
			}

			// Favourites, follows and shares are events too, under the same consent.
			tr, err := db.Track(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			member.postForm("/favourites", url.Values{"kind": {"track"}, "id": {fmt.Sprint(id)}})
			member.postForm("/follows", url.Values{"kind": {"artist"}, "id": {fmt.Sprint(tr.ArtistID)}})
			if resp, _ := member.postForm(track+"/share", nil); resp.StatusCode != http.StatusNoContent {
				t.Errorf("share: %d, want 204", resp.StatusCode)
			}
			if resp, _ := anon.postForm("/tracks/999999/share", nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("share of a missing track: %d, want 404", resp.StatusCode)
			}
			anon.postForm(track+"/share", nil, "Sec-GPC", "1")
			member.get("/search?q=flush") // a search is committed after every event queued before it
			// A consenting member's search keeps its words, linked to them.
			if got, _ := db.Strings(ctx, `SELECT query FROM analytics_events WHERE kind = 'search' AND member_id = ?`, m.ID); len(got) != 1 || got[0] != "flush" {
				t.Errorf("the consenting member's search events %v, want the query flush", got)
			}
			for kind, want := range map[string][]string{
				"favourite": {fmt.Sprintf("favourite %d no-visitor", m.ID)},
				"follow":    {fmt.Sprintf("follow %d no-visitor", m.ID)},
				"share":     {fmt.Sprintf("share %d no-visitor", m.ID), "share - no-visitor"},
			} {
				if got := eventsOf(t, db, kind); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("%s events %v, want %v", kind, got, want)
				}
			}
			subjects, _ := db.Strings(ctx, `SELECT kind || ' ' || CAST(track_id AS TEXT) || ' ' || CAST(artist_id AS TEXT) FROM analytics_events WHERE kind IN ('favourite', 'follow') ORDER BY kind`)
			if want := []string{fmt.Sprintf("favourite %d %d", id, tr.ArtistID), fmt.Sprintf("follow 0 %d", tr.ArtistID)}; strings.Join(subjects, "|") != strings.Join(want, "|") {
				t.Errorf("favourite and follow name %v, want %v", subjects, want)
			}
		})
	}
}

// TestWithdrawingAnalyticsClearsHistory: when a member's analytics consent
// goes from yes to no, their events are unlinked in the same request, as
// "Clear all" does, and still count anonymously.
func TestWithdrawingAnalyticsClearsHistory(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			ctx := context.Background()
			id := publishedTrack(t, srv.URL, "withdrawn", "Forgotten Song")
			c := signUp(t, srv.URL, "changer")
			c.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			c.get(fmt.Sprintf("/tracks/%d", id))
			c.get("/search?q=forgotten") // committed after the page view queued before it
			m, err := db.MemberByLogin(ctx, "changer")
			if err != nil {
				t.Fatal(err)
			}
			linked := func() string {
				t.Helper()
				n, err := db.Strings(ctx, `SELECT CAST(COUNT(*) AS TEXT) FROM analytics_events WHERE member_id = ?`, m.ID)
				if err != nil || len(n) != 1 {
					t.Fatalf("count linked events: %v %v", n, err)
				}
				return n[0]
			}
			if n := linked(); n != "2" {
				t.Fatalf("%s events linked before withdrawing, want 2", n)
			}
			total, err := db.CountEvents(ctx)
			if err != nil {
				t.Fatal(err)
			}

			// Keeping analytics (saying no to something else) clears nothing.
			c.postForm("/privacy/consent", url.Values{"choice": {"save"}, "purpose": {"analytics"}, "from": {"settings"}, "return": {"/settings/privacy"}})
			if n := linked(); n != "2" {
				t.Errorf("%s events linked after a choice that keeps analytics, want 2", n)
			}
			_, body := c.get("/settings/privacy")
			mustNotContain(t, "the settings after keeping analytics", body, "listening history is cleared")

			resp, body := c.postForm("/privacy/consent", url.Values{"choice": {"refuse"}, "from": {"settings"}, "return": {"/settings/privacy"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("withdraw: %d %s", resp.StatusCode, body)
			}
			if n := linked(); n != "0" {
				t.Errorf("%s events still linked after withdrawing analytics consent", n)
			}
			if after, err := db.CountEvents(ctx); err != nil || after != total {
				t.Errorf("%d events after withdrawing (%v), want the same %d", after, err, total)
			}
			_, body = c.get("/settings/privacy")
			mustContain(t, "the settings after withdrawing", body, "your listening history is cleared (2 entries)")
			_, body = c.get("/settings/history")
			mustContain(t, "the history after withdrawing", body, "Nothing is linked to you.", "withdrawing analytics consent clears it")
			if q, _ := db.Strings(ctx, `SELECT query FROM analytics_events WHERE kind = 'search'`); len(q) != 1 || q[0] != "" {
				t.Errorf("the unlinked search still holds %v", q)
			}
		})
	}
}

// TestListeningHistory is the member's own history page: it lists their
// events, pausing stops linking new ones, one entry can be deleted and
// all cleared, and deleted entries still count anonymously.
func TestListeningHistory(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			ctx := context.Background()
			id := publishedTrack(t, srv.URL, "historian", "Remembered Song")
			track := fmt.Sprintf("/tracks/%d", id)
			c := signUp(t, srv.URL, "diarist")
			_, body := c.get("/settings/history")
			mustContain(t, "history before consent", body, "Nothing is linked to you.", "you have not: nothing new is linked to you",
				`href="/settings/history" aria-current="page"`)
			c.get(track) // before consent: not linked
			c.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			c.get(track)
			c.get("/search?q=remembered")
			_, body = c.get("/settings/history")
			mustContain(t, "history", body, "Remembered Song", "“remembered” (1 result)", "2 in all", "Pause history")
			_, body = c.get("/settings/data")
			mustContain(t, "your data", body, `href="/settings/history"`)

			// Pause: nothing new is linked.
			if resp, _ := c.postForm("/settings/history/pause", url.Values{"paused": {"1"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("pause: %d", resp.StatusCode)
			}
			c.get(track)
			_, body = c.get("/settings/history")
			mustContain(t, "paused history", body, "2 in all", "Resume history", "History is paused")
			if resp, body := c.postForm("/settings/history/pause", url.Values{"paused": {"<script>"}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("a bad pause value: %d %s", resp.StatusCode, body)
			}
			c.postForm("/settings/history/pause", url.Values{"paused": {"0"}})

			// Delete one entry: the search.
			ids := regexp.MustCompile(`action="/settings/history/(\d+)/delete"`).FindAllStringSubmatch(string(body), -1)
			if len(ids) != 2 {
				t.Fatalf("%d delete buttons, want 2", len(ids))
			}
			other := signUp(t, srv.URL, "snoop")
			if resp, _ := other.postForm("/settings/history/"+ids[0][1]+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("another member's delete: %d", resp.StatusCode)
			}
			_, body = c.get("/settings/history")
			mustContain(t, "history after another member tried to delete", body, "2 in all")
			c.postForm("/settings/history/"+ids[0][1]+"/delete", nil)
			_, body = c.get("/settings/history")
			mustContain(t, "history after deleting the newest entry", body, "1 in all", "Remembered Song")
			if strings.Contains(string(body), "remembered”") {
				t.Error("the deleted search is still listed")
			}
			if q, _ := db.Strings(ctx, `SELECT query FROM analytics_events WHERE kind = 'search'`); len(q) != 1 || q[0] != "" {
				t.Errorf("the deleted search still holds %v", q)
			}

			// Clear all.
			c.postForm("/settings/history/clear", nil)
			_, body = c.get("/settings/history")
			mustContain(t, "cleared history", body, "Nothing is linked to you.", "0 in all")
			m, _ := db.MemberByLogin(ctx, "diarist")
			if n, _ := db.Strings(ctx, `SELECT CAST(COUNT(*) AS TEXT) FROM analytics_events WHERE member_id = ?`, m.ID); n[0] != "0" {
				t.Errorf("%s events still linked after clearing", n[0])
			}
			if n, _ := db.CountEvents(ctx); n < 4 {
				t.Errorf("only %d events left: cleared entries should still count anonymously", n)
			}
			if resp, _ := newClient(t, srv.URL).get("/settings/history"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("history without login: %d", resp.StatusCode)
			}
		})
	}
}

// TestBehindATrustedProxy starts the server with --trusted-proxies: a
// request from the proxy counts as coming from the client its
// X-Forwarded-For names (the security log holds that address, the event
// its /24), while the header of a request from anyone else is ignored.
func TestBehindATrustedProxy(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d, "--trusted-proxies", "127.0.0.1")
			db := openStore(t, srv.DBURL)
			ctx := context.Background()
			c := newClient(t, srv.URL)
			if resp, _ := c.get("/search?q=proxied", "X-Forwarded-For", "198.51.100.1, 203.0.113.9"); resp.StatusCode != http.StatusOK {
				t.Fatalf("search: %d", resp.StatusCode)
			}
			nets, _ := db.Strings(ctx, `SELECT network FROM analytics_events WHERE kind = 'search'`)
			ips, _ := db.Strings(ctx, `SELECT ip FROM security_log`)
			if strings.Join(nets, ",") != "203.0.113.0/24" || strings.Join(ips, ",") != "203.0.113.9" {
				t.Errorf("through the proxy: networks %v and addresses %v, want 203.0.113.0/24 and 203.0.113.9", nets, ips)
			}
		})
	}
	t.Run("untrusted", func(t *testing.T) {
		srv := startServer(t, store.SQLite)
		db := openStore(t, srv.DBURL)
		newClient(t, srv.URL).get("/search?q=spoofed", "X-Forwarded-For", "203.0.113.9")
		if ips, _ := db.Strings(context.Background(), `SELECT ip FROM security_log`); strings.Join(ips, ",") != "127.0.0.1" {
			t.Errorf("without --trusted-proxies the header was believed: %v", ips)
		}
	})
}
