package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/markup"
	"chorus/internal/ratelimit"
	"chorus/internal/store"
)

// Posting limits comments and reviews per member (ratelimit): 10 free,
// then waits doubling from 5 s to 10 minutes, so that a conversation
// flows but a flood does not.
var posting = ratelimit.Rule{Free: 10, Base: 5 * time.Second, Max: 10 * time.Minute}

func postingKey(memberID int64) ratelimit.Key {
	return ratelimit.Key{Name: "post:member:" + strconv.FormatInt(memberID, 10), Rule: posting}
}

// commentView is a comment as a page shows it.
type commentView struct {
	chorus.Comment
	HTML    template.HTML
	Own     bool
	Replies []commentView
	moderation
}

// moderation is what a comment or review view shows of moderation: its
// state to its author and moderators (Mod); Withheld for everyone else,
// who see neither its text nor its author; Collapsed when the viewer
// blocked its author; Reportable when the viewer may report it.
type moderation struct {
	Mod        *chorus.Moderated
	Withheld   bool
	Collapsed  bool
	Reportable bool
}

// reviewView is a review as a page shows it.
type reviewView struct {
	chorus.Review
	HTML template.HTML
	Own  bool
	moderation
}

// communityView is what the community partials of an item page need.
type communityView struct {
	Target   chorus.Target
	Comments []commentView
	// Reviews is nil where items have no reviews (artist pages).
	Reviews    []reviewView
	Reviewable bool
	Summary    chorus.ReviewSummary
	Mine       *chorus.Review
	// Marked: the viewer has the item among favourites, or follows it.
	Marked    bool
	Playlists []chorus.Playlist
	Viewer    *chorus.Member
	MaxLen    int
}

// targetOf reads the target named by a form's "kind" and "id" fields.
func targetOf(r *http.Request) (chorus.Target, error) {
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return chorus.Target{}, chorus.Invalid("This form does not say what it is about. Please reload the page and try again.")
	}
	return chorus.Target{Kind: r.PostFormValue("kind"), ID: id}, nil
}

// targetPage is the page of target, where forms about it return.
func (s *Server) targetPage(ctx context.Context, t chorus.Target) (string, error) {
	switch t.Kind {
	case chorus.OnTrack, chorus.OnAlbum:
		return fmt.Sprintf("/%ss/%d", t.Kind, t.ID), nil
	case chorus.OnArtist:
		a, err := s.DB.Artist(ctx, t.ID)
		if err != nil {
			return "", err
		}
		return "/artists/" + url.PathEscape(a.Slug), nil
	case chorus.OnMember:
		m, err := s.DB.Member(ctx, t.ID)
		if err != nil {
			return "", err
		}
		return "/members/" + url.PathEscape(m.Username), nil
	}
	return "", chorus.ErrNotFound
}

// renderText turns a member's Markdown into safe HTML, linking mentions
// of members, except of those who blocked its author (authorID).
func (s *Server) renderText(ctx context.Context, text string, authorID int64) template.HTML {
	return markup.Render(text, func(names []string) map[string]string {
		known, err := s.DB.Usernames(ctx, names)
		if err != nil {
			s.Logger.Warn("mentions", "err", err)
			return nil
		}
		blockers, err := s.DB.BlockerNames(ctx, authorID)
		if err != nil {
			s.Logger.Warn("mentions", "err", err)
			return nil
		}
		for n, u := range known {
			if blockers[u] {
				delete(known, n)
			}
		}
		return known
	})
}

