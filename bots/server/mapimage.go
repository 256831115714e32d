package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	xdraw "golang.org/x/image/draw"

	"github.com/blissark/bliss/arksave/maps"
	"github.com/blissark/bliss/bots"
	"github.com/blissark/bliss/bots/embed"
	"github.com/blissark/bliss/bots/picture"
)

// Map backgrounds: no ARK map artwork ships with Bliss, so staff set their
// own picture per map (/server mapimage set). The attachment is untrusted:
// it is downloaded with a bounded client, its header checked before it is
// decoded (decompression bombs), scaled once to the base map's area and
// stored as PNG per guild and map. The base and decay maps draw it under
// the grid.

// Limits on an uploaded background.
const (
	maxImageBytes  = 10 << 20   // downloaded body
	maxImageSide   = 8192       // px, either side
	maxImagePixels = 40_000_000 // 40 megapixels
	imageTimeout   = 20 * time.Second
	bgCacheSize    = 8 // decoded backgrounds kept (≤ 4 MiB each at 1024²)
)

// MapImage is a background staff set for one map of a guild.
type MapImage struct {
	Map           string // arksave/maps key: "theisland"
	PNG           []byte // empty in MapImages' listing
	Width, Height int
	Bytes         int
	SetBy         string
	SetAt         time.Time
}

// MapImageStore keeps the backgrounds (app adapts storage). Every method
// is per guild: a guild never reads another guild's images.
type MapImageStore interface {
	SetMapImage(ctx context.Context, guildID string, m MapImage) error
	// MapImage returns the image with its PNG; ok false when none is set.
	MapImage(ctx context.Context, guildID, mapKey string) (m MapImage, ok bool, err error)
	ClearMapImage(ctx context.Context, guildID, mapKey string) (bool, error)
	// MapImages lists the guild's images by map, without the PNG bytes.
	MapImages(ctx context.Context, guildID string) ([]MapImage, error)
}

// BackgroundOptions configure NewBackgrounds.
type BackgroundOptions struct {
	Store MapImageStore
	// Client downloads attachments (nil: http.DefaultTransport); its
	// timeout is capped at 20 s, the body at 10 MiB, and redirects are
	// checked like the URL.
	Client *http.Client
	// Hosts are the hosts attachments may be downloaded from (nil:
	// Discord's CDN, cdn.discordapp.com and media.discordapp.net).
	Hosts []string
	// CacheSize is how many decoded backgrounds are kept in memory
	// (default 8; negative: none).
	CacheSize int
}

// Backgrounds are the map backgrounds of every guild: the store, the
// download of new ones and a small cache of decoded images, invalidated by
// Set and Clear. App builds one and hands it to the bot (Deps) and the decay
// post (DecayDeps).
type Backgrounds struct {
	store  MapImageStore
	client *http.Client
	hosts  []string
	size   int           // scaled side (the base map's area)
	decode chan struct{} // one untrusted decode at a time (≤ 160 MB each)

	mu    sync.Mutex
	max   int
	cache map[bgKey]image.Image // nil value: no image set
	order []bgKey               // least recently used first
	gen   uint64                // bumped by every invalidation
}

type bgKey struct{ guild, mapKey string }

// NewBackgrounds returns the backgrounds over o.Store.
func NewBackgrounds(o BackgroundOptions) *Backgrounds {
	b := &Backgrounds{store: o.Store, client: o.Client, hosts: o.Hosts, size: picture.MapSize(0),
		decode: make(chan struct{}, 1), max: o.CacheSize, cache: map[bgKey]image.Image{}}
	if b.client == nil {
		b.client = &http.Client{Timeout: imageTimeout}
	} else if b.client.Timeout <= 0 || b.client.Timeout > imageTimeout {
		c := *b.client
		c.Timeout = imageTimeout
		b.client = &c
	}
	if b.hosts == nil {
		b.hosts = []string{"cdn.discordapp.com", "media.discordapp.net"}
	}
	if b.max == 0 {
		b.max = bgCacheSize
	}
	return b
}

