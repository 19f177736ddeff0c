package pro

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chorus/internal/money"
	"chorus/internal/store"
)

func TestVaultBindsValuesToTheirPlaceAndRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "pro-keyset.json")
	v, created, err := OpenVault(path, true)
	if err != nil || !created {
		t.Fatalf("open: %v created=%v", err, created)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keyset file mode: %v %v", fi.Mode(), err)
	}
	iban := Place{Table: "pro_members", Column: "iban", Row: 7}
	ct, err := v.Encrypt("FR7630006000011234567890189", iban)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("FR76")) {
		t.Fatal("the ciphertext holds the IBAN")
	}
	if got, err := v.Decrypt(ct, iban); err != nil || got != "FR7630006000011234567890189" {
		t.Fatalf("decrypt: %q %v", got, err)
	}
	// The same ciphertext in another row or column does not decrypt.
	for _, p := range []Place{{"pro_members", "iban", 8}, {"pro_members", "bic", 7}, {"other", "iban", 7}} {
		if _, err := v.Decrypt(ct, p); err == nil {
			t.Errorf("a ciphertext of %v decrypted as %v", iban, p)
		}
	}
	oldKey := v.PrimaryKeyID()
	n, err := v.Rotate()
	if err != nil || n != 2 || v.PrimaryKeyID() == oldKey {
		t.Fatalf("rotate: %d keys, %v; primary %d (was %d)", n, err, v.PrimaryKeyID(), oldKey)
	}
	// Old ciphertexts still decrypt, new ones are made with the new key
	// (Tink's prefix: a version byte, then the key id).
	if got, err := v.Decrypt(ct, iban); err != nil || got == "" {
		t.Fatalf("old ciphertext after rotation: %v", err)
	}
	ct2, _ := v.Encrypt("FR7630006000011234567890189", iban)
	if binary.BigEndian.Uint32(ct2[1:5]) != v.PrimaryKeyID() || binary.BigEndian.Uint32(ct[1:5]) != oldKey {
		t.Error("ciphertexts do not name the keys expected")
	}
	// Another process reading the file sees both keys.
	v2, created, err := OpenVault(path, true)
	if err != nil || created {
		t.Fatalf("reopen: %v %v", err, created)
	}
	for _, c := range [][]byte{ct, ct2} {
		if _, err := v2.Decrypt(c, iban); err != nil {
			t.Errorf("reopened vault: %v", err)
		}
	}
	if _, _, err := OpenVault(filepath.Join(t.TempDir(), "missing.json"), false); err == nil {
		t.Error("a missing keyset file was accepted")
	}
}

// painFile is what TestCreditTransferFile reads back from the XML.
type painFile struct {
	XMLName xml.Name `xml:"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03 Document"`
	Hdr     struct {
		MsgID   string `xml:"MsgId"`
		NbOfTxs string `xml:"NbOfTxs"`
		CtrlSum string `xml:"CtrlSum"`
		CreDtTm string `xml:"CreDtTm"`
	} `xml:"CstmrCdtTrfInitn>GrpHdr"`
	Pmt struct {
		PmtMtd  string `xml:"PmtMtd"`
		NbOfTxs string `xml:"NbOfTxs"`
		CtrlSum string `xml:"CtrlSum"`
		SvcLvl  string `xml:"PmtTpInf>SvcLvl>Cd"`
		Dbtr    string `xml:"DbtrAcct>Id>IBAN"`
		DbtrBIC string `xml:"DbtrAgt>FinInstnId>BIC"`
		Txs     []struct {
			EndToEnd string `xml:"PmtId>EndToEndId"`
			Amt      struct {
				Ccy   string `xml:"Ccy,attr"`
				Value string `xml:",chardata"`
			} `xml:"Amt>InstdAmt"`
			BIC  string `xml:"CdtrAgt>FinInstnId>BIC"`
			Name string `xml:"Cdtr>Nm"`
			IBAN string `xml:"CdtrAcct>Id>IBAN"`
		} `xml:"CdtTrfTxInf"`
	} `xml:"CstmrCdtTrfInitn>PmtInf"`
}

