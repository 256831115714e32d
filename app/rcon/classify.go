package rcon

import (
	"strconv"
	"strings"
	"time"
)

// This file is THE log-line classifier of Bliss (one for GetChat,
// GetGameLog and ShooterGame.log): every consumer (chat bridge, log feed,
// play sessions, link-code verification) goes through ParseLogLine.
//
// It is table-driven and first match wins. The order follows
// nitrado-rcon-logs-addendum.md §1.2–§1.3 and nitrado-rcon-logs.md §4.2:
//
//  1. echo      "SERVER: …" (our own ServerChat; never relayed)
//  2. admin     "AdminCmd: …"
//  3. presence  "<name> [UniqueNetId:<hex> Platform:<p>] joined|left this ARK!"
//     (a chat line that merely quotes one is chat)
//  4. tribe     "Tribe <T>, ID <n>: Day D, hh:mm:ss: <msg>", "Tribe <T> Tamed a…",
//     "Day D, hh:mm:ss: <msg>"; the body is sub-classified by tribeRules
//  5. chat      "<account> (<character>): <text>" — after the prefixed
//     forms, because its shape also matches some of them
//  6. presence  legacy "<name> ID <n> joined…" / "<name> joined this ARK!"
//  7. tribe     un-prefixed tribe-log bodies that GetChat carries
//     (RichColor, "Tamed a", "was killed", "froze", "added to the Tribe")
//  8. lifecycle start / save / log open
//
// No regular expressions: every rule is a prefix/suffix/substring test plus
// hand-written field extraction, so a line costs a few hundred nanoseconds.

// Class is the fine-grained kind of a log line; Kind (EventKind) is the
// coarse one kept for older callers. Route maps a Class to a log channel.
type Class uint8

// Classes, in no particular order (the order of the rules is in the tables).
const (
	ClassOther Class = iota
	ClassEcho        // "SERVER: text": ServerChat output, incl. our own relays
	ClassChat        // player chat
	ClassAdmin       // AdminCmd
	ClassJoin
	ClassLeave
	ClassTamed
	ClassClaimed
	ClassUnclaimed
	ClassFroze    // "<player> froze <dino>" (cryopod)
	ClassFrozenBy // "Frozen by ID: <n>" continuation of ClassFroze
	ClassTribeKill
	ClassTribeDeath // a member or a tribe dino was killed / starved
	ClassDestroyed  // "destroyed your/their '…'", "was destroyed!"
	ClassDemolished
	ClassAutoDecay
	ClassMembership // added to / removed from the tribe
	ClassRank       // promoted / demoted / rank group
	ClassTransfer   // uploaded / downloaded
	ClassAlliance
	ClassTribeOther
	ClassDeath   // kill-feed line without a tribe prefix
	ClassStartup // "Server has completed startup…", "has successfully started!"
	ClassSave    // "World Save Complete…"
	ClassLogOpen // "Log file open/closed, …" (a game-server restart)
	numClasses
)

var classNames = [numClasses]string{
	"other", "echo", "chat", "admin", "join", "leave", "tamed", "claimed", "unclaimed", "froze", "frozen_by",
	"tribe_kill", "tribe_death", "destroyed", "demolished", "auto_decay", "membership", "rank", "transfer",
	"alliance", "tribe_other", "death", "startup", "save", "log_open",
}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Classes lists every class (for metrics labels and tests).
func Classes() []Class {
	out := make([]Class, numClasses)
	for i := range out {
		out[i] = Class(i)
	}
	return out
}

// Tribe reports whether c is a tribe-log class.
func (c Class) Tribe() bool { return c >= ClassTamed && c <= ClassTribeOther }

// Route is the log channel kind (bots.LogKinds vocabulary) a class is
// posted to: "chat", "join", "admin", "tribe", "deaths"; "" = not posted
// (our own echo, noise).
func (c Class) Route() string {
	switch {
	case c == ClassChat:
		return "chat"
	case c == ClassJoin || c == ClassLeave:
		return "join"
	case c == ClassAdmin || c == ClassStartup || c == ClassSave || c == ClassLogOpen:
		return "admin"
	case c == ClassTribeKill || c == ClassTribeDeath || c == ClassDeath:
		return "deaths"
	case c.Tribe():
		return "tribe"
	}
	return ""
}

