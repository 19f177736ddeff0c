package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"chorus/internal/chorus"
	"chorus/internal/signin"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func TestRequireRoleAndSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, err := New(Deps{DB: db, BaseURL: "http://chorus.test", Mail: testMail(t, db, "http://chorus.test"), Vault: testVault(t)})
		if err != nil {
			t.Fatal(err)
		}
		ok := func(w http.ResponseWriter, r *http.Request) error { return nil }
		as := func(m *chorus.Member) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/admin", nil)
			return r.WithContext(context.WithValue(r.Context(), memberKey, m))
		}
		admin := s.requireRole(chorus.RoleAdmin, ok)
		if err := admin(httptest.NewRecorder(), as(&chorus.Member{ID: 1, Role: chorus.RoleMember})); !errors.Is(err, chorus.ErrForbidden) {
			t.Errorf("member on an admin page: %v, want forbidden", err)
		}
		if err := admin(httptest.NewRecorder(), as(&chorus.Member{ID: 2, Role: chorus.RoleAdmin})); err != nil {
			t.Errorf("admin on an admin page: %v", err)
		}
		// A visitor: sent to log in (GET) or refused (POST).
		var got error
		h := s.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = admin(w, r) }))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/admin", nil))
		if !errors.Is(got, chorus.ErrUnauthorized) {
			t.Errorf("visitor POST: %v, want unauthorized", got)
		}

		ctx := context.Background()
		if err := s.verifySecondFactor(ctx, chorus.Member{ID: 1}, ""); err != nil {
			t.Errorf("member without a second factor: %v", err)
		}
		if err := s.verifySecondFactor(ctx, chorus.Member{ID: 1, TOTP: true}, "000000"); err == nil {
			t.Error("a second factor was accepted without being checked")
		}
	})
}

func TestProposeUsername(t *testing.T) {
	for _, tc := range []struct {
		p    signin.Profile
		want string
	}{
		{signin.Profile{DisplayName: "Ana María Lima"}, "Ana.María.Lima"},
		{signin.Profile{DisplayName: "  dj   k-os  "}, "dj.k-os"},
		{signin.Profile{DisplayName: "😀", Email: "zoe.b@example.org"}, "zoe.b"},
		{signin.Profile{DisplayName: "x"}, ""},
		{signin.Profile{DisplayName: "A very long display name that goes on and on"}, "A.very.long.display.name.that"},
	} {
		if got := proposeUsername(tc.p); got != tc.want {
			t.Errorf("proposeUsername(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
