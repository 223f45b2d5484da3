package db

import (
	"context"
	"os"
	"strings"
	"testing"
)

// The example queries in docs/SCHEMA.md must run against the real schema (through the
// read-only path: they are all reads).
func TestSchemaDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDB(t)
	loggedIn(t, d)
	var n int
	for _, block := range strings.Split(string(doc), "```sql")[1:] {
		block, _, _ = strings.Cut(block, "```")
		for _, stmt := range strings.Split(block, ";") {
			var lines []string
			for _, l := range strings.Split(stmt, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "--") {
					lines = append(lines, l)
				}
			}
			q := strings.TrimSpace(strings.Join(lines, "\n"))
			if q == "" {
				continue
			}
			n++
			if _, err := d.ReadOnlyQuery(context.Background(), q); err != nil {
				t.Errorf("docs/SCHEMA.md example fails: %v\n%s", err, q)
			}
		}
	}
	if n < 10 {
		t.Errorf("found only %d example queries", n)
	}
	// Every table and view is documented.
	rows, err := d.readers.Query(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')
AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts_%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		rows.Scan(&name)
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("%s is not documented in docs/SCHEMA.md", name)
		}
	}
}
