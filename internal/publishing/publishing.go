// Package publishing turns uploaded audio into published tracks: it
// receives a file (from the browser or the import command), checks what it
// really is, stores it, and processes it in the background into a stream
// file, a waveform and artwork.
package publishing

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"

	"chorus/internal/chorus"
	"chorus/internal/files"
	"chorus/internal/jobs"
	"chorus/internal/media"
	"chorus/internal/store"
)

// Service receives uploads and processes tracks.
type Service struct {
	DB      *store.DB
	Files   *files.Store
	Queue   *jobs.Queue
	Media   media.Tool
	Staging *files.Staging
	// MaxBytes is the largest accepted original, in bytes.
	MaxBytes int64
	Logger   *slog.Logger
	// Released, when set, is called in the transaction that marks a track
	// processed, so that a track published before its processing ended
	// is announced as it becomes public (notify.Service.NewRelease).
	Released func(ctx context.Context, tx *store.Tx, trackID int64) error
}

// Upload is one audio file to add to an artist's catalogue.
type Upload struct {
	ArtistID int64
	// FileName is the name the file had on the uploader's machine; it is
	// only used as a fallback title, never for storage.
	FileName string
	Body     io.Reader
	// LicenceID, when set, is the licence chosen in advance (import).
	LicenceID        string
	DownloadOriginal bool
	// Publish makes the track public as soon as processing succeeds.
	Publish bool
	// Verify decodes the whole file before acknowledging it, so that a
	// truncated file is refused at once rather than failing in processing.
	// The browser upload uses it; the import reports processing failures
	// in its summary instead and saves the extra decode.
	Verify bool
}

// Ingested is an upload that was stored and queued for processing.
type Ingested struct {
	TrackID  int64
	Title    string
	Album    string
	Format   string
	Duration int64 // milliseconds
}

// RefusedError says why a file was not accepted. Reason is safe to show.
type RefusedError struct {
	File   string
	Reason string
	Kind   error // chorus.ErrTooLarge, chorus.ErrConflict, or an *InvalidError-like input error
}

func (e *RefusedError) Error() string { return e.File + ": " + e.Reason }

// Unwrap exposes the kind for errors.Is.
func (e *RefusedError) Unwrap() error { return e.Kind }

// ErrInterrupted is the kind of RefusedError for a body that stopped
// arriving before its end.
var ErrInterrupted = errors.New("upload interrupted")

// readErrors remembers the error of the reader it wraps, to tell a failed
// read (the sender) from a failed write (our disk).
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// ErrRefused is the kind of RefusedError for content that is not usable audio.
var ErrRefused = errors.New("file refused")

