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
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"chorus/internal/money"
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

	// SMTPURL sends email through an SMTP server:
	// "smtp://user:pass@host:587" (STARTTLS required) or
	// "smtps://user:pass@host:465" (implicit TLS), optionally with
	// "?ca_file=PATH" to trust a private certificate authority (see
	// mail.ParseSMTPURL). Empty writes each message as an .eml file under
	// DataDir/mail instead.
	SMTPURL string
	// SMTPCountry is where the SMTP relay processes mail: an ISO 3166-1
	// alpha-2 code ("DE", "US"), written into the processors register when
	// the relay is first registered. Empty leaves it for an admin to state.
	SMTPCountry string
	// MailFrom is the From address of every message ("Chorus <noreply@example.org>").
	MailFrom string
	// SessionIdleTimeout ends a login after this long without a request;
	// SessionLifetime ends it this long after logging in, however active
	// (OWASP ASVS 5.0 V7.3.1 and V7.3.2).
	SessionIdleTimeout, SessionLifetime time.Duration

	// ErasureGrace is how long after a member asks for their account to be
	// erased (and chooses to wait) erasure runs; logging in before then
	// cancels it.
	ErasureGrace time.Duration
	// SpamNewAccountAge: a post with links from an account younger than
	// this is held for a moderator's review.
	SpamNewAccountAge time.Duration
	// ReserveErasedUsernames keeps the usernames of erased accounts from
	// being registered again (only a hash of each is kept); otherwise they
	// are free at once.
	ReserveErasedUsernames bool

	// AnalyticsRetention is how long raw analytics events are kept before
	// they are folded into daily statistics and deleted.
	AnalyticsRetention time.Duration
	// SecurityLogDays is how many days the full IP addresses of the
	// security log are kept.
	SecurityLogDays int
	// GeoIPFile is a MaxMind DB country database (.mmdb) on the site's own
	// disk; with it, analytics events carry the country of the client's
	// address and the dashboards show where listeners come from. Empty
	// means no country is known.
	GeoIPFile string
	// TrustedProxies are the reverse proxies (addresses or CIDR ranges)
	// whose X-Forwarded-For header names the client: a request from one of
	// them is taken to come from the rightmost address in that header that
	// is not itself a trusted proxy. Empty means the header is ignored and
	// the client is the connection's peer.
	TrustedProxies []netip.Prefix
	// trustedProxies is the flag's text, parsed into TrustedProxies.
	trustedProxies string
	// NewsletterRate is how many newsletter messages a minute are handed
	// to the outbox, so that a relay's sending limits are kept.
	NewsletterRate int
	// ProKeysetFile is the Tink keyset (JSON, mode 0600) that encrypts PRO
	// bank details and tax ids; empty means DataDir/pro-keyset.json, made
	// on first start.
	ProKeysetFile string
	// ProArtistShare is the artist's share of a PRO sale, in percent.
	ProArtistShare int
	// ProPayoutThreshold is the least amount, in cents, an artist must be
	// owed to be paid in the next payout batch.
	ProPayoutThreshold int64
	// ProDebtor is the site's own bank account that payouts are paid from,
	// named in the payout files; payouts cannot be made without it.
	ProDebtorName, ProDebtorIBAN, ProDebtorBIC string
	// ProSellerCountry is the ISO 3166-1 code of the country PRO sells
	// from; EU businesses elsewhere buy under the VAT reverse charge.
	ProSellerCountry string
	// StripeSecretKey and StripeWebhookSecret enable card payments of PRO
	// licences through Stripe Checkout; without them licences are sold by
	// invoice only. StripeAPIURL is the API's base URL.
	StripeSecretKey, StripeWebhookSecret, StripeAPIURL string

	// Sign-in providers, each enabled when its client id is set.
	Google, Facebook, Twitter ProviderConfig
	// OIDC is any OpenID Connect provider found by discovery from Issuer.
	OIDC ProviderConfig
}

