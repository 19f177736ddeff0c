package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"chorus/internal/chorus"
	"chorus/internal/markup"
	"chorus/internal/store"
)

// postView is a discussion post as a thread page shows it.
type postView struct {
	chorus.Post
	HTML template.HTML
	// Own: the viewer wrote it; Unread: the viewer had not seen it.
	Own    bool
	Unread bool
}

// pageOf reads the "page" query parameter: 1 when absent or not a
// positive number.
func pageOf(r *http.Request) int {
	p, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || p < 1 {
		return 1
	}
	return p
}

// viewerID is the id of the member viewing r, or 0 for a visitor.
func (s *Server) viewerID(r *http.Request) int64 {
	if m := s.member(r); m != nil {
		return m.ID
	}
	return 0
}

// pathID reads the path value name as a positive id.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, chorus.ErrNotFound
	}
	return id, nil
}

func threadPath(id int64) string { return "/discussions/t/" + strconv.FormatInt(id, 10) }

// postLink is the page of a thread that shows post id, with its anchor.
func (s *Server) postLink(ctx context.Context, threadID, postID int64) (string, error) {
	page, err := s.DB.PostPage(ctx, threadID, postID)
	if err != nil {
		return "", err
	}
	link := threadPath(threadID)
	if page > 1 {
		link += "?page=" + strconv.Itoa(page)
	}
	return link + "#post-" + strconv.FormatInt(postID, 10), nil
}

// discussions lists the open categories with their thread counts and
// latest activity.
func (s *Server) discussions(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.DB.Categories(r.Context(), false)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "discussions.html", "Discussions", map[string]any{"Categories": cats})
}

// discussionCategory lists a category's threads, pinned first, then by
// latest activity, with what is new to the viewer, and the form of a new
// thread.
func (s *Server) discussionCategory(w http.ResponseWriter, r *http.Request) error {
	return s.renderCategory(w, r, http.StatusOK, nil, url.Values{})
}

func (s *Server) renderCategory(w http.ResponseWriter, r *http.Request, status int, problem error, form url.Values) error {
	cat, err := s.DB.CategoryBySlug(r.Context(), r.PathValue("category"))
	if err != nil {
		return err
	}
	page := pageOf(r)
	threads, pages, err := s.DB.Threads(r.Context(), cat.ID, s.viewerID(r), page)
	if err != nil {
		return err
	}
	if page > pages {
		return chorus.ErrNotFound
	}
	data := map[string]any{"Category": cat, "Threads": threads, "Page": page, "Pages": pages,
		"Prefix": "/discussions/" + url.PathEscape(cat.Slug) + "?", "Form": form,
		"MaxTitle": chorus.MaxThreadTitleLen, "MaxPost": chorus.MaxPostLen}
	var inv *chorus.InvalidError
	if errors.As(problem, &inv) {
		data["Errors"] = inv.Fields
		data["Problem"] = inv.Summary()
	}
	return s.render(w, r, status, "discussion_category.html", cat.Name, data)
}

// createThread opens a thread with its first post. Bad input shows the
// form again, filled in, with the problems (422), and saves nothing.
func (s *Server) createThread(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	cat, err := s.DB.CategoryBySlug(r.Context(), r.PathValue("category"))
	if err != nil {
		return err
	}
	form := url.Values{"title": {r.PostFormValue("title")}, "body": {r.PostFormValue("body")}}
	inv := &chorus.InvalidError{Message: "Nothing was saved."}
	title, err := chorus.ThreadTitle(r.PostFormValue("title"))
	if err != nil {
		inv.Add("title", err.(*chorus.InvalidError).Fields["title"])
	}
	body, err := chorus.PostBody(r.PostFormValue("body"))
	if err != nil {
		inv.Add("body", err.(*chorus.InvalidError).Fields["body"])
	}
	if len(inv.Fields) > 0 {
		return s.renderCategory(w, r, http.StatusUnprocessableEntity, inv, form)
	}
	if cat.Archived {
		return chorus.Invalid("This category is archived: it takes no new threads.")
	}
	if err := s.limiter.Attempt(r.Context(), postingKey(m.ID)); err != nil {
		return err
	}
	var threadID int64
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		threadID, _, err = tx.CreateThread(r.Context(), cat.ID, m.ID, title, body)
		return err
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, threadPath(threadID), http.StatusSeeOther)
	return nil
}

