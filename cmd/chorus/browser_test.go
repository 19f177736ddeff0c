package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath finds Debian's Chromium. The test fails, never skips, when
// it is missing: CI installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium package (apt-get install chromium)")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestBrowserPlaysAndSeeks opens a track page in a real browser, presses
// play, sees the playback time advance, seeks, and plays on.
func TestBrowserPlaysAndSeeks(t *testing.T) {
	data := t.TempDir()
	dbURL := "sqlite://" + filepath.Join(data, "chorus.db")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "song.ogg"), tone(t, ".ogg", 40, 440, map[string]string{"title": "Browser Song", "album": "Web"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := runCLI(t, "import", "--artist", "Player", "--license", "cc-by-4.0", "--quiet", "--data", data, "--database-url", dbURL, dir); err != nil {
		t.Fatalf("import: %v %s %s", err, out, errOut)
	}
	srv := startServerOn(t, data, dbURL)
	ctx := newBrowser(t)

	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.TextContent(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	now := func() float64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('audio').currentTime`))
		if err != nil {
			t.Fatalf("currentTime: %v", err)
		}
		return v
	}
	waitFor := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", js, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/tracks/1"), chromedp.WaitVisible(".player.enhanced .play-toggle")); err != nil {
		t.Fatalf("open the track page: %v", err)
	}
	if title := text("h1"); !strings.Contains(title, "Browser Song") {
		t.Errorf("page title %q", title)
	}
	elapsedBefore := text(".player .elapsed")
	if err := chromedp.Do(ctx, chromedp.Click(".player .play-toggle")); err != nil {
		t.Fatalf("press play: %v", err)
	}
	waitFor(`document.querySelector('audio').currentTime > 1.2`)
	t1 := now()
	elapsedAfter := text(".player .elapsed")
	if elapsedBefore != "0:00" || elapsedAfter == "0:00" || !strings.HasPrefix(elapsedAfter, "0:0") {
		t.Errorf("elapsed time went from %q to %q", elapsedBefore, elapsedAfter)
	}
	if label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.player .play-toggle').getAttribute('aria-label')`)); err != nil || label != "Pause" {
		t.Errorf("play button label while playing: %q %v", label, err)
	}
	// Seek far ahead; playing on from there needs the server's Range support.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('audio').currentTime = 30, true`)); err != nil {
		t.Fatal(err)
	}
	waitFor(`document.querySelector('audio').currentTime > 31`)
	t2 := now()
	// Back 5 s with the keyboard on the waveform.
	if err := chromedp.Do(ctx, chromedp.Focus(".player .wave"), chromedp.KeyEvent(kb.ArrowLeft), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatalf("keyboard seek: %v", err)
	}
	t3 := now()
	if t1 <= 1 || t2 < 31 || t3 >= t2 {
		t.Errorf("playback times %s, %s, %s: want play, a seek to 30 s, then 5 s back", ff(t1), ff(t2), ff(t3))
	}
}

func ff(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// waitInBrowser waits up to 20 s until js is true in the page, trying
// again when a navigation interrupts the evaluation, and fails the test
// with the page's address and text otherwise.
func waitInBrowser(ctx context.Context, t *testing.T, js string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 600)`))
	t.Fatalf("waiting for %s; page:\n%s", js, page)
}
