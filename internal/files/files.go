// Package files keeps Chorus's stored files (originals, stream files,
// artwork) in a gocloud.dev blob bucket: a directory by default, an object
// store at scale. Writes are atomic: a reader sees a whole file or none.
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets
	"gocloud.dev/gcerrors"

	"chorus/internal/chorus"
)

// Store is an open file store.
type Store struct {
	bucket *blob.Bucket
	dir    string // the directory of a file:// store, for cleanup
}

// Open opens the file store at rawURL ("file:///abs/dir"), creating the
// directory if needed.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("file store URL: %w", err)
	}
	s := &Store{}
	if u.Scheme == "file" {
		s.dir = filepath.FromSlash(u.Path)
		if err := os.MkdirAll(s.dir, 0o750); err != nil {
			return nil, fmt.Errorf("create file store directory: %w", err)
		}
		q := u.Query()
		// Temporary files next to their final name: renames stay on one
		// file system (atomic), and leftovers of a crash can be found.
		q.Set("no_tmp_dir", "1")
		q.Set("metadata", "skip")
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("open file store: %w", err)
	}
	s.bucket = b
	return s, nil
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// Ping checks that the store answers.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.bucket.IsAccessible(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("file store is not accessible")
	}
	return nil
}

// PutFile copies the local file at path to key, atomically.
func (s *Store) PutFile(ctx context.Context, key, path, contentType string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.Put(ctx, key, f, contentType)
}

// Put writes r to key. On error nothing is left at key.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, contentType string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel() // abandons the write
		_ = w.Close()
		return fmt.Errorf("write %s: %w", key, err)
	}
	return w.Close()
}

// Open opens key for reading; the reader can Seek, so it serves HTTP Range
// requests. A missing key is chorus.ErrNotFound.
func (s *Store) Open(ctx context.Context, key string) (*blob.Reader, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("file %s: %w", key, chorus.ErrNotFound)
	}
	return r, err
}

// Download copies key into the local file path.
func (s *Store) Download(ctx context.Context, key, path string) error {
	r, err := s.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Exists reports whether key exists.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	return s.bucket.Exists(ctx, key)
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

// RemoveAbandoned deletes the temporary files of writes that a crashed
// process never finished, when they are older than age. It returns how
// many it removed. Only file:// stores have such leftovers.
func (s *Store) RemoveAbandoned(age time.Duration) (int, error) {
	if s.dir == "" {
		return 0, nil
	}
	n := 0
	cutoff := time.Now().Add(-age)
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(d.Name(), ".tmp") {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().Before(cutoff) {
			if os.Remove(path) == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}

// Object is one stored file in a listing.
type Object struct {
	Key     string
	ModTime time.Time
	Size    int64
}

// List calls fn for every stored file whose key starts with prefix.
func (s *Store) List(ctx context.Context, prefix string, fn func(Object) error) error {
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if obj.IsDir {
			continue
		}
		if err := fn(Object{Key: obj.Key, ModTime: obj.ModTime, Size: obj.Size}); err != nil {
			return err
		}
	}
}
