package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/money"
	"chorus/internal/pro"
	"chorus/internal/store"
)

// Licensing pages: the PRO catalogue and shop for licensees, their orders
// and licences, the public verification of a licence, and the admin's
// price list, tax rates and orders.

// errPaymentService is the kind of error of a payment provider that did
// not answer as expected: a server-side failure with a safe message.
var errPaymentService = errors.New("payment service failed")

// licenseeFields are the licensee profile's fields, labelled from the
// data map.
func licenseeFields(l store.Licensee, inv *chorus.InvalidError) []FieldInfo {
	errs := fieldErrors(inv)
	return []FieldInfo{
		asked("licensees", "company", FieldInfo{Name: "company", Label: "Company name", Type: "text", Autocomplete: "organization", MaxLen: pro.MaxCompany, Value: l.Company, Error: errs["company"]}),
		asked("licensees", "vat_id", FieldInfo{Name: "vat_id", Label: "VAT number (EU businesses)", Type: "text", MaxLen: 20, Value: l.VATID, Error: errs["vat_id"]}),
		asked("licensees", "address", FieldInfo{Name: "address", Label: "Billing address", Type: "textarea", MaxLen: pro.MaxAddress, Value: l.Address, Error: errs["address"]}),
		asked("licensees", "country", FieldInfo{Name: "country", Label: "Country (two-letter code, like FR)", Type: "text", Autocomplete: "country", MaxLen: 2, Value: l.Country, Error: errs["country"]}),
		asked("licensees", "email", FieldInfo{Name: "email", Label: "Contact email for invoices and licences", Type: "email", Autocomplete: "email", MaxLen: pro.MaxEmail, Value: l.Email, Error: errs["email"]}),
	}
}

// licenseeForm shows the member's licensee profile.
func (s *Server) licenseeForm(w http.ResponseWriter, r *http.Request) error {
	l, err := s.DB.Licensee(r.Context(), s.member(r).ID)
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		return err
	}
	return s.render(w, r, http.StatusOK, "pro_account.html", "Licensee account", map[string]any{"Fields": licenseeFields(l, nil), "Exists": err == nil})
}

// saveLicensee creates or changes the member's licensee profile.
func (s *Server) saveLicensee(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	in := store.Licensee{MemberID: m.ID, Company: r.PostFormValue("company"), VATID: r.PostFormValue("vat_id"),
		Address: r.PostFormValue("address"), Country: r.PostFormValue("country"), Email: r.PostFormValue("email")}
	l, err := pro.CheckLicensee(in)
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		return s.render(w, r, http.StatusUnprocessableEntity, "pro_account.html", "Licensee account",
			map[string]any{"Fields": licenseeFields(l, inv), "Error": inv.Summary()})
	}
	if err != nil {
		return err
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.SaveLicensee(r.Context(), l) }); err != nil {
		return err
	}
	s.flash(r, "Your licensee account is saved.")
	http.Redirect(w, r, "/pro/account", http.StatusSeeOther)
	return nil
}

// catalogueTrack is a track of the PRO catalogue page.
type catalogueTrack struct {
	chorus.Track
	Instrumental bool
}

