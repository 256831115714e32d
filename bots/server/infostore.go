package server

import (
	"context"
	"time"
)

// The save-data views the bot reads (app adapts storage). Every method takes
// the guild's servers; rows of other servers are never returned.

// Player is a player of the latest snapshot.
type Player struct {
	ServerID  int64
	EOSID     string
	Platform  string
	Character string
	Level     int
	TribeID   int64
	Tribe     string
	LastSeen  time.Time
	Lat, Lon  float64
	HasLoc    bool
}

// Tribe is a tribe of the latest snapshot.
type Tribe struct {
	ServerID   int64
	ID         int64
	Name       string
	Members    []string
	Dinos      int
	Structures int
}

// Dino is a tamed dino.
type Dino struct {
	ServerID int64
	Class    string
	Name     string
	Level    int
	Female   bool
	Tribe    string
	Owner    string
	Cryo     bool
	Lat, Lon float64
	HasLoc   bool
}

// Base is a base with its decay.
type Base struct {
	ServerID   int64
	Owner      int64 // tribe id
	OwnerName  string
	Structures int
	ByMaterial map[string]int
	TamedDinos int
	Lat, Lon   float64
	HasLoc     bool
	Tier       string
	DecaysAt   time.Time // zero: unknown
}

// TribeRef names a tribe of a server.
type TribeRef struct {
	ServerID int64
	TribeID  int64
}

// ClassCount is a number of dinos of a class.
type ClassCount struct {
	Class string
	Count int
}

// SnapshotTime is the newest snapshot of a server.
type SnapshotTime struct {
	ServerID int64
	RunID    string
	At       time.Time
}

// DinoQuery filters /info dinos. Tribes nil: any owner.
type DinoQuery struct {
	Class         string
	Tribes        []TribeRef
	MinLevel      int
	Limit, Offset int
}

// BaseQuery filters bases. Tribes nil: any owner.
type BaseQuery struct {
	Tribes        []TribeRef
	DecaysBefore  time.Time
	OrderByDecay  bool
	Limit, Offset int
}

// InfoStore reads the latest snapshots. Name filters are case- and
// accent-insensitive.
type InfoStore interface {
	Players(ctx context.Context, servers []int64, search string, limit, offset int) ([]Player, int, error)
	FindPlayers(ctx context.Context, servers []int64, name string, limit int) ([]Player, error)
	Tribes(ctx context.Context, servers []int64, search string, limit, offset int) ([]Tribe, int, error)
	FindTribes(ctx context.Context, servers []int64, name string, limit int) ([]Tribe, error)
	TribeSpecies(ctx context.Context, t TribeRef, limit int) ([]ClassCount, error)
	Dinos(ctx context.Context, servers []int64, q DinoQuery) ([]Dino, int, error)
	Bases(ctx context.Context, servers []int64, q BaseQuery) ([]Base, int, error)
	SnapshotTimes(ctx context.Context, servers []int64) ([]SnapshotTime, error)
}

// MapBase is one base on the base map.
type MapBase struct {
	Owner      int64
	OwnerName  string
	Structures int
	Lat, Lon   float64
	DecaysAt   time.Time // zero: unknown
}

// MapPoint is a teleport point on the base map.
type MapPoint struct {
	Lat, Lon float64
	Name     string
	// Public points are shown to everyone; the others (tribe teleporters
	// seen in the save, tribe-only points) only to staff.
	Public bool
}

// MapStore reads what the base map draws (app adapts storage).
type MapStore interface {
	// MapBases lists the bases with a lat/lon of serverID's latest
	// snapshot, largest first; tribes non-nil keeps only those owners.
	MapBases(ctx context.Context, serverID int64, tribes []TribeRef) ([]MapBase, error)
	// Teleports lists the teleport points of serverID's map for guildID.
	Teleports(ctx context.Context, guildID string, serverID int64) ([]MapPoint, error)
	// MapName is the map of serverID's latest snapshot ("" unknown).
	MapName(ctx context.Context, serverID int64) (string, error)
}

// Session is one stay of a player on a server (written by the live feed).
type Session struct {
	ServerID int64
	EOSID    string
	Name     string
	Joined   time.Time
	Left     time.Time // zero: still online
	Seen     time.Time // last seen online
}

// SessionStore reads play sessions (app adapts storage).
type SessionStore interface {
	OnlineNow(ctx context.Context, servers []int64) ([]Session, error)
	SessionsBetween(ctx context.Context, servers []int64, from, to time.Time) ([]Session, error)
	Playtime(ctx context.Context, servers []int64, eos string, since time.Time) (time.Duration, int, error)
	// PlayerByName is the EOS id of the latest session under name.
	PlayerByName(ctx context.Context, servers []int64, name string) (string, error)
}
