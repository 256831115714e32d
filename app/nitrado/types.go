package nitrado

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // task timezones resolve on a host without /usr/share/zoneinfo
)

// Time is a Nitrado timestamp. Nitrado sends "2006-01-02T15:04:05" without a
// zone; it is read as UTC (UNCERTAIN upstream). RFC 3339 strings and unix
// seconds are accepted too; null, "" and unparseable values give the zero
// time rather than failing the whole response.
type Time struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = parseTime(b, time.UTC)
	return nil
}

// parseTime reads a Nitrado timestamp: unix seconds (a number or a numeric
// string; values past 10^12 are taken as milliseconds), an RFC 3339 string,
// or a zone-less "2006-01-02T15:04:05" / "2006-01-02 15:04:05" /
// "2006-01-02" read in loc. null, "", non-positive numbers and anything
// else give the zero time.
func parseTime(b []byte, loc *time.Location) time.Time {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return time.Time{}
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return time.Time{}
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}
		}
	}
	if c := s[0]; c == '-' || c == '+' || (c >= '0' && c <= '9') {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return unixAny(n)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1<<62 {
			return unixAny(int64(f))
		}
	}
	if b[0] != '"' {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if v, err := time.ParseInLocation(layout, s, loc); err == nil {
			return v.UTC()
		}
	}
	return time.Time{}
}

// unixAny is unix seconds, or milliseconds when n is past 10^12 (year
// 33658 in seconds); zero for n <= 0.
func unixAny(n int64) time.Time {
	switch {
	case n <= 0:
		return time.Time{}
	case n >= 1e12:
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// flexInt accepts a JSON number, a numeric string or null.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	*n = 0
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %.40q", s)
	}
	*n = flexInt(f)
	return nil
}

// SettingValue is one gameserver setting. Nitrado sends strings; numbers and
// booleans are kept as their JSON text, null as "".
type SettingValue string

// UnmarshalJSON implements json.Unmarshaler.
func (v *SettingValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*v = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = SettingValue(s)
	default:
		*v = SettingValue(b)
	}
	return nil
}

// Settings is the gameserver settings tree: category → key → value. It holds
// passwords in clear text, so fmt and slog print only its size.
type Settings map[string]map[string]SettingValue

// UnmarshalJSON tolerates PHP-style empty arrays ([]) for the tree and for
// categories, and skips categories that are not objects.
func (s *Settings) UnmarshalJSON(b []byte) error {
	*s = nil
	if emptyJSON(b) {
		return nil
	}
	var cats map[string]json.RawMessage
	if err := json.Unmarshal(b, &cats); err != nil {
		return err
	}
	out := make(Settings, len(cats))
	for name, raw := range cats {
		var kv map[string]SettingValue
		if emptyJSON(raw) || json.Unmarshal(raw, &kv) != nil {
			kv = map[string]SettingValue{}
		}
		out[name] = kv
	}
	*s = out
	return nil
}

// emptyJSON reports null, "" or an array, which PHP sends for empty objects.
func emptyJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null" || b[0] == '['
}

// Get returns settings[category][key] or "".
func (s Settings) Get(category, key string) string { return string(s[category][key]) }

// String hides the values.
func (s Settings) String() string { return fmt.Sprintf("nitrado.Settings{%d categories}", len(s)) }

// GoString hides the values.
func (s Settings) GoString() string { return s.String() }

// LogValue hides the values.
func (s Settings) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Service is one entry of GET /services.
type Service struct {
	ID           int64          `json:"id"`
	LocationID   int64          `json:"location_id"`
	Status       string         `json:"status"` // active, installing, suspended, adminlocked, adminlocked_suspended
	UserID       int64          `json:"user_id"`
	Comment      string         `json:"comment"`
	Type         string         `json:"type"`     // "gameserver"
	SubType      string         `json:"sub_type"` // "public"
	TypeHuman    string         `json:"type_human"`
	Details      ServiceDetails `json:"details"`
	StartDate    Time           `json:"start_date"`
	SuspendDate  Time           `json:"suspend_date"`
	DeleteDate   Time           `json:"delete_date"`
	SuspendingIn int64          `json:"suspending_in"` // seconds
	DeletingIn   int64          `json:"deleting_in"`   // seconds
	Username     string         `json:"username"`
	Roles        []string       `json:"roles"`
}

