package storage

import (
	"encoding/hex"
	"log/slog"
)

// LogValue logs a host id in its UUID form rather than as 16 numbers.
func (h HostID) LogValue() slog.Value {
	s := hex.EncodeToString(h[:])
	return slog.StringValue(s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:])
}