// Image is guildID's background for a map (a snapshot's map name such as
// "TheIsland_WP"), nil when none is set or the map is unknown. The stored
// PNG is decoded once and then served from the cache.
func (b *Backgrounds) Image(ctx context.Context, guildID, mapName string) (image.Image, error) {
	if b == nil || b.store == nil || guildID == "" {
		return nil, nil
	}
	k := bgKey{guildID, mapKey(mapName)}
	if k.mapKey == "" {
		return nil, nil
	}
	img, ok, gen := b.cached(k)
	if ok {
		return img, nil
	}
	m, ok, err := b.store.MapImage(ctx, guildID, k.mapKey)
	if err != nil {
		return nil, fmt.Errorf("map background: %w", err)
	}
	if ok {
		if img, err = decodeStored(m.PNG); err != nil {
			return nil, fmt.Errorf("map background %s: %w", k.mapKey, err)
		}
	}
	b.put(k, img, gen)
	return img, nil
}

// mapKey is the arksave/maps key of a map name; unknown maps keep their
// normalised name.
func mapKey(name string) string {
	if m, ok := maps.Lookup(name); ok {
		return m.Key
	}
	return maps.Key(name)
}

// decodeStored decodes a stored background (written by prepareBackground,
// so trusted to be a bounded PNG) into an *image.RGBA, the renderer's fast
// path.
func decodeStored(b []byte) (image.Image, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if rgba, ok := img.(*image.RGBA); ok {
		return rgba, nil
	}
	out := image.NewRGBA(img.Bounds())
	xdraw.Draw(out, out.Bounds(), img, img.Bounds().Min, xdraw.Src)
	return out, nil
}

// cached returns k's cached image and the generation a miss must be put
// back with.
func (b *Backgrounds) cached(k bgKey) (image.Image, bool, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	img, ok := b.cache[k]
	if ok {
		b.touch(k)
	}
	return img, ok, b.gen
}

// put caches img for k unless an invalidation happened since gen (the
// image may then be older than the store).
func (b *Backgrounds) put(k bgKey, img image.Image, gen uint64) {
	if b.max < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gen != gen {
		return
	}
	if _, ok := b.cache[k]; !ok && len(b.order) >= b.max {
		delete(b.cache, b.order[0])
		b.order = b.order[1:]
	}
	b.cache[k] = img
	b.touch(k)
}

// touch moves k to the most recently used end (b.mu held).
func (b *Backgrounds) touch(k bgKey) {
	if i := slices.Index(b.order, k); i >= 0 {
		b.order = slices.Delete(b.order, i, i+1)
	}
	b.order = append(b.order, k)
}

func (b *Backgrounds) invalidate(k bgKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	delete(b.cache, k)
	if i := slices.Index(b.order, k); i >= 0 {
		b.order = slices.Delete(b.order, i, i+1)
	}
}

// Set downloads, validates, scales and stores a background from an
// attachment URL. Errors for the user are *bots.UserError.
func (b *Backgrounds) Set(ctx context.Context, guildID, mapKey, rawURL, by string) (MapImage, error) {
	data, err := b.fetch(ctx, rawURL)
	if err != nil {
		return MapImage{}, err
	}
	select {
	case b.decode <- struct{}{}:
	case <-ctx.Done():
		return MapImage{}, fmt.Errorf("map background: %w", ctx.Err())
	}
	out, w, h, err := prepareBackground(data, b.size)
	<-b.decode
	if err != nil {
		return MapImage{}, userImageError(err)
	}
	m := MapImage{Map: mapKey, PNG: out, Width: w, Height: h, Bytes: len(out), SetBy: by}
	if err := b.store.SetMapImage(ctx, guildID, m); err != nil {
		return MapImage{}, fmt.Errorf("map background: %w", err)
	}
	b.invalidate(bgKey{guildID, mapKey})
	return m, nil
}

