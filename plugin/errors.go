package plugin

import "errors"

// The errors of the volume driver. The edge (Driver) turns them into the protocol's
// Err strings; everything below it wraps them with the volume's name.
var (
	// ErrNotFound: no backup volume has that name.
	ErrNotFound = errors.New("plugin: no such backup volume")
	// ErrInvalid: a bad volume name or option.
	ErrInvalid = errors.New("plugin: invalid volume request")
	// ErrExists: the volume exists with other options than those asked for.
	ErrExists = errors.New("plugin: backup volume exists with other options")
	// ErrInUse: the volume is mounted by a container, or a backup is writing to it.
	ErrInUse = errors.New("plugin: backup volume in use")
	// ErrHasArchives: the volume still holds archives and was not created with
	// remove-archives=true.
	ErrHasArchives = errors.New("plugin: backup volume holds archives")
	// ErrNotMounted: an unmount for a mount ID the volume does not know.
	ErrNotMounted = errors.New("plugin: backup volume not mounted by this ID")
)
