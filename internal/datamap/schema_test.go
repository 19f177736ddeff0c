package datamap_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"chorus/internal/datamap"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// ignoredTable reports whether a table is left out of the data map:
//   - river_*: the job queue's own tables (github.com/riverqueue/river).
//     Their schema is the library's, migrated by it; a job's arguments hold
//     ids (a track, a message, a member being erased) and River deletes
//     finished jobs after a day.
//   - goose_db_version: the migration tool's record of applied migrations.
//   - sqlite_*: SQLite's internal tables (sqlite_sequence, sqlite_stat1).
func ignoredTable(name string) bool {
	return strings.HasPrefix(name, "river_") || name == "goose_db_version" || strings.HasPrefix(name, "sqlite_")
}

// liveSchema returns the tables of the migrated database with their columns.
func liveSchema(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	q := db.SQL()
	out := map[string][]string{}
	var tables []string
	var rows *sql.Rows
	var err error
	if db.Dialect() == store.Postgres {
		rows, err = q.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	} else {
		rows, err = q.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	}
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	for _, table := range tables {
		if ignoredTable(table) {
			continue
		}
		var cols *sql.Rows
		if db.Dialect() == store.Postgres {
			cols, err = q.QueryContext(ctx, `SELECT column_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = $1`, table)
		} else {
			cols, err = q.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
		}
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var c string
			if err := cols.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], c)
		}
		cols.Close()
	}
	if len(out) < 10 {
		t.Fatalf("found only %d tables: %v; is the schema where the test looks?", len(out), out)
	}
	return out
}

// TestSchemaIsDeclared fails, naming them, for every table or column of the
// migrated schema the data map does not declare, and for every declared
// table or column the schema no longer has.
func TestSchemaIsDeclared(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		live := liveSchema(t, db)
		declared := map[string][]string{}
		for _, table := range datamap.For(string(db.Dialect())) {
			for _, c := range table.Columns {
				declared[table.Name] = append(declared[table.Name], c.Name)
			}
		}
		var problems []string
		for table, cols := range live {
			d, ok := declared[table]
			if !ok {
				problems = append(problems, fmt.Sprintf("table %s (columns %s) is not in the data map", table, strings.Join(cols, ", ")))
				continue
			}
			for _, c := range cols {
				if !slices.Contains(d, c) {
					problems = append(problems, fmt.Sprintf("column %s.%s is not in the data map", table, c))
				}
			}
		}
		for table, cols := range declared {
			l, ok := live[table]
			if !ok {
				problems = append(problems, fmt.Sprintf("table %s is in the data map but not in the schema", table))
				continue
			}
			for _, c := range cols {
				if !slices.Contains(l, c) {
					problems = append(problems, fmt.Sprintf("column %s.%s is in the data map but not in the schema", table, c))
				}
			}
		}
		slices.Sort(problems)
		for _, p := range problems {
			t.Error(p)
		}
	})
}
