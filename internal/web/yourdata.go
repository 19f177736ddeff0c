package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/store"
)

// dataItem is one piece of data the member gave, as the "Your data" page
// shows it: its value, and from the data map why it is held and who sees it.
type dataItem struct {
	// Column is the data map's column ("members.real_name") the item is.
	Column string
	Label  string
	// Value is what is held, "" when nothing is; Lines, when set, is a
	// value of several lines.
	Value string
	Lines []string
	// Purposes and Mandatory come from the data map; Seen says who can
	// see the value now.
	Purposes  []datamap.Purpose
	Mandatory string
	Seen      string
	// Change is the page where the value is changed, ChangeLabel its link.
	Change, ChangeLabel string
	// Delete, for an optional field, is where a POST clears it.
	Delete string
	// Account marks the email address: without it there is no account.
	Account bool
	// Note says more about the item.
	Note string
}

// memberItem makes the item of a column of members from the member and
// their profile; label and where to change it are fixed per column.
type memberItem struct {
	Label, Change, ChangeLabel string
	// Clear names the field /settings/data/{field}/delete clears, for an
	// optional profile field.
	Clear string
	Value func(m chorus.Member, p chorus.Profile) (value string, lines []string)
	// Public reports the member's choice for a field of Chosen visibility.
	Public func(p chorus.Profile) bool
	Note   string
}

// memberItems are the columns of members whose values the member gave.
// Every personal column of members is either here or in memberDerived: a
// test holds the two to the data map.
var memberItems = map[string]memberItem{
	"email": {Label: "Email address", Change: "/settings", ChangeLabel: "Change your address",
		Value: func(m chorus.Member, _ chorus.Profile) (string, []string) { return m.Email, nil }},
	"username": {Label: "Username", Note: "A username cannot be changed; it goes when the account is deleted.",
		Value: func(m chorus.Member, _ chorus.Profile) (string, []string) { return m.Username, nil }},
	"password_hash": {Label: "Password", Change: "/settings", ChangeLabel: "Change your password",
		Note: "We keep only a salted hash of it, never the password itself.",
		Value: func(m chorus.Member, _ chorus.Profile) (string, []string) {
			if m.HasPassword {
				return "set", nil
			}
			return "", nil
		}},
	"real_name": {Label: "Real name", Change: "/settings/profile", ChangeLabel: "Change it", Clear: "real_name",
		Value:  func(_ chorus.Member, p chorus.Profile) (string, []string) { return p.RealName, nil },
		Public: func(p chorus.Profile) bool { return p.RealNamePublic }},
	"location": {Label: "Location", Change: "/settings/profile", ChangeLabel: "Change it", Clear: "location",
		Value:  func(_ chorus.Member, p chorus.Profile) (string, []string) { return p.Location, nil },
		Public: func(p chorus.Profile) bool { return p.LocationPublic }},
	"bio": {Label: "About you", Change: "/settings/profile", ChangeLabel: "Change it", Clear: "bio",
		Value:  func(_ chorus.Member, p chorus.Profile) (string, []string) { return p.Bio, nil },
		Public: func(p chorus.Profile) bool { return p.BioPublic }},
	"links": {Label: "Links", Change: "/settings/profile", ChangeLabel: "Change them", Clear: "links",
		Value: func(_ chorus.Member, p chorus.Profile) (string, []string) {
			return strings.Join(p.Links, " "), p.Links
		},
		Public: func(p chorus.Profile) bool { return p.LinksPublic }},
	"picture_key": {Label: "Profile picture", Change: "/settings/profile", ChangeLabel: "Change it", Clear: "picture",
		Value: func(_ chorus.Member, p chorus.Profile) (string, []string) {
			if p.PictureKey != "" {
				return "a picture (a resized copy, without its metadata)", nil
			}
			return "", nil
		},
		Public: func(p chorus.Profile) bool { return p.PicturePublic }},
	"totp_secret": {Label: "Two-factor authentication", Change: "/settings/security", ChangeLabel: "Manage it",
		Value: func(m chorus.Member, _ chorus.Profile) (string, []string) {
			if m.TOTP {
				return "on (the secret shared with your authenticator app)", nil
			}
			return "", nil
		}},
}

