package web

import (
	"context"

	"chorus/internal/chorus"
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
// that what is sent out later is exactly what was committed. Chorus does
// not notify anyone of them yet; they are logged, by ids only.
func (s *Server) announce(ctx context.Context, tx *store.Tx, e communityEvent) error {
	s.Logger.DebugContext(ctx, "community event", "kind", e.Kind, "member", e.ActorID, "target", e.Target.Kind, "target_id", e.Target.ID, "comment", e.CommentID)
	return nil
}
