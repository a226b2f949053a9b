package plugin

import (
	"github.com/docker/go-plugins-helpers/volume"
)

// Refusing is the volume driver of a plugin that cannot start (a bad setting,
// another data mount than its own): it answers every request with the reason,
// so that `docker volume ...` shows it to the user, instead of exiting, which
// the engine would only report as a socket that never appeared.
type Refusing struct{ Reason error }

var _ volume.Driver = Refusing{}

// Handler returns the protocol's HTTP handler, as Driver's.
func (r Refusing) Handler() *volume.Handler { return volume.NewHandler(r) }

// Create implements volume.Driver.
func (r Refusing) Create(*volume.CreateRequest) error { return r.Reason }

// List implements volume.Driver.
func (r Refusing) List() (*volume.ListResponse, error) { return nil, r.Reason }

// Get implements volume.Driver.
func (r Refusing) Get(*volume.GetRequest) (*volume.GetResponse, error) { return nil, r.Reason }

// Remove implements volume.Driver.
func (r Refusing) Remove(*volume.RemoveRequest) error { return r.Reason }

// Path implements volume.Driver.
func (r Refusing) Path(*volume.PathRequest) (*volume.PathResponse, error) { return nil, r.Reason }

// Mount implements volume.Driver.
func (r Refusing) Mount(*volume.MountRequest) (*volume.MountResponse, error) { return nil, r.Reason }

// Unmount implements volume.Driver.
func (r Refusing) Unmount(*volume.UnmountRequest) error { return r.Reason }

// Capabilities implements volume.Driver.
func (r Refusing) Capabilities() *volume.CapabilitiesResponse {
	return &volume.CapabilitiesResponse{Capabilities: volume.Capability{Scope: "local"}}
}