// Clear removes a guild's background for a map.
func (b *Backgrounds) Clear(ctx context.Context, guildID, mapKey string) (bool, error) {
	ok, err := b.store.ClearMapImage(ctx, guildID, mapKey)
	b.invalidate(bgKey{guildID, mapKey})
	if err != nil {
		return false, fmt.Errorf("map background: %w", err)
	}
	return ok, nil
}

// Validation failures of an uploaded background.
var (
	errNotImage = errors.New("not a PNG or JPEG")
	errTooLarge = errors.New("too large")
	errBadImage = errors.New("damaged image")
	errDownload = errors.New("could not download")
	errBadURL   = errors.New("not an attachment URL")
	sizeLimits  = fmt.Sprintf("at most %d px a side, %d megapixels and %d MiB", maxImageSide, maxImagePixels/1_000_000, maxImageBytes>>20)
)

func userImageError(err error) error {
	switch {
	case errors.Is(err, errNotImage):
		return &bots.UserError{Msg: "That file is not a PNG or JPEG image.", Err: err}
	case errors.Is(err, errTooLarge):
		return &bots.UserError{Msg: "That image is too large (" + sizeLimits + ").", Err: err}
	case errors.Is(err, errBadURL):
		return &bots.UserError{Msg: "Could not download the attachment: it is not a Discord attachment.", Err: err}
	case errors.Is(err, errDownload):
		return &bots.UserError{Msg: "Could not download the attachment. Try again, or upload it again.", Err: err}
	}
	return &bots.UserError{Msg: "That image could not be read (damaged or unsupported PNG/JPEG).", Err: err}
}

// fetch downloads an attachment: http(s) on an allowed host only (also
// after redirects), within the client's timeout and 10 MiB.
func (b *Backgrounds) fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !b.allowed(u) {
		return nil, userImageError(errBadURL)
	}
	c := *b.client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 || !b.allowed(req.URL) {
			return errBadURL
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, userImageError(errBadURL)
	}
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, errBadURL) {
			return nil, userImageError(errBadURL)
		}
		return nil, userImageError(fmt.Errorf("%w: %w", errDownload, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, userImageError(fmt.Errorf("%w: HTTP %d", errDownload, resp.StatusCode))
	}
	if resp.ContentLength > maxImageBytes {
		return nil, userImageError(errTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxImageBytes+1))
	if err != nil {
		return nil, userImageError(fmt.Errorf("%w: %w", errDownload, err))
	}
	if len(data) > maxImageBytes {
		return nil, userImageError(errTooLarge)
	}
	return data, nil
}

func (b *Backgrounds) allowed(u *url.URL) bool {
	if u == nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return false
	}
	return slices.Contains(b.hosts, strings.ToLower(u.Hostname()))
}

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8, 0xff}
)

// prepareBackground validates untrusted image bytes and scales them once:
// PNG or JPEG only (by their magic), the header read first and refused
// beyond maxImageSide a side or maxImagePixels (a decompression bomb never
// gets its pixels allocated), then decoded, scaled to fit side×side keeping
// the aspect and re-encoded as PNG. It never panics.
func prepareBackground(data []byte, side int) (out []byte, w, h int, err error) {
	return prepareLimited(data, side, maxImageSide, maxImagePixels)
}

