package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

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
	if note := intentsNote(config.Bots()); note != "" {
		fmt.Fprintf(stdout, "\n%s\n", note)
	}
	return nil
}

// intentsNote says which of bs need a privileged intent switched on, and
// why ("" when none does): the Server bot reads Discord chat for the game,
// the Ticket bot records every ticket message for the transcripts.
func intentsNote(bs []config.Bot) string {
	var need []string
	for _, b := range bs {
		if p := bots.BotKind(b).PrivilegedIntents(); len(p) > 0 {
			need = append(need, b.Name()+" ("+strings.Join(p, ", ")+")")
		}
	}
	if len(need) == 0 {
		return ""
	}
	return "Privileged intents: switch on " + strings.Join(need, ", ") + " in the Developer Portal " +
		"(Application → Bot → Privileged Gateway Intents) before starting Bliss, or Discord refuses those bots' connection " +
		"(close 4014). Without Message Content the chat bridge gets empty messages and ticket transcripts lose their text."
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
