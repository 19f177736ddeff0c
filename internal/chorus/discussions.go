package chorus

import (
	"fmt"
	"strings"
	"time"
)

// Limits of discussions, in characters (runes).
const (
	MinThreadTitleLen = 3
	MaxThreadTitleLen = 150
	MaxPostLen        = 20000
	MaxCategoryName   = 80
	MaxCategoryAbout  = 500
	// PostsPerPage is how many posts a page of a thread shows; threads
	// and search results are listed by the same count.
	PostsPerPage = 20
)

// Category is a discussion category, managed by admins. Slug names it in
// URLs (/discussions/{slug}); an archived category stays readable but
// takes no new threads.
type Category struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Position    int
	Archived    bool
	// Threads counts the category's threads; LastActivity is the time
	// of its latest post (zero without threads).
	Threads      int
	LastActivity time.Time
}

// Thread is a discussion thread. AuthorID is 0 (and Author empty) once
// the author's account is erased.
type Thread struct {
	ID         int64
	CategoryID int64
	Category   string // the category's slug
	AuthorID   int64
	Author     string
	Title      string
	CreatedAt  time.Time
	LastPostAt time.Time
	Pinned     bool
	Locked     bool
	// Posts counts the thread's posts. For a member, Unread counts the
	// posts after the last they read, and FirstUnread is the first of
	// them (0 when all are read); Seen says they opened the thread.
	Posts       int
	Unread      int
	FirstUnread int64
	Seen        bool
}

// Post is a post of a thread. A deleted post has an empty Body and
// DeletedBy says who deleted it: "author" or "moderator".
type Post struct {
	ID        int64
	ThreadID  int64
	AuthorID  int64
	Author    string
	Body      string
	CreatedAt time.Time
	EditedAt  time.Time
	Deleted   bool
	DeletedBy string
}

// Moderation actions recorded in a thread's ThreadEvent.
const (
	ActionPin        = "pin"
	ActionUnpin      = "unpin"
	ActionLock       = "lock"
	ActionUnlock     = "unlock"
	ActionDeletePost = "delete-post"
)

// ThreadEvent is a moderator's action on a thread, shown in it.
type ThreadEvent struct {
	Action    string
	PostID    int64
	CreatedAt time.Time
}

// Describe says what the event did, for a reader of the thread.
func (e ThreadEvent) Describe() string {
	switch e.Action {
	case ActionPin:
		return "Pinned by a moderator"
	case ActionUnpin:
		return "Unpinned by a moderator"
	case ActionLock:
		return "Locked by a moderator"
	case ActionUnlock:
		return "Unlocked by a moderator"
	case ActionDeletePost:
		return "A post was deleted by a moderator"
	}
	return e.Action
}

// ThreadTitle cleans and checks the title of a thread: MinThreadTitleLen
// to MaxThreadTitleLen characters.
//
// Errors: *InvalidError on the field "title".
func ThreadTitle(raw string) (string, error) {
	if n := len([]rune(strings.TrimSpace(raw))); n > MaxThreadTitleLen {
		return "", &InvalidError{Message: "Nothing was saved.", Fields: map[string]string{"title": fmt.Sprintf("The title is %d characters long; the limit is %d. Please shorten it.", n, MaxThreadTitleLen)}}
	}
	title := CleanText(raw, MaxThreadTitleLen, false)
	if len([]rune(title)) < MinThreadTitleLen {
		return "", &InvalidError{Message: "Nothing was saved.", Fields: map[string]string{"title": fmt.Sprintf("Please give the thread a title of at least %d characters.", MinThreadTitleLen)}}
	}
	return title, nil
}

// PostBody cleans and checks the text of a post: 1 to MaxPostLen
// characters, not only blanks.
//
// Errors: *InvalidError on the field "body".
func PostBody(raw string) (string, error) {
	if n := len([]rune(raw)); n > MaxPostLen {
		return "", &InvalidError{Message: "Nothing was saved.", Fields: map[string]string{"body": fmt.Sprintf("Your post is %d characters long; the limit is %d. Please shorten it.", n, MaxPostLen)}}
	}
	body := CleanText(raw, MaxPostLen, true)
	if strings.TrimSpace(body) == "" {
		return "", &InvalidError{Message: "Nothing was saved.", Fields: map[string]string{"body": "Please write your post."}}
	}
	return body, nil
}
