package protocol

import "fmt"

// Consistency is a consistency level, numbered as on the wire (spec
// section 3): ANY 0, ONE 1, TWO 2, THREE 3, QUORUM 4, ALL 5, LOCAL_QUORUM
// 6, EACH_QUORUM 7, SERIAL 8, LOCAL_SERIAL 9, LOCAL_ONE 10. A request
// with any other code is malformed, as Cassandra refuses it
// (ConsistencyLevel.fromCode: "Unknown code 255 for a consistency
// level"); whether a defined level suits a statement is the executor's
// business.
type Consistency uint16

// maxConsistency is the highest code v3 and v4 define, LOCAL_ONE.
// Cassandra 4.0 also accepts 11, its internal NODE_LOCAL, which no spec
// version defines and Sibyl does not implement.
const maxConsistency Consistency = 0x000A

// consistency reads a consistency level and refuses codes the protocol
// does not define.
func (d *decoder) consistency(what string) Consistency {
	c := Consistency(d.short(what))
	if d.err == nil && c > maxConsistency {
		d.fail(fmt.Sprintf("unknown code %d for a consistency level (%s)", c, what))
	}
	return c
}

// Query parameter flags (spec section 4.1.4).
const (
	queryFlagValues           = 0x01
	queryFlagSkipMetadata     = 0x02
	queryFlagPageSize         = 0x04
	queryFlagPagingState      = 0x08
	queryFlagSerial           = 0x10
	queryFlagDefaultTimestamp = 0x20
	queryFlagNames            = 0x40
	queryFlagsKnown           = 0x7f
)

// QueryParams are the parameters QUERY and EXECUTE share (spec section
// 4.1.4): <consistency><flags>[values][page_size][paging_state]
// [serial_consistency][timestamp]. The presence of each optional part is
// explicit, so a decoded message encodes back to the same bytes.
type QueryParams struct {
	// Version is the protocol version; unset values need v4. Zero is v4.
	Version     Version
	Consistency Consistency
	// HasValues is set when the values flag is present; Values and, for
	// values sent by name, Names (same length) follow.
	HasValues bool
	Values    []Value
	Names     []string
	// SkipMetadata asks for Rows results without column specs.
	SkipMetadata bool
	HasPageSize  bool
	PageSize     int32
	// PagingState is the state of a previous page; nil when absent.
	PagingState          []byte
	HasSerialConsistency bool
	SerialConsistency    Consistency
	// HasTimestamp says whether the client sent a default timestamp, in
	// microseconds since the epoch.
	HasTimestamp bool
	Timestamp    int64
}

func (p *QueryParams) flags() byte {
	var f byte
	set := func(cond bool, bit byte) {
		if cond {
			f |= bit
		}
	}
	set(p.HasValues || len(p.Values) > 0, queryFlagValues)
	set(p.Names != nil, queryFlagNames)
	set(p.SkipMetadata, queryFlagSkipMetadata)
	set(p.HasPageSize, queryFlagPageSize)
	set(p.PagingState != nil, queryFlagPagingState)
	set(p.HasSerialConsistency, queryFlagSerial)
	set(p.HasTimestamp, queryFlagDefaultTimestamp)
	return f
}

func (p *QueryParams) encode(e *encoder) {
	f := p.flags()
	e.short(uint16(p.Consistency))
	e.byte(f)
	if f&queryFlagValues != 0 {
		encodeValues(e, p.Values, p.Names, p.Version.orDefault() >= Version4)
	}
	if p.HasPageSize {
		e.int(p.PageSize)
	}
	if p.PagingState != nil {
		e.bytes(p.PagingState)
	}
	if p.HasSerialConsistency {
		e.short(uint16(p.SerialConsistency))
	}
	if p.HasTimestamp {
		e.long(p.Timestamp)
	}
}

func (p *QueryParams) decode(d *decoder) {
	v := p.Version
	*p = QueryParams{Version: v}
	p.Consistency = d.consistency("consistency")
	f := d.byte("flags")
	if d.err == nil && f&^queryFlagsKnown != 0 {
		d.fail(fmt.Sprintf("unknown query flags 0x%02x", f&^queryFlagsKnown))
	}
	p.SkipMetadata = f&queryFlagSkipMetadata != 0
	if f&queryFlagValues != 0 {
		p.HasValues = true
		p.Values, p.Names = decodeValues(d, f&queryFlagNames != 0, v.orDefault() >= Version4)
	} else if f&queryFlagNames != 0 {
		d.fail("names flag without values")
	}
	if p.HasPageSize = f&queryFlagPageSize != 0; p.HasPageSize {
		p.PageSize = d.int("page size")
	}
	if f&queryFlagPagingState != 0 {
		p.PagingState = d.bytes("paging state")
		if p.PagingState == nil && d.err == nil {
			p.PagingState = []byte{}
		}
	}
	if p.HasSerialConsistency = f&queryFlagSerial != 0; p.HasSerialConsistency {
		p.SerialConsistency = d.consistency("serial consistency")
	}
	if p.HasTimestamp = f&queryFlagDefaultTimestamp != 0; p.HasTimestamp {
		p.Timestamp = d.long("timestamp")
	}
}

// encodeValues writes <n:short> then n values, each preceded by its name
// when names is not nil.
func encodeValues(e *encoder, values []Value, names []string, unsetOK bool) {
	if names != nil && len(names) != len(values) {
		e.fail("%d names for %d values", len(names), len(values))
		return
	}
	e.count(len(values), "values")
	for i, v := range values {
		if names != nil {
			e.string(names[i])
		}
		e.value(v, unsetOK)
	}
}

func decodeValues(d *decoder, named, unsetOK bool) ([]Value, []string) {
	minSize := 4
	if named {
		minSize = 6
	}
	n := d.count("values", minSize)
	if d.err != nil {
		return nil, nil
	}
	values := make([]Value, 0, n)
	var names []string
	if named {
		names = make([]string, 0, n)
	}
	for range n {
		if named {
			names = append(names, d.string("value name"))
		}
		values = append(values, d.value("value", unsetOK))
	}
	return values, names
}
