package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, args []string, env map[string]string, server bool) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c Config
	c.Bind(fs, Options{Server: server})
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	err := c.Resolve(fs, func(k string) string { return env[k] })
	return c, err
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("chorus-data")
	if c.Addr != "127.0.0.1:8080" || c.DataDir != abs || c.BaseURL != "http://127.0.0.1:8080" ||
		c.BlobURL != "file://"+filepath.Join(abs, "files") || c.Postgres() || c.SQLitePath() != filepath.Join(abs, "chorus.db") ||
		c.MaxUploadBytes != 500_000_000 || c.JobTimeout != 10*time.Minute ||
		c.AnalyticsRetention != 395*24*time.Hour || c.SecurityLogDays != 7 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFlagsBeatEnvironment(t *testing.T) {
	env := map[string]string{"CHORUS_ADDR": "0.0.0.0:9000", "CHORUS_DATA_DIR": "/srv/env", "CHORUS_DATABASE_URL": "postgres://u@db/chorus",
		"CHORUS_WORKERS": "4", "CHORUS_BASE_URL": "https://music.example.org/"}
	c, err := parse(t, []string{"--data", "/srv/flag"}, env, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DataDir != "/srv/flag" || !c.Postgres() || c.Workers != 4 || c.BaseURL != "https://music.example.org" {
		t.Fatalf("%+v", c)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", "nope"}, nil, "--addr (CHORUS_ADDR)"},
		{[]string{"--addr", "host:99999"}, nil, "port"},
		{nil, map[string]string{"CHORUS_WORKERS": "many"}, "CHORUS_WORKERS"},
		{[]string{"--workers", "0"}, nil, "--workers"},
		{[]string{"--database-url", "mysql://root:secret@x/db"}, nil, "mysql://root:xxxxx@x/db"},
		{[]string{"--blob-url", "s3://bucket"}, nil, "--blob-url"},
		{[]string{"--blob-url", "file://relative/dir"}, nil, "--blob-url"},
		{[]string{"--base-url", "ftp://x"}, nil, "--base-url"},
		{[]string{"--max-upload-bytes", "10"}, nil, "--max-upload-bytes"},
		{[]string{"--job-timeout", "1ms"}, nil, "--job-timeout"},
		{[]string{"--analytics-retention", "1h"}, nil, "--analytics-retention"},
		{nil, map[string]string{"CHORUS_SECURITY_LOG_DAYS": "0"}, "CHORUS_SECURITY_LOG_DAYS"},
		{[]string{"--data", " "}, nil, "--data"},
		{[]string{"--blob-url", "file:///"}, nil, "--blob-url"},
		{[]string{"--base-url", "https://example.org/music"}, nil, "origin only"},
		{[]string{"--database-url", "mysql://u@h/db?password=secret"}, nil, "password=xxxxx"},
		{[]string{"--database-url", "host=db user=u password=secret"}, nil, "not shown"},
		{[]string{"--geoip", "/nonexistent/country.mmdb"}, nil, "--geoip (CHORUS_GEOIP): cannot use /nonexistent/country.mmdb: no such file"},
		{nil, map[string]string{"CHORUS_GEOIP": "/"}, "is not a file"},
	} {
		_, err := parse(t, tc.args, tc.env, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want one mentioning %q", tc.args, tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows a password: %v", err)
		}
	}
}

func TestGeoIPFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "country.mmdb")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := parse(t, nil, map[string]string{"CHORUS_GEOIP": path}, true)
	if err != nil || c.GeoIPFile != path {
		t.Fatalf("CHORUS_GEOIP: %q, %v", c.GeoIPFile, err)
	}
	if c, err = parse(t, nil, nil, true); err != nil || c.GeoIPFile != "" {
		t.Fatalf("default: %q, %v", c.GeoIPFile, err)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := parse(t, []string{"--trusted-proxies", " 127.0.0.1, 10.1.2.3/8 ,2001:db8::/32"}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	if want := "127.0.0.1/32 10.0.0.0/8 2001:db8::/32"; strings.Join(got, " ") != want {
		t.Errorf("trusted proxies %v, want %s", got, want)
	}
	if c, err = parse(t, nil, map[string]string{"CHORUS_TRUSTED_PROXIES": "::1"}, true); err != nil || len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "::1/128" {
		t.Errorf("CHORUS_TRUSTED_PROXIES=::1: %v, %v", c.TrustedProxies, err)
	}
	if c, err = parse(t, nil, nil, true); err != nil || len(c.TrustedProxies) != 0 {
		t.Errorf("default: %v, %v", c.TrustedProxies, err)
	}
	for _, wide := range []string{"0.0.0.0/0", "::/0", "128.0.0.0/1"} {
		if _, err := parse(t, []string{"--trusted-proxies", wide}, nil, true); err == nil || !strings.Contains(err.Error(), "too wide") {
			t.Errorf("%s: %v, want it refused as too wide", wide, err)
		}
	}
	_, err = parse(t, []string{"--trusted-proxies", "10.0.0.0/8,proxy.example.org"}, nil, true)
	if err == nil || !strings.Contains(err.Error(), "trusted-proxies") || !strings.Contains(err.Error(), "proxy.example.org") {
		t.Errorf("a host name: %v, want an error naming the flag and the value", err)
	}
}
