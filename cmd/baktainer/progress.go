package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docker/go-units"
	"golang.org/x/term"
)

// progress reports a restore's progress: on a terminal one line rewritten in
// place (bytes, rate, time left), else a log line now and then.
type progress struct {
	env      *runEnv
	total    int64 // dump bytes; 0 when unknown
	n        int64
	started  time.Time
	last     time.Time
	tty      bool
	interval time.Duration
}

func newProgress(env *runEnv, total int64) *progress {
	p := &progress{env: env, total: total, started: time.Now(), interval: 10 * time.Second}
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.interval = true, 250*time.Millisecond
	}
	p.last = p.started
	return p
}

// reader counts what r gives.
func (p *progress) reader(r io.Reader) io.Reader { return progressReader{r: r, p: p} }

type progressReader struct {
	r io.Reader
	p *progress
}

func (pr progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.add(int64(n))
	return n, err
}

func (p *progress) add(n int64) {
	p.n += n
	if now := time.Now(); now.Sub(p.last) >= p.interval {
		p.last = now
		p.show(false)
	}
}

// done shows the last state.
func (p *progress) done() {
	p.show(true)
	if p.tty {
		fmt.Fprintln(p.env.stderr)
	}
}

func (p *progress) show(final bool) {
	elapsed := time.Since(p.started)
	rate := float64(p.n) / max(elapsed.Seconds(), 0.001)
	line := fmt.Sprintf("restoring: %s", units.BytesSize(float64(p.n)))
	if p.total > 0 {
		line += fmt.Sprintf(" of %s (%d%%)", units.BytesSize(float64(p.total)), p.n*100/p.total)
	}
	line += fmt.Sprintf(", %s/s", units.BytesSize(rate))
	if p.total > 0 && rate > 0 && !final && p.n < p.total {
		left := time.Duration(float64(p.total-p.n) / rate * float64(time.Second))
		line += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	if final {
		line += fmt.Sprintf(", %s", elapsed.Round(100*time.Millisecond))
	}
	if p.tty {
		fmt.Fprintf(p.env.stderr, "\r\033[K%s", line)
		return
	}
	p.env.log.Info(line)
}
