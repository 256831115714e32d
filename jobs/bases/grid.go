package bases

import (
	"cmp"
	"math"
	"slices"
)

// Clustering.
//
// Two structures of the same owner are linked when their 3D distance is at
// most L (the link distance); a base is a connected component of that graph.
//
// The grid's cell side is s = L/√3 (slightly less), not L: the diagonal of a
// cell is then below L, so all structures in one cell are linked to each other
// and a cell can be treated as a single node. Two cells can only hold linked
// structures when they are at most ⌈L/s⌉ = 2 cells apart per axis, so each
// cell looks at the 5×5×5 block around it (the same ground a 27-cell search
// with side L covers, on a finer grid). Only the 62 "forward" neighbours are
// visited, so each cell pair is considered once; pairs already in the same
// component or whose structure bounding boxes are farther than L apart are
// skipped without touching individual structures.
//
// There are no maps: points are sorted by (owner, packed cell key) where the
// key orders cells by z, then y, then x. For a fixed (dz, dy) row the
// neighbours x-2…x+2 form one contiguous key range, and as cells are visited
// in sorted order the start of that range only moves forward, so each of the
// 13 forward rows keeps a sweep pointer (a merge join). Union-find over cells
// with path halving and union by size joins the components.

const (
	cellBits = 21
	cellBias = 1 << (cellBits - 1)
	cellMask = 1<<cellBits - 1
	cellMax  = cellBias - 3 // keep ±2 neighbour offsets from carrying
)

// point is one structure in grid order.
type point struct {
	owner int64
	key   uint64
	idx   int32 // index into the caller's slice
}

type vec struct{ x, y, z float64 }

type bbox struct{ min, max vec }

func (b *bbox) add(p vec) {
	b.min.x, b.max.x = min(b.min.x, p.x), max(b.max.x, p.x)
	b.min.y, b.max.y = min(b.min.y, p.y), max(b.max.y, p.y)
	b.min.z, b.max.z = min(b.min.z, p.z), max(b.max.z, p.z)
}

// dist2 is the squared distance between two boxes (0 if they overlap).
func (b *bbox) dist2(o *bbox) float64 {
	dx := max(0, o.min.x-b.max.x, b.min.x-o.max.x)
	dy := max(0, o.min.y-b.max.y, b.min.y-o.max.y)
	dz := max(0, o.min.z-b.max.z, b.min.z-o.max.z)
	return dx*dx + dy*dy + dz*dz
}

func (b *bbox) pointDist2(p vec) float64 {
	dx := max(0, b.min.x-p.x, p.x-b.max.x)
	dy := max(0, b.min.y-p.y, p.y-b.max.y)
	dz := max(0, b.min.z-p.z, p.z-b.max.z)
	return dx*dx + dy*dy + dz*dz
}

func cellCoord(v, inv float64) uint64 {
	c := math.Floor(v * inv)
	c = max(-cellMax, min(cellMax, c))
	return uint64(int64(c) + cellBias)
}

func packKey(cx, cy, cz uint64) uint64 { return cz<<(2*cellBits) | cy<<cellBits | cx }

// clusterInput is what cluster needs per structure.
type clusterInput struct {
	owner int64
	pos   vec
}

// clustering is the result of cluster: points in grid order with their
// component label (0…n-1).
type clustering struct {
	points []point
	pos    []vec   // pos[i] belongs to points[i]
	label  []int32 // label[i] belongs to points[i]
	n      int
}

