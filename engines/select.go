package engines

import (
	"bufio"
	"io"
)

// A sectioner decides, line by line, what of a dump of every database goes into
// the dump of one database.
type sectioner interface {
	// keep is called with the start of each line (a long line's first chunk) and
	// returns what to write for it: the line, a replacement, or nil to drop it.
	// The rest of a long line follows the decision for its start.
	keep(line []byte) ([]byte, error)
	// end is called at the end of the dump: an error if the database was not in it.
	end() error
}

// selectSection streams the lines of dump that s keeps, after header. Closing the
// reader it returns stops the goroutine that feeds it.
func selectSection(dump io.Reader, header string, s sectioner) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		br := bufio.NewReaderSize(dump, 64<<10)
		_, err := io.WriteString(pw, header)
		keeping, midLine := false, false
		for err == nil {
			chunk, readErr := br.ReadSlice('\n')
			if len(chunk) > 0 {
				out := chunk
				if !midLine {
					out, err = s.keep(chunk)
					keeping = out != nil
				}
				if err == nil && keeping {
					_, err = pw.Write(out)
				}
				midLine = readErr == bufio.ErrBufferFull
			}
			switch {
			case err != nil, readErr == nil, readErr == bufio.ErrBufferFull:
			case readErr == io.EOF:
				if err = s.end(); err == nil {
					_ = pw.Close()
					return
				}
			default:
				err = readErr
			}
		}
		pw.CloseWithError(err)
	}()
	return pr
}
