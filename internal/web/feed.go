package web

import (
	"context"
	"errors"
	"net/http"

	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
)

// feedSize is how many items the activity feed shows.
const feedSize = 50

// feed shows the newest activity of the artists and members the member
// follows. Of each followed member it shows what is public anyway (public
// playlists; favourites, reviews and comments when their public page
// lists them) and, of the kinds they chose to share with followers, the
// rest, as long as their consent to sharing holds. Private and unlisted
// playlists never appear.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	followed, err := s.DB.FollowedMembers(r.Context(), m.ID)
	if err != nil {
		return err
	}
	var scope store.FeedScope
	for _, id := range followed {
		shared, err := s.sharedKinds(r.Context(), id)
		if err != nil {
			return err
		}
		scope.Playlists = append(scope.Playlists, id)
		if shared[store.ShareFavourites] {
			scope.Favourites = append(scope.Favourites, id)
		}
		if shared[store.ShareReviews] {
			scope.Reviews = append(scope.Reviews, id)
		}
		if shared[store.ShareComments] {
			scope.Comments = append(scope.Comments, id)
		}
	}
	items, err := s.DB.Feed(r.Context(), m.ID, scope, feedSize)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "feed.html", "Your feed", map[string]any{"Items": items, "Following": len(followed)})
}

// sharedKinds says which kinds of memberID's activity their followers may
// see: what their public page shows anyway, and what they chose to share
// while their latest consent gives sharing.
func (s *Server) sharedKinds(ctx context.Context, memberID int64) (map[string]bool, error) {
	public, err := s.DB.CommunityChoices(ctx, memberID)
	if err != nil {
		return nil, err
	}
	chosen, err := s.DB.ActivitySharing(ctx, memberID)
	if err != nil {
		return nil, err
	}
	rec, err := s.DB.LatestConsent(ctx, store.ConsentSubject{MemberID: memberID})
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		return nil, err
	}
	consented := err == nil && rec.Gives(consent.Sharing)
	return map[string]bool{
		store.ShareFavourites: public.FavouritesPublic || (consented && chosen[store.ShareFavourites]),
		store.ShareReviews:    public.ActivityPublic || (consented && chosen[store.ShareReviews]),
		store.ShareComments:   public.ActivityPublic || (consented && chosen[store.ShareComments]),
	}, nil
}

// shareKindLabels names the kinds of activity on the settings page.
var shareKindLabels = map[string]string{
	store.ShareFavourites: "Your favourite tracks",
	store.ShareReviews:    "Your reviews",
	store.ShareComments:   "Your comments",
}

type shareRow struct {
	Kind, Label string
	Chosen      bool
	Public      bool // shown anyway, as the public page lists it
}

func (s *Server) sharingSettings(w http.ResponseWriter, r *http.Request) error {
	return s.renderSharing(w, r, http.StatusOK, "")
}

func (s *Server) renderSharing(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	m := s.member(r)
	public, err := s.DB.CommunityChoices(r.Context(), m.ID)
	if err != nil {
		return err
	}
	chosen, err := s.DB.ActivitySharing(r.Context(), m.ID)
	if err != nil {
		return err
	}
	isPublic := map[string]bool{store.ShareFavourites: public.FavouritesPublic, store.ShareReviews: public.ActivityPublic, store.ShareComments: public.ActivityPublic}
	var rows []shareRow
	for _, k := range store.ShareKinds {
		rows = append(rows, shareRow{Kind: k, Label: shareKindLabels[k], Chosen: chosen[k], Public: isPublic[k]})
	}
	return s.render(w, r, status, "settings_sharing.html", "Sharing with followers", map[string]any{
		"Rows": rows, "Consented": s.consented(r, consent.Sharing), "Error": problem,
	})
}

// saveSharingSettings stores which kinds of activity the member shares
// with followers. Sharing more than is public needs their consent to
// sharing (consent.Sharing): without it, nothing is saved.
func (s *Server) saveSharingSettings(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	choices := map[string]bool{}
	more := false
	for _, k := range store.ShareKinds {
		switch r.PostFormValue(k) {
		case "on":
			choices[k], more = true, true
		case "":
		default:
			return chorus.Invalid("Nothing was saved: tick or untick each kind of activity.")
		}
	}
	if more && !s.consented(r, consent.Sharing) {
		return s.renderSharing(w, r, http.StatusUnprocessableEntity,
			"Nothing was saved: sharing activity that is not public needs your consent to sharing. Give it in Privacy choices first, then come back.")
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		for _, k := range store.ShareKinds {
			if err := tx.SetActivitySharing(r.Context(), m.ID, k, choices[k]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	s.flash(r, "Your sharing choices were saved.")
	http.Redirect(w, r, "/settings/sharing", http.StatusSeeOther)
	return nil
}