// ServiceDetails is Service.details.
type ServiceDetails struct {
	Address       string `json:"address"` // "ip:port"
	Name          string `json:"name"`
	Game          string `json:"game"`           // human readable
	PortlistShort string `json:"portlist_short"` // "arksa" for ASA
	FolderShort   string `json:"folder_short"`
	Slots         int    `json:"slots"`
}

// IsGameserver reports Type == "gameserver".
func (s Service) IsGameserver() bool { return s.Type == "gameserver" }

// IsASA reports whether the service is an ARK: Survival Ascended gameserver.
func (s Service) IsASA() bool { return s.IsGameserver() && s.Details.PortlistShort == "arksa" }

// Gameserver is data.gameserver of GET /services/{id}/gameservers, reduced to
// the fields Bliss uses. Settings holds the whole settings tree.
type Gameserver struct {
	ServiceID        int64        `json:"service_id"`
	Status           string       `json:"status"` // started, stopped, stopping, restarting, starting, updating, suspended, guardian_locked, gs_installation, backup_restore, backup_creation, chunkfix
	MustBeStarted    bool         `json:"must_be_started"`
	LastStatusChange int64        `json:"last_status_change"`
	Username         string       `json:"username"`
	UserID           int64        `json:"user_id"`
	LocationID       int64        `json:"location_id"`
	IP               string       `json:"ip"`
	IPv6             string       `json:"ipv6"`
	Port             int          `json:"port"`
	QueryPort        int          `json:"query_port"`
	RCONPort         int          `json:"rcon_port"`
	Label            string       `json:"label"`
	Type             string       `json:"type"`
	Memory           string       `json:"memory"`
	MemoryMB         int          `json:"memory_mb"`
	Game             string       `json:"game"` // "arksa" for ASA
	GameHuman        string       `json:"game_human"`
	Slots            int          `json:"slots"`
	Location         string       `json:"location"`
	GameSpecific     GameSpecific `json:"game_specific"`
	Settings         Settings     `json:"settings"`
	Query            Query        `json:"query"`
}

// GameSpecific is gameserver.game_specific.
type GameSpecific struct {
	Path          string   `json:"path"` // e.g. "/games/ni1_1/ftproot/arksa/"
	UpdateStatus  string   `json:"update_status"`
	LastUpdate    Time     `json:"last_update"`
	PathAvailable bool     `json:"path_available"`
	Features      Features `json:"features"`
	LogFiles      []string `json:"log_files"`
	ConfigFiles   []string `json:"config_files"`
}

// Features is game_specific.features (has_rcon, has_file_browser, ...).
type Features map[string]bool

// UnmarshalJSON tolerates [] and non-boolean values (read as false).
func (f *Features) UnmarshalJSON(b []byte) error {
	*f = nil
	if emptyJSON(b) {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Features, len(raw))
	for k, v := range raw {
		var on bool
		if json.Unmarshal(v, &on) != nil {
			s := strings.Trim(string(v), `"`)
			on = s == "1" || s == "true"
		}
		out[k] = on
	}
	*f = out
	return nil
}

// Query is gameserver.query (the game's own server query).
type Query struct {
	ServerName    string   `json:"server_name"`
	ConnectIP     string   `json:"connect_ip"`
	Map           string   `json:"map"`
	Version       string   `json:"version"`
	PlayerCurrent int      `json:"player_current"`
	PlayerMax     int      `json:"player_max"`
	Players       []Player `json:"players"` // usually empty for ASA (EOS); use RCON ListPlayers
}

// Player is one gameserver.query.players entry.
type Player struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Bot    bool   `json:"bot"`
	Score  int    `json:"score"`
	Frags  int    `json:"frags"`
	Deaths int    `json:"deaths"`
	Time   int    `json:"time"`
	Ping   int    `json:"ping"`
}

