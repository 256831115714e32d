package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/blissark/bliss/app/nitrado/nitradotest"
	"github.com/blissark/bliss/app/rcon/rcontest"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/discordtest"
	"github.com/blissark/bliss/storage"
)

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// feedRig is the real bliss binary against the fakes: Discord with the
// Master and Server bots in one guild with a bridge category, a game server
// (RCON, and its ShooterGame.log on the Nitrado file server) linked to it.
type feedRig struct {
	t       *testing.T
	bin     string
	env     []string
	logs    lockedBuf
	dc      *discordtest.Server
	rc      *rcontest.Server
	nf      *nitradotest.Server
	guild   string
	svc     int64
	logFile string
}

func newFeedRig(t *testing.T) *feedRig {
	t.Helper()
	r := &feedRig{t: t, bin: buildBinary(t), guild: "200000000000000001", svc: 5151}
	ctx := context.Background()
	dir := t.TempDir()
	const cat, pw = "200000000000000900", "kill9-feed-pw"
	const gamePath = "/games/ni5151_1/ftproot/arksa"
	r.logFile = gamePath + "/ShooterGame/Saved/Logs/ShooterGame.log"

	r.dc = discordtest.New(discordtest.Options{AckDeadline: discordtest.LoadedAckDeadline})
	t.Cleanup(r.dc.Close)
	master, server := r.dc.AddBot("kill9-master-token"), r.dc.AddBot("kill9-server-token")
	r.dc.AddGuild(discordtest.Guild{ID: r.guild, Name: "Kill9", Channels: []*discordgo.Channel{
		{ID: cat, Name: "Chat Bridge", Type: discordgo.ChannelTypeGuildCategory}}})
	for _, b := range []discordtest.Bot{master, server} {
		if err := r.dc.AddBotToGuild(b, r.guild); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := rcontest.New(rcontest.Options{Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	r.rc = rc
	t.Cleanup(func() { _ = rc.Close() })
	port, err := portOf(rc.Addr())
	if err != nil {
		t.Fatal(err)
	}
	r.nf = nitradotest.New(t)
	r.nf.AddService(nitradotest.Service{ID: r.svc, Name: "Kill Island", Map: "TheIsland_WP", IP: "127.0.0.1", RCONPort: port,
		RCONPassword: pw, GamePath: gamePath})
	r.nf.AppendFileBytes(r.svc, r.logFile, []byte("[2026.09.13-17.59.00:000][  0]Log file open, 09/13/26 17:59:00\n"))

	db, err := storage.Open(ctx, filepath.Join(dir, "bliss.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := (&guildStore{db: db}).AddServer(ctx, bots.GameServer{GuildID: r.guild, ServiceID: r.svc, Name: "Kill Island"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSettings(ctx, r.guild, map[string]string{bots.KeyChatBridgeCategory: cat}); err != nil {
		t.Fatal(err)
	}
	r.env = []string{"PATH=" + os.Getenv("PATH"),
		"BLISS_DISCORD_URL=" + r.dc.URL(), "BLISS_STATE_DIR=" + dir, "BLISS_HTTP_ADDR=127.0.0.1:0",
		"BLISS_NITRADO_TOKEN=" + r.nf.Token(), "BLISS_NITRADO_URL=" + r.nf.URL(), "BLISS_NITRADO_RATE=50",
		"BLISS_MASTER_TOKEN=" + master.Token, "BLISS_MASTER_APP_ID=" + master.AppID,
		"BLISS_SERVER_TOKEN=" + server.Token, "BLISS_SERVER_APP_ID=" + server.AppID,
		"BLISS_GUILD_IDS=" + r.guild, "BLISS_CHAT_POLL=1s", "BLISS_SHUTDOWN_TIMEOUT=10s"}
	return r
}

// start runs the binary.
func (r *feedRig) start() *exec.Cmd {
	cmd := exec.Command(r.bin, "serve", "-config", "")
	cmd.Env, cmd.Stderr = r.env, &r.logs
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd
}

// logLine appends a line to ShooterGame.log stamped now, as the game does.
func (r *feedRig) logLine(text string) {
	now := time.Now().UTC()
	r.nf.AppendFileBytes(r.svc, r.logFile, []byte(fmt.Sprintf("[%s:%03d][  0]%s: %s\n",
		now.Format("2006.01.02-15.04.05"), now.Nanosecond()/1e6, now.Format("2006.01.02_15.04.05"), text)))
}

// killLoop starts the binary kills times, each run lasting a random part
// of run, and kill -9s it.
func (r *feedRig) killLoop(kills int, run time.Duration, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for range kills {
		cmd := r.start()
		time.Sleep(time.Duration(float64(run) * (0.5 + rng.Float64())))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			r.t.Fatal(err)
		}
		_ = cmd.Wait()
	}
}

// thread returns the id of the server's bridge thread ("" if none yet).
func (r *feedRig) thread() string {
	for _, c := range r.dc.Channels(r.guild) {
		if c.IsThread() && c.Name == "Kill Island" {
			return c.ID
		}
	}
	return ""
}

func (r *feedRig) logTail() string {
	tail := r.logs.String()
	if len(tail) > 4000 {
		tail = tail[len(tail)-4000:]
	}
	return tail
}

// TestFeedKill9 runs the real bliss binary against the fakes while the game
// says a scripted stream of chat lines (GetChat and ShooterGame.log kept
// consistent, as a real server writes both), kill -9s it at random moments
// and restarts it, then checks that the bridge thread holds every line
// exactly once, in order. BLISS_KILL_LINES / BLISS_KILL_RESTARTS scale it
// (default 10 000 lines, 20 kills).
func TestFeedKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the bliss binary; skipped with -short")
	}
	nLines, kills := envInt("BLISS_KILL_LINES", 10000), envInt("BLISS_KILL_RESTARTS", 20)
	r := newFeedRig(t)
	rc, dc := r.rc, r.dc

	// The game: lines at a steady pace over the whole run.
	said := make([]string, nLines)
	gameDone := make(chan struct{})
	pace := 4 * time.Millisecond
	go func() {
		defer close(gameDone)
		for i := range said {
			said[i] = fmt.Sprintf("k9 line %d", i)
			line := fmt.Sprintf("Player%d (Char): %s", i%5, said[i])
			r.logLine(line)
			rc.AddChat(line)
			time.Sleep(pace)
		}
	}()

	r.killLoop(kills, time.Duration(float64(nLines)*float64(pace)/float64(kills+1)), 9)
	<-gameDone
	last := r.start()
	defer func() {
		_ = last.Process.Signal(syscall.SIGTERM)
		_ = last.Wait()
	}()

	posted := func() []string {
		var out []string
		for _, m := range dc.Messages(r.thread()) {
			for _, l := range strings.Split(m.Content, "\n") {
				if _, rest, ok := strings.Cut(l, "): "); ok {
					out = append(out, rest)
				}
			}
		}
		return out
	}
	deadline := time.Now().Add(120 * time.Second)
	for len(posted()) < nLines && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // anything extra (a duplicate) would show by now
	got := posted()
	seen := map[string]int{}
	for _, s := range got {
		seen[s]++
	}
	var lost, dup []string
	for _, s := range said {
		switch seen[s] {
		case 0:
			lost = append(lost, s)
		case 1:
		default:
			dup = append(dup, s)
		}
	}
	if len(lost) > 0 || len(dup) > 0 || len(got) != len(said) {
		t.Fatalf("%d lines said, %d posted: %d lost %v, %d duplicated %v\nlogs (tail):\n%s",
			len(said), len(got), len(lost), head(lost), len(dup), head(dup), r.logTail())
	}
	// Order per server: a line recovered from the game log goes where it
	// was said.
	misplaced := 0
	for i := 1; i < len(got); i++ {
		x, _ := strconv.Atoi(strings.TrimPrefix(got[i-1], "k9 line "))
		y, _ := strconv.Atoi(strings.TrimPrefix(got[i], "k9 line "))
		if y < x {
			misplaced++
			t.Errorf("out of order at %d: %v", i, got[max(0, i-3):min(len(got), i+3)])
		}
	}
	if misplaced > 0 {
		t.Logf("logs (tail):\n%s", r.logTail())
	}
	t.Logf("%d lines, %d kill -9s: 0 lost, 0 duplicated, %d out-of-order places", nLines, kills, misplaced)
}

func head(s []string) []string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// TestFeedKill9DiscordToGame is TestFeedKill9 the other way: a user posts
// a scripted stream of messages in the bridge thread while the real binary
// is kill -9ed at random moments and restarted; every message reaches the
// game exactly once as ServerChat, in order. The fake game echoes each
// ServerChat as a "SERVER:" line in GetChat and in ShooterGame.log, as a
// real server does; messages posted while the binary was down are read
// back from the thread. BLISS_KILL_MESSAGES (default 2000) and
// BLISS_KILL_RESTARTS (default 20) scale it.
func TestFeedKill9DiscordToGame(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the bliss binary; skipped with -short")
	}
	nMsgs, kills := envInt("BLISS_KILL_MESSAGES", 2000), envInt("BLISS_KILL_RESTARTS", 20)
	r := newFeedRig(t)
	var mu sync.Mutex
	var relayed []string
	r.rc.Handle("ServerChat", func(args string) string {
		mu.Lock()
		relayed = append(relayed, args)
		mu.Unlock()
		r.rc.AddChat("SERVER: " + args)
		r.logLine("SERVER: " + args)
		return rcontest.SilentReply
	})
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(relayed)
	}
	alice := &discordgo.User{ID: "300000000000000001", Username: "alice", GlobalName: "Alice"}
	if _, err := r.dc.AddMember(r.guild, &discordgo.Member{User: alice}); err != nil {
		t.Fatal(err)
	}

	// The bridge thread appears with the first game line.
	r.rc.AddChat("Player0 (Char): first")
	r.logLine("Player0 (Char): first")
	first := r.start()
	deadline := time.Now().Add(60 * time.Second)
	for r.thread() == "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	thread := r.thread()
	if thread == "" {
		_ = first.Process.Signal(syscall.SIGKILL)
		_ = first.Wait()
		t.Fatalf("no bridge thread\nlogs (tail):\n%s", r.logTail())
	}
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()

	// Alice talks at a steady pace over the whole run, up or down.
	said := make([]string, nMsgs)
	for i := range said {
		said[i] = fmt.Sprintf("d2g msg %d", i)
	}
	pace := 20 * time.Millisecond
	talkDone := make(chan error, 1)
	go func() {
		for _, s := range said {
			if _, err := r.dc.SendMessage(thread, alice, s); err != nil {
				talkDone <- err
				return
			}
			time.Sleep(pace)
		}
		talkDone <- nil
	}()
	r.killLoop(kills, time.Duration(float64(nMsgs)*float64(pace)/float64(kills+1)), 10)
	if err := <-talkDone; err != nil {
		t.Fatal(err)
	}
	last := r.start()
	defer func() {
		_ = last.Process.Signal(syscall.SIGTERM)
		_ = last.Wait()
	}()

	want := make([]string, nMsgs)
	for i, s := range said {
		want[i] = "Alice: " + s
	}
	deadline = time.Now().Add(120 * time.Second)
	for len(got()) < nMsgs && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // anything extra (a duplicate) would show by now
	sent := got()
	seen := map[string]int{}
	for _, s := range sent {
		seen[s]++
	}
	var lost, dup []string
	for _, s := range want {
		switch seen[s] {
		case 0:
			lost = append(lost, s)
		case 1:
		default:
			dup = append(dup, s)
		}
	}
	if len(lost) > 0 || len(dup) > 0 || len(sent) != len(want) {
		t.Fatalf("%d messages posted, %d ServerChat sent: %d lost %v, %d duplicated %v\nlogs (tail):\n%s",
			len(want), len(sent), len(lost), head(lost), len(dup), head(dup), r.logTail())
	}
	if !slices.Equal(sent, want) {
		for i := range sent {
			if sent[i] != want[i] {
				t.Fatalf("out of order at %d: sent %v", i, sent[max(0, i-3):min(len(sent), i+3)])
			}
		}
	}
	t.Logf("%d messages, %d kill -9s: 0 lost, 0 duplicated, in order", nMsgs, kills)
}
