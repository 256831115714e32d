package rcon

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MaxChatLen caps ServerChat/Broadcast text: ASA's chat limit is unknown, an
// ASA cross-chat bot keeps in-game messages at 180 characters (doc §2.3).
const MaxChatLen = 180

// SanitizeText makes user text safe to embed in one RCON command: printable
// ASCII only (ASA RCON is treated as ASCII, doc §2.1; common Latin accents
// are folded, e.g. "é"→"e", other runes dropped), control characters and
// newlines become spaces, runs of spaces collapse, '|' (ARK's console command
// separator) becomes '/', and the result is trimmed and capped at max
// characters (max <= 0 means MaxChatLen). It never splits a rune.
func SanitizeText(s string, max int) string {
	if max <= 0 {
		max = MaxChatLen
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	space := false
	for _, r := range s {
		var out string
		switch {
		case r == '|':
			out = "/"
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' ||
			r == 0x85 || r == 0xa0 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x3000:
			space = b.Len() > 0
			continue
		case r > 0x20 && r < 0x7f:
			out = string(r)
		default:
			out = foldRune(r)
			if out == "" {
				continue
			}
		}
		if space {
			if b.Len()+1 >= max {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+len(out) > max {
			break
		}
		b.WriteString(out)
	}
	return strings.TrimRight(b.String(), " ")
}

// foldRune maps common accented Latin letters and typographic punctuation
// to ASCII; everything else maps to "".
func foldRune(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā':
		return "a"
	case 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'Ā':
		return "A"
	case 'æ':
		return "ae"
	case 'Æ':
		return "AE"
	case 'ç', 'č', 'ć':
		return "c"
	case 'Ç', 'Č', 'Ć':
		return "C"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ę', 'ě':
		return "e"
	case 'È', 'É', 'Ê', 'Ë', 'Ē', 'Ę', 'Ě':
		return "E"
	case 'ì', 'í', 'î', 'ï':
		return "i"
	case 'Ì', 'Í', 'Î', 'Ï':
		return "I"
	case 'ñ', 'ń':
		return "n"
	case 'Ñ', 'Ń':
		return "N"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō':
		return "o"
	case 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ø', 'Ō':
		return "O"
	case 'œ':
		return "oe"
	case 'Œ':
		return "OE"
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů':
		return "u"
	case 'Ù', 'Ú', 'Û', 'Ü', 'Ū', 'Ů':
		return "U"
	case 'ý', 'ÿ':
		return "y"
	case 'Ý', 'Ÿ':
		return "Y"
	case 'ß':
		return "ss"
	case 'š', 'ś':
		return "s"
	case 'Š', 'Ś':
		return "S"
	case 'ž', 'ź', 'ż':
		return "z"
	case 'Ž', 'Ź', 'Ż':
		return "Z"
	case 'ł':
		return "l"
	case 'Ł':
		return "L"
	case '‘', '’', '‚', '′':
		return "'"
	case '“', '”', '„', '″':
		return `"`
	case '–', '—', '‐', '−':
		return "-"
	case '…':
		return "..."
	}
	return ""
}

var eosIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// NormalizeEOSID trims and lower-cases an EOS ProductUserId and checks that
// it is 32 hex digits (ARK writes the same id in both cases).
func NormalizeEOSID(s string) (string, error) {
	id := strings.ToLower(strings.TrimSpace(s))
	if !eosIDRe.MatchString(id) {
		return "", fmt.Errorf("rcon: %w: EOS id must be 32 hex digits, got %q", ErrInvalidArgument, clip(s, 40))
	}
	return id, nil
}

// ListPlayers returns the ListPlayers command.
func ListPlayers() string { return "ListPlayers" }

// GetChat returns the GetChat command (chat since the last call, consumed).
func GetChat() string { return "GetChat" }

// GetGameLog returns the GetGameLog command (game log since the last call).
func GetGameLog() string { return "GetGameLog" }

// SaveWorld returns the SaveWorld command.
func SaveWorld() string { return "SaveWorld" }

// DestroyWildDinos returns the DestroyWildDinos command (wild dino wipe).
func DestroyWildDinos() string { return "DestroyWildDinos" }

func textCommand(verb, msg string) (string, error) {
	text := SanitizeText(msg, MaxChatLen)
	if text == "" {
		return "", fmt.Errorf("rcon: %s: %w: empty message", verb, ErrInvalidArgument)
	}
	return verb + " " + text, nil
}

// ServerChat builds "ServerChat <text>" (global chat as SERVER); msg is
// sanitised and capped at MaxChatLen.
func ServerChat(msg string) (string, error) { return textCommand("ServerChat", msg) }

// Broadcast builds "Broadcast <text>" (centre-screen message).
func Broadcast(msg string) (string, error) { return textCommand("Broadcast", msg) }

// ServerChatTo builds `ServerChatTo "<eos id>" <text>`, a private message.
// Whether ASA accepts the EOS id here is unverified (doc §2.2).
func ServerChatTo(eosID, msg string) (string, error) {
	id, err := NormalizeEOSID(eosID)
	if err != nil {
		return "", err
	}
	text, err := textCommand("ServerChatTo", msg)
	if err != nil {
		return "", err
	}
	return `ServerChatTo "` + id + `" ` + strings.TrimPrefix(text, "ServerChatTo "), nil
}

func idCommand(verb, eosID string) (string, error) {
	id, err := NormalizeEOSID(eosID)
	if err != nil {
		return "", err
	}
	return verb + " " + id, nil
}

// KickPlayer builds "KickPlayer <eos id>".
func KickPlayer(eosID string) (string, error) { return idCommand("KickPlayer", eosID) }

// BanPlayer builds "BanPlayer <eos id>".
func BanPlayer(eosID string) (string, error) { return idCommand("BanPlayer", eosID) }

// UnbanPlayer builds "UnbanPlayer <eos id>".
func UnbanPlayer(eosID string) (string, error) { return idCommand("UnbanPlayer", eosID) }

// AllowPlayerToJoinNoCheck builds the whitelist-add command.
func AllowPlayerToJoinNoCheck(eosID string) (string, error) {
	return idCommand("AllowPlayerToJoinNoCheck", eosID)
}

// DisallowPlayerToJoinNoCheck builds the whitelist-remove command.
func DisallowPlayerToJoinNoCheck(eosID string) (string, error) {
	return idCommand("DisallowPlayerToJoinNoCheck", eosID)
}

// AddPoints builds the ArkShop (AsaApi plugin) "AddPoints <eos id> <n>"
// command used for shop/donation delivery; points must be 1..1,000,000.
func AddPoints(eosID string, points int) (string, error) {
	id, err := NormalizeEOSID(eosID)
	if err != nil {
		return "", err
	}
	if points < 1 || points > 1_000_000 {
		return "", fmt.Errorf("rcon: AddPoints: %w: points %d out of range 1..1000000", ErrInvalidArgument, points)
	}
	return "AddPoints " + id + " " + strconv.Itoa(points), nil
}

var blueprintPathRe = regexp.MustCompile(`^/Game/[A-Za-z0-9_/.\-]+$`)

// GiveItemToPlayer builds
// `GiveItemToPlayer <PlayerID> "Blueprint'<path>'" <qty> <quality> <0|1>`.
// playerID is ARK's numeric in-game id (ARKID in AdminCmd lines), not the
// EOS id. blueprint may be a bare "/Game/..." path or the full
// "Blueprint'/Game/...'" form, optionally quoted. qty 1..10000, quality 0..1000.
func GiveItemToPlayer(playerID int64, blueprint string, qty, quality int, asBlueprint bool) (string, error) {
	if playerID <= 0 {
		return "", fmt.Errorf("rcon: GiveItemToPlayer: %w: player id %d", ErrInvalidArgument, playerID)
	}
	path := strings.TrimSpace(blueprint)
	path = strings.TrimSuffix(strings.TrimPrefix(path, `"`), `"`)
	if strings.HasPrefix(path, "Blueprint'") && strings.HasSuffix(path, "'") && len(path) > len("Blueprint''") {
		path = path[len("Blueprint'") : len(path)-1]
	}
	if len(path) > 300 || !blueprintPathRe.MatchString(path) {
		return "", fmt.Errorf("rcon: GiveItemToPlayer: %w: blueprint path %q", ErrInvalidArgument, clip(blueprint, 80))
	}
	if qty < 1 || qty > 10000 {
		return "", fmt.Errorf("rcon: GiveItemToPlayer: %w: quantity %d out of range 1..10000", ErrInvalidArgument, qty)
	}
	if quality < 0 || quality > 1000 {
		return "", fmt.Errorf("rcon: GiveItemToPlayer: %w: quality %d out of range 0..1000", ErrInvalidArgument, quality)
	}
	bp := "0"
	if asBlueprint {
		bp = "1"
	}
	return fmt.Sprintf(`GiveItemToPlayer %d "Blueprint'%s'" %d %d %s`, playerID, path, qty, quality, bp), nil
}

// ScriptCommand builds "ScriptCommand <args>" for mod-defined RCON commands;
// args are sanitised (capped at DefaultMaxCommandLen-14).
func ScriptCommand(args string) (string, error) {
	a := SanitizeText(args, DefaultMaxCommandLen-len("ScriptCommand "))
	if a == "" {
		return "", fmt.Errorf("rcon: ScriptCommand: %w: empty arguments", ErrInvalidArgument)
	}
	return "ScriptCommand " + a, nil
}

// maxSplitInput bounds the text SplitText accepts (after sanitising).
const maxSplitInput = 4000

// SplitText sanitises s (see SanitizeText; at most 4000 characters are kept)
// and splits it into chunks of at most max characters (max <= 0 means
// MaxChatLen), breaking at spaces where possible, for long ServerChat or
// Broadcast messages. Empty input gives no chunks.
func SplitText(s string, max int) []string {
	if max <= 0 {
		max = MaxChatLen
	}
	text := SanitizeText(s, maxSplitInput) // ASCII only: byte offsets are rune offsets
	var out []string
	for len(text) > max {
		cut := strings.LastIndexByte(text[:max+1], ' ')
		if cut <= 0 {
			cut = max
		}
		out = append(out, strings.TrimRight(text[:cut], " "))
		text = strings.TrimLeft(text[cut:], " ")
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}