// prepareLimited is prepareBackground with the header limits as arguments
// (the fuzz target keeps them small).
func prepareLimited(data []byte, side, maxSide int, maxPixels int64) (out []byte, w, h int, err error) {
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch {
	case bytes.HasPrefix(data, pngMagic):
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case bytes.HasPrefix(data, jpegMagic):
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	default:
		return nil, 0, 0, errNotImage
	}
	if len(data) > maxImageBytes {
		return nil, 0, 0, errTooLarge
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %w", errBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, 0, 0, errBadImage
	}
	if cfg.Width > maxSide || cfg.Height > maxSide || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, 0, 0, fmt.Errorf("%w: %d×%d", errTooLarge, cfg.Width, cfg.Height)
	}
	src, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %w", errBadImage, err)
	}
	sb := src.Bounds()
	if sb.Dx() != cfg.Width || sb.Dy() != cfg.Height {
		return nil, 0, 0, errBadImage
	}
	w, h = fit(sb.Dx(), sb.Dy(), side)
	if f := min(sb.Dx()/w, sb.Dy()/h); f >= 2 {
		// A big picture is first averaged in f×f blocks (strip by strip),
		// so the resampler's buffers stay small.
		src = boxReduce(src, f)
		sb = src.Bounds()
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == sb.Dx() && h == sb.Dy() {
		xdraw.Draw(dst, dst.Bounds(), src, sb.Min, xdraw.Src)
	} else {
		xdraw.BiLinear.Scale(dst, dst.Bounds(), src, sb, xdraw.Src, nil)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, dst); err != nil {
		return nil, 0, 0, fmt.Errorf("map background: encode: %w", err)
	}
	return buf.Bytes(), w, h, nil
}

// boxReduce averages f×f blocks of src into a picture f times smaller
// (partial blocks at the right and bottom edges are dropped). Rows are
// converted to RGBA f at a time, so it needs one strip of src beyond the
// result.
func boxReduce(src image.Image, f int) *image.RGBA {
	sb := src.Bounds()
	w, h := sb.Dx()/f, sb.Dy()/f
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	strip := image.NewRGBA(image.Rect(0, 0, w*f, f))
	acc := make([]uint32, 4*w)
	n := uint32(f * f)
	for y := range h {
		xdraw.Draw(strip, strip.Bounds(), src, image.Pt(sb.Min.X, sb.Min.Y+y*f), xdraw.Src)
		clear(acc)
		for r := range f {
			row := strip.Pix[r*strip.Stride : r*strip.Stride+4*w*f]
			for x := range w {
				a, p := acc[4*x:4*x+4:4*x+4], row[4*x*f:4*(x+1)*f]
				for i := 0; i < len(p); i += 4 {
					a[0] += uint32(p[i])
					a[1] += uint32(p[i+1])
					a[2] += uint32(p[i+2])
					a[3] += uint32(p[i+3])
				}
			}
		}
		o := out.Pix[y*out.Stride : y*out.Stride+4*w]
		for i, v := range acc {
			o[i] = uint8((v + n/2) / n)
		}
	}
	return out
}

