package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"chorus/internal/export"
	"chorus/internal/store/storetest"
)

// publishTones uploads one short tone per title for the artist of c,
// waits for them and publishes them, and returns their ids in order.
func publishTones(t *testing.T, c *client, album string, titles ...string) []int64 {
	t.Helper()
	var files []uploadFile
	for i, title := range titles {
		tags := map[string]string{"title": title, "track": fmt.Sprint(i + 1)}
		if album != "" {
			tags["album"] = album
		}
		files = append(files, uploadFile{fmt.Sprintf("t%d.ogg", i), tone(t, ".ogg", 1, 330+110*i, tags)})
	}
	resp, up := c.upload(0, files...)
	if resp.StatusCode != http.StatusOK || len(up.Results) != len(titles) {
		t.Fatalf("upload: %d %+v", resp.StatusCode, up)
	}
	var ids []int64
	form := url.Values{"licence": {"cc-by-4.0"}}
	for _, r := range up.Results {
		if st := c.waitTrack(r.TrackID); st["status"] != "ready" {
			t.Fatalf("track %d: %v", r.TrackID, st)
		}
		ids = append(ids, r.TrackID)
		form.Add("track", fmt.Sprint(r.TrackID))
	}
	if resp, body := c.postForm("/studio/publish", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	return ids
}

// member signs up and confirms a member called name.
func member(t *testing.T, base, name string) *client {
	t.Helper()
	c := signUp(t, base, name)
	c.verifyEmail(name + "@example.org")
	return c
}

func wantStatus(t *testing.T, what string, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("%s: %d, want %d\n%.300s", what, resp.StatusCode, want, body)
	}
}

