package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryKey keeps the README's configuration reference in
// step with the key table: every key has a row naming its environment variable
// and its flag.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Only the configuration reference table: tool argument tables reuse key names.
	_, table, ok := strings.Cut(string(b), "### Configuration reference")
	if !ok {
		t.Fatal("README has no Configuration reference section")
	}
	table, _, _ = strings.Cut(table, "\n### ")
	rows := map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| `") {
			key := strings.Trim(strings.Split(line, "|")[1], " `")
			rows[key] = line
		}
	}
	for _, k := range Keys() {
		row, ok := rows[k.Name]
		if !ok {
			t.Errorf("README has no configuration row for %s", k.Name)
			continue
		}
		if k.Env != "" && !strings.Contains(row, "`"+k.Env+"`") {
			t.Errorf("README row for %s does not name %s", k.Name, k.Env)
		}
		if k.Flag != "" && !strings.Contains(row, "`--"+k.Flag+"`") {
			t.Errorf("README row for %s does not name --%s", k.Name, k.Flag)
		}
	}
}
