package ring

import "log/slog"

// LogValue logs a host id in its UUID form: slog's JSON handler would
// otherwise print the 16 bytes as an array of numbers.
func (h HostID) LogValue() slog.Value { return slog.StringValue(h.String()) }
