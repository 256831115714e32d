package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"

	"modernc.org/libc"
)

// groupCommit runs small write transactions of many concurrent callers
// (purchases, ledger posts) together: one caller leads, runs everything
// queued so far in one IMMEDIATE transaction, each request inside its own
// SAVEPOINT (a request that fails is rolled back alone), commits once, and
// hands the lead to the next waiter. Callers see ordinary transactions: a
// request's effects are committed when it returns nil. No goroutine is
// started; the lead is always a caller.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*gcReq
	running bool
	stmts   *stmtCache   // the DB's; nil runs statements unprepared
	txs     atomic.Int64 // transactions run
	reqs    atomic.Int64 // requests run in them
}

// GroupCommitStats returns how many grouped transactions ran and how many
// requests they carried (reqs/txs is the mean group size).
func (db *DB) GroupCommitStats() (txs, reqs int64) { return db.gc.txs.Load(), db.gc.reqs.Load() }

// txn is the transaction a grouped request runs in, with a memo of rows
// read in it that the group's requests share (shop items: the catalogue is
// written outside grouped transactions, and an IMMEDIATE transaction sees
// no other writer's commits, so a memo is exact for its lifetime).
// Statements run through the DB's statement cache, bound to the
// transaction once per query text.
type txn struct {
	tx    *sql.Tx
	db    *sql.DB
	cache *stmtCache
	memo  *txMemo
}

type itemKey struct {
	guild string
	cur   Currency
	id    int64
}

type txMemo struct {
	items map[itemKey]ShopItem
	stmts map[string]*sql.Stmt // cached statements bound to this transaction
}

func (g *groupCommit) newTxn(tx *sql.Tx, db *sql.DB) txn {
	return txn{tx: tx, db: db, cache: g.stmts, memo: &txMemo{}}
}

// stmt returns q's cached statement bound to the transaction, or nil to
// run q unprepared.
func (t txn) stmt(ctx context.Context, q string) *sql.Stmt {
	if s, ok := t.memo.stmts[q]; ok {
		return s
	}
	if t.cache == nil {
		return nil
	}
	s := t.cache.get(ctx, t.db, q)
	if s != nil {
		s = t.tx.StmtContext(ctx, s)
	}
	if t.memo.stmts == nil {
		t.memo.stmts = map[string]*sql.Stmt{}
	}
	t.memo.stmts[q] = s
	return s
}

// item reads a shop item once per transaction (sql.ErrNoRows when absent).
func (t txn) item(ctx context.Context, guildID string, cur Currency, id int64) (ShopItem, error) {
	k := itemKey{guildID, cur, id}
	if it, ok := t.memo.items[k]; ok {
		return it, nil
	}
	it, err := scanItem(t.QueryRowContext(ctx, `SELECT `+itemCols+` FROM shop_items WHERE id = ? AND guild_id = ? AND currency = ?`,
		id, guildID, string(cur)))
	if err != nil {
		return ShopItem{}, err
	}
	if t.memo.items == nil {
		t.memo.items = map[itemKey]ShopItem{}
	}
	t.memo.items[k] = it
	return it, nil
}

func (t txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

func (t txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

type gcReq struct {
	ctx   context.Context
	fn    func(tx txn) error
	clean bool       // writes nothing before a refusal: runs without a savepoint
	done  chan error // result, or errLead when this caller must lead
	err   error
}

// maxGroup bounds one transaction's requests so a lead returns soon.
const maxGroup = 256

type leadSignal struct{}

func (leadSignal) Error() string { return "lead" }

var errLead error = leadSignal{}

// warmAllocator keeps one small block of every size class of the C
// allocator that modernc's SQLite runs on allocated for the life of the
// process (16 B to 16 KiB: about 32 KiB in all). That allocator returns a
// 64 KiB page to the kernel the moment its last block is freed, and every
// statement prepares, runs and frees its own program, so without a block
// that stays, each statement mapped and unmapped pages again: a fifth of
// a purchase's CPU time was mmap and munmap (BenchmarkPurchase profile).
// The allocator is process-wide already; this only keeps one page per
// size class mapped. Idempotent.
var warmAllocator = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	for log := 4; log <= 14; log++ {
		libc.Xmalloc(tls, libc.Tsize_t(1)<<log) // never freed, on purpose
	}
})

