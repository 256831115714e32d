package bots

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// subAccessRouter has one Everyone command with a public subcommand, a
// staff subcommand and a staff "group sub" path; ran counts handler runs.
func subAccessRouter(ran *atomic.Int32) *Router {
	h := func(out string) HandlerFunc {
		return func(ctx context.Context, c *Ctx) (*Response, error) {
			ran.Add(1)
			return Text(out + " staff=" + map[bool]string{true: "yes", false: "no"}[c.Staff]), nil
		}
	}
	opt := func(name string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: name,
			Options: []*discordgo.ApplicationCommandOption{{Type: discordgo.ApplicationCommandOptionString, Name: "q", Description: "q", Autocomplete: true}}}
	}
	r := NewRouter()
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "tp", Description: "Teleports", Options: []*discordgo.ApplicationCommandOption{
		opt("find"), opt("add"),
		{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "admin", Description: "Admin", Options: []*discordgo.ApplicationCommandOption{opt("wipe")}},
	}}, Access: Everyone,
		SubAccess:   StaffPaths("add", "admin wipe"),
		Subcommands: map[string]HandlerFunc{"find": h("find"), "add": h("add"), "admin wipe": h("wipe")},
		Autocomplete: func(ctx context.Context, c *Ctx, f *discordgo.ApplicationCommandInteractionDataOption) ([]*discordgo.ApplicationCommandOptionChoice, error) {
			ran.Add(1)
			return []*discordgo.ApplicationCommandOptionChoice{{Name: "secret", Value: "secret"}}, nil
		}})
	return r
}

func subOpt(path string, focused bool) []*discordgo.ApplicationCommandInteractionDataOption {
	parts := strings.Fields(path)
	leaf := []*discordgo.ApplicationCommandInteractionDataOption{{Name: "q", Type: discordgo.ApplicationCommandOptionString, Value: "x", Focused: focused}}
	out := []*discordgo.ApplicationCommandInteractionDataOption{{Name: parts[len(parts)-1], Type: discordgo.ApplicationCommandOptionSubCommand, Options: leaf}}
	if len(parts) == 2 {
		out = []*discordgo.ApplicationCommandInteractionDataOption{{Name: parts[0], Type: discordgo.ApplicationCommandOptionSubCommandGroup, Options: out}}
	}
	return out
}

// TestDispatchRefusesStaffSubcommand: a staff subcommand of an Everyone
// command is refused to a plain member, in a DM and from a guild without
// staff roles before its handler (or its autocomplete) runs, with the
// ephemeral refusal of a Staff command; staff get through (c.Staff set,
// answer ephemeral); the public subcommand stays public.
func TestDispatchRefusesStaffSubcommand(t *testing.T) {
	for _, path := range []string{"add", "admin wipe"} {
		for _, tt := range []struct {
			name  string
			m     *discordgo.Member
			guild string
		}{
			{"plain member", member("u", discordgo.PermissionManageChannels, "x"), "g1"},
			{"staff role of another guild", member("u", 0, "staff"), "g2"},
			{"dm", nil, ""},
		} {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				var ran atomic.Int32
				d, s, rec := testDispatcher(t, subAccessRouter(&ran))
				ic := command("tp", tt.m, subOpt(path, false)...)
				ic.GuildID = tt.guild
				if tt.m == nil {
					ic.User = &discordgo.User{ID: "u"}
				}
				d.handle(s, ic)
				cb := lastCallback(t, rec)
				if txt := embedText(cb); !strings.Contains(txt, "needs a staff role") {
					t.Fatalf("not refused: %s", txt)
				}
				if cb.Body["type"].(float64) != 4 || data(cb)["flags"].(float64) != float64(discordgo.MessageFlagsEphemeral) {
					t.Fatalf("refusal is not a direct ephemeral answer: %s", embedText(cb))
				}
				// Autocomplete of the staff path: no choices, handler not run.
				ac := command("tp", tt.m, subOpt(path, true)...)
				ac.Type, ac.GuildID, ac.User = discordgo.InteractionApplicationCommandAutocomplete, tt.guild, ic.User
				d.handle(s, ac)
				calls := rec.get()
				last := calls[len(calls)-1]
				choices, _ := data(last)["choices"].([]any)
				if last.Body["type"].(float64) != float64(discordgo.InteractionApplicationCommandAutocompleteResult) || len(choices) != 0 {
					t.Fatalf("autocomplete of a staff path answered %s", embedText(last))
				}
				if n := ran.Load(); n != 0 {
					t.Fatalf("handler ran %d times for a refused caller", n)
				}
			})
		}
		t.Run(path+"/staff", func(t *testing.T) {
			var ran atomic.Int32
			d, s, rec := testDispatcher(t, subAccessRouter(&ran))
			d.handle(s, command("tp", member("u", 0, "staff"), subOpt(path, false)...))
			cb := lastCallback(t, rec)
			if !strings.HasSuffix(data(cb)["content"].(string), "staff=yes") || ran.Load() != 1 {
				t.Fatalf("staff not let through: %s", embedText(cb))
			}
			if data(cb)["flags"] == nil || data(cb)["flags"].(float64) != float64(discordgo.MessageFlagsEphemeral) {
				t.Fatalf("staff subcommand answered publicly: %s", embedText(cb))
			}
		})
	}
	var ran atomic.Int32
	d, s, rec := testDispatcher(t, subAccessRouter(&ran))
	d.handle(s, command("tp", member("u", 0), subOpt("find", false)...))
	cb := lastCallback(t, rec)
	if data(cb)["content"] != "find staff=no" || data(cb)["flags"] != nil {
		t.Fatalf("public subcommand: %s", embedText(cb))
	}
}

