package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"chorus/internal/datamap"
	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/mail/mailtest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

const site = "https://music.example.org"

type noTracks struct{}

func (noTracks) ProcessTrack(context.Context, int64, int, bool) error { return nil }

// newService builds a mail service on db with a running job queue that
// delivers its messages.
func newService(t *testing.T, db *store.DB, cfg mail.Config) *mail.Service {
	t.Helper()
	cfg.BaseURL = site
	svc, err := mail.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPURL != "" {
		// chorus serve registers the relay it is configured with.
		if _, err := db.SeedProcessor(context.Background(), datamap.Registered{ConfigKey: datamap.ConfigSMTP, Name: "relay", Service: "email delivery",
			Country: "DE", Categories: mail.MessageCategories, Purpose: "deliver mail"}); err != nil {
			t.Fatal(err)
		}
	}
	q, err := jobs.New(db, jobs.Config{Workers: 1, JobTimeout: time.Minute, Processor: noTracks{}, Mailer: svc})
	if err != nil {
		t.Fatal(err)
	}
	svc.Queue = q
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return svc
}

func send(t *testing.T, db *store.DB, svc *mail.Service, m mail.Message) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *store.Tx) error { return svc.Send(context.Background(), tx, m) }); err != nil {
		t.Fatal(err)
	}
}

