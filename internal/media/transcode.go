package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	// PeakCount is the number of waveform values Transcode returns.
	PeakCount = 1000

	// StreamBitRate is the bit rate of the MP3 stream copies, in bits per
	// second. Constant bit rate keeps byte offsets proportional to time, so
	// browsers seek precisely with HTTP range requests.
	StreamBitRate = 192000

	// peakRate is the sample rate, in Hz, of the mono PCM that peaks are
	// computed from. 8 kHz is plenty for a waveform drawing and keeps the
	// pipe at 16 KB per second of audio.
	peakRate = 8000

	// peakBlocks bounds the per-block maxima kept while streaming: when
	// this many have accumulated, neighbours are merged and blocks double in
	// length. Memory stays at 32 KiB whatever the duration, and every final
	// bucket spans at least 8 blocks, so bucket edges are off by at most one
	// eighth of a bucket.
	peakBlocks = 16 * PeakCount

	// truncationSlack is how much shorter than the declared duration decoded
	// audio may be before the file counts as truncated, on top of a 5%
	// margin. Encoder delay and padding account for a few tens of ms.
	truncationSlack = time.Second
)

// TranscodeOptions are the tags written into the MP3 stream copy, and an
// optional length check.
//
// Strings are cleaned like Tags (control characters removed, NFC); empty
// strings and zero numbers are left out.
type TranscodeOptions struct {
	Title       string
	Artist      string
	Album       string
	Licence     string // e.g. "CC BY-SA 4.0 https://creativecommons.org/licenses/by-sa/4.0/"; written as the ID3 copyright (TCOP) frame
	Attribution string // e.g. "“Song” by Artist, CC BY 4.0, via Chorus"; written as the ID3 comment (COMM) frame
	Year        int    // release year, written as the date
	TrackNumber int    // position on the album, written as the track

	// ExpectedDuration, if positive, is the length the source declares,
	// normally Probe.Duration. When the decoded audio is clearly shorter the
	// file is treated as truncated (ErrUnreadable). Leave it zero when
	// Probe.DurationEstimated is set, since estimates can be far too long.
	ExpectedDuration time.Duration
}

// TranscodeResult is what one pass of ffmpeg produced.
type TranscodeResult struct {
	// Duration is the length of the decoded audio, measured by counting
	// samples rather than trusting the container.
	Duration time.Duration

	// Peaks is a waveform outline of exactly PeakCount values in [0, 1]:
	// bucket i holds the loudest absolute sample in the i-th of PeakCount
	// equal slices of the audio, scaled so the loudest bucket is 1. All
	// values are 0 for digital silence.
	Peaks []float32
}

// TranscodeArgs returns the ffmpeg argument list (without the program name)
// that Transcode runs for src, dstMP3 and opt, so benchmarks and scripts can
// run exactly the same command.
//
// The single ffmpeg process decodes the first audio stream of src once and
// writes two outputs:
//
//  1. dstMP3: MP3 (libmp3lame, constant StreamBitRate) with a Xing/Info
//     header, stereo, at 44.1 or 48 kHz (other rates are resampled to the
//     nearer of the two). No picture or other streams, none of the source's
//     metadata or chapters: only opt's tags, as ID3v2.3 (the most widely
//     supported version).
//  2. pipe:1 (stdout): mono signed 16-bit little-endian PCM at 8 kHz, from
//     which Transcode computes the duration and peaks.
//
// Paths are made absolute so they cannot be read as options.
func TranscodeArgs(src, dstMP3 string, opt TranscodeOptions) []string {
	args := []string{
		"-nostdin", "-hide_banner",
		"-loglevel", "level+error",
		"-y", // the caller hands over a fresh temporary path, which may already exist
		"-protocol_whitelist", "file",
		"-format_whitelist", audioDemuxers,
		"-i", safePath(src),

		// Output 1: the MP3 stream copy.
		"-map", "0:a:0",
		"-vn", "-sn", "-dn",
		"-map_metadata", "-1", "-map_chapters", "-1",
		"-af", "aformat=sample_rates=44100|48000:channel_layouts=stereo",
		"-c:a", "libmp3lame",
		"-b:a", strconv.Itoa(StreamBitRate),
		"-id3v2_version", "3",
		"-write_xing", "1",
	}
	meta := func(key, value string) {
		if v := cleanText(value); v != "" {
			args = append(args, "-metadata", key+"="+v)
		}
	}
	meta("title", opt.Title)
	meta("artist", opt.Artist)
	meta("album", opt.Album)
	if opt.Year > 0 {
		meta("date", strconv.Itoa(opt.Year))
	}
	if opt.TrackNumber > 0 {
		meta("track", strconv.Itoa(opt.TrackNumber))
	}
	meta("copyright", opt.Licence)
	meta("comment", opt.Attribution)
	args = append(args,
		"-f", "mp3", safePath(dstMP3),

		// Output 2: PCM for the waveform and the measured duration, in
		// one-second packets with output buffering, so that ffmpeg writes
		// the pipe in a few large pieces rather than one per audio frame
		// (each small write costs the reader a wake-up).
		"-map", "0:a:0",
		"-vn", "-sn", "-dn",
		"-map_metadata", "-1",
		"-af", "aresample="+strconv.Itoa(peakRate)+",aformat=sample_fmts=s16:channel_layouts=mono,asetnsamples=n="+strconv.Itoa(peakRate)+":p=0",
		"-ac", "1", "-ar", strconv.Itoa(peakRate),
		"-c:a", "pcm_s16le",
		"-flush_packets", "0",
		"-f", "s16le", "pipe:1",
	)
	return args
}

