package parser

import "testing"

// Map-entry relations (m[k] = v) and ALTER TABLE ... DROP ... USING
// TIMESTAMP n, as Cassandra 4.1's grammar has them.
func TestMapEntryAndDropTimestamp(t *testing.T) {
	cases := []struct{ in, want string }{
		{"select * from t where m['a'] = 1 allow filtering", "SELECT * FROM t WHERE m['a'] = 1 ALLOW FILTERING"},
		{"select * from t where m[?] = ? and k = 1", "SELECT * FROM t WHERE m[?] = ? AND k = 1"},
		{"alter table t drop v using timestamp 20000", "ALTER TABLE t DROP v USING TIMESTAMP 20000"},
		{"alter table t drop (a, b) using timestamp -5", "ALTER TABLE t DROP (a, b) USING TIMESTAMP -5"},
	}
	for _, c := range cases {
		s := mustParse(t, c.in)
		if got := s.String(); got != c.want {
			t.Errorf("Parse(%q).String()\n got: %s\nwant: %s", c.in, got, c.want)
		}
		checkRoundTrip(t, c.in, s)
	}
	sel := mustParse(t, "SELECT * FROM t WHERE m[?] = ?").(*Select)
	if r := sel.Where[0]; r.MapKey == nil || r.Op != OpEq || r.Value == nil {
		t.Errorf("m[?] = ?: %+v", r)
	}
	for _, bad := range []string{
		"SELECT * FROM t WHERE m['a'] IN (1)",
		"SELECT * FROM t WHERE m['a'] CONTAINS 1",
		"ALTER TABLE t DROP v USING TIMESTAMP ?",
		"ALTER TABLE t DROP v USING TIMESTAMP 1.5",
		"ALTER TABLE t DROP v USING TTL 5",
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}
