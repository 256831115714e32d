package discordtest_test

import (
	"errors"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/blissark/bliss/bots/discordtest"
	"github.com/bwmarrin/discordgo"
)

// A privileged intent switched off in the portal: the application's flags
// say so, and an IDENTIFY asking for it is closed with 4014, which
// discordgo's Open returns.
func TestPrivilegedIntentsSwitchedOff(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(discordtest.Options{})
	t.Cleanup(srv.Close)
	bot := srv.AddBot("t")
	dg, err := srv.NewSession(bot)
	if err != nil {
		t.Fatal(err)
	}
	app, err := dg.Application("@me")
	if err != nil {
		t.Fatal(err)
	}
	const members, content = 1 << 15, 1 << 19 // the _LIMITED flags of an unverified app
	if app.ID != bot.AppID || app.Flags&members == 0 || app.Flags&content == 0 {
		t.Fatalf("default app: id %s flags %b", app.ID, app.Flags)
	}
	if err := srv.SetPrivilegedIntents(bot, discordgo.IntentGuildMembers); err != nil {
		t.Fatal(err)
	}
	if app, err = dg.Application("@me"); err != nil || app.Flags&members == 0 || app.Flags&content != 0 {
		t.Fatalf("after switching Message Content off: flags %b, %v", app.Flags, err)
	}
	dg.ShouldReconnectOnError = false
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentMessageContent
	err = dg.Open()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4014 {
		t.Fatalf("open with a disallowed intent: %v", err)
	}
	_ = dg.Close()
	// Without it the session connects.
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentGuildMembers
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	_ = dg.Close()
}
