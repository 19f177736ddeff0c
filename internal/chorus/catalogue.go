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
	ID        int64
	Email     string
	Username  string
	CreatedAt time.Time
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
