package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// Notice is an in-app notification for one member, also sent by email as
// their preference for its category says.
type Notice struct {
	MemberID int64 // who is told
	// ActorID is the member whose action caused it, 0 when none is named
	// (a moderation decision). A member is never told of their own action.
	ActorID  int64
	Category Category
	// Key names the event ("mention:12"): a member is told of it once.
	Key string
	// Text is one line written by Chorus. For new followers, comments,
	// replies and mentions it follows the actor's name, which is looked up
	// when shown and not stored ("mentioned you on “Rain”"); for the other
	// kinds it is whole ("Ana Tones released “Rain”").
	Text string
	// Link is a path on the site ("/tracks/3#comment-12").
	Link string
}

// Tell records n in the member's notifications and emails it through
// Email, in tx (the transaction of the change that causes it); the email
// says what kind of event it is and links to it, but names no other
// member (see emailSubjects). It does
// nothing when the member is the actor, is suspended, or was told of
// n.Key already. A Link that is not a path on the site is an error.
func (s *Service) Tell(ctx context.Context, tx *store.Tx, n Notice) error {
	if n.MemberID == 0 || n.MemberID == n.ActorID {
		return nil
	}
	if !strings.HasPrefix(n.Link, "/") || strings.HasPrefix(n.Link, "//") {
		return fmt.Errorf("notify: link %q is not a path on the site", n.Link)
	}
	if _, ok := KindOf(n.Category); !ok {
		return fmt.Errorf("notify: unknown category %q", n.Category)
	}
	m, err := tx.Member(ctx, n.MemberID)
	if errors.Is(err, chorus.ErrNotFound) {
		return nil
	}
	if err != nil || m.Suspended {
		return err
	}
	added, err := tx.AddNotification(ctx, store.Notification{MemberID: n.MemberID, ActorID: n.ActorID,
		Category: string(n.Category), Key: n.Key, Text: n.Text, Link: n.Link})
	if err != nil || !added {
		return err
	}
	e := Event{Subject: emailSubjects[n.Category], Text: "Read it on Chorus, in your notifications.", Link: s.BaseURL + n.Link}
	if n.ActorID == 0 {
		e.Text = n.Text
	}
	if n.Category == NewFollower { // the link is the follower's page
		e.Link = s.BaseURL + "/notifications"
	}
	return s.Email(ctx, tx, n.MemberID, n.Category, e)
}

// emailSubjects are the subjects of notification email. A message, once
// sent, cannot be taken back when the member who caused the event erases
// their account, so email names neither that member nor their music (nor
// links to their page): the notification on the site does, and goes with
// them.
var emailSubjects = map[Category]string{
	NewFollower: "You have a new follower",
	Comment:     "A new comment on your music",
	Reply:       "A reply to your comment",
	Mention:     "You were mentioned in a comment",
	NewRelease:  "A new release from an artist you follow",
	Moderation:  "A moderator's decision about what you posted",
}

// Moderation tells memberID of a moderator's decision about their
// content, in tx (the transaction that records the decision): text says
// what was decided and why, in words for them; link is the path of the
// content or of the decision (for an appeal). key names the decision, so
// that it is told once ("moderation:REPORTID"). The moderator is not
// named.
func (s *Service) Moderation(ctx context.Context, tx *store.Tx, memberID int64, key, text, link string) error {
	return s.Tell(ctx, tx, Notice{MemberID: memberID, Category: Moderation, Key: key, Text: text, Link: link})
}

// NewRelease tells the followers of the artist of track trackID, and of
// the member behind that artist, that it is out, in tx (the transaction in which the track becomes public); it
// does nothing for a track that is not public. Each follower is told once
// per track, however often the track is published again.
func (s *Service) NewRelease(ctx context.Context, tx *store.Tx, trackID int64) error {
	t, err := tx.Track(ctx, trackID)
	if err != nil {
		return err
	}
	if !t.Public() {
		return nil
	}
	owner, _, err := tx.TargetOwner(ctx, chorus.Target{Kind: chorus.OnArtist, ID: t.ArtistID})
	if err != nil {
		return err
	}
	followers, err := tx.Followers(ctx, chorus.Target{Kind: chorus.OnArtist, ID: t.ArtistID})
	if err != nil {
		return err
	}
	if owner != 0 { // and those who follow the member behind the artist
		more, err := tx.Followers(ctx, chorus.Target{Kind: chorus.OnMember, ID: owner})
		if err != nil {
			return err
		}
		followers = append(followers, more...)
	}
	for _, f := range followers {
		if err := s.Tell(ctx, tx, Notice{MemberID: f, ActorID: owner, Category: NewRelease, Key: fmt.Sprintf("release:%d", t.ID),
			Text: fmt.Sprintf("%s released \u201c%s\u201d", t.ArtistName, t.Title), Link: fmt.Sprintf("/tracks/%d", t.ID)}); err != nil {
			return err
		}
	}
	return nil
}