// lineRule is one row of the top-level table. Rules are dispatched by a
// switch (applyRule), not through func values, so the LogEvent being
// filled stays on the caller's stack.
type lineRule uint8

const (
	ruleEchoID lineRule = iota
	ruleAdminID
	rulePresenceID
	ruleTribeID
	ruleChatID
	rulePresenceLegacyID
	ruleTribeBodyID
	ruleLifecycleID
)

// lineRules: first match wins (see the file comment for why this order).
var lineRules = [...]lineRule{
	ruleEchoID, ruleAdminID, rulePresenceID, ruleTribeID, ruleChatID, rulePresenceLegacyID, ruleTribeBodyID, ruleLifecycleID,
}

func applyRule(r lineRule, ev *LogEvent, s string) bool {
	switch r {
	case ruleEchoID:
		return ruleEcho(ev, s)
	case ruleAdminID:
		return ruleAdmin(ev, s)
	case rulePresenceID:
		return rulePresence(ev, s)
	case ruleTribeID:
		return ruleTribePrefixed(ev, s)
	case ruleChatID:
		return ruleChat(ev, s)
	case rulePresenceLegacyID:
		return rulePresenceLegacy(ev, s)
	case ruleTribeBodyID:
		return ruleTribeBody(ev, s)
	case ruleLifecycleID:
		return ruleLifecycle(ev, s)
	}
	return false
}

// tribeRule sub-classifies a tribe-log body by a keyword.
type tribeRule struct {
	contains string
	class    Class
}

// tribeGroup is a set of rules that share an anchor word: the rules are
// only tried when the body contains the anchor (one substring search
// rules out a whole group).
type tribeGroup struct {
	anchor string
	rules  []tribeRule
}

// tribeRules: first match wins, groups in order and rules in order;
// "unclaimed" before "claimed", "auto-decay destroyed" before "destroyed",
// "destroyed their" before "destroyed your" (addendum §1.3), kills before
// deaths.
var tribeRules = []tribeGroup{
	{"Frozen by ID:", []tribeRule{{"Frozen by ID:", ClassFrozenBy}}},
	{"killed", []tribeRule{{"Your Tribe killed", ClassTribeKill}, {"was killed", ClassTribeDeath}}},
	{"starved to death", []tribeRule{{"starved to death", ClassTribeDeath}}},
	{"claimed '", []tribeRule{{" unclaimed '", ClassUnclaimed}, {" claimed '", ClassClaimed}}},
	{"destroyed", []tribeRule{{"was auto-decay destroyed", ClassAutoDecay}, {"destroyed their '", ClassDestroyed},
		{"destroyed your '", ClassDestroyed}, {"was destroyed!", ClassDestroyed}, {"Anti-meshing destroyed", ClassDestroyed}}},
	{" demolished a '", []tribeRule{{" demolished a '", ClassDemolished}}},
	{" froze ", []tribeRule{{" froze ", ClassFroze}}},
	{"Tamed a", []tribeRule{{"Tamed a", ClassTamed}}},
	{" the Tribe", []tribeRule{{"was added to the Tribe", ClassMembership}, {"was removed from the Tribe", ClassMembership}}},
	{" was ", []tribeRule{{"was promoted to", ClassRank}, {"was demoted from", ClassRank}}},
	{"set to Rank Group", []tribeRule{{"set to Rank Group", ClassRank}}},
	{"loaded a", []tribeRule{{" uploaded a", ClassTransfer}, {" downloaded a", ClassTransfer}}},
	{"requested an Alliance", []tribeRule{{"requested an Alliance", ClassAlliance}}},
}

// tribeBodyMarkers identify un-prefixed tribe-log bodies in GetChat
// (addendum §1.1); only tried on lines without the chat shape.
// ClassifyTribe then decides; a marker hit that ClassifyTribe does not
// recognise is a tribe line only with RichColor.
var tribeBodyMarkers = []string{"<RichColor", "killed", "Tamed a", "froze ", "the Tribe", "Frozen by ID:",
	"destroyed", "demolished a '", "starved to death", "claimed '"}

// ClassifyTribe sub-classifies a tribe-log message body.
func ClassifyTribe(msg string) Class {
	for _, g := range tribeRules {
		if !strings.Contains(msg, g.anchor) {
			continue
		}
		for _, r := range g.rules {
			if len(g.rules) == 1 || strings.Contains(msg, r.contains) {
				return r.class
			}
		}
	}
	return ClassTribeOther
}

