package rcon

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrParse: a reply line did not have the expected shape.
var ErrParse = errors.New("unexpected reply")

// Player is one ListPlayers entry.
type Player struct {
	Index int    // list position, not ARK's in-game PlayerID
	Name  string // platform/account name (not the character name)
	EOSID string // lower-case 32-hex EOS ProductUserId
}

const noPlayers = "No Players Connected"

// ParsePlayers parses a ListPlayers reply ("N. <name>, <eos id>" per line,
// or "No Players Connected"). Names may contain ". " and ", " (the id is
// split off at the last ", "). Blank lines and the silent reply are ignored.
// On malformed lines it returns the players it could parse and an error
// wrapping ErrParse that names the first bad line.
func ParsePlayers(reply string) ([]Player, error) {
	var (
		players []Player
		bad     error
	)
	for n, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || IsSilent(line) || strings.EqualFold(line, noPlayers) {
			continue
		}
		p, ok := parsePlayerLine(line)
		if !ok {
			if bad == nil {
				bad = fmt.Errorf("rcon: parse players: %w: line %d: %q", ErrParse, n+1, clip(line, 80))
			}
			continue
		}
		players = append(players, p)
	}
	return players, bad
}

func parsePlayerLine(line string) (Player, bool) {
	idx, rest, ok := strings.Cut(line, ". ")
	if !ok {
		return Player{}, false
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 {
		return Player{}, false
	}
	cut := strings.LastIndex(rest, ", ")
	if cut < 0 {
		return Player{}, false
	}
	id, err := NormalizeEOSID(rest[cut+2:])
	if err != nil {
		return Player{}, false
	}
	return Player{Index: i, Name: strings.TrimSpace(rest[:cut]), EOSID: id}, true
}

// ChatKind classifies a GetChat line.
type ChatKind int

// Chat line kinds.
const (
	ChatOther  ChatKind = iota // anything else (join/leave notices, unknown)
	ChatPlayer                 // "Name (Character): text"
	ChatServer                 // "SERVER: text" (ServerChat / bot echo)
	ChatAdmin                  // "AdminCmd: cmd (PlayerName: …, ARKID: …, PlatformID: …)"
	ChatTribe                  // tribe log relayed to chat
)

func (k ChatKind) String() string {
	switch k {
	case ChatPlayer:
		return "player"
	case ChatServer:
		return "server"
	case ChatAdmin:
		return "admin"
	case ChatTribe:
		return "tribe"
	default:
		return "other"
	}
}

// ChatLine is one parsed GetChat (or GetGameLog chat) line.
type ChatLine struct {
	Kind      ChatKind
	Time      time.Time // from a "YYYY.MM.DD_HH.MM.SS: " prefix (UTC); zero if absent
	Sender    string    // platform name (player), PlayerName (admin), tribe name (tribe)
	Character string    // in-game character name (player chat only)
	Text      string    // message, admin command or tribe-log message
	Raw       string    // the line as received, without the line break
}

// ParseChat parses a GetChat reply into lines; blank lines and the silent
// reply are skipped. It never fails: unknown shapes come back as ChatOther.
func ParseChat(reply string) []ChatLine {
	var out []ChatLine
	for _, raw := range strings.Split(reply, "\n") {
		raw = strings.TrimRight(raw, "\r")
		if strings.TrimSpace(raw) == "" || IsSilent(raw) {
			continue
		}
		ev := ParseLogLine(raw)
		cl := ChatLine{Time: ev.Time, Raw: raw, Text: ev.Text}
		switch ev.Kind {
		case EventChat:
			cl.Kind, cl.Sender, cl.Character = ChatPlayer, ev.Name, ev.Character
		case EventServerChat:
			cl.Kind = ChatServer
		case EventAdmin:
			cl.Kind, cl.Sender = ChatAdmin, ev.Name
		case EventTribe:
			cl.Kind, cl.Sender = ChatTribe, ev.Tribe
		default:
			cl.Kind = ChatOther
		}
		out = append(out, cl)
	}
	return out
}

// EventKind classifies a game-log line.
type EventKind int

// Game-log event kinds.
const (
	EventOther      EventKind = iota
	EventJoin                 // "<name> [UniqueNetId:<id> Platform:<p>] joined this ARK!"
	EventLeave                // "... left this ARK!"
	EventChat                 // "Name (Character): text"
	EventServerChat           // "SERVER: text"
	EventAdmin                // "AdminCmd: ..."
	EventTribe                // "Tribe X, ID N: Day D, hh:mm:ss: msg" and short forms
	EventSave                 // "World Save Complete. Took: 0.67"
	EventStartup              // "Server has completed startup and is now advertising for join"
)

func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventChat:
		return "chat"
	case EventServerChat:
		return "server_chat"
	case EventAdmin:
		return "admin"
	case EventTribe:
		return "tribe"
	case EventSave:
		return "save"
	case EventStartup:
		return "startup"
	default:
		return "other"
	}
}

