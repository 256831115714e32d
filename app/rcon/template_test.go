package rcon_test

import (
	"strings"
	"testing"

	"github.com/blissark/bliss/app/rcon"
)

func TestTemplateValidateAndEscape(t *testing.T) {
	for _, bad := range []string{"", "  ", "Cmd {eos} | DoExit", "Cmd {who}", "Cmd\nDoExit", "Cmd {eos", "\"x\" y", "Cmd " + strings.Repeat("x", 1000)} {
		if err := rcon.ValidateTemplate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	tmpl := `ScriptCommand gsanotify success 5 {eos} "Thanks {name}" {player_id}`
	if err := rcon.ValidateTemplate(tmpl); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Bob\" | DoExit", "a\nDoExit", "x'; KickPlayer 0002", "💥💥", "name|DestroyWildDinos"} {
		out, err := rcon.RenderTemplate(tmpl, rcon.TemplateVars{EOSID: "0002027EEA6E4D69BEA553B53A343124", PlayerID: 42, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(out, "|\n\r") || strings.Count(out, `"`) != 2 || strings.Contains(out, "'") {
			t.Errorf("%q rendered %q", name, out)
		}
	}
	if _, err := rcon.RenderTemplate(tmpl, rcon.TemplateVars{EOSID: "0002027eea6e4d69bea553b53a343124"}); err == nil {
		t.Error("unknown player id rendered")
	}
	if _, err := rcon.RenderTemplate(tmpl, rcon.TemplateVars{EOSID: "nope; DoExit", PlayerID: 1}); err == nil {
		t.Error("bad eos rendered")
	}
}

func FuzzRenderTemplate(f *testing.F) {
	f.Add(`Cmd {eos} "{name}" {player_id}`, "Bob\"|x", int64(3))
	f.Fuzz(func(t *testing.T, tmpl, name string, id int64) {
		if rcon.ValidateTemplate(tmpl) != nil {
			return
		}
		out, err := rcon.RenderTemplate(tmpl, rcon.TemplateVars{EOSID: "0002027eea6e4d69bea553b53a343124", PlayerID: id, Name: name})
		if err == nil && (strings.ContainsAny(out, "|\n\r") || len(out) > rcon.DefaultMaxCommandLen) {
			t.Fatalf("%q", out)
		}
	})
}

func TestServerChatToPlayer(t *testing.T) {
	got, err := rcon.ServerChatToPlayer("bob_pc", "Bliss: your order #3 (Metal\nHelmet | DoExit) was delivered.")
	if err != nil || !strings.HasPrefix(got, `ServerChatToPlayer "bob_pc" Bliss: your order #3`) || strings.ContainsAny(got, "\n|") {
		t.Fatalf("%q %v", got, err)
	}
	for _, bad := range []string{"", `Bob" DoExit`, "Bob|x", "Bøb", "Bob\n", strings.Repeat("b", 40)} {
		if cmd, err := rcon.ServerChatToPlayer(bad, "hi"); err == nil {
			t.Errorf("name %q gave %q", bad, cmd)
		}
	}
	if _, err := rcon.ServerChatToPlayer("Bob", ""); err == nil {
		t.Error("empty message built")
	}
}
