package storage

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Bulk inserts of a snapshot bypass database/sql. modernc.org/sqlite's
// driver.Stmt keeps only the SQL text: every Exec re-prepares (parses and
// code-generates) the statement, binds each parameter after an O(n) search
// of the arguments and finalizes it again, and database/sql adds argument
// conversion, allocations and a context goroutine per call. Measured on a
// 199k-row snapshot that was two thirds of the write time. rowWriter
// prepares each INSERT once per transaction (sqlite3_prepare_v3) and steps
// it per row with values bound straight into SQLite.
//
// The sqlite3 handle is taken from the driver connection handed out by
// (*sql.Conn).Raw, which guarantees exclusive use for the duration of the
// callback. If the driver's connection type ever changes shape, rawSQLite
// reports false and the writers fall back to driver.Stmt execution (slower,
// same results).

// rowWriter inserts rows through one prepared INSERT. Parameter indexes are
// 1-based. A bind error is kept and reported by exec.
type rowWriter interface {
	int(i int, v int64)
	real(i int, v float64) // non-finite: NULL
	null(i int)
	text(i int, v string)
	blob(i int, v []byte)
	exec() error    // executes the statement with the bound row
	changes() int64 // rows changed by the last exec
	close()
}

func insertSQL(table string, cols []string) string {
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
}

// newInsertWriter prepares the INSERT of cols into table.
func newInsertWriter(ctx context.Context, dc any, table string, cols []string) (rowWriter, error) {
	return newRowWriter(ctx, dc, table, insertSQL(table, cols), len(cols))
}

// forceDriverWriter makes newRowWriter use the driver.Stmt fallback (tests).
var forceDriverWriter = false

// newRowWriter prepares the statement q (which writes table, with nargs
// parameters) on the driver connection dc (from (*sql.Conn).Raw).
func newRowWriter(ctx context.Context, dc any, table, q string, nargs int) (rowWriter, error) {
	if c, ok := rawSQLite(dc); ok && !forceDriverWriter {
		w, err := c.prepare(q, table)
		if err != nil {
			return nil, fmt.Errorf("%s: prepare: %w", table, err)
		}
		return w, nil
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("%s: driver connection %T cannot prepare", table, dc)
	}
	st, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: prepare: %w", table, err)
	}
	se, ok := st.(driver.StmtExecContext)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("%s: driver statement %T cannot exec", table, st)
	}
	w := &driverWriter{st: st, se: se, table: table, args: make([]driver.NamedValue, nargs)}
	for i := range w.args {
		w.args[i].Ordinal = i + 1
	}
	return w, nil
}

// rawConn is the sqlite3 handle of a modernc.org/sqlite connection.
type rawConn struct {
	tls *libc.TLS
	db  uintptr // sqlite3*
}

var tlsType = reflect.TypeFor[*libc.TLS]()

// rawSQLite extracts the sqlite3 handle from a modernc.org/sqlite driver
// connection (fields db uintptr, tls *libc.TLS), checking the shape so that
// a driver upgrade that changes it falls back instead of crashing.
func rawSQLite(dc any) (rawConn, bool) {
	v := reflect.ValueOf(dc)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return rawConn{}, false
	}
	e := v.Elem()
	t := e.Type()
	if t.Kind() != reflect.Struct || t.PkgPath() != "modernc.org/sqlite" || t.Name() != "conn" {
		return rawConn{}, false
	}
	fdb, ftls := e.FieldByName("db"), e.FieldByName("tls")
	if !fdb.IsValid() || fdb.Kind() != reflect.Uintptr || !ftls.IsValid() || ftls.Type() != tlsType {
		return rawConn{}, false
	}
	c := rawConn{
		db:  *(*uintptr)(unsafe.Pointer(fdb.UnsafeAddr())),
		tls: *(**libc.TLS)(unsafe.Pointer(ftls.UnsafeAddr())),
	}
	return c, c.db != 0 && c.tls != nil
}

// cmem views n bytes of C (SQLite-allocated, non-Go) memory at p.
func cmem(p uintptr, n int) []byte {
	return unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), n)
}

// sqliteError is an error from a direct sqlite3 call.
type sqliteError struct {
	code int
	msg  string
}

func (e *sqliteError) Error() string { return fmt.Sprintf("%s (%d)", e.msg, e.code) }

// Code returns the extended result code, like sqlite.Error.
func (e *sqliteError) Code() int { return e.code }

func (c rawConn) err(rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	if msg == "" {
		msg = libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	}
	code := int(sqlite3.Xsqlite3_extended_errcode(c.tls, c.db))
	if code&0xff != int(rc)&0xff {
		code = int(rc)
	}
	return &sqliteError{code: code, msg: msg}
}

func (c rawConn) prepare(q, table string) (*rawWriter, error) {
	// One allocation: the stmt pointer followed by the NUL-terminated SQL.
	n := len(q) + 1
	mem := sqlite3.Xsqlite3_malloc64(c.tls, uint64(8+n))
	if mem == 0 {
		return nil, &sqliteError{code: sqlite3.SQLITE_NOMEM, msg: "out of memory"}
	}
	defer sqlite3.Xsqlite3_free(c.tls, mem)
	b := cmem(mem, 8+n)
	clear(b[:8])
	copy(b[8:], q)
	b[8+len(q)] = 0
	if rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, mem+8, int32(n), sqlite3.SQLITE_PREPARE_PERSISTENT, mem, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.err(rc)
	}
	w := &rawWriter{c: c, table: table}
	w.stmt = *(*uintptr)(unsafe.Pointer(&b[0]))
	if err := w.grow(4096); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// rawWriter steps one prepared statement. Text and blob values are copied
