package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/notify"
	"chorus/internal/store"
)

// Spam signals: a post with more links than maxLinks, or with the same
// text as repeatLimit-1 comments of its author within repeatWindow, is
// held for review; so is a post with any link from an account younger
// than Deps.SpamNewAccountAge.
const (
	maxLinks     = 5
	repeatLimit  = 3
	repeatWindow = time.Hour
)

var linkPattern = regexp.MustCompile(`(?i)\b(?:https?://|www\.)`)

// spamSignal returns why a post by m with text body is held for review,
// or "" to publish it. repeat checks the repeated-text signal (comments).
func (s *Server) spamSignal(ctx context.Context, tx *store.Tx, m *chorus.Member, body string, repeat bool) (string, error) {
	links := len(linkPattern.FindAllString(body, -1))
	switch {
	case links > maxLinks:
		return fmt.Sprintf("It has %d links; posts with more than %d are checked by a moderator first.", links, maxLinks), nil
	case links > 0 && s.SpamNewAccountAge > 0 && tx.Now.Sub(m.CreatedAt) < s.SpamNewAccountAge:
		return "It has a link, and your account is new: links from new accounts are checked by a moderator first.", nil
	}
	if repeat {
		n, err := tx.SameComments(ctx, m.ID, body, tx.Now.Add(-repeatWindow))
		if err != nil {
			return "", err
		}
		if n >= repeatLimit-1 {
			return fmt.Sprintf("You posted the same text %d times within an hour.", n+1), nil
		}
	}
	return "", nil
}

// hold marks a new comment or review held for review, when signal says
// why.
func hold(ctx context.Context, tx *store.Tx, kind string, id, authorID int64, signal string) error {
	if signal == "" {
		return nil
	}
	return tx.SetModerated(ctx, chorus.Moderated{Kind: kind, Key: strconv.FormatInt(id, 10), AuthorID: authorID, State: chorus.StateHeld, Reason: signal})
}

// reportedItem is a piece of content as reports and moderators see it.
type reportedItem struct {
	Kind, Key  string
	AuthorID   int64
	Author     string
	AuthorRole chorus.Role
	// Page is where the content is, in context; Title names it; Text is
	// what it says (a comment's or review's Markdown, a track's title).
	Page, Title, Text string
	// Hideable: comments and reviews can be hidden, restored and deleted.
	Hideable bool
}

// item loads the content of kind called key. Content its viewer could
// not see (a private playlist, a track not published) is ErrNotFound.
func (s *Server) item(ctx context.Context, kind, key string, viewerID int64) (reportedItem, error) {
	it := reportedItem{Kind: kind, Key: key}
	id, _ := strconv.ParseInt(key, 10, 64)
	if kind != chorus.ReportPlaylist && id <= 0 {
		return it, chorus.ErrNotFound
	}
	switch kind {
	case chorus.ReportComment:
		c, err := s.DB.Comment(ctx, id)
		if err != nil {
			return it, err
		}
		if c.Deleted || c.AuthorID == 0 {
			return it, chorus.ErrNotFound
		}
		page, err := s.targetPage(ctx, c.Target)
		if err != nil {
			return it, err
		}
		it.AuthorID, it.Page, it.Title, it.Text, it.Hideable = c.AuthorID, page+"#comment-"+key, "Comment", c.Body, true
	case chorus.ReportReview:
		rv, err := s.DB.Review(ctx, id)
		if err != nil {
			return it, err
		}
		page, err := s.targetPage(ctx, rv.Target)
		if err != nil {
			return it, err
		}
		it.AuthorID, it.Page, it.Title, it.Text, it.Hideable = rv.MemberID, page+"#review-"+key, fmt.Sprintf("Review (%d/5)", rv.Score), rv.Body, true
	case chorus.ReportTrack:
		if err := s.DB.TargetExists(ctx, chorus.Target{Kind: chorus.OnTrack, ID: id}); err != nil {
			return it, err
		}
		t, err := s.DB.Track(ctx, id)
		if err != nil {
			return it, err
		}
		a, err := s.DB.Artist(ctx, t.ArtistID)
		if err != nil {
			return it, err
		}
		it.AuthorID, it.Page, it.Title, it.Text = a.MemberID, "/tracks/"+key, "Track by "+t.ArtistName, t.Title
	case chorus.ReportPlaylist:
		p, err := s.DB.Playlist(ctx, key)
		if err != nil {
			return it, err
		}
		if !p.VisibleTo(viewerID) {
			return it, chorus.ErrNotFound
		}
		it.AuthorID, it.Page, it.Title, it.Text = p.MemberID, "/playlists/"+url.PathEscape(key), "Playlist", p.Name
	case chorus.ReportMember:
		m, err := s.DB.Member(ctx, id)
		if err != nil {
			return it, err
		}
		it.AuthorID, it.Page, it.Title, it.Text = m.ID, "/members/"+url.PathEscape(m.Username), "Member profile", m.Username
	default:
		return it, chorus.ErrNotFound
	}
	if it.AuthorID == 0 {
		return it, chorus.ErrNotFound
	}
	author, err := s.DB.Member(ctx, it.AuthorID)
	if err != nil {
		return it, err
	}
	it.Author, it.AuthorRole = author.Username, author.Role
	return it, nil
}

