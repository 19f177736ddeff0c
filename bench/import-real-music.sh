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
export LC_NUMERIC=C

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

# timed NAME CMD...: runs CMD and writes "WALL CPU STATUS" to $work/NAME.time:
# wall-clock seconds, CPU seconds (user + system, of CMD and every process
# it waited for, ffmpeg included) and CMD's exit status. CPU time is shown
# beside wall time because it barely moves when other work shares the machine.
timed() {
  local name=$1
  shift
  (
    t0=$(now)
    status=0
    "$@" || status=$?
    t1=$(now)
    times >"$work/$name.times" # in this shell: in a pipe it would see only its own children
    cpu=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.3f", t }' "$work/$name.times")
    echo "$(elapsed "$t0" "$t1") $cpu $status" >"$work/$name.time"
  )
  read -r "${name}_wall" "${name}_cpu" "${name}_status" <"$work/$name.time"
}

baseline() {
  printf '%s\0' "$work"/args/* | xargs -0 -n 1 -P "$jobs" bash -c 'run_one "$1"' run_one
}

run_import() {
  "$work/bin/chorus" import --artist "$artist" --license cc-by-sa-4.0 --quiet --jobs "$jobs" \
    --data "$1" "$corpus" >"$work/import.out" 2>"$work/import.err"
}

echo "corpus: $corpus (${#files[@]} tracks), jobs: $jobs, rounds: $repeat"
walls_base=() walls_import=() cpus_base=() cpus_import=()
imported=0
for round in $(seq 1 "$repeat"); do
  rm -f "$work/out"/*.mp3
  timed base baseline
  rm -f "$work/out"/*.mp3
  if [ "$base_status" -ne 0 ]; then
    echo "import-real-music: round $round: a baseline ffmpeg transcode failed" >&2
    exit 1
  fi

  data=$work/data-$round
  timed imp run_import "$data"
  rm -rf "$data"
  imported=$(sed -n 's/^Imported: \([0-9][0-9]*\).*/\1/p' "$work/import.out")
  if [ "$imp_status" -ne 0 ] || [ -z "$imported" ] || [ "$imported" -lt "$expected" ]; then
    echo "import-real-music: round $round: chorus import exited $imp_status and imported ${imported:-nothing}, want $expected" >&2
    cat "$work/import.out" "$work/import.err" >&2
    exit 1
  fi

  printf 'round %d: baseline %.2f s (CPU %.2f s), import %.2f s (CPU %.2f s)\n' \
    "$round" "$base_wall" "$base_cpu" "$imp_wall" "$imp_cpu"
  walls_base+=("$base_wall") walls_import+=("$imp_wall")
  cpus_base+=("$base_cpu") cpus_import+=("$imp_cpu")
done

# With several rounds, the median of each.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(median "${walls_base[@]}")
imp=$(median "${walls_import[@]}")
base_cpu=$(median "${cpus_base[@]}")
imp_cpu=$(median "${cpus_import[@]}")

echo "tracks imported:   $imported"
printf 'baseline seconds:  %.2f\n' "$base"
printf 'import seconds:    %.2f\n' "$imp"
awk -v i="$imp" -v b="$base" 'BEGIN { printf "ratio import/base: %.2f\n", i / b }'
awk -v i="$imp_cpu" -v b="$base_cpu" 'BEGIN { printf "CPU seconds:       baseline %.2f, import %.2f, ratio %.2f\n", b, i, i / b }'
