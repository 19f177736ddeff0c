// Package media inspects and converts uploaded audio and pictures by running
// the ffprobe and ffmpeg command-line tools.
//
// Every tool is started with exec.CommandContext and an explicit argument
// list, never through a shell. Input and output paths are made absolute
// before they are handed over, so a name such as "-i" or "-y.mp3" can never
// be mistaken for an option. Inputs are opened with the "file" protocol only
// and with a short list of allowed demuxers, so a crafted upload cannot make
// ffmpeg follow playlists or references to other files or URLs.
//
// Rejections are reported as *Error values that wrap one of the sentinel
// errors (ErrNotAudio, ErrUnreadable, ErrNoCover, ErrNotImage); their Error
// text is meant to be shown to the musician who uploaded the file, while the
// tool's own diagnostics stay in Error.Detail for logs.
package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Tool locates the ffmpeg and ffprobe binaries. The zero value runs "ffmpeg"
// and "ffprobe" found through $PATH; set a field to an absolute path to use a
// specific build. A Tool holds no state, so one value may be shared by any
// number of goroutines.
type Tool struct {
	FFmpeg  string // path or name of the ffmpeg binary; "" means "ffmpeg"
	FFprobe string // path or name of the ffprobe binary; "" means "ffprobe"
}

// Sentinel errors. Functions in this package return an *Error wrapping one of
// them, so callers test with errors.Is and show err.Error() to people.
var (
	// ErrNotAudio means the content is not audio in a format we accept
	// (judged from its first bytes), or ffprobe found no audio stream in it.
	ErrNotAudio = errors.New("this is not a supported audio file")

	// ErrUnreadable means the file is empty, truncated or corrupt: ffprobe
	// reported errors, no length could be determined, or decoding failed or
	// stopped early.
	ErrUnreadable = errors.New("the file could not be read")

	// ErrNoCover means an audio file carries no usable embedded picture.
	ErrNoCover = errors.New("the audio file has no embedded cover picture")

	// ErrNotImage means a picture upload is not a JPEG, PNG, GIF or WebP
	// image, or is too large to process.
	ErrNotImage = errors.New("this is not a supported image")
)

// Error is a rejection with a reason people can understand.
//
// Error() is Kind's text followed by Reason, e.g. "this is not a supported
// audio file: it looks like a PNG image". Detail holds the last lines the
// tool wrote to stderr (at most 4 KiB); it is meant for logs
// and must not be shown to users because it contains paths and jargon.
type Error struct {
	Kind   error  // ErrNotAudio, ErrUnreadable, ErrNoCover or ErrNotImage
	Reason string // plain-language explanation; may be empty
	Detail string // tail of ffmpeg/ffprobe stderr, for logs only; may be empty
}

// Error returns Kind's message and Reason, without Detail.
func (e *Error) Error() string {
	if e.Reason == "" {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Reason
}

// Unwrap returns Kind so errors.Is(err, ErrNotAudio) and friends work.
func (e *Error) Unwrap() error { return e.Kind }

func reject(kind error, reason, detail string) error {
	return &Error{Kind: kind, Reason: reason, Detail: strings.TrimSpace(detail)}
}

const (
	// SniffSize is how many leading bytes Sniff looks at (3 KiB, the
	// default limit of the mimetype library).
	SniffSize = 3 << 10

	// stderrTailSize bounds how much tool stderr is kept for Error.Detail:
	// enough for the last few messages without letting a tool that prints
	// one line per broken frame grow memory without limit.
	stderrTailSize = 4 << 10

	// maxProbeOutput bounds ffprobe's JSON. Real files produce a few KiB;
	// the bound only matters for hostile files with enormous tags.
	maxProbeOutput = 16 << 20

	// waitDelay is how long Wait gives a killed tool to close its pipes.
	waitDelay = 5 * time.Second

	// audioDemuxers lists the ffmpeg demuxers an audio input may be opened
	// with. Anything else (hls, concat, image2 patterns, ...) is refused by
	// ffmpeg itself, which closes the classic playlist-based file-read tricks
	// even if a file slips past Sniff.
	audioDemuxers = "mp3,ogg,flac,wav,mov,mp4,m4a"

	// imageDemuxers is audioDemuxers' counterpart for pictures. Using the
	// *_pipe demuxers rather than image2 also means a "%d" in a file name is
	// never expanded as an image-sequence pattern.
	imageDemuxers = "jpeg_pipe,png_pipe,gif,webp_pipe"
)

func (t Tool) ffmpeg() string {
	if t.FFmpeg == "" {
		return "ffmpeg"
	}
	return t.FFmpeg
}

func (t Tool) ffprobe() string {
	if t.FFprobe == "" {
		return "ffprobe"
	}
	return t.FFprobe
}

// safePath returns p in a form that ffmpeg cannot mistake for an option or a
// protocol URL: absolute when possible, otherwise prefixed with "./".
func safePath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return "." + string(filepath.Separator) + filepath.Clean(p)
}

// tailBuffer keeps the last stderrTailSize bytes written to it.
type tailBuffer struct{ b []byte }

func (w *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= stderrTailSize {
		w.b = append(w.b[:0], p[len(p)-stderrTailSize:]...)
		return n, nil
	}
	if over := len(w.b) + len(p) - stderrTailSize; over > 0 {
		w.b = append(w.b[:0], w.b[over:]...)
	}
	w.b = append(w.b, p...)
	return n, nil
}

func (w *tailBuffer) String() string { return string(w.b) }

// limitedBuffer collects up to max bytes and then fails, which makes the
// tool exit on a broken pipe instead of filling memory.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (w *limitedBuffer) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.max {
		return 0, errors.New("media: tool output too large")
	}
	return w.Buffer.Write(p)
}

// command prepares bin with args, bound to ctx: cancelling ctx kills the
// process (exec.CommandContext sends SIGKILL).
func command(ctx context.Context, bin string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = waitDelay
	cmd.SysProcAttr = childProcAttr()
	return cmd
}

// run executes bin to completion, returning its stdout and stderr tail.
// A non-nil error is either a start failure (binary missing), ctx's error, or
// an *exec.ExitError for a non-zero exit.
func run(ctx context.Context, bin string, args []string, maxOut int) (stdout []byte, stderr string, err error) {
	out := &limitedBuffer{max: maxOut}
	tail := &tailBuffer{}
	cmd := command(ctx, bin, args)
	cmd.Stdout = out
	cmd.Stderr = tail
	err = cmd.Run()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, tail.String(), ctxErr
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return out.Bytes(), tail.String(), err
		}
		return nil, tail.String(), fmt.Errorf("media: running %s: %w", bin, err)
	}
	return out.Bytes(), tail.String(), nil
}

// isExit reports whether err is a tool's non-zero exit (as opposed to a
// missing binary or a cancelled context, which are not the file's fault).
func isExit(err error) bool {
	var exitErr *exec.ExitError
	return errors.As(err, &exitErr)
}

// readHead returns up to n leading bytes of the file at path and its size.
func readHead(path string, n int) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("media: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("media: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("media: %s is not a regular file", path)
	}
	head := make([]byte, n)
	m, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("media: reading %s: %w", path, err)
	}
	return head[:m], info.Size(), nil
}

// formatSeconds renders d for people: "0.8 s", "42 s", "3:07", "1:02:03".
func formatSeconds(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	s := int64(d.Round(time.Second) / time.Second)
	if s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	if s < 3600 {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
