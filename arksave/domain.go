package arksave

import "time"

// GUID is a 16-byte object id in the save's raw byte order (the same order as
// the game table's key and ActorTransforms).
type GUID [16]byte

// Location is a world position in Unreal units (cm) with its map lat/lon.
// HasLatLon is false for maps whose coordinate constants are unknown.
type Location struct {
	X, Y, Z   float64
	Lat, Lon  float64
	HasLatLon bool
}

// Save is the compact, decoded view of one world save: only small rows, never
// raw property blobs.
type Save struct {
	Map         string    // DataFiles[0], e.g. "Ragnarok_WP"
	SaveVersion int       // 13 or 14
	GameTime    float64   // world clock in seconds at save time
	SavedAt     time.Time // wall-clock save time (file mtime unless set by caller)
	Players     []Player
	Tribes      []Tribe
	Dinos       []Dino      // tamed dinos (including cryopodded ones)
	WildDinos   int         // count only
	Pawns       int         // PlayerPawnTest rows; one player can have several (e.g. a sleeping body)
	Structures  []Structure // owned structures (with TargetingTeam)
	// StructureRows counts every structure row, owned or not.
	StructureRows int
	// TribeNames are the names the world rows give tribe ids: tamed dinos'
	// TribeName, structures' OwnerName, pawns' TribeName (per id the most
	// frequent). They name tribes that have no archive (no .arktribe, no
	// store); Tribes holds only tribes with an archive.
	TribeNames map[int64]string
	Stats      Stats
}

// Player merges the world pawn and the profile (store or .arkprofile).
type Player struct {
	PlayerDataID  uint64
	EOSID         string // 32 hex chars, from UniqueID / PlatformProfileID
	PlatformName  string
	CharacterName string
	Level         int
	TribeID       int64 // 0 when tribeless
	TribeName     string
	LastLogin     time.Time // wall clock, zero if unknown
	LoginGameTime float64   // raw LoginTime on the game clock
	Location      *Location // nil when the pawn is not in the world save
}

// Tribe is one PrimalTribeData.
type Tribe struct {
	ID        int64
	Name      string
	OwnerID   uint64 // owner PlayerDataID
	MemberIDs []uint64
	Members   []string // member names as stored in the tribe
}

// Sex of a dino.
type Sex uint8

const (
	Male Sex = iota
	Female
)

// Dino is one tamed creature.
type Dino struct {
	ID          GUID
	DinoID      uint64 // DinoID1<<32 | DinoID2
	Class       string // short class, e.g. "Rex_Character_BP_C"
	ClassPath   string
	Name        string
	Level       int
	Sex         Sex
	TribeID     int64 // TargetingTeam
	TribeName   string
	OwnerName   string
	Location    *Location // nil when cryopodded
	Cryopodded  bool
	TamedAtGame float64 // game clock, 0 if unknown
}

// Structure is one owned building piece.
type Structure struct {
	ID              GUID
	Class           string // short class
	ClassPath       string
	Material        string // thatch, wood, adobe, stone, metal, tek, greenhouse, other
	TribeID         int64  // TargetingTeam: tribe id, or player id for tribeless owners
	OwnerName       string
	OwningPlayerID  int64
	Location        Location
	Health          float32
	MaxHealth       float32
	LastStasisTime  float64 // game clock; 0 if absent
	LastAllyInRange float64 // game clock; 0 if absent
	CreationTime    float64 // game clock; 0 if absent
	// bools last: no padding holes (184 bytes a row)
	HasLocation  bool
	IsStorage    bool // storage box, vault, fridge, ...
	IsFoundation bool // foundation, ceiling or floor (decides decay tier)
}

// Stats describes how a decode went.
type Stats struct {
	Rows          int // game rows seen
	Decoded       int // rows whose properties were decoded
	Skipped       int // rows skipped by class
	Failed        int // rows that failed to decode, plus cryopod dinos that failed
	FailedByClass map[string]int
	UnknownNames  int
	CryopodFailed int   // non-empty cryopod blobs that could not be decoded (also in Failed, FailedByClass)
	Cryopods      int   // tamed dinos decoded from cryopods (in Save.Dinos, Cryopodded)
	CryopodWild   int   // wild creatures held in pods (not in Dinos or WildDinos)
	Bytes         int64 // game blob bytes read
	// HasStore reports an embedded tribe/profile store (GameModeCustomBytes
	// Flags 1, servers run with -usestore); without one, players and tribes
	// need their .arkprofile/.arktribe files (Options.Archives).
	HasStore bool
}

// String returns the GUID as 32 hex digits in raw byte order (the order
// arkparse uses).
func (g GUID) String() string {
	const hexd = "0123456789abcdef"
	var b [32]byte
	for i, c := range g {
		b[2*i] = hexd[c>>4]
		b[2*i+1] = hexd[c&15]
	}
	return string(b[:])
}
