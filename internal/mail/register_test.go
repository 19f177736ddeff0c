package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"chorus/internal/datamap"
	"chorus/internal/mail"
	"chorus/internal/mail/mailtest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestMailAsksTheProcessorsRegister sends through a real SMTP server while
// the register lists the relay without user.contact.email: the message is
// held, never reaches the server, and the hold is logged and kept on the
// outbox row that /admin/mail shows. Once the register lists the category,
// mail flows. A member who refused transfers outside the EU/EEA gets
// nothing through a relay registered outside it.
func TestMailAsksTheProcessorsRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := mailtest.Start(t, mailtest.Options{})
		var logs bytes.Buffer
		var mu sync.Mutex
		svc := newService(t, db, mail.Config{SMTPURL: srv.URL(), Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
		relay, err := db.ProcessorByConfigKey(ctx, datamap.ConfigSMTP)
		if err != nil {
			t.Fatal(err)
		}
		relay.Categories = []datamap.Category{datamap.Communications} // no address
		saveProcessor(t, db, relay)

		send(t, db, svc, mail.Message{To: "held@example.org", Content: mail.VerifyEmail{Username: "held", Link: site, ValidFor: time.Hour}})
		m := waitOutbox(t, db, store.OutboxFailed)
		if !strings.Contains(m.LastError, "does not list user.contact.email") || m.Attempts != 0 && m.Attempts != 1 {
			t.Fatalf("held message: attempts %d, error %q", m.Attempts, m.LastError)
		}
		time.Sleep(1500 * time.Millisecond) // a retry would come after about a second
		if len(srv.Messages()) != 0 {
			t.Fatal("a category the relay is not registered for was sent to it")
		}
		mu.Lock()
		if !strings.Contains(logs.String(), "mail held") || strings.Contains(logs.String(), "held@example.org") {
			t.Errorf("log of a held message:\n%s", logs.String())
		}
		mu.Unlock()

		relay.Categories = mail.MessageCategories
		saveProcessor(t, db, relay)
		send(t, db, svc, mail.Message{To: "flows@example.org", Content: mail.VerifyEmail{Username: "flows", Link: site, ValidFor: time.Hour}})
		srv.WaitFor(t, "flows@example.org", 30*time.Second)

		// Outside the EU/EEA, a member's refusal of transfers holds their mail.
		relay.Country = "US"
		saveProcessor(t, db, relay)
		var refuser, accepter int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			for _, who := range []struct {
				id     *int64
				name   string
				choice string
			}{{&refuser, "refuser", store.TransfersRefused}, {&accepter, "accepter", store.TransfersGiven}} {
				m, err := tx.CreateMember(ctx, store.NewMember{Email: who.name + "@example.org", Username: who.name, PasswordHash: "h"})
				if err != nil {
					return err
				}
				*who.id = m.ID
				if _, err := tx.AcknowledgePolicy(ctx, m.ID, store.AckSignUp, who.choice); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		send(t, db, svc, mail.Message{To: "refuser@example.org", MemberID: refuser, Content: mail.VerifyEmail{Username: "refuser", Link: site, ValidFor: time.Hour}})
		send(t, db, svc, mail.Message{To: "accepter@example.org", MemberID: accepter, Content: mail.VerifyEmail{Username: "accepter", Link: site, ValidFor: time.Hour}})
		srv.WaitFor(t, "accepter@example.org", 30*time.Second)
		deadline := time.Now().Add(30 * time.Second)
		for {
			list, _, err := db.Outbox(ctx, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			var held *store.OutboxMessage
			for i := range list {
				if list[i].To == "refuser@example.org" {
					held = &list[i]
				}
			}
			if held != nil && held.Status() == store.OutboxFailed {
				if !strings.Contains(held.LastError, "refused transfers outside the EU/EEA") {
					t.Errorf("held for a refusal: %q", held.LastError)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the refuser's message was not held")
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, got := range srv.Messages() {
			if strings.Contains(strings.Join(got.To, ","), "refuser@") {
				t.Fatal("a member who refused transfers outside the EU/EEA was sent mail through a relay there")
			}
		}
	})
}

func saveProcessor(t *testing.T, db *store.DB, p datamap.Registered) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *store.Tx) error { _, err := tx.SaveProcessor(context.Background(), p); return err }); err != nil {
		t.Fatal(err)
	}
}
