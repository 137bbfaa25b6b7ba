package main

import (
	"net"
	"testing"
)

func TestPickInterfaceAddress(t *testing.T) {
	ipnet := func(s string) net.Addr {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	for _, tc := range []struct {
		addrs []net.Addr
		want  string
	}{
		{[]net.Addr{ipnet("fe80::1/64"), ipnet("2001:db8::5/64"), ipnet("10.0.0.7/24")}, "10.0.0.7"}, // IPv4 first
		{[]net.Addr{ipnet("fe80::1/64"), ipnet("2001:db8::5/64")}, "2001:db8::5"},                    // never link-local
		{[]net.Addr{ipnet("fe80::1/64")}, ""},
		{nil, ""},
	} {
		got, err := pickInterfaceAddress("eth0", tc.addrs)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("pick(%v) = %q, %v; want %q", tc.addrs, got, err, tc.want)
		}
	}
	if _, err := interfaceAddress("no-such-interface0"); err == nil {
		t.Error("an unknown interface was accepted")
	}
}
