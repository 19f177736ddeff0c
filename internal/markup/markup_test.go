package markup

import (
	"strings"
	"testing"
)

func TestRenderKeepsTheSubset(t *testing.T) {
	got := string(Render("Some *emphasis*, **strong**, a [link](https://example.org/a).\n\n- one\n- two\n\n1. first\n\n> quoted", nil))
	for _, want := range []string{"<em>emphasis</em>", "<strong>strong</strong>", `<a href="https://example.org/a" rel="nofollow">link</a>`,
		"<ul>", "<li>one</li>", "<ol>", "<blockquote>"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %s", want, got)
		}
	}
}

func TestRenderRemovesWhatIsUnsafe(t *testing.T) {
	for _, tc := range []struct{ in, bad string }{
		{"<script>alert(1)</script>", "<script"},
		{"<script>alert(1)</script>", "alert(1)</script"},
		{"[x](javascript:alert(1))", "javascript:"},
		{"[x](JaVaScRiPt:alert(1))", "alert(1)\""},
		{"[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"},
		{`<img src=x onerror="alert(1)">`, "onerror"},
		{`<img src=x onerror="alert(1)">`, "<img"},
		{"![pic](https://example.org/x.png)", "<img"},
		{`<a href="https://example.org" onclick="x()">a</a>`, "onclick"},
		{"<div style=\"position:fixed\">x</div>", "style"},
		{"<iframe src=https://example.org></iframe>", "<iframe"},
		{"# Big heading", "<h1"},
		{`[x](https://example.org "t\" onmouseover=\"alert(1)")`, "onmouseover=\""},
	} {
		got := string(Render(tc.in, nil))
		if strings.Contains(strings.ToLower(got), strings.ToLower(tc.bad)) {
			t.Errorf("Render(%q) = %q: holds %q", tc.in, got, tc.bad)
		}
	}
}

func TestMentionsBecomeLinksToMembers(t *testing.T) {
	members := func(names []string) map[string]string {
		out := map[string]string{}
		for _, n := range names {
			if strings.EqualFold(n, "ana") {
				out[n] = "Ana"
			}
		}
		return out
	}
	got := string(Render("Thanks @ana and @nobody, write to mail@ana.example; `@ana` in code, [@ana](https://example.org)", members))
	if !strings.Contains(got, `<a class="mention" href="/members/Ana">@Ana</a>`) {
		t.Errorf("mention not linked: %s", got)
	}
	if strings.Count(got, `class="mention"`) != 1 {
		t.Errorf("want exactly one mention link (not in code, links, addresses, or of unknown names): %s", got)
	}
	if !strings.Contains(got, "@nobody") {
		t.Errorf("unknown name lost: %s", got)
	}
	if m := Mentions("hi @ana, @Ana and @bob_2!"); len(m) != 2 || m[0] != "ana" || m[1] != "bob_2" {
		t.Errorf("Mentions = %v", m)
	}
}
