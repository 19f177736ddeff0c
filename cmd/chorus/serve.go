package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/config"
	"chorus/internal/datamap"
	"chorus/internal/erasure"
	"chorus/internal/export"
	"chorus/internal/geoip"
	"chorus/internal/mail"
	"chorus/internal/notify"
	"chorus/internal/pro"
	"chorus/internal/ratelimit"
	"chorus/internal/store"
	"chorus/internal/web"
)

// runServe runs the web server and the background workers until ctx ends
// (SIGINT or SIGTERM), then drains: it stops accepting connections, lets
// running streams and requests finish and running jobs complete for up to
// --shutdown-timeout; jobs still running after that are retried later.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, fs, err := parseFlags("serve", "serve [flags]", args, getenv, stdout, stderr, config.Options{Server: true}, nil)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, only flags: %q is not one (see chorus serve --help)", fs.Arg(0))
	}
	logger := newLogger(stderr, getenv)
	// Checked before the database is touched. Not closed: the database
	// is memory only, and a request still running after the shutdown
	// timeout may look a country up.
	countries, err := openGeoIP(cfg, logger)
	if err != nil {
		return err
	}
	d, err := openDeps(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer d.close()
	if n, err := d.files.RemoveAbandoned(10 * time.Minute); err != nil {
		logger.Warn("clean up abandoned files", "err", err)
	} else if n > 0 {
		logger.Info("removed files of interrupted writes", "count", n)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another program using this port? choose another with --addr)", cfg.Addr, err)
	}
	addr := ln.Addr().String()
	if strings.HasSuffix(cfg.BaseURL, ":0") { // port 0: the address is known only now
		cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "0") + addr[strings.LastIndex(addr, ":")+1:]
	}
	// Mail links name the base URL, so the mailer is made once it is known.
	if d.mailer, err = mail.New(d.db, mail.Config{BaseURL: cfg.BaseURL, From: cfg.MailFrom, SMTPURL: cfg.SMTPURL,
		Dir: filepath.Join(cfg.DataDir, "mail"), Logger: logger.With("component", "mail")}); err != nil {
		ln.Close()
		return err
	}
	if err := registerProcessors(ctx, d.db, cfg, logger); err != nil {
		ln.Close()
		return err
	}
	d.eraser = &erasure.Service{DB: d.db, Files: d.files, Mail: d.mailer, ReserveUsernames: cfg.ReserveErasedUsernames,
		Logger: logger.With("component", "erasure")}
	d.exporter = &export.Service{DB: d.db, Files: d.files, Mail: d.mailer, BaseURL: cfg.BaseURL, TempDir: cfg.TempDir(),
		Logger: logger.With("component", "export")}
	notifier := &notify.Service{DB: d.db, Mail: d.mailer, BaseURL: cfg.BaseURL, Logger: logger.With("component", "notify")}
	vault, err := openVault(cfg, stdout, logger)
	if err != nil {
		ln.Close()
		return err
	}
	svc, queue, err := d.publishing(cfg, cfg.Workers)
	if err != nil {
		ln.Close()
		return err
	}
	svc.Released = notifier.NewRelease
	ingester := analytics.New(d.db, analytics.Options{Logger: logger.With("component", "analytics")})
	defer ingester.Close() // commits what is queued; a second Close is harmless
	srv, err := web.New(web.Deps{Analytics: ingester, GeoIP: countries, TrustedProxies: cfg.TrustedProxies, DB: d.db, Files: d.files, Publishing: svc, Mail: d.mailer, Exporter: d.exporter, Logger: logger, BaseURL: cfg.BaseURL, MaxUploadBytes: cfg.MaxUploadBytes,
		SessionIdleTimeout: cfg.SessionIdleTimeout, SessionLifetime: cfg.SessionLifetime, SignIn: signInProviders(cfg),
		ErasureGrace: cfg.ErasureGrace, SpamNewAccountAge: cfg.SpamNewAccountAge, Notify: notifier, Vault: vault,
		Pro: web.ProSettings{ArtistShare: cfg.ProArtistShare, PayoutThreshold: cfg.ProPayoutThreshold,
			Debtor: pro.Debtor{Name: cfg.ProDebtorName, IBAN: cfg.ProDebtorIBAN, BIC: cfg.ProDebtorBIC}, SellerCountry: cfg.ProSellerCountry, Stripe: stripe(cfg)}})
	if err != nil {
		ln.Close()
		return err
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}
	limiter := ratelimit.New(d.db)
	// Housekeeping, each task now and then every period until ctx ends.
	every(ctx, logger, 24*time.Hour, "sweep unused stored files", func() error { // files of uploads whose process died before committing them
		_, err := svc.SweepOrphans(ctx, time.Hour)
		return err
	})
	every(ctx, logger, 10*time.Minute, "delete expired rate limits", func() error { // counters hold client addresses: kept no longer than they protect
		_, err := limiter.Sweep(ctx)
		return err
	})
	every(ctx, logger, 30*time.Second, "resume jobs of stopped processes", func() error { // an import beside this server may die too
		_, err := queue.RescueOrphans(ctx)
		return err
	})
	every(ctx, logger, time.Hour, "delete expired sessions", func() error { // what expired logins recorded (network, device)
		_, err := srv.DeleteExpiredSessions(ctx)
		return err
	})
	every(ctx, logger, time.Hour, "delete expired visitor consent records", func() error {
		_, err := srv.DeleteExpiredVisitorConsent(ctx)
		return err
	})
	every(ctx, logger, time.Hour, "fold old analytics events into daily statistics", func() error { // raw events and full addresses expire
		_, _, err := analytics.Maintain(ctx, d.db, time.Now(), cfg.AnalyticsRetention, time.Duration(cfg.SecurityLogDays)*24*time.Hour)
		return err
	})
	every(ctx, logger, 24*time.Hour, "delete expired proof of compliance", func() error { // the access log and answered requests, after 3 years
		_, err := d.db.DeleteExpiredProof(ctx, time.Now())
		return err
	})
	every(ctx, logger, time.Hour, "delete expired data exports", func() error {
		_, err := d.exporter.DeleteExpired(ctx, time.Now())
		return err
	})
	every(ctx, logger, 5*time.Minute, "send daily digests", func() error {
		_, err := notifier.SendDigests(ctx, time.Now())
		return err
	})
	pacer := &notify.Pacer{Rate: cfg.NewsletterRate}
	every(ctx, logger, time.Second, "send newsletters", func() error { // the recipients are rows: a restart carries on
		n, err := notifier.SendNewsletterBatch(ctx, pacer.Allow(time.Now()))
		pacer.Spend(n)
		return err
	})
	// Jobs get a context of their own: on SIGTERM, Stop lets running jobs
	// finish instead of cancelling them with the signal.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("start background jobs: %w", err)
	}
	fmt.Fprintf(stdout, "Chorus is listening on http://%s (data in %s)\n", addr, cfg.DataDir)
	logger.Info("serving", "addr", addr, "base_url", cfg.BaseURL, "database", d.db.Dialect())

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing running streams and jobs", "timeout", cfg.ShutdownTimeout)
	drain, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	httpErr := httpSrv.Shutdown(drain)
	if errors.Is(httpErr, context.DeadlineExceeded) {
		httpSrv.Close()
		httpErr = nil
	}
	ingester.Close() // commits the events still queued
	jobErr := queue.Stop(drain)
	logger.Info("stopped")
	return errors.Join(httpErr, jobErr)
}

