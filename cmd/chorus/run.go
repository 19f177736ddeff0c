package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"

	"chorus/internal/config"
	"chorus/internal/erasure"
	"chorus/internal/export"
	"chorus/internal/files"
	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/media"
	"chorus/internal/publishing"
	"chorus/internal/store"
)

// errUsage is returned after usage was printed for a mistake, so main
// adds nothing and exits 1; errHelp after help was asked for (exit 0).
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

const usage = `Chorus: free music, published, found and streamed.

Usage:
  chorus serve   [flags]                 run the web server (default 127.0.0.1:8080, data in ./chorus-data)
  chorus import  --artist NAME [flags] PATH...
                                         import audio files and folders as an artist
  chorus migrate [flags]                 bring the database schema up to date
  chorus admin   create-user --email E --username U --role admin
                                         create an account, such as the first admin
  chorus admin   members|set-role|suspend|unsuspend|jobs|rotate-keys
                                         manage members and background jobs ("chorus admin --help")

Run "chorus COMMAND --help" for the flags of a command. Every flag can also be
set through its CHORUS_* environment variable, shown in the flag's help.
`

// run is the whole program; main only hands over to it. Tests call it with
// their own arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	err := dispatch(ctx, args[1], args[2:], getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, cmd string, rest []string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "import":
		return runImport(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "chorus: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

// parseFlags builds the configuration of a subcommand. It returns errUsage
// after printing help for --help, and a clear error for bad settings.
func parseFlags(name, synopsis string, args []string, getenv func(string) string, stdout, stderr io.Writer, opt config.Options, extra func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("chorus "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config.Config
	cfg.Bind(fs, opt)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: chorus %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return cfg, fs, errHelp
		}
	}
	// Flags may come after paths too ("import DIR --artist X"): parse,
	// set the first positional argument aside, and go on.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return cfg, fs, errUsage
			}
			return cfg, fs, fmt.Errorf("%s: %w", name, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			positional = append(positional, rest[1:]...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	_ = fs.Parse(append([]string{"--"}, positional...))
	if err := cfg.Resolve(fs, getenv); err != nil {
		return cfg, fs, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, fs, nil
}

// deps are the parts every command that touches data opens.
type deps struct {
	db      *store.DB
	files   *files.Store
	staging *files.Staging
	media   media.Tool
	logger  *slog.Logger
	// mailer, when set, delivers mail from the queue that publishing builds.
	mailer *mail.Service
	// eraser, when set, erases accounts from the queue that publishing builds.
	eraser *erasure.Service
	// exporter, when set, makes data exports from the queue that publishing builds.
	exporter *export.Service
}

func openDeps(ctx context.Context, cfg config.Config, logger *slog.Logger, needMedia bool) (*deps, error) {
	d := &deps{logger: logger, media: media.Tool{FFmpeg: cfg.FFmpeg, FFprobe: cfg.FFprobe}}
	if needMedia {
		for _, bin := range []string{cfg.FFmpeg, cfg.FFprobe} {
			if _, err := exec.LookPath(bin); err != nil {
				return nil, fmt.Errorf("%s not found: Chorus needs ffmpeg and ffprobe to process audio. Install them (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or point --ffmpeg/--ffprobe at them", bin)
			}
		}
	}
	var err error
	d.db, err = store.Open(ctx, store.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		return nil, dbOpenError(cfg, err)
	}
	if _, err := d.db.Migrate(ctx); err != nil {
		d.db.Close()
		return nil, err
	}
	if d.files, err = files.Open(ctx, cfg.BlobURL); err != nil {
		d.db.Close()
		return nil, err
	}
	if d.staging, err = files.NewStaging(cfg.TempDir()); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// dbOpenError names the database that could not be opened, without its password.
func dbOpenError(cfg config.Config, err error) error {
	if cfg.Postgres() {
		return fmt.Errorf("database %s: %w", config.Redact(cfg.DatabaseURL), err)
	}
	return err
}

func (d *deps) close() {
	if d.staging != nil {
		d.staging.Close()
	}
	if d.files != nil {
		d.files.Close()
	}
	d.db.Close()
}

// publishing builds the publishing service and its job queue with the
// given number of workers (0: enqueue only).
func (d *deps) publishing(cfg config.Config, workers int) (*publishing.Service, *jobs.Queue, error) {
	svc := &publishing.Service{DB: d.db, Files: d.files, Media: d.media, Staging: d.staging, MaxBytes: cfg.MaxUploadBytes, Logger: d.logger}
	host, _ := os.Hostname()
	jc := jobs.Config{Workers: workers, JobTimeout: cfg.JobTimeout, Processor: svc,
		Logger: d.logger.With("component", "jobs"), Host: host, Staging: d.staging}
	if d.mailer != nil {
		jc.Mailer = d.mailer
	}
	if d.eraser != nil {
		d.eraser.Tracks = svc
		jc.Eraser = d.eraser
	}
	if d.exporter != nil {
		jc.Exporter = d.exporter
	}
	q, err := jobs.New(d.db, jc)
	if err != nil {
		return nil, nil, err
	}
	svc.Queue = q
	if d.mailer != nil {
		d.mailer.Queue = q
	}
	return svc, q, nil
}

func newLogger(w io.Writer, getenv func(string) string) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(getenv("CHORUS_LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
