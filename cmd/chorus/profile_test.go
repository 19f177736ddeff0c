package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"chorus/internal/store/storetest"
)

// gpsMarker is text carried in the GPS block of the test picture, to find
// it again in what is served.
const gpsMarker = "CHORUS-GPS-48.8584N-2.2945E"

// jpegWithGPS makes a small JPEG with ffmpeg and inserts, right after its
// start-of-image marker, an EXIF APP1 segment (CIPA DC-008, TIFF 6.0
// little-endian) whose GPS IFD holds a latitude and gpsMarker.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "photo.jpg")
	if b, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=teal:s=320x240", "-frames:v", "1", "-y", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	img, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	le := binary.LittleEndian
	w16 := func(v uint16) { _ = binary.Write(&tiff, le, v) }
	w32 := func(v uint32) { _ = binary.Write(&tiff, le, v) }
	entry := func(tag, typ uint16, count, value uint32) { w16(tag); w16(typ); w32(count); w32(value) }
	tiff.WriteString("II")
	w16(42)
	w32(8) // IFD0
	w16(1) // one entry: the GPS IFD pointer
	const gpsIFD = 8 + 2 + 12 + 4
	entry(0x8825, 4, 1, gpsIFD)
	w32(0)
	const gpsEntries = 4
	data := uint32(gpsIFD + 2 + gpsEntries*12 + 4)
	method := append([]byte("ASCII\x00\x00\x00"), gpsMarker...)
	w16(gpsEntries)
	entry(0x0000, 1, 4, 0x00000202)                 // GPSVersionID 2.2.0.0
	entry(0x0001, 2, 2, 'N')                        // GPSLatitudeRef "N"
	entry(0x0002, 5, 3, data)                       // GPSLatitude, 3 rationals
	entry(0x001b, 7, uint32(len(method)), data+3*8) // GPSProcessingMethod
	w32(0)
	for _, v := range []uint32{48, 1, 51, 1, 3024, 100} {
		w32(v)
	}
	tiff.Write(method)
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	return append(append([]byte{0xff, 0xd8}, seg...), img[2:]...)
}

// jpegMarkers lists the markers of a JPEG's segments before its image data
// (ITU T.81 §B.1): 0xe1 is APP1, where EXIF lives.
func jpegMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		t.Fatalf("not a JPEG: % x", b[:min(len(b), 8)])
	}
	var markers []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			t.Fatalf("bad JPEG segment at %d", i)
		}
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xda { // start of scan: image data follows
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return markers
}

// saveProfile posts the profile form as a browser does.
func (c *client) saveProfile(fields map[string]string, picture []byte) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if picture != nil {
		w, _ := mw.CreateFormFile("picture", "photo.jpg")
		_, _ = w.Write(picture)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/settings/profile", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body := c.do(req)
	return resp, string(body)
}