// proCatalogue lists the tracks PRO sells licences for, with filters,
// previews and, for members, the form to buy a licence.
func (s *Server) proCatalogue(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.CatalogueFilter{Tag: strings.ToLower(strings.TrimSpace(q.Get("tag"))), Vocals: q.Get("vocals")}
	if f.Vocals != "vocal" && f.Vocals != "instrumental" {
		f.Vocals = ""
	}
	if len(f.Tag) > 50 {
		f.Tag = ""
	}
	minS, _ := strconv.Atoi(q.Get("min"))
	maxS, _ := strconv.Atoi(q.Get("max"))
	if minS > 0 && minS < 100000 {
		f.MinDuration = time.Duration(minS) * time.Second
	}
	if maxS > 0 && maxS < 100000 {
		f.MaxDuration = time.Duration(maxS) * time.Second
	}
	ts, inst, err := s.DB.ProCatalogue(r.Context(), pro.AgreementVersion, f)
	if err != nil {
		return err
	}
	var tracks []catalogueTrack
	for _, t := range ts {
		tracks = append(tracks, catalogueTrack{Track: t, Instrumental: inst[t.ID]})
	}
	products, err := s.DB.Products(r.Context(), true)
	if err != nil {
		return err
	}
	data := map[string]any{"Tracks": tracks, "Products": products, "Tag": f.Tag, "Vocals": f.Vocals,
		"Min": q.Get("min"), "Max": q.Get("max"), "Stripe": s.Pro.Stripe != nil}
	if s.member(r) != nil {
		_, err := s.DB.Licensee(r.Context(), s.member(r).ID)
		data["Licensee"] = err == nil
	}
	return s.render(w, r, http.StatusOK, "pro_catalogue.html", "Chorus PRO licences", data)
}

// paymentProvider returns the payment provider by name; only invoice without
// Stripe configured.
func (s *Server) paymentProvider(name string) (pro.PaymentProvider, bool) {
	switch {
	case name == "stripe" && s.Pro.Stripe != nil:
		return s.Pro.Stripe, true
	case name == "invoice" || name == "":
		return pro.InvoiceProvider{}, true
	}
	return nil, false
}

// createOrder orders a licence of one track: priced and taxed for the
// licensee, then handed to the payment provider chosen.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m := s.member(r)
	l, err := s.DB.Licensee(ctx, m.ID)
	if errors.Is(err, chorus.ErrNotFound) {
		return chorus.Invalid("Fill in your licensee account first: invoices and licences are made out to it.")
	} else if err != nil {
		return err
	}
	inv := &chorus.InvalidError{}
	trackID, _ := strconv.ParseInt(r.PostFormValue("track"), 10, 64)
	productID, _ := strconv.ParseInt(r.PostFormValue("product"), 10, 64)
	project := chorus.CleanText(r.PostFormValue("project"), pro.MaxProject+1, false)
	if len([]rune(project)) > pro.MaxProject {
		inv.Add("project", "Keep the project's name to 200 characters.")
	}
	prov, ok := s.paymentProvider(r.PostFormValue("provider"))
	if !ok {
		inv.Add("provider", "Choose how to pay: by invoice, or by card when offered.")
	}
	product, err := s.DB.Product(ctx, productID)
	if err != nil || !product.Active {
		inv.Add("product", "Choose a licence from the price list.")
	}
	if product.Kind == pro.ProductSync && strings.TrimSpace(project) == "" {
		inv.Add("project", "Name the project the sync licence is for.")
	}
	artistMember, sellable, err := s.DB.ProSellable(ctx, trackID, pro.AgreementVersion)
	if err != nil {
		return err
	}
	var track chorus.Track
	if sellable {
		if track, err = s.DB.Track(ctx, trackID); err != nil || !track.Public() {
			sellable = false
		}
	}
	if !sellable {
		inv.Add("track", "This track is not offered through PRO.")
	}
	if len(inv.Fields) > 0 {
		inv.Message = "Nothing was ordered: " + inv.Summary()
		return inv
	}
	rate, err := s.DB.TaxRate(ctx, l.Country)
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		return err
	}
	q := pro.PriceFor(product.Price, rate, l.Country, l.VATID, s.Pro.SellerCountry)
	o := store.Order{Reference: "CHO-" + strings.TrimPrefix(pro.NewLicenceID(), "CHL-"), MemberID: m.ID, ProductID: product.ID, ProductName: product.Name,
		Project: project, Company: l.Company, VATID: l.VATID, Address: l.Address, Country: l.Country, Currency: product.Currency,
		Net: q.Net, TaxRate: q.Rate, Tax: q.Tax, ReverseCharge: q.ReverseCharge, Provider: prov.Name(),
		Lines: []store.OrderLine{{TrackID: track.ID, TrackTitle: track.Title, ArtistName: track.ArtistName, ArtistMemberID: artistMember, Amount: q.Net}}}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		o.ID, err = tx.CreateOrder(ctx, o)
		return err
	})
	if err != nil {
		return err
	}
	co, err := prov.Checkout(ctx, o, s.BaseURL+"/pro/orders/"+strconv.FormatInt(o.ID, 10))
	if err != nil {
		s.Logger.Error("payment checkout failed", "order", o.ID, "provider", prov.Name(), "err", err)
		return &chorus.SafeError{Kind: errPaymentService, Err: err,
			Safe: "The payment service did not answer. Your order " + o.Reference + " is saved: pay it by invoice from its page, or try again later."}
	}
	if co.Ref != "" {
		if err := s.DB.Tx(ctx, func(tx *store.Tx) error { return tx.SetOrderProviderRef(ctx, o.ID, co.Ref) }); err != nil {
			return err
		}
	}
	s.Logger.Info("PRO order created", "order", o.ID, "provider", prov.Name())
	if co.RedirectURL != "" {
		http.Redirect(w, r, co.RedirectURL, http.StatusSeeOther)
		return nil
	}
	s.flash(r, "Order "+o.Reference+" is awaiting payment: its invoice says how to pay.")
	http.Redirect(w, r, "/pro/orders/"+strconv.FormatInt(o.ID, 10), http.StatusSeeOther)
	return nil
}

