// Package mail sends Chorus's email. A message is rendered from embedded
// templates (a plain-text and an HTML part, multipart/alternative), stored
// in the outbox table and given a send job in the same transaction as the
// change that causes it, so that it goes out exactly when that change is
// committed. The job queue delivers it and retries with backoff: by SMTP
// (github.com/wneessen/go-mail) when an SMTP URL is configured, otherwise
// as an .eml file in a directory, which an admin reads on /admin/mail.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/jobs"
	"chorus/internal/store"
)

// Config configures a Service.
type Config struct {
	// BaseURL is the public origin of the site ("https://music.example.org"):
	// the footer of every message names it, and the default From address
	// is at its host.
	BaseURL string
	// From is the From address (an RFC 5322 mailbox, "Chorus
	// <noreply@example.org>"); empty means "Chorus <noreply@HOST>" with
	// the host of BaseURL.
	From string
	// SMTPURL selects SMTP delivery (see ParseSMTPURL); empty writes each
	// message as an .eml file in Dir.
	SMTPURL string
	// Dir receives the .eml files when SMTPURL is empty (DATA_DIR/mail).
	Dir    string
	Logger *slog.Logger
}

// Enqueuer puts a send job for an outbox row in a transaction; the job
// queue (jobs.Queue) is one.
type Enqueuer interface {
	EnqueueSendMail(ctx context.Context, tx *store.Tx, outboxID int64) error
}

// Service renders, queues and delivers messages.
type Service struct {
	DB *store.DB
	// Queue receives the send jobs. It is set after the job queue is
	// built, since the queue runs this service's deliveries.
	Queue Enqueuer

	cfg       Config
	from      *netmail.Address
	templates map[string]templatePair
	transport transport
	logger    *slog.Logger
}

// Message is one message to send.
type Message struct {
	// To is the recipient's address (RFC 5322 addr-spec).
	To string
	// MemberID is the member the message concerns (0 for none); it ties
	// the send log to the member for their data export and erasure.
	MemberID int64
	Content  Content
	// Unsubscribe is the one-click unsubscribe URL of a message the
	// member chose to receive (notifications, digests, newsletters), ""
	// for account mail. When set, the message carries it at its bottom
	// and in the List-Unsubscribe header (RFC 2369 §3.2) with
	// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 §3.1).
	// It must be an https:// or http:// URL without a member id or
	// address in it.
	Unsubscribe string
}

// New parses the templates and the delivery settings. It connects to
// nothing and creates no directory: that happens on the first delivery.
func New(db *store.DB, cfg Config) (*Service, error) {
	s := &Service{DB: db, cfg: cfg, logger: cfg.Logger}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.from, err = fromAddress(cfg.From, cfg.BaseURL); err != nil {
		return nil, err
	}
	if s.templates, err = parseTemplates(); err != nil {
		return nil, err
	}
	if cfg.SMTPURL == "" {
		if cfg.Dir == "" {
			return nil, errors.New("mail: a directory for .eml files is needed when no SMTP URL is set")
		}
		s.transport = emlDir{dir: cfg.Dir}
	} else {
		st, err := newSMTP(cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		s.transport = st
	}
	return s, nil
}

// fromAddress is the configured From, or "Chorus <noreply@HOST>".
func fromAddress(from, baseURL string) (*netmail.Address, error) {
	if from == "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Hostname() == "" {
			return nil, fmt.Errorf("mail: no From address and no base URL to make one from (%q)", baseURL)
		}
		from = "Chorus <noreply@" + u.Hostname() + ">"
	}
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: From address %q: %w", from, err)
	}
	return a, nil
}

// From returns the From address of every message.
func (s *Service) From() string { return s.from.String() }

// UsesFiles reports whether messages are written as .eml files (no SMTP).
func (s *Service) UsesFiles() bool {
	_, ok := s.transport.(emlDir)
	return ok
}

// Send renders m and queues it in tx: the message exists, and will be
// delivered, exactly when tx commits. The message carries the headers of
// RFC 5322 §3.6 (Date, Message-ID, From, To, Subject), MIME-Version (RFC
// 2045) and Auto-Submitted: auto-generated (RFC 3834 §5), which tells
// auto-responders not to answer it.
func (s *Service) Send(ctx context.Context, tx *store.Tx, m Message) error {
	_, err := s.Enqueue(ctx, tx, m)
	return err
}

// Enqueue is Send, returning the id of the outbox message.
func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, m Message) (int64, error) {
	if s.Queue == nil {
		return 0, errors.New("mail: no job queue to send with")
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil || to.Name != "" {
		return 0, errors.New("mail: the recipient is not a plain email address")
	}
	if m.Unsubscribe != "" {
		if u, err := url.Parse(m.Unsubscribe); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return 0, fmt.Errorf("mail: the unsubscribe link %q is not an http(s) URL", m.Unsubscribe)
		}
	}
	r, err := render(s.templates, s.cfg.BaseURL, m.Content, m.Unsubscribe)
	if err != nil {
		return 0, err
	}
	body, err := s.compose(to, r, tx.Now, m.Unsubscribe)
	if err != nil {
		return 0, err
	}
	id, err := tx.InsertOutbox(ctx, store.NewOutboxMessage{MemberID: m.MemberID, To: to.Address,
		Template: m.Content.TemplateName(), Subject: r.Subject, Body: body})
	if err != nil {
		return 0, err
	}
	return id, s.Queue.EnqueueSendMail(ctx, tx, id)
}

