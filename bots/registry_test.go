package bots

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestLogSettingKeysCompatible(t *testing.T) {
	want := map[string]string{"admin": "admin_log_channel", "donations": "donation_log_channel",
		"tickets": "ticket_log_channel", "join": "join_log_channel", "orders": "orders_log_channel"}
	for k, key := range want {
		if got := LogSettingKey(k); got != key {
			t.Errorf("LogSettingKey(%q) = %q, want %q", k, got, key)
		}
	}
	if got := LogKinds(); !slices.Equal(got, []string{"admin", "join", "tribe", "deaths", "chat", "tickets", "donations", "orders"}) {
		t.Errorf("LogKinds = %v", got)
	}
}

func TestGuildSettingsSetAndStoredValues(t *testing.T) {
	g := NewGuildSettings("g", map[string]string{KeyStaffRoles: "1,2", "ticket_log_channel": "9", "ap_rate": "5"})
	if !slices.Equal(g.StaffRoleIDs, []string{"1", "2"}) || g.LogChannels["tickets"] != "9" || g.Values["ap_rate"] != "5" {
		t.Fatalf("derived %+v", g)
	}
	g.Set(KeyTicketCategory, "7")
	g.Set("ticket_log_channel", "")
	g.StaffRoleIDs = []string{"3"} // a field changed directly wins when saved
	sv := g.StoredValues()
	if sv[KeyStaffRoles] != "3" || sv[KeyTicketCategory] != "7" || sv["ticket_log_channel"] != "" || sv["ap_rate"] != "5" {
		t.Fatalf("StoredValues = %v", sv)
	}
	if _, ok := g.LogChannels["tickets"]; ok {
		t.Error("cleared log channel still set")
	}
	m := NewMemStore()
	ctx := context.Background()
	if err := m.SaveGuildSettings(ctx, g); err != nil {
		t.Fatal(err)
	}
	back, _ := m.GuildSettings(ctx, "g")
	if back.Values[KeyStaffRoles] != "3" || back.TicketCategoryID != "7" || len(back.LogChannels) != 0 {
		t.Fatalf("MemStore round trip %+v", back)
	}
}

func TestSupervisorSettingsRegistry(t *testing.T) {
	sup, err := NewSupervisor(Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmd := func(name string) *Command {
		return &Command{Spec: &discordgo.ApplicationCommand{Name: name, Description: "d"}, Access: Everyone,
			Run: func(context.Context, *Ctx) (*Response, error) { return Text("x"), nil }}
	}
	a := NewRouter().Command(cmd("a")).Settings(Setting{Key: "ap_rate", Kind: SettingNumber, Default: "10"})
	g := NewRouter().Command(cmd("g")).Settings(Setting{Key: "gp_rate", Kind: SettingNumber}, Setting{Key: "gp_channel", Kind: SettingChannel})
	if err := sup.Handle(GP, g); err != nil {
		t.Fatal(err)
	}
	if err := sup.Handle(AP, a); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range sup.Settings() {
		keys = append(keys, s.Key)
	}
	if strings.Join(keys, ",") != "ap_rate,gp_rate,gp_channel" { // Kinds order: AP before GP
		t.Errorf("Settings = %v", keys)
	}
	dup := NewRouter().Command(cmd("t")).Settings(Setting{Key: "ap_rate", Kind: SettingText})
	if err := sup.Handle(Ticket, dup); err == nil || !strings.Contains(err.Error(), "already declared") {
		t.Errorf("duplicate key across bots: %v", err)
	}
}

func TestSpecsStaffPermissions(t *testing.T) {
	manage := int64(discordgo.PermissionAdministrator)
	r := NewRouter()
	run := func(context.Context, *Ctx) (*Response, error) { return Text("x"), nil }
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "staff", Description: "d"}, Access: Staff, Run: run})
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "own", Description: "d", DefaultMemberPermissions: &manage}, Access: Staff, Run: run})
	r.Command(&Command{Spec: &discordgo.ApplicationCommand{Name: "all", Description: "d"}, Access: Everyone, Run: run})
	specs := r.Specs()
	if p := specs[0].DefaultMemberPermissions; p == nil || *p != StaffPermissions {
		t.Errorf("staff command permissions = %v", p)
	}
	if p := specs[1].DefaultMemberPermissions; p == nil || *p != manage {
		t.Errorf("explicit permissions overridden: %v", p)
	}
	if specs[2].DefaultMemberPermissions != nil {
		t.Error("everyone command got permissions")
	}
	if r.commands["staff"].Spec.DefaultMemberPermissions != nil {
		t.Error("Specs modified the router's spec")
	}
}
