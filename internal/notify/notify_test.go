package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/notify"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func TestPacerKeepsTheRate(t *testing.T) {
	for _, tc := range []struct {
		rate int
		want int // messages allowed over 60 one-second ticks
	}{{60, 61}, {30, 31}, {600, 601}, {1, 2}} {
		p := &notify.Pacer{Rate: tc.rate}
		start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		total := 0
		for i := 0; i <= 60; i++ {
			n := p.Allow(start.Add(time.Duration(i) * time.Second))
			p.Spend(n)
			total += n
		}
		if total != tc.want {
			t.Errorf("rate %d: %d messages in a minute, want %d", tc.rate, total, tc.want)
		}
	}
	// A pause does not end in a burst.
	p := &notify.Pacer{Rate: 60}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p.Spend(p.Allow(t0))
	if n := p.Allow(t0.Add(time.Hour)); n != 1 {
		t.Errorf("after an hour idle at 60 a minute: %d at once, want 1", n)
	}
}

func TestRenderMarkdownSanitises(t *testing.T) {
	got, err := notify.RenderMarkdown("# Hi\n\n**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n[ok](https://example.org) [bad](javascript:alert(1))")
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, want := range []string{"<h1", "<strong>bold</strong>", `href="https://example.org"`} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q: %s", want, s)
		}
	}
	for _, bad := range []string{"<script", "onerror", "javascript:", "<img"} {
		if strings.Contains(s, bad) {
			t.Errorf("contains %q: %s", bad, s)
		}
	}
}

func TestCheckNewsletter(t *testing.T) {
	for _, tc := range []struct {
		subject, body, field string
	}{
		{"", "text", "subject"},
		{"Hi", "  ", "body"},
		{strings.Repeat("a", notify.MaxSubject+1), "text", "subject"},
		{"Hi", strings.Repeat("a", notify.MaxBody+1), "body"},
		{"Hi\x00", "text", "subject"},
		{"Hi", "bad \xff", "body"},
	} {
		_, _, err := notify.CheckNewsletter(tc.subject, tc.body)
		var inv *chorus.InvalidError
		if !errors.As(err, &inv) || inv.Fields[tc.field] == "" {
			t.Errorf("%.20q / %.20q: %v, want a message on %s", tc.subject, tc.body, err, tc.field)
		}
	}
	if s, b, err := notify.CheckNewsletter("  Spring \n news ", "Body\r\nline\n"); err != nil || s != "Spring news" || b != "Body\nline" {
		t.Errorf("got %q %q %v", s, b, err)
	}
}

func TestPreferencesDefaultsAndValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var id int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			m, err := tx.CreateMember(ctx, store.NewMember{Email: "pia@example.org", Username: "pia", PasswordHash: "x"})
			id = m.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		n := &notify.Service{DB: db}
		p, err := n.Preferences(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := map[notify.Category]notify.Delivery{notify.Reply: notify.Immediate, notify.Mention: notify.Immediate,
			notify.NewFollower: notify.Digest, notify.Comment: notify.Digest, notify.NewRelease: notify.Digest,
			notify.Moderation: notify.Digest, notify.Newsletter: notify.Off}
		for c, d := range want {
			if p[c] != d {
				t.Errorf("default of %s: %s, want %s", c, p[c], d)
			}
		}
		for _, bad := range []map[notify.Category]notify.Delivery{
			{notify.Newsletter: notify.Digest}, {"spam": notify.Off}, {notify.Reply: "weekly"},
		} {
			err := db.Tx(ctx, func(tx *store.Tx) error { return notify.SetPreferences(ctx, tx, id, bad) })
			var inv *chorus.InvalidError
			if !errors.As(err, &inv) {
				t.Errorf("%v: %v, want an InvalidError", bad, err)
			}
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return notify.SetPreferences(ctx, tx, id, map[notify.Category]notify.Delivery{notify.Reply: notify.Digest, notify.Newsletter: notify.Immediate})
		}); err != nil {
			t.Fatal(err)
		}
		if p, _ := n.Preferences(ctx, id); p[notify.Reply] != notify.Digest || p[notify.Newsletter] != notify.Immediate || p[notify.Mention] != notify.Immediate {
			t.Errorf("after saving: %v", p)
		}
		// An event of an unknown category is a mistake in the calling code.
		err = db.Tx(ctx, func(tx *store.Tx) error { return n.Email(ctx, tx, id, "spam", notify.Event{Subject: "x"}) })
		if err == nil {
			t.Error("an unknown category was accepted")
		}
	})
}
