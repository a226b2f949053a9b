// Package version holds baktainer's version, set at build time with
// -ldflags "-X github.com/baktainer/baktainer/version.Version=...".
package version

// Version is the release of this build; "dev" for a build from a work tree.
var Version = "dev"
