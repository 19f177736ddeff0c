package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestStalledBodiesAreCut sends headers and then only part of the body, as
// a slowloris client does: the server must give up, not wait for ever.
func TestStalledBodiesAreCut(t *testing.T) {
	readErr := make(chan error, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
		if err != nil {
			http.Error(w, "too slow", http.StatusRequestTimeout)
			return
		}
		_, _ = w.Write([]byte("whole"))
	})
	srv := httptest.NewServer(bodyDeadlines(h, 300*time.Millisecond, 300*time.Millisecond))
	defer func() {
		srv.CloseClientConnections() // a failed check must not hang Close
		srv.Close()
	}()

	for _, path := range []string{"/login", "/studio/upload"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n1234567")
		select {
		case err := <-readErr:
			if err == nil {
				t.Fatalf("%s: a stalled body was read to its end", path)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the server is still waiting for a stalled body", path)
		}
		// The server answers or closes the connection: it does not keep it.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(conn); err != nil {
			t.Fatalf("%s: the connection of a stalled body stays open: %v", path, err)
		}
		conn.Close()
	}

	// A body that keeps arriving, however slowly in all, is read whole
	// when each pause is shorter than the idle limit.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /studio/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		_, _ = conn.Write([]byte("x"))
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "whole") {
		t.Fatalf("steady slow upload: %d %s", resp.StatusCode, body)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/studio/upload?artist=2": "/studio/upload?artist=2",
		"":                        "/studio",
		"https://evil.example/":   "/studio",
		"//evil.example":          "/studio",
		"/\\evil.example":         "/studio",
		"/\t/evil.example":        "/studio",
		"/\n/evil.example":        "/studio",
		"javascript:alert(1)":     "/studio",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
