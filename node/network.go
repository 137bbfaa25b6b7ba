package node

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/memberlist"
)

// Network is the path between nodes: every internode stream a node opens
// (messaging and gossip's TCP exchanges) and every gossip datagram it
// sends go through it. nil means the machine's real network. A fault
// harness (internal/faults) passes one per node to partition, delay or
// pause the links between in-process nodes while everything else — the
// nodes, their storage and their sockets on loopback — stays real.
type Network interface {
	// Dial opens a stream connection from this node to addr (host:port).
	// The connection it returns may stall or fail as the link does.
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
	// Send reports whether a gossip datagram from this node to addr is
	// delivered, and after what delay. A dropped datagram is lost
	// silently, as on a real network.
	Send(addr string) (delay time.Duration, deliver bool)
}

// faultTransport is memberlist's UDP/TCP transport with every outbound
// datagram and stream routed through a Network. Received traffic needs
// no filter: in a harness every sender's own Network has decided it.
// It implements NodeAwareTransport explicitly (memberlist prefers those
// methods when present), so no send can bypass the Network.
type faultTransport struct {
	*memberlist.NetTransport
	net Network
}

var _ memberlist.NodeAwareTransport = (*faultTransport)(nil)

func newFaultTransport(bindAddr string, port int, nw Network, cfg *memberlist.Config) (*faultTransport, error) {
	t, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{bindAddr}, BindPort: port, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot bind gossip on %s:%d: %w", bindAddr, port, err)
	}
	return &faultTransport{NetTransport: t, net: nw}, nil
}

func (t *faultTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	delay, ok := t.net.Send(addr)
	if !ok {
		return time.Now(), nil // lost on the way
	}
	if delay <= 0 {
		return t.NetTransport.WriteTo(b, addr)
	}
	buf := append([]byte(nil), b...)
	time.AfterFunc(delay, func() { _, _ = t.NetTransport.WriteTo(buf, addr) })
	return time.Now(), nil
}

func (t *faultTransport) WriteToAddress(b []byte, addr memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, addr.Addr)
}

func (t *faultTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return t.net.Dial(ctx, "tcp", addr)
}

func (t *faultTransport) DialAddressTimeout(addr memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(addr.Addr, timeout)
}