// ownOrder returns the order in the path if it is the member's;
// chorus.ErrNotFound otherwise, so others' orders do not show they exist.
func (s *Server) ownOrder(r *http.Request) (store.Order, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Order{}, chorus.ErrNotFound
	}
	o, err := s.DB.Order(r.Context(), id)
	if err != nil {
		return o, err
	}
	if o.MemberID != s.member(r).ID {
		return store.Order{}, chorus.ErrNotFound
	}
	return o, nil
}

// myOrders lists the member's orders and licences.
func (s *Server) myOrders(w http.ResponseWriter, r *http.Request) error {
	os, err := s.DB.OrdersOf(r.Context(), s.member(r).ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "pro_orders.html", "Your PRO orders", map[string]any{"Orders": os})
}

// orderPage shows one of the member's orders.
func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) error {
	o, err := s.ownOrder(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "pro_order.html", "Order "+o.Reference, map[string]any{"Order": o, "ReverseChargeNote": pro.ReverseChargeNote})
}

func sendPDF(w http.ResponseWriter, name string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

// orderInvoice sends the invoice of one of the member's orders.
func (s *Server) orderInvoice(w http.ResponseWriter, r *http.Request) error {
	o, err := s.ownOrder(r)
	if err != nil {
		return err
	}
	return sendPDF(w, "invoice-"+o.Reference+".pdf", func(w io.Writer) error {
		return pro.WriteInvoicePDF(w, pro.DocumentHeader{Site: s.BaseURL}, o)
	})
}

// licenceCertificate sends the certificate of one of the member's
// licences.
func (s *Server) licenceCertificate(w http.ResponseWriter, r *http.Request) error {
	l, err := s.DB.Licence(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if l.Order.MemberID != s.member(r).ID {
		return chorus.ErrNotFound
	}
	product, err := s.DB.Product(r.Context(), l.Order.ProductID)
	if err != nil {
		return err
	}
	c := pro.Certificate{Site: s.BaseURL, ID: l.ID, Code: l.Code, Order: l.Order, Product: product, IssuedAt: l.IssuedAt.UTC().Format("2006-01-02"),
		VerifyURL: s.BaseURL + "/pro/verify/" + l.ID + "?code=" + url.QueryEscape(l.Code)}
	return sendPDF(w, "licence-"+l.ID+".pdf", func(w io.Writer) error { return pro.WriteCertificatePDF(w, c) })
}

// verifyLicence is the public verification of a licence from its id and
// the code printed on its certificate. It shows only the licensee's
// company name and what the licence covers; a wrong code shows nothing.
func (s *Server) verifyLicence(w http.ResponseWriter, r *http.Request) error {
	id := strings.TrimSpace(r.PathValue("id"))
	if id == "" {
		id = strings.TrimSpace(r.URL.Query().Get("id"))
	}
	code := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("code")))
	data := map[string]any{"ID": id, "Code": code}
	if id == "" && code == "" {
		return s.render(w, r, http.StatusOK, "pro_verify.html", "Verify a licence", data)
	}
	l, err := s.DB.Licence(r.Context(), id)
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		return err
	}
	if err != nil || len(id) > 40 || subtle.ConstantTimeCompare([]byte(l.Code), []byte(code)) != 1 {
		data["Refused"] = true
		return s.render(w, r, http.StatusNotFound, "pro_verify.html", "Verify a licence", data)
	}
	product, err := s.DB.Product(r.Context(), l.Order.ProductID)
	if err != nil {
		return err
	}
	data["Licence"], data["Product"] = l, product
	return s.render(w, r, http.StatusOK, "pro_verify.html", "Verify a licence", data)
}

