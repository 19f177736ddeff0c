package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"chorus/internal/chorus"
	"chorus/internal/publishing"
	"chorus/internal/store"
)

// studioArtist is one of a member's artists with all its tracks.
type studioArtist struct {
	Artist     chorus.Artist
	Tracks     []chorus.Track
	Total      int     // all tracks, of which Tracks are the most recent
	Drafts     []int64 // unpublished tracks that processed or are processing
	Processing bool    // some track is still being processed
}

// studioTrackLimit is how many of an artist's tracks the studio lists.
const studioTrackLimit = 1000

// studio is a member's publishing home: their artists, and each artist's
// tracks in every state.
func (s *Server) studio(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	artists, err := s.DB.ArtistsOfMember(r.Context(), m.ID)
	if err != nil {
		return err
	}
	var list []studioArtist
	processing := false
	for _, a := range artists {
		ts, total, err := s.DB.Tracks(r.Context(), store.TrackFilter{ArtistID: a.ID, All: true, Order: store.UploadedDesc, Limit: studioTrackLimit})
		if err != nil {
			return err
		}
		at := studioArtist{Artist: a, Tracks: ts, Total: total}
		for _, t := range ts {
			if t.Status == chorus.TrackProcessing {
				at.Processing, processing = true, true
			}
			if !t.Published && t.Status != chorus.TrackFailed {
				at.Drafts = append(at.Drafts, t.ID)
			}
		}
		list = append(list, at)
	}
	return s.render(w, r, http.StatusOK, "studio.html", "Studio", map[string]any{
		"Artists": list, "Processing": processing, "ArtistFields": artistFields("", "", nil),
	})
}

func artistFields(name, bio string, inv *chorus.InvalidError) []FieldInfo {
	errs := map[string]string{}
	if inv != nil {
		errs = inv.Fields
	}
	return []FieldInfo{
		{Name: "name", Label: "Artist name", Type: "text", Mandatory: true, MaxLen: 100, Value: name, Error: errs["name"],
			Why: "Shown publicly on your music and in its licence attribution."},
		{Name: "bio", Label: "Biography", Type: "textarea", MaxLen: 5000, Value: bio, Error: errs["bio"],
			Why: "Shown publicly on your artist page."},
		{Name: "picture", Label: "Picture", Type: "file", Error: errs["picture"],
			Why: "Shown publicly on your artist page. JPEG, PNG, GIF or WebP; we keep a resized copy without its metadata (such as location)."},
	}
}

// createArtist makes an artist profile for the member, with an optional
// picture (multipart form: name, bio, picture).
// artistForm is a submitted artist profile form.
type artistForm struct {
	Name, Bio  string
	PictureKey string // a newly stored picture, "" if none was sent
	Invalid    *chorus.InvalidError
}

// readArtistForm reads and checks the multipart artist form (name, bio,
// picture) and stores a sent picture. The caller must call done, which
// removes temporary files; on a failed save it also deletes the picture.
func (s *Server) readArtistForm(w http.ResponseWriter, r *http.Request) (artistForm, func(saved bool), error) {
	var f artistForm
	if err := parsePictureForm(w, r); err != nil {
		return f, func(bool) {}, err
	}
	f.Name = chorus.CleanText(r.FormValue("name"), 101, false)
	f.Bio = chorus.CleanText(r.FormValue("bio"), 5001, true)
	f.Invalid = &chorus.InvalidError{}
	if f.Name == "" {
		f.Invalid.Add("name", "Enter the name you publish under.")
	} else if utf8.RuneCountInString(f.Name) > 100 {
		f.Invalid.Add("name", "Use at most 100 characters.")
	}
	if utf8.RuneCountInString(f.Bio) > 5000 {
		f.Invalid.Add("bio", "Use at most 5000 characters.")
	}
	f.PictureKey = s.formPicture(r, "artists", f.Invalid)
	done := func(saved bool) {
		if !saved && f.PictureKey != "" {
			s.deletePicture(r, f.PictureKey)
		}
		if r.MultipartForm != nil {
			_ = r.MultipartForm.RemoveAll()
		}
	}
	return f, done, nil
}

