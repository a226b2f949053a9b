package engines

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func filterAll(t *testing.T, in string, bufSize int) string {
	t.Helper()
	out, err := io.ReadAll(iotest.OneByteReader(newRoleFilter(bufio.NewReaderSize(strings.NewReader(in), bufSize))))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestRoleFilterMakesRoleStatementsRepeatable(t *testing.T) {
	const drop = "DO $baktainer$BEGIN DROP ROLE IF EXISTS %s; EXCEPTION WHEN object_in_use THEN RAISE NOTICE 'baktainer: kept role %%, which runs this restore', current_user; END$baktainer$;\n"
	const create = "DO $baktainer$BEGIN CREATE ROLE %s; EXCEPTION WHEN duplicate_object THEN NULL; END$baktainer$;\n"
	for _, tc := range []struct{ name, in, want string }{
		{"drop", "DROP ROLE IF EXISTS postgres;\n", sprintf(drop, "postgres")},
		{"create", "CREATE ROLE reporter;\n", sprintf(create, "reporter")},
		{"quoted", `CREATE ROLE "Odd ""Name""";` + "\n", sprintf(create, `"Odd ""Name"""`)},
		{"alter passes", "ALTER ROLE postgres WITH SUPERUSER PASSWORD 'x';\n", "ALTER ROLE postgres WITH SUPERUSER PASSWORD 'x';\n"},
		{"not whole statement", "CREATE ROLE a; CREATE ROLE b;\n", "CREATE ROLE a; CREATE ROLE b;\n"},
		{"tag inside name", "CREATE ROLE \"a$baktainer$b\";\n", "CREATE ROLE \"a$baktainer$b\";\n"},
		{"no final newline", "CREATE ROLE x;", "CREATE ROLE x;"},
		{"inside a multi-line literal", "COMMENT ON ROLE a IS 'x\nCREATE ROLE z;\n';\nCREATE ROLE b;\n",
			"COMMENT ON ROLE a IS 'x\nCREATE ROLE z;\n';\n" + sprintf(create, "b")},
		{"quotes in comments and names", "-- Name: o'neil\nCREATE ROLE \"o'neil\";\nCREATE ROLE c;\n",
			"-- Name: o'neil\n" + sprintf(create, `"o'neil"`) + sprintf(create, "c")},
		{"escape string", "COMMENT ON ROLE a IS E'it\\'s\nDROP ROLE IF EXISTS q;\n';\n", "COMMENT ON ROLE a IS E'it\\'s\nDROP ROLE IF EXISTS q;\n';\n"},
		{"after connect untouched", "CREATE ROLE a;\n\\connect app\nCREATE ROLE b;\n",
			sprintf(create, "a") + "\\connect app\nCREATE ROLE b;\n"},
	} {
		if got := filterAll(t, tc.in, 4096); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestRoleFilterPassesLongLinesWhole(t *testing.T) {
	// A line longer than the buffer, then one that ends like a role statement: the
	// tail of a long line must not be taken for a statement of its own.
	long := "-- " + strings.Repeat("x", 100) + "\nSELECT 'y" + strings.Repeat("y", 40) + "\nCREATE ROLE z;\n';\n"
	if got := filterAll(t, long, 16); got != long {
		t.Fatalf("long lines changed:\n got %q\nwant %q", got, long)
	}
}

func sprintf(format, name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(format, "%s", name), "%%", "%")
}