// discussionThread shows a page of a thread, and moves the viewer's read
// marker to the last post of the page.
func (s *Server) discussionThread(w http.ResponseWriter, r *http.Request) error {
	return s.renderThread(w, r, http.StatusOK, nil, "")
}

func (s *Server) renderThread(w http.ResponseWriter, r *http.Request, status int, problem error, draft string) error {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	viewer := s.member(r)
	th, err := s.DB.Thread(ctx, id, s.viewerID(r))
	if err != nil {
		return err
	}
	pages := max(1, (th.Posts+chorus.PostsPerPage-1)/chorus.PostsPerPage)
	page := pageOf(r)
	if r.URL.Query().Get("page") == "last" {
		page = pages
	}
	if page > pages {
		return chorus.ErrNotFound
	}
	posts, err := s.DB.Posts(ctx, id, page)
	if err != nil {
		return err
	}
	events, err := s.DB.ThreadEvents(ctx, id)
	if err != nil {
		return err
	}
	var views []postView
	for _, p := range posts {
		v := postView{Post: p, Own: viewer != nil && p.AuthorID == viewer.ID && !p.Deleted,
			Unread: viewer != nil && th.FirstUnread != 0 && p.ID >= th.FirstUnread}
		if !p.Deleted {
			v.HTML = s.renderText(ctx, p.Body, p.AuthorID)
		}
		views = append(views, v)
	}
	if viewer != nil && len(posts) > 0 {
		last := posts[len(posts)-1].ID
		if err := s.DB.Tx(ctx, func(tx *store.Tx) error { return tx.MarkRead(ctx, viewer.ID, id, last) }); err != nil {
			return err
		}
	}
	firstUnread := ""
	if viewer != nil && th.FirstUnread != 0 {
		if firstUnread, err = s.postLink(ctx, id, th.FirstUnread); err != nil {
			return err
		}
	}
	data := map[string]any{"Thread": th, "Posts": views, "Events": events, "Page": page, "Pages": pages,
		"Prefix": threadPath(id) + "?", "FirstUnread": firstUnread, "Draft": draft, "MaxPost": chorus.MaxPostLen,
		"Moderator": viewer != nil && viewer.Role.Can(chorus.RoleModerator)}
	var inv *chorus.InvalidError
	if errors.As(problem, &inv) {
		data["Problem"] = inv.Summary()
	} else if problem != nil {
		_, data["Problem"] = classify(problem)
	}
	return s.render(w, r, status, "discussion_thread.html", th.Title, data)
}

// unreadPost sends the viewer to the first post of a thread they have not
// read, or to its last page when they read everything.
func (s *Server) unreadPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	th, err := s.DB.Thread(r.Context(), id, s.viewerID(r))
	if err != nil {
		return err
	}
	link := threadPath(id) + "?page=last"
	if th.FirstUnread != 0 {
		if link, err = s.postLink(r.Context(), id, th.FirstUnread); err != nil {
			return err
		}
	}
	http.Redirect(w, r, link, http.StatusSeeOther)
	return nil
}

// replyToThread adds a post to a thread. A locked thread refuses it with
// a page that says so; bad input shows the thread again with the draft.
func (s *Server) replyToThread(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	th, err := s.DB.Thread(r.Context(), id, m.ID)
	if err != nil {
		return err
	}
	if th.Locked {
		return s.renderThread(w, r, http.StatusConflict, store.ErrLocked, "")
	}
	body, err := chorus.PostBody(r.PostFormValue("body"))
	if err != nil {
		return s.renderThread(w, r, http.StatusUnprocessableEntity, err, r.PostFormValue("body"))
	}
	if err := s.limiter.Attempt(r.Context(), postingKey(m.ID)); err != nil {
		return err
	}
	var postID int64
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if postID, err = tx.Reply(r.Context(), id, m.ID, body); err != nil {
			return err
		}
		return s.discussionReplied(r.Context(), tx, th, postID, m.ID, body)
	})
	if errors.Is(err, store.ErrLocked) {
		return s.renderThread(w, r, http.StatusConflict, err, "")
	}
	if err != nil {
		return err
	}
	link, err := s.postLink(r.Context(), id, postID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, link, http.StatusSeeOther)
	return nil
}