// every runs task at once and then every period, in the background, until
// ctx ends; a failure is logged as a warning under what, and tried again
// at the next period.
func every(ctx context.Context, logger *slog.Logger, period time.Duration, what string, task func() error) {
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			if err := task(); err != nil && ctx.Err() == nil {
				logger.Warn(what, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// registerProcessors seeds the processors register with the processors the
// configuration names: the SMTP relay when --smtp-url is set. An entry is
// added once; later edits by admins are kept. (Stored files stay on the
// site's own disk: --blob-url takes file:// only, so there is no object
// store to register.)
func registerProcessors(ctx context.Context, db *store.DB, cfg config.Config, logger *slog.Logger) error {
	if cfg.SMTPURL == "" {
		return nil
	}
	st, err := mail.ParseSMTPURL(cfg.SMTPURL)
	if err != nil {
		return err
	}
	added, err := db.SeedProcessor(ctx, datamap.Registered{ConfigKey: datamap.ConfigSMTP, Name: "SMTP relay " + st.Host,
		Service: "email delivery", Country: strings.ToUpper(cfg.SMTPCountry), Categories: mail.MessageCategories,
		Purpose: "deliver the site's email to members: address confirmations, password resets, notices about their account"})
	if err != nil {
		return fmt.Errorf("register the SMTP relay as a processor: %w", err)
	}
	if added {
		logger.Info("the SMTP relay is registered as a processor; check its country on /admin/processors", "host", st.Host)
	}
	return nil
}

// openVault opens the PRO keyset, making one at the default place on
// first start and saying so: without that file, PRO bank details and tax
// ids cannot be read, so it must be backed up.
func openVault(cfg config.Config, stdout io.Writer, logger *slog.Logger) (*pro.Vault, error) {
	path, create := cfg.ProKeyset()
	v, created, err := pro.OpenVault(path, create)
	if err != nil {
		return nil, fmt.Errorf("%w (set --pro-keyset-file, or leave it empty to use %s)", err, filepath.Join(cfg.DataDir, "pro-keyset.json"))
	}
	if created {
		fmt.Fprintf(stdout, "Made a new PRO keyset at %s (mode 0600). Back it up: without it, PRO bank details cannot be read.\n", path)
		logger.Info("made a new PRO keyset", "path", path)
	}
	return v, nil
}

// stripe is the Stripe Checkout adapter when Stripe is configured, nil
// otherwise (licences are then sold by invoice only).
func stripe(cfg config.Config) *pro.Stripe {
	if cfg.StripeSecretKey == "" {
		return nil
	}
	return &pro.Stripe{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret, APIURL: cfg.StripeAPIURL,
		Client: &http.Client{Timeout: 20 * time.Second}}
}

// openGeoIP opens the country database of --geoip, nil when none is set.
// A file that cannot serve (damaged, or of a kind without countries)
// stops the start with the flag named.
func openGeoIP(cfg config.Config, logger *slog.Logger) (*geoip.DB, error) {
	if cfg.GeoIPFile == "" {
		return nil, nil
	}
	db, err := geoip.Open(cfg.GeoIPFile)
	if err != nil {
		return nil, fmt.Errorf("--geoip (CHORUS_GEOIP): %w", err)
	}
	logger.Info("countries of listeners from the GeoIP database", "file", cfg.GeoIPFile, "type", db.Type, "built", db.Built.Format(time.DateOnly))
	return db, nil
}
