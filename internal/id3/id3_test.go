package id3

import (
	"bytes"
	"io"
	"testing"
)

func TestTagSizeRoundTrip(t *testing.T) {
	tag := Tag{Title: "Naïve Café", Artist: "Zoë", Copyright: "CC BY 4.0", LicenceURL: "https://creativecommons.org/licenses/by/4.0/", Comment: "c"}.Encode()
	n, err := Size(bytes.NewReader(append(append([]byte{}, tag...), 0xff, 0xfb)))
	if err != nil || n != int64(len(tag)) {
		t.Fatalf("Size = %d, %v; want %d", n, err, len(tag))
	}
	if n, _ := Size(bytes.NewReader([]byte{0xff, 0xfb, 0x90})); n != 0 {
		t.Fatalf("Size of untagged audio = %d", n)
	}
}

func TestPrependSeeks(t *testing.T) {
	old := Tag{Title: "old"}.Encode()
	audio := bytes.Repeat([]byte("0123456789"), 50)
	mp3 := append(append([]byte{}, old...), audio...)
	tag := Tag{Title: "new"}.Encode()
	want := append(append([]byte{}, tag...), audio...)
	rs, err := Prepend(tag, bytes.NewReader(mp3), int64(len(old)), int64(len(mp3)))
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(rs)
	if err != nil || !bytes.Equal(all, want) {
		t.Fatalf("whole read differs (%v)", err)
	}
	for _, off := range []int64{0, 5, int64(len(tag)) - 1, int64(len(tag)), int64(len(tag)) + 123, int64(len(want)) - 1} {
		if _, err := rs.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 7)
		n, _ := io.ReadFull(rs, buf)
		if !bytes.Equal(buf[:n], want[off:min(int64(len(want)), off+7)]) {
			t.Fatalf("read at %d = %q, want %q", off, buf[:n], want[off:min(int64(len(want)), off+7)])
		}
	}
	if end, _ := rs.Seek(0, io.SeekEnd); end != int64(len(want)) {
		t.Fatalf("size %d, want %d", end, len(want))
	}
}
