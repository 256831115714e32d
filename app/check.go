package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/storage"
	"github.com/blissark/bliss/storage/state"
)

// errCheckFailed is returned when any probe failed (the probes printed why).
var errCheckFailed = errors.New("check failed")

// probe is one line of `bliss check`.
type probe struct {
	name string
	run  func(ctx context.Context) (detail string, err error)
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "check [-config FILE] [-offline]", stderr)
	path := configFlag(fs)
	offline := fs.Bool("offline", false, "skip network probes (Nitrado, RCON)")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit for each network probe")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok    config %s\n", describePath(*path))
	probes := storageProbes(cfg)
	probes = append(probes, probe{"bots", func(context.Context) (string, error) {
		have := cfg.ConfiguredBots()
		var missing []string
		for _, b := range config.Bots() {
			if !cfg.Bots[b].Token.IsSet() {
				missing = append(missing, b.Name())
			}
		}
		d := fmt.Sprintf("%d of 6 bots have a token", len(have))
		if len(missing) > 0 {
			d += " (skipped: " + strings.Join(missing, ", ") + ")"
		}
		return d, nil
	}})
	if !*offline {
		probes = append(probes, networkProbes(cfg)...)
	}
	failed := false
	for _, p := range probes {
		pctx, cancel := context.WithTimeout(ctx, *timeout)
		detail, err := p.run(pctx)
		cancel()
		if err != nil {
			failed = true
			fmt.Fprintf(stdout, "FAIL  %s: %s\n", p.name, oneLine(err))
			continue
		}
		fmt.Fprintf(stdout, "ok    %s %s\n", p.name, detail)
	}
	if failed {
		return errCheckFailed
	}
	return nil
}

func describePath(p string) string {
	if p == "" {
		return "(environment only)"
	}
	return p
}

// storageProbes open SQLite (applying migrations) and the bbolt store. A
// state store held by a running bliss is reported, not failed: check runs
// beside the service in install.sh.
func storageProbes(cfg *config.Config) []probe {
	return []probe{
		{"state-dir", func(context.Context) (string, error) {
			if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
				return "", fmt.Errorf("%s: %w", cfg.StateDir, err)
			}
			f, err := os.CreateTemp(cfg.StateDir, ".check-*")
			if err != nil {
				return "", fmt.Errorf("%s is not writable: %w", cfg.StateDir, err)
			}
			f.Close()
			os.Remove(f.Name())
			return cfg.StateDir, nil
		}},
		{"sqlite", func(ctx context.Context) (string, error) {
			db, err := storage.Open(ctx, cfg.DBPath())
			if err != nil {
				return "", err
			}
			defer db.Close()
			if err := db.Ping(ctx); err != nil {
				return "", err
			}
			return cfg.DBPath(), nil
		}},
		{"state", func(context.Context) (string, error) {
			st, err := state.Open(cfg.StatePath(), state.Options{Timeout: 500 * time.Millisecond})
			if errors.Is(err, state.ErrLocked) {
				return cfg.StatePath() + " (in use by a running bliss)", nil
			}
			if err != nil {
				return "", err
			}
			defer st.Close()
			return cfg.StatePath(), nil
		}},
	}
}
