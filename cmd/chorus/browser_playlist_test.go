package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"chorus/internal/store"
)

// TestBrowserBuildsAndPlaysAPlaylist logs a member in in a real browser,
// makes a playlist from one track's page, adds two more tracks from
// theirs, and presses "Play all" on the playlist: the player plays the
// three tracks one after the other, in the playlist's order, to the end.
func TestBrowserBuildsAndPlaysAPlaylist(t *testing.T) {
	srv := startServer(t, store.SQLite)
	ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
	tracks := publishTones(t, ana, "", "Tone One", "Tone Two", "Tone Three")
	member(t, srv.URL, "bea")
	ctx := newBrowser(t)

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	js := func(what, script string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script+"; true")); err != nil {
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
	run("log in", chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(`form[action^="/login"] input[name="login"]`, "bea"),
		chromedp.SendKeys(`form[action^="/login"] input[name="password"]`, "a long password"),
		chromedp.Submit(`form[action^="/login"] input[name="password"]`))
	waitInBrowser(ctx, t, `!location.pathname.startsWith('/login')`)

	// A new playlist from the first track's page.
	run("first track", chromedp.Navigate(fmt.Sprintf("%s/tracks/%d", srv.URL, tracks[0])), chromedp.WaitReady(".add-to-playlist"))
	js("open the playlist menu", `document.querySelector('.add-to-playlist').open = true`)
	run("name the playlist", chromedp.SendKeys("#pl-new", "Road trip"), chromedp.Submit("#pl-new"))
	waitInBrowser(ctx, t, `location.pathname.startsWith('/playlists/')`)
	list := str("playlist address", `location.pathname`)

	// The two others, from their pages.
	for _, id := range tracks[1:] {
		run("track page", chromedp.Navigate(fmt.Sprintf("%s/tracks/%d", srv.URL, id)), chromedp.WaitReady("#pl-choose"))
		js("open the playlist menu", `document.querySelector('.add-to-playlist').open = true`)
		run("add", chromedp.Submit("#pl-choose"))
		waitInBrowser(ctx, t, `document.body.innerText.includes('The track was added to the playlist.')`)
	}

	// Play all: the queue plays through.
	run("playlist page", chromedp.Navigate(srv.URL+list), chromedp.WaitVisible(".player.enhanced"), chromedp.WaitVisible("[data-play-all]"))
	js("listen", `window.played = []; document.querySelector('audio').addEventListener('playing', function (e) {
		var src = e.target.currentSrc; if (window.played[window.played.length - 1] !== src) window.played.push(src); });`)
	run("play all", chromedp.Click("[data-play-all]"))
	waitInBrowser(ctx, t, `window.played.length === 3 && document.querySelector('audio').ended`)
	played := strings.Split(str("played", `window.played.join(' ')`), " ")
	for i, id := range tracks {
		if i >= len(played) || !strings.HasSuffix(played[i], fmt.Sprintf("/tracks/%d/stream", id)) {
			t.Fatalf("played %v, want the tracks %v in order", played, tracks)
		}
	}
	title := str("now playing", `document.querySelector('[data-now-title]').textContent`)
	if title != "Tone Three" {
		t.Errorf("now playing %q at the end, want the last track", title)
	}
}
