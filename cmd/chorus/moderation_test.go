package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"chorus/internal/mail"
	"chorus/internal/mail/mailtest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// relayMail waits for the message to to whose subject contains subject
// on the in-process SMTP relay.
func relayMail(t *testing.T, relay *mailtest.Server, to, subject string) mail.Parsed {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range relay.Messages() {
			if len(r.To) == 0 || r.To[0] != to {
				continue
			}
			if msg, err := mail.Parse(r.Data); err == nil && strings.Contains(msg.Subject, subject) {
				return msg
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no message to %s about %q", to, subject)
	return mail.Parsed{}
}

// moderationSite is a server with members for the moderation tests: ana
// (with an artist page that takes comments), bea and cid (members), mod1
// and wren (moderators), olga (an admin).
type moderationSite struct {
	srv     *instance
	db      *store.DB
	relay   *mailtest.Server
	page    string // the artist page
	on      func(body string) url.Values
	clients map[string]*client
}

func newModerationSite(t *testing.T, d store.Dialect, extra ...string) *moderationSite {
	t.Helper()
	relay := mailtest.Start(t, mailtest.Options{})
	srv := startServer(t, d, append([]string{"--smtp-url", relay.URL()}, extra...)...)
	site := &moderationSite{srv: srv, db: openStore(t, srv.DBURL), relay: relay, clients: map[string]*client{}}
	for name, role := range map[string]string{"ana": "member", "bea": "member", "cid": "member", "dan": "member", "vera": "moderator", "wren": "moderator", "olga": "admin"} {
		createUser(t, srv, name, role, "a long password")
		site.clients[name] = logIn(t, srv.URL, name, "a long password")
	}
	if resp, body := site.clients["ana"].postMultipart("/studio/artists", map[string]string{"name": "Ana Tones", "bio": "Tones."}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("artist: %d %s", resp.StatusCode, body)
	}
	var artistID int64
	var slug string
	if err := site.db.SQL().QueryRow(`SELECT id, slug FROM artists WHERE name = 'Ana Tones'`).Scan(&artistID, &slug); err != nil {
		t.Fatal(err)
	}
	site.page = "/artists/" + slug
	site.on = func(body string) url.Values {
		return url.Values{"kind": {"artist"}, "id": {fmt.Sprint(artistID)}, "body": {body}}
	}
	return site
}

func (s *moderationSite) act(who, kind, key, action, reason string) (*http.Response, []byte) {
	return s.clients[who].postForm("/moderation/act", url.Values{"kind": {kind}, "key": {key}, "action": {action}, "reason": {reason}})
}

func countRows(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestModeration checks reports, the queue, hiding, the author told by
// mail through the SMTP relay, the one appeal decided by another
// moderator, restoring, deleting, warning, suspending, the append-only
// log, and who may do what.
func TestModeration(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			site := newModerationSite(t, d)
			c := site.clients
			visitor := newClient(t, site.srv.URL)
			if resp, body := c["bea"].postForm("/settings/notifications", url.Values{"moderation": {"immediate"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("email settings: %d %s", resp.StatusCode, body)
			}
			key := c["bea"].comment(site.on("plain words from bea"))
			report := url.Values{"kind": {"comment"}, "key": {key}, "reason": {"spam"}, "details": {"an advert"}}

			// Reporting: once per member, never one's own, only as oneself.
			resp, body := visitor.postForm("/report", report)
			wantStatus(t, "visitor reports", resp, body, http.StatusUnauthorized)
			resp, body = c["bea"].postForm("/report", report)
			wantStatus(t, "author reports own comment", resp, body, http.StatusForbidden)
			forged := url.Values{"reporter_id": {memberIDOf(t, site.srv, "dan")}}
			for k, v := range report {
				forged[k] = v
			}
			for range 2 {
				resp, body = c["cid"].postForm("/report", forged)
				wantStatus(t, "cid reports", resp, body, http.StatusSeeOther)
			}
			if n := countRows(t, site.db, `SELECT COUNT(*) FROM reports`); n != 1 {
				t.Errorf("%d reports after two by the same member, want 1", n)
			}
			if n := countRows(t, site.db, `SELECT COUNT(*) FROM reports WHERE reporter_id = `+memberIDOf(t, site.srv, "cid")); n != 1 {
				t.Errorf("the report is not cid's own: %d", n)
			}
			resp, body = c["dan"].postForm("/report", url.Values{"kind": {"comment"}, "key": {key}, "reason": {"other"}})
			wantStatus(t, "other without details", resp, body, http.StatusUnprocessableEntity)
			mustContain(t, "report form", body, "Please say what is wrong.")

			// Who reaches the queue and the log.
			for _, who := range []string{"bea", "cid"} {
				for _, path := range []string{"/moderation", "/moderation/log"} {
					resp, body = c[who].get(path)
					wantStatus(t, who+" "+path, resp, body, http.StatusForbidden)
				}
				resp, body = site.act(who, "comment", key, "hide", "no")
				wantStatus(t, who+" acts", resp, body, http.StatusForbidden)
			}
			if resp, _ = visitor.get("/moderation"); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusOK {
				t.Errorf("visitor /moderation: %d", resp.StatusCode)
			}
			resp, body = c["vera"].get("/moderation?status=reported&kind=comment")
			wantStatus(t, "queue", resp, body, http.StatusOK)
			mustContain(t, "queue", body, "plain words from bea", "cid", "spam", "an advert", site.page+"#comment-"+key, `<a href="/moderation">Moderation</a>`)
			_, body = c["vera"].get("/moderation?kind=track")
			if strings.Contains(string(body), "plain words from bea") {
				t.Error("the kind filter shows a comment among tracks")
			}

			// Hide: gone for everyone but the author and moderators.
			resp, body = site.act("vera", "comment", key, "hide", "Off-topic advertising")
			wantStatus(t, "hide", resp, body, http.StatusSeeOther)
			_, body = visitor.get(site.page)
			if strings.Contains(string(body), "plain words from bea") {
				t.Error("a visitor sees the hidden comment")
			}
			_, body = c["cid"].get(site.page)
			if strings.Contains(string(body), "plain words from bea") {
				t.Error("a member sees the hidden comment")
			}
			_, body = c["bea"].get(site.page)
			mustContain(t, "author's view", body, "plain words from bea", "Hidden by moderators")
			_, body = c["wren"].get(site.page)
			mustContain(t, "moderator's view", body, "plain words from bea", "Hidden by moderators")

			// The author is told by mail, with the reason and the appeal link.
			msg := relayMail(t, site.relay, "bea@example.org", "Moderators hid your comment")
			if !strings.Contains(msg.Text, "Off-topic advertising") {
				t.Errorf("the mail does not give the reason:\n%s", msg.Text)
			}
			appealPath := "/appeal?kind=comment&key=" + key
			if !strings.Contains(msg.Text, site.srv.URL+appealPath) {
				t.Errorf("the mail has no appeal link:\n%s", msg.Text)
			}
			// And on the site, among their notifications.
			_, body = c["bea"].get("/notifications")
			mustContain(t, "the author's notifications", body, "Moderators hid your comment")

			// The appeal: the author's only, once.
			resp, body = c["cid"].get(appealPath)
			wantStatus(t, "someone else's appeal page", resp, body, http.StatusNotFound)
			resp, body = c["cid"].postForm("/appeal", url.Values{"kind": {"comment"}, "key": {key}, "appeal": {"for bea"}})
			wantStatus(t, "appeal for someone else", resp, body, http.StatusNotFound)
			resp, body = c["bea"].get(appealPath)
			wantStatus(t, "appeal page", resp, body, http.StatusOK)
			mustContain(t, "appeal page", body, "Off-topic advertising", `action="/appeal"`)
			resp, body = c["bea"].postForm("/appeal", url.Values{"kind": {"comment"}, "key": {key}, "appeal": {"It was not an advert"}})
			wantStatus(t, "appeal", resp, body, http.StatusSeeOther)
			resp, body = c["bea"].postForm("/appeal", url.Values{"kind": {"comment"}, "key": {key}, "appeal": {"again"}})
			wantStatus(t, "second appeal", resp, body, http.StatusConflict)

			// Another moderator decides.
			for _, action := range []string{"restore", "uphold"} {
				resp, body = site.act("vera", "comment", key, action, "my own decision")
				wantStatus(t, "hider decides the appeal", resp, body, http.StatusForbidden)
			}
			_, body = c["wren"].get("/moderation?status=appeal")
			mustContain(t, "appeal in the queue", body, "It was not an advert", "plain words from bea")
			resp, body = site.act("wren", "comment", key, "restore", "Not an advert after all")
			wantStatus(t, "restore on appeal", resp, body, http.StatusSeeOther)
			_, body = visitor.get(site.page)
			mustContain(t, "restored", body, "plain words from bea")
			relayMail(t, site.relay, "bea@example.org", "Your comment is shown again")

			// Moderators cannot act on the content of staff; an admin can.
			staff := c["wren"].comment(site.on("words from a moderator"))
			resp, body = site.act("vera", "comment", staff, "hide", "test")
			wantStatus(t, "moderator hides a moderator's comment", resp, body, http.StatusForbidden)
			resp, body = site.act("wren", "comment", staff, "hide", "test")
			wantStatus(t, "moderator hides own comment", resp, body, http.StatusForbidden)
			resp, body = site.act("olga", "comment", staff, "warn", "Mind the tone")
			wantStatus(t, "admin warns a moderator", resp, body, http.StatusSeeOther)

			// Delete, warn, suspend.
			gone := c["bea"].comment(site.on("to be deleted"))
			resp, body = site.act("vera", "comment", gone, "delete", "Insults")
			wantStatus(t, "delete", resp, body, http.StatusSeeOther)
			if n := countRows(t, site.db, `SELECT COUNT(*) FROM comments WHERE id = `+gone); n != 0 {
				t.Error("the deleted comment is still stored")
			}
			relayMail(t, site.relay, "bea@example.org", "Moderators deleted your comment")
			resp, body = site.act("vera", "member", memberIDOf(t, site.srv, "bea"), "warn", "Please stay civil")
			wantStatus(t, "warn", resp, body, http.StatusSeeOther)
			relayMail(t, site.relay, "bea@example.org", "A warning from the moderators")
			resp, body = site.act("vera", "member", memberIDOf(t, site.srv, "olga"), "suspend", "no")
			wantStatus(t, "moderator suspends an admin", resp, body, http.StatusForbidden)
			resp, body = site.act("vera", "member", memberIDOf(t, site.srv, "dan"), "suspend", "Repeated insults")
			wantStatus(t, "suspend", resp, body, http.StatusSeeOther)
			if n := countRows(t, site.db, `SELECT COUNT(*) FROM members WHERE username = 'dan' AND suspended_at IS NOT NULL`); n != 1 {
				t.Error("dan is not suspended")
			}
			resp, body = site.act("vera", "comment", key, "hide", "")
			wantStatus(t, "hide without a reason", resp, body, http.StatusUnprocessableEntity)
			resp, body = site.act("vera", "comment", key, "explode", "x")
			wantStatus(t, "unknown action", resp, body, http.StatusUnprocessableEntity)

			// The log: every action, visible to moderators and admins, append-only.
			for _, who := range []string{"wren", "olga"} {
				resp, body = c[who].get("/moderation/log")
				wantStatus(t, who+" log", resp, body, http.StatusOK)
				mustContain(t, "log", body, "hide", "appeal-restore", "Not an advert after all", "delete", "warn", "suspend", "Repeated insults")
			}
			n := countRows(t, site.db, `SELECT COUNT(*) FROM moderation_log`)
			if n < 6 {
				t.Errorf("%d log entries", n)
			}
			for _, q := range []string{`UPDATE moderation_log SET reason = 'changed'`, `DELETE FROM moderation_log`} {
				if _, err := site.db.SQL().ExecContext(context.Background(), q); err == nil {
					t.Errorf("%s succeeded on the append-only log", q)
				}
			}
			if got := countRows(t, site.db, `SELECT COUNT(*) FROM moderation_log`); got != n {
				t.Errorf("log entries: %d, then %d", n, got)
			}
		})
	}
}

// TestBlocks checks that a blocked member cannot reply to, mention (not
// linked) or follow the blocker, and that the blocker sees their
// comments collapsed; unblocking undoes it.
func TestBlocks(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			site := newModerationSite(t, d)
			c := site.clients
			beaID, cidID := memberIDOf(t, site.srv, "bea"), memberIDOf(t, site.srv, "cid")
			first := c["bea"].comment(site.on("a comment by bea"))
			c["cid"].postForm("/follows", url.Values{"kind": {"member"}, "id": {beaID}})
			_, body := c["bea"].get("/members/cid")
			mustContain(t, "member page", body, `action="/blocks"`, ">Block<")
			resp, body := c["bea"].postForm("/blocks", url.Values{"id": {cidID}})
			wantStatus(t, "block", resp, body, http.StatusSeeOther)
			resp, body = c["bea"].postForm("/blocks", url.Values{"id": {beaID}})
			wantStatus(t, "block oneself", resp, body, http.StatusUnprocessableEntity)
			if n := countRows(t, site.db, `SELECT COUNT(*) FROM follows WHERE follower_id = `+cidID+` AND member_id = `+beaID); n != 0 {
				t.Error("the blocked member still follows the blocker")
			}

			reply := site.on("a reply by cid")
			reply.Set("parent", first)
			resp, body = c["cid"].postForm("/comments", reply)
			wantStatus(t, "blocked member replies", resp, body, http.StatusForbidden)
			resp, body = c["cid"].postForm("/follows", url.Values{"kind": {"member"}, "id": {beaID}})
			wantStatus(t, "blocked member follows", resp, body, http.StatusForbidden)
			c["cid"].comment(site.on("hello @bea and @ana"))
			_, body = site.clients["ana"].get(site.page)
			mustContain(t, "mention", body, `<a class="mention" href="/members/ana">@ana</a>`, "@bea")
			if strings.Contains(string(body), `href="/members/bea">@bea`) {
				t.Error("the blocked member's mention of the blocker is linked")
			}
			_, body = c["bea"].get(site.page)
			mustContain(t, "blocker's view", body, "From a member you blocked")
			_, body = c["ana"].get(site.page)
			if strings.Contains(string(body), "From a member you blocked") {
				t.Error("a bystander sees cid's comment collapsed")
			}

			_, body = c["bea"].get("/settings/blocked")
			mustContain(t, "blocked list", body, `href="/members/cid"`, "Unblock")
			resp, body = c["bea"].postForm("/blocks", url.Values{"id": {cidID}, "on": {"0"}, "return": {"settings"}})
			wantStatus(t, "unblock", resp, body, http.StatusSeeOther)
			if resp.Header.Get("Location") != "/settings/blocked" {
				t.Errorf("unblock goes to %q", resp.Header.Get("Location"))
			}
			c["cid"].comment(reply)
			_, body = c["bea"].get(site.page)
			if strings.Contains(string(body), "From a member you blocked") {
				t.Error("comments stay collapsed after unblocking")
			}
		})
	}
}

