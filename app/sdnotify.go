package app

import (
	"fmt"
	"net"
)

// sdNotify sends a state line such as "READY=1" to systemd's notification
// socket. It does nothing when socket is empty (not started by systemd with
// Type=notify). Abstract sockets are written with a leading '@'.
func sdNotify(socket, state string) error {
	if socket == "" {
		return nil
	}
	addr := &net.UnixAddr{Name: socket, Net: "unixgram"}
	if socket[0] == '@' {
		addr.Name = "\x00" + socket[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}
