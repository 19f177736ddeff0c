// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) on
// the loopback interface for tests: TLS with a certificate of its own (by
// STARTTLS or implicit TLS), authentication, and refusals on demand. It
// keeps every message it accepts.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	// ImplicitTLS serves TLS from the first byte (smtps://); otherwise the
	// server offers STARTTLS and refuses mail before it.
	ImplicitTLS bool
	// FailFirst is how many messages are refused, after their data was
	// sent, with "451 4.3.0 try again later" before the server accepts.
	FailFirst int
	// RefuseRecipients are refused for good, with a reply that repeats the
	// address as real servers do: "550 5.1.1 <ADDR>: Recipient address rejected".
	RefuseRecipients []string
	// NoTLS offers no STARTTLS and takes logins and mail in clear text,
	// like a badly configured relay, which Chorus must refuse to use.
	NoTLS bool
}

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
	// TLS and User say how the client sent it: over TLS, and logged in as User.
	TLS  bool
	User string
}

// Server is a running SMTP server; Close (run at the end of the test)
// stops it.
type Server struct {
	// Addr is host:port.
	Addr string
	// CAFile is a PEM file of the certificate the server presents.
	CAFile             string
	Username, Password string

	opt     Options
	srv     *smtp.Server
	mu      sync.Mutex
	got     []Received
	refused int // messages refused with 451 so far
	arrival chan struct{}
}

// Start runs a server on 127.0.0.1 with a fresh certificate for 127.0.0.1
// and localhost and the login "chorus" / "relay password".
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	s := &Server{opt: opt, Username: "chorus", Password: "relay password", arrival: make(chan struct{}, 1)}
	cert, pemBytes := selfSigned(tb)
	s.CAFile = filepath.Join(tb.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(s.CAFile, pemBytes, 0o600); err != nil {
		tb.Fatal(err)
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	s.srv.Domain = "localhost"
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if opt.NoTLS {
		s.srv.AllowInsecureAuth = true
	} else {
		s.srv.TLSConfig = tlsConfig
	}
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if opt.ImplicitTLS {
		ln = tls.NewListener(ln, tlsConfig)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	tb.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// URL is the CHORUS_SMTP_URL that sends through this server.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.opt.ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(s.Username, s.Password), Host: s.Addr,
		RawQuery: url.Values{"ca_file": {s.CAFile}}.Encode()}
	return u.String()
}

// Refused returns how many messages were refused with a 4xx so far.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// WaitFor waits until a message to the address to has arrived and returns
// the latest one; it fails the test after timeout.
func (s *Server) WaitFor(tb testing.TB, to string, timeout time.Duration) Received {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		msgs := s.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if slices.Contains(msgs[i].To, to) {
				return msgs[i]
			}
		}
		select {
		case <-s.arrival:
		case <-deadline:
			tb.Fatalf("no message to %s within %s (got %d messages)", to, timeout, len(msgs))
		}
	}
}

type session struct {
	s    *Server
	c    *smtp.Conn
	user string
	from string
	to   []string
}

var errAuthFirst = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != x.s.Username || password != x.s.Password {
			return errors.New("invalid credentials")
		}
		x.user = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if _, ok := x.c.TLSConnectionState(); !ok && !x.s.opt.NoTLS {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	if x.user == "" {
		return errAuthFirst
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if slices.Contains(x.s.opt.RefuseRecipients, to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: no such user here"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused < s.opt.FailFirst {
		s.refused++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	_, tlsOn := x.c.TLSConnectionState()
	s.got = append(s.got, Received{From: x.from, To: slices.Clone(x.to), Data: b, TLS: tlsOn, User: x.user})
	select {
	case s.arrival <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, valid for a day.
func selfSigned(tb testing.TB) (tls.Certificate, []byte) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Chorus test SMTP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		tb.Fatal(fmt.Errorf("test certificate: %w", err))
	}
	return cert, certPEM
}