// Transcode decodes src once, with a single ffmpeg process (see
// TranscodeArgs), writing the MP3 stream copy to exactly dstMP3 and
// returning the measured duration and waveform peaks.
//
// The PCM used for peaks is streamed and reduced on the fly, so memory use
// does not grow with the length of the audio.
//
// Errors: ErrNotAudio or ErrUnreadable (empty file) from sniffing src;
// ErrUnreadable if ffmpeg fails (damaged or truncated input), decodes no
// audio, or decodes clearly less than opt.ExpectedDuration. ctx cancellation
// kills ffmpeg and returns ctx's error. On any error dstMP3 is removed.
func (t Tool) Transcode(ctx context.Context, src, dstMP3 string, opt TranscodeOptions) (res TranscodeResult, err error) {
	src = safePath(src)
	head, _, err := readHead(src, SniffSize)
	if err != nil {
		return res, err
	}
	if _, err := Sniff(head); err != nil {
		return res, err
	}

	// Only remove dstMP3 once ffmpeg may have written to it: before that the
	// path may still belong to someone else's file.
	started := false
	defer func() {
		if err != nil && started {
			_ = os.Remove(safePath(dstMP3))
		}
	}()

	cmd := command(ctx, t.ffmpeg(), TranscodeArgs(src, dstMP3, opt))
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	pcm, err := cmd.StdoutPipe()
	if err != nil {
		return res, fmt.Errorf("media: %w", err)
	}
	if err := cmd.Start(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return res, ctxErr
		}
		return res, fmt.Errorf("media: running %s: %w", t.ffmpeg(), err)
	}
	started = true

	acc := newPeakAccumulator(PeakCount, peakBlocks)
	readErr := acc.readPCM(pcm)
	if readErr != nil {
		// Stop ffmpeg rather than let it block on a pipe nobody reads.
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()

	if ctxErr := ctx.Err(); ctxErr != nil {
		return res, ctxErr
	}
	if readErr != nil {
		return res, fmt.Errorf("media: reading ffmpeg output: %w", readErr)
	}
	if waitErr != nil {
		if isExit(waitErr) && outputFailed(stderr.String()) {
			// Our side (a full disk, a vanished directory), not the file's:
			// an ordinary error, so the job is retried.
			return res, fmt.Errorf("media: ffmpeg could not write its output: %s", lastLine(stderr.String()))
		}
		if isExit(waitErr) {
			return res, reject(ErrUnreadable, "it seems to be damaged or incomplete, and could not be played to the end", stderr.String())
		}
		return res, fmt.Errorf("media: running %s: %w", t.ffmpeg(), waitErr)
	}
	if acc.total == 0 {
		return res, reject(ErrUnreadable, "no sound could be decoded from it", stderr.String())
	}

	res.Duration = time.Duration(acc.total) * time.Second / peakRate
	if want := opt.ExpectedDuration; want > 0 && res.Duration < want-want/20-truncationSlack {
		return res, reject(ErrUnreadable,
			fmt.Sprintf("it seems to be cut off: it should last %s, but only %s could be played",
				formatSeconds(want), formatSeconds(res.Duration)),
			stderr.String())
	}
	if log := stderr.String(); log != "" {
		// Players skip over an occasional broken frame, so we accept the
		// file too, but the operator may want to know.
		slog.WarnContext(ctx, "media: ffmpeg reported problems while transcoding",
			"src", src, "stderr", log)
	}
	res.Peaks = acc.peaks()
	return res, nil
}

