package bots

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// call is one REST request recorded by recorder.
type call struct {
	Method, Path string
	Body         map[string]any
}

// recorder is a RoundTripper standing in for Discord's REST API.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil { // as a real transport would
		return nil, err
	}
	var body map[string]any
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(b, &body)
	}
	r.mu.Lock()
	r.calls = append(r.calls, call{req.Method, req.URL.Path, body})
	r.mu.Unlock()
	status, resp := http.StatusOK, `{"id":"900","channel_id":"1"}`
	if strings.HasSuffix(req.URL.Path, "/callback") {
		status, resp = http.StatusNoContent, ""
	}
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(resp)), Header: http.Header{}, Request: req}, nil
}

func (r *recorder) get() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

type staticStaff map[string][]string

func (s staticStaff) StaffRoleIDs(_ context.Context, g string) ([]string, error) {
	if g == "boom" {
		return nil, errors.New("db down")
	}
	return s[g], nil
}

func testDispatcher(t *testing.T, r *Router) (*dispatcher, *discordgo.Session, *recorder) {
	t.Helper()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	s, _ := discordgo.New("Bot test")
	s.Client = &http.Client{Transport: rec}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	d := &dispatcher{kind: Master, router: r, staff: staticStaff{"g1": {"staff"}}, log: slog.New(slog.DiscardHandler),
		deferAfter: 50 * time.Millisecond, timeout: 5 * time.Second,
		start: func() (context.Context, func(), bool) { wg.Add(1); return context.Background(), wg.Done, true }}
	return d, s, rec
}

func command(name string, member *discordgo.Member, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.InteractionCreate {
	return &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{
		ID: "1", AppID: "100", Token: "tok", Type: discordgo.InteractionApplicationCommand, GuildID: "g1", Member: member,
		Data: discordgo.ApplicationCommandInteractionData{Name: name, Options: opts},
	}}
}

func testRouter() *Router {
	r := NewRouter()
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "ping", Description: "Ping"}, Access: Everyone,
		Run: func(ctx context.Context, c *Ctx) (*Response, error) { return Text("pong " + c.User.ID), nil }})
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "admin", Description: "Admin only"}, Access: Staff, Ephemeral: true,
		Run: func(ctx context.Context, c *Ctx) (*Response, error) { return Text("ok"), nil }})
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "slow", Description: "Slow"}, Access: Everyone, Ephemeral: true,
		Run: func(ctx context.Context, c *Ctx) (*Response, error) {
			time.Sleep(150 * time.Millisecond)
			return Text("done"), nil
		}})
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "panic", Description: "Panics"}, Access: Everyone,
		Run: func(ctx context.Context, c *Ctx) (*Response, error) { panic("boom") }})
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "fail", Description: "Fails"}, Access: Everyone,
		Run: func(ctx context.Context, c *Ctx) (*Response, error) {
			if c.String("kind") == "user" {
				return nil, Errorf("server %s is not linked", "42")
			}
			return nil, errors.New("database exploded")
		}})
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "cfg", Description: "Config", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "view", Description: "View"},
		{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "log", Description: "Logs", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Set", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "v", Description: "Value", Required: true}}}}},
	}}, Access: Everyone, Subcommands: map[string]HandlerFunc{
		"view":    func(ctx context.Context, c *Ctx) (*Response, error) { return Text("view"), nil },
		"log set": func(ctx context.Context, c *Ctx) (*Response, error) { return Text("set " + c.String("v")), nil },
	}})
	r.Pager("items", Everyone, func(ctx context.Context, c *Ctx, q string, page int) ([]*discordgo.MessageEmbed, int, error) {
		return []*discordgo.MessageEmbed{{Title: q, Description: "page " + string(rune('0'+page))}}, 3, nil
	})
	return r
}

func lastCallback(t *testing.T, rec *recorder) call {
	t.Helper()
	for _, c := range rec.get() {
		if strings.HasSuffix(c.Path, "/callback") {
			return c
		}
	}
	t.Fatalf("no callback in %+v", rec.get())
	return call{}
}

func data(c call) map[string]any { m, _ := c.Body["data"].(map[string]any); return m }

func embedText(c call) string {
	b, _ := json.Marshal(c.Body)
	return string(b)
}

func member(id string, perms int64, roles ...string) *discordgo.Member {
	return &discordgo.Member{User: &discordgo.User{ID: id}, Permissions: perms, Roles: roles}
}

func TestDispatchDirectReply(t *testing.T) {
	d, s, rec := testDispatcher(t, testRouter())
	d.handle(s, command("ping", member("u1", 0)))
	cb := lastCallback(t, rec)
	if cb.Body["type"].(float64) != 4 || data(cb)["content"] != "pong u1" {
		t.Fatalf("callback %+v", cb.Body)
	}
	if cb.Path != "/api/v9/interactions/1/tok/callback" {
		t.Fatal(cb.Path)
	}
}

func TestDispatchRBAC(t *testing.T) {
	tests := []struct {
		name  string
		m     *discordgo.Member
		guild string
		ok    bool
	}{
		{"staff role", member("u", 0, "x", "staff"), "g1", true},
		{"administrator", member("u", discordgo.PermissionAdministrator), "g2", true},
		{"no role", member("u", discordgo.PermissionManageChannels, "x"), "g1", false},
		{"first run, no staff roles", member("u", 0, "staff"), "g2", false},
		{"dm", nil, "", false},
		{"store error", member("u", 0, "staff"), "boom", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s, rec := testDispatcher(t, testRouter())
			ic := command("admin", tt.m)
			ic.GuildID = tt.guild
			if tt.m == nil {
				ic.User = &discordgo.User{ID: "u"}
			}
			d.handle(s, ic)
			cb := lastCallback(t, rec)
			got := data(cb)["content"] == "ok"
			if got != tt.ok {
				t.Fatalf("allowed=%v, want %v: %s", got, tt.ok, embedText(cb))
			}
			if data(cb)["flags"].(float64) != float64(discordgo.MessageFlagsEphemeral) {
				t.Fatal("refusal not ephemeral")
			}
		})
	}
}

