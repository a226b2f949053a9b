// Command testhelper is the only program in the tests' FROM-scratch image
// (baktainer-test/tiny): a plain container that idles, and a stand-in "database" for
// load tests whose dump is cheap and recognisable.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Standin dump framing, checked by the tests' stand-in engine.
const (
	dumpHeader = "BAKTAINER-STANDIN-DUMP v1\n"
	dumpFooter = "BAKTAINER-STANDIN-DUMP END\n"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testhelper idle | dump BYTES [SECONDS] | cat | sleep SECONDS")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "idle":
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
	case "dump":
		if err := dump(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "testhelper dump:", err)
			os.Exit(1)
		}
	case "cat":
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			os.Exit(1)
		}
	case "sleep":
		d, err := strconv.ParseFloat(arg(os.Args, 2), 64)
		if err != nil {
			os.Exit(2)
		}
		time.Sleep(time.Duration(d * float64(time.Second)))
	default:
		fmt.Fprintf(os.Stderr, "testhelper: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

// dump writes BYTES bytes of payload between the header and footer, spread over
// SECONDS (default 0), so load tests can hold a dump open for a while.
func dump(args []string) error {
	size, err := strconv.Atoi(arg(args, 0))
	if err != nil {
		return fmt.Errorf("BYTES: %w", err)
	}
	seconds, _ := strconv.ParseFloat(arg(args, 1), 64)
	w := bufio.NewWriter(os.Stdout)
	w.WriteString(dumpHeader)
	const chunk = 4096
	steps := max(size/chunk, 1)
	pause := time.Duration(seconds * float64(time.Second) / float64(steps))
	line := []byte("standin row 0123456789 abcdefghijklmnopqrstuvwxyz\n")
	for written := 0; written < size; {
		n := min(len(line), size-written)
		w.Write(line[:n])
		written += n
		if pause > 0 && written%chunk < len(line) {
			w.Flush()
			time.Sleep(pause)
		}
	}
	w.WriteString(dumpFooter)
	return w.Flush()
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}
