package rcon

import (
	"errors"
	"fmt"
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
	Class     Class  // fine-grained kind (classify.go); Kind is derived from it
	Stamp     string // game-log stamp "YYYY.MM.DD_HH.MM.SS" as written, "" if none (dedupe key)
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
