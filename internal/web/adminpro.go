package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"chorus/internal/chorus"
	"chorus/internal/money"
	"chorus/internal/pro"
	"chorus/internal/store"
)

// adminPayouts lists who is due a PRO payout and the batches made so far.
func (s *Server) adminPayouts(w http.ResponseWriter, r *http.Request) error {
	cands, err := s.DB.PayoutCandidates(r.Context(), proCurrency, s.Pro.PayoutThreshold)
	if err != nil {
		return err
	}
	batches, err := s.DB.PayoutBatches(r.Context())
	if err != nil {
		return err
	}
	var total int64
	for _, c := range cands {
		total += c.Amount
	}
	return s.render(w, r, http.StatusOK, "admin_pro_payouts.html", "PRO payouts", map[string]any{
		"Candidates": cands, "Total": total, "Batches": batches, "Threshold": s.Pro.PayoutThreshold,
		"DebtorSet": s.Pro.Debtor.IBAN != "", "Debtor": s.Pro.Debtor,
	})
}

// adminCreatePayouts puts everyone due a payout into a new batch.
func (s *Server) adminCreatePayouts(w http.ResponseWriter, r *http.Request) error {
	if s.Pro.Debtor.IBAN == "" {
		return chorus.Invalid("Set the site's own bank account first (--pro-debtor-name, --pro-debtor-iban, --pro-debtor-bic): payout files name the account they are paid from.")
	}
	admin := s.member(r)
	var b store.PayoutBatch
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		b, err = tx.CreatePayoutBatch(r.Context(), admin.ID, proCurrency, newMsgID(tx), s.Pro.PayoutThreshold)
		return err
	})
	if errors.Is(err, chorus.ErrNotFound) {
		return chorus.Invalid("No one is due a payout now: no artist with bank details is owed at least the threshold.")
	}
	if err != nil {
		return err
	}
	s.Logger.Info("payout batch made", "batch", b.ID, "payouts", len(b.Payouts), "admin", admin.ID)
	s.flash(r, fmt.Sprintf("Batch %s made: %d payouts, %s EUR. Download its file and upload it to the bank.", b.MsgID, len(b.Payouts), money.FormatMinor(b.Total())))
	http.Redirect(w, r, "/admin/pro/payouts", http.StatusSeeOther)
	return nil
}

// newMsgID names a batch: the date and a random part, within the 35
// characters of a MsgId.
func newMsgID(tx *store.Tx) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "CHORUS-" + tx.Now.Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func batchID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, chorus.ErrNotFound
	}
	return id, nil
}

// adminPayoutFile sends the batch's SEPA Credit Transfer file. Every
// payee's IBAN and BIC is decrypted for it, and each decryption is logged
// with the admin and the batch.
func (s *Server) adminPayoutFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := batchID(r)
	if err != nil {
		return err
	}
	b, err := s.DB.PayoutBatch(ctx, id)
	if err != nil {
		return err
	}
	admin := s.member(r)
	ct := pro.CreditTransfer{MsgID: b.MsgID, Created: b.CreatedAt, Execution: b.CreatedAt.AddDate(0, 0, 1), Debtor: s.Pro.Debtor}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		for _, p := range b.Payouts {
			pm, err := tx.ProMember(ctx, p.MemberID)
			if errors.Is(err, chorus.ErrNotFound) || (err == nil && !pm.HasBank()) {
				return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: fmt.Sprintf("Member %d deleted their bank details or account after this batch was made, so its file cannot be written. Their balance is unchanged.", p.MemberID)}
			}
			if err != nil {
				return err
			}
			t := pro.Transfer{EndToEndID: fmt.Sprintf("%s-%d", b.MsgID[len(b.MsgID)-8:], p.ID), Name: pm.LegalName, Amount: p.Amount, Remittance: "Chorus PRO payout " + b.MsgID}
			for _, v := range []struct {
				col string
				ct  []byte
				to  *string
			}{{"iban", pm.IBAN, &t.IBAN}, {"bic", pm.BIC, &t.BIC}} {
				if err := tx.LogDecryption(ctx, store.Decryption{MemberID: p.MemberID, ViewerID: admin.ID, Value: "pro_members." + v.col,
					Reason: "SEPA payout file of batch " + b.MsgID}); err != nil {
					return err
				}
				if *v.to, err = s.Vault.Decrypt(v.ct, pro.Place{Table: "pro_members", Column: v.col, Row: p.MemberID}); err != nil {
					return err
				}
			}
			ct.Transfers = append(ct.Transfers, t)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ct.WriteXML(&buf); err != nil {
		return err
	}
	s.Logger.Info("payout file downloaded", "batch", b.ID, "admin", admin.ID)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Disposition", `attachment; filename="`+b.MsgID+`.xml"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

// adminPayoutPaid marks a batch paid once the bank executed it, posting
// the payouts to the ledger.
func (s *Server) adminPayoutPaid(w http.ResponseWriter, r *http.Request) error {
	id, err := batchID(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		return chorus.Invalid("Tick the box to confirm that the bank executed this batch.")
	}
	admin := s.member(r)
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.MarkPayoutBatchPaid(r.Context(), id, admin.ID) }); err != nil {
		return err
	}
	s.Logger.Info("payout batch paid", "batch", id, "admin", admin.ID)
	s.flash(r, "The batch is marked paid and the payouts are in the books.")
	http.Redirect(w, r, "/admin/pro/payouts", http.StatusSeeOther)
	return nil
}