// reportForm shows the form to report a piece of content.
func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderReport(w, r, http.StatusOK, r.URL.Query().Get("kind"), r.URL.Query().Get("key"), nil)
}

func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, status int, kind, key string, inv *chorus.InvalidError) error {
	m := s.member(r)
	it, err := s.item(r.Context(), kind, key, m.ID)
	if err != nil {
		return err
	}
	if it.AuthorID == m.ID {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "You cannot report your own content.", Err: errors.New("own content")}
	}
	return s.render(w, r, status, "report.html", "Report", map[string]any{"Item": it, "Reasons": chorus.ReportReasons,
		"Invalid": inv, "Form": r.PostForm, "MaxLen": chorus.MaxReportDetails})
}

// report stores the logged-in member's report: reporting the same thing
// twice counts once, and nobody reports their own content.
func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	kind, key := r.PostFormValue("kind"), r.PostFormValue("key")
	it, err := s.item(r.Context(), kind, key, m.ID)
	if err != nil {
		return err
	}
	if it.AuthorID == m.ID {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "You cannot report your own content.", Err: errors.New("own content")}
	}
	inv := &chorus.InvalidError{Message: "The report was not sent."}
	reason := r.PostFormValue("reason")
	if chorus.ReasonLabel(reason) == "" {
		inv.Add("reason", "Please choose a reason.")
	}
	raw := r.PostFormValue("details")
	if n := len([]rune(raw)); n > chorus.MaxReportDetails {
		inv.Add("details", fmt.Sprintf("The details are %d characters long; the limit is %d.", n, chorus.MaxReportDetails))
	}
	details := chorus.CleanText(raw, chorus.MaxReportDetails, true)
	if reason == "other" && strings.TrimSpace(details) == "" {
		inv.Add("details", "Please say what is wrong.")
	}
	if len(inv.Fields) > 0 {
		return s.renderReport(w, r, http.StatusUnprocessableEntity, kind, key, inv)
	}
	if err := s.limiter.Attempt(r.Context(), postingKey(m.ID)); err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		_, err := tx.AddReport(r.Context(), chorus.Report{ReporterID: m.ID, Kind: kind, Key: key, AuthorID: it.AuthorID, Reason: reason, Details: details})
		return err
	})
	if err != nil {
		return err
	}
	s.flash(r, "Thank you: moderators will look at your report.")
	http.Redirect(w, r, it.Page, http.StatusSeeOther)
	return nil
}

// queueItem is one entry of the moderation queue: a piece of content with
// its open reports, or held for review, or hidden and appealed.
type queueItem struct {
	reportedItem
	Gone    bool // the content no longer exists
	HTML    template.HTML
	Reports []chorus.Report
	Mod     *chorus.Moderated
	// Status is "reported", "held" or "appeal".
	Status string
}

// Queue filters.
var queueStatuses = []string{"reported", "held", "appeal"}

