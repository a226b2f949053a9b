// Package plugin will serve baktainer's backup volume driver over the Docker
// managed-plugin protocol (issue: the managed plugin). Nothing here yet.
package plugin
