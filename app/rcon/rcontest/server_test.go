package rcontest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// dialAuth opens a raw connection and authenticates.
func dialAuth(t *testing.T, s *Server, pass string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(EncodePacket(7, TypeAuth, pass)); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

func read(t *testing.T, r *bufio.Reader) (int32, int32, string) {
	t.Helper()
	id, typ, body, err := readPacket(r)
	if err != nil {
		t.Fatal(err)
	}
	return id, typ, body
}

func TestFakeProtocol(t *testing.T) {
	s, err := New(Options{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetPlayers(Player{Name: "a", EOSID: "0002027eea6e4d69bea553b53a343124"})
	s.AddGameLog("2016.01.28_14.50.10: Colonel Dimanche (Bob): dfsd")

	c, r := dialAuth(t, s, "pw")
	if id, typ, body := read(t, r); id != 7 || typ != TypeResponseValue || body != "" {
		t.Fatalf("pre-packet = %d %d %q", id, typ, body)
	}
	if id, typ, _ := read(t, r); id != 7 || typ != TypeAuthResponse {
		t.Fatalf("auth response = %d %d", id, typ)
	}
	exec := func(cmd string) string {
		t.Helper()
		if _, err := c.Write(EncodePacket(3, TypeExecCommand, cmd)); err != nil {
			t.Fatal(err)
		}
		id, _, body := read(t, r)
		if id != 3 {
			t.Fatalf("reply id %d", id)
		}
		return body
	}
	if got := exec("ListPlayers"); got != "0. a, 0002027eea6e4d69bea553b53a343124\n" {
		t.Fatalf("ListPlayers = %q", got)
	}
	if got := exec("Broadcast hi there"); got != SilentReply {
		t.Fatalf("Broadcast = %q", got)
	}
	if got := exec("getchat"); got != "SERVER: hi there\n" {
		t.Fatalf("GetChat = %q", got)
	}
	if got := exec("GetChat"); got != SilentReply {
		t.Fatalf("second GetChat = %q", got)
	}
	if got := exec("GetGameLog"); !strings.Contains(got, "Colonel Dimanche") {
		t.Fatalf("GetGameLog = %q", got)
	}
	if got := exec("KickPlayer 0002027EEA6E4D69BEA553B53A343124"); got != SilentReply {
		t.Fatalf("KickPlayer = %q", got)
	}
	if got := exec("ListPlayers"); got != "No Players Connected\n" {
		t.Fatalf("after kick = %q", got)
	}
	s.InjectKeepAlive(1)
	if _, err := c.Write(EncodePacket(4, TypeExecCommand, "SaveWorld")); err != nil {
		t.Fatal(err)
	}
	if _, _, body := read(t, r); body != KeepAlive {
		t.Fatalf("want keep-alive first, got %q", body)
	}
	if id, _, body := read(t, r); id != 4 || body != SilentReply {
		t.Fatalf("reply after keep-alive = %d %q", id, body)
	}
	if got := s.Commands(); len(got) != 8 || got[0] != "ListPlayers" {
		t.Fatalf("Commands = %q", got)
	}
}

func TestFakeWrongPassword(t *testing.T) {
	s, err := New(Options{Password: "pw", RejectBadPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, r := dialAuth(t, s, "bad")
	if id, typ, _ := read(t, r); id != -1 || typ != TypeAuthResponse {
		t.Fatalf("got %d %d, want -1 auth response", id, typ)
	}
	if _, failed := s.Auths(); failed != 1 {
		t.Fatalf("failed = %d", failed)
	}
}

// Close must not wait for clients to hang up (unlike gorcon's rcontest).
func TestFakeCloseWithOpenConnsAndLatency(t *testing.T) {
	s, err := New(Options{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	s.SetLatency(time.Hour)
	c, r := dialAuth(t, s, "pw")
	read(t, r)
	read(t, r)
	if _, err := c.Write(EncodePacket(1, TypeExecCommand, "ListPlayers")); err != nil {
		t.Fatal(err)
	}
	for len(s.Commands()) == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := readPacket(r); err == nil {
		t.Fatal("connection still open after Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
