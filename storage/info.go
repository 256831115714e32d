package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blissark/bliss/arksave"
)

// Read queries behind the Server bot's /info commands. Every query takes
// the set of servers the caller's guild may see (its linked servers'
// Nitrado service ids); nothing outside that set is ever returned.
//
// Name filters are case- and accent-insensitive: the search text and the
// stored names are compared after FoldText. Snapshots store the folded
// names next to the names (migration 0014), so a filter is a substring
// test (instr) over an index in SQL and only the page's rows come back.
//
// A page is read in two steps within one statement: the keys of the page
// are found in a covering index (per server in index order; SQLite stops
// each server's walk once the page is certain, so a page costs about
// offset+limit index entries per server), then only the page's rows are
// read from the table.

// maxScope bounds the servers one query may name.
const maxScope = 64

// FoldText lower-cases s and strips the accents of Latin letters ("Ärger"
// → "arger", "ŁÓDŹ" → "lodz"), for case- and accent-insensitive matching.
// Other runes are only lower-cased.
func FoldText(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || ('A' <= s[i] && s[i] <= 'Z') {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		default:
			if f, ok := foldTable[unicode.ToLower(r)]; ok {
				b.WriteString(f)
				continue
			}
			if unicode.Is(unicode.Mn, r) { // combining accents
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

var foldTable = func() map[rune]string {
	m := map[rune]string{}
	for base, accented := range map[string]string{
		"a": "àáâãäåāăąǎ", "c": "çćĉċč", "d": "ďđ", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ", "o": "òóôõöøōŏő",
		"r": "ŕŗř", "s": "śŝşš", "t": "ţťŧ", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
		"ae": "æ", "oe": "œ", "ss": "ß", "th": "þ",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// scopeArgs is the "(?, …)" list of servers and its arguments.
func scopeArgs(op string, servers []int64) (string, []any, error) {
	if len(servers) == 0 {
		return "", nil, fmt.Errorf("storage: %s: %w: no servers", op, ErrInvalid)
	}
	if len(servers) > maxScope {
		return "", nil, fmt.Errorf("storage: %s: %w: %d servers (max %d)", op, ErrInvalid, len(servers), maxScope)
	}
	args := make([]any, len(servers))
	for i, s := range servers {
		args[i] = s
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?,", len(servers)), ",") + ")", args, nil
}

// SnapshotTime is when the newest save of a server was taken (SavedAt, or
// the run's CreatedAt when the save time is unknown) and its run id.
type SnapshotTime struct {
	ServerID int64
	RunID    string
	At       time.Time
}

// SnapshotTimes returns the newest run of each server that has one.
func (db *DB) SnapshotTimes(ctx context.Context, servers []int64) ([]SnapshotTime, error) {
	const op = "snapshot times"
	in, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `SELECT s.server_id, s.run_id, s.saved_at, s.created_at FROM save_snapshots s
	JOIN (SELECT server_id, max(id) AS id FROM save_snapshots WHERE server_id IN `+in+` GROUP BY server_id) m ON m.id = s.id
	ORDER BY s.server_id`, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []SnapshotTime
	for rows.Next() {
		var st SnapshotTime
		var saved, created sql.NullString
		if err := rows.Scan(&st.ServerID, &st.RunID, &saved, &created); err != nil {
			return nil, wrap(op, err)
		}
		if st.At, err = parseSnapTime(saved); err != nil {
			return nil, wrap(op, err)
		}
		if st.At.IsZero() {
			if st.At, err = parseSnapTime(created); err != nil {
				return nil, wrap(op, err)
			}
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

const infoPlayerCols = `server_id, player_data_id, eos_id, platform_name, character_name, level, tribe_id, tribe_name,
	last_login, login_game_time, x, y, z, lat, lon`

func scanPlayers(rows *sql.Rows, op string) ([]PlayerRow, error) {
	defer rows.Close()
	var out []PlayerRow
	for rows.Next() {
		var p PlayerRow
		var id int64
		var login sql.NullString
		var x, y, z, lat, lon sql.NullFloat64
		if err := rows.Scan(&p.ServerID, &id, &p.EOSID, &p.PlatformName, &p.CharacterName, &p.Level, &p.TribeID,
			&p.TribeName, &login, &p.LoginGameTime, &x, &y, &z, &lat, &lon); err != nil {
			return nil, wrap(op, err)
		}
		p.PlayerDataID = uint64(id)
		var err error
		if p.LastLogin, err = parseSnapTime(login); err != nil {
			return nil, wrap(op, err)
		}
		p.Location = nullLoc(x, y, z, lat, lon)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// branch is one part of a listing's WHERE clause: the rows of one set of
// servers. The branches of one listing never share a server, so their rows
// never overlap.
type branch struct {
	where string
	args  []any
}

// and adds a filter (" AND …") to every branch.
func and(bs []branch, filter string, args ...any) []branch {
	out := make([]branch, len(bs))
	for i, b := range bs {
		out[i] = branch{b.where + filter, slices.Concat(b.args, args)}
	}
	return out
}

// scopeBranch is the one branch of every server of the scope.
func scopeBranch(op string, servers []int64) ([]branch, string, []any, error) {
	in, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, "", nil, err
	}
	return []branch{{`server_id IN ` + in, args}}, in, args, nil
}

// maxTribeFilter bounds the tribes one owner filter names.
const maxTribeFilter = 400

// tribeBranches are the branches of the tribes ts (at most maxTribeFilter)
// that are on one of servers: one per server, "server_id = ? AND col IN
// (…)", which SQLite answers with one index seek per tribe. (A row-value
// "(server_id, col) IN (VALUES …)" costs several times more: it seeks every
// listed tribe id on every listed server and compiles the VALUES rows.)
func tribeBranches(servers []int64, col string, ts []TribeRef) []branch {
	ts = ts[:min(len(ts), maxTribeFilter)]
	var bs []branch
	for _, sid := range servers {
		var ids []any
		for _, t := range ts {
			if t.ServerID == sid && !slices.Contains(ids, any(t.TribeID)) {
				ids = append(ids, t.TribeID)
			}
		}
		if len(ids) > 0 {
			bs = append(bs, branch{`server_id = ? AND ` + col + ` IN ` + idList(len(ids)), append([]any{sid}, ids...)})
		}
	}
	return bs
}

func idList(n int) string { return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")" }

// listing is a paged list of one table's rows. A page is read in one
// statement and two steps: its keys (keys, aliased k_*) are found in an
// index walked in list order (inner), and then only the page's rows are
// read from the table (joined by on) and returned in the same order
// (outer, over the aliases). With "server_id IN (…)" SQLite walks the index
// once per server and stops each walk once it cannot reach the page, so a
// page costs about offset+limit index entries per server, not the snapshot.
type listing struct {
	table string
	keys  string
	inner string
	outer string
	on    string
	cols  string
}

// countSQL counts the rows of bs.
func (l listing) countSQL(bs []branch) (string, []any) {
	if len(bs) == 1 {
		return `SELECT count(*) FROM ` + l.table + ` WHERE ` + bs[0].where, bs[0].args
	}
	parts := make([]string, len(bs))
	var args []any
	for i, b := range bs {
		parts[i] = `(SELECT count(*) FROM ` + l.table + ` WHERE ` + b.where + `)`
		args = append(args, b.args...)
	}
	return `SELECT ` + strings.Join(parts, " + "), args
}

// pageSQL selects the page [offset, offset+limit) of the rows of bs. Each
// of several branches is cut to its first offset+limit rows before they
// are merged.
func (l listing) pageSQL(bs []branch, limit, offset int) (string, []any) {
	var keys string
	var args []any
	if len(bs) == 1 {
		keys = `SELECT ` + l.keys + ` FROM ` + l.table + ` WHERE ` + bs[0].where + ` ORDER BY ` + l.inner + ` LIMIT ? OFFSET ?`
		args = slices.Concat(bs[0].args, []any{limit, offset})
	} else {
		parts := make([]string, len(bs))
		for i, b := range bs {
			parts[i] = `SELECT * FROM (SELECT ` + l.keys + ` FROM ` + l.table + ` WHERE ` + b.where + ` ORDER BY ` + l.inner + ` LIMIT ?)`
			args = append(append(args, b.args...), offset+limit)
		}
		keys = `SELECT * FROM (` + strings.Join(parts, " UNION ALL ") + `) ORDER BY ` + l.outer + ` LIMIT ? OFFSET ?`
		args = append(args, limit, offset)
	}
	return `SELECT ` + l.cols + ` FROM (` + keys + `) CROSS JOIN ` + l.table + ` ON ` + l.on + ` ORDER BY ` + l.outer, args
}

// count returns the number of rows of bs.
func (db *DB) count(ctx context.Context, op string, l listing, bs []branch) (int, error) {
	q, args := l.countSQL(bs)
	var n int
	if err := db.queryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// page queries the page of the rows of bs.
func (db *DB) page(ctx context.Context, op string, l listing, bs []branch, limit, offset int) (*sql.Rows, error) {
	q, args := l.pageSQL(bs, limit, offset)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return rows, nil
}

// runTotal is the number of rows of the scope's current snapshots as their
// newest runs recorded it (col: players or tamed_dinos), which
// ReplaceSnapshot writes in the transaction of the rows: an unfiltered
// total without counting the rows.
func (db *DB) runTotal(ctx context.Context, op, col, in string, args []any) (int, error) {
	var n int
	if err := db.queryRow(ctx, `SELECT coalesce(sum(`+col+`), 0) FROM save_snapshots WHERE id IN
	(SELECT max(id) FROM save_snapshots WHERE server_id IN `+in+` GROUP BY server_id)`, args...).Scan(&n); err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// players lists players by folded character name (ties by folded platform
// name), walking players_fold, which also holds both folded names for the
// filters.
var players = listing{
	table: "players",
	keys:  "rowid AS k_rid, character_fold AS k_c, platform_fold AS k_p, server_id AS k_s",
	inner: "character_fold, platform_fold, server_id, rowid",
	outer: "k_c, k_p, k_s, k_rid",
	on:    "players.rowid = k_rid",
	cols:  infoPlayerCols,
}

// playerSearch filters players whose character or platform name contains
// needle (folded).
func playerSearch(bs []branch, needle string) []branch {
	return and(bs, ` AND (instr(character_fold, ?) > 0 OR instr(platform_fold, ?) > 0)`, needle, needle)
}

// InfoPlayers returns one page of the players of servers whose character or
// platform name contains search (case- and accent-insensitive; "" = all),
// ordered by character name (folded), and the number of matches.
func (db *DB) InfoPlayers(ctx context.Context, servers []int64, search string, limit, offset int) ([]PlayerRow, int, error) {
	const op = "info players"
	bs, in, args, err := scopeBranch(op, servers)
	if err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	var total int
	if needle := FoldText(strings.TrimSpace(search)); needle != "" {
		bs = playerSearch(bs, needle)
		total, err = db.count(ctx, op, players, bs)
	} else {
		total, err = db.runTotal(ctx, op, "players", in, args)
	}
	if err != nil || offset >= total {
		return nil, total, err
	}
	rows, err := db.page(ctx, op, players, bs, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	ps, err := scanPlayers(rows, op)
	if err != nil {
		return nil, 0, err
	}
	return ps, total, nil
}

// FindPlayers returns up to limit players of servers whose character or
// platform name (folded) equals name, or, when none does, contains it; or
// whose EOS id equals name.
func (db *DB) FindPlayers(ctx context.Context, servers []int64, name string, limit int) ([]PlayerRow, error) {
	const op = "find players"
	if limit <= 0 {
		limit = 25
	}
	needle := FoldText(strings.TrimSpace(name))
	if needle == "" {
		return nil, nil
	}
	bs, in, args, err := scopeBranch(op, servers)
	if err != nil {
		return nil, err
	}
	// An exact name: two index seeks per server (players_fold,
	// players_platform_fold), then the rows by rowid.
	exact := []branch{{`rowid IN (SELECT rowid FROM players WHERE server_id IN ` + in + ` AND character_fold = ?
	UNION ALL SELECT rowid FROM players WHERE server_id IN ` + in + ` AND platform_fold = ?)`,
		slices.Concat(args, []any{needle}, args, []any{needle})}}
	for _, q := range [][]branch{exact, playerSearch(bs, needle)} {
		rows, err := db.page(ctx, op, players, q, limit, 0)
		if err != nil {
			return nil, err
		}
		ps, err := scanPlayers(rows, op)
		if err != nil || len(ps) > 0 {
			return ps, err
		}
	}
	if len(needle) != 32 {
		return nil, nil
	}
	rows, err := db.query(ctx, `SELECT `+infoPlayerCols+` FROM players WHERE eos_id IN (?, ?) AND server_id IN `+in+` LIMIT ?`,
		slices.Concat([]any{needle, strings.ToUpper(needle)}, args, []any{limit})...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return scanPlayers(rows, op)
}

func scanTribes(rows *sql.Rows, op string) ([]TribeRow, error) {
	defer rows.Close()
	var out []TribeRow
	for rows.Next() {
		var t TribeRow
		var owner int64
		var ids, names string
		if err := rows.Scan(&t.ServerID, &t.ID, &t.Name, &owner, &ids, &names, &t.TamedDinos, &t.Structures); err != nil {
			return nil, wrap(op, err)
		}
		t.OwnerID = uint64(owner)
		if err := t.decodeMembers(ids, names); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

const infoTribeCols = `server_id, tribe_id, name, owner_id, member_ids, member_names, tamed_dinos, structures`

// tribes lists tribes largest first, walking tribes_order, which also holds
// the folded name for the filters.
var tribes = listing{
	table: "tribes",
	keys:  "rowid AS k_rid, structures AS k_st, tamed_dinos AS k_td, name AS k_n, server_id AS k_s, tribe_id AS k_t",
	inner: "structures DESC, tamed_dinos DESC, name, server_id, tribe_id",
	outer: "k_st DESC, k_td DESC, k_n COLLATE NOCASE, k_s, k_t",
	on:    "tribes.rowid = k_rid",
	cols:  infoTribeCols,
}

// InfoTribes returns one page of the tribes of servers whose name contains
// search (case- and accent-insensitive; "" = all), most structures first,
// and the number of matches.
func (db *DB) InfoTribes(ctx context.Context, servers []int64, search string, limit, offset int) ([]TribeRow, int, error) {
	const op = "info tribes"
	bs, _, _, err := scopeBranch(op, servers)
	if err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	if needle := FoldText(strings.TrimSpace(search)); needle != "" {
		bs = and(bs, ` AND instr(name_fold, ?) > 0`, needle)
	}
	total, err := db.count(ctx, op, tribes, bs)
	if err != nil || offset >= total {
		return nil, total, err
	}
	rows, err := db.page(ctx, op, tribes, bs, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	ts, err := scanTribes(rows, op)
	if err != nil {
		return nil, 0, err
	}
	return ts, total, nil
}

// TribeRef names one tribe of one server.
type TribeRef struct {
	ServerID int64
	TribeID  int64
}

// FindTribes returns the tribes of servers whose folded name equals name,
// or, when none does, contains it (at most limit, largest first).
func (db *DB) FindTribes(ctx context.Context, servers []int64, name string, limit int) ([]TribeRow, error) {
	const op = "find tribes"
	if limit <= 0 {
		limit = 25
	}
	needle := FoldText(strings.TrimSpace(name))
	if needle == "" {
		return nil, nil
	}
	bs, _, _, err := scopeBranch(op, servers)
	if err != nil {
		return nil, err
	}
	for _, q := range [][]branch{and(bs, ` AND name_fold = ?`, needle), and(bs, ` AND instr(name_fold, ?) > 0`, needle)} {
		rows, err := db.page(ctx, op, tribes, q, limit, 0)
		if err != nil {
			return nil, err
		}
		ts, err := scanTribes(rows, op)
		if err != nil || len(ts) > 0 {
			return ts, err
		}
	}
	return nil, nil
}

// ClassCount is a number of dinos of one class.
type ClassCount struct {
	Class string
	Count int
}

// TribeSpecies counts the tamed dinos of a tribe by class, most first.
func (db *DB) TribeSpecies(ctx context.Context, t TribeRef, limit int) ([]ClassCount, error) {
	op := fmt.Sprintf("species of tribe %d on server %d", t.TribeID, t.ServerID)
	limit, _ = pageArgs(limit, 0)
	rows, err := db.query(ctx, `SELECT class, count(*) AS n FROM dinos WHERE server_id = ? AND tribe_id = ?
	GROUP BY class ORDER BY n DESC, class LIMIT ?`, t.ServerID, t.TribeID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []ClassCount
	for rows.Next() {
		var c ClassCount
		if err := rows.Scan(&c.Class, &c.Count); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// InfoDinoFilter selects tamed dinos for /info dinos. Zero fields do not
// filter.
type InfoDinoFilter struct {
	Class    string     // substring of the class, case- and accent-insensitive
	Tribes   []TribeRef // owners; nil = any (an empty non-nil slice matches nothing)
	MinLevel int
	Limit    int
	Offset   int
}

// dinos lists tamed dinos highest level first, walking dinos_level
// (server_id, level, class, and the primary key's tribe_id, seq) backwards.
var dinos = listing{
	table: "dinos",
	keys:  "server_id AS k_s, tribe_id AS k_t, seq AS k_q, level AS k_l, class AS k_c",
	inner: "level DESC, class DESC, server_id, tribe_id DESC, seq DESC",
	outer: "k_l DESC, k_c COLLATE NOCASE DESC, k_s, k_t DESC, k_q DESC",
	on:    "dinos.server_id = k_s AND dinos.tribe_id = k_t AND dinos.seq = k_q",
	cols: `server_id, guid, dino_id, class, name, level, sex, tribe_id, tribe_name, owner_name, cryopodded,
	tamed_at_game, x, y, z, lat, lon`,
}

// dinoClasses returns the classes of the tamed dinos of servers that
// contain needle (folded; LIKE is ASCII case-insensitive and classes are
// ASCII blueprint names). The distinct classes are enumerated with one
// dinos_class seek per class and server (a loose index scan), so a species
// filter becomes "class IN (…)" instead of a pattern tested on every dino.
func (db *DB) dinoClasses(ctx context.Context, op string, servers []int64, needle string) ([]any, error) {
	_, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `WITH RECURSIVE s(id) AS (VALUES `+strings.TrimSuffix(strings.Repeat("(?),", len(servers)), ",")+`),
	c(sid, cls) AS (SELECT id, (SELECT min(class) FROM dinos WHERE server_id = id) FROM s
		UNION ALL SELECT sid, (SELECT min(class) FROM dinos WHERE server_id = sid AND class > cls) FROM c WHERE cls IS NOT NULL)
	SELECT DISTINCT cls FROM c WHERE cls LIKE ? ESCAPE '\'`, append(args, likePattern(needle))...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []any
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	return out, wrap2(op, rows.Err())
}

// InfoDinos returns one page of the tamed dinos of servers matching f,
// highest level first, and the number of matches.
func (db *DB) InfoDinos(ctx context.Context, servers []int64, f InfoDinoFilter) ([]DinoRow, int, error) {
	const op = "info dinos"
	bs, in, args, err := scopeBranch(op, servers)
	if err != nil {
		return nil, 0, err
	}
	if f.Tribes != nil {
		if bs = tribeBranches(servers, "tribe_id", f.Tribes); len(bs) == 0 {
			return nil, 0, nil
		}
	}
	limit, offset := pageArgs(f.Limit, f.Offset)
	counted, paged := bs, bs
	if c := FoldText(strings.TrimSpace(f.Class)); c != "" {
		classes, err := db.dinoClasses(ctx, op, servers, c)
		if err != nil || len(classes) == 0 {
			return nil, 0, err
		}
		// The page walks dinos_level and tests the class: "+class" keeps
		// SQLite from reading a one-class list as class = ?, which (class
		// not being an index constraint there) makes it walk every dino
		// of the server instead of stopping at the page.
		counted = and(counted, ` AND class IN `+idList(len(classes)), classes...)
		paged = and(paged, ` AND +class IN `+idList(len(classes)), classes...)
	}
	if f.MinLevel > 0 {
		counted, paged = and(counted, ` AND level >= ?`, f.MinLevel), and(paged, ` AND level >= ?`, f.MinLevel)
	}
	var total int
	if f.Tribes == nil && f.Class == "" && f.MinLevel <= 0 {
		total, err = db.runTotal(ctx, op, "tamed_dinos", in, args)
	} else {
		total, err = db.count(ctx, op, dinos, counted)
	}
	if err != nil || offset >= total {
		return nil, total, err
	}
	rows, err := db.page(ctx, op, dinos, paged, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []DinoRow
	for rows.Next() {
		var d DinoRow
		var guid []byte
		var id int64
		var sex int
		var x, y, z, lat, lon sql.NullFloat64
		if err := rows.Scan(&d.ServerID, &guid, &id, &d.Class, &d.Name, &d.Level, &sex, &d.TribeID, &d.TribeName,
			&d.OwnerName, &d.Cryopodded, &d.TamedAtGame, &x, &y, &z, &lat, &lon); err != nil {
			return nil, 0, wrap(op, err)
		}
		copy(d.ID[:], guid)
		d.DinoID, d.Sex = uint64(id), arksave.Sex(sex)
		d.Location = nullLoc(x, y, z, lat, lon)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap(op, err)
	}
	return out, total, nil
}

// InfoBaseFilter selects bases for /info bases, decay and structures.
type InfoBaseFilter struct {
	Tribes []TribeRef // owners; nil = any (an empty non-nil slice matches nothing)
	// DecaysBefore keeps bases with a known decay time before it (zero: no
	// filter).
	DecaysBefore time.Time
	OrderByDecay bool // soonest decay first; otherwise largest first
	Limit        int
	Offset       int
}

const infoBaseCols = `server_id, seq, owner, owner_name, structures, by_material, storage_count, foundations, tamed_dinos,
	x, y, z, lat, lon, min_x, min_y, min_z, max_x, max_y, max_z, decay_tier, decay_ns, last_refresh, refresh_known, decays_at`

// The bases' orders: largest first (walking bases_structures backwards),
// soonest decay first (bases_decays_at), and soonest decay first with the
// unknown ones last (sorted: only used for a few tribes' bases).
var (
	basesBySize = listing{
		table: "bases", keys: "rowid AS k_rid, server_id AS k_s, structures AS k",
		inner: "structures DESC, server_id, rowid DESC", outer: "k DESC, k_s, k_rid DESC",
		on: "bases.rowid = k_rid", cols: infoBaseCols,
	}
	basesByDecay = listing{
		table: "bases", keys: "rowid AS k_rid, server_id AS k_s, decays_at AS k",
		inner: "decays_at, server_id, rowid", outer: "k, k_s, k_rid",
		on: "bases.rowid = k_rid", cols: infoBaseCols,
	}
	basesByDecayKnownFirst = listing{
		table: "bases", keys: "rowid AS k_rid, server_id AS k_s, decays_at AS k",
		inner: "decays_at IS NULL, decays_at, server_id, rowid", outer: "k IS NULL, k, k_s, k_rid",
		on: "bases.rowid = k_rid", cols: infoBaseCols,
	}
)

// InfoBases returns one page of the bases of servers matching f and the
// number of matches.
func (db *DB) InfoBases(ctx context.Context, servers []int64, f InfoBaseFilter) ([]BaseRow, int, error) {
	const op = "info bases"
	bs, _, _, err := scopeBranch(op, servers)
	if err != nil {
		return nil, 0, err
	}
	if f.Tribes != nil {
		if bs = tribeBranches(servers, "owner", f.Tribes); len(bs) == 0 {
			return nil, 0, nil
		}
	}
	limit, offset := pageArgs(f.Limit, f.Offset)
	l := basesBySize
	switch {
	case !f.DecaysBefore.IsZero():
		bs, l = and(bs, ` AND decays_at IS NOT NULL AND decays_at < ?`, snapTime(f.DecaysBefore)), basesByDecay
	case f.OrderByDecay:
		l = basesByDecayKnownFirst
	}
	total, err := db.count(ctx, op, l, bs)
	if err != nil || offset >= total {
		return nil, total, err
	}
	rows, err := db.page(ctx, op, l, bs, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []BaseRow
	for rows.Next() {
		var b BaseRow
		var byMat string
		var lat, lon sql.NullFloat64
		var decay int64
		var refresh, decays sql.NullString
		if err := rows.Scan(&b.ServerID, &b.Seq, &b.Owner, &b.OwnerName, &b.Structures, &byMat, &b.StorageCount, &b.Foundations,
			&b.TamedDinos, &b.Center.X, &b.Center.Y, &b.Center.Z, &lat, &lon, &b.Min.X, &b.Min.Y, &b.Min.Z,
			&b.Max.X, &b.Max.Y, &b.Max.Z, &b.DecayTier, &decay, &refresh, &b.RefreshKnown, &decays); err != nil {
			return nil, 0, wrap(op, err)
		}
		if lat.Valid && lon.Valid {
			b.Center.Lat, b.Center.Lon, b.Center.HasLatLon = lat.Float64, lon.Float64, true
		}
		b.DecayDuration = time.Duration(decay)
		if err := json.Unmarshal([]byte(byMat), &b.ByMaterial); err != nil {
			return nil, 0, wrap(op, fmt.Errorf("by_material: %w", err))
		}
		if b.LastRefresh, err = parseSnapTime(refresh); err != nil {
			return nil, 0, wrap(op, err)
		}
		if b.DecaysAt, err = parseSnapTime(decays); err != nil {
			return nil, 0, wrap(op, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap(op, err)
	}
	return out, total, nil
}

// MapBase is one base as the base map draws it.
type MapBase struct {
	Owner      int64
	OwnerName  string
	Structures int
	Lat, Lon   float64
	DecaysAt   time.Time // zero: unknown
}

// maxMapBases bounds the bases one map reads (a 100k-structure save has a
// few thousand).
const maxMapBases = 50_000

// MapBases returns the bases of serverID's latest snapshot that have a
// lat/lon, largest first, for the base map. tribes non-nil keeps only
// those owners (an empty non-nil slice matches nothing).
func (db *DB) MapBases(ctx context.Context, serverID int64, tribes []TribeRef) ([]MapBase, error) {
	const op = "map bases"
	if serverID <= 0 {
		return nil, fmt.Errorf("storage: %s: %w: server id %d", op, ErrInvalid, serverID)
	}
	if tribes != nil && len(tribes) == 0 {
		return nil, nil
	}
	q := `SELECT owner, owner_name, structures, lat, lon, decays_at FROM bases
WHERE server_id = ? AND lat IS NOT NULL AND lon IS NOT NULL`
	args := []any{serverID}
	var owners []any
	for _, t := range tribes[:min(len(tribes), 400)] {
		if t.ServerID == serverID {
			owners = append(owners, t.TribeID)
		}
	}
	if tribes != nil {
		if len(owners) == 0 {
			return nil, nil
		}
		q += ` AND owner IN (` + strings.TrimSuffix(strings.Repeat("?,", len(owners)), ",") + `)`
		args = append(args, owners...)
	}
	q += ` ORDER BY structures DESC, rowid LIMIT ?`
	args = append(args, maxMapBases)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []MapBase
	for rows.Next() {
		var b MapBase
		var decays sql.NullString
		if err := rows.Scan(&b.Owner, &b.OwnerName, &b.Structures, &b.Lat, &b.Lon, &decays); err != nil {
			return nil, wrap(op, err)
		}
		if b.DecaysAt, err = parseSnapTime(decays); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, b)
	}
	return out, wrap2(op, rows.Err())
}

// maxChartSessions bounds the sessions one chart reads.
const maxChartSessions = 200_000

// SessionsBetween returns the play sessions on the given servers that
// overlap [from, to), oldest first (for the players-online chart). Open
// sessions are returned with a zero Left. The table is written by the
// live feed; this only reads it.
func (db *DB) SessionsBetween(ctx context.Context, serviceIDs []int64, from, to time.Time) ([]Session, error) {
	in, args, err := sessionScope(serviceIDs)
	if err != nil {
		return nil, err
	}
	args = append(args, to.UnixNano(), from.UnixNano(), maxChartSessions)
	return db.querySessions(ctx, "sessions between", `SELECT `+sessionCols+` FROM sessions
	WHERE service_id IN `+in+` AND joined_at < ? AND coalesce(left_at, seen_at) >= ? ORDER BY joined_at, id LIMIT ?`, args...)
}

// SnapshotMap returns the map file name ("Ragnarok_WP") of serverID's
// latest snapshot, or "" when it has none.
func (db *DB) SnapshotMap(ctx context.Context, serverID int64) (string, error) {
	var m string
	err := db.queryRow(ctx, `SELECT map FROM save_snapshots WHERE server_id = ? ORDER BY id DESC LIMIT 1`, serverID).Scan(&m)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return m, wrap2("snapshot map", err)
}
