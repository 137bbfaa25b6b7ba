package server

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/sibyldb/sibyl/cql/exec"
	"github.com/sibyldb/sibyl/cql/protocol"
	"github.com/sibyldb/sibyl/schema"
)

func TestTypeOption(t *testing.T) {
	udt := &schema.Type{Kind: schema.KindUDT, Keyspace: "ks", Name: "addr", FieldNames: []string{"street", "at"},
		Elems: []*schema.Type{schema.TextType, schema.DurationType}, Frozen: true}
	for _, tc := range []struct {
		t    *schema.Type
		v    protocol.Version
		want string
	}{
		{schema.IntType, protocol.Version4, "0x0009"},
		{schema.TextType, protocol.Version4, "0x000d"},
		{schema.DurationType, protocol.Version4, "custom(org.apache.cassandra.db.marshal.DurationType)"},
		{schema.DateType, protocol.Version4, "0x0011"},
		{schema.DateType, protocol.Version3, "custom(org.apache.cassandra.db.marshal.SimpleDateType)"},
		{schema.TinyintType, protocol.Version3, "custom(org.apache.cassandra.db.marshal.ByteType)"},
		{&schema.Type{Kind: schema.KindMap, Elems: []*schema.Type{schema.TextType, {Kind: schema.KindList, Elems: []*schema.Type{schema.SmallintType}}}},
			protocol.Version3, "0x0021(0x000d,0x0020(custom(org.apache.cassandra.db.marshal.ShortType)))"},
		{udt, protocol.Version4, "udt(ks.addr street:0x000d at:custom(org.apache.cassandra.db.marshal.DurationType))"},
		{&schema.Type{Kind: schema.KindTuple, Elems: []*schema.Type{schema.BigintType, udt}}, protocol.Version4,
			"0x0031(0x0002,udt(ks.addr street:0x000d at:custom(org.apache.cassandra.db.marshal.DurationType)))"},
		{&schema.Type{Kind: schema.KindCustom, Custom: "com.example.Thing"}, protocol.Version4, "custom(com.example.Thing)"},
	} {
		got, err := typeOption(tc.t, tc.v)
		if err != nil || got.String() != tc.want {
			t.Errorf("%v v%d: got %v (%v), want %s", tc.t, tc.v, got, err, tc.want)
		}
	}
	if _, err := typeOption(nil, protocol.Version4); err == nil {
		t.Error("nil type accepted")
	}
}

