package schema

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// TableOptions holds every Cassandra 4.1 table option. Most change nothing
// in Sibyl but are stored and shown, so that tools and drivers see what
// they expect. default_time_to_live and gc_grace_seconds are honoured.
type TableOptions struct {
	AdditionalWritePolicy   string            `json:"additional_write_policy"`
	BloomFilterFPChance     float64           `json:"bloom_filter_fp_chance"`
	Caching                 map[string]string `json:"caching"`
	CDC                     bool              `json:"cdc"`
	Comment                 string            `json:"comment"`
	Compaction              map[string]string `json:"compaction"`
	Compression             map[string]string `json:"compression"`
	CRCCheckChance          float64           `json:"crc_check_chance"`
	DefaultTimeToLive       int32             `json:"default_time_to_live"`
	Extensions              map[string][]byte `json:"extensions"`
	GCGraceSeconds          int32             `json:"gc_grace_seconds"`
	MaxIndexInterval        int32             `json:"max_index_interval"`
	MemtableFlushPeriodInMs int32             `json:"memtable_flush_period_in_ms"`
	MinIndexInterval        int32             `json:"min_index_interval"`
	ReadRepair              string            `json:"read_repair"`
	SpeculativeRetry        string            `json:"speculative_retry"`
}

// Class names of the defaults.
const (
	SizeTieredCompaction = "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"
	LZ4Compressor        = "org.apache.cassandra.io.compress.LZ4Compressor"
	compactionPackage    = "org.apache.cassandra.db.compaction."
	compressionPackage   = "org.apache.cassandra.io.compress."
)

// MaxTTL is the largest TTL Cassandra accepts, in seconds (20 years).
const MaxTTL = 20 * 365 * 24 * 60 * 60

// DefaultTableOptions returns Cassandra 4.1's defaults.
func DefaultTableOptions() TableOptions {
	return TableOptions{
		AdditionalWritePolicy: "99p",
		BloomFilterFPChance:   0.01,
		Caching:               map[string]string{"keys": "ALL", "rows_per_partition": "NONE"},
		Comment:               "",
		Compaction: map[string]string{
			"class": SizeTieredCompaction, "max_threshold": "32", "min_threshold": "4",
		},
		Compression:      map[string]string{"chunk_length_in_kb": "16", "class": LZ4Compressor},
		CRCCheckChance:   1.0,
		Extensions:       map[string][]byte{},
		GCGraceSeconds:   864000,
		MaxIndexInterval: 2048,
		MinIndexInterval: 128,
		ReadRepair:       "BLOCKING",
		SpeculativeRetry: "99p",
	}
}

// Clone returns a deep copy.
func (o TableOptions) Clone() TableOptions {
	c := o
	c.Caching = maps.Clone(o.Caching)
	c.Compaction = maps.Clone(o.Compaction)
	c.Compression = maps.Clone(o.Compression)
	c.Extensions = make(map[string][]byte, len(o.Extensions))
	for k, v := range o.Extensions {
		c.Extensions[k] = slices.Clone(v)
	}
	return c
}

// TableOptionNames lists the options in the order DESCRIBE prints them.
var TableOptionNames = []string{
	"additional_write_policy", "bloom_filter_fp_chance", "caching", "cdc",
	"comment", "compaction", "compression", "crc_check_chance",
	"default_time_to_live", "extensions", "gc_grace_seconds",
	"max_index_interval", "memtable_flush_period_in_ms",
	"min_index_interval", "read_repair", "speculative_retry",
}

// Set sets one option by its CQL name, validating the value as Cassandra
// does. value is a string, bool, Go integer, float64 or map[string]string
// (for caching, compaction, compression and extensions); numbers given as
// strings are parsed. Errors are *ConfigError.
func (o *TableOptions) Set(name string, value any) error {
	name = strings.ToLower(name)
	var err error
	switch name {
	case "additional_write_policy", "speculative_retry":
		err = o.setRetry(name, value)
	case "bloom_filter_fp_chance", "crc_check_chance":
		err = o.setChance(name, value)
	case "caching":
		err = o.setCaching(value)
	case "cdc":
		o.CDC, err = optBool(value)
	case "comment":
		o.Comment, err = optString(value)
	case "compaction":
		err = o.setCompaction(value)
	case "compression":
		err = o.setCompression(value)
	case "extensions":
		err = o.setExtensions(value)
	case "read_repair":
		err = o.setReadRepair(value)
	case "default_time_to_live", "gc_grace_seconds", "max_index_interval",
		"memtable_flush_period_in_ms", "min_index_interval":
		err = o.setInt(name, value)
	default:
		return configf("Unknown property '%s'", name)
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return ce
	}
	if err != nil {
		return configCause(err, "Invalid value for property '%s'", name)
	}
	return nil
}

