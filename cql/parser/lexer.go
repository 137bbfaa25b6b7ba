package parser

import (
	"strconv"
	"strings"
)

// tokenKind classifies a token. Keywords are not separate kinds: they lex
// as tokIdent and the parser matches them case-insensitively, which is what
// lets unreserved keywords serve as identifiers.
type tokenKind uint8

const (
	tokEOF         tokenKind = iota
	tokIdent                 // unquoted word: letter (letter | digit | _)*
	tokQuotedIdent           // "Name", text unescaped
	tokString                // 'text' or $$text$$, text unescaped
	tokInteger               // -?digits
	tokFloat                 // -?digits.digits?(e[+-]?digits)?
	tokUUID                  // 8-4-4-4-12 hex
	tokBlob                  // 0x hex*
	tokDuration              // 1h30m, P1D, PT2H, P1W, P0001-02-03T04:05:06
	tokPunct                 // ( ) [ ] { } , ; . : ? = < <= > >= != + - * / % += -=
)

// token is one lexeme. text is a slice of the source (no copy) except for
// strings and quoted identifiers that contained escapes.
type token struct {
	kind     tokenKind
	pos      Pos
	off, end int // byte offsets of the token in the source
	text     string
}

// lexer splits CQL text into tokens. It never recurses and never reads
// past the end of the input.
type lexer struct {
	src  string
	off  int // byte offset of the next unread byte
	line int
	col  int // column of src[off]
}

func (l *lexer) peekByte(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

// advance moves past n bytes, keeping line and column.
func (l *lexer) advance(n int) {
	for i := 0; i < n && l.off < len(l.src); i++ {
		if l.src[l.off] == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		l.off++
	}
}

func (l *lexer) pos() Pos { return Pos{Line: l.line, Col: l.col} }

// errorf returns a syntax error at pos; found is clipped (a message that
// quotes it must quote Clip(found)).
func (l *lexer) errorf(pos Pos, found, msg string) *Error {
	return &Error{Pos: pos, Found: Clip(found), Msg: msg}
}

// checkName refuses a name longer than MaxNameLength; raw is its source
// text (with quotes, for a quoted name).
func (l *lexer) checkName(pos Pos, raw, name string) *Error {
	if len(name) <= MaxNameLength {
		return nil
	}
	e := l.errorf(pos, raw, "")
	e.Msg = "name '" + e.Found + "' of " + strconv.Itoa(len(name)) + " bytes is longer than the maximum of " + strconv.Itoa(MaxNameLength)
	e.Unsupported = true
	return e
}

// skipSpace skips white space and comments: -- and // to the end of the
// line, /* ... */ (not nested).
func (l *lexer) skipSpace() *Error {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			l.advance(1)
		case (c == '-' && l.peekByte(1) == '-') || (c == '/' && l.peekByte(1) == '/'):
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance(1)
			}
		case c == '/' && l.peekByte(1) == '*':
			start := l.pos()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				return l.errorf(start, "/*", "unterminated comment")
			}
			l.advance(end + 4)
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token.
func (l *lexer) next() (token, *Error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	off := l.off
	t, err := l.scan()
	t.off, t.end = off, l.off
	return t, err
}

// scan lexes the token that starts at l.off, after white space.
func (l *lexer) scan() (token, *Error) {
	pos := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tokEOF, pos: pos}, nil
	}
	c := l.src[l.off]
	switch {
	case isHex(c) && l.uuidAt(l.off):
		return l.take(tokUUID, pos, 36), nil
	case c == '0' && (l.peekByte(1) == 'x' || l.peekByte(1) == 'X'):
		return l.blob(pos)
	case isDigit(c) || (c == '-' && isDigit(l.peekByte(1))):
		return l.number(pos)
	case c == '-' && (l.peekByte(1) == 'P' || l.peekByte(1) == 'p'):
		if n := isoDurationLen(l.src[l.off+1:]); n > 0 {
			return l.take(tokDuration, pos, n+1), nil
		}
		return l.take(tokPunct, pos, 1), nil
	case isLetter(c):
		return l.word(pos)
	case c == '"':
		return l.quoted(pos, '"', tokQuotedIdent)
	case c == '\'':
		return l.quoted(pos, '\'', tokString)
	case c == '$' && l.peekByte(1) == '$':
		return l.dollarString(pos)
	}
	return l.punct(pos)
}

func (l *lexer) take(kind tokenKind, pos Pos, n int) token {
	t := token{kind: kind, pos: pos, text: l.src[l.off : l.off+n]}
	l.advance(n)
	return t
}

