// Package plugin is baktainer's backup volume driver: the set of backup volumes
// kept on the plugin's data mount (Volumes), the Docker volume plugin protocol
// edge that serves it (Driver), and the routing of a target's archives to a
// volume for the agent (Destinations). docs/PLUGIN.md describes the layout on
// disk, the options, and the engine's quirks.
package plugin
