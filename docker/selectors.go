package docker

import "strings"

// MatchLabels reports whether labels carry every selector ("key=value" or
// "key"), as the daemon's label filter (ListRunning, ContainerEvents) does.
func MatchLabels(labels map[string]string, selectors []string) bool {
	for _, s := range selectors {
		k, v, hasValue := strings.Cut(s, "=")
		got, ok := labels[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}
