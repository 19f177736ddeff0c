package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/datamap"
	"chorus/internal/markup"
	"chorus/internal/store"
)

// policyVersion is the name of the policy version in force, as recorded
// with every consent choice; store.DB.CurrentPolicy is the one place that
// answers it.
func (s *Server) policyVersion(r *http.Request) (string, error) {
	v, err := s.DB.CurrentPolicy(r.Context())
	return v.Version, err
}

// renderMarkdown turns an admin's Markdown into HTML safe to put in a
// page (internal/markup).
func renderMarkdown(src string) (template.HTML, error) {
	return markup.Document(src), nil
}

// privacyPage shows the policy in force and, generated from the data map
// and the processors register, what is collected, why, whether it is
// mandatory, who sees it, how long it is kept and who receives it.
func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.DB.CurrentPolicy(r.Context())
	if err != nil {
		return err
	}
	body, err := renderMarkdown(v.Body)
	if err != nil {
		return err
	}
	register, err := s.DB.Processors(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "privacy.html", "Privacy policy", map[string]any{
		"Version": v, "Body": body, "Rows": datamap.Record(register), "Processors": register,
		"Counting": consent.Counting,
	})
}

// policyNotice is the notice of a new policy version shown on every page
// to a member who has not acknowledged it.
type policyNotice struct {
	Version, Summary string
	// Return is where acknowledging comes back to.
	Return string
}

// notice returns the notice for member m, nil when there is none to show.
func (s *Server) notice(r *http.Request, m *chorus.Member) *policyNotice {
	if m == nil {
		return nil
	}
	v, err := s.DB.PolicyNotice(r.Context(), m.ID)
	if errors.Is(err, chorus.ErrNotFound) {
		return nil
	}
	if err != nil {
		s.Logger.Warn("read the policy notice", "err", err)
		return nil
	}
	ret := "/"
	if r.Method == http.MethodGet {
		ret = r.URL.RequestURI()
	}
	return &policyNotice{Version: v.Version, Summary: v.Summary, Return: ret}
}

// acknowledgePolicy records that the member acknowledged the version in
// force, which ends its notice. The form names the version it showed: when
// a newer one was published since, nothing is recorded and the new notice
// shows instead.
func (s *Server) acknowledgePolicy(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	cur, err := s.DB.CurrentPolicy(r.Context())
	if err != nil {
		return err
	}
	ret := safeLocal(r.PostFormValue("return"), "/")
	if r.PostFormValue("version") != cur.Version {
		s.flash(r, "The privacy policy changed again meanwhile: please read the new summary.")
		http.Redirect(w, r, ret, http.StatusSeeOther)
		return nil
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		_, err := tx.AcknowledgePolicy(r.Context(), m.ID, store.AckNotice, "")
		return err
	}); err != nil {
		return err
	}
	s.flash(r, "Thank you: we recorded that you have seen version "+cur.Version+" of the privacy policy.")
	http.Redirect(w, r, ret, http.StatusSeeOther)
	return nil
}

// signupPolicy is what sign-up forms say about the policy: the version
// accepted by signing up and, when processors outside the EU/EEA are
// registered, the separate question about transfers to them.
type signupPolicy struct {
	Version string
	Abroad  []datamap.Registered
	// Refusal says what refusing the transfer means.
	Refusal string
	// Given is the box's state when the form is shown again.
	Given bool
}

func (s *Server) signupPolicy(r *http.Request) (*signupPolicy, error) {
	cur, err := s.DB.CurrentPolicy(r.Context())
	if err != nil {
		return nil, err
	}
	register, err := s.DB.Processors(r.Context())
	if err != nil {
		return nil, err
	}
	p := &signupPolicy{Version: cur.Version, Given: r.Method == http.MethodPost && r.PostFormValue("transfers") == "yes"}
	var lost []string
	for _, proc := range register {
		if !proc.Abroad() {
			continue
		}
		p.Abroad = append(p.Abroad, proc)
		if proc.ConfigKey == datamap.ConfigSMTP {
			lost = append(lost, "we send you no email at all, so you cannot confirm your address (needed to publish music) or reset your password by email")
		} else {
			lost = append(lost, "we do not use "+proc.Name+" for you, so its service ("+proc.Service+") is not available to you")
		}
	}
	if len(lost) > 0 {
		p.Refusal = "If you leave it unticked you still get your account; " + strings.Join(lost, "; ") + ". You can ask for it to be changed later."
	}
	return p, nil
}