func (s *Server) createArtist(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	f, done, err := s.readArtistForm(w, r)
	if err != nil {
		return err
	}
	var a chorus.Artist
	inv := f.Invalid
	err = inv.Err()
	if err == nil {
		err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
			var err error
			a, err = tx.CreateArtist(r.Context(), chorus.Artist{MemberID: m.ID, Name: f.Name, Bio: f.Bio, PictureKey: f.PictureKey})
			if err != nil {
				return err
			}
			err = tx.BecomeArtist(r.Context(), m.ID)
			return err
		})
	}
	done(err == nil)
	if errors.As(err, &inv) {
		if wantsJSON(r) {
			return err
		}
		artists, err := s.DB.ArtistsOfMember(r.Context(), m.ID)
		if err != nil {
			return err
		}
		list := make([]studioArtist, len(artists))
		for i, a := range artists {
			list[i].Artist = a
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "studio.html", "Studio", map[string]any{"Artists": list, "ArtistFields": artistFields(f.Name, f.Bio, inv)})
	}
	if err != nil {
		return err
	}
	s.flash(r, "Your artist profile \u201c"+a.Name+"\u201d is ready. Upload your music.")
	http.Redirect(w, r, "/studio/upload?artist="+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) editArtistForm(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownedArtist(r, r.PathValue("id"))
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		// No artist of this member has that number: from the address
		// bar, that is a page that does not exist for them.
		return fmt.Errorf("artist %s: %w", r.PathValue("id"), chorus.ErrNotFound)
	}
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "edit_artist.html", "Edit "+a.Name, map[string]any{"Artist": a, "Fields": artistFields(a.Name, a.Bio, nil)})
}

// editArtist saves the artist profile form; a new picture replaces the old
// one, whose files are then deleted.
func (s *Server) editArtist(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ownedArtist(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	f, done, err := s.readArtistForm(w, r)
	if err != nil {
		return err
	}
	inv := f.Invalid
	var oldPicture string
	err = inv.Err()
	if err == nil {
		err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
			var err error
			oldPicture, err = tx.EditArtist(r.Context(), a.ID, store.ArtistEdit{Name: f.Name, Bio: f.Bio, PictureKey: f.PictureKey})
			return err
		})
	}
	done(err == nil)
	if errors.As(err, &inv) {
		if wantsJSON(r) {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "edit_artist.html", "Edit "+a.Name, map[string]any{"Artist": a, "Fields": artistFields(f.Name, f.Bio, inv)})
	}
	if err != nil {
		return err
	}
	if oldPicture != "" {
		s.deletePicture(r, oldPicture)
	}
	s.flash(r, "The profile of \u201c"+f.Name+"\u201d is saved.")
	http.Redirect(w, r, "/studio", http.StatusSeeOther)
	return nil
}

// maxPictureForm bounds a form that carries a picture, in bytes.
const maxPictureForm = 20 << 20

// parsePictureForm reads a multipart form of at most maxPictureForm bytes
// that may carry a "picture" file. A form that is too large or malformed
// is an *chorus.InvalidError; one that is not multipart is read as empty.
func parsePictureForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxPictureForm)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return chorus.Invalid("The picture is larger than 20 MB.")
		}
		if !errors.Is(err, http.ErrNotMultipart) {
			return chorus.Invalid("The form could not be read. Please try again.")
		}
	}
	return nil
}

// formPicture stores the "picture" file of a form read by parsePictureForm,
// when one was sent, under a new random key in folder ("artists",
// "members"), and returns the key, "" when none was sent or it was
// refused; a refusal is added to inv under "picture".
func (s *Server) formPicture(r *http.Request, folder string, inv *chorus.InvalidError) string {
	file, hdr, err := r.FormFile("picture")
	if err != nil {
		return ""
	}
	defer file.Close()
	if hdr.Size == 0 {
		return ""
	}
	key, err := s.storePicture(r, file, folder)
	if err != nil {
		msg := err.Error()
		inv.Add("picture", strings.ToUpper(msg[:1])+msg[1:]+".")
	}
	return key
}

