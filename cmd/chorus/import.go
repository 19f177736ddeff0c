package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"

	"chorus/internal/chorus"
	"chorus/internal/config"
	"chorus/internal/publishing"
	"chorus/internal/store"
)

// audioExtensions are the files picked up inside folders; files named on
// the command line are always tried. Content, not the name, decides
// whether a file is accepted.
var audioExtensions = map[string]bool{
	".mp3": true, ".ogg": true, ".oga": true, ".opus": true, ".flac": true, ".wav": true, ".wave": true,
	".m4a": true, ".aac": true, ".mp4": true,
}

type importOutcome struct {
	file    string
	trackID int64
	title   string
	err     error
}

// runImport imports every audio file under the given paths as one artist,
// ingesting and processing up to --jobs files at once, then prints what was
// imported, skipped and refused. A file the artist already has (same
// content hash) is skipped, so running it twice imports nothing twice.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var artistName, licenceID, owner string
	var downloadOriginal, quiet bool
	jobsN := runtime.NumCPU()
	cfg, fset, err := parseFlags("import", "import --artist NAME [--license ID] [flags] PATH...", args, getenv, stdout, stderr, config.Options{}, func(fs *flag.FlagSet) {
		fs.StringVar(&artistName, "artist", "", "artist to import as; created if it does not exist (required)")
		fs.StringVar(&licenceID, "license", "", "licence to publish under: cc-by-4.0, cc-by-sa-4.0, cc-by-nd-4.0, cc-by-nc-4.0, cc-by-nc-sa-4.0, cc-by-nc-nd-4.0 or cc0-1.0; without it tracks are imported as drafts")
		fs.StringVar(&licenceID, "licence", "", "same as --license")
		fs.BoolVar(&downloadOriginal, "download-original", false, "allow visitors to download the original files")
		fs.StringVar(&owner, "owner", "", "username or email of the member who manages the artist in the studio (required without --license, so that someone can publish the drafts)")
		fs.IntVar(&jobsN, "jobs", jobsN, "files processed at once; the default is the number of CPU cores")
		fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	})
	if err != nil {
		return err
	}
	artistName = chorus.CleanText(artistName, 101, false)
	var problems []string
	if artistName == "" {
		problems = append(problems, "--artist is required: the name to publish these tracks under")
	} else if utf8.RuneCountInString(artistName) > 100 {
		problems = append(problems, "--artist: use at most 100 characters")
	}
	if licenceID != "" {
		l, err := chorus.LicenceByID(licenceID)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--license %q is not one of: %s", licenceID, licenceList()))
		}
		licenceID = l.ID
	}
	if licenceID == "" && owner == "" {
		problems = append(problems, "give --license to publish the tracks now, or --owner so that a member can choose their licence and publish them from the studio")
	}
	if fset.NArg() == 0 {
		problems = append(problems, "give at least one file or folder to import")
	}
	if jobsN < 1 || jobsN > 64 {
		problems = append(problems, "--jobs must be between 1 and 64")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	paths, missing := collectAudio(fset.Args())
	for _, m := range missing {
		fmt.Fprintln(stderr, "chorus import:", m)
	}
	if len(paths) == 0 {
		return errors.New("no audio files found under the given paths")
	}

	logger := newLogger(io.Discard, getenv)
	if getenv("CHORUS_LOG_LEVEL") != "" {
		logger = newLogger(stderr, getenv)
	}
	cfg.Workers = jobsN
	d, err := openDeps(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer d.close()
	svc, queue, err := d.publishing(cfg, jobsN)
	if err != nil {
		return err
	}
	var ownerID int64
	if owner != "" {
		m, _, err := d.db.MemberCredentials(ctx, owner)
		if errors.Is(err, chorus.ErrNotFound) {
			return fmt.Errorf("--owner %q: no member has this username or email; sign up first", owner)
		}
		if err != nil {
			return err
		}
		ownerID = m.ID
	}
	var artist chorus.Artist
	if err := d.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		artist, _, err = tx.EnsureArtist(ctx, artistName)
		if err != nil || ownerID == 0 || artist.MemberID == ownerID {
			return err
		}
		if artist.MemberID != 0 {
			return fmt.Errorf("--owner: the artist %q is already managed by another member", artist.Name)
		}
		artist.MemberID = ownerID
		return tx.SetArtistMember(ctx, artist.ID, ownerID)
	}); err != nil {
		return err
	}
	if _, err := queue.RescueOrphans(ctx); err != nil {
		logger.Warn("resume jobs of stopped processes", "err", err)
	}
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = queue.Stop(stop)
	}()

	var bar *progressbar.ProgressBar
	if !quiet && isTerminal(stderr) {
		bar = progressbar.NewOptions(len(paths)*2,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	step := func(n int) {
		if bar != nil {
			_ = bar.Add(n)
		}
	}

	// Stage 1: ingest (hash, probe, store, enqueue) with jobsN workers.
	outcomes := make([]importOutcome, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobsN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				outcomes[i] = ingestFile(ctx, svc, artist.ID, paths[i], licenceID, downloadOriginal)
				step(1)
				if outcomes[i].err != nil {
					step(1) // nothing to process
				}
			}
		}()
	}
	for i := range paths {
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("import interrupted; files already acknowledged are kept and will be processed by chorus serve or the next import")
	}

	// Stage 2: wait for the queued processing to finish.
	pending := map[int64]int{}
	for i, o := range outcomes {
		if o.err == nil {
			pending[o.trackID] = i
		}
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for len(pending) > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("import interrupted while processing; the remaining tracks will be processed by chorus serve or the next import")
		case <-tick.C:
		}
		ids := make([]int64, 0, len(pending))
		for id := range pending {
			ids = append(ids, id)
		}
		states, err := d.db.TrackStates(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			t, ok := states[id]
			switch {
			case !ok:
				outcomes[pending[id]].err = errors.New("the track was deleted while importing")
			case t.Status == chorus.TrackReady:
			case t.Status == chorus.TrackFailed:
				outcomes[pending[id]].err = &publishing.RefusedError{File: filepath.Base(paths[pending[id]]), Reason: t.ProcessingError, Kind: publishing.ErrRefused}
			default:
				continue
			}
			delete(pending, id)
			step(1)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err := printSummary(stdout, cfg.DataDir, artist, licenceID, paths, outcomes); err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d of the given paths could not be read (see above)", len(missing))
	}
	return nil
}

