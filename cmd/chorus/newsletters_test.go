package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/mail/mailtest"
	"chorus/internal/notify"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// notifierFor builds, beside a running server, the notification service
// that features call: it queues in the server's database, and the
// server's job queue delivers.
func notifierFor(t *testing.T, db *store.DB, base, smtpURL string) *notify.Service {
	t.Helper()
	// The server delivers; without SMTP its mail folder is named only
	// because a mail service needs one.
	m, err := mail.New(db, mail.Config{BaseURL: base, SMTPURL: smtpURL, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{}) // insert-only: the server runs the jobs
	if err != nil {
		t.Fatal(err)
	}
	m.Queue = q
	return &notify.Service{DB: db, Mail: m, BaseURL: base}
}

func memberID(t *testing.T, db *store.DB, username string) int64 {
	t.Helper()
	m, err := db.MemberByLogin(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

var unsubscribeHeader = regexp.MustCompile(`^<(http://127\.0\.0\.1:\d+/unsubscribe/([A-Za-z0-9_-]{43}))>$`)

// checkUnsubscribeHeaders checks the headers of RFC 2369 and RFC 8058 and
// the link at the bottom of both parts, and returns the link; base, when
// not "", is the origin the link must be on.
func checkUnsubscribeHeaders(t *testing.T, raw []byte, base string, email string) string {
	t.Helper()
	msg, err := mail.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header.Get("List-Unsubscribe")
	m := unsubscribeHeader.FindStringSubmatch(h)
	if m == nil || (base != "" && !strings.HasPrefix(m[1], base+"/unsubscribe/")) {
		t.Fatalf("List-Unsubscribe %q: want <%s/unsubscribe/TOKEN>", h, base)
	}
	if got := msg.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post %q", got)
	}
	// The token is 32 random bytes: it holds no id or address.
	if strings.Contains(h, "?") || strings.Contains(h, email) || strings.Contains(h, url.QueryEscape(email)) || strings.Contains(h, "member") {
		t.Fatalf("the unsubscribe link names the member: %s", h)
	}
	for part, body := range map[string]string{"text": msg.Text, "html": msg.HTML} {
		tail := body[max(0, len(body)-1500):]
		if !strings.Contains(tail, m[1]) || !strings.Contains(strings.ToLower(tail), "unsubscribe") {
			t.Fatalf("the %s part has no unsubscribe link at its bottom:\n%s", part, tail)
		}
	}
	return m[1]
}

func outboxCount(t *testing.T, db *store.DB, to string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(rebindTest(db.Dialect(), `SELECT COUNT(*) FROM outbox WHERE to_address = ?`), to).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNotificationMailAndOneClickUnsubscribe: a notification goes out at
// once or in a digest as the member's preference says, carries the
// unsubscribe headers (account mail does not), the one-click POST without
// a session turns the category off and later events send nothing, and a
// GET changes nothing.
func TestNotificationMailAndOneClickUnsubscribe(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			relay := mailtest.Start(t, mailtest.Options{})
			srv := startServer(t, d, "--smtp-url", relay.URL())
			db := openStore(t, srv.DBURL)
			createUser(t, srv, "nora", "member", "a long password")
			id := memberID(t, db, "nora")
			n := notifierFor(t, db, srv.URL, relay.URL())
			notifyNora := func(c notify.Category, subject string) {
				t.Helper()
				if err := db.Tx(ctx, func(tx *store.Tx) error {
					return n.Email(ctx, tx, id, c, notify.Event{Subject: subject, Text: "kim wrote: nice <b>track</b>", Link: srv.URL + "/tracks/1"})
				}); err != nil {
					t.Fatal(err)
				}
			}
			newsFor := func(subject string) mailtest.Received {
				t.Helper()
				deadline := time.Now().Add(60 * time.Second)
				for time.Now().Before(deadline) {
					for _, r := range relay.Messages() {
						if msg, err := mail.Parse(r.Data); err == nil && strings.Contains(msg.Subject, subject) {
							return r
						}
					}
					time.Sleep(50 * time.Millisecond)
				}
				t.Fatalf("no message about %q", subject)
				return mailtest.Received{}
			}

			// Replies are immediate by default.
			notifyNora(notify.Reply, "kim replied to your comment")
			got := newsFor("kim replied to your comment")
			link := checkUnsubscribeHeaders(t, got.Data, srv.URL, "nora@example.org")
			msg, _ := mail.Parse(got.Data)
			if !strings.Contains(msg.Text, "kim wrote: nice <b>track</b>") || !strings.Contains(msg.HTML, "kim wrote: nice &lt;b&gt;track&lt;/b&gt;") {
				t.Fatalf("the event's text is not in the message (or not escaped):\n%s\n%s", msg.Text, msg.HTML)
			}

			// Account mail has no unsubscribe headers.
			if resp, _ := newClient(t, srv.URL).postForm("/reset", url.Values{"email": {"nora@example.org"}}); resp.StatusCode >= 400 {
				t.Fatalf("reset: %d", resp.StatusCode)
			}
			reset := newsFor("Reset your Chorus password")
			rm, _ := mail.Parse(reset.Data)
			if rm.Header.Get("List-Unsubscribe") != "" || rm.Header.Get("List-Unsubscribe-Post") != "" || strings.Contains(rm.Text, "/unsubscribe/") {
				t.Fatalf("account mail carries an unsubscribe link: %v", rm.Header)
			}

			// GET shows a page with one button and changes nothing.
			visitor := newClient(t, srv.URL)
			path := strings.TrimPrefix(link, srv.URL)
			resp, body := visitor.get(path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", path, resp.StatusCode)
			}
			mustContain(t, "the confirm page", body, `action="`+path+`"`, "Replies")
			if p, _ := n.Preferences(ctx, id); p[notify.Reply] != notify.Immediate {
				t.Fatalf("GET unsubscribed: replies are %s", p[notify.Reply])
			}

			// The one-click POST of RFC 8058: no cookies, no Origin, the body
			// List-Unsubscribe=One-Click.
			req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusOK {
				t.Fatalf("one-click POST: %d", r.StatusCode)
			}
			if p, _ := n.Preferences(ctx, id); p[notify.Reply] != notify.Off {
				t.Fatalf("after the one-click POST replies are %s", p[notify.Reply])
			}
			before := outboxCount(t, db, "nora@example.org")
			notifyNora(notify.Reply, "kim replied again")
			if after := outboxCount(t, db, "nora@example.org"); after != before {
				t.Fatalf("a reply after unsubscribing queued %d messages", after-before)
			}

			// The rest come as one daily digest: nothing at once, then one
			// message with every event, each event in one digest only.
			notifyNora(notify.NewFollower, "lea follows you")
			notifyNora(notify.Comment, "max commented on your track")
			if after := outboxCount(t, db, "nora@example.org"); after != before {
				t.Fatalf("digest events were mailed at once")
			}
			if sent, err := n.SendDigests(ctx, time.Now()); err != nil || sent != 0 {
				t.Fatalf("a digest before a day passed: %d %v", sent, err)
			}
			if sent, err := n.SendDigests(ctx, time.Now().Add(notify.DigestPeriod+time.Minute)); err != nil || sent != 1 {
				t.Fatalf("digests sent: %d %v, want 1", sent, err)
			}
			if sent, err := n.SendDigests(ctx, time.Now().Add(2*notify.DigestPeriod)); err != nil || sent != 0 {
				t.Fatalf("events sent in a second digest: %d %v", sent, err)
			}
			digest := newsFor("Your Chorus digest: 2 new notifications")
			dm, _ := mail.Parse(digest.Data)
			for _, want := range []string{"lea follows you", "max commented on your track", "New followers", "Comments on your music"} {
				if !strings.Contains(dm.Text, want) || !strings.Contains(dm.HTML, want) {
					t.Fatalf("digest lacks %q:\n%s", want, dm.Text)
				}
			}
			dlink := checkUnsubscribeHeaders(t, digest.Data, srv.URL, "nora@example.org")

			// A webmail page posting from its own origin is not refused.
			req, _ = http.NewRequest(http.MethodPost, dlink, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "https://webmail.example.net")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			if r, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusOK {
				t.Fatalf("cross-site one-click POST: %d", r.StatusCode)
			}
			p, _ := n.Preferences(ctx, id)
			for _, k := range notify.Kinds {
				if k.Default == notify.Digest && p[k.Category] != notify.Off {
					t.Fatalf("after unsubscribing from digests, %s is %s", k.Category, p[k.Category])
				}
			}
			notifyNora(notify.NewRelease, "new album by lea")
			if sent, _ := n.SendDigests(ctx, time.Now().Add(3*notify.DigestPeriod)); sent != 0 {
				t.Fatal("a digest after unsubscribing from digests")
			}

			// An unknown token is a clear 404, on GET and POST.
			if resp, _ := visitor.get("/unsubscribe/not-a-token"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("unknown token: %d", resp.StatusCode)
			}
			if resp, _ := visitor.postForm("/unsubscribe/not-a-token", url.Values{"List-Unsubscribe": {"One-Click"}}); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("unknown token POST: %d", resp.StatusCode)
			}
		})
	}
}