// discussionReplied is where a reply to a thread leaves the web surface,
// inside the transaction that stored it: the one place from which the
// thread's author and the members mentioned in body could be told. It
// logs the reply by ids only; it tells no one yet.
func (s *Server) discussionReplied(ctx context.Context, tx *store.Tx, th chorus.Thread, postID, authorID int64, body string) error {
	s.Logger.DebugContext(ctx, "discussion reply", "thread", th.ID, "post", postID, "member", authorID,
		"thread_author", th.AuthorID, "mentions", len(markup.Mentions(body)))
	return nil
}

// ownPost loads post id of the path for its author.
func (s *Server) ownPost(r *http.Request) (chorus.Post, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return chorus.Post{}, err
	}
	p, err := s.DB.Post(r.Context(), id)
	if err != nil {
		return p, err
	}
	if p.AuthorID != s.member(r).ID || p.Deleted {
		return p, fmt.Errorf("post %d: %w", id, chorus.ErrForbidden)
	}
	return p, nil
}

func (s *Server) editPostForm(w http.ResponseWriter, r *http.Request) error {
	p, err := s.ownPost(r)
	if err != nil {
		return err
	}
	return s.renderPostForm(w, r, http.StatusOK, p, p.Body, "")
}

func (s *Server) renderPostForm(w http.ResponseWriter, r *http.Request, status int, p chorus.Post, draft, problem string) error {
	back, err := s.postLink(r.Context(), p.ThreadID, p.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, status, "discussion_post_edit.html", "Edit your post",
		map[string]any{"Post": p, "Draft": draft, "Back": back, "MaxPost": chorus.MaxPostLen, "Problem": problem})
}

func (s *Server) editPost(w http.ResponseWriter, r *http.Request) error {
	p, err := s.ownPost(r)
	if err != nil {
		return err
	}
	body, err := chorus.PostBody(r.PostFormValue("body"))
	if err != nil {
		return s.renderPostForm(w, r, http.StatusUnprocessableEntity, p, r.PostFormValue("body"), err.(*chorus.InvalidError).Summary())
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.EditPost(r.Context(), p.ID, p.AuthorID, body) }); err != nil {
		return err
	}
	link, err := s.postLink(r.Context(), p.ThreadID, p.ID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, link, http.StatusSeeOther)
	return nil
}

// deletePost deletes a post: its author's own, or any post for a
// moderator, which the thread then records.
func (s *Server) deletePost(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.DB.Post(r.Context(), id)
	if err != nil {
		return err
	}
	moderator := m.Role.Can(chorus.RoleModerator)
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.DeletePost(r.Context(), id, m.ID, moderator) }); err != nil {
		return err
	}
	link, err := s.postLink(r.Context(), p.ThreadID, p.ID)
	if err != nil {
		return err
	}
	s.flash(r, "The post was deleted.")
	http.Redirect(w, r, link, http.StatusSeeOther)
	return nil
}

// moderateThread pins, unpins, locks or unlocks a thread (moderators).
func (s *Server) moderateThread(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.SetThread(r.Context(), id, s.member(r).ID, action) }); err != nil {
		return err
	}
	s.flash(r, chorus.ThreadEvent{Action: action}.Describe()+".")
	http.Redirect(w, r, threadPath(id), http.StatusSeeOther)
	return nil
}

// postPage sends to the page of its thread that shows a post.
func (s *Server) postPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.DB.Post(r.Context(), id)
	if err != nil {
		return err
	}
	link, err := s.postLink(r.Context(), p.ThreadID, p.ID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, link, http.StatusSeeOther)
	return nil
}

// maxQueryLen bounds a discussion search, in characters.
const maxQueryLen = 200

// searchDiscussions finds threads by their title or the text of a post.
func (s *Server) searchDiscussions(w http.ResponseWriter, r *http.Request) error {
	q := chorus.CleanText(r.URL.Query().Get("q"), maxQueryLen, false)
	page := pageOf(r)
	hits, pages, err := s.DB.SearchDiscussions(r.Context(), q, page)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "discussion_search.html", "Search the discussions", map[string]any{
		"Q": q, "Hits": hits, "Page": page, "Pages": pages, "Prefix": "/discussions/search?q=" + url.QueryEscape(q) + "&"})
}

