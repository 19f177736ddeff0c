package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"chorus/internal/datamap"
	"chorus/internal/export"
	"chorus/internal/mail"
	"chorus/internal/mail/mailtest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// smtpMail waits until the relay received a message to `to` whose
// subject contains subject, and returns it parsed.
func smtpMail(t *testing.T, relay *mailtest.Server, to, subject string) mail.Parsed {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, m := range relay.Messages() {
			if !slices.Contains(m.To, to) {
				continue
			}
			p, err := mail.Parse(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(p.Subject, subject) {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message to %s about %q", to, subject)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// count runs a COUNT(*) query written with "?" placeholders.
func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	if db.Dialect() == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	var n int
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// unzip returns the entries of a ZIP by name.
func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	return out
}

var referencePattern = regexp.MustCompile(`REQ-[2-9A-Z]{8}`)

// TestContactFormAndRequestsQueue follows a visitor's data-subject request
// and a member's enquiry through the contact form, the acknowledgements by
// SMTP, the admins' queue with its deadlines and filters, a reply by email,
// a note, status changes and an extension, all kept in the history; and
// checks that only admins reach the queue.
func TestContactFormAndRequestsQueue(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			relay := mailtest.Start(t, mailtest.Options{})
			srv := startServer(t, d, "--smtp-url", relay.URL())
			db := openStore(t, srv.DBURL)
			createUser(t, srv, "rooty", "admin", "an admin password")
			createUser(t, srv, "modesta", "moderator", "a moderator password")
			admin := logIn(t, srv.URL, "rooty", "an admin password")
			moderator := logIn(t, srv.URL, "modesta", "a moderator password")

			// The form is linked from the footer and from the privacy page's "write us".
			visitor := newClient(t, srv.URL)
			_, home := visitor.get("/")
			mustContain(t, "footer", home, `href="/contact"`, `href="/transparency"`)
			_, privacy := visitor.get("/privacy/choices")
			mustContain(t, "privacy page", privacy, `href="/contact?kind=access">write us</a>`)
			resp, page := visitor.get("/contact")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("contact page: %d", resp.StatusCode)
			}
			mustContain(t, "contact page", page, `name="email"`, `value="erasure"`, "GDPR Art. 15", "Needed to answer you.")

			// Bad input: a message a person understands, nothing stored.
			resp, page = visitor.postForm("/contact", url.Values{"kind": {"access"}, "email": {"not an address"}, "body": {""}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("bad contact form: %d", resp.StatusCode)
			}
			mustContain(t, "refused form", page, "Enter a valid email address", "Write your message.")
			if n := count(t, db, `SELECT COUNT(*) FROM requests`); n != 0 {
				t.Fatalf("%d requests stored from a refused form", n)
			}

			// A visitor's request of access: acknowledged with a reference and the deadline.
			resp, page = visitor.postForm("/contact", url.Values{"kind": {"access"}, "email": {"vera@example.net"}, "name": {"Vera"},
				"subject": {"My data"}, "body": {"Please tell me what you hold about vera@example.net."}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("contact: %d %s", resp.StatusCode, page)
			}
			veraRef := string(referencePattern.Find(page))
			if veraRef == "" {
				t.Fatalf("no reference on the page:\n%s", page)
			}
			ack := smtpMail(t, relay, "vera@example.net", "We received your message")
			due := time.Now().UTC().AddDate(0, 1, 0)
			mustContain(t, "acknowledgement", []byte(ack.Text), veraRef, "Hello Vera", "one month", "Art. 12(3)")
			if !strings.Contains(ack.Text, due.Format("January 2006")) && !strings.Contains(ack.Text, due.AddDate(0, 0, -3).Format("January 2006")) {
				t.Errorf("the acknowledgement gives no deadline a month ahead:\n%s", ack.Text)
			}

			// A member's enquiry: they give no address, their account's is used.
			mia := signUp(t, srv.URL, "mia")
			_, page = mia.get("/contact")
			if bytes.Contains(page, []byte(`name="email"`)) {
				t.Error("a member is asked for an email address")
			}
			resp, page = mia.postForm("/contact", url.Values{"kind": {"general"}, "body": {"Could you add <b>FLAC</b> downloads?"}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("member's contact: %d %s", resp.StatusCode, page)
			}
			miaRef := string(referencePattern.Find(page))
			smtpMail(t, relay, "mia@example.org", miaRef)
			miaID := int64(0)
			if m, err := db.MemberByLogin(context.Background(), "mia"); err == nil {
				miaID = m.ID
			}
			if n := count(t, db, `SELECT COUNT(*) FROM requests WHERE member_id = ? AND due_at IS NULL`, miaID); n != 1 {
				t.Fatalf("member's enquiry: %d rows with their id and no deadline", n)
			}

			// Only admins reach the queue.
			for _, p := range []string{"/admin/requests", "/admin/legal"} {
				if resp, _ := mia.get(p); resp.StatusCode != http.StatusForbidden {
					t.Errorf("member on %s: %d", p, resp.StatusCode)
				}
				if resp, _ := moderator.get(p); resp.StatusCode != http.StatusForbidden {
					t.Errorf("moderator on %s: %d", p, resp.StatusCode)
				}
				if resp, _ := newClient(t, srv.URL).get(p); resp.StatusCode != http.StatusSeeOther {
					t.Errorf("visitor on %s: %d", p, resp.StatusCode)
				}
			}
			if resp, _ := mia.postForm("/admin/requests/1/status", url.Values{"status": {"closed"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("member changing a request: %d", resp.StatusCode)
			}

			// The queue: both, the data-subject request with its deadline.
			resp, page = admin.get("/admin/requests")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("queue: %d", resp.StatusCode)
			}
			mustContain(t, "queue", page, veraRef, miaRef, "vera@example.net", "mia@example.org")
			_, page = admin.get("/admin/requests?kind=subject")
			if !bytes.Contains(page, []byte(veraRef)) || bytes.Contains(page, []byte(miaRef)) {
				t.Error("the filter of requests about personal data does not keep only them")
			}
			_, page = admin.get("/admin/requests?status=closed")
			if bytes.Contains(page, []byte(veraRef)) || bytes.Contains(page, []byte(miaRef)) {
				t.Error("the status filter shows open requests as closed")
			}
			// Overdue and due soon are flagged.
			execSQL(t, db, overdueSQL(d))
			_, page = admin.get("/admin/requests")
			mustContain(t, "overdue queue", page, "overdue")

			// Handling Vera's request: a reply by email, a note, an extension, statuses.
			var veraID, miaReqID int64
			if err := db.SQL().QueryRow(rebindTest(d, `SELECT id FROM requests WHERE reference = ?`), veraRef).Scan(&veraID); err != nil {
				t.Fatal(err)
			}
			if err := db.SQL().QueryRow(rebindTest(d, `SELECT id FROM requests WHERE reference = ?`), miaRef).Scan(&miaReqID); err != nil {
				t.Fatal(err)
			}
			base := fmt.Sprintf("/admin/requests/%d", veraID)
			for _, step := range []struct {
				action string
				form   url.Values
			}{
				{"reply", url.Values{"body": {"Dear Vera, we hold nothing about you beyond this message."}}},
				{"note", url.Values{"body": {"Checked both databases."}}},
				{"extend", url.Values{"months": {"2"}, "body": {"many archives to search"}}},
				{"status", url.Values{"status": {"answered"}}},
			} {
				if resp, body := admin.postForm(base+"/"+step.action, step.form); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s: %d %s", step.action, resp.StatusCode, body)
				}
			}
			reply := smtpMail(t, relay, "vera@example.net", "Our answer")
			mustContain(t, "reply", []byte(reply.Text), "we hold nothing about you", veraRef)
			// Refused steps change nothing.
			admin.postForm(base+"/status", url.Values{"status": {"lost"}})
			admin.postForm(base+"/extend", url.Values{"months": {"7"}, "body": {"x"}})
			admin.postForm(base+"/reply", url.Values{"body": {"  "}})
			resp, page = admin.get(base)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("request page: %d", resp.StatusCode)
			}
			mustContain(t, "history", page, "received", "reply", "Checked both databases.", "extended by 2 month(s)", "many archives to search", "answered", "Please tell me what you hold")
			if n := count(t, db, `SELECT COUNT(*) FROM request_events WHERE request_id = ?`, veraID); n != 6 {
				t.Errorf("history of %d events, want 6 (received, reply, in progress, note, extended, answered)", n)
			}
			var extended string
			if err := db.SQL().QueryRow(rebindTest(d, `SELECT extended FROM requests WHERE id = ?`), veraID).Scan(&extended); err != nil || !strings.Contains(extended, "2 month") {
				t.Errorf("extension not noted: %q %v", extended, err)
			}
			// The history is append-only.
			if _, err := db.SQL().Exec(`UPDATE request_events SET body = 'rewritten'`); err == nil {
				t.Error("the history of a request could be rewritten")
			}

			// Reading a member's message is an access to their data: logged, and shown to them.
			admin.get(fmt.Sprintf("/admin/requests/%d", miaReqID))
			if n := count(t, db, `SELECT COUNT(*) FROM access_log WHERE subject_id = ? AND reason = ?`, miaID, "handling request "+miaRef); n != 1 {
				t.Errorf("access log entries for reading mia's message: %d", n)
			}
			_, page = mia.get("/settings/data")
			mustContain(t, "mia's data page", page, "Staff access to your data", "handling request "+miaRef)
		})
	}
}

func overdueSQL(d store.Dialect) string {
	if d == store.Postgres {
		return `UPDATE requests SET due_at = received_at - INTERVAL '1 day' WHERE due_at IS NOT NULL`
	}
	return `UPDATE requests SET due_at = datetime(received_at, '-1 day') WHERE due_at IS NOT NULL`
}

func rebindTest(d store.Dialect, q string) string {
	if d == store.Postgres {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	return q
}

// TestLegalRequestScopedExport records a legal request for one member's
// email and browsing history of 2020, and checks that the export holds
// exactly those categories and that period's rows, that every step is in
// the append-only access log (which the database refuses to change on
// both dialects), that the member sees the access and finds it in their
// own export, and that the transparency page counts the request.
func TestLegalRequestScopedExport(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			createUser(t, srv, "rooty", "admin", "an admin password")
			admin := logIn(t, srv.URL, "rooty", "an admin password")
			lena := signUp(t, srv.URL, "lena")
			lena.verifyEmail("lena@example.org")
			m, err := db.MemberByLogin(context.Background(), "lena")
			if err != nil {
				t.Fatal(err)
			}
			// Her first login dates from 2020 (and so has expired), the second from now.
			execSQL(t, db, fmt.Sprintf(`UPDATE member_sessions SET created_at = '2020-06-01 10:00:00' WHERE member_id = %d`, m.ID))
			lena = logIn(t, srv.URL, "lena", "a long password")
			if n := count(t, db, `SELECT COUNT(*) FROM member_sessions WHERE member_id = ?`, m.ID); n < 2 {
				t.Fatalf("%d logins of lena", n)
			}

			// Refused: no category, an unknown member, a period backwards.
			resp, page := admin.postForm("/admin/legal", url.Values{"authority": {"Police"}, "reference": {"X"}, "legal_basis": {"Art. 1"},
				"member": {"nobody"}, "from": {"2020-12-31"}, "to": {"2020-01-01"}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("bad legal request: %d", resp.StatusCode)
			}
			mustContain(t, "refused legal request", page, "Tick the data categories", "No member has that username", "ends before it starts")
			if n := count(t, db, `SELECT COUNT(*) FROM legal_requests`); n != 0 {
				t.Fatalf("%d legal requests stored from a refused form", n)
			}

			resp, page = admin.postForm("/admin/legal", url.Values{"authority": {"Gendarmerie de Lyon"}, "reference": {"PV-2026-0042"},
				"legal_basis": {"Code de procédure pénale, art. 60-1"}, "member": {"lena"},
				"category": {string(datamap.Email), string(datamap.Browsing)}, "from": {"2020-01-01"}, "to": {"2020-12-31"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("record: %d %s", resp.StatusCode, page)
			}
			path := resp.Header.Get("Location")
			if resp, _ := admin.postForm(path+"/export", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("produce: %d", resp.StatusCode)
			}
			resp, zipped := admin.get(path + "/export.zip")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("download: %d %s", resp.StatusCode, zipped)
			}
			entries := unzip(t, zipped)
			var categories []string
			for name := range entries {
				if strings.HasSuffix(name, ".json") && name != "manifest.json" {
					categories = append(categories, name)
				}
				if strings.HasPrefix(name, "files/") {
					t.Errorf("the scoped export holds a stored file: %s", name)
				}
			}
			slices.Sort(categories)
			want := []string{export.CategoryFile(datamap.Email), export.CategoryFile(datamap.Browsing)}
			slices.Sort(want)
			if !slices.Equal(categories, want) {
				t.Errorf("category files %v, want exactly %v", categories, want)
			}
			mustContain(t, "email", entries[export.CategoryFile(datamap.Email)], "lena@example.org")
			sessions := strings.Split(strings.TrimSpace(string(entries[export.TableFile("member_sessions")])), "\n")
			if len(sessions) != 2 || !strings.Contains(sessions[1], "2020-06-01") {
				t.Errorf("member_sessions.csv holds %d lines, want the header and the 2020 login:\n%s", len(sessions), strings.Join(sessions, "\n"))
			}
			for name, b := range entries {
				if bytes.Contains(b, []byte(`"username"`)) && name != "manifest.json" {
					t.Errorf("%s holds the username, which is out of scope", name)
				}
			}

			// Closed as answered: the file goes, the steps stay.
			if resp, _ := admin.postForm(path+"/close", url.Values{"outcome": {"answered"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("close: %d", resp.StatusCode)
			}
			if resp, _ := admin.get(path + "/export.zip"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("export after closing: %d", resp.StatusCode)
			}
			_, page = admin.get(path)
			mustContain(t, "legal request page", page, store.LegalRecorded, store.LegalExported, store.LegalDownloaded, store.LegalClosed)
			if n := count(t, db, `SELECT COUNT(*) FROM access_log WHERE subject_id = ? AND legal_request_id IS NOT NULL`, m.ID); n != 4 {
				t.Errorf("%d steps in the access log, want 4", n)
			}

			// The access log is append-only on this database.
			for _, q := range []string{`UPDATE access_log SET reason = 'nothing happened'`, `DELETE FROM access_log`} {
				if _, err := db.SQL().Exec(q); err == nil {
					t.Errorf("%s: the database allowed it", q)
				}
			}
			if n := count(t, db, `SELECT COUNT(*) FROM access_log WHERE reason LIKE '%PV-2026-0042%'`); n != 4 {
				t.Errorf("after trying to change it, the log holds %d of its 4 entries", n)
			}

			// Lena sees the access on her page and in her own export.
			_, page = lena.get("/settings/data")
			mustContain(t, "lena's data page", page, "Staff access to your data", store.LegalExported, "PV-2026-0042")
			if resp, _ := lena.postForm("/settings/data/export", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("lena's export: %d", resp.StatusCode)
			}
			msg := waitMail(t, srv.URL, "lena@example.org", "Your Chorus data is ready")
			_, own := lena.get(strings.TrimPrefix(linkIn(t, msg.Text, srv.URL+"/settings/data/export/"), srv.URL))
			mine := unzip(t, own)
			mustContain(t, "access_log.csv", mine[export.TableFile("access_log")], "what", "reason", store.LegalDownloaded, "PV-2026-0042")

			// The public count.
			resp, page = newClient(t, srv.URL).get("/transparency")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("transparency: %d", resp.StatusCode)
			}
			year := time.Now().UTC().Year()
			mustContain(t, "transparency", page, fmt.Sprintf("<th scope=\"row\">%d</th><td>1</td><td>1</td><td>0</td>", year))
		})
	}
}

// TestSuspendedMemberCanExport suspends a member, who can then still log
// in to the Your data page alone, ask for the export and download it,
// while every other page stays closed to them.
func TestSuspendedMemberCanExport(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			createUser(t, srv, "rooty", "admin", "an admin password")
			admin := logIn(t, srv.URL, "rooty", "an admin password")
			sue := signUp(t, srv.URL, "sue")
			sue.verifyEmail("sue@example.org")
			db := openStore(t, srv.DBURL)
			m, _ := db.MemberByLogin(context.Background(), "sue")
			if resp, _ := admin.postForm(fmt.Sprintf("/admin/members/%d/suspend", m.ID), url.Values{"reason": {"spam"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("suspend: %d", resp.StatusCode)
			}
			c := newClient(t, srv.URL)
			resp, page := c.postForm("/login", url.Values{"login": {"sue"}, "password": {"a long password"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("suspended login: %d", resp.StatusCode)
			}
			mustContain(t, "suspended login", page, "suspended", "spam", `href="/settings/data"`)
			resp, page = c.get("/settings/data")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("Your data while suspended: %d", resp.StatusCode)
			}
			mustContain(t, "Your data while suspended", page, "Your account is suspended", "Download all my data")
			if resp, _ := c.postForm("/settings/data/export", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("export while suspended: %d", resp.StatusCode)
			}
			msg := waitMail(t, srv.URL, "sue@example.org", "Your Chorus data is ready")
			resp, zipped := c.get(strings.TrimPrefix(linkIn(t, msg.Text, srv.URL+"/settings/data/export/"), srv.URL))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("download while suspended: %d", resp.StatusCode)
			}
			mustContain(t, "sue's export", unzip(t, zipped)[export.CategoryFile(datamap.Email)], "sue@example.org")

			// Everything else a suspension blocks stays blocked.
			for _, p := range []string{"/settings", "/settings/profile", "/studio", "/settings/security"} {
				if resp, _ := c.get(p); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("GET %s while suspended: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			for _, p := range []string{"/settings/data/real_name/delete", "/settings/password", "/studio/artists"} {
				if resp, _ := c.postForm(p, url.Values{"name": {"x"}}); resp.StatusCode < 400 {
					t.Errorf("POST %s while suspended: %d", p, resp.StatusCode)
				}
			}
			if n := count(t, db, `SELECT COUNT(*) FROM artists WHERE member_id = ?`, m.ID); n != 0 {
				t.Error("a suspended member created an artist")
			}
		})
	}
}
