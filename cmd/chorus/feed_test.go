package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"chorus/internal/store/storetest"
)

// TestActivityFeed checks the feed of the people and artists one follows:
// releases and public playlists appear; private and unlisted playlists
// never; favourites, reviews and comments only as each member's public
// page or sharing choice says, a choice that needs their consent to
// sharing and stops counting when it is withdrawn; and the share links of
// tracks and playlists are their canonical URLs, with no query string.
func TestActivityFeed(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
			track := publishTones(t, ana, "", "Low Tone")[0]
			bea := member(t, srv.URL, "bea")
			cid := member(t, srv.URL, "cid")
			feed := func(c *client) string {
				t.Helper()
				resp, body := c.get("/feed")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("feed: %d %.300s", resp.StatusCode, body)
				}
				return string(body)
			}
			mustContain(t, "empty feed", []byte(feed(bea)), "You follow no one yet")

			// cid's activity: playlists of each visibility, a favourite,
			// a review, a comment.
			for _, v := range []string{"public", "unlisted", "private"} {
				resp, body := cid.postForm("/playlists", url.Values{"name": {"Cid " + v + " list"}, "visibility": {v}, "track": {fmt.Sprint(track)}})
				wantStatus(t, "playlist "+v, resp, body, http.StatusSeeOther)
			}
			wantStatus(t, "favourite", must(cid.postForm("/favourites", url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}})), nil, http.StatusSeeOther)
			wantStatus(t, "review", must(cid.postForm("/reviews", url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "score": {"4"}, "body": {"Good"}})), nil, http.StatusSeeOther)
			cid.comment(url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "body": {"Nice tone"}})

			wantStatus(t, "follow artist", must(bea.postForm("/follows", url.Values{"kind": {"artist"}, "id": {artistIDOf(t, srv, track)}})), nil, http.StatusSeeOther)
			wantStatus(t, "follow member", must(bea.postForm("/follows", url.Values{"kind": {"member"}, "id": {memberIDOf(t, srv, "cid")}})), nil, http.StatusSeeOther)

			// By default: only what is public.
			got := feed(bea)
			mustContain(t, "default feed", []byte(got), "released \u201cLow Tone\u201d", "made the playlist \u201cCid public list\u201d")
			for _, never := range []string{"Cid unlisted list", "Cid private list", "favoured", "reviewed", "commented on"} {
				if strings.Contains(got, never) {
					t.Errorf("default feed shows %q", never)
				}
			}
			if got := feed(cid); strings.Contains(got, "Cid public list") {
				t.Errorf("cid's feed shows his own activity though he follows no one")
			}

			// Sharing more needs consent to sharing: without it, nothing is saved.
			resp, body := cid.postForm("/settings/sharing", url.Values{"favourites": {"on"}})
			wantStatus(t, "share without consent", resp, body, http.StatusUnprocessableEntity)
			mustContain(t, "share without consent", body, "needs your consent to sharing")
			if strings.Contains(feed(bea), "favoured") {
				t.Errorf("favourites shared without consent")
			}
			resp, body = cid.postForm("/settings/sharing", url.Values{"favourites": {"<script>"}})
			wantStatus(t, "bad value", resp, body, http.StatusUnprocessableEntity)

			// With consent, the chosen kind is shared, and only it.
			wantStatus(t, "consent", must(cid.postForm("/privacy/consent", url.Values{"choice": {"save"}, "purpose": {"sharing"}, "from": {"settings"}})), nil, http.StatusSeeOther)
			wantStatus(t, "share favourites", must(cid.postForm("/settings/sharing", url.Values{"favourites": {"on"}})), nil, http.StatusSeeOther)
			got = feed(bea)
			mustContain(t, "shared favourites", []byte(got), "favoured \u201cLow Tone\u201d")
			if strings.Contains(got, "reviewed") || strings.Contains(got, "commented on") {
				t.Errorf("more shared than chosen")
			}

			// Withdrawing consent stops the sharing at once.
			wantStatus(t, "withdraw", must(cid.postForm("/privacy/consent", url.Values{"choice": {"save"}, "from": {"settings"}})), nil, http.StatusSeeOther)
			if strings.Contains(feed(bea), "favoured") {
				t.Errorf("favourites still shared after consent was withdrawn")
			}

			// Making reviews and comments public on one's page shares them.
			wantStatus(t, "public activity", must(cid.postForm("/settings/community", url.Values{"favourites": {"private"}, "follows": {"private"}, "activity": {"public"}})), nil, http.StatusSeeOther)
			mustContain(t, "public activity", []byte(feed(bea)), "reviewed \u201cLow Tone\u201d", "commented on \u201cLow Tone\u201d")

			// Share links: the canonical URL, nothing added.
			shareLink := func(page string) *url.URL {
				t.Helper()
				_, body := bea.get(page)
				m := regexp.MustCompile(`<a href="([^"]*)" data-copy-source rel="nofollow" id="share-url">`).FindSubmatch(body)
				if m == nil {
					t.Fatalf("%s has no share link", page)
				}
				u, err := url.Parse(strings.ReplaceAll(string(m[1]), "&amp;", "&"))
				if err != nil {
					t.Fatal(err)
				}
				return u
			}
			trackPage := fmt.Sprintf("/tracks/%d", track)
			if u := shareLink(trackPage); u.String() != srv.URL+trackPage || u.RawQuery != "" || u.Fragment != "" {
				t.Errorf("track share link %q", u)
			}
			list := regexp.MustCompile(`href="(/playlists/[^"]+)">made the playlist`).FindStringSubmatch(feed(bea))
			if list == nil {
				t.Fatal("no link to the public playlist in the feed")
			}
			if u := shareLink(list[1]); u.String() != srv.URL+list[1] || u.RawQuery != "" || u.Fragment != "" {
				t.Errorf("playlist share link %q", u)
			}
			resp, body = bea.get(list[1])
			wantStatus(t, "shared playlist", resp, body, http.StatusOK)
		})
	}
}
