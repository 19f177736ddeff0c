package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gabriel-vasile/mimetype"
)

func TestExtractCover(t *testing.T) {
	t.Parallel()
	var tool Tool
	dst := filepath.Join(t.TempDir(), "cover.tmp")
	if err := tool.ExtractCover(t.Context(), fix("cover.mp3"), dst); err != nil {
		t.Fatalf("ExtractCover: %v", err)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(fix("cover.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("extracted %d bytes (%s); want the embedded PNG copied as is (%d bytes)",
			len(got), mimetype.Detect(got), len(want))
	}

	dst2 := filepath.Join(t.TempDir(), "none.tmp")
	err = tool.ExtractCover(t.Context(), fix("sine.mp3"), dst2)
	if !errors.Is(err, ErrNoCover) {
		t.Errorf("ExtractCover(no picture) = %v; want ErrNoCover", err)
	}
	if _, err := os.Stat(dst2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output written without a cover: %v", err)
	}
}

// decodeJPEG decodes a JPEG with Go's decoder, checking it is a JPEG without
// EXIF.
func decodeJPEG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := mimetype.Detect(b); !m.Is("image/jpeg") {
		t.Fatalf("%s is %s, not JPEG", path, m)
	}
	if bytes.Contains(b, []byte("Exif")) {
		t.Errorf("%s carries EXIF", path)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestResizeArtwork(t *testing.T) {
	t.Parallel()
	var tool Tool
	dir := t.TempDir()
	for _, size := range ArtworkSizes() {
		dst := filepath.Join(dir, "art.tmp")
		if err := tool.ResizeArtwork(t.Context(), fix("wide.png"), size, dst); err != nil {
			t.Fatalf("ResizeArtwork(%d): %v", size, err)
		}
		raw, _, err := tool.runProbe(t.Context(), dst, imageDemuxers, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(raw.Streams) != 1 || raw.Streams[0].Width != size || raw.Streams[0].Height != size ||
			raw.Streams[0].CodecName != "mjpeg" {
			t.Errorf("size %d: ffprobe says %+v", size, raw.Streams)
		}
		img := decodeJPEG(t, dst)
		// The centre crop of a half-blue, half-red wide image keeps both.
		left := img.At(size/8, size/2)
		right := img.At(size-size/8, size/2)
		if !isColor(left, 0, 0, 255) || !isColor(right, 255, 0, 0) {
			t.Errorf("size %d: left %v right %v; want blue | red", size, left, right)
		}
	}

	for _, tc := range []struct {
		file string
		kind error
		want string
	}{
		{"doc.pdf", ErrNotImage, "PDF"},
		{"sine.mp3", ErrNotImage, ""},
		{"notes.txt", ErrNotImage, "text"},
		{"empty.mp3", ErrUnreadable, "empty"},
	} {
		dst := filepath.Join(dir, "bad.jpg")
		err := tool.ResizeArtwork(t.Context(), fix(tc.file), 96, dst)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResizeArtwork(%s) = %v; want %v mentioning %q", tc.file, err, tc.kind, tc.want)
		} else {
			assertFriendly(t, err)
		}
		if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: output written: %v", tc.file, err)
		}
	}
	if err := tool.ResizeArtwork(t.Context(), fix("wide.png"), 5, filepath.Join(dir, "x.jpg")); err == nil {
		t.Error("size 5 accepted")
	}
}

func TestResizeArtworkDamaged(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(fix("wide.png"))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "cut.png")
	if err := os.WriteFile(src, b[:60], 0o644); err != nil {
		t.Fatal(err)
	}
	err = Tool{}.ResizeArtwork(t.Context(), src, 96, filepath.Join(t.TempDir(), "o.jpg"))
	if !errors.Is(err, ErrUnreadable) {
		t.Errorf("ResizeArtwork(truncated PNG) = %v; want ErrUnreadable", err)
	}
}

func TestResizeArtworkTooLarge(t *testing.T) {
	t.Parallel()
	// A PNG header claiming 10000×10000 pixels: refused before decoding.
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.BigEndian.PutUint32(b[16:], 10000) // IHDR width
	binary.BigEndian.PutUint32(b[20:], 10000) // IHDR height
	src := filepath.Join(t.TempDir(), "bomb.png")
	if err := os.WriteFile(src, b, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Tool{}.ResizeArtwork(t.Context(), src, 96, filepath.Join(t.TempDir(), "o.jpg"))
	if !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), "megapixels") {
		t.Errorf("ResizeArtwork(huge) = %v; want a rejection", err)
	}
}

func TestResizeArtworkTransparentAndOrientation(t *testing.T) {
	t.Parallel()
	var tool Tool
	dir := t.TempDir()

	// Fully transparent PNG: flattened onto white rather than black.
	clear := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	var buf bytes.Buffer
	if err := png.Encode(&buf, clear); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "clear.png")
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "clear.jpg")
	if err := tool.ResizeArtwork(t.Context(), src, 96, dst); err != nil {
		t.Fatal(err)
	}
	if c := decodeJPEG(t, dst).At(48, 48); !isColor(c, 255, 255, 255) {
		t.Errorf("transparent area = %v; want white", c)
	}

	// Landscape JPEG, top half red and bottom half blue, tagged "rotate 90°
	// clockwise to display" (orientation 6): upright, red is on the right.
	img := image.NewRGBA(image.Rect(0, 0, 160, 80))
	for y := range 80 {
		for x := range 160 {
			c := color.RGBA{255, 0, 0, 255}
			if y >= 40 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	buf.Reset()
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	src = filepath.Join(dir, "rotated.jpg")
	if err := os.WriteFile(src, withOrientation(buf.Bytes(), 6), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := jpegOrientation(withOrientation(buf.Bytes(), 6)); got != 6 {
		t.Fatalf("jpegOrientation = %d; want 6", got)
	}
	dst = filepath.Join(dir, "rotated-out.jpg")
	if err := tool.ResizeArtwork(t.Context(), src, 96, dst); err != nil {
		t.Fatal(err)
	}
	out := decodeJPEG(t, dst)
	if l, r := out.At(10, 48), out.At(86, 48); !isColor(l, 0, 0, 255) || !isColor(r, 255, 0, 0) {
		t.Errorf("left %v right %v; want blue | red after rotating", l, r)
	}
}

func TestJPEGOrientationMalformed(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{
		nil,
		{0xFF, 0xD8},
		{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF},
		{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 0xFF, 0xFF, 0xFF, 0x7F},
		[]byte("not a jpeg at all"),
	} {
		if got := jpegOrientation(b); got != 0 {
			t.Errorf("jpegOrientation(%q) = %d; want 0", b, got)
		}
	}
	for o := 1; o <= 8; o++ {
		if got := jpegOrientation(withOrientation([]byte{0xFF, 0xD8, 0xFF, 0xD9}, o)); got != o {
			t.Errorf("orientation %d read as %d", o, got)
		}
	}
}

// withOrientation inserts an EXIF APP1 segment with the given orientation
// right after a JPEG's SOI marker.
func withOrientation(jpg []byte, o int) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // orientation SHORT
		0, 0, 0, 0} // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func isColor(c color.Color, r, g, b uint8) bool {
	cr, cg, cb, _ := c.RGBA()
	near := func(got uint32, want uint8) bool {
		d := int(got>>8) - int(want)
		return d > -40 && d < 40
	}
	return near(cr, r) && near(cg, g) && near(cb, b)
}
