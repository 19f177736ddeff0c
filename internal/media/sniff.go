package media

import (
	"bytes"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Format is one accepted upload format.
//
// Name is one of "mp3", "ogg" (Ogg Vorbis, or Ogg FLAC), "opus" (Ogg Opus),
// "flac", "wav" or "m4a" (MP4 audio: AAC, ALAC, ...). MIME is the content type
// to serve the original with, and Ext the conventional file extension,
// including the dot (".mp3").
type Format struct {
	Name string
	MIME string
	Ext  string
}

// knownFormat returns the Format for a Name used in this package. Keeping the
// table in a function rather than a package variable means no caller can
// modify it.
func knownFormat(name string) Format {
	switch name {
	case "mp3":
		return Format{Name: "mp3", MIME: "audio/mpeg", Ext: ".mp3"}
	case "ogg":
		return Format{Name: "ogg", MIME: "audio/ogg", Ext: ".ogg"}
	case "opus":
		// Ogg Opus is served as audio/ogg: browsers sniff the codec from
		// the stream, and "audio/ogg; codecs=opus" trips up some clients.
		return Format{Name: "opus", MIME: "audio/ogg", Ext: ".opus"}
	case "flac":
		return Format{Name: "flac", MIME: "audio/flac", Ext: ".flac"}
	case "wav":
		return Format{Name: "wav", MIME: "audio/wav", Ext: ".wav"}
	case "m4a":
		return Format{Name: "m4a", MIME: "audio/mp4", Ext: ".m4a"}
	}
	return Format{}
}

// Sniff decides from a file's first bytes whether it is audio we accept.
//
// head should be the first SniffSize (3 KiB) bytes of the file, or the whole
// file if it is shorter; more is allowed but ignored. The file name's
// extension and any browser-supplied content type are deliberately not
// consulted: they are under the uploader's control and often wrong.
//
// Ogg files are reported as "opus" when the first packet is an Opus header
// and as "ogg" otherwise; Probe confirms the codec.
//
// Errors: an empty head gives ErrUnreadable ("the file is empty"); anything
// not recognised as MP3, Ogg audio, FLAC, WAV or MP4/M4A gives ErrNotAudio
// with a reason naming what the content looks like, e.g. "it looks like a
// PDF document".
func Sniff(head []byte) (Format, error) {
	if len(head) == 0 {
		return Format{}, reject(ErrUnreadable, "the file is empty", "")
	}
	if len(head) > SniffSize {
		head = head[:SniffSize]
	}
	m := mimetype.Detect(head)
	switch {
	case m.Is("audio/mpeg"):
		return knownFormat("mp3"), nil
	case m.Is("audio/ogg"):
		// An Ogg stream's first page header is 27 bytes plus one segment
		// table entry for the identification packet, so the packet itself
		// starts at byte 28 (the same offset mimetype checks).
		if len(head) > 36 && bytes.HasPrefix(head[28:], []byte("OpusHead")) {
			return knownFormat("opus"), nil
		}
		return knownFormat("ogg"), nil
	case m.Is("audio/flac"):
		return knownFormat("flac"), nil
	case m.Is("audio/wav"):
		return knownFormat("wav"), nil
	case m.Is("audio/x-m4a"), m.Is("audio/mp4"), m.Is("video/mp4"):
		// Plain video/mp4 is accepted because many encoders write AAC
		// files with the generic "isom"/"mp42" brand; Probe still insists
		// on an audio stream.
		return knownFormat("m4a"), nil
	}
	return Format{}, reject(ErrNotAudio, describe(m), "")
}

// describe names detected content for people, as a reason clause.
func describe(m *mimetype.MIME) string {
	const convert = "; please convert it to MP3, FLAC, Ogg, Opus, WAV or M4A"
	for t := m; t != nil; t = t.Parent() {
		base, _, _ := strings.Cut(t.String(), ";")
		if what := describeMIME(strings.TrimSpace(base)); what != "" {
			if strings.HasPrefix(base, "audio/") && !strings.Contains(what, "please") {
				return what + convert
			}
			return "it looks like " + what
		}
		if t.Is("application/octet-stream") {
			break
		}
	}
	base, _, _ := strings.Cut(m.String(), ";")
	switch {
	case strings.HasPrefix(base, "audio/"):
		return "it is in an audio format we do not support" + convert
	case strings.HasPrefix(base, "video/"):
		return "it looks like a video, not an audio file"
	case strings.HasPrefix(base, "image/"):
		return "it looks like an image, not an audio file"
	case strings.HasPrefix(base, "text/"):
		return "it looks like a text file"
	case strings.HasPrefix(base, "font/"):
		return "it looks like a font"
	}
	return "its content was not recognised as MP3, FLAC, Ogg, Opus, WAV or M4A audio"
}

// describeMIME returns a phrase such as "a PNG image" for common types and ""
// for the rest. Audio phrases are complete clauses ("it is AIFF audio ...").
func describeMIME(mime string) string {
	switch mime {
	case "image/png", "image/apng":
		return "a PNG image"
	case "image/jpeg":
		return "a JPEG image"
	case "image/gif":
		return "a GIF image"
	case "image/webp":
		return "a WebP image"
	case "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence":
		return "a HEIC photo"
	case "image/avif":
		return "an AVIF image"
	case "image/tiff":
		return "a TIFF image"
	case "image/bmp":
		return "a BMP image"
	case "image/svg+xml":
		return "an SVG image"
	case "image/vnd.adobe.photoshop":
		return "a Photoshop document"
	case "application/pdf":
		return "a PDF document"
	case "application/postscript":
		return "a PostScript document"
	case "application/zip":
		return "a ZIP archive"
	case "application/vnd.rar":
		return "a RAR archive"
	case "application/x-7z-compressed":
		return "a 7-Zip archive"
	case "application/gzip", "application/x-bzip2", "application/x-xz", "application/zstd", "application/x-tar":
		return "a compressed archive"
	case "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.oasis.opendocument.text", "text/rtf":
		return "a word-processor document"
	case "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.oasis.opendocument.spreadsheet", "text/csv":
		return "a spreadsheet"
	case "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"application/vnd.oasis.opendocument.presentation":
		return "a presentation"
	case "text/html", "application/xhtml+xml":
		return "a web page (HTML)"
	case "application/vnd.apple.mpegurl":
		return "a playlist, which only points to audio stored elsewhere"
	case "application/json", "text/xml":
		return "a data file"
	case "text/plain":
		return "a text file"
	case "application/vnd.microsoft.portable-executable", "application/x-executable", "application/x-elf",
		"application/x-mach-binary", "application/x-sharedlib":
		return "a program"
	case "application/ogg":
		return "an Ogg file without Vorbis, Opus or FLAC audio"
	case "video/ogg", "video/webm", "video/matroska", "video/x-msvideo", "video/quicktime", "video/x-flv",
		"video/x-ms-asf", "video/mpeg", "video/3gpp", "video/3gpp2", "video/x-m4v":
		return "a video, not an audio file"
	case "audio/midi":
		return "it is a MIDI file, which holds notes rather than recorded sound; please upload a recording"
	case "audio/aiff":
		return "it is AIFF audio, which we do not accept"
	case "audio/aac":
		return "it is raw AAC audio without a container, which we do not accept"
	case "audio/ape":
		return "it is Monkey's Audio (APE), which we do not accept"
	case "audio/musepack":
		return "it is Musepack audio, which we do not accept"
	case "audio/amr", "audio/qcelp":
		return "it is a phone voice recording format, which we do not accept"
	case "audio/basic":
		return "it is Sun/NeXT audio (AU), which we do not accept"
	}
	return ""
}