// ParseLogLine classifies and parses one game-log or GetChat line (with or
// without the ShooterGame.log bracket prefix and the game-log stamp). It
// never fails and never panics; unknown shapes are EventOther/ClassOther.
func ParseLogLine(raw string) LogEvent {
	ev := LogEvent{Raw: raw}
	s := strings.TrimPrefix(strings.TrimRight(raw, "\r\n"), "\ufeff")
	if t, n, ok := bracketStamp(s); ok {
		ev.Time, s = t, s[n:]
	}
	if t, n, ok := gameStamp(s); ok {
		ev.Time, ev.Stamp, s = t, s[:19], s[n:]
	} else if t, n, ok := bracketGameStamp(s); ok { // "[YYYY.MM.DD-HH.MM.SS]: " (addendum §1.4)
		ev.Time, ev.Stamp, s = t, strings.Replace(s[1:20], "-", "_", 1), s[n:]
	}
	ev.Text = s
	for _, r := range lineRules {
		if applyRule(r, &ev, s) {
			break
		}
	}
	ev.Kind = coarse(ev.Class)
	if ev.Kind == EventTribe {
		ev.TribeKind = tribeKindOf(ev.Class)
	}
	return ev
}

func coarse(c Class) EventKind {
	switch {
	case c == ClassEcho:
		return EventServerChat
	case c == ClassChat:
		return EventChat
	case c == ClassAdmin:
		return EventAdmin
	case c == ClassJoin:
		return EventJoin
	case c == ClassLeave:
		return EventLeave
	case c.Tribe():
		return EventTribe
	case c == ClassSave:
		return EventSave
	case c == ClassStartup:
		return EventStartup
	}
	return EventOther
}

func tribeKindOf(c Class) TribeEventKind {
	switch c {
	case ClassTamed:
		return TribeTame
	case ClassTribeDeath:
		return TribeDeath
	case ClassTribeKill:
		return TribeKill
	case ClassDestroyed, ClassDemolished, ClassAutoDecay:
		return TribeDestroyed
	case ClassMembership, ClassRank:
		return TribeMembership
	}
	return TribeOther
}

// --- rules ---

func ruleEcho(ev *LogEvent, s string) bool {
	if s != "SERVER:" && !strings.HasPrefix(s, "SERVER: ") {
		return false
	}
	ev.Class, ev.Text = ClassEcho, strings.TrimPrefix(strings.TrimPrefix(s, "SERVER:"), " ")
	return true
}

func ruleAdmin(ev *LogEvent, s string) bool {
	const p = "AdminCmd: "
	if !strings.HasPrefix(s, p) {
		return false
	}
	ev.Class, ev.Text = ClassAdmin, s[len(p):]
	// "<cmd> (PlayerName: <name>, ARKID: <n>, PlatformID|SteamID: <id>)"
	body := s[len(p):]
	if !strings.HasSuffix(body, ")") {
		return true
	}
	i := strings.LastIndex(body, " (PlayerName: ")
	if i <= 0 {
		return true
	}
	rest := body[i+len(" (PlayerName: ") : len(body)-1]
	j := strings.LastIndex(rest, ", ARKID: ")
	if j < 0 {
		return true
	}
	name, rest2 := rest[:j], rest[j+len(", ARKID: "):]
	num, idPart, ok := strings.Cut(rest2, ", ")
	if !ok || !allDigits(num) || name == "" {
		return true
	}
	id, ok := strings.CutPrefix(idPart, "PlatformID: ")
	if !ok {
		id, ok = strings.CutPrefix(idPart, "SteamID: ")
	}
	if !ok || id == "" || !alnum(id) {
		return true
	}
	arkid, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return true
	}
	ev.Text, ev.Name, ev.ARKID, ev.EOSID = body[:i], name, arkid, strings.ToLower(id)
	return true
}

func presenceVerb(s string) (rest string, c Class, ok bool) {
	if r, ok := strings.CutSuffix(s, " joined this ARK!"); ok {
		return r, ClassJoin, true
	}
	if r, ok := strings.CutSuffix(s, " left this ARK!"); ok {
		return r, ClassLeave, true
	}
	return "", 0, false
}

