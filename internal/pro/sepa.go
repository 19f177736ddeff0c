package pro

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"chorus/internal/money"
)

// Debtor is the site's own account, which payouts are paid from.
type Debtor struct {
	Name, IBAN, BIC string
}

// Transfer is one credit transfer of a payout file: Amount in cents.
type Transfer struct {
	EndToEndID string
	Name       string
	IBAN, BIC  string
	Amount     int64
	Remittance string
}

// CreditTransfer is a SEPA Credit Transfer initiation: one message of
// ISO 20022 pain.001.001.03 with one payment information block, as the
// European Payments Council's SEPA Credit Transfer customer-to-bank
// implementation guidelines describe it.
type CreditTransfer struct {
	MsgID     string
	Created   time.Time
	Execution time.Time // the requested execution date
	Debtor    Debtor
	Transfers []Transfer
}

// PainNamespace is the XML namespace of pain.001.001.03.
const PainNamespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

type painDocument struct {
	XMLName xml.Name     `xml:"Document"`
	Xmlns   string       `xml:"xmlns,attr"`
	Init    painInitiate `xml:"CstmrCdtTrfInitn"`
}

type painInitiate struct {
	GrpHdr struct {
		MsgID    string `xml:"MsgId"`
		CreDtTm  string `xml:"CreDtTm"`
		NbOfTxs  int    `xml:"NbOfTxs"`
		CtrlSum  string `xml:"CtrlSum"`
		InitgPty struct {
			Nm string `xml:"Nm"`
		} `xml:"InitgPty"`
	} `xml:"GrpHdr"`
	PmtInf painPayment `xml:"PmtInf"`
}

type painPayment struct {
	PmtInfID  string `xml:"PmtInfId"`
	PmtMtd    string `xml:"PmtMtd"`
	BtchBookg bool   `xml:"BtchBookg"`
	NbOfTxs   int    `xml:"NbOfTxs"`
	CtrlSum   string `xml:"CtrlSum"`
	PmtTpInf  struct {
		SvcLvl struct {
			Cd string `xml:"Cd"`
		} `xml:"SvcLvl"`
	} `xml:"PmtTpInf"`
	ReqdExctnDt string       `xml:"ReqdExctnDt"`
	Dbtr        painParty    `xml:"Dbtr"`
	DbtrAcct    painAccount  `xml:"DbtrAcct"`
	DbtrAgt     painAgent    `xml:"DbtrAgt"`
	ChrgBr      string       `xml:"ChrgBr"`
	Txs         []painCredit `xml:"CdtTrfTxInf"`
}

type painParty struct {
	Nm string `xml:"Nm"`
}

type painAccount struct {
	IBAN string `xml:"Id>IBAN"`
}

type painAgent struct {
	BIC string `xml:"FinInstnId>BIC"`
}

type painCredit struct {
	EndToEndID string `xml:"PmtId>EndToEndId"`
	Amt        struct {
		InstdAmt struct {
			Ccy   string `xml:"Ccy,attr"`
			Value string `xml:",chardata"`
		} `xml:"InstdAmt"`
	} `xml:"Amt"`
	CdtrAgt  painAgent   `xml:"CdtrAgt"`
	Cdtr     painParty   `xml:"Cdtr"`
	CdtrAcct painAccount `xml:"CdtrAcct"`
	Ustrd    string      `xml:"RmtInf>Ustrd,omitempty"`
}

// WriteXML writes the file. Names and texts are reduced to the Latin
// character set SEPA allows (EPC guidelines, section 1.4) and to their
// maximum lengths; amounts have two decimals in euros.
func (c CreditTransfer) WriteXML(w io.Writer) error {
	if len(c.Transfers) == 0 {
		return fmt.Errorf("a payout file needs at least one transfer")
	}
	var total int64
	d := painDocument{Xmlns: PainNamespace}
	g := &d.Init.GrpHdr
	g.MsgID = sepaText(c.MsgID, 35)
	g.CreDtTm = c.Created.UTC().Format("2006-01-02T15:04:05")
	g.NbOfTxs = len(c.Transfers)
	g.InitgPty.Nm = sepaText(c.Debtor.Name, 70)
	p := &d.Init.PmtInf
	p.PmtInfID = sepaText(c.MsgID+"-1", 35)
	p.PmtMtd = "TRF"
	p.BtchBookg = true
	p.NbOfTxs = len(c.Transfers)
	p.PmtTpInf.SvcLvl.Cd = "SEPA"
	p.ReqdExctnDt = c.Execution.UTC().Format("2006-01-02")
	p.Dbtr.Nm = sepaText(c.Debtor.Name, 70)
	p.DbtrAcct.IBAN = money.NormalizeIBAN(c.Debtor.IBAN)
	p.DbtrAgt.BIC = money.NormalizeIBAN(c.Debtor.BIC)
	p.ChrgBr = "SLEV"
	for _, t := range c.Transfers {
		if t.Amount <= 0 {
			return fmt.Errorf("transfer %s: amount %d is not above zero", t.EndToEndID, t.Amount)
		}
		total += t.Amount
		var x painCredit
		x.EndToEndID = sepaText(t.EndToEndID, 35)
		x.Amt.InstdAmt.Ccy = "EUR"
		x.Amt.InstdAmt.Value = money.FormatMinor(t.Amount)
		x.CdtrAgt.BIC = money.NormalizeIBAN(t.BIC)
		x.Cdtr.Nm = sepaText(t.Name, 70)
		x.CdtrAcct.IBAN = money.NormalizeIBAN(t.IBAN)
		x.Ustrd = sepaText(t.Remittance, 140)
		p.Txs = append(p.Txs, x)
	}
	g.CtrlSum = money.FormatMinor(total)
	p.CtrlSum = g.CtrlSum
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// sepaText keeps s within the SEPA character set (a-z A-Z 0-9 / - ? : ( )
// . , ' + and space): accents are dropped, anything else becomes a space,
// and the result is cut to max characters.
func sepaText(s string, max int) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("/-?:().,'+ ", r)):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(out) > max {
		out = strings.TrimSpace(out[:max])
	}
	return out
}