// ProviderConfig is the OAuth 2.0 client registered at a sign-in provider.
// Its redirect URI is BASE_URL/auth/PROVIDER/callback.
type ProviderConfig struct {
	ClientID, ClientSecret string
	// Issuer is the OpenID Connect issuer URL (discovery at
	// Issuer/.well-known/openid-configuration); only for OIDC.
	Issuer string
	// Name is shown on the sign-in button; only for OIDC ("Sign in with NAME").
	Name string
}

// Enabled reports whether the provider is configured.
func (p ProviderConfig) Enabled() bool { return p.ClientID != "" }

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

		SessionIdleTimeout: 7 * 24 * time.Hour,
		SessionLifetime:    30 * 24 * time.Hour,
		ErasureGrace:       14 * 24 * time.Hour,
		SpamNewAccountAge:  24 * time.Hour,
		AnalyticsRetention: 395 * 24 * time.Hour, // 13 months
		SecurityLogDays:    7,
		NewsletterRate:     120,

		ProArtistShare:     50,
		ProPayoutThreshold: 5000,
		ProSellerCountry:   "FR",
		StripeAPIURL:       "https://api.stripe.com",
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
	fs.StringVar(&c.ProKeysetFile, "pro-keyset-file", "", "Tink keyset that encrypts PRO bank details and tax ids (env CHORUS_PRO_KEYSET_FILE; default DATA/pro-keyset.json, made on first start with mode 0600)")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", d.MaxUploadBytes, "largest accepted audio file in bytes (env CHORUS_MAX_UPLOAD_BYTES)")
	if opt.Server {
		fs.StringVar(&c.Addr, "addr", d.Addr, "listen address host:port; port 0 picks a free port (env CHORUS_ADDR)")
		fs.StringVar(&c.BaseURL, "base-url", "", "public URL of the site, e.g. https://music.example.org (env CHORUS_BASE_URL; default http://ADDR)")
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "how long SIGTERM waits for streams and jobs (env CHORUS_SHUTDOWN_TIMEOUT)")
		fs.DurationVar(&c.SessionIdleTimeout, "session-idle-timeout", d.SessionIdleTimeout, "log out after this long without activity (env CHORUS_SESSION_IDLE_TIMEOUT)")
		fs.DurationVar(&c.SessionLifetime, "session-lifetime", d.SessionLifetime, "log out this long after logging in, however active (env CHORUS_SESSION_LIFETIME)")
		fs.DurationVar(&c.SpamNewAccountAge, "spam-new-account-age", d.SpamNewAccountAge, "hold posts with links from accounts younger than this for review; 0 turns the signal off (env CHORUS_SPAM_NEW_ACCOUNT_AGE)")
		fs.DurationVar(&c.ErasureGrace, "erasure-grace", d.ErasureGrace, "how long an account waits for erasure when its member chooses to wait; logging in cancels (env CHORUS_ERASURE_GRACE)")
		fs.DurationVar(&c.AnalyticsRetention, "analytics-retention", d.AnalyticsRetention, "how long raw analytics events are kept before they are folded into daily statistics and deleted (env CHORUS_ANALYTICS_RETENTION)")
		fs.IntVar(&c.SecurityLogDays, "security-log-days", d.SecurityLogDays, "days the security log keeps full IP addresses (env CHORUS_SECURITY_LOG_DAYS)")
		fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For header names the client, e.g. 127.0.0.1,10.0.0.0/8 (env CHORUS_TRUSTED_PROXIES; default: none, the header is ignored)")
		fs.StringVar(&c.GeoIPFile, "geoip", "", "country database in MaxMind DB format (.mmdb: DB-IP IP to Country Lite, MaxMind GeoLite2-Country) for the countries of listeners in statistics (env CHORUS_GEOIP)")
		fs.IntVar(&c.NewsletterRate, "newsletter-rate", d.NewsletterRate, "newsletter messages sent a minute, at most (env CHORUS_NEWSLETTER_RATE)")
		fs.BoolVar(&c.ReserveErasedUsernames, "reserve-erased-usernames", false, "keep the usernames of erased accounts from being registered again (env CHORUS_RESERVE_ERASED_USERNAMES)")
		fs.IntVar(&c.ProArtistShare, "pro-artist-share", d.ProArtistShare, "the artist's share of each PRO sale, in percent (env CHORUS_PRO_ARTIST_SHARE)")
		fs.Int64Var(&c.ProPayoutThreshold, "pro-payout-threshold", d.ProPayoutThreshold, "least amount owed, in cents, for an artist to be paid in a payout batch (env CHORUS_PRO_PAYOUT_THRESHOLD)")
		fs.StringVar(&c.ProDebtorName, "pro-debtor-name", "", "name of the site's bank account that PRO payouts are paid from (env CHORUS_PRO_DEBTOR_NAME)")
		fs.StringVar(&c.ProDebtorIBAN, "pro-debtor-iban", "", "IBAN of that account (env CHORUS_PRO_DEBTOR_IBAN)")
		fs.StringVar(&c.ProDebtorBIC, "pro-debtor-bic", "", "BIC of that account's bank (env CHORUS_PRO_DEBTOR_BIC)")
		fs.StringVar(&c.ProSellerCountry, "pro-seller-country", d.ProSellerCountry, "two-letter code of the country PRO licences are sold from, for VAT (env CHORUS_PRO_SELLER_COUNTRY)")
		fs.StringVar(&c.StripeSecretKey, "stripe-secret-key", "", "Stripe secret API key; with --stripe-webhook-secret, licensees may pay by card through Stripe Checkout (env CHORUS_STRIPE_SECRET_KEY)")
		fs.StringVar(&c.StripeWebhookSecret, "stripe-webhook-secret", "", "signing secret of the Stripe webhook endpoint BASE/pro/stripe/webhook (env CHORUS_STRIPE_WEBHOOK_SECRET)")
		fs.StringVar(&c.StripeAPIURL, "stripe-api-url", d.StripeAPIURL, "base URL of the Stripe API (env CHORUS_STRIPE_API_URL)")
		fs.StringVar(&c.Google.ClientID, "google-client-id", "", "enables sign-in with Google (env CHORUS_GOOGLE_CLIENT_ID)")
		fs.StringVar(&c.Google.ClientSecret, "google-client-secret", "", "(env CHORUS_GOOGLE_CLIENT_SECRET)")
		fs.StringVar(&c.Facebook.ClientID, "facebook-client-id", "", "enables sign-in with Facebook (env CHORUS_FACEBOOK_CLIENT_ID)")
		fs.StringVar(&c.Facebook.ClientSecret, "facebook-client-secret", "", "(env CHORUS_FACEBOOK_CLIENT_SECRET)")
		fs.StringVar(&c.Twitter.ClientID, "twitter-client-id", "", "enables sign-in with Twitter/X (env CHORUS_TWITTER_CLIENT_ID)")
		fs.StringVar(&c.Twitter.ClientSecret, "twitter-client-secret", "", "(env CHORUS_TWITTER_CLIENT_SECRET)")
		fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", "", "any OpenID Connect provider, by issuer URL (env CHORUS_OIDC_ISSUER)")
		fs.StringVar(&c.OIDC.ClientID, "oidc-client-id", "", "(env CHORUS_OIDC_CLIENT_ID)")
		fs.StringVar(&c.OIDC.ClientSecret, "oidc-client-secret", "", "(env CHORUS_OIDC_CLIENT_SECRET)")
		fs.StringVar(&c.OIDC.Name, "oidc-name", "OpenID Connect", "the provider's name on the sign-in button (env CHORUS_OIDC_NAME)")
	}
	fs.StringVar(&c.SMTPURL, "smtp-url", "", "send email by SMTP: smtp://user:pass@host:587 (STARTTLS) or smtps://...:465, ?ca_file=PEM to trust a private CA; empty writes .eml files in DATA/mail (env CHORUS_SMTP_URL)")
	fs.StringVar(&c.SMTPCountry, "smtp-country", "", "country of the SMTP relay, two-letter ISO code (DE, US), for the processors register (env CHORUS_SMTP_COUNTRY)")
	fs.StringVar(&c.MailFrom, "mail-from", "", "From address of email (env CHORUS_MAIL_FROM; default Chorus <noreply@HOST of the base URL>)")
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

	"pro-keyset-file":       "CHORUS_PRO_KEYSET_FILE",
	"pro-artist-share":      "CHORUS_PRO_ARTIST_SHARE",
	"pro-payout-threshold":  "CHORUS_PRO_PAYOUT_THRESHOLD",
	"pro-debtor-name":       "CHORUS_PRO_DEBTOR_NAME",
	"pro-debtor-iban":       "CHORUS_PRO_DEBTOR_IBAN",
	"pro-debtor-bic":        "CHORUS_PRO_DEBTOR_BIC",
	"pro-seller-country":    "CHORUS_PRO_SELLER_COUNTRY",
	"stripe-secret-key":     "CHORUS_STRIPE_SECRET_KEY",
	"stripe-webhook-secret": "CHORUS_STRIPE_WEBHOOK_SECRET",
	"stripe-api-url":        "CHORUS_STRIPE_API_URL",

	"smtp-url":                 "CHORUS_SMTP_URL",
	"smtp-country":             "CHORUS_SMTP_COUNTRY",
	"mail-from":                "CHORUS_MAIL_FROM",
	"session-idle-timeout":     "CHORUS_SESSION_IDLE_TIMEOUT",
	"session-lifetime":         "CHORUS_SESSION_LIFETIME",
	"erasure-grace":            "CHORUS_ERASURE_GRACE",
	"spam-new-account-age":     "CHORUS_SPAM_NEW_ACCOUNT_AGE",
	"analytics-retention":      "CHORUS_ANALYTICS_RETENTION",
	"security-log-days":        "CHORUS_SECURITY_LOG_DAYS",
	"reserve-erased-usernames": "CHORUS_RESERVE_ERASED_USERNAMES",
	"newsletter-rate":          "CHORUS_NEWSLETTER_RATE",
	"geoip":                    "CHORUS_GEOIP",
	"trusted-proxies":          "CHORUS_TRUSTED_PROXIES",
	"google-client-id":         "CHORUS_GOOGLE_CLIENT_ID",
	"google-client-secret":     "CHORUS_GOOGLE_CLIENT_SECRET",
	"facebook-client-id":       "CHORUS_FACEBOOK_CLIENT_ID",
	"facebook-client-secret":   "CHORUS_FACEBOOK_CLIENT_SECRET",
	"twitter-client-id":        "CHORUS_TWITTER_CLIENT_ID",
	"twitter-client-secret":    "CHORUS_TWITTER_CLIENT_SECRET",
	"oidc-issuer":              "CHORUS_OIDC_ISSUER",
	"oidc-client-id":           "CHORUS_OIDC_CLIENT_ID",
	"oidc-client-secret":       "CHORUS_OIDC_CLIENT_SECRET",
	"oidc-name":                "CHORUS_OIDC_NAME",
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
		if c.SessionIdleTimeout < time.Minute {
			bad("session-idle-timeout", "must be at least 1m, got %s", c.SessionIdleTimeout)
		}
		if c.SessionLifetime < c.SessionIdleTimeout {
			bad("session-lifetime", "must be at least the idle timeout (%s), got %s", c.SessionIdleTimeout, c.SessionLifetime)
		}
		if c.NewsletterRate < 1 || c.NewsletterRate > 1_000_000 {
			bad("newsletter-rate", "must be between 1 and 1000000 messages a minute, got %d", c.NewsletterRate)
		}
		if c.ErasureGrace < time.Second || c.ErasureGrace > 90*24*time.Hour {
			bad("erasure-grace", "must be between 1s and 2160h (90 days), got %s", c.ErasureGrace)
		}
		if c.AnalyticsRetention < 24*time.Hour || c.AnalyticsRetention > 5*366*24*time.Hour {
			bad("analytics-retention", "must be between 24h (a day) and 43920h (5 years), got %s", c.AnalyticsRetention)
		}
		if c.SecurityLogDays < 1 || c.SecurityLogDays > 90 {
			bad("security-log-days", "must be between 1 and 90, got %d", c.SecurityLogDays)
		}
		if c.GeoIPFile != "" {
			if st, err := os.Stat(c.GeoIPFile); err != nil {
				bad("geoip", "cannot use %s: %v", c.GeoIPFile, errors.Unwrap(err))
			} else if !st.Mode().IsRegular() {
				bad("geoip", "%s is not a file: give the path of a .mmdb country database", c.GeoIPFile)
			} else if abs, err := filepath.Abs(c.GeoIPFile); err == nil {
				c.GeoIPFile = abs
			}
		}
		for _, f := range strings.Split(c.trustedProxies, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			pfx, err := netip.ParsePrefix(f)
			if err != nil {
				addr, aerr := netip.ParseAddr(f)
				if aerr != nil {
					bad("trusted-proxies", "%q is neither an IP address nor a CIDR range like 10.0.0.0/8", f)
					continue
				}
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			}
			if pfx.Bits() < 8 {
				// 0.0.0.0/0 would trust every client to name any address.
				bad("trusted-proxies", "%s is too wide: it would let any client choose the address rate limits and the security log see; name your proxies' addresses or their network (at most a /8)", f)
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
		}
		if c.ProArtistShare < 0 || c.ProArtistShare > 100 {
			bad("pro-artist-share", "must be a percentage from 0 to 100, got %d", c.ProArtistShare)
		}
		if c.ProPayoutThreshold < 1 {
			bad("pro-payout-threshold", "must be at least 1 cent, got %d", c.ProPayoutThreshold)
		}
		if c.ProDebtorIBAN != "" {
			if iban, err := money.ValidateIBAN(c.ProDebtorIBAN); err != nil {
				bad("pro-debtor-iban", "%v", err)
			} else {
				c.ProDebtorIBAN = iban
			}
		}
		if c.ProDebtorBIC != "" {
			if bic, err := money.ValidateBIC(c.ProDebtorBIC); err != nil {
				bad("pro-debtor-bic", "%v", err)
			} else {
				c.ProDebtorBIC = bic
			}
		}
		if (c.ProDebtorName == "") != (c.ProDebtorIBAN == "") || (c.ProDebtorIBAN == "") != (c.ProDebtorBIC == "") {
			bad("pro-debtor-iban", "--pro-debtor-name, --pro-debtor-iban and --pro-debtor-bic go together")
		}
		c.ProSellerCountry = strings.ToUpper(strings.TrimSpace(c.ProSellerCountry))
		if !money.KnownCountry(c.ProSellerCountry) {
			bad("pro-seller-country", "must be a two-letter country code like FR, got %q", c.ProSellerCountry)
		}
		if (c.StripeSecretKey == "") != (c.StripeWebhookSecret == "") {
			bad("stripe-webhook-secret", "--stripe-secret-key and --stripe-webhook-secret go together")
		}
		if u, err := url.Parse(c.StripeAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("stripe-api-url", "%q is not a URL like https://api.stripe.com", c.StripeAPIURL)
		}
		for _, p := range []struct {
			name string
			cfg  ProviderConfig
		}{{"google", c.Google}, {"facebook", c.Facebook}, {"twitter", c.Twitter}, {"oidc", c.OIDC}} {
			if p.cfg.ClientID != "" && p.cfg.ClientSecret == "" {
				bad(p.name+"-client-secret", "is needed with --%s-client-id", p.name)
			}
		}
		if c.OIDC.ClientID != "" {
			if u, err := url.Parse(c.OIDC.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad("oidc-issuer", "%q is not an issuer URL like https://id.example.org", c.OIDC.Issuer)
			}
		}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("smtp-url", "%q is not smtp://[user:pass@]host[:port] or smtps://...", Redact(c.SMTPURL))
		}
	}
	if c.SMTPCountry != "" {
		if cc := strings.ToUpper(c.SMTPCountry); len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
			bad("smtp-country", "%q is not a two-letter country code like DE or US", c.SMTPCountry)
		}
	}
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			bad("mail-from", "%q is not an email address like Chorus <noreply@example.org>", c.MailFrom)
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

// ProKeyset is the PRO keyset file, and whether Chorus may create it
// there: only at the default place, never at a path the operator named
// (a missing named file is a mistake to report, not to paper over).
func (c Config) ProKeyset() (path string, create bool) {
	if c.ProKeysetFile != "" {
		return c.ProKeysetFile, false
	}
	return filepath.Join(c.DataDir, "pro-keyset.json"), true
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
