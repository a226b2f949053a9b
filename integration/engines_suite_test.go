//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"go.yaml.in/yaml/v3"

	"github.com/baktainer/baktainer/agent"
	"github.com/baktainer/baktainer/docker"
	"github.com/baktainer/baktainer/engines"
	"github.com/baktainer/baktainer/engines/enginetest"
	"github.com/baktainer/baktainer/integration/rig"
	"github.com/baktainer/baktainer/labels"
	"github.com/baktainer/baktainer/store"
)

// engineHarness gives the shared engine suite the real machinery: agent.Resolve and
// agent.RunBackup into a zstd archive store, store.Open to read it back.
func engineHarness(dc *docker.Client) enginetest.Harness {
	return enginetest.Harness{
		Docker: dc,
		Backup: func(ctx context.Context, ex engines.Execer, log io.Writer, container string, labelSet map[string]string, dir string) (string, error) {
			target, eng, err := agent.Resolve(ctx, dc, engines.Default(), container)
			if labelSet != nil {
				target, eng, err = engResolveWith(ctx, dc, container, labelSet)
			}
			if err != nil {
				return "", err
			}
			logger := logrus.New()
			logger.SetOutput(log)
			res, err := agent.RunBackup(ctx, ex, logrus.NewEntry(logger), agent.Job{
				Target: target, Engine: eng, Root: dir, Options: store.Options{Compression: store.Zstd},
			})
			return res.Path, err
		},
		Open: func(archive string) (io.ReadCloser, error) {
			if err := store.VerifyChecksum(context.Background(), archive); err != nil {
				return nil, err
			}
			return store.Open(archive)
		},
		StartBare: func(t *testing.T, set map[string]string) string {
			return rig.Start(t, dc, rig.ContainerSpec{Name: "eng-bare", Image: rig.TinyImage, Labels: engRunLabels(set)})
		},
	}
}

// engResolveWith resolves container as agent.Resolve does, but with labelSet in
// place of its labels, so one running server can be tried under many label sets.
func engResolveWith(ctx context.Context, dc *docker.Client, container string, labelSet map[string]string) (engines.Target, engines.Engine, error) {
	c, err := dc.Inspect(ctx, container)
	if err != nil {
		return engines.Target{}, nil, err
	}
	spec, err := labels.Parse(labelSet)
	problems := []error{err}
	var eng engines.Engine
	if err == nil {
		if eng, err = engines.Default().Lookup(spec.Engine); err == nil {
			err = eng.Validate(spec)
		}
		problems = append(problems, err)
	}
	if err := errors.Join(problems...); err != nil {
		return engines.Target{}, nil, fmt.Errorf("container %s: %w", c.Name, err)
	}
	c.Labels = labelSet
	return engines.Target{Container: c, Spec: spec}, eng, nil
}

// engRunLabels returns set plus the run label that marks the container as a test's.
func engRunLabels(set map[string]string) map[string]string {
	out := maps.Clone(set)
	if out == nil {
		out = map[string]string{}
	}
	out[rig.RunLabel] = "engines"
	return out
}

// engCompose is the part of a docker-compose file the tests read back.
type engCompose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Secrets     []string          `yaml:"secrets"`
		Volumes     []string          `yaml:"volumes"`
		Labels      map[string]string `yaml:"labels"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// engExample turns what `baktainer labels example ENGINE` prints into a container
// spec: the compose text is parsed back, its image swapped for the local test image
// (no registry is reachable here), each secret written to a file with the given
// content and mounted where compose would mount it. Extra environment variables
// and label changes (a value "" removes the label) come on top.
func engExample(t *testing.T, eng engines.Engine, image, secret string, env []string, labelChanges map[string]string) (rig.ContainerSpec, map[string]string) {
	t.Helper()
	text, err := eng.Example().Compose()
	if err != nil {
		t.Fatal(err)
	}
	var file engCompose
	if err := yaml.Unmarshal(text, &file); err != nil {
		t.Fatalf("the %s example is not valid YAML: %v\n%s", eng.Name(), err, text)
	}
	if len(file.Services) != 1 {
		t.Fatalf("the %s example has %d services, want 1", eng.Name(), len(file.Services))
	}
	var spec rig.ContainerSpec
	for name, svc := range file.Services {
		spec = rig.ContainerSpec{Name: "eng-" + eng.Name() + "-" + name, Image: image, Cmd: svc.Command}
		for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
			spec.Env = append(spec.Env, k+"="+svc.Environment[k])
		}
		for _, s := range svc.Secrets {
			if _, ok := file.Secrets[s]; !ok {
				t.Fatalf("the %s example uses secret %s but does not define it", eng.Name(), s)
			}
			spec.Binds = append(spec.Binds, engSecretFile(t, secret)+":"+engines.SecretPath(s)+":ro")
		}
		spec.Labels = maps.Clone(svc.Labels)
	}
	spec.Env = append(spec.Env, env...)
	for k, v := range labelChanges {
		if v == "" {
			delete(spec.Labels, k)
		} else {
			spec.Labels[k] = v
		}
	}
	baktainerLabels := maps.Clone(spec.Labels)
	spec.Labels = engRunLabels(spec.Labels)
	return spec, baktainerLabels
}

// engSecretFile writes a secret where a container can bind-mount it.
func engSecretFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content+"\n"), 0o644); err != nil { // read by the database's own user
		t.Fatal(err)
	}
	return path
}

// engPassword returns a distinctive password to plant, so a leak is unambiguous.
func engPassword(what string) string { return "Planted-" + what + "-" + rig.RunID() + "-pw" }

// engWithLabels returns set with changes applied (a value "" removes the label).
func engWithLabels(set map[string]string, changes map[string]string) map[string]string {
	out := maps.Clone(set)
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// engWriteFile writes content to path inside the container (as root).
func engWriteFile(t *testing.T, dc *docker.Client, container, path, content string) {
	t.Helper()
	rig.Exec(t, dc, container, strings.NewReader(content), nil, "dd", "of="+path, "status=none")
}
