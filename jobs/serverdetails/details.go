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

// Details is what Bliss knows about one Nitrado gameserver: the client's
// nitrado.ServerDetails (what the RCON pool needs to connect, what the
// file jobs need, what the bots show, the decay multiplier) plus how fresh
// the copy is. There is one server-details type: the producer's.
//
// RCONPassword is a nitrado.Secret: fmt (every verb) and log/slog print it
// as "[REDACTED]", so a Details value may be logged or formatted safely.
type Details struct {
	nitrado.ServerDetails

	// SavedAt is when Nitrado answered with these details.
	SavedAt time.Time
	// Stale is true when Nitrado could not be reached and this is the last
	// known copy (from memory or the bbolt stale store), saved at SavedAt.
	Stale bool
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
	d := Details{ServerDetails: gs.Details(), SavedAt: savedAt.UTC()}
	if d.ServiceID == 0 {
		d.ServiceID = id
	}
	return d
}

// record is the persisted form of Details in the stale store: a version
// and nitrado.ServerDetails's own JSON (the field names of version 1). The
// password is stored in clear in its own field (nitrado.Secret marshals as
// "[REDACTED]"; the state file is mode 0600 and holds nothing but Bliss
// state); a record is never logged.
type record struct {
	V int `json:"v"`
	nitrado.ServerDetails
	RCONPassword string `json:"rcon_password"` // shadows ServerDetails.RCONPassword
}

const recordVersion = 1

func encodeRecord(d Details) ([]byte, error) {
	b, err := json.Marshal(record{V: recordVersion, ServerDetails: d.ServerDetails, RCONPassword: d.RCONPassword.Reveal()})
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
	r.ServerDetails.RCONPassword = nitrado.Secret(r.RCONPassword)
	return Details{ServerDetails: r.ServerDetails, SavedAt: savedAt.UTC()}, nil
}
