package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/money"
	"chorus/internal/pro"
	"chorus/internal/store"
)

// ProSettings are the terms of Chorus PRO on this site.
type ProSettings struct {
	// ArtistShare is the artist's share of a sale, in percent.
	ArtistShare int
	// PayoutThreshold is the least amount owed, in cents, for a payout.
	PayoutThreshold int64
	// Debtor is the site's account payouts are paid from; payout files
	// cannot be made while its IBAN is empty.
	Debtor pro.Debtor
	// SellerCountry is the ISO 3166-1 code of the country the site sells
	// from: EU businesses elsewhere buy under the reverse charge.
	SellerCountry string
	// Stripe takes card payments through Stripe Checkout; nil offers the
	// invoice mode only.
	Stripe *pro.Stripe
}

// proCurrency is the currency of PRO: payouts go by SEPA transfer, in euros.
const proCurrency = "EUR"

// proTrack is a track in the PRO page's list of what is offered.
type proTrack struct {
	ID      int64
	Title   string
	Artist  string
	Offered bool
	// Instrumental is the artist's word that the track has no vocals.
	Instrumental bool
}

// proPage is the artist's PRO dashboard (/studio/pro): the agreement and
// the form to join, or their details (masked), balance, offered tracks
// and statements.
func (s *Server) proPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPro(w, r, http.StatusOK, pro.Application{}, nil, nil)
}

// proFields are the identity fields of the PRO form, with their labels
// and "why" from the data map.
func proFields(a pro.Application, joined bool, inv *chorus.InvalidError) []FieldInfo {
	errs := fieldErrors(inv)
	keep := ""
	if joined {
		keep = " Leave it empty to keep the one on file."
	}
	vat := asked("pro_members", "vat_id", FieldInfo{Name: "vat_id", Label: "VAT number (companies in the EU)", Type: "text", MaxLen: 20, Value: a.VATID, Error: errs["vat_id"]})
	vat.Mandatory = false
	vat.Why += keep
	iban := asked("pro_members", "iban", FieldInfo{Name: "iban", Label: "IBAN", Type: "text", MaxLen: 50, Autocomplete: "off", Error: errs["iban"]})
	bic := asked("pro_members", "bic", FieldInfo{Name: "bic", Label: "BIC (SWIFT code)", Type: "text", MaxLen: 15, Autocomplete: "off", Error: errs["bic"]})
	if joined {
		iban.Mandatory, bic.Mandatory = false, false
		iban.Why += keep
		bic.Why += keep
	}
	return []FieldInfo{
		asked("pro_members", "legal_name", FieldInfo{Name: "legal_name", Label: "Legal name", Type: "text", Autocomplete: "name", MaxLen: pro.MaxLegalName, Value: a.LegalName, Error: errs["legal_name"]}),
		asked("pro_members", "address", FieldInfo{Name: "address", Label: "Postal address", Type: "textarea", MaxLen: pro.MaxAddress, Value: a.Address, Error: errs["address"]}),
		asked("pro_members", "country", FieldInfo{Name: "country", Label: "Country (two-letter code, like FR)", Type: "text", Autocomplete: "country", MaxLen: 2, Value: a.Country, Error: errs["country"]}),
		vat, iban, bic,
	}
}

func (s *Server) renderPro(w http.ResponseWriter, r *http.Request, status int, in pro.Application, inv *chorus.InvalidError, revealed map[string]string) error {
	ctx := r.Context()
	m := s.member(r)
	pm, err := s.DB.ProMember(ctx, m.ID)
	joined := err == nil
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		return err
	}
	agreements, err := s.DB.Agreements(ctx, m.ID)
	if err != nil {
		return err
	}
	agreed := len(agreements) > 0 && agreements[0].Version == pro.AgreementVersion
	if joined && in == (pro.Application{}) {
		in = pro.Application{LegalName: pm.LegalName, Address: pm.Address, Country: pm.Country, EntityKind: pm.EntityKind}
	}
	title, paras := pro.AgreementParagraphs()
	data := map[string]any{
		"Joined": joined, "Pro": pm, "Agreed": agreed, "Agreements": agreements,
		"AgreementTitle": title, "AgreementParagraphs": paras, "AgreementVersion": pro.AgreementVersion,
		"Fields": proFields(in, joined, inv), "EntityKind": in.EntityKind, "EntityWhy": datamap.Field("pro_members", "entity_kind").Why,
		"Errors": fieldErrors(inv), "Share": s.Pro.ArtistShare, "Threshold": money.FormatMinor(s.Pro.PayoutThreshold), "Revealed": revealed,
	}
	if inv != nil {
		data["Error"] = inv.Summary()
	}
	if joined {
		balance, err := s.DB.Balance(ctx, m.ID, proCurrency)
		if err != nil {
			return err
		}
		months, err := s.DB.StatementMonths(ctx, m.ID)
		if err != nil {
			return err
		}
		tracks, err := s.proTracks(r, m.ID)
		if err != nil {
			return err
		}
		data["Balance"], data["Months"], data["Tracks"] = money.FormatMinor(balance), months, tracks
		data["HasVAT"] = len(pm.VATID) > 0
	}
	return s.render(w, r, status, "pro.html", "Chorus PRO", data)
}