// community loads the comments (and, for tracks and albums, the reviews)
// of target for the viewer of r.
func (s *Server) community(r *http.Request, t chorus.Target) (communityView, error) {
	ctx := r.Context()
	viewer := s.member(r)
	v := communityView{Target: t, Viewer: viewer, MaxLen: chorus.MaxCommentLen}
	var viewerID int64
	if viewer != nil {
		viewerID = viewer.ID
	}
	comments, err := s.DB.Comments(ctx, t)
	if err != nil {
		return v, err
	}
	blocked, err := s.blockedIDs(ctx, viewer)
	if err != nil {
		return v, err
	}
	moderator := viewer != nil && viewer.Role.Can(chorus.RoleModerator)
	var keys []string
	for _, c := range comments {
		keys = append(keys, strconv.FormatInt(c.ID, 10))
		for _, rep := range c.Replies {
			keys = append(keys, strconv.FormatInt(rep.ID, 10))
		}
	}
	states, err := s.DB.ModeratedOf(ctx, chorus.ReportComment, keys)
	if err != nil {
		return v, err
	}
	// moderate decides what the viewer sees of a post by authorID called id.
	moderate := func(states map[string]chorus.Moderated, id, authorID int64) moderation {
		var mv moderation
		if st, ok := states[strconv.FormatInt(id, 10)]; ok {
			if moderator || authorID == viewerID {
				mv.Mod = &st
			} else {
				mv.Withheld = true
			}
		}
		mv.Collapsed = blocked[authorID]
		mv.Reportable = viewerID != 0 && authorID != 0 && authorID != viewerID
		return mv
	}
	view := func(c chorus.Comment) (commentView, bool) {
		cv := commentView{Comment: c, Own: viewerID != 0 && c.AuthorID == viewerID && !c.Deleted, moderation: moderate(states, c.ID, c.AuthorID)}
		if cv.Withheld {
			cv.Body, cv.Author, cv.AuthorID, cv.Reportable = "", "", 0, false
		} else {
			cv.HTML = s.renderText(ctx, c.Body, c.AuthorID)
		}
		cv.Reportable = cv.Reportable && !c.Deleted
		return cv, !cv.Withheld
	}
	for _, c := range comments {
		cv, shown := view(c)
		for _, rep := range c.Replies {
			if rv, ok := view(rep); ok {
				cv.Replies = append(cv.Replies, rv)
			}
		}
		if shown || len(cv.Replies) > 0 {
			v.Comments = append(v.Comments, cv)
		}
	}
	if t.Kind == chorus.OnTrack || t.Kind == chorus.OnAlbum {
		v.Reviewable = true
		reviews, err := s.DB.Reviews(ctx, t, viewerID)
		if err != nil {
			return v, err
		}
		var keys []string
		for _, rv := range reviews {
			keys = append(keys, strconv.FormatInt(rv.ID, 10))
		}
		states, err := s.DB.ModeratedOf(ctx, chorus.ReportReview, keys)
		if err != nil {
			return v, err
		}
		for _, rv := range reviews {
			own := viewerID != 0 && rv.MemberID == viewerID
			if own {
				mine := rv
				v.Mine = &mine
			}
			mv := moderate(states, rv.ID, rv.MemberID)
			if mv.Withheld {
				continue
			}
			v.Reviews = append(v.Reviews, reviewView{Review: rv, HTML: s.renderText(ctx, rv.Body, rv.MemberID), Own: own, moderation: mv})
		}
		if v.Summary, err = s.DB.ReviewSummary(ctx, t); err != nil {
			return v, err
		}
	}
	if viewer != nil {
		if v.Marked, err = s.DB.Marked(ctx, viewer.ID, t); err != nil {
			return v, err
		}
		if t.Kind == chorus.OnTrack {
			if v.Playlists, err = s.DB.Playlists(ctx, viewer.ID, false); err != nil {
				return v, err
			}
		}
	}
	return v, nil
}

// postText cleans the text of a comment or a review and checks its
// length: a clear message rather than a silent cut.
func postText(raw string, max int, what string, required bool) (string, error) {
	if n := len([]rune(raw)); n > max {
		return "", &chorus.InvalidError{Message: "Nothing was saved.",
			Fields: map[string]string{"body": fmt.Sprintf("Your %s is %d characters long; the limit is %d. Please shorten it.", what, n, max)}}
	}
	text := chorus.CleanText(raw, max, true)
	if required && strings.TrimSpace(text) == "" {
		return "", &chorus.InvalidError{Message: "Nothing was saved.", Fields: map[string]string{"body": fmt.Sprintf("Please write your %s.", what)}}
	}
	return text, nil
}

// postComment posts a comment, or a reply when the form names a parent.
func (s *Server) postComment(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	t, err := targetOf(r)
	if err != nil {
		return err
	}
	if err := s.DB.TargetExists(r.Context(), t); err != nil || t.Kind == chorus.OnMember {
		return chorus.ErrNotFound
	}
	body, err := postText(r.PostFormValue("body"), chorus.MaxCommentLen, "comment", true)
	if err != nil {
		return err
	}
	var parent int64
	if p := r.PostFormValue("parent"); p != "" {
		if parent, err = strconv.ParseInt(p, 10, 64); err != nil {
			return chorus.ErrNotFound
		}
	}
	if parent != 0 {
		if pc, err := s.DB.Comment(r.Context(), parent); err == nil {
			if err := s.refuseIfBlocked(r.Context(), pc.AuthorID, m.ID, "replies"); err != nil {
				return err
			}
		}
	}
	if err := s.limiter.Attempt(r.Context(), postingKey(m.ID)); err != nil {
		return err
	}
	page, err := s.targetPage(r.Context(), t)
	if err != nil {
		return err
	}
	mentions, err := s.unblockedMentions(r.Context(), m.ID, markup.Mentions(body))
	if err != nil {
		return err
	}
	var id int64
	var held string
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if held, err = s.spamSignal(r.Context(), tx, m, body, true); err != nil {
			return err
		}
		if id, err = tx.AddComment(r.Context(), m.ID, t, parent, body); err != nil {
			return err
		}
		if held != "" {
			return hold(r.Context(), tx, chorus.ReportComment, id, m.ID, held)
		}
		return s.announce(r.Context(), tx, communityEvent{Kind: eventComment, ActorID: m.ID, Target: t, CommentID: id, ParentID: parent,
			Mentions: mentions})
	})
	if err != nil {
		return err
	}
	if held != "" {
		s.flash(r, "Your comment is held for review: only you and the moderators see it until a moderator publishes it. "+held)
	}
	http.Redirect(w, r, page+"#comment-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// ownComment loads comment id of the path for its author.
func (s *Server) ownComment(r *http.Request) (chorus.Comment, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return chorus.Comment{}, chorus.ErrNotFound
	}
	c, err := s.DB.Comment(r.Context(), id)
	if err != nil {
		return c, err
	}
	if c.AuthorID != s.member(r).ID || c.Deleted {
		return c, fmt.Errorf("comment %d: %w", id, chorus.ErrForbidden)
	}
	return c, nil
}

