package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/baktainer/baktainer/config"
)

// startServer serves a /health and a POST endpoint that reads its body, with lim.
func startServer(t *testing.T, lim HTTPLimits) string {
	t.Helper()
	s := newServer(config.Server{Bind: "127.0.0.1"}, lim, logrus.NewEntry(logrus.New()))
	s.HandlePublic("GET /health", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, "ok") }))
	s.Handle("POST /body", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, 200, "read")
	}))
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s.Addr()
}

// Real sockets: a request whose headers or body never end is cut off by the
// server (the client waits far longer than the limits), and past MaxConns a new
// connection is served only once another ends.
func TestServerBoundsSlowAndExtraClients(t *testing.T) {
	addr := startServer(t, HTTPLimits{MaxConns: 2, ReadHeaderTimeout: 200 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: time.Second, IdleTimeout: 500 * time.Millisecond})
	for name, request := range map[string]string{
		"headers never end":  "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n",
		"body never arrives": "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, request)
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.Copy(io.Discard, conn); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: the server still holds the connection after 20s", name)
		}
		conn.Close()
	}

	addr = startServer(t, HTTPLimits{MaxConns: 2, ReadHeaderTimeout: time.Minute, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: time.Minute})
	var held []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		held = append(held, conn)
	}
	served := make(chan error, 1)
	go func() {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			defer conn.Close()
			_, _ = io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			var resp *http.Response
			if resp, err = http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
				resp.Body.Close()
			}
		}
		served <- err
	}()
	select {
	case err := <-served:
		t.Fatalf("a third connection was served (%v) while two held the limit of 2", err)
	case <-time.After(500 * time.Millisecond):
	}
	held[0].Close()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("the waiting connection: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting connection was not served after another ended")
	}
}
