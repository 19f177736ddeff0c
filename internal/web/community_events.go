package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"chorus/internal/chorus"
	"chorus/internal/notify"
	"chorus/internal/store"
)

// Kinds of community event.
const (
	eventComment = "comment" // a comment or a reply was posted
	eventReview  = "review"  // a review was written or changed
	eventFollow  = "follow"  // a member followed an artist or a member
)

// communityEvent is something members may be told about: a comment (with
// whom it replies to and mentions), a review, a follow.
type communityEvent struct {
	Kind      string
	ActorID   int64
	Target    chorus.Target
	CommentID int64
	ParentID  int64
	// Mentions are the names mentioned, as written ("@ana" gives "ana").
	Mentions []string
}

// announce is the one place where community events leave the web
// surface, inside the transaction of the change that caused them, so
// that what is told is exactly what was committed. It turns them into
// notifications (notify.Service.Tell, which also emails them as each
// member chose): a follow tells the member followed (or the member behind
// the artist); a comment tells the owner of the music, the author of the
// comment replied to, and each member mentioned. A member told of a
// comment for one reason is not told again for another (a reply that
// also mentions them is one notification). Moderation decisions are told
// through notify.Service.Moderation, by the code that records them.
func (s *Server) announce(ctx context.Context, tx *store.Tx, e communityEvent) error {
	s.Logger.DebugContext(ctx, "community event", "kind", e.Kind, "member", e.ActorID, "target", e.Target.Kind, "target_id", e.Target.ID, "comment", e.CommentID)
	actor, err := tx.Member(ctx, e.ActorID)
	if err != nil {
		return err
	}
	switch e.Kind {
	case eventFollow:
		owner, name, err := tx.TargetOwner(ctx, e.Target)
		if err != nil {
			return err
		}
		what := "you"
		if e.Target.Kind == chorus.OnArtist {
			what = "\u201c" + name + "\u201d"
		}
		return s.Notify.Tell(ctx, tx, notify.Notice{MemberID: owner, ActorID: actor.ID, Category: notify.NewFollower,
			Key:  fmt.Sprintf("follow:%s:%d:%d", e.Target.Kind, e.Target.ID, actor.ID),
			Text: "follows " + what, Link: "/members/" + url.PathEscape(actor.Username)})
	case eventComment:
		return s.announceComment(ctx, tx, actor, e)
	}
	return nil
}

func (s *Server) announceComment(ctx context.Context, tx *store.Tx, actor chorus.Member, e communityEvent) error {
	owner, title, err := tx.TargetOwner(ctx, e.Target)
	if err != nil {
		return err
	}
	page, err := s.targetPage(ctx, e.Target)
	if err != nil {
		return err
	}
	link := page + "#comment-" + strconv.FormatInt(e.CommentID, 10)
	key := "comment:" + strconv.FormatInt(e.CommentID, 10)
	told := map[int64]bool{actor.ID: true}
	tell := func(memberID int64, c notify.Category, text string) error {
		if memberID == 0 || told[memberID] {
			return nil
		}
		told[memberID] = true
		return s.Notify.Tell(ctx, tx, notify.Notice{MemberID: memberID, ActorID: actor.ID, Category: c, Key: key, Text: text, Link: link})
	}
	on := "\u201c" + title + "\u201d"
	// Mentions first: being spoken to is what a member most wants to know.
	for _, name := range e.Mentions {
		id, err := tx.MemberIDByUsername(ctx, name)
		if errors.Is(err, chorus.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := tell(id, notify.Mention, "mentioned you in a comment on "+on); err != nil {
			return err
		}
	}
	if e.ParentID != 0 {
		author, err := tx.CommentAuthor(ctx, e.ParentID)
		if err != nil {
			return err
		}
		if err := tell(author, notify.Reply, "replied to your comment on "+on); err != nil {
			return err
		}
	}
	return tell(owner, notify.Comment, "commented on "+on)
}