// Ingest streams u.Body to a staging file (never holding it in memory),
// hashing it as it goes; refuses it when it is too large, empty, not audio
// or unreadable, or a duplicate of one of the artist's tracks; otherwise
// stores the original and inserts the track and its processing job in one
// transaction. When Ingest returns nil the upload is durable.
func (s *Service) Ingest(ctx context.Context, u Upload) (Ingested, error) {
	name := displayName(u.FileName)
	tmp, err := s.Staging.CreateTemp("upload-*")
	if err != nil {
		return Ingested{}, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	body := &readErrors{r: io.LimitReader(u.Body, s.MaxBytes+1)}
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return Ingested{}, s.tooLarge(name)
		case body.err != nil && ctx.Err() == nil:
			// The sender's side failed (a cut connection, a malformed
			// multipart body): nothing is kept, and it is not our fault.
			return Ingested{}, &RefusedError{File: name, Reason: "the upload was interrupted before the whole file arrived; please try again", Kind: ErrInterrupted}
		}
		return Ingested{}, fmt.Errorf("receive %s: %w", name, err)
	}
	if n > s.MaxBytes {
		return Ingested{}, s.tooLarge(name)
	}
	if n == 0 {
		return Ingested{}, &RefusedError{File: name, Reason: "the file is empty", Kind: ErrRefused}
	}
	hash := hex.EncodeToString(h.Sum(nil))
	if t, err := s.DB.TrackByContentHash(ctx, u.ArtistID, hash); err == nil && t.Status == chorus.TrackFailed {
		return Ingested{TrackID: t.ID, Title: t.Title}, &RefusedError{File: name, Reason: "already uploaded, and its processing failed: " + t.ProcessingError, Kind: ErrRefused}
	} else if err == nil {
		return Ingested{TrackID: t.ID, Title: t.Title}, &RefusedError{File: name, Reason: fmt.Sprintf("already uploaded as \u201c%s\u201d", t.Title), Kind: store.ErrDuplicate}
	} else if !errors.Is(err, chorus.ErrNotFound) {
		return Ingested{}, err
	}
	probe, err := s.Media.Probe(ctx, tmp.Name())
	if err != nil {
		if errors.Is(err, media.ErrNotAudio) || errors.Is(err, media.ErrUnreadable) {
			s.logRefusal(err)
			return Ingested{}, &RefusedError{File: name, Reason: err.Error(), Kind: ErrRefused}
		}
		return Ingested{}, fmt.Errorf("probe %s: %w", name, err)
	}
	if u.Verify {
		expected := probe.Duration
		if probe.DurationEstimated {
			expected = 0
		}
		if _, err := s.Media.Verify(ctx, tmp.Name(), expected); err != nil {
			if errors.Is(err, media.ErrUnreadable) {
				s.logRefusal(err)
				return Ingested{}, &RefusedError{File: name, Reason: err.Error(), Kind: ErrRefused}
			}
			return Ingested{}, fmt.Errorf("verify %s: %w", name, err)
		}
	}
	title := chorus.CleanText(probe.Tags.Title, 200, false)
	if title == "" {
		title = chorus.CleanText(media.CleanTitle(u.FileName), 200, false)
	}
	album := chorus.CleanText(probe.Tags.Album, 200, false)
	key := path.Join("tracks", randomID(), "original"+probe.Format.Ext)
	if err := s.Files.PutFile(ctx, key, tmp.Name(), probe.Format.MIME); err != nil {
		return Ingested{}, fmt.Errorf("store %s: %w", name, err)
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.InsertTrack(ctx, store.NewTrack{
			ArtistID: u.ArtistID, AlbumTitle: album, Year: probe.Tags.Year, Title: title,
			TrackNumber: probe.Tags.TrackNumber, DiscNumber: probe.Tags.DiscNumber, Tags: splitGenres(probe.Tags.Genre),
			LicenceID: u.LicenceID, DownloadOriginal: u.DownloadOriginal, Publish: u.Publish,
			OriginalKey: key, OriginalFormat: probe.Format.Name, OriginalMIME: probe.Format.MIME, OriginalSize: n,
			OriginalName: chorus.CleanText(path.Base(strings.ReplaceAll(u.FileName, "\\", "/")), 255, false),
			ContentHash:  hash, Duration: probe.Duration,
		})
		if err != nil {
			return err
		}
		return s.Queue.EnqueueProcessTrack(ctx, tx, id)
	})
	if err != nil {
		_ = s.Files.Delete(context.WithoutCancel(ctx), key)
		if errors.Is(err, store.ErrDuplicate) {
			return Ingested{}, &RefusedError{File: name, Reason: "already uploaded", Kind: store.ErrDuplicate}
		}
		return Ingested{}, err
	}
	return Ingested{TrackID: id, Title: title, Album: album, Format: probe.Format.Name, Duration: probe.Duration.Milliseconds()}, nil
}

// logRefusal keeps what ffmpeg said about a refused file for the operator:
// when every file is refused, the cause may be a broken ffmpeg, not the files.
func (s *Service) logRefusal(err error) {
	var me *media.Error
	if errors.As(err, &me) && me.Detail != "" {
		s.Logger.Info("file refused", "reason", me.Reason, "ffmpeg", me.Detail)
	}
}

func (s *Service) tooLarge(name string) error {
	return &RefusedError{File: name, Reason: fmt.Sprintf("the file is larger than the limit of %s", FormatBytes(s.MaxBytes)), Kind: chorus.ErrTooLarge}
}

// FormatBytes writes a size for people: "500 MB", "1.5 GB", "312 KB" (SI units).
func FormatBytes(n int64) string {
	switch {
	case n >= 1e9:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e9)) + " GB"
	case n >= 1e6:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e6)) + " MB"
	case n >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e3)) + " KB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

func displayName(name string) string {
	name = chorus.CleanText(path.Base(strings.ReplaceAll(name, "\\", "/")), 255, false)
	if name == "" || name == "." || name == "/" {
		return "(unnamed file)"
	}
	return name
}

// maxFileTags bounds the tags taken from a file's genre field, as the edit
// form does for what an artist types.
const maxFileTags = 20

func splitGenres(g string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(g, func(r rune) bool { return r == ';' || r == ',' || r == '/' || r == '|' }) {
		if tag := store.NormaliseTag(part); tag != "" && len(out) < maxFileTags {
			out = append(out, tag)
		}
	}
	return out
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