// moderationQueue lists what waits for moderators, filtered by kind and
// status.
func (s *Server) moderationQueue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	kind, status := r.URL.Query().Get("kind"), r.URL.Query().Get("status")
	if kind != "" && !slices.Contains(chorus.ReportKinds, kind) {
		kind = ""
	}
	if status != "" && !slices.Contains(queueStatuses, status) {
		status = ""
	}
	reports, err := s.DB.OpenReports(ctx)
	if err != nil {
		return err
	}
	pending, err := s.DB.ModerationPending(ctx)
	if err != nil {
		return err
	}
	var items []*queueItem
	byKey := map[string]*queueItem{}
	get := func(kind, key string) *queueItem {
		if q, ok := byKey[kind+"/"+key]; ok {
			return q
		}
		q := &queueItem{reportedItem: reportedItem{Kind: kind, Key: key}}
		byKey[kind+"/"+key] = q
		items = append(items, q)
		return q
	}
	for _, p := range pending {
		q := get(p.Kind, p.Key)
		q.Mod = &p
		q.Status = "held"
		if p.State == chorus.StateHidden {
			q.Status = "appeal"
		}
	}
	for _, rep := range reports {
		q := get(rep.Kind, rep.Key)
		q.Reports = append(q.Reports, rep)
		if q.Status == "" {
			q.Status = "reported"
		}
	}
	var shown []*queueItem
	for _, q := range items {
		if (kind != "" && q.Kind != kind) || (status != "" && q.Status != status) {
			continue
		}
		it, err := s.item(ctx, q.Kind, q.Key, s.member(r).ID)
		switch {
		case errors.Is(err, chorus.ErrNotFound):
			q.Gone = true
		case err != nil:
			return err
		default:
			q.reportedItem = it
			if it.Hideable {
				q.HTML = s.renderText(ctx, it.Text, it.AuthorID)
			}
			if q.Mod == nil && it.Hideable {
				if m, err := s.DB.Moderated(ctx, q.Kind, q.Key); err == nil {
					q.Mod = &m
				}
			}
		}
		shown = append(shown, q)
	}
	return s.render(w, r, http.StatusOK, "moderation.html", "Moderation", map[string]any{"Items": shown, "Kind": kind, "Status": status,
		"Kinds": chorus.ReportKinds, "Statuses": queueStatuses, "Reasons": chorus.ReportReasons})
}

// moderationLog shows the latest entries of the moderation log.
func (s *Server) moderationLog(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.DB.ModerationLog(r.Context(), 500)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "moderation_log.html", "Moderation log", map[string]any{"Entries": entries})
}

// Moderator actions. Restore and uphold decide an appeal when there is one.
var moderatorActions = []string{"hide", "restore", "delete", "warn", "suspend", "approve", "dismiss", "uphold"}

