package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/config"
	"github.com/blissark/bliss/bots"
)

// Application flags of the privileged gateway intents: an unverified app
// (in fewer than 100 servers) gets the _LIMITED bit when the switch is on
// in the Developer Portal, a verified one the other.
var intentFlags = map[string]int{
	"Presence":        1<<12 | 1<<13,
	"Server Members":  1<<14 | 1<<15,
	"Message Content": 1<<18 | 1<<19,
}

// discordProbe asks Discord (GET /oauth2/applications/@me) about every
// configured bot: the token is accepted, and each privileged intent the bot
// identifies with is switched on, so the first start does not end in
// close 4014 or a bridge that relays empty messages.
func discordProbe(cfg *config.Config) probe {
	return probe{"discord", func(ctx context.Context) (string, error) {
		client := &http.Client{Timeout: 15 * time.Second}
		if cfg.DiscordURL != "" {
			dt, err := discordAt(cfg.DiscordURL)
			if err != nil {
				return "", err
			}
			client = dt.newHTTPClient()
		}
		var ok []string
		var errs []error
		for _, b := range cfg.ConfiguredBots() {
			k := bots.BotKind(b)
			name := k.Info().DisplayName
			flags, err := appFlags(ctx, client, cfg.Bots[b].Token.Reveal())
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			var off []string
			for _, in := range k.PrivilegedIntents() {
				if flags&intentFlags[in] == 0 {
					off = append(off, in)
				}
			}
			if len(off) > 0 {
				errs = append(errs, fmt.Errorf("%s: %s switched off (Developer Portal → Application → Bot → Privileged Gateway Intents); "+
					"Discord refuses the bot's connection until it is on", name, strings.Join(off, ", ")))
				continue
			}
			ok = append(ok, name)
		}
		if len(errs) > 0 {
			return "", errors.Join(errs...)
		}
		return fmt.Sprintf("%d bots: tokens accepted, privileged intents on", len(ok)), nil
	}}
}

// appFlags returns the flags of the application whose bot token is token.
func appFlags(ctx context.Context, client *http.Client, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, discordgo.EndpointOAuth2Application("@me"), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bot "+token)
	req.Header.Set("User-Agent", "DiscordBot (https://github.com/blissark/bliss, "+Version()+")")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // drop the URL: it is always the same
			err = ue.Err
		}
		return 0, fmt.Errorf("discord unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return 0, errors.New("token refused (reset it in the Developer Portal, Application → Bot, and update the config)")
	case resp.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("discord answered %s", resp.Status)
	}
	var app struct {
		Flags int `json:"flags"`
	}
	if err := json.Unmarshal(body, &app); err != nil {
		return 0, fmt.Errorf("discord sent an unreadable application: %w", err)
	}
	return app.Flags, nil
}
