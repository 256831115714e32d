package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/storage"
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
	offline := fs.Bool("offline", false, "skip network probes (Discord, Nitrado, RCON)")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit for each network probe")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path) // the same validation serve runs
	if err != nil {
		return err
	}
	red := newRedactor(cfg)
	fmt.Fprintf(stdout, "ok    config %s\n", describePath(*path))
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stdout, "warn  config: %s\n", w)
	}
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
		probes = append(probes, discordProbe(cfg))
		probes = append(probes, networkProbes(cfg, red)...)
	} else if note := intentsNote(cfg.ConfiguredBots()); note != "" {
		probes = append(probes, probe{"intents", func(context.Context) (string, error) { return note, nil }})
	}
	failed := false
	for _, p := range probes {
		pctx, cancel := context.WithTimeout(ctx, *timeout)
		detail, err := p.run(pctx)
		cancel()
		if err != nil {
			failed = true
			// "FAIL  nitrado: nitrado: services…" says the name once.
			msg := strings.TrimPrefix(oneLine(err), p.name+": ")
			fmt.Fprintf(stdout, "FAIL  %s: %s\n", p.name, red.Redact(msg))
			continue
		}
		fmt.Fprintf(stdout, "ok    %s %s\n", p.name, red.Redact(detail))
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

// storageProbes check the state directory, SQLite and the bbolt store
// without changing anything on disk: nothing is created, SQLite is read
// through a read-only connection (integrity, pending migrations) and the
// bbolt file is only looked at (a running bliss holds its lock; check runs
// beside the service in install.sh).
func storageProbes(cfg *config.Config) []probe {
	return []probe{
		{"state-dir", func(context.Context) (string, error) {
			fi, err := os.Stat(cfg.StateDir)
			if errors.Is(err, fs.ErrNotExist) {
				parent := existingParent(cfg.StateDir)
				if err := writable(parent); err != nil {
					return "", fmt.Errorf("%s does not exist and cannot be created: %w", cfg.StateDir, err)
				}
				return cfg.StateDir + " (does not exist yet; serve creates it)", nil
			}
			if err != nil {
				return "", fmt.Errorf("%s: %w", cfg.StateDir, err)
			}
			if !fi.IsDir() {
				return "", fmt.Errorf("%s is not a directory", cfg.StateDir)
			}
			if err := writable(cfg.StateDir); err != nil {
				return "", fmt.Errorf("%s: %w", cfg.StateDir, err)
			}
			return cfg.StateDir, nil
		}},
		{"sqlite", func(ctx context.Context) (string, error) {
			if _, err := os.Stat(cfg.DBPath()); errors.Is(err, fs.ErrNotExist) {
				return cfg.DBPath() + " (does not exist yet; serve creates it)", nil
			}
			in, err := storage.Inspect(ctx, cfg.DBPath())
			if err != nil {
				return "", err
			}
			if len(in.Newer) > 0 {
				return "", fmt.Errorf("%s was written by a newer bliss (migrations %v unknown to this one)", cfg.DBPath(), in.Newer)
			}
			d := fmt.Sprintf("%s (%d migrations applied", cfg.DBPath(), in.Applied)
			if in.Pending > 0 {
				d += fmt.Sprintf(", %d pending: serve applies them", in.Pending)
			}
			return d + ")", nil
		}},
		{"state", func(context.Context) (string, error) {
			fi, err := os.Stat(cfg.StatePath())
			if errors.Is(err, fs.ErrNotExist) {
				return cfg.StatePath() + " (does not exist yet; serve creates it)", nil
			}
			if err != nil {
				return "", fmt.Errorf("%s: %w", cfg.StatePath(), err)
			}
			if !fi.Mode().IsRegular() {
				return "", fmt.Errorf("%s is not a regular file", cfg.StatePath())
			}
			if err := writable(cfg.StatePath()); err != nil {
				return "", fmt.Errorf("%s: %w", cfg.StatePath(), err)
			}
			return cfg.StatePath(), nil
		}},
	}
}

// existingParent returns the nearest ancestor of p that exists.
func existingParent(p string) string {
	for {
		parent := filepath.Dir(p)
		if _, err := os.Stat(parent); err == nil || parent == p {
			return parent
		}
		p = parent
	}
}

// writable reports whether this process may write p (access(2), which
// honours root and ACLs like the kernel will).
func writable(p string) error {
	if err := syscall.Access(p, 2 /* W_OK */); err != nil {
		return fmt.Errorf("not writable by this user (uid %d): %w", os.Getuid(), err)
	}
	return nil
}
