package storage

import (
	"cmp"
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
// service ids as text); nothing outside that set is ever returned.
//
// Name filters are case- and accent-insensitive: the text and the stored
// names are compared after FoldText. SQLite's NOCASE only folds ASCII, so
// a filtered listing reads the (small) name columns of the scope, folds and
// matches them in Go, and then loads only the rows of the page.

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

// containsFold reports whether FoldText(s) contains needle (already
// folded), without allocating when both are ASCII.
func containsFold(s, needle string) bool {
	if !isASCII(s) || !isASCII(needle) {
		return strings.Contains(FoldText(s), needle)
	}
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return n == 0
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

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

// topN builds "SELECT * FROM (per-server top-n subqueries of cols) ORDER BY
// outer LIMIT ? OFFSET ?". Each server's subquery is ordered by inner,
// which must match an index (ties broken by the index's own trailing
// columns) so SQLite walks the index instead of sorting the snapshot; n is
// offset+limit. where holds the filters after "server_id = ?" and
// whereArgs their arguments.
func topN(cols, table, where, inner, outer string, servers []int64, whereArgs []any, limit, offset int) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("SELECT * FROM (")
	for i, sid := range servers {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT * FROM (SELECT " + cols + " FROM " + table + " WHERE server_id = ?" + where + " ORDER BY " + inner + " LIMIT ?)")
		args = append(append(append(args, sid), whereArgs...), limit+offset)
	}
	b.WriteString(") ORDER BY " + outer + " LIMIT ? OFFSET ?")
	return b.String(), append(args, limit, offset)
}

func idList(n int) string { return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")" }

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
	rows, err := db.db.QueryContext(ctx, `SELECT s.server_id, s.run_id, s.saved_at, s.created_at FROM save_snapshots s
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

type nameHit struct {
	rowid int64
	key   string // folded sort key
}

// matchNames runs q (selecting rowid and name columns), folds the names and
// keeps the rows where any of them contains needle, sorted by the folded
// first name (desc: by the integer column after the names, descending).
func (db *DB) matchNames(ctx context.Context, op, q string, args []any, nNames int, needle string) ([]nameHit, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var hits []nameHit
	names := make([]sql.RawBytes, nNames)
	dest := make([]any, 0, nNames+1)
	var rowid int64
	dest = append(dest, &rowid)
	for i := range names {
		dest = append(dest, &names[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, wrap(op, err)
		}
		ok := false
		for _, n := range names {
			if containsFold(unsafeString(n), needle) {
				ok = true
				break
			}
		}
		if ok {
			hits = append(hits, nameHit{rowid: rowid, key: FoldText(string(names[0]))})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return hits, nil
}

func pageOf[T any](all []T, limit, offset int) []T {
	if offset >= len(all) {
		return nil
	}
	return all[offset:min(offset+limit, len(all))]
}

// InfoPlayers returns one page of the players of servers whose character or
// platform name contains search (case- and accent-insensitive; "" = all),
// ordered by character name, and the number of matches.
func (db *DB) InfoPlayers(ctx context.Context, servers []int64, search string, limit, offset int) ([]PlayerRow, int, error) {
	const op = "info players"
	in, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	needle := FoldText(strings.TrimSpace(search))
	if needle == "" {
		var total int
		if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM players WHERE server_id IN `+in, args...).Scan(&total); err != nil {
			return nil, 0, wrap(op, err)
		}
		q, qargs := topN("rowid AS rid, "+infoPlayerCols, "players", "", "character_name, rid", "character_name, server_id, rid",
			servers, nil, limit, offset)
		rows, err := db.db.QueryContext(ctx, q, qargs...)
		if err != nil {
			return nil, 0, wrap(op, err)
		}
		ps, err := scanPlayersRowid(rows, op)
		out := make([]PlayerRow, len(ps))
		for i, p := range ps {
			out[i] = p.PlayerRow
		}
		return out, total, err
	}
	hits, err := db.matchNames(ctx, op, `SELECT rowid, character_name, platform_name FROM players WHERE server_id IN `+in, args, 2, needle)
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(hits, func(a, b nameHit) int { return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.rowid, b.rowid)) })
	page := pageOf(hits, limit, offset)
	if len(page) == 0 {
		return nil, len(hits), nil
	}
	ids := make([]any, len(page))
	for i, h := range page {
		ids[i] = h.rowid
	}
	rows, err := db.db.QueryContext(ctx, `SELECT rowid, `+infoPlayerCols+` FROM players WHERE rowid IN `+idList(len(ids)), ids...)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	got, err := scanPlayersRowid(rows, op)
	if err != nil {
		return nil, 0, err
	}
	out := make([]PlayerRow, 0, len(got))
	for _, h := range page {
		for _, p := range got {
			if p.rowid == h.rowid {
				out = append(out, p.PlayerRow)
			}
		}
	}
	return out, len(hits), nil
}