func TestResultMessages(t *testing.T) {
	a := exec.ColumnSpec{Keyspace: "ks", Table: "t", Name: "a", Type: schema.IntType}
	b := exec.ColumnSpec{Keyspace: "ks", Table: "t", Name: "b", Type: schema.TextType}
	prep, err := resultMessage(&exec.PreparedResult{ID: []byte{1}, Bind: []exec.ColumnSpec{a, b}, PKIndexes: []uint16{0}, Result: []exec.ColumnSpec{b}}, protocol.Version4, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := prep.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	// <kind 4><id><flags: global><2 columns><1 pk: 0><ks><t><a int><b varchar><result: global, 1 column, ks, t, b varchar>
	want := "00000004" + "0001" + "01" + "00000001" + "00000002" + "00000001" + "0000" + "00026b73" + "000174" +
		"000161" + "0009" + "000162" + "000d" + "00000001" + "00000001" + "00026b73" + "000174" + "000162" + "000d"
	if got := fmt.Sprintf("%x", body); got != want {
		t.Errorf("PREPARED\n got %s\nwant %s", got, want)
	}
	void, err := resultMessage(&exec.PreparedResult{ID: []byte{1}}, protocol.Version3, nil)
	if err != nil {
		t.Fatal(err)
	}
	// v3: no pk_indexes; no result columns is No_metadata.
	if body, _ := void.Encode(nil); fmt.Sprintf("%x", body) != "00000004"+"000101"+"00000000"+"00000000"+"00000004"+"00000000" {
		t.Errorf("v3 PREPARED without columns: %x", body)
	}
	rows, err := resultMessage(&exec.RowsResult{Columns: []exec.ColumnSpec{a}, Rows: [][][]byte{{{0, 0, 0, 1}}}, PagingState: []byte{7}, NoMetadata: true}, protocol.Version4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := rows.Encode(nil); fmt.Sprintf("%x", body) != "00000002"+"00000006"+"00000001"+"0000000107"+"00000001"+"0000000400000001" {
		t.Errorf("rows without metadata: %x", body)
	}
	for _, r := range []exec.Result{exec.VoidResult{}, &exec.SetKeyspaceResult{Keyspace: "ks"},
		&exec.SchemaChangeResult{Change: exec.ChangeCreated, Target: exec.TargetKeyspace, Keyspace: "ks"}} {
		m, err := resultMessage(r, protocol.Version4, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Encode(nil); err != nil {
			t.Errorf("%T: %v", r, err)
		}
	}
	if _, err := resultMessage(&exec.RowsResult{Columns: []exec.ColumnSpec{{Name: "x"}}}, protocol.Version4, nil); err == nil {
		t.Error("column without a type accepted")
	}
}

func TestErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want protocol.Error
	}{
		{&exec.Error{Code: exec.CodeUnavailable, Message: "m", Consistency: exec.Quorum, Required: 3, Alive: 1},
			protocol.Error{Code: protocol.CodeUnavailable, Message: "m", Consistency: 4, Required: 3, Alive: 1}},
		{fmt.Errorf("wrapped: %w", &exec.Error{Code: exec.CodeWriteTimeout, Message: "m", Consistency: exec.One, Received: 0, BlockFor: 1, WriteType: exec.WriteBatchLog}),
			protocol.Error{Code: protocol.CodeWriteTimeout, Message: "m", Consistency: 1, BlockFor: 1, WriteType: "BATCH_LOG"}},
		{&exec.Error{Code: exec.CodeWriteTimeout, Message: "m"},
			protocol.Error{Code: protocol.CodeWriteTimeout, Message: "m", WriteType: "SIMPLE"}},
		{&exec.Error{Code: exec.CodeReadTimeout, Message: "m", Received: 1, BlockFor: 2, DataPresent: true},
			protocol.Error{Code: protocol.CodeReadTimeout, Message: "m", Received: 1, BlockFor: 2, DataPresent: true}},
		{&exec.Error{Code: exec.CodeAlreadyExists, Message: "m", Keyspace: "ks", Table: "t"},
			protocol.Error{Code: protocol.CodeAlreadyExists, Message: "m", Keyspace: "ks", Table: "t"}},
		{&exec.Error{Code: exec.CodeFunctionFailure, Message: "m", Keyspace: "system", Function: "fromjson", ArgTypes: []string{"text"}},
			protocol.Error{Code: protocol.CodeFunctionFailure, Message: "m", Keyspace: "system", Function: "fromjson", ArgTypes: []string{"text"}}},
		{&exec.Error{Code: exec.CodeUnprepared, UnpreparedID: []byte{1}},
			protocol.Error{Code: protocol.CodeUnprepared, Message: "unprepared", UnpreparedID: []byte{1}}},
		{errors.New("disk on fire"), protocol.Error{Code: protocol.CodeServerError, Message: "disk on fire"}},
	} {
		got := errorMessage(tc.err)
		if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", tc.want) {
			t.Errorf("%v:\n got %+v\nwant %+v", tc.err, *got, tc.want)
		}
		if _, err := got.Encode(nil); err != nil {
			t.Errorf("%v: %v", tc.err, err)
		}
	}
}

