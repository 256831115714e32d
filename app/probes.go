package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/app/nitrado"
	"github.com/blissark/bliss/app/rcon"
	"github.com/blissark/bliss/storage"
)

// networkProbes check the Nitrado token and, for every linked server, that
// Nitrado knows it and its RCON accepts the admin password.
func networkProbes(cfg *config.Config, red *redactor) []probe {
	nc, err := nitrado.New(nitrado.Options{Token: cfg.NitradoToken.Reveal(), BaseURL: cfg.NitradoURL, UserAgent: "bliss/" + Version(), RetryMax: 1})
	if err != nil {
		return []probe{{"nitrado", func(context.Context) (string, error) { return "", err }}}
	}
	return []probe{
		{"nitrado", func(ctx context.Context) (string, error) {
			svcs, err := nc.ListServices(ctx)
			if errors.Is(err, nitrado.ErrInvalidToken) {
				return "", fmt.Errorf("the token in BLISS_NITRADO_TOKEN was refused: %w", err)
			}
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("token accepted, %d services", len(svcs)), nil
		}},
		{"servers", func(ctx context.Context) (string, error) {
			return probeServers(ctx, cfg, nc, red)
		}},
	}
}

// probeServers checks each linked server's details and RCON. Every server
// is tried; the failures are joined.
func probeServers(ctx context.Context, cfg *config.Config, nc *nitrado.Client, red *redactor) (string, error) {
	if _, err := os.Stat(cfg.DBPath()); errors.Is(err, fs.ErrNotExist) {
		return "none linked yet (use /servers add in Discord)", nil
	}
	db, err := storage.OpenReadOnly(ctx, cfg.DBPath()) // check changes nothing on disk
	if err != nil {
		return "", err
	}
	defer db.Close()
	servers, err := db.AllServers(ctx)
	if err != nil {
		return "", err
	}
	if len(servers) == 0 {
		return "none linked yet (use /servers add in Discord)", nil
	}
	var ok []string
	var errs []error
	for _, s := range servers {
		d, err := nc.ServerDetails(ctx, s.ServiceID)
		if err != nil {
			errs = append(errs, fmt.Errorf("server %d: %w", s.ServiceID, err))
			continue
		}
		red.Add(d.RCONPassword.Reveal())
		c := rcon.NewClient(rcon.Options{Name: d.Name, Addr: d.RCONAddr(), Password: d.RCONPassword.Reveal()})
		_, err = c.Exec(ctx, rcon.ListPlayers())
		c.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("server %d (%s): rcon: %w", s.ServiceID, d.Name, err))
			continue
		}
		ok = append(ok, fmt.Sprintf("%s (%d)", d.Name, s.ServiceID))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	return strings.Join(ok, ", ") + ": details and RCON ok", nil
}
