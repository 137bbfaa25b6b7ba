package storage

import (
	"context"
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
