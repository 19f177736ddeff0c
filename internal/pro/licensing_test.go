package pro

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

func TestPriceFor(t *testing.T) {
	for _, c := range []struct {
		name                 string
		rate                 int64
		country, vat, seller string
		want                 Quote
	}{
		{"business in another EU state: reverse charge", 1900, "DE", "DE136695976", "FR", Quote{Net: 20000, ReverseCharge: true}},
		{"business in the seller's state pays VAT", 2000, "FR", "FR40303265045", "FR", Quote{Net: 20000, Tax: 4000, Rate: 2000}},
		{"consumer in another EU state pays its rate", 1900, "DE", "", "FR", Quote{Net: 20000, Tax: 3800, Rate: 1900}},
		{"malformed VAT number: no reverse charge", 1900, "DE", "DE12", "FR", Quote{Net: 20000, Tax: 3800, Rate: 1900}},
		{"outside the EU, no rate set", 0, "US", "", "FR", Quote{Net: 20000}},
		{"Greece's prefix is EL", 2400, "GR", "EL123456789", "FR", Quote{Net: 20000, ReverseCharge: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, PriceFor(20000, c.rate, c.country, c.vat, c.seller)); diff != "" {
				t.Error(diff)
			}
		})
	}
	if q := PriceFor(1999, 2550, "FI", "", "FR"); q.Tax != 510 || q.Total() != 2509 {
		t.Errorf("25.5%% of 19.99 rounds half up to 5.10: %+v", q)
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{"49": 4900, "49.5": 4950, "49.00": 4900, " 0.01 ": 1} {
		if got, ok := ParseAmount(in); !ok || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-3", "1.234", "1e3", "abc", "1,50", "9999999999", ".5"} {
		if got, ok := ParseAmount(in); ok {
			t.Errorf("ParseAmount(%q) = %d, want refused", in, got)
		}
	}
}

func TestVerifyWebhook(t *testing.T) {
	s := &Stripe{WebhookSecret: "whsec_test"}
	payload := []byte(`{"type":"checkout.session.completed"}`)
	now := time.Unix(1_800_000_000, 0)
	if err := s.VerifyWebhook(payload, SignWebhook("whsec_test", payload, now.Add(-4*time.Minute)), now); err != nil {
		t.Errorf("a fresh signature: %v", err)
	}
	// Stripe may send several v1 signatures while a secret is rolled.
	two := SignWebhook("whsec_test", payload, now) + ",v1=" + strings.Repeat("0", 64)
	two = strings.Replace(two, ",v1=", ",v1="+strings.Repeat("ab", 32)+",v1=", 1)
	if err := s.VerifyWebhook(payload, two, now); err != nil {
		t.Errorf("one good signature among several: %v", err)
	}
	for name, header := range map[string]string{
		"wrong secret":    SignWebhook("whsec_other", payload, now),
		"too old":         SignWebhook("whsec_test", payload, now.Add(-6*time.Minute)),
		"from the future": SignWebhook("whsec_test", payload, now.Add(6*time.Minute)),
		"empty":           "",
		"no v1":           "t=1800000000",
		"v0 only":         strings.Replace(SignWebhook("whsec_test", payload, now), "v1=", "v0=", 1),
		"altered payload": SignWebhook("whsec_test", []byte(`{"type":"other"}`), now),
	} {
		if err := s.VerifyWebhook(payload, header, now); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}

func TestParseEvent(t *testing.T) {
	ev, ok, err := ParseEvent([]byte(`{"type":"checkout.session.completed","data":{"object":{"id":"cs_1","client_reference_id":"CHO-1","payment_status":"paid"}}}`))
	if err != nil || !ok || ev != (CompletedSession{SessionID: "cs_1", Reference: "CHO-1", Paid: true}) {
		t.Errorf("completed: %+v %v %v", ev, ok, err)
	}
	if _, ok, err := ParseEvent([]byte(`{"type":"charge.refunded","data":{"object":{}}}`)); ok || err != nil {
		t.Errorf("another event: %v %v", ok, err)
	}
	if _, _, err := ParseEvent([]byte(`not json`)); err == nil {
		t.Error("garbage was read as an event")
	}
}

func TestCheckLicensee(t *testing.T) {
	good := store.Licensee{Company: " Lena Films GmbH ", VATID: "de 136 695 976", Address: "Hauptstraße 1", Country: "de", Email: "a@example.org"}
	l, err := CheckLicensee(good)
	if err != nil || l.VATID != "DE136695976" || l.Country != "DE" || l.Company != "Lena Films GmbH" {
		t.Fatalf("a good profile: %+v %v", l, err)
	}
	for field, bad := range map[string]store.Licensee{
		"company": {Company: " ", Address: "x", Country: "DE", Email: "a@example.org"},
		"vat_id":  {Company: "x", VATID: "FR40303265045", Address: "x", Country: "DE", Email: "a@example.org"},
		"country": {Company: "x", Address: "x", Country: "ZZ", Email: "a@example.org"},
		"email":   {Company: "x", Address: "x", Country: "DE", Email: "Lena <a@example.org>"},
		"address": {Company: "x", Address: strings.Repeat("a", MaxAddress+1), Country: "DE", Email: "a@example.org"},
	} {
		_, err := CheckLicensee(bad)
		var inv *chorus.InvalidError
		if !errors.As(err, &inv) || inv.Fields[field] == "" {
			t.Errorf("a bad %s: %v", field, err)
		}
	}
}

func TestCheckProduct(t *testing.T) {
	p := store.Product{Kind: ProductVenue, Name: "Small venue", Tier: VenueSizes[0], Period: "year", Price: 19900, Territory: "France", Term: "1 year", Terms: "One venue."}
	got, err := CheckProduct(p)
	if err != nil || got.Currency != "EUR" {
		t.Fatalf("a venue product: %+v %v", got, err)
	}
	p.Period = "week"
	p.Kind = ProductVenue
	if _, err := CheckProduct(p); err == nil {
		t.Error("a weekly subscription was accepted")
	}
	s := store.Product{Kind: ProductSync, Name: "Ads", Tier: "advertising", Price: 0, Territory: "EU", Term: "2 years", Terms: "Ads.", Currency: "USD"}
	_, err = CheckProduct(s)
	var inv *chorus.InvalidError
	if !errors.As(err, &inv) || inv.Fields["price"] == "" || inv.Fields["currency"] == "" {
		t.Errorf("a free product in dollars: %v", err)
	}
}
