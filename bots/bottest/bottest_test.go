package bottest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/bottest"
	"github.com/blissark/bliss/bots/discordtest"
)

const (
	admin   = "710000000000000001"
	staff   = "710000000000000002"
	player  = "710000000000000003"
	roleAdm = "810000000000000001"
	roleStf = "810000000000000002"
	general = "910000000000000001"
)

// router: /hello for everyone (with a button and an autocomplete), /secret
// for staff, a modal route.
func router() *bots.Router {
	r := bots.NewRouter()
	r.Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "hello", Description: "Hello",
		Options: []*discordgo.ApplicationCommandOption{{Name: "who", Description: "Who", Type: discordgo.ApplicationCommandOptionString, Autocomplete: true}}},
		Access: bots.Everyone,
		Run: func(_ context.Context, c *bots.Ctx) (*bots.Response, error) {
			return &bots.Response{Content: "hello <" + c.User.ID + ">", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "Wave", CustomID: "wave:1", Style: discordgo.PrimaryButton},
				discordgo.Button{Label: "Bow", CustomID: "bow:2", Style: discordgo.SecondaryButton}}}}}, nil
		},
		Autocomplete: func(_ context.Context, _ *bots.Ctx, o *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
			return []*discordgo.ApplicationCommandOptionChoice{{Name: "you " + o.StringValue(), Value: "you"}}, nil
		}})
	r.Command(&bots.Command{Spec: &discordgo.ApplicationCommand{Name: "secret", Description: "Staff only"}, Access: bots.Staff, Ephemeral: true,
		Run: func(context.Context, *bots.Ctx) (*bots.Response, error) { return bots.Text("the secret"), nil }})
	r.Component(&bots.Component{Prefix: "wave", Access: bots.Everyone,
		Run: func(_ context.Context, c *bots.Ctx) (*bots.Response, error) {
			return bots.Text("waved by " + c.User.Username), nil
		}})
	r.Modal(&bots.Component{Prefix: "note", Access: bots.Everyone,
		Run: func(_ context.Context, c *bots.Ctx) (*bots.Response, error) {
			return bots.Text("noted " + c.Fields["text"]), nil
		}})
	return r
}

func TestStartAndTalk(t *testing.T) {
	fake := bottest.NewFake(t, discordtest.Options{})
	bot := fake.AddBot("token-ap")
	p := bottest.Personas{Admin: admin, Staff: staff, Player: player, AdminRole: roleAdm, StaffRole: roleStf}
	g := fake.AddGuild(p.Guild("Cluster", []*discordgo.Channel{bottest.TextChannel(general, "general")}))
	bottest.Invite(t, fake, bot, g.ID)
	store := bots.NewMemStore()
	if err := store.SaveGuildSettings(context.Background(), bots.GuildSettings{GuildID: g.ID, StaffRoleIDs: []string{roleStf}}); err != nil {
		t.Fatal(err)
	}
	sup, stop := bottest.Start(t, fake, bottest.Options{Bots: []bottest.Bot{{Kind: bots.AP, Fake: bot, Router: router()}},
		Guilds: []string{g.ID}, Staff: bots.StaffFromStore(store)})
	if sup.Session(bots.AP) == nil || len(fake.Commands(bot, g.ID)) != 2 {
		t.Fatalf("not registered: %d commands", len(fake.Commands(bot, g.ID)))
	}
	c := bottest.Client{T: t, Fake: fake, Bot: bot, Guild: g.ID, Channel: general}

	r := c.Cmd(player, "hello")
	if !strings.Contains(bottest.Text(r), `hello \u003c`+player) {
		t.Fatalf("hello: %s", bottest.Text(r))
	}
	bs := bottest.Buttons(r.Data.Components)
	if ids := bottest.ButtonIDs(r.Data.Components); len(bs) != 2 || bs["Wave"] != "wave:1" || len(ids) != 2 || ids[0] != "wave:1" || ids[1] != "bow:2" {
		t.Fatalf("buttons %v, ids %v", bs, ids)
	}
	// The fake completes a bare id from the guild's members.
	if r := c.Click(player, bs["Wave"]); !strings.Contains(bottest.Text(r), "waved by player") {
		t.Fatalf("click: %s", bottest.Text(r))
	}
	// Client.User names a user the guild does not know yet.
	named := c
	named.User = func(id string) *discordgo.User { return &discordgo.User{ID: id, Username: "u" + id[len(id)-1:]} }
	if r := named.Click("710000000000000009", bs["Wave"]); !strings.Contains(bottest.Text(r), "waved by u9") {
		t.Fatalf("click as u9: %s", bottest.Text(r))
	}
	if r := c.Autocomplete(player, "hello", discordtest.Focused(discordtest.StringOpt("who", "th"))); len(r.Data.Choices) != 1 || r.Data.Choices[0].Name != "you th" {
		t.Fatalf("autocomplete: %s", bottest.Text(r))
	}
	if r := c.Submit(player, "note:1", map[string]string{"text": "hi"}); !strings.Contains(bottest.Text(r), "noted hi") {
		t.Fatalf("submit: %s", bottest.Text(r))
	}
	// RBAC through the personas: staff by role, admin by permission, a
	// player refused.
	for who, want := range map[string]string{staff: "the secret", admin: "the secret", player: "staff role"} {
		if r := c.Cmd(who, "secret"); !strings.Contains(bottest.Text(r), want) {
			t.Fatalf("secret as %s: %s", who, bottest.Text(r))
		}
	}
	stop()
	bottest.WaitFor(t, "the session closed", func() bool { return sup.Session(bots.AP) == nil })
	stop() // a second stop does nothing
}

func TestAudits(t *testing.T) {
	var a bottest.Audits
	_ = a.Audit(context.Background(), bots.AuditEntry{Action: "pt give", Target: "<@1>", OK: true})
	_ = a.Audit(context.Background(), bots.AuditEntry{Action: "pt take", Target: "<@1>"})
	if got := strings.Join(a.Actions(), "|"); got != "pt give <@1> ok=true|pt take <@1> ok=false" || len(a.Entries()) != 2 {
		t.Fatalf("actions %q", got)
	}
}

func TestIncidents(t *testing.T) {
	var r bottest.Incidents
	var _ bots.Incidents = &r
	ctx := context.Background()
	_ = r.Raise(ctx, bots.Incident{GuildID: "g1", Kind: "server_down"})
	_ = r.Raise(ctx, bots.Incident{GuildID: "g1", Kind: "parse_failing"})
	_ = r.Clear(ctx, "g1", "server_down:1001", "back")
	if k, c := strings.Join(r.Kinds(), ","), strings.Join(r.Clears(), ","); k != "server_down,parse_failing" || c != "g1 server_down:1001" || len(r.Raised()) != 2 {
		t.Fatalf("kinds %q, clears %q", k, c)
	}
}
