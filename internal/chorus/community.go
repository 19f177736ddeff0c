package chorus

import "time"

// Limits of what members post, in characters (runes).
const (
	MaxCommentLen      = 5000
	MaxReviewLen       = 10000
	MaxPlaylistNameLen = 100
	MaxPlaylistTracks  = 1000
)

// Target is what a comment, a review, a favourite or a follow is about:
// Kind is "track", "album", "artist" or "member", ID its number.
type Target struct {
	Kind string
	ID   int64
}

// The kinds of Target.
const (
	OnTrack  = "track"
	OnAlbum  = "album"
	OnArtist = "artist"
	OnMember = "member"
)

// Comment is a comment on a track, an album or an artist page, or a reply
// to one (ParentID). A deleted comment with replies keeps its place with
// Deleted set and no Body; an erased member's comment has no Author.
type Comment struct {
	ID       int64
	Target   Target
	ParentID int64
	AuthorID int64
	// Author is the author's username; "" once the member was erased.
	Author    string
	Body      string
	CreatedAt time.Time
	EditedAt  time.Time
	Deleted   bool
	Replies   []Comment
}

// Review is a member's review of a track or an album: Score from 1 to 5
// and a text.
type Review struct {
	ID        int64
	Target    Target
	MemberID  int64
	Author    string
	Score     int
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Helpful counts the members who marked it helpful; MarkedByViewer
	// says whether the member looking at it did.
	Helpful        int
	MarkedByViewer bool
}

// ReviewSummary is the number of reviews of an item and their mean score.
type ReviewSummary struct {
	Count   int
	Average float64
}

// Playlist visibilities.
const (
	// PlaylistPublic: listed on its member's page, visible to everyone.
	PlaylistPublic = "public"
	// PlaylistUnlisted: visible to anyone with its link, listed nowhere.
	PlaylistUnlisted = "unlisted"
	// PlaylistPrivate: visible to its member only.
	PlaylistPrivate = "private"
)

// Playlist is a member's list of tracks, in their order.
type Playlist struct {
	ID         string
	MemberID   int64
	Owner      string
	Name       string
	Visibility string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	TrackCount int
	Tracks     []Track
}

// VisibleTo reports whether the member viewerID (0 for a visitor) may see
// the playlist by its link.
func (p Playlist) VisibleTo(viewerID int64) bool {
	return p.Visibility != PlaylistPrivate || (viewerID != 0 && viewerID == p.MemberID)
}

// CommunityChoices are what a member shows on their public page beyond
// the profile fields. All are false (private) until the member chooses.
type CommunityChoices struct {
	FavouritesPublic bool
	FollowsPublic    bool
	// ActivityPublic lists the member's comments and reviews on their
	// page, and names them in others' exports beside their replies.
	ActivityPublic bool
}

// Link is a named link to a page of the site, for lists of favourites
// and follows.
type Link struct {
	Kind, Name, Href string
}