// cluster groups in by owner and link distance. Inputs with non-finite
// coordinates must be filtered out by the caller.
func cluster(in []clusterInput, link float64) clustering {
	s := link / math.Sqrt(3) * (1 - 1e-9)
	inv := 1 / s
	pts := make([]point, len(in))
	for i, c := range in {
		pts[i] = point{
			owner: c.owner,
			key:   packKey(cellCoord(c.pos.x, inv), cellCoord(c.pos.y, inv), cellCoord(c.pos.z, inv)),
			idx:   int32(i),
		}
	}
	slices.SortFunc(pts, func(a, b point) int {
		if c := cmp.Compare(a.owner, b.owner); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	pos := make([]vec, len(pts))
	for i, p := range pts {
		pos[i] = in[p.idx].pos
	}

	// Cells: runs of equal (owner, key).
	start := make([]int32, 0, len(pts)/8+1)
	for i := range pts {
		if i == 0 || pts[i].key != pts[i-1].key || pts[i].owner != pts[i-1].owner {
			start = append(start, int32(i))
		}
	}
	nc := len(start)
	start = append(start, int32(len(pts)))
	boxes := make([]bbox, nc)
	for c := range nc {
		b := bbox{min: pos[start[c]], max: pos[start[c]]}
		for i := start[c] + 1; i < start[c+1]; i++ {
			b.add(pos[i])
		}
		boxes[c] = b
	}

	uf := newUnionFind(nc)
	l2 := link * link
	linked := func(a, b int) bool {
		if boxes[a].dist2(&boxes[b]) > l2 {
			return false
		}
		bb := &boxes[b]
		for i := start[a]; i < start[a+1]; i++ {
			p := pos[i]
			if bb.pointDist2(p) > l2 {
				continue
			}
			for j := start[b]; j < start[b+1]; j++ {
				q := pos[j]
				dx, dy, dz := p.x-q.x, p.y-q.y, p.z-q.z
				if dx*dx+dy*dy+dz*dz <= l2 {
					return true
				}
			}
		}
		return false
	}

	// Forward rows (dz, dy): same row to the right, then dy=1,2 at dz=0,
	// then dz=1,2 with dy=-2…2.
	type row struct {
		off int64 // key offset of (dz, dy, dx=-2)
		ptr int
	}
	var rows []row
	for dz := int64(0); dz <= 2; dz++ {
		for dy := int64(-2); dy <= 2; dy++ {
			if dz == 0 && dy <= 0 {
				continue
			}
			rows = append(rows, row{off: dz<<(2*cellBits) + dy<<cellBits - 2})
		}
	}
	key := func(c int) uint64 { return pts[start[c]].key }
	owner := func(c int) int64 { return pts[start[c]].owner }
	for c := range nc {
		o, k := owner(c), key(c)
		// Same row: x+1, x+2 follow c directly.
		for d := c + 1; d < nc && d <= c+2; d++ {
			if owner(d) != o || key(d) > k+2 {
				break
			}
			if uf.find(c) != uf.find(d) && linked(c, d) {
				uf.union(c, d)
			}
		}
		for r := range rows {
			lo := uint64(int64(k) + rows[r].off)
			hi := lo + 4
			p := rows[r].ptr
			for p < nc && (owner(p) < o || owner(p) == o && key(p) < lo) {
				p++
			}
			rows[r].ptr = p
			for d := p; d < nc && owner(d) == o && key(d) <= hi; d++ {
				if uf.find(c) != uf.find(d) && linked(c, d) {
					uf.union(c, d)
				}
			}
		}
	}

	// Label points by component, numbered in grid order.
	comp := make([]int32, nc)
	for c := range comp {
		comp[c] = -1
	}
	n := 0
	label := make([]int32, len(pts))
	for c := range nc {
		r := uf.find(c)
		if comp[r] < 0 {
			comp[r] = int32(n)
			n++
		}
		for i := start[c]; i < start[c+1]; i++ {
			label[i] = comp[r]
		}
	}
	return clustering{points: pts, pos: pos, label: label, n: n}
}

type unionFind struct {
	parent []int32
	size   []int32
}

func newUnionFind(n int) unionFind {
	u := unionFind{parent: make([]int32, n), size: make([]int32, n)}
	for i := range u.parent {
		u.parent[i] = int32(i)
		u.size[i] = 1
	}
	return u
}

func (u unionFind) find(x int) int {
	for int(u.parent[x]) != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = int(u.parent[x])
	}
	return x
}

func (u unionFind) union(a, b int) {
	a, b = u.find(a), u.find(b)
	if a == b {
		return
	}
	if u.size[a] < u.size[b] {
		a, b = b, a
	}
	u.parent[b] = int32(a)
	u.size[a] += u.size[b]
}
