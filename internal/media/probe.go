package media

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Probe is what ffprobe says about an audio file.
type Probe struct {
	// Format is the accepted format, refined by the codec: an Ogg file
	// whose audio is Opus is reported as "opus".
	Format Format

	// Codec is ffmpeg's name for the first audio stream's codec: "mp3",
	// "vorbis", "opus", "flac", "pcm_s16le", "aac", "alac", ...
	Codec string

	// Duration is the length the container declares, always > 0.
	Duration time.Duration

	// DurationEstimated reports that ffprobe had to guess Duration from the
	// bit rate and file size (typically an MP3 without a Xing/VBRI header).
	// Such a guess can be far off for variable-bit-rate files; Transcode
	// measures the real length.
	DurationEstimated bool

	SampleRate int // samples per second per channel, e.g. 44100
	Channels   int // 1 mono, 2 stereo, ...
	BitRate    int // bits per second; 0 if unknown

	// Tags are the file's own title, artist, ... metadata.
	Tags Tags

	// HasCover reports that the file embeds a picture (an attached_pic
	// stream), which ExtractCover can write out.
	HasCover bool
}

// Tags is descriptive metadata read from a file.
//
// Keys are matched case-insensitively in the container's tags first and then
// in the audio stream's tags (Ogg keeps its Vorbis comments on the stream).
// Strings are valid UTF-8 in NFC form, with control characters (including
// NUL) replaced by spaces, runs of white space collapsed and the ends
// trimmed. Numbers are 0 when absent or unparsable.
type Tags struct {
	Title       string
	Artist      string
	Album       string
	AlbumArtist string
	Genre       string
	TrackNumber int // leading number of the track tag: "3/12" -> 3
	DiscNumber  int // leading number of the disc tag: "1/2" -> 1
	Year        int // first four-digit number of the date tag: "2019-05-01" -> 2019
}

// ffprobeOutput is the subset of `ffprobe -print_format json -show_format
// -show_streams` this package reads.
type ffprobeOutput struct {
	Streams []ffprobeStream `json:"streams"`
	Format  struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		BitRate    string            `json:"bit_rate"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
}

type ffprobeStream struct {
	Index       int               `json:"index"`
	CodecName   string            `json:"codec_name"`
	CodecType   string            `json:"codec_type"`
	SampleRate  string            `json:"sample_rate"`
	Channels    int               `json:"channels"`
	BitRate     string            `json:"bit_rate"`
	Duration    string            `json:"duration"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
	Disposition map[string]int    `json:"disposition"`
	Tags        map[string]string `json:"tags"`
}

func (s ffprobeStream) attachedPic() bool {
	return s.CodecType == "video" && s.Disposition["attached_pic"] == 1
}

// probeArgs is the ffprobe command line for path, which must be safe (see
// safePath). The log level includes warnings, tagged with their level, so
// that bit-rate duration estimates can be told apart from real errors.
func probeArgs(path, demuxers string) []string {
	return []string{
		"-hide_banner",
		"-loglevel", "level+warning",
		"-protocol_whitelist", "file",
		"-format_whitelist", demuxers,
		"-print_format", "json",
		"-show_format", "-show_streams",
		"-i", path,
	}
}

// runProbe runs ffprobe on path and decodes its JSON. The returned stderr is
// ffprobe's log (warnings and errors, each tagged "[warning]", "[error]", ...).
// A non-zero exit yields ErrUnreadable with unreadable as the reason.
func (t Tool) runProbe(ctx context.Context, path, demuxers, unreadable string) (ffprobeOutput, string, error) {
	var out ffprobeOutput
	stdout, stderr, err := run(ctx, t.ffprobe(), probeArgs(path, demuxers), maxProbeOutput)
	if err != nil {
		if isExit(err) {
			return out, stderr, reject(ErrUnreadable, unreadable, stderr)
		}
		return out, stderr, err
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		return out, stderr, fmt.Errorf("media: decoding ffprobe output: %w", err)
	}
	return out, stderr, nil
}

// hasLogLevel reports whether a "level+..." tool log has a line at one of
// the given levels, e.g. "error".
func hasLogLevel(log string, levels ...string) bool {
	for _, l := range levels {
		if strings.Contains(log, "["+l+"]") {
			return true
		}
	}
	return false
}

