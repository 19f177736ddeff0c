package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"chorus/internal/datamap"
	"chorus/internal/pro"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

const (
	anaIBAN      = "FR7630006000011234567890189"
	anaIBANPaper = "FR76 3000 6000 0112 3456 7890 189"
)

// joinForm is a complete application to PRO, with the agreement ticked.
func joinForm() url.Values {
	return url.Values{"legal_name": {"Ana Lima SARL"}, "address": {"1 rue de la Paix\n75002 Paris"}, "country": {"FR"},
		"entity_kind": {"company"}, "vat_id": {"FR40303265045"}, "iban": {anaIBANPaper}, "bic": {"BNPAFRPP"},
		"accept": {"yes"}, "agreement": {pro.AgreementVersion}}
}

// pdfText extracts the text of a PDF with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext (Debian package poppler-utils): %v", err)
	}
	return string(out)
}

// painPayouts is what the test reads back from a payout file.
type painPayouts struct {
	MsgID   string `xml:"CstmrCdtTrfInitn>GrpHdr>MsgId"`
	NbOfTxs string `xml:"CstmrCdtTrfInitn>GrpHdr>NbOfTxs"`
	CtrlSum string `xml:"CstmrCdtTrfInitn>GrpHdr>CtrlSum"`
	Txs     []struct {
		Amount string `xml:"Amt>InstdAmt"`
		IBAN   string `xml:"CdtrAcct>Id>IBAN"`
		BIC    string `xml:"CdtrAgt>FinInstnId>BIC"`
		Name   string `xml:"Cdtr>Nm"`
	} `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf"`
}

