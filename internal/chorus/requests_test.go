package chorus

import (
	"testing"
	"time"
)

func TestRequestDeadline(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		received string
		extra    int
		want     string
	}{
		{"2026-03-10 09:00:00", 0, "2026-04-10 23:59:59"},
		{"2026-01-31 12:00:00", 0, "2026-02-28 23:59:59"}, // no 31 February: the month's last day
		{"2028-01-31 12:00:00", 0, "2028-02-29 23:59:59"}, // leap year
		{"2026-12-15 00:00:00", 0, "2027-01-15 23:59:59"}, // across the year
		{"2026-03-31 23:59:59", 0, "2026-04-30 23:59:59"},
		{"2026-01-31 08:00:00", 2, "2026-04-30 23:59:59"}, // extended by two months (Art. 12(3))
		{"2026-05-15 08:00:00", 1, "2026-07-15 23:59:59"},
		{"2026-05-15 08:00:00", 5, "2026-08-15 23:59:59"}, // at most two more months
		{"2026-05-15 08:00:00", -1, "2026-06-15 23:59:59"},
	} {
		got := RequestDeadline(day(c.received), c.extra)
		if !got.Equal(day(c.want)) {
			t.Errorf("RequestDeadline(%s, %d) = %s, want %s", c.received, c.extra, got.Format(time.DateTime), c.want)
		}
	}
}

func TestUrgency(t *testing.T) {
	due := time.Date(2026, 4, 10, 23, 59, 59, 0, time.UTC)
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{due.Add(-30 * 24 * time.Hour), ""},
		{due.Add(-DueSoon - time.Second), ""},
		{due.Add(-DueSoon), "due soon"},
		{due, "due soon"},
		{due.Add(time.Second), "overdue"},
	} {
		if got := Urgency(due, c.now); got != c.want {
			t.Errorf("Urgency at %s = %q, want %q", c.now, got, c.want)
		}
	}
	if got := Urgency(time.Time{}, due); got != "" {
		t.Errorf("no deadline: %q", got)
	}
}
