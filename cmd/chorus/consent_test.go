package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chorus/internal/consent"
	"chorus/internal/store/storetest"
)

// importedTrack imports one short track into a running instance and
// returns its page path.
func importedTrack(t *testing.T, srv *instance) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "song.ogg"), tone(t, ".ogg", 3, 440, map[string]string{"title": "Consent Song"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := runCLI(t, "import", "--artist", "Choosers", "--license", "cc-by-4.0", "--quiet", "--data", srv.DataDir, "--database-url", srv.DBURL, dir); err != nil {
		t.Fatalf("import: %v %s %s", err, out, errOut)
	}
	return "/tracks/1"
}

func setCookieNames(resp *http.Response) []string {
	var names []string
	for _, c := range resp.Cookies() {
		names = append(names, c.Name)
	}
	return names
}

// TestConsentBannerRefuseAndKeepListening is line 8 of the consent work: a
// first visit gets a banner with Accept and Refuse as the same kind of
// button, a Choose form with one unticked box per purpose and a footer link
// to the choices page, and no cookie; refusing is a plain form post that
// comes back to the page and sets only the consent cookie; then browsing,
// search, streaming and downloads all work and the banner is gone.
func TestConsentBannerRefuseAndKeepListening(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			track := importedTrack(t, srv)
			c := newClient(t, srv.URL)

			resp, body := c.get(track)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("track page: %d", resp.StatusCode)
			}
			if names := setCookieNames(resp); len(names) != 0 {
				t.Errorf("a first visit set cookies %v", names)
			}
			mustContain(t, "the first page", body,
				`data-consent-banner`,
				`<button type="submit" name="choice" value="accept" class="button">Accept all</button>`,
				`<button type="submit" name="choice" value="refuse" class="button">Refuse all</button>`,
				`<summary class="button ghost">Choose</summary>`,
				`name="purpose" type="checkbox" value="analytics">`,
				`name="purpose" type="checkbox" value="personalisation">`,
				`name="purpose" type="checkbox" value="sharing">`,
				`<input type="hidden" name="return" value="/tracks/1">`,
				`<a href="/privacy/choices">Privacy choices</a>`)
			if bytes.Contains(body, []byte("checked")) {
				t.Error("a box is ticked before any choice")
			}
			// The banner says what is counted without a yes, and no longer
			// that nothing is on before one.
			mustContain(t, "the banner", body, "Without a yes, we still count the pages you view and what you play, download and search for, anonymously",
				"no identifier and no cookie, your network address cut to /24 (or /48)", "never your search words",
				"These counts serve only for overall statistics.", "is linked to you: to your account, as your listening history",
				"Withdrawing it clears your listening history.")
			mustNotContain(t, "the banner", body, "Nothing is on until you say yes")

			resp, body = c.postForm("/privacy/consent", url.Values{"choice": {"refuse"}, "from": {"banner"}, "return": {track}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != track {
				t.Fatalf("refuse: %d to %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			cookies := resp.Cookies()
			if len(cookies) != 1 || cookies[0].Name != consent.ConsentCookie || !cookies[0].HttpOnly ||
				cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].MaxAge <= 0 || len(cookies[0].Value) != 32 {
				t.Fatalf("refusing set cookies %+v, want only a consent id", cookies)
			}

			for _, path := range []string{"/", track, "/search?q=consent", "/artists", "/licences"} {
				resp, body := c.get(path)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s after refusing: %d", path, resp.StatusCode)
				}
				if bytes.Contains(body, []byte("data-consent-banner")) {
					t.Errorf("%s asks again after refusing", path)
				}
				if names := setCookieNames(resp); len(names) != 0 {
					t.Errorf("%s set cookies %v", path, names)
				}
			}
			waitTrackReady(t, c, track)
			resp, _ = c.get(track+"/stream", "Range", "bytes=0-99")
			if resp.StatusCode != http.StatusPartialContent {
				t.Errorf("stream after refusing: %d", resp.StatusCode)
			}
			resp, audio := c.get(track + "/download")
			if resp.StatusCode != http.StatusOK || len(audio) < 1000 {
				t.Errorf("download after refusing: %d, %d bytes", resp.StatusCode, len(audio))
			}

			resp, body = c.get("/privacy/choices")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("choices page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			mustContain(t, "the choices page", body, "no to everything we ask about", "<code>chorus_session</code>", "<code>chorus_consent</code>",
				`<form method="post" action="/privacy/consent"`, "<code>chorus_aid</code>",
				"Of the three cookies below, the first two are strictly necessary",
				"the third, <code>chorus_aid</code>, is set only after you accept analytics",
				"Without a yes, we still count the pages you view", "never your search words")
			mustNotContain(t, "the choices page", body, "Both cookies are strictly necessary", "Nothing is on until you say yes")

			// The privacy policy says the same about counting without consent.
			_, body = c.get("/privacy")
			mustContain(t, "/privacy", body, `<h2 id="counting-h">Counting visits</h2>`,
				"Without a yes, we still count the pages you view and what you play, download and search for, anonymously",
				"never your search words", "these events are linked to you: to your account as your listening history",
				"<code>chorus_aid</code> cookie", "counted anonymously without your consent; linked to you only with it",
				"the words searched for, kept only with analytics consent")
		})
	}
}

