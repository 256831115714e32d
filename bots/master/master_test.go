package master

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/bots"
)

type fakeDir struct{ p []bots.BotPresence }

func (f fakeDir) Presence(string) []bots.BotPresence { return f.p }
func (f fakeDir) Status() []bots.SessionStatus {
	return []bots.SessionStatus{{Kind: bots.Master, State: bots.StateConnected, Guilds: 2}, {Kind: bots.AP, State: bots.StateDisabled, LastError: "not configured"}}
}

func newTest(t *testing.T) (*master, *bots.MemStore) {
	t.Helper()
	st := bots.NewMemStore()
	dir := fakeDir{[]bots.BotPresence{
		{Kind: bots.Master, Configured: true, Connected: true, InGuild: true},
		{Kind: bots.Server, Configured: true, Connected: true, InGuild: true},
		{Kind: bots.AP, Configured: true, Connected: true, InviteURL: bots.InviteURL(bots.AP, "55", "g1")},
		{Kind: bots.GP},
		{Kind: bots.Ticket, Configured: true},
	}}
	return &master{Deps{Store: st, Bots: dir}}, st
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestSpecsValid(t *testing.T) {
	if err := New(Deps{Store: bots.NewMemStore()}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSetupShowsPresenceAndSaves(t *testing.T) {
	m, st := newTest(t)
	ctx := context.Background()
	resp, err := m.setup(ctx, &bots.Ctx{GuildID: "g1"})
	if err != nil {
		t.Fatal(err)
	}
	out := js(resp)
	for _, want := range []string{"✅ Bliss Server", "❌ Bliss Activity Points", "client_id=55\\u0026permissions=84992\\u0026scope=bot+applications.commands\\u0026guild_id=g1", "⚪ Bliss Guardian Points", "offline", "setup:set:staff_role_ids", "only Administrators"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup response lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Bliss Master —") {
		t.Error("master lists itself")
	}
	if len(resp.Components) > 5 {
		t.Fatalf("%d rows", len(resp.Components))
	}
	for _, step := range []struct {
		args   string
		values []string
	}{{"set:staff_role_ids", []string{"111111111111111111", "bad", "222222222222222222"}}, {"set:chat_bridge_category", []string{"333333333333333333"}},
		{"set:ticket_category", []string{"444444444444444444"}}, {"set:admin_log_channel", []string{"555555555555555555"}}} {
		resp, err = m.setupComponent(ctx, &bots.Ctx{GuildID: "g1", CustomID: "setup:" + step.args, Args: step.args, Values: step.values})
		if err != nil {
			t.Fatal(err)
		}
		if !resp.Update {
			t.Fatal("component response does not update the wizard")
		}
	}
	gs, _ := st.GuildSettings(ctx, "g1")
	if js(gs.StaffRoleIDs) != `["111111111111111111","222222222222222222"]` || gs.ChatBridgeCategoryID != "333333333333333333" ||
		gs.TicketCategoryID != "444444444444444444" || gs.LogChannels["admin"] != "555555555555555555" {
		t.Fatalf("settings %+v", gs)
	}
	if _, err := m.setupComponent(ctx, &bots.Ctx{GuildID: "g1", Args: "set:nope_log_channel"}); err == nil {
		t.Fatal("unknown setting accepted")
	}
	// Eight log kinds and three other settings: three pages of four selects.
	for page, want := range []string{"setup:set:staff_role_ids", "setup:set:tribe_log_channel", "setup:set:orders_log_channel"} {
		resp, err := m.setupComponent(ctx, &bots.Ctx{GuildID: "g1", CustomID: "x", Args: fmt.Sprintf("page:%d", page)})
		if err != nil || !strings.Contains(js(resp), want) || len(resp.Components) > 5 {
			t.Fatalf("page %d: %v, want %s in %d rows: %s", page, err, want, len(resp.Components), js(resp))
		}
	}
}

func opt(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
}

func num(name string, v float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionNumber, Value: v}
}

func cmd(opts ...*discordgo.ApplicationCommandInteractionDataOption) *bots.Ctx {
	c := &bots.Ctx{GuildID: "g1", Options: map[string]*discordgo.ApplicationCommandInteractionDataOption{}}
	for _, o := range opts {
		c.Options[o.Name] = o
	}
	return c
}

func TestConfigSet(t *testing.T) {
	m, st := newTest(t)
	ctx := context.Background()
	if _, err := m.configSet(ctx, cmd(opt("key", "staff_roles"), opt("value", "<@&123456789012345678>, 223456789012345678"))); err != nil {
		t.Fatal(err)
	}
	if _, err := m.configSet(ctx, cmd(opt("key", "log_join"), opt("value", "<#323456789012345678>"))); err != nil {
		t.Fatal(err)
	}
	gs, _ := st.GuildSettings(ctx, "g1")
	if len(gs.StaffRoleIDs) != 2 || gs.LogChannels["join"] != "323456789012345678" {
		t.Fatalf("%+v", gs)
	}
	if _, err := m.configSet(ctx, cmd(opt("key", "log_join"), opt("value", "none"))); err != nil {
		t.Fatal(err)
	}
	var ue *bots.UserError
	for _, bad := range [][2]string{{"log_join", "general"}, {"bogus", "123456789012345678"}} {
		_, err := m.configSet(ctx, cmd(opt("key", bad[0]), opt("value", bad[1])))
		if !errorsAs(err, &ue) {
			t.Fatalf("%v: want user error, got %v", bad, err)
		}
	}
	resp, _ := m.configView(ctx, cmd())
	if !strings.Contains(js(resp), `\u003c@\u0026123456789012345678`) {
		t.Fatal(js(resp))
	}
}

func TestServers(t *testing.T) {
	m, st := newTest(t)
	ctx := context.Background()
	for i, id := range []string{"1001", "1002", "1003"} {
		cl := "pve"
		if i == 2 {
			cl = "pvp"
		}
		if _, err := m.serversAdd(ctx, cmd(opt("service_id", id), opt("name", "**Island** 🦖 "+id), opt("cluster", cl))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.serversAdd(ctx, cmd(opt("service_id", "12ab"))); err == nil {
		t.Fatal("non-numeric id accepted")
	}
	list, _ := st.Servers(ctx, "g1")
	if len(list) != 3 || list[0].Name != "Island 1001" {
		t.Fatalf("%+v", list)
	}
	embeds, pages, err := m.serversPage(ctx, cmd(), "pve", 0)
	if err != nil || pages != 1 || len(embeds[0].Fields) != 2 {
		t.Fatalf("%v %d %+v", err, pages, embeds)
	}
	choices, _ := m.serversAutocomplete(ctx, cmd(), opt("service_id", "1003"))
	if len(choices) != 1 || choices[0].Value != "1003" {
		t.Fatalf("%+v", choices)
	}
	if _, err := m.serversRemove(ctx, cmd(opt("service_id", "1003"))); err != nil {
		t.Fatal(err)
	}
	if _, err := m.serversRemove(ctx, cmd(opt("service_id", "1003"))); err == nil {
		t.Fatal("second remove succeeded")
	}
	for i := 0; i < 25; i++ {
		_ = st.AddServer(ctx, bots.GameServer{GuildID: "g1", ServiceID: int64(9000 + i), Name: "n"})
	}
	_, pages, _ = m.serversPage(ctx, cmd(), "", 0)
	if pages != 3 {
		t.Fatalf("pages = %d", pages)
	}
}

func TestStatus(t *testing.T) {
	m, _ := newTest(t)
	resp, err := m.status(context.Background(), cmd())
	if err != nil || !strings.Contains(js(resp), "🟢 Bliss Master — connected, 2 guilds") || !strings.Contains(js(resp), "not wired") {
		t.Fatalf("%v %s", err, js(resp))
	}
}

type fakeRegistry []bots.Setting

func (f fakeRegistry) Settings() []bots.Setting { return f }

// TestConfigRegistry: /config reads every declared setting (another bot's
// too), validates with Setting.Check, and /config view shows value,
// default and help.
func TestConfigRegistry(t *testing.T) {
	m, st := newTest(t)
	ctx := context.Background()
	rate := bots.Setting{Key: "ap_rate", Kind: bots.SettingNumber, Default: "10", Min: 1, Max: 100, Help: "AP per hour online"}
	shop := bots.Setting{Key: "shop_channel", Kind: bots.SettingChannel, Help: "Where the shop lives"}
	m.Settings = fakeRegistry(append(Settings(), rate, shop))

	view := func() string {
		resp, err := m.configView(ctx, cmd())
		if err != nil {
			t.Fatal(err)
		}
		return js(resp)
	}
	out := view()
	for _, want := range []string{"`ap_rate` `10` (default)", "AP per hour online", "`shop_channel` not set", "`orders_log_channel`", "Shop orders"} {
		if !strings.Contains(out, want) {
			t.Errorf("/config view lacks %q:\n%s", want, out)
		}
	}
	if _, err := m.configSet(ctx, cmd(opt("key", "ap_rate"), opt("value", "25"))); err != nil {
		t.Fatal(err)
	}
	var ue *bots.UserError
	for _, bad := range [][2]string{{"ap_rate", "500"}, {"ap_rate", "lots"}, {"shop_channel", "shop"}} {
		if _, err := m.configSet(ctx, cmd(opt("key", bad[0]), opt("value", bad[1]))); !errorsAs(err, &ue) {
			t.Errorf("%v: want user error, got %v", bad, err)
		}
	}
	if _, err := m.configSet(ctx, cmd(opt("key", "shop_channel"), opt("value", "<#423456789012345678>"))); err != nil {
		t.Fatal(err)
	}
	gs, _ := st.GuildSettings(ctx, "g1")
	if gs.Number(rate) != 25 || gs.Value(shop) != "423456789012345678" {
		t.Fatalf("stored %+v", gs.Values)
	}
	if out := view(); !strings.Contains(out, "`ap_rate` `25` (default `10`)") || !strings.Contains(out, `\u003c#423456789012345678\u003e`) {
		t.Errorf("/config view after set:\n%s", out)
	}
	choices, _ := m.configAutocomplete(ctx, cmd(), opt("key", "shop"))
	if len(choices) != 2 || choices[0].Value != "orders_log_channel" || choices[1].Value != "shop_channel" {
		t.Errorf("autocomplete %q = %s", "shop", js(choices))
	}
}

// TestServersDecayOverride: staff override a server's decay multiplier on
// /servers add; renaming keeps it, 1 clears it (the server's own Nitrado
// setting applies again), and /servers list shows it.
func TestServersDecayOverride(t *testing.T) {
	m, st := newTest(t)
	ctx := context.Background()
	mult := func() float64 {
		list, _ := st.Servers(ctx, "g1")
		if len(list) != 1 {
			t.Fatalf("%+v", list)
		}
		return list[0].DecayMultiplier
	}
	r, err := m.serversAdd(ctx, cmd(opt("service_id", "1001"), opt("name", "Island"), num("decay_multiplier", 2.5)))
	if err != nil {
		t.Fatal(err)
	}
	if got := mult(); got != 2.5 {
		t.Fatalf("override stored as %v, want 2.5", got)
	}
	if txt := js(r); !strings.Contains(txt, "multiplier **2.5** (staff override)") {
		t.Errorf("answer does not name the override: %s", txt)
	}
	embeds, _, err := m.serversPage(ctx, cmd(), "", 0)
	if err != nil || !strings.Contains(embeds[0].Fields[0].Value, "decay ×2.5 (override)") {
		t.Errorf("list does not show the override: %v %+v", err, embeds[0].Fields)
	}
	if _, err := m.serversAdd(ctx, cmd(opt("service_id", "1001"), opt("name", "Island 2"))); err != nil {
		t.Fatal(err)
	}
	if got := mult(); got != 2.5 {
		t.Errorf("renaming dropped the override: %v", got)
	}
	for _, bad := range []float64{0, -1, 101} {
		if _, err := m.serversAdd(ctx, cmd(opt("service_id", "1001"), num("decay_multiplier", bad))); err == nil {
			t.Errorf("decay_multiplier %v accepted", bad)
		}
	}
	r, err = m.serversAdd(ctx, cmd(opt("service_id", "1001"), opt("name", "Island"), num("decay_multiplier", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if hasDecayOverride(mult()) || !strings.Contains(js(r), "own decay multiplier") {
		t.Errorf("1 did not clear the override: %v %s", mult(), js(r))
	}
}