// proTracks lists the member's tracks with whether PRO offers each.
func (s *Server) proTracks(r *http.Request, memberID int64) ([]proTrack, error) {
	artists, err := s.DB.ArtistsOfMember(r.Context(), memberID)
	if err != nil {
		return nil, err
	}
	offered, err := s.DB.ProTrackIDs(r.Context(), memberID)
	if err != nil {
		return nil, err
	}
	in := map[int64]bool{}
	for _, id := range offered {
		in[id] = true
	}
	instrumental, err := s.DB.InstrumentalTrackIDs(r.Context(), memberID)
	if err != nil {
		return nil, err
	}
	inst := map[int64]bool{}
	for _, id := range instrumental {
		inst[id] = true
	}
	var out []proTrack
	for _, a := range artists {
		ts, _, err := s.DB.Tracks(r.Context(), store.TrackFilter{ArtistID: a.ID, All: true, Order: store.UploadedDesc, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			out = append(out, proTrack{ID: t.ID, Title: t.Title, Artist: a.Name, Offered: in[t.ID], Instrumental: inst[t.ID]})
		}
	}
	return out, nil
}

// proJoin joins PRO, or changes the member's PRO details: the identity,
// the bank details (encrypted, bound to this member's row) and, when not
// yet accepted, the acceptance of the current agreement.
func (s *Server) proJoin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := s.member(r)
	in := pro.Application{LegalName: r.PostFormValue("legal_name"), Address: r.PostFormValue("address"), Country: r.PostFormValue("country"),
		EntityKind: r.PostFormValue("entity_kind"), VATID: r.PostFormValue("vat_id"), IBAN: r.PostFormValue("iban"), BIC: r.PostFormValue("bic")}
	if r.PostFormValue("accept") == "yes" {
		in.Accepted = r.PostFormValue("agreement")
	}
	var joined, agreed bool
	if _, err := s.DB.ProMember(ctx, m.ID); err == nil {
		joined = true
	} else if !errors.Is(err, chorus.ErrNotFound) {
		return err
	}
	if as, err := s.DB.Agreements(ctx, m.ID); err != nil {
		return err
	} else {
		agreed = len(as) > 0 && as[0].Version == pro.AgreementVersion
	}
	clean, err := in.Check(joined, agreed)
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		in.IBAN, in.BIC = "", ""
		return s.renderPro(w, r, http.StatusUnprocessableEntity, clean, inv, nil)
	}
	if err != nil {
		return err
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		next := store.ProMember{MemberID: m.ID, LegalName: clean.LegalName, Address: clean.Address, Country: clean.Country, EntityKind: clean.EntityKind}
		if cur, err := tx.ProMember(ctx, m.ID); err == nil {
			next.VATID, next.IBAN, next.BIC, next.IBANMasked, next.Catalogue = cur.VATID, cur.IBAN, cur.BIC, cur.IBANMasked, cur.Catalogue
			if clean.EntityKind != pro.Company || clean.Country != cur.Country {
				next.VATID = nil
			}
		} else if !errors.Is(err, chorus.ErrNotFound) {
			return err
		}
		var err error
		if clean.VATID != "" {
			if next.VATID, err = s.Vault.Encrypt(clean.VATID, pro.Place{Table: "pro_members", Column: "vat_id", Row: m.ID}); err != nil {
				return err
			}
		}
		if clean.IBAN != "" {
			if next.IBAN, err = s.Vault.Encrypt(clean.IBAN, pro.Place{Table: "pro_members", Column: "iban", Row: m.ID}); err != nil {
				return err
			}
			next.IBANMasked = money.MaskIBAN(clean.IBAN)
		}
		if clean.BIC != "" {
			if next.BIC, err = s.Vault.Encrypt(clean.BIC, pro.Place{Table: "pro_members", Column: "bic", Row: m.ID}); err != nil {
				return err
			}
		}
		if err := tx.JoinPro(ctx, next); err != nil {
			return err
		}
		if !agreed {
			return tx.AcceptAgreement(ctx, m.ID, pro.AgreementVersion)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.Logger.Info("PRO details saved", "member", m.ID, "joined_before", joined)
	if joined {
		s.flash(r, "Your PRO details are saved.")
	} else {
		s.flash(r, "Welcome to Chorus PRO. Choose below which of your tracks PRO offers.")
	}
	http.Redirect(w, r, "/studio/pro", http.StatusSeeOther)
	return nil
}

// proTracksSave says which tracks PRO offers: the whole catalogue, or
// the ticked ones.
func (s *Server) proTracksSave(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	var ids []int64
	for _, v := range r.PostForm["track"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 && len(ids) < 10000 {
			ids = append(ids, id)
		}
	}
	catalogue := r.PostFormValue("catalogue") == "yes"
	instrumental := map[string]bool{}
	for _, v := range r.PostForm["instrumental"] {
		instrumental[v] = true
	}
	tracks, err := s.proTracks(r, m.ID)
	if err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.SetProTracks(r.Context(), m.ID, catalogue, ids); err != nil {
			return err
		}
		for _, t := range tracks {
			if err := tx.SetInstrumental(r.Context(), t.ID, instrumental[strconv.FormatInt(t.ID, 10)]); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, chorus.ErrNotFound) {
		return chorus.Invalid("Join PRO first: then choose which tracks it offers.")
	}
	if err != nil {
		return err
	}
	s.flash(r, "The tracks PRO offers are saved.")
	http.Redirect(w, r, "/studio/pro", http.StatusSeeOther)
	return nil
}

// proSelling opts the member out of PRO (no new sales; licences already
// sold stay valid) or back in.
func (s *Server) proSelling(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	selling := r.PostFormValue("selling") == "yes"
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.SetProSelling(r.Context(), m.ID, selling) })
	if errors.Is(err, chorus.ErrNotFound) {
		return chorus.Invalid("You have not joined PRO.")
	}
	if err != nil {
		return err
	}
	if selling {
		s.flash(r, "PRO offers your tracks again.")
	} else {
		s.flash(r, "PRO no longer sells licences of your music. Licences already sold stay valid, and what you are owed is still paid.")
	}
	http.Redirect(w, r, "/studio/pro", http.StatusSeeOther)
	return nil
}

