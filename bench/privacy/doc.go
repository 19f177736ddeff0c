// Package privacy holds the benchmarks of a member's export and erasure:
// a heavy member (100,000 listening events, 1,000 comments, 100 tracks)
// against a light one in the same run, for time and peak memory. See
// bench/README.md.
package privacy
