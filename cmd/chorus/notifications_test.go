package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"chorus/internal/notify"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// inboxIDs returns the ids of the notifications on a /notifications page,
// in the page's order, with their texts.
func inboxIDs(body []byte) (ids, texts []string) {
	for _, m := range regexp.MustCompile(`action="/notifications/(\d+)/open" class="inline"><button type="submit" class="link">(?:<span class="visually-hidden">Unread: </span>)?([^<]*)</button>`).FindAllSubmatch(body, -1) {
		ids = append(ids, string(m[1]))
		texts = append(texts, string(m[2]))
	}
	return ids, texts
}

// inbox returns the texts of the member's notifications on the first page.
func (c *client) inbox() []string {
	c.t.Helper()
	resp, body := c.get("/notifications")
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("notifications: %d %.300s", resp.StatusCode, body)
	}
	_, texts := inboxIDs(body)
	return texts
}

// unread returns the unread count the header shows, 0 when it shows none.
func (c *client) unread() string {
	c.t.Helper()
	_, body := c.get("/")
	m := regexp.MustCompile(`id="unread-count">(\d+)<`).FindSubmatch(body)
	if m == nil {
		return "0"
	}
	return string(m[1])
}

func countOf(texts []string, sub string) int {
	n := 0
	for _, t := range texts {
		if strings.Contains(t, sub) {
			n++
		}
	}
	return n
}

