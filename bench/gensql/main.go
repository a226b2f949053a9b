// Command gensql writes SIZE bytes of deterministic SQL dump text to stdout (see
// package sqlgen), for `make bench`: gensql -size 2147483648 -seed 1 > dump.sql
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/baktainer/baktainer/bench/sqlgen"
)

func main() {
	size := flag.Int64("size", 100<<20, "bytes to write")
	seed := flag.Uint64("seed", 1, "the same seed gives the same bytes")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if _, err := io.CopyN(w, sqlgen.Reader(*seed), *size); err != nil {
		fmt.Fprintln(os.Stderr, "gensql:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gensql:", err)
		os.Exit(1)
	}
}
