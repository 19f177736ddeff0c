// Package erasure erases a member's account as the data map
// (internal/datamap) declares: for each table, which rows are the
// member's and what becomes of them (deleted, anonymised, or kept under a
// named legal obligation). A column declared later is erased by the same
// code; only stored files need handlers of their own, one per kind of
// file.
package erasure

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/files"
	"chorus/internal/store"
)

// TrackDeleter deletes a track with all its stored files
// (publishing.Service).
type TrackDeleter interface {
	DeleteTrack(ctx context.Context, trackID int64) error
}

// MailFiles deletes a message written to the mail folder (mail.Service).
type MailFiles interface {
	DeleteEML(key string) error
}

// Service erases accounts.
type Service struct {
	DB     *store.DB
	Files  *files.Store
	Tracks TrackDeleter
	// Mail deletes .eml files; nil when mail goes by SMTP only.
	Mail MailFiles
	// ReserveUsernames keeps the usernames of erased accounts from being
	// registered again (as a hash, see store.ReservedNameHash); otherwise
	// they are free for anyone at once.
	ReserveUsernames bool
	Logger           *slog.Logger
}

// Report says what an erasure did.
type Report struct {
	// Rows counts the rows deleted or anonymised per table.
	Rows map[string]int64
	// Files counts the stored files deleted per kind.
	Files map[datamap.FileKind]int
}