// waitTrackReady waits until a track's stream answers.
func waitTrackReady(t *testing.T, c *client, track string) {
	t.Helper()
	for range 300 {
		if resp, _ := c.get(track+"/stream", "Range", "bytes=0-0"); resp.StatusCode == http.StatusPartialContent {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never became playable", track)
}

// TestConsentChooseAndSignals is line 9 and part of 8: choosing purpose by
// purpose, and Global Privacy Control or Do Not Track counting as a refusal
// of analytics and personalisation without a question about them.
func TestConsentChooseAndSignals(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)

			c := newClient(t, srv.URL)
			resp, body := c.postForm("/privacy/consent", url.Values{"choice": {"save"}, "purpose": {"personalisation"}, "from": {"choices"}, "return": {"/privacy/choices"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/privacy/choices" {
				t.Fatalf("save: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			_, body = c.get("/privacy/choices")
			mustContain(t, "the choices page after choosing", body,
				`value="personalisation" checked`, "yes to Personalisation; no to Analytics, Sharing with your contacts")
			if bytes.Contains(body, []byte(`value="analytics" checked`)) || bytes.Contains(body, []byte(`value="sharing" checked`)) {
				t.Error("a purpose not chosen is ticked")
			}

			for _, sig := range [][2]string{{"Sec-GPC", "1"}, {"DNT", "1"}} {
				g := newClient(t, srv.URL)
				_, body := g.get("/", sig[0], sig[1])
				mustContain(t, sig[0]+" banner", body, "We honour it: analytics and personalisation stay off", `value="sharing"`)
				for _, p := range []string{`value="analytics"`, `value="personalisation"`, consent.Analytics.Description()} {
					if bytes.Contains(body, []byte(p)) {
						t.Errorf("%s: the banner asks about %s", sig[0], p)
					}
				}
				_, body = g.get("/privacy/choices", sig[0], sig[1])
				mustContain(t, sig[0]+" choices page", body, "We honour it")
				// Accepting everything gives only what the signal left open.
				if resp, body := g.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}}, sig[0], sig[1]); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("accept with %s: %d %s", sig[0], resp.StatusCode, body)
				}
				_, body = g.get("/privacy/choices", sig[0], sig[1])
				mustContain(t, sig[0]+" choice", body, "yes to Sharing with your contacts; no to Analytics, Personalisation")
			}
		})
	}
}

