package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// SaveCatalog durably replaces the stored schema catalog blob. The engine
// does not interpret it.
func (e *Engine) SaveCatalog(ctx context.Context, blob []byte) error {
	return e.setDurable(ctx, catalogKey, blob, "schema catalog")
}

// LoadCatalog returns the stored schema catalog blob; ok is false when
// none was ever saved.
func (e *Engine) LoadCatalog() (blob []byte, ok bool, err error) {
	return e.get(catalogKey, "schema catalog")
}

// SetLocal durably stores a node-local metadata value (host id, tokens,
// ...) under name.
func (e *Engine) SetLocal(ctx context.Context, name string, value []byte) error {
	if name == "" {
		return errors.New("storage: empty local metadata name")
	}
	return e.setDurable(ctx, localKey(name), value, "local metadata "+name)
}

// GetLocal returns the node-local metadata value stored under name; ok is
// false when there is none.
func (e *Engine) GetLocal(name string) (value []byte, ok bool, err error) {
	return e.get(localKey(name), "local metadata "+name)
}

// DeleteLocal durably removes a node-local metadata value.
func (e *Engine) DeleteLocal(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := e.db.Delete(localKey(name), pebble.Sync); err != nil {
		return fmt.Errorf("cannot delete local metadata %s: %w", name, err)
	}
	return nil
}

func (e *Engine) setDurable(ctx context.Context, key, value []byte, what string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := e.db.Set(key, value, pebble.Sync); err != nil {
		return fmt.Errorf("cannot store %s: %w", what, err)
	}
	return nil
}

func (e *Engine) get(key []byte, what string) ([]byte, bool, error) {
	if err := e.enter(); err != nil {
		return nil, false, err
	}
	defer e.exit()
	v, closer, err := e.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cannot read %s: %w", what, err)
	}
	out := append([]byte{}, v...)
	if err := closer.Close(); err != nil {
		return nil, false, fmt.Errorf("cannot read %s: %w", what, err)
	}
	return out, true, nil
}

// The data format version of the store, kept in node-local metadata
// (FORMAT.md, "Format version"). Version 1, which stores written before
// packed rows have without saying so (no entry), keeps a row under a key
// per header, collection deletion and cell; version 2 writes packed rows
// and reads both forms, so opening a version 1 store needs no rewrite.
const (
	formatVersionName = "storage.format-version"
	formatVersion     = 2
)

// ErrNewerFormat is returned (wrapped) by Open and OpenCheckpoint for a
// store whose data format is newer than this binary knows.
var ErrNewerFormat = errors.New("storage: data format is newer than this binary's")

// checkFormatVersion refuses a store written in a newer format and, when
// record is true, records this binary's version in a store that has an
// older one (or none: version 1). A store once opened by this binary is
// then refused by a newer binary's check only if that one is older than
// the data, and binaries before the check existed cannot read packed
// rows (they fail on the unknown value tag 0x04): downgrades are not
// supported.
func checkFormatVersion(db *pebble.DB, record bool) error {
	v, closer, err := db.Get(localKey(formatVersionName))
	stored := uint64(1)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return fmt.Errorf("cannot read the data format version: %w", err)
	default:
		n, k := binary.Uvarint(v)
		bad := k <= 0 || k != len(v)
		_ = closer.Close()
		if bad {
			return fmt.Errorf("storage: malformed data format version %x", v)
		}
		stored = n
	}
	if stored > formatVersion {
		return fmt.Errorf("%w: the store has version %d, this binary knows up to %d; open it with a newer sibyl", ErrNewerFormat, stored, formatVersion)
	}
	if !record || stored == formatVersion {
		return nil
	}
	if err := db.Set(localKey(formatVersionName), binary.AppendUvarint(nil, formatVersion), pebble.Sync); err != nil {
		return fmt.Errorf("cannot record the data format version: %w", err)
	}
	return nil
}