// waitOutbox waits until the only message in the outbox is in state want.
func waitOutbox(t *testing.T, db *store.DB, want store.OutboxStatus) store.OutboxMessage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, n, err := db.Outbox(context.Background(), 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d messages in the outbox, want 1", n)
		}
		if list[0].Status() == want {
			m, err := db.OutboxMessage(context.Background(), list[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message is %s (attempts %d, error %q), want %s", list[0].Status(), list[0].Attempts, list[0].LastError, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// parsed is a message read with the standard library only, independent of
// the package's own reader.
type parsed struct {
	header     netmail.Header
	text, html string
}

func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	p := parsed{header: msg.Header}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var order []string
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		order = append(order, ct)
		switch ct {
		case "text/plain":
			p.text = string(b)
		case "text/html":
			p.html = string(b)
		}
	}
	// RFC 2046 §5.1.4: the plainest part first, the preferred last.
	if strings.Join(order, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", order)
	}
	return p
}

var urlPattern = regexp.MustCompile(`https?://[^\s"'<>]+`)

func TestEveryTemplateRendersBothPartsWithoutTracking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		svc := newService(t, db, mail.Config{Dir: dir, From: "Chorus <noreply@music.example.org>"})
		at := time.Date(2030, 5, 1, 12, 30, 0, 0, time.UTC)
		link := site + "/verify?token=abc_DEF-123"
		for _, tc := range []struct {
			content mail.Content
			subject string
			says    []string // in both parts
		}{
			{mail.VerifyEmail{Username: "ana", Link: link, ValidFor: 24 * time.Hour}, "Confirm your email address on Chorus",
				[]string{"Hello ana", link, "24 hours", "did not create this account", `Chorus account "ana"`}},
			{mail.ResetPassword{Username: "ana", Link: link, ValidFor: time.Hour}, "Reset your Chorus password",
				[]string{link, "1 hour", "did not ask for this", "password reset was asked"}},
			{mail.PasswordChanged{Username: "ana", At: at, SessionsEnded: true, KeptCurrent: true}, "Your Chorus password was changed",
				[]string{"1 May 2030 at 12:30 UTC", "except the one used", site + "/reset", "We always tell you"}},
			{mail.EmailChangeConfirm{Username: "ana", Link: link, ValidFor: 24 * time.Hour}, "Confirm your new email address on Chorus",
				[]string{link, "24 hours", "keeps its current address", "given as the new address"}},
			{mail.EmailChangeNotice{Username: "ana", NewAddress: mail.MaskAddress("nadia@elsewhere.net")}, "Your Chorus account's email address is being changed",
				[]string{"n•••@e•••.net", site + "/reset", "current address of the Chorus account"}},
			{mail.SecurityChanged{Username: "ana", At: at, Change: "two-factor authentication was turned off"}, "How you log in to Chorus changed",
				[]string{"1 May 2030 at 12:30 UTC, two-factor authentication was turned off", site + "/reset", "We always tell you"}},
			{mail.ExportReady{Username: "ana", Link: link, Expires: at}, "Your Chorus data is ready to download",
				[]string{link, "1 May 2030 at 12:30 UTC", "logged in", "asked for a copy of its data"}},
			{mail.RequestReceived{Name: "Ana", Reference: "REQ-ABCD2345", Kind: "right of access", Due: at}, "We received your message (REQ-ABCD2345)",
				[]string{"Hello Ana", "REQ-ABCD2345", "1 May 2030 at 12:30 UTC", "Art. 12(3)", "contact form"}},
			{mail.RequestReply{Name: "Ana", Reference: "REQ-ABCD2345", Body: "Here is what we hold."}, "Our answer to your message (REQ-ABCD2345)",
				[]string{"Here is what we hold.", "REQ-ABCD2345", "through its contact form"}},
		} {
			t.Run(tc.content.TemplateName(), func(t *testing.T) {
				for _, f := range mustGlob(t, dir, "*.eml") {
					_ = os.Remove(f)
				}
				_, _ = db.SQL().Exec(`DELETE FROM outbox`)
				send(t, db, svc, mail.Message{To: "ana@example.org", Content: tc.content})
				m := waitOutbox(t, db, store.OutboxSent)
				raw, err := svc.ReadEML(m.EMLKey)
				if err != nil {
					t.Fatal(err)
				}
				p := parseMessage(t, raw)
				for h, want := range map[string]string{
					"From": "\"Chorus\" <noreply@music.example.org>", "To": "<ana@example.org>", "Subject": tc.subject,
					"Mime-Version": "1.0", "Auto-Submitted": "auto-generated",
				} {
					if got := p.header.Get(h); got != want {
						t.Errorf("%s: %q, want %q", h, got, want)
					}
				}
				if d, err := p.header.Date(); err != nil || time.Since(d) > time.Minute {
					t.Errorf("Date %q: %v", p.header.Get("Date"), err)
				}
				if id := p.header.Get("Message-Id"); !regexp.MustCompile(`^<[0-9a-f]{32}@music\.example\.org>$`).MatchString(id) {
					t.Errorf("Message-ID %q", id)
				}
				if p.header.Get("User-Agent") != "" || p.header.Get("X-Mailer") != "" {
					t.Errorf("the message names its software: %q %q", p.header.Get("User-Agent"), p.header.Get("X-Mailer"))
				}
				for _, want := range tc.says {
					if !strings.Contains(p.text, want) {
						t.Errorf("text part lacks %q:\n%s", want, p.text)
					}
					if !strings.Contains(p.html, strings.ReplaceAll(want, `"`, "&#34;")) {
						t.Errorf("HTML part lacks %q:\n%s", want, p.html)
					}
				}
				// No tracking: nothing loaded from anywhere, links only to
				// the site, without added parameters.
				for _, bad := range []string{"<img", "<script", "<link", "url(", "utm_", "<iframe"} {
					if strings.Contains(strings.ToLower(p.html), bad) {
						t.Errorf("HTML part contains %q", bad)
					}
				}
				for _, u := range append(urlPattern.FindAllString(p.text, -1), urlPattern.FindAllString(p.html, -1)...) {
					if u != site && u != link && u != site+"/reset" {
						t.Errorf("unexpected link %q", u)
					}
				}
			})
		}
	})
}

func TestEMLFilesAreWrittenInTheSameTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "mail")
		svc := newService(t, db, mail.Config{Dir: dir})
		if !svc.UsesFiles() || svc.From() != `"Chorus" <noreply@music.example.org>` {
			t.Fatalf("default: files %v, From %q", svc.UsesFiles(), svc.From())
		}
		content := mail.VerifyEmail{Username: "ana", Link: site + "/verify?token=t", ValidFor: time.Hour}

		// A change that rolls back sends nothing.
		rollback := errors.New("changed my mind")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := svc.Send(ctx, tx, mail.Message{To: "ana@example.org", Content: content}); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		// A recipient that is not a plain address is refused.
		for _, bad := range []string{"", "Eve <eve@example.org>", "ana@example.org\r\nBcc: eve@example.org", "nope"} {
			if err := db.Tx(ctx, func(tx *store.Tx) error { return svc.Send(ctx, tx, mail.Message{To: bad, Content: content}) }); err == nil {
				t.Errorf("sent to %q", bad)
			}
		}

		send(t, db, svc, mail.Message{To: "ana@example.org", MemberID: 0, Content: content})
		m := waitOutbox(t, db, store.OutboxSent)
		if len(m.Body) != 0 || m.Attempts != 1 || m.EMLKey != mail.EMLName(m) {
			t.Fatalf("sent message: body %d bytes, attempts %d, file %q", len(m.Body), m.Attempts, m.EMLKey)
		}
		files := mustGlob(t, dir, "*")
		if len(files) != 1 || filepath.Base(files[0]) != m.EMLKey {
			t.Fatalf("mail directory holds %v, want only %s (no temporary files)", files, m.EMLKey)
		}
		raw, err := svc.ReadEML(m.EMLKey)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw, []byte("\r\n\r\n")) {
			t.Fatal("the file is not a message with CRLF line ends")
		}
		// The package's reader agrees with the standard library.
		got, err := mail.Parse(raw)
		want := parseMessage(t, raw)
		if err != nil || got.Text != want.text || got.HTML != want.html || got.Subject != "Confirm your email address on Chorus" {
			t.Fatalf("Parse: %v\ntext %q\nwant %q", err, got.Text, want.text)
		}
		for _, bad := range []string{"../chorus.db", "/etc/passwd", ".tmp-1.eml", "x.txt", "", filepath.Join("..", "mail", m.EMLKey)} {
			if _, err := svc.ReadEML(bad); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("ReadEML(%q): %v, want not exist", bad, err)
			}
		}
	})
}

func TestSMTPRetriesAfterATemporaryRefusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, implicit := range []bool{false, true} {
			// A subtest each, so that each queue stops before the next starts.
			t.Run(map[bool]string{false: "starttls", true: "implicit-tls"}[implicit], func(t *testing.T) {
				_, _ = db.SQL().Exec(`DELETE FROM outbox`)
				srv := mailtest.Start(t, mailtest.Options{ImplicitTLS: implicit, FailFirst: 1})
				svc := newService(t, db, mail.Config{SMTPURL: srv.URL()})
				if svc.UsesFiles() {
					t.Fatal("SMTP configured, but the service writes files")
				}
				link := site + "/reset/tok"
				send(t, db, svc, mail.Message{To: "ana@example.org", Content: mail.ResetPassword{Username: "ana", Link: link, ValidFor: time.Hour}})
				got := srv.WaitFor(t, "ana@example.org", 30*time.Second)
				if srv.Refused() != 1 {
					t.Fatalf("the server refused %d attempts, want 1", srv.Refused())
				}
				if !got.TLS || got.User != "chorus" || got.From != "noreply@music.example.org" {
					t.Fatalf("received over TLS %v, as %q, from %q", got.TLS, got.User, got.From)
				}
				p := parseMessage(t, got.Data)
				if p.header.Get("Subject") != "Reset your Chorus password" || !strings.Contains(p.text, link) || !strings.Contains(p.html, link) {
					t.Fatalf("received message: %q\n%s", p.header.Get("Subject"), p.text)
				}
				m := waitOutbox(t, db, store.OutboxSent)
				if m.Attempts != 2 || m.LastError != "" || len(m.Body) != 0 || m.EMLKey != "" {
					t.Fatalf("outbox after retry: attempts %d, error %q, body %d bytes, file %q", m.Attempts, m.LastError, len(m.Body), m.EMLKey)
				}
			})
		}
	})
}

func TestSMTPPermanentRefusalIsNotRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := mailtest.Start(t, mailtest.Options{RefuseRecipients: []string{"gone@example.org"}})
		var logs bytes.Buffer
		var mu sync.Mutex
		svc := newService(t, db, mail.Config{SMTPURL: srv.URL(), Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
		send(t, db, svc, mail.Message{To: "gone@example.org", Content: mail.VerifyEmail{Username: "x", Link: site, ValidFor: time.Hour}})
		m := waitOutbox(t, db, store.OutboxFailed)
		if m.Attempts != 1 || !strings.Contains(m.LastError, "550") || len(m.Body) != 0 {
			t.Fatalf("refused message: attempts %d, error %q, body %d bytes", m.Attempts, m.LastError, len(m.Body))
		}
		time.Sleep(1500 * time.Millisecond) // a retry would come after about a second
		if m, _ := db.OutboxMessage(context.Background(), m.ID); m.Attempts != 1 {
			t.Fatalf("a permanently refused message was tried %d times", m.Attempts)
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("the server got a message")
		}
		// The server's reply repeats the address; the log names the message only.
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(logs.String(), "mail not delivered") || strings.Contains(strings.ToLower(logs.String()), "gone@example.org") {
			t.Fatalf("log of a refused message:\n%s", logs.String())
		}
	})
}

// lockedWriter serialises writes to w, for a log read by the test.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSMTPNeverSendsWithoutTrustedTLS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// A server that offers no STARTTLS, and the right server with a
		// certificate authority that did not sign its certificate.
		plain := mailtest.Start(t, mailtest.Options{NoTLS: true})
		srv := mailtest.Start(t, mailtest.Options{})
		u, err := url.Parse(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		u.RawQuery = url.Values{"ca_file": {plain.CAFile}}.Encode()
		for _, tc := range []struct {
			server *mailtest.Server
			url    string
			err    string
		}{
			{plain, plain.URL(), "STARTTLS"},
			{srv, u.String(), "certificate"},
		} {
			t.Run(tc.err, func(t *testing.T) {
				_, _ = db.SQL().Exec(`DELETE FROM outbox`)
				svc := newService(t, db, mail.Config{SMTPURL: tc.url})
				send(t, db, svc, mail.Message{To: "ana@example.org", Content: mail.VerifyEmail{Username: "x", Link: site, ValidFor: time.Hour}})
				m := waitOutbox(t, db, store.OutboxRetrying)
				if !strings.Contains(m.LastError, tc.err) || len(m.Body) == 0 {
					t.Fatalf("message after a TLS failure: error %q, body %d bytes; want an error about %s and the body kept", m.LastError, len(m.Body), tc.err)
				}
				if len(tc.server.Messages()) != 0 {
					t.Fatalf("sent without trusted TLS (%s)", tc.err)
				}
			})
		}
	})
}

