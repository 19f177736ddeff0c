package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// retryAfter returns the Retry-After of a 429, failing on another status.
func (r authResponse) retryAfter(t *testing.T, what string) int {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d, want 429\n%.2000s", what, r.Status, r.Body)
	}
	s, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Fatalf("%s: Retry-After %q", what, r.Header.Get("Retry-After"))
	}
	if !strings.Contains(r.Body, "Too many attempts. Please wait") {
		t.Fatalf("%s: no message\n%.2000s", what, r.Body)
	}
	return s
}

func TestLoginGuessesWaitLonger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		e.addMember("ana", "ana's password")
		b := e.browser("198.51.100.7")
		// Five free wrong guesses, and a sixth that starts the wait.
		for i := range 6 {
			b.login("ana", "guess "+strconv.Itoa(i)).expect(t, "wrong password", http.StatusUnauthorized, "not right")
		}
		// During the wait the answer is 429, and the password is not
		// checked: even the right one is refused. The form keeps the login.
		r := b.login("ana", "ana's password")
		if got := r.retryAfter(t, "right password during the wait"); got != 1 {
			t.Fatalf("first wait %d s, want 1", got)
		}
		r.expect(t, "429 page", http.StatusTooManyRequests, "Please wait 1 second and try again.", `value="ana"`)
		// Each further wrong guess doubles the wait.
		for _, want := range []int{2, 4, 8} {
			e.clock.Advance(time.Duration(want/2) * time.Second)
			b.login("ana", "another guess").expect(t, "guess after the wait", http.StatusUnauthorized)
			if got := b.login("ana", "again").retryAfter(t, "guess during the wait"); got != want {
				t.Fatalf("wait %d s, want %d", got, want)
			}
		}
		// After the wait, the right password works.
		e.clock.Advance(8 * time.Second)
		if r := b.login("ana", "ana's password"); r.Status != http.StatusSeeOther || r.location() != "/studio" {
			t.Fatalf("right password after the wait: %d %q", r.Status, r.location())
		}
		// The success cleared the account's count: the next mistake is free.
		b.post("/logout")
		b.login("ana", "a typo").expect(t, "typo after success", http.StatusUnauthorized)

		// Unknown accounts are slowed the same way, so the answers do not
		// tell which accounts exist.
		x := e.browser("203.0.113.99")
		for range 6 {
			x.login("nobody@example.org", "guess").expect(t, "unknown account", http.StatusUnauthorized)
		}
		x.login("nobody@example.org", "guess").retryAfter(t, "unknown account")
		// JSON clients get the same 429.
		req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader("login=nobody%40example.org&password=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Test-Client", "203.0.113.99")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("JSON: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
}

// TestOwnerIsNotLockedOut: an attacker guessing from one address slows the
// account down, but the owner, from another address, never waits longer
// than the per-account cap, while the attacker's address waits longer and
// longer.
func TestOwnerIsNotLockedOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		e.addMember("ana", "ana's password")
		attacker, owner := e.browser("198.51.100.66"), e.browser("192.0.2.1")
		for guesses := 0; ; guesses++ {
			if guesses > 100 {
				t.Fatal("the attacker's address is never slowed beyond two minutes")
			}
			r := attacker.login("ana", "guess "+strconv.Itoa(guesses))
			if r.Status != http.StatusTooManyRequests {
				r.expect(t, "attacker's guess", http.StatusUnauthorized)
				continue
			}
			wait := r.retryAfter(t, "attacker")
			if wait > 120 {
				break
			}
			e.clock.Advance(time.Duration(wait) * time.Second)
		}
		// The attacker has just guessed: the account waits at most a minute.
		r := owner.login("ana", "ana's password")
		if r.Status == http.StatusTooManyRequests {
			wait := r.retryAfter(t, "owner")
			if wait > 60 {
				t.Fatalf("the owner must wait %d s, more than the 60 s cap", wait)
			}
			e.clock.Advance(time.Duration(wait) * time.Second)
			r = owner.login("ana", "ana's password")
		}
		if r.Status != http.StatusSeeOther || r.location() != "/studio" {
			t.Fatalf("owner's login: %d %q", r.Status, r.location())
		}
		// The attacker's address still waits, well beyond the owner.
		if w := attacker.login("ana", "one more").retryAfter(t, "attacker after the owner"); w <= 60 {
			t.Fatalf("attacker's wait %d s, want more than the account cap", w)
		}
	})
}

func TestSignUpCountsEveryAttemptPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		b := e.browser("198.51.100.20")
		// Eleven attempts go through (ten free and one that starts the wait),
		// valid ones included.
		for i := range 11 {
			r := b.post("/signup", "email", "u"+strconv.Itoa(i)+"@example.org", "username", "user"+strconv.Itoa(i), "password", "long enough password")
			if r.Status != http.StatusSeeOther {
				t.Fatalf("sign-up %d: %d", i, r.Status)
			}
		}
		b.post("/signup", "email", "bad").retryAfter(t, "twelfth sign-up")
		// Another address is not affected.
		e.browser("192.0.2.50").post("/signup", "email", "bad").expect(t, "other address", http.StatusUnprocessableEntity)
		// After the wait, the form is answered again.
		e.clock.Advance(time.Second)
		b.post("/signup", "email", "bad").expect(t, "after the wait", http.StatusUnprocessableEntity)
	})
}

func TestLoginCodeGuessesWait(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		e.addMember("ana", "ana's password")
		b := e.browser("192.0.2.10")
		b.login("ana", "ana's password")
		secret, _ := b.enable2FA("ana's password")
		b.post("/logout")
		e.clock.Advance(30 * time.Second)

		b.login("ana", "ana's password")
		good := e.code(secret, 0)
		bad := "000000"
		if bad == good || bad == e.code(secret, 30*time.Second) || bad == e.code(secret, -30*time.Second) {
			bad = "111111"
		}
		for range 6 {
			b.post("/login/code", "code", bad).expect(t, "wrong code", http.StatusUnprocessableEntity)
		}
		// During the wait even the right code is refused, and not used up.
		r := b.post("/login/code", "code", good)
		if w := r.retryAfter(t, "right code during the wait"); w != 1 {
			t.Fatalf("wait %d, want 1", w)
		}
		r.expect(t, "code form during the wait", http.StatusTooManyRequests, `autocomplete="one-time-code"`)
		e.clock.Advance(time.Second)
		if r := b.post("/login/code", "code", good); r.Status != http.StatusSeeOther {
			t.Fatalf("right code after the wait: %d\n%s", r.Status, r.Body)
		}
	})
}

func TestClientNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5000":           "192.0.2.1",
		"[2001:db8:1:2:3::1]:443":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::9]:1": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.1]:80":    "192.0.2.1",
		"[fe80::1%eth0]:80":        "fe80::/64",
		"192.0.2.1":                "192.0.2.1",
		"not an address":           "not an address",
	} {
		if got := clientNetwork(in); got != want {
			t.Errorf("clientNetwork(%q) = %q, want %q", in, got, want)
		}
	}
}
