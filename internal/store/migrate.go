package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"chorus/internal/chorus"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// MigrationResult says what Migrate applied.
type MigrationResult struct {
	Applied []string // file names of Chorus migrations applied now
	Version int64    // schema version after migrating
}

// Migrate brings the schema up to date: Chorus's own numbered migrations for
// this dialect (each in a transaction, forward only), then the job queue's.
// It is safe to run while other processes use the database.
func (s *DB) Migrate(ctx context.Context) (MigrationResult, error) {
	dir := "migrations/sqlite"
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return MigrationResult{}, err
	}
	p, err := goose.NewProvider(dialect, s.db, sub)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("apply migrations: %w", err)
	}
	var res MigrationResult
	for _, r := range results {
		res.Applied = append(res.Applied, r.Source.Path)
	}
	if res.Version, err = p.GetDBVersion(ctx); err != nil {
		return res, err
	}
	if err := s.migrateJobs(ctx); err != nil {
		return res, fmt.Errorf("apply job queue migrations: %w", err)
	}
	if err := s.fillUsernameSkeletons(ctx); err != nil {
		return res, fmt.Errorf("fill username skeletons: %w", err)
	}
	return res, nil
}

// fillUsernameSkeletons computes the look-alike key of usernames stored
// before the column existed, or under an earlier rule; SQL cannot compute
// it. Only rows whose key changes are written.
func (s *DB) fillUsernameSkeletons(ctx context.Context) error {
	rows, err := s.query(ctx, `SELECT id, username, username_skeleton FROM members`)
	if err != nil {
		return err
	}
	type row struct {
		id   int64
		name string
	}
	var todo []row
	for rows.Next() {
		var r row
		var stored string
		if err := rows.Scan(&r.id, &r.name, &stored); err != nil {
			rows.Close()
			return err
		}
		if chorus.UsernameSkeleton(r.name) != stored {
			todo = append(todo, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range todo {
		if _, err := s.exec(ctx, `UPDATE members SET username_skeleton = ? WHERE id = ?`, chorus.UsernameSkeleton(r.name), r.id); err != nil {
			return err
		}
	}
	return nil
}

func (s *DB) migrateJobs(ctx context.Context) error {
	if s.dialect == Postgres {
		m, err := rivermigrate.New(riverdatabasesql.New(s.jobs), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	m, err := rivermigrate.New(riversqlite.New(s.jobs), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
