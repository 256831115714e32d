package app

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/bots"
)

// runInvite prints each bot's invite URL with exactly the permissions it needs.
func runInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("invite", "invite [-config FILE]", stderr)
	path := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return err
	}
	var cfgs []bots.BotConfig
	for _, b := range config.Bots() {
		cfgs = append(cfgs, bots.BotConfig{Kind: bots.BotKind(b), AppID: cfg.Bots[b].AppID})
	}
	for i, inv := range bots.InviteURLs(cfgs) {
		name := config.Bots()[i].Name()
		if inv.URL == "" {
			fmt.Fprintf(stdout, "%-18s (set BLISS_%s_APP_ID to get its invite link)\n", name+":", upper(string(inv.Kind)))
			continue
		}
		fmt.Fprintf(stdout, "%-18s %s\n", name+":", inv.URL)
	}
	return nil
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
