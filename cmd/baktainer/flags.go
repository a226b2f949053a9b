package main

import (
	"flag"

	"github.com/baktainer/baktainer/store"
)

// parsedFlag is a flag whose value is parsed as the flag is, so that a bad value
// is a usage error (exit 2) like an unknown flag, the same for every command.
type parsedFlag[T ~string] struct {
	value *T
	parse func(string) (T, error)
}

func (f parsedFlag[T]) String() string {
	if f.value == nil {
		return ""
	}
	return string(*f.value)
}

func (f parsedFlag[T]) Set(s string) error {
	v, err := f.parse(s)
	if err == nil {
		*f.value = v
	}
	return err
}

func newParsedFlag[T ~string](fs *flag.FlagSet, name string, def T, usage string, parse func(string) (T, error)) *T {
	value := def
	fs.Var(parsedFlag[T]{&value, parse}, name, usage)
	return &value
}

// compressionFlag is a --compress flag: zstd, gzip or none.
func compressionFlag(fs *flag.FlagSet, name string, def store.Compression, usage string) *store.Compression {
	return newParsedFlag(fs, name, def, usage, store.ParseCompression)
}

// levelFlag is a --level flag: fastest, default, better or best.
func levelFlag(fs *flag.FlagSet, name string, def store.Level, usage string) *store.Level {
	return newParsedFlag(fs, name, def, usage, store.ParseLevel)
}