func rulePresence(ev *LogEvent, s string) bool {
	rest, c, ok := presenceVerb(s)
	if !ok || !strings.HasSuffix(rest, "]") {
		return false
	}
	i := strings.LastIndex(rest, " [UniqueNetId:")
	if i <= 0 {
		return false
	}
	inner := rest[i+len(" [UniqueNetId:") : len(rest)-1]
	id, plat, ok := strings.Cut(inner, " Platform:")
	if !ok || id == "" || !hex(id) || strings.Contains(plat, "]") {
		return false
	}
	name := rest[:i]
	if strings.Contains(name, "): ") {
		if _, _, _, isChat := splitChat(s); isChat {
			return false // someone typed a join notice into chat
		}
	}
	ev.Class, ev.Name, ev.EOSID, ev.Platform = c, name, strings.ToLower(id), plat
	return true
}

func rulePresenceLegacy(ev *LogEvent, s string) bool {
	rest, c, ok := presenceVerb(s)
	if !ok || rest == "" || strings.Contains(s, "[UniqueNetId:") {
		return false
	}
	if i := strings.LastIndex(rest, " ID "); i > 0 && allDigits(rest[i+4:]) {
		if n, err := strconv.ParseInt(rest[i+4:], 10, 64); err == nil {
			ev.Class, ev.Name, ev.ARKID = c, rest[:i], n
			return true
		}
	}
	ev.Class, ev.Name = c, rest
	return true
}

func ruleTribePrefixed(ev *LogEvent, s string) bool {
	if strings.HasPrefix(s, "Tribe ") {
		// "Tribe <T>, ID <n>: Day D, hh:mm:ss: <msg>"
		body := s[len("Tribe "):]
		for off := 0; ; {
			k := strings.Index(body[off:], ", ID ")
			if k < 0 {
				break
			}
			k += off
			name, after := body[:k], body[k+len(", ID "):]
			num, msg, ok := strings.Cut(after, ": ")
			if ok && name != "" && allDigits(num) {
				if day, clock, text, ok := dayForm(msg); ok {
					id, err := strconv.ParseInt(num, 10, 64)
					if err == nil {
						ev.Tribe, ev.TribeID, ev.Day, ev.Clock = name, id, day, clock
						setTribe(ev, text)
						return true
					}
				}
			}
			off = k + 1
		}
		// "Tribe <T> Tamed a(n) …" (global tame form)
		if i := strings.Index(body, " Tamed a"); i > 0 {
			rest := body[i+1:]
			if strings.HasPrefix(rest, "Tamed a ") || strings.HasPrefix(rest, "Tamed an ") {
				ev.Tribe = body[:i]
				setTribe(ev, rest)
				return true
			}
		}
		return false
	}
	if day, clock, text, ok := dayForm(s); ok {
		ev.Day, ev.Clock = day, clock
		setTribe(ev, text)
		return true
	}
	return false
}

func setTribe(ev *LogEvent, text string) {
	ev.Text = cleanTribeText(text)
	ev.Class = ClassifyTribe(ev.Text)
}

// dayForm parses "Day D, hh:mm:ss: <msg>".
func dayForm(s string) (day int, clock, msg string, ok bool) {
	if !strings.HasPrefix(s, "Day ") {
		return 0, "", "", false
	}
	d, rest, ok := strings.Cut(s[4:], ", ")
	if !ok || !allDigits(d) || len(d) > 9 || len(rest) < 10 {
		return 0, "", "", false
	}
	c := rest[:8]
	if !isClock(c) || rest[8:10] != ": " {
		return 0, "", "", false
	}
	n, _ := strconv.Atoi(d)
	return n, c, rest[10:], rest[10:] != ""
}

func isClock(c string) bool {
	return len(c) == 8 && digit(c[0]) && digit(c[1]) && c[2] == ':' && digit(c[3]) && digit(c[4]) &&
		c[5] == ':' && digit(c[6]) && digit(c[7])
}

func ruleChat(ev *LogEvent, s string) bool {
	name, char, text, ok := splitChat(s)
	if !ok {
		return false
	}
	ev.Class, ev.Name, ev.Character, ev.Text = ClassChat, name, char, text
	return true
}

func ruleTribeBody(ev *LogEvent, s string) bool {
	for _, m := range tribeBodyMarkers {
		if strings.Contains(s, m) {
			setTribe(ev, s)
			if ev.Class == ClassTribeOther && !strings.Contains(s, "<RichColor") {
				ev.Class, ev.Text = ClassOther, s
				return false
			}
			if ev.Class == ClassTribeDeath && !strings.HasPrefix(ev.Text, "Your ") && !strings.HasPrefix(ev.Text, "Tribemember ") {
				ev.Class = ClassDeath // a kill-feed line, not a tribe's own log
			}
			return true
		}
	}
	return false
}

