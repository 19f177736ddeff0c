package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"chorus/internal/pro"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestInStoreRadio plays the in-store radio end to end: an artist in PRO
// offers three ambient tracks and one rock track, another artist outside
// PRO publishes an ambient one; a member buys a venue subscription by
// invoice and an admin marks it paid. The subscriber sees the channels
// "All" and "ambient" (rock has too few tracks), each next track is a
// sellable track of the channel and never the one just played; a member
// without a subscription and a visitor are refused; the subscription
// ends with its period; once the artist opts out, the radio has nothing
// of theirs to play.
func TestInStoreRadio(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			r := radioShop(t, d)
			srv, db, ana, cafe, ambient, rock, outside := r.srv, r.db, r.ana, r.cafe, r.ambient, r.rock, r.outside

			// The channels.
			resp, page := cafe.get("/pro/radio")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("radio: %d %s", resp.StatusCode, page)
			}
			mustContain(t, "channels", page, `href="/pro/radio/all"`, `href="/pro/radio/ambient"`)
			if strings.Contains(string(page), `/pro/radio/rock`) {
				t.Error("a tag with one track is a channel")
			}
			resp, page = cafe.get("/pro/radio/ambient")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("channel page: %d %s", resp.StatusCode, page)
			}
			mustContain(t, "channel page", page, "data-radio", `data-radio-next="/pro/radio/ambient/next"`, "/stream")
			if strings.Contains(string(page), "<script>") {
				t.Error("the channel page has an inline script")
			}

			next := func(c *client, channel string, after int64) (int, radioTrack) {
				t.Helper()
				resp, body := c.get(fmt.Sprintf("/pro/radio/%s/next?after=%d", channel, after))
				var tr radioTrack
				if resp.StatusCode == http.StatusOK {
					if err := json.Unmarshal(body, &tr); err != nil {
						t.Fatalf("next: %v %s", err, body)
					}
				}
				return resp.StatusCode, tr
			}
			in := func(id int64, ids ...int64) bool {
				for _, x := range ids {
					if x == id {
						return true
					}
				}
				return false
			}
			for _, ch := range []struct {
				name string
				ids  []int64
			}{{"ambient", ambient}, {"all", append([]int64{rock}, ambient...)}} {
				var last int64
				seen := map[int64]bool{}
				for range 30 {
					status, tr := next(cafe, ch.name, last)
					if status != http.StatusOK {
						t.Fatalf("next on %s: %d", ch.name, status)
					}
					if !in(tr.ID, ch.ids...) {
						t.Fatalf("%s played track %d (%q), not a sellable track of the channel %v", ch.name, tr.ID, tr.Title, ch.ids)
					}
					if tr.ID == last {
						t.Fatalf("%s played track %d twice in a row", ch.name, tr.ID)
					}
					if tr.Artist != "Ana and the Tones" || tr.Title == "" || tr.Stream != fmt.Sprintf("/tracks/%d/stream", tr.ID) {
						t.Errorf("next: %+v", tr)
					}
					seen[tr.ID] = true
					last = tr.ID
				}
				if len(seen) < 2 {
					t.Errorf("%s only ever played %v", ch.name, seen)
				}
				if seen[outside] {
					t.Errorf("%s played a track outside PRO", ch.name)
				}
			}
			if resp, _ := cafe.get(fmt.Sprintf("/tracks/%d/stream", ambient[1])); resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
				t.Errorf("the stream of a radio track: %d", resp.StatusCode)
			}

			// Others are refused; the subscription ends with its period.
			bruno := signUp(t, srv.URL, "bruno")
			bruno.verifyEmail("bruno@example.org")
			visitor := newClient(t, srv.URL)
			for _, c := range []*client{bruno, visitor, ana} {
				resp, page := c.get("/pro/radio")
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(page), "venue subscription is needed") || !strings.Contains(string(page), `href="/pro"`) {
					t.Errorf("a non-subscriber's radio page: %d", resp.StatusCode)
				}
				for _, p := range []string{"/pro/radio/ambient", "/pro/radio/ambient/next"} {
					if resp, _ := c.get(p); resp.StatusCode != http.StatusForbidden {
						t.Errorf("a non-subscriber's GET %s: %d", p, resp.StatusCode)
					}
				}
			}
			cafeID := mustMember(t, db, "cafe")
			if ok, err := db.VenueSubscribed(ctx, cafeID, time.Now()); err != nil || !ok {
				t.Errorf("subscribed now: %v %v", ok, err)
			}
			if ok, err := db.VenueSubscribed(ctx, cafeID, time.Now().AddDate(0, 1, 1)); err != nil || ok {
				t.Errorf("a monthly subscription still valid after a month: %v %v", ok, err)
			}

			// The artist opts out: the radio has nothing of theirs any more.
			if resp, _ := ana.postForm("/studio/pro/selling", url.Values{"selling": {"no"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("opt out: %d", resp.StatusCode)
			}
			for _, ch := range []string{"ambient", "all"} {
				if status, tr := next(cafe, ch, 0); status != http.StatusNotFound {
					t.Errorf("after opting out, %s played %d: %+v", ch, status, tr)
				}
			}
			if _, page := cafe.get("/pro/radio"); strings.Contains(string(page), `/pro/radio/ambient`) {
				t.Error("the ambient channel stays after its artist opted out")
			}
		})
	}
}

