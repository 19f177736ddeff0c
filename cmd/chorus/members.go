package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/config"
	"chorus/internal/store"
)

// adminCreateUser makes an account from the command line, typically the
// first admin. The password comes from --password-file, a prompt on a
// terminal, or is generated and shown once.
func adminCreateUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var email, username, roleName, passwordFile string
	cfg, _, err := parseFlags("admin create-user", "admin create-user --email EMAIL --username NAME [--role ROLE] [flags]", args, getenv, stdout, stderr, config.Options{}, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email address of the account (required)")
		fs.StringVar(&username, "username", "", "username of the account (required)")
		fs.StringVar(&roleName, "role", "member", "role: member, artist, moderator or admin")
		fs.StringVar(&passwordFile, "password-file", "", `read the password from the first line of this file ("-" for standard input); without it, a terminal is asked and otherwise a password is generated and printed once`)
	})
	if err != nil {
		return err
	}
	role, ok := chorus.ParseRole(roleName)
	if !ok {
		return fmt.Errorf("--role %q is not a role; use member, artist, moderator or admin", roleName)
	}
	password, generated, err := readNewPassword(passwordFile, stderr)
	if err != nil {
		return err
	}
	in := auth.SignUp{Email: email, Username: username, Password: password}
	if err := in.Validate(); err != nil {
		return describeInvalid(err)
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return err
	}
	d, err := openDeps(ctx, cfg, newLogger(stderr, getenv), false)
	if err != nil {
		return err
	}
	defer d.close()
	var m chorus.Member
	err = d.db.Tx(ctx, func(tx *store.Tx) error {
		m, err = tx.CreateMember(ctx, store.NewMember{Email: in.Email, Username: in.Username, PasswordHash: hash, Role: role, EmailVerified: true})
		return err
	})
	if err != nil {
		return describeInvalid(err)
	}
	fmt.Fprintf(stdout, "Created %s %q (%s), member #%d. The email address counts as verified.\n", m.Role, m.Username, m.Email, m.ID)
	if generated {
		fmt.Fprintf(stdout, "Password (shown once, store it now): %s\n", password)
	}
	return nil
}

// describeInvalid turns a form error into one line per field for the terminal.
func describeInvalid(err error) error {
	var inv *chorus.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	var lines []string
	if inv.Message != "" {
		lines = append(lines, inv.Message)
	}
	for _, f := range []string{"email", "username", "password"} {
		if msg, ok := inv.Fields[f]; ok {
			lines = append(lines, "--"+f+": "+msg)
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

func readNewPassword(file string, prompt io.Writer) (password string, generated bool, err error) {
	switch {
	case file == "-":
		return firstLine(os.Stdin)
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", false, fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		return firstLine(f)
	case term.IsTerminal(int(os.Stdin.Fd())):
		fmt.Fprint(prompt, "Password (at least 8 characters): ")
		p1, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", false, err
		}
		fmt.Fprint(prompt, "Same password again: ")
		p2, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", false, err
		}
		if string(p1) != string(p2) {
			return "", false, errors.New("the two passwords differ; nothing was created")
		}
		return string(p1), false, nil
	}
	return rand.Text(), true, nil
}

func firstLine(r io.Reader) (string, bool, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// adminMemberCommand runs set-role, suspend and unsuspend on one member
// named by username or email.
func adminMemberCommand(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var reason string
	synopsis := map[string]string{
		"set-role":  "admin set-role USERNAME ROLE [flags]",
		"suspend":   "admin suspend USERNAME [--reason TEXT] [flags]",
		"unsuspend": "admin unsuspend USERNAME [flags]",
	}[cmd]
	cfg, fs, err := parseFlags("admin "+cmd, synopsis, args, getenv, stdout, stderr, config.Options{}, func(fs *flag.FlagSet) {
		if cmd == "suspend" {
			fs.StringVar(&reason, "reason", "", "why, shown to the member when they try to log in")
		}
	})
	if err != nil {
		return err
	}
	want := 1
	if cmd == "set-role" {
		want = 2
	}
	if fs.NArg() != want {
		return fmt.Errorf("usage: chorus %s", synopsis)
	}
	var role chorus.Role
	if cmd == "set-role" {
		var ok bool
		if role, ok = chorus.ParseRole(fs.Arg(1)); !ok {
			return fmt.Errorf("%q is not a role; use member, artist, moderator or admin", fs.Arg(1))
		}
	}
	d, err := openDeps(ctx, cfg, newLogger(stderr, getenv), false)
	if err != nil {
		return err
	}
	defer d.close()
	m, err := d.db.MemberByLogin(ctx, fs.Arg(0))
	if errors.Is(err, chorus.ErrNotFound) {
		return fmt.Errorf("no member has the username or email %q", fs.Arg(0))
	} else if err != nil {
		return err
	}
	reason = chorus.CleanText(reason, 500, false)
	err = d.db.Tx(ctx, func(tx *store.Tx) error {
		switch cmd {
		case "set-role":
			return tx.SetRole(ctx, m.ID, role)
		case "suspend":
			return tx.Suspend(ctx, m.ID, reason)
		}
		return tx.Unsuspend(ctx, m.ID)
	})
	if err != nil {
		return describeInvalid(err)
	}
	switch cmd {
	case "set-role":
		fmt.Fprintf(stdout, "%s is now %s.\n", m.Username, role)
	case "suspend":
		fmt.Fprintf(stdout, "%s is suspended and logged out everywhere.\n", m.Username)
	default:
		fmt.Fprintf(stdout, "%s may log in again.\n", m.Username)
	}
	return nil
}

// adminMembers lists members for the terminal.
func adminMembers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var f store.MemberFilter
	var roleName string
	cfg, _, err := parseFlags("admin members", "admin members [--query TEXT] [--role ROLE] [--suspended] [--limit N]", args, getenv, stdout, stderr, config.Options{}, func(fs *flag.FlagSet) {
		fs.StringVar(&f.Query, "query", "", "only usernames or emails starting with this")
		fs.StringVar(&roleName, "role", "", "only members with this role")
		fs.BoolVar(&f.Suspended, "suspended", false, "only suspended members")
		fs.IntVar(&f.Limit, "limit", 50, "at most this many (up to 500)")
	})
	if err != nil {
		return err
	}
	if roleName != "" {
		var ok bool
		if f.Role, ok = chorus.ParseRole(roleName); !ok {
			return fmt.Errorf("--role %q is not a role; use member, artist, moderator or admin", roleName)
		}
	}
	if f.Limit < 1 || f.Limit > 500 {
		return fmt.Errorf("--limit must be between 1 and 500, got %d", f.Limit)
	}
	d, err := openDeps(ctx, cfg, newLogger(stderr, getenv), false)
	if err != nil {
		return err
	}
	defer d.close()
	list, total, err := d.db.Members(ctx, f)
	if err != nil {
		return err
	}
	if total == 0 {
		fmt.Fprintln(stdout, "No members match.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tROLE\tVERIFIED\tSTATE\tJOINED")
	for _, m := range list {
		state := "active"
		if m.Suspended {
			state = "suspended"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\t%s\t%s\n", m.ID, m.Username, m.Email, m.Role, m.EmailVerified, state, m.CreatedAt.Format("2006-01-02"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if total > len(list) {
		fmt.Fprintf(stdout, "%d of %d shown; use --limit or --query to see others.\n", len(list), total)
	}
	return nil
}
