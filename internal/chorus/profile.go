package chorus

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
)

// Profile is what a member tells others about themselves beyond their
// username. Every part is optional, and for each the member chooses whether
// it is public (on their member page, for everyone) or private (shown to
// them only).
type Profile struct {
	RealName string
	Location string // free text: a city, a region, a country
	Bio      string
	// Links are absolute http and https URLs (see CheckLink), at most
	// MaxProfileLinks.
	Links []string
	// PictureKey is the file-store key prefix of the picture, "" if none.
	PictureKey string

	RealNamePublic, LocationPublic, BioPublic, LinksPublic, PicturePublic bool
}

// Limits of a profile, in characters (Unicode code points) except
// MaxProfileLinks. Longer values are refused, not cut.
const (
	MaxRealNameLen  = 100
	MaxLocationLen  = 100
	MaxBioLen       = 2000
	MaxProfileLinks = 5
	MaxLinkLen      = 500
)

// Public returns what anyone may see of p: the private parts emptied.
func (p Profile) Public() Profile {
	out := Profile{RealNamePublic: true, LocationPublic: true, BioPublic: true, LinksPublic: true, PicturePublic: true}
	if p.RealNamePublic {
		out.RealName = p.RealName
	}
	if p.LocationPublic {
		out.Location = p.Location
	}
	if p.BioPublic {
		out.Bio = p.Bio
	}
	if p.LinksPublic {
		out.Links = p.Links
	}
	if p.PicturePublic {
		out.PictureKey = p.PictureKey
	}
	return out
}

// Empty reports whether p has nothing to show.
func (p Profile) Empty() bool {
	return p.RealName == "" && p.Location == "" && p.Bio == "" && len(p.Links) == 0 && p.PictureKey == ""
}

// CheckLink returns raw as a link a profile may show: an absolute http or
// https URL (RFC 3986) with a host, no user name or password in it, no
// spaces, control or format characters (such as the bidirectional
// overrides that make text display as something else), and at most MaxLinkLen characters. Only
// these two schemes are allowed so that a link cannot run script
// ("javascript:") or carry a document ("data:") (OWASP ASVS 5.0 V1.2.2).
// The error text is safe to show to the member.
func CheckLink(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if len([]rune(raw)) > MaxLinkLen {
		return "", errors.New("is longer than 500 characters")
	}
	if strings.ContainsFunc(raw, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar
	}) {
		return "", errors.New("contains spaces or invisible characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("is not a web address")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return "", errors.New("must start with https:// or http://")
	default:
		return "", errors.New("must be an https:// or http:// address")
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", errors.New("has no site name after the //")
	}
	if u.User != nil {
		return "", errors.New("must not contain a user name or password")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}
