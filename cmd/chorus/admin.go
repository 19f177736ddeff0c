package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"chorus/internal/config"
)

var adminUsage = `Usage: chorus admin COMMAND [flags]

Commands:
  create-user --email EMAIL --username NAME [--role ROLE] [--password-file FILE]
                                     create an account, e.g. the first admin (--role admin)
  members [--query TEXT] [--role ROLE] [--suspended]
                                     list members
  set-role USERNAME ROLE             give a member a role: member, artist, moderator, admin
  suspend USERNAME [--reason TEXT]   stop a member from logging in and end their sessions
  unsuspend USERNAME                 let a suspended member log in again
  rotate-keys                        add a key to the PRO keyset, make it primary, and re-encrypt
                                     every bank detail and tax id with it
  jobs [--state STATE] [--limit N]   list background jobs, newest first, with their last error
                                     (states: ` + jobStateList + `)
`

// jobStates are the states of a background job (River's job states), as
// chorus admin jobs --state takes them.
var jobStates = []string{"available", "pending", "running", "retryable", "scheduled", "completed", "cancelled", "discarded"}

var jobStateList = strings.Join(jobStates, ", ")

func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return errUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, adminUsage)
		return errHelp
	}
	switch args[0] {
	case "jobs":
		return adminJobs(ctx, args[1:], getenv, stdout, stderr)
	case "create-user":
		return adminCreateUser(ctx, args[1:], getenv, stdout, stderr)
	case "members":
		return adminMembers(ctx, args[1:], getenv, stdout, stderr)
	case "rotate-keys":
		return adminRotateKeys(ctx, args[1:], getenv, stdout, stderr)
	case "set-role", "suspend", "unsuspend":
		return adminMemberCommand(ctx, args[0], args[1:], getenv, stdout, stderr)
	}
	fmt.Fprintf(stderr, "chorus admin: unknown command %q\n\n%s", args[0], adminUsage)
	return errUsage
}

func adminJobs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var state string
	var limit int
	cfg, _, err := parseFlags("admin jobs", "admin jobs [--state STATE] [--limit N] [flags]", args, getenv, stdout, stderr, config.Options{}, func(fs *flag.FlagSet) {
		fs.StringVar(&state, "state", "", "only jobs in this state: "+jobStateList)
		fs.IntVar(&limit, "limit", 50, "at most this many jobs")
	})
	if err != nil {
		return err
	}
	if limit < 1 || limit > 10000 {
		return fmt.Errorf("--limit must be between 1 and 10000, got %d", limit)
	}
	if state != "" && !slices.Contains(jobStates, state) {
		return fmt.Errorf("--state %q is not a job state; use one of %s", state, jobStateList)
	}
	if !cfg.Postgres() {
		if _, err := os.Stat(cfg.SQLitePath()); os.IsNotExist(err) {
			return fmt.Errorf("no Chorus database at %s: check --data (CHORUS_DATA_DIR) or --database-url", cfg.SQLitePath())
		}
	}
	d, err := openDeps(ctx, cfg, newLogger(stderr, getenv), false)
	if err != nil {
		return err
	}
	defer d.close()
	_, q, err := d.publishing(cfg, 0)
	if err != nil {
		return err
	}
	var states []string
	if state != "" {
		states = []string{state}
	}
	list, err := q.List(ctx, states, limit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "No jobs.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATE\tATTEMPT\tARGS\tCREATED\tLAST ERROR")
	for _, j := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts, j.Args,
			j.CreatedAt.Format("2006-01-02 15:04:05"), strings.ReplaceAll(j.LastError, "\n", " "))
	}
	return tw.Flush()
}
