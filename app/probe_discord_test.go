package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/discordtest"
)

// bliss check asks Discord about every configured bot: a refused token and
// a privileged intent switched off in the Developer Portal each fail with
// what to do; both fixed, the probe passes.
func TestCheckAsksDiscord(t *testing.T) {
	fake := discordtest.New(discordtest.Options{})
	t.Cleanup(fake.Close)
	fake.AddBot(testMasterToken)
	const serverToken = "server-token-for-the-check-test"
	env := testEnv(t, t.TempDir())
	for i, kv := range env {
		if strings.HasPrefix(kv, "BLISS_DISCORD_URL=") {
			env[i] = "BLISS_DISCORD_URL=" + fake.URL()
		}
	}
	checkEnv(t, append(env, "BLISS_SERVER_TOKEN="+serverToken, "BLISS_SERVER_APP_ID=100000000000000002"))
	run := func() string {
		t.Helper()
		var out, errb bytes.Buffer
		err := Main(context.Background(), []string{"check", "-config", ""}, &out, &errb)
		if !errors.Is(err, errCheckFailed) { // Nitrado is unreachable in this test
			t.Fatalf("check: %v\n%s", err, out.String())
		}
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, " discord") {
				return l
			}
		}
		t.Fatalf("no discord line:\n%s", out.String())
		return ""
	}
	if l := run(); !strings.HasPrefix(l, "FAIL  discord: ") || !strings.Contains(l, "Bliss Server") || !strings.Contains(l, "token refused") ||
		strings.Contains(l, serverToken) {
		t.Fatalf("unknown token: %s", l)
	}
	server := fake.AddBot(serverToken)
	if err := fake.SetPrivilegedIntents(server, discordgo.IntentGuildMembers); err != nil {
		t.Fatal(err)
	}
	if l := run(); !strings.HasPrefix(l, "FAIL  discord: ") || !strings.Contains(l, "Message Content switched off") ||
		!strings.Contains(l, "Privileged Gateway Intents") || strings.Contains(l, "Master") {
		t.Fatalf("intent off: %s", l)
	}
	if err := fake.SetPrivilegedIntents(server, discordgo.IntentMessageContent); err != nil {
		t.Fatal(err)
	}
	if l := run(); l != "ok    discord 2 bots: tokens accepted, privileged intents on" {
		t.Fatalf("all on: %s", l)
	}
}