// UnmarshalJSON tolerates numbers sent as strings (ports, slots, counts).
func (g *Gameserver) UnmarshalJSON(b []byte) error {
	type plain Gameserver
	var aux struct {
		*plain
		ServiceID     flexInt `json:"service_id"`
		Port          flexInt `json:"port"`
		QueryPort     flexInt `json:"query_port"`
		RCONPort      flexInt `json:"rcon_port"`
		Slots         flexInt `json:"slots"`
		MemoryMB      flexInt `json:"memory_mb"`
		LastStatusChg flexInt `json:"last_status_change"`
		UserID        flexInt `json:"user_id"`
		LocationID    flexInt `json:"location_id"`
	}
	aux.plain = (*plain)(g)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	g.ServiceID, g.Port, g.QueryPort, g.RCONPort = int64(aux.ServiceID), int(aux.Port), int(aux.QueryPort), int(aux.RCONPort)
	g.Slots, g.MemoryMB, g.LastStatusChange = int(aux.Slots), int(aux.MemoryMB), int64(aux.LastStatusChg)
	g.UserID, g.LocationID = int64(aux.UserID), int64(aux.LocationID)
	return nil
}

// UnmarshalJSON tolerates numbers sent as strings.
func (q *Query) UnmarshalJSON(b []byte) error {
	type plain Query
	var aux struct {
		*plain
		PlayerCurrent flexInt `json:"player_current"`
		PlayerMax     flexInt `json:"player_max"`
	}
	*q = Query{}
	if emptyJSON(b) { // Nitrado sends [] while the server is offline
		return nil
	}
	aux.plain = (*plain)(q)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	q.PlayerCurrent, q.PlayerMax = int(aux.PlayerCurrent), int(aux.PlayerMax)
	return nil
}

// UnmarshalJSON accepts a numeric or string id.
func (p *Player) UnmarshalJSON(b []byte) error {
	type plain Player
	var aux struct {
		*plain
		ID json.RawMessage `json:"id"`
	}
	aux.plain = (*plain)(p)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var sv SettingValue
	if len(aux.ID) > 0 {
		if err := sv.UnmarshalJSON(aux.ID); err != nil {
			return err
		}
	}
	p.ID = string(sv)
	return nil
}

// RCONPassword is settings.config["current-admin-password"] (what ASA bots
// use), falling back to settings.config["admin-password"].
func (g *Gameserver) RCONPassword() Secret {
	if p := g.Settings.Get("config", "current-admin-password"); p != "" {
		return Secret(p)
	}
	return Secret(g.Settings.Get("config", "admin-password"))
}

// RCONAddr is ip:rcon_port, or "" when either is unknown.
func (g *Gameserver) RCONAddr() string {
	if g.IP == "" || g.RCONPort <= 0 {
		return ""
	}
	return net.JoinHostPort(g.IP, strconv.Itoa(g.RCONPort))
}

// MapName is settings.config.map normalised ("Mod:988598:Astraeos_WP" →
// "Astraeos_WP", ASE comma lists → last entry), falling back to query.map.
func (g *Gameserver) MapName() string {
	m := strings.TrimSpace(g.Settings.Get("config", "map"))
	if i := strings.LastIndexByte(m, ','); i >= 0 {
		m = strings.TrimSpace(m[i+1:])
	}
	if i := strings.LastIndexByte(m, ':'); i >= 0 {
		m = m[i+1:]
	}
	if m == "" {
		m = g.Query.Map
	}
	return m
}

// GamePath is game_specific.path without the trailing slash, e.g.
// "/games/ni1_1/ftproot/arksa". Logs live under GamePath()+"/ShooterGame/Saved/Logs".
func (g *Gameserver) GamePath() string {
	p := strings.TrimRight(g.GameSpecific.Path, "/")
	if p == "" && g.GameSpecific.Path != "" {
		return "/"
	}
	return p
}

// ServerName is query.server_name, falling back to the label.
func (g *Gameserver) ServerName() string {
	if g.Query.ServerName != "" {
		return g.Query.ServerName
	}
	return g.Label
}

// IsASA reports game == "arksa".
func (g *Gameserver) IsASA() bool { return g.Game == "arksa" }

