package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"chorus/internal/store"
)

// TestBrowserProfile fills the profile form in a real browser as a person
// does: a wrong link is refused with the typed values kept, then the
// profile with a picture is saved and the public page shows the public
// parts and the picture, not the private real name.
func TestBrowserProfile(t *testing.T) {
	srv := startServer(t, store.SQLite)
	signup := newClient(t, srv.URL)
	if resp, body := signup.postForm("/signup", url.Values{"email": {"ana@example.org"}, "username": {"ana"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signup: %d %s", resp.StatusCode, body)
	}
	photo := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(photo, jpegWithGPS(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login?next=%2Fsettings%2Fprofile"),
		chromedp.SendKeys("#f-login", "ana"),
		chromedp.SendKeys("#f-password", "a long password"),
		chromedp.Submit("#f-password"),
		chromedp.WaitVisible("#f-real_name"),
		chromedp.SendKeys("#f-real_name", "Ana Lima"),
		chromedp.SendKeys("#f-location", "Porto"),
		chromedp.SendKeys("#f-links", "https://example.org/ana\njavascript:alert(1)"),
		chromedp.SetUploadFiles("#f-picture", []string{photo}),
		chromedp.Submit("#f-real_name"),
		chromedp.WaitVisible("#err-links"),
	)
	if err != nil {
		t.Fatalf("first profile form: %v", err)
	}
	if msg := eval(`document.querySelector('#err-links').textContent`); !strings.Contains(msg, "Link 2 must be an https://") {
		t.Errorf("links error %q", msg)
	}
	if v := eval(`document.querySelector('#f-real_name').value + '|' + document.querySelector('#f-location').value`); v != "Ana Lima|Porto" {
		t.Errorf("the refused form kept %q", v)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue("#f-links", "https://example.org/ana"),
		chromedp.Click(`input[name="location_visibility"][value="public"]`),
		chromedp.SetUploadFiles("#f-picture", []string{photo}),
		chromedp.Submit("#f-real_name"),
		chromedp.WaitVisible(".flash"),
	)
	if err != nil {
		t.Fatalf("second profile form: %v", err)
	}
	if msg := eval(`document.querySelector('.flash').textContent`); !strings.Contains(msg, "Your profile is saved") {
		t.Errorf("after saving: %q", msg)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/members/ana"), chromedp.WaitVisible("h1")); err != nil {
		t.Fatalf("public page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('img.avatar') && document.querySelector('img.avatar').complete`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("waiting for the picture: %v", err)
	}
	if w := eval(`String(document.querySelector('img.avatar').naturalWidth)`); w != "300" {
		t.Errorf("the picture did not load on the public page: natural width %s", w)
	}
	text := eval(`document.querySelector('main').innerText`)
	if !strings.Contains(text, "Porto") || strings.Contains(text, "Ana Lima") {
		t.Errorf("public page text:\n%s", text)
	}
	if rel := eval(`document.querySelector('.member-links a').rel`); rel != "nofollow ugc noopener" {
		t.Errorf("link rel %q", rel)
	}
}