// proBankRemovePage explains what removing the bank details does before
// the member confirms (policy §4: deleting mandatory information may
// prevent using the related service).
func (s *Server) proBankRemovePage(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	pm, err := s.DB.ProMember(r.Context(), m.ID)
	if err != nil {
		return err
	}
	balance, err := s.DB.Balance(r.Context(), m.ID, proCurrency)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "pro_bank_remove.html", "Remove your bank details", map[string]any{
		"Pro": pm, "Balance": money.FormatMinor(balance)})
}

// proBankRemove deletes the bank details: payouts pause, the balance stays.
func (s *Server) proBankRemove(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	if r.PostFormValue("confirm") != "yes" {
		return chorus.Invalid("Tick the box to confirm that payouts pause until you give bank details again.")
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.SetProBank(r.Context(), m.ID, nil, nil, "") })
	if err != nil {
		return err
	}
	s.flash(r, "Your bank details are deleted. Payouts are paused; what you are owed stays on your balance.")
	http.Redirect(w, r, "/studio/pro", http.StatusSeeOther)
	return nil
}

// proReveal shows the member their own bank details and VAT number in
// full, once, after logging the decryption.
func (s *Server) proReveal(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := s.member(r)
	revealed := map[string]string{}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		pm, err := tx.ProMember(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, v := range []struct {
			col string
			ct  []byte
		}{{"iban", pm.IBAN}, {"bic", pm.BIC}, {"vat_id", pm.VATID}} {
			if len(v.ct) == 0 {
				continue
			}
			if err := tx.LogDecryption(ctx, store.Decryption{MemberID: m.ID, ViewerID: m.ID, Value: "pro_members." + v.col,
				Reason: "shown to the member on their PRO page"}); err != nil {
				return err
			}
			plain, err := s.Vault.Decrypt(v.ct, pro.Place{Table: "pro_members", Column: v.col, Row: m.ID})
			if err != nil {
				return err
			}
			if v.col == "iban" {
				plain = money.FormatIBAN(plain)
			}
			revealed[v.col] = plain
		}
		return nil
	})
	if errors.Is(err, chorus.ErrNotFound) {
		return chorus.Invalid("You have not joined PRO.")
	}
	if err != nil {
		return err
	}
	return s.renderPro(w, r, http.StatusOK, pro.Application{}, nil, revealed)
}

// proStatement sends the member's statement of a month as CSV or PDF.
func (s *Server) proStatement(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	month, format := r.PathValue("month"), r.PathValue("format")
	from, to, ok := pro.ParseMonth(month)
	if !ok || (format != "csv" && format != "pdf") {
		return chorus.ErrNotFound
	}
	pm, err := s.DB.ProMember(r.Context(), m.ID)
	if err != nil {
		return err
	}
	st, err := s.DB.Statement(r.Context(), m.ID, proCurrency, from, to)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name := fmt.Sprintf("chorus-pro-statement-%s.%s", month, format)
	if format == "csv" {
		err = pro.WriteStatementCSV(&buf, st)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		err = pro.WriteStatementPDF(&buf, pro.StatementHeader{Site: s.BaseURL, Payee: pm.LegalName, Month: month, IBANShown: pm.IBANMasked}, st)
		w.Header().Set("Content-Type", "application/pdf")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}