func TestParseSMTPURL(t *testing.T) {
	ca := mailtest.Start(t, mailtest.Options{}).CAFile
	for _, tc := range []struct {
		url, err    string
		host        string
		port        int
		implicit    bool
		user, pass  string
		withRootCAs bool
	}{
		{url: "smtp://mail.example.org", host: "mail.example.org", port: 587},
		{url: "smtps://mail.example.org", host: "mail.example.org", port: 465, implicit: true},
		{url: "smtp://u%40x:p%3Ass@mail.example.org:2525", host: "mail.example.org", port: 2525, user: "u@x", pass: "p:ss"},
		{url: "smtps://[::1]:4650?ca_file=" + ca, host: "::1", port: 4650, implicit: true, withRootCAs: true},
		{url: "http://mail.example.org", err: "smtp:// or smtps://"},
		{url: "smtp://", err: "no host"},
		{url: "smtp://mail.example.org:0", err: "port"},
		{url: "smtp://mail.example.org:99999", err: "port"},
		{url: "smtp://mail.example.org?insecure=1", err: "unknown parameter"},
		{url: "smtp://mail.example.org?ca_file=/nonexistent.pem", err: "ca_file"},
		{url: "smtp://mail.example.org?ca_file=" + filepath.Join(filepath.Dir(ca), "."), err: "ca_file"},
	} {
		st, err := mail.ParseSMTPURL(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one about %q", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil || st.Host != tc.host || st.Port != tc.port || st.ImplicitTLS != tc.implicit || st.Username != tc.user ||
			st.Password != tc.pass || (st.RootCAs != nil) != tc.withRootCAs {
			t.Errorf("%s: %+v %v", tc.url, st, err)
		}
	}
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"nadia.b@example.org":  "n•••@e•••.org",
		"é@bücher.de":          "é•••@b•••.de",
		"x@localhost":          "x•••@l•••",
		"not an address":       "•••",
		"@example.org":         "•••@e•••.org",
		"ana@mail.example.com": "a•••@m•••.com",
	} {
		if got := mail.MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustGlob(t *testing.T, dir, pattern string) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	// Glob skips names starting with a dot only for "*"; list them too.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			all = append(all, filepath.Join(dir, e.Name()))
		}
	}
	return all
}

// TestUnsubscribeHeaders: a message the member chose carries
// List-Unsubscribe (RFC 2369 §3.2) and List-Unsubscribe-Post (RFC 8058
// §3.1) and the link at its bottom, in the .eml file as on SMTP; account
// mail carries neither; a link that is not http(s) is refused.
func TestUnsubscribeHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		svc := newService(t, db, mail.Config{Dir: dir})
		link := site + "/unsubscribe/AbC_dEf-123"
		for _, tc := range []struct {
			unsubscribe string
			content     mail.Content
		}{
			{link, mail.Notification{Username: "ana", Category: "Replies", Subject: "kim replied", Text: "Nice.", Link: site + "/tracks/1"}},
			{link, mail.Digest{Username: "ana", Items: []mail.DigestItem{{Category: "New followers", Subject: "lea follows you"}}}},
			{link, mail.Newsletter{Subject: "Spring news", Text: "**News**", HTML: "<p><strong>News</strong></p>"}},
			{"", mail.ResetPassword{Username: "ana", Link: site + "/reset/x", ValidFor: time.Hour}},
		} {
			t.Run(tc.content.TemplateName(), func(t *testing.T) {
				for _, f := range mustGlob(t, dir, "*.eml") {
					_ = os.Remove(f)
				}
				_, _ = db.SQL().Exec(`DELETE FROM outbox`)
				send(t, db, svc, mail.Message{To: "ana@example.org", Content: tc.content, Unsubscribe: tc.unsubscribe})
				m := waitOutbox(t, db, store.OutboxSent)
				raw, err := svc.ReadEML(m.EMLKey)
				if err != nil {
					t.Fatal(err)
				}
				p := parseMessage(t, raw)
				wantList, wantPost := "", ""
				if tc.unsubscribe != "" {
					wantList, wantPost = "<"+link+">", "List-Unsubscribe=One-Click"
				}
				if got := p.header.Get("List-Unsubscribe"); got != wantList {
					t.Errorf("List-Unsubscribe %q, want %q", got, wantList)
				}
				if got := p.header.Get("List-Unsubscribe-Post"); got != wantPost {
					t.Errorf("List-Unsubscribe-Post %q, want %q", got, wantPost)
				}
				for part, body := range map[string]string{"text": p.text, "html": p.html} {
					if has := strings.Contains(body, link); has != (tc.unsubscribe != "") {
						t.Errorf("%s part: unsubscribe link present %v", part, has)
					}
				}
			})
		}
		err := db.Tx(context.Background(), func(tx *store.Tx) error {
			return svc.Send(context.Background(), tx, mail.Message{To: "ana@example.org", Content: mail.Newsletter{Subject: "x"}, Unsubscribe: "javascript:alert(1)"})
		})
		if err == nil {
			t.Error("a javascript: unsubscribe link was accepted")
		}
	})
}