// TestSpamHolding checks that links from new accounts, the same text
// posted three times within an hour and too many links are held for
// review: visible to their author with a notice, not to others, in the
// queue, published by approving.
func TestSpamHolding(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			site := newModerationSite(t, d, "--spam-new-account-age", "24h")
			c := site.clients
			visitor := newClient(t, site.srv.URL)
			linked := c["bea"].comment(site.on("listen at https://spam.example/buy"))
			_, body := visitor.get(site.page)
			if strings.Contains(string(body), "spam.example") {
				t.Error("a visitor sees a held comment")
			}
			_, body = c["bea"].get(site.page)
			mustContain(t, "author sees held", body, "spam.example", "Held for review")

			var repeated []string
			for range 3 {
				repeated = append(repeated, c["cid"].comment(site.on("the same words again")))
			}
			_, body = visitor.get(site.page)
			if got := strings.Count(string(body), "the same words again"); got != 2 {
				t.Errorf("a visitor sees the repeated text %d times, want 2", got)
			}
			// An old account: links pass, but not too many.
			execSQL(t, site.db, `UPDATE members SET created_at = '2020-01-01 00:00:00' WHERE username = 'dan'`)
			fine := c["dan"].comment(site.on("one link https://ok.example/"))
			many := c["dan"].comment(site.on(strings.Repeat("https://many.example/ ", 6)))
			_, body = visitor.get(site.page)
			mustContain(t, "old account link", body, "ok.example")
			if strings.Contains(string(body), "many.example") {
				t.Error("a post with too many links is published")
			}

			_, body = c["vera"].get("/moderation?status=held")
			mustContain(t, "held queue", body, "spam.example", "the same words again", "many.example")
			resp, body := site.act("vera", "comment", linked, "approve", "")
			wantStatus(t, "approve", resp, body, http.StatusSeeOther)
			resp, body = site.act("vera", "comment", repeated[2], "delete", "Repeated text")
			wantStatus(t, "delete held", resp, body, http.StatusSeeOther)
			resp, body = site.act("vera", "comment", fine, "approve", "")
			wantStatus(t, "approve what is not held", resp, body, http.StatusUnprocessableEntity)
			_, body = visitor.get(site.page)
			mustContain(t, "approved", body, "spam.example")
			if got := strings.Count(string(body), "the same words again"); got != 2 {
				t.Errorf("after deleting, the repeated text shows %d times", got)
			}
			_ = many
		})
	}
}