// into an arena of C memory and bound SQLITE_STATIC; the arena is reused
// once the row is stepped and the statement reset.
type rawWriter struct {
	c     rawConn
	table string
	stmt  uintptr
	rc    int32 // first bind error of the row

	buf      uintptr // arena
	size, at int
	retired  []uintptr // arenas outgrown by the current row
}

func (w *rawWriter) grow(need int) error {
	size := max(2*w.size, need, 4096)
	p := sqlite3.Xsqlite3_malloc64(w.c.tls, uint64(size))
	if p == 0 {
		return &sqliteError{code: sqlite3.SQLITE_NOMEM, msg: "out of memory"}
	}
	if w.buf != 0 {
		w.retired = append(w.retired, w.buf) // still bound to this row
	}
	w.buf, w.size, w.at = p, size, 0
	return nil
}

// put copies s into the arena and returns its address (never 0, so that an
// empty string binds as ” rather than NULL).
func (w *rawWriter) put(s string) uintptr {
	if w.at+len(s) > w.size {
		if err := w.grow(len(s)); err != nil {
			w.fail(sqlite3.SQLITE_NOMEM)
			return 0
		}
	}
	p := w.buf + uintptr(w.at)
	copy(cmem(w.buf, w.size)[w.at:], s)
	w.at += len(s)
	return p
}

func (w *rawWriter) fail(rc int32) {
	if rc != sqlite3.SQLITE_OK && w.rc == sqlite3.SQLITE_OK {
		w.rc = rc
	}
}

func (w *rawWriter) int(i int, v int64) {
	w.fail(sqlite3.Xsqlite3_bind_int64(w.c.tls, w.stmt, int32(i), v))
}

func (w *rawWriter) real(i int, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		w.null(i)
		return
	}
	w.fail(sqlite3.Xsqlite3_bind_double(w.c.tls, w.stmt, int32(i), v))
}

func (w *rawWriter) null(i int) {
	w.fail(sqlite3.Xsqlite3_bind_null(w.c.tls, w.stmt, int32(i)))
}

func (w *rawWriter) text(i int, v string) {
	if len(v) > math.MaxInt32 {
		w.fail(sqlite3.SQLITE_TOOBIG)
		return
	}
	if p := w.put(v); p != 0 {
		w.fail(sqlite3.Xsqlite3_bind_text(w.c.tls, w.stmt, int32(i), p, int32(len(v)), 0))
	}
}

func (w *rawWriter) blob(i int, v []byte) {
	if len(v) > math.MaxInt32 {
		w.fail(sqlite3.SQLITE_TOOBIG)
		return
	}
	if p := w.put(string(v)); p != 0 { // no allocation: the conversion does not escape
		w.fail(sqlite3.Xsqlite3_bind_blob(w.c.tls, w.stmt, int32(i), p, int32(len(v)), 0))
	}
}

func (w *rawWriter) exec() (err error) {
	if w.rc != sqlite3.SQLITE_OK {
		err = fmt.Errorf("%s: bind: %w", w.table, w.c.err(w.rc))
	} else if rc := sqlite3.Xsqlite3_step(w.c.tls, w.stmt); rc != sqlite3.SQLITE_DONE {
		err = fmt.Errorf("%s: insert: %w", w.table, w.c.err(rc))
	}
	sqlite3.Xsqlite3_reset(w.c.tls, w.stmt)
	w.rc = sqlite3.SQLITE_OK
	w.at = 0
	for _, p := range w.retired {
		sqlite3.Xsqlite3_free(w.c.tls, p)
	}
	w.retired = w.retired[:0]
	return err
}

func (w *rawWriter) changes() int64 { return sqlite3.Xsqlite3_changes64(w.c.tls, w.c.db) }

func (w *rawWriter) close() {
	if w.stmt != 0 {
		sqlite3.Xsqlite3_finalize(w.c.tls, w.stmt)
		w.stmt = 0
	}
	for _, p := range append(w.retired, w.buf) {
		if p != 0 {
			sqlite3.Xsqlite3_free(w.c.tls, p)
		}
	}
	w.retired, w.buf, w.size, w.at = nil, 0, 0, 0
}

// driverWriter is the fallback: a driver.Stmt executed with one reused
// argument slice.
type driverWriter struct {
	st    driver.Stmt
	se    driver.StmtExecContext
	table string
	args  []driver.NamedValue
	n     int64
}

func (w *driverWriter) int(i int, v int64) { w.args[i-1].Value = v }
func (w *driverWriter) real(i int, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		w.args[i-1].Value = nil
		return
	}
	w.args[i-1].Value = v
}
func (w *driverWriter) null(i int)           { w.args[i-1].Value = nil }
func (w *driverWriter) text(i int, v string) { w.args[i-1].Value = v }
func (w *driverWriter) blob(i int, v []byte) { w.args[i-1].Value = v }

func (w *driverWriter) exec() error {
	// Background: the caller checks its context between rows, and modernc
	// starts an interrupt goroutine per call for a cancellable context.
	w.n = 0
	res, err := w.se.ExecContext(context.Background(), w.args)
	if err != nil {
		return fmt.Errorf("%s: insert: %w", w.table, err)
	}
	if w.n, err = res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: insert: %w", w.table, err)
	}
	return nil
}

func (w *driverWriter) changes() int64 { return w.n }

func (w *driverWriter) close() { w.st.Close() }
