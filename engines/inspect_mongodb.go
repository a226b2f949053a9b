package engines

import (
	"context"
	"fmt"
	"io"

	"github.com/baktainer/baktainer/store"
)

var _ Inspector = MongoDB{}

// NewCounter implements Inspector.
func (MongoDB) NewCounter(string) *Counter { return newCounter(countMongoDB()) }

// errMongoUnproven says why MongoDB restores are not inspected: no MongoDB runs
// where baktainer is tested, so checks written for it would be unproven.
var errMongoUnproven = fmt.Errorf("%w: mongodb restores cannot be proven here (no MongoDB server to test against); its archives record their counts only", ErrNotSupported)

// Scratch implements Inspector.
func (MongoDB) Scratch(ScratchDump) (Scratch, error) { return Scratch{}, errMongoUnproven }

// Survey implements Inspector.
func (MongoDB) Survey(context.Context, Execer, Target, *store.Contents, bool) (*store.Contents, error) {
	return nil, errMongoUnproven
}

// SelectDatabase implements Inspector.
func (MongoDB) SelectDatabase(io.Reader, string) (io.ReadCloser, error) { return nil, errMongoUnproven }