// TestPROJoinSellPayOut walks Chorus PRO through the program: an artist
// joins with the agreement and bank details (validated, encrypted, shown
// masked), offers their catalogue and opts out and in; sales and a refund
// are posted to the ledger and show on the balance and the monthly
// statements (CSV, and PDF read back with pdftotext); no one else sees
// any of it; an admin makes the payout batch, downloads the SEPA file
// with the artist's IBAN and amount and marks it paid; removing the bank
// details pauses payouts with the balance kept; and rotating the keys
// re-encrypts everything while the server still reads it.
func TestPROJoinSellPayOut(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			srv := startServer(t, d, "--pro-debtor-name", "Chorus Music SAS", "--pro-debtor-iban", "DE89370400440532013000",
				"--pro-debtor-bic", "COBADEFFXXX", "--pro-payout-threshold", "1000", "--pro-artist-share", "50")
			db := openStore(t, srv.DBURL)
			keyset := filepath.Join(srv.DataDir, "pro-keyset.json")
			if fi, err := os.Stat(keyset); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("the keyset made on first start: %v %v", fi, err)
			}

			ana := signUpArtist(t, srv.URL, "ana", "Ana and the Tones")
			_, up := ana.upload(0, uploadFile{"first.ogg", tone(t, ".ogg", 1, 440, map[string]string{"title": "First Light"})})
			if len(up.Results) != 1 || up.Results[0].TrackID == 0 {
				t.Fatalf("upload: %+v", up)
			}
			trackID := up.Results[0].TrackID
			ana.waitTrack(trackID)
			member, err := db.MemberByLogin(ctx, "ana")
			if err != nil {
				t.Fatal(err)
			}

			// Line 2: what is asked, required, and why, from the data map.
			_, page := ana.get("/studio/pro")
			mustContain(t, "join page", page, "Chorus PRO distribution agreement", "Legal name", "IBAN", "(required)",
				datamap.Field("pro_members", "iban").Why, datamap.Field("pro_members", "legal_name").Why)

			// Mistakes are refused whole, each said in words.
			for field, bad := range map[string]string{"iban": "FR76 3000 6000 0112 3456 7890 188", "bic": "BNPA1RPP", "vat_id": "DE136695976", "accept": ""} {
				f := joinForm()
				f.Set(field, bad)
				resp, body := ana.postForm("/studio/pro/join", f)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("join with a bad %s: %d", field, resp.StatusCode)
				}
				if bytes.Contains(body, []byte(anaIBANPaper)) {
					t.Errorf("the form echoed the IBAN back in full")
				}
			}
			if _, err := db.ProMember(ctx, member.ID); err == nil {
				t.Fatal("a refused application was saved")
			}

			if resp, body := ana.postForm("/studio/pro/join", joinForm()); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("join: %d %s", resp.StatusCode, body)
			}
			pm, err := db.ProMember(ctx, member.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Line 3: encrypted at rest, shown masked.
			for _, ct := range [][]byte{pm.IBAN, pm.BIC, pm.VATID} {
				if len(ct) == 0 || bytes.Contains(ct, []byte("3000600001")) || bytes.Contains(ct, []byte("BNPA")) || bytes.Contains(ct, []byte("303265045")) {
					t.Errorf("a secret is stored in clear or missing: %q", ct)
				}
			}
			as, err := db.Agreements(ctx, member.ID)
			if err != nil || len(as) != 1 || as[0].Version != pro.AgreementVersion || time.Since(as[0].AcceptedAt) > time.Minute {
				t.Fatalf("agreement acceptance: %+v %v", as, err)
			}
			_, page = ana.get("/studio/pro")
			mustContain(t, "PRO page", page, "FR76 •••• 0189", "Your balance")
			if bytes.Contains(page, []byte("3000 6000")) || bytes.Contains(page, []byte("3000600001")) {
				t.Error("the PRO page shows the IBAN unmasked")
			}

			_, page = ana.get("/settings/data")
			mustContain(t, "your data page", page, "PRO bank details", "FR76 •••• 0189", `href="/studio/pro/bank/remove"`, "PRO payouts pause", "Ana Lima SARL")

			// Line 1: opting in the catalogue, out and in again.
			sellable := func() bool {
				_, ok, err := db.ProSellable(ctx, trackID, pro.AgreementVersion)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			if sellable() {
				t.Error("a track is sellable before it is offered")
			}
			ana.postForm("/studio/pro/tracks", url.Values{"catalogue": {"yes"}})
			if !sellable() {
				t.Error("the catalogue was offered but the track is not sellable")
			}
			ana.postForm("/studio/pro/tracks", url.Values{"track": {fmt.Sprint(trackID)}})
			if !sellable() {
				t.Error("the track was offered alone but is not sellable")
			}
			ana.postForm("/studio/pro/selling", url.Values{"selling": {"no"}})
			if sellable() {
				t.Error("opting out did not stop new sales")
			}
			ana.postForm("/studio/pro/selling", url.Values{"selling": {"yes"}})
			if !sellable() {
				t.Error("opting back in did not allow sales")
			}

			// Line 11: sales split and a refund reversed, in the ledger.
			for _, s := range []store.Sale{
				{Reference: "order-1", Currency: "EUR", ArtistShare: 5000, Lines: []store.SaleLine{{MemberID: member.ID, Amount: 2001}}},
				{Reference: "order-2", Currency: "EUR", ArtistShare: 5000, Lines: []store.SaleLine{{MemberID: member.ID, Amount: 999}}},
			} {
				if _, err := db.PostSale(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.PostRefund(ctx, "order-2", "customer refund"); err != nil {
				t.Fatal(err)
			}
			if b, _ := db.Balance(ctx, member.ID, "EUR"); b != 1000 {
				t.Fatalf("balance %d, want 1000", b)
			}
			if rev, _ := db.AccountBalance(ctx, store.Revenue, 0, "EUR"); rev != -(1001 + 500) {
				t.Errorf("revenue %d, want the site's share of both sales", rev)
			}
			_, page = ana.get("/studio/pro")
			month := time.Now().UTC().Format("2006-01")
			mustContain(t, "PRO page after sales", page, "10.00 EUR", "/studio/pro/statements/"+month+"/pdf")
			resp, csvBody := ana.get("/studio/pro/statements/" + month + "/csv")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV statement: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			mustContain(t, "CSV statement", csvBody, "Sale,order-1,,10.00,EUR,10.00", "Refund,order-2,customer refund,-4.99,EUR,10.00", "Closing balance,,,,EUR,10.00")
			resp, pdfBody := ana.get("/studio/pro/statements/" + month + "/pdf")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("PDF statement: %d", resp.StatusCode)
			}
			text := pdfText(t, pdfBody)
			for _, want := range []string{"Chorus PRO statement, " + month, "Payee: Ana Lima SARL", "order-1", "order-2", "-4.99", "10.00", "FR76 •••• 0189"} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF statement lacks %q:\n%s", want, text)
				}
			}

			// Authorisation: another member sees nothing of it and reaches
			// no admin page; a visitor is sent to log in.
			bruno := signUpArtist(t, srv.URL, "bruno", "Bruno Band")
			_, page = bruno.get("/studio/pro")
			for _, leak := range []string{"Ana Lima", "FR76 •••• 0189", "10.00 EUR"} {
				if bytes.Contains(page, []byte(leak)) {
					t.Errorf("another member's PRO page shows %q", leak)
				}
			}
			if resp, _ := bruno.get("/studio/pro/statements/" + month + "/csv"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("another member's statement: %d", resp.StatusCode)
			}
			for _, p := range []string{"/admin/pro/payouts", "/admin/pro/payouts/1/file"} {
				if resp, _ := bruno.get(p); resp.StatusCode != http.StatusForbidden {
					t.Errorf("a member GET %s: %d", p, resp.StatusCode)
				}
			}
			for _, p := range []string{"/admin/pro/payouts", "/admin/pro/payouts/1/paid"} {
				if resp, _ := bruno.postForm(p, url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusForbidden {
					t.Errorf("a member POST %s: %d", p, resp.StatusCode)
				}
			}
			if resp, _ := newClient(t, srv.URL).get("/studio/pro"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("a visitor's /studio/pro: %d", resp.StatusCode)
			}

			// The artist sees their own details in full, and it is logged.
			_, page = ana.postForm("/studio/pro/reveal", nil)
			mustContain(t, "revealed", page, anaIBANPaper, "BNPAFRPP", "FR40303265045")
			logged, err := db.Decryptions(ctx, member.ID)
			if err != nil || len(logged) != 3 || logged[0].ViewerID != member.ID || logged[0].Reason == "" {
				t.Fatalf("decryption log after showing: %+v %v", logged, err)
			}

			// Line 12: the admin's payout batch, file, and paid.
			createUser(t, srv, "paymaster", "admin", "an admin password")
			admin := logIn(t, srv.URL, "paymaster", "an admin password")
			_, page = admin.get("/admin/pro/payouts")
			mustContain(t, "payouts page", page, "FR76 •••• 0189", "10.00", "Make a payout batch")
			if bytes.Contains(page, []byte("3000600001")) {
				t.Error("the payouts page shows an IBAN unmasked")
			}
			if resp, body := admin.postForm("/admin/pro/payouts", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("make batch: %d %s", resp.StatusCode, body)
			}
			_, page = admin.get("/admin/pro/payouts")
			link := regexp.MustCompile(`/admin/pro/payouts/(\d+)/file`).FindSubmatch(page)
			if link == nil {
				t.Fatalf("no file link:\n%s", page)
			}
			resp, file := admin.get(string(link[0]))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/xml" {
				t.Fatalf("payout file: %d", resp.StatusCode)
			}
			var pf painPayouts
			if err := xml.Unmarshal(file, &pf); err != nil {
				t.Fatalf("payout file: %v", err)
			}
			if pf.NbOfTxs != "1" || pf.CtrlSum != "10.00" || len(pf.Txs) != 1 || pf.Txs[0].IBAN != anaIBAN || pf.Txs[0].BIC != "BNPAFRPP" ||
				pf.Txs[0].Amount != "10.00" || pf.Txs[0].Name != "Ana Lima SARL" || !strings.HasPrefix(pf.MsgID, "CHORUS-") {
				t.Errorf("payout file: %+v", pf)
			}
			logged, _ = db.Decryptions(ctx, member.ID)
			if len(logged) != 5 || !strings.Contains(logged[0].Reason, pf.MsgID) || logged[0].ViewerID == member.ID || logged[0].ViewerID == 0 {
				t.Errorf("the file's decryptions are not logged with the admin: %+v", logged)
			}
			if resp, _ := admin.postForm("/admin/pro/payouts/"+string(link[1])+"/paid", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("mark paid: %d", resp.StatusCode)
			}
			if b, _ := db.Balance(ctx, member.ID, "EUR"); b != 0 {
				t.Errorf("balance after payout %d, want 0", b)
			}
			if resp, _ := admin.postForm("/admin/pro/payouts/"+string(link[1])+"/paid", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusConflict {
				t.Errorf("marking paid twice: %d", resp.StatusCode)
			}
			if bad, err := db.UnbalancedTransactions(ctx); err != nil || len(bad) > 0 {
				t.Errorf("unbalanced transactions: %v %v", bad, err)
			}

			// Line 4: removing the bank details pauses payouts, balance kept.
			if _, err := db.PostSale(ctx, store.Sale{Reference: "order-3", Currency: "EUR", ArtistShare: 5000, Lines: []store.SaleLine{{MemberID: member.ID, Amount: 3000}}}); err != nil {
				t.Fatal(err)
			}
			_, page = ana.get("/studio/pro/bank/remove")
			mustContain(t, "remove page", page, "PRO payouts pause", "15.00 EUR", "FR76 •••• 0189")
			if resp, _ := ana.postForm("/studio/pro/bank/remove", nil); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("removal without confirming: %d", resp.StatusCode)
			}
			if resp, _ := ana.postForm("/studio/pro/bank/remove", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("remove bank details: %d", resp.StatusCode)
			}
			_, page = ana.get("/studio/pro")
			mustContain(t, "paused", page, "Payouts are paused", "15.00 EUR")
			if c, _ := db.PayoutCandidates(ctx, "EUR", 1); len(c) != 0 {
				t.Errorf("a member without bank details is due a payout: %+v", c)
			}
			if b, _ := db.Balance(ctx, member.ID, "EUR"); b != 1500 {
				t.Errorf("balance after removing bank details %d, want 1500", b)
			}

			// Bank details again, then the keys rotate under the running server.
			f := joinForm()
			f.Del("accept")
			if resp, body := ana.postForm("/studio/pro/join", f); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("bank details again: %d %s", resp.StatusCode, body)
			}
			before, _ := db.ProMember(ctx, member.ID)
			out, errOut, err := runCLI(t, "admin", "rotate-keys", "--data", srv.DataDir, "--database-url", srv.DBURL)
			if err != nil || !strings.Contains(out, "Re-encrypted 1/1") {
				t.Fatalf("rotate-keys: %v\n%s\n%s", err, out, errOut)
			}
			after, _ := db.ProMember(ctx, member.ID)
			if bytes.Equal(before.IBAN, after.IBAN) || binary.BigEndian.Uint32(after.IBAN[1:5]) == binary.BigEndian.Uint32(before.IBAN[1:5]) {
				t.Error("rotation did not re-encrypt the IBAN with a new key")
			}
			_, page = ana.postForm("/studio/pro/reveal", nil)
			mustContain(t, "revealed after rotation", page, anaIBANPaper, "FR40303265045")
		})
	}
}
