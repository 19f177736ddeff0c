package main

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"chorus/internal/consent"
	"chorus/internal/store/storetest"
)

// TestBrowserHoldsNothingBeforeConsent is line 11 of the consent work, in a
// real Chromium: after the first page load and before any choice the
// browser holds no cookie and nothing in local storage, session storage or
// IndexedDB, and no request has gone to another origin; after refusing it
// holds only the consent-id cookie; after accepting on the choices page,
// only cookies that the choices page declares.
func TestBrowserHoldsNothingBeforeConsent(t *testing.T) {
	d := storetest.Dialects()[len(storetest.Dialects())-1]
	srv := startServer(t, d)
	track := importedTrack(t, srv)
	ctx := newBrowser(t)

	var (
		mu       sync.Mutex
		requests []string
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	waitJS := func(js string) {
		t.Helper()
		waitInBrowser(ctx, t, js)
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	// cookies lists the names of every cookie the browser holds, as the
	// page's URL sees them and in the whole browser.
	cookies := func() []string {
		t.Helper()
		page, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.URL + "/"}})
		if err != nil {
			t.Fatal(err)
		}
		all, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range append(page.Cookies, all.Cookies...) {
			if !slices.Contains(names, c.Name) {
				names = append(names, c.Name)
			}
		}
		slices.Sort(names)
		return names
	}
	// storageHeld says what the page's scripts can see: document.cookie,
	// local and session storage, IndexedDB databases; "" when empty.
	storageHeld := func() string {
		t.Helper()
		var got string
		var err error
		for range 50 {
			got, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
				const held = [];
				if (document.cookie) held.push("document.cookie=" + document.cookie);
				for (let i = 0; i < localStorage.length; i++) held.push("localStorage:" + localStorage.key(i));
				for (let i = 0; i < sessionStorage.length; i++) held.push("sessionStorage:" + sessionStorage.key(i));
				for (const db of await indexedDB.databases()) held.push("indexedDB:" + db.name);
				return held.join(" ");
			})()`, chromedp.EvalAwaitPromise))
			if err == nil {
				return got
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("read the page's storage: %v", err)
		return ""
	}
	// elsewhere lists requests to another origin, from the CDP network
	// events and from the page's own Performance API resource entries.
	elsewhere := func() []string {
		t.Helper()
		entries, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(e => e.name)`))
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, u := range append(append([]string{}, requests...), entries...) {
			if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
				out = append(out, u)
			}
		}
		return out
	}

	// First page load: the banner, and nothing held.
	do(chromedp.Navigate(srv.URL + track))
	waitJS(`document.readyState === "complete" && !!document.querySelector("[data-consent-banner]") && !!document.querySelector(".player.enhanced")`)
	time.Sleep(500 * time.Millisecond) // let the page's scripts run their course
	if names := cookies(); len(names) != 0 {
		t.Errorf("before any choice the browser holds cookies %v", names)
	}
	if held := storageHeld(); held != "" {
		t.Errorf("before any choice the page holds %s", held)
	}
	mu.Lock()
	seen := len(requests)
	mu.Unlock()
	if seen == 0 {
		t.Fatal("no request was recorded: the recording does not work")
	}
	if out := elsewhere(); len(out) != 0 {
		t.Errorf("requests to other origins: %v", out)
	}

	// Refuse: only the consent id.
	do(chromedp.Click(`[data-consent-banner] button[value="refuse"]`))
	waitJS(`document.readyState === "complete" && location.pathname === "` + track + `" && !document.querySelector("[data-consent-banner]")`)
	if names := cookies(); !slices.Equal(names, []string{consent.ConsentCookie}) {
		t.Errorf("after refusing the browser holds cookies %v, want only %s", names, consent.ConsentCookie)
	}
	if held := storageHeld(); held != "" {
		t.Errorf("after refusing the page holds %s", held)
	}

	// Listening works after refusing.
	do(chromedp.Click(".player .play-toggle"))
	waitJS(`document.querySelector("audio").currentTime > 0.5`)

	// Accept on the choices page, reached from the footer: only declared cookies.
	do(chromedp.Click(`footer a[href="/privacy/choices"]`))
	waitJS(`document.readyState === "complete" && location.pathname === "/privacy/choices"`)
	do(chromedp.Click(`form[action="/privacy/consent"] button[value="accept"]`))
	waitJS(`document.readyState === "complete" && document.body.innerText.includes("yes to Analytics, Personalisation, Sharing with your contacts")`)
	var declared []string
	for _, c := range consent.Cookies {
		declared = append(declared, c.Name)
	}
	for _, name := range cookies() {
		if !slices.Contains(declared, name) {
			t.Errorf("after accepting the browser holds the undeclared cookie %s", name)
		}
	}
	if held := storageHeld(); held != "" {
		t.Errorf("after accepting the page holds %s", held)
	}
	if out := elsewhere(); len(out) != 0 {
		t.Errorf("requests to other origins: %v", out)
	}
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	for _, c := range consent.Cookies {
		if !strings.Contains(body, c.Name) {
			t.Errorf("the choices page does not declare %s", c.Name)
		}
	}
}