// TestNotifications checks in-app notifications end to end: each kind
// (new follower, comment on one's music, reply, mention, new release,
// moderation decision), the unread count in the header, opening and
// marking read (one, all), pagination, one notification per event and
// member, none for one's own action or for a suspended member, mail as
// the member's email choices say, and that nobody sees or opens
// another's notifications.
func TestNotifications(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
			track := publishTones(t, ana, "", "Low Tone")[0]
			bea := member(t, srv.URL, "bea")
			cid := member(t, srv.URL, "cid")
			dan := member(t, srv.URL, "dan")
			visitor := newClient(t, srv.URL)
			db := openStore(t, srv.DBURL)
			on := func(body, parent string) url.Values {
				v := url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "body": {body}}
				if parent != "" {
					v.Set("parent", parent)
				}
				return v
			}
			if got := ana.unread(); got != "0" {
				t.Errorf("unread before anything: %s", got)
			}

			// New followers: of the artist, and of a member; following
			// again after stopping tells them once.
			artist := artistIDOf(t, srv, track)
			for _, on := range []string{"1", "0", "1"} {
				wantStatus(t, "follow artist", must(bea.postForm("/follows", url.Values{"kind": {"artist"}, "id": {artist}, "on": {on}})), nil, http.StatusSeeOther)
			}
			wantStatus(t, "follow member", must(cid.postForm("/follows", url.Values{"kind": {"member"}, "id": {memberIDOf(t, srv, "bea")}})), nil, http.StatusSeeOther)
			if got := ana.inbox(); countOf(got, "bea follows \u201cAna Tones\u201d") != 1 {
				t.Errorf("ana's notifications after the follows: %q", got)
			}
			if got := bea.inbox(); countOf(got, "cid follows you") != 1 {
				t.Errorf("bea's notifications after cid's follow: %q", got)
			}

			// A comment mentioning cid: ana is told of a comment on her
			// music, cid of the mention (by email at once, the default).
			first := bea.comment(on("Lovely, @cid should hear this. Not @nobody.", ""))
			if got := ana.inbox(); countOf(got, "bea commented on \u201cLow Tone\u201d") != 1 {
				t.Errorf("ana not told of the comment: %q", got)
			}
			if got := cid.inbox(); countOf(got, "bea mentioned you in a comment on \u201cLow Tone\u201d") != 1 {
				t.Errorf("cid not told of the mention: %q", got)
			}
			msg := waitMail(t, srv.URL, "cid@example.org", "You were mentioned in a comment")
			mustContain(t, "mention mail", []byte(msg.Text), srv.URL+fmt.Sprintf("/tracks/%d#comment-%s", track, first))
			if strings.Contains(msg.Text, "bea") || strings.Contains(msg.Subject, "bea") {
				t.Errorf("the mail names the member who mentioned: %q %q", msg.Subject, msg.Text)
			}

			// A reply: bea is told once even when also mentioned; ana is
			// told of the comment on her music; cid of nothing of his own.
			before := len(cid.inbox())
			reply := cid.comment(on("Thanks @bea, and @cid agrees with himself.", first))
			if got := bea.inbox(); countOf(got, "cid") != 2 || countOf(got, "cid mentioned you") != 1 {
				t.Errorf("bea's notifications after a reply that mentions her: %q", got)
			}
			if got := ana.inbox(); countOf(got, "cid commented on") != 1 {
				t.Errorf("ana not told of the reply on her music: %q", got)
			}
			if got := cid.inbox(); len(got) != before {
				t.Errorf("cid told of his own action: %q", got)
			}
			// A reply that does not mention the author is a reply.
			dan.comment(on("Agreed.", first))
			if got := bea.inbox(); countOf(got, "dan replied to your comment on \u201cLow Tone\u201d") != 1 {
				t.Errorf("bea not told of dan's reply: %q", got)
			}
			_ = reply

			// One's own action on one's own music tells nobody.
			before = len(ana.inbox())
			ana.comment(on("Thanks all, says @ana.", ""))
			if got := ana.inbox(); len(got) != before {
				t.Errorf("ana told of her own comment: %q", got)
			}

			// A suspended member is not told.
			execSQL(t, db, `UPDATE members SET suspended_at = CURRENT_TIMESTAMP WHERE username = 'dan'`)
			bea.comment(on("Where is @dan?", ""))
			var danHas int
			if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM notifications n JOIN members m ON m.id = n.member_id WHERE m.username = 'dan'`).Scan(&danHas); err != nil {
				t.Fatal(err)
			}
			if danHas != 0 {
				t.Errorf("the suspended member got %d notifications", danHas)
			}

			// A new release from an artist bea follows, and from a member
			// cid follows (none here): bea is told once.
			second := publishTones(t, ana, "", "High Tone")[0]
			if got := bea.inbox(); countOf(got, "Ana Tones released \u201cHigh Tone\u201d") != 1 {
				t.Errorf("bea not told of the release: %q", got)
			}
			if got := cid.inbox(); countOf(got, "released") != 0 {
				t.Errorf("cid, who follows no artist, told of a release: %q", got)
			}
			_ = second

			// A moderation decision, told by the moderation code through
			// notify.Service.Moderation, once per decision.
			svc := &notify.Service{DB: db, BaseURL: srv.URL}
			for range 2 {
				if err := db.Tx(context.Background(), func(tx *store.Tx) error {
					id, _ := tx.MemberIDByUsername(context.Background(), "bea")
					return svc.Moderation(context.Background(), tx, id, "report:1", "A moderator hid your comment: it broke the rules on spam.", fmt.Sprintf("/tracks/%d", track))
				}); err != nil {
					t.Fatal(err)
				}
			}
			if got := bea.inbox(); countOf(got, "A moderator hid your comment") != 1 {
				t.Errorf("bea's moderation notifications: %q", got)
			}

			// The unread count, and opening one: it is marked read and
			// leads to the item.
			_, body := bea.get("/notifications")
			ids, texts := inboxIDs(body)
			n := len(ids)
			if got := bea.unread(); got != fmt.Sprint(n) {
				t.Errorf("bea's unread count %s, want %d", got, n)
			}
			var mention string
			for i, text := range texts {
				if strings.Contains(text, "cid mentioned you") {
					mention = ids[i]
				}
			}
			resp, body := bea.postForm("/notifications/"+mention+"/open", nil)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != fmt.Sprintf("/tracks/%d#comment-%s", track, reply) {
				t.Errorf("open: %d %q %.200s", resp.StatusCode, loc, body)
			}
			if got := bea.unread(); got != fmt.Sprint(n-1) {
				t.Errorf("after opening one, unread %s, want %d", got, n-1)
			}
			wantStatus(t, "mark one read", must(bea.postForm("/notifications/"+ids[0]+"/read", nil)), nil, http.StatusSeeOther)
			if got := bea.unread(); got != fmt.Sprint(n-2) {
				t.Errorf("after marking one read, unread %s, want %d", got, n-2)
			}

			// Nobody sees or opens another member's notifications.
			resp, body = cid.postForm("/notifications/"+ids[1]+"/open", nil)
			wantStatus(t, "another's notification opened", resp, body, http.StatusNotFound)
			resp, body = cid.postForm("/notifications/"+ids[1]+"/read", nil)
			wantStatus(t, "another's notification marked", resp, body, http.StatusNotFound)
			if got := cid.inbox(); countOf(got, "cid follows you") != 0 || countOf(got, "moderator") != 0 {
				t.Errorf("cid sees bea's notifications: %q", got)
			}
			resp, body = visitor.postForm("/notifications/"+ids[1]+"/open", nil)
			wantStatus(t, "visitor opens", resp, body, http.StatusUnauthorized)
			resp, _ = visitor.get("/notifications")
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
				t.Errorf("visitor's /notifications: %d %q", resp.StatusCode, loc)
			}
			resp, body = bea.postForm("/notifications/not-a-number/open", nil)
			wantStatus(t, "bad id", resp, body, http.StatusNotFound)
			if got := bea.unread(); got != fmt.Sprint(n-2) {
				t.Errorf("others' attempts changed bea's unread count to %s", got)
			}

			// Mark all read.
			wantStatus(t, "mark all read", must(bea.postForm("/notifications/read", nil)), nil, http.StatusSeeOther)
			if got := bea.unread(); got != "0" {
				t.Errorf("after mark all read, unread %s", got)
			}

			// Pages of 30, newest first.
			if err := db.Tx(context.Background(), func(tx *store.Tx) error {
				id, _ := tx.MemberIDByUsername(context.Background(), "cid")
				for i := range 40 {
					if _, err := tx.AddNotification(context.Background(), store.Notification{MemberID: id, Category: "moderation",
						Key: fmt.Sprintf("page-test:%d", i), Text: fmt.Sprintf("Paged notice %d.", i), Link: "/"}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			_, body = cid.get("/notifications")
			_, first30 := inboxIDs(body)
			mustContain(t, "first page", body, `rel="next" href="/notifications?page=2"`)
			_, body = cid.get("/notifications?page=2")
			_, rest := inboxIDs(body)
			if len(first30) != 30 || first30[0] != "Paged notice 39." || countOf(rest, "Paged notice 0.") != 1 || countOf(first30, "Paged notice 0.") != 0 {
				t.Errorf("pages: %d then %d: %q … %q", len(first30), len(rest), first30, rest)
			}
		})
	}
}