func (l *lexer) punct(pos Pos) (token, *Error) {
	c := l.src[l.off]
	switch c {
	case '<', '>', '!', '+', '-':
		if l.peekByte(1) == '=' {
			return l.take(tokPunct, pos, 2), nil
		}
		if c == '!' {
			return token{}, l.errorf(pos, "!", "no viable alternative at character '!'")
		}
		return l.take(tokPunct, pos, 1), nil
	case '(', ')', '[', ']', '{', '}', ',', ';', '.', ':', '?', '=', '*', '/', '%':
		return l.take(tokPunct, pos, 1), nil
	}
	r := l.src[l.off:]
	n := 1
	for n < len(r) && n < 4 && r[n]&0xC0 == 0x80 { // a whole UTF-8 sequence
		n++
	}
	return token{}, l.errorf(pos, r[:n], "no viable alternative at character '"+r[:n]+"'")
}

// word lexes an identifier, or an ISO 8601 duration (P1D, PT2H) when the
// whole word is one.
func (l *lexer) word(pos Pos) (token, *Error) {
	if m := isoDurationLen(l.src[l.off:]); m > 0 {
		return l.take(tokDuration, pos, m), nil
	}
	n := 1
	for l.off+n < len(l.src) && isIdentByte(l.src[l.off+n]) {
		n++
	}
	if err := l.checkName(pos, l.src[l.off:l.off+n], l.src[l.off:l.off+n]); err != nil {
		return token{}, err
	}
	return l.take(tokIdent, pos, n), nil
}

// number lexes an integer, a float or a duration such as 1h30m.
func (l *lexer) number(pos Pos) (token, *Error) {
	s := l.src[l.off:]
	n := 0
	if s[0] == '-' {
		n++
	}
	n = skipDigits(s, n)
	kind := tokInteger
	if n < len(s) && s[n] == '.' && !(n+1 < len(s) && s[n+1] == '.') {
		kind = tokFloat
		n = skipDigits(s, n+1)
	}
	if m := exponentLen(s[n:]); m > 0 {
		kind = tokFloat
		n += m
	}
	if kind == tokInteger && n < len(s) && (isLetter(s[n]) || s[n] == "µ"[0]) {
		if m := unitDurationLen(s); m > 0 {
			return l.take(tokDuration, pos, m), nil
		}
	}
	if n < len(s) && isIdentByte(s[n]) {
		end := n
		for end < len(s) && isIdentByte(s[end]) {
			end++
		}
		return token{}, l.errorf(pos, s[:end], "no viable alternative at input '"+Clip(s[:end])+"'")
	}
	return l.take(kind, pos, n), nil
}

func skipDigits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// exponentLen returns the length of an exponent e[+-]?digits at the start
// of s, or 0.
func exponentLen(s string) int {
	if len(s) < 2 || (s[0] != 'e' && s[0] != 'E') {
		return 0
	}
	i := 1
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	j := skipDigits(s, i)
	if j == i {
		return 0
	}
	return j
}

// unitDurationLen returns the length of a duration -?(digits unit)+ at the
// start of s when the whole word is one, else 0. Units: y mo w d h m s ms
// us µs ns, any case.
func unitDurationLen(s string) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	groups := 0
	for i < len(s) && isDigit(s[i]) {
		i = skipDigits(s, i)
		u := durationUnitLen(s[i:])
		if u == 0 {
			return 0
		}
		i += u
		groups++
	}
	if groups == 0 || (i < len(s) && isIdentByte(s[i])) {
		return 0
	}
	return i
}

func durationUnitLen(s string) int {
	lower := func(i int) byte {
		if i < len(s) {
			return s[i] | 0x20
		}
		return 0
	}
	switch c := lower(0); c {
	case 'y', 'w', 'd', 'h':
		return 1
	case 'm':
		switch lower(1) {
		case 'o', 's':
			return 2
		}
		return 1
	case 'u', 'n':
		if lower(1) == 's' {
			return 2
		}
	case 's':
		return 1
	}
	if strings.HasPrefix(s, "µs") || strings.HasPrefix(s, "µS") {
		return len("µs")
	}
	return 0
}

