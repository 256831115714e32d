package serverstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/bots/server"
	"github.com/blissark/bliss/jobs/countdown"
)

// NitradoControl is the part of *nitrado.Client the countdowns use.
type NitradoControl interface {
	Gameserver(ctx context.Context, serviceID int64) (*nitrado.Gameserver, error)
	Restart(ctx context.Context, serviceID int64, message, reason string) error
	Stop(ctx context.Context, serviceID int64, message, reason string) error
	Start(ctx context.Context, serviceID int64, message, reason string) error
}

// GameServers implements countdown.Servers over RCON and Nitrado.
type GameServers struct {
	RCON    server.RCON
	Nitrado NitradoControl
	// Names returns a server's display name (nil: "server <id>").
	Names func(serviceID int64) string
	// Changed, when set, is told after an action so cached details are
	// dropped (the server-details cache's Invalidate).
	Changed func(serviceID int64)
}

var _ countdown.Servers = GameServers{}

// Chat implements countdown.Servers (ServerChat, sanitised to one line).
func (g GameServers) Chat(ctx context.Context, id int64, text string) error {
	cmd, err := rcon.ServerChat(text)
	if err != nil {
		return err
	}
	_, err = g.RCON.Exec(ctx, id, cmd)
	return err
}

// Save implements countdown.Servers.
func (g GameServers) Save(ctx context.Context, id int64) error {
	_, err := g.RCON.Exec(ctx, id, rcon.SaveWorld())
	return err
}

// Act implements countdown.Servers.
func (g GameServers) Act(ctx context.Context, action string, id int64, reason string) error {
	msg := "Bliss: " + action
	if reason != "" {
		msg += ": " + reason
	}
	var err error
	switch action {
	case countdown.ActionRestart:
		err = g.Nitrado.Restart(ctx, id, "", msg)
	case countdown.ActionStop:
		err = g.Nitrado.Stop(ctx, id, "", msg)
	case countdown.ActionStart:
		err = g.Nitrado.Start(ctx, id, "", msg)
	default:
		return fmt.Errorf("unknown action %q", action)
	}
	if g.Changed != nil {
		g.Changed(id)
	}
	return err
}

// Status implements countdown.Servers.
func (g GameServers) Status(ctx context.Context, id int64) (string, error) {
	gs, err := g.Nitrado.Gameserver(ctx, id)
	if err != nil {
		return "", err
	}
	return gs.Status, nil
}

// Name implements countdown.Servers.
func (g GameServers) Name(id int64) string {
	if g.Names != nil {
		if n := g.Names(id); n != "" {
			return n
		}
	}
	return "server " + strconv.FormatInt(id, 10)
}
