package web

// THROWAWAY: drives the dev server's player in Chromium. Delete before handing over.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

func TestUIPlayer(t *testing.T) {
	base := os.Getenv("CHORUS_UIPLAYER")
	if base == "" {
		t.Skip("set CHORUS_UIPLAYER")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("/usr/bin/chromium"), chromedp.NoSandbox,
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	path := os.Getenv("CHORUS_UIPATH")
	if path == "" {
		path = "/albums/1"
	}
	ev := func(js string) any {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Logf("eval %s: %v", js, err)
		}
		return v
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(".player .play-toggle")))
	t.Logf("before: label %v elapsed %v", ev(`document.querySelector('.player .play-toggle').getAttribute('aria-label')`), ev(`document.querySelector('.player .elapsed').textContent`))
	must(chromedp.Do(ctx, chromedp.Click(".player .play-toggle"), chromedp.Sleep(2500*time.Millisecond)))
	t.Logf("after play: label %v currentTime %v elapsed %v", ev(`document.querySelector('.player .play-toggle').getAttribute('aria-label')`), ev(`document.querySelector('audio').currentTime`), ev(`document.querySelector('.player .elapsed').textContent`))
	must(chromedp.Do(ctx, chromedp.Focus(".player .wave"), chromedp.KeyEvent("\u0303"), chromedp.Sleep(300*time.Millisecond)))
	t.Logf("after ArrowRight: currentTime %v elapsed %v aria %v", ev(`document.querySelector('audio').currentTime`), ev(`document.querySelector('.player .elapsed').textContent`), ev(`document.querySelector('.player .wave').getAttribute('aria-valuetext')`))
	b, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	_ = os.WriteFile("/tmp/player-run.png", b, 0o644)
	ev(`(function(){var a=document.querySelector('audio'); a.currentTime=a.duration-1; return 0})()`)
	must(chromedp.Do(ctx, chromedp.Sleep(2500*time.Millisecond)))
	t.Logf("after end: now %v index %v currentTime %v src %v", ev(`document.querySelector('[data-now-title]').textContent`),
		ev(`Array.from(document.querySelectorAll('[data-playlist] li')).findIndex(li=>li.classList.contains('is-current'))`),
		ev(`document.querySelector('audio').currentTime`), ev(`document.querySelector('audio').src`))
	// click a playlist item
	must(chromedp.Do(ctx, chromedp.Click("[data-playlist] li:nth-child(3) [data-play-item]"), chromedp.Sleep(1500*time.Millisecond)))
	t.Logf("after click 3rd: now %v t %v", ev(`document.querySelector('[data-now-title]').textContent`), ev(`document.querySelector('audio').currentTime`))
	cancel()
	for m, err := range msgs {
		if err != nil {
			break
		}
		t.Log("console:", m.String())
	}
}

// CHORUS_UISHOTS=base CHORUS_UIPAGES="/a /b" CHORUS_UIW=390 CHORUS_UILOGIN=1
func TestUIShots(t *testing.T) {
	base := os.Getenv("CHORUS_UISHOTS")
	if base == "" {
		t.Skip("set CHORUS_UISHOTS")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("/usr/bin/chromium"), chromedp.NoSandbox)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	w := int64(1280)
	if v := os.Getenv("CHORUS_UIW"); v != "" {
		var n int
		for _, c := range v {
			n = n*10 + int(c-'0')
		}
		w = int64(n)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(chromedp.Do(ctx))
	msgs := chromedp.Console(ctx)
	if w < 700 {
		must(chromedp.Do(ctx, chromedp.EmulateViewport(w, 800, chromedp.EmulateScale(1), chromedp.EmulateMobile)))
	} else {
		must(chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)))
	}
	if os.Getenv("CHORUS_UIDARK") != "" {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		must(err)
	}
	if os.Getenv("CHORUS_UINOJS") != "" {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		must(err)
	}
	if os.Getenv("CHORUS_UILOGIN") != "" {
		must(chromedp.Do(ctx, chromedp.Navigate(base+"/login"), chromedp.SendKeys("#f-login", os.Getenv("CHORUS_UIUSER")), chromedp.SendKeys("#f-password", "password123"),
			chromedp.Click("button[type=submit].wide"), chromedp.Sleep(1500*time.Millisecond)))
	}
	for i, p := range strings.Fields(os.Getenv("CHORUS_UIPAGES")) {
		if p == "UPLOAD" {
			files := strings.Fields(os.Getenv("CHORUS_UIFILES"))
			must(chromedp.Do(ctx, chromedp.Navigate(base+"/studio/upload"), chromedp.SetUploadFiles("#f-files", files),
				chromedp.Click("form[data-upload-form] button[type=submit]"), chromedp.Sleep(300*time.Millisecond)))
			pb, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			_ = os.WriteFile("/tmp/shot-progress.png", pb, 0o644)
			must(chromedp.Do(ctx, chromedp.Sleep(6*time.Second)))
		} else {
			must(chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.Sleep(800*time.Millisecond)))
		}
		hgt, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollHeight`))
		for k := 0; k < 6 && float64(k*760) < hgt; k++ {
			_, _ = chromedp.Run(ctx, chromedp.Evaluate[any](fmt.Sprintf(`window.scrollTo(0, %d); 0`, k*760)))
			_ = chromedp.Do(ctx, chromedp.Sleep(200*time.Millisecond))
			b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			must(err)
			name := fmt.Sprintf("/tmp/shot-%d-%d-%d.png", w, i, k)
			_ = os.WriteFile(name, b, 0o644)
			t.Log(name, p)
		}
	}
	cancel()
	for m, err := range msgs {
		if err != nil {
			break
		}
		t.Log("console:", m.String())
	}
}
