package engines

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Example is a docker-compose service running an engine's official image, labelled
// so that baktainer backs it up as it is. `baktainer labels example ENGINE` prints
// it, and the integration tests start their source containers from it.
type Example struct {
	Comment     []string          // lines printed above the snippet
	Service     string            // the compose service name
	Image       string            // the official image
	Command     []string          // optional: overrides the image's command
	Environment map[string]string // the image's own variables
	Secrets     []string          // compose secrets, read from ./NAME.txt, mounted at /run/secrets/NAME
	DataDir     string            // where the image keeps its data; a named volume is mounted there
	Labels      map[string]string // the baktainer labels
	// ContainerName, when set, fixes the container's name (a label of another
	// service names it: baktainer.hook.container, baktainer.hook.allow).
	ContainerName string
	// Others are more services of the same compose file (ControlExample).
	Others []Example
}

// SecretPath is where compose mounts the secret name inside the container.
func SecretPath(name string) string { return "/run/secrets/" + name }

// The shape of the compose file Compose writes, in the order a reader expects.
type (
	composeFile struct {
		Services map[string]composeService `yaml:"services"`
		Secrets  map[string]composeSecret  `yaml:"secrets,omitempty"`
		Volumes  map[string]struct{}       `yaml:"volumes,omitempty"`
	}
	composeService struct {
		ContainerName string            `yaml:"container_name,omitempty"`
		Image         string            `yaml:"image"`
		Command       []string          `yaml:"command,omitempty,flow"`
		Environment   map[string]string `yaml:"environment,omitempty"`
		Secrets       []string          `yaml:"secrets,omitempty"`
		Volumes       []string          `yaml:"volumes,omitempty"`
		Labels        map[string]string `yaml:"labels"`
	}
	composeSecret struct {
		File string `yaml:"file"`
	}
)

// Compose renders the example as a docker-compose file, comments first.
func (e Example) Compose() ([]byte, error) {
	file := composeFile{Services: map[string]composeService{}}
	for _, s := range append([]Example{e}, e.Others...) {
		s.addTo(&file)
	}
	var out bytes.Buffer
	for _, line := range e.Comment {
		out.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(file); err != nil {
		return nil, fmt.Errorf("engines: render the %s example: %w", e.Service, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("engines: render the %s example: %w", e.Service, err)
	}
	return out.Bytes(), nil
}

// addTo adds the example's service, its volume and secrets to file.
func (e Example) addTo(file *composeFile) {
	svc := composeService{ContainerName: e.ContainerName, Image: e.Image, Command: e.Command, Environment: e.Environment,
		Secrets: e.Secrets, Labels: e.Labels}
	if e.DataDir != "" {
		volume := e.Service + "-data"
		svc.Volumes = []string{volume + ":" + e.DataDir}
		if file.Volumes == nil {
			file.Volumes = map[string]struct{}{}
		}
		file.Volumes[volume] = struct{}{}
	}
	for _, s := range e.Secrets {
		if file.Secrets == nil {
			file.Secrets = map[string]composeSecret{}
		}
		file.Secrets[s] = composeSecret{File: "./" + s + ".txt"}
	}
	file.Services[e.Service] = svc
}