// storePicture resizes an uploaded picture to every artwork size, which
// also drops its metadata (EXIF camera details and GPS position, see
// media.ResizeArtwork), and returns the key prefix under folder; the error
// text is safe to show (lower case, for use in a sentence).
func (s *Server) storePicture(r *http.Request, f io.Reader, folder string) (string, error) {
	tmp, err := s.Publishing.Staging.CreateTemp("picture-*")
	if err != nil {
		return "", errors.New("the picture could not be stored; please try again")
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, f)
	tmp.Close()
	if err != nil {
		return "", errors.New("the picture could not be received; please try again")
	}
	key := path.Join(folder, randomToken(12), "picture")
	for _, size := range publishing.CoverSizes() {
		out := fmt.Sprintf("%s-%d.jpg", tmp.Name(), size)
		err := s.Publishing.Media.ResizeArtwork(r.Context(), tmp.Name(), size, out)
		if err == nil {
			err = s.Files.PutFile(r.Context(), fmt.Sprintf("%s-%d.jpg", key, size), out, "image/jpeg")
		}
		os.Remove(out)
		if err != nil {
			s.deletePicture(r, key)
			return "", errors.New("this file is not a picture we can read (use JPEG, PNG, GIF or WebP)")
		}
	}
	return key, nil
}

func (s *Server) deletePicture(r *http.Request, key string) {
	for _, size := range publishing.CoverSizes() {
		if err := s.Files.Delete(context.WithoutCancel(r.Context()), fmt.Sprintf("%s-%d.jpg", key, size)); err != nil {
			s.Logger.Warn("delete unused picture", "err", err)
		}
	}
}

// ownedArtist returns the member's artist with the given id. An empty id
// means the member's only artist (with several, they must choose); an
// artist of someone else is ErrForbidden.
func (s *Server) ownedArtist(r *http.Request, idText string) (chorus.Artist, error) {
	if idText == "" {
		return s.soleArtist(r)
	}
	m := s.member(r)
	artists, err := s.DB.ArtistsOfMember(r.Context(), m.ID)
	if err != nil {
		return chorus.Artist{}, err
	}
	if len(artists) == 0 {
		return chorus.Artist{}, chorus.Invalid("Create an artist profile in your studio before uploading music.")
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return chorus.Artist{}, chorus.Invalid("Choose one of your artist profiles.")
	}
	for _, a := range artists {
		if a.ID == id {
			return a, nil
		}
	}
	return chorus.Artist{}, chorus.ErrForbidden
}

