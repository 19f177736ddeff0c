package chorus

import "time"

// Kinds of content a member can report. Comments and reviews can also be
// hidden or held for review; tracks, playlists and profiles are dealt
// with by warning or suspending their author.
const (
	ReportComment  = "comment"
	ReportReview   = "review"
	ReportTrack    = "track"
	ReportPlaylist = "playlist"
	ReportMember   = "member"
)

// ReportKinds lists the kinds of content that can be reported.
var ReportKinds = []string{ReportComment, ReportReview, ReportTrack, ReportPlaylist, ReportMember}

// ReportReason is one of the fixed reasons of a report, with its label.
type ReportReason struct{ Code, Label string }

// ReportReasons is the fixed list of reasons a report gives; "other"
// asks for details in free text.
var ReportReasons = []ReportReason{
	{"spam", "Spam or advertising"},
	{"harassment", "Harassment or bullying"},
	{"hate", "Hate speech"},
	{"copyright", "Infringes someone's copyright"},
	{"illegal", "Illegal content"},
	{"other", "Something else (please explain)"},
}

// ReasonLabel returns the label of a report reason code, or "" when there
// is no such reason.
func ReasonLabel(code string) string {
	for _, r := range ReportReasons {
		if r.Code == code {
			return r.Label
		}
	}
	return ""
}

// MaxReportDetails and MaxAppealLen bound the free text of a report and of
// an appeal, in characters (runes).
const (
	MaxReportDetails = 1000
	MaxAppealLen     = 2000
)

// Moderation states of a comment or a review that is not plainly
// published.
const (
	// StateHidden: hidden by a moderator; its author and moderators see it.
	StateHidden = "hidden"
	// StateHeld: held for review by the spam signals; its author and
	// moderators see it until a moderator approves or deletes it.
	StateHeld = "held"
)

// Moderated is the moderation state of a comment or a review.
type Moderated struct {
	Kind       string
	Key        string
	AuthorID   int64
	State      string
	Reason     string
	CreatedAt  time.Time
	Appeal     string
	AppealedAt time.Time
}

// Appealed reports whether the author appealed (they can, once).
func (m Moderated) Appealed() bool { return !m.AppealedAt.IsZero() }

// Report is one member's report of a piece of content.
type Report struct {
	ID         int64
	ReporterID int64
	Reporter   string
	Kind       string
	Key        string
	AuthorID   int64
	Reason     string
	Details    string
	CreatedAt  time.Time
}

// ModerationEntry is one line of the moderation log: Action is "hide",
// "restore", "delete", "warn", "suspend", "approve", "dismiss",
// "uphold" (an appeal refused) or "appeal-restore".
type ModerationEntry struct {
	ID          int64
	CreatedAt   time.Time
	ModeratorID int64
	Moderator   string
	Action      string
	Kind        string
	Key         string
	AuthorID    int64
	Reason      string
}

// Block is a member blocked by another.
type Block struct {
	MemberID  int64
	Username  string
	CreatedAt time.Time
}
