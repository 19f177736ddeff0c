package files

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Staging is a private directory for one process's temporary files
// (uploads being received, transcodes being written). It holds an exclusive
// lock for the life of the process, so that a later process can tell the
// staging directories of dead processes, remove them, and leave those of
// live ones (an import beside a server) alone.
type Staging struct {
	Dir  string
	lock *os.File
}

// NewStaging removes the staging directories under root left by processes
// that died, then creates and locks a new one.
func NewStaging(root string) (*Staging, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	removeDeadStaging(root)
	dir, err := os.MkdirTemp(root, "proc-")
	if err != nil {
		return nil, err
	}
	lock, err := os.Create(filepath.Join(dir, ".lock"))
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("lock staging directory: %w", err)
	}
	return &Staging{Dir: dir, lock: lock}, nil
}

// Close removes the staging directory and its files.
func (s *Staging) Close() error {
	err := os.RemoveAll(s.Dir)
	s.lock.Close()
	return err
}

// CreateTemp creates a new temporary file in the staging directory.
func (s *Staging) CreateTemp(pattern string) (*os.File, error) {
	return os.CreateTemp(s.Dir, pattern)
}

func removeDeadStaging(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		f, err := os.Open(filepath.Join(dir, ".lock"))
		if err != nil {
			if os.IsNotExist(err) {
				_ = os.RemoveAll(dir) // died before taking its lock
			}
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.RemoveAll(dir)
		}
		f.Close()
	}
}

// Name is the staging directory's base name, unique among live processes
// sharing the data directory ("proc-123456789").
func (s *Staging) Name() string { return filepath.Base(s.Dir) }

// Alive reports whether the process that owns the staging directory name
// under root is still running: its directory exists and its lock is held.
// The caller's own directory is alive.
func (s *Staging) Alive(name string) bool {
	if name == s.Name() {
		return true
	}
	if filepath.Base(name) != name || name == "." || name == ".." {
		return true // not one of ours; assume alive
	}
	f, err := os.Open(filepath.Join(filepath.Dir(s.Dir), name, ".lock"))
	if err != nil {
		return !os.IsNotExist(err)
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return true
}