// Probe inspects the audio file at path.
//
// It first sniffs the file's first bytes (see Sniff), then runs
// `ffprobe -print_format json -show_format -show_streams` on it. Probe does
// not decode the whole file; Transcode does, and detects damage further in.
//
// Errors: ErrNotAudio if the content is not an accepted audio format or has no
// audio stream; ErrUnreadable if the file is empty, ffprobe fails or reports
// any error (a damaged start, a missing MP4 index, ...), or no positive
// duration is known. Other errors (missing file, ffprobe not installed,
// ctx cancelled) are returned as they are.
func (t Tool) Probe(ctx context.Context, path string) (Probe, error) {
	path = safePath(path)
	head, _, err := readHead(path, SniffSize)
	if err != nil {
		return Probe{}, err
	}
	sniffed, err := Sniff(head)
	if err != nil {
		return Probe{}, err
	}
	const damaged = "it seems to be damaged or incomplete"
	out, log, err := t.runProbe(ctx, path, audioDemuxers, damaged)
	if err != nil {
		return Probe{}, err
	}
	// ffprobe exits 0 for many damaged files but logs what went wrong while
	// parsing the headers and the first frames; that is the cheapest early
	// sign of truncation or corruption we get.
	if hasLogLevel(log, "error", "fatal", "panic") {
		return Probe{}, reject(ErrUnreadable, damaged, log)
	}

	audio := -1
	var p Probe
	for i, s := range out.Streams {
		switch {
		case s.CodecType == "audio" && audio < 0:
			audio = i
		case s.attachedPic():
			p.HasCover = true
		}
	}
	if audio < 0 {
		return Probe{}, reject(ErrNotAudio, "it contains no audio", log)
	}
	s := out.Streams[audio]
	p.Codec = s.CodecName
	p.Format = refineFormat(sniffed, out.Format.FormatName, s.CodecName)
	p.SampleRate, _ = strconv.Atoi(s.SampleRate)
	p.Channels = s.Channels
	p.BitRate = parseInt(s.BitRate)
	if p.BitRate == 0 {
		p.BitRate = parseInt(out.Format.BitRate)
	}
	p.Duration = parseSeconds(s.Duration)
	if p.Duration <= 0 {
		p.Duration = parseSeconds(out.Format.Duration)
	}
	if p.Duration <= 0 {
		return Probe{}, reject(ErrUnreadable, "its length could not be determined; it may be damaged or incomplete", log)
	}
	p.DurationEstimated = strings.Contains(log, "Estimating duration from bitrate")
	p.Tags = readTags(out.Format.Tags, s.Tags)
	return p, nil
}

// refineFormat settles the format from what ffprobe's demuxer and decoder
// saw, falling back to the sniffed format. The demuxer has the last word
// because it is what will actually read the file.
func refineFormat(sniffed Format, formatName, codec string) Format {
	f := sniffed
	switch {
	case formatName == "mp3":
		f = knownFormat("mp3")
	case formatName == "ogg":
		f = knownFormat("ogg")
	case formatName == "flac":
		f = knownFormat("flac")
	case formatName == "wav":
		f = knownFormat("wav")
	case strings.Contains(formatName, "mp4"):
		f = knownFormat("m4a")
	}
	if f.Name == "ogg" || f.Name == "opus" {
		if codec == "opus" {
			f = knownFormat("opus")
		} else {
			f = knownFormat("ogg")
		}
	}
	return f
}

// readTags collects Tags from container tags and then stream tags.
func readTags(maps ...map[string]string) Tags {
	lower := make(map[string]string)
	for _, m := range maps {
		for k, v := range m {
			k = strings.ToLower(strings.TrimSpace(k))
			if _, seen := lower[k]; !seen && strings.TrimSpace(v) != "" {
				lower[k] = v
			}
		}
	}
	get := func(keys ...string) string {
		for _, k := range keys {
			if v := cleanText(lower[k]); v != "" {
				return v
			}
		}
		return ""
	}
	return Tags{
		Title:       get("title"),
		Artist:      get("artist", "performer"),
		Album:       get("album"),
		AlbumArtist: get("album_artist", "albumartist", "album artist"),
		Genre:       get("genre"),
		TrackNumber: leadingInt(get("track", "tracknumber", "trck")),
		DiscNumber:  leadingInt(get("disc", "discnumber", "tpos")),
		Year:        findYear(get("date", "year", "originaldate", "originalyear", "tdrc", "tyer")),
	}
}

// cleanText makes a tag value safe to store and show: valid UTF-8, NFC,
// control characters (NUL separators of multi-value tags, stray newlines)
// turned into single spaces, and trimmed.
func cleanText(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\uFEFF' {
			// U+FEFF is a byte-order mark left over from UTF-16 tags.
			space = r != '\uFEFF' || space
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// leadingInt parses the number at the start of s ("3/12" -> 3, " 07" -> 7),
// returning 0 when there is none or it is implausibly large for a track or
// disc number.
func leadingInt(s string) int {
	s = strings.TrimSpace(s)
	n := 0
	for i, r := range s {
		if r < '0' || r > '9' {
			s = s[:i]
			break
		}
		n++
	}
	if n == 0 || n > 4 {
		return 0
	}
	v, _ := strconv.Atoi(s[:n])
	return v
}

// findYear returns the first run of exactly four digits in s as a year
// ("2019-05-01" -> 2019, "05/01/2019" -> 2019), or 0.
func findYear(s string) int {
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i == 4 {
			if y, _ := strconv.Atoi(s[i:j]); y > 0 {
				return y
			}
		}
		i = j
	}
	return 0
}

// parseSeconds parses ffprobe's decimal seconds ("3.030204"); "N/A", empty
// and negative values give 0.
func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f <= 0 || f > 1e6 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// parseInt parses a non-negative decimal, giving 0 for anything else.
func parseInt(s string) int {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return 0
	}
	return v
}