// ServerDetails is the flat record the server-details cache keeps: all a
// consumer needs to reach a server. RCONPassword redacts itself in fmt/slog
// but is written in clear by encoding/json so the cache can persist it.
type ServerDetails struct {
	ServiceID     int64  `json:"service_id"`
	Name          string `json:"name"`
	Map           string `json:"map"`
	Status        string `json:"status"`
	Game          string `json:"game"`
	IP            string `json:"ip"`
	Port          int    `json:"port"`
	QueryPort     int    `json:"query_port"`
	RCONPort      int    `json:"rcon_port"`
	RCONPassword  Secret `json:"rcon_password"`
	GamePath      string `json:"game_path"`
	Slots         int    `json:"slots"`
	PlayerCurrent int    `json:"player_current"`
	PlayerMax     int    `json:"player_max"`
	Location      string `json:"location"`
	// DecayMultiplier is the server's PvEStructureDecayPeriodMultiplier
	// (0 when the settings do not set it; see Gameserver.DecayMultiplier).
	DecayMultiplier float64 `json:"decay_multiplier,omitempty"`
}

// RCONAddr is ip:rcon_port, or "" when either is unknown.
func (d ServerDetails) RCONAddr() string {
	if d.IP == "" || d.RCONPort <= 0 {
		return ""
	}
	return net.JoinHostPort(d.IP, strconv.Itoa(d.RCONPort))
}

// Details flattens g for the server-details cache.
func (g *Gameserver) Details() ServerDetails {
	return ServerDetails{
		ServiceID:     g.ServiceID,
		Name:          g.ServerName(),
		Map:           g.MapName(),
		Status:        g.Status,
		Game:          g.Game,
		IP:            g.IP,
		Port:          g.Port,
		QueryPort:     g.QueryPort,
		RCONPort:      g.RCONPort,
		RCONPassword:  g.RCONPassword(),
		GamePath:      g.GamePath(),
		Slots:         g.Slots,
		PlayerCurrent: g.Query.PlayerCurrent,
		PlayerMax:     g.Query.PlayerMax,
		Location:      g.Location,

		DecayMultiplier: g.DecayMultiplier(),
	}
}

// DecayMultiplier is the PvE structure decay multiplier the server runs
// with: the setting PvEStructureDecayPeriodMultiplier wherever Nitrado's
// settings tree holds it (the category differs between setups; the key is
// matched case-insensitively), or 0 when it is absent or not a positive
// number.
func (g *Gameserver) DecayMultiplier() float64 {
	for _, cat := range g.Settings {
		for k, v := range cat {
			if strings.EqualFold(k, "PvEStructureDecayPeriodMultiplier") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil && f > 0 && !math.IsInf(f, 0) {
					return f
				}
			}
		}
	}
	return 0
}

// FileEntry is one entry of the file server listing.
type FileEntry struct {
	Type       string // "file" or "dir"
	Path       string // absolute
	Name       string
	Size       int64 // files only
	Owner      string
	Group      string
	Chmod      string
	CreatedAt  time.Time // zero when unknown
	ModifiedAt time.Time
	AccessedAt time.Time
}

// IsDir reports Type == "dir".
func (f FileEntry) IsDir() bool { return f.Type == "dir" }

