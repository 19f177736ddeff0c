package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mileusna/useragent"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
)

// analyticsCookieMaxAge is how long a visitor's random analytics id lasts:
// the retention of raw events.
const analyticsCookieMaxAge = 395 * 24 * time.Hour

// newEvent describes r as an event of kind: the referring host, the browser
// family, system and device type (the User-Agent itself is not kept), the
// network truncated to /24 or /48, the country of the full address when
// the site has a GeoIP database (the lookup reads a local file; the
// address is not kept for it), and the full address for the security log
// only. It carries an identifier only when the person consented to
// analytics (s.consented, which a Global Privacy Control signal refuses):
// a member's id, unless they paused their history, or a visitor's random
// id from the analytics cookie, set here on its first use. w may be nil
// when no cookie may be set.
func (s *Server) newEvent(w http.ResponseWriter, r *http.Request, kind analytics.Kind) store.Event {
	browser, system, device := describeDevice(r.UserAgent())
	ev := store.Event{Time: s.Now(), Kind: string(kind), Referrer: s.referrerHost(r),
		Browser: known(withoutVersion(browser), knownBrowsers), OS: known(withoutVersion(system), knownSystems), Device: device,
		Network: networkPrefix(r.RemoteAddr), Country: s.GeoIP.CountryOf(r.RemoteAddr), IP: fullAddress(r.RemoteAddr)}
	if !s.consented(r, consent.Analytics) {
		// A random id left from an earlier consent (withdrawn, or
		// replaced at login by a member's refusal) is removed.
		if _, err := r.Cookie(consent.AnalyticsCookie); err == nil && w != nil {
			http.SetCookie(w, &http.Cookie{Name: consent.AnalyticsCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		return ev
	}
	if m := s.member(r); m != nil {
		paused, err := s.DB.HistoryPaused(r.Context(), m.ID)
		if err != nil {
			s.Logger.Warn("read history setting", "err", err)
			return ev // not linked when unsure
		}
		if !paused {
			ev.MemberID = m.ID
		}
		return ev
	}
	if c, err := r.Cookie(consent.AnalyticsCookie); err == nil && validRandomID(c.Value) {
		ev.VisitorID = c.Value
	} else if w != nil {
		ev.VisitorID = randomToken(16)
		http.SetCookie(w, &http.Cookie{Name: consent.AnalyticsCookie, Value: ev.VisitorID, Path: "/",
			MaxAge: int(analyticsCookieMaxAge / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: strings.HasPrefix(s.BaseURL, "https://")})
	}
	return ev
}

// validRandomID reports whether v is a random id as randomToken(16) makes
// them: 32 lower-case hex digits.
func validRandomID(v string) bool {
	if len(v) != 32 || strings.ToLower(v) != v {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

// Statistics name only well-known browsers and systems: any other name a
// User-Agent gives, which may be rare enough to single someone out, is
// counted as "Other".
var (
	knownBrowsers = []string{useragent.Chrome, useragent.Firefox, useragent.Safari, useragent.MobileSafari, useragent.Edge,
		useragent.Opera, useragent.OperaMini, useragent.Vivaldi, useragent.SamsungBrowser, useragent.InternetExplorer,
		useragent.HeadlessChrome, useragent.Googlebot, useragent.Bingbot, useragent.FacebookApp, useragent.InstagramApp}
	knownSystems = []string{useragent.Windows, useragent.Android, useragent.MacOS, useragent.IOS, useragent.Linux,
		useragent.ChromeOS, useragent.FreeBSD, useragent.WindowsPhone}
)

// known returns name when it is in list, "" when it is empty, else "Other".
func known(name string, list []string) string {
	if name == "" || slices.Contains(list, name) {
		return name
	}
	return "Other"
}

// withoutVersion cuts the version describeDevice adds ("Firefox 128" →
// "Firefox"): statistics keep the family only.
func withoutVersion(s string) string {
	if i := strings.LastIndexByte(s, ' '); i > 0 && strings.Trim(s[i+1:], "0123456789") == "" {
		return s[:i]
	}
	return s
}

// fullAddress is the client's address without the port, for the security log.
func fullAddress(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// referrerHost is the host of the Referer header (RFC 9110 §10.1.3) when
// it names another site; the path and query, which may say anything
// about the person, are dropped. Links within Chorus give "".
func (s *Server) referrerHost(r *http.Request) string {
	return s.hostOfReferrer(r, r.Referer())
}

// hostOfReferrer is referrerHost for the referring address ref: "" when
// it is empty, not an http(s) URL, within Chorus, or its host is not a
// well-formed DNS name or IP address (so that nobody can write arbitrary
// text into the statistics as a "referrer").
func (s *Server) hostOfReferrer(r *http.Request, ref string) string {
	if ref == "" || len(ref) > 2048 {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if !validHostname(host) {
		return ""
	}
	if base, err := url.Parse(s.BaseURL); err == nil && strings.EqualFold(base.Hostname(), host) {
		return ""
	}
	if r.Host != "" && strings.EqualFold(hostOnly(r.Host), host) {
		return ""
	}
	return chorus.CleanText(host, 100, false)
}

// validHostname reports whether host is an IP address or a DNS name of
// letters, digits and hyphens in dot-separated labels of 1 to 63
// characters, at most 253 in all (RFC 1123 §2.1, RFC 1035 §2.3.4).
func validHostname(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// recordEvent stores ev and returns once it is committed. Without an
// ingester (tools that do not serve) nothing is recorded.
func (s *Server) recordEvent(r *http.Request, ev store.Event) error {
	if s.Analytics == nil {
		return nil
	}
	return s.Analytics.Record(r.Context(), ev)
}

// noteEvent records an event that accompanies a page (a search): it waits
// for the commit, so that the member's history shows it at once, but
// when the ingester is full or failing the page still goes out and the
// event is lost, with a warning in the log.
func (s *Server) noteEvent(r *http.Request, ev store.Event) {
	if crawler(ev) {
		return
	}
	if err := s.recordEvent(r, ev); err != nil && r.Context().Err() == nil {
		s.Logger.Warn("record analytics event", "kind", ev.Kind, "err", err)
	}
}

// queueEvent queues an event that accompanies every page or file (a page
// view, a download) without waiting for its commit
// (analytics.Ingester.Enqueue), so that no page waits on the database for
// its statistics: when the queue is full or closed the event is lost,
// with a warning in the log.
func (s *Server) queueEvent(ev store.Event) {
	if s.Analytics == nil || crawler(ev) {
		return
	}
	if err := s.Analytics.Enqueue(ev); err != nil {
		s.Logger.Warn("record analytics event", "kind", ev.Kind, "err", err)
	}
}

// crawler reports whether ev comes from a robot that declares itself in
// its User-Agent (a search engine's crawler): robots are not listeners, so
// their page views, downloads and searches are not counted. Headless
// browsers, which people also use, still count.
func crawler(ev store.Event) bool {
	return ev.Device == deviceBot && ev.Browser != useragent.HeadlessChrome
}

// busy answers 503 with Retry-After (RFC 9110 §10.2.3) when the ingester
// queue is full, so the client tries again later instead of the server
// holding its event in memory.
func busy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "2")
	http.Error(w, "The site is busy. Please try again in a few seconds.", http.StatusServiceUnavailable)
}

// streamNotes remembers, for a few hours and in memory only, how many
// bytes of each track were streamed to each client, so that a reported
// play can be checked against what the client really received. A client
// is known by a hash of its address, User-Agent and the track: no cookie
// is needed and nothing is stored.
type streamNotes struct {
	mu    sync.Mutex
	notes map[[16]byte]*streamNote
}

type streamNote struct {
	bytes   int64
	expires time.Time
}

const (
	// streamNoteLife is how long after its last byte a stream can back a play.
	streamNoteLife = 6 * time.Hour
	// maxStreamNotes bounds the memory notes take (about 100 bytes each).
	maxStreamNotes = 100_000
)

func newStreamNotes() *streamNotes { return &streamNotes{notes: map[[16]byte]*streamNote{}} }

func streamKey(r *http.Request, trackID int64) [16]byte {
	h := sha256.New()
	h.Write([]byte(fullAddress(r.RemoteAddr)))
	h.Write([]byte{0})
	h.Write([]byte(r.UserAgent()))
	h.Write([]byte{0, byte(trackID), byte(trackID >> 8), byte(trackID >> 16), byte(trackID >> 24), byte(trackID >> 32), byte(trackID >> 40)})
	var k [16]byte
	copy(k[:], h.Sum(nil))
	return k
}

// add counts n more bytes streamed under key at now.
func (sn *streamNotes) add(key [16]byte, n int64, now time.Time) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	note := sn.notes[key]
	if note == nil {
		if len(sn.notes) >= maxStreamNotes {
			for k, v := range sn.notes {
				if now.After(v.expires) || len(sn.notes) >= maxStreamNotes {
					delete(sn.notes, k)
				}
				if len(sn.notes) < maxStreamNotes*9/10 {
					break
				}
			}
		}
		note = &streamNote{}
		sn.notes[key] = note
	}
	note.bytes += n
	note.expires = now.Add(streamNoteLife)
}

// take reports whether at least need bytes were streamed under key since
// the last play it backed: one stream backs one play, so a replay needs
// the stream to be fetched again.
func (sn *streamNotes) take(key [16]byte, need int64, now time.Time) bool {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	note := sn.notes[key]
	if note == nil || now.After(note.expires) || note.bytes < need {
		return false
	}
	note.bytes = 0
	return true
}

// playBytes is how much of the stream a play needs: 30 seconds of it or
// half the track, whichever is less (the usual definition of a play).
func playBytes(t chorus.Track) int64 {
	half := t.StreamSize / 2
	if t.Duration <= 0 {
		return half
	}
	return min(half, int64(float64(t.StreamSize)*float64(30*time.Second)/float64(t.Duration)))
}

// countingWriter notes the body bytes written to a stream as they go. The
// bytes are noted before they are written (and what could not be written
// taken back after), so that a client that has received them and reports
// its play at once never finds the note behind.
type countingWriter struct {
	http.ResponseWriter
	add func(int64)
}

func (c countingWriter) Write(p []byte) (int, error) {
	c.add(int64(len(p)))
	n, err := c.ResponseWriter.Write(p)
	if n < len(p) {
		c.add(int64(n - len(p)))
	}
	return n, err
}

// errPlayNotStreamed refuses a play report without the stream behind it.
var errPlayNotStreamed = &chorus.SafeError{Kind: chorus.ErrConflict,
	Safe: "This play was not counted: not enough of the track was streamed to this browser (30 seconds or half the track)."}

// eventError turns the ingester's refusals into answers: busy → 503.
func eventError(w http.ResponseWriter, err error) error {
	if errors.Is(err, analytics.ErrBusy) || errors.Is(err, analytics.ErrClosed) {
		busy(w)
		return nil
	}
	return err
}

// notePageView records a view of a public page; the pages of a track, an
// album or an artist name their subject, taken from the page's data.
func (s *Server) notePageView(w http.ResponseWriter, r *http.Request, data any) {
	if s.Analytics == nil || r.URL.Path == "/search" { // searches are events of their own
		return
	}
	ev := s.newEvent(w, r, analytics.PageView)
	ev.Path = chorus.CleanText(r.URL.Path, 200, false)
	m, _ := data.(map[string]any)
	switch r.Pattern {
	case "GET /tracks/{id}":
		if t, ok := m["Track"].(chorus.Track); ok {
			ev.TrackID, ev.AlbumID, ev.ArtistID = t.ID, t.AlbumID, t.ArtistID
		}
	case "GET /albums/{id}":
		if a, ok := m["Album"].(chorus.Album); ok {
			ev.AlbumID, ev.ArtistID = a.ID, a.ArtistID
		}
	case "GET /artists/{slug}":
		if a, ok := m["Artist"].(chorus.Artist); ok {
			ev.ArtistID = a.ID
		}
	}
	s.queueEvent(ev)
}
