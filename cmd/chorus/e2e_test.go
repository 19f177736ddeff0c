package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	"mime/multipart"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestPublishFindStreamDownload walks the whole path of the first release:
// a member signs up, becomes an artist, uploads generated audio with
// non-ASCII tags and a few bad files, publishes, and a visitor finds the
// track, streams it with a Range request and downloads it with its licence.
func TestPublishFindStreamDownload(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { testPublishFindStreamDownload(t, d) })
	}
}

func testPublishFindStreamDownload(t *testing.T, d store.Dialect) {
	srv := startServer(t, d)
	artist := signUpArtist(t, srv.URL, "zoe", "Zoë & the Cafés")

	good := tone(t, ".flac", 3, 440, map[string]string{"title": "Naïve Café", "album": "Été — 夏", "track": "2/9", "genre": "Jazz; Lo-fi", "date": "2021"})
	second := tone(t, ".ogg", 2, 660, map[string]string{"title": "Second Song", "album": "Été — 夏", "track": "1"})
	untitled := tone(t, ".mp3", 2, 880, nil)
	truncatedMP4 := tone(t, ".m4a", 3, 550, nil)
	truncatedFLAC := tone(t, ".flac", 4, 550, nil)
	resp, reply := artist.upload(0,
		uploadFile{"naive.flac", good},
		uploadFile{"notes.mp3", []byte("these are not sounds\n")},
		uploadFile{"empty.wav", nil},
		uploadFile{"cut.m4a", truncatedMP4[:len(truncatedMP4)/3]},
		uploadFile{"second.ogg", second},
		uploadFile{"cut.flac", truncatedFLAC[:len(truncatedFLAC)*4/10]},
		uploadFile{"../../etc/03 - <img src=x onerror=alert(1)> title.mp3", untitled},
	)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("mixed upload: status %d, want 422 (some files refused)", resp.StatusCode)
	}
	if len(reply.Results) != 7 {
		t.Fatalf("results: %+v", reply.Results)
	}
	byFile := map[string]int64{}
	for _, r := range reply.Results {
		byFile[r.File] = r.TrackID
		switch r.File {
		case "notes.mp3":
			if !strings.Contains(r.Error, "not a supported audio file") {
				t.Errorf("text file refused with %q", r.Error)
			}
		case "empty.wav":
			if !strings.Contains(r.Error, "empty") {
				t.Errorf("empty file refused with %q", r.Error)
			}
		case "cut.m4a", "cut.flac":
			if r.Error == "" {
				t.Errorf("truncated %s accepted", r.File)
			}
		default:
			if r.Error != "" || r.TrackID == 0 {
				t.Errorf("%s refused: %q", r.File, r.Error)
			}
		}
	}
	id := byFile["naive.flac"]
	for _, tid := range []int64{id, byFile["second.ogg"]} {
		if st := artist.waitTrack(tid); st["status"] != "ready" {
			t.Fatalf("track %d: %v", tid, st)
		}
	}
	st := artist.waitTrack(byFile["03 - <img src=x onerror=alert(1)> title.mp3"])
	if st["title"] != "<img src=x onerror=alert(1)> title" {
		t.Errorf("fallback title from file name = %q", st["title"])
	}

	// Not public before publishing.
	visitor := newClient(t, srv.URL)
	if resp, _ := visitor.get(fmt.Sprintf("/tracks/%d", id)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unpublished track answered %d", resp.StatusCode)
	}
	// Publishing needs a licence; none is assumed.
	resp, _ = artist.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(id)}}, "Accept", "application/json")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("publish without licence: %d", resp.StatusCode)
	}
	resp, body := artist.postForm("/studio/publish", url.Values{
		"track":   {fmt.Sprint(id), fmt.Sprint(byFile["second.ogg"]), fmt.Sprint(byFile["03 - <img src=x onerror=alert(1)> title.mp3"])},
		"licence": {"cc-by-sa-4.0"}, "download_original": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}

	// The visitor finds it, case- and accent-insensitively.
	resp, body = visitor.get("/search?q="+url.QueryEscape("naive cafe"), "Accept", "application/json")
	var found struct {
		Total  int `json:"total"`
		Tracks []struct {
			ID int64 `json:"id"`
		} `json:"tracks"`
	}
	if err := json.Unmarshal(body, &found); err != nil || found.Total != 1 || found.Tracks[0].ID != id {
		t.Fatalf("search: %d %s", resp.StatusCode, body)
	}
	resp, body = visitor.get("/search?q=" + url.QueryEscape("ZOË"))
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Naïve Café")) {
		t.Fatalf("search page for the artist: %d", resp.StatusCode)
	}

	resp, body = visitor.get(fmt.Sprintf("/tracks/%d", id))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("track page: %d", resp.StatusCode)
	}
	for _, want := range []string{"Naïve Café", "Zoë &amp; the Cafés", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", "/stream"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("track page lacks %q", want)
		}
	}
	_, body = visitor.get(fmt.Sprintf("/tracks/%d", byFile["03 - <img src=x onerror=alert(1)> title.mp3"]))
	if bytes.Contains(body, []byte("<img src=x")) || !bytes.Contains(body, []byte("&lt;img src=x onerror=alert(1)&gt; title")) {
		t.Errorf("HTML in a title is not escaped on the track page")
	}

	// Streaming answers Range requests.
	resp, body = visitor.get(fmt.Sprintf("/tracks/%d/stream", id), "Range", "bytes=1000-1999")
	if resp.StatusCode != http.StatusPartialContent || len(body) != 1000 ||
		!strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes 1000-1999/") || resp.Header.Get("Content-Type") != "audio/mpeg" {
		t.Fatalf("range: %d %q %q len %d", resp.StatusCode, resp.Header.Get("Content-Range"), resp.Header.Get("Content-Type"), len(body))
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("stream lacks ETag or Last-Modified")
	}
	if resp, _ := visitor.get(fmt.Sprintf("/tracks/%d/stream", id), "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET: %d", resp.StatusCode)
	}
	if resp, _ := visitor.get(fmt.Sprintf("/tracks/%d/stream", id), "Range", "bytes=99999999-"); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("unsatisfiable range: %d", resp.StatusCode)
	}

	// Downloads carry the licence.
	resp, body = visitor.get(fmt.Sprintf("/tracks/%d/download", id))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''Zo%C3%AB%20&%20the%20Caf%C3%A9s%20-%20Na%C3%AFve%20Caf%C3%A9.mp3") {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	tags := probeTags(t, body, ".mp3")
	if !strings.Contains(tags["copyright"], "CC BY-SA 4.0") || tags["title"] != "Naïve Café" || tags["artist"] != "Zoë & the Cafés" {
		t.Errorf("downloaded MP3 tags: %v", tags)
	}
	full := body
	resp, body = visitor.get(fmt.Sprintf("/tracks/%d/download", id), "Range", "bytes=100-199")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, full[100:200]) || resp.Header.Get("ETag") == "" {
		t.Fatalf("download range: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	resp, body = visitor.get(fmt.Sprintf("/tracks/%d/original", id))
	if resp.StatusCode != 200 || !bytes.Equal(body, good) || !strings.Contains(resp.Header.Get("Link"), "by-sa/4.0") {
		t.Fatalf("original download: %d, %d bytes, Link %q", resp.StatusCode, len(body), resp.Header.Get("Link"))
	}

	// Album and artist pages.
	_, body = visitor.get(fmt.Sprintf("/tracks/%d", id))
	if !bytes.Contains(body, []byte("/albums/")) {
		t.Errorf("track page does not link its album")
	}
	// An embedded cover becomes square artwork.
	_, reply = artist.upload(0, uploadFile{"covered.mp3", toneWithCover(t, "With Cover")})
	covered := reply.Results[0].TrackID
	if st := artist.waitTrack(covered); st["status"] != "ready" {
		t.Fatalf("covered track: %v", st)
	}
	artist.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(covered)}, "licence": {"cc0-1.0"}})
	resp, body = visitor.get(fmt.Sprintf("/tracks/%d/cover/300", covered))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("cover: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if w, h := imageSize(t, body); w != 300 || h != 300 {
		t.Fatalf("cover is %dx%d, want 300x300", w, h)
	}
	if resp, _ := visitor.get(fmt.Sprintf("/tracks/%d/cover/300", id)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("cover of a track without one: %d", resp.StatusCode)
	}

	resp, body = visitor.get("/")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Naïve Café")) {
		t.Errorf("home page lacks the new track: %d", resp.StatusCode)
	}
	// Renaming the artist keeps its address and updates what search finds.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("name", "Zoë Renamed")
	_ = mw.WriteField("bio", "New bio")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/studio/artists/1", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, body := artist.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit artist: %d %s", resp.StatusCode, body)
	}
	_, body = visitor.get("/search?q=renamed", "Accept", "application/json")
	if !bytes.Contains(body, []byte(fmt.Sprintf(`"id":%d`, id))) {
		t.Errorf("search by the new artist name: %s", body)
	}
	if _, body = visitor.get("/search?q=the", "Accept", "application/json"); !bytes.Contains(body, []byte(`"total":0`)) {
		t.Errorf("search by a word only the old artist name had: %s", body)
	}
	resp, body = visitor.get("/artists/zoe-the-cafes")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Zoë Renamed")) || !bytes.Contains(body, []byte("New bio")) {
		t.Errorf("artist page after renaming: %d", resp.StatusCode)
	}

	resp, body = visitor.get("/tags/jazz")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Naïve Café")) {
		t.Errorf("tag page lacks the track: %d", resp.StatusCode)
	}
}

func imageSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode image: %v", err)
	}
	return cfg.Width, cfg.Height
}

func probeTags(t *testing.T, data []byte, ext string) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "probe"+ext)
	if err := writeFile(path, data); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_format", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var v struct {
		Format struct {
			Tags map[string]string `json:"tags"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for k, val := range v.Format.Tags {
		tags[strings.ToLower(k)] = val
	}
	return tags
}
