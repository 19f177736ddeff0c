package web

import (
	"errors"
	"net/http"
	"strings"

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

	// Members: public pages, and the profile and sessions settings.
	mux.Handle("GET /members/{username}", s.h(s.memberPage))
	mux.Handle("GET /members/{username}/picture/{size}", s.h(s.memberPicture))
	mux.Handle("GET /settings/profile", s.h(s.requireMember(s.profileForm)))
	mux.Handle("POST /settings/profile", s.h(s.requireMember(s.saveProfile)))
	mux.Handle("POST /settings/profile/picture/remove", s.h(s.requireMember(s.removeProfilePicture)))
	mux.Handle("GET /settings/sessions", s.h(s.requireMember(s.sessionsPage)))
	mux.Handle("POST /settings/sessions/confirm", s.h(s.requireMember(s.confirmSessionsPassword)))
	mux.Handle("POST /settings/sessions/end-others", s.h(s.requireMember(s.endOtherSessions)))
	mux.Handle("POST /settings/sessions/{id}/end", s.h(s.requireMember(s.endSession)))

	// Listening: public, no account needed.
	mux.Handle("GET /{$}", s.h(s.home))
	mux.Handle("GET /search", s.h(s.search))
	mux.Handle("GET /tracks/{id}", s.h(s.trackPage))
	mux.Handle("GET /tracks/{id}/stream", s.h(s.stream))
	mux.Handle("POST /tracks/{id}/play", s.h(s.recordPlay))
	mux.Handle("POST /tracks/{id}/share", s.h(s.recordShare))
	mux.Handle("GET /tracks/{id}/download", s.h(s.downloadMP3))
	mux.Handle("GET /tracks/{id}/original", s.h(s.downloadOriginal))
	mux.Handle("GET /tracks/{id}/cover/{size}", s.h(s.trackCover))
	mux.Handle("GET /albums/{id}", s.h(s.albumPage))
	mux.Handle("GET /artists", s.h(s.artistsPage))
	mux.Handle("GET /artists/{slug}", s.h(s.artistPage))
	mux.Handle("GET /artists/{slug}/picture/{size}", s.h(s.artistPicture))
	mux.Handle("GET /tags/{tag}", s.h(s.tagPage))
	mux.Handle("GET /licences", s.h(s.licencesPage))
	mux.Handle("GET /charts", s.h(s.chartsPage))

	// Community: comments, reviews, favourites, follows, playlists.
	mux.Handle("POST /comments", s.h(s.requireVerified(s.postComment)))
	mux.Handle("GET /comments/{id}/edit", s.h(s.requireMember(s.editCommentForm)))
	mux.Handle("POST /comments/{id}/edit", s.h(s.requireMember(s.editComment)))
	mux.Handle("POST /comments/{id}/delete", s.h(s.requireMember(s.deleteComment)))
	mux.Handle("POST /reviews", s.h(s.requireVerified(s.saveReview)))
	mux.Handle("POST /reviews/{id}/helpful", s.h(s.requireVerified(s.markHelpful)))
	mux.Handle("POST /reviews/{id}/delete", s.h(s.requireMember(s.deleteReview)))
	mux.Handle("POST /favourites", s.h(s.requireMember(s.setFavourite)))
	mux.Handle("POST /follows", s.h(s.requireMember(s.setFollow)))
	mux.Handle("GET /playlists", s.h(s.requireMember(s.myPlaylists)))
	mux.Handle("POST /playlists", s.h(s.requireMember(s.createPlaylist)))
	mux.Handle("GET /playlists/{id}", s.h(s.playlistPage))
	mux.Handle("POST /playlists/{id}", s.h(s.requireMember(s.updatePlaylist)))
	mux.Handle("POST /playlists/{id}/delete", s.h(s.requireMember(s.deletePlaylist)))
	mux.Handle("POST /playlists/add", s.h(s.requireMember(s.addToPlaylist)))
	mux.Handle("POST /playlists/{id}/tracks/{track}/{action}", s.h(s.requireMember(s.changePlaylistTrack)))
	mux.Handle("GET /notifications", s.h(s.requireMember(s.inbox)))
	mux.Handle("POST /notifications/read", s.h(s.requireMember(s.markAllNotificationsRead)))
	mux.Handle("POST /notifications/{id}/read", s.h(s.requireMember(s.markNotificationRead)))
	mux.Handle("POST /notifications/{id}/open", s.h(s.requireMember(s.openNotification)))
	mux.Handle("GET /feed", s.h(s.requireMember(s.feed)))
	mux.Handle("GET /settings/sharing", s.h(s.requireMember(s.sharingSettings)))
	mux.Handle("POST /settings/sharing", s.h(s.requireMember(s.saveSharingSettings)))
	mux.Handle("GET /settings/community", s.h(s.requireMember(s.communitySettings)))
	mux.Handle("POST /settings/community", s.h(s.requireMember(s.saveCommunitySettings)))

	// Discussions: categories, threads and posts; moderators pin, lock
	// and delete posts.
	mux.Handle("GET /discussions", s.h(s.discussions))
	mux.Handle("GET /discussions/search", s.h(s.searchDiscussions))
	mux.Handle("GET /discussions/{category}", s.h(s.discussionCategory))
	mux.Handle("POST /discussions/{category}", s.h(s.requireVerified(s.createThread)))
	mux.Handle("GET /discussions/t/{id}", s.h(s.discussionThread))
	mux.Handle("GET /discussions/t/{id}/unread", s.h(s.unreadPost))
	mux.Handle("POST /discussions/t/{id}/reply", s.h(s.requireVerified(s.replyToThread)))
	mux.Handle("POST /discussions/t/{id}/{action}", s.h(s.requireRole(chorus.RoleModerator, s.moderateThread)))
	mux.Handle("GET /discussions/p/{id}", s.h(s.postPage))
	mux.Handle("GET /discussions/p/{id}/edit", s.h(s.requireMember(s.editPostForm)))
	mux.Handle("POST /discussions/p/{id}/edit", s.h(s.requireMember(s.editPost)))
	mux.Handle("POST /discussions/p/{id}/delete", s.h(s.requireMember(s.deletePost)))
	// Moderation: reports, the moderators' queue and log, appeals, blocks.
	mux.Handle("GET /report", s.h(s.requireVerified(s.reportForm)))
	mux.Handle("POST /report", s.h(s.requireVerified(s.report)))
	mux.Handle("GET /moderation", s.h(s.requireRole(chorus.RoleModerator, s.moderationQueue)))
	mux.Handle("GET /moderation/log", s.h(s.requireRole(chorus.RoleModerator, s.moderationLog)))
	mux.Handle("POST /moderation/act", s.h(s.requireRole(chorus.RoleModerator, s.moderate)))
	mux.Handle("GET /appeal", s.h(s.requireMember(s.appealPage)))
	mux.Handle("POST /appeal", s.h(s.requireMember(s.appeal)))
	mux.Handle("POST /blocks", s.h(s.requireMember(s.setBlock)))
	mux.Handle("GET /settings/blocked", s.h(s.requireMember(s.blockedPage)))

	// Privacy choices: consent to what is not strictly necessary.
	mux.Handle("GET /privacy/choices", s.h(s.privacyChoices))
	mux.Handle("POST /privacy/consent", s.h(s.saveConsent))
	mux.Handle("GET /settings/privacy", s.h(s.requireMember(s.settingsPrivacy)))

	// The privacy policy, its versions, and members' acknowledgements.
	mux.Handle("GET /privacy", s.h(s.privacyPage))
	mux.Handle("POST /privacy/acknowledge", s.h(s.requireMember(s.acknowledgePolicy)))

	// Sign-in with third-party providers, and the accounts linked to them.
	mux.Handle("GET /auth/{provider}", s.h(s.signInConsent))
	mux.Handle("POST /auth/{provider}", s.h(s.signInStart))
	mux.Handle("GET /auth/{provider}/callback", s.h(s.signInCallback))
	mux.Handle("GET /auth/{provider}/signup", s.h(s.signInSignUpForm))
	mux.Handle("POST /auth/{provider}/signup", s.h(s.signInSignUp))
	mux.Handle("GET /settings/connections", s.h(s.requireMember(s.settingsConnections)))
	mux.Handle("POST /settings/connections/{provider}/unlink", s.h(s.requireMember(s.unlinkConnection)))

	// Accounts.
	mux.Handle("GET /signup", s.h(s.signupForm))
	mux.Handle("POST /signup", s.h(s.throttle("signup", s.signup)))
	mux.Handle("GET /login", s.h(s.loginForm))
	mux.Handle("POST /login", s.h(s.login))
	mux.Handle("GET /login/code", s.h(s.loginCodeForm))
	mux.Handle("POST /login/code", s.h(s.loginCode))
	mux.Handle("POST /logout", s.h(s.logout))
	mux.Handle("POST /login/passkey/begin", s.h(s.beginPasskeyLogin))
	mux.Handle("POST /login/passkey/finish", s.h(s.finishPasskeyLogin))
	mux.Handle("GET /settings/passkeys", s.h(s.requireMember(s.passkeysPage)))
	mux.Handle("POST /settings/passkeys/begin", s.h(s.requireMember(s.beginPasskeyRegistration)))
	mux.Handle("POST /settings/passkeys/finish", s.h(s.requireMember(s.finishPasskeyRegistration)))
	mux.Handle("POST /settings/passkeys/{id}/remove", s.h(s.requireMember(s.removePasskey)))

	// Two-factor authentication settings.
	mux.Handle("GET /settings/security", s.h(s.requireMember(s.securityPage)))
	mux.Handle("POST /settings/security/setup", s.h(s.requireMember(s.startTOTPSetup)))
	mux.Handle("POST /settings/security/cancel", s.h(s.requireMember(s.cancelTOTPSetup)))
	mux.Handle("POST /settings/security/enable", s.h(s.requireMember(s.enableTOTP)))
	mux.Handle("POST /settings/security/disable", s.h(s.requireMember(s.disableTOTP)))
	mux.Handle("POST /settings/security/recovery-codes", s.h(s.requireMember(s.newRecoveryCodes)))
	mux.Handle("GET /verify", s.h(s.verifyPage))
	mux.Handle("POST /verify", s.h(s.throttle("verify", s.verify)))
	mux.Handle("POST /verify/resend", s.h(s.requireMember(s.throttle("verify", s.resendVerification))))
	mux.Handle("GET /reset", s.h(s.resetForm))
	mux.Handle("POST /reset", s.h(s.throttle("reset", s.resetRequest)))
	mux.Handle("GET /reset/{token}", s.h(s.resetPasswordForm))
	mux.Handle("POST /reset/{token}", s.h(s.throttle("reset", s.resetPassword)))
	mux.Handle("GET /email/confirm", s.h(s.confirmEmailPage))
	mux.Handle("POST /email/confirm", s.h(s.confirmEmail))

	// Settings: the member's own account.
	mux.Handle("GET /settings", s.h(s.requireMember(s.settingsPage)))
	mux.Handle("POST /settings/email", s.h(s.requireMember(s.changeEmail)))
	mux.Handle("POST /settings/password", s.h(s.requireMember(s.changePassword)))
	mux.Handle("GET /settings/data", s.h(s.requireOwnData(s.yourData)))
	mux.Handle("POST /settings/data/{field}/delete", s.h(s.requireMember(s.deleteDataItem)))
	mux.Handle("POST /settings/data/export", s.h(s.requireOwnData(s.startExport)))
	mux.Handle("GET /settings/data/export/{id}", s.h(s.requireOwnData(s.downloadExport)))
	mux.Handle("GET /settings/history", s.h(s.requireMember(s.historyPage)))
	mux.Handle("POST /settings/history/pause", s.h(s.requireMember(s.pauseHistory)))
	mux.Handle("POST /settings/history/clear", s.h(s.requireMember(s.clearHistory)))
	mux.Handle("POST /settings/history/{id}/delete", s.h(s.requireMember(s.forgetHistoryEntry)))
	mux.Handle("GET /settings/notifications", s.h(s.requireMember(s.settingsNotifications)))
	mux.Handle("POST /settings/notifications", s.h(s.requireMember(s.saveNotifications)))
	mux.Handle("GET /settings/delete", s.h(s.requireMember(s.deleteAccountPage)))
	mux.Handle("POST /settings/delete", s.h(s.requireMember(s.deleteAccount)))

	// Unsubscribing from a link in a message: no login (RFC 8058).
	mux.Handle("GET /unsubscribe/{token}", s.h(s.unsubscribePage))
	mux.Handle("POST /unsubscribe/{token}", s.h(s.unsubscribe))

	// Publishing: members and their artists.
	mux.Handle("GET /studio", s.h(s.requireMember(s.studio)))
	mux.Handle("POST /studio/artists", s.h(s.requireVerified(s.createArtist)))
	mux.Handle("GET /studio/artists/{id}", s.h(s.requireMember(s.editArtistForm)))
	mux.Handle("POST /studio/artists/{id}", s.h(s.requireMember(s.editArtist)))
	mux.Handle("GET /studio/upload", s.h(s.requireVerified(s.uploadForm)))
	mux.Handle("POST /studio/upload", s.h(s.requireVerified(s.upload)))
	mux.Handle("GET /studio/tracks/{id}", s.h(s.requireMember(s.editTrackForm)))
	mux.Handle("POST /studio/tracks/{id}", s.h(s.requireMember(s.editTrack)))
	mux.Handle("POST /studio/tracks/{id}/retry", s.h(s.requireMember(s.retryTrack)))
	mux.Handle("POST /studio/tracks/{id}/delete", s.h(s.requireMember(s.deleteTrack)))
	mux.Handle("POST /studio/publish", s.h(s.requireVerified(s.bulkPublish)))
	mux.Handle("GET /studio/stats", s.h(s.requireMember(s.studioStats)))
	mux.Handle("GET /studio/artists/{id}/stats", s.h(s.requireMember(s.artistStatsPage)))
	mux.Handle("GET /studio/artists/{id}/stats.csv", s.h(s.requireMember(s.artistStatsCSV)))

	// Chorus PRO: the artist's programme, under their studio.
	mux.Handle("GET /studio/pro", s.h(s.requireVerified(s.proPage)))
	mux.Handle("POST /studio/pro/join", s.h(s.requireVerified(s.proJoin)))
	mux.Handle("POST /studio/pro/tracks", s.h(s.requireVerified(s.proTracksSave)))
	mux.Handle("POST /studio/pro/selling", s.h(s.requireVerified(s.proSelling)))
	mux.Handle("POST /studio/pro/reveal", s.h(s.requireVerified(s.proReveal)))
	mux.Handle("GET /studio/pro/bank/remove", s.h(s.requireVerified(s.proBankRemovePage)))
	mux.Handle("POST /studio/pro/bank/remove", s.h(s.requireVerified(s.proBankRemove)))
	mux.Handle("GET /studio/pro/statements/{month}/{format}", s.h(s.requireVerified(s.proStatement)))

	// Administration.
	// Chorus PRO licensing: the catalogue and shop for licensees, their
	// orders and licences, the public verification of a licence, the
	// payment provider's webhook, and the admin's price list and orders.
	mux.Handle("GET /pro", s.h(s.proCatalogue))
	mux.Handle("GET /pro/account", s.h(s.requireVerified(s.licenseeForm)))
	mux.Handle("POST /pro/account", s.h(s.requireVerified(s.saveLicensee)))
	mux.Handle("POST /pro/orders", s.h(s.requireVerified(s.createOrder)))
	mux.Handle("GET /pro/orders", s.h(s.requireVerified(s.myOrders)))
	mux.Handle("GET /pro/orders/{id}", s.h(s.requireVerified(s.orderPage)))
	mux.Handle("GET /pro/orders/{id}/invoice", s.h(s.requireVerified(s.orderInvoice)))
	mux.Handle("GET /pro/licences/{id}/certificate", s.h(s.requireVerified(s.licenceCertificate)))
	mux.Handle("GET /pro/radio", s.h(s.radioChannels))
	mux.Handle("GET /pro/radio/{channel}", s.h(s.radioChannel))
	mux.Handle("GET /pro/radio/{channel}/next", s.h(s.radioNextTrack))
	mux.Handle("GET /pro/verify", s.h(s.verifyLicence))
	mux.Handle("GET /pro/verify/{id}", s.h(s.verifyLicence))
	mux.Handle("POST /pro/stripe/webhook", s.h(s.stripeWebhook))
	mux.Handle("GET /admin/pro/products", s.h(s.requireRole(chorus.RoleAdmin, s.adminProducts)))
	mux.Handle("POST /admin/pro/products", s.h(s.requireRole(chorus.RoleAdmin, s.adminSaveProduct)))
	mux.Handle("POST /admin/pro/products/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.adminSaveProduct)))
	mux.Handle("POST /admin/pro/taxes", s.h(s.requireRole(chorus.RoleAdmin, s.adminSaveTaxRate)))
	mux.Handle("GET /admin/pro/orders", s.h(s.requireRole(chorus.RoleAdmin, s.adminOrders)))
	mux.Handle("POST /admin/pro/orders/{id}/paid", s.h(s.requireRole(chorus.RoleAdmin, s.adminOrderPaid)))
	mux.Handle("GET /admin/pro/payouts", s.h(s.requireRole(chorus.RoleAdmin, s.adminPayouts)))
	mux.Handle("POST /admin/pro/payouts", s.h(s.requireRole(chorus.RoleAdmin, s.adminCreatePayouts)))
	mux.Handle("GET /admin/pro/payouts/{id}/file", s.h(s.requireRole(chorus.RoleAdmin, s.adminPayoutFile)))
	mux.Handle("POST /admin/pro/payouts/{id}/paid", s.h(s.requireRole(chorus.RoleAdmin, s.adminPayoutPaid)))
	mux.Handle("GET /admin/mail", s.h(s.requireRole(chorus.RoleAdmin, s.adminMail)))
	mux.Handle("GET /admin/mail/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.adminMailMessage)))
	mux.Handle("GET /admin/mail/{id}/eml", s.h(s.requireRole(chorus.RoleAdmin, s.adminMailEML)))
	mux.Handle("GET /admin/discussions", s.h(s.requireRole(chorus.RoleAdmin, s.adminDiscussions)))
	mux.Handle("POST /admin/discussions", s.h(s.requireRole(chorus.RoleAdmin, s.createCategory)))
	mux.Handle("POST /admin/discussions/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.updateCategory)))
	mux.Handle("POST /admin/discussions/{id}/{action}", s.h(s.requireRole(chorus.RoleAdmin, s.categoryAction)))
	mux.Handle("GET /admin/newsletters", s.h(s.requireRole(chorus.RoleAdmin, s.adminNewsletters)))
	mux.Handle("POST /admin/newsletters", s.h(s.requireRole(chorus.RoleAdmin, s.createNewsletter)))
	mux.Handle("GET /admin/newsletters/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.adminNewsletter)))
	mux.Handle("POST /admin/newsletters/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.saveNewsletter)))
	mux.Handle("POST /admin/newsletters/{id}/test", s.h(s.requireRole(chorus.RoleAdmin, s.testNewsletter)))
	mux.Handle("POST /admin/newsletters/{id}/send", s.h(s.requireRole(chorus.RoleAdmin, s.sendNewsletter)))
	mux.Handle("GET /admin", s.h(s.requireRole(chorus.RoleAdmin, s.adminHome)))
	mux.Handle("GET /admin/stats", s.h(s.requireRole(chorus.RoleAdmin, s.adminStatsPage)))
	mux.Handle("GET /admin/members", s.h(s.requireRole(chorus.RoleAdmin, s.adminMembers)))
	mux.Handle("GET /admin/record", s.h(s.requireRole(chorus.RoleAdmin, s.adminRecord)))
	mux.Handle("GET /admin/record.md", s.h(s.requireRole(chorus.RoleAdmin, s.adminRecordMarkdown)))
	mux.Handle("GET /admin/record.json", s.h(s.requireRole(chorus.RoleAdmin, s.adminRecordJSON)))
	mux.Handle("GET /admin/policy", s.h(s.requireRole(chorus.RoleAdmin, s.adminPolicy)))
	mux.Handle("POST /admin/policy", s.h(s.requireRole(chorus.RoleAdmin, s.createPolicyDraft)))
	mux.Handle("GET /admin/policy/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.adminPolicyVersion)))
	mux.Handle("POST /admin/policy/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.savePolicyDraft)))
	mux.Handle("POST /admin/policy/{id}/publish", s.h(s.requireRole(chorus.RoleAdmin, s.publishPolicy)))
	mux.Handle("GET /admin/processors", s.h(s.requireRole(chorus.RoleAdmin, s.adminProcessors)))
	mux.Handle("POST /admin/processors", s.h(s.requireRole(chorus.RoleAdmin, s.saveProcessor)))
	mux.Handle("POST /admin/processors/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.saveProcessor)))
	mux.Handle("POST /admin/processors/{id}/delete", s.h(s.requireRole(chorus.RoleAdmin, s.deleteProcessor)))
	mux.Handle("POST /admin/members/{id}/{action}", s.h(s.requireRole(chorus.RoleAdmin, s.adminMemberAction)))

	// Enquiries and requests about personal data, legal requests from
	// authorities, and the access log.
	mux.Handle("GET /contact", s.h(s.contactPage))
	mux.Handle("POST /contact", s.h(s.throttle("contact", s.contact)))
	mux.Handle("GET /transparency", s.h(s.transparency))
	mux.Handle("GET /admin/requests", s.h(s.requireRole(chorus.RoleAdmin, s.adminRequests)))
	mux.Handle("GET /admin/requests/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.adminRequest)))
	mux.Handle("POST /admin/requests/{id}/{action}", s.h(s.requireRole(chorus.RoleAdmin, s.adminRequestAction)))
	mux.Handle("GET /admin/legal", s.h(s.requireRole(chorus.RoleAdmin, s.adminLegal)))
	mux.Handle("POST /admin/legal", s.h(s.requireRole(chorus.RoleAdmin, s.createLegalRequest)))
	mux.Handle("GET /admin/legal/{id}", s.h(s.requireRole(chorus.RoleAdmin, s.adminLegalRequest)))
	mux.Handle("POST /admin/legal/{id}/export", s.h(s.requireRole(chorus.RoleAdmin, s.produceLegalExport)))
	mux.Handle("GET /admin/legal/{id}/export.zip", s.h(s.requireRole(chorus.RoleAdmin, s.downloadLegalExport)))
	mux.Handle("POST /admin/legal/{id}/close", s.h(s.requireRole(chorus.RoleAdmin, s.closeLegalRequest)))

	mux.Handle("/", s.h(s.notFound))

	csrf := http.NewCrossOriginProtection()
	// CrossOriginProtection lets through a POST that carries neither
	// Sec-Fetch-Site nor Origin (a mail provider's server-side one-click
	// POST), but refuses one a webmail page makes from its own origin in
	// the browser. The unsubscribe POST is authorised by the unguessable
	// token in its URL, needs no cookie and can only turn mail off, so it
	// is exempt (RFC 8058 §3.2).
	csrf.AddInsecureBypassPattern("POST /unsubscribe/{token}")
	// Stripe's webhook is a server-to-server POST authorised by its
	// Stripe-Signature (HMAC-SHA256 under the endpoint secret), not by a
	// cookie.
	csrf.AddInsecureBypassPattern("POST /pro/stripe/webhook")
	// Behind a proxy that rewrites Host, the public origin is still ours.
	_ = csrf.AddTrustedOrigin(s.BaseURL)
	csrf.SetDenyHandler(s.h(func(w http.ResponseWriter, r *http.Request) error {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "This form was sent from another site, so it was refused. Please use the form on this site."}
	}))
	return clientAddress(s.TrustedProxies, securityHeaders(strings.HasPrefix(s.BaseURL, "https://"), bodyDeadlines(s.sessions.LoadAndSave(csrf.Handler(s.formLimit(mux))), formBodyTimeout, uploadIdleTimeout)))
}

// securityHeaders sets the headers every response carries (OWASP ASVS 5.0
// V3.4): a Content-Security-Policy with no inline script, no framing, no
// MIME sniffing, and HSTS (RFC 6797) when the site is served over TLS.
func securityHeaders(https bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if https || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// maxFormBytes bounds a form sent as application/x-www-form-urlencoded:
// far above what any of our forms needs, so that a larger one is refused
// whole (413) rather than read as empty fields and half applied.
const maxFormBytes = 256 << 10

// formLimit reads url-encoded form bodies up front, within maxFormBytes.
// A body too large, or not a form at all, is answered with a page that
// says so, and the handler never runs. Multipart forms (uploads) are read
// by their handlers, which stream them.
func (s *Server) formLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if r.Method != http.MethodPost || !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooLarge *http.MaxBytesError
			s.h(func(w http.ResponseWriter, r *http.Request) error {
				if errors.As(err, &tooLarge) {
					return &chorus.SafeError{Kind: chorus.ErrTooLarge, Err: err,
						Safe: "This form is far larger than any answer it expects, so nothing in it was saved. Please shorten what you typed and send it again."}
				}
				return chorus.Invalid("This form could not be read. Please reload the page and send it again.")
			}).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
