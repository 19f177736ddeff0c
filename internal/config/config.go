// Package config builds Chorus's one configuration value from command-line
// flags and CHORUS_* environment variables, and validates it before anything
// starts. A flag given on the command line wins over the environment, which
// wins over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything a Chorus process needs to know about its surroundings.
// It is built once by Parse and passed explicitly; nothing reads it globally.
type Config struct {
	// Addr is the TCP address to listen on, host:port ("127.0.0.1:8080").
	Addr string
	// DataDir holds the SQLite database, the file store and temporary files.
	DataDir string
	// DatabaseURL selects the database: empty or "sqlite://PATH" for SQLite,
	// "postgres://..." or "postgresql://..." for PostgreSQL.
	DatabaseURL string
	// BlobURL selects the file store: "file:///abs/dir" (the default is
	// DataDir/files).
	BlobURL string
	// BaseURL is the public origin of the site, used in links ("http://127.0.0.1:8080").
	BaseURL string
	// MaxUploadBytes is the largest accepted audio file, in bytes.
	MaxUploadBytes int64
	// Workers is how many background jobs (transcodes) run at once in this process.
	Workers int
	// JobTimeout bounds one attempt of a background job; a job whose process
	// died is picked up again a little after this.
	JobTimeout time.Duration
	// ShutdownTimeout is how long SIGTERM waits for running streams and jobs.
	ShutdownTimeout time.Duration
	// FFmpeg and FFprobe are the media tools to run.
	FFmpeg, FFprobe string
}

// Defaults are the values used when neither a flag nor the environment says otherwise.
func Defaults() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "chorus-data",
		MaxUploadBytes:  500_000_000,
		Workers:         2,
		JobTimeout:      10 * time.Minute,
		ShutdownTimeout: 30 * time.Second,
		FFmpeg:          "ffmpeg",
		FFprobe:         "ffprobe",
	}
}

// Options selects which settings a subcommand accepts.
type Options struct {
	// Server adds the settings that only `serve` needs (address, base URL, timeouts).
	Server bool
}

// Bind registers the flags for c on fs; call Resolve after fs.Parse.
func (c *Config) Bind(fs *flag.FlagSet, opt Options) {
	d := Defaults()
	*c = d
	fs.StringVar(&c.DataDir, "data", d.DataDir, "data directory: SQLite database, files, temporary files (env CHORUS_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "database: empty for SQLite in the data directory, or postgres://user@host/db (env CHORUS_DATABASE_URL)")
	fs.StringVar(&c.BlobURL, "blob-url", "", "file store: file:///abs/dir (default DATA/files) (env CHORUS_BLOB_URL)")
	fs.IntVar(&c.Workers, "workers", d.Workers, "background jobs run at once (env CHORUS_WORKERS)")
	fs.DurationVar(&c.JobTimeout, "job-timeout", d.JobTimeout, "longest one attempt of a background job may run (env CHORUS_JOB_TIMEOUT)")
	fs.StringVar(&c.FFmpeg, "ffmpeg", d.FFmpeg, "ffmpeg binary (env CHORUS_FFMPEG)")
	fs.StringVar(&c.FFprobe, "ffprobe", d.FFprobe, "ffprobe binary (env CHORUS_FFPROBE)")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", d.MaxUploadBytes, "largest accepted audio file in bytes (env CHORUS_MAX_UPLOAD_BYTES)")
	if opt.Server {
		fs.StringVar(&c.Addr, "addr", d.Addr, "listen address host:port; port 0 picks a free port (env CHORUS_ADDR)")
		fs.StringVar(&c.BaseURL, "base-url", "", "public URL of the site, e.g. https://music.example.org (env CHORUS_BASE_URL; default http://ADDR)")
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "how long SIGTERM waits for streams and jobs (env CHORUS_SHUTDOWN_TIMEOUT)")
	}
}

