package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"chorus/internal/store"
)

// TestBrowserMentionNotifies has a member post a comment mentioning
// another on a track, in a real browser; the member mentioned logs in,
// sees the unread count in the header and the notification on
// /notifications, clicks it, and lands on the comment, the count gone.
func TestBrowserMentionNotifies(t *testing.T) {
	srv := startServer(t, store.SQLite)
	ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
	track := publishTones(t, ana, "", "Low Tone")[0]
	member(t, srv.URL, "bea")
	member(t, srv.URL, "cid")
	ctx := newBrowser(t)

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	str := func(what, script string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](script))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	logIn := func(name string) {
		t.Helper()
		run("log in "+name, chromedp.Navigate(srv.URL+"/login"),
			chromedp.SendKeys(`form[action^="/login"] input[name="login"]`, name),
			chromedp.SendKeys(`form[action^="/login"] input[name="password"]`, "a long password"),
			chromedp.Submit(`form[action^="/login"] input[name="password"]`))
		waitInBrowser(ctx, t, `!location.pathname.startsWith('/login')`)
	}

	// bea mentions cid in a comment on the track.
	logIn("bea")
	page := fmt.Sprintf("/tracks/%d", track)
	run("track page", chromedp.Navigate(srv.URL+page), chromedp.WaitReady("#comment-body"))
	run("write", chromedp.SendKeys("#comment-body", "You will like this, @cid!"), chromedp.Submit("#comment-body"))
	waitInBrowser(ctx, t, `location.hash.startsWith('#comment-')`)
	comment := str("comment anchor", `location.hash`)
	if got := str("bea's count", `(document.querySelector('#unread-count') || {textContent: ''}).textContent`); got != "" {
		t.Errorf("bea has an unread count %q after her own comment", got)
	}
	run("log out", chromedp.Click(`form[action="/logout"] button`))
	waitInBrowser(ctx, t, `!document.querySelector('form[action="/logout"]')`)

	// cid logs in: the header counts one unread notification.
	logIn("cid")
	run("home", chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady("#notifications-link"))
	if got := strings.TrimSpace(str("count", `document.querySelector('#unread-count').textContent`)); got != "1 unread" {
		t.Errorf("unread count %q, want 1", got)
	}
	run("open notifications", chromedp.Click("#notifications-link"))
	waitInBrowser(ctx, t, `location.pathname === '/notifications'`)
	text := str("notification", `document.querySelector('li.notification.unread button.link').textContent`)
	if !strings.Contains(text, "bea mentioned you in a comment on \u201cLow Tone\u201d") {
		t.Errorf("notification reads %q", text)
	}
	run("click it", chromedp.Click("li.notification.unread button.link"))
	waitInBrowser(ctx, t, `location.pathname === '`+page+`' && location.hash === '`+comment+`'`)
	if got := str("comment", `document.querySelector('`+comment+`').textContent`); !strings.Contains(got, "You will like this") {
		t.Errorf("landed on %q, not the comment", got)
	}
	if got := str("count after", `document.querySelector('#unread-count') ? 'shown' : ''`); got != "" {
		t.Errorf("the unread count is still shown after reading")
	}
}