// peakAccumulator reduces a stream of samples to a bounded number of
// per-block maxima.
type peakAccumulator struct {
	buckets   int      // number of peaks to produce
	limit     int      // maximum number of blocks kept (even)
	blocks    []uint16 // max |sample| of each complete block
	blockSize int64    // samples per block; doubles on each merge
	cur       uint16   // max |sample| of the block being filled
	curN      int64    // samples in the block being filled
	total     int64    // samples seen
}

func newPeakAccumulator(buckets, limit int) *peakAccumulator {
	if limit%2 != 0 {
		limit++
	}
	return &peakAccumulator{
		buckets:   buckets,
		limit:     limit,
		blocks:    make([]uint16, 0, limit),
		blockSize: 1,
	}
}

// add records one sample.
func (a *peakAccumulator) add(s int16) {
	v := int32(s)
	if v < 0 {
		v = -v // -32768 becomes 32768, which still fits a uint16
	}
	if u := uint16(v); u > a.cur {
		a.cur = u
	}
	a.curN++
	a.total++
	if a.curN < a.blockSize {
		return
	}
	a.blocks = append(a.blocks, a.cur)
	a.cur, a.curN = 0, 0
	if len(a.blocks) == a.limit {
		// Merge neighbours pairwise and double the block length, so the
		// blocks still cover the audio evenly.
		for i := 0; i < a.limit/2; i++ {
			a.blocks[i] = max(a.blocks[2*i], a.blocks[2*i+1])
		}
		a.blocks = a.blocks[:a.limit/2]
		a.blockSize *= 2
	}
}

// readPCM feeds little-endian 16-bit samples from r until EOF.
func (a *peakAccumulator) readPCM(r io.Reader) error {
	buf := make([]byte, 64<<10)
	carry := 0 // a dangling first byte of a sample split across reads
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		even := n &^ 1
		for i := 0; i < even; i += 2 {
			a.add(int16(uint16(buf[i]) | uint16(buf[i+1])<<8))
		}
		carry = n - even
		if carry == 1 {
			buf[0] = buf[even]
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// peaks returns a.buckets values in [0, 1], normalised so the loudest is 1,
// or nil if no samples were seen.
func (a *peakAccumulator) peaks() []float32 {
	if a.total == 0 {
		return nil
	}
	blocks := a.blocks
	if a.curN > 0 {
		blocks = append(blocks, a.cur)
	}
	n := len(blocks)
	raw := make([]uint16, a.buckets)
	var loudest uint16
	for i := range raw {
		lo := i * n / a.buckets
		hi := (i + 1) * n / a.buckets
		if hi <= lo {
			// Fewer blocks than buckets (audio shorter than 1/8 s): repeat.
			hi = lo + 1
		}
		var m uint16
		for _, v := range blocks[lo:hi] {
			m = max(m, v)
		}
		raw[i] = m
		loudest = max(loudest, m)
	}
	out := make([]float32, a.buckets)
	if loudest == 0 {
		return out
	}
	for i, v := range raw {
		out[i] = float32(v) / float32(loudest)
	}
	return out
}

// outputFailed reports whether ffmpeg's log says writing failed, which is
// never the input file's fault.
func outputFailed(log string) bool {
	for _, m := range []string{"No space left on device", "Disk quota exceeded", "Read-only file system", "Error writing trailer", "Broken pipe"} {
		if strings.Contains(log, m) {
			return true
		}
	}
	return false
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
