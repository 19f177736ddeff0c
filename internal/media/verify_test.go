package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestVerifyRefusesTruncatedAudio(t *testing.T) {
	tool := Tool{}
	ctx := context.Background()
	for _, ext := range []string{".flac", ".mp3"} {
		full := filepath.Join(t.TempDir(), "full"+ext)
		genTone(t, full, 4)
		p, err := tool.Probe(ctx, full)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tool.Verify(ctx, full, p.Duration)
		if err != nil || got < 3900*time.Millisecond {
			t.Fatalf("%s: whole file: %v, %v", ext, got, err)
		}
		b, _ := os.ReadFile(full)
		cut := filepath.Join(t.TempDir(), "cut"+ext)
		if err := os.WriteFile(cut, b[:len(b)*4/10], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = tool.Verify(ctx, cut, p.Duration)
		if !errors.Is(err, ErrUnreadable) {
			t.Fatalf("%s: truncated file: %v", ext, err)
		}
	}
}

func genTone(t *testing.T, path string, seconds int) {
	t.Helper()
	out, err := command(context.Background(), "ffmpeg", []string{"-v", "error", "-f", "lavfi", "-i",
		fmt.Sprintf("sine=frequency=440:duration=%d", seconds), "-y", path}).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}
