package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Writers of one name start while others abort (removing the directories they
// emptied): every writer gets its temp file, and every commit lands.
func TestConcurrentCreateAndAbort(t *testing.T) {
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				p, err := Create(root, Meta{Name: "db", Created: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)}, "sql", Options{Compression: None})
				if err != nil {
					errs <- err
					return
				}
				if (i+j)%2 == 0 {
					p.Abort()
					continue
				}
				_, _ = p.Write([]byte("dump"))
				if _, _, err := p.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	archives, err := List(context.Background(), root)
	if err != nil || len(archives) != 80 {
		t.Errorf("List = %d archives, %v; want 80", len(archives), err)
	}
}

// Writers that all abort empty and remove the directories under each other.
func TestConcurrentAbortsRemovingDirectories(t *testing.T) {
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				p, err := Create(root, Meta{Name: "db"}, "sql", Options{Compression: None})
				if err != nil {
					errs <- err
					return
				}
				p.Abort()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
