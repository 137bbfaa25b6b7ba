package storage

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/sstable/colblk"
)

// Bloom filters for point reads. Pebble keeps a filter per sstable over
// the prefixes its Comparer's Split returns, and consults it on
// SeekPrefixGE: an sstable whose filter says "not here" is skipped without
// reading its index or data blocks. With the default Split (the whole key)
// no single-partition read could use a filter: it seeks to the partition's
// first key, not to a key it knows exists. Splitting table data keys at the
// end of their partition prefix (FORMAT.md: 0x10 table token esc(key))
// makes the filter answer "does this sstable hold anything of this
// partition?", which is what a partition read asks; it then seeks with
// SeekPrefixGE and skips every level that does not hold the partition.
//
// The ordering is unchanged (Compare stays bytewise), which keeps the
// comparer's name, so stores written before filters existed still open.
// Split is nevertheless part of the on-disk format in two places, and a
// store mixes sstables of both formats until compaction rewrites them:
//
//   - Filters: written over Split prefixes, so a filter written under one
//     Split gives false negatives under another. Older sstables have none.
//   - Columnar data blocks: Pebble stores each key as a prefix and a suffix
//     column and seeks within a block by Split, so a block must be read
//     with the Split it was written with. Every sstable names its key
//     schema: older ones "DefaultKeySchema(leveldb.BytewiseComparator,16)"
//     (whole keys), newer ones partitionKeySchema. Both stay registered
//     for as long as a store may hold such sstables (forever).

// splitKey returns the length of k's Split prefix: the partition prefix of
// a table data key; the whole key for every other key space, and for a
// key too short or malformed to hold a partition prefix (seek bounds).
//
// Pebble's contract holds because partition prefixes are prefix-free
// (the escaping ends with 0x00 0x01, which no escaped byte sequence
// contains): keys of different partitions compare as their prefixes, and
// keys of one partition compare as their suffixes, bytewise.
func splitKey(k []byte) int {
	if len(k) <= partitionHeaderLen || k[0] != spaceTable {
		return len(k)
	}
	rest, err := skipEscaped(k[partitionHeaderLen:])
	if err != nil {
		return len(k)
	}
	return len(k) - len(rest)
}

// comparer is Pebble's bytewise comparer with splitKey.
var comparer = func() *pebble.Comparer {
	c := *pebble.DefaultComparer
	c.Split = splitKey
	return &c
}()

// bloomBitsPerKey sizes the filters: 10 bits per partition gives about a
// 1% false-positive rate, for 1.25 bytes per partition per level.
const bloomBitsPerKey = 10

// partitionKeySchemaName names the key schema of sstables written with
// splitKey; never reuse it for another Split.
const partitionKeySchemaName = "sibyl.PartitionPrefixKeySchema(16)"

// applyKeyFormat sets the comparer, the key schemas and the filters. With
// legacy set it writes as stores did before filters (whole-key prefixes,
// no filters): only tests use it, to build such a store.
func applyKeyFormat(o *pebble.Options, legacy bool) {
	whole := colblk.DefaultKeySchema(pebble.DefaultComparer, 16)
	if legacy {
		o.Comparer = pebble.DefaultComparer
		o.KeySchema = whole.Name
		o.KeySchemas = sstable.MakeKeySchemas(&whole)
		return
	}
	partition := colblk.DefaultKeySchema(comparer, 16)
	partition.Name = partitionKeySchemaName
	o.Comparer = comparer
	o.KeySchema = partition.Name
	o.KeySchemas = sstable.MakeKeySchemas(&whole, &partition)
	// Pebble's default leaves L0 without filters; a partition read should
	// skip flushed sstables that lack the partition too.
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(bloomBitsPerKey)
	}
}
