package notify

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"chorus/internal/chorus"
	"chorus/internal/mail"
	"chorus/internal/markup"
	"chorus/internal/store"
)

// Limits of a newsletter, in characters.
const (
	MaxSubject = 200
	MaxBody    = 100_000
)

// RenderMarkdown renders a newsletter's Markdown to sanitised HTML.
func RenderMarkdown(src string) (htmltemplate.HTML, error) {
	return markup.Document(src), nil
}

// CheckNewsletter validates a newsletter's subject and Markdown body: both
// needed, within MaxSubject and MaxBody characters, valid text. The error
// is a *chorus.InvalidError naming the field.
func CheckNewsletter(subject, body string) (string, string, error) {
	subject = strings.Join(strings.Fields(subject), " ")
	body = strings.ReplaceAll(strings.TrimSpace(body), "\r\n", "\n")
	inv := &chorus.InvalidError{}
	switch {
	case subject == "":
		inv.Add("subject", "Write a subject.")
	case !utf8.ValidString(subject) || strings.ContainsRune(subject, 0):
		inv.Add("subject", "The subject holds characters that are not text.")
	case utf8.RuneCountInString(subject) > MaxSubject:
		inv.Add("subject", fmt.Sprintf("Keep the subject to %d characters.", MaxSubject))
	}
	switch {
	case body == "":
		inv.Add("body", "Write the newsletter.")
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		inv.Add("body", "The text holds characters that are not text.")
	case utf8.RuneCountInString(body) > MaxBody:
		inv.Add("body", fmt.Sprintf("Keep the newsletter to %d characters.", MaxBody))
	}
	return subject, body, inv.Err()
}

func newsletterContent(n store.Newsletter) (mail.Newsletter, error) {
	h, err := RenderMarkdown(n.Body)
	return mail.Newsletter{Subject: n.Subject, Text: n.Body, HTML: h}, err
}

// SendNewsletterTest sends the newsletter to the admin who asks, as the
// members will get it, unsubscribe link included.
func (s *Service) SendNewsletterTest(ctx context.Context, id int64, admin chorus.Member) error {
	n, err := s.DB.Newsletter(ctx, id)
	if err != nil {
		return err
	}
	c, err := newsletterContent(n)
	if err != nil {
		return err
	}
	c.Subject = "[Test] " + c.Subject
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		link, err := s.unsubscribeLink(ctx, tx, admin.ID, Newsletter)
		if err != nil {
			return err
		}
		return s.Mail.Send(ctx, tx, mail.Message{To: admin.Email, MemberID: admin.ID, Unsubscribe: link, Content: c})
	})
}

// StartNewsletter starts sending: in one transaction it records the start
// and makes one recipient row for every member subscribed at this moment
// (confirmed address, not suspended). It returns how many; a newsletter
// already started is chorus.ErrConflict. SendNewsletterBatch then sends.
func (s *Service) StartNewsletter(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.StartNewsletter(ctx, id, string(Newsletter))
		return err
	})
	return n, err
}

// SendNewsletterBatch queues the newsletter of up to limit pending
// recipients and returns how many it queued or skipped. Each recipient's
// message goes into the outbox in the transaction that marks the
// recipient done, so a crash at any point leaves every recipient either
// still pending or queued exactly once, and a restart carries on. A
// member who unsubscribed, was suspended or lost their confirmed address
// since sending started is skipped.
func (s *Service) SendNewsletterBatch(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	pending, err := s.DB.PendingNewsletterRecipients(ctx, limit)
	if err != nil {
		return 0, err
	}
	contents := map[int64]mail.Newsletter{}
	done := 0
	for _, r := range pending {
		c, ok := contents[r.NewsletterID]
		if !ok {
			n, err := s.DB.Newsletter(ctx, r.NewsletterID)
			if errors.Is(err, chorus.ErrNotFound) {
				continue
			}
			if err != nil {
				return done, err
			}
			if c, err = newsletterContent(n); err != nil {
				return done, err
			}
			contents[r.NewsletterID] = c
		}
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			m, err := tx.Member(ctx, r.MemberID)
			if err != nil {
				return err
			}
			stored, err := tx.EmailPreferences(ctx, r.MemberID)
			if err != nil {
				return err
			}
			if withDefaults(stored)[Newsletter] != Immediate || !m.EmailVerified || m.Suspended {
				_, err := tx.ClaimNewsletterRecipient(ctx, r, store.RecipientSkipped)
				return err
			}
			claimed, err := tx.ClaimNewsletterRecipient(ctx, r, store.RecipientQueued)
			if err != nil || !claimed {
				return err // taken by another process: nothing was written
			}
			link, err := s.unsubscribeLink(ctx, tx, m.ID, Newsletter)
			if err != nil {
				return err
			}
			outboxID, err := s.Mail.Enqueue(ctx, tx, mail.Message{To: m.Email, MemberID: m.ID, Unsubscribe: link, Content: c})
			if err != nil {
				return err
			}
			return tx.SetNewsletterRecipientOutbox(ctx, r, outboxID)
		})
		if errors.Is(err, chorus.ErrNotFound) {
			continue // the member was erased meanwhile; their row went with them
		}
		if err != nil {
			return done, fmt.Errorf("newsletter %d to member %d: %w", r.NewsletterID, r.MemberID, err)
		}
		done++
	}
	return done, nil
}

// Pacer spreads sending over time at Rate messages a minute: each call of
// Allow returns how many may go now, from the time since the last call.
// Unused allowance is kept for at most a second's worth (or one message),
// so a pause does not end in a burst.
type Pacer struct {
	Rate int // messages a minute

	mu     sync.Mutex
	last   time.Time
	budget float64
}

// Allow returns how many messages may be sent at now.
func (p *Pacer) Allow(now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last.IsZero() {
		p.last = now
		p.budget = 1
	}
	p.budget += now.Sub(p.last).Minutes() * float64(p.Rate)
	p.budget = min(p.budget, max(1, float64(p.Rate)/60))
	p.last = now
	n := int(p.budget)
	return n
}

// Spend records that n messages went out.
func (p *Pacer) Spend(n int) {
	p.mu.Lock()
	p.budget -= float64(n)
	p.mu.Unlock()
}