// transfers is the choice a sign-up form made about transfers: "" when not
// asked.
func (p *signupPolicy) transfers(r *http.Request) string {
	switch {
	case len(p.Abroad) == 0:
		return ""
	case r.PostFormValue("transfers") == "yes":
		return store.TransfersGiven
	}
	return store.TransfersRefused
}

// adminPolicy lists the policy's versions and drafts, with a form to start
// a draft from the text in force.
func (s *Server) adminPolicy(w http.ResponseWriter, r *http.Request) error {
	versions, err := s.DB.PolicyVersions(r.Context())
	if err != nil {
		return err
	}
	cur, err := s.DB.CurrentPolicy(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_policy.html", "Privacy policy", map[string]any{
		"Versions": versions, "Current": cur, "Body": cur.Body, "Summary": "",
	})
}

// createPolicyDraft starts a draft and shows it for preview.
func (s *Server) createPolicyDraft(w http.ResponseWriter, r *http.Request) error {
	var v store.PolicyVersion
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		v, err = tx.CreatePolicyDraft(r.Context(), r.PostFormValue("body"), r.PostFormValue("summary"))
		return err
	})
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		versions, verr := s.DB.PolicyVersions(r.Context())
		cur, cerr := s.DB.CurrentPolicy(r.Context())
		if err := errors.Join(verr, cerr); err != nil {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "admin_policy.html", "Privacy policy", map[string]any{
			"Versions": versions, "Current": cur, "Body": r.PostFormValue("body"), "Summary": r.PostFormValue("summary"), "Errors": inv.Fields,
		})
	}
	if err != nil {
		return err
	}
	s.flash(r, "Draft saved. Read the preview, then publish it when it is right.")
	http.Redirect(w, r, "/admin/policy/"+strconv.FormatInt(v.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) policyByPath(r *http.Request) (store.PolicyVersion, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.PolicyVersion{}, chorus.ErrNotFound
	}
	return s.DB.PolicyVersionByID(r.Context(), id)
}

// adminPolicyVersion previews a version or draft as /privacy will show
// it; a draft can be edited and published from here.
func (s *Server) adminPolicyVersion(w http.ResponseWriter, r *http.Request) error {
	v, err := s.policyByPath(r)
	if err != nil {
		return err
	}
	return s.renderPolicyVersion(w, r, http.StatusOK, v, nil)
}

func (s *Server) renderPolicyVersion(w http.ResponseWriter, r *http.Request, status int, v store.PolicyVersion, errs map[string]string) error {
	preview, err := renderMarkdown(v.Body)
	if err != nil {
		return err
	}
	return s.render(w, r, status, "admin_policy_version.html", "Privacy policy version", map[string]any{
		"Version": v, "Preview": preview, "Errors": errs,
	})
}

// savePolicyDraft changes a draft's texts.
func (s *Server) savePolicyDraft(w http.ResponseWriter, r *http.Request) error {
	v, err := s.policyByPath(r)
	if err != nil {
		return err
	}
	body, summary := r.PostFormValue("body"), r.PostFormValue("summary")
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.UpdatePolicyDraft(r.Context(), v.ID, body, summary) })
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		v.Body, v.Summary = body, summary
		return s.renderPolicyVersion(w, r, http.StatusUnprocessableEntity, v, inv.Fields)
	}
	if err != nil {
		return err
	}
	s.flash(r, "Draft saved.")
	http.Redirect(w, r, "/admin/policy/"+strconv.FormatInt(v.ID, 10), http.StatusSeeOther)
	return nil
}