// EraseRequested erases the member's account when their erasure request
// of requestedAt is still pending: one cancelled (by logging in) or
// replaced by a newer request does nothing. It is the erasure job's work.
func (s *Service) EraseRequested(ctx context.Context, memberID int64, requestedAt time.Time) error {
	req, err := s.DB.ErasureRequest(ctx, memberID)
	if errors.Is(err, chorus.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !req.RequestedAt.Equal(requestedAt.Truncate(time.Microsecond)) {
		return nil
	}
	_, err = s.Erase(ctx, memberID)
	return err
}

// Erase erases the member's account now: first the stored files that
// their rows point at, then the rows, table by table in the data map's
// order, then the session store's rows that name them. It can run again
// after a failure halfway: what is gone stays gone, and the rest follows.
func (s *Service) Erase(ctx context.Context, memberID int64) (Report, error) {
	rep := Report{Rows: map[string]int64{}, Files: map[datamap.FileKind]int{}}
	m, err := s.DB.Member(ctx, memberID)
	if err != nil {
		return rep, err
	}
	subject := datamap.Subject{ID: m.ID, Email: m.Email, Username: m.Username}
	tables := datamap.For(string(s.DB.Dialect()))
	slices.SortStableFunc(tables, func(a, b datamap.Table) int { return cmp.Compare(a.Order, b.Order) })

	for _, t := range tables {
		for _, c := range t.Columns {
			if c.Files == "" || t.Owner.Where == "" {
				continue
			}
			n, err := s.eraseFiles(ctx, t, c, subject)
			rep.Files[c.Files] += n
			if err != nil {
				return rep, fmt.Errorf("erase %s of member %d: %w", c.Files, memberID, err)
			}
		}
	}

	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if s.ReserveUsernames {
			if err := tx.ReserveUsername(ctx, m.Username); err != nil {
				return err
			}
		}
		for _, t := range tables {
			if t.Owner.Where == "" || t.Rows == datamap.NoRows {
				continue
			}
			n, err := eraseRows(ctx, tx, t, subject)
			if err != nil {
				return err
			}
			rep.Rows[t.Name] += n
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("erase member %d: %w", memberID, err)
	}

	for _, t := range tables {
		if t.Owner.SessionKey == "" {
			continue
		}
		n, err := s.eraseSessions(ctx, t, subject)
		rep.Rows[t.Name] += n
		if err != nil {
			return rep, fmt.Errorf("erase sessions of member %d: %w", memberID, err)
		}
	}
	if err := s.DB.CompactSearchIndex(ctx); err != nil {
		return rep, fmt.Errorf("compact the search index: %w", err)
	}
	s.Logger.Info("account erased", "member", memberID, "tables", len(rep.Rows), "files", rep.Files)
	return rep, nil
}

// eraseRows applies the table's rule to the member's rows.
func eraseRows(ctx context.Context, tx *store.Tx, t datamap.Table, subject datamap.Subject) (int64, error) {
	where, args := t.Owner.Bind(subject)
	if t.Rows == datamap.DeleteRows {
		var kept int64
		if t.Tombstone != "" {
			// Rows others' rows hang on become tombstones first; the
			// columns' rules leave them no longer the member's, so the
			// delete below passes them by.
			cond, condArgs := t.TombstoneBind(subject)
			n, err := tx.UpdateWhere(ctx, t.Name, strings.Join(setters(t), ", "), "("+where+") AND ("+cond+")", append(args, condArgs...)...)
			if err != nil {
				return 0, err
			}
			kept = n
		}
		n, err := tx.DeleteWhere(ctx, t.Name, where, args...)
		return kept + n, err
	}
	set := setters(t)
	if len(set) == 0 {
		return 0, nil
	}
	return tx.UpdateWhere(ctx, t.Name, strings.Join(set, ", "), where, args...)
}

// setters returns the "column = value" assignments that apply each
// personal column's erasure rule to a kept row.
func setters(t datamap.Table) []string {
	var set []string
	for _, c := range t.Columns {
		if !c.Personal() || c.Erasure.Action == datamap.Keep {
			continue
		}
		set = append(set, c.Name+" = "+c.Erasure.Value)
	}
	return set
}

// eraseFiles deletes the stored files that column c of the member's rows
// of t points at, with the handler of their kind, and returns how many
// it deleted (a track counts once, for its folder).
func (s *Service) eraseFiles(ctx context.Context, t datamap.Table, c datamap.Column, subject datamap.Subject) (int, error) {
	where, args := t.Owner.Bind(subject)
	switch c.Files {
	case datamap.TrackFiles:
		ids, err := s.DB.IDs(ctx, `SELECT id FROM `+t.Name+` WHERE `+where, args...)
		if err != nil {
			return 0, err
		}
		for i, id := range ids {
			if err := s.Tracks.DeleteTrack(ctx, id); err != nil && !errors.Is(err, chorus.ErrNotFound) {
				return i, err
			}
		}
		return len(ids), nil
	case datamap.PictureFiles:
		keys, err := s.DB.Strings(ctx, `SELECT `+c.Name+` FROM `+t.Name+` WHERE (`+where+`) AND `+c.Name+` <> ''`, args...)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, key := range keys {
			// A picture's folder holds its sizes only (KEY-96.jpg, ...).
			err := s.Files.List(ctx, path.Dir(key)+"/", func(o files.Object) error {
				n++
				return s.Files.Delete(ctx, o.Key)
			})
			if err != nil {
				return n, err
			}
		}
		return n, nil
	case datamap.ExportFiles:
		keys, err := s.DB.Strings(ctx, `SELECT `+c.Name+` FROM `+t.Name+` WHERE (`+where+`) AND `+c.Name+` <> ''`, args...)
		if err != nil {
			return 0, err
		}
		for i, key := range keys {
			if err := s.Files.Delete(ctx, key); err != nil {
				return i, err
			}
		}
		return len(keys), nil
	case datamap.MailFiles:
		keys, err := s.DB.Strings(ctx, `SELECT `+c.Name+` FROM `+t.Name+` WHERE (`+where+`) AND `+c.Name+` <> ''`, args...)
		if err != nil || s.Mail == nil {
			return 0, err
		}
		for i, key := range keys {
			if err := s.Mail.DeleteEML(key); err != nil {
				return i, err
			}
		}
		return len(keys), nil
	}
	return 0, fmt.Errorf("no handler for stored files of kind %q (%s.%s)", c.Files, t.Name, c.Name)
}

// eraseSessions deletes the session store's rows whose data name the
// member: they cannot be selected in SQL, so each is decoded with the
// session store's codec.
func (s *Service) eraseSessions(ctx context.Context, t datamap.Table, subject datamap.Subject) (int64, error) {
	var tokens []string
	codec := scs.GobCodec{}
	err := s.DB.EachBlob(ctx, t.Name, "token", "data", func(token string, data []byte) error {
		_, values, err := codec.Decode(data)
		if err != nil {
			return nil // not ours to judge: it is not a session of this member
		}
		if id, ok := values[t.Owner.SessionKey].(int64); ok && id == subject.ID {
			tokens = append(tokens, token)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		for _, tok := range tokens {
			d, err := tx.DeleteWhere(ctx, t.Name, "token = ?", tok)
			if err != nil {
				return err
			}
			n += d
		}
		return nil
	})
	return n, err
}
