package media

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

const (
	// MaxImagePixels is the largest picture, in pixels (width × height),
	// that ResizeArtwork decodes: about 67 megapixels, above what phone
	// cameras produce. Bigger images are refused before decoding so a small
	// "decompression bomb" file cannot exhaust memory.
	MaxImagePixels = 64 << 20

	// MinArtworkSize and MaxArtworkSize bound ResizeArtwork's size argument,
	// in pixels.
	MinArtworkSize = 16
	MaxArtworkSize = 4096

	// artworkQuality is ffmpeg's -q:v for JPEG output (2 best ... 31
	// worst); 3 is visually lossless for artwork at a moderate size.
	artworkQuality = "3"

	// exifHeadSize is how much of a JPEG is searched for EXIF orientation.
	// EXIF lives in an APP1 segment of at most 64 KiB near the start.
	exifHeadSize = 128 << 10
)

// ArtworkSizes returns the square sizes, in pixels, made for covers and
// artist pictures: 96 (lists), 300 (pages) and 1200 (full view). It returns a
// new slice on each call, so callers may modify it.
func ArtworkSizes() []int { return []int{96, 300, 1200} }

// ExtractCover writes the picture embedded in the audio file src (its first
// attached_pic stream: ID3 APIC, FLAC PICTURE, MP4 covr, ...) to dst.
//
// The picture is copied byte for byte, so dst holds whatever format was
// embedded (usually JPEG or PNG); if copying fails it is re-encoded as JPEG.
// Pass dst to ResizeArtwork to make the published sizes, which also strips
// any metadata the picture carries.
//
// Errors: ErrNoCover if src has no embedded picture or the picture cannot be
// decoded; ErrUnreadable if ffprobe cannot read src. ctx cancellation kills
// the tool and returns ctx's error. On error dst is removed.
func (t Tool) ExtractCover(ctx context.Context, src, dst string) (err error) {
	src, dst = safePath(src), safePath(dst)
	out, _, err := t.runProbe(ctx, src, audioDemuxers, "it seems to be damaged or is not an audio file we accept")
	if err != nil {
		return err
	}
	pic := -1
	for _, s := range out.Streams {
		if s.attachedPic() {
			pic = s.Index
			break
		}
	}
	if pic < 0 {
		return reject(ErrNoCover, "", "")
	}

	defer func() {
		if err != nil {
			_ = os.Remove(dst)
		}
	}()
	args := func(codec ...string) []string {
		a := []string{
			"-nostdin", "-hide_banner", "-loglevel", "level+error", "-y",
			"-protocol_whitelist", "file",
			"-format_whitelist", audioDemuxers,
			"-i", src,
			"-map", "0:" + strconv.Itoa(pic),
			"-map_metadata", "-1",
			"-frames:v", "1",
		}
		a = append(a, codec...)
		// image2 with -update 1 writes one file named exactly dst, never
		// expanding "%d" in the name as a sequence pattern.
		return append(a, "-f", "image2", "-update", "1", dst)
	}
	_, _, err = run(ctx, t.ffmpeg(), args("-c", "copy"), 0)
	if err != nil && isExit(err) {
		var detail string
		_, detail, err = run(ctx, t.ffmpeg(), args("-c:v", "mjpeg", "-q:v", artworkQuality,
			"-vf", "format=yuvj420p"), 0)
		if err != nil && isExit(err) {
			return reject(ErrNoCover, "the embedded picture could not be read", detail)
		}
	}
	return err
}