// TribeEventKind sub-classifies tribe-log messages by keywords (doc §4.2).
type TribeEventKind int

// Tribe-log sub-kinds.
const (
	TribeOther      TribeEventKind = iota
	TribeTame                      // "Tamed a …"
	TribeDeath                     // a member or tribe dino died ("was killed", "starved to death")
	TribeKill                      // "Your Tribe killed …"
	TribeDestroyed                 // structures destroyed / auto-decayed / demolished
	TribeMembership                // added/removed/promoted/demoted/rank group
)

func (k TribeEventKind) String() string {
	switch k {
	case TribeTame:
		return "tame"
	case TribeDeath:
		return "death"
	case TribeKill:
		return "kill"
	case TribeDestroyed:
		return "destroyed"
	case TribeMembership:
		return "membership"
	default:
		return "other"
	}
}

// LogEvent is one parsed game-log line. Fields not relevant to Kind are zero.
type LogEvent struct {
	Kind      EventKind
	Time      time.Time // game stamp, else the bracketed ShooterGame.log stamp (UTC)
	Name      string    // player platform name (join/leave/chat), PlayerName (admin)
	Character string    // chat
	EOSID     string    // join/leave UniqueNetId, admin PlatformID/SteamID (lower-case)
	Platform  string    // join/leave "Platform:" value (may be empty)
	ARKID     int64     // admin ARKID (in-game PlayerID)
	Text      string    // chat text, admin command, tribe message (RichColor stripped), other text
	Tribe     string
	TribeID   int64
	Day       int
	Clock     string // in-game "hh:mm:ss"
	TribeKind TribeEventKind
	Raw       string
}

// ParseGameLog parses a GetGameLog reply (or ShooterGame.log lines); blank
// lines and the silent reply are skipped. Unknown lines are EventOther.
func ParseGameLog(reply string) []LogEvent {
	var out []LogEvent
	for _, raw := range strings.Split(reply, "\n") {
		raw = strings.TrimRight(raw, "\r")
		if strings.TrimSpace(raw) == "" || IsSilent(raw) {
			continue
		}
		out = append(out, ParseLogLine(raw))
	}
	return out
}

var (
	bracketRe   = regexp.MustCompile(`^\[(\d{4}\.\d{2}\.\d{2}-\d{2}\.\d{2}\.\d{2}):(\d{3})\]\[\s*\d+\]`)
	gameStampRe = regexp.MustCompile(`^(\d{4}\.\d{2}\.\d{2}_\d{2}\.\d{2}\.\d{2}): `)
	joinRe      = regexp.MustCompile(`^(.+) \[UniqueNetId:([0-9A-Fa-f]+) Platform:([^\]]*)\] (joined|left) this ARK!$`)
	joinIDRe    = regexp.MustCompile(`^(.+) ID (\d+) (joined|left) this ARK!$`)
	joinPlainRe = regexp.MustCompile(`^(.+) (joined|left) this ARK!$`)
	adminRe     = regexp.MustCompile(`^AdminCmd: (.+) \(PlayerName: (.+?), ARKID: (\d+), (?:PlatformID|SteamID): ([0-9A-Za-z]+)\)$`)
	tribeRe     = regexp.MustCompile(`^Tribe (.+?), ID (\d+): Day (\d+), (\d{2}:\d{2}:\d{2}): (.+)$`)
	tribeTameRe = regexp.MustCompile(`^Tribe (.+?) (Tamed an? .+)$`)
	dayRe       = regexp.MustCompile(`^Day (\d+), (\d{2}:\d{2}:\d{2}): (.+)$`)
	richColorRe = regexp.MustCompile(`<RichColor[^>]*>|</>`)
)

