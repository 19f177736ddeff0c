package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every admin command answers --help, and the job states that chorus admin
// --help and the README name are exactly those admin jobs --state takes.
func TestAdminHelpAndJobStates(t *testing.T) {
	for _, cmd := range []string{"create-user", "members", "set-role", "suspend", "unsuspend", "rotate-keys", "jobs"} {
		out, _, err := runCLI(t, "admin", cmd, "--help")
		if err != nil || !strings.Contains(out, "Usage: chorus admin "+cmd) {
			t.Errorf("admin %s --help: %v %q", cmd, err, out)
		}
	}
	out, _, err := runCLI(t, "admin", "--help")
	if err != nil {
		t.Fatal(err)
	}
	listed := regexp.MustCompile(`\(states: ([a-z, ]+)\)`).FindStringSubmatch(out)
	if listed == nil {
		t.Fatalf("admin --help names no job states:\n%s", out)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "(states: "+listed[1]+")") {
		t.Errorf("the README does not list the job states %q", listed[1])
	}
	data := t.TempDir()
	for _, state := range strings.Split(listed[1], ", ") {
		_, _, err := runCLI(t, "admin", "jobs", "--state", state, "--data", data)
		if err == nil || !strings.Contains(err.Error(), "no Chorus database") {
			t.Errorf("admin jobs --state %s on an empty data directory: %v", state, err)
		}
	}
	if _, _, err := runCLI(t, "admin", "jobs", "--state", "waiting", "--data", data); err == nil || !strings.Contains(err.Error(), "is not a job state") {
		t.Errorf("admin jobs --state waiting: %v", err)
	}
}
