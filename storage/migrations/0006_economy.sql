-- The economy: one append-only ledger for Activity Points ('ap') and
-- Guardian Points ('gp'), balances cached beside it, linked accounts, the
-- shop catalogue, orders and Nitrado boosts. Times are Unix nanoseconds.

-- Every award, purchase, refund, donation credit and staff adjustment is one
-- row. key makes retrying any of them harmless. Rows are never updated or
-- deleted.
CREATE TABLE ledger (
	id         INTEGER PRIMARY KEY,
	guild_id   TEXT NOT NULL,
	account    TEXT NOT NULL,               -- Discord user id
	kind       TEXT NOT NULL CHECK (kind IN ('ap', 'gp')),
	amount     INTEGER NOT NULL CHECK (amount <> 0),
	reason     TEXT NOT NULL,               -- award, purchase, refund, give, take, donation
	reference  TEXT NOT NULL DEFAULT '',    -- order id, boost id, period, staff note
	key        TEXT NOT NULL UNIQUE,
	actor      TEXT NOT NULL DEFAULT '',    -- Discord id of staff, '' for the appliance
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX ledger_account ON ledger (guild_id, kind, account, id);
CREATE INDEX ledger_time ON ledger (guild_id, kind, created_at);

-- Cached sum of ledger.amount per account, updated in the transaction that
-- appends the entry; never below zero.
CREATE TABLE balances (
	guild_id   TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('ap', 'gp')),
	account    TEXT NOT NULL,
	balance    INTEGER NOT NULL CHECK (balance >= 0),
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (guild_id, kind, account)
) STRICT, WITHOUT ROWID;

CREATE INDEX balances_top ON balances (guild_id, kind, balance DESC);

-- Points awarded for play time per account and UTC day ("2026-12-03"), kept
-- with the ledger entry in one transaction: the daily cap reads it.
CREATE TABLE award_days (
	guild_id TEXT NOT NULL,
	account  TEXT NOT NULL,
	day      TEXT NOT NULL,
	points   INTEGER NOT NULL,
	PRIMARY KEY (guild_id, account, day)
) STRICT, WITHOUT ROWID;

-- Discord account ↔ in-game identity.
CREATE TABLE links (
	guild_id   TEXT NOT NULL,
	discord_id TEXT NOT NULL,
	eos_id     TEXT NOT NULL,
	name       TEXT NOT NULL DEFAULT '',   -- character or platform name when linked
	player_id  INTEGER NOT NULL DEFAULT 0, -- ARK's numeric id for GiveItemToPlayer, 0 unknown
	linked_by  TEXT NOT NULL DEFAULT '',   -- '' self-verified by chat code, else staff id
	linked_at  INTEGER NOT NULL,
	PRIMARY KEY (guild_id, discord_id),
	UNIQUE (guild_id, eos_id)
) STRICT, WITHOUT ROWID;