func ruleLifecycle(ev *LogEvent, s string) bool {
	switch {
	case strings.HasPrefix(s, "World Save Complete"):
		ev.Class = ClassSave
	case strings.HasPrefix(s, "Server has completed startup"),
		strings.HasPrefix(s, "Server: \"") && strings.HasSuffix(s, "\" has successfully started!"):
		ev.Class = ClassStartup
	case strings.HasPrefix(s, "Log file open, "), strings.HasPrefix(s, "Log file closed, "):
		ev.Class = ClassLogOpen
	default:
		return false
	}
	return true
}

// --- field helpers ---

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
	if strings.Contains(s, "<RichColor") || strings.Contains(s, "</>") {
		s = stripRichColor(s)
	}
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ")") && strings.Count(s, ")") > strings.Count(s, "(") {
		s = s[:len(s)-1]
	}
	return s
}

func stripRichColor(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "</>"):
			s = s[3:]
		case strings.HasPrefix(s, "<RichColor"):
			if j := strings.IndexByte(s, '>'); j >= 0 {
				s = s[j+1:]
			} else {
				s = ""
			}
		default:
			b.WriteByte('<')
			s = s[1:]
		}
	}
	return b.String()
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !digit(s[i]) {
			return false
		}
	}
	return true
}

func hex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !digit(c) && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !digit(c) && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// num2 parses two ASCII digits.
func num2(s string) (int, bool) {
	if len(s) < 2 || !digit(s[0]) || !digit(s[1]) {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// stampAt parses "YYYY.MM.DD?HH.MM.SS" (sep at index 10) without time.Parse.
func stampAt(s string, sep byte) (time.Time, bool) {
	if len(s) < 19 || s[4] != '.' || s[7] != '.' || s[10] != sep || s[13] != '.' || s[16] != '.' {
		return time.Time{}, false
	}
	y1, ok1 := num2(s[0:2])
	y2, ok2 := num2(s[2:4])
	mo, ok3 := num2(s[5:7])
	d, ok4 := num2(s[8:10])
	h, ok5 := num2(s[11:13])
	mi, ok6 := num2(s[14:16])
	se, ok7 := num2(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 {
		return time.Time{}, false
	}
	return time.Date(y1*100+y2, time.Month(mo), d, h, mi, se, 0, time.UTC), true
}

// bracketStamp parses the ShooterGame.log prefix "[YYYY.MM.DD-HH.MM.SS:mmm][ fff]".
func bracketStamp(s string) (time.Time, int, bool) {
	if len(s) < 26 || s[0] != '[' || s[20] != ':' || s[24] != ']' || s[25] != '[' {
		return time.Time{}, 0, false
	}
	t, ok := stampAt(s[1:], '-')
	if !ok || !digit(s[21]) || !digit(s[22]) || !digit(s[23]) {
		return time.Time{}, 0, false
	}
	ms := int(s[21]-'0')*100 + int(s[22]-'0')*10 + int(s[23]-'0')
	end := strings.IndexByte(s[26:], ']')
	if end < 0 {
		return time.Time{}, 0, false
	}
	frame := strings.TrimLeft(s[26:26+end], " ")
	if !allDigits(frame) {
		return time.Time{}, 0, false
	}
	return t.Add(time.Duration(ms) * time.Millisecond), 26 + end + 1, true
}

// gameStamp parses the game-log stamp "YYYY.MM.DD_HH.MM.SS: ".
func gameStamp(s string) (time.Time, int, bool) {
	if len(s) < 21 || s[19] != ':' || s[20] != ' ' {
		return time.Time{}, 0, false
	}
	t, ok := stampAt(s, '_')
	return t, 21, ok
}

// bracketGameStamp parses "[YYYY.MM.DD-HH.MM.SS]: ".
func bracketGameStamp(s string) (time.Time, int, bool) {
	if len(s) < 23 || s[0] != '[' || s[20] != ']' || s[21] != ':' || s[22] != ' ' {
		return time.Time{}, 0, false
	}
	t, ok := stampAt(s[1:], '-')
	return t, 23, ok
}
