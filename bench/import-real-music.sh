#!/usr/bin/env bash
# Times `chorus import` of a real music corpus (the 41 Ogg Vorbis tracks of
# Battle for Wesnoth's soundtrack) against a baseline of the bare ffmpeg
# transcodes that the import runs, in the same run, with the same
# parallelism. The ratio import/baseline is what chorus adds on top of ffmpeg.
#
# Usage: bench/import-real-music.sh
#
# Environment:
#   CORPUS_DIR  where the corpus is kept (default ${XDG_CACHE_HOME:-$HOME/.cache}/chorus-corpus);
#               fetched there on first use (~150 MB, Debian package wesnoth-1.16-music)
#   JOBS        files processed at once, by both the baseline and the import (default: nproc)
#   REPEAT      how many baseline + import rounds to run (default 1)
#   CHORUS_FFMPEG, CHORUS_FFPROBE  as for chorus; the baseline uses the same ffmpeg
#
# Exits non-zero if a baseline transcode fails, the import fails, or the
# import imports fewer than 41 tracks.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

expected=41
corpus=${CORPUS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chorus-corpus}
jobs=${JOBS:-$(nproc)}
repeat=${REPEAT:-1}
ffmpeg=${CHORUS_FFMPEG:-ffmpeg}
artist="Battle for Wesnoth"

# The import must write only to its own fresh data directory.
unset CHORUS_DATA_DIR CHORUS_DATABASE_URL CHORUS_BLOB_URL CHORUS_WORKERS

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

fetch=$repo/../shared/corpus/fetch-real-music.sh
if [ ! -f "$fetch" ]; then
  echo "import-real-music: $fetch not found" >&2
  exit 1
fi
bash "$fetch" "$corpus"

work=$(mktemp -d "${TMPDIR:-/tmp}/chorus-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/args" "$work/out"

go build -o "$work/bin/chorus" ./cmd/chorus
go build -o "$work/bin/transcode-args" ./bench/transcode-args

# The baseline's commands, written out before any timing: for each track,
# the NUL-separated argument list that chorus's transcode step hands ffmpeg.
mapfile -d '' files < <(find "$corpus" -maxdepth 1 -type f -name '*.ogg' -print0 | sort -z)
if [ "${#files[@]}" -lt "$expected" ]; then
  echo "import-real-music: $corpus holds ${#files[@]} tracks, want $expected" >&2
  exit 1
fi
for i in "${!files[@]}"; do
  "$work/bin/transcode-args" -artist "$artist" "${files[$i]}" "$work/out/$i.mp3" >"$work/args/$i"
done

# run_one ARGFILE: one ffmpeg transcode, its PCM output (read by chorus for
# the waveform) thrown away.
run_one() {
  local -a args
  mapfile -d '' args <"$1"
  "$FFMPEG" "${args[@]}" >/dev/null
}
export -f run_one
export FFMPEG=$ffmpeg

echo "corpus: $corpus (${#files[@]} tracks), jobs: $jobs, rounds: $repeat"
base_times=() import_times=()
imported=0
for round in $(seq 1 "$repeat"); do
  rm -f "$work/out"/*.mp3

  t0=$(now)
  printf '%s\0' "$work"/args/* | xargs -0 -n 1 -P "$jobs" bash -c 'run_one "$1"' run_one
  t1=$(now)
  base=$(elapsed "$t0" "$t1")
  rm -f "$work/out"/*.mp3

  data=$work/data-$round
  t0=$(now)
  status=0
  "$work/bin/chorus" import --artist "$artist" --license cc-by-sa-4.0 --quiet --jobs "$jobs" \
    --data "$data" "$corpus" >"$work/import.out" 2>"$work/import.err" || status=$?
  t1=$(now)
  imp=$(elapsed "$t0" "$t1")
  rm -rf "$data"

  imported=$(sed -n 's/^Imported: \([0-9][0-9]*\).*/\1/p' "$work/import.out")
  if [ "$status" -ne 0 ] || [ -z "$imported" ] || [ "$imported" -lt "$expected" ]; then
    echo "import-real-music: round $round: chorus import exited $status and imported ${imported:-nothing}, want $expected" >&2
    cat "$work/import.out" "$work/import.err" >&2
    exit 1
  fi
  printf 'round %d: baseline %.2f s, import %.2f s\n' "$round" "$base" "$imp"
  base_times+=("$base") import_times+=("$imp")
done

# With several rounds, the median of each.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(median "${base_times[@]}")
imp=$(median "${import_times[@]}")

echo "tracks imported:   $imported"
printf 'baseline seconds:  %.2f\n' "$base"
printf 'import seconds:    %.2f\n' "$imp"
awk -v i="$imp" -v b="$base" 'BEGIN { printf "ratio import/base: %.2f\n", i / b }'
