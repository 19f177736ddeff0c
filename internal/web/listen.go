package web

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/id3"
	"chorus/internal/publishing"
)

// publicTrack loads the track named by the {id} path value if visitors may
// see it; anything else is ErrNotFound.
func (s *Server) publicTrack(r *http.Request) (chorus.Track, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return chorus.Track{}, chorus.ErrNotFound
	}
	t, err := s.DB.Track(r.Context(), id)
	if err != nil {
		return t, err
	}
	if !t.Public() {
		return t, fmt.Errorf("track %d is not public: %w", id, chorus.ErrNotFound)
	}
	return t, nil
}

// recordPlay counts a play, which the player reports once a listen reaches
// 30 seconds or half the track (the usual definition of a play), when that
// much of the stream was served to this client (see streamNotes); else
// 409. The answer comes once the play is committed; 503 with Retry-After
// when the event queue is full.
func (s *Server) recordPlay(w http.ResponseWriter, r *http.Request) error {
	t, err := s.publicTrack(r)
	if err != nil {
		return err
	}
	if !s.streams.take(streamKey(r, t.ID), playBytes(t), s.Now()) {
		return errPlayNotStreamed
	}
	ev := s.newEvent(w, r, analytics.Play)
	ev.TrackID, ev.AlbumID, ev.ArtistID = t.ID, t.AlbumID, t.ArtistID
	if ev.Referrer == "" {
		// The play is reported from the page the music plays on, so its
		// own Referer is Chorus; the player sends the page's referrer
		// ("ref") so that the play counts for the site the listener came from.
		ev.Referrer = s.hostOfReferrer(r, r.PostFormValue("ref"))
	}
	if s.Analytics == nil {
		err = s.DB.CountPlay(r.Context(), t.ID)
	} else {
		err = s.recordEvent(r, ev) // counts the play in the same transaction
	}
	if err != nil {
		return eventError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// recordShare counts a share of a public track: the page's "Copy link"
// button reports it (the shared address itself carries nothing that
// tracks). It answers 204 at once; the event is queued, not awaited.
func (s *Server) recordShare(w http.ResponseWriter, r *http.Request) error {
	t, err := s.publicTrack(r)
	if err != nil {
		return err
	}
	ev := s.newEvent(w, r, analytics.Share)
	ev.TrackID, ev.AlbumID, ev.ArtistID = t.ID, t.AlbumID, t.ArtistID
	s.queueEvent(ev)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveDownload serves body, a file of t, and counts it as a download only
// when the whole file went out: a GET answered 200 with every byte (or a
// range from the first byte to the last). HEAD requests, conditional
// requests answered 304, partial ranges and downloads cut short are not
// counted, so that probing a file cannot inflate its statistics.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, t chorus.Track, modtime time.Time, body io.ReadSeeker) {
	size, err := body.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = body.Seek(0, io.SeekStart)
	}
	if err != nil {
		http.ServeContent(w, r, "", modtime, body)
		return
	}
	// The event is described before the answer starts: it may set the
	// consenting visitor's analytics cookie.
	ev := s.newEvent(w, r, analytics.Download)
	ev.TrackID, ev.AlbumID, ev.ArtistID = t.ID, t.AlbumID, t.ArtistID
	rec := &downloadRecorder{ResponseWriter: w}
	http.ServeContent(rec, r, "", modtime, body)
	whole := rec.status == http.StatusOK || (rec.status == http.StatusPartialContent &&
		strings.HasPrefix(w.Header().Get("Content-Range"), fmt.Sprintf("bytes 0-%d/", size-1)))
	if r.Method == http.MethodGet && whole && rec.written == size {
		s.queueEvent(ev)
	}
}

// downloadRecorder notes the status and the body bytes of an answer.
type downloadRecorder struct {
	http.ResponseWriter
	status  int
	written int64
}

func (d *downloadRecorder) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *downloadRecorder) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	n, err := d.ResponseWriter.Write(p)
	d.written += int64(n)
	return n, err
}

// audibleTrack is publicTrack, widened to the owner's own processed
// tracks, so an artist can listen to a draft before publishing it.
func (s *Server) audibleTrack(r *http.Request) (chorus.Track, error) {
	t, err := s.publicTrack(r)
	if err == nil || !errors.Is(err, chorus.ErrNotFound) || t.ID == 0 || t.Status != chorus.TrackReady {
		return t, err
	}
	m := s.member(r)
	if m == nil {
		return t, err
	}
	if a, aerr := s.DB.Artist(r.Context(), t.ArtistID); aerr == nil && a.MemberID == m.ID {
		return t, nil
	}
	return t, err
}

// stream serves the MP3 stream file with HTTP Range support (RFC 9110
// §14), a strong ETag from its content hash and Last-Modified, so players
// can seek and caches can revalidate.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	t, err := s.audibleTrack(r)
	if err != nil {
		return err
	}
	f, err := s.openStored(r, t.ID, t.StreamKey)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "audio/mpeg")
	h.Set("ETag", `"`+t.StreamHash+`"`)
	h.Set("Cache-Control", "public, max-age=86400")
	if !t.Public() {
		h.Set("Cache-Control", "private, no-store")
	}
	h.Set("Accept-Ranges", "bytes")
	key := streamKey(r, t.ID)
	http.ServeContent(countingWriter{w, func(n int64) { s.streams.add(key, n, s.Now()) }}, r, "", t.UpdatedAt, f)
	return nil
}

