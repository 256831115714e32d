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