func TestDispatchErrorMapping(t *testing.T) {
	d, s, rec := testDispatcher(t, testRouter())
	d.handle(s, command("fail", member("u", 0), &discordgo.ApplicationCommandInteractionDataOption{Name: "kind", Type: discordgo.ApplicationCommandOptionString, Value: "user"}))
	if txt := embedText(lastCallback(t, rec)); !strings.Contains(txt, "server 42 is not linked") || !strings.Contains(txt, "15548997") {
		t.Fatalf("user error not shown in red embed: %s", txt)
	}
	d, s, rec = testDispatcher(t, testRouter())
	d.handle(s, command("fail", member("u", 0)))
	txt := embedText(lastCallback(t, rec))
	if !strings.Contains(txt, "Internal error, logged as") || strings.Contains(txt, "exploded") {
		t.Fatalf("internal error leaked or not referenced: %s", txt)
	}
	d, s, rec = testDispatcher(t, testRouter())
	d.handle(s, command("panic", member("u", 0)))
	if txt := embedText(lastCallback(t, rec)); !strings.Contains(txt, "Internal error, logged as") {
		t.Fatalf("panic not answered: %s", txt)
	}
}

func TestDispatchDefersSlowHandler(t *testing.T) {
	d, s, rec := testDispatcher(t, testRouter())
	d.handle(s, command("slow", member("u", 0)))
	calls := rec.get()
	if len(calls) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	if calls[0].Body["type"].(float64) != 5 || data(calls[0])["flags"].(float64) != 64 {
		t.Fatalf("defer %+v", calls[0].Body)
	}
	if calls[1].Method != http.MethodPatch || calls[1].Path != "/api/v9/webhooks/100/tok/messages/@original" || calls[1].Body["content"] != "done" {
		t.Fatalf("edit %+v", calls[1])
	}
}

func TestDispatchSubcommands(t *testing.T) {
	d, s, rec := testDispatcher(t, testRouter())
	d.handle(s, command("cfg", member("u", 0), &discordgo.ApplicationCommandInteractionDataOption{
		Name: "log", Type: discordgo.ApplicationCommandOptionSubCommandGroup, Options: []*discordgo.ApplicationCommandInteractionDataOption{{
			Name: "set", Type: discordgo.ApplicationCommandOptionSubCommand, Options: []*discordgo.ApplicationCommandInteractionDataOption{{
				Name: "v", Type: discordgo.ApplicationCommandOptionString, Value: "x"}}}}}))
	if got := data(lastCallback(t, rec))["content"]; got != "set x" {
		t.Fatalf("got %v", got)
	}
}

func TestDispatchPagerButton(t *testing.T) {
	d, s, rec := testDispatcher(t, testRouter())
	id, _ := PageRef{Kind: "items", Query: "rex:q", Page: 1}.Encode()
	d.handle(s, &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{ID: "1", AppID: "100", Token: "tok", GuildID: "g1",
		Type: discordgo.InteractionMessageComponent, Member: member("u", 0),
		Data: discordgo.MessageComponentInteractionData{CustomID: id, ComponentType: discordgo.ButtonComponent}}})
	cb := lastCallback(t, rec)
	if cb.Body["type"].(float64) != 7 || !strings.Contains(embedText(cb), "page 1") || !strings.Contains(embedText(cb), "pg:items:rex:q:2") {
		t.Fatalf("pager update %s", embedText(cb))
	}
}

func TestDispatchHostilePayloads(t *testing.T) {
	d, s, rec := testDispatcher(t, testRouter())
	for _, ic := range []*discordgo.InteractionCreate{
		nil,
		{},
		{Interaction: &discordgo.Interaction{ID: "1", Type: discordgo.InteractionModalSubmit}}, // Data nil (Label component)
		{Interaction: &discordgo.Interaction{ID: "1", Type: discordgo.InteractionApplicationCommand}},
		{Interaction: &discordgo.Interaction{ID: "1", Type: 99}},
		{Interaction: &discordgo.Interaction{ID: "1", Type: discordgo.InteractionMessageComponent, Data: discordgo.MessageComponentInteractionData{CustomID: "pg:x"}}},
		{Interaction: &discordgo.Interaction{ID: "1", Type: discordgo.InteractionModalSubmit, Data: discordgo.ModalSubmitInteractionData{CustomID: "nope", Components: []discordgo.MessageComponent{nil, &discordgo.ActionsRow{Components: []discordgo.MessageComponent{nil}}}}}},
		command("ping", &discordgo.Member{}),
		command("cfg", nil, nil, nil),
	} {
		d.handle(s, ic)
	}
	_ = rec
}

func TestRouterValidate(t *testing.T) {
	r := NewRouter().Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "x", Description: "d", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "a", Description: "a"}}}, Subcommands: map[string]HandlerFunc{}, Access: Everyone})
	r.Component(&Component{Prefix: "pg", Access: Staff, Run: func(context.Context, *Ctx) (*Response, error) { return nil, nil }})
	err := r.Validate()
	if err == nil || !strings.Contains(err.Error(), `no handler for subcommand "a"`) || !strings.Contains(err.Error(), `duplicate component prefix "pg"`) {
		t.Fatalf("Validate = %v", err)
	}
}