// TestConsentLedgerForMembers is line 10: a visitor's choice becomes the
// member's at sign-up and at login; members see every choice with its time,
// policy version and words on /settings/privacy and change it there.
func TestConsentLedgerForMembers(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)

			// Sign-up carries the visitor's choice.
			c := newClient(t, srv.URL)
			c.postForm("/privacy/consent", url.Values{"choice": {"refuse"}, "return": {"/"}})
			if resp, body := c.postForm("/signup", url.Values{"email": {"lea@example.org"}, "username": {"lea"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d %s", resp.StatusCode, body)
			}
			resp, body := c.get("/settings/privacy")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("privacy settings: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			mustContain(t, "the privacy settings", body, `<a href="/settings/privacy" aria-current="page">Privacy</a>`,
				"on this browser before you logged in", "policy of 2026-11-01", "Yes: nothing.",
				"The words you were shown", "Chorus works fully without your consent")
			if _, body := c.get("/"); bytes.Contains(body, []byte("data-consent-banner")) {
				t.Error("the member is asked again after the carried choice")
			}

			// The member changes their mind in the settings.
			resp, body = c.postForm("/privacy/consent", url.Values{"choice": {"save"}, "purpose": {"analytics", "sharing"}, "from": {"settings"}, "return": {"/settings/privacy"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/privacy" {
				t.Fatalf("save in settings: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			_, body = c.get("/settings/privacy")
			mustContain(t, "the privacy settings after a change", body, "Your privacy choices are saved.", "in your settings",
				"Yes: Analytics, Sharing with your contacts. No: Personalisation.", `value="analytics" checked`)
			if n := bytes.Count(body, []byte("The words you were shown")); n != 2 {
				t.Errorf("%d choices listed, want 2", n)
			}

			// Logging in on another browser keeps the member's own choice,
			// whatever was chosen there before.
			c.postForm("/logout", nil)
			other := newClient(t, srv.URL)
			other.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			if resp, body := other.postForm("/login", url.Values{"login": {"lea"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d %s", resp.StatusCode, body)
			}
			_, body = other.get("/settings/privacy")
			if n := bytes.Count(body, []byte("The words you were shown")); n != 2 {
				t.Errorf("%d choices listed after logging in elsewhere, want 2", n)
			}
			mustContain(t, "the privacy settings after logging in elsewhere", body,
				"yes to Analytics, Sharing with your contacts; no to Personalisation.")

			// Visitors have no privacy settings page.
			if resp, _ := newClient(t, srv.URL).get("/settings/privacy"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("a visitor on /settings/privacy: %d, want 303 to log in", resp.StatusCode)
			}
		})
	}
}

// TestConsentLoginKeepsMembersChoice: a member who refused keeps refusing
// when they log in on a browser where a visitor clicked Accept all, and the
// browser follows the member's choice after logging out; a member who
// never chose takes over the browser's choice.
func TestConsentLoginKeepsMembersChoice(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			bob := signUp(t, srv.URL, "bob")
			bob.postForm("/privacy/consent", url.Values{"choice": {"refuse"}, "from": {"settings"}, "return": {"/settings/privacy"}})
			bob.postForm("/logout", nil)

			fresh := newClient(t, srv.URL)
			fresh.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			fresh.get("/") // an analytics id for the accepting visitor
			if resp, body := fresh.postForm("/login", url.Values{"login": {"bob"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d %s", resp.StatusCode, body)
			}
			_, body := fresh.get("/settings/privacy")
			mustContain(t, "bob's privacy settings after logging in", body, "no to everything we ask about.")
			mustNotContain(t, "bob's privacy settings after logging in", body, "yes to Analytics", "on this browser before you logged in")
			if n := bytes.Count(body, []byte("The words you were shown")); n != 1 {
				t.Errorf("bob has %d choices, want his one refusal", n)
			}
			// The browser follows bob's choice once he logs out.
			fresh.postForm("/logout", nil)
			_, body = fresh.get("/privacy/choices")
			mustContain(t, "the browser's choices after bob logged out", body, "no to everything we ask about.")
			if _, body := fresh.get("/"); bytes.Contains(body, []byte("data-consent-banner")) {
				t.Error("the browser is asked again after bob's choice")
			}

			// A member who never chose takes over the browser's choice.
			createUser(t, srv, "carol", "member", "a long password")
			other := newClient(t, srv.URL)
			other.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			if resp, body := other.postForm("/login", url.Values{"login": {"carol"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d %s", resp.StatusCode, body)
			}
			_, body = other.get("/settings/privacy")
			mustContain(t, "carol's privacy settings after logging in", body,
				"yes to Analytics, Personalisation, Sharing with your contacts.", "on this browser before you logged in")
		})
	}
}

// TestConsentFormRefusesHostileInput sends the consent form values it never
// offers: they are refused with 4xx, and the way back never leaves the site.
func TestConsentFormRefusesHostileInput(t *testing.T) {
	srv := startServer(t, storetest.Dialects()[0])
	c := newClient(t, srv.URL)
	for _, ret := range []string{"//evil.example/", "https://evil.example/", "/\t/evil.example", `\\evil.example`, "javascript:alert(1)", strings.Repeat("/a", 5000)} {
		resp, _ := c.postForm("/privacy/consent", url.Values{"choice": {"refuse"}, "return": {ret}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode == http.StatusSeeOther && (loc != "/" && !strings.HasPrefix(loc, "/a")) {
			t.Errorf("return %q: sent to %q", ret, loc)
		}
		if resp.StatusCode >= 500 {
			t.Errorf("return %q: %d", ret, resp.StatusCode)
		}
	}
	for _, form := range []url.Values{
		{"choice": {"<script>alert(1)</script>"}},
		{"choice": {""}},
		{"choice": {"save"}, "purpose": {"marketing"}},
		{"choice": {"save"}, "purpose": {"caf\xe9\x00"}},
		{"choice": {"save"}, "purpose": {strings.Repeat("ü", 20_000)}},
	} {
		resp, body := c.postForm("/privacy/consent", form)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%q: %d, want 4xx", form, resp.StatusCode)
		}
		if bytes.Contains(body, []byte("<script>alert")) {
			t.Errorf("%q: markup echoed", form)
		}
	}
}
