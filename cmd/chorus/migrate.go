package main

import (
	"context"
	"fmt"
	"io"

	"chorus/internal/config"
	"chorus/internal/store"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := parseFlags("migrate", "migrate [flags]", args, getenv, stdout, stderr, config.Options{}, nil)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		return dbOpenError(cfg, err)
	}
	defer db.Close()
	res, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, a := range res.Applied {
		fmt.Fprintf(stdout, "applied %s\n", a)
	}
	fmt.Fprintf(stdout, "%s database is at schema version %d\n", db.Dialect(), res.Version)
	return nil
}