// storedFiles lists the files under the file store's folder dir.
func storedFiles(t *testing.T, inst *instance, dir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(inst.DataDir, "files", dir)
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".attrs") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestProfileAndPublicMemberPage(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			ana := signUpArtist(t, srv.URL, "ana", "Ana and the Echoes")
			visitor := newClient(t, srv.URL)
			bob := signUpArtist(t, srv.URL, "bob", "Bob Band")

			// The form says of each field that it is optional, why it is asked and who can see it.
			resp, body := ana.get("/settings/profile")
			page := string(body)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("profile form: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			if n := strings.Count(page, "(optional)"); n != 5 {
				t.Errorf("%d fields say they are optional, want 5", n)
			}
			for _, want := range []string{"Real name", "Location", "About you", "Links", "Profile picture", "Lets people who know you find you",
				"Who can see your real name?", "Who can see your picture?", "Everyone (public)", "Only you (private)", "without its metadata"} {
				if !strings.Contains(page, want) {
					t.Errorf("profile form lacks %q", want)
				}
			}

			photo := jpegWithGPS(t)
			if !bytes.Contains(photo, []byte("Exif\x00\x00")) || !bytes.Contains(photo, []byte(gpsMarker)) || bytes.IndexByte(jpegMarkers(t, photo), 0xe1) < 0 {
				t.Fatal("the test picture has no EXIF GPS block")
			}
			profile := map[string]string{
				"real_name": "Ana Secret-Surname", "real_name_visibility": "private",
				"location": "Porto <i>Portugal</i>", "location_visibility": "public",
				"bio": "<script>alert(1)</script>\nI sing.", "bio_visibility": "public",
				"links": "https://example.org/ana\r\nhttp://example.net/music", "links_visibility": "public",
				"picture_visibility": "public",
			}
			resp, body2 := ana.saveProfile(profile, photo)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save profile: %d %s", resp.StatusCode, body2)
			}

			// What others see: public parts as text, never the private ones.
			for _, who := range []*client{visitor, bob} {
				resp, body := who.get("/members/ana")
				page := string(body)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("member page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
				}
				for _, want := range []string{"Porto &lt;i&gt;Portugal&lt;/i&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;", "I sing.",
					`<a href="https://example.org/ana" rel="nofollow ugc noopener">`, `<a href="http://example.net/music" rel="nofollow ugc noopener">`,
					`src="/members/ana/picture/300"`, `href="/artists/ana-and-the-echoes"`, "Ana and the Echoes"} {
					if !strings.Contains(page, want) {
						t.Errorf("member page lacks %q", want)
					}
				}
				for _, never := range []string{"Secret-Surname", "<script>alert", "<i>Portugal", "ana@example.org", "This is your public page"} {
					if strings.Contains(page, never) {
						t.Errorf("member page shows %q to others", never)
					}
				}
			}
			_, body = ana.get("/members/ana")
			if !strings.Contains(string(body), "This is your public page") || strings.Contains(string(body), "Secret-Surname") {
				t.Error("the member's own view of their page is not the public one with a note")
			}

			// The served picture is a JPEG without the EXIF block and its GPS position.
			for _, size := range []string{"96", "300", "1200"} {
				resp, pic := visitor.get("/members/ana/picture/" + size)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
					t.Fatalf("picture %s: %d %s", size, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				if bytes.Contains(pic, []byte("Exif")) || bytes.Contains(pic, []byte(gpsMarker)) || bytes.IndexByte(jpegMarkers(t, pic), 0xe1) >= 0 {
					t.Errorf("picture %s still carries EXIF or its GPS block", size)
				}
			}
			if files := storedFiles(t, srv, "members"); len(files) != 3 {
				t.Errorf("stored member pictures: %v, want 3 sizes", files)
			}

			// A private picture is shown to its member only, and no longer on the public page.
			profile["picture_visibility"] = "private"
			if resp, body := ana.saveProfile(profile, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("make picture private: %d %s", resp.StatusCode, body)
			}
			if resp, _ := visitor.get("/members/ana/picture/300"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("a private picture served to a visitor: %d", resp.StatusCode)
			}
			if resp, _ := bob.get("/members/ana/picture/300"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("a private picture served to another member: %d", resp.StatusCode)
			}
			resp, _ = ana.get("/members/ana/picture/300")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "private, no-store" {
				t.Errorf("own private picture: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			if _, body := visitor.get("/members/ana"); strings.Contains(string(body), "/members/ana/picture/") {
				t.Error("the public page shows a private picture")
			}

			// Hostile and wrong input: a message per field, the typed values kept, nothing saved.
			long := strings.Repeat("é", 101)
			bad := map[string]string{
				"real_name": long, "real_name_visibility": "private",
				"location": "Lisbon", "location_visibility": "public",
				"bio": "New bio", "bio_visibility": "public",
				"links": "javascript:alert(document.cookie)\nhttps://ok.example/", "links_visibility": "public",
				"picture_visibility": "public",
			}
			resp, page = ana.saveProfile(bad, []byte("%PDF-1.4 this is not a picture"))
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("bad profile: %d", resp.StatusCode)
			}
			for _, want := range []string{"Use at most 100 characters.", "Link 1 must be an https:// or http:// address.",
				"This file is not a picture we can read", `value="` + long + `"`, "javascript:alert(document.cookie)\nhttps://ok.example/", "Lisbon", "New bio"} {
				if !strings.Contains(page, want) {
					t.Errorf("the refused form lacks %q", want)
				}
			}
			if _, body := visitor.get("/members/ana"); strings.Contains(string(body), "Lisbon") || !strings.Contains(string(body), "Portugal") {
				t.Error("a refused form changed the profile")
			}
			if files := storedFiles(t, srv, "members"); len(files) != 3 {
				t.Errorf("stored member pictures after a refused form: %v", files)
			}
			// A good picture sent with a refused field is not kept either.
			resp, page = ana.saveProfile(bad, photo)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Choose the picture again") {
				t.Errorf("good picture with bad fields: %d", resp.StatusCode)
			}
			if files := storedFiles(t, srv, "members"); len(files) != 3 {
				t.Errorf("a picture of a refused form was kept: %v", files)
			}
			// More than five links.
			bad = map[string]string{"links": strings.Repeat("https://example.org/\n", 6)}
			if resp, page := ana.saveProfile(bad, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "at most 5 links") {
				t.Errorf("six links: %d", resp.StatusCode)
			}
			// Control characters and invalid UTF-8 are dropped, not stored.
			profile["bio"] = "Tab\there,\x00nul\x07bell\xff\xfeend\u202e"
			profile["bio_visibility"] = "public"
			if resp, body := ana.saveProfile(profile, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save bio with control characters: %d %s", resp.StatusCode, body)
			}
			_, body = visitor.get("/members/ana")
			if !utf8.Valid(body) || bytes.ContainsAny(body, "\x00\x07\u202e") || !strings.Contains(string(body), "nul bell") {
				t.Errorf("bio with control characters shown as %q", body[bytes.Index(body, []byte("Tab")):][:40])
			}

			// Removing the picture deletes its files.
			if resp, _ := ana.postForm("/settings/profile/picture/remove", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("remove picture: %d", resp.StatusCode)
			}
			if resp, _ := ana.get("/members/ana/picture/96"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("removed picture still served: %d", resp.StatusCode)
			}
			if files := storedFiles(t, srv, "members"); len(files) != 0 {
				t.Errorf("files of the removed picture are kept: %v", files)
			}
			_, body = ana.get("/settings/profile")
			if strings.Contains(string(body), "Remove picture") {
				t.Error("the profile form still offers to remove a removed picture")
			}

			// An empty profile and an unknown member.
			_, body = visitor.get("/members/BOB")
			if !strings.Contains(string(body), "has not shared anything") || !strings.Contains(string(body), "Bob Band") {
				t.Error("the page of a member with an empty profile lacks its empty state or artists")
			}
			for _, p := range []string{"/members/nobody", "/members/nobody/picture/300", "/members/bob/picture/300", "/members/%00/picture/96"} {
				if resp, _ := visitor.get(p); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s: %d, want 404", p, resp.StatusCode)
				}
			}
			// The settings page is for members only.
			if resp, _ := visitor.get("/settings/profile"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("a visitor's profile form: %d", resp.StatusCode)
			}
		})
	}
}