// Validate checks the options together (min_index_interval <=
// max_index_interval); Set checks each alone.
func (o *TableOptions) Validate() error {
	switch {
	case !(o.BloomFilterFPChance > 6.71e-05 && o.BloomFilterFPChance <= 1.0):
		return configf("bloom_filter_fp_chance must be larger than 6.71e-05 and less than or equal to 1.0")
	case !(o.CRCCheckChance >= 0 && o.CRCCheckChance <= 1.0):
		return configf("crc_check_chance should be between 0.0 and 1.0")
	case o.DefaultTimeToLive < 0 || o.DefaultTimeToLive > MaxTTL:
		return configf("default_time_to_live must be between 0 and %d", MaxTTL)
	case o.GCGraceSeconds < 0 || o.MemtableFlushPeriodInMs < 0:
		return configf("gc_grace_seconds and memtable_flush_period_in_ms must be greater than or equal to 0")
	case o.ReadRepair != "BLOCKING" && o.ReadRepair != "NONE":
		return configf("read_repair must be 'BLOCKING' or 'NONE'")
	case !retryPattern.MatchString(o.SpeculativeRetry) || !retryPattern.MatchString(o.AdditionalWritePolicy):
		return configf("speculative_retry and additional_write_policy must be retry policies")
	}
	if o.MinIndexInterval < 1 {
		return configf("min_index_interval must be greater than or equal to 1")
	}
	if o.MaxIndexInterval < o.MinIndexInterval {
		return configf("max_index_interval must be greater than or equal to min_index_interval")
	}
	if o.Compaction["class"] == "" || o.Caching == nil || o.Compression == nil {
		return configf("compaction, compression and caching must be set")
	}
	return nil
}

func optString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case fmt.Stringer:
		return x.String(), nil
	}
	return "", fmt.Errorf("expected a string, got %T", v)
}

func optBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		return strconv.ParseBool(strings.ToLower(x))
	}
	return false, fmt.Errorf("expected a boolean, got %T", v)
}

func optFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case string:
		return strconv.ParseFloat(x, 64)
	}
	if n, ok := toInt64(v); ok {
		return float64(n), nil
	}
	return 0, fmt.Errorf("expected a number, got %T", v)
}

func optInt(v any) (int64, error) {
	if s, ok := v.(string); ok {
		return strconv.ParseInt(s, 10, 32)
	}
	if f, ok := v.(float64); ok {
		if f != math.Trunc(f) {
			return 0, fmt.Errorf("expected an integer, got %v", f)
		}
		return int64(f), nil
	}
	if n, ok := toInt64(v); ok {
		return n, nil
	}
	return 0, fmt.Errorf("expected an integer, got %T", v)
}

