package rig

import (
	"io"
	"net"
	"sync"
)

// Expose makes a TCP server that listens on this machine's loopback (addr:
// the test registry, an S3 server...) reachable from every node of the swarm:
// it listens on the gateway address and relays each connection to addr until
// the test ends. It returns the address the nodes use. Servers stay on
// loopback; only the swarm's own network reaches the relay.
func (s *Swarm) Expose(addr string) string {
	s.t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(s.Gateway(), "0"))
	if err != nil {
		s.t.Fatalf("listen on the swarm's gateway to relay %s: %v", addr, err)
	}
	r := &relay{target: addr, open: map[net.Conn]bool{}}
	r.wg.Add(1)
	go r.serve(l)
	s.t.Cleanup(func() {
		_ = l.Close()
		r.closeAll()
		r.wg.Wait()
	})
	return l.Addr().String()
}

// relay copies bytes between the connections it accepts and target.
type relay struct {
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex
	open   map[net.Conn]bool
	closed bool
}

func (r *relay) serve(l net.Listener) {
	defer r.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return // the listener was closed at the end of the test
		}
		r.wg.Add(1)
		go r.pipe(c)
	}
}

// track remembers a connection so the end of the test can close it; it
// refuses (false) once the relay is closing.
func (r *relay) track(cs ...net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	for _, c := range cs {
		r.open[c] = true
	}
	return true
}

func (r *relay) closeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for c := range r.open {
		_ = c.Close()
	}
}

// pipe relays one connection both ways; each direction's end is passed on as
// a half-close, so request/response protocols see their EOFs.
func (r *relay) pipe(in net.Conn) {
	defer r.wg.Done()
	defer in.Close()
	out, err := net.Dial("tcp", r.target)
	if err != nil {
		return // the client sees its connection closed
	}
	defer out.Close()
	if !r.track(in, out) {
		return
	}
	defer func() {
		r.mu.Lock()
		delete(r.open, in)
		delete(r.open, out)
		r.mu.Unlock()
	}()
	done := make(chan struct{})
	go func() {
		copyHalf(out, in)
		close(done)
	}()
	copyHalf(in, out)
	<-done
}

// copyHalf copies src to dst, then closes dst for writing.
func copyHalf(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tcp, ok := dst.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
		return
	}
	_ = dst.Close()
}