// TestProfileAndSessionFormsMeetHostileInput sends hostile values in every
// field of the profile form and in the session ids of the sessions forms:
// never a server error, never markup echoed as markup.
func TestProfileAndSessionFormsMeetHostileInput(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script><img src=x onerror=alert(2)>`,
		strings.Repeat("ü", 70_000),
		"a\x00b\x01c\x1b[31m\u202eevil",
		"caf\xe9 \xff\xfe",
		`' OR 1=1; DROP TABLE members; --`,
		"javascript:alert(1)",
		"",
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			ana := signUpArtist(t, srv.URL, "ana", "Ana")
			check := func(what string, resp *http.Response, body string) {
				t.Helper()
				if resp.StatusCode >= 500 {
					t.Errorf("%s: %d\n%.300s", what, resp.StatusCode, body)
				}
				if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<img src=x") {
					t.Errorf("%s echoed markup as markup", what)
				}
			}
			for i, v := range hostile {
				fields := map[string]string{}
				for _, name := range []string{"real_name", "location", "bio", "links", "real_name_visibility", "location_visibility",
					"bio_visibility", "links_visibility", "picture_visibility"} {
					fields[name] = v
				}
				resp, body := ana.saveProfile(fields, []byte(v))
				check(fmt.Sprintf("profile with hostile value %d", i), resp, body)
				_, page := ana.get("/members/ana")
				check(fmt.Sprintf("member page after hostile value %d", i), &http.Response{StatusCode: 200}, string(page))
				resp, body2 := ana.postForm("/settings/sessions/"+url.PathEscape(v)+"/end", url.Values{"password": {v}})
				check(fmt.Sprintf("end session %d", i), resp, string(body2))
				resp, body2 = ana.postForm("/settings/sessions/confirm", url.Values{"password": {v}, "code": {v}})
				check(fmt.Sprintf("confirm %d", i), resp, string(body2))
				resp, body2 = ana.get("/members/" + url.PathEscape(v))
				check(fmt.Sprintf("member page of %d", i), resp, string(body2))
			}
			if !ana.loggedIn() {
				t.Error("hostile input ended the member's own session")
			}
		})
	}
}