// ---- Administration of the categories ----

// reservedSlugs are the paths under /discussions that are not categories.
var reservedSlugs = map[string]bool{"search": true, "t": true, "p": true}

// categoryFields reads and checks a category's name and description.
func categoryFields(r *http.Request, inv *chorus.InvalidError) (name, description string) {
	name = chorus.CleanText(r.PostFormValue("name"), chorus.MaxCategoryName+1, false)
	if name == "" {
		inv.Add("name", "Please name the category.")
	} else if len([]rune(name)) > chorus.MaxCategoryName {
		inv.Add("name", fmt.Sprintf("The name is limited to %d characters.", chorus.MaxCategoryName))
	}
	description = chorus.CleanText(r.PostFormValue("description"), chorus.MaxCategoryAbout+1, true)
	if len([]rune(description)) > chorus.MaxCategoryAbout {
		inv.Add("description", fmt.Sprintf("The description is limited to %d characters.", chorus.MaxCategoryAbout))
	}
	return name, description
}

func (s *Server) adminDiscussions(w http.ResponseWriter, r *http.Request) error {
	return s.renderAdminDiscussions(w, r, http.StatusOK, "")
}

func (s *Server) renderAdminDiscussions(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	cats, err := s.DB.Categories(r.Context(), true)
	if err != nil {
		return err
	}
	return s.render(w, r, status, "admin_discussions.html", "Discussion categories", map[string]any{
		"Categories": cats, "Problem": problem, "MaxName": chorus.MaxCategoryName, "MaxAbout": chorus.MaxCategoryAbout})
}

// createCategory adds a category; its slug is the one given, or made
// from its name.
func (s *Server) createCategory(w http.ResponseWriter, r *http.Request) error {
	inv := &chorus.InvalidError{Message: "Nothing was saved."}
	name, description := categoryFields(r, inv)
	slug := strings.TrimSpace(r.PostFormValue("slug"))
	if slug == "" {
		slug = name
	}
	slug = chorus.Slug(slug)
	if reservedSlugs[slug] {
		inv.Add("slug", fmt.Sprintf("%q names a page of the discussions; please choose another.", slug))
	}
	if len(inv.Fields) > 0 {
		return s.renderAdminDiscussions(w, r, http.StatusUnprocessableEntity, inv.Summary())
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		_, err := tx.CreateCategory(r.Context(), slug, name, description)
		return err
	})
	if errors.Is(err, chorus.ErrConflict) {
		return s.renderAdminDiscussions(w, r, http.StatusConflict, fmt.Sprintf("A category already uses the link /discussions/%s; please choose another.", slug))
	}
	if err != nil {
		return err
	}
	s.flash(r, "The category was created.")
	http.Redirect(w, r, "/admin/discussions", http.StatusSeeOther)
	return nil
}

// updateCategory renames and describes a category.
func (s *Server) updateCategory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	inv := &chorus.InvalidError{Message: "Nothing was saved."}
	name, description := categoryFields(r, inv)
	if len(inv.Fields) > 0 {
		return s.renderAdminDiscussions(w, r, http.StatusUnprocessableEntity, inv.Summary())
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.UpdateCategory(r.Context(), id, name, description) }); err != nil {
		return err
	}
	s.flash(r, "The category was saved.")
	http.Redirect(w, r, "/admin/discussions", http.StatusSeeOther)
	return nil
}

// categoryAction moves a category up or down, archives or opens it again.
func (s *Server) categoryAction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var fn func(tx *store.Tx) error
	switch r.PathValue("action") {
	case "up", "down":
		fn = func(tx *store.Tx) error { return tx.MoveCategory(r.Context(), id, r.PathValue("action") == "up") }
	case "archive", "unarchive":
		fn = func(tx *store.Tx) error {
			return tx.ArchiveCategory(r.Context(), id, r.PathValue("action") == "archive")
		}
	default:
		return chorus.ErrNotFound
	}
	if err := s.DB.Tx(r.Context(), fn); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/discussions", http.StatusSeeOther)
	return nil
}
