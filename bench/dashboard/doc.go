// Package dashboard holds the benchmark of the statistics dashboards: the
// artist and admin dashboards over a year of synthetic aggregates on
// SQLite, against an empty dashboard rendered in the same run. See
// bench/README.md.
package dashboard
