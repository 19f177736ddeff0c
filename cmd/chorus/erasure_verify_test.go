package main

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"chorus/internal/auth"
	"chorus/internal/datamap"
	"chorus/internal/notify"
	"chorus/internal/pro"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// uaTransport gives every request of a client a User-Agent of its own.
type uaTransport struct{ ua string }

func (u uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return http.DefaultTransport.RoundTrip(r)
}

// hit is a place where a marker was found.
type hit struct{ where, marker string }

// scanDatabase looks for the markers (case-insensitively) in every value of
// every column of every table, text and bytes alike.
func scanDatabase(t *testing.T, db *store.DB, markers []string) []hit {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if db.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.SQL().QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var hits []hit
	for _, table := range tables {
		rows, err := db.SQL().QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for i, v := range vals {
				var text string
				switch v := v.(type) {
				case string:
					text = v
				case []byte:
					text = string(v)
				default:
					continue
				}
				for _, m := range markers {
					if strings.Contains(strings.ToLower(text), strings.ToLower(m)) {
						hits = append(hits, hit{table + "." + cols[i], m})
					}
				}
			}
		}
		rows.Close()
	}
	return hits
}

// scanFiles looks for the markers in every file of the data directory but
// the SQLite database's own (scanned table by table instead), and returns
// the stored files it found.
func scanFiles(t *testing.T, dir string, markers []string) ([]hit, []string) {
	t.Helper()
	var hits []hit
	var stored []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "chorus.db") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, "files"+string(filepath.Separator)) {
			stored = append(stored, rel)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range markers {
			if strings.Contains(strings.ToLower(string(b)), strings.ToLower(m)) {
				hits = append(hits, hit{rel, m})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits, stored
}

// TestErasureLeavesNothing makes a member who uses every feature Chorus
// has, with distinctive values, erases them, and then searches every
// table, every column and every stored file for anything of theirs: the
// markers, and their id in the columns that hold member ids. Only what the
// data map keeps under a legal obligation may remain; it is listed.
func TestErasureLeavesNothing(t *testing.T) {
	const (
		username = "quillonvetch"
		email    = "quillon.vetch@example.org"
		password = "quillon's long password"
	)
	markers := []string{username, email, "Quillon Vetch", "Zyxburgh", "bio-of-quillon", "quillon-links.example",
		"Quillon Ensemble", "ensemble-bio-quillon", "Quillon Anthem", "Quillon Sessions", "quillongenre", "quillon-original",
		"Quillonbrowser", "quillon-subject-77", "quillon.provider@example.net", "Quillon Provider Name", "Quillon passkey", "quillon-cred-id",
		"quillonsearchword", "quillon-reply-event", "quillon-digest-event",
		"quillon-comment-words", "quillon-reply-words", "quillon-review-words", "Quillon Playlist", "quillon-request-text",
		"Quillon Legal SARL", "quillon-street", "Quillon Films Ltd", "quillon-billing-road", "quillon.accounts@example.net",
		"Quillon Thread Title", "quillon-post-words", "quillon-lonely-thread", "quillon-discussion-reply",
		"quillon-report-details", "quillon-appeal-words"}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			bystander := signUp(t, srv.URL, "bystander")
			bystander.verifyEmail("bystander@example.org")

			c := newClient(t, srv.URL)
			c.http.Transport = uaTransport{ua: "Quillonbrowser/7.0"}
			resp, body := c.postForm("/signup", url.Values{"email": {email}, "username": {username}, "password": {password}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d %s", resp.StatusCode, body)
			}
			c.verifyEmail(email)
			// A wrong password elsewhere: a counter keyed by the account.
			newClient(t, srv.URL).postForm("/login", url.Values{"login": {username}, "password": {"wrong"}})

			resp, body = c.postMultipart("/settings/profile", map[string]string{
				"real_name": "Quillon Vetch", "real_name_visibility": "public", "location": "Zyxburgh", "location_visibility": "private",
				"bio": "bio-of-quillon", "bio_visibility": "public", "links": "https://quillon-links.example/", "links_visibility": "public",
				"picture_visibility": "public"}, map[string][]byte{"picture": jpegWithGPS(t)})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("profile: %d %s", resp.StatusCode, body)
			}
			resp, body = c.postMultipart("/studio/artists", map[string]string{"name": "Quillon Ensemble", "bio": "ensemble-bio-quillon"},
				map[string][]byte{"picture": jpegWithGPS(t)})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("artist: %d %s", resp.StatusCode, body)
			}
			_, up := c.upload(0,
				uploadFile{Name: "quillon-original.ogg", Body: tone(t, ".ogg", 1, 523, map[string]string{"title": "Quillon Anthem", "album": "Quillon Sessions", "genre": "quillongenre"})},
				uploadFile{Name: "quillon-original-2.mp3", Body: toneWithCover(t, "Quillon Anthem Two")})
			if len(up.Results) != 2 || up.Results[0].TrackID == 0 || up.Results[1].TrackID == 0 {
				t.Fatalf("upload: %+v", up)
			}
			for _, r := range up.Results {
				if st := c.waitTrack(r.TrackID); st["status"] != "ready" {
					t.Fatalf("track %d: %v", r.TrackID, st)
				}
			}
			resp, _ = c.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(up.Results[0].TrackID), fmt.Sprint(up.Results[1].TrackID)}, "licence": {"cc-by-4.0"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish: %d", resp.StatusCode)
			}

			// Listening history: analytics consent, then a search and a page view.
			c.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			c.get("/search?q=quillonsearchword")
			c.get(fmt.Sprintf("/tracks/%d", up.Results[0].TrackID))
			// The community: a comment with a reply by someone else, a
			// reply, a review, a playlist, a favourite, follows both ways
			// and the choices of the public page.
			trackForm := func(kv ...string) url.Values {
				v := url.Values{"kind": {"track"}, "id": {fmt.Sprint(up.Results[0].TrackID)}}
				for i := 0; i+1 < len(kv); i += 2 {
					v.Set(kv[i], kv[i+1])
				}
				return v
			}
			first := c.comment(trackForm("body", "quillon-comment-words"))
			other := bystander.comment(trackForm("body", "a bystander's comment"))
			bystander.comment(trackForm("parent", first, "body", "a bystander's reply"))
			c.comment(trackForm("parent", other, "body", "quillon-reply-words, @bystander"))
			for path, form := range map[string]url.Values{
				"/reviews":            trackForm("score", "3", "body", "quillon-review-words"),
				"/playlists":          {"name": {"Quillon Playlist"}, "visibility": {"public"}, "track": {fmt.Sprint(up.Results[1].TrackID)}},
				"/favourites":         trackForm(),
				"/settings/community": {"favourites": {"public"}, "follows": {"public"}, "activity": {"public"}},
				"/settings/sharing":   {"favourites": {"on"}, "reviews": {"on"}},
			} {
				if resp, body := c.postForm(path, form); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
				}
			}
			var quillonID, bystanderID int64
			if err := db.SQL().QueryRowContext(ctx, `SELECT id FROM members WHERE username = '`+username+`'`).Scan(&quillonID); err != nil {
				t.Fatal(err)
			}
			if err := db.SQL().QueryRowContext(ctx, `SELECT id FROM members WHERE username = 'bystander'`).Scan(&bystanderID); err != nil {
				t.Fatal(err)
			}
			if resp, body := c.postForm("/follows", url.Values{"kind": {"member"}, "id": {fmt.Sprint(bystanderID)}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("follow: %d %s", resp.StatusCode, body)
			}
			if resp, body := bystander.postForm("/follows", url.Values{"kind": {"member"}, "id": {fmt.Sprint(quillonID)}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("follow back: %d %s", resp.StatusCode, body)
			}
			// Discussions: a thread someone else replied in (it stays as a
			// tombstone), a thread no one else posted in, a reply in
			// another's thread, and read markers.
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.CreateCategory(ctx, "talk", "Talk", "")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			quillonThread := c.startThread("talk", "Quillon Thread Title", "quillon-post-words")
			bystander.reply(quillonThread, "a bystander's answer")
			c.startThread("talk", "quillon-lonely-thread", "alone")
			bystanderThread := bystander.startThread("talk", "A bystander's thread", "hello")
			c.reply(bystanderThread, "quillon-discussion-reply")
			c.get(bystanderThread)
			bystander.get(quillonThread)
			// Chorus PRO: legal identity and bank details, the catalogue
			// offered, a decryption logged, and a sale in the books.
			if resp, body := c.postForm("/studio/pro/join", url.Values{"legal_name": {"Quillon Legal SARL"}, "address": {"7 quillon-street"}, "country": {"FR"},
				"entity_kind": {"company"}, "vat_id": {"FR40303265045"}, "iban": {"FR7630006000011234567890189"}, "bic": {"BNPAFRPP"},
				"accept": {"yes"}, "agreement": {pro.AgreementVersion}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("join PRO: %d %s", resp.StatusCode, body)
			}
			c.postForm("/studio/pro/tracks", url.Values{"track": {fmt.Sprint(up.Results[0].TrackID)}, "instrumental": {fmt.Sprint(up.Results[0].TrackID)}})
			c.postForm("/studio/pro/reveal", nil)
			// PRO licensing: a licensee (business) profile.
			if resp, body := c.postForm("/pro/account", url.Values{"company": {"Quillon Films Ltd"}, "vat_id": {"DE136695976"}, "address": {"9 quillon-billing-road"},
				"country": {"DE"}, "email": {"quillon.accounts@example.net"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("licensee account: %d %s", resp.StatusCode, body)
			}

			// Two-factor authentication, with its recovery codes.
			c.postForm("/settings/security/setup", nil)
			_, body = c.get("/settings/security")
			m := regexp.MustCompile(`<p class="secret"><code>([A-Z2-7 ]+)</code>`).FindSubmatch(body)
			if m == nil {
				t.Fatal("no two-factor secret shown")
			}
			secret := strings.ReplaceAll(string(m[1]), " ", "")
			code, _ := auth.TOTPCode(secret, time.Now())
			if resp, _ := c.postForm("/settings/security/enable", url.Values{"password": {password}, "code": {code}}); resp.StatusCode != http.StatusOK {
				t.Fatalf("enable two-factor: %d", resp.StatusCode)
			}

			// What cannot be made here without a provider or an authenticator:
			// a linked provider account and a passkey, stored directly.
			member, err := db.MemberByLogin(ctx, username)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.LinkIdentity(ctx, store.Identity{MemberID: member.ID, Provider: "oidc", Subject: "quillon-subject-77",
					Email: "quillon.provider@example.net", EmailVerified: true, DisplayName: "Quillon Provider Name", AvatarURL: "https://idp.example/quillon.png"}); err != nil {
					return err
				}
				_, err := tx.AddPasskey(ctx, store.Passkey{MemberID: member.ID, CredentialID: "quillon-cred-id", Name: "Quillon passkey", Credential: []byte(`{"id":"quillon-cred-id"}`)})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}

			// Email they chose: a newsletter subscription and a newsletter
			// sent, a notification at once and one waiting for a digest.
			if resp, _ := c.postForm("/settings/notifications", url.Values{"newsletter": {"on"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("email settings: %d", resp.StatusCode)
			}
			n := notifierFor(t, db, srv.URL, "")
			err = db.Tx(ctx, func(tx *store.Tx) error {
				if err := n.Email(ctx, tx, member.ID, notify.Reply, notify.Event{Subject: "quillon-reply-event"}); err != nil {
					return err
				}
				if err := n.Email(ctx, tx, member.ID, notify.NewFollower, notify.Event{Subject: "quillon-digest-event"}); err != nil {
					return err
				}
				_, err := tx.CreateNewsletter(ctx, "News", "Some news.")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			list, err := db.Newsletters(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("newsletters: %v %v", list, err)
			}
			if got, err := n.StartNewsletter(ctx, list[0].ID); err != nil || got != 1 {
				t.Fatalf("newsletter recipients: %d %v", got, err)
			}
			if got, err := n.SendNewsletterBatch(ctx, 10); err != nil || got != 1 {
				t.Fatalf("newsletter sent: %d %v", got, err)
			}
			waitMail(t, srv.URL, email, "quillon-reply-event")
			waitMail(t, srv.URL, email, "News")
			// A request about their data through the contact form, which an
			// admin reads: the request and the access log are kept as proof
			// of compliance (GDPR Art. 5(2)), as the data map declares.
			if resp, body := c.postForm("/contact", url.Values{"kind": {"erasure"}, "body": {"quillon-request-text"}}); resp.StatusCode != http.StatusOK {
				t.Fatalf("contact: %d %s", resp.StatusCode, body)
			}
			createUser(t, srv, "eraseadmin", "admin", "an admin password")
			admin := logIn(t, srv.URL, "eraseadmin", "an admin password")
			if resp, body := admin.get("/admin/requests/1"); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "quillon-request-text") {
				t.Fatalf("admin reading the request: %d", resp.StatusCode)
			}
			// Moderation: a report by them, blocks both ways, and their
			// comment hidden by the admin, with their appeal. The log keeps
			// numbers and the moderator's reason only, as the data map says.
			if resp, body := c.postForm("/report", url.Values{"kind": {"comment"}, "key": {other}, "reason": {"other"}, "details": {"quillon-report-details"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("report: %d %s", resp.StatusCode, body)
			}
			if resp, body := c.postForm("/blocks", url.Values{"id": {fmt.Sprint(bystanderID)}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("block: %d %s", resp.StatusCode, body)
			}
			if resp, body := bystander.postForm("/blocks", url.Values{"id": {fmt.Sprint(quillonID)}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("block back: %d %s", resp.StatusCode, body)
			}
			if resp, body := admin.postForm("/moderation/act", url.Values{"kind": {"comment"}, "key": {first}, "action": {"hide"}, "reason": {"a test of erasure"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("hide: %d %s", resp.StatusCode, body)
			}
			if resp, body := c.postForm("/appeal", url.Values{"kind": {"comment"}, "key": {first}, "appeal": {"quillon-appeal-words"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("appeal: %d %s", resp.StatusCode, body)
			}
			if _, err := db.PostSale(ctx, store.Sale{Reference: "quillon-order", Currency: "EUR", ArtistShare: 5000, Lines: []store.SaleLine{{MemberID: member.ID, Amount: 1234}}}); err != nil {
				t.Fatal(err)
			}

			// Notifications: theirs, and others' about them (the reply
			// mentioning the bystander, the follow), which name them.
			var aboutThem int
			if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE member_id = `+fmt.Sprint(bystanderID)+
				` AND category = 'mention' AND actor_id = `+fmt.Sprint(quillonID)).Scan(&aboutThem); err != nil || aboutThem != 1 {
				t.Fatalf("the bystander's notification of the mention: %d %v", aboutThem, err)
			}

			// Before: every marker is somewhere, or the search below proves nothing.
			before := append(scanDatabase(t, db, markers), func() []hit { h, _ := scanFiles(t, srv.DataDir, markers); return h }()...)
			for _, mk := range markers {
				if !slices.ContainsFunc(before, func(h hit) bool { return h.marker == mk }) {
					t.Errorf("marker %q was never stored: the test does not exercise it", mk)
				}
			}
			if _, stored := scanFiles(t, srv.DataDir, nil); len(stored) < 10 {
				t.Fatalf("only %d stored files before erasure: %v", len(stored), stored)
			}

			code, _ = auth.TOTPCode(secret, time.Now().Add(30*time.Second))
			resp, body = c.postForm("/settings/delete", url.Values{"password": {password}, "code": {code}, "confirm": {"yes"}, "when": {"now"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete: %d %s", resp.StatusCode, body)
			}
			waitGone(t, db, username)
			time.Sleep(500 * time.Millisecond) // the job finishes the session store and the index

			// Kept under a legal obligation: allowed to remain, and listed.
			kept := map[string]string{}
			for _, table := range datamap.Tables {
				for _, col := range table.Columns {
					if col.Erasure.Action == datamap.Keep {
						kept[table.Name+"."+col.Name] = col.Erasure.Obligation + ", " + col.Erasure.Period
					}
				}
			}
			for where, why := range kept {
				t.Logf("kept after erasure: %s (%s)", where, why)
			}
			// The data-subject request is the kept item: still there, as proof.
			if n := count(t, db, `SELECT COUNT(*) FROM requests WHERE body = 'quillon-request-text' AND member_id IS NULL`); n != 1 {
				t.Errorf("the erasure request record: %d rows kept, want 1 without the account's id", n)
			}
			dbHits := scanDatabase(t, db, markers)
			fileHits, stored := scanFiles(t, srv.DataDir, markers)
			for _, h := range append(dbHits, fileHits...) {
				if _, ok := kept[h.where]; !ok {
					t.Errorf("after erasure, %s still holds %q", h.where, h.marker)
				}
			}
			if len(stored) > 0 {
				t.Errorf("stored files left after erasure: %v", stored)
			}
			for _, table := range datamap.For(string(d)) {
				for _, col := range table.Columns {
					if !col.MemberRef || kept[table.Name+"."+col.Name] != "" {
						continue
					}
					var n int
					q := `SELECT COUNT(*) FROM ` + table.Name + ` WHERE ` + col.Name + ` = ?`
					if d == store.Postgres {
						q = strings.Replace(q, "?", "$1", 1)
					}
					if err := db.SQL().QueryRowContext(ctx, q, member.ID).Scan(&n); err != nil {
						t.Fatal(err)
					}
					if n > 0 {
						t.Errorf("after erasure, %s.%s still names member %d in %d rows", table.Name, col.Name, member.ID, n)
					}
				}
			}
			// The thread others posted in stays, without the erased
			// member's title or posts; the other's posts stay whole.
			_, body = newClient(t, srv.URL).get(quillonThread)
			if !strings.Contains(string(body), "A thread by a deleted member") || !strings.Contains(string(body), "a bystander&#39;s answer") {
				t.Errorf("the tombstone thread after erasure: %.500s", body)
			}
			_, body = newClient(t, srv.URL).get(bystanderThread)
			if !strings.Contains(string(body), "hello") {
				t.Error("the other member's thread lost its first post")
			}
			// The site and the other member are as they were.
			if !loggedIn(bystander) {
				t.Error("the other member was logged out")
			}
			if resp, _ := newClient(t, srv.URL).get("/members/bystander"); resp.StatusCode != http.StatusOK {
				t.Errorf("the other member's page: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).get("/search?q=quillon"); resp.StatusCode != http.StatusOK {
				t.Errorf("search after erasure: %d", resp.StatusCode)
			}
			// The books stay whole: the sale is still there, balanced, under
			// the bookkeeping obligation; the bank details are gone.
			if b, err := db.Balance(ctx, member.ID, "EUR"); err != nil || b != 617 {
				t.Errorf("the erased member's payable account: %d %v, want the 617 kept in the books", b, err)
			}
			if bad, err := db.UnbalancedTransactions(ctx); err != nil || len(bad) > 0 {
				t.Errorf("unbalanced books after erasure: %v %v", bad, err)
			}
			if _, err := db.ProMember(ctx, member.ID); err == nil {
				t.Error("the PRO details (bank account, tax id) survived erasure")
			}
		})
	}
}