// memberDerived are the personal columns of members that the member did
// not give: Chorus makes them from what they gave, or they record the
// account's history. The page leaves them out; the export gives them.
var memberDerived = map[string]string{
	"id":                  "the account's number",
	"email_key":           "the address in the form used to compare addresses",
	"username_key":        "the username in the form used to compare usernames",
	"username_skeleton":   "the username's look-alike form, to refuse look-alike names",
	"created_at":          "when the account was made",
	"role":                "what the account may do on the site",
	"email_verified_at":   "when the address was confirmed",
	"suspended_at":        "when an admin suspended the account",
	"suspended_reason":    "why an admin suspended the account",
	"password_changed_at": "when the password last changed",
	"real_name_public":    "who may see the real name, shown with it",
	"location_public":     "who may see the location, shown with it",
	"bio_public":          "who may see the description, shown with it",
	"links_public":        "who may see the links, shown with them",
	"picture_public":      "who may see the picture, shown with it",
	"totp_enabled_at":     "when two-factor authentication was turned on",
	"totp_last_step":      "the time step of the last two-factor code used",
	"webauthn_handle":     "a random handle the passkeys carry",
}

// seen says who can see a value of visibility v; public is the member's
// choice for a field of Chosen visibility.
func seen(v datamap.Visibility, public bool) string {
	switch v {
	case datamap.Public:
		return "everyone"
	case datamap.Private:
		return "only you"
	case datamap.Chosen:
		if public {
			return "everyone: you made it public (you can make it private)"
		}
		return "only you: you made it private (you can make it public)"
	}
	return string(v)
}

