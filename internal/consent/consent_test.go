package consent

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSignalOf(t *testing.T) {
	for _, tc := range []struct {
		headers map[string]string
		want    Signal
		str     string
	}{
		{nil, Signal{}, ""},
		{map[string]string{"Sec-GPC": "1"}, Signal{GPC: true}, "gpc"},
		{map[string]string{"DNT": "1"}, Signal{DNT: true}, "dnt"},
		{map[string]string{"Sec-GPC": "1", "DNT": "1"}, Signal{GPC: true, DNT: true}, "gpc,dnt"},
		{map[string]string{"Sec-GPC": "0", "DNT": "0"}, Signal{}, ""},
		{map[string]string{"Sec-GPC": "yes", "DNT": "<script>"}, Signal{}, ""},
	} {
		h := http.Header{}
		for k, v := range tc.headers {
			h.Set(k, v)
		}
		got := SignalOf(h)
		if got != tc.want || got.String() != tc.str {
			t.Errorf("SignalOf(%v) = %+v %q, want %+v %q", tc.headers, got, got.String(), tc.want, tc.str)
		}
	}
}

func TestAllowed(t *testing.T) {
	all := &Record{Given: []Purpose{Analytics, Personalisation, Sharing}}
	onlyAnalytics := &Record{Given: []Purpose{Analytics}, Refused: []Purpose{Personalisation, Sharing}}
	none := &Record{Refused: Purposes}
	for _, tc := range []struct {
		name string
		sig  Signal
		rec  *Record
		p    Purpose
		want bool
	}{
		{"no choice yet", Signal{}, nil, Analytics, false},
		{"no choice yet, sharing", Signal{}, nil, Sharing, false},
		{"accepted", Signal{}, all, Analytics, true},
		{"accepted, sharing", Signal{}, all, Sharing, true},
		{"refused", Signal{}, none, Analytics, false},
		{"one purpose given", Signal{}, onlyAnalytics, Analytics, true},
		{"another purpose not given", Signal{}, onlyAnalytics, Personalisation, false},
		{"GPC beats consent to analytics", Signal{GPC: true}, all, Analytics, false},
		{"DNT beats consent to personalisation", Signal{DNT: true}, all, Personalisation, false},
		{"GPC says nothing about sharing", Signal{GPC: true}, all, Sharing, true},
	} {
		if got := Allowed(tc.sig, tc.rec, tc.p); got != tc.want {
			t.Errorf("%s: Allowed(%+v, %v) = %v, want %v", tc.name, tc.sig, tc.p, got, tc.want)
		}
	}
}

func TestNoticeAsksOnlyWhatTheSignalLeavesOpen(t *testing.T) {
	plain := NoticeFor(Signal{}, "2026-11-01")
	if diff := cmp.Diff(Purposes, plain.Ask); diff != "" || plain.SignalNote != "" || len(plain.Refused) != 0 {
		t.Errorf("without a signal: ask %v refused %v note %q", plain.Ask, plain.Refused, plain.SignalNote)
	}
	for _, sig := range []Signal{{GPC: true}, {DNT: true}} {
		n := NoticeFor(sig, "2026-11-01")
		if diff := cmp.Diff([]Purpose{Sharing}, n.Ask); diff != "" {
			t.Errorf("%v: asks (-want +got):\n%s", sig, diff)
		}
		if !strings.Contains(n.SignalNote, "honour") || !strings.Contains(n.Text(), n.SignalNote) {
			t.Errorf("%v: the note %q is not said or not recorded", sig, n.SignalNote)
		}
		if strings.Contains(n.Text(), Analytics.Description()) {
			t.Errorf("%v: the text asks about analytics", sig)
		}
		// Accepting everything gives only what was asked.
		yes, no := n.Decide(Purposes)
		if diff := cmp.Diff([]Purpose{Sharing}, yes); diff != "" {
			t.Errorf("%v: accept all gives (-want +got):\n%s", sig, diff)
		}
		if diff := cmp.Diff([]Purpose{Analytics, Personalisation}, no); diff != "" {
			t.Errorf("%v: accept all refuses (-want +got):\n%s", sig, diff)
		}
	}
	text := plain.Text()
	for _, want := range []string{"2026-11-01", Intro, AcceptLabel, RefuseLabel, ChooseLabel, Sharing.Description()} {
		if !strings.Contains(text, want) {
			t.Errorf("the recorded wording lacks %q", want)
		}
	}
}

func TestDecideSplitsEveryPurpose(t *testing.T) {
	n := NoticeFor(Signal{}, "2026-11-01")
	yes, no := n.Decide([]Purpose{Personalisation, "made-up"})
	if diff := cmp.Diff([]Purpose{Personalisation}, yes); diff != "" {
		t.Errorf("given (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Purpose{Analytics, Sharing}, no); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
}

func TestParse(t *testing.T) {
	for _, p := range Purposes {
		if got, ok := Parse(string(p)); !ok || got != p {
			t.Errorf("Parse(%q) = %q %v", p, got, ok)
		}
	}
	for _, s := range []string{"", "Analytics", "analytics ", "marketing", "analytics,sharing"} {
		if _, ok := Parse(s); ok {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}
