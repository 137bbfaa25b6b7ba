package node

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// errDataDirLocked is returned when another process holds the data
// directory's lock.
var errDataDirLocked = errors.New("another sibyl process holds the data directory")

// storageOpenError explains a failure to open storage in dir. Pebble
// takes an exclusive lock on its LOCK file; when another process holds
// it, the system's answer ("resource temporarily unavailable") says
// nothing of the cause.
func storageOpenError(dir string, err error) error {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EACCES) && strings.Contains(err.Error(), "LOCK") {
		return fmt.Errorf("cannot open storage in %s: %w (stop it, or give this node another --data-dir): %w", dir, errDataDirLocked, err)
	}
	// Pebble keeps its own table of the locks this process holds.
	if strings.Contains(err.Error(), "lock held by current process") {
		return fmt.Errorf("cannot open storage in %s: another node of this process holds the data directory: %w", dir, err)
	}
	return fmt.Errorf("cannot open storage in %s: %w", dir, err)
}