// isTerminal reports whether w is a terminal, where a progress bar belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func ingestFile(ctx context.Context, svc *publishing.Service, artistID int64, path, licenceID string, download bool) importOutcome {
	o := importOutcome{file: path}
	f, err := os.Open(path)
	if err != nil {
		o.err = &publishing.RefusedError{File: filepath.Base(path), Reason: "cannot be read: " + errors.Unwrap(err).Error(), Kind: publishing.ErrRefused}
		return o
	}
	defer f.Close()
	in, err := svc.Ingest(ctx, publishing.Upload{
		ArtistID: artistID, FileName: filepath.Base(path), Body: f,
		LicenceID: licenceID, Publish: licenceID != "", DownloadOriginal: download,
	})
	o.trackID, o.title, o.err = in.TrackID, in.Title, err
	return o
}

func printSummary(w io.Writer, dataDir string, artist chorus.Artist, licenceID string, paths []string, outcomes []importOutcome) error {
	var imported, skipped, refused []importOutcome
	var failed error
	for _, o := range outcomes {
		var re *publishing.RefusedError
		switch {
		case o.err == nil:
			imported = append(imported, o)
		case errors.Is(o.err, store.ErrDuplicate):
			skipped = append(skipped, o)
		case errors.As(o.err, &re):
			refused = append(refused, o)
		default:
			refused = append(refused, o)
			failed = o.err
		}
	}
	state := "published under " + licenceID
	if licenceID == "" {
		state = "as drafts: choose their licence in the studio to publish them"
	}
	fmt.Fprintf(w, "Artist: %s (data in %s)\n", artist.Name, dataDir)
	fmt.Fprintf(w, "Imported: %d (%s)\n", len(imported), state)
	fmt.Fprintf(w, "Skipped, already imported: %d\n", len(skipped))
	fmt.Fprintf(w, "Refused: %d\n", len(refused))
	sort.Slice(refused, func(i, j int) bool { return refused[i].file < refused[j].file })
	for _, o := range refused {
		reason := o.err.Error()
		var re *publishing.RefusedError
		if errors.As(o.err, &re) {
			reason = re.Reason
		}
		fmt.Fprintf(w, "  %s: %s\n", o.file, reason)
	}
	if failed != nil {
		return fmt.Errorf("some files could not be imported because of an error on our side: %w", failed)
	}
	return nil
}

// collectAudio expands folders into the audio files under them (by
// extension, hidden files and folders skipped) in a stable order, and keeps
// files named directly whatever their name. A folder named through a
// symbolic link is walked, and a link inside a folder to a file counts as
// that file; links to folders inside are not followed (they could loop).
func collectAudio(args []string) (paths, problems []string) {
	seen := map[string]bool{}
	add := func(p string) {
		if abs, err := filepath.Abs(p); err == nil && !seen[abs] {
			seen[abs] = true
			paths = append(paths, abs)
		}
	}
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: no such file or folder", arg))
			continue
		}
		if !info.IsDir() {
			add(arg)
			continue
		}
		root, err := filepath.EvalSymlinks(arg)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", arg, err))
			continue
		}
		var found []string
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", p, err))
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && p != root {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			regular := d.Type().IsRegular()
			if d.Type()&fs.ModeSymlink != 0 {
				info, err := os.Stat(p)
				regular = err == nil && info.Mode().IsRegular()
			}
			if regular && audioExtensions[strings.ToLower(filepath.Ext(p))] {
				found = append(found, p)
			}
			return nil
		})
		sort.Strings(found)
		for _, p := range found {
			add(p)
		}
	}
	return paths, problems
}

func licenceList() string {
	var ids []string
	for _, l := range chorus.Licences() {
		ids = append(ids, l.ID)
	}
	return strings.Join(ids, ", ")
}
