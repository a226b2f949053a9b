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
		if o.id() != e.id() && o.problem == nil && o.name() == e.name() && o.destination == e.destination {
			return o
		}
	}
	return nil
}

// nameConflict is the problem of an entry refused the backup name holder has.
func nameConflict(e, holder *entry) error {
	return fmt.Errorf("container %s: %w", e.target.Container.Name, &labels.Error{Label: labels.Name, Value: e.name(), Problem: fmt.Sprintf(
		"container %s already backs up under this name in %s, and each would prune the other's archives: give this container its own %s label "+
			"(it takes the name over if %s goes away)",
		holder.target.Container.Name, e.destination, labels.Name, holder.target.Container.Name)})
}
