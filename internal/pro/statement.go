package pro

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"

	"chorus/internal/money"
	"chorus/internal/store"
)

// StatementHeader is who a statement is for and from.
type StatementHeader struct {
	Site      string // the site's name or address
	Payee     string // the PRO member's legal name
	Month     string // "2026-11"
	IBANShown string // the masked IBAN payouts go to, or ""
}

// lineLabel says what a statement line is, for people.
func lineLabel(kind string) string {
	switch kind {
	case store.TxSale:
		return "Sale"
	case store.TxRefund:
		return "Refund"
	case store.TxPayout:
		return "Payout"
	}
	return kind
}

// WriteStatementCSV writes the statement as CSV (RFC 4180): a header line,
// then date, type, reference, description, amount and the balance after
// each line; amounts in the currency's units with two decimals, positive
// for what the member earned. The opening and closing balances are the
// first and last lines.
func WriteStatementCSV(w io.Writer, st store.Statement) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"date", "type", "reference", "description", "amount", "currency", "balance"})
	_ = cw.Write([]string{st.From.Format("2006-01-02"), "Opening balance", "", "", "", st.Currency, money.FormatMinor(st.Opening)})
	bal := st.Opening
	for _, l := range st.Lines {
		bal += l.Amount
		_ = cw.Write([]string{l.At.UTC().Format("2006-01-02"), lineLabel(l.Kind), csvSafe(l.Reference), csvSafe(l.Memo),
			money.FormatMinor(l.Amount), st.Currency, money.FormatMinor(bal)})
	}
	_ = cw.Write([]string{st.To.AddDate(0, 0, -1).Format("2006-01-02"), "Closing balance", "", "", "", st.Currency, money.FormatMinor(st.Ending)})
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a text cell as a formula
// (OWASP "CSV injection").
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// WriteStatementPDF writes the statement as an A4 PDF with the same lines
// as the CSV.
func WriteStatementPDF(w io.Writer, h StatementHeader, st store.Statement) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	pdf.SetTitle("PRO statement "+h.Month, true)
	pdf.SetCreator("Chorus", true)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 10, tr("Chorus PRO statement, "+h.Month), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 6, tr("Site: "+h.Site), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr("Payee: "+h.Payee), "", 1, "L", false, 0, "")
	if h.IBANShown != "" {
		pdf.CellFormat(0, 6, tr("Payouts to: "+h.IBANShown), "", 1, "L", false, 0, "")
	}
	pdf.CellFormat(0, 6, tr(fmt.Sprintf("Period: %s to %s, amounts in %s", st.From.Format("2006-01-02"), st.To.AddDate(0, 0, -1).Format("2006-01-02"), st.Currency)), "", 1, "L", false, 0, "")
	pdf.Ln(4)
	widths := []float64{25, 20, 60, 35, 35}
	pdf.SetFont("Helvetica", "B", 10)
	for i, head := range []string{"Date", "Type", "Reference", "Amount", "Balance"} {
		align := "L"
		if i >= 3 {
			align = "R"
		}
		pdf.CellFormat(widths[i], 7, head, "B", 0, align, false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 10)
	row := func(cells ...string) {
		for i, c := range cells {
			align := "L"
			if i >= 3 {
				align = "R"
			}
			if len(c) > 40 {
				c = c[:40]
			}
			pdf.CellFormat(widths[i], 6, tr(c), "", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	row(st.From.Format("2006-01-02"), "Opening", "", "", money.FormatMinor(st.Opening))
	bal := st.Opening
	for _, l := range st.Lines {
		bal += l.Amount
		row(l.At.UTC().Format("2006-01-02"), lineLabel(l.Kind), l.Reference, money.FormatMinor(l.Amount), money.FormatMinor(bal))
	}
	pdf.SetFont("Helvetica", "B", 10)
	row(st.To.AddDate(0, 0, -1).Format("2006-01-02"), "Closing", "", "", money.FormatMinor(st.Ending))
	return pdf.Output(w)
}

// ParseMonth reads "2006-01" and returns the first instant of that month
// in UTC and of the next; ok is false for anything else.
func ParseMonth(s string) (from, to time.Time, ok bool) {
	if len(s) != 7 || s[4] != '-' {
		return from, to, false
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || y < 2000 || y > 9999 || m < 1 || m > 12 {
		return from, to, false
	}
	from = dateUTC(y, m)
	return from, from.AddDate(0, 1, 0), true
}

func dateUTC(y, m int) time.Time { return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC) }