type playerRowid struct {
	PlayerRow
	rowid int64
}

func scanPlayersRowid(rows *sql.Rows, op string) ([]playerRowid, error) {
	defer rows.Close()
	var out []playerRowid
	for rows.Next() {
		var p playerRowid
		var id int64
		var login sql.NullString
		var x, y, z, lat, lon sql.NullFloat64
		if err := rows.Scan(&p.rowid, &p.ServerID, &id, &p.EOSID, &p.PlatformName, &p.CharacterName, &p.Level, &p.TribeID,
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

// FindPlayers returns up to limit players of servers whose character or
// platform name (folded) equals name, or, when none does, contains it; or
// whose EOS id equals name.
func (db *DB) FindPlayers(ctx context.Context, servers []int64, name string, limit int) ([]PlayerRow, error) {
	if limit <= 0 {
		limit = 25
	}
	needle := FoldText(strings.TrimSpace(name))
	if needle == "" {
		return nil, nil
	}
	all, _, err := db.InfoPlayers(ctx, servers, needle, 500, 0)
	if err != nil {
		return nil, err
	}
	var exact []PlayerRow
	for _, p := range all {
		if FoldText(p.CharacterName) == needle || FoldText(p.PlatformName) == needle {
			exact = append(exact, p)
		}
	}
	if len(exact) > 0 {
		return exact[:min(limit, len(exact))], nil
	}
	if len(all) == 0 && len(needle) == 32 {
		in, args, err := scopeArgs("find players", servers)
		if err != nil {
			return nil, err
		}
		rows, err := db.db.QueryContext(ctx, `SELECT `+infoPlayerCols+` FROM players WHERE eos_id IN (?, ?) AND server_id IN `+in+` LIMIT ?`,
			append(append([]any{needle, strings.ToUpper(needle)}, args...), limit)...)
		if err != nil {
			return nil, wrap("find players", err)
		}
		return scanPlayers(rows, "find players")
	}
	return all[:min(limit, len(all))], nil
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
		var raw []int64
		if err := json.Unmarshal([]byte(ids), &raw); err != nil {
			return nil, wrap(op, fmt.Errorf("member_ids: %w", err))
		}
		for _, id := range raw {
			t.MemberIDs = append(t.MemberIDs, uint64(id))
		}
		if err := json.Unmarshal([]byte(names), &t.Members); err != nil {
			return nil, wrap(op, fmt.Errorf("member_names: %w", err))
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

const infoTribeCols = `server_id, tribe_id, name, owner_id, member_ids, member_names, tamed_dinos, structures`

// InfoTribes returns one page of the tribes of servers whose name contains
// search (case- and accent-insensitive; "" = all), most structures first,
// and the number of matches.
func (db *DB) InfoTribes(ctx context.Context, servers []int64, search string, limit, offset int) ([]TribeRow, int, error) {
	const op = "info tribes"
	in, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	needle := FoldText(strings.TrimSpace(search))
	if needle == "" {
		var total int
		if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM tribes WHERE server_id IN `+in, args...).Scan(&total); err != nil {
			return nil, 0, wrap(op, err)
		}
		rows, err := db.db.QueryContext(ctx, `SELECT `+infoTribeCols+` FROM tribes WHERE server_id IN `+in+`
		ORDER BY structures DESC, tamed_dinos DESC, name, server_id, tribe_id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
		if err != nil {
			return nil, 0, wrap(op, err)
		}
		ts, err := scanTribes(rows, op)
		return ts, total, err
	}
	hits, err := db.matchNames(ctx, op, `SELECT rowid, name FROM tribes WHERE server_id IN `+in, args, 1, needle)
	if err != nil {
		return nil, 0, err
	}
	if len(hits) == 0 {
		return nil, 0, nil
	}
	// Order matches like the unfiltered list: load them (tribes are few).
	ids := make([]any, 0, len(hits))
	for _, h := range hits[:min(len(hits), 2000)] {
		ids = append(ids, h.rowid)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+infoTribeCols+` FROM tribes WHERE rowid IN `+idList(len(ids))+`
	ORDER BY structures DESC, tamed_dinos DESC, name, server_id, tribe_id`, ids...)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	ts, err := scanTribes(rows, op)
	if err != nil {
		return nil, 0, err
	}
	return pageOf(ts, limit, offset), len(hits), nil
}

// TribeRef names one tribe of one server.
type TribeRef struct {
	ServerID int64
	TribeID  int64
}

// FindTribes returns the tribes of servers whose folded name equals name,
// or, when none does, contains it (at most limit, largest first).
func (db *DB) FindTribes(ctx context.Context, servers []int64, name string, limit int) ([]TribeRow, error) {
	if limit <= 0 {
		limit = 25
	}
	needle := FoldText(strings.TrimSpace(name))
	if needle == "" {
		return nil, nil
	}
	all, _, err := db.InfoTribes(ctx, servers, needle, 500, 0)
	if err != nil {
		return nil, err
	}
	var exact []TribeRow
	for _, t := range all {
		if FoldText(t.Name) == needle {
			exact = append(exact, t)
		}
	}
	if len(exact) > 0 {
		return exact[:min(limit, len(exact))], nil
	}
	return all[:min(limit, len(all))], nil
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
	rows, err := db.db.QueryContext(ctx, `SELECT class, count(*) AS n FROM dinos WHERE server_id = ? AND tribe_id = ?
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

// InfoDinos returns one page of the tamed dinos of servers matching f,
// highest level first, and the number of matches.
func (db *DB) InfoDinos(ctx context.Context, servers []int64, f InfoDinoFilter) ([]DinoRow, int, error) {
	const op = "info dinos"
	in, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, 0, err
	}
	if f.Tribes != nil && len(f.Tribes) == 0 {
		return nil, 0, nil
	}
	limit, offset := pageArgs(f.Limit, f.Offset)
	var filter string
	var fargs []any
	if len(f.Tribes) > 0 {
		ts := f.Tribes[:min(len(f.Tribes), 400)]
		filter += ` AND (server_id, tribe_id) IN (VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?),", len(ts)), ",") + `)`
		for _, t := range ts {
			fargs = append(fargs, t.ServerID, t.TribeID)
		}
	}
	if c := FoldText(strings.TrimSpace(f.Class)); c != "" {
		// Classes are ASCII blueprint names, so NOCASE LIKE is enough once
		// the search text is folded.
		filter += ` AND class LIKE ? ESCAPE '\'`
		fargs = append(fargs, likePattern(c))
	}
	if f.MinLevel > 0 {
		filter += ` AND level >= ?`
		fargs = append(fargs, f.MinLevel)
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM dinos WHERE server_id IN `+in+filter, append(args, fargs...)...).Scan(&total); err != nil {
		return nil, 0, wrap(op, err)
	}
	if offset >= total {
		return nil, total, nil
	}
	const dinoCols = `server_id, guid, dino_id, class, name, level, sex, tribe_id, tribe_name, owner_name, cryopodded,
	tamed_at_game, x, y, z, lat, lon, seq`
	const dinoOrder = "level DESC, class DESC, server_id, tribe_id DESC, seq DESC"
	q, qargs := topN(dinoCols, "dinos", filter, "level DESC, class DESC, tribe_id DESC, seq DESC", dinoOrder, servers, fargs, limit, offset)
	if len(f.Tribes) > 0 {
		// A tribe filter selects few rows: look them up by primary key
		// (server_id, tribe_id) and sort just those.
		q = `SELECT ` + dinoCols + ` FROM dinos WHERE server_id IN ` + in + filter + ` ORDER BY ` + dinoOrder + ` LIMIT ? OFFSET ?`
		qargs = append(append(append([]any{}, args...), fargs...), limit, offset)
	}
	rows, err := db.db.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	defer rows.Close()
	var out []DinoRow
	for rows.Next() {
		var d DinoRow
		var guid []byte
		var id, seq int64
		var sex int
		var x, y, z, lat, lon sql.NullFloat64
		if err := rows.Scan(&d.ServerID, &guid, &id, &d.Class, &d.Name, &d.Level, &sex, &d.TribeID, &d.TribeName,
			&d.OwnerName, &d.Cryopodded, &d.TamedAtGame, &x, &y, &z, &lat, &lon, &seq); err != nil {
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

// InfoBases returns one page of the bases of servers matching f and the
// number of matches.
func (db *DB) InfoBases(ctx context.Context, servers []int64, f InfoBaseFilter) ([]BaseRow, int, error) {
	const op = "info bases"
	in, args, err := scopeArgs(op, servers)
	if err != nil {
		return nil, 0, err
	}
	if f.Tribes != nil && len(f.Tribes) == 0 {
		return nil, 0, nil
	}
	limit, offset := pageArgs(f.Limit, f.Offset)
	var filter string
	var fargs []any
	if len(f.Tribes) > 0 {
		ts := f.Tribes[:min(len(f.Tribes), 400)]
		filter += ` AND (server_id, owner) IN (VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?),", len(ts)), ",") + `)`
		for _, t := range ts {
			fargs = append(fargs, t.ServerID, t.TribeID)
		}
	}
	inner, outer := "structures DESC, rid DESC", "structures DESC, server_id, rid DESC" // walks bases_structures
	switch {
	case !f.DecaysBefore.IsZero():
		filter += ` AND decays_at IS NOT NULL AND decays_at < ?`
		fargs = append(fargs, snapTime(f.DecaysBefore))
		inner, outer = "decays_at, rid", "decays_at, server_id, rid" // walks bases_decays_at
	case f.OrderByDecay:
		inner, outer = "decays_at IS NULL, decays_at, rid", "decays_at IS NULL, decays_at, server_id, rid"
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM bases WHERE server_id IN `+in+filter, append(args, fargs...)...).Scan(&total); err != nil {
		return nil, 0, wrap(op, err)
	}
	if offset >= total {
		return nil, total, nil
	}
	const baseCols = `server_id, seq, owner, owner_name, structures, by_material, storage_count,
	foundations, tamed_dinos, x, y, z, lat, lon, min_x, min_y, min_z, max_x, max_y, max_z, decay_tier, decay_ns,
	last_refresh, refresh_known, decays_at, rowid AS rid`
	q, qargs := topN(baseCols, "bases", filter, inner, outer, servers, fargs, limit, offset)
	if len(f.Tribes) > 0 {
		// A tribe's bases are few: filter first, sort just those.
		q = `SELECT ` + baseCols + ` FROM bases WHERE server_id IN ` + in + filter + ` ORDER BY ` + outer + ` LIMIT ? OFFSET ?`
		qargs = append(append(append([]any{}, args...), fargs...), limit, offset)
	}
	rows, err := db.db.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	defer rows.Close()
	var out []BaseRow
	for rows.Next() {
		var b BaseRow
		var byMat string
		var lat, lon sql.NullFloat64
		var decay int64
		var refresh, decays sql.NullString
		var rid int64
		if err := rows.Scan(&b.ServerID, &b.Seq, &b.Owner, &b.OwnerName, &b.Structures, &byMat, &b.StorageCount, &b.Foundations,
			&b.TamedDinos, &b.Center.X, &b.Center.Y, &b.Center.Z, &lat, &lon, &b.Min.X, &b.Min.Y, &b.Min.Z,
			&b.Max.X, &b.Max.Y, &b.Max.Z, &b.DecayTier, &decay, &refresh, &b.RefreshKnown, &decays, &rid); err != nil {
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
	rows, err := db.db.QueryContext(ctx, q, args...)
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
	err := db.db.QueryRowContext(ctx, `SELECT map FROM save_snapshots WHERE server_id = ? ORDER BY id DESC LIMIT 1`, serverID).Scan(&m)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return m, wrap2("snapshot map", err)
}