func (g *groupCommit) do(ctx context.Context, db *sql.DB, fn func(tx txn) error, clean bool) error {
	warmAllocator()
	r := &gcReq{ctx: ctx, fn: fn, clean: clean, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if !lead {
		// A queued request is always run (or failed) by some lead, so
		// waiting without ctx cannot hang; ctx cancellation makes the
		// request's own statements fail inside its savepoint.
		if err := <-r.done; err != errLead {
			return err
		}
	}
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.run(ctx, db, batch)
		g.mu.Lock()
		mine := false
		for _, b := range batch {
			mine = mine || b == r
		}
		if len(g.queue) == 0 {
			g.running = false
			g.mu.Unlock()
			if mine {
				return r.err
			}
			continue // cannot happen: r is in the queue or a batch
		}
		if mine {
			next := g.queue[0]
			g.mu.Unlock()
			next.done <- errLead // hand over the lead
			return r.err
		}
		g.mu.Unlock()
	}
}

func (g *groupCommit) run(ctx context.Context, db *sql.DB, batch []*gcReq) {
	finish := func(err error) {
		for _, b := range batch {
			if err != nil {
				b.err = err
			}
			if b.done != nil {
				select {
				case b.done <- b.err:
				default:
				}
			}
		}
	}
	g.txs.Add(1)
	g.reqs.Add(int64(len(batch)))
	tctx := context.WithoutCancel(ctx)
	tx, err := db.BeginTx(tctx, nil)
	if err != nil {
		finish(err)
		return
	}
	t := g.newTxn(tx, db)
	if len(batch) == 1 { // alone: no savepoint needed, a failure rolls back the transaction
		b := batch[0]
		if b.err = b.ctx.Err(); b.err == nil {
			b.err = safeRun(b.fn, t)
		}
		if b.err != nil {
			_ = tx.Rollback()
			finish(nil)
			return
		}
	}
	for _, b := range batch {
		if len(batch) == 1 {
			break
		}
		if err := b.ctx.Err(); err != nil {
			b.err = err
			continue
		}
		if b.clean {
			if b.err = safeRun(b.fn, t); b.err != nil && !refusal(b.err) {
				// It may have written part of its work: start over, one
				// transaction per request.
				_ = tx.Rollback()
				for _, x := range batch {
					g.runAlone(tctx, db, x)
				}
				finish(nil)
				return
			}
			continue
		}
		if _, err := t.ExecContext(tctx, `SAVEPOINT gc`); err != nil {
			_ = tx.Rollback()
			finish(err)
			return
		}
		b.err = safeRun(b.fn, t)
		if b.err != nil {
			if _, err := t.ExecContext(tctx, `ROLLBACK TO gc`); err != nil {
				_ = tx.Rollback()
				finish(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := t.ExecContext(tctx, `RELEASE gc`); err != nil {
			_ = tx.Rollback()
			finish(err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		finish(err)
		return
	}
	finish(nil)
}

// runAlone runs one request in its own transaction.
func (g *groupCommit) runAlone(ctx context.Context, db *sql.DB, b *gcReq) {
	if b.err = b.ctx.Err(); b.err != nil {
		return
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.err = err
		return
	}
	if b.err = safeRun(b.fn, g.newTxn(tx, db)); b.err != nil {
		_ = tx.Rollback()
		return
	}
	b.err = tx.Commit()
}

// safeRun runs fn, turning a panic into an error: a panicking request must
// not leave the lead unreleased (every later write would wait forever).
func safeRun(fn func(tx txn) error, tx txn) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("storage: grouped write panicked: %v", p)
		}
	}()
	return fn(tx)
}
