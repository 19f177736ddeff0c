package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"chorus/internal/mail"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// instance is a running `chorus serve` started through run() on port 0.
type instance struct {
	URL     string
	DataDir string
	DBURL   string
	stop    context.CancelFunc
	done    chan error
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// startServer runs the real program in-process with a fresh data directory
// and database of dialect d, and waits for /readyz.
func startServer(t *testing.T, d store.Dialect, extra ...string) *instance {
	t.Helper()
	return startServerOn(t, t.TempDir(), storetest.URL(t, d), extra...)
}

// startServerOn runs the real program on an existing data directory and database.
func startServerOn(t *testing.T, dataDir, dbURL string, extra ...string) *instance {
	t.Helper()
	inst := &instance{DataDir: dataDir, DBURL: dbURL, logs: &syncBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	inst.stop = cancel
	pr, pw := io.Pipe()
	args := append([]string{"chorus", "serve", "--addr", "127.0.0.1:0", "--data", inst.DataDir, "--database-url", inst.DBURL,
		// Test accounts are minutes old: only the spam tests hold their links.
		"--spam-new-account-age", "0"}, extra...)
	go func() {
		err := run(ctx, args, envFunc(nil), pw, inst.logs)
		pw.Close()
		inst.done <- err
	}()
	sc := bufio.NewScanner(pr)
	addrc := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "listening on "); ok {
				addrc <- strings.Fields(after)[0]
			}
		}
		close(addrc)
	}()
	select {
	case addr, ok := <-addrc:
		if !ok {
			t.Fatalf("server exited: %v\n%s", <-inst.done, inst.logs)
		}
		inst.URL = addr
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start\n%s", inst.logs)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-inst.done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("server did not stop")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", inst.logs)
		}
	})
	waitReady(t, inst.URL)
	registerDataDir(t, inst.URL, inst.DataDir)
	return inst
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never answered 200", base)
}

// client is a browser-like session: cookies, no redirects followed
// unless asked.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read %s: %v", req.URL, err)
	}
	return resp, body
}

func (c *client) get(path string, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

func (c *client) postForm(path string, form url.Values, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

type uploadFile struct {
	Name string
	Body []byte
}

// upload posts files the way a browser form does, asking for JSON results.
func (c *client) upload(artistID int64, files ...uploadFile) (*http.Response, uploadReply) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if artistID != 0 {
		_ = mw.WriteField("artist", fmt.Sprint(artistID))
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile("files", f.Name)
		_, _ = w.Write(f.Body)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/studio/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	resp, body := c.do(req)
	var reply uploadReply
	if err := json.Unmarshal(body, &reply); err != nil {
		c.t.Fatalf("upload answered %d with non-JSON %q", resp.StatusCode, body)
	}
	return resp, reply
}

type uploadReply struct {
	ArtistID int64 `json:"artist_id"`
	Error    string
	Results  []struct {
		File    string `json:"file"`
		TrackID int64  `json:"track_id"`
		Title   string `json:"title"`
		Album   string `json:"album"`
		Error   string `json:"error"`
	} `json:"results"`
}

// signUpArtist creates a member, confirms their email address the way a
// person does, creates an artist and returns the logged-in client.
func signUpArtist(t *testing.T, base, username, artist string) *client {
	t.Helper()
	c := newClient(t, base)
	resp, body := c.postForm("/signup", url.Values{"email": {username + "@example.org"}, "username": {username}, "password": {"a long password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signup: %d %s", resp.StatusCode, body)
	}
	c.verifyEmail(username + "@example.org")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("name", artist)
	_ = mw.WriteField("bio", "Plays music.")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/studio/artists", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body = c.do(req)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create artist: %d %s", resp.StatusCode, body)
	}
	return c
}

var (
	toneMu    sync.Mutex
	toneCache = map[string][]byte{}
)

// tone makes a short audio file with ffmpeg's sine source and the given
// tags; ext picks the format. Results are cached per arguments.
func tone(t testing.TB, ext string, seconds float64, freq int, tags map[string]string) []byte {
	t.Helper()
	key := fmt.Sprint(ext, seconds, freq, tags)
	toneMu.Lock()
	defer toneMu.Unlock()
	if b, ok := toneCache[key]; ok {
		return b
	}
	out := filepath.Join(t.TempDir(), "tone"+ext)
	args := []string{"-v", "error", "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=%d:duration=%g", freq, seconds)}
	for k, v := range tags {
		args = append(args, "-metadata", k+"="+v)
	}
	args = append(args, "-y", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	toneCache[key] = b
	return b
}

// waitTrack polls the studio's JSON view of a track until its status is
// not processing, and returns that status.
func (c *client) waitTrack(id int64) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		resp, body := c.get(fmt.Sprintf("/studio/tracks/%d", id), "Accept", "application/json")
		if resp.StatusCode != http.StatusOK {
			c.t.Fatalf("track %d: %d %s", id, resp.StatusCode, body)
		}
		var v map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			c.t.Fatalf("track %d: %v: %s", id, err, body)
		}
		if v["status"] != "processing" {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("track %d still processing", id)
	return nil
}