// TestNotificationSettingsPage: the choices are saved and shown; the
// newsletter box is off by default, at sign-up too.
func TestNotificationSettingsPage(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := newClient(t, srv.URL)
			_, body := c.get("/signup")
			mustContain(t, "sign-up", body, `name="newsletter"`)
			if strings.Contains(string(body), `name="newsletter" value="on" checked`) {
				t.Fatal("the newsletter box is ticked at sign-up")
			}
			resp, body := c.postForm("/signup", url.Values{"email": {"una@example.org"}, "username": {"una"}, "password": {"a long password"}, "newsletter": {"on"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d %s", resp.StatusCode, body)
			}
			_, body = c.get("/settings/notifications")
			mustContain(t, "settings", body, `value="on" checked`, `<option value="immediate" selected>`, `<option value="digest" selected>`, `href="/settings/notifications" aria-current="page"`)

			other := signUp(t, srv.URL, "vic")
			_, body = other.get("/settings/notifications")
			if strings.Contains(string(body), `value="on" checked`) {
				t.Fatal("newsletters are on for a member who did not tick the box")
			}
			form := url.Values{"newsletter": {"on"}}
			for _, k := range notify.Kinds {
				form.Set(string(k.Category), "off")
			}
			form.Set("mention", "digest")
			if resp, _ := other.postForm("/settings/notifications", form); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save: %d", resp.StatusCode)
			}
			db := openStore(t, srv.DBURL)
			n := &notify.Service{DB: db}
			p, err := n.Preferences(context.Background(), memberID(t, db, "vic"))
			if err != nil {
				t.Fatal(err)
			}
			if p[notify.Newsletter] != notify.Immediate || p[notify.Mention] != notify.Digest || p[notify.Reply] != notify.Off {
				t.Fatalf("saved %v", p)
			}
			form.Set("reply", "weekly")
			if resp, body := other.postForm("/settings/notifications", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Nothing was saved") {
				t.Fatalf("a bad choice: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).postForm("/settings/notifications", form); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("saving without a login: %d", resp.StatusCode)
			}
		})
	}
}