// soleArtist returns the member's artist when they have exactly one; with
// several, the form must say which.
func (s *Server) soleArtist(r *http.Request) (chorus.Artist, error) {
	artists, err := s.DB.ArtistsOfMember(r.Context(), s.member(r).ID)
	if err != nil {
		return chorus.Artist{}, err
	}
	switch len(artists) {
	case 0:
		return chorus.Artist{}, chorus.Invalid("Create an artist profile in your studio before uploading music.")
	case 1:
		return artists[0], nil
	}
	return chorus.Artist{}, chorus.Invalid("Choose which of your artist profiles publishes these files.")
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	artists, err := s.DB.ArtistsOfMember(r.Context(), m.ID)
	if err != nil {
		return err
	}
	if len(artists) == 0 {
		s.flash(r, "Create an artist profile first: your music is published under its name.")
		http.Redirect(w, r, "/studio", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "upload.html", "Upload music", map[string]any{
		"Artists": artists, "Selected": r.URL.Query().Get("artist"), "MaxBytes": s.MaxUploadBytes,
	})
}

// UploadResult is one file's outcome in an upload, as shown on the page and
// returned as JSON.
type UploadResult struct {
	File    string `json:"file"`
	TrackID int64  `json:"track_id,omitempty"`
	Title   string `json:"title,omitempty"`
	Album   string `json:"album,omitempty"`
	Error   string `json:"error,omitempty"`
}

// upload receives one or many audio files as multipart/form-data, part by
// part, streaming each to storage; the "artist" field must come before the
// files. Each file is accepted or refused on its own; the status is 200 when
// every file was accepted and 4xx when any was refused.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	// Bound the whole request; each file is also bounded by MaxUploadBytes.
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUploadBytes*50+(10<<20))
	mr, err := r.MultipartReader()
	if err != nil {
		return chorus.Invalid("Choose one or more audio files to upload.")
	}
	var artist chorus.Artist
	var results []UploadResult
	refused, tooLarge, serverFault := 0, false, false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge = true
				break
			}
			return chorus.Invalid("The upload was interrupted or malformed. Please try again.")
		}
		if part.FormName() == "artist" {
			v, _ := io.ReadAll(io.LimitReader(part, 32))
			chosen, err := s.ownedArtist(r, strings.TrimSpace(string(v)))
			if err != nil {
				return err
			}
			if len(results) > 0 && chosen.ID != artist.ID {
				return chorus.Invalid(fmt.Sprintf("The artist must be chosen before the files in the upload form. The %d file(s) before it were received as %s: see your studio.", len(results), artist.Name))
			}
			artist = chosen
			continue
		}
		if part.FormName() != "files" || part.FileName() == "" {
			continue
		}
		if artist.ID == 0 {
			if artist, err = s.soleArtist(r); err != nil {
				return err
			}
		}
		in, err := s.Publishing.Ingest(r.Context(), publishing.Upload{ArtistID: artist.ID, FileName: part.FileName(), Body: part, Verify: true})
		res := UploadResult{File: part.FileName(), TrackID: in.TrackID, Title: in.Title, Album: in.Album}
		var re *publishing.RefusedError
		switch {
		case errors.Is(err, publishing.ErrInterrupted):
			return err
		case errors.As(err, &re):
			res.Error, res.TrackID = re.Reason, 0
			refused++
			if errors.Is(err, chorus.ErrTooLarge) {
				tooLarge = true
			}
		case err != nil && len(results) == 0:
			return err
		case err != nil:
			// A fault on our side (a full disk, the database gone) after
			// some files were stored: say which were kept, stop here.
			s.Logger.Error("upload stopped", "artist", artist.ID, "err", err)
			res.Error, res.TrackID = "could not be stored because of a problem on our side; it and the files after it were not received, please upload them again later", 0
			results = append(results, res)
			serverFault = true
		}
		if serverFault {
			break
		}
		results = append(results, res)
	}
	if len(results) == 0 {
		return chorus.Invalid("Choose one or more audio files to upload.")
	}
	status := http.StatusOK
	if serverFault {
		status = http.StatusServiceUnavailable
		refused++
	} else if refused > 0 {
		status = http.StatusUnprocessableEntity
		if tooLarge && refused == len(results) {
			status = http.StatusRequestEntityTooLarge
		}
	}
	if wantsJSON(r) {
		return writeJSON(w, status, map[string]any{"artist_id": artist.ID, "results": results})
	}
	return s.render(w, r, status, "uploaded.html", "Upload results", map[string]any{
		"Artist": artist, "Results": results, "Refused": refused, "Accepted": len(results) - refused,
	})
}

// ownedTrack loads a track the current member manages.
func (s *Server) ownedTrack(r *http.Request) (chorus.Track, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return chorus.Track{}, chorus.ErrNotFound
	}
	t, err := s.DB.Track(r.Context(), id)
	if err != nil {
		return t, err
	}
	a, err := s.DB.Artist(r.Context(), t.ArtistID)
	if err != nil {
		return t, err
	}
	if a.MemberID != s.member(r).ID {
		return t, chorus.ErrNotFound // do not reveal others' drafts
	}
	return t, nil
}