// TestCreditTransferFile writes a payout file and reads it back as
// pain.001.001.03: MsgId, NbOfTxs and CtrlSum in both headers, and each
// transfer with its IBAN, BIC and an amount with two decimals.
func TestCreditTransferFile(t *testing.T) {
	ct := CreditTransfer{MsgID: "CHORUS-2026-11-29-1", Created: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Execution: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Debtor: Debtor{Name: "Chorus Music SAS", IBAN: "DE89 3704 0044 0532 0130 00", BIC: "COBADEFFXXX"},
		Transfers: []Transfer{
			{EndToEndID: "PAYOUT-1-7", Name: "Zoë Müller & <Co>", IBAN: "FR7630006000011234567890189", BIC: "BNPAFRPP", Amount: 123456, Remittance: "Chorus PRO 2026-11"},
			{EndToEndID: "PAYOUT-1-9", Name: "Ana Lima", IBAN: "NL91ABNA0417164300", BIC: "ABNANL2A", Amount: 5},
		}}
	var buf bytes.Buffer
	if err := ct.WriteXML(&buf); err != nil {
		t.Fatal(err)
	}
	var f painFile
	if err := xml.Unmarshal(buf.Bytes(), &f); err != nil {
		t.Fatalf("not pain.001.001.03 XML: %v\n%s", err, buf.String())
	}
	if f.Hdr.MsgID != ct.MsgID || f.Hdr.NbOfTxs != "2" || f.Hdr.CtrlSum != "1234.61" || f.Hdr.CreDtTm != "2026-11-29T10:00:00" {
		t.Errorf("group header: %+v", f.Hdr)
	}
	if f.Pmt.PmtMtd != "TRF" || f.Pmt.NbOfTxs != "2" || f.Pmt.CtrlSum != "1234.61" || f.Pmt.SvcLvl != "SEPA" || f.Pmt.Dbtr != "DE89370400440532013000" || f.Pmt.DbtrBIC != "COBADEFFXXX" {
		t.Errorf("payment information: %+v", f.Pmt)
	}
	if len(f.Pmt.Txs) != 2 {
		t.Fatalf("%d transfers", len(f.Pmt.Txs))
	}
	tx := f.Pmt.Txs[0]
	if tx.Amt.Value != "1234.56" || tx.Amt.Ccy != "EUR" || tx.IBAN != "FR7630006000011234567890189" || tx.BIC != "BNPAFRPP" || tx.Name != "Zoe Muller Co" || tx.EndToEnd != "PAYOUT-1-7" {
		t.Errorf("first transfer: %+v", tx)
	}
	if f.Pmt.Txs[1].Amt.Value != "0.05" {
		t.Errorf("second amount %q", f.Pmt.Txs[1].Amt.Value)
	}
	for _, x := range f.Pmt.Txs {
		if _, err := money.ValidateIBAN(x.IBAN); err != nil {
			t.Errorf("IBAN %q: %v", x.IBAN, err)
		}
		if _, err := money.ValidateBIC(x.BIC); err != nil {
			t.Errorf("BIC %q: %v", x.BIC, err)
		}
	}
	if err := (CreditTransfer{MsgID: "x"}).WriteXML(&buf); err == nil {
		t.Error("an empty file was written")
	}
}

func TestStatementCSVAndPDF(t *testing.T) {
	from, to, ok := ParseMonth("2026-11")
	if !ok {
		t.Fatal("ParseMonth")
	}
	for _, bad := range []string{"", "2026-13", "26-11", "2026/11", "../../x"} {
		if _, _, ok := ParseMonth(bad); ok {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
	st := store.Statement{From: from, To: to, Currency: "EUR", Opening: 1000, Ending: 1000 + 4950 - 500,
		Lines: []store.StatementLine{
			{At: from.Add(48 * time.Hour), Kind: store.TxSale, Reference: "ORDER-77", Amount: 4950},
			{At: from.Add(72 * time.Hour), Kind: store.TxRefund, Reference: "=cmd()", Amount: -500},
		}}
	var csvBuf bytes.Buffer
	if err := WriteStatementCSV(&csvBuf, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"date,type,reference,description,amount,currency,balance", "2026-11-03,Sale,ORDER-77,,49.50,EUR,59.50",
		"'=cmd()", "2026-11-30,Closing balance,,,,EUR,54.50"} {
		if !strings.Contains(csvBuf.String(), want) {
			t.Errorf("CSV lacks %q:\n%s", want, csvBuf.String())
		}
	}
	var pdfBuf bytes.Buffer
	if err := WriteStatementPDF(&pdfBuf, StatementHeader{Site: "music.example.org", Payee: "Zoë Müller", Month: "2026-11", IBANShown: "FR76 •••• 0189"}, st); err != nil {
		t.Fatal(err)
	}
	text := PDFText(t, pdfBuf.Bytes())
	for _, want := range []string{"Chorus PRO statement, 2026-11", "Payee: Zoë Müller", "ORDER-77", "49.50", "54.50", "FR76 •••• 0189"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}

// PDFText extracts the text of a PDF with pdftotext (poppler-utils).
func PDFText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is needed (Debian package poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
