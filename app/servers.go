package app

import (
	"context"
	"strconv"
	"time"
)

// detailsHealth is the part of the server-details cache /status reads.
type detailsHealth interface {
	Health() (state, reason string, since time.Time)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// wireServers connects the per-server work (details cache, RCON, parses).
func (a *appliance) wireServers(ctx context.Context) error {
	return nil
}
