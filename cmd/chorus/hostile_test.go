package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"chorus/internal/pro"
	"chorus/internal/store/storetest"
)

// hostileValues are typed into every field of every form.
var hostileValues = map[string]string{
	"html":     `<script>alert(1)</script><img src=x onerror=alert(2)>`,
	"long":     strings.Repeat("ü", 70_000),
	"control":  "a\x00b\x01c\x1b[31m\u202eevil",
	"badutf8":  "caf\xe9 \xff\xfe",
	"sql":      `' OR 1=1; DROP TABLE members; --`,
	"path":     `../../../../etc/passwd`,
	"empty":    "",
	"unicode":  "ｐａｙｐａｌ 🎵 \u200b",
	"numbers":  "-99999999999999999999",
	"urlshape": "javascript:alert(1)",
}

// formSpec is one form found on a page.
type formSpec struct {
	page, action, enctype string
	get                   bool // method="get": the values go in the query
	fields                []formField
}

type formField struct {
	name, kind, value string
}

// TestHostileInputOnEveryForm finds every form on the site's pages, as a
// logged-in admin with an artist and a track, and sends each one hostile
// values in every field: whatever comes back is never a server error, and
// markup sent is never echoed as markup.
func TestHostileInputOnEveryForm(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			createUser(t, srv, "rooty", "admin", "an admin password")
			db := openStore(t, srv.DBURL)
			login := func() *client {
				// Hostile passwords sent to the account forms count as
				// guesses; the growing waits they cause have their own
				// tests, and would only stop this one from logging in.
				execSQL(t, db, `DELETE FROM rate_limits`)
				c := newClient(t, srv.URL)
				if resp, body := c.postForm("/login", url.Values{"login": {"rooty"}, "password": {"an admin password"}}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("login: %d %s", resp.StatusCode, body)
				}
				return c
			}
			c := login()
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("name", "Hostile Band")
			mw.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/studio/artists", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			if resp, body := c.do(req); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("create artist: %d %s", resp.StatusCode, body)
			}
			_, up := c.upload(0, uploadFile{"tone.ogg", tone(t, ".ogg", 2, 440, map[string]string{"title": "Tone"})})
			if len(up.Results) != 1 || up.Results[0].TrackID == 0 {
				t.Fatalf("upload: %+v", up)
			}
			trackID := up.Results[0].TrackID
			c.waitTrack(trackID)
			_, studio := c.get("/studio")
			artistPath := regexp.MustCompile(`/studio/artists/\d+`).Find(studio)
			if artistPath == nil {
				t.Fatal("no artist edit link in the studio")
			}

			// A newsletter draft, and the unsubscribe page of its test.
			resp, body := c.postForm("/admin/newsletters", url.Values{"subject": {"Hello"}, "body": {"Some *news*."}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("newsletter: %d %s", resp.StatusCode, body)
			}
			newsletter := resp.Header.Get("Location")
			if resp, _ := c.postForm(newsletter+"/test", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("newsletter test: %d", resp.StatusCode)
			}
			unsubscribe := strings.TrimPrefix(linkIn(t, waitMail(t, srv.URL, "rooty@example.org", "[Test] Hello").Text, srv.URL+"/unsubscribe/"), srv.URL)

			resp, _ = c.postForm("/admin/policy", url.Values{"body": {"# Draft\n\nText."}, "summary": {"A draft."}})
			draftPath := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || draftPath == "" {
				t.Fatalf("policy draft: %d", resp.StatusCode)
			}
			if resp, _ := c.postForm("/admin/processors", url.Values{"name": {"Relay"}, "service": {"email"}, "country": {"DE"},
				"category": {"user.contact.email"}, "purpose": {"mail"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add a processor: %d", resp.StatusCode)
			}

			// The community forms: a published track with a comment, a
			// review and a playlist.
			if resp, _ := c.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(trackID)}, "licence": {"cc-by-4.0"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish: %d", resp.StatusCode)
			}
			resp, _ = c.postForm("/comments", url.Values{"kind": {"track"}, "id": {fmt.Sprint(trackID)}, "body": {"A first comment"}})
			commentPath := regexp.MustCompile(`^/tracks/\d+#comment-(\d+)$`).FindStringSubmatch(resp.Header.Get("Location"))
			if commentPath == nil {
				t.Fatalf("comment: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, _ = c.postForm("/playlists", url.Values{"name": {"Hostile list"}, "visibility": {"public"}, "track": {fmt.Sprint(trackID)}})
			playlistPath := resp.Header.Get("Location")
			if !strings.HasPrefix(playlistPath, "/playlists/") {
				t.Fatalf("playlist: %d %s", resp.StatusCode, playlistPath)
			}

			// Discussions: a category, a thread with a post to edit.
			if resp, body := c.postForm("/admin/discussions", url.Values{"name": {"Hostile talk"}, "slug": {"talk"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("discussion category: %d %s", resp.StatusCode, body)
			}
			resp, _ = c.postForm("/discussions/talk", url.Values{"title": {"A first thread"}, "body": {"A first post"}})
			threadPath := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(threadPath, "/discussions/t/") {
				t.Fatalf("thread: %d %s", resp.StatusCode, threadPath)
			}
			postID := 0
			if err := db.SQL().QueryRow(`SELECT MIN(id) FROM discussion_posts`).Scan(&postID); err != nil {
				t.Fatal(err)
			}

			// A message in the requests queue and a legal request, whose pages have forms.
			if resp, body := c.postForm("/contact", url.Values{"kind": {"access"}, "body": {"What do you hold?"}}); resp.StatusCode != http.StatusOK {
				t.Fatalf("contact: %d %s", resp.StatusCode, body)
			}
			resp, body = c.postForm("/admin/legal", url.Values{"authority": {"A court"}, "reference": {"R-1"}, "legal_basis": {"a law"},
				"member": {"rooty"}, "category": {"user.contact.email"}, "from": {"2020-01-01"}, "to": {"2030-01-01"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("legal request: %d %s", resp.StatusCode, body)
			}
			legalPath := resp.Header.Get("Location")

			// A PRO member, so that the PRO page shows every form of a member
			// who joined, and the removal of bank details has its page.
			if resp, body := c.postForm("/studio/pro/join", url.Values{"legal_name": {"Hostile SARL"}, "address": {"1 rue"}, "country": {"FR"},
				"entity_kind": {"individual"}, "iban": {"FR7630006000011234567890189"}, "bic": {"BNPAFRPP"}, "accept": {"yes"}, "agreement": {pro.AgreementVersion}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("join PRO: %d %s", resp.StatusCode, body)
			}

			// PRO licensing: the track offered, a product priced, a
			// licensee account and an order awaiting payment, so that the
			// catalogue, the account, the price list and the orders show
			// their forms.
			if resp, _ := c.postForm("/studio/pro/tracks", url.Values{"catalogue": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("offer the catalogue: %d", resp.StatusCode)
			}
			if resp, body := c.postForm("/admin/pro/products", url.Values{"kind": {"sync"}, "name": {"Sync"}, "tier": {"corporate"}, "price": {"10"},
				"territory": {"Worldwide"}, "term": {"Perpetual"}, "terms": {"One video."}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("product: %d %s", resp.StatusCode, body)
			}
			if resp, body := c.postForm("/pro/account", url.Values{"company": {"Hostile Films"}, "address": {"1 rue"}, "country": {"FR"}, "email": {"films@example.org"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("licensee account: %d %s", resp.StatusCode, body)
			}
			resp, body = c.postForm("/pro/orders", url.Values{"track": {fmt.Sprint(trackID)}, "product": {"1"}, "project": {"A film"}, "provider": {"invoice"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("order: %d %s", resp.StatusCode, body)
			}
			// Moderation: a member reported and blocked, so that the queue,
			// the report form and the list of blocked members have forms.
			createUser(t, srv, "hostilemember", "member", "a long password")
			otherID := memberIDOf(t, srv, "hostilemember")
			if resp, body := c.postForm("/report", url.Values{"kind": {"member"}, "key": {otherID}, "reason": {"spam"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("report: %d %s", resp.StatusCode, body)
			}
			if resp, body := c.postForm("/blocks", url.Values{"id": {otherID}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("block: %d %s", resp.StatusCode, body)
			}
			// A comment by someone else, so that the notifications page has forms.
			member(t, srv.URL, "nosy").comment(url.Values{"kind": {"track"}, "id": {fmt.Sprint(trackID)}, "body": {"Hello @rooty"}})

			pages := []string{"/", "/signup", "/privacy", "/admin/policy", draftPath, "/admin/processors", "/login", "/studio", "/studio/upload", string(artistPath), "/studio/pro", "/studio/pro/bank/remove", "/admin/pro/payouts",
				fmt.Sprintf("/studio/tracks/%d", trackID), "/admin", "/admin/members", "/admin/mail",
				"/settings", "/settings/profile", "/settings/security", "/settings/sessions", "/settings/connections",
				"/settings/passkeys", "/settings/history", "/reset", "/settings/notifications", "/admin/newsletters", newsletter, unsubscribe,
				fmt.Sprintf("/tracks/%d", trackID), "/artists/hostile-band", "/comments/" + commentPath[1] + "/edit",
				"/playlists", playlistPath, "/settings/community", "/members/rooty", "/notifications", "/settings/sharing",
				"/contact", "/admin/requests", "/admin/requests/1", "/admin/legal", legalPath,
				"/pro", "/pro/account", "/admin/pro/products", "/admin/pro/orders",
				"/discussions", "/discussions/talk", threadPath, fmt.Sprintf("/discussions/p/%d/edit", postID), "/discussions/search?q=first", "/admin/discussions",
				"/report?kind=member&key=" + otherID, "/moderation", "/settings/blocked", "/members/hostilemember",
				string(artistPath) + "/stats", "/admin/stats", "/charts"}
			var forms []formSpec
			for _, p := range pages {
				resp, body := c.get(p)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d", p, resp.StatusCode)
				}
				forms = append(forms, parseForms(t, p, body)...)
			}
			// Forms that end things go last, so the others meet a full site.
			sort.SliceStable(forms, func(i, j int) bool { return destructive(forms[i]) < destructive(forms[j]) })
			seen := map[string]bool{}
			for _, f := range forms {
				key := f.action + " " + fieldNames(f)
				if seen[key] {
					continue
				}
				seen[key] = true
				for name, v := range hostileValues {
					c := login()
					resp, body := c.submit(f, v)
					if resp.StatusCode >= 500 {
						t.Errorf("%s (form on %s) with %s values: %d\n%.300s", f.action, f.page, name, resp.StatusCode, body)
					}
					if bytes.Contains(body, []byte("<script>alert(1)")) || bytes.Contains(body, []byte("<img src=x")) {
						t.Errorf("%s with %s values echoed markup as markup", f.action, name)
					}
				}
			}
			if len(seen) < 15 {
				t.Fatalf("only %d distinct forms found; the page list or the parser is broken", len(seen))
			}
			t.Logf("%d forms, %d values each", len(seen), len(hostileValues))
		})
	}
}

func destructive(f formSpec) int {
	for _, w := range []string{"delete", "logout", "end", "suspend", "unlink", "disable", "remove", "role"} {
		if strings.Contains(f.action, w) {
			return 1
		}
	}
	return 0
}

func fieldNames(f formSpec) string {
	var names []string
	for _, fl := range f.fields {
		names = append(names, fl.name)
	}
	return strings.Join(names, ",")
}

// parseForms returns the POST forms of a page with their fields.
func parseForms(t *testing.T, page string, body []byte) []formSpec {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v", page, err)
	}
	attr := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	var forms []formSpec
	var cur *formSpec
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				if method := strings.ToLower(attr(n, "method")); method == "post" || method == "get" {
					action := attr(n, "action")
					if action == "" {
						action = page
					}
					forms = append(forms, formSpec{page: page, action: action, enctype: attr(n, "enctype"), get: method == "get"})
					cur = &forms[len(forms)-1]
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						walk(c)
					}
					cur = nil
					return
				}
			case "input", "textarea", "select":
				if cur != nil && attr(n, "name") != "" {
					kind := attr(n, "type")
					if n.Data != "input" {
						kind = n.Data
					}
					value := attr(n, "value")
					if n.Data == "select" {
						value = firstOption(n)
					}
					cur.fields = append(cur.fields, formField{name: attr(n, "name"), kind: kind, value: value})
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return forms
}

func firstOption(sel *html.Node) string {
	var first string
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.Data == "option" {
			for _, a := range n.Attr {
				if a.Key == "value" && a.Val != "" {
					first = a.Val
					return true
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(sel)
	return first
}

// submit posts the form with v in every field a person can type into;
// choices keep their first value and files are left out.
func (c *client) submit(f formSpec, v string) (*http.Response, []byte) {
	c.t.Helper()
	vals := url.Values{}
	for _, fl := range f.fields {
		switch fl.kind {
		case "file":
		case "checkbox", "radio", "select", "submit":
			vals.Add(fl.name, fl.value)
		default:
			vals.Add(fl.name, v)
		}
	}
	if f.get {
		return c.get(f.action + "?" + vals.Encode())
	}
	if f.enctype != "multipart/form-data" {
		return c.postForm(f.action, vals)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range vals {
		for _, x := range vs {
			_ = mw.WriteField(k, x)
		}
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+f.action, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}