// moderate applies a moderator's action to a piece of content, logs it,
// closes its reports and tells its author.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	actor := s.member(r)
	kind, key, action := r.PostFormValue("kind"), r.PostFormValue("key"), r.PostFormValue("action")
	if !slices.Contains(moderatorActions, action) {
		return chorus.Invalid("Please choose one of the actions offered.")
	}
	raw := r.PostFormValue("reason")
	if n := len([]rune(raw)); n > 500 {
		return chorus.Invalid(fmt.Sprintf("The reason is %d characters long; keep it to 500: the author reads it.", n))
	}
	reason := chorus.CleanText(raw, 500, false)
	if reason == "" && action != "dismiss" && action != "approve" && action != "restore" {
		return chorus.Invalid("Please give a reason: the author is told it.")
	}
	it, err := s.item(ctx, kind, key, actor.ID)
	if errors.Is(err, chorus.ErrNotFound) && action == "dismiss" {
		it = reportedItem{Kind: kind, Key: key}
	} else if err != nil {
		return err
	}
	if it.AuthorID == actor.ID {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "Another moderator decides about your own content.", Err: errors.New("own content")}
	}
	if it.AuthorID != 0 && it.AuthorRole.Can(chorus.RoleModerator) && !actor.Role.Can(chorus.RoleAdmin) {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "Only an admin acts on the content of moderators and admins.", Err: errors.New("staff content")}
	}
	mod, err := s.DB.Moderated(ctx, kind, key)
	hasMod := err == nil
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		return err
	}
	appealed := hasMod && mod.State == chorus.StateHidden && mod.Appealed()
	if appealed {
		hider, err := s.DB.HiddenBy(ctx, kind, key)
		if err != nil {
			return err
		}
		if hider == actor.ID {
			return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "Another moderator or an admin decides the appeal against your decision.", Err: errors.New("own decision")}
		}
	}
	switch action {
	case "hide", "restore", "delete":
		if !it.Hideable {
			return chorus.Invalid("Only comments and reviews can be hidden, restored or deleted here; warn or suspend the author instead.")
		}
	case "approve":
		if !hasMod || mod.State != chorus.StateHeld {
			return chorus.Invalid("Only content held for review can be approved.")
		}
	case "uphold":
		if !appealed {
			return chorus.Invalid("There is no appeal to decide.")
		}
	}
	if action == "restore" && !hasMod {
		return chorus.Invalid("This is not hidden.")
	}
	if action == "restore" && appealed {
		action = "appeal-restore"
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		switch action {
		case "hide":
			if err := tx.SetModerated(ctx, chorus.Moderated{Kind: kind, Key: key, AuthorID: it.AuthorID, State: chorus.StateHidden, Reason: reason}); err != nil {
				return err
			}
		case "restore", "appeal-restore", "approve":
			if err := tx.ClearModerated(ctx, kind, key); err != nil {
				return err
			}
		case "uphold":
			if err := tx.UpholdHiding(ctx, kind, key); err != nil {
				return err
			}
		case "delete":
			id, _ := strconv.ParseInt(key, 10, 64)
			var err error
			if kind == chorus.ReportComment {
				err = tx.DeleteComment(ctx, id, it.AuthorID)
			} else {
				err = tx.DeleteReview(ctx, id, it.AuthorID)
			}
			if err != nil {
				return err
			}
			if err := tx.ClearModerated(ctx, kind, key); err != nil {
				return err
			}
		}
		if err := tx.CloseReports(ctx, kind, key); err != nil {
			return err
		}
		if err := tx.LogModeration(ctx, chorus.ModerationEntry{ModeratorID: actor.ID, Action: action, Kind: kind, Key: key, AuthorID: it.AuthorID, Reason: reason}); err != nil {
			return err
		}
		if action != "dismiss" && it.AuthorID != 0 {
			// Told before a suspension: a suspended member gets no mail.
			if err := s.tellAuthor(ctx, tx, it, action, reason); err != nil {
				return err
			}
		}
		if action == "suspend" {
			return tx.Suspend(ctx, it.AuthorID, reason)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.flash(r, "Done: "+action+".")
	http.Redirect(w, r, "/moderation", http.StatusSeeOther)
	return nil
}

// tellAuthor is the one place where a moderation decision reaches the
// author of the content: by email now (category Moderation, as the
// author chose: at once, in a digest, or not at all), in tx.
func (s *Server) tellAuthor(ctx context.Context, tx *store.Tx, it reportedItem, action, reason string) error {
	what := strings.ToLower(it.Title)
	var subject, text string
	link := s.BaseURL + it.Page
	switch action {
	case "hide":
		subject = "Moderators hid your " + what
		text = "Moderators hid your " + what + " from everyone but you. You can appeal once, from the link below."
		link = s.BaseURL + "/appeal?kind=" + url.QueryEscape(it.Kind) + "&key=" + url.QueryEscape(it.Key)
	case "restore", "appeal-restore":
		subject = "Your " + what + " is shown again"
		text = "Moderators restored your " + what + "."
	case "approve":
		subject = "Your " + what + " is published"
		text = "A moderator checked your " + what + " and published it."
	case "uphold":
		subject = "Your appeal was refused"
		text = "Another moderator looked at your appeal and kept your " + what + " hidden."
	case "delete":
		subject = "Moderators deleted your " + what
		text = "Moderators deleted your " + what + "."
		link = ""
	case "warn":
		subject = "A warning from the moderators"
		text = "Moderators warn you about your " + what + "."
	case "suspend":
		subject = "Your account is suspended"
		text = "Moderators suspended your account because of your " + what + "."
		link = ""
	default:
		return fmt.Errorf("tell author: unknown action %q", action)
	}
	if reason != "" {
		text += "\n\nReason: " + reason
	}
	// In the site's notifications too, with the mail below.
	path := strings.TrimPrefix(link, s.BaseURL)
	if path == "" {
		path = "/notifications"
	}
	if _, err := tx.AddNotification(ctx, store.Notification{MemberID: it.AuthorID, Category: string(notify.Moderation),
		Key: fmt.Sprintf("moderation:%s:%s:%s:%d", action, it.Kind, it.Key, tx.Now.UnixNano()), Text: subject, Link: path}); err != nil {
		return err
	}
	return s.Notify.Email(ctx, tx, it.AuthorID, notify.Moderation, notify.Event{Subject: subject, Text: text, Link: link})
}

// appealPage shows the author of hidden content why it was hidden and,
// until they have, the form to appeal once. Others get 404.
func (s *Server) appealPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAppeal(w, r, http.StatusOK, r.URL.Query().Get("kind"), r.URL.Query().Get("key"), nil)
}

