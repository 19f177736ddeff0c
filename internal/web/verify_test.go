package web

import (
	"strings"
	"testing"
	"time"

	"chorus/internal/store"
)

func TestLinkLimit(t *testing.T) {
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    store.TokenHistory
		want string // a part of the message, "" for allowed
	}{
		{"never sent", store.TokenHistory{}, ""},
		{"30 s ago", store.TokenHistory{Count: 1, Latest: now.Add(-30 * time.Second)}, "ask again in 31 seconds"},
		{"59.5 s ago", store.TokenHistory{Count: 1, Latest: now.Add(-59500 * time.Millisecond)}, "ask again in 2 seconds"},
		{"a minute ago", store.TokenHistory{Count: 1, Latest: now.Add(-time.Minute)}, ""},
		{"fourth of the day", store.TokenHistory{Count: 4, Latest: now.Add(-time.Hour)}, ""},
		{"fifth of the day", store.TokenHistory{Count: 5, Latest: now.Add(-time.Hour)}, "5 links in the last 24 hours"},
		{"both limits", store.TokenHistory{Count: 7, Latest: now.Add(-time.Second)}, "less than a minute ago"},
	} {
		got := linkLimit(tc.h, now)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
