package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// synthetic is a two-colour test picture (no ARK artwork in tests).
func synthetic(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{200, 40, 40, 255}
			if x >= w/2 {
				c = color.NRGBA{40, 40, 200, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngBomb is a valid PNG header (IHDR with a correct CRC) claiming w×h,
// followed by a tiny IDAT: decoding it would allocate w·h·4 bytes.
func pngBomb(t testing.TB, w, h uint32) []byte {
	t.Helper()
	b := encPNG(t, synthetic(1, 1))
	// signature (8) | length (4) "IHDR" (4) width (4) height (4) ... | CRC
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// jpegBomb patches the frame header (SOF0) of a small JPEG to claim w×h.
func jpegBomb(t testing.TB, w, h uint16) []byte {
	t.Helper()
	b := encJPEG(t, synthetic(8, 8))
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	// marker (2) length (2) precision (1) height (2) width (2)
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

func TestPrepareBackground(t *testing.T) {
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, synthetic(4, 4), nil); err != nil {
		t.Fatal(err)
	}
	good := encPNG(t, synthetic(300, 150))
	for _, tc := range []struct {
		name   string
		data   []byte
		want   error
		w, h   int
		colour bool // left half reddish, right half bluish
	}{
		{"png, wide, scaled up to fit", good, nil, 1024, 512, true},
		{"jpeg, tall", encJPEG(t, synthetic(100, 400)), nil, 256, 1024, true},
		{"png 2500×1250, box-reduced first", encPNG(t, synthetic(2500, 1250)), nil, 1024, 512, true},
		{"png 8192×3, a sliver", encPNG(t, synthetic(8192, 3)), nil, 1024, 1, true},
		{"png at the area size", encPNG(t, synthetic(1024, 1024)), nil, 1024, 1024, true},
		{"text", []byte("hello, this is not a picture\n"), errNotImage, 0, 0, false},
		{"empty", nil, errNotImage, 0, 0, false},
		{"gif", gifBuf.Bytes(), errNotImage, 0, 0, false},
		{"png bomb 100000²", pngBomb(t, 100000, 100000), errTooLarge, 0, 0, false},
		{"png 8193 wide", pngBomb(t, 8193, 1), errTooLarge, 0, 0, false},
		{"png 7000² = 49 MP", pngBomb(t, 7000, 7000), errTooLarge, 0, 0, false},
		{"png header 100×100, one pixel of data", pngBomb(t, 100, 100), errBadImage, 0, 0, false},
		{"png zero width", pngBomb(t, 0, 10), errBadImage, 0, 0, false},
		{"jpeg bomb 65000²", jpegBomb(t, 65000, 65000), errTooLarge, 0, 0, false},
		{"truncated png", good[:len(good)/2], errBadImage, 0, 0, false},
		{"png signature only", pngMagic, errBadImage, 0, 0, false},
		{"over 10 MiB", append(append([]byte{}, pngMagic...), make([]byte, maxImageBytes)...), errTooLarge, 0, 0, false},
	} {
		out, w, h, err := prepareBackground(tc.data, 1024)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
			continue
		}
		if tc.want != nil {
			continue
		}
		img, perr := png.Decode(bytes.NewReader(out))
		if perr != nil || w != tc.w || h != tc.h || img.Bounds().Dx() != w || img.Bounds().Dy() != h {
			t.Errorf("%s: %d×%d (%v), want %d×%d", tc.name, w, h, perr, tc.w, tc.h)
			continue
		}
		if tc.colour {
			lr, _, lb, _ := img.At(w/4, h/2).RGBA()
			rr, _, rb, _ := img.At(3*w/4, h/2).RGBA()
			if lr <= lb || rb <= rr {
				t.Errorf("%s: colours not kept: left %d/%d right %d/%d", tc.name, lr>>8, lb>>8, rr>>8, rb>>8)
			}
		}
	}
	// Every refusal reads clearly for staff.
	for err, want := range map[error]string{errNotImage: "not a PNG or JPEG", errTooLarge: "too large",
		errDownload: "Could not download", errBadURL: "Could not download", errBadImage: "could not be read"} {
		var ue interface{ Error() string } = userImageError(err)
		if !strings.Contains(ue.Error(), want) {
			t.Errorf("%v reads %q, want %q", err, ue.Error(), want)
		}
	}
}

func TestFit(t *testing.T) {
	for _, tc := range [][4]int{{300, 150, 1024, 512}, {100, 400, 256, 1024}, {1, 8192, 1, 1024}, {8192, 1, 1024, 1}, {5, 5, 1024, 1024}} {
		if w, h := fit(tc[0], tc[1], 1024); w != tc[2] || h != tc[3] {
			t.Errorf("fit(%d, %d) = %d×%d, want %d×%d", tc[0], tc[1], w, h, tc[2], tc[3])
		}
	}
}

// FuzzPrepareBackground: untrusted bytes never panic, and whatever is
// accepted comes out a PNG that fits the side with one side equal to it.
func FuzzPrepareBackground(f *testing.F) {
	f.Add(encPNG(f, synthetic(3, 2)))
	f.Add(encJPEG(f, synthetic(9, 5)))
	f.Add(pngBomb(f, 100000, 100000))
	f.Add(pngBomb(f, 40, 30))
	f.Add(jpegBomb(f, 65000, 3))
	f.Add([]byte("not an image"))
	f.Add(pngMagic)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Small header limits: an accepted header allocates at most 1 MiB.
		const side = 48
		out, w, h, err := prepareLimited(data, side, 1024, 1<<18)
		if err != nil {
			return
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width != w || cfg.Height != h || w > side || h > side || (w != side && h != side) {
			t.Fatalf("accepted %d bytes as %d×%d (%v, %+v)", len(data), w, h, err, cfg)
		}
	})
}

// memImages is an in-memory MapImageStore counting reads.
type memImages struct {
	mu    sync.Mutex
	m     map[bgKey]MapImage
	reads int
}

func (s *memImages) SetMapImage(_ context.Context, g string, m MapImage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[bgKey{g, m.Map}] = m
	return nil
}

func (s *memImages) MapImage(_ context.Context, g, k string) (MapImage, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	m, ok := s.m[bgKey{g, k}]
	return m, ok, nil
}

func (s *memImages) ClearMapImage(_ context.Context, g, k string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[bgKey{g, k}]
	delete(s.m, bgKey{g, k})
	return ok, nil
}

func (s *memImages) MapImages(context.Context, string) ([]MapImage, error) { return nil, nil }

// TestBackgrounds: download limits (host, scheme, status, size,
// redirects), the cache (one decode, invalidated by Set and Clear, bounded)
// and guild isolation.
func TestBackgrounds(t *testing.T) {
	pic := encPNG(t, synthetic(64, 64))
	big := append(append([]byte{}, pngMagic...), make([]byte, maxImageBytes+10)...)
	mux := http.NewServeMux()
	mux.HandleFunc("/pic.png", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(pic) })
	mux.HandleFunc("/big.png", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "") // no length: the cap counts the body
		_, _ = w.Write(big)
	})
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.invalid/pic.png", http.StatusFound)
	})
	mux.HandleFunc("/here", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/pic.png", http.StatusFound) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	store := &memImages{m: map[bgKey]MapImage{}}
	bg := NewBackgrounds(BackgroundOptions{Store: store, Client: srv.Client(), Hosts: []string{u.Hostname()}, CacheSize: 2})
	ctx := context.Background()

	for path, want := range map[string]string{
		srv.URL + "/missing.png":                        "Could not download",
		srv.URL + "/big.png":                            "too large",
		srv.URL + "/away":                               "not a Discord attachment",
		"ftp://" + u.Host + "/x":                        "not a Discord attachment",
		"https://cdn.discordapp.com.evil.example/a.png": "not a Discord attachment",
		"::not a url":                                   "not a Discord attachment",
	} {
		if _, err := bg.Set(ctx, "g", "theisland", path, "staff"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Set(%s) = %v, want %q", path, err, want)
		}
	}
	if len(store.m) != 0 {
		t.Fatalf("a refused image was stored: %d", len(store.m))
	}
	if m, err := bg.Set(ctx, "g", "theisland", srv.URL+"/here", "staff"); err != nil || m.Width != 1024 || m.Height != 1024 {
		t.Fatalf("Set via a same-host redirect: %+v %v", m, err)
	}
	img, err := bg.Image(ctx, "g", "TheIsland_WP")
	if err != nil || img == nil || img.Bounds().Dx() != 1024 {
		t.Fatalf("Image: %v %v", img, err)
	}
	if _, ok := img.(*image.RGBA); !ok {
		t.Errorf("cached background is %T, want *image.RGBA (the renderer's fast path)", img)
	}
	if again, _ := bg.Image(ctx, "g", "theisland"); again != img || store.reads != 1 {
		t.Fatalf("second Image read the store again (%d reads) or decoded anew", store.reads)
	}
	if other, err := bg.Image(ctx, "h", "TheIsland_WP"); other != nil || err != nil {
		t.Fatalf("guild h sees guild g's background: %v %v", other, err)
	}
	// Replacing invalidates: the next Image decodes the new picture.
	if _, err := bg.Set(ctx, "g", "theisland", srv.URL+"/pic.png", "admin"); err != nil {
		t.Fatal(err)
	}
	if img2, _ := bg.Image(ctx, "g", "theisland"); img2 == img || img2 == nil {
		t.Fatal("Set did not invalidate the cache")
	}
	if ok, err := bg.Clear(ctx, "g", "theisland"); !ok || err != nil {
		t.Fatalf("Clear: %v %v", ok, err)
	}
	if img3, _ := bg.Image(ctx, "g", "theisland"); img3 != nil {
		t.Fatal("Clear did not invalidate the cache")
	}
	// The cache is bounded.
	for _, k := range []string{"ragnarok", "aberration", "extinction", "thecenter"} {
		_, _ = bg.Image(ctx, "g", k)
	}
	if n := len(bg.cache); n != 2 || len(bg.order) != 2 {
		t.Fatalf("cache holds %d (%d ordered), want 2", n, len(bg.order))
	}
	// A render that read the store before a Set does not cache the old
	// picture after the Set's invalidation.
	k := bgKey{"g", "valguero"}
	_, _, gen := bg.cached(k)
	bg.invalidate(bgKey{"g", "valguero"})
	bg.put(k, image.NewRGBA(image.Rect(0, 0, 1, 1)), gen)
	if _, ok, _ := bg.cached(k); ok {
		t.Fatal("a stale read was cached after an invalidation")
	}
	var nilBG *Backgrounds
	if img, err := nilBG.Image(ctx, "g", "theisland"); img != nil || err != nil {
		t.Fatal("nil Backgrounds drew something")
	}
}

