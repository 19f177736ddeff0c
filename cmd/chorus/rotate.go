package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"chorus/internal/config"
	"chorus/internal/pro"
	"chorus/internal/store"
)

// adminRotateKeys adds a new key to the PRO keyset, makes it primary and
// writes the keyset, then re-encrypts every PRO secret with it, member by
// member, each in its own transaction. Old keys stay in the keyset, so a
// server still running, or a rotation stopped halfway, reads every value;
// running it again finishes the work.
func adminRotateKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := parseFlags("admin rotate-keys", "admin rotate-keys [flags]", args, getenv, stdout, stderr, config.Options{}, nil)
	if err != nil {
		return err
	}
	path, _ := cfg.ProKeyset()
	if !cfg.Postgres() {
		if _, err := os.Stat(cfg.SQLitePath()); os.IsNotExist(err) {
			return fmt.Errorf("no Chorus database at %s: check --data (CHORUS_DATA_DIR) or --database-url", cfg.SQLitePath())
		}
	}
	vault, _, err := pro.OpenVault(path, false)
	if err != nil {
		return err
	}
	d, err := openDeps(ctx, cfg, newLogger(stderr, getenv), false)
	if err != nil {
		return err
	}
	defer d.close()
	keys, err := vault.Rotate()
	if err != nil {
		return fmt.Errorf("rotate the keyset %s: %w", path, err)
	}
	fmt.Fprintf(stdout, "Added key %d to %s (%d keys); it is now the primary key.\n", vault.PrimaryKeyID(), path, keys)
	ids, err := d.db.ProMemberIDs(ctx)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if err := reencrypt(ctx, d.db, vault, id); err != nil {
			return fmt.Errorf("re-encrypt the PRO details of member %d: %w", id, err)
		}
		fmt.Fprintf(stdout, "\rRe-encrypted %d/%d PRO members", i+1, len(ids))
	}
	if len(ids) > 0 {
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "Done: every PRO secret is encrypted with key %d.\n", vault.PrimaryKeyID())
	return nil
}

// reencrypt decrypts and encrypts again the secrets of one member, each
// decryption logged as the program's own.
func reencrypt(ctx context.Context, db *store.DB, vault *pro.Vault, memberID int64) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		pm, err := tx.ProMember(ctx, memberID)
		if err != nil {
			return err
		}
		var out [3][]byte
		for i, v := range []struct {
			col string
			ct  []byte
		}{{"vat_id", pm.VATID}, {"iban", pm.IBAN}, {"bic", pm.BIC}} {
			if len(v.ct) == 0 {
				continue
			}
			place := pro.Place{Table: "pro_members", Column: v.col, Row: memberID}
			if err := tx.LogDecryption(ctx, store.Decryption{MemberID: memberID, Value: "pro_members." + v.col, Reason: "key rotation (chorus admin rotate-keys)"}); err != nil {
				return err
			}
			plain, err := vault.Decrypt(v.ct, place)
			if err != nil {
				return err
			}
			if out[i], err = vault.Encrypt(plain, place); err != nil {
				return err
			}
		}
		return tx.SetProSecrets(ctx, memberID, out[0], out[1], out[2])
	})
}