// UnmarshalJSON decodes the documented shape (unix-second timestamps).
func (f *FileEntry) UnmarshalJSON(b []byte) error {
	var aux struct {
		Type       string       `json:"type"`
		Path       string       `json:"path"`
		Name       string       `json:"name"`
		Size       flexInt      `json:"size"`
		Owner      string       `json:"owner"`
		Group      string       `json:"group"`
		Chmod      SettingValue `json:"chmod"`
		CreatedAt  flexInt      `json:"created_at"`
		ModifiedAt flexInt      `json:"modified_at"`
		AccessedAt flexInt      `json:"accessed_at"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = FileEntry{
		Type: aux.Type, Path: aux.Path, Name: aux.Name, Size: int64(aux.Size),
		Owner: aux.Owner, Group: aux.Group, Chmod: string(aux.Chmod),
		CreatedAt: unixTime(aux.CreatedAt), ModifiedAt: unixTime(aux.ModifiedAt), AccessedAt: unixTime(aux.AccessedAt),
	}
	return nil
}

func unixTime(n flexInt) time.Time {
	if n <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(n), 0).UTC()
}

// Stats is data.stats of GET .../gameservers/stats (samples every 300 s).
type Stats struct {
	CurrentPlayers []Sample `json:"currentPlayers"`
	MaxPlayers     []Sample `json:"maxPlayers"`
	CPUUsage       []Sample `json:"cpuUsage"`    // percent
	MemoryUsage    []Sample `json:"memoryUsage"` // MB
}

// Sample is one [value, unix_ts] pair. Valid is false when value was null.
type Sample struct {
	Time  time.Time
	Value float64
	Valid bool
}

// UnmarshalJSON decodes [value, unix_ts].
func (s *Sample) UnmarshalJSON(b []byte) error {
	var pair []*float64
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	*s = Sample{}
	if len(pair) != 2 {
		return fmt.Errorf("sample has %d elements, want 2", len(pair))
	}
	if pair[1] != nil {
		s.Time = time.Unix(int64(*pair[1]), 0).UTC()
	}
	if pair[0] != nil {
		s.Value, s.Valid = *pair[0], true
	}
	return nil
}

// BoostPage is one page of GET .../gameservers/boost/history.
type BoostPage struct {
	CurrentPage   int     `json:"current_page"`
	BoostsPerPage int     `json:"boosts_per_page"`
	PageCount     int     `json:"page_count"`
	BoostsCount   int     `json:"boosts_count"`
	Boosts        []Boost `json:"boosts"`
}

// Boost is one donation ("boost") of a Nitrado user to the service.
type Boost struct {
	ID          int64         `json:"id"`
	Username    string        `json:"username"` // Nitrado account name, not the in-game name
	ExtendedFor time.Duration `json:"-"`        // from extended_for (seconds)
	Amount      string        `json:"amount"`   // e.g. "$1.00"
	Message     string        `json:"message"`
	BoostedAt   Time          `json:"boosted_at"`
	Avatar      string        `json:"avatar"`
}

// UnmarshalJSON decodes extended_for seconds into ExtendedFor.
func (x *Boost) UnmarshalJSON(b []byte) error {
	type plain Boost
	var aux struct {
		*plain
		ID          flexInt `json:"id"`
		ExtendedFor flexInt `json:"extended_for"`
	}
	aux.plain = (*plain)(x)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	x.ID = int64(aux.ID)
	x.ExtendedFor = time.Duration(aux.ExtendedFor) * time.Second
	return nil
}

// UnmarshalJSON tolerates numbers sent as strings.
func (p *BoostPage) UnmarshalJSON(b []byte) error {
	type plain BoostPage
	var aux struct {
		*plain
		CurrentPage   flexInt `json:"current_page"`
		BoostsPerPage flexInt `json:"boosts_per_page"`
		PageCount     flexInt `json:"page_count"`
		BoostsCount   flexInt `json:"boosts_count"`
	}
	aux.plain = (*plain)(p)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	p.CurrentPage, p.BoostsPerPage, p.PageCount, p.BoostsCount = int(aux.CurrentPage), int(aux.BoostsPerPage), int(aux.PageCount), int(aux.BoostsCount)
	return nil
}

// LogValue logs the identifying fields only (never settings or passwords).
func (g *Gameserver) LogValue() slog.Value {
	if g == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.Int64("service_id", g.ServiceID), slog.String("status", g.Status), slog.String("game", g.Game),
		slog.String("ip", g.IP), slog.Int("port", g.Port), slog.Int("rcon_port", g.RCONPort),
		slog.String("name", g.ServerName()), slog.String("map", g.MapName()))
}

// LogValue logs every field with the password redacted.
func (d ServerDetails) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("service_id", d.ServiceID), slog.String("name", d.Name), slog.String("map", d.Map),
		slog.String("status", d.Status), slog.String("ip", d.IP), slog.Int("port", d.Port),
		slog.Int("rcon_port", d.RCONPort), slog.String("rcon_password", redacted), slog.String("game_path", d.GamePath))
}

// TaskActionRestart is the action_method of a scheduled restart task, the
// only task action Bliss's docs list for gameservers.
const TaskActionRestart = "game_server_restart"

// RoleScheduledRestartRead is the service role a guest token needs to read
// the scheduled tasks; without it (and without ROLE_OWNER) Nitrado refuses
// GET /services/{id}/tasks with 401 or 403.
const RoleScheduledRestartRead = "ROLE_WEBINTERFACE_SCHEDULED_RESTART_READ"

// Task is one scheduled task of a service (GET /services/{id}/tasks), as
// set up in Nitrado's web interface: a cron-like schedule (Minute, Hour,
// Day, Month, Weekday, each a cron field such as "5", "*", "*/4") in
// Timezone, and the action it runs.
type Task struct {
	ID        int64
	ServiceID int64
	// Status as Nitrado sends it. Observed: "error" (the last run failed;
	// the task stays scheduled). See Enabled.
	Status                            string
	Minute, Hour, Day, Month, Weekday string
	// NextRun and LastRun are zero when Nitrado sends null, nothing, or a
	// value that is no time. Zone-less strings ("2023-03-11T03:05:00") are
	// read in Timezone (they match the cron fields there), UTC when the
	// zone is unknown; unix seconds and RFC 3339 strings are absolute.
	NextRun, LastRun time.Time
	Timezone         string // IANA name, e.g. "Europe/Berlin"; "" unknown
	ActionMethod     string // e.g. TaskActionRestart
	// ActionData is the action's parameters as JSON ("null" mostly).
	ActionData json.RawMessage
}

// IsRestart reports ActionMethod == TaskActionRestart.
func (t Task) IsRestart() bool { return t.ActionMethod == TaskActionRestart }

// Enabled reports whether the task is still scheduled: every status but
// one that says it is switched off (disabled, inactive, paused,
// deactivated). Nitrado does not document the status values; "error" only
// means the last run failed.
func (t Task) Enabled() bool {
	switch strings.ToLower(strings.TrimSpace(t.Status)) {
	case "disabled", "inactive", "paused", "deactivated", "deleted":
		return false
	}
	return true
}

// Next is when the task runs next after now: NextRun when it is after now;
// otherwise (Nitrado's next run is unknown or already past) the first
// minute after now that the cron fields match in Timezone (UTC when the
// zone is unknown); the zero time when the fields are not understood or
// never match.
func (t Task) Next(now time.Time) time.Time {
	if t.NextRun.After(now) {
		return t.NextRun
	}
	c, ok := parseCron(t.Minute, t.Hour, t.Day, t.Month, t.Weekday)
	if !ok {
		return time.Time{}
	}
	return c.next(now, taskLocation(t.Timezone))
}

// taskLocation is the task's zone, UTC when unknown.
func taskLocation(tz string) *time.Location {
	if tz != "" && len(tz) < 64 {
		if l, err := time.LoadLocation(tz); err == nil {
			return l
		}
	}
	return time.UTC
}

// UnmarshalJSON decodes one task, tolerating numbers sent as strings (and
// cron fields sent as numbers), unknown fields and unparseable times.
func (t *Task) UnmarshalJSON(b []byte) error {
	var aux struct {
		ID           flexInt         `json:"id"`
		ServiceID    flexInt         `json:"service_id"`
		Status       SettingValue    `json:"status"`
		Minute       SettingValue    `json:"minute"`
		Hour         SettingValue    `json:"hour"`
		Day          SettingValue    `json:"day"`
		Month        SettingValue    `json:"month"`
		Weekday      SettingValue    `json:"weekday"`
		NextRun      json.RawMessage `json:"next_run"`
		LastRun      json.RawMessage `json:"last_run"`
		Timezone     SettingValue    `json:"timezone"`
		ActionMethod SettingValue    `json:"action_method"`
		ActionData   json.RawMessage `json:"action_data"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	tz := strings.TrimSpace(string(aux.Timezone))
	loc := taskLocation(tz)
	*t = Task{
		ID: int64(aux.ID), ServiceID: int64(aux.ServiceID), Status: string(aux.Status),
		Minute: string(aux.Minute), Hour: string(aux.Hour), Day: string(aux.Day),
		Month: string(aux.Month), Weekday: string(aux.Weekday),
		NextRun: parseTime(aux.NextRun, loc), LastRun: parseTime(aux.LastRun, loc),
		Timezone: tz, ActionMethod: strings.TrimSpace(string(aux.ActionMethod)),
	}
	if len(aux.ActionData) > 0 {
		t.ActionData = append(json.RawMessage(nil), aux.ActionData...)
	}
	return nil
}

// taskList is data.tasks: a JSON array of tasks; null and PHP's empty
// object ({}) are no tasks.
type taskList []Task

func (l *taskList) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		if len(m) == 0 {
			return nil
		}
		return fmt.Errorf("tasks is an object with %d keys, want an array", len(m))
	}
	var ts []Task
	if err := json.Unmarshal(b, &ts); err != nil {
		return err
	}
	*l = ts
	return nil
}
