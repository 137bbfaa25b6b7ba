package ring

import (
	"bufio"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/spaolacci/murmur3"
)

// TestMurmur3Golden pins Murmur3Token to tokens computed by gocql's copy of
// Cassandra's hash (testdata/murmur3_tokens.txt), including keys whose
// tail bytes are >= 0x80, where the sign extension matters.
func TestMurmur3Golden(t *testing.T) {
	f, err := os.Open("testdata/murmur3_tokens.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		hexKey, tok, _ := strings.Cut(line, " ")
		key, err := hex.DecodeString(hexKey)
		if err != nil {
			t.Fatalf("bad golden line %q: %v", line, err)
		}
		want, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			t.Fatalf("bad golden line %q: %v", line, err)
		}
		if got := Murmur3Token(key); int64(got) != want {
			t.Errorf("Murmur3Token(%s) = %d, want %d", hexKey, got, want)
		}
		n++
	}
	if n < 50 {
		t.Fatalf("only %d golden vectors", n)
	}
}

func TestMurmur3SingleByteFF(t *testing.T) {
	if got := Murmur3Token([]byte{0xff}); got != -4442228696663692417 {
		t.Fatalf("token of 0xff = %d, want Cassandra's -4442228696663692417", got)
	}
}

// TestMurmur3MatchesReferenceWithoutHighTail checks the hash against
// spaolacci/murmur3 (the reference MurmurHash3) on keys where the two
// must agree: no tail byte >= 0x80. And that they differ when one is.
func TestMurmur3MatchesReferenceWithoutHighTail(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	for range 2000 {
		key := make([]byte, rnd.IntN(70)+1)
		for i := range key {
			key[i] = byte(rnd.Uint32())
		}
		// Sign extension changes the hash when a tail byte >= 0x80 sits
		// below the top byte of its 64-bit word (tail position 7 shifts
		// its extension out of the word).
		tail := key[len(key)/16*16:]
		high := false
		for i, b := range tail {
			high = high || (b >= 0x80 && i != 7)
		}
		h1, _ := murmur3.Sum128(key)
		same := int64(h1) == int64(Murmur3Token(key))
		if !high && !same && int64(h1) != int64(MinToken) {
			t.Fatalf("key %x: token %d differs from reference %d", key, Murmur3Token(key), int64(h1))
		}
		if high && same {
			t.Fatalf("key %x with high tail byte: token equals the reference hash", key)
		}
	}
}

func TestMurmur3EmptyKey(t *testing.T) {
	if got := Murmur3Token(nil); got != MinToken {
		t.Fatalf("empty key token %d, want MinToken", got)
	}
}

func TestRoutingKey(t *testing.T) {
	single, ok := RoutingKey([]byte{0, 0, 0, 7})
	if !ok || hex.EncodeToString(single) != "00000007" {
		t.Fatalf("single component routing key %x", single)
	}
	comp, ok := RoutingKey([]byte("a"), []byte("bc"))
	if !ok || hex.EncodeToString(comp) != "0001610000026263"+"00" {
		t.Fatalf("composite routing key %x", comp)
	}
	// The composite golden vector in testdata was computed over these bytes.
	if got := Murmur3Token(comp); got != Murmur3Token([]byte{0, 1, 'a', 0, 0, 2, 'b', 'c', 0}) {
		t.Fatalf("composite token mismatch")
	}
	if _, ok := RoutingKey(make([]byte, 70000), []byte("x")); ok {
		t.Fatal("oversized composite component accepted")
	}
}

func BenchmarkMurmur3Token(b *testing.B) {
	key := []byte("a reasonably sized partition key!")
	for b.Loop() {
		Murmur3Token(key)
	}
}

func TestMinHashMapsToMaxToken(t *testing.T) {
	if got := hashToToken(1 << 63); got != MaxToken {
		t.Fatalf("hash Long.MIN_VALUE gave token %d, want MaxToken", got)
	}
	if got := hashToToken(5); got != 5 {
		t.Fatalf("hash 5 gave token %d", got)
	}
}
