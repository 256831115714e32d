package bottest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
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

// Bot is one bot a supervisor runs: its kind, its identity on the fake
// Discord and its router.
type Bot struct {
	Kind bots.BotKind
	Fake discordtest.Bot
	// Router is attached with Handle before Run. Nil: Options.Setup
	// attaches it (a router whose deps reach the supervisor).
	Router *bots.Router
	// Uninvited: the bot is in none of Options.Guilds, so Start waits
	// for its session only.
	Uninvited bool
}

// Options configure Start.
type Options struct {
	Bots []Bot
	// Guilds: commands are registered in these guilds, and Start waits
	// until every bot has commands in each of them.
	Guilds []string
	// Staff supplies the guilds' staff roles (nil: Administrators only).
	Staff bots.StaffSource
	// Supervisor holds further supervisor options (DeferAfter,
	// HandlerTimeout, …). Start sets Bots, NewHTTPClient, NewDialer,
	// GuildIDs and Staff; Logger defaults to a discarding one and
	// MinBackoff to 20 ms.
	Supervisor bots.Options
	// Setup, if set, runs after the supervisor is built and before it
	// runs (say, to attach a router that needs the supervisor).
	Setup func(*bots.Supervisor)
}

// Start builds a supervisor over fake for o.Bots, runs it until the test
// ends or stop is called, and waits until every bot has a session and
// (unless Uninvited) commands in every guild of o.Guilds. stop cancels
// the run, waits for it and reports a Run error; calling it again does
// nothing.
func Start(t testing.TB, fake *discordtest.Server, o Options) (sup *bots.Supervisor, stop func()) {
	t.Helper()
	opts := o.Supervisor
	for _, b := range o.Bots {
		opts.Bots = append(opts.Bots, bots.BotConfig{Kind: b.Kind, Token: b.Fake.Token, AppID: b.Fake.AppID})
	}
	opts.NewHTTPClient, opts.NewDialer = fake.HTTPClient, fake.Dialer
	opts.GuildIDs, opts.Staff = o.Guilds, o.Staff
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 20 * time.Millisecond
	}
	sup, err := bots.NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	if o.Setup != nil {
		o.Setup(sup)
	}
	for _, b := range o.Bots {
		if b.Router == nil {
			continue
		}
		if err := sup.Handle(b.Kind, b.Router); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	for _, b := range o.Bots {
		registered := func() bool {
			if sup.Session(b.Kind) == nil {
				return false
			}
			for _, g := range o.Guilds {
				if !b.Uninvited && len(fake.Commands(b.Fake, g)) == 0 {
					return false
				}
			}
			return true
		}
		if !poll(registered, 5*time.Millisecond) {
			t.Fatalf("%s never registered: %+v", b.Kind, sup.Status())
		}
	}
	return sup, stop
}

// WaitFor polls cond until it holds; after Deadline it runs onFail (to
// log what the test sees) and fails the test, naming what it waited for.
func WaitFor(t testing.TB, what string, cond func() bool, onFail ...func()) {
	t.Helper()
	if !poll(cond, 10*time.Millisecond) {
		for _, f := range onFail {
			f()
		}
		t.Fatalf("timed out waiting for %s", what)
	}
}

// poll reports whether cond held before Deadline.
func poll(cond func() bool, every time.Duration) bool {
	deadline := time.Now().Add(Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
	return true
}

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

// Text is the whole answer (content, embeds, components, choices and the
// raw payload) as JSON, for substring assertions.
func Text(r discordtest.Response) string {
	b, _ := json.Marshal(r.Data)
	return string(b)
}

// Buttons maps the label of each button in components' action rows to
// its custom id.
func Buttons(components []discordgo.MessageComponent) map[string]string {
	out := map[string]string{}
	for _, b := range buttons(components) {
		out[b.Label] = b.CustomID
	}
	return out
}

// ButtonIDs are the custom ids of the buttons in components' action
// rows, in order.
func ButtonIDs(components []discordgo.MessageComponent) []string {
	var out []string
	for _, b := range buttons(components) {
		out = append(out, b.CustomID)
	}
	return out
}

func buttons(components []discordgo.MessageComponent) []*discordgo.Button {
	var out []*discordgo.Button
	for _, row := range components {
		if ar, ok := row.(*discordgo.ActionsRow); ok {
			for _, c := range ar.Components {
				if b, ok := c.(*discordgo.Button); ok {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// Audits records audit entries (a bots.Auditor's store).
type Audits struct {
	mu  sync.Mutex
	got []bots.AuditEntry
}

// Audit records e.
func (a *Audits) Audit(_ context.Context, e bots.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, e)
	return nil
}

// Entries are the entries recorded so far, oldest first.
func (a *Audits) Entries() []bots.AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.got)
}

// Actions are the recorded entries as "action target ok=bool" lines.
func (a *Audits) Actions() []string {
	var out []string
	for _, e := range a.Entries() {
		out = append(out, fmt.Sprintf("%s %s ok=%v", e.Action, e.Target, e.OK))
	}
	return out
}

// Incidents records raised and cleared incidents (a bots.Incidents).
type Incidents struct {
	mu     sync.Mutex
	raised []bots.Incident
	clears []string
}

// Raise records in.
func (r *Incidents) Raise(_ context.Context, in bots.Incident) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raised = append(r.raised, in)
	return nil
}

// Clear records "guildID dedupeKey".
func (r *Incidents) Clear(_ context.Context, guildID, dedupeKey, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clears = append(r.clears, guildID+" "+dedupeKey)
	return nil
}

// Raised are the incidents raised so far, oldest first.
func (r *Incidents) Raised() []bots.Incident {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.raised)
}

// Kinds are the raised incidents' kinds, oldest first.
func (r *Incidents) Kinds() []string {
	var out []string
	for _, in := range r.Raised() {
		out = append(out, in.Kind)
	}
	return out
}

// Clears are the clears so far as "guildID dedupeKey", oldest first.
func (r *Incidents) Clears() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.clears)
}
