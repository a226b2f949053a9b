package main

import (
	"context"
	"io"
)

// A command's standard input or output may block for good: a terminal nobody types
// into, a pipe whose other end neither writes nor reads. The signal context then
// must still stop the command: each read or write runs in a goroutine, and when ctx
// ends first the call returns ctx's error, leaving the goroutine blocked until the
// process exits (right after: the command is over).

type ioResult struct {
	n   int
	err error
}

// ctxReader reads from r until ctx is done, however long a read blocks.
type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	buf  []byte
	done chan ioResult
}

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader {
	return &ctxReader{ctx: ctx, r: r, done: make(chan ioResult, 1)}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	// The goroutine reads into a buffer of its own: after a cancel it may still
	// fill it, never p.
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	buf := c.buf[:len(p)]
	go func() {
		n, err := c.r.Read(buf)
		c.done <- ioResult{n, err}
	}()
	select {
	case res := <-c.done:
		return copy(p, buf[:res.n]), res.err
	case <-c.ctx.Done():
		c.buf = nil // the abandoned read owns it now
		return 0, c.ctx.Err()
	}
}

// ctxWriter writes to w until ctx is done, however long a write blocks.
type ctxWriter struct {
	ctx  context.Context
	w    io.Writer
	buf  []byte
	done chan ioResult
}

func newCtxWriter(ctx context.Context, w io.Writer) *ctxWriter {
	return &ctxWriter{ctx: ctx, w: w, done: make(chan ioResult, 1)}
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	c.buf = append(c.buf[:0], p...)
	buf := c.buf
	go func() {
		n, err := c.w.Write(buf)
		c.done <- ioResult{n, err}
	}()
	select {
	case res := <-c.done:
		return res.n, res.err
	case <-c.ctx.Done():
		c.buf = nil // the abandoned write owns it now
		return 0, c.ctx.Err()
	}
}
