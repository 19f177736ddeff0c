package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// startThread opens a thread in category and returns its path, read from
// the redirect.
func (c *client) startThread(category, title, body string) string {
	c.t.Helper()
	resp, page := c.postForm("/discussions/"+category, url.Values{"title": {title}, "body": {body}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/discussions/t/\d+$`).MatchString(loc) {
		c.t.Fatalf("start thread %q: %d %q %.300s", title, resp.StatusCode, loc, page)
	}
	return loc
}

// reply posts to a thread and returns the new post's id, read from the
// redirect to it.
func (c *client) reply(thread, body string) string {
	c.t.Helper()
	resp, page := c.postForm(thread+"/reply", url.Values{"body": {body}})
	m := regexp.MustCompile(`#post-(\d+)$`).FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		c.t.Fatalf("reply to %s: %d %q %.300s", thread, resp.StatusCode, resp.Header.Get("Location"), page)
	}
	return m[1]
}

// mustNotContain fails when body holds any of bad.
func mustNotContain(t *testing.T, what string, body []byte, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if bytes.Contains(body, []byte(b)) {
			t.Errorf("%s holds %q", what, b)
		}
	}
}

// before reports whether a comes before b in body (both present).
func before(body []byte, a, b string) bool {
	i, j := bytes.Index(body, []byte(a)), bytes.Index(body, []byte(b))
	return i >= 0 && j >= 0 && i < j
}

