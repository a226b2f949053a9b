package agent

import (
	"fmt"
	"iter"

	"github.com/baktainer/baktainer/labels"
)

// nameHolder returns the scheduled entry, of another container, that files its
// archives under e's backup name in e's destination, if any. Two such targets
// would each prune the other's archives by their own retention; the one
// registered first keeps the name.
func nameHolder(e *entry, others iter.Seq[*entry]) *entry {
	if e.problem != nil {
		return nil
	}
	for o := range others {
		if holdsName(o, e.name(), e.id()) && o.destination == e.destination {
			return o
		}
	}
	return nil
}

// holdsName reports whether o, another entry than id, backs up under name:
// an entry refused for its labels (a name another holds, among them) files
// nothing, so it holds no name. The caller compares destinations.
func holdsName(o *entry, name, id string) bool {
	return o.id() != id && o.problem == nil && o.name() == name
}

// nameConflict is the problem of an entry refused the backup name holder has.
func nameConflict(e, holder *entry) error {
	return fmt.Errorf("container %s: %w", e.target.Container.Name, &labels.Error{Label: labels.Name, Value: e.name(), Problem: fmt.Sprintf(
		"container %s already backs up under this name in %s, and each would prune the other's archives: give this container its own %s label "+
			"(it takes the name over if %s goes away)",
		holder.target.Container.Name, e.destination, labels.Name, holder.target.Container.Name)})
}