// fit is the size of a w×h picture scaled to fit side×side, aspect kept,
// at least 1 px a side.
func fit(w, h, side int) (int, int) {
	if w >= h {
		return side, max(1, int((int64(h)*int64(side)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(side)+int64(h)/2)/int64(h))), side
}

// ---- /server mapimage ----

const (
	optImage   = "image"
	subMapSet  = "mapimage set"
	subMapClr  = "mapimage clear"
	subMapShow = "mapimage show"
)

func mapimageGroup() *opt {
	mapOpt := func() *opt {
		return &opt{Type: discordgo.ApplicationCommandOptionString, Name: optMap, Description: "Map",
			Required: true, Autocomplete: true, MaxLength: 40}
	}
	return &opt{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "mapimage",
		Description: "Background pictures of the base maps (your own map artwork)", Options: []*opt{
			sub("set", "Set a map's background (PNG or JPEG, at most 10 MiB, 8192 px a side)", mapOpt(),
				&opt{Type: discordgo.ApplicationCommandOptionAttachment, Name: optImage, Description: "The picture", Required: true}),
			sub("clear", "Remove a map's background", mapOpt()),
			sub("show", "Maps with a background"),
		}}
}

func (b *bot) backgrounds() (*Backgrounds, error) {
	if b.Backgrounds == nil || b.Backgrounds.store == nil {
		return nil, &bots.UserError{Msg: "Map backgrounds are not available on this appliance."}
	}
	return b.Backgrounds, nil
}

// mapChoices offers the known maps (arksave/maps).
func mapChoices(typed string) []*choice {
	var out []*choice
	for _, m := range maps.All() {
		if len(out) < 25 && (matches(m.Name, typed) || matches(m.Key, typed)) {
			out = append(out, &choice{Name: m.Name, Value: m.Key})
		}
	}
	return out
}

// mapArg resolves the map option against arksave/maps.
func mapArg(c *bots.Ctx) (maps.Map, error) {
	m, ok := maps.Lookup(c.String(optMap))
	if !ok {
		return maps.Map{}, bots.Errorf("Unknown map %q: pick one from the list.", bots.SanitizeName(c.String(optMap), 40))
	}
	return m, nil
}

// attachment is the resolved attachment of option name.
func attachment(c *bots.Ctx, name string) *discordgo.MessageAttachment {
	id := c.String(name)
	if c.Interaction == nil || id == "" {
		return nil
	}
	d, ok := c.Interaction.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok || d.Resolved == nil {
		return nil
	}
	return d.Resolved.Attachments[id]
}

func (b *bot) mapimageSet(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	bg, err := b.backgrounds()
	if err != nil {
		return nil, err
	}
	m, err := mapArg(c)
	if err != nil {
		return nil, err
	}
	a := attachment(c, optImage)
	if a == nil || a.URL == "" {
		return nil, &bots.UserError{Msg: "Attach the picture (PNG or JPEG) to the command."}
	}
	entry := bots.AuditEntry{Action: "map image set", Target: m.Name, Detail: bots.SanitizeName(a.Filename, 80)}
	if a.Size > maxImageBytes {
		err = userImageError(errTooLarge)
	} else {
		_, err = bg.Set(ctx, c.GuildID, m.Key, a.URL, c.User.ID)
	}
	if err != nil {
		entry.Result = cause(err)
		b.audit(ctx, c, entry)
		return nil, err
	}
	entry.OK, entry.Result = true, "set"
	b.audit(ctx, c, entry)
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{embed.Success("Map background set",
		"The base and decay maps of "+m.Name+" servers now draw this picture under the grid. Its edges are the map's edges.")},
		Ephemeral: true}, nil
}

func (b *bot) mapimageClear(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	bg, err := b.backgrounds()
	if err != nil {
		return nil, err
	}
	m, err := mapArg(c)
	if err != nil {
		return nil, err
	}
	ok, err := bg.Clear(ctx, c.GuildID, m.Key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bots.Errorf("%s has no background.", m.Name)
	}
	b.audit(ctx, c, bots.AuditEntry{Action: "map image cleared", Target: m.Name, OK: true, Result: "cleared"})
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{embed.Success("Map background removed",
		"The maps of "+m.Name+" servers are a bare grid again.")}, Ephemeral: true}, nil
}

func (b *bot) mapimageShow(ctx context.Context, c *bots.Ctx) (*bots.Response, error) {
	bg, err := b.backgrounds()
	if err != nil {
		return nil, err
	}
	list, err := bg.store.MapImages(ctx, c.GuildID)
	if err != nil {
		return nil, fmt.Errorf("map images: %w", err)
	}
	var lines []string
	for _, m := range list {
		name := m.Map
		if known, ok := maps.Lookup(m.Map); ok {
			name = known.Name
		}
		lines = append(lines, fmt.Sprintf("**%s** · %d×%d · %d KiB · by <@%s> <t:%d:R>", bots.SanitizeName(name, 40),
			m.Width, m.Height, (m.Bytes+1023)/1024, m.SetBy, m.SetAt.Unix()))
	}
	desc := "No map has a background: the base maps are a bare grid. Set one with `/server mapimage set`."
	if len(lines) > 0 {
		desc = strings.Join(lines, "\n")
	}
	return &bots.Response{Embeds: []*discordgo.MessageEmbed{embed.New().Color(embed.ColorInfo).Title("Map backgrounds").
		Description(embed.Truncate(desc, 3800)).Embed()}, Ephemeral: true}, nil
}
