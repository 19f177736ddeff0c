package web

import (
	"io"
	"net/http"
	"time"
)

// Request bodies must keep arriving: a client that sends headers and then
// a body byte by byte (slowloris) would otherwise hold a connection and a
// goroutine for ever. A form body has formBodyTimeout in all; an upload may
// take as long as it needs but must not stall for uploadIdleTimeout.
const (
	formBodyTimeout   = 30 * time.Second
	uploadIdleTimeout = 2 * time.Minute
)

// bodyDeadlines sets read deadlines on request bodies. Once a body has been
// read to its end the deadline is cleared, so slow work after it (probing
// the last uploaded file) is not cut short.
func bodyDeadlines(next http.Handler, formTimeout, uploadIdle time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodGet && r.Method != http.MethodHead {
			rc := http.NewResponseController(w)
			b := &deadlineBody{ReadCloser: r.Body, rc: rc}
			if r.Method == http.MethodPost && r.URL.Path == "/studio/upload" {
				b.idle = uploadIdle
			} else {
				_ = rc.SetReadDeadline(time.Now().Add(formTimeout))
			}
			r.Body = b
		}
		next.ServeHTTP(w, r)
	})
}

type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration // 0: the deadline set before the handler stands
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.idle > 0 && !b.done {
		_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	}
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		// The whole body is in: work after it has no deadline. On any
		// other error the (passed) deadline stays, so the server's own
		// attempt to drain the rest of the body fails at once and the
		// connection is closed instead of waiting on the client.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