func (s *Server) editTrackForm(w http.ResponseWriter, r *http.Request) error {
	t, err := s.ownedTrack(r)
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		return writeJSON(w, http.StatusOK, map[string]any{
			"id": t.ID, "title": t.Title, "album": t.AlbumTitle, "status": t.Status, "error": t.ProcessingError,
			"published": t.Published, "public": t.Public(), "licence": t.LicenceID, "duration_ms": t.Duration.Milliseconds(),
			"tags": t.Tags, "download_original": t.DownloadOriginal,
		})
	}
	return s.renderEdit(w, r, http.StatusOK, t, nil)
}

func (s *Server) renderEdit(w http.ResponseWriter, r *http.Request, status int, t chorus.Track, inv *chorus.InvalidError) error {
	errs := map[string]string{}
	msg := ""
	if inv != nil {
		errs, msg = inv.Fields, inv.Message
	}
	return s.render(w, r, status, "edit_track.html", "Edit \u201c"+t.Title+"\u201d", map[string]any{
		"Track": t, "Errors": errs, "Error": msg, "Tags": strings.Join(t.Tags, ", "),
	})
}

// parseTrackEdit reads the edit form. The licence has no default: the
// artist must choose one (CC licences are chosen by the licensor).
func parseTrackEdit(r *http.Request, t chorus.Track) (store.TrackEdit, *chorus.InvalidError) {
	inv := &chorus.InvalidError{}
	e := store.TrackEdit{
		Title:            chorus.CleanText(r.PostFormValue("title"), 200, false),
		AlbumTitle:       chorus.CleanText(r.PostFormValue("album"), 200, false),
		LicenceID:        r.PostFormValue("licence"),
		DownloadOriginal: r.PostFormValue("download_original") == "on",
	}
	if e.Title == "" {
		inv.Add("title", "Give the track a title.")
	}
	if v := strings.TrimSpace(r.PostFormValue("track_number")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 999 {
			inv.Add("track_number", "Use a number from 1 to 999, or leave it empty.")
		}
		e.TrackNumber = n
	}
	if v := strings.TrimSpace(r.PostFormValue("year")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 || n > 2100 {
			inv.Add("year", "Use a four-digit year, or leave it empty.")
		}
		e.Year = n
	}
	for _, tag := range strings.Split(r.PostFormValue("tags"), ",") {
		if tag = store.NormaliseTag(tag); tag != "" {
			e.Tags = append(e.Tags, tag)
		}
	}
	if len(e.Tags) > 20 {
		inv.Add("tags", "Use at most 20 tags.")
	}
	if e.LicenceID != "" {
		if _, err := chorus.LicenceByID(e.LicenceID); err != nil {
			inv.Add("licence", "Choose one of the licences listed.")
		}
	}
	return e, inv
}