// compose builds the message as it goes on the wire. It is built once,
// when queued, so that every attempt sends the same bytes with the same
// Message-ID.
func (s *Service) compose(to *netmail.Address, r rendered, date time.Time, unsubscribe string) ([]byte, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(r.Subject)
	msg.SetDateWithValue(date)
	msg.SetMessageIDWithValue(randomHex(16) + "@" + domainOf(s.from.Address))
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if unsubscribe != "" {
		// RFC 2369 §3.2 and RFC 8058 §3.1: one https URI in angle
		// brackets, and the key/value a mail provider POSTs to it.
		msg.SetGenHeader("List-Unsubscribe", "<"+unsubscribe+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("compose message: %w", err)
	}
	return b.Bytes(), nil
}

func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SendMail delivers the outbox message id: it is the work of a send job.
// attempt counts from 1; final is true on the last attempt. A delivery
// that fails is recorded on the message and returned, so that the queue
// tries again later; a refusal that retrying cannot change (an SMTP 5xx
// reply to the sender, recipient or data, RFC 5321 §4.2.1) wraps
// jobs.ErrPermanent. A message already sent or given up is not sent again.
func (s *Service) SendMail(ctx context.Context, id int64, attempt int, final bool) error {
	m, err := s.DB.OutboxMessage(ctx, id)
	if errors.Is(err, chorus.ErrNotFound) {
		return fmt.Errorf("outbox message %d: %w", id, jobs.ErrPermanent)
	}
	if err != nil {
		return err
	}
	if m.Status() == store.OutboxSent || m.Status() == store.OutboxFailed {
		return nil
	}
	if err := s.askRegister(ctx, m); err != nil {
		// Retrying cannot help until an admin fixes the register; the
		// message stays in the outbox, marked, for /admin/mail to show.
		if merr := s.DB.MarkOutboxFailed(ctx, id, err.Error(), true); merr != nil {
			return errors.Join(err, merr)
		}
		s.logger.Error("mail held: not sent to the SMTP relay", "outbox_id", id, "template", m.Template, "member_id", m.MemberID, "err", err)
		return fmt.Errorf("%w: %w", jobs.ErrPermanent, err)
	}
	key, err := s.transport.deliver(ctx, m, s.from.Address)
	if err != nil {
		var refused *refusedError
		permanent := errors.As(err, &refused)
		// A mail server's reply often repeats the recipient's address.
		err = withoutAddress{err: err, addr: m.To}
		if merr := s.DB.MarkOutboxFailed(ctx, id, err.Error(), final || permanent); merr != nil {
			err = errors.Join(err, merr)
		}
		// The address is personal data: the log names the message only.
		s.logger.Warn("mail not delivered", "outbox_id", id, "template", m.Template, "attempt", attempt, "final", final || permanent, "err", err)
		if permanent {
			return fmt.Errorf("%w: %w", jobs.ErrPermanent, err)
		}
		return err
	}
	if err := s.DB.MarkOutboxSent(ctx, id, key); err != nil {
		if errors.Is(err, chorus.ErrNotFound) {
			// The account was erased while the message was on its way:
			// its file goes too.
			return errors.Join(s.DeleteEML(key), fmt.Errorf("outbox message %d: %w", id, jobs.ErrPermanent))
		}
		return err
	}
	s.logger.Info("mail delivered", "outbox_id", id, "template", m.Template, "attempt", attempt)
	return nil
}

// MessageCategories are the data categories every message gives the
// transport: the recipient's address and the message's content.
var MessageCategories = []datamap.Category{datamap.Email, datamap.Communications}

// askRegister asks the processors register whether m may go to the SMTP
// relay (GDPR Art. 28(3)(a): a processor gets only what it is registered
// for): the relay must be registered for MessageCategories, and when it
// is outside the EU/EEA the member the message concerns must not have
// refused transfers there. Files on the site's own disk need no processor.
func (s *Service) askRegister(ctx context.Context, m store.OutboxMessage) error {
	if s.UsesFiles() {
		return nil
	}
	p, err := s.DB.ProcessorByConfigKey(ctx, datamap.ConfigSMTP)
	if errors.Is(err, chorus.ErrNotFound) {
		return errors.New("held: the SMTP relay is not in the processors register (Admin, Processors)")
	}
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range MessageCategories {
		if !p.Receives(c) {
			missing = append(missing, string(c))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("held: the processors register does not list %s for the SMTP relay %q (Admin, Processors)", strings.Join(missing, ", "), p.Name)
	}
	if p.Abroad() && m.MemberID != 0 {
		refused, err := s.DB.TransfersRefused(ctx, m.MemberID)
		if err != nil {
			return err
		}
		if refused {
			return fmt.Errorf("held: the member refused transfers outside the EU/EEA, and the SMTP relay %q is in %s", p.Name, p.Country)
		}
	}
	return nil
}

// withoutAddress is an error whose text has every mention of addr (an
// email address, personal data) replaced, for the logs and the job queue.
type withoutAddress struct {
	err  error
	addr string
}

func (e withoutAddress) Error() string {
	text := e.err.Error()
	if e.addr == "" {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if n := len(e.addr); i+n <= len(text) && strings.EqualFold(text[i:i+n], e.addr) {
			b.WriteString("[recipient]")
			i += n
			continue
		}
		b.WriteByte(text[i])
		i++
	}
	return b.String()
}

func (e withoutAddress) Unwrap() error { return e.err }