// ParseLogLine parses one game-log or GetChat line (with or without the
// ShooterGame.log bracket prefix and the game-log stamp).
func ParseLogLine(raw string) LogEvent {
	ev := LogEvent{Raw: raw}
	s := strings.TrimPrefix(strings.TrimRight(raw, "\r\n"), "\ufeff")
	if m := bracketRe.FindStringSubmatch(s); m != nil {
		if t, err := time.Parse("2006.01.02-15.04.05", m[1]); err == nil {
			ms, _ := strconv.Atoi(m[2])
			ev.Time = t.Add(time.Duration(ms) * time.Millisecond)
		}
		s = s[len(m[0]):]
	}
	if m := gameStampRe.FindStringSubmatch(s); m != nil {
		if t, err := time.Parse("2006.01.02_15.04.05", m[1]); err == nil {
			ev.Time = t
		}
		s = s[len(m[0]):]
	}
	ev.Text = s
	chatName, chatChar, chatText, isChat := splitChat(s)

	switch {
	case strings.HasPrefix(s, "SERVER: ") || s == "SERVER:":
		ev.Kind, ev.Text = EventServerChat, strings.TrimPrefix(strings.TrimPrefix(s, "SERVER:"), " ")
	case strings.HasPrefix(s, "AdminCmd: "):
		ev.Kind = EventAdmin
		if m := adminRe.FindStringSubmatch(s); m != nil {
			ev.Text, ev.Name, ev.EOSID = m[1], m[2], strings.ToLower(m[4])
			ev.ARKID, _ = strconv.ParseInt(m[3], 10, 64)
		} else {
			ev.Text = strings.TrimPrefix(s, "AdminCmd: ")
		}
	case strings.HasPrefix(s, "Tribe "):
		if m := tribeRe.FindStringSubmatch(s); m != nil {
			ev.Kind, ev.Tribe = EventTribe, m[1]
			ev.TribeID, _ = strconv.ParseInt(m[2], 10, 64)
			ev.Day, _ = strconv.Atoi(m[3])
			ev.Clock, ev.Text = m[4], cleanTribeText(m[5])
		} else if m := tribeTameRe.FindStringSubmatch(s); m != nil {
			ev.Kind, ev.Tribe, ev.Text = EventTribe, m[1], cleanTribeText(m[2])
		} else if isChat {
			setChat(&ev, chatName, chatChar, chatText)
		}
	case dayRe.MatchString(s):
		m := dayRe.FindStringSubmatch(s)
		ev.Kind = EventTribe
		ev.Day, _ = strconv.Atoi(m[1])
		ev.Clock, ev.Text = m[2], cleanTribeText(m[3])
	case joinRe.MatchString(s):
		m := joinRe.FindStringSubmatch(s)
		if isChat && strings.Contains(m[1], "): ") {
			// Someone typed a join notice into chat.
			setChat(&ev, chatName, chatChar, chatText)
			break
		}
		ev.Kind = joinKind(m[4])
		ev.Name, ev.EOSID, ev.Platform = m[1], strings.ToLower(m[2]), m[3]
	case isChat:
		setChat(&ev, chatName, chatChar, chatText)
	case joinIDRe.MatchString(s):
		m := joinIDRe.FindStringSubmatch(s)
		ev.Kind, ev.Name = joinKind(m[3]), m[1]
		ev.ARKID, _ = strconv.ParseInt(m[2], 10, 64)
	case joinPlainRe.MatchString(s) && !strings.Contains(s, "[UniqueNetId:"):
		m := joinPlainRe.FindStringSubmatch(s)
		ev.Kind, ev.Name = joinKind(m[2]), m[1]
	case strings.HasPrefix(s, "World Save Complete"):
		ev.Kind = EventSave
	case strings.HasPrefix(s, "Server has completed startup"):
		ev.Kind = EventStartup
	}
	if ev.Kind == EventTribe {
		ev.TribeKind = classifyTribe(ev.Text)
	}
	return ev
}

func joinKind(verb string) EventKind {
	if verb == "joined" {
		return EventJoin
	}
	return EventLeave
}

func setChat(ev *LogEvent, name, char, text string) {
	ev.Kind, ev.Name, ev.Character, ev.Text = EventChat, name, char, text
}

// splitChat splits "Name (Character): text" at the first "): " and the last
// " (" before it, so names may contain parentheses and text may contain "): ".
func splitChat(s string) (name, char, text string, ok bool) {
	end := strings.Index(s, "): ")
	if end < 0 {
		if !strings.HasSuffix(s, "):") {
			return "", "", "", false
		}
		end = len(s) - 2 // empty message
	}
	open := strings.LastIndex(s[:end], " (")
	if open <= 0 || open+2 > end {
		return "", "", "", false
	}
	name, char = s[:open], s[open+2:end]
	if char == "" {
		return "", "", "", false
	}
	if end+3 <= len(s) {
		text = s[end+3:]
	}
	return name, char, text, true
}

// cleanTribeText strips RichColor tags and the unbalanced trailing ')' ARK
// appends to tribe-log lines in the server log.
func cleanTribeText(s string) string {
	s = strings.TrimSpace(richColorRe.ReplaceAllString(s, ""))
	if strings.HasSuffix(s, ")") && strings.Count(s, ")") > strings.Count(s, "(") {
		s = s[:len(s)-1]
	}
	return s
}

func classifyTribe(msg string) TribeEventKind {
	switch {
	case strings.Contains(msg, "Your Tribe killed"):
		return TribeKill
	case strings.Contains(msg, "was killed") || strings.Contains(msg, "starved to death"):
		return TribeDeath
	case strings.Contains(msg, "Tamed a"):
		return TribeTame
	case strings.Contains(msg, "destroyed") || strings.Contains(msg, "demolished a"):
		return TribeDestroyed
	case strings.Contains(msg, "was added to the Tribe") || strings.Contains(msg, "was removed from the Tribe") ||
		strings.Contains(msg, "was promoted to") || strings.Contains(msg, "was demoted from") ||
		strings.Contains(msg, "set to Rank Group"):
		return TribeMembership
	default:
		return TribeOther
	}
}