func TestDowngradeError(t *testing.T) {
	rf := &protocol.Error{Code: protocol.CodeReadFailure, Message: "m", Received: 1, BlockFor: 2, NumFailures: 1}
	if got := downgradeError(rf, protocol.Version4); got != rf {
		t.Errorf("v4 changed %+v", got)
	}
	if got := downgradeError(rf, protocol.Version3); got.Code != protocol.CodeReadTimeout || got.BlockFor != 2 || rf.Code != protocol.CodeReadFailure {
		t.Errorf("v3 read failure became %+v (original %+v)", got, rf)
	}
	wf := &protocol.Error{Code: protocol.CodeWriteFailure, WriteType: "SIMPLE"}
	if got := downgradeError(wf, protocol.Version3); got.Code != protocol.CodeWriteTimeout || got.WriteType != "SIMPLE" {
		t.Errorf("v3 write failure became %+v", got)
	}
	ff := &protocol.Error{Code: protocol.CodeFunctionFailure, Keyspace: "ks"}
	if got := downgradeError(ff, protocol.Version3); got.Code != protocol.CodeInvalid {
		t.Errorf("v3 function failure became %+v", got)
	}
	// CAS_WRITE_UNKNOWN is v5's: v3 and v4 clients get the Write_timeout
	// of write type CAS, with its counts, as Cassandra sends them.
	cas := errorMessage(&exec.Error{Code: exec.CodeCASWriteUnknown, Message: "unknown", Consistency: exec.Serial, Received: 1, BlockFor: 2, WriteType: exec.WriteCAS})
	for _, v := range []protocol.Version{protocol.Version3, protocol.Version4} {
		got := downgradeError(cas, v)
		if got.Code != protocol.CodeWriteTimeout || got.WriteType != "CAS" || got.Consistency != protocol.Consistency(exec.Serial) || got.Received != 1 || got.BlockFor != 2 || cas.Code != protocol.CodeCASWriteUnknown {
			t.Errorf("v%d CAS_WRITE_UNKNOWN became %+v", v, got)
		}
		body, err := got.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		var back protocol.Error
		if err := back.Decode(body); err != nil || back.WriteType != "CAS" {
			t.Errorf("v%d: decoded %+v, %v", v, back, err)
		}
	}
}

// TestAnswerReuse checks that answers built one after another in the
// same worker's answer encode exactly as freshly allocated ones, and that
// reset drops what the last one referenced.
func TestAnswerReuse(t *testing.T) {
	col := exec.ColumnSpec{Keyspace: "ks", Table: "t", Name: "v", Type: schema.IntType}
	results := []exec.Result{
		&exec.RowsResult{Columns: []exec.ColumnSpec{col}, Rows: [][][]byte{{{0, 0, 0, 1}}}, PagingState: []byte{7}},
		exec.VoidResult{},
		&exec.RowsResult{Columns: []exec.ColumnSpec{col}, Rows: [][][]byte{{nil}, {{0, 0, 0, 2}}}, NoMetadata: true},
		&exec.SetKeyspaceResult{Keyspace: "ks"},
		&exec.RowsResult{Columns: []exec.ColumnSpec{col}},
	}
	var a answer
	for _, r := range results {
		fresh, err := resultMessage(r, protocol.Version4, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		reused, err := resultMessage(r, protocol.Version4, &a)
		if err != nil {
			t.Fatal(err)
		}
		if reused != &a.result {
			t.Fatalf("%T: answer not built in place", r)
		}
		got, err := reused.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%T: reused answer %x, fresh %x", r, got, want)
		}
	}
	a.reset()
	if a.rows.Rows != nil || a.result.Rows != nil || a.rows.Metadata.PagingState != nil {
		t.Errorf("reset kept references: %+v", a)
	}
}

func TestQueryOptionsValues(t *testing.T) {
	for _, n := range []int{0, 1, inlineValues, inlineValues + 1, 40} {
		p := &protocol.QueryParams{Consistency: 4, HasValues: n > 0}
		for i := range n {
			p.Values = append(p.Values, protocol.Value{Bytes: []byte{byte(i)}, Unset: i%3 == 2})
		}
		o := queryOptions(p)
		if len(o.Values) != n || (n == 0) != (o.Values == nil) {
			t.Fatalf("%d values: got %d (nil %v)", n, len(o.Values), o.Values == nil)
		}
		for i, v := range o.Values {
			if !bytes.Equal(v.Bytes, []byte{byte(i)}) || v.Unset != (i%3 == 2) {
				t.Errorf("%d values: value %d is %+v", n, i, v)
			}
		}
		// Options are the handler's: two conversions never share values.
		o2 := queryOptions(p)
		if n > 0 && &o2.Values[0] == &o.Values[0] {
			t.Errorf("%d values: two options share their values", n)
		}
	}
}