// comment posts a comment and returns its id, read from the redirect.
func (c *client) comment(form url.Values) string {
	c.t.Helper()
	resp, body := c.postForm("/comments", form)
	m := regexp.MustCompile(`#comment-(\d+)$`).FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		c.t.Fatalf("post comment: %d %q %.300s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return m[1]
}

// TestComments checks comments end to end: posting needs a confirmed
// address, Markdown is rendered safely, mentions link to members, replies
// go one level deep, only the author can edit (marked "edited") or delete
// (a comment with replies leaves a placeholder), whatever their role, and
// lengths are checked with a clear message.
func TestComments(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
			track := publishTones(t, ana, "Tone Album", "Low Tone")[0]
			bea := member(t, srv.URL, "bea")
			cid := member(t, srv.URL, "cid")
			dan := signUp(t, srv.URL, "dan") // address not confirmed
			createUser(t, srv, "rooty", "admin", "an admin password")
			admin := logIn(t, srv.URL, "rooty", "an admin password")
			createUser(t, srv, "modest", "moderator", "a moderator password")
			moderator := logIn(t, srv.URL, "modest", "a moderator password")
			visitor := newClient(t, srv.URL)
			page := fmt.Sprintf("/tracks/%d", track)
			on := func(body string) url.Values {
				return url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "body": {body}}
			}

			resp, body := visitor.postForm("/comments", on("hello"))
			wantStatus(t, "visitor posts", resp, body, http.StatusUnauthorized)
			resp, body = dan.postForm("/comments", on("hello"))
			wantStatus(t, "unconfirmed member posts", resp, body, http.StatusForbidden)

			first := bea.comment(on("Hello @cid and @nobody, *nice* tone!\n\n> quoted\n\n- one\n- two\n\n" +
				`<script>alert(1)</script>` + "\n\nText <img src=x onerror=\"alert(2)\"> [click](javascript:alert(3)) [site](https://example.org/)"))
			_, body = visitor.get(page)
			mustContain(t, "track page", body, `<a class="mention" href="/members/cid">@cid</a>`, "<em>nice</em>", "<blockquote>", "<li>one</li>",
				`<a href="https://example.org/" rel="nofollow">site</a>`, "@nobody", `id="comment-`+first+`"`, `<a href="/members/bea">bea</a>`)
			for _, bad := range []string{"<script>alert", "onerror", "javascript:", "<img src=x"} {
				if bytes.Contains(body, []byte(bad)) {
					t.Errorf("track page holds %q", bad)
				}
			}

			// One level of replies.
			reply := cid.comment(url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "parent": {first}, "body": {"Thanks @bea"}})
			resp, body = bea.postForm("/comments", url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "parent": {reply}, "body": {"deeper"}})
			wantStatus(t, "reply to a reply", resp, body, http.StatusUnprocessableEntity)
			mustContain(t, "reply to a reply", body, "one level deep")
			_, body = visitor.get(page)
			mustContain(t, "replies", body, `<ol class="replies">`, `id="comment-`+reply+`"`)

			// Limits, and nothing half-written.
			resp, body = bea.postForm("/comments", on(strings.Repeat("a", 5001)))
			wantStatus(t, "too long", resp, body, http.StatusUnprocessableEntity)
			mustContain(t, "too long", body, "the limit is 5000")
			resp, body = bea.postForm("/comments", on("   "))
			wantStatus(t, "empty", resp, body, http.StatusUnprocessableEntity)
			resp, body = bea.postForm("/comments", url.Values{"kind": {"track"}, "id": {"999999"}, "body": {"x"}})
			wantStatus(t, "unknown track", resp, body, http.StatusNotFound)
			resp, body = bea.postForm("/comments", url.Values{"kind": {"members"}, "id": {fmt.Sprint(track)}, "body": {"x"}})
			wantStatus(t, "unknown kind", resp, body, http.StatusNotFound)

			// Nobody but the author edits or deletes, whatever their role.
			for who, c := range map[string]*client{"another member": cid, "a moderator": moderator, "an admin": admin, "the track's artist": ana} {
				resp, body = c.get("/comments/" + first + "/edit")
				wantStatus(t, who+" opens the edit form", resp, body, http.StatusForbidden)
				resp, body = c.postForm("/comments/"+first+"/edit", url.Values{"body": {"taken over"}})
				wantStatus(t, who+" edits", resp, body, http.StatusForbidden)
				resp, body = c.postForm("/comments/"+first+"/delete", nil)
				wantStatus(t, who+" deletes", resp, body, http.StatusForbidden)
			}
			resp, body = visitor.postForm("/comments/"+first+"/edit", url.Values{"body": {"taken over"}})
			wantStatus(t, "visitor edits", resp, body, http.StatusUnauthorized)
			resp, body = visitor.postForm("/comments/"+first+"/delete", nil)
			wantStatus(t, "visitor deletes", resp, body, http.StatusUnauthorized)
			if resp, _ := visitor.get("/comments/" + first + "/edit"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("visitor opens the edit form: %d, want a redirect to log in", resp.StatusCode)
			}
			_, body = visitor.get(page)
			if bytes.Contains(body, []byte("taken over")) {
				t.Error("someone else's edit was saved")
			}

			// The author edits: marked "edited".
			_, body = bea.get("/comments/" + first + "/edit")
			mustContain(t, "edit form", body, "Hello @cid")
			resp, body = bea.postForm("/comments/"+first+"/edit", url.Values{"body": {"Changed **my** mind"}})
			wantStatus(t, "author edits", resp, body, http.StatusSeeOther)
			_, body = visitor.get(page)
			mustContain(t, "after edit", body, "<strong>my</strong>", `class="edited"`)

			// Deleting a comment with replies leaves a placeholder; the
			// reply stays; when the reply goes, the placeholder goes too.
			resp, body = bea.postForm("/comments/"+first+"/delete", nil)
			wantStatus(t, "author deletes", resp, body, http.StatusSeeOther)
			_, body = visitor.get(page)
			mustContain(t, "after delete", body, "This comment was deleted.", "Thanks")
			if bytes.Contains(body, []byte(`<a href="/members/bea">bea</a>`)) {
				t.Error("the placeholder of a deleted comment still names its author")
			}
			if bytes.Contains(body, []byte("Changed")) {
				t.Error("the deleted comment's text is still shown")
			}
			resp, body = cid.postForm("/comments", url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "parent": {first}, "body": {"late"}})
			wantStatus(t, "reply to a deleted comment", resp, body, http.StatusUnprocessableEntity)
			resp, body = cid.postForm("/comments/"+reply+"/delete", nil)
			wantStatus(t, "reply deleted", resp, body, http.StatusSeeOther)
			_, body = visitor.get(page)
			if bytes.Contains(body, []byte(`id="comment-`+first+`"`)) {
				t.Error("the placeholder stayed after its last reply went")
			}

			// Albums and artist pages take comments too.
			db := openStore(t, srv.DBURL)
			var albumID int64
			if err := db.SQL().QueryRow(`SELECT album_id FROM tracks WHERE id = ` + fmt.Sprint(track)).Scan(&albumID); err != nil {
				t.Fatal(err)
			}
			var artistID int64
			if err := db.SQL().QueryRow(`SELECT artist_id FROM tracks WHERE id = ` + fmt.Sprint(track)).Scan(&artistID); err != nil {
				t.Fatal(err)
			}
			cid.comment(url.Values{"kind": {"album"}, "id": {fmt.Sprint(albumID)}, "body": {"album words"}})
			cid.comment(url.Values{"kind": {"artist"}, "id": {fmt.Sprint(artistID)}, "body": {"artist words"}})
			_, body = visitor.get(fmt.Sprintf("/albums/%d", albumID))
			mustContain(t, "album page", body, "album words")
			_, body = visitor.get("/artists/ana-tones")
			mustContain(t, "artist page", body, "artist words")

			// Posting is rate limited, with a clear answer.
			var limited bool
			for i := range 30 {
				resp, body := cid.postForm("/comments", on(fmt.Sprintf("comment %d", i)))
				if resp.StatusCode == http.StatusTooManyRequests {
					limited = true
					mustContain(t, "rate limited", body, "Please wait")
					break
				}
			}
			if !limited {
				t.Error("30 comments in a row were never slowed down")
			}
		})
	}
}

