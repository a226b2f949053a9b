package engines

// recordSize is how much of a dump's start and end CheckComplete gets to see.
const recordSize = 4 << 10

// Recorder is an io.Writer that keeps the first and last few KiB written to it, for
// Engine.CheckComplete, in constant memory.
type Recorder struct {
	head  []byte
	tail  []byte // ring buffer once full
	next  int    // where the ring writes next
	total int64
}

// Write records p; it never fails.
func (r *Recorder) Write(p []byte) (int, error) {
	r.total += int64(len(p))
	if room := recordSize - len(r.head); room > 0 {
		r.head = append(r.head, p[:min(room, len(p))]...)
	}
	if len(p) >= recordSize {
		r.tail = append(r.tail[:0], p[len(p)-recordSize:]...)
		r.next = 0
		return len(p), nil
	}
	written := len(p)
	for len(p) > 0 {
		if len(r.tail) < recordSize {
			n := min(recordSize-len(r.tail), len(p))
			r.tail = append(r.tail, p[:n]...)
			p = p[n:]
			continue
		}
		n := copy(r.tail[r.next:], p)
		r.next = (r.next + n) % recordSize
		p = p[n:]
	}
	return written, nil
}

// Head returns the first bytes written.
func (r *Recorder) Head() []byte { return r.head }

// Tail returns the last bytes written, in order.
func (r *Recorder) Tail() []byte {
	if len(r.tail) < recordSize || r.next == 0 {
		return r.tail
	}
	return append(append([]byte{}, r.tail[r.next:]...), r.tail[:r.next]...)
}

// Len returns how many bytes were written in all.
func (r *Recorder) Len() int64 { return r.total }
