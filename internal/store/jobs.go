package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// OrphanedJob is a job the queue believes is running.
type OrphanedJob struct {
	ID int64
	// Worker is the queue client id of the last attempt.
	Worker string
}

// RunningJobs lists the jobs of the given kind in the queue's running state
// with the client that runs them. It reads the job queue's own table
// (river_job), whose attempted_by column is a text[] on PostgreSQL and
// JSON on SQLite.
func (s *DB) RunningJobs(ctx context.Context, kind string) ([]OrphanedJob, error) {
	q := `SELECT id, COALESCE(json(attempted_by), '[]') FROM river_job WHERE state = 'running' AND kind = ?`
	if s.dialect == Postgres {
		q = `SELECT id, COALESCE(array_to_json(attempted_by)::text, '[]') FROM river_job WHERE state = 'running' AND kind = ?`
	}
	rows, err := s.jobs.QueryContext(ctx, rebind(s.dialect, q), kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrphanedJob
	for rows.Next() {
		var j OrphanedJob
		var by string
		if err := rows.Scan(&j.ID, &by); err != nil {
			return nil, err
		}
		var workers []string
		if err := json.Unmarshal([]byte(by), &workers); err != nil {
			return nil, fmt.Errorf("job %d attempted_by: %w", j.ID, err)
		}
		if len(workers) > 0 {
			j.Worker = workers[len(workers)-1]
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// RequeueJob makes a job left running by a dead process available again
// at once, keeping its attempt count (so its retry limit still holds). It
// changes nothing if the job is no longer running.
func (s *DB) RequeueJob(ctx context.Context, id int64) (bool, error) {
	q := `UPDATE river_job SET state = 'available', scheduled_at = ? WHERE id = ? AND state = 'running'`
	res, err := s.jobs.ExecContext(ctx, rebind(s.dialect, q), s.now().UTC(), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
