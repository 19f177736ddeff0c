package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// chorusBinary builds the real binary once per test run.
func chorusBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chorus-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "chorus")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a `chorus serve` running as its own process.
type proc struct {
	cmd    *exec.Cmd
	URL    string
	stderr *syncBuffer
	exited chan error
}

func startProc(t *testing.T, dataDir, dbURL string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--database-url", dbURL}, extra...)
	p := &proc{cmd: exec.Command(chorusBinary(t), args...), stderr: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "listening on "); ok {
				addrc <- strings.Fields(after)[0]
			}
		}
		close(addrc)
	}()
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("process log:\n%s", p.stderr)
		}
	})
	select {
	case addr, ok := <-addrc:
		if !ok {
			t.Fatalf("chorus serve exited before listening:\n%s", p.stderr)
		}
		p.URL = addr
	case <-time.After(30 * time.Second):
		t.Fatalf("chorus serve did not start:\n%s", p.stderr)
	}
	waitReady(t, p.URL)
	registerDataDir(t, p.URL, dataDir)
	return p
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// longTone is a few minutes of audio, long enough to kill a transcode in the middle.
func longTone(t *testing.T) []byte {
	return tone(t, ".flac", 600, 330, map[string]string{"title": "Long Night"})
}

func stagingFiles(t *testing.T, dataDir, pattern string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dataDir, "tmp", "proc-*", pattern))
	return m
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// trackState reads a track straight from the database.
func trackState(t *testing.T, dataDir, dbURL string, id int64) (status string, streamKey string) {
	t.Helper()
	opt := store.Options{URL: dbURL}
	if strings.HasPrefix(dbURL, "sqlite://") {
		opt = store.Options{SQLitePath: strings.TrimPrefix(dbURL, "sqlite://")}
	}
	db, err := store.Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tr, err := db.Track(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return string(tr.Status), tr.StreamKey
}

// TestKillDuringUploadAndTranscode kills a real server with SIGKILL in the
// middle of receiving an upload and in the middle of a transcode, restarts
// it, and checks that what was acknowledged is there and gets processed,
// that nothing half-written is served, and that leftovers are cleaned up.
func TestKillDuringUploadAndTranscode(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { testKill(t, d) })
	}
}

