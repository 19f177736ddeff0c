package publishing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"chorus/internal/chorus"
	"chorus/internal/files"
	"chorus/internal/jobs"
	"chorus/internal/media"
	"chorus/internal/store"
)

// ProcessTrack is the background work for a track: it transcodes the
// original to the MP3 stream file in one ffmpeg pass that also yields the
// duration and waveform peaks, makes artwork sizes from an embedded cover,
// and marks the track ready. Files are written under new keys and the track
// row is switched in one transaction, so a crash at any point leaves either
// the old state or the new one. It implements jobs.TrackProcessor.
func (s *Service) ProcessTrack(ctx context.Context, trackID int64, attempt int, final bool) (err error) {
	t, err := s.DB.Track(ctx, trackID)
	if errors.Is(err, chorus.ErrNotFound) {
		return nil // deleted since it was queued
	}
	if err != nil {
		return err
	}
	if t.Status == chorus.TrackReady && t.StreamKey != "" {
		return nil
	}
	defer func() {
		if err == nil {
			return
		}
		permanent := errors.Is(err, media.ErrNotAudio) || errors.Is(err, media.ErrUnreadable)
		reason := "processing failed; it will be retried"
		if permanent {
			s.logRefusal(err)
			reason = err.Error()
			err = fmt.Errorf("%w: %w", jobs.ErrPermanent, err)
		} else if final {
			reason = "processing failed after several attempts"
		}
		if ctx.Err() != nil && !final {
			reason = "processing was interrupted; it will resume"
		}
		bg := context.WithoutCancel(ctx)
		if merr := s.DB.Tx(bg, func(tx *store.Tx) error {
			return tx.MarkProcessingError(bg, trackID, reason, permanent || final)
		}); merr != nil {
			s.Logger.Error("record processing error", "track", trackID, "err", merr)
		}
		s.Logger.Warn("track processing failed", "track", trackID, "attempt", attempt, "final", final || permanent, "err", err)
	}()

	src, err := s.Staging.CreateTemp("original-*")
	if err != nil {
		return err
	}
	src.Close()
	defer os.Remove(src.Name())
	if err := s.Files.Download(ctx, t.OriginalKey, src.Name()); err != nil {
		return fmt.Errorf("fetch original: %w", err)
	}
	probe, err := s.Media.Probe(ctx, src.Name())
	if err != nil {
		return err
	}
	expected := probe.Duration
	if probe.DurationEstimated {
		expected = 0 // a guess from the bit rate can be far too long
	}
	dst := src.Name() + ".mp3"
	defer os.Remove(dst)
	res, err := s.Media.Transcode(ctx, src.Name(), dst, media.TranscodeOptions{
		Title: t.Title, Artist: t.ArtistName, Album: t.AlbumTitle, Year: t.Year, TrackNumber: t.TrackNumber,
		ExpectedDuration: expected,
	})
	if err != nil {
		return err
	}
	size, hash, err := hashFile(dst)
	if err != nil {
		return err
	}
	dir := path.Dir(t.OriginalKey)
	streamKey := path.Join(dir, "stream-"+hash[:12]+".mp3")
	if err := s.Files.PutFile(ctx, streamKey, dst, "audio/mpeg"); err != nil {
		return fmt.Errorf("store stream file: %w", err)
	}
	var coverKey string
	if probe.HasCover {
		if coverKey, err = s.makeCover(ctx, src.Name(), dir); err != nil {
			s.Logger.Warn("cover artwork skipped", "track", trackID, "err", err)
		}
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.MarkProcessed(ctx, trackID, store.ProcessedTrack{
			StreamKey: streamKey, StreamSize: size, StreamHash: hash, Duration: res.Duration, Peaks: res.Peaks, CoverKey: coverKey,
		}); err != nil {
			return err
		}
		if s.Released == nil {
			return nil
		}
		return s.Released(ctx, tx, trackID)
	})
}

// CoverSizes are the square artwork sizes, in pixels, made from an
// embedded cover; a cover is served as KEY-SIZE.jpg.
var coverSizes = []int{96, 300, 1200}

// CoverSizes returns the artwork sizes in pixels, smallest first.
func CoverSizes() []int { return append([]int(nil), coverSizes...) }

func (s *Service) makeCover(ctx context.Context, src, dir string) (string, error) {
	pic := src + ".cover"
	defer os.Remove(pic)
	if err := s.Media.ExtractCover(ctx, src, pic); err != nil {
		if errors.Is(err, media.ErrNoCover) {
			return "", nil
		}
		return "", err
	}
	key := path.Join(dir, "cover")
	for _, size := range coverSizes {
		out := fmt.Sprintf("%s-%d.jpg", pic, size)
		err := s.Media.ResizeArtwork(ctx, pic, size, out)
		if err == nil {
			err = s.Files.PutFile(ctx, fmt.Sprintf("%s-%d.jpg", key, size), out, "image/jpeg")
		}
		os.Remove(out)
		if err != nil {
			return "", err
		}
	}
	return key, nil
}

func hashFile(name string) (int64, string, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// Retry queues a failed track for processing again.
func (s *Service) Retry(ctx context.Context, trackID int64) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		t, err := tx.Track(ctx, trackID)
		if err != nil {
			return err
		}
		if t.Status != chorus.TrackFailed {
			return chorus.Invalid("Only a track whose processing failed can be retried.")
		}
		if err := tx.MarkReprocessing(ctx, trackID); err != nil {
			return err
		}
		return s.Queue.EnqueueProcessTrack(ctx, tx, trackID)
	})
}

// DeleteTrack removes a track and then its stored files (original, stream,
// artwork). The row goes first, in its own transaction, so a failure
// while deleting files leaves only files without a row, which
// SweepOrphans removes later; never a row without its files.
func (s *Service) DeleteTrack(ctx context.Context, trackID int64) error {
	var t chorus.Track
	if err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		t, err = tx.DeleteTrack(ctx, trackID)
		return err
	}); err != nil {
		return err
	}
	dir := path.Dir(t.OriginalKey) + "/"
	err := s.Files.List(ctx, dir, func(o files.Object) error { return s.Files.Delete(ctx, o.Key) })
	if err != nil {
		s.Logger.Warn("delete files of a deleted track; they will be swept later", "track", trackID, "err", err)
	}
	return nil
}
