// Package ingest holds the benchmark of analytics ingestion: events per
// second with durable (committed) writes on SQLite and PostgreSQL,
// against the cost of an empty HTTP request in the same run. See
// bench/README.md.
package ingest