// yourDataItems lists what the member gave, in the order of the data map.
func (s *Server) yourDataItems(r *http.Request, m chorus.Member) ([]dataItem, error) {
	p, err := s.DB.Profile(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	var items []dataItem
	for _, c := range datamap.Lookup("members").Columns {
		spec, ok := memberItems[c.Name]
		if !ok || !c.Personal() {
			continue
		}
		it := dataItem{Column: "members." + c.Name, Label: spec.Label, Purposes: c.Purposes, Mandatory: c.Mandatory,
			Change: spec.Change, ChangeLabel: spec.ChangeLabel, Note: spec.Note, Account: c.Name == "email"}
		it.Value, it.Lines = spec.Value(m, p)
		public := spec.Public != nil && spec.Public(p)
		it.Seen = seen(c.Visibility, public)
		if spec.Clear != "" && c.Mandatory == "" && it.Value != "" {
			it.Delete = "/settings/data/" + spec.Clear + "/delete"
		}
		items = append(items, it)
	}

	ids, err := s.DB.Identities(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, id := range ids {
		names = append(names, s.providerName(id.Provider))
	}
	items = append(items, tableItem("member_identities", "subject", "Linked sign-in accounts", strings.Join(names, ", "),
		"/settings/connections", "Link or unlink them"))

	keys, err := s.DB.Passkeys(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	items = append(items, tableItem("member_passkeys", "credential_id", "Passkeys", count(len(keys), "passkey"),
		"/settings/passkeys", "Add or remove passkeys"))

	sessions, err := s.DB.ListMemberSessions(r.Context(), m.ID, s.sessionLimits())
	if err != nil {
		return nil, err
	}
	it := tableItem("member_sessions", "ip_prefix", "Logged-in browsers", count(len(sessions), "browser"),
		"/settings/sessions", "See them, or log them out")
	it.Note = "For each: when it logged in and was last used, the browser, system and device read from its User-Agent, and the start of its network address."
	items = append(items, it)

	acks, err := s.DB.Acknowledgements(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	it = tableItem("policy_acknowledgements", "policy_version", "Privacy policy", "", "/privacy", "Read the policy in force")
	for _, a := range acks {
		line := "Version " + a.PolicyVersion + ", acknowledged " + a.CreatedAt.UTC().Format("2 January 2006 at 15:04 UTC")
		if a.Event == store.AckSignUp {
			line = "Version " + a.PolicyVersion + ", accepted when you signed up on " + a.CreatedAt.UTC().Format("2 January 2006 at 15:04 UTC")
		}
		switch a.Transfers {
		case store.TransfersGiven:
			line += "; you agreed to transfers outside the EU/EEA"
		case store.TransfersRefused:
			line += "; you refused transfers outside the EU/EEA"
		}
		it.Lines = append(it.Lines, line)
	}
	it.Value = strings.Join(it.Lines, "\n")
	it.Note = "Each version of the privacy policy you accepted or acknowledged, and when. They are kept to prove it, until your account is deleted."
	items = append(items, it)

	pm, err := s.DB.ProMember(r.Context(), m.ID)
	if errors.Is(err, chorus.ErrNotFound) {
		return items, nil
	}
	if err != nil {
		return nil, err
	}
	id := tableItem("pro_members", "legal_name", "PRO legal identity", "", "/studio/pro", "Change it on your PRO page")
	id.Lines = append([]string{pm.LegalName}, strings.Split(pm.Address, "\n")...)
	id.Lines = append(id.Lines, pm.Country+", paid as "+pm.EntityKind)
	bank := tableItem("pro_members", "iban", "PRO bank details", pm.IBANMasked, "/studio/pro", "Change them on your PRO page")
	bank.Note = "Kept encrypted and shown only masked; your PRO page shows them in full when you ask, and each showing is logged."
	if pm.HasBank() {
		// Deleting goes through a page that explains what it stops.
		bank.Change, bank.ChangeLabel = "/studio/pro/bank/remove", "Delete your bank details…"
		bank.Note += " Without them, PRO payouts pause; your balance stays."
	}
	return append(items, id, bank), nil
}

// tableItem is the item of a member's rows of another table, with the
// purposes and visibility of the column that stands for them.
func tableItem(table, column, label, value, change, changeLabel string) dataItem {
	c := datamap.Field(table, column)
	return dataItem{Column: table + "." + column, Label: label, Value: value, Purposes: c.Purposes, Mandatory: c.Mandatory,
		Seen: seen(c.Visibility, false), Change: change, ChangeLabel: changeLabel}
}

// count says "2 passkeys", "1 passkey", or "" for none.
func count(n int, noun string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// yourData is the "Your data" page: everything the member gave, why it is
// held and who sees it, with where to change or delete each.
func (s *Server) yourData(w http.ResponseWriter, r *http.Request) error {
	items, err := s.yourDataItems(r, *s.member(r))
	if err != nil {
		return err
	}
	m := s.member(r)
	accesses, err := s.DB.AccessesTo(r.Context(), m.ID)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": items, "Suspended": m.Suspended, "Accesses": accesses}
	e, err := s.DB.LatestExport(r.Context(), m.ID)
	switch {
	case err == nil && e.Status == store.ExportReady && s.DB.Now().Before(e.ExpiresAt):
		data["ExportLink"], data["ExportExpires"] = "/settings/data/export/"+e.ID, e.ExpiresAt
	case err == nil && e.Status == store.ExportPending:
		data["ExportPending"] = true
	case err != nil && !errors.Is(err, chorus.ErrNotFound):
		return err
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "settings_data.html", "Your data", data)
}

// clearedNames are the fields /settings/data/{field}/delete clears, with
// how the message names them.
var clearedNames = map[string]string{
	"real_name": "Your real name is", "location": "Your location is", "bio": "Your description is",
	"links": "Your links are", "picture": "Your profile picture is",
}

// deleteDataItem clears one optional field of the member's profile.
func (s *Server) deleteDataItem(w http.ResponseWriter, r *http.Request) error {
	field := r.PathValue("field")
	name, ok := clearedNames[field]
	if !ok {
		return fmt.Errorf("profile field %q: %w", field, chorus.ErrNotFound)
	}
	m := s.member(r)
	var oldPicture string
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if field == "picture" {
			var err error
			oldPicture, err = tx.RemoveProfilePicture(r.Context(), m.ID)
			return err
		}
		return tx.ClearProfileText(r.Context(), m.ID, field)
	})
	if err != nil {
		return err
	}
	if oldPicture != "" {
		s.deletePicture(r, oldPicture)
	}
	s.flash(r, name+" deleted.")
	http.Redirect(w, r, "/settings/data", http.StatusSeeOther)
	return nil
}