// radioTrack is the JSON of a radio channel's next track.
type radioTrack struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Artist string `json:"artist"`
	Stream string `json:"stream"`
}

// radioRig is a server with a venue subscriber: see radioShop.
type radioRig struct {
	srv           *instance
	db            *store.DB
	ana, cafe     *client
	ambient       []int64
	rock, outside int64
}

// radioShop starts a server where the artist ana, in PRO, publishes
// three ambient tracks and one rock track, bo (outside PRO) an ambient
// one, and the member cafe buys a monthly venue subscription by invoice
// that an admin marks paid.
func radioShop(t *testing.T, d store.Dialect) radioRig {
	t.Helper()
	ctx := context.Background()
	srv := startServer(t, d)
	db := openStore(t, srv.DBURL)

	publish := func(c *client, files ...uploadFile) []int64 {
		t.Helper()
		_, up := c.upload(0, files...)
		if len(up.Results) != len(files) {
			t.Fatalf("upload: %+v", up)
		}
		var ids []int64
		for _, r := range up.Results {
			if st := c.waitTrack(r.TrackID); st["status"] != "ready" {
				t.Fatalf("track: %v", st)
			}
			if resp, _ := c.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(r.TrackID)}, "licence": {"cc-by-nc-4.0"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish: %d", resp.StatusCode)
			}
			ids = append(ids, r.TrackID)
		}
		return ids
	}
	ana := signUpArtist(t, srv.URL, "ana", "Ana and the Tones")
	ambient := publish(ana,
		uploadFile{"a1.ogg", tone(t, ".ogg", 1, 440, map[string]string{"title": "Dawn", "genre": "Ambient"})},
		uploadFile{"a2.ogg", tone(t, ".ogg", 1, 330, map[string]string{"title": "Noon", "genre": "Ambient"})},
		uploadFile{"a3.ogg", tone(t, ".ogg", 1, 550, map[string]string{"title": "Dusk", "genre": "Ambient"})},
		uploadFile{"r1.ogg", tone(t, ".ogg", 1, 660, map[string]string{"title": "Loud", "genre": "Rock"})})
	rock := ambient[3]
	ambient = ambient[:3]
	if resp, body := ana.postForm("/studio/pro/join", joinForm()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ana.postForm("/studio/pro/tracks", url.Values{"catalogue": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("offer: %d", resp.StatusCode)
	}
	bo := signUpArtist(t, srv.URL, "bo", "Bo Outside")
	outside := publish(bo, uploadFile{"o.ogg", tone(t, ".ogg", 1, 770, map[string]string{"title": "Not in PRO", "genre": "Ambient"})})[0]

	// A venue subscription, bought by invoice and paid.
	createUser(t, srv, "shopkeeper", "admin", "an admin password")
	admin := logIn(t, srv.URL, "shopkeeper", "an admin password")
	if resp, body := admin.postForm("/admin/pro/products", url.Values{"kind": {"venue"}, "name": {"Background music, small venue"}, "tier": {pro.VenueSizes[0]},
		"period": {"month"}, "price": {"19.90"}, "currency": {"EUR"}, "territory": {"France"}, "term": {"1 month, renewed"}, "terms": {"Played in one venue."}, "active": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("price a venue subscription: %d %s", resp.StatusCode, body)
	}
	products, err := db.Products(ctx, true)
	if err != nil || len(products) != 1 {
		t.Fatalf("products: %+v %v", products, err)
	}
	cafe := signUp(t, srv.URL, "cafe")
	cafe.verifyEmail("cafe@example.org")
	if resp, body := cafe.postForm("/pro/account", url.Values{"company": {"Café du Port SARL"}, "address": {"1 quai du Port\n13002 Marseille"},
		"country": {"FR"}, "email": {"compta@cafeduport.example"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("licensee account: %d %s", resp.StatusCode, body)
	}
	resp, body := cafe.postForm("/pro/orders", url.Values{"track": {fmt.Sprint(ambient[0])}, "product": {fmt.Sprint(products[0].ID)}, "provider": {"invoice"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("order: %d %s", resp.StatusCode, body)
	}
	if resp, _ := cafe.get("/pro/radio"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an unpaid subscription opened the radio: %d", resp.StatusCode)
	}
	orderID := strings.TrimPrefix(resp.Header.Get("Location"), "/pro/orders/")
	if resp, body := admin.postForm("/admin/pro/orders/"+orderID+"/paid", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark paid: %d %s", resp.StatusCode, body)
	}
	return radioRig{srv: srv, db: db, ana: ana, cafe: cafe, ambient: ambient, rock: rock, outside: outside}
}

// TestBrowserPlaysARadioChannel opens a channel in a real browser as the
// venue subscriber: when a track ends the page fetches the next one and
// plays it, three tracks in a row, never one twice in a row (started by
// "Next track", as browsers play only after a gesture).
func TestBrowserPlaysARadioChannel(t *testing.T) {
	r := radioShop(t, store.SQLite)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/login"),
		chromedp.SendKeys(`form[action^="/login"] input[name="login"]`, "cafe"),
		chromedp.SendKeys(`form[action^="/login"] input[name="password"]`, "a long password"),
		chromedp.Submit(`form[action^="/login"] input[name="password"]`)); err != nil {
		t.Fatalf("log in: %v", err)
	}
	waitInBrowser(ctx, t, `!location.pathname.startsWith('/login')`)
	if err := chromedp.Do(ctx, chromedp.Navigate(r.srv.URL+"/pro/radio/ambient"), chromedp.WaitReady("[data-radio] audio")); err != nil {
		t.Fatalf("channel: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.played = []; var a = document.querySelector('[data-radio] audio');
		a.addEventListener('playing', function () { window.played.push(a.currentSrc); }); true`)); err != nil {
		t.Fatalf("play: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click("[data-radio-skip]")); err != nil {
		t.Fatalf("next track: %v", err)
	}
	waitInBrowser(ctx, t, `window.played.length >= 3`)
	played, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.played.join(' ')`))
	if err != nil {
		t.Fatal(err)
	}
	list := strings.Split(played, " ")
	for i, src := range list {
		ok := false
		for _, id := range r.ambient {
			ok = ok || strings.HasSuffix(src, fmt.Sprintf("/tracks/%d/stream", id))
		}
		if !ok {
			t.Errorf("played %s, not an ambient PRO track", src)
		}
		if i > 0 && src == list[i-1] {
			t.Errorf("played %s twice in a row: %v", src, list)
		}
	}
}
