package bottest

import (
	"context"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots/discordtest"
)

// Client sends interactions to one bot on the fake Discord and waits for
// the final answers; any failure to do so fails the test.
type Client struct {
	T    testing.TB
	Fake *discordtest.Server
	Bot  discordtest.Bot
	// Guild and Channel are where an interaction happens unless it says.
	Guild, Channel string
	// User is the interacting user of the id a helper is given. Nil:
	// only the id (the fake completes the user from the guild's members).
	User func(id string) *discordgo.User
}

// Send sends in (Guild and Channel filled in where empty; a zero Type is
// inferred by the fake) and waits for the final answer.
func (c Client) Send(in discordtest.Interaction) (*discordtest.InteractionHandle, discordtest.Response) {
	c.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	if in.GuildID == "" {
		in.GuildID = c.Guild
	}
	if in.ChannelID == "" {
		in.ChannelID = c.Channel
	}
	h, err := c.Fake.Interact(ctx, c.Bot, in)
	if err != nil {
		c.T.Fatal(err)
	}
	r, err := h.WaitFinal(ctx)
	if err != nil {
		c.T.Fatal(err)
	}
	return h, r
}

// In is the client in channel (the same client if channel is "").
func (c Client) In(channel string) Client {
	if channel != "" {
		c.Channel = channel
	}
	return c
}

// Do is Send without the handle.
func (c Client) Do(in discordtest.Interaction) discordtest.Response {
	c.T.Helper()
	_, r := c.Send(in)
	return r
}

// Who is the interacting user with id (Client.User).
func (c Client) Who(id string) *discordgo.User {
	if c.User != nil {
		return c.User(id)
	}
	return &discordgo.User{ID: id}
}

// Cmd runs the slash command name as who.
func (c Client) Cmd(who, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Response {
	c.T.Helper()
	return c.Do(discordtest.Interaction{Type: discordgo.InteractionApplicationCommand, User: c.Who(who), CommandName: name, Options: opts})
}

// Autocomplete asks the command name's autocomplete as who (mark the
// option being typed with discordtest.Focused).
func (c Client) Autocomplete(who, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordtest.Response {
	c.T.Helper()
	return c.Do(discordtest.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete, User: c.Who(who), CommandName: name, Options: opts})
}

// Click presses the button customID as who.
func (c Client) Click(who, customID string) discordtest.Response {
	c.T.Helper()
	return c.Do(discordtest.Interaction{Type: discordgo.InteractionMessageComponent, User: c.Who(who), CustomID: customID})
}

// Submit submits the modal customID with values as who.
func (c Client) Submit(who, customID string, values map[string]string) discordtest.Response {
	c.T.Helper()
	return c.Do(discordtest.Interaction{Type: discordgo.InteractionModalSubmit, User: c.Who(who), CustomID: customID, ModalValues: values})
}
