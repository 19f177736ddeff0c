package web

import (
	"net/http"

	"chorus/internal/chorus"
)

// Handler returns the whole web surface. Every state-changing request is
// refused when a browser says it comes from another origin
// (http.CrossOriginProtection: Sec-Fetch-Site and Origin headers).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Operations.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /readyz", s.h(s.readyz))
	mux.Handle("GET /static/", s.staticHandler())
	mux.HandleFunc("GET /robots.txt", robots)

	// Listening: public, no account needed.
	mux.Handle("GET /{$}", s.h(s.home))
	mux.Handle("GET /search", s.h(s.search))
	mux.Handle("GET /tracks/{id}", s.h(s.trackPage))
	mux.Handle("GET /tracks/{id}/stream", s.h(s.stream))
	mux.Handle("POST /tracks/{id}/play", s.h(s.recordPlay))
	mux.Handle("GET /tracks/{id}/download", s.h(s.downloadMP3))
	mux.Handle("GET /tracks/{id}/original", s.h(s.downloadOriginal))
	mux.Handle("GET /tracks/{id}/cover/{size}", s.h(s.trackCover))
	mux.Handle("GET /albums/{id}", s.h(s.albumPage))
	mux.Handle("GET /artists", s.h(s.artistsPage))
	mux.Handle("GET /artists/{slug}", s.h(s.artistPage))
	mux.Handle("GET /artists/{slug}/picture/{size}", s.h(s.artistPicture))
	mux.Handle("GET /tags/{tag}", s.h(s.tagPage))
	mux.Handle("GET /licences", s.h(s.licencesPage))

	// Accounts.
	mux.Handle("GET /signup", s.h(s.signupForm))
	mux.Handle("POST /signup", s.h(s.signup))
	mux.Handle("GET /login", s.h(s.loginForm))
	mux.Handle("POST /login", s.h(s.login))
	mux.Handle("POST /logout", s.h(s.logout))
	mux.Handle("GET /verify", s.h(s.verifyPage))
	mux.Handle("POST /verify", s.h(s.verify))
	mux.Handle("POST /verify/resend", s.h(s.requireMember(s.resendVerification)))
	mux.Handle("GET /reset", s.h(s.resetForm))
	mux.Handle("POST /reset", s.h(s.resetRequest))
	mux.Handle("GET /reset/{token}", s.h(s.resetPasswordForm))
	mux.Handle("POST /reset/{token}", s.h(s.resetPassword))
	mux.Handle("GET /email/confirm", s.h(s.confirmEmailPage))
	mux.Handle("POST /email/confirm", s.h(s.confirmEmail))

	// Settings: the member's own account.
	mux.Handle("GET /settings", s.h(s.requireMember(s.settingsPage)))
	mux.Handle("POST /settings/email", s.h(s.requireMember(s.changeEmail)))
	mux.Handle("POST /settings/password", s.h(s.requireMember(s.changePassword)))

	// Publishing: members and their artists.
	mux.Handle("GET /studio", s.h(s.requireMember(s.studio)))
	mux.Handle("POST /studio/artists", s.h(s.requireMember(s.createArtist)))
	mux.Handle("GET /studio/artists/{id}", s.h(s.requireMember(s.editArtistForm)))
	mux.Handle("POST /studio/artists/{id}", s.h(s.requireMember(s.editArtist)))
	mux.Handle("GET /studio/upload", s.h(s.requireVerified(s.uploadForm)))
	mux.Handle("POST /studio/upload", s.h(s.requireVerified(s.upload)))
	mux.Handle("GET /studio/tracks/{id}", s.h(s.requireMember(s.editTrackForm)))
	mux.Handle("POST /studio/tracks/{id}", s.h(s.requireMember(s.editTrack)))
	mux.Handle("POST /studio/tracks/{id}/retry", s.h(s.requireMember(s.retryTrack)))
	mux.Handle("POST /studio/tracks/{id}/delete", s.h(s.requireMember(s.deleteTrack)))
	mux.Handle("POST /studio/publish", s.h(s.requireVerified(s.bulkPublish)))

	// Administration.
	mux.Handle("GET /admin/mail", s.h(s.requireRole(chorus.RoleAdmin, s.adminMail)))
	mux.Handle("GET /admin/mail/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.adminMailMessage)))
	mux.Handle("GET /admin/mail/{id}/eml", s.h(s.requireRole(chorus.RoleAdmin, s.adminMailEML)))

	mux.Handle("/", s.h(s.notFound))

	csrf := http.NewCrossOriginProtection()
	// Behind a proxy that rewrites Host, the public origin is still ours.
	_ = csrf.AddTrustedOrigin(s.BaseURL)
	csrf.SetDenyHandler(s.h(func(w http.ResponseWriter, r *http.Request) error {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "This form was sent from another site, so it was refused. Please use the form on this site."}
	}))
	return securityHeaders(bodyDeadlines(s.sessions.LoadAndSave(csrf.Handler(mux)), formBodyTimeout, uploadIdleTimeout))
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}