// isoDurationLen returns the length of an ISO 8601 duration starting with
// P at s[0] when the whole word is one, else 0. At least one number is
// required, so the identifiers p and pt stay identifiers.
func isoDurationLen(s string) int {
	if len(s) == 0 || (s[0] != 'P' && s[0] != 'p') {
		return 0
	}
	n := isoAlternativeLen(s[1:])
	if n == 0 {
		return 0
	}
	if 1+n < len(s) && isIdentByte(s[1+n]) {
		return 0
	}
	return 1 + n
}

func isoAlternativeLen(s string) int {
	if n := isoWeeksLen(s); n > 0 {
		return n
	}
	if n := isoAltFormatLen(s); n > 0 {
		return n
	}
	return isoFieldsLen(s)
}

func isoWeeksLen(s string) int {
	i := skipDigits(s, 0)
	if i > 0 && i < len(s) && (s[i]|0x20) == 'w' {
		return i + 1
	}
	return 0
}

// isoAltFormatLen matches YYYY-MM-DDThh:mm:ss.
func isoAltFormatLen(s string) int {
	const pattern = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(pattern) {
		return 0
	}
	for i := 0; i < len(pattern); i++ {
		switch p := pattern[i]; p {
		case 'd':
			if !isDigit(s[i]) {
				return 0
			}
		case 'T':
			if s[i]|0x20 != 't' {
				return 0
			}
		default:
			if s[i] != p {
				return 0
			}
		}
	}
	return len(pattern)
}

// isoFieldsLen matches (nY)?(nM)?(nD)?(T(nH)?(nM)?(nS)?)? with at least
// one field.
func isoFieldsLen(s string) int {
	i, fields := isoUnits(s, 0, "ymd")
	if i < len(s) && (s[i]|0x20) == 't' {
		j, f := isoUnits(s, i+1, "hms")
		if f > 0 {
			i, fields = j, fields+f
		}
	}
	if fields == 0 {
		return 0
	}
	return i
}

// isoUnits matches digits+unit groups whose units appear in order in
// units, starting at s[i].
func isoUnits(s string, i int, units string) (end, fields int) {
	for k := 0; k < len(units); k++ {
		j := skipDigits(s, i)
		if j == i || j >= len(s) || s[j]|0x20 != units[k] {
			continue
		}
		i, fields = j+1, fields+1
	}
	return i, fields
}

func (l *lexer) blob(pos Pos) (token, *Error) {
	s := l.src[l.off:]
	n := 2
	for n < len(s) && isHex(s[n]) {
		n++
	}
	if n < len(s) && isIdentByte(s[n]) {
		end := n
		for end < len(s) && isIdentByte(s[end]) {
			end++
		}
		return token{}, l.errorf(pos, s[:end], "no viable alternative at input '"+Clip(s[:end])+"'")
	}
	return l.take(tokBlob, pos, n), nil
}

// uuidAt reports whether a UUID starts at src[off] and is not followed by
// more word characters.
func (l *lexer) uuidAt(off int) bool {
	s := l.src[off:]
	if len(s) < 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return len(s) == 36 || !isIdentByte(s[36])
}

// quoted lexes a '...' string or a "..." identifier; the quote character
// is escaped by doubling it. The text is copied only when it holds an
// escape.
func (l *lexer) quoted(pos Pos, q byte, kind tokenKind) (token, *Error) {
	s := l.src[l.off:]
	escaped := false
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			escaped = true
			i++
			continue
		}
		text := s[1:i]
		if kind == tokQuotedIdent && i == 1 {
			return token{}, l.errorf(pos, `""`, "empty quoted identifier")
		}
		if escaped {
			text = strings.ReplaceAll(text, string([]byte{q, q}), string([]byte{q}))
		}
		if kind == tokQuotedIdent {
			if err := l.checkName(pos, s[:i+1], text); err != nil {
				return token{}, err
			}
		}
		l.advance(i + 1)
		return token{kind: kind, pos: pos, text: text}, nil
	}
	what := "string"
	if kind == tokQuotedIdent {
		what = "quoted identifier"
	}
	return token{}, l.errorf(pos, s[:1], "unterminated "+what)
}

// dollarString lexes $$text$$ (no escapes).
func (l *lexer) dollarString(pos Pos) (token, *Error) {
	s := l.src[l.off+2:]
	end := strings.Index(s, "$$")
	if end < 0 {
		return token{}, l.errorf(pos, "$$", "unterminated string")
	}
	t := token{kind: tokString, pos: pos, text: s[:end]}
	l.advance(end + 4)
	return t, nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isHex(c byte) bool    { return isDigit(c) || ((c|0x20) >= 'a' && (c|0x20) <= 'f') }
func isIdentByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_'
}
