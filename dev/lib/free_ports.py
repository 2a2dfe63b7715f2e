"""Prints N distinct free 127.0.0.1 ports, one a line, for daemons that are told their port.

The ports are drawn below the kernel's ephemeral range: a port from bind(0) lies inside it, so
between this pick and the daemon's own bind any outbound connection could take it as its source
port. All sockets are held open together so the ports are distinct.
"""
import random
import socket
import sys

try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except OSError:
    low = 32768
socks = []
while len(socks) < int(sys.argv[1] if len(sys.argv) > 1 else 1):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(10000, max(low, 10001))))
        socks.append(s)
    except OSError:
        s.close()
for s in socks:
    print(s.getsockname()[1])
