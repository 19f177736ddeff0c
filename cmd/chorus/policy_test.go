package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"chorus/internal/mail/mailtest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestPrivacyPolicyVersions: the public /privacy page shows the policy in
// force and the "what we collect" table from the data map; an admin
// drafts, previews and publishes a new version (Markdown, sanitised);
// members then see its summary on every page until they acknowledge it
// (a plain form, no JavaScript), the acknowledgement is recorded with its
// version and time, and the consent ledger records the new version.
func TestPrivacyPolicyVersions(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			ctx := context.Background()

			visitor := newClient(t, srv.URL)
			resp, body := visitor.get("/privacy")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/privacy: %d", resp.StatusCode)
			}
			mustContain(t, "/privacy", body, "Version 2026-11-01", "this Chorus site", "1. Information we collect",
				"<code>members.email</code>", "user.contact.email", "mandatory for account", "None: no other company receives personal data")
			if strings.Contains(string(body), "Jamendo") {
				t.Error("the policy still names Jamendo")
			}
			if _, body := visitor.get("/"); !strings.Contains(string(body), `href="/privacy"`) {
				t.Error("no link to the privacy policy in the footer")
			}

			// Sign-up records acceptance of the version in force, so no notice.
			pia := signUp(t, srv.URL, "pia")
			if _, body := pia.get("/"); strings.Contains(string(body), "data-policy-notice") {
				t.Fatal("a member who just accepted the policy sees the notice")
			}
			acks := acknowledgements(t, db, "pia")
			if len(acks) != 1 || acks[0].PolicyVersion != "2026-11-01" || acks[0].Event != store.AckSignUp || acks[0].Transfers != "" {
				t.Fatalf("acknowledgements after sign-up: %+v", acks)
			}

			createUser(t, srv, "boss", "admin", "an admin password")
			admin := logIn(t, srv.URL, "boss", "an admin password")
			if resp, _ := pia.get("/admin/policy"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("/admin/policy for a member: %d", resp.StatusCode)
			}
			resp, body = admin.get("/admin/policy")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/admin/policy: %d", resp.StatusCode)
			}
			mustContain(t, "/admin/policy", body, "2026-11-01", "Draft a new version", "1. Information we collect")
			if resp, body := admin.postForm("/admin/policy", url.Values{"body": {"text"}, "summary": {" "}}); resp.StatusCode != http.StatusUnprocessableEntity ||
				!strings.Contains(string(body), "Please summarise the changes") {
				t.Errorf("a draft without a summary: %d", resp.StatusCode)
			}
			newText := "# Privacy policy\n\nWe now also run **radios**.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n"
			resp, _ = admin.postForm("/admin/policy", url.Values{"body": {newText}, "summary": {"Radios: what they record."}})
			draft := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(draft, "/admin/policy/") {
				t.Fatalf("saving a draft: %d %q", resp.StatusCode, draft)
			}
			_, body = admin.get(draft)
			mustContain(t, "the preview", body, "<strong>radios</strong>", "Publish this version", "Radios: what they record.")
			if strings.Contains(string(body), "alert(1)</script>") || strings.Contains(string(body), `href="javascript:`) {
				t.Fatalf("the preview runs script:\n%s", body)
			}
			if _, body := pia.get("/"); strings.Contains(string(body), "data-policy-notice") {
				t.Fatal("a draft shows a notice")
			}
			if resp, _ := admin.postForm(draft+"/publish", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("publishing: %d", resp.StatusCode)
			}
			cur, err := db.CurrentPolicy(ctx)
			if err != nil || cur.Version == "2026-11-01" {
				t.Fatalf("current after publishing: %q %v", cur.Version, err)
			}
			if resp, _ := admin.postForm(draft, url.Values{"body": {"x"}, "summary": {"x"}}); resp.StatusCode != http.StatusConflict {
				t.Errorf("changing a published version: %d", resp.StatusCode)
			}
			_, body = visitor.get("/privacy")
			mustContain(t, "/privacy after publishing", body, "Version "+cur.Version, "<strong>radios</strong>")

			// The notice, on every page, until acknowledged.
			for _, p := range []string{"/", "/artists", "/settings"} {
				_, body := pia.get(p)
				mustContain(t, "the notice on "+p, body, "data-policy-notice", "Radios: what they record.", `href="/privacy"`,
					`action="/privacy/acknowledge"`, `value="`+cur.Version+`"`)
			}
			if _, body := visitor.get("/"); strings.Contains(string(body), "data-policy-notice") {
				t.Error("a visitor sees the members' notice")
			}
			if resp, _ := pia.postForm("/privacy/acknowledge", url.Values{"version": {"2026-11-01"}, "return": {"/"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("acknowledging an old version: %d", resp.StatusCode)
			}
			if len(acknowledgements(t, db, "pia")) != 1 {
				t.Fatal("acknowledging an old version was recorded")
			}
			resp, _ = pia.postForm("/privacy/acknowledge", url.Values{"version": {cur.Version}, "return": {"/artists"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/artists" {
				t.Fatalf("acknowledging: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if _, body := pia.get("/"); strings.Contains(string(body), "data-policy-notice") {
				t.Fatal("the notice stays after acknowledging")
			}
			acks = acknowledgements(t, db, "pia")
			if len(acks) != 2 || acks[0].PolicyVersion != cur.Version || acks[0].Event != store.AckNotice || time.Since(acks[0].CreatedAt) > time.Minute {
				t.Fatalf("acknowledgements: %+v", acks)
			}
			// The member sees them in "Your data".
			_, body = pia.get("/settings/data")
			mustContain(t, "your data", body, "Privacy policy", cur.Version, "2026-11-01")

			// The consent ledger records the version in force.
			pia.postForm("/privacy/consent", url.Values{"choice": {"refuse"}, "from": {"settings"}, "return": {"/settings/privacy"}})
			_, body = pia.get("/settings/privacy")
			mustContain(t, "the consent history", body, "policy of "+cur.Version)
		})
	}
}

func acknowledgements(t *testing.T, db *store.DB, username string) []store.Acknowledgement {
	t.Helper()
	m, err := db.MemberByLogin(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := db.Acknowledgements(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return acks
}

// TestProcessorsRegister runs with an SMTP relay outside the EU/EEA: it is
// registered from the configuration and listed on /privacy, the record of
// processing and /admin/processors; sign-up asks, unticked, about the
// transfer; a member who refuses still signs up and is sent nothing
// through the relay, one who agrees gets their mail; and when an admin
// takes user.contact.email off the relay's entry, mail is held, never
// reaches the real SMTP server, and /admin/mail shows why.
func TestProcessorsRegister(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			relay := mailtest.Start(t, mailtest.Options{})
			srv := startServer(t, d, "--smtp-url", relay.URL(), "--smtp-country", "us")
			createUser(t, srv, "boss", "admin", "an admin password")
			admin := logIn(t, srv.URL, "boss", "an admin password")

			resp, body := admin.get("/admin/processors")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/admin/processors: %d", resp.StatusCode)
			}
			mustContain(t, "the register", body, "SMTP relay 127.0.0.1", "US (outside the EU/EEA)", "from the configuration",
				`value="user.contact.email" checked`, `value="user.content.private.communications" checked`)
			_, body = newClient(t, srv.URL).get("/privacy")
			mustContain(t, "/privacy", body, "SMTP relay 127.0.0.1", "US (outside the EU/EEA)", "email delivery")
			_, md := admin.get("/admin/record.md")
			if !regexp.MustCompile(`\| members\.email \| user\.contact\.email \|[^\n]*SMTP relay 127\.0\.0\.1`).Match(md) {
				t.Errorf("the record does not name the relay for members.email:\n%s", md)
			}
			resp, js := admin.get("/admin/record.json")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("record as JSON: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var record struct {
				Data []struct {
					Where, Processors string
				}
				Processors []struct {
					Name, Country string
					Categories    []string
				}
			}
			if err := json.Unmarshal(js, &record); err != nil {
				t.Fatal(err)
			}
			if len(record.Processors) != 1 || record.Processors[0].Country != "US" || len(record.Processors[0].Categories) != 2 {
				t.Errorf("processors in the JSON record: %+v", record.Processors)
			}
			for _, row := range record.Data {
				if row.Where == "members.email" && !strings.Contains(row.Processors, "SMTP relay 127.0.0.1") {
					t.Errorf("members.email in the JSON record goes to %q", row.Processors)
				}
			}
			mustContain(t, "the record's processors", md, "## Processors", "| SMTP relay 127.0.0.1 | email delivery | US (outside the EU/EEA) |")

			// Sign-up asks about the transfer, nothing ticked.
			_, body = newClient(t, srv.URL).get("/signup")
			mustContain(t, "/signup", body, `name="transfers" type="checkbox" value="yes" aria-describedby`, "outside the EU/EEA",
				"you still get your account", "version 2026-11-01")
			refuser := signUp(t, srv.URL, "refuser")
			agrees := newClient(t, srv.URL)
			if resp, body := agrees.postForm("/signup", url.Values{"email": {"agrees@example.org"}, "username": {"agrees"},
				"password": {"a long password"}, "transfers": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d %s", resp.StatusCode, body)
			}
			relay.WaitFor(t, "agrees@example.org", 60*time.Second)
			db := openStore(t, srv.DBURL)
			if a := acknowledgements(t, db, "refuser"); len(a) != 1 || a[0].Transfers != store.TransfersRefused {
				t.Fatalf("refuser's acknowledgement: %+v", a)
			}
			if a := acknowledgements(t, db, "agrees"); len(a) != 1 || a[0].Transfers != store.TransfersGiven {
				t.Fatalf("agreeing member's acknowledgement: %+v", a)
			}
			if !loggedIn(refuser) {
				t.Fatal("refusing the transfer prevented sign-up")
			}
			waitAdminMail(t, admin, "refused transfers outside the EU/EEA")

			// The admin takes the address off the relay's entry.
			id := regexp.MustCompile(`action="/admin/processors/(\d+)"`).FindSubmatch(body0(admin, "/admin/processors"))
			if id == nil {
				t.Fatal("no form for the relay")
			}
			resp, _ = admin.postForm("/admin/processors/"+string(id[1]), url.Values{"name": {"SMTP relay 127.0.0.1"}, "service": {"email delivery"},
				"country": {"US"}, "category": {"user.content.private.communications"}, "purpose": {"deliver mail"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("saving the relay: %d", resp.StatusCode)
			}
			if resp, _ := admin.postForm("/admin/processors/"+string(id[1]), url.Values{"name": {"x"}, "service": {"x"}, "country": {"Germany"},
				"purpose": {"x"}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("a country that is not a code: %d", resp.StatusCode)
			}
			late := newClient(t, srv.URL)
			late.postForm("/signup", url.Values{"email": {"late@example.org"}, "username": {"late"}, "password": {"a long password"}, "transfers": {"yes"}})
			waitAdminMail(t, admin, "does not list user.contact.email for the SMTP relay")
			for _, m := range relay.Messages() {
				if to := strings.Join(m.To, ","); strings.Contains(to, "late@") || strings.Contains(to, "refuser@") {
					t.Fatalf("mail reached the relay for %s", to)
				}
			}
			if !strings.Contains(srv.logs.String(), "mail held") {
				t.Error("the hold was not logged")
			}
		})
	}
}

func body0(c *client, path string) []byte {
	_, body := c.get(path)
	return body
}

// waitAdminMail waits until /admin/mail shows text.
func waitAdminMail(t *testing.T, admin *client, text string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := admin.get("/admin/mail")
		if strings.Contains(string(body), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/admin/mail never showed %q:\n%s", text, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