// stripeWebhook receives Stripe's events: a checkout.session.completed
// for a paid session pays its order, once however often it is delivered.
func (s *Server) stripeWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.Pro.Stripe == nil {
		return chorus.ErrNotFound
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return chorus.Invalid("The event could not be read.")
	}
	if err := s.Pro.Stripe.VerifyWebhook(payload, r.Header.Get("Stripe-Signature"), s.Now()); err != nil {
		s.Logger.Warn("stripe webhook refused", "err", err)
		return chorus.Invalid("The signature of this event does not verify.")
	}
	ev, ok, err := pro.ParseEvent(payload)
	if err != nil {
		return chorus.Invalid("The event could not be read.")
	}
	if ok && ev.Paid {
		o, err := s.DB.OrderByProviderRef(r.Context(), "stripe", ev.SessionID)
		if err != nil {
			return err
		}
		if o.Reference != ev.Reference {
			return chorus.Invalid("The session does not belong to this order.")
		}
		if err := s.fulfil(r.Context(), o, 0); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// fulfil pays an order awaiting payment: its licence is issued and the
// sale is posted to the ledger, split with the artists. Paying an order
// already paid changes nothing.
func (s *Server) fulfil(ctx context.Context, o store.Order, paidBy int64) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		changed, err := tx.MarkOrderPaid(ctx, o.ID, paidBy)
		if err != nil || !changed {
			return err
		}
		if err := tx.IssueLicence(ctx, pro.NewLicenceID(), o.ID, pro.NewVerificationCode()); err != nil {
			return err
		}
		sale := store.Sale{Reference: o.Reference, Currency: o.Currency, ArtistShare: s.Pro.ArtistShare * 100, Memo: o.ProductName}
		for _, l := range o.Lines {
			sale.Lines = append(sale.Lines, store.SaleLine{MemberID: l.ArtistMemberID, Amount: l.Amount})
		}
		_, err = tx.PostSale(ctx, sale)
		return err
	})
}

// adminOrders lists every order, with the form to mark one paid.
func (s *Server) adminOrders(w http.ResponseWriter, r *http.Request) error {
	os, err := s.DB.AllOrders(r.Context(), 200)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_pro_orders.html", "PRO orders", map[string]any{"Orders": os})
}

