package serverdetails

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/blissark/bliss/app/nitrado"
)

// Details is what Bliss knows about one Nitrado gameserver: what the RCON
// pool needs to connect (RCONAddr, RCONPassword), what the file jobs need
// (GamePath) and what the bots show (name, map, status, player counts).
//
// RCONPassword is a nitrado.Secret: fmt (every verb) and log/slog print it
// as "[REDACTED]", so a Details value may be logged or formatted safely.
type Details struct {
	ServiceID     int64
	Name          string
	Map           string // normalised, e.g. "TheIsland_WP", "Astraeos_WP"
	Status        string // gameserver status: started, stopped, restarting, ...
	Game          string // "arksa" for ASA
	IP            string
	Port          int
	QueryPort     int
	RCONPort      int
	RCONPassword  nitrado.Secret
	GamePath      string // game_specific.path without trailing slash
	Slots         int
	PlayerCurrent int
	PlayerMax     int
	Location      string

	// SavedAt is when Nitrado answered with these details.
	SavedAt time.Time
	// Stale is true when Nitrado could not be reached and this is the last
	// known copy (from memory or the bbolt stale store), saved at SavedAt.
	Stale bool
}

// RCONAddr is ip:rcon_port, or "" when either is unknown.
func (d Details) RCONAddr() string {
	if d.IP == "" || d.RCONPort <= 0 {
		return ""
	}
	return net.JoinHostPort(d.IP, strconv.Itoa(d.RCONPort))
}

// Addr is the game address ip:port, or "" when either is unknown.
func (d Details) Addr() string {
	if d.IP == "" || d.Port <= 0 {
		return ""
	}
	return net.JoinHostPort(d.IP, strconv.Itoa(d.Port))
}

// Online reports whether the gameserver status is "started".
func (d Details) Online() bool { return d.Status == "started" }

// LogsPath is the directory of ShooterGame.log on the Nitrado file server,
// or "" when the game path is unknown.
func (d Details) LogsPath() string {
	if d.GamePath == "" {
		return ""
	}
	return strings.TrimRight(d.GamePath, "/") + "/ShooterGame/Saved/Logs"
}

// Age is how old the details are at now.
func (d Details) Age(now time.Time) time.Duration {
	if d.SavedAt.IsZero() {
		return 0
	}
	return now.Sub(d.SavedAt)
}

// LogValue logs the identifying fields; the password is always redacted.
func (d Details) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("service_id", d.ServiceID), slog.String("name", d.Name), slog.String("map", d.Map),
		slog.String("status", d.Status), slog.String("rcon_addr", d.RCONAddr()),
		slog.Any("rcon_password", d.RCONPassword), slog.Bool("stale", d.Stale),
		slog.Time("saved_at", d.SavedAt))
}

// FromGameserver flattens a Nitrado gameserver answer. id is used when the
// answer carries no service id.
func FromGameserver(id int64, gs *nitrado.Gameserver, savedAt time.Time) Details {
	sd := gs.Details()
	if sd.ServiceID == 0 {
		sd.ServiceID = id
	}
	return Details{
		ServiceID:     sd.ServiceID,
		Name:          sd.Name,
		Map:           sd.Map,
		Status:        sd.Status,
		Game:          sd.Game,
		IP:            sd.IP,
		Port:          sd.Port,
		QueryPort:     sd.QueryPort,
		RCONPort:      sd.RCONPort,
		RCONPassword:  sd.RCONPassword,
		GamePath:      sd.GamePath,
		Slots:         sd.Slots,
		PlayerCurrent: sd.PlayerCurrent,
		PlayerMax:     sd.PlayerMax,
		Location:      sd.Location,
		SavedAt:       savedAt.UTC(),
	}
}

// record is the persisted form of Details in the bbolt stale store. It is
// versioned and independent of Details' Go layout. The password is stored
// in clear (the state file is mode 0600 and holds nothing but Bliss state);
// a record is never logged.
type record struct {
	V             int    `json:"v"`
	ServiceID     int64  `json:"service_id"`
	Name          string `json:"name"`
	Map           string `json:"map"`
	Status        string `json:"status"`
	Game          string `json:"game"`
	IP            string `json:"ip"`
	Port          int    `json:"port"`
	QueryPort     int    `json:"query_port"`
	RCONPort      int    `json:"rcon_port"`
	RCONPassword  string `json:"rcon_password"`
	GamePath      string `json:"game_path"`
	Slots         int    `json:"slots"`
	PlayerCurrent int    `json:"player_current"`
	PlayerMax     int    `json:"player_max"`
	Location      string `json:"location"`
}

const recordVersion = 1

func encodeRecord(d Details) ([]byte, error) {
	b, err := json.Marshal(record{
		V: recordVersion, ServiceID: d.ServiceID, Name: d.Name, Map: d.Map, Status: d.Status,
		Game: d.Game, IP: d.IP, Port: d.Port, QueryPort: d.QueryPort, RCONPort: d.RCONPort,
		RCONPassword: d.RCONPassword.Reveal(), GamePath: d.GamePath, Slots: d.Slots,
		PlayerCurrent: d.PlayerCurrent, PlayerMax: d.PlayerMax, Location: d.Location,
	})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}

// decodeRecord never puts the raw bytes (which hold the password) into its
// error.
func decodeRecord(b []byte, savedAt time.Time) (Details, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Details{}, fmt.Errorf("decode: invalid json at offset %d", se.Offset)
		}
		return Details{}, fmt.Errorf("decode: invalid record (%d bytes)", len(b))
	}
	if r.V != recordVersion {
		return Details{}, fmt.Errorf("decode: unknown record version %d", r.V)
	}
	return Details{
		ServiceID: r.ServiceID, Name: r.Name, Map: r.Map, Status: r.Status, Game: r.Game,
		IP: r.IP, Port: r.Port, QueryPort: r.QueryPort, RCONPort: r.RCONPort,
		RCONPassword: nitrado.Secret(r.RCONPassword), GamePath: r.GamePath, Slots: r.Slots,
		PlayerCurrent: r.PlayerCurrent, PlayerMax: r.PlayerMax, Location: r.Location,
		SavedAt: savedAt.UTC(),
	}, nil
}
