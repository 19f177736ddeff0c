package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"chorus/internal/pro"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// fakeStripe answers the one Stripe API call Chorus makes, creating a
// Checkout Session, the way api.stripe.com does, and keeps the forms.
type fakeStripe struct {
	mu       sync.Mutex
	sessions []url.Values
	auth     []string
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" {
		http.Error(w, `{"error":{"message":"Unrecognized request URL"}}`, http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer sk_test_chorus" {
		http.Error(w, `{"error":{"message":"Invalid API Key provided"}}`, http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, `{"error":{"message":"bad form"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.sessions = append(f.sessions, r.PostForm)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	id := fmt.Sprintf("cs_test_%d", len(f.sessions))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "checkout.session", "url": "https://checkout.stripe.test/c/pay/" + id})
}

func (f *fakeStripe) last(t *testing.T) (string, url.Values) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sessions) == 0 {
		t.Fatal("no Checkout Session was created")
	}
	return fmt.Sprintf("cs_test_%d", len(f.sessions)), f.sessions[len(f.sessions)-1]
}

// postWebhook delivers a Stripe event to the server as Stripe does: a
// JSON body and a Stripe-Signature header, no cookie, no Origin.
func postWebhook(t *testing.T, base string, payload []byte, signature string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/pro/stripe/webhook", strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signature)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

var licenceRe = regexp.MustCompile(`/pro/licences/(CHL-[0-9A-Z]+)/certificate`)

// TestPROLicensing walks a licence sale end to end: an artist joins PRO
// and offers an instrumental track; an admin prices a sync licence; the
// catalogue lists and filters it with a preview; a German business buys
// one by invoice under the reverse charge and an admin marks it paid; a
// French one buys another by card through a local Stripe (VAT at the French
// rate, the webhook signed and delivered twice); each certificate PDF says
// what it must (read back with pdftotext) and the public verification page
// confirms it, refusing a wrong code; the ledger shows the split and the
// payout file pays the artist. Other members reach none of it.
func TestPROLicensing(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			stripe := &fakeStripe{}
			stripeSrv := httptest.NewServer(stripe)
			t.Cleanup(stripeSrv.Close)
			const whsec = "whsec_chorus_test"
			srv := startServer(t, d, "--pro-debtor-name", "Chorus Music SAS", "--pro-debtor-iban", "DE89370400440532013000",
				"--pro-debtor-bic", "COBADEFFXXX", "--pro-payout-threshold", "1000", "--pro-artist-share", "50",
				"--stripe-secret-key", "sk_test_chorus", "--stripe-webhook-secret", whsec, "--stripe-api-url", stripeSrv.URL)
			db := openStore(t, srv.DBURL)

			// The artist joins PRO and offers an instrumental track.
			ana := signUpArtist(t, srv.URL, "ana", "Ana and the Tones")
			_, up := ana.upload(0, uploadFile{"first.ogg", tone(t, ".ogg", 1, 440, map[string]string{"title": "First Light", "genre": "Ambient"})})
			if len(up.Results) != 1 || up.Results[0].TrackID == 0 {
				t.Fatalf("upload: %+v", up)
			}
			trackID := up.Results[0].TrackID
			if st := ana.waitTrack(trackID); st["status"] != "ready" {
				t.Fatalf("track: %v", st)
			}
			if resp, _ := ana.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(trackID)}, "licence": {"cc-by-nc-4.0"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish: %d", resp.StatusCode)
			}
			artist, err := db.MemberByLogin(ctx, "ana")
			if err != nil {
				t.Fatal(err)
			}
			_, page := newClient(t, srv.URL).get("/pro")
			if strings.Contains(string(page), "First Light") {
				t.Error("the PRO catalogue lists a track whose artist has not joined")
			}
			if resp, body := ana.postForm("/studio/pro/join", joinForm()); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("join: %d %s", resp.StatusCode, body)
			}
			if resp, _ := ana.postForm("/studio/pro/tracks", url.Values{"catalogue": {"yes"}, "instrumental": {fmt.Sprint(trackID)}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("offer: %d", resp.StatusCode)
			}

			// Line 7: only admins price products.
			createUser(t, srv, "shopkeeper", "admin", "an admin password")
			admin := logIn(t, srv.URL, "shopkeeper", "an admin password")
			product := url.Values{"kind": {"sync"}, "name": {"Sync licence, corporate"}, "tier": {"corporate"}, "price": {"200.00"}, "currency": {"EUR"},
				"territory": {"Worldwide"}, "term": {"Perpetual"}, "terms": {"One corporate video, online and at events; no broadcast, no advertising."}, "active": {"yes"}}
			lena := signUp(t, srv.URL, "lena")
			lena.verifyEmail("lena@example.org")
			if resp, _ := lena.postForm("/admin/pro/products", product); resp.StatusCode != http.StatusForbidden {
				t.Errorf("a member priced a product: %d", resp.StatusCode)
			}
			bad := url.Values{}
			for k, v := range product {
				bad[k] = v
			}
			bad.Set("price", "-3")
			if resp, body := admin.postForm("/admin/pro/products", bad); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Enter a price above zero") {
				t.Errorf("a negative price: %d", resp.StatusCode)
			}
			if resp, body := admin.postForm("/admin/pro/products", product); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("price a product: %d %s", resp.StatusCode, body)
			}
			if resp, body := admin.postForm("/admin/pro/products", url.Values{"kind": {"venue"}, "name": {"Background music, small venue"}, "tier": {pro.VenueSizes[0]},
				"period": {"month"}, "price": {"19.90"}, "territory": {"France"}, "term": {"1 month, renewed"}, "terms": {"Played in one venue."}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("price a venue subscription: %d %s", resp.StatusCode, body)
			}
			products, err := db.Products(ctx, true)
			if err != nil || len(products) != 2 {
				t.Fatalf("products: %+v %v", products, err)
			}
			var sync store.Product
			for _, p := range products {
				if p.Kind == pro.ProductSync {
					sync = p
				}
			}
			if sync.Price != 20000 || sync.Currency != "EUR" {
				t.Fatalf("the sync product: %+v", sync)
			}
			if rate, err := db.TaxRate(ctx, "FR"); err != nil || rate != 2000 {
				t.Errorf("the seeded French VAT rate: %d %v", rate, err)
			}

			// Line 6: the catalogue, its filters and previews.
			visitor := newClient(t, srv.URL)
			_, page = visitor.get("/pro?tag=ambient&vocals=instrumental")
			mustContain(t, "catalogue", page, "First Light", fmt.Sprintf(`src="/tracks/%d/stream"`, trackID), "Sync licence, corporate", "200.00 EUR")
			for _, q := range []string{"/pro?vocals=vocal", "/pro?tag=rock", "/pro?min=5"} {
				if _, page := visitor.get(q); strings.Contains(string(page), "First Light") {
					t.Errorf("%s lists the instrumental ambient one-second track", q)
				}
			}

			// Line 5: the licensee account, validated.
			account := url.Values{"company": {"Lena Films GmbH"}, "vat_id": {"DE136695976"}, "address": {"Hauptstraße 1\n10115 Berlin"}, "country": {"DE"}, "email": {"accounts@lenafilms.example"}}
			f := url.Values{}
			for k, v := range account {
				f[k] = v
			}
			f.Set("vat_id", "FR40303265045")
			if resp, body := lena.postForm("/pro/account", f); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "should start with DE") {
				t.Errorf("a VAT number of another country: %d", resp.StatusCode)
			}
			if resp, _ := lena.postForm("/pro/orders", url.Values{"track": {fmt.Sprint(trackID)}, "product": {fmt.Sprint(sync.ID)}, "project": {"Launch"}, "provider": {"invoice"}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("an order without a licensee account: %d", resp.StatusCode)
			}
			if resp, body := lena.postForm("/pro/account", account); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("licensee account: %d %s", resp.StatusCode, body)
			}

			// Line 8a: an order by invoice, under the reverse charge.
			resp, body := lena.postForm("/pro/orders", url.Values{"track": {fmt.Sprint(trackID)}, "product": {fmt.Sprint(sync.ID)}, "project": {"Launch video 2027"}, "provider": {"invoice"}})
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/pro/orders/") {
				t.Fatalf("order by invoice: %d %s", resp.StatusCode, body)
			}
			orderPath := resp.Header.Get("Location")
			_, page = lena.get(orderPath)
			mustContain(t, "order page", page, "awaiting payment", pro.ReverseChargeNote, "200.00 EUR", "Launch video 2027")
			resp, invoice := lena.get(orderPath + "/invoice")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("invoice: %d", resp.StatusCode)
			}
			text := pdfText(t, invoice)
			for _, want := range []string{"Bill to: Lena Films GmbH", "VAT number: DE136695976", "Net: 200.00 EUR", "VAT (0.00%): 0.00 EUR", "Total: 200.00 EUR", pro.ReverseChargeNote, "First Light by Ana and the Tones"} {
				if !strings.Contains(text, want) {
					t.Errorf("the invoice lacks %q:\n%s", want, text)
				}
			}

			// Authorisation: other members see none of it; only admins mark paid.
			bruno := signUp(t, srv.URL, "bruno")
			bruno.verifyEmail("bruno@example.org")
			orderID := strings.TrimPrefix(orderPath, "/pro/orders/")
			for _, p := range []string{orderPath, orderPath + "/invoice"} {
				if resp, _ := bruno.get(p); resp.StatusCode != http.StatusNotFound {
					t.Errorf("another member's GET %s: %d", p, resp.StatusCode)
				}
			}
			if _, page := bruno.get("/pro/orders"); strings.Contains(string(page), "Lena Films") {
				t.Error("another member's orders list shows Lena's order")
			}
			for _, c := range []*client{lena, bruno} {
				if resp, _ := c.postForm("/admin/pro/orders/"+orderID+"/paid", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusForbidden {
					t.Errorf("a member marked an order paid: %d", resp.StatusCode)
				}
				if resp, _ := c.get("/admin/pro/orders"); resp.StatusCode != http.StatusForbidden {
					t.Errorf("a member saw the orders: %d", resp.StatusCode)
				}
			}
			if b, _ := db.Balance(ctx, artist.ID, "EUR"); b != 0 {
				t.Errorf("an unpaid order moved the artist's balance: %d", b)
			}
			_, page = admin.get("/admin/pro/orders")
			mustContain(t, "admin orders", page, "Lena Films GmbH", "Mark paid", "(reverse charge)")
			if resp, body := admin.postForm("/admin/pro/orders/"+orderID+"/paid", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("mark paid: %d %s", resp.StatusCode, body)
			}
			if resp, _ := admin.postForm("/admin/pro/orders/"+orderID+"/paid", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusConflict {
				t.Errorf("marking paid twice: %d", resp.StatusCode)
			}
			if b, _ := db.Balance(ctx, artist.ID, "EUR"); b != 10000 {
				t.Errorf("the artist's balance after the invoice sale: %d, want 10000 (50%% of 200.00)", b)
			}

			// Line 9: the certificate and its verification.
			_, page = lena.get(orderPath)
			m := licenceRe.FindSubmatch(page)
			if m == nil {
				t.Fatalf("no certificate link on the paid order:\n%s", page)
			}
			licenceID := string(m[1])
			if resp, _ := bruno.get(string(m[0])); resp.StatusCode != http.StatusNotFound {
				t.Errorf("another member's certificate: %d", resp.StatusCode)
			}
			resp, cert := lena.get(string(m[0]))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("certificate: %d", resp.StatusCode)
			}
			text = pdfText(t, cert)
			for _, want := range []string{"Chorus PRO licence certificate", "Licence: " + licenceID, "Licensee: Lena Films GmbH", "Use: Sync licence, corporate (corporate)",
				"Project: Launch video 2027", "Territory: Worldwide", "Term: Perpetual", "Date of issue: " + time.Now().UTC().Format("2006-01-02"),
				"First Light by Ana and the Tones", "One corporate video, online and at events", "/pro/verify/" + licenceID} {
				if !strings.Contains(text, want) {
					t.Errorf("the certificate lacks %q:\n%s", want, text)
				}
			}
			cm := regexp.MustCompile(`Verification code: ([0-9A-Z]{16})`).FindStringSubmatch(text)
			if cm == nil {
				t.Fatalf("no verification code on the certificate:\n%s", text)
			}
			resp, page = visitor.get("/pro/verify/" + licenceID + "?code=" + cm[1])
			mustContain(t, "verification", page, "Licence "+licenceID+" is valid", "Lena Films GmbH", "First Light", "Worldwide", "Perpetual")
			if resp.StatusCode != http.StatusOK {
				t.Errorf("verification: %d", resp.StatusCode)
			}
			for _, private := range []string{"DE136695976", "Hauptstraße", "accounts@lenafilms", "Launch video", "200.00"} {
				if strings.Contains(string(page), private) {
					t.Errorf("the public verification page shows %q", private)
				}
			}
			resp, page = visitor.get("/pro/verify?id=" + licenceID + "&code=" + cm[1])
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "is valid") {
				t.Errorf("verification through the form: %d", resp.StatusCode)
			}
			for _, wrong := range []string{"/pro/verify/" + licenceID + "?code=AAAAAAAAAAAAAAAA", "/pro/verify/" + licenceID, "/pro/verify/CHL-NOSUCH?code=" + cm[1]} {
				resp, page := visitor.get(wrong)
				if resp.StatusCode != http.StatusNotFound || strings.Contains(string(page), "Lena Films") || !strings.Contains(string(page), "No licence matches") {
					t.Errorf("%s: %d", wrong, resp.StatusCode)
				}
			}

			// Line 8b: by card through Stripe Checkout, VAT at the French rate.
			marc := signUp(t, srv.URL, "marc")
			marc.verifyEmail("marc@example.org")
			if resp, body := marc.postForm("/pro/account", url.Values{"company": {"Marc Vidéo SARL"}, "address": {"2 rue Neuve\n69001 Lyon"}, "country": {"FR"}, "email": {"marc@example.org"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("second licensee: %d %s", resp.StatusCode, body)
			}
			resp, body = marc.postForm("/pro/orders", url.Values{"track": {fmt.Sprint(trackID)}, "product": {fmt.Sprint(sync.ID)}, "project": {"Wedding film"}, "provider": {"stripe"}})
			sessionID, form := stripe.last(t)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://checkout.stripe.test/c/pay/"+sessionID {
				t.Fatalf("order by card: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if form.Get("mode") != "payment" || form.Get("line_items[0][price_data][unit_amount]") != "24000" || form.Get("line_items[0][price_data][currency]") != "eur" ||
				!strings.HasPrefix(form.Get("client_reference_id"), "CHO-") || !strings.HasPrefix(form.Get("success_url"), srv.URL+"/pro/orders/") {
				t.Errorf("the Checkout Session asked for: %v", form)
			}
			reference := form.Get("client_reference_id")
			marcOrders, err := db.OrdersOf(ctx, mustMember(t, db, "marc"))
			if err != nil || len(marcOrders) != 1 || marcOrders[0].Tax != 4000 || marcOrders[0].ReverseCharge || marcOrders[0].Paid() {
				t.Fatalf("the card order before payment: %+v %v", marcOrders, err)
			}
			event, _ := json.Marshal(map[string]any{"id": "evt_1", "type": "checkout.session.completed",
				"data": map[string]any{"object": map[string]any{"id": sessionID, "object": "checkout.session", "client_reference_id": reference, "payment_status": "paid"}}})
			for name, sig := range map[string]string{
				"a wrong secret":  pro.SignWebhook("whsec_wrong", event, time.Now()),
				"an old delivery": pro.SignWebhook(whsec, event, time.Now().Add(-10*time.Minute)),
				"no signature":    "",
			} {
				if st := postWebhook(t, srv.URL, event, sig); st < 400 || st >= 500 {
					t.Errorf("a webhook with %s: %d", name, st)
				}
			}
			if o, _ := db.Order(ctx, marcOrders[0].ID); o.Paid() {
				t.Fatal("an unsigned webhook paid the order")
			}
			for i := range 2 {
				if st := postWebhook(t, srv.URL, event, pro.SignWebhook(whsec, event, time.Now())); st != http.StatusOK {
					t.Fatalf("webhook delivery %d: %d", i+1, st)
				}
			}
			o, err := db.Order(ctx, marcOrders[0].ID)
			if err != nil || !o.Paid() || o.Licence == "" {
				t.Fatalf("the card order after the webhook: %+v %v", o, err)
			}
			if b, _ := db.Balance(ctx, artist.ID, "EUR"); b != 20000 {
				t.Errorf("the artist's balance after a webhook delivered twice: %d, want 20000", b)
			}
			_, page = marc.get(fmt.Sprintf("/pro/licences/%s/certificate", o.Licence))
			if text := pdfText(t, page); !strings.Contains(text, "Licensee: Marc Vidéo SARL") || !strings.Contains(text, "Project: Wedding film") {
				t.Errorf("the card licence's certificate:\n%s", text)
			}

			// Line 11/12 through the sales: the split and the payout file.
			if rev, _ := db.AccountBalance(ctx, store.Revenue, 0, "EUR"); rev != -20000 {
				t.Errorf("the site's revenue %d, want -20000 (its half of two sales)", rev)
			}
			if cash, _ := db.AccountBalance(ctx, store.Cash, 0, "EUR"); cash != 40000 {
				t.Errorf("cash %d, want 40000", cash)
			}
			if bad, err := db.UnbalancedTransactions(ctx); err != nil || len(bad) > 0 {
				t.Errorf("unbalanced transactions: %v %v", bad, err)
			}
			if resp, body := admin.postForm("/admin/pro/payouts", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("make batch: %d %s", resp.StatusCode, body)
			}
			_, page = admin.get("/admin/pro/payouts")
			link := regexp.MustCompile(`/admin/pro/payouts/\d+/file`).Find(page)
			if link == nil {
				t.Fatalf("no payout file link:\n%s", page)
			}
			_, file := admin.get(string(link))
			var pf painPayouts
			if err := xml.Unmarshal(file, &pf); err != nil {
				t.Fatal(err)
			}
			if len(pf.Txs) != 1 || pf.Txs[0].IBAN != anaIBAN || pf.Txs[0].Amount != "200.00" || pf.Txs[0].Name != "Ana Lima SARL" || pf.CtrlSum != "200.00" {
				t.Errorf("the payout file: %+v", pf)
			}

			// Opting out stops new sales; the licences sold stay valid.
			ana.postForm("/studio/pro/selling", url.Values{"selling": {"no"}})
			if resp, _ := lena.postForm("/pro/orders", url.Values{"track": {fmt.Sprint(trackID)}, "product": {fmt.Sprint(sync.ID)}, "project": {"Again"}, "provider": {"invoice"}}); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("an order of a track opted out: %d", resp.StatusCode)
			}
			if _, page := visitor.get("/pro/verify/" + licenceID + "?code=" + cm[1]); !strings.Contains(string(page), "is valid") {
				t.Error("opting out invalidated a licence sold")
			}
		})
	}
}

func mustMember(t *testing.T, db *store.DB, login string) int64 {
	t.Helper()
	m, err := db.MemberByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}
