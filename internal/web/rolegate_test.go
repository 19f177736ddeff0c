package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestRoleGate logs in a member of each role and asks for a moderator's
// page: lower roles get 403, higher ones the page, visitors the login page.
func TestRoleGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, err := New(Deps{DB: db, BaseURL: "http://127.0.0.1", Mail: testMail(t, db, "http://127.0.0.1"), Vault: testVault(t)})
		if err != nil {
			t.Fatal(err)
		}
		gate := srv.h(srv.requireRole(chorus.RoleModerator, func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusOK)
			return nil
		}))
		h := srv.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id := r.URL.Query().Get("login"); id != "" {
				m, err := db.MemberByLogin(r.Context(), id)
				if err == nil {
					err = srv.startSession(r, m.ID)
				}
				if err != nil {
					t.Errorf("log in %s: %v", id, err)
				}
				return
			}
			gate.ServeHTTP(w, r)
		}))
		request := func(cookie, query string) *http.Response {
			req := httptest.NewRequest(http.MethodGet, "/gate?"+query, nil)
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Result()
		}
		for _, tc := range []struct {
			role chorus.Role
			want int
		}{{chorus.RoleMember, 403}, {chorus.RoleArtist, 403}, {chorus.RoleModerator, 200}, {chorus.RoleAdmin, 200}} {
			name := string(tc.role) + "1"
			err := db.Tx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.CreateMember(context.Background(), store.NewMember{Email: name + "@example.org", Username: name, PasswordHash: "x", Role: tc.role})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			cookies := request("", "login="+name).Cookies()
			if len(cookies) == 0 {
				t.Fatalf("no session cookie for %s", name)
			}
			if got := request(cookies[0].Name+"="+cookies[0].Value, "").StatusCode; got != tc.want {
				t.Errorf("%s on a moderator's page: %d, want %d", tc.role, got, tc.want)
			}
		}
		if resp := request("", ""); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a visitor on a moderator's page: %d, want 303 to log in", resp.StatusCode)
		}
	})
}