// toneWithCover makes an MP3 with an embedded front cover (a 640×480 PNG).
func toneWithCover(t testing.TB, title string) []byte {
	t.Helper()
	dir := t.TempDir()
	png := filepath.Join(dir, "cover.png")
	out := filepath.Join(dir, "covered.mp3")
	cmds := [][]string{
		{"-v", "error", "-f", "lavfi", "-i", "color=c=orange:s=640x480", "-frames:v", "1", "-y", png},
		{"-v", "error", "-f", "lavfi", "-i", "sine=frequency=500:duration=2", "-i", png, "-map", "0:a", "-map", "1:v",
			"-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic", "-id3v2_version", "3",
			"-metadata", "title=" + title, "-y", out},
	}
	for _, args := range cmds {
		if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, b)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dataDirs maps the URL of each running server to its data directory, so
// that a test can read the mail a server wrote there (DATA/mail) knowing
// only the URL.
var dataDirs sync.Map

func registerDataDir(t *testing.T, url, dir string) {
	dataDirs.Store(url, dir)
	t.Cleanup(func() { dataDirs.Delete(url) })
}

// sentMail is a message a server wrote as an .eml file.
type sentMail struct {
	File string
	mail.Parsed
}

// waitMail waits until the server at base has written a message to to
// whose subject contains subject, and returns the newest such message.
func waitMail(t *testing.T, base, to, subject string) sentMail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := mailsTo(t, base, to)
		for i := len(all) - 1; i >= 0; i-- {
			if strings.Contains(all[i].Subject, subject) {
				return all[i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message to %s about %q from %s", to, subject, base)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailsTo returns the messages to to that the server at base wrote in its
// mail folder, oldest first.
func mailsTo(t *testing.T, base, to string) []sentMail {
	t.Helper()
	v, ok := dataDirs.Load(base)
	if !ok {
		t.Fatalf("no data directory known for %s", base)
	}
	dir := filepath.Join(v.(string), "mail")
	entries, _ := os.ReadDir(dir)
	var out []sentMail
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		p, err := mail.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if addr, err := p.Header.AddressList("To"); err == nil && len(addr) == 1 && addr[0].Address == to {
			out = append(out, sentMail{File: e.Name(), Parsed: p})
		}
	}
	// Names are TIME-ID.eml: order by time, then by id as a number.
	slices.SortFunc(out, func(a, b sentMail) int {
		ta, ia := emlOrder(a.File)
		tb, ib := emlOrder(b.File)
		return cmp.Or(strings.Compare(ta, tb), cmp.Compare(ia, ib))
	})
	return out
}

func emlOrder(name string) (string, int) {
	stamp, id, _ := strings.Cut(strings.TrimSuffix(name, ".eml"), "-")
	n, _ := strconv.Atoi(id)
	return stamp, n
}

// linkIn returns the first link in text that starts with prefix.
func linkIn(t *testing.T, text, prefix string) string {
	t.Helper()
	for _, f := range strings.Fields(text) {
		if strings.HasPrefix(f, prefix) {
			return f
		}
	}
	t.Fatalf("no link starting with %s in:\n%s", prefix, text)
	return ""
}

var hiddenToken = regexp.MustCompile(`name="token" value="([^"]+)"`)

// followLink opens a link from a message and presses the button of the
// form the page shows, as a person does: opening the page alone changes
// nothing. It returns the answer to the form.
func (c *client) followLink(link, action string) (*http.Response, []byte) {
	c.t.Helper()
	path := strings.TrimPrefix(link, c.base)
	resp, body := c.get(path)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`action="`+action+`"`)) {
		c.t.Fatalf("GET %s: %d, want a page with a form to %s:\n%s", path, resp.StatusCode, action, body)
	}
	form := url.Values{}
	if m := hiddenToken.FindSubmatch(body); m != nil {
		form.Set("token", html.UnescapeString(string(m[1])))
	}
	return c.postForm(action, form)
}

// verifyEmail confirms the address with the newest confirmation message.
func (c *client) verifyEmail(email string) {
	c.t.Helper()
	msg := waitMail(c.t, c.base, email, "Confirm your email address")
	resp, body := c.followLink(linkIn(c.t, msg.Text, c.base+"/verify?token="), "/verify")
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("confirming %s: %d %s", email, resp.StatusCode, body)
	}
}

// createUser makes an account with `chorus admin create-user` on the
// server's data (address confirmed), with the given role and password.
func createUser(t *testing.T, srv *instance, username, role, password string) {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "pw-"+username)
	if err := os.WriteFile(pw, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runCLI(t, "admin", "create-user", "--email", username+"@example.org", "--username", username, "--role", role,
		"--password-file", pw, "--data", srv.DataDir, "--database-url", srv.DBURL); err != nil {
		t.Fatalf("create-user %s: %v %s", username, err, errOut)
	}
}
