package node

import (
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// hostnamePattern is a DNS name (RFC 1123 labels).
var hostnamePattern = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

// validateSeeds checks every seed is an address or host name, with an
// optional port in [1, 65535]: a malformed seed would otherwise surface
// only as a node that never finds its cluster.
func validateSeeds(add func(string, ...any), seeds []string) {
	for _, s := range seeds {
		if err := checkSeed(strings.TrimSpace(s)); err != "" {
			add("seed %q: %s", s, err)
		}
	}
}

// checkSeed returns what is wrong with seed, or "".
func checkSeed(seed string) string {
	if seed == "" {
		return "empty address"
	}
	host := seed
	if h, p, err := net.SplitHostPort(seed); err == nil {
		port, perr := strconv.Atoi(p)
		if perr != nil || port < 1 || port > 65535 {
			return "port " + strconv.Quote(p) + " is not in [1, 65535]"
		}
		host = h
	} else if strings.Count(seed, ":") == 1 || strings.HasPrefix(seed, "[") {
		return "not host or host:port (" + strings.TrimPrefix(err.Error(), "address "+seed+": ") + ")"
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if !hostnamePattern.MatchString(host) {
		return "host " + strconv.Quote(host) + " is neither an IP address nor a host name"
	}
	return ""
}
