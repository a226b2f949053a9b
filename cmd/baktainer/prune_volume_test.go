package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baktainer/baktainer/store"
)

// volumeData lays out a plugin's data mount under a temp directory: volume vol
// (its record with options) holding three archives of "db", an hour apart.
func volumeData(t *testing.T, vol, options string) (data string, archives []string) {
	t.Helper()
	data = t.TempDir()
	root := filepath.Join(data, "volumes", vol)
	for _, dir := range []string{root, filepath.Join(data, "state")} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	record := `{"version": 1, "name": "` + vol + `", "created": "2026-01-01T00:00:00Z", "options": {` + options + `}}`
	if err := os.WriteFile(filepath.Join(data, "state", vol+".json"), []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-4 * time.Hour).Truncate(time.Second)
	for i := range 3 {
		p, err := store.Create(root, store.Meta{Name: "db", Engine: "postgres", Created: start.Add(time.Duration(i) * time.Hour)}, "sql", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write(bytes.Repeat([]byte{byte('a' + i)}, 100)); err != nil {
			t.Fatal(err)
		}
		path, _, err := p.Commit()
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, path)
	}
	return data, archives
}

// Issue 17.7: `prune` of a backup volume's directory (or `prune --volume NAME`)
// applies that volume's retention options over BT_RETENTION_*, as the plugin's
// agent does; flags still win; --dry-run says "would remove" and removes nothing.
func TestPruneUsesTheVolumesRetention(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    func(data string) []string
		removed int // of the three archives, the oldest ones
	}{
		{"directory, dry run", func(d string) []string { return []string{"prune", "--dry-run", filepath.Join(d, "volumes", "pg")} }, 0},
		{"directory", func(d string) []string { return []string{"prune", filepath.Join(d, "volumes", "pg")} }, 2},
		{"--volume", func(d string) []string { return []string{"prune", "--volume", "pg", "--data", d} }, 2},
		{"a flag wins over the option", func(d string) []string { return []string{"prune", "--count", "2", "--volume", "pg", "--data", d} }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, archives := volumeData(t, "pg", `"retention.count": "1"`)
			out, errOut, code := runCLI(t, map[string]string{"BT_RETENTION_COUNT": "0"}, tc.args(data)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			if !strings.Contains(out, "volume pg") {
				t.Errorf("the output does not say whose retention it applied:\n%s", out)
			}
			if strings.Contains(tc.name, "dry run") && strings.Count(out, "would remove ") != 2 {
				t.Errorf("--dry-run does not say \"would remove\" for the two oldest:\n%s", out)
			}
			for i, a := range archives {
				_, err := os.Stat(a)
				if gone := err != nil; gone != (i < tc.removed) {
					t.Errorf("archive %d of 3 gone=%v, want %v\n%s%s", i+1, gone, i < tc.removed, out, errOut)
				}
			}
		})
	}
}
