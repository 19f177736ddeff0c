package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test fixtures are generated once per test binary by TestMain into fixDir.
var fixDir string

const (
	fixTitle  = "Naïve Café — 夜"
	fixArtist = "Ünïcode Ärtist"
	fixAlbum  = "Álbum Ωmega"
	fixGenre  = "Folk"
)

// audioFixtures are the 3-second 440 Hz sines made in every accepted format,
// with the ffmpeg codec options used and what Probe should report.
var audioFixtures = []struct {
	file   string
	codec  []string
	format string
	probe  string // expected Probe.Codec
}{
	{"sine.mp3", []string{"-c:a", "libmp3lame", "-id3v2_version", "3"}, "mp3", "mp3"},
	{"sine.ogg", []string{"-c:a", "libvorbis"}, "ogg", "vorbis"},
	{"sine.opus", []string{"-c:a", "libopus"}, "opus", "opus"},
	{"sine.flac", []string{"-c:a", "flac"}, "flac", "flac"},
	{"sine.wav", []string{"-c:a", "pcm_s16le"}, "wav", "pcm_s16le"},
	{"sine.m4a", []string{"-c:a", "aac"}, "m4a", "aac"},
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			// ffmpeg is a hard requirement of this package; a test run
			// without it must fail, not skip.
			fmt.Fprintf(os.Stderr, "media tests need %s in PATH: %v\n", bin, err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "chorus-media-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fixDir = dir
	if err := makeFixtures(dir); err != nil {
		fmt.Fprintln(os.Stderr, "making fixtures:", err)
		return 1
	}
	return m.Run()
}

func ffmpegRun(args ...string) error {
	cmd := exec.Command("ffmpeg", append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func fix(name string) string { return filepath.Join(fixDir, name) }

func makeFixtures(dir string) error {
	meta := []string{
		"-metadata", "title=" + fixTitle,
		"-metadata", "artist=" + fixArtist,
		"-metadata", "album=" + fixAlbum,
		"-metadata", "album_artist=Various Artists",
		"-metadata", "genre=" + fixGenre,
		"-metadata", "track=3/12",
		"-metadata", "disc=1/2",
		"-metadata", "date=2019",
	}
	// One ffmpeg run with one output per format keeps fixture time low.
	args := []string{"-f", "lavfi", "-i", "sine=frequency=440:duration=3"}
	for _, f := range audioFixtures {
		args = append(args, "-map", "0:a")
		args = append(args, f.codec...)
		args = append(args, meta...)
		args = append(args, filepath.Join(dir, f.file))
	}
	jobs := [][]string{
		args,
		{"-f", "lavfi", "-i", "color=c=red:s=64x48", "-frames:v", "1", filepath.Join(dir, "cover.png")},
		// Non-square, left half blue, right half red.
		{"-f", "lavfi", "-i", "color=c=red:s=320x180", "-vf", "drawbox=x=0:y=0:w=160:h=180:color=blue:t=fill",
			"-frames:v", "1", filepath.Join(dir, "wide.png")},
		// Two seconds of tone, then two of silence.
		{"-f", "lavfi", "-i", "sine=frequency=440:duration=2,apad=whole_dur=4", "-c:a", "flac", filepath.Join(dir, "halfsilent.flac")},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, job := range jobs {
		wg.Go(func() { errs[i] = ffmpegRun(job...) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := ffmpegRun("-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-i", filepath.Join(dir, "cover.png"),
		"-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic",
		"-id3v2_version", "3", "-metadata", "title=With cover", filepath.Join(dir, "cover.mp3")); err != nil {
		return err
	}
	for _, name := range []string{"sine.flac", "sine.mp3", "sine.m4a"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "truncated-"+name), b[:len(b)*4/10], 0o644); err != nil {
			return err
		}
	}
	files := map[string]string{
		"empty.mp3": "",
		"doc.pdf":   "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
		"notes.txt": "These are the lyrics of my song.\nLa la la.\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func near(got, want, tol time.Duration) bool {
	d := got - want
	return d >= -tol && d <= tol
}

// assertFriendly checks an error message shows no tool internals.
func assertFriendly(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	for _, bad := range []string{"ffmpeg", "ffprobe", "@ 0x", "[error]", "exit status", fixDir} {
		if strings.Contains(msg, bad) {
			t.Errorf("error message %q contains %q", msg, bad)
		}
	}
}

func TestSniff(t *testing.T) {
	t.Parallel()
	for _, f := range audioFixtures {
		b, err := os.ReadFile(fix(f.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Sniff(b[:min(len(b), SniffSize)])
		want := f.format
		if f.format == "opus" {
			want = "opus" // Sniff sees the OpusHead packet
		}
		if err != nil || got.Name != want {
			t.Errorf("Sniff(%s) = %+v, %v; want %s", f.file, got, err, want)
		}
		if got.MIME == "" || !strings.HasPrefix(got.Ext, ".") {
			t.Errorf("Sniff(%s) = %+v: incomplete Format", f.file, got)
		}
	}

	png, err := os.ReadFile(fix("cover.png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		head []byte
		kind error
		want string
	}{
		{"png", png, ErrNotAudio, "PNG image"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), ErrNotAudio, "PDF document"},
		{"text", []byte("hello, these are my lyrics\n"), ErrNotAudio, "text file"},
		{"html", []byte("<!DOCTYPE html><html><body>hi</body></html>"), ErrNotAudio, "web page"},
		{"midi", []byte("MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x60MTrk"), ErrNotAudio, "MIDI"},
		{"binary", bytes.Repeat([]byte{0x01, 0x02, 0x03, 0xfe}, 64), ErrNotAudio, "not recognised"},
		{"empty", nil, ErrUnreadable, "empty"},
	} {
		_, err := Sniff(tc.head)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Sniff(%s) error = %v; want %v mentioning %q", tc.name, err, tc.kind, tc.want)
		}
		if err != nil {
			assertFriendly(t, err)
		}
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	var tool Tool
	for _, f := range audioFixtures {
		t.Run(f.file, func(t *testing.T) {
			t.Parallel()
			p, err := tool.Probe(t.Context(), fix(f.file))
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if p.Format.Name != f.format || p.Codec != f.probe {
				t.Errorf("Format, Codec = %q, %q; want %q, %q", p.Format.Name, p.Codec, f.format, f.probe)
			}
			if want := knownFormat(f.format); p.Format != want {
				t.Errorf("Format = %+v; want %+v", p.Format, want)
			}
			if !near(p.Duration, 3*time.Second, 200*time.Millisecond) {
				t.Errorf("Duration = %v; want 3s ± 0.2s", p.Duration)
			}
			if p.DurationEstimated {
				t.Error("DurationEstimated = true")
			}
			if p.SampleRate != 44100 && !(f.format == "opus" && p.SampleRate == 48000) {
				t.Errorf("SampleRate = %d", p.SampleRate)
			}
			if p.Channels != 1 {
				t.Errorf("Channels = %d; want 1", p.Channels)
			}
			if p.BitRate <= 0 {
				t.Errorf("BitRate = %d; want > 0", p.BitRate)
			}
			if p.HasCover {
				t.Error("HasCover = true")
			}
			want := Tags{Title: fixTitle, Artist: fixArtist, Album: fixAlbum, AlbumArtist: "Various Artists",
				Genre: fixGenre, TrackNumber: 3, DiscNumber: 1, Year: 2019}
			if f.format == "wav" {
				// RIFF INFO has no album-artist or disc field.
				want.AlbumArtist, want.DiscNumber = "", 0
			}
			if p.Tags != want {
				t.Errorf("Tags = %+v\nwant   %+v", p.Tags, want)
			}
		})
	}
	t.Run("cover", func(t *testing.T) {
		t.Parallel()
		p, err := tool.Probe(t.Context(), fix("cover.mp3"))
		if err != nil || !p.HasCover || p.Codec != "mp3" {
			t.Errorf("Probe(cover.mp3) = %+v, %v; want HasCover and mp3", p, err)
		}
	})
}

func TestProbeEstimatedDuration(t *testing.T) {
	t.Parallel()
	// A VBR MP3 without a Xing header: ffprobe can only guess the length.
	path := filepath.Join(t.TempDir(), "noxing.mp3")
	if err := ffmpegRun("-f", "lavfi", "-i", "sine=duration=3", "-c:a", "libmp3lame", "-q:a", "5",
		"-write_xing", "0", path); err != nil {
		t.Fatal(err)
	}
	p, err := Tool{}.Probe(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if !p.DurationEstimated || p.Duration <= 0 {
		t.Errorf("Probe = %+v; want DurationEstimated and a positive Duration", p)
	}
}

func TestProbeRejects(t *testing.T) {
	t.Parallel()
	var tool Tool
	for _, tc := range []struct {
		file string
		kind error
		want string
	}{
		{"cover.png", ErrNotAudio, "PNG image"},
		{"doc.pdf", ErrNotAudio, "PDF document"},
		{"notes.txt", ErrNotAudio, "text file"},
		{"empty.mp3", ErrUnreadable, "empty"},
		// The MP4 index (moov) is written at the end, so a cut-off M4A has
		// none and ffprobe fails outright.
		{"truncated-sine.m4a", ErrUnreadable, "damaged"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			_, err := tool.Probe(t.Context(), fix(tc.file))
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Probe error = %v; want %v mentioning %q", err, tc.kind, tc.want)
			}
			assertFriendly(t, err)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		_, err := tool.Probe(t.Context(), fix("no-such-file.mp3"))
		if err == nil || errors.Is(err, ErrNotAudio) || errors.Is(err, ErrUnreadable) {
			t.Errorf("Probe(missing) = %v; want a plain I/O error", err)
		}
	})
	t.Run("no audio stream", func(t *testing.T) {
		t.Parallel()
		// An MP4 holding only video: accepted by Sniff, rejected by Probe.
		path := filepath.Join(t.TempDir(), "video.mp4")
		if err := ffmpegRun("-f", "lavfi", "-i", "color=c=blue:s=32x32:d=1", "-c:v", "mpeg4", path); err != nil {
			t.Fatal(err)
		}
		_, err := tool.Probe(t.Context(), path)
		if !errors.Is(err, ErrNotAudio) || !strings.Contains(err.Error(), "no audio") {
			t.Errorf("Probe(video-only mp4) = %v; want ErrNotAudio", err)
		}
	})
}

// TestTruncated checks that files cut to 40% are refused by Probe or, at the
// latest, by Transcode given the probed duration.
func TestTruncated(t *testing.T) {
	t.Parallel()
	var tool Tool
	for _, name := range []string{"truncated-sine.flac", "truncated-sine.mp3", "truncated-sine.m4a", "empty.mp3"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := fix(name)
			p, err := tool.Probe(t.Context(), src)
			if err == nil {
				dst := filepath.Join(t.TempDir(), "out.tmp")
				_, err = tool.Transcode(t.Context(), src, dst, TranscodeOptions{Title: "x", ExpectedDuration: p.Duration})
				if _, statErr := os.Stat(dst); !errors.Is(statErr, os.ErrNotExist) {
					t.Errorf("partial output left behind: %v", statErr)
				}
			}
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("error = %v; want ErrUnreadable", err)
			}
			assertFriendly(t, err)
			t.Logf("%s: %v", name, err)
		})
	}
	// Transcode alone (no probe) also refuses an empty file.
	_, err := tool.Transcode(t.Context(), fix("empty.mp3"), filepath.Join(t.TempDir(), "x.mp3"), TranscodeOptions{})
	if !errors.Is(err, ErrUnreadable) {
		t.Errorf("Transcode(empty) = %v; want ErrUnreadable", err)
	}
}

func TestTranscode(t *testing.T) {
	t.Parallel()
	var tool Tool
	opt := TranscodeOptions{
		Title:       "Naïve Café — 夜 (stream)",
		Artist:      "Chorus Artist",
		Album:       "First Album",
		Licence:     "CC BY-SA 4.0 https://creativecommons.org/licenses/by-sa/4.0/",
		Attribution: "“Naïve Café” by Chorus Artist, CC BY-SA 4.0",
		Year:        2021,
		TrackNumber: 7,
	}
	for _, f := range append(audioFixtures, struct {
		file   string
		codec  []string
		format string
		probe  string
	}{file: "cover.mp3"}) {
		t.Run(f.file, func(t *testing.T) {
			t.Parallel()
			src := fix(f.file)
			p, err := tool.Probe(t.Context(), src)
			if err != nil {
				t.Fatal(err)
			}
			o := opt
			o.ExpectedDuration = p.Duration
			// The caller's temporary name has no .mp3 extension.
			dst := filepath.Join(t.TempDir(), "upload.tmp")
			res, err := tool.Transcode(t.Context(), src, dst, o)
			if err != nil {
				t.Fatalf("Transcode: %v", err)
			}
			if !near(res.Duration, 3*time.Second, 200*time.Millisecond) {
				t.Errorf("result Duration = %v; want 3s ± 0.2s", res.Duration)
			}
			checkPeaks(t, res.Peaks)

			out, err := tool.Probe(t.Context(), dst)
			if err != nil {
				t.Fatalf("Probe(output): %v", err)
			}
			if out.Format.Name != "mp3" || out.Codec != "mp3" {
				t.Errorf("output format %q codec %q; want mp3", out.Format.Name, out.Codec)
			}
			if !near(out.Duration, 3*time.Second, 200*time.Millisecond) {
				t.Errorf("output Duration = %v", out.Duration)
			}
			if out.Channels != 2 || (out.SampleRate != 44100 && out.SampleRate != 48000) {
				t.Errorf("output %d ch at %d Hz; want stereo at 44.1/48 kHz", out.Channels, out.SampleRate)
			}
			if out.BitRate < 180000 || out.BitRate > 200000 {
				t.Errorf("output BitRate = %d; want ≈ %d", out.BitRate, StreamBitRate)
			}
			if out.HasCover {
				t.Error("output carries a picture stream")
			}
			want := Tags{Title: opt.Title, Artist: opt.Artist, Album: opt.Album, TrackNumber: 7, Year: 2021}
			if out.Tags != want {
				t.Errorf("output Tags = %+v\nwant          %+v", out.Tags, want)
			}
			raw, _, err := tool.runProbe(t.Context(), dst, audioDemuxers, "")
			if err != nil {
				t.Fatal(err)
			}
			tags := raw.Format.Tags
			if tags["copyright"] != opt.Licence || tags["comment"] != opt.Attribution {
				t.Errorf("copyright, comment = %q, %q", tags["copyright"], tags["comment"])
			}
			for k := range tags {
				switch k {
				case "title", "artist", "album", "date", "track", "copyright", "comment", "encoder":
				default:
					t.Errorf("unexpected tag %q=%q leaked into output", k, tags[k])
				}
			}
		})
	}
}

func checkPeaks(t *testing.T, peaks []float32) {
	t.Helper()
	if len(peaks) != PeakCount {
		t.Fatalf("len(Peaks) = %d; want %d", len(peaks), PeakCount)
	}
	var top float32
	for i, v := range peaks {
		if v < 0 || v > 1 {
			t.Fatalf("Peaks[%d] = %v outside [0,1]", i, v)
		}
		top = max(top, v)
	}
	if top != 1 {
		t.Errorf("max peak = %v; want 1", top)
	}
}

func TestTranscodePeaksFollowLoudness(t *testing.T) {
	t.Parallel()
	res, err := Tool{}.Transcode(t.Context(), fix("halfsilent.flac"), filepath.Join(t.TempDir(), "o"), TranscodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !near(res.Duration, 4*time.Second, 100*time.Millisecond) {
		t.Errorf("Duration = %v; want 4s", res.Duration)
	}
	checkPeaks(t, res.Peaks)
	for i, v := range res.Peaks {
		switch {
		case i < PeakCount*45/100 && v < 0.5:
			t.Errorf("Peaks[%d] = %v in the tone half; want ≥ 0.5", i, v)
		case i > PeakCount*55/100 && v > 0.01:
			t.Errorf("Peaks[%d] = %v in the silent half; want ≈ 0", i, v)
		}
	}
}

func TestTranscodeCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dst := filepath.Join(t.TempDir(), "o.mp3")
	_, err := Tool{}.Transcode(ctx, fix("sine.flac"), dst, TranscodeOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Transcode(cancelled) = %v; want context.Canceled", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output exists after cancel: %v", err)
	}

	// Cancel while ffmpeg is running.
	src := benchSource(t)
	ctx, cancel = context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	_, err = Tool{}.Transcode(ctx, src, dst, TranscodeOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Transcode(timeout) = %v; want context.DeadlineExceeded", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output exists after cancel: %v", err)
	}
}

func TestTranscodeArgs(t *testing.T) {
	t.Parallel()
	args := TranscodeArgs("-rf.flac", "out%d.mp3", TranscodeOptions{Title: "a\x00b\nc", Licence: "CC0"})
	joined := strings.Join(args, "\x1f")
	for _, a := range args {
		if strings.HasPrefix(a, "-rf") || strings.HasPrefix(a, "out%d") {
			t.Errorf("path passed unprotected: %q", a)
		}
	}
	for _, want := range []string{"title=a b c", "copyright=CC0", "pipe:1", "libmp3lame", "-map_metadata\x1f-1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("args lack %q: %q", want, args)
		}
	}
	if strings.Contains(joined, "artist=") {
		t.Errorf("empty artist written: %q", args)
	}
}

// TestHostileNames runs the tools on a relative name that looks like an
// option and contains a sequence pattern.
func TestHostileNames(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(fix("cover.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "-y %d.mp3"
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var tool Tool
	if _, err := tool.Probe(t.Context(), name); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if _, err := tool.Transcode(t.Context(), name, "-out %d", TranscodeOptions{}); err != nil {
		t.Fatalf("Transcode: %v", err)
	}
	if err := tool.ExtractCover(t.Context(), name, "-cover %03d"); err != nil {
		t.Fatalf("ExtractCover: %v", err)
	}
	if err := tool.ResizeArtwork(t.Context(), "-cover %03d", 96, "-small %d.jpg"); err != nil {
		t.Fatalf("ResizeArtwork: %v", err)
	}
	for _, f := range []string{"-out %d", "-cover %03d", "-small %d.jpg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("expected output %q: %v", f, err)
		}
	}
}

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchSource returns a 30-second stereo FLAC, generated on first use.
func benchSource(tb testing.TB) string {
	tb.Helper()
	benchOnce.Do(func() {
		benchPath = fix("bench30.flac")
		benchErr = ffmpegRun("-f", "lavfi", "-i", "sine=frequency=440:duration=30", "-f", "lavfi",
			"-i", "sine=frequency=660:duration=30", "-filter_complex", "[0][1]amerge=inputs=2",
			"-c:a", "flac", benchPath)
	})
	if benchErr != nil {
		tb.Fatal(benchErr)
	}
	return benchPath
}

func BenchmarkTranscode(b *testing.B) {
	src := benchSource(b)
	dst := filepath.Join(b.TempDir(), "out.mp3")
	var tool Tool
	for b.Loop() {
		res, err := tool.Transcode(b.Context(), src, dst, TranscodeOptions{Title: "Bench", ExpectedDuration: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Peaks) != PeakCount {
			b.Fatal("bad peaks")
		}
	}
}
