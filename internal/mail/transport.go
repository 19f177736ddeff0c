package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"chorus/internal/store"
)

// transport delivers one stored message. It returns the name of the .eml
// file it wrote, or "" when it sent the message elsewhere.
type transport interface {
	deliver(ctx context.Context, m store.OutboxMessage, from string) (emlKey string, err error)
}

// refusedError is a refusal that retrying cannot change.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// emlDir writes each message as a file DIR/NAME.eml (RFC 5322 message, the
// format mail programs open), under a name made from the message's time and
// id, so that a retry after a crash rewrites the same file.
type emlDir struct{ dir string }

// EMLName is the file name of a stored message: "20300501T120000Z-42.eml".
func EMLName(m store.OutboxMessage) string {
	return m.CreatedAt.UTC().Format("20060102T150405Z") + "-" + strconv.FormatInt(m.ID, 10) + ".eml"
}

func (d emlDir) deliver(ctx context.Context, m store.OutboxMessage, _ string) (string, error) {
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return "", fmt.Errorf("create the mail directory: %w", err)
	}
	name := EMLName(m)
	// Write beside, then rename: a reader sees the whole file or none.
	tmp, err := os.CreateTemp(d.dir, ".tmp-*.eml")
	if err != nil {
		return "", fmt.Errorf("write message file: %w", err)
	}
	_, err = tmp.Write(m.Body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o640)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(d.dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("write message file: %w", err)
	}
	return name, nil
}

// ReadEML returns the .eml file of a message written to the mail
// directory, or an error wrapping fs.ErrNotExist. key is the name the
// outbox row holds; a name that would leave the directory is refused.
func (s *Service) ReadEML(key string) ([]byte, error) {
	if s.cfg.Dir == "" || key == "" || strings.HasPrefix(key, ".") || !strings.HasSuffix(key, ".eml") || filepath.Base(key) != key {
		return nil, fmt.Errorf("message file %q: %w", key, os.ErrNotExist)
	}
	root, err := os.OpenRoot(s.cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(key)
}

// DeleteEML deletes the .eml file of a message written to the mail
// folder (account erasure); a file already gone, or a key that does not
// name a message file, is not an error.
func (s *Service) DeleteEML(key string) error {
	if s.cfg.Dir == "" || key == "" || strings.HasPrefix(key, ".") || !strings.HasSuffix(key, ".eml") || filepath.Base(key) != key {
		return nil
	}
	root, err := os.OpenRoot(s.cfg.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Remove(key); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// SMTPSettings is what an SMTP URL says; see ParseSMTPURL.
type SMTPSettings struct {
	Host string
	Port int
	// ImplicitTLS is true for smtps:// (TLS from the first byte, RFC 8314
	// §3.3); otherwise STARTTLS (RFC 3207) is required before anything is
	// sent, and a server that does not offer it is not used.
	ImplicitTLS        bool
	Username, Password string // empty for no authentication
	// RootCAs, from the ca_file parameter, replaces the system's trusted
	// certificate authorities (a relay with a private CA); nil uses the
	// system's.
	RootCAs *x509.CertPool
}

// ParseSMTPURL reads an SMTP URL:
//
//	smtp://[USER:PASSWORD@]HOST[:PORT][?ca_file=PATH]   STARTTLS required, port 587 by default
//	smtps://[USER:PASSWORD@]HOST[:PORT][?ca_file=PATH]  implicit TLS, port 465 by default
//
// User and password are percent-encoded; when given, the client
// authenticates (SMTP AUTH, RFC 4954) with the best mechanism the server
// offers, over TLS only. ca_file names a PEM file of certificate
// authorities to trust instead of the system's. There is no way to send
// without TLS.
func ParseSMTPURL(raw string) (SMTPSettings, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPSettings{}, errors.New("the SMTP URL is not a URL")
	}
	var st SMTPSettings
	switch u.Scheme {
	case "smtp":
		st.Port = 587
	case "smtps":
		st.Port, st.ImplicitTLS = 465, true
	default:
		return st, fmt.Errorf("the SMTP URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	if st.Host = u.Hostname(); st.Host == "" {
		return st, errors.New("the SMTP URL names no host")
	}
	if p := u.Port(); p != "" {
		if st.Port, err = strconv.Atoi(p); err != nil || st.Port < 1 || st.Port > 65535 {
			return st, fmt.Errorf("the SMTP URL's port %q is not a number from 1 to 65535", p)
		}
	}
	if u.User != nil {
		st.Username = u.User.Username()
		st.Password, _ = u.User.Password()
	}
	for k, v := range u.Query() {
		switch k {
		case "ca_file":
			pem, err := os.ReadFile(v[0])
			if err != nil {
				return st, fmt.Errorf("the SMTP URL's ca_file: %w", err)
			}
			st.RootCAs = x509.NewCertPool()
			if !st.RootCAs.AppendCertsFromPEM(pem) {
				return st, fmt.Errorf("the SMTP URL's ca_file %s holds no PEM certificate", v[0])
			}
		default:
			return st, fmt.Errorf("the SMTP URL has an unknown parameter %q (the only one is ca_file)", k)
		}
	}
	return st, nil
}

// smtpTransport sends through one SMTP server, one connection a message.
type smtpTransport struct {
	st SMTPSettings
}

func newSMTP(raw string) (*smtpTransport, error) {
	st, err := ParseSMTPURL(raw)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return &smtpTransport{st: st}, nil
}

// smtpTimeout bounds each step of talking to the server.
const smtpTimeout = 30 * time.Second

func (t *smtpTransport) deliver(ctx context.Context, m store.OutboxMessage, from string) (string, error) {
	st := t.st
	opts := []gomail.Option{
		gomail.WithPort(st.Port),
		gomail.WithTimeout(smtpTimeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: st.Host, RootCAs: st.RootCAs, MinVersion: tls.VersionTLS12}),
	}
	if st.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if st.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(st.Username), gomail.WithPassword(st.Password))
	}
	c, err := gomail.NewClient(st.Host, opts...)
	if err != nil {
		return "", fmt.Errorf("SMTP client: %w", err)
	}
	// Failing to connect, to agree on TLS or to log in is worth retrying:
	// the server may be back, or its settings fixed, by the next attempt.
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", fmt.Errorf("connect to the SMTP server %s:%d: %w", st.Host, st.Port, err)
	}
	defer func() { _ = c.CloseWithSMTPClient(sc) }()
	if err := sc.Mail("<" + from + ">"); err != nil {
		return "", smtpError("MAIL FROM", err)
	}
	if err := sc.Rcpt("<" + m.To + ">"); err != nil {
		return "", smtpError("RCPT TO", err)
	}
	w, err := sc.Data()
	if err != nil {
		return "", smtpError("DATA", err)
	}
	if _, err := w.Write(m.Body); err != nil {
		_ = w.Close()
		return "", fmt.Errorf("send the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", smtpError("end of DATA", err)
	}
	return "", nil
}

// smtpError says which step the server refused; a permanent negative
// reply (5yz, RFC 5321 §4.2.1) is a refusedError.
func smtpError(step string, err error) error {
	err = fmt.Errorf("the SMTP server refused %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return &refusedError{err: err}
	}
	return err
}