func (s *Server) renderAppeal(w http.ResponseWriter, r *http.Request, status int, kind, key string, inv *chorus.InvalidError) error {
	m := s.member(r)
	mod, err := s.DB.Moderated(r.Context(), kind, key)
	if err != nil {
		return err
	}
	own := mod.AuthorID == m.ID
	if !own && !m.Role.Can(chorus.RoleModerator) {
		return fmt.Errorf("appeal on %s %s by member %d: %w", kind, key, m.ID, chorus.ErrNotFound)
	}
	it, err := s.item(r.Context(), kind, key, m.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, status, "appeal.html", "Appeal", map[string]any{"Mod": mod, "Item": it, "HTML": s.renderText(r.Context(), it.Text, m.ID),
		"Invalid": inv, "MaxLen": chorus.MaxAppealLen, "Own": own})
}

// appeal records the author's one appeal, which goes back to the queue.
func (s *Server) appeal(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	kind, key := r.PostFormValue("kind"), r.PostFormValue("key")
	raw := r.PostFormValue("appeal")
	inv := &chorus.InvalidError{Message: "The appeal was not sent."}
	if n := len([]rune(raw)); n > chorus.MaxAppealLen {
		inv.Add("appeal", fmt.Sprintf("Your appeal is %d characters long; the limit is %d.", n, chorus.MaxAppealLen))
	}
	text := chorus.CleanText(raw, chorus.MaxAppealLen, true)
	if strings.TrimSpace(text) == "" {
		inv.Add("appeal", "Please say why the decision should change.")
	}
	if len(inv.Fields) > 0 {
		return s.renderAppeal(w, r, http.StatusUnprocessableEntity, kind, key, inv)
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.Appeal(r.Context(), kind, key, m.ID, text) })
	switch {
	case errors.Is(err, chorus.ErrForbidden):
		return fmt.Errorf("%w: %w", chorus.ErrNotFound, err)
	case errors.Is(err, chorus.ErrConflict):
		return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "You can appeal once, and you already did (or there is nothing left to appeal).", Err: err}
	case err != nil:
		return err
	}
	s.flash(r, "Your appeal was sent: another moderator will decide.")
	http.Redirect(w, r, "/appeal?kind="+url.QueryEscape(kind)+"&key="+url.QueryEscape(key), http.StatusSeeOther)
	return nil
}

// ---- Blocks ----

// setBlock blocks the member named by the form's "id", or unblocks them
// (on=0).
func (s *Server) setBlock(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return chorus.ErrNotFound
	}
	other, err := s.DB.Member(r.Context(), id)
	if err != nil {
		return err
	}
	on := r.PostFormValue("on") != "0"
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if on {
			return tx.Block(r.Context(), m.ID, id)
		}
		return tx.Unblock(r.Context(), m.ID, id)
	})
	if err != nil {
		return err
	}
	// The flash names nobody: it waits in the session, which must not
	// keep another member's name.
	if on {
		s.flash(r, "You blocked this member.")
	} else {
		s.flash(r, "You unblocked this member.")
	}
	back := "/members/" + url.PathEscape(other.Username)
	if r.PostFormValue("return") == "settings" {
		back = "/settings/blocked"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// blockedPage lists the members the member blocked, to unblock them.
func (s *Server) blockedPage(w http.ResponseWriter, r *http.Request) error {
	blocks, err := s.DB.Blocks(r.Context(), s.member(r).ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "settings_blocked.html", "Blocked members", map[string]any{"Blocks": blocks})
}

// blockedIDs returns the ids of the members viewer blocked (none for a
// visitor).
func (s *Server) blockedIDs(ctx context.Context, viewer *chorus.Member) (map[int64]bool, error) {
	out := map[int64]bool{}
	if viewer == nil {
		return out, nil
	}
	blocks, err := s.DB.Blocks(ctx, viewer.ID)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		out[b.MemberID] = true
	}
	return out, nil
}

// refuseIfBlocked refuses what actor does to target when target blocked
// actor, saying what.
func (s *Server) refuseIfBlocked(ctx context.Context, target, actor int64, what string) error {
	blocked, err := s.DB.Blocking(ctx, target, actor)
	if err != nil {
		return err
	}
	if blocked {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "This member does not accept " + what + " from you.", Err: fmt.Errorf("member %d blocked %d", target, actor)}
	}
	return nil
}

// unblockedMentions drops from names those members who blocked authorID:
// a blocked member's mention of them is neither linked nor announced.
func (s *Server) unblockedMentions(ctx context.Context, authorID int64, names []string) ([]string, error) {
	blockers, err := s.DB.BlockerNames(ctx, authorID)
	if err != nil || len(blockers) == 0 {
		return names, err
	}
	known, err := s.DB.Usernames(ctx, names)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if !blockers[known[n]] {
			out = append(out, n)
		}
	}
	return out, nil
}
