package bots

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestValidateCommands(t *testing.T) {
	str := discordgo.ApplicationCommandOptionString
	sub := discordgo.ApplicationCommandOptionSubCommand
	opt := func(name string, req bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: str, Name: name, Description: "d", Required: req}
	}
	many := func(n int) []*discordgo.ApplicationCommandOption {
		var o []*discordgo.ApplicationCommandOption
		for i := 0; i < n; i++ {
			o = append(o, opt("o"+itoa(i), false))
		}
		return o
	}
	choices := func(n int, val string) []*discordgo.ApplicationCommandOptionChoice {
		var c []*discordgo.ApplicationCommandOptionChoice
		for i := 0; i < n; i++ {
			c = append(c, &discordgo.ApplicationCommandOptionChoice{Name: "c" + itoa(i), Value: val})
		}
		return c
	}
	tests := []struct {
		name string
		cmd  *discordgo.ApplicationCommand
		want string // "" = valid
	}{
		{"ok", &discordgo.ApplicationCommand{Name: "servers-add_x", Description: "d", Options: many(25)}, ""},
		{"unicode name", &discordgo.ApplicationCommand{Name: "dinosaurio-ñ", Description: "d"}, ""},
		{"upper", &discordgo.ApplicationCommand{Name: "Setup", Description: "d"}, "lowercase"},
		{"space", &discordgo.ApplicationCommand{Name: "set up", Description: "d"}, "invalid name"},
		{"long name", &discordgo.ApplicationCommand{Name: strings.Repeat("a", 33), Description: "d"}, "invalid name"},
		{"no desc", &discordgo.ApplicationCommand{Name: "a"}, "description length 0"},
		{"long desc", &discordgo.ApplicationCommand{Name: "a", Description: strings.Repeat("d", 101)}, "description length 101"},
		{"26 options", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: many(26)}, "26 options"},
		{"required after optional", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: []*discordgo.ApplicationCommandOption{opt("x", false), opt("y", true)}}, "required option after optional"},
		{"mixed", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: []*discordgo.ApplicationCommandOption{opt("x", false), {Type: sub, Name: "s", Description: "d"}}}, "cannot be mixed"},
		{"26 choices", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: []*discordgo.ApplicationCommandOption{{Type: str, Name: "x", Description: "d", Choices: choices(26, "v")}}}, "26 choices"},
		{"long choice value", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: []*discordgo.ApplicationCommandOption{{Type: str, Name: "x", Description: "d", Choices: choices(1, strings.Repeat("v", 101))}}}, "longer than 100"},
		{"choices+autocomplete", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: []*discordgo.ApplicationCommandOption{{Type: str, Name: "x", Description: "d", Autocomplete: true, Choices: choices(1, "v")}}}, "exclusive"},
		{"nested sub", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: []*discordgo.ApplicationCommandOption{{Type: sub, Name: "s", Description: "d", Options: []*discordgo.ApplicationCommandOption{{Type: sub, Name: "t", Description: "d"}}}}}, "cannot nest"},
		{"too big", &discordgo.ApplicationCommand{Name: "a", Description: "d", Options: []*discordgo.ApplicationCommandOption{
			{Type: str, Name: "x", Description: strings.Repeat("d", 100), Choices: choices(25, strings.Repeat("v", 100))},
			{Type: str, Name: "y", Description: strings.Repeat("d", 100), Choices: choices(25, strings.Repeat("v", 100))},
			{Type: str, Name: "z", Description: strings.Repeat("d", 100), Choices: choices(25, strings.Repeat("v", 100))},
			{Type: str, Name: "w", Description: strings.Repeat("d", 100), Choices: choices(25, strings.Repeat("v", 100))},
		}}, "max 8000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCommands([]*discordgo.ApplicationCommand{tt.cmd})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("ValidateCommands = %v, want %q", err, tt.want)
			}
		})
	}
	dup := []*discordgo.ApplicationCommand{{Name: "a", Description: "d"}, {Name: "a", Description: "d"}}
	if err := ValidateCommands(dup); err == nil {
		t.Fatal("duplicate accepted")
	}
}

func TestInviteURLs(t *testing.T) {
	got := InviteURL(Ticket, "123", "")
	// 1024+2048+16384+65536 (view, send, embed, history) + 32768 (attach) + 1<<34 + 1<<36 + 1<<38 (threads)
	want := "https://discord.com/oauth2/authorize?client_id=123&permissions=360777370624&scope=bot+applications.commands"
	if got != want {
		t.Fatalf("InviteURL = %s\nwant     %s", got, want)
	}
	invs := InviteURLs([]BotConfig{{Kind: Assistant, AppID: "6"}, {Kind: Master, AppID: "1"}, {Kind: AP}})
	if len(invs) != 3 || invs[0].Kind != Master || invs[1].Kind != AP || invs[1].URL != "" || !strings.Contains(invs[2].URL, "permissions=19456") {
		t.Fatalf("InviteURLs = %+v", invs)
	}
	for _, k := range Kinds() {
		info := k.Info()
		if info.Permissions == 0 || info.Permissions&discordgo.PermissionAdministrator != 0 || info.DisplayName == "" {
			t.Errorf("%s: bad metadata %+v", k, info)
		}
	}
}

func TestModal(t *testing.T) {
	r, err := NewModal("ticket:open", "Open a ticket", TextInput{ID: "subject", Label: "Subject", Required: true, MaxLength: 100},
		TextInput{ID: "body", Label: "What happened?", Paragraph: true})
	if err != nil || len(r.Modal.Components) != 2 {
		t.Fatal(err)
	}
	if _, ok := r.Modal.Components[0].(discordgo.ActionsRow); !ok {
		t.Fatal("modal row is not an ActionRow")
	}
	if _, err := NewModal("x", strings.Repeat("t", 46)); err == nil {
		t.Fatal("bad modal accepted")
	}
	six := make([]TextInput, 6)
	for i := range six {
		six[i] = TextInput{ID: itoa(i), Label: "l"}
	}
	if _, err := NewModal("x", "t", six...); err == nil {
		t.Fatal("6 inputs accepted")
	}
	vals := ModalValues(discordgo.ModalSubmitInteractionData{Components: []discordgo.MessageComponent{
		&discordgo.ActionsRow{Components: []discordgo.MessageComponent{&discordgo.TextInput{CustomID: "a", Value: "1"}, nil}}, nil,
		&discordgo.Button{CustomID: "b"}}})
	if len(vals) != 1 || vals["a"] != "1" {
		t.Fatalf("ModalValues = %v", vals)
	}
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return fmtInt(i/10) + string(rune('0'+i%10))
}
