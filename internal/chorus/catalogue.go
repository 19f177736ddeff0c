package chorus

import "time"

// TrackStatus is where a track is in processing. Only ready tracks can be public.
type TrackStatus string

// Track statuses.
const (
	TrackProcessing TrackStatus = "processing" // waiting for or running its transcode job
	TrackReady      TrackStatus = "ready"      // stream file, duration and waveform exist
	TrackFailed     TrackStatus = "failed"     // processing gave up; ProcessingError says why
)

// Member is a registered account.
type Member struct {
	ID       int64
	Email    string
	Username string
	Role     Role
	// EmailVerified is false until the member follows the link sent to Email.
	EmailVerified bool
	// Suspended members cannot log in; they can still ask for their data.
	Suspended       bool
	SuspendedReason string
	// TOTP is true when two-factor authentication (RFC 6238) is on.
	TOTP bool
	// HasPassword is false for accounts made through a sign-in provider
	// until the member sets a password.
	HasPassword bool
	CreatedAt   time.Time
}

// Role is what a member may do beyond listening and taking part.
type Role string

// The roles, from least to most powerful. An artist publishes music; a
// moderator acts on reported content; an admin runs the site.
const (
	RoleMember    Role = "member"
	RoleArtist    Role = "artist"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Roles lists every role in order of power.
var Roles = []Role{RoleMember, RoleArtist, RoleModerator, RoleAdmin}

// ParseRole returns the role named s, or false.
func ParseRole(s string) (Role, bool) {
	for _, r := range Roles {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// Can reports whether a member with role r may act as role want: an admin
// may do everything, a moderator what members and artists may, and so on.
func (r Role) Can(want Role) bool {
	rank := func(x Role) int {
		for i, y := range Roles {
			if x == y {
				return i
			}
		}
		return -1
	}
	return rank(r) >= rank(want) && rank(want) >= 0
}

// Artist is a public music-publishing identity. MemberID is 0 for artists
// created by `chorus import` that no member manages yet.
type Artist struct {
	ID         int64
	MemberID   int64
	Name       string
	Slug       string
	Bio        string
	PictureKey string // file-store key prefix of the picture, "" if none
	CreatedAt  time.Time
}

// Album groups tracks of one artist in order. Singles have no album.
type Album struct {
	ID         int64
	ArtistID   int64
	ArtistName string
	ArtistSlug string
	Title      string
	Slug       string
	Year       int
	CoverKey   string
	// CoverTrackID is a public track of the album with artwork, 0 if none.
	CoverTrackID int64
	TrackCount   int
	CreatedAt    time.Time
}

// Track is one recording.
type Track struct {
	ID          int64
	ArtistID    int64
	ArtistName  string
	ArtistSlug  string
	AlbumID     int64 // 0 for a single
	AlbumTitle  string
	AlbumSlug   string
	Title       string
	TrackNumber int
	DiscNumber  int
	Year        int
	Tags        []string
	LicenceID   string // "" until the artist chooses
	// DownloadOriginal allows downloading the uploaded original (lossless where it is).
	DownloadOriginal bool
	Status           TrackStatus
	ProcessingError  string
	Published        bool
	PublishedAt      time.Time

	OriginalKey    string
	OriginalFormat string // "flac", "mp3", ...
	OriginalMIME   string
	OriginalSize   int64 // bytes
	OriginalName   string
	ContentHash    string // hex SHA-256 of the original
	StreamKey      string
	StreamSize     int64
	StreamHash     string // hex SHA-256 of the stream file, used as its ETag
	Duration       time.Duration
	Peaks          []float32
	CoverKey       string
	Plays          int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Public reports whether visitors may see the track.
func (t Track) Public() bool { return t.Published && t.Status == TrackReady }

// Licence returns the track's licence, or ErrNotFound when none is chosen.
func (t Track) Licence() (Licence, error) { return LicenceByID(t.LicenceID) }