// editTrack saves the edit form; the button pressed decides whether the
// track is also published ("publish") or withdrawn ("unpublish").
func (s *Server) editTrack(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	action := r.PostFormValue("action")
	if action == "publish" && !s.member(r).EmailVerified {
		return s.unverified(w, r)
	}
	t, err := s.ownedTrack(r)
	if err != nil {
		return err
	}
	e, inv := parseTrackEdit(r, t)
	if action == "publish" && e.LicenceID == "" {
		inv.Add("licence", "Choose a licence before publishing.")
	}
	if inv.Err() != nil {
		if wantsJSON(r) {
			return inv
		}
		// Show what the artist typed, not the stored values, beside the errors.
		t.Title, t.AlbumTitle, t.TrackNumber, t.Year = e.Title, e.AlbumTitle, e.TrackNumber, e.Year
		t.Tags, t.LicenceID, t.DownloadOriginal = e.Tags, e.LicenceID, e.DownloadOriginal
		return s.renderEdit(w, r, http.StatusUnprocessableEntity, t, inv)
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.EditTrack(r.Context(), t.ID, e); err != nil {
			return err
		}
		switch action {
		case "publish":
			if err := tx.SetPublished(r.Context(), t.ID, true); err != nil {
				return err
			}
			return s.Notify.NewRelease(r.Context(), tx, t.ID) // nothing until it is processed
		case "unpublish":
			return tx.SetPublished(r.Context(), t.ID, false)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case action == "publish" && t.Status == chorus.TrackFailed:
		s.flash(r, "\u201c"+e.Title+"\u201d is marked for publishing, but its processing failed: retry the processing (or upload the file again) and it will appear once it succeeds.")
	case action == "publish" && t.Status == chorus.TrackReady:
		s.flash(r, "\u201c"+e.Title+"\u201d is published.")
	case action == "publish":
		s.flash(r, "\u201c"+e.Title+"\u201d will be published as soon as its processing is done.")
	case action == "unpublish":
		s.flash(r, "\u201c"+e.Title+"\u201d is no longer public.")
	default:
		s.flash(r, "Saved.")
	}
	http.Redirect(w, r, "/studio/tracks/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) retryTrack(w http.ResponseWriter, r *http.Request) error {
	t, err := s.ownedTrack(r)
	if err != nil {
		return err
	}
	if err := s.Publishing.Retry(r.Context(), t.ID); err != nil {
		return err
	}
	s.flash(r, "Processing of \u201c"+t.Title+"\u201d starts again.")
	http.Redirect(w, r, "/studio/tracks/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
	return nil
}

// deleteTrack deletes one of the member's tracks for good, with its files.
// The form must carry confirm=yes (a checkbox the member ticks).
func (s *Server) deleteTrack(w http.ResponseWriter, r *http.Request) error {
	t, err := s.ownedTrack(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if r.PostFormValue("confirm") != "yes" {
		if wantsJSON(r) {
			return chorus.Invalid("Tick the box to confirm the deletion.")
		}
		s.flash(r, "Nothing was deleted: tick the box to confirm.")
		http.Redirect(w, r, "/studio/tracks/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
		return nil
	}
	if err := s.Publishing.DeleteTrack(r.Context(), t.ID); err != nil {
		return err
	}
	s.flash(r, "\u201c"+t.Title+"\u201d is deleted, with its files.")
	http.Redirect(w, r, "/studio", http.StatusSeeOther)
	return nil
}

// bulkPublish sets one licence and download choice on several of the
// member's tracks and publishes them (the review step after an upload).
func (s *Server) bulkPublish(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		return chorus.Invalid("The form could not be read.")
	}
	licence := r.PostFormValue("licence")
	if _, err := chorus.LicenceByID(licence); err != nil {
		if !wantsJSON(r) {
			s.flash(r, "Choose a licence before publishing: nothing was published. Each track can also be published from its own page.")
			http.Redirect(w, r, "/studio", http.StatusSeeOther)
			return nil
		}
		inv := &chorus.InvalidError{Message: "Choose a licence for these tracks before publishing."}
		inv.Add("licence", "Choose a licence.")
		return inv
	}
	download := r.PostFormValue("download_original") == "on"
	m := s.member(r)
	var n int
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		for _, v := range r.PostForm["track"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue
			}
			t, err := tx.Track(r.Context(), id)
			if err != nil {
				return err
			}
			owner, err := tx.ArtistMember(r.Context(), t.ArtistID)
			if err != nil {
				return err
			}
			if owner != m.ID {
				return fmt.Errorf("track %d: %w", id, chorus.ErrNotFound)
			}
			if err := tx.EditTrack(r.Context(), id, store.TrackEdit{Title: t.Title, AlbumTitle: t.AlbumTitle, TrackNumber: t.TrackNumber,
				Year: t.Year, Tags: t.Tags, LicenceID: licence, DownloadOriginal: download}); err != nil {
				return err
			}
			if err := tx.SetPublished(r.Context(), id, true); err != nil {
				return err
			}
			if err := s.Notify.NewRelease(r.Context(), tx, id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.flash(r, fmt.Sprintf("%d track(s) published. Each appears publicly as soon as its processing is done.", n))
	http.Redirect(w, r, "/studio", http.StatusSeeOther)
	return nil
}