// newsletterMessages returns, per recipient, the distinct messages (by
// Message-ID) the relay accepted whose subject contains subject. A
// message retried after a crash keeps its Message-ID, so counting them
// counts newsletters sent, not SMTP attempts.
func newsletterMessages(t *testing.T, relay *mailtest.Server, subject string) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for _, r := range relay.Messages() {
		msg, err := mail.Parse(r.Data)
		if err != nil || !strings.Contains(msg.Subject, subject) || strings.HasPrefix(msg.Subject, "[Test]") {
			continue
		}
		for _, to := range r.To {
			if out[to] == nil {
				out[to] = map[string]bool{}
			}
			out[to][msg.Header.Get("Message-Id")] = true
		}
	}
	return out
}

// TestNewsletterToSubscribersSurvivesACrash: an admin writes a newsletter
// in Markdown, previews it (sanitised), sends a test to themselves, and
// sends it; it goes only to members who subscribed, with the unsubscribe
// headers, at the configured rate; the server is killed (SIGKILL) mid-way
// and restarted, and every subscriber gets it exactly once; one who
// unsubscribed with the one-click POST gets nothing.
func TestNewsletterToSubscribersSurvivesACrash(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			relay := mailtest.Start(t, mailtest.Options{})
			data, dbURL := t.TempDir(), storetest.URL(t, d)
			p := startProc(t, data, dbURL, "--smtp-url", relay.URL(), "--newsletter-rate", "60")
			target := &instance{DataDir: data, DBURL: dbURL}
			createUser(t, target, "ada", "admin", "a long password")
			subscribers := []string{"s1", "s2", "s3", "s4", "s5", "s6"}
			for _, u := range append(subscribers, "quiet") {
				createUser(t, target, u, "member", "a long password")
			}
			for _, u := range append(subscribers, "ada") {
				c := logIn(t, p.URL, u, "a long password")
				if resp, _ := c.postForm("/settings/notifications", url.Values{"newsletter": {"on"}}); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("subscribe %s: %d", u, resp.StatusCode)
				}
			}
			admin := logIn(t, p.URL, "ada", "a long password")
			if resp, _ := logIn(t, p.URL, "quiet", "a long password").get("/admin/newsletters"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("newsletters for a member: %d", resp.StatusCode)
			}
			resp, body := admin.postForm("/admin/newsletters", url.Values{"subject": {"Spring news"},
				"body": {"# Spring\n\nNew **albums** are out. <script>alert(1)</script>\n\n[Listen](https://music.example.org/albums/1)"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("create: %d %s", resp.StatusCode, body)
			}
			page := resp.Header.Get("Location")
			_, body = admin.get(page)
			mustContain(t, "the preview", body, "<strong>albums</strong>", `<a href="https://music.example.org/albums/1"`)
			if strings.Contains(string(body), "<script>alert") {
				t.Fatal("the preview runs a script")
			}

			// A test goes to the admin only; its unsubscribe link works.
			if resp, _ := admin.postForm(page+"/test", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("test: %d", resp.StatusCode)
			}
			test := relay.WaitFor(t, "ada@example.org", 60*time.Second)
			link := checkUnsubscribeHeaders(t, test.Data, p.URL, "ada@example.org")
			req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusOK {
				t.Fatalf("one-click POST: %v %v", r, err)
			}

			if resp, body := admin.postForm(page+"/send", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("send: %d %s", resp.StatusCode, body)
			}
			if resp, _ := admin.postForm(page+"/send", nil); resp.StatusCode != http.StatusConflict {
				t.Fatalf("sending twice: %d", resp.StatusCode)
			}
			if resp, _ := admin.postForm(page, url.Values{"subject": {"Changed"}, "body": {"x"}}); resp.StatusCode != http.StatusConflict {
				t.Fatalf("editing while sending: %d", resp.StatusCode)
			}
			// Kill the server once two have gone out, at one a second.
			waitFor(t, "two newsletters", 60*time.Second, func() bool {
				return len(newsletterMessages(t, relay, "Spring news")) >= 2
			})
			p.kill(t)
			if n := len(newsletterMessages(t, relay, "Spring news")); n >= len(subscribers) {
				t.Fatalf("all %d were sent before the kill: the test wants to stop mid-way", n)
			}
			p2 := startProc(t, data, dbURL, "--smtp-url", relay.URL(), "--newsletter-rate", "600")
			waitFor(t, "every subscriber's newsletter", 90*time.Second, func() bool {
				return len(newsletterMessages(t, relay, "Spring news")) >= len(subscribers)
			})
			time.Sleep(2 * time.Second) // a duplicate would come now
			got := newsletterMessages(t, relay, "Spring news")
			for _, u := range subscribers {
				if n := len(got[u+"@example.org"]); n != 1 {
					t.Errorf("%s got %d newsletters, want 1", u, n)
				}
			}
			for _, u := range []string{"quiet", "ada"} {
				if n := len(got[u+"@example.org"]); n != 0 {
					t.Errorf("%s (not subscribed) got %d newsletters", u, n)
				}
			}
			for _, r := range relay.Messages() {
				if msg, _ := mail.Parse(r.Data); strings.Contains(msg.Subject, "Spring news") && !strings.Contains(msg.Subject, "[Test]") {
					checkUnsubscribeHeaders(t, r.Data, "", r.To[0])
					if strings.Contains(msg.HTML, "<script") || !strings.Contains(msg.HTML, "<strong>albums</strong>") {
						t.Fatalf("newsletter HTML:\n%s", msg.HTML)
					}
				}
			}
			// The send log counts them.
			admin2 := logIn(t, p2.URL, "ada", "a long password")
			waitFor(t, "the send log", 30*time.Second, func() bool {
				_, body := admin2.get(page)
				return strings.Contains(string(body), `<dd id="count-sent">6</dd>`) && strings.Contains(string(body), `<dd id="count-pending">0</dd>`)
			})
			_, body = admin2.get("/admin/newsletters")
			mustContain(t, "the list", body, "Spring news")
		})
	}
}