// ResizeArtwork makes a square JPEG of size×size pixels from the picture at
// src and writes it to dst.
//
// src must be a JPEG, PNG, GIF or WebP image (judged from its content, not
// its name); only the first frame of an animation is used. The picture is
// turned upright according to its EXIF orientation, scaled so its shorter
// side is size, cropped to the centre square, and flattened onto white where
// it is transparent. The JPEG that ffmpeg writes carries no EXIF or other
// metadata, so camera details and GPS positions are dropped.
//
// size must be between MinArtworkSize and MaxArtworkSize; see ArtworkSizes
// for the sizes used by Chorus.
//
// Errors: ErrNotImage if src is not one of the accepted image formats or is
// larger than MaxImagePixels; ErrUnreadable if it is empty or cannot be
// decoded. ctx cancellation kills ffmpeg and returns ctx's error. On error
// dst is removed.
func (t Tool) ResizeArtwork(ctx context.Context, src string, size int, dst string) (err error) {
	if size < MinArtworkSize || size > MaxArtworkSize {
		return fmt.Errorf("media: artwork size %d outside [%d, %d]", size, MinArtworkSize, MaxArtworkSize)
	}
	src, dst = safePath(src), safePath(dst)
	head, _, err := readHead(src, exifHeadSize)
	if err != nil {
		return err
	}
	if len(head) == 0 {
		return reject(ErrUnreadable, "the file is empty", "")
	}
	m := mimetype.Detect(head[:min(len(head), SniffSize)])
	if !mimetype.EqualsAny(m.String(), "image/jpeg", "image/png", "image/gif", "image/webp") {
		reason := describe(m)
		if m.Is("image/apng") {
			reason = "it is an animated PNG, which we do not accept"
		}
		return reject(ErrNotImage, strings.Replace(reason, "not an audio file", "not a picture", 1), "")
	}

	orient := ""
	if m.Is("image/jpeg") {
		orient = orientationFilter(jpegOrientation(head))
	}
	s := strconv.Itoa(size)
	filter := "color=c=white:s=" + s + "x" + s + ",format=rgb24[bg];" +
		"[0:v]" + orient +
		"scale=" + s + ":" + s + ":force_original_aspect_ratio=increase:flags=lanczos," +
		"crop=" + s + ":" + s + ",format=rgba[fg];" +
		"[bg][fg]overlay=shortest=1:format=auto,format=yuvj420p[out]"
	args := []string{
		"-nostdin", "-hide_banner", "-loglevel", "level+error", "-y",
		// We rotate from EXIF ourselves; stop newer ffmpeg versions from
		// doing it a second time.
		"-noautorotate",
		"-protocol_whitelist", "file",
		"-format_whitelist", imageDemuxers,
		"-max_pixels", strconv.Itoa(MaxImagePixels),
		"-i", src,
		"-filter_complex", filter,
		"-map", "[out]",
		"-map_metadata", "-1",
		"-frames:v", "1",
		"-c:v", "mjpeg", "-q:v", artworkQuality,
		"-f", "image2", "-update", "1", dst,
	}
	defer func() {
		if err != nil {
			_ = os.Remove(dst)
		}
	}()
	_, detail, err := run(ctx, t.ffmpeg(), args, 0)
	if err != nil && isExit(err) {
		if strings.Contains(detail, "exceeds specified max pixel count") {
			return reject(ErrNotImage, fmt.Sprintf("it is larger than %d megapixels", MaxImagePixels/1_000_000), detail)
		}
		return reject(ErrUnreadable, "the picture seems to be damaged or incomplete", detail)
	}
	return err
}

// orientationFilter returns the ffmpeg filters (with a trailing comma) that
// turn a picture with the given EXIF orientation (1–8) upright.
func orientationFilter(o int) string {
	switch o {
	case 2:
		return "hflip,"
	case 3:
		return "hflip,vflip,"
	case 4:
		return "vflip,"
	case 5:
		return "transpose=cclock_flip,"
	case 6:
		return "transpose=clock,"
	case 7:
		return "transpose=clock_flip,"
	case 8:
		return "transpose=cclock,"
	}
	return ""
}

// jpegOrientation returns the EXIF orientation (1–8) recorded in the JPEG
// whose leading bytes are b, or 0 if there is none or b is malformed.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 0
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image: no more metadata
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

// tiffOrientation reads tag 0x0112 from IFD0 of the TIFF structure t.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// Type SHORT (3) with count 1 keeps the value in the first two
		// bytes of the value field.
		if bo.Uint16(t[e+2:]) != 3 {
			return 0
		}
		if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}
