// Package notify sends the email a member chooses to receive, apart from
// the messages about their account: notifications of events (each
// category off, at once, or in a daily digest), and newsletters (off
// unless the member subscribes). Every such message carries a one-click
// unsubscribe link (RFC 2369, RFC 8058) whose token is random and kept
// only as a hash; following it needs no login and holds for every later
// send.
package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// Category is a kind of email a member can turn on or off.
type Category string

// The notification categories, and newsletters.
const (
	NewFollower Category = "new_follower"
	Comment     Category = "comment"     // a comment on the member's music
	Reply       Category = "reply"       // a reply to the member's comment or post
	Mention     Category = "mention"     // an @username mention
	NewRelease  Category = "new_release" // a release by an artist or member they follow
	Moderation  Category = "moderation"  // a moderator's decision about their content
	Newsletter  Category = "newsletter"
	// digestCategory names the unsubscribe link of a digest: it turns off
	// every category the member gets as a digest.
	digestCategory Category = "digest"
)

// Delivery is how a member gets mail of a category.
type Delivery string

// The ways of delivery. Newsletters are Off or Immediate.
const (
	Off       Delivery = "off"
	Immediate Delivery = "immediate"
	Digest    Delivery = "digest"
)

// Kind describes a category for the settings page.
type Kind struct {
	Category Category
	Label    string // "New followers"
	About    string // what the member is told
	// Default applies until the member chooses: immediate where someone
	// speaks to the member directly (replies, mentions), a daily digest
	// for the rest, so that mail stays few (the data map says why).
	Default Delivery
}

// Kinds lists the notification categories in the order of the settings
// page. Newsletters are apart: see Newsletter.
var Kinds = []Kind{
	{NewFollower, "New followers", "Someone follows you or your artist.", Digest},
	{Comment, "Comments on your music", "Someone comments on your track, album or artist page.", Digest},
	{Reply, "Replies", "Someone replies to your comment or post.", Immediate},
	{Mention, "Mentions", "Someone mentions you with @username.", Immediate},
	{NewRelease, "New releases", "An artist or member you follow publishes music.", Digest},
	{Moderation, "Moderation decisions", "A moderator decides about something you posted.", Digest},
}

// KindOf returns the description of a notification category.
func KindOf(c Category) (Kind, bool) {
	for _, k := range Kinds {
		if k.Category == c {
			return k, true
		}
	}
	return Kind{}, false
}

// DigestPeriod is how long notifications wait for a digest: a member's
// digest goes out once the oldest event in it is this old.
const DigestPeriod = 24 * time.Hour

// Event is what a notification says. Subject is one line; Text is plain
// text written by Chorus (quote members' words, do not pass their
// markup); Link is the event's page as an absolute URL on the site, or "".
type Event struct {
	Subject, Text, Link string
}

// Service sends notifications, digests and newsletters.
type Service struct {
	DB   *store.DB
	Mail *mail.Service
	// BaseURL is the public origin, for unsubscribe links.
	BaseURL string
	Logger  *slog.Logger
}

// Preferences returns the member's delivery for every notification
// category and for newsletters, defaults filled in.
func (s *Service) Preferences(ctx context.Context, memberID int64) (map[Category]Delivery, error) {
	stored, err := s.DB.EmailPreferences(ctx, memberID)
	if err != nil {
		return nil, err
	}
	return withDefaults(stored), nil
}

func withDefaults(stored map[string]string) map[Category]Delivery {
	out := map[Category]Delivery{Newsletter: Off}
	for _, k := range Kinds {
		out[k.Category] = k.Default
	}
	for c, d := range stored {
		if _, ok := out[Category(c)]; ok {
			out[Category(c)] = Delivery(d)
		}
	}
	return out
}

// SetPreferences records the member's choices in tx. A category that is
// not one of Kinds or Newsletter, a delivery that is not one of the three,
// or Digest for newsletters is a *chorus.InvalidError.
func SetPreferences(ctx context.Context, tx *store.Tx, memberID int64, choices map[Category]Delivery) error {
	inv := &chorus.InvalidError{}
	for c, d := range choices {
		_, known := KindOf(c)
		switch {
		case c == Newsletter && d != Off && d != Immediate:
			inv.Add(string(c), "Newsletters are either on or off.")
		case !known && c != Newsletter:
			inv.Add(string(c), "There is no such kind of email.")
		case d != Off && d != Immediate && d != Digest:
			inv.Add(string(c), "Choose off, at once, or in a daily digest.")
		}
	}
	if err := inv.Err(); err != nil {
		return err
	}
	for c, d := range choices {
		if err := tx.SetEmailPreference(ctx, memberID, string(c), string(d)); err != nil {
			return err
		}
	}
	return nil
}