func (s *Server) editCommentForm(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownComment(r)
	if err != nil {
		return err
	}
	page, err := s.targetPage(r.Context(), c.Target)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "comment_edit.html", "Edit your comment", map[string]any{"Comment": c, "Back": page, "MaxLen": chorus.MaxCommentLen})
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownComment(r)
	if err != nil {
		return err
	}
	body, err := postText(r.PostFormValue("body"), chorus.MaxCommentLen, "comment", true)
	if err != nil {
		return err
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.EditComment(r.Context(), c.ID, c.AuthorID, body) }); err != nil {
		return err
	}
	page, err := s.targetPage(r.Context(), c.Target)
	if err != nil {
		return err
	}
	http.Redirect(w, r, page+"#comment-"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownComment(r)
	if err != nil {
		return err
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.DeleteComment(r.Context(), c.ID, c.AuthorID) }); err != nil {
		return err
	}
	page, err := s.targetPage(r.Context(), c.Target)
	if err != nil {
		return err
	}
	s.flash(r, "Your comment was deleted.")
	http.Redirect(w, r, page+"#comments", http.StatusSeeOther)
	return nil
}

// saveReview creates or replaces the member's review of a track or an album.
func (s *Server) saveReview(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	t, err := targetOf(r)
	if err != nil {
		return err
	}
	if (t.Kind != chorus.OnTrack && t.Kind != chorus.OnAlbum) || s.DB.TargetExists(r.Context(), t) != nil {
		return chorus.ErrNotFound
	}
	score, err := strconv.Atoi(r.PostFormValue("score"))
	if err != nil || score < 1 || score > 5 {
		return &chorus.InvalidError{Message: "Nothing was saved.", Fields: map[string]string{"score": "Please choose a score from 1 to 5."}}
	}
	body, err := postText(r.PostFormValue("body"), chorus.MaxReviewLen, "review", false)
	if err != nil {
		return err
	}
	if err := s.limiter.Attempt(r.Context(), postingKey(m.ID)); err != nil {
		return err
	}
	var held string
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if held, err = s.spamSignal(r.Context(), tx, m, body, false); err != nil {
			return err
		}
		if err := tx.SaveReview(r.Context(), m.ID, t, score, body); err != nil {
			return err
		}
		if held != "" {
			id, err := tx.ReviewID(r.Context(), m.ID, t)
			if err != nil {
				return err
			}
			return hold(r.Context(), tx, chorus.ReportReview, id, m.ID, held)
		}
		return s.announce(r.Context(), tx, communityEvent{Kind: eventReview, ActorID: m.ID, Target: t})
	})
	if err != nil {
		return err
	}
	page, _ := s.targetPage(r.Context(), t)
	if held != "" {
		s.flash(r, "Your review is held for review: only you and the moderators see it until a moderator publishes it. "+held)
	} else {
		s.flash(r, "Your review was saved.")
	}
	http.Redirect(w, r, page+"#reviews", http.StatusSeeOther)
	return nil
}

func reviewID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, chorus.ErrNotFound
	}
	return id, nil
}

func (s *Server) deleteReview(w http.ResponseWriter, r *http.Request) error {
	id, err := reviewID(r)
	if err != nil {
		return err
	}
	rv, err := s.DB.Review(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.DeleteReview(r.Context(), id, s.member(r).ID) }); err != nil {
		return err
	}
	page, _ := s.targetPage(r.Context(), rv.Target)
	s.flash(r, "Your review was deleted.")
	http.Redirect(w, r, page+"#reviews", http.StatusSeeOther)
	return nil
}

func (s *Server) markHelpful(w http.ResponseWriter, r *http.Request) error {
	id, err := reviewID(r)
	if err != nil {
		return err
	}
	rv, err := s.DB.Review(r.Context(), id)
	if err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.MarkHelpful(r.Context(), id, s.member(r).ID) })
	switch {
	case err == nil:
	case errors.Is(err, chorus.ErrForbidden):
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Err: err, Safe: "You cannot mark your own review helpful."}
	case errors.Is(err, chorus.ErrConflict):
		return &chorus.SafeError{Kind: chorus.ErrConflict, Err: err, Safe: "You already marked this review helpful."}
	default:
		return err
	}
	page, _ := s.targetPage(r.Context(), rv.Target)
	http.Redirect(w, r, page+"#review-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
