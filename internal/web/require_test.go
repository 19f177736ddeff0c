package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"chorus/internal/chorus"
)

// TestRequireRoleRanks checks requireRole against every role: a member
// below the wanted role (chorus.Roles lists them from least to most
// powerful) is forbidden, one at it or above gets through.
func TestRequireRoleRanks(t *testing.T) {
	s := &Server{}
	ok := func(w http.ResponseWriter, r *http.Request) error { return nil }
	for wantRank, want := range chorus.Roles {
		for hasRank, has := range chorus.Roles {
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			r = r.WithContext(context.WithValue(r.Context(), memberKey, &chorus.Member{ID: 1, Role: has}))
			err := s.requireRole(want, ok)(httptest.NewRecorder(), r)
			if allowed := hasRank >= wantRank; allowed != (err == nil) || (!allowed && !errors.Is(err, chorus.ErrForbidden)) {
				t.Errorf("%s on a %s page: %v", has, want, err)
			}
		}
	}
}