// Email tells the member of an event of category c by email, as their
// preference says, in tx (the transaction of the change that causes the
// event): nothing when they turned the category off, a message now
// (through mail.Service, in the outbox with tx) when immediate, or a line
// in their next daily digest. A member whose address is not confirmed, or
// who is suspended, gets nothing. An unknown category or an empty
// subject is an error: a mistake in the calling code.
func (s *Service) Email(ctx context.Context, tx *store.Tx, memberID int64, c Category, e Event) error {
	k, ok := KindOf(c)
	if !ok {
		return fmt.Errorf("notify: unknown category %q", c)
	}
	e.Subject = strings.Join(strings.Fields(e.Subject), " ")
	if e.Subject == "" {
		return errors.New("notify: an event needs a subject")
	}
	m, err := tx.Member(ctx, memberID)
	if err != nil {
		return err
	}
	if !m.EmailVerified || m.Suspended {
		return nil
	}
	stored, err := tx.EmailPreferences(ctx, memberID)
	if err != nil {
		return err
	}
	switch withDefaults(stored)[c] {
	case Immediate:
		link, err := s.unsubscribeLink(ctx, tx, memberID, c)
		if err != nil {
			return err
		}
		return s.Mail.Send(ctx, tx, mail.Message{To: m.Email, MemberID: m.ID, Unsubscribe: link,
			Content: mail.Notification{Username: m.Username, Category: k.Label, Subject: e.Subject, Text: e.Text, Link: e.Link}})
	case Digest:
		return tx.AddDigestEvent(ctx, store.DigestEvent{MemberID: memberID, Category: string(c), Subject: e.Subject, Body: e.Text, Link: e.Link})
	}
	return nil
}

// SendDigests queues a digest for every member whose oldest waiting
// notification is at least DigestPeriod old at now, and returns how many
// it queued. Each digest is queued in the transaction that deletes its
// events, so an event goes in exactly one digest; events of a category
// the member has turned off since are dropped. chorus serve runs it every
// few minutes.
func (s *Service) SendDigests(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.DB.MembersDueDigest(ctx, now.Add(-DigestPeriod))
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, id := range ids {
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			events, err := tx.TakeDigestEvents(ctx, id)
			if err != nil || len(events) == 0 {
				return err
			}
			m, err := tx.Member(ctx, id)
			if err != nil {
				return err
			}
			if !m.EmailVerified || m.Suspended {
				return nil
			}
			stored, err := tx.EmailPreferences(ctx, id)
			if err != nil {
				return err
			}
			prefs := withDefaults(stored)
			var items []mail.DigestItem
			for _, e := range events {
				if prefs[Category(e.Category)] == Off {
					continue
				}
				k, _ := KindOf(Category(e.Category))
				items = append(items, mail.DigestItem{Category: k.Label, Subject: e.Subject, Text: e.Body, Link: e.Link, At: e.CreatedAt})
			}
			if len(items) == 0 {
				return nil
			}
			link, err := s.unsubscribeLink(ctx, tx, id, digestCategory)
			if err != nil {
				return err
			}
			sent++
			return s.Mail.Send(ctx, tx, mail.Message{To: m.Email, MemberID: m.ID, Unsubscribe: link,
				Content: mail.Digest{Username: m.Username, Items: items}})
		})
		if err != nil {
			return sent, fmt.Errorf("digest of member %d: %w", id, err)
		}
	}
	return sent, nil
}

// unsubscribeLink makes a new random token that turns off category c for
// the member, stores its SHA-256, and returns BASE/unsubscribe/TOKEN. The
// URL names neither the member nor their address.
func (s *Service) unsubscribeLink(ctx context.Context, tx *store.Tx, memberID int64, c Category) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	if err := tx.AddUnsubscribeToken(ctx, hashToken(token), memberID, string(c)); err != nil {
		return "", err
	}
	return s.BaseURL + "/unsubscribe/" + token, nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Subscription is what an unsubscribe link stops, for its confirm page.
type Subscription struct {
	// What names it for people: "Replies", "Newsletters", "Daily digests".
	What string
}

// Lookup returns what the unsubscribe token stops, or chorus.ErrNotFound
// for a token that is unknown (or whose account was erased).
func (s *Service) Lookup(ctx context.Context, token string) (Subscription, error) {
	_, c, err := s.DB.UnsubscribeToken(ctx, hashToken(token))
	if err != nil {
		return Subscription{}, err
	}
	return Subscription{What: label(Category(c))}, nil
}

func label(c Category) string {
	switch c {
	case Newsletter:
		return "Newsletters"
	case digestCategory:
		return "Daily digests of notifications"
	}
	k, _ := KindOf(c)
	return k.Label
}

// Unsubscribe turns off what the token's link stops, for good: the
// category of a notification, newsletters, or every category the member
// gets as a digest. It returns what was stopped; an unknown token is
// chorus.ErrNotFound. Using a link twice is not an error.
func (s *Service) Unsubscribe(ctx context.Context, token string) (Subscription, error) {
	memberID, c, err := s.DB.UnsubscribeToken(ctx, hashToken(token))
	if err != nil {
		return Subscription{}, err
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if Category(c) != digestCategory {
			return tx.SetEmailPreference(ctx, memberID, c, string(Off))
		}
		stored, err := tx.EmailPreferences(ctx, memberID)
		if err != nil {
			return err
		}
		for cat, d := range withDefaults(stored) {
			if d == Digest {
				if err := tx.SetEmailPreference(ctx, memberID, string(cat), string(Off)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Subscription{}, err
	}
	s.logger().Info("unsubscribed", "member", memberID, "category", c)
	return Subscription{What: label(Category(c))}, nil
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