// openStored opens a file a track row points at. A missing file is a
// fault on our side (the file store lost it), so it is logged for the
// operator before the listener is told it is not there.
func (s *Server) openStored(r *http.Request, trackID int64, key string) (*blob.Reader, error) {
	f, err := s.Files.Open(r.Context(), key)
	if errors.Is(err, chorus.ErrNotFound) {
		s.Logger.Error("a stored file of a track is missing", "track", trackID, "key", key)
	}
	return f, err
}

// downloadName is "Artist - Title.ext" with characters that file systems
// refuse replaced.
func downloadName(t chorus.Track, ext string) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, t.ArtistName+" - "+t.Title)
	return clean + ext
}

func setAttachment(w http.ResponseWriter, name string) {
	ascii := strings.Map(func(r rune) rune {
		if r > 0x7e || r < 0x20 || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	// RFC 6266 §4.3: a plain fallback and the UTF-8 form (RFC 8187).
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, rfc8187(name)))
}

func rfc8187(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (s *Server) attribution(t chorus.Track) (chorus.Licence, string) {
	l, _ := t.Licence()
	return l, l.AttributionText(t.Title, t.ArtistName, s.BaseURL+"/tracks/"+strconv.FormatInt(t.ID, 10))
}

// downloadMP3 serves the MP3 with a fresh ID3v2.4 tag that carries the
// title, artist, album, licence URL (WCOP) and attribution (TCOP, COMM), so
// the licence travels with the file.
func (s *Server) downloadMP3(w http.ResponseWriter, r *http.Request) error {
	t, err := s.publicTrack(r)
	if err != nil {
		return err
	}
	f, err := s.openStored(r, t.ID, t.StreamKey)
	if err != nil {
		return err
	}
	defer f.Close()
	l, credit := s.attribution(t)
	tag := id3.Tag{Title: t.Title, Artist: t.ArtistName, Album: t.AlbumTitle, Year: t.Year, TrackNumber: t.TrackNumber,
		Copyright: credit, LicenceURL: l.URL, Comment: credit, SourceURL: s.BaseURL + "/tracks/" + strconv.FormatInt(t.ID, 10)}.Encode()
	skip, err := id3.Size(f)
	if err != nil {
		return err
	}
	body, err := id3.Prepend(tag, f, skip, t.StreamSize)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "audio/mpeg")
	// The tag depends on the track's metadata and licence: both are in the ETag.
	h.Set("ETag", fmt.Sprintf(`"%s-%x"`, t.StreamHash[:16], sha256.Sum256(tag)))
	h.Set("Link", `<`+l.URL+`>; rel="license"`)
	setAttachment(w, downloadName(t, ".mp3"))
	s.serveDownload(w, r, t, t.UpdatedAt, body)
	return nil
}

// downloadOriginal serves the uploaded file when the artist allows it,
// with the licence named in the Link header (RFC 8288 rel="license").
func (s *Server) downloadOriginal(w http.ResponseWriter, r *http.Request) error {
	t, err := s.publicTrack(r)
	if err != nil {
		return err
	}
	if !t.DownloadOriginal {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "The artist has not made the original file of this track available for download. The MP3 is."}
	}
	f, err := s.openStored(r, t.ID, t.OriginalKey)
	if err != nil {
		return err
	}
	defer f.Close()
	l, _ := s.attribution(t)
	ext := "." + t.OriginalFormat
	if t.OriginalFormat == "vorbis" {
		ext = ".ogg"
	}
	w.Header().Set("Content-Type", t.OriginalMIME)
	w.Header().Set("ETag", `"`+t.ContentHash+`"`)
	w.Header().Set("Link", `<`+l.URL+`>; rel="license"`)
	setAttachment(w, downloadName(t, ext))
	s.serveDownload(w, r, t, t.CreatedAt, f)
	return nil
}

// serveArtwork serves one size of public artwork (covers, artist
// pictures), which caches may keep for a week.
func (s *Server) serveArtwork(w http.ResponseWriter, r *http.Request, key string) error {
	return s.serveImage(w, r, key, "public, max-age=604800")
}

// serveImage serves the {size} path value's JPEG of the picture stored
// under key with the given Cache-Control.
func (s *Server) serveImage(w http.ResponseWriter, r *http.Request, key, cacheControl string) error {
	size, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("size"), ".jpg"))
	if err != nil || key == "" || !validSize(size) {
		return chorus.ErrNotFound
	}
	f, err := s.Files.Open(r.Context(), fmt.Sprintf("%s-%d.jpg", key, size))
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, "", f.ModTime(), f)
	return nil
}

func validSize(n int) bool {
	for _, s := range publishing.CoverSizes() {
		if s == n {
			return true
		}
	}
	return false
}

func (s *Server) trackCover(w http.ResponseWriter, r *http.Request) error {
	t, err := s.publicTrack(r)
	if err != nil {
		return err
	}
	return s.serveArtwork(w, r, t.CoverKey)
}

func (s *Server) artistPicture(w http.ResponseWriter, r *http.Request) error {
	a, err := s.DB.ArtistBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	return s.serveArtwork(w, r, a.PictureKey)
}
