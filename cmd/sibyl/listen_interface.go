package main

import (
	"fmt"
	"net"
	"net/netip"
)

// A container does not know its address before it starts, and a node must
// advertise a concrete one (drivers connect to what system.local reports),
// so `--listen-interface eth0` takes the address from the interface, as
// Cassandra's listen_interface does. IPv4 is preferred, as Cassandra does
// unless listen_interface_prefer_ipv6 is set.

// interfaceAddress returns the first IPv4 address of the named interface,
// or its first IPv6 one when it has no IPv4 address.
func interfaceAddress(name string) (string, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return "", fmt.Errorf("listen interface %q: %w", name, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return "", fmt.Errorf("listen interface %q: cannot list its addresses: %w", name, err)
	}
	return pickInterfaceAddress(name, addrs)
}

// pickInterfaceAddress chooses among an interface's addresses: the first
// IPv4 one, else the first IPv6 one that is not link-local (a link-local
// address needs a zone, which peers on other hosts cannot use).
func pickInterfaceAddress(name string, addrs []net.Addr) (string, error) {
	var v6 netip.Addr
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ip.Is4():
			return ip.String(), nil
		case !v6.IsValid() && !ip.IsLinkLocalUnicast():
			v6 = ip
		}
	}
	if v6.IsValid() {
		return v6.String(), nil
	}
	return "", fmt.Errorf("listen interface %q has no usable address", name)
}