// BenchmarkPrepareBackground: the one-off validate-decode-scale-encode of
// a 4096² PNG (what /server mapimage set does once per upload).
func BenchmarkPrepareBackground(b *testing.B) {
	data := encPNG(b, synthetic(4096, 4096))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := prepareBackground(data, 1024); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaseMapWithBackground: /info bases' map of 4,000 bases over a
// stored background, served from the cache after the first render (the
// steady state), against BenchmarkBaseMap100kStructures' bare grid.
func BenchmarkBaseMapWithBackground(b *testing.B) {
	out, w, h, err := prepareBackground(encPNG(b, synthetic(2048, 2048)), 1024)
	if err != nil {
		b.Fatal(err)
	}
	store := &memImages{m: map[bgKey]MapImage{{"g", "theisland"}: {Map: "theisland", PNG: out, Width: w, Height: h}}}
	bg := NewBackgrounds(BackgroundOptions{Store: store})
	now := time.Now()
	m := fakeMaps{bases: bigBases(4000, 25, now)}
	o := baseMapOptions{guildID: "g", backgrounds: bg}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := renderBaseMap(context.Background(), m, 1, "Island", o, now); err != nil || !ok {
			b.Fatal(err)
		}
	}
	if store.reads != 1 {
		b.Fatalf("the background was read %d times, want once", store.reads)
	}
}
