package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/alexedwards/scs/v2"
)

// hashedTokens keeps sessions under the SHA-256 of their token, so that a
// copy of the database (a backup, a leaked dump) holds no cookie value that
// logs anyone in (OWASP ASVS 5.0 V7.2.3 asks tokens to be unguessable; a
// stored hash keeps them unusable where they rest). The cookie still
// carries the token itself.
type hashedTokens struct{ inner scs.Store }

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (h hashedTokens) Delete(token string) error { return h.inner.Delete(hashToken(token)) }

func (h hashedTokens) Find(token string) ([]byte, bool, error) { return h.inner.Find(hashToken(token)) }

func (h hashedTokens) Commit(token string, b []byte, expiry time.Time) error {
	return h.inner.Commit(hashToken(token), b, expiry)
}

// DeleteCtx, FindCtx and CommitCtx pass the request's context on when the
// store takes one.
func (h hashedTokens) DeleteCtx(ctx context.Context, token string) error {
	if c, ok := h.inner.(scs.CtxStore); ok {
		return c.DeleteCtx(ctx, hashToken(token))
	}
	return h.Delete(token)
}

func (h hashedTokens) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if c, ok := h.inner.(scs.CtxStore); ok {
		return c.FindCtx(ctx, hashToken(token))
	}
	return h.Find(token)
}

func (h hashedTokens) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if c, ok := h.inner.(scs.CtxStore); ok {
		return c.CommitCtx(ctx, hashToken(token), b, expiry)
	}
	return h.Commit(token, b, expiry)
}
