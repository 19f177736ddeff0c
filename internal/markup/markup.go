// Package markup renders what members write (comments, reviews) from a
// small subset of Markdown to HTML that is safe to show: paragraphs, line
// breaks, emphasis, links, lists, quotes and code. Markdown is parsed by
// goldmark (CommonMark 0.31) with raw HTML left out, and the result is
// sanitised by a bluemonday allow-list, so that neither a script, an event
// handler, nor a javascript: link can pass, whatever the input.
// @username mentions of existing members become links to their pages.
package markup

import (
	"bytes"
	"html"
	"html/template"
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	xhtml "golang.org/x/net/html"
)

// md parses CommonMark without raw HTML (goldmark's default: raw HTML is
// replaced with a comment, which the policy then drops).
var md = goldmark.New()

// policy allows the Markdown subset and nothing else: no images, headings,
// tables, styles, classes or event handlers; links only to http, https and
// mailto, marked nofollow and ugc (user-generated content).
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "del", "ul", "ol", "li", "blockquote", "code", "pre")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
}()

// mention matches "@name" at the start of text or after a character that
// is not part of a name or an address (so mail@example.org is no mention).
var mention = regexp.MustCompile(`(^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}_.-]{2,30}[\p{L}\p{N}_])`)

// Members tells which usernames are members and how they are spelt:
// it returns, for each name that is one, its username.
type Members func(names []string) map[string]string

// Mentions returns the names mentioned in text ("@ana" gives "ana"),
// each once, in order of appearance.
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mention.FindAllStringSubmatch(text, -1) {
		if k := strings.ToLower(m[2]); !seen[k] {
			seen[k] = true
			out = append(out, m[2])
		}
	}
	return out
}

// Render turns the Markdown text into sanitised HTML. Mentions of names
// that members reports as members link to /members/{username}; others stay
// text. members may be nil (no mention is linked).
func Render(text string, members Members) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(text), &buf); err != nil {
		// goldmark does not fail on text; show it escaped if it ever does.
		return template.HTML("<p>" + html.EscapeString(text) + "</p>")
	}
	safe := policy.SanitizeBytes(buf.Bytes())
	if members == nil {
		return template.HTML(safe)
	}
	names := Mentions(string(safe))
	if len(names) == 0 {
		return template.HTML(safe)
	}
	return template.HTML(linkMentions(safe, members(names)))
}

// linkMentions rewrites @name in the text of the sanitised HTML, outside
// links and code, into links to the members' pages. Its input comes from
// the policy, so it is well-formed and its attributes are known.
func linkMentions(safe []byte, known map[string]string) string {
	byKey := map[string]string{}
	for name, username := range known {
		byKey[strings.ToLower(name)] = username
	}
	var out strings.Builder
	z := xhtml.NewTokenizer(bytes.NewReader(safe))
	skip := 0 // depth inside <a>, <code>, <pre>
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := string(z.Raw())
		switch tt {
		case xhtml.StartTagToken:
			if name, _ := z.TagName(); isSkipped(string(name)) {
				skip++
			}
		case xhtml.EndTagToken:
			if name, _ := z.TagName(); isSkipped(string(name)) && skip > 0 {
				skip--
			}
		case xhtml.TextToken:
			if skip == 0 {
				raw = mention.ReplaceAllStringFunc(raw, func(m string) string {
					sub := mention.FindStringSubmatch(m)
					username, ok := byKey[strings.ToLower(sub[2])]
					if !ok {
						return m
					}
					return sub[1] + `<a class="mention" href="/members/` + html.EscapeString(url.PathEscape(username)) + `">@` + html.EscapeString(username) + `</a>`
				})
			}
		}
		out.WriteString(raw)
	}
	return out.String()
}

func isSkipped(tag string) bool { return tag == "a" || tag == "code" || tag == "pre" }

// staff allows what the site's staff write (the privacy policy,
// newsletters): bluemonday's policy for user content, which adds headings,
// tables and images to the members' subset; still nothing that runs.
var staff = bluemonday.UGCPolicy().RequireNoFollowOnLinks(false)

// Document turns Markdown written by the site's staff (CommonMark, raw HTML
// left out) into sanitised HTML for a page or a message.
func Document(text string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(text), &buf); err != nil {
		return template.HTML("<p>" + html.EscapeString(text) + "</p>")
	}
	return template.HTML(staff.SanitizeBytes(buf.Bytes()))
}
