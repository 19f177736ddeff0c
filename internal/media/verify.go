package media

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Verify decodes the first audio stream of src to the end, without writing
// anything, and returns the decoded duration. It refuses, with
// ErrUnreadable, a file that ffmpeg cannot decode to the end or that
// decodes clearly shorter than expected (a truncated FLAC or MP3 whose
// header still announces the whole length). expected may be zero to skip
// the length check (see Probe.DurationEstimated). Decoding goes to 8 kHz
// mono, so it costs a fraction of a transcode.
func (t Tool) Verify(ctx context.Context, src string, expected time.Duration) (time.Duration, error) {
	src = safePath(src)
	args := []string{
		"-nostdin", "-hide_banner", "-loglevel", "level+error",
		"-protocol_whitelist", "file", "-format_whitelist", audioDemuxers,
		"-i", src,
		"-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1",
		"-ac", "1", "-ar", strconv.Itoa(peakRate), "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1",
	}
	cmd := command(ctx, t.ffmpeg(), args)
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	pcm, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("media: %w", err)
	}
	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("media: running %s: %w", t.ffmpeg(), err)
	}
	acc := newPeakAccumulator(PeakCount, peakBlocks)
	readErr := acc.readPCM(pcm)
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if readErr != nil {
		return 0, fmt.Errorf("media: reading ffmpeg output: %w", readErr)
	}
	if waitErr != nil {
		if isExit(waitErr) {
			return 0, reject(ErrUnreadable, "it seems to be damaged or incomplete, and could not be played to the end", stderr.String())
		}
		return 0, fmt.Errorf("media: running %s: %w", t.ffmpeg(), waitErr)
	}
	if acc.total == 0 {
		return 0, reject(ErrUnreadable, "no sound could be decoded from it", stderr.String())
	}
	got := time.Duration(acc.total) * time.Second / peakRate
	if expected > 0 && got < expected-expected/20-truncationSlack {
		return got, reject(ErrUnreadable,
			fmt.Sprintf("it seems to be cut off: it should last %s, but only %s could be played", formatSeconds(expected), formatSeconds(got)),
			stderr.String())
	}
	return got, nil
}