// envNames maps flag names to their environment variables.
var envNames = map[string]string{
	"addr":             "CHORUS_ADDR",
	"data":             "CHORUS_DATA_DIR",
	"database-url":     "CHORUS_DATABASE_URL",
	"blob-url":         "CHORUS_BLOB_URL",
	"base-url":         "CHORUS_BASE_URL",
	"workers":          "CHORUS_WORKERS",
	"job-timeout":      "CHORUS_JOB_TIMEOUT",
	"shutdown-timeout": "CHORUS_SHUTDOWN_TIMEOUT",
	"ffmpeg":           "CHORUS_FFMPEG",
	"ffprobe":          "CHORUS_FFPROBE",
	"max-upload-bytes": "CHORUS_MAX_UPLOAD_BYTES",
}

// Resolve fills every flag not set on the command line from its CHORUS_*
// variable, derives the defaults that depend on other settings, and validates
// the result. The error names the flag or variable at fault and says what is
// expected.
func (c *Config) Resolve(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env, ok := envNames[f.Name]
		if !ok || set[f.Name] {
			return
		}
		if v := getenv(env); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", env, v, err))
			}
		}
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return c.finish(fs.Lookup("addr") != nil)
}

func (c *Config) finish(server bool) error {
	var errs []error
	bad := func(name, format string, a ...any) {
		errs = append(errs, fmt.Errorf("--%s (%s): %s", name, envNames[name], fmt.Sprintf(format, a...)))
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data", "must name a directory")
	} else if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	switch {
	case c.DatabaseURL == "":
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if _, err := url.Parse(c.DatabaseURL); err != nil {
			bad("database-url", "not a valid URL: %v", err)
		}
	case strings.HasPrefix(c.DatabaseURL, "sqlite://"):
		if strings.TrimPrefix(c.DatabaseURL, "sqlite://") == "" {
			bad("database-url", "sqlite:// needs a file path, e.g. sqlite:///var/lib/chorus/chorus.db")
		}
	default:
		bad("database-url", "%q is not supported: use postgres://... or sqlite://PATH, or leave it empty for SQLite in the data directory", Redact(c.DatabaseURL))
	}
	if c.BlobURL == "" {
		c.BlobURL = "file://" + filepath.ToSlash(filepath.Join(c.DataDir, "files"))
	} else if u, err := url.Parse(c.BlobURL); err != nil || u.Scheme != "file" || u.Path == "" || u.Path == "/" || u.Host != "" {
		bad("blob-url", "%q is not supported: use file:///absolute/dir", c.BlobURL)
	}
	if c.MaxUploadBytes < 1<<10 {
		bad("max-upload-bytes", "must be at least 1024 bytes, got %d", c.MaxUploadBytes)
	}
	if c.Workers < 1 || c.Workers > 256 {
		bad("workers", "must be between 1 and 256, got %d", c.Workers)
	}
	if c.JobTimeout < time.Second {
		bad("job-timeout", "must be at least 1s, got %s", c.JobTimeout)
	}
	if server {
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			bad("addr", "%q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Addr)
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			bad("addr", "port %q is not a number from 0 to 65535", port)
		} else if c.BaseURL == "" {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "localhost"
			}
			c.BaseURL = "http://" + net.JoinHostPort(host, port)
		}
		if c.BaseURL != "" {
			u, err := url.Parse(c.BaseURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("base-url", "%q is not an http:// or https:// URL", c.BaseURL)
			} else if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
				bad("base-url", "%q must be an origin only, like https://music.example.org: Chorus is served from the root of its host", c.BaseURL)
			} else {
				c.BaseURL = strings.TrimRight(c.BaseURL, "/")
			}
		}
		if c.ShutdownTimeout < 0 {
			bad("shutdown-timeout", "must not be negative")
		}
	}
	return errors.Join(errs...)
}

// Postgres reports whether the configuration selects PostgreSQL.
func (c Config) Postgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// SQLitePath is the SQLite database file: from sqlite://PATH, or DataDir/chorus.db.
func (c Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite://"); ok {
		return p
	}
	return filepath.Join(c.DataDir, "chorus.db")
}

// TempDir is where uploads are staged before they are acknowledged.
func (c Config) TempDir() string { return filepath.Join(c.DataDir, "tmp") }

// Redact hides passwords in a database URL so it can be shown in an error
// message: the user-info password and a password query parameter. What is
// not a URL at all (a keyword/value connection string) is not shown.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "(the value given, not shown as it may hold a password)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