-- One-time codes: 'game' codes are said in global chat, 'nitrado' codes are
-- put in a boost message.
CREATE TABLE link_codes (
	code       TEXT PRIMARY KEY,
	guild_id   TEXT NOT NULL,
	discord_id TEXT NOT NULL,
	purpose    TEXT NOT NULL CHECK (purpose IN ('game', 'nitrado')),
	subject    TEXT NOT NULL DEFAULT '',   -- nitrado username for 'nitrado'
	expires_at INTEGER NOT NULL,
	used_at    INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE INDEX link_codes_user ON link_codes (guild_id, discord_id, purpose);

-- Nitrado account (boost username, lower-cased) → Discord account.
CREATE TABLE donor_links (
	guild_id   TEXT NOT NULL,
	username   TEXT NOT NULL,
	discord_id TEXT NOT NULL,
	linked_by  TEXT NOT NULL DEFAULT '',
	linked_at  INTEGER NOT NULL,
	PRIMARY KEY (guild_id, username)
) STRICT, WITHOUT ROWID;

-- The catalogue, per guild and currency.
CREATE TABLE shop_items (
	id          INTEGER PRIMARY KEY,
	guild_id    TEXT NOT NULL,
	currency    TEXT NOT NULL CHECK (currency IN ('ap', 'gp')),
	name        TEXT NOT NULL COLLATE NOCASE,
	description TEXT NOT NULL DEFAULT '',
	price       INTEGER NOT NULL CHECK (price > 0),
	kind        TEXT NOT NULL CHECK (kind IN ('item', 'dino', 'command', 'desk')),
	blueprint   TEXT NOT NULL DEFAULT '',
	quantity    INTEGER NOT NULL DEFAULT 1,
	quality     INTEGER NOT NULL DEFAULT 0,
	as_bp       INTEGER NOT NULL DEFAULT 0,
	command     TEXT NOT NULL DEFAULT '',  -- dino spawn or command template
	max_per     INTEGER NOT NULL DEFAULT 0, -- per-player limit, 0 none
	cooldown    INTEGER NOT NULL DEFAULT 0, -- nanoseconds between purchases
	servers     TEXT NOT NULL DEFAULT '',  -- comma-separated service ids, '' all
	active      INTEGER NOT NULL DEFAULT 1,
	created_at  INTEGER NOT NULL,
	UNIQUE (guild_id, currency, name)
) STRICT;

-- Orders. state: pending (waiting for delivery), sending (command being
-- sent), delivered, unconfirmed (sent, reply proved nothing), refunded,
-- open/accepted/fulfilled/refused (order desk). The delivery outbox row of
-- order N has key 'delivery:N'.
CREATE TABLE orders (
	id         INTEGER PRIMARY KEY,
	guild_id   TEXT NOT NULL,
	currency   TEXT NOT NULL,
	account    TEXT NOT NULL,
	item_id    INTEGER NOT NULL,
	item_name  TEXT NOT NULL,
	price      INTEGER NOT NULL,
	service_id INTEGER NOT NULL DEFAULT 0,
	state      TEXT NOT NULL,
	key        TEXT NOT NULL UNIQUE,
	failures   INTEGER NOT NULL DEFAULT 0,
	note       TEXT NOT NULL DEFAULT '',
	handled_by TEXT NOT NULL DEFAULT '',
	desk_msg   TEXT NOT NULL DEFAULT '',   -- channel:message of the order-desk post
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX orders_account ON orders (guild_id, account, id);
CREATE INDEX orders_state ON orders (guild_id, state, id);

-- Nitrado boosts, once each per (service, boost id).
CREATE TABLE boosts (
	id          INTEGER PRIMARY KEY,
	service_id  INTEGER NOT NULL,
	boost_id    INTEGER NOT NULL,           -- Nitrado id; negative hash of (username, boosted_at) when absent
	guild_id    TEXT NOT NULL,
	username    TEXT NOT NULL DEFAULT '',  -- lower-cased
	extended_s  INTEGER NOT NULL DEFAULT 0,
	amount_raw  TEXT NOT NULL DEFAULT '',
	cents       INTEGER NOT NULL DEFAULT 0,
	currency    TEXT NOT NULL DEFAULT '',
	message     TEXT NOT NULL DEFAULT '',
	boosted_at  INTEGER NOT NULL DEFAULT 0,
	flags       TEXT NOT NULL DEFAULT '',  -- why it is suspect: 'amount', 'extended_for', 'username', ...
	gp          INTEGER NOT NULL DEFAULT 0, -- GP this boost is worth (rate at ingestion)
	credited    INTEGER NOT NULL DEFAULT 0, -- 1 once credited to a linked donor
	imported    INTEGER NOT NULL DEFAULT 0, -- 1 when recorded by a first-run import (not announced)
	created_at  INTEGER NOT NULL,
	UNIQUE (service_id, boost_id)
) STRICT;

CREATE INDEX boosts_user ON boosts (guild_id, username);
CREATE INDEX boosts_time ON boosts (guild_id, boosted_at);
