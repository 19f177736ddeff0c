// Command transcode-args prints the ffmpeg argument list that chorus runs to
// transcode one file, so that bench/import-real-music.sh can time exactly
// the same ffmpeg command on its own.
//
// Usage:
//
//	transcode-args [-artist NAME] [-album TITLE] SRC DST.mp3
//
// The title is taken from SRC's file name, as for an untagged upload. The
// arguments (without the program name) are written to standard output,
// each followed by a NUL byte.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"chorus/internal/media"
)

func main() {
	artist := flag.String("artist", "", "artist tag")
	album := flag.String("album", "", "album tag")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: transcode-args [-artist NAME] [-album TITLE] SRC DST.mp3")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	src, dst := flag.Arg(0), flag.Arg(1)
	args := media.TranscodeArgs(src, dst, media.TranscodeOptions{
		Title:  media.CleanTitle(filepath.Base(src)),
		Artist: *artist,
		Album:  *album,
	})
	w := bufio.NewWriter(os.Stdout)
	for _, a := range args {
		w.WriteString(a)
		w.WriteByte(0)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "transcode-args:", err)
		os.Exit(1)
	}
}
