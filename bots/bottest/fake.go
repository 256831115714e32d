package bottest

import (
	"testing"

	"github.com/blissark/bliss/bots/discordtest"
)

// Deadline bounds every wait of the harness: a bot's registration, an
// interaction's final answer, a WaitFor condition. It is twice
// discordtest.LoadedAckDeadline, so the fake's own ack deadline fails an
// unanswered interaction first.
const Deadline = 2 * discordtest.LoadedAckDeadline

// NewFake is discordtest.New(o) for a bot test: with the ack deadline of a
// loaded machine (discordtest.LoadedAckDeadline) unless o sets one or a
// Clock, and closed when the test ends (after the supervisor Start runs).
func NewFake(t testing.TB, o discordtest.Options) *discordtest.Server {
	if o.AckDeadline == 0 && o.Clock == nil {
		o.AckDeadline = discordtest.LoadedAckDeadline
	}
	fake := discordtest.New(o)
	t.Cleanup(fake.Close)
	return fake
}

// Invite adds bot to the guild guildID with roles; an error fails the test.
func Invite(t testing.TB, fake *discordtest.Server, bot discordtest.Bot, guildID string, roles ...string) {
	t.Helper()
	if err := fake.AddBotToGuild(bot, guildID, roles...); err != nil {
		t.Fatal(err)
	}
}
