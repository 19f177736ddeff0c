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

			pages := []string{"/", "/signup", "/login", "/studio", "/studio/upload", string(artistPath),
				fmt.Sprintf("/studio/tracks/%d", trackID), "/admin", "/admin/members", "/admin/mail",
				"/settings", "/settings/profile", "/settings/security", "/settings/sessions", "/settings/connections",
				"/settings/passkeys", "/settings/history", "/reset", string(artistPath) + "/stats", "/admin/stats", "/charts"}
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