// TestReviews checks reviews: a score from 1 to 5, one review per member
// per item (saving again replaces it), averages and counts on the page,
// "helpful" once per member and never on one's own review, and deletion by
// the author only.
func TestReviews(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
			track := publishTones(t, ana, "Tone Album", "Low Tone")[0]
			bea := member(t, srv.URL, "bea")
			cid := member(t, srv.URL, "cid")
			dan := signUp(t, srv.URL, "dan")
			visitor := newClient(t, srv.URL)
			page := fmt.Sprintf("/tracks/%d", track)
			review := func(c *client, score, text string) (*http.Response, []byte) {
				return c.postForm("/reviews", url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}, "score": {score}, "body": {text}})
			}

			for _, bad := range []string{"0", "6", "x", "", "-1", "99999999999999999999"} {
				resp, body := review(bea, bad, "text")
				wantStatus(t, "score "+bad, resp, body, http.StatusUnprocessableEntity)
				mustContain(t, "score "+bad, body, "score from 1 to 5")
			}
			resp, body := review(dan, "3", "unconfirmed")
			wantStatus(t, "unconfirmed member reviews", resp, body, http.StatusForbidden)
			resp, body = review(visitor, "3", "visitor")
			wantStatus(t, "visitor reviews", resp, body, http.StatusUnauthorized)

			wantStatus(t, "first review", must(review(bea, "4", "Lovely *tone*")), nil, http.StatusSeeOther)
			_, body = visitor.get(page)
			mustContain(t, "one review", body, `<strong class="average">4.0</strong>`, "1 review", "<em>tone</em>")
			wantStatus(t, "review again", must(review(bea, "2", "Changed my mind")), nil, http.StatusSeeOther)
			wantStatus(t, "second member", must(review(cid, "5", "Great")), nil, http.StatusSeeOther)
			_, body = visitor.get(page)
			mustContain(t, "two reviews", body, `<strong class="average">3.5</strong>`, "2 reviews", "Changed my mind")
			if bytes.Contains(body, []byte("Lovely")) {
				t.Error("the replaced review is still shown")
			}
			var n int
			if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM reviews`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("reviews: %d %v, want one per member", n, err)
			}
			var beaReview, cidReview int64
			row := db.SQL().QueryRow(`SELECT r.id FROM reviews r JOIN members m ON m.id = r.member_id WHERE m.username = 'bea'`)
			if err := row.Scan(&beaReview); err != nil {
				t.Fatal(err)
			}
			row = db.SQL().QueryRow(`SELECT r.id FROM reviews r JOIN members m ON m.id = r.member_id WHERE m.username = 'cid'`)
			if err := row.Scan(&cidReview); err != nil {
				t.Fatal(err)
			}

			// Helpful: once, not one's own, members only.
			helpful := fmt.Sprintf("/reviews/%d/helpful", beaReview)
			wantStatus(t, "helpful", must(cid.postForm(helpful, nil)), nil, http.StatusSeeOther)
			resp, body = cid.postForm(helpful, nil)
			wantStatus(t, "helpful twice", resp, body, http.StatusConflict)
			mustContain(t, "helpful twice", body, "already marked")
			resp, body = bea.postForm(helpful, nil)
			wantStatus(t, "helpful own", resp, body, http.StatusForbidden)
			resp, body = visitor.postForm(helpful, nil)
			wantStatus(t, "helpful visitor", resp, body, http.StatusUnauthorized)
			resp, body = cid.postForm("/reviews/999999/helpful", nil)
			wantStatus(t, "helpful unknown", resp, body, http.StatusNotFound)
			_, body = visitor.get(page)
			mustContain(t, "helpful count", body, "1 member found this helpful")

			// Only the author deletes.
			resp, body = cid.postForm(fmt.Sprintf("/reviews/%d/delete", beaReview), nil)
			wantStatus(t, "delete another's review", resp, body, http.StatusForbidden)
			resp, body = visitor.postForm(fmt.Sprintf("/reviews/%d/delete", beaReview), nil)
			wantStatus(t, "visitor deletes a review", resp, body, http.StatusUnauthorized)
			wantStatus(t, "delete own review", must(cid.postForm(fmt.Sprintf("/reviews/%d/delete", cidReview), nil)), nil, http.StatusSeeOther)
			_, body = visitor.get(page)
			mustContain(t, "after delete", body, `<strong class="average">2.0</strong>`, "1 review")

			// Albums have reviews too.
			var albumID int64
			if err := db.SQL().QueryRow(`SELECT album_id FROM tracks WHERE id = ` + fmt.Sprint(track)).Scan(&albumID); err != nil {
				t.Fatal(err)
			}
			wantStatus(t, "album review", must(bea.postForm("/reviews", url.Values{"kind": {"album"}, "id": {fmt.Sprint(albumID)}, "score": {"5"}, "body": {"album review text"}})), nil, http.StatusSeeOther)
			_, body = visitor.get(fmt.Sprintf("/albums/%d", albumID))
			mustContain(t, "album page", body, "album review text", `<strong class="average">5.0</strong>`)
		})
	}
}

// must drops the body of a response, for wantStatus.
func must(resp *http.Response, _ []byte) *http.Response { return resp }

// TestPlaylistsFavouritesFollows checks playlists (made from a track page,
// reordered, tracks removed; private ones seen by their member only,
// unlisted ones by link only, public ones listed on the member's page),
// that nobody changes another member's playlist, and favourites and
// follows shown on the member's page only when the member makes them
// public.
func TestPlaylistsFavouritesFollows(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
			tracks := publishTones(t, ana, "", "First Tone", "Second Tone", "Third Tone")
			bea := member(t, srv.URL, "bea")
			cid := member(t, srv.URL, "cid")
			createUser(t, srv, "rooty", "admin", "an admin password")
			admin := logIn(t, srv.URL, "rooty", "an admin password")
			createUser(t, srv, "modest", "moderator", "a moderator password")
			moderator := logIn(t, srv.URL, "modest", "a moderator password")
			visitor := newClient(t, srv.URL)

			_, body := bea.get(fmt.Sprintf("/tracks/%d", tracks[0]))
			mustContain(t, "track page", body, "Add to playlist", `action="/playlists"`, "Add to favourites")
			resp, _ := bea.postForm("/playlists", url.Values{"name": {"Morning <b>list</b>"}, "visibility": {"private"}, "track": {fmt.Sprint(tracks[0])}})
			list := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(list, "/playlists/") {
				t.Fatalf("create playlist: %d %q", resp.StatusCode, list)
			}
			id := strings.TrimPrefix(list, "/playlists/")
			for _, tr := range tracks[1:] {
				wantStatus(t, "add", must(bea.postForm("/playlists/add", url.Values{"playlist": {id}, "track": {fmt.Sprint(tr)}})), nil, http.StatusSeeOther)
			}
			_, body = bea.get(fmt.Sprintf("/tracks/%d", tracks[1]))
			mustContain(t, "track page with a playlist", body, `<option value="`+id+`">Morning &lt;b&gt;list&lt;/b&gt;</option>`)
			order := func(c *client) []string {
				t.Helper()
				_, body := c.get(list)
				var got []string
				for _, m := range regexp.MustCompile(`<a class="pl-title" href="/tracks/\d+">([^<]+)</a>`).FindAllSubmatch(body, -1) {
					got = append(got, string(m[1]))
				}
				return got
			}
			if got := strings.Join(order(bea), ","); got != "First Tone,Second Tone,Third Tone" {
				t.Fatalf("order: %s", got)
			}
			wantStatus(t, "move down", must(bea.postForm(fmt.Sprintf("%s/tracks/%d/down", list, tracks[0]), nil)), nil, http.StatusSeeOther)
			wantStatus(t, "remove", must(bea.postForm(fmt.Sprintf("%s/tracks/%d/remove", list, tracks[2]), nil)), nil, http.StatusSeeOther)
			if got := strings.Join(order(bea), ","); got != "Second Tone,First Tone" {
				t.Fatalf("order after moving and removing: %s", got)
			}
			_, body = bea.get(list)
			mustContain(t, "own playlist", body, "data-play-all", "data-playlist", "Arrange")

			// Private: its member only; nobody else may change it.
			for who, c := range map[string]*client{"visitor": visitor, "another member": cid, "a moderator": moderator, "an admin": admin} {
				if resp, _ := c.get(list); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s sees a private playlist: %d", who, resp.StatusCode)
				}
			}
			for who, c := range map[string]*client{"another member": cid, "a moderator": moderator, "an admin": admin, "the track's artist": ana} {
				for _, f := range []struct {
					path string
					form url.Values
				}{
					{"/playlists/add", url.Values{"playlist": {id}, "track": {fmt.Sprint(tracks[2])}}},
					{list, url.Values{"name": {"taken"}, "visibility": {"public"}}},
					{fmt.Sprintf("%s/tracks/%d/remove", list, tracks[0]), nil},
					{fmt.Sprintf("%s/tracks/%d/up", list, tracks[0]), nil},
					{list + "/delete", nil},
				} {
					resp, body := c.postForm(f.path, f.form)
					wantStatus(t, who+" POST "+f.path, resp, body, http.StatusNotFound)
				}
			}
			resp, body = visitor.postForm(list+"/delete", nil)
			wantStatus(t, "visitor deletes", resp, body, http.StatusUnauthorized)
			if got := strings.Join(order(bea), ","); got != "Second Tone,First Tone" {
				t.Fatalf("another member changed the playlist: %s", got)
			}

			// Unlisted: by link, not on the member's page; public: listed.
			wantStatus(t, "unlisted", must(bea.postForm(list, url.Values{"name": {"Morning list"}, "visibility": {"unlisted"}})), nil, http.StatusSeeOther)
			if resp, _ := visitor.get(list); resp.StatusCode != http.StatusOK {
				t.Errorf("unlisted by link: %d", resp.StatusCode)
			}
			_, body = visitor.get("/members/bea")
			if bytes.Contains(body, []byte(list)) {
				t.Error("an unlisted playlist is listed on the member's page")
			}
			wantStatus(t, "public", must(bea.postForm(list, url.Values{"name": {"Morning list"}, "visibility": {"public"}})), nil, http.StatusSeeOther)
			_, body = visitor.get("/members/bea")
			mustContain(t, "public playlist listed", body, `href="`+list+`"`, "Morning list")
			resp, body = bea.postForm(list, url.Values{"name": {strings.Repeat("n", 101)}, "visibility": {"public"}})
			wantStatus(t, "long name", resp, body, http.StatusUnprocessableEntity)
			resp, body = bea.postForm(list, url.Values{"name": {"x"}, "visibility": {"secret"}})
			wantStatus(t, "bad visibility", resp, body, http.StatusUnprocessableEntity)

			// Favourites and follows: private until made public.
			wantStatus(t, "favourite", must(bea.postForm("/favourites", url.Values{"kind": {"track"}, "id": {fmt.Sprint(tracks[2])}})), nil, http.StatusSeeOther)
			wantStatus(t, "follow artist", must(bea.postForm("/follows", url.Values{"kind": {"artist"}, "id": {artistIDOf(t, srv, tracks[0])}})), nil, http.StatusSeeOther)
			wantStatus(t, "follow member", must(bea.postForm("/follows", url.Values{"kind": {"member"}, "id": {memberIDOf(t, srv, "cid")}})), nil, http.StatusSeeOther)
			resp, body = bea.postForm("/follows", url.Values{"kind": {"member"}, "id": {memberIDOf(t, srv, "bea")}})
			wantStatus(t, "follow oneself", resp, body, http.StatusUnprocessableEntity)
			resp, body = visitor.postForm("/favourites", url.Values{"kind": {"track"}, "id": {fmt.Sprint(tracks[2])}})
			wantStatus(t, "visitor favourite", resp, body, http.StatusUnauthorized)
			_, body = bea.get(fmt.Sprintf("/tracks/%d", tracks[2]))
			mustContain(t, "favourite shown", body, "In your favourites")
			_, body = visitor.get("/members/bea")
			for _, hidden := range []string{"Third Tone", "Ana Tones", "/members/cid", "h-favourites", "h-follows"} {
				if bytes.Contains(body, []byte(hidden)) {
					t.Errorf("member page shows %q before it was made public", hidden)
				}
			}
			_, body = bea.get("/settings/community")
			mustContain(t, "choices page", body, `name="favourites"`, `name="follows"`, `name="activity"`)
			wantStatus(t, "choices", must(bea.postForm("/settings/community", url.Values{"favourites": {"public"}, "follows": {"public"}, "activity": {"private"}})), nil, http.StatusSeeOther)
			resp, body = bea.postForm("/settings/community", url.Values{"favourites": {"maybe"}})
			wantStatus(t, "bad choice", resp, body, http.StatusUnprocessableEntity)
			_, body = visitor.get("/members/bea")
			mustContain(t, "member page after choosing", body, "Third Tone", "Ana Tones", `href="/members/cid"`)
			wantStatus(t, "unfavourite", must(bea.postForm("/favourites", url.Values{"kind": {"track"}, "id": {fmt.Sprint(tracks[2])}, "on": {"0"}})), nil, http.StatusSeeOther)
			_, body = visitor.get("/members/bea")
			if bytes.Contains(body, []byte("Third Tone")) {
				t.Error("a removed favourite is still shown")
			}
		})
	}
}

func artistIDOf(t *testing.T, srv *instance, track int64) string {
	t.Helper()
	var id int64
	if err := openStore(t, srv.DBURL).SQL().QueryRow(`SELECT artist_id FROM tracks WHERE id = ` + fmt.Sprint(track)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(id)
}

func memberIDOf(t *testing.T, srv *instance, username string) string {
	t.Helper()
	var id int64
	if err := openStore(t, srv.DBURL).SQL().QueryRow(`SELECT id FROM members WHERE username = '` + username + `'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(id)
}