func testKill(t *testing.T, d store.Dialect) {
	data := t.TempDir()
	dbURL := storetest.URL(t, d)
	long := longTone(t)
	p := startProc(t, data, dbURL)
	c := signUpArtist(t, p.URL, "kim", "Kim")

	// 1. An acknowledged upload whose transcode is running when the process dies.
	resp, reply := c.upload(0, uploadFile{"long.flac", long})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %+v", resp.StatusCode, reply)
	}
	acked := reply.Results[0].TrackID
	waitFor(t, "the transcode to start writing", 30*time.Second, func() bool {
		for _, f := range stagingFiles(t, data, "original-*.mp3") {
			if st, err := os.Stat(f); err == nil && st.Size() > 64<<10 {
				return true
			}
		}
		return false
	})

	// 2. An upload in flight: the body is still arriving when the process dies.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/studio/upload", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	go func() {
		w, _ := mw.CreateFormFile("files", "inflight.flac")
		_, _ = w.Write(long[:len(long)/2]) // the rest never comes
	}()
	inflight := make(chan error, 1)
	go func() {
		resp, err := c.http.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("in-flight upload answered %d", resp.StatusCode)
		}
		inflight <- err
	}()
	waitFor(t, "the in-flight upload to be staged", 30*time.Second, func() bool {
		for _, f := range stagingFiles(t, data, "upload-*") {
			if st, err := os.Stat(f); err == nil && st.Size() > 0 {
				return true
			}
		}
		return false
	})
	deadDir := filepath.Dir(stagingFiles(t, data, "upload-*")[0])
	if status, key := trackState(t, data, dbURL, acked); status != "processing" || key != "" {
		t.Fatalf("before the kill the track is %s with stream %q; the test wants to kill mid-transcode", status, key)
	}
	p.kill(t)
	pw.CloseWithError(io.ErrClosedPipe)
	if err := <-inflight; err == nil {
		t.Fatal("the in-flight upload was acknowledged")
	}

	// Restart: leftovers of the dead process are removed, and the job it
	// left running is resumed at once (not after the job timeout).
	p2 := startProc(t, data, dbURL)
	if _, err := os.Stat(deadDir); !os.IsNotExist(err) {
		t.Fatalf("the staging directory of the killed process remains (%v)", err)
	}
	c2 := newClient(t, p2.URL)
	if resp, _ := c2.postForm("/login", url.Values{"login": {"kim"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login after restart: %d", resp.StatusCode)
	}
	// Before it is ready the track is not public, so nothing half-done is served.
	if resp, _ := c2.get(fmt.Sprintf("/tracks/%d/stream", acked)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("stream of an unprocessed track: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(120 * time.Second)
	var st map[string]any
	for time.Now().Before(deadline) {
		_, body := c2.get(fmt.Sprintf("/studio/tracks/%d", acked), "Accept", "application/json")
		st = nil
		_ = json.Unmarshal(body, &st)
		if st["status"] == "ready" || st["status"] == "failed" {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if st["status"] != "ready" {
		t.Fatalf("acknowledged track after restart: %v", st)
	}
	if dur, _ := st["duration_ms"].(float64); dur < 599000 {
		t.Fatalf("processed duration %v ms, want the whole 600 s", dur)
	}
	// Only the in-flight upload is missing; there is exactly one track.
	resp, body := c2.get("/studio")
	if resp.StatusCode != 200 || bytes.Count(body, []byte("/studio/tracks/")) < 1 || bytes.Contains(body, []byte("inflight")) {
		t.Fatalf("studio after restart: %d", resp.StatusCode)
	}
	// The stream is whole: publish and fetch it.
	if resp, _ := c2.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(acked)}, "licence": {"cc0-1.0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	resp, body = c2.get(fmt.Sprintf("/tracks/%d/stream", acked))
	if resp.StatusCode != 200 || int64(len(body)) < 600*192000/8*95/100 {
		t.Fatalf("stream after recovery: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// TestTerminateDrains sends SIGTERM while a stream is being read slowly and
// a transcode runs: the stream completes, the job finishes, and the process
// exits cleanly.
func TestTerminateDrains(t *testing.T) {
	d := storetest.Dialects()[len(storetest.Dialects())-1]
	data := t.TempDir()
	dbURL := storetest.URL(t, d)
	p := startProc(t, data, dbURL)
	c := signUpArtist(t, p.URL, "tess", "Tess")
	resp, reply := c.upload(0, uploadFile{"a.flac", tone(t, ".flac", 120, 440, map[string]string{"title": "Streamed"})})
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	streamed := reply.Results[0].TrackID
	if st := c.waitTrack(streamed); st["status"] != "ready" {
		t.Fatalf("track: %v", st)
	}
	c.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(streamed)}, "licence": {"cc-by-4.0"}})

	_, reply = c.upload(0, uploadFile{"long.flac", longTone(t)})
	processing := reply.Results[0].TrackID
	waitFor(t, "the transcode to start", 30*time.Second, func() bool { return len(stagingFiles(t, data, "original-*.mp3")) > 0 })

	// A slow listener: read the stream in small pieces with pauses.
	sresp, err := http.Get(fmt.Sprintf("%s/tracks/%d/stream", p.URL, streamed))
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	buf := make([]byte, 32<<10)
	got, err := io.ReadFull(sresp.Body, buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		time.Sleep(20 * time.Millisecond)
		n, err := sresp.Body.Read(buf)
		got += n
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stream cut during shutdown after %d bytes: %v", got, err)
		}
	}
	if int64(got) != sresp.ContentLength {
		t.Fatalf("stream delivered %d of %d bytes", got, sresp.ContentLength)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if status, _ := trackState(t, data, dbURL, processing); status != "ready" {
		t.Fatalf("the job running at SIGTERM left its track %s", status)
	}
}
