module github.com/blissark/bliss

go 1.26.0

require (
	github.com/bwmarrin/discordgo v0.29.0
	github.com/dgraph-io/ristretto/v2 v2.3.0
	github.com/gorcon/rcon v1.3.5
	github.com/gorilla/websocket v1.4.2
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/olebedev/when v1.1.0
	github.com/robfig/cron/v3 v3.0.1
	go.etcd.io/bbolt v1.4.3
	golang.org/x/image v0.33.0
	golang.org/x/sync v0.24.0
	golang.org/x/time v0.12.0
	modernc.org/libc v1.80.1
	modernc.org/sqlite v1.62.0
)

require (
	github.com/AlekSi/pointer v1.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/pkg/errors v0.8.1 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/crypto v0.0.0-20210421170649-83a5a9bb288b // indirect
	golang.org/x/sys v0.49.0 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)
