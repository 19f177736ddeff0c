package pro

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"chorus/internal/store"
)

// Checkout is how the buyer goes on to pay: RedirectURL is where to send
// them ("" when they have nothing to do now, as with an invoice) and Ref
// the provider's reference of the payment ("" when none).
type Checkout struct {
	RedirectURL string
	Ref         string
}

// PaymentProvider takes the payment of an order.
type PaymentProvider interface {
	// Name is the provider's name stored on orders ("invoice", "stripe").
	Name() string
	// Checkout starts the payment of an order awaiting payment;
	// returnURL is the page of the order on this site.
	Checkout(ctx context.Context, o store.Order, returnURL string) (Checkout, error)
}

// InvoiceProvider is the embedded default: the buyer receives an invoice
// and pays by bank transfer, and an admin marks the order paid.
type InvoiceProvider struct{}

// Name is "invoice".
func (InvoiceProvider) Name() string { return "invoice" }

// Checkout has nothing to start: the order page offers the invoice.
func (InvoiceProvider) Checkout(context.Context, store.Order, string) (Checkout, error) {
	return Checkout{}, nil
}

// Stripe takes payments through Stripe Checkout
// (https://docs.stripe.com/api/checkout/sessions/create) and learns of
// them from signed webhooks (https://docs.stripe.com/webhooks#verify-manually).
type Stripe struct {
	SecretKey     string
	WebhookSecret string
	// APIURL is the API's base, https://api.stripe.com in production.
	APIURL string
	Client *http.Client
}

// Name is "stripe".
func (*Stripe) Name() string { return "stripe" }

// Checkout creates a Checkout Session in payment mode for the order's
// total, with the order's reference as client_reference_id, and returns
// the session's URL and id.
func (s *Stripe) Checkout(ctx context.Context, o store.Order, returnURL string) (Checkout, error) {
	form := url.Values{
		"mode":                                   {"payment"},
		"success_url":                            {returnURL + "?paid=1"},
		"cancel_url":                             {returnURL},
		"client_reference_id":                    {o.Reference},
		"metadata[order]":                        {o.Reference},
		"line_items[0][quantity]":                {"1"},
		"line_items[0][price_data][currency]":    {strings.ToLower(o.Currency)},
		"line_items[0][price_data][unit_amount]": {strconv.FormatInt(o.Total(), 10)},
		"line_items[0][price_data][product_data][name]": {o.ProductName + " (" + o.Reference + ")"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.APIURL, "/")+"/v1/checkout/sessions", strings.NewReader(form.Encode()))
	if err != nil {
		return Checkout{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+s.SecretKey)
	req.Header.Set("Idempotency-Key", "checkout-"+o.Reference)
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 20 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return Checkout{}, fmt.Errorf("stripe: create checkout session: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return Checkout{}, fmt.Errorf("stripe: create checkout session: HTTP %d: %.300s", resp.StatusCode, body)
	}
	var sess struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &sess); err != nil || sess.ID == "" || !strings.HasPrefix(sess.URL, "https://") && !strings.HasPrefix(sess.URL, "http://") {
		return Checkout{}, fmt.Errorf("stripe: unexpected checkout session: %.300s", body)
	}
	return Checkout{RedirectURL: sess.URL, Ref: sess.ID}, nil
}

// WebhookTolerance is how old a webhook's signature may be, as Stripe's
// libraries default to.
const WebhookTolerance = 5 * time.Minute

// ErrBadSignature is returned for a webhook whose Stripe-Signature does
// not verify.
var ErrBadSignature = errors.New("stripe: webhook signature does not verify")

// VerifyWebhook checks the Stripe-Signature header of a webhook
// ("t=1700000000,v1=hex,..."): one v1 must be the hex HMAC-SHA256 of
// "t.payload" under the endpoint secret, and t within WebhookTolerance of
// now.
func (s *Stripe) VerifyWebhook(payload []byte, header string, now time.Time) error {
	var ts int64
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == 0 || len(sigs) == 0 || s.WebhookSecret == "" {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(s.WebhookSecret))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	mac.Write(payload)
	want := mac.Sum(nil)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// SignWebhook returns a Stripe-Signature header for payload at t, as
// Stripe makes it; for tests and for replaying a delivery.
func SignWebhook(secret string, payload []byte, t time.Time) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", t.Unix())
	mac.Write(payload)
	return fmt.Sprintf("t=%d,v1=%s", t.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

// CompletedSession is what a checkout.session.completed event says.
type CompletedSession struct {
	SessionID string
	Reference string // client_reference_id: the order's reference
	Paid      bool   // payment_status is "paid"
}

// ParseEvent reads a webhook event; ok is false for events other than
// checkout.session.completed.
func ParseEvent(payload []byte) (CompletedSession, bool, error) {
	var ev struct {
		Type string `json:"type"`
		Data struct {
			Object struct {
				ID                string `json:"id"`
				ClientReferenceID string `json:"client_reference_id"`
				PaymentStatus     string `json:"payment_status"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return CompletedSession{}, false, fmt.Errorf("stripe: webhook: %w", err)
	}
	if ev.Type != "checkout.session.completed" {
		return CompletedSession{}, false, nil
	}
	o := ev.Data.Object
	return CompletedSession{SessionID: o.ID, Reference: o.ClientReferenceID, Paid: o.PaymentStatus == "paid"}, true, nil
}