// TestRoutesReportSubAccess: Routes lists each staff subcommand as a
// Staff route (the access sweep reads it) and keeps the command's own
// access; Specs registers the command as the Everyone command it is.
func TestRoutesReportSubAccess(t *testing.T) {
	var ran atomic.Int32
	r := subAccessRouter(&ran)
	got := map[string]string{}
	for _, rt := range r.Routes() {
		got[rt.Sub] = rt.Access.String() + "/" + rt.CommandAccess.String()
	}
	want := map[string]string{"find": "everyone/everyone", "add": "staff/everyone", "admin wipe": "staff/everyone"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("route %q: %s, want %s", k, got[k], v)
		}
	}
	if sp := r.Specs()[0]; sp.DefaultMemberPermissions != nil {
		t.Fatalf("an Everyone command with staff subcommands registered with permissions %d", *sp.DefaultMemberPermissions)
	}
}

// TestSubAccessValidate: an unknown path, an unset level and a looser
// level under a Staff command are wiring mistakes; an unset path is
// refused to everyone, staff included (fail closed).
func TestSubAccessValidate(t *testing.T) {
	spec := func() *discordgo.ApplicationCommand {
		return &discordgo.ApplicationCommand{Name: "x", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "a", Description: "a"},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "b", Description: "b"}}}
	}
	h := func(context.Context, *Ctx) (*Response, error) { return Text("ran"), nil }
	subs := map[string]HandlerFunc{"a": h, "b": h}
	for _, tt := range []struct {
		access Access
		sub    map[string]Access
		want   string
	}{
		{Everyone, map[string]Access{"nope": Staff}, `SubAccess names "nope"`},
		{Everyone, map[string]Access{"a": AccessUnset}, `subcommand "x a": Access not set`},
		{Staff, map[string]Access{"a": Everyone}, `SubAccess "a" is everyone under a staff command`},
	} {
		err := NewRouter().Command(&Command{Spec: spec(), Access: tt.access, SubAccess: tt.sub, Subcommands: subs}).Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SubAccess %v under %s: Validate = %v, want %q", tt.sub, tt.access, err, tt.want)
		}
	}
	if err := NewRouter().Command(&Command{Spec: spec(), Access: Staff, SubAccess: map[string]Access{"a": Staff}, Subcommands: subs}).Validate(); err != nil {
		t.Fatalf("redundant Staff under Staff: %v", err)
	}

	// Dispatch of an unset path (bypassing Validate): refused even to an
	// Administrator.
	r := NewRouter().Command(&Command{Spec: spec(), Access: Everyone, SubAccess: map[string]Access{"a": AccessUnset}, Subcommands: subs})
	rec := &recorder{}
	s, _ := discordgo.New("Bot test")
	s.Client = &http.Client{Transport: rec}
	d := &dispatcher{kind: Master, router: r, log: slog.New(slog.DiscardHandler), deferAfter: time.Second, timeout: 5 * time.Second,
		start: func() (context.Context, func(), bool) { return context.Background(), func() {}, true }}
	d.handle(s, command("x", member("u", discordgo.PermissionAdministrator), &discordgo.ApplicationCommandInteractionDataOption{Name: "a", Type: discordgo.ApplicationCommandOptionSubCommand}))
	if txt := embedText(lastCallback(t, rec)); !strings.Contains(txt, "not available") {
		t.Fatalf("unset subcommand access not refused: %s", txt)
	}
}

// TestStaffSubcommandDefersEphemerally: a slow staff subcommand of an
// Everyone (non-ephemeral) command is deferred ephemerally, so neither
// the "thinking…" placeholder nor the answer is public.
func TestStaffSubcommandDefersEphemerally(t *testing.T) {
	block := func(ctx context.Context, c *Ctx) (*Response, error) { <-ctx.Done(); return nil, ctx.Err() }
	r := NewRouter().Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "info", Description: "Info", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "bases", Description: "b"},
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "decay", Description: "d"}}},
		Access: Everyone, SubAccess: StaffPaths("decay"), Subcommands: map[string]HandlerFunc{"bases": block, "decay": block}})
	for sub, wantFlags := range map[string]any{"decay": float64(discordgo.MessageFlagsEphemeral), "bases": nil} {
		d, s, rec := testDispatcher(t, r)
		d.timeout = time.Second // the handler blocks until then; the deferral comes at 50 ms
		d.handle(s, command("info", member("u", discordgo.PermissionAdministrator), &discordgo.ApplicationCommandInteractionDataOption{Name: sub, Type: discordgo.ApplicationCommandOptionSubCommand}))
		calls := rec.get()
		if len(calls) == 0 || calls[0].Body["type"].(float64) != 5 {
			t.Fatalf("/info %s: no deferral: %+v", sub, calls)
		}
		if got := data(calls[0])["flags"]; got != wantFlags {
			t.Fatalf("/info %s: deferral flags %v, want %v", sub, got, wantFlags)
		}
	}
}