// TestDiscussions checks the discussions end to end: admins manage the
// categories; members open threads and reply, with lengths checked and
// nothing saved on bad input; threads page; read markers show what is new
// and lead to the first unread post; moderators pin (pinned first), lock
// (replies refused) and delete posts, each action shown in the thread;
// authors alone edit and delete their posts; search finds titles and
// texts with LIKE's wildcards taken literally.
func TestDiscussions(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			ana := member(t, srv.URL, "ana")
			bea := member(t, srv.URL, "bea")
			dan := signUp(t, srv.URL, "dan") // address not confirmed
			createUser(t, srv, "rooty", "admin", "an admin password")
			admin := logIn(t, srv.URL, "rooty", "an admin password")
			createUser(t, srv, "modest", "moderator", "a moderator password")
			moderator := logIn(t, srv.URL, "modest", "a moderator password")
			visitor := newClient(t, srv.URL)
			count := func(q string) int {
				t.Helper()
				var n int
				if err := db.SQL().QueryRowContext(ctx, q).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			unlimited := func() { execSQL(t, db, `DELETE FROM rate_limits`) }

			// Categories: admins only.
			newCat := url.Values{"name": {"Music talk"}, "slug": {"music"}, "description": {"Everything about <b>music</b>"}}
			for who, c := range map[string]*client{"a member": ana, "a moderator": moderator} {
				resp, body := c.postForm("/admin/discussions", newCat)
				wantStatus(t, who+" creates a category", resp, body, http.StatusForbidden)
				resp, body = c.get("/admin/discussions")
				wantStatus(t, who+" opens the categories", resp, body, http.StatusForbidden)
			}
			resp, body := visitor.postForm("/admin/discussions", newCat)
			wantStatus(t, "visitor creates a category", resp, body, http.StatusUnauthorized)
			if n := count(`SELECT COUNT(*) FROM discussion_categories`); n != 0 {
				t.Fatalf("%d categories created by people who may not", n)
			}
			resp, body = admin.postForm("/admin/discussions", newCat)
			wantStatus(t, "admin creates a category", resp, body, http.StatusSeeOther)
			resp, body = admin.postForm("/admin/discussions", url.Values{"name": {"General chat"}})
			wantStatus(t, "admin creates a category with a slug from its name", resp, body, http.StatusSeeOther)
			resp, body = admin.postForm("/admin/discussions", url.Values{"name": {"Other"}, "slug": {"music"}})
			wantStatus(t, "taken slug", resp, body, http.StatusConflict)
			mustContain(t, "taken slug", body, "/discussions/music")
			resp, body = admin.postForm("/admin/discussions", url.Values{"name": {"Search"}, "slug": {"search"}})
			wantStatus(t, "reserved slug", resp, body, http.StatusUnprocessableEntity)
			resp, body = admin.postForm("/admin/discussions", url.Values{"name": {"  "}})
			wantStatus(t, "no name", resp, body, http.StatusUnprocessableEntity)
			if n := count(`SELECT COUNT(*) FROM discussion_categories`); n != 2 {
				t.Fatalf("%d categories, want 2", n)
			}
			general := fmt.Sprint(count(`SELECT id FROM discussion_categories WHERE slug = 'general-chat'`))
			for who, c := range map[string]*client{"a member": ana, "a moderator": moderator, "a visitor": visitor} {
				for _, p := range []string{"/admin/discussions/" + general, "/admin/discussions/" + general + "/archive", "/admin/discussions/" + general + "/down"} {
					resp, _ := c.postForm(p, url.Values{"name": {"Taken over"}})
					if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("%s POST %s: %d, want 403 or 401", who, p, resp.StatusCode)
					}
				}
			}
			resp, body = admin.postForm("/admin/discussions/"+general, url.Values{"name": {"General"}, "description": {"Anything else"}})
			wantStatus(t, "rename", resp, body, http.StatusSeeOther)
			resp, body = admin.postForm("/admin/discussions/"+general+"/up", nil)
			wantStatus(t, "move up", resp, body, http.StatusSeeOther)
			_, body = visitor.get("/discussions")
			mustContain(t, "index", body, `href="/discussions/general-chat">General</a>`, "Anything else", "Everything about &lt;b&gt;music&lt;/b&gt;", `href="/discussions">Discussions</a>`)
			mustNotContain(t, "index", body, "Taken over", "<b>music</b>")
			if !before(body, "/discussions/general-chat", "/discussions/music") {
				t.Error("moving a category up did not reorder the index")
			}
			admin.postForm("/admin/discussions/"+general+"/archive", nil)
			_, body = visitor.get("/discussions")
			mustNotContain(t, "index with an archived category", body, "/discussions/general-chat")
			resp, body = ana.postForm("/discussions/general-chat", url.Values{"title": {"Into the archive"}, "body": {"text"}})
			wantStatus(t, "thread in an archived category", resp, body, http.StatusUnprocessableEntity)
			mustContain(t, "thread in an archived category", body, "archived")
			admin.postForm("/admin/discussions/"+general+"/unarchive", nil)

			// Threads: who may start one, and validation.
			resp, body = visitor.postForm("/discussions/music", url.Values{"title": {"Hello all"}, "body": {"hi"}})
			wantStatus(t, "visitor starts a thread", resp, body, http.StatusUnauthorized)
			resp, body = dan.postForm("/discussions/music", url.Values{"title": {"Hello all"}, "body": {"hi"}})
			wantStatus(t, "unconfirmed member starts a thread", resp, body, http.StatusForbidden)
			for what, form := range map[string]url.Values{
				"short title": {"title": {"ab"}, "body": {"text"}},
				"long title":  {"title": {strings.Repeat("t", 151)}, "body": {"text"}},
				"empty post":  {"title": {"A good title"}, "body": {" \n "}},
				"long post":   {"title": {"A good title"}, "body": {strings.Repeat("p", 20001)}},
			} {
				resp, body := ana.postForm("/discussions/music", form)
				wantStatus(t, what, resp, body, http.StatusUnprocessableEntity)
				mustContain(t, what, body, "Nothing was saved")
			}
			_, body = ana.postForm("/discussions/music", url.Values{"title": {"ab"}, "body": {"kept draft"}})
			mustContain(t, "form shown again", body, "at least 3 characters", "kept draft")
			_, body = ana.postForm("/discussions/music", url.Values{"title": {"A good title"}, "body": {strings.Repeat("p", 20001)}})
			mustContain(t, "long post", body, "the limit is 20000")
			if n := count(`SELECT COUNT(*) FROM discussion_threads`) + count(`SELECT COUNT(*) FROM discussion_posts`); n != 0 {
				t.Fatalf("bad input saved %d rows", n)
			}
			hostile := ana.startThread("music", `<script>alert(1)</script> tricks`, "<img src=x onerror=\"alert(2)\"> [x](javascript:alert(3)) **bold**")
			_, body = visitor.get(hostile)
			mustContain(t, "hostile thread", body, "&lt;script&gt;alert(1)&lt;/script&gt; tricks", "<strong>bold</strong>")
			mustNotContain(t, "hostile thread", body, "<script>alert", "onerror", "javascript:", "<img src=x")
			_, body = visitor.get("/discussions/music")
			mustNotContain(t, "category page", body, "<script>alert")

			// Pagination: 23 posts make two pages; read markers.
			long := ana.startThread("music", "A long thread", "The first post")
			longID := strings.TrimPrefix(long, "/discussions/t/")
			var anaID int64
			if err := db.SQL().QueryRowContext(ctx, `SELECT id FROM members WHERE username = 'ana'`).Scan(&anaID); err != nil {
				t.Fatal(err)
			}
			var threadID int64
			fmt.Sscan(longID, &threadID)
			var postIDs []int64
			err := db.Tx(ctx, func(tx *store.Tx) error {
				for i := 2; i <= 22; i++ {
					id, err := tx.Reply(ctx, threadID, anaID, fmt.Sprintf("Post number %d", i))
					if err != nil {
						return err
					}
					postIDs = append(postIDs, id)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			_, body = bea.get("/discussions/music")
			mustContain(t, "never opened", body, `href="/discussions/t/`+longID+`/unread">new</a>`)
			_, body = bea.get(long)
			mustContain(t, "page 1", body, "The first post", "Post number 20", "page 1 of 2", `href="/discussions/t/`+longID+`?page=2"`)
			mustNotContain(t, "page 1", body, "Post number 21")
			_, body = bea.get("/discussions/music")
			mustContain(t, "after page 1", body, `href="/discussions/t/`+longID+`/unread">2 unread</a>`)
			resp, _ = bea.get(long + "/unread")
			if want := fmt.Sprintf("%s?page=2#post-%d", long, postIDs[19]); resp.Header.Get("Location") != want {
				t.Errorf("first unread: %q, want %q", resp.Header.Get("Location"), want)
			}
			_, body = bea.get(long + "?page=2")
			mustContain(t, "page 2", body, "Post number 21", "Post number 22", `class="post unread" id="post-`)
			mustNotContain(t, "page 2", body, "Post number 20<")
			_, body = bea.get("/discussions/music")
			mustNotContain(t, "all read", body, `href="/discussions/t/`+longID+`/unread"`)
			bea.get(long) // page 1 again: the marker does not move back
			_, body = bea.get(long + "?page=2")
			mustNotContain(t, "page 2 read again", body, `class="post unread"`)
			// A new post by A is unread for B, then read.
			newPost := ana.reply(long, "Something new from ana")
			_, body = bea.get("/discussions/music")
			mustContain(t, "ana's new post", body, `href="/discussions/t/`+longID+`/unread">1 unread</a>`)
			resp, _ = bea.get(long + "/unread")
			if want := long + "?page=2#post-" + newPost; resp.Header.Get("Location") != want {
				t.Errorf("first unread after a reply: %q, want %q", resp.Header.Get("Location"), want)
			}
			_, body = bea.get(long + "?page=2")
			mustContain(t, "the new post", body, `class="post unread" id="post-`+newPost+`"`)
			_, body = bea.get("/discussions/music")
			mustNotContain(t, "read again", body, `href="/discussions/t/`+longID+`/unread"`)
			_, body = ana.get("/discussions/music")
			mustNotContain(t, "the author's own posts", body, `href="/discussions/t/`+longID+`/unread"`)
			_, body = visitor.get("/discussions/music")
			mustNotContain(t, "a visitor", body, "unread</a>", ">new</a>")
			_, body = visitor.get("/discussions")
			mustContain(t, "index counts", body, `<td class="threads-count">2</td>`)

			// Pin: pinned first, then by latest activity.
			_, body = visitor.get("/discussions/music")
			if !before(body, long, hostile) {
				t.Error("threads are not ordered by latest activity")
			}
			for who, c := range map[string]*client{"a member": bea, "the author": ana} {
				resp, body := c.postForm(hostile+"/pin", nil)
				wantStatus(t, who+" pins", resp, body, http.StatusForbidden)
				resp, body = c.postForm(hostile+"/lock", nil)
				wantStatus(t, who+" locks", resp, body, http.StatusForbidden)
			}
			resp, body = visitor.postForm(hostile+"/pin", nil)
			wantStatus(t, "visitor pins", resp, body, http.StatusUnauthorized)
			resp, body = moderator.postForm(hostile+"/pin", nil)
			wantStatus(t, "moderator pins", resp, body, http.StatusSeeOther)
			resp, body = moderator.postForm(hostile+"/explode", nil)
			wantStatus(t, "unknown action", resp, body, http.StatusNotFound)
			_, body = visitor.get("/discussions/music")
			if !before(body, hostile, long) {
				t.Error("the pinned thread is not first")
			}
			mustContain(t, "pinned", body, "Pinned")
			_, body = visitor.get(hostile)
			mustContain(t, "pin recorded", body, "Pinned by a moderator on")
			mustNotContain(t, "pin recorded", body, "modest")
			admin.postForm(hostile+"/unpin", nil) // admins moderate too
			_, body = visitor.get("/discussions/music")
			if !before(body, long, hostile) {
				t.Error("unpinning did not restore the order")
			}

			// Lock: replies refused with a clear message.
			resp, body = moderator.postForm(long+"/lock", nil)
			wantStatus(t, "moderator locks", resp, body, http.StatusSeeOther)
			postsBefore := count(`SELECT COUNT(*) FROM discussion_posts`)
			resp, body = bea.postForm(long+"/reply", url.Values{"body": {"let me in"}})
			wantStatus(t, "reply to a locked thread", resp, body, http.StatusConflict)
			mustContain(t, "reply to a locked thread", body, "This thread is locked by a moderator")
			resp, body = ana.postForm("/discussions/p/"+newPost+"/edit", url.Values{"body": {"edit while locked"}})
			wantStatus(t, "edit in a locked thread", resp, body, http.StatusConflict)
			if count(`SELECT COUNT(*) FROM discussion_posts`) != postsBefore || count(`SELECT COUNT(*) FROM discussion_posts WHERE body LIKE '%while locked%'`) != 0 {
				t.Error("a locked thread took a post or an edit")
			}
			_, body = bea.get(long)
			mustContain(t, "locked thread", body, "Locked by a moderator on", "it takes no new replies")
			mustNotContain(t, "locked thread", body, `action="`+long+`/reply"`)
			moderator.postForm(long+"/unlock", nil)
			beaPost := bea.reply(long, "Open again, **nice**")

			// Edit and delete: the author only; moderators may delete.
			for who, c := range map[string]*client{"another member": ana, "a moderator": moderator, "an admin": admin} {
				resp, body := c.get("/discussions/p/" + beaPost + "/edit")
				wantStatus(t, who+" opens the edit form", resp, body, http.StatusForbidden)
				resp, body = c.postForm("/discussions/p/"+beaPost+"/edit", url.Values{"body": {"taken over"}})
				wantStatus(t, who+" edits", resp, body, http.StatusForbidden)
			}
			resp, body = ana.postForm("/discussions/p/"+beaPost+"/delete", nil)
			wantStatus(t, "another member deletes", resp, body, http.StatusForbidden)
			resp, body = visitor.postForm("/discussions/p/"+beaPost+"/edit", url.Values{"body": {"taken over"}})
			wantStatus(t, "visitor edits", resp, body, http.StatusUnauthorized)
			resp, body = visitor.postForm("/discussions/p/"+beaPost+"/delete", nil)
			wantStatus(t, "visitor deletes", resp, body, http.StatusUnauthorized)
			resp, body = bea.postForm("/discussions/p/"+beaPost+"/edit", url.Values{"body": {strings.Repeat("x", 20001)}})
			wantStatus(t, "edit too long", resp, body, http.StatusUnprocessableEntity)
			_, body = bea.get("/discussions/p/" + beaPost + "/edit")
			mustContain(t, "edit form", body, "Open again, **nice**")
			resp, body = bea.postForm("/discussions/p/"+beaPost+"/edit", url.Values{"body": {"Changed *my* mind"}})
			wantStatus(t, "author edits", resp, body, http.StatusSeeOther)
			_, body = visitor.get(long + "?page=2")
			mustContain(t, "edited", body, "<em>my</em>", `class="edited"`)
			mustNotContain(t, "edited", body, "taken over")
			resp, body = moderator.postForm("/discussions/p/"+newPost+"/delete", nil)
			wantStatus(t, "moderator deletes", resp, body, http.StatusSeeOther)
			resp, body = bea.postForm("/discussions/p/"+beaPost+"/delete", nil)
			wantStatus(t, "author deletes", resp, body, http.StatusSeeOther)
			_, body = visitor.get(long + "?page=2")
			mustContain(t, "deleted posts", body, "This post was deleted by a moderator.", "This post was deleted by its author.", "A post was deleted by a moderator on")
			mustNotContain(t, "deleted posts", body, "Something new from ana", "Changed")
			resp, body = bea.postForm("/discussions/p/"+beaPost+"/edit", url.Values{"body": {"back from the dead"}})
			wantStatus(t, "edit a deleted post", resp, body, http.StatusForbidden)

			// Search: titles and texts, wildcards literal, an empty state.
			unlimited()
			ana.startThread("general-chat", "Prices at 50% off", "cheap")
			ana.startThread("general-chat", "Naming things", "I like snake_case names")
			ana.startThread("general-chat", "Letters", "abcxdef and 50 percent")
			for q, want := range map[string][]string{
				"50%":   {"Prices at 50% off"},
				"%":     {"Prices at 50% off"},
				"e_c":   {"Naming things"},
				"SNAKE": {"Naming things"},
				"abcx":  {"Letters"},
			} {
				_, body := visitor.get("/discussions/search?q=" + url.QueryEscape(q))
				mustContain(t, "search "+q, body, want...)
				for _, other := range []string{"Prices at 50% off", "Naming things", "Letters", "A long thread"} {
					if !strings.Contains(strings.Join(want, "|"), other) && bytes.Contains(body, []byte(">"+other+"<")) {
						t.Errorf("search %q found %q", q, other)
					}
				}
			}
			_, body = visitor.get("/discussions/search?q=" + url.QueryEscape("Post number 21"))
			m := regexp.MustCompile(`href="/discussions/p/(\d+)">A long thread<`).FindSubmatch(body)
			if m == nil || string(m[1]) != fmt.Sprint(postIDs[19]) {
				t.Errorf("search for a post's text does not link to the post: %q", m)
			} else if resp, _ := visitor.get("/discussions/p/" + string(m[1])); resp.Header.Get("Location") != fmt.Sprintf("%s?page=2#post-%d", long, postIDs[19]) {
				t.Errorf("the post link leads to %q", resp.Header.Get("Location"))
			}
			_, body = visitor.get("/discussions/search?q=Changed")
			mustContain(t, "deleted posts are not found", body, "Nothing in the discussions matches")
			_, body = visitor.get("/discussions/search?q=" + url.QueryEscape("<script>alert(1)</script>zzz"))
			mustContain(t, "search empty state", body, "Nothing in the discussions matches", "&lt;script&gt;alert(1)&lt;/script&gt;zzz")
			mustNotContain(t, "search empty state", body, "<script>alert(1)")
			_, body = visitor.get("/discussions/search")
			mustContain(t, "search without words", body, "Type words to look for")
			// 25 more matches make two pages of results.
			err = db.Tx(ctx, func(tx *store.Tx) error {
				for i := range 25 {
					if _, _, err := tx.CreateThread(ctx, int64(count(`SELECT id FROM discussion_categories WHERE slug = 'music'`)), anaID, fmt.Sprintf("Paged result %02d", i), "text"); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			_, body = visitor.get("/discussions/search?q=paged+result")
			mustContain(t, "search page 1", body, "Paged result 24", `href="/discussions/search?q=paged&#43;result&amp;page=2"`)
			_, body = visitor.get("/discussions/search?q=paged+result&page=2")
			mustContain(t, "search page 2", body, "Paged result 00")
			mustNotContain(t, "search page 2", body, "Paged result 24")
			// Threads page too, 20 a page.
			_, body = visitor.get("/discussions/music?page=2")
			mustContain(t, "threads page 2", body, "Paged result 00")

			// Pages whose ids do not exist.
			for _, p := range []string{"/discussions/nope", "/discussions/t/999999", "/discussions/t/abc", "/discussions/p/999999", long + "?page=9"} {
				resp, body := visitor.get(p)
				wantStatus(t, "GET "+p, resp, body, http.StatusNotFound)
			}
		})
	}
}
