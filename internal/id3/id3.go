// Package id3 writes ID3v2.4 tags for MP3 downloads, following the ID3v2.4.0
// structure and frames documents (id3.org, 2000): a 10-byte header with a
// synchsafe size, then text frames in UTF-8 (encoding byte 3).
package id3

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
)

// Tag is the metadata a downloaded MP3 carries.
type Tag struct {
	Title, Artist, Album string
	Year, TrackNumber    int
	// Copyright is the TCOP text: the attribution with the licence.
	Copyright string
	// LicenceURL is the WCOP frame: the licence deed (as CC recommends for MP3).
	LicenceURL string
	// SourceURL is the WOAS frame: where the file comes from.
	SourceURL string
	Comment   string
}

// Encode returns the complete tag: header and frames, no padding.
func (t Tag) Encode() []byte {
	var frames bytes.Buffer
	text := func(id, v string) {
		if v == "" {
			return
		}
		frame(&frames, id, append([]byte{3}, v...))
	}
	text("TIT2", t.Title)
	text("TPE1", t.Artist)
	text("TALB", t.Album)
	if t.Year > 0 {
		text("TDRC", strconv.Itoa(t.Year))
	}
	if t.TrackNumber > 0 {
		text("TRCK", strconv.Itoa(t.TrackNumber))
	}
	text("TCOP", t.Copyright)
	if t.LicenceURL != "" {
		frame(&frames, "WCOP", []byte(t.LicenceURL))
	}
	if t.SourceURL != "" {
		frame(&frames, "WOAS", []byte(t.SourceURL))
	}
	if t.Comment != "" {
		// COMM: encoding, language, empty description, text.
		body := append([]byte{3, 'e', 'n', 'g', 0}, t.Comment...)
		frame(&frames, "COMM", body)
	}
	out := make([]byte, 10, 10+frames.Len())
	copy(out, "ID3\x04\x00\x00")
	putSynchsafe(out[6:10], uint32(frames.Len()))
	return append(out, frames.Bytes()...)
}

func frame(w *bytes.Buffer, id string, body []byte) {
	var hdr [10]byte
	copy(hdr[:4], id)
	putSynchsafe(hdr[4:8], uint32(len(body))) // v2.4 frame sizes are synchsafe
	w.Write(hdr[:])
	w.Write(body)
}

// putSynchsafe writes n as four 7-bit bytes (ID3v2.4 §6.2).
func putSynchsafe(b []byte, n uint32) {
	b[0] = byte(n >> 21 & 0x7f)
	b[1] = byte(n >> 14 & 0x7f)
	b[2] = byte(n >> 7 & 0x7f)
	b[3] = byte(n & 0x7f)
}

// Size reads the start of r and returns the length in bytes of the ID3v2
// tag there (header, frames, padding and footer), or 0 when r does not
// start with one. r is left at an unspecified position.
func Size(r io.Reader) (int64, error) {
	var hdr [10]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return 0, nil
		}
		return 0, err
	}
	if string(hdr[:3]) != "ID3" || hdr[3] == 0xff || hdr[4] == 0xff {
		return 0, nil
	}
	sz := binary.BigEndian.Uint32(hdr[6:10])
	n := int64(sz&0x7f | sz>>8&0x7f<<7 | sz>>16&0x7f<<14 | sz>>24&0x7f<<21)
	n += 10
	if hdr[5]&0x10 != 0 { // footer present
		n += 10
	}
	return n, nil
}

// Prepend returns a seekable view of a new tag followed by the audio of an
// MP3 whose own leading tag (skip bytes) is left out. size is the MP3's
// length in bytes. Seeking and reading map onto mp3, so it can be served
// with HTTP Range requests.
func Prepend(tag []byte, mp3 io.ReadSeeker, skip, size int64) (io.ReadSeeker, error) {
	if skip < 0 || skip > size {
		return nil, errors.New("id3: tag size beyond the end of the file")
	}
	return &prepended{tag: tag, mp3: mp3, skip: skip, size: int64(len(tag)) + size - skip, mp3Pos: -1}, nil
}

type prepended struct {
	tag    []byte
	mp3    io.ReadSeeker
	skip   int64
	size   int64 // total length
	off    int64 // current offset in the whole
	mp3Pos int64 // offset the mp3 reader is at, -1 when unknown
}

func (p *prepended) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	if p.off < int64(len(p.tag)) {
		n := copy(b, p.tag[p.off:])
		p.off += int64(n)
		return n, nil
	}
	want := p.off - int64(len(p.tag)) + p.skip
	if p.mp3Pos != want {
		if _, err := p.mp3.Seek(want, io.SeekStart); err != nil {
			return 0, err
		}
		p.mp3Pos = want
	}
	if rest := p.size - p.off; int64(len(b)) > rest {
		b = b[:rest]
	}
	n, err := p.mp3.Read(b)
	p.off += int64(n)
	p.mp3Pos += int64(n)
	if err == io.EOF && p.off < p.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (p *prepended) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += p.off
	case io.SeekEnd:
		offset += p.size
	default:
		return 0, errors.New("id3: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("id3: negative position")
	}
	p.off = offset
	return offset, nil
}