// adminOrderPaid marks an order paid on the admin's word that the money
// arrived.
func (s *Server) adminOrderPaid(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return chorus.ErrNotFound
	}
	if r.PostFormValue("confirm") != "yes" {
		return chorus.Invalid("Tick the box to confirm the payment arrived.")
	}
	o, err := s.DB.Order(r.Context(), id)
	if err != nil {
		return err
	}
	if o.Paid() {
		return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "This order is paid already."}
	}
	admin := s.member(r)
	if err := s.fulfil(r.Context(), o, admin.ID); err != nil {
		return err
	}
	s.Logger.Info("PRO order marked paid", "order", o.ID, "admin", admin.ID)
	s.flash(r, "Order "+o.Reference+" is paid: its licence is issued.")
	http.Redirect(w, r, "/admin/pro/orders", http.StatusSeeOther)
	return nil
}

// adminProducts shows the price list and the tax rates.
func (s *Server) adminProducts(w http.ResponseWriter, r *http.Request) error {
	return s.renderProducts(w, r, http.StatusOK, nil, store.Product{})
}

func (s *Server) renderProducts(w http.ResponseWriter, r *http.Request, status int, inv *chorus.InvalidError, in store.Product) error {
	ps, err := s.DB.Products(r.Context(), false)
	if err != nil {
		return err
	}
	rates, err := s.DB.TaxRates(r.Context())
	if err != nil {
		return err
	}
	data := map[string]any{"Products": ps, "Rates": rates, "SyncTiers": pro.SyncTiers, "VenueSizes": pro.VenueSizes, "In": in, "Errors": fieldErrors(inv)}
	if inv != nil {
		data["Error"] = inv.Summary()
	}
	return s.render(w, r, status, "admin_pro_products.html", "PRO price list", data)
}

// adminSaveProduct adds a product to the price list, or changes one.
func (s *Server) adminSaveProduct(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if v := r.PathValue("id"); v != "" {
		var err error
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
			return chorus.ErrNotFound
		}
		if _, err := s.DB.Product(r.Context(), id); err != nil {
			return err
		}
	}
	price, ok := pro.ParseAmount(r.PostFormValue("price"))
	if !ok {
		price = -1
	}
	in := store.Product{ID: id, Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"), Tier: r.PostFormValue("tier"), Period: r.PostFormValue("period"),
		Price: price, Currency: r.PostFormValue("currency"), Territory: r.PostFormValue("territory"), Term: r.PostFormValue("term"),
		Terms: r.PostFormValue("terms"), Active: r.PostFormValue("active") != "no"}
	p, err := pro.CheckProduct(in)
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		if id != 0 {
			return inv
		}
		return s.renderProducts(w, r, http.StatusUnprocessableEntity, inv, p)
	}
	if err != nil {
		return err
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { _, err := tx.SaveProduct(r.Context(), p); return err }); err != nil {
		return err
	}
	s.flash(r, "The price list is saved.")
	http.Redirect(w, r, "/admin/pro/products", http.StatusSeeOther)
	return nil
}

// adminSaveTaxRate sets a country's VAT rate, given in percent.
func (s *Server) adminSaveTaxRate(w http.ResponseWriter, r *http.Request) error {
	country := strings.ToUpper(strings.TrimSpace(r.PostFormValue("country")))
	rate, ok := pro.ParseAmount(r.PostFormValue("rate"))
	inv := &chorus.InvalidError{}
	if len(country) != 2 || !money.KnownCountry(country) {
		inv.Add("country", "Enter the two-letter code of the country, like FR.")
	}
	if !ok || rate > 10000 {
		inv.Add("rate", "Enter the rate in percent, from 0 to 100, like 20 or 25.5.")
	}
	if len(inv.Fields) > 0 {
		inv.Message = "Nothing was saved: " + inv.Summary()
		return inv
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		return tx.SetTaxRate(r.Context(), store.TaxRate{Country: country, Rate: rate})
	}); err != nil {
		return err
	}
	s.flash(r, fmt.Sprintf("The VAT rate of %s is %s%%.", country, money.FormatMinor(rate)))
	http.Redirect(w, r, "/admin/pro/products", http.StatusSeeOther)
	return nil
}