// publishPolicy makes a draft the version in force: members see its
// summary of changes on their next visit until they acknowledge it.
func (s *Server) publishPolicy(w http.ResponseWriter, r *http.Request) error {
	v, err := s.policyByPath(r)
	if err != nil {
		return err
	}
	var pub store.PolicyVersion
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		pub, err = tx.PublishPolicy(r.Context(), v.ID)
		return err
	}); err != nil {
		return err
	}
	s.Logger.Info("privacy policy published", "version", pub.Version, "by_member_id", s.member(r).ID)
	s.flash(r, "Version "+pub.Version+" is published: members see its summary of changes on their next visit.")
	http.Redirect(w, r, "/admin/policy", http.StatusSeeOther)
	return nil
}

// processorForm is the register's form for one entry.
type processorForm struct {
	datamap.Registered
	Errors map[string]string
}

// Has reports whether the entry is registered for c (a box to tick).
func (f processorForm) Has(c datamap.Category) bool { return f.Receives(c) }

// adminProcessors shows the processors register with a form per entry
// and one to add an entry.
func (s *Server) adminProcessors(w http.ResponseWriter, r *http.Request) error {
	return s.renderProcessors(w, r, http.StatusOK, processorForm{})
}

func (s *Server) renderProcessors(w http.ResponseWriter, r *http.Request, status int, failed processorForm) error {
	register, err := s.DB.Processors(r.Context())
	if err != nil {
		return err
	}
	forms := make([]processorForm, len(register))
	for i, p := range register {
		forms[i] = processorForm{Registered: p}
		if failed.ID == p.ID && failed.ID != 0 {
			forms[i] = failed
		}
	}
	add := processorForm{}
	if failed.ID == 0 {
		add = failed
	}
	return s.render(w, r, status, "admin_processors.html", "Processors", map[string]any{
		"Processors": forms, "Add": add, "Categories": datamap.Categories(),
	})
}

// saveProcessor adds an entry (POST /admin/processors) or changes one
// (POST /admin/processors/{id}).
func (s *Server) saveProcessor(w http.ResponseWriter, r *http.Request) error {
	p := datamap.Registered{Name: r.PostFormValue("name"), Service: r.PostFormValue("service"),
		Country: r.PostFormValue("country"), Purpose: r.PostFormValue("purpose")}
	for _, c := range r.PostForm["category"] {
		p.Categories = append(p.Categories, datamap.Category(c))
	}
	if id := r.PathValue("id"); id != "" {
		old, err := s.processorByPath(r)
		if err != nil {
			return err
		}
		p.ID, p.ConfigKey = old.ID, old.ConfigKey
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		_, err := tx.SaveProcessor(r.Context(), p)
		return err
	})
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		return s.renderProcessors(w, r, http.StatusUnprocessableEntity, processorForm{Registered: p, Errors: inv.Fields})
	}
	if err != nil {
		return err
	}
	s.flash(r, "The processors register is saved.")
	http.Redirect(w, r, "/admin/processors", http.StatusSeeOther)
	return nil
}

func (s *Server) processorByPath(r *http.Request) (datamap.Registered, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return datamap.Registered{}, chorus.ErrNotFound
	}
	return s.DB.ProcessorByID(r.Context(), id)
}

// deleteProcessor removes an entry: nothing is sent to that processor
// any more (code asks the register before sending).
func (s *Server) deleteProcessor(w http.ResponseWriter, r *http.Request) error {
	p, err := s.processorByPath(r)
	if err != nil {
		return err
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.DeleteProcessor(r.Context(), p.ID) }); err != nil {
		return err
	}
	s.flash(r, p.Name+" is removed from the register: nothing is sent to it any more.")
	http.Redirect(w, r, "/admin/processors", http.StatusSeeOther)
	return nil
}
