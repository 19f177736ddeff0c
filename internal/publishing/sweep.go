package publishing

import (
	"context"
	"path"
	"strings"
	"time"

	"chorus/internal/files"
)

// SweepOrphans deletes stored files under tracks/ and artists/ that no row
// points at and that are older than minAge. They are what a process leaves
// when it dies between storing an upload and committing its row; minAge
// keeps the files of uploads still being committed. It returns how many
// files it deleted.
func (s *Service) SweepOrphans(ctx context.Context, minAge time.Duration) (int, error) {
	cutoff := time.Now().Add(-minAge)
	// Read the folders in use after listing would race with new uploads;
	// reading them first and skipping young files closes that window.
	used, err := s.DB.FileDirs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, prefix := range []string{"tracks/", "artists/"} {
		err := s.Files.List(ctx, prefix, func(o files.Object) error {
			if used[path.Dir(o.Key)] || o.ModTime.After(cutoff) || strings.HasSuffix(o.Key, ".tmp") {
				return nil
			}
			if err := s.Files.Delete(ctx, o.Key); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	if n > 0 {
		s.Logger.Info("removed stored files that no track or artist uses", "count", n)
	}
	return n, nil
}
