package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"unicode/utf8"
)

// Parsed is a message read back from its wire form, for display.
type Parsed struct {
	Header netmail.Header
	// Subject is the decoded Subject header (RFC 2047 encoded words).
	Subject string
	// Text and HTML are the decoded parts ("" when absent).
	Text, HTML string
}

// maxPartBytes bounds what Parse reads of one part.
const maxPartBytes = 4 << 20

// Parse reads an RFC 5322 message whose body is text/plain, text/html, or
// a multipart/alternative (RFC 2046 §5.1.4) of those, in quoted-printable,
// base64 or 7/8-bit transfer encoding (RFC 2045 §6), and decodes it.
func Parse(raw []byte) (Parsed, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Parsed{}, fmt.Errorf("read message: %w", err)
	}
	p := Parsed{Header: msg.Header}
	dec := mime.WordDecoder{}
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		p.Subject = msg.Header.Get("Subject")
	}
	err = p.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	return p, err
}

func (p *Parsed) readPart(contentType, encoding string, body io.Reader, depth int) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii" // RFC 2045 §5.2
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth > 3 {
			return errors.New("multipart nested too deep")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart leaves the transfer encoding to us, the same
			// way for every encoding.
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := p.readPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, depth+1); err != nil {
				return err
			}
		}
	}
	var r io.Reader = io.LimitReader(body, maxPartBytes)
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // skips line breaks
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s part: %w", mediaType, err)
	}
	text := string(b)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	switch mediaType {
	case "text/plain":
		if p.Text == "" {
			p.Text = text
		}
	case "text/html":
		if p.HTML == "" {
			p.HTML = text
		}
	}
	return nil
}

// MaskAddress hides most of an email address while leaving enough for its
// owner to recognise it: "nadia.b@example.org" becomes "n•••@e•••.org".
// It is what a notice sent to another address shows of it.
func MaskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return "•••"
	}
	first := func(s string) string {
		for _, r := range s {
			return string(r) + "•••"
		}
		return "•••"
	}
	tld := ""
	if i := strings.LastIndexByte(domain, '.'); i > 0 {
		tld, domain = domain[i:], domain[:i]
	}
	return first(local) + "@" + first(domain) + tld
}
