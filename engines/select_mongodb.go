package engines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/baktainer/baktainer/labels"
)

// mongoSingle returns the one database t's include names literally (no glob,
// no exclude): mongodump dumps one database (--db) or all of them, so that is
// the only choice it makes without db.split.
func mongoSingle(spec labels.Spec) (string, bool) {
	if len(spec.Include) != 1 || spec.Exclude != nil || strings.ContainsAny(spec.Include[0], `*?[\`) {
		return "", false
	}
	return spec.Include[0], true
}

// mongoValidate checks the MongoDB specifics of spec's options and choice of
// databases.
func mongoValidate(spec labels.Spec) error {
	errs := []error{checkOptions("mongodb", spec.DumpOptions, mongoDenied, nil)}
	if _, single := mongoSingle(spec); (spec.Include != nil || spec.Exclude != nil) && !spec.Split && !single {
		label := labels.Include
		if spec.Include == nil {
			label = labels.Exclude
		}
		errs = append(errs, &labels.Error{Label: label, Problem: "mongodump dumps one database or all of them: " +
			"to choose several, set " + labels.Split + "=true (one archive each), or name one database without a glob"})
	}
	return errors.Join(errs...)
}

// mongoNotDumped are the databases a dump of every database leaves out.
var mongoNotDumped = []string{"local", "config"}

// mongoListMarker starts the line the listing script prints.
const mongoListMarker = "baktainer-databases:"

// mongoListScript lists the databases as JSON on one line, after logging in
// when c has a user: it goes to the shell on stdin, the password with it.
func mongoListScript(c mongoConn) (string, error) {
	var script strings.Builder
	if c.user.Value != "" {
		user, err1 := json.Marshal(c.user.Value)
		password, err2 := json.Marshal(c.password.Value)
		if err := errors.Join(err1, err2); err != nil {
			return "", fmt.Errorf("engines: write the database listing script: %w", err)
		}
		fmt.Fprintf(&script, "db.getSiblingDB(\"admin\").auth(%s, %s);\n", user, password)
	}
	script.WriteString("print(\"" + mongoListMarker + "\" + JSON.stringify(db.adminCommand({listDatabases: 1, nameOnly: true}).databases.map(function (d) { return d.name; })));\n")
	return script.String(), nil
}

// parseMongoList reads the listing script's output.
func parseMongoList(out string) ([]string, error) {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), mongoListMarker)
		if !ok {
			continue
		}
		var names []string
		if err := json.Unmarshal([]byte(rest), &names); err != nil {
			return nil, fmt.Errorf("unexpected listing %.80q", rest)
		}
		return slices.DeleteFunc(names, func(n string) bool { return slices.Contains(mongoNotDumped, n) }), nil
	}
	return nil, errors.New("the shell printed no listing")
}

// mongoDatabases lists the databases with the image's shell (mongosh, else the
// legacy mongo), reading its script from stdin.
func (m MongoDB) mongoDatabases(ctx context.Context, ex Execer, t Target) ([]string, error) {
	c, err := m.conn(ctx, ex, t)
	if err != nil {
		return nil, err
	}
	shell, err := findTool(ctx, ex, t, "mongodb", "mongosh", "mongo")
	if err != nil {
		return nil, err
	}
	script, err := mongoListScript(c)
	if err != nil {
		return nil, err
	}
	text, err := query(ctx, ex, t, nil, "", script, shell, "--quiet", "--norc")
	if err != nil {
		return nil, c.fail(t, "list the databases with "+shell, err)
	}
	names, err := parseMongoList(text)
	if err != nil {
		return nil, fmt.Errorf("container %s: list the databases with %s: %w", t.Container.Name, shell, err)
	}
	return names, nil
}

// Split implements Inspector: each selected database (admin, holding the
// users, is one).
func (m MongoDB) Split(ctx context.Context, ex Execer, t Target) ([]Part, error) {
	names, err := m.mongoDatabases(ctx, ex, t)
	if err != nil {
		return nil, err
	}
	return selectedParts(t, names)
}
