// Package pro is Chorus PRO, the commercial programme through which
// artists sell licences of their music and are paid: the vault that keeps
// their bank details and tax ids encrypted, the distribution agreement,
// the monthly statements and the SEPA payout file. The ledger itself is
// in the store (store.Sale, DB.PostSale); the rules of IBAN, BIC and VAT
// numbers are in internal/money.
package pro

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// Vault encrypts and decrypts PRO secrets with a Tink AEAD keyset
// (AES-256-GCM keys). Each value is bound to its place by the associated
// data "table.column#row", so a ciphertext copied to another row or
// column does not decrypt. A Vault is safe for concurrent use.
type Vault struct {
	path string
	mu   sync.RWMutex
	kh   *keyset.Handle
	a    tink.AEAD
}

// Place names where a secret is stored: the associated data of its
// ciphertext.
type Place struct {
	Table, Column string
	Row           int64
}

func (p Place) ad() []byte { return fmt.Appendf(nil, "chorus/%s.%s#%d", p.Table, p.Column, p.Row) }

// OpenVault reads the keyset file at path (Tink's JSON keyset format, in
// clear: the file itself must be protected, mode 0600). When the file
// does not exist and create is true, a new keyset with one AES-256-GCM key
// is written there with mode 0600, and created is true.
func OpenVault(path string, create bool) (v *Vault, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		kh, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
		if err != nil {
			return nil, false, err
		}
		if err := writeKeyset(path, kh); err != nil {
			return nil, false, err
		}
		v, err := newVault(path, kh)
		return v, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the PRO keyset: %w", err)
	}
	kh, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(bytes.NewReader(b)))
	if err != nil {
		return nil, false, fmt.Errorf("the PRO keyset %s is not a Tink JSON keyset: %w", path, err)
	}
	v, err = newVault(path, kh)
	return v, false, err
}

func newVault(path string, kh *keyset.Handle) (*Vault, error) {
	a, err := aead.New(kh)
	if err != nil {
		return nil, fmt.Errorf("PRO keyset: %w", err)
	}
	return &Vault{path: path, kh: kh, a: a}, nil
}

// writeKeyset writes the keyset to path with mode 0600, through a
// temporary file renamed over it, so a crash leaves the old or the new one.
func writeKeyset(path string, kh *keyset.Handle) error {
	var buf bytes.Buffer
	if err := insecurecleartextkeyset.Write(kh, keyset.NewJSONWriter(&buf)); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keyset-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Encrypt encrypts plain for place with the primary key. An empty value
// stays empty: there is nothing to hide, and "not given" must be seen.
func (v *Vault) Encrypt(plain string, place Place) ([]byte, error) {
	if plain == "" {
		return nil, nil
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.a.Encrypt([]byte(plain), place.ad())
}

// Decrypt decrypts a ciphertext of place with whichever key of the keyset
// made it. Callers record the decryption first (store.Tx.LogDecryption).
// An empty ciphertext gives "".
func (v *Vault) Decrypt(ct []byte, place Place) (string, error) {
	if len(ct) == 0 {
		return "", nil
	}
	v.mu.RLock()
	a := v.a
	v.mu.RUnlock()
	b, err := a.Decrypt(ct, place.ad())
	if err != nil {
		// Another process may have rotated the keys: read the file again once.
		if rerr := v.reload(); rerr == nil {
			v.mu.RLock()
			a = v.a
			v.mu.RUnlock()
			if b, err2 := a.Decrypt(ct, place.ad()); err2 == nil {
				return string(b), nil
			}
		}
		return "", fmt.Errorf("decrypt %s.%s of row %d: %w", place.Table, place.Column, place.Row, err)
	}
	return string(b), nil
}

func (v *Vault) reload() error {
	nv, _, err := OpenVault(v.path, false)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.kh, v.a = nv.kh, nv.a
	v.mu.Unlock()
	return nil
}

// Rotate adds a new AES-256-GCM key to the keyset, makes it the primary
// key and writes the keyset file. The old keys stay in the keyset, so
// values encrypted with them still decrypt until they are re-encrypted.
// It returns the number of keys now in the keyset.
func (v *Vault) Rotate() (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := keyset.NewManagerFromHandle(v.kh)
	id, err := m.Add(aead.AES256GCMKeyTemplate())
	if err != nil {
		return 0, err
	}
	if err := m.SetPrimary(id); err != nil {
		return 0, err
	}
	kh, err := m.Handle()
	if err != nil {
		return 0, err
	}
	a, err := aead.New(kh)
	if err != nil {
		return 0, err
	}
	if err := writeKeyset(v.path, kh); err != nil {
		return 0, err
	}
	v.kh, v.a = kh, a
	return len(kh.KeysetInfo().GetKeyInfo()), nil
}

// PrimaryKeyID is the id of the key new values are encrypted with.
func (v *Vault) PrimaryKeyID() uint32 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.kh.KeysetInfo().GetPrimaryKeyId()
}
