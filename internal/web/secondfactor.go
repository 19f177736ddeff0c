package web

import (
	"context"

	"chorus/internal/chorus"
)

// verifySecondFactor checks code against the member's second factor before
// a sensitive change (turning two-factor off, changing email). It returns
// nil when the member has no second factor.
func (s *Server) verifySecondFactor(ctx context.Context, m chorus.Member, code string) error {
	_, _ = ctx, code
	if !m.TOTP {
		return nil
	}
	return chorus.Invalid("Two-factor codes cannot be checked yet.")
}