// TestErasureKeepsRepliesUnderATombstone erases a member whose comment has
// a reply by someone else: the comment stays as "deleted member" without
// its text, the reply stays, and the member's other comments, reviews,
// playlists, favourites and follows are gone.
func TestErasureKeepsRepliesUnderATombstone(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
			track := publishTones(t, ana, "", "Low Tone")[0]
			bea := member(t, srv.URL, "bea")
			cid := member(t, srv.URL, "cid")
			on := url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}}
			with := func(extra ...string) url.Values {
				v := url.Values{}
				for k, vs := range on {
					v[k] = vs
				}
				for i := 0; i+1 < len(extra); i += 2 {
					v.Set(extra[i], extra[i+1])
				}
				return v
			}
			first := bea.comment(with("body", "bea-marker-replied"))
			bea.comment(with("body", "bea-marker-alone"))
			cid.comment(with("parent", first, "body", "cid answers"))
			bea.comment(with("parent", first, "body", "bea-marker-own-reply"))
			wantStatus(t, "review", must(bea.postForm("/reviews", with("score", "4", "body", "bea-marker-review"))), nil, http.StatusSeeOther)
			wantStatus(t, "playlist", must(bea.postForm("/playlists", url.Values{"name": {"bea-marker-playlist"}, "track": {fmt.Sprint(track)}})), nil, http.StatusSeeOther)
			wantStatus(t, "favourite", must(bea.postForm("/favourites", on)), nil, http.StatusSeeOther)
			wantStatus(t, "follow", must(cid.postForm("/follows", url.Values{"kind": {"member"}, "id": {memberIDOf(t, srv, "bea")}})), nil, http.StatusSeeOther)

			resp, body := bea.postForm("/settings/delete", url.Values{"password": {"a long password"}, "confirm": {"yes"}, "when": {"now"}})
			wantStatus(t, "delete account", resp, body, http.StatusSeeOther)
			waitGone(t, db, "bea")

			if hits := scanDatabase(t, db, []string{"bea-marker", "bea@example.org"}); len(hits) > 0 {
				t.Errorf("after erasure: %v", hits)
			}
			var n int
			if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM comments WHERE author_id IS NULL AND body = '' AND deleted_at IS NOT NULL AND id = ` + first).Scan(&n); err != nil || n != 1 {
				t.Errorf("tombstone: %d %v", n, err)
			}
			for table, want := range map[string]int{"comments": 2, "reviews": 0, "playlists": 0, "playlist_tracks": 0, "favourites": 0, "follows": 0} {
				if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != want {
					t.Errorf("%s after erasure: %d rows (%v), want %d", table, n, err, want)
				}
			}
			_, body = newClient(t, srv.URL).get(fmt.Sprintf("/tracks/%d", track))
			mustContain(t, "track page after erasure", body, "deleted member", "cid answers")
		})
	}
}

// TestExportMasksOtherMembersReplies checks that a member's export holds
// their comments, reviews, playlists, favourites and follows, and the
// replies of others to their comments with each replier shown as
// "another member" unless that replier made their activity public.
func TestExportMasksOtherMembersReplies(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			ana := signUpArtist(t, srv.URL, "ana", "Ana Tones")
			track := publishTones(t, ana, "", "Low Tone")[0]
			bea := member(t, srv.URL, "bea")
			shy := member(t, srv.URL, "shyreplier")
			open := member(t, srv.URL, "openreplier")
			wantStatus(t, "open choice", must(open.postForm("/settings/community", url.Values{"favourites": {"private"}, "follows": {"private"}, "activity": {"public"}})), nil, http.StatusSeeOther)
			on := func(kv ...string) url.Values {
				v := url.Values{"kind": {"track"}, "id": {fmt.Sprint(track)}}
				for i := 0; i+1 < len(kv); i += 2 {
					v.Set(kv[i], kv[i+1])
				}
				return v
			}
			first := bea.comment(on("body", "bea's own words"))
			shy.comment(on("parent", first, "body", "words of the shy one"))
			open.comment(on("parent", first, "body", "words of the open one"))
			shy.comment(on("body", "unrelated comment of the shy one"))
			wantStatus(t, "review", must(bea.postForm("/reviews", on("score", "5", "body", "bea's review"))), nil, http.StatusSeeOther)
			wantStatus(t, "playlist", must(bea.postForm("/playlists", url.Values{"name": {"bea's playlist"}, "track": {fmt.Sprint(track)}})), nil, http.StatusSeeOther)
			wantStatus(t, "favourite", must(bea.postForm("/favourites", on())), nil, http.StatusSeeOther)
			wantStatus(t, "follow", must(bea.postForm("/follows", url.Values{"kind": {"member"}, "id": {memberIDOf(t, srv, "openreplier")}})), nil, http.StatusSeeOther)

			wantStatus(t, "export", must(bea.postForm("/settings/data/export", nil)), nil, http.StatusSeeOther)
			msg := waitMail(t, srv.URL, "bea@example.org", "Your Chorus data is ready")
			resp, zipped := bea.get(strings.TrimPrefix(linkIn(t, msg.Text, srv.URL+"/settings/data/export/"), srv.URL))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("download: %d", resp.StatusCode)
			}
			zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
			if err != nil {
				t.Fatal(err)
			}
			entries := map[string]string{}
			var all strings.Builder
			for _, f := range zr.File {
				r, _ := f.Open()
				b, _ := io.ReadAll(r)
				r.Close()
				entries[f.Name] = string(b)
				all.Write(b)
			}
			mustContain(t, "comments", []byte(entries[export.TableFile("comments")]), "bea's own words")
			mustContain(t, "reviews", []byte(entries[export.TableFile("reviews")]), "bea's review")
			mustContain(t, "playlists", []byte(entries[export.TableFile("playlists")]), "bea's playlist")
			mustContain(t, "playlist tracks", []byte(entries[export.TableFile("playlist_tracks")]), fmt.Sprint(track))
			mustContain(t, "favourites", []byte(entries[export.TableFile("favourites")]), fmt.Sprint(track))
			mustContain(t, "follows", []byte(entries[export.TableFile("follows")]), memberIDOf(t, srv, "openreplier"))
			// Their notifications are exported, naming no other member.
			mustContain(t, "notifications", []byte(entries[export.TableFile("notifications")]), "replied to your comment on")
			others := entries[export.OthersFile("comments")]
			mustContain(t, "replies of others", []byte(others), "words of the shy one,", "another member", "words of the open one,", "openreplier")
			mustContain(t, "manifest", []byte(entries["manifest.json"]), `"file": "others/comments.csv"`, "another member")
			if strings.Contains(all.String(), "shyreplier") {
				t.Error("the export names a replier who did not make their activity public")
			}
			if strings.Contains(all.String(), "unrelated comment") {
				t.Error("the export holds another member's comment that is no reply to the member")
			}
		})
	}
}
