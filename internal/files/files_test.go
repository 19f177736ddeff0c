package files

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chorus/internal/chorus"
)

func TestStagingOfDeadProcessesIsRemoved(t *testing.T) {
	root := t.TempDir()
	live, err := NewStaging(root)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// A dead process: its directory exists, nobody holds its lock.
	dead := filepath.Join(root, "proc-dead")
	if err := os.MkdirAll(dead, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".lock", "upload-123"} {
		if err := os.WriteFile(filepath.Join(dead, f), []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if live.Alive("proc-dead") {
		t.Fatal("an unlocked staging directory reads as alive")
	}
	other, err := NewStaging(root)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatalf("dead staging directory kept: %v", err)
	}
	if _, err := os.Stat(live.Dir); err != nil {
		t.Fatalf("live staging directory removed: %v", err)
	}
	if !other.Alive(live.Name()) || !live.Alive(live.Name()) || other.Alive("proc-dead") {
		t.Fatal("liveness is wrong")
	}
	if !other.Alive("../elsewhere") {
		t.Fatal("a name that is not a staging directory must be left alone")
	}
}

func TestStoreWritesAtomicallyAndCleansLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a/b.txt", strings.NewReader("hello"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, "a/b.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "hello" {
		t.Fatalf("read %q", b)
	}
	// A write that fails halfway leaves nothing at the key.
	err = s.Put(ctx, "a/broken.txt", io.MultiReader(strings.NewReader("part"), errReader{}), "text/plain")
	if err == nil {
		t.Fatal("failed write reported success")
	}
	if ok, _ := s.Exists(ctx, "a/broken.txt"); ok {
		t.Fatal("a failed write left a file")
	}
	if _, err := s.Open(ctx, "missing"); !errors.Is(err, chorus.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	// A crashed writer's temporary file is removed once old enough.
	tmp := filepath.Join(dir, "a", "c.txt.123.tmp")
	if err := os.WriteFile(tmp, bytes.Repeat([]byte("x"), 10), 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	_ = os.Chtimes(tmp, old, old)
	if n, err := s.RemoveAbandoned(10 * time.Minute); err != nil || n != 1 {
		t.Fatalf("RemoveAbandoned = %d, %v", n, err)
	}
	if err := s.Delete(ctx, "a/b.txt"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a/b.txt"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