func optMap(v any) (map[string]string, error) {
	switch x := v.(type) {
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, val := range x {
			out[strings.ToLower(k)] = val
		}
		return out, nil
	case map[string]any:
		out := make(map[string]string, len(x))
		for k, val := range x {
			out[strings.ToLower(k)] = fmt.Sprint(val)
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a map, got %T", v)
}

var retryPattern = regexp.MustCompile(`^(?i)(none|always|\d+(\.\d+)?(p|percentile)|\d+(\.\d+)?ms|(min|max)\(.+,.+\))$`)

func (o *TableOptions) setRetry(name string, v any) error {
	s, err := optString(v)
	if err != nil {
		return err
	}
	if !retryPattern.MatchString(strings.TrimSpace(s)) {
		return fmt.Errorf("%q is not a valid retry policy", s)
	}
	s = normalizeRetry(strings.TrimSpace(s))
	if name == "speculative_retry" {
		o.SpeculativeRetry = s
	} else {
		o.AdditionalWritePolicy = s
	}
	return nil
}

// normalizeRetry writes a retry policy as Cassandra stores it: NONE,
// ALWAYS, 99p, 10ms (MIN/MAX forms upper-cased).
func normalizeRetry(s string) string {
	l := strings.ToLower(s)
	switch {
	case l == "none" || l == "always":
		return strings.ToUpper(l)
	case strings.HasSuffix(l, "percentile"):
		return strings.TrimSuffix(l, "percentile") + "p"
	case strings.HasPrefix(l, "min(") || strings.HasPrefix(l, "max("):
		return strings.ToUpper(l[:3]) + l[3:]
	}
	return l
}

func (o *TableOptions) setChance(name string, v any) error {
	f, err := optFloat(v)
	if err != nil {
		return err
	}
	if name == "bloom_filter_fp_chance" {
		if !(f > 6.71e-05 && f <= 1.0) {
			return fmt.Errorf("bloom_filter_fp_chance must be larger than 6.71e-05 and less than or equal to 1.0 (got %v)", f)
		}
		o.BloomFilterFPChance = f
		return nil
	}
	if !(f >= 0 && f <= 1.0) {
		return fmt.Errorf("crc_check_chance should be between 0.0 and 1.0")
	}
	o.CRCCheckChance = f
	return nil
}

func (o *TableOptions) setInt(name string, v any) error {
	n, err := optInt(v)
	if err != nil {
		return err
	}
	if n < 0 || n > math.MaxInt32 {
		return fmt.Errorf("%s must be greater than or equal to 0", name)
	}
	switch name {
	case "default_time_to_live":
		if n > MaxTTL {
			return fmt.Errorf("default_time_to_live must be less than or equal to %d (got %d)", MaxTTL, n)
		}
		o.DefaultTimeToLive = int32(n)
	case "gc_grace_seconds":
		o.GCGraceSeconds = int32(n)
	case "max_index_interval":
		o.MaxIndexInterval = int32(n)
	case "min_index_interval":
		if n < 1 {
			return fmt.Errorf("min_index_interval must be greater than or equal to 1")
		}
		o.MinIndexInterval = int32(n)
	case "memtable_flush_period_in_ms":
		o.MemtableFlushPeriodInMs = int32(n)
	}
	return nil
}

func (o *TableOptions) setCaching(v any) error {
	m, err := optMap(v)
	if err != nil {
		return err
	}
	out := map[string]string{"keys": "ALL", "rows_per_partition": "NONE"}
	for k, val := range m {
		switch k {
		case "keys":
			u := strings.ToUpper(val)
			if u != "ALL" && u != "NONE" {
				return fmt.Errorf("invalid value '%s' for caching sub-option 'keys': only 'ALL' and 'NONE' are accepted", val)
			}
			out[k] = u
		case "rows_per_partition":
			u := strings.ToUpper(val)
			if n, err := strconv.Atoi(val); err == nil && n >= 0 {
				u = strconv.Itoa(n)
			} else if u != "ALL" && u != "NONE" {
				return fmt.Errorf("invalid value '%s' for caching sub-option 'rows_per_partition'", val)
			}
			out[k] = u
		default:
			return fmt.Errorf("unknown caching sub-option '%s'", k)
		}
	}
	o.Caching = out
	return nil
}

var compactionClasses = []string{
	"SizeTieredCompactionStrategy", "LeveledCompactionStrategy", "TimeWindowCompactionStrategy",
}

// Compaction sub-options each strategy understands, as the validateOptions
// of Cassandra 4.1's strategies (and of AbstractCompactionStrategy, which
// all share) remove them; anything left is refused.
var (
	compactionCommonOptions = []string{
		"class", "enabled", "tombstone_threshold", "tombstone_compaction_interval",
		"unchecked_tombstone_compaction", "log_all", "only_purge_repaired_tombstones",
		"provide_overlapping_tombstones", "min_threshold", "max_threshold",
	}
	compactionSTCSOptions = []string{"min_sstable_size", "bucket_low", "bucket_high"}
	compactionOptions     = map[string][]string{
		"SizeTieredCompactionStrategy": compactionSTCSOptions,
		"LeveledCompactionStrategy":    append([]string{"sstable_size_in_mb", "fanout_size", "single_sstable_uplevel"}, compactionSTCSOptions...),
		"TimeWindowCompactionStrategy": append([]string{"compaction_window_unit", "compaction_window_size", "timestamp_resolution",
			"expired_sstable_check_frequency_seconds", "unsafe_aggressive_sstable_expiration"}, compactionSTCSOptions...),
	}
)

// setCompaction validates as Cassandra 4.1's CompactionParams.fromMap and
// validate do; their ConfigurationException messages are returned as
// they are (a *ConfigError Set does not wrap).
func (o *TableOptions) setCompaction(v any) error {
	m, err := optMap(v)
	if err != nil {
		return err
	}
	if m["class"] == "" {
		return configf("Missing sub-option 'class' for the 'compaction' option")
	}
	class := m["class"]
	if !strings.Contains(class, ".") {
		class = compactionPackage + class
	}
	short, ok := strings.CutPrefix(class, compactionPackage)
	if !ok || !slices.Contains(compactionClasses, short) {
		return configf("Unable to find compaction strategy class '%s'", class)
	}
	m["class"] = class
	var unknown []string
	for k := range m {
		if !slices.Contains(compactionCommonOptions, k) && !slices.Contains(compactionOptions[short], k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return configf("Properties specified [%s] are not understood by %s", strings.Join(unknown, ", "), short)
	}
	if class == SizeTieredCompaction {
		setDefault(m, "max_threshold", "32")
		setDefault(m, "min_threshold", "4")
	}
	for _, k := range []string{"max_threshold", "min_threshold"} {
		if s, ok := m[k]; ok {
			if n, err := strconv.Atoi(s); err != nil || n < 0 {
				return fmt.Errorf("%s must be a non-negative integer, got '%s'", k, s)
			}
		}
	}
	o.Compaction = m
	return nil
}

func setDefault(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

var compressionClasses = []string{
	"LZ4Compressor", "SnappyCompressor", "DeflateCompressor", "ZstdCompressor", "NoopCompressor",
}

// compressionOptions are the options each compressor's supportedOptions
// lists in Cassandra 4.1; the options CompressionParams itself removes
// first (chunk length, min_compress_ratio, crc_check_chance) are accepted
// for every class.
var (
	compressionCommonOptions = []string{"class", "chunk_length_in_kb", "chunk_length_kb", "min_compress_ratio", "crc_check_chance"}
	compressionOptions       = map[string][]string{
		"LZ4Compressor":  {"lz4_compressor_type", "lz4_high_compressor_level"},
		"ZstdCompressor": {"compression_level"},
	}
)

// setCompression validates as Cassandra 4.1's CompressionParams.fromMap
// does; its ConfigurationException messages are returned as they are.
func (o *TableOptions) setCompression(v any) error {
	m, err := optMap(v)
	if err != nil {
		return err
	}
	enabled := true
	if e, ok := m["enabled"]; ok {
		enabled = strings.EqualFold(e, "true")
	}
	if len(m) > 0 && enabled && m["class"] == "" {
		if _, ok := m["class"]; !ok {
			return configf("Missing sub-option 'class' for the 'compression' option.")
		}
	}
	if !enabled {
		if len(m) > 1 {
			return configf("If the 'enabled' option is set to false no other options must be specified")
		}
		o.Compression = map[string]string{"enabled": "false"}
		return nil
	}
	delete(m, "enabled")
	if m["class"] == "" {
		m["class"] = LZ4Compressor
	}
	class := m["class"]
	if !strings.Contains(class, ".") {
		class = compressionPackage + class
	}
	short, ok := strings.CutPrefix(class, compressionPackage)
	if !ok || !slices.Contains(compressionClasses, short) {
		return configf("Could not create Compression for type %s", class)
	}
	m["class"] = class
	var unknown []string
	for k := range m {
		if !slices.Contains(compressionCommonOptions, k) && !slices.Contains(compressionOptions[short], k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return configf("Unknown compression options %s", unknown[0])
	}
	setDefault(m, "chunk_length_in_kb", "16")
	n, err := strconv.Atoi(m["chunk_length_in_kb"])
	if err != nil || n <= 0 || n&(n-1) != 0 {
		return fmt.Errorf("chunk_length_in_kb must be a power of 2, got '%s'", m["chunk_length_in_kb"])
	}
	o.Compression = m
	return nil
}

func (o *TableOptions) setExtensions(v any) error {
	out := map[string][]byte{}
	switch x := v.(type) {
	case map[string][]byte:
		for k, b := range x {
			out[k] = slices.Clone(b)
		}
	default:
		m, err := optMap(v)
		if err != nil {
			return err
		}
		for k, s := range m {
			out[k] = []byte(s)
		}
	}
	o.Extensions = out
	return nil
}

func (o *TableOptions) setReadRepair(v any) error {
	s, err := optString(v)
	if err != nil {
		return err
	}
	u := strings.ToUpper(s)
	if u != "BLOCKING" && u != "NONE" {
		return fmt.Errorf("read_repair must be 'BLOCKING' or 'NONE', got '%s'", s)
	}
	o.ReadRepair = u
	return nil
}
