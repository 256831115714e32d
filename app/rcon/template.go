package rcon

import (
	"fmt"
	"strconv"
	"strings"
)

// TemplateVars are the values a shop command template may use.
type TemplateVars struct {
	EOSID    string // {eos}
	PlayerID int64  // {player_id}
	Name     string // {name}
}

var templatePlaceholders = []string{"{eos}", "{player_id}", "{name}"}

// ValidateTemplate checks a shop command template (a dino spawn or any
// RCON command with {eos}, {player_id} and {name} placeholders): one line
// of printable ASCII, no '|' (ARK's command separator), no braces except
// the placeholders, a command word first, and short enough to send with
// the longest values.
func ValidateTemplate(t string) error {
	if strings.TrimSpace(t) == "" {
		return fmt.Errorf("rcon: template: %w: empty", ErrInvalidArgument)
	}
	rest := t
	for _, p := range templatePlaceholders {
		rest = strings.ReplaceAll(rest, p, "")
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '|':
			return fmt.Errorf("rcon: template: %w: '|' would chain a second command", ErrInvalidArgument)
		case c == '{' || c == '}':
			return fmt.Errorf("rcon: template: %w: unknown placeholder (use {eos}, {player_id}, {name})", ErrInvalidArgument)
		case c < 0x20 || c > 0x7e:
			return fmt.Errorf("rcon: template: %w: one line of printable ASCII only", ErrInvalidArgument)
		}
	}
	word, _, _ := strings.Cut(strings.TrimSpace(t), " ")
	for _, c := range word {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return fmt.Errorf("rcon: template: %w: %q is not a command word", ErrInvalidArgument, clip(word, 40))
		}
	}
	longest := TemplateVars{EOSID: strings.Repeat("0", 32), PlayerID: 1 << 62, Name: strings.Repeat("W", maxTemplateName)}
	out, err := RenderTemplate(t, longest)
	if err != nil {
		return err
	}
	if len(out) > DefaultMaxCommandLen {
		return fmt.Errorf("rcon: template: %w: %d bytes with the longest values (max %d)", ErrInvalidArgument, len(out), DefaultMaxCommandLen)
	}
	return nil
}

const maxTemplateName = 32

// TemplateName makes a player name safe inside any command: letters,
// digits, space, '_', '-' and '.' only (quotes, separators, newlines and
// everything else dropped), at most 32 characters; "player" when nothing
// is left.
func TemplateName(s string) string {
	s = SanitizeText(s, 200)
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < maxTemplateName; i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ' ' || c == '_' || c == '-' || c == '.' {
			b.WriteByte(c)
		}
	}
	if out := strings.TrimSpace(b.String()); out != "" {
		return out
	}
	return "player"
}

// RenderTemplate substitutes the placeholders of a validated template. The
// EOS id must be valid; {player_id} needs a positive id; the name is
// escaped with TemplateName, so no value can add a command or a line.
func RenderTemplate(t string, v TemplateVars) (string, error) {
	var eos string
	if strings.Contains(t, "{eos}") {
		id, err := NormalizeEOSID(v.EOSID)
		if err != nil {
			return "", err
		}
		eos = id
	}
	if strings.Contains(t, "{player_id}") && v.PlayerID <= 0 {
		return "", fmt.Errorf("rcon: template: %w: the player's in-game id is not known", ErrInvalidArgument)
	}
	r := strings.NewReplacer("{eos}", eos, "{player_id}", strconv.FormatInt(v.PlayerID, 10), "{name}", TemplateName(v.Name))
	return strings.TrimSpace(r.Replace(t)), nil
}

// ServerChatToPlayer builds `ServerChatToPlayer "<name>" <text>`, a private
// message to the player with that in-game name (the form an ASA relay
// whispers with, doc addendum §4). A name that would need escaping (quotes,
// separators, anything TemplateName would change) is refused: the caller
// then whispers by EOS id with ServerChatTo.
func ServerChatToPlayer(name, msg string) (string, error) {
	if name == "" || len(name) > maxTemplateName || TemplateName(name) != name {
		return "", fmt.Errorf("rcon: ServerChatToPlayer: %w: the name cannot be quoted safely", ErrInvalidArgument)
	}
	text, err := textCommand("ServerChatToPlayer", msg)
	if err != nil {
		return "", err
	}
	return `ServerChatToPlayer "` + name + `" ` + strings.TrimPrefix(text, "ServerChatToPlayer "), nil
}
